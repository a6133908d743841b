//! DR Automation end to end against dr-cloudsim, under the example fault (50% of
//! `/dra` GETs answered 429 with Retry-After: 1): provision the service instance through
//! Resource Controller (plan id from the Global Catalog, the default resource group), deploy
//! the orchestrator with `manage_dr` and wait for it, read every published endpoint, then
//! deprovision.

// Tests may panic on a broken precondition; that is their failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::json;
use terraform_provider_dr::cloud::dr_automation::{CreateManageDr, EventFilter, ManageDrOptions};
use terraform_provider_dr::cloud::resource_controller::ResourceInstanceCreate;
use terraform_provider_dr::cloud::{
    ClientConfig, Clients, CloudError, Credentials, Endpoints, RetryPolicy,
};
use tokio_util::sync::CancellationToken;

/// `GET {url}/_sim/<what>`: the emulator's own record (`requests`, `state`).
async fn sim_json(http: &reqwest::Client, url: &str, what: &str) -> serde_json::Value {
    http.get(format!("{url}/_sim/{what}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn deploy_register_read_and_deprovision_under_429s() {
    let sim = dr_cloudsim::start(dr_cloudsim::SimConfig {
        time_scale: 100.0,
        ..dr_cloudsim::SimConfig::default()
    })
    .await
    .unwrap();
    let url = sim.url();
    let mut config = ClientConfig::new(
        Endpoints::emulator(&url),
        Credentials::ApiKey(dr_cloudsim::DEFAULT_API_KEY.into()),
    );
    config.retry = RetryPolicy {
        max_retries: 20,
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(500),
        max_retry_after: Duration::from_secs(5),
    };
    let clients = Clients::new(&config, CancellationToken::new()).unwrap();
    let http = reqwest::Client::new();
    let faults = http
        .post(format!("{url}/_sim/faults"))
        .json(
            &json!({"rules": [{"path_prefix": "/dra", "methods": ["GET"], "rate": 0.5,
                                 "status": 429, "retry_after_seconds": 1, "latency_ms": 0}]}),
        )
        .send()
        .await
        .unwrap();
    assert!(faults.status().is_success());

    let rc = &clients.resource_controller;
    let plan = rc
        .find_plan_id("power-dr-automation", "power-virtual-server-dr-automation")
        .await
        .unwrap();
    let group = rc.default_resource_group(None).await.unwrap();
    let instance = rc
        .create_instance(&ResourceInstanceCreate {
            name: "dr-e2e".into(),
            target: "global".into(),
            resource_group: group.id.clone().unwrap(),
            resource_plan_id: plan,
            ..Default::default()
        })
        .await
        .unwrap();
    let id = instance.guid.clone().unwrap();
    let fast = |what: &str, secs: u64| {
        clients
            .poll_options(what, Duration::from_secs(secs))
            .intervals(Duration::from_millis(100), Duration::from_millis(500))
    };
    rc.wait_instance_active(&id, &fast("DR instance", 30))
        .await
        .unwrap();

    let workspaces = clients.power.list_workspaces().await.unwrap();
    let primary = workspaces
        .iter()
        .find(|w| w.zone() == Some("dal10"))
        .unwrap();
    let workspace = clients.power.workspace(&primary.id, "dal10");
    let networks = workspace.list_networks().await.unwrap();
    let private: Vec<String> = networks
        .iter()
        .filter(|n| n.type_ == "vlan")
        .map(|n| n.network_id.clone())
        .collect();
    let dra = &clients.dr_automation;
    let machine_types = dra
        .get_machine_types(&id, &primary.name, None)
        .await
        .unwrap();
    let machine_type = machine_types
        .workspaces
        .values()
        .flatten()
        .next()
        .cloned()
        .unwrap();

    let started = dra
        .create_manage_dr(
            &id,
            &CreateManageDr {
                location_id: "dal10".into(),
                machine_type,
                orchestrator_location_type: "off-premises".into(),
                orchestrator_name: "dradmin".into(),
                orchestrator_password: "Orch-Passw0rd!".into(),
                orchestrator_workspace_id: primary.id.clone(),
                orchestrator_network_ids: Some(private),
                ssh_key_name: Some("slz-ssh-key".into()),
                tier: Some("tier1".into()),
                orchestrator_ha: Some(false),
                ..Default::default()
            },
            ManageDrOptions {
                accepts_incomplete: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // The deployment is named by the instance's CRN; its dashboard is the instance's.
    assert_eq!(started.id, instance.crn.clone());
    let dashboard = started.dashboard_url.clone().unwrap_or_default();
    assert!(
        dashboard.ends_with(&format!("/dashboard/{id}")),
        "{dashboard}"
    );
    let status = dra
        .wait_deployment(&id, false, &fast("orchestrator deployment", 60))
        .await
        .unwrap();
    assert_eq!(
        status
            .status
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("active")
    );
    assert!(status.primary_ip_address.is_some());

    let managed = dra.get_managed_vms(&id).await.unwrap();
    assert!(managed.managed_vm_list.is_empty(), "nothing is managed yet");
    let summary = dra.get_summary(&id).await.unwrap();
    assert_eq!(
        summary.orchestrator_details.orchestrator_name.as_deref(),
        Some("dradmin")
    );
    // Every event is about this instance, and its deployment was recorded.
    let events = dra.list_events(&id, &EventFilter::default()).await.unwrap();
    assert!(
        events.iter().all(|e| e
            .message_data
            .as_ref()
            .and_then(|d| d.pointer("/InstanceID/id"))
            .and_then(|v| v.as_str())
            == Some(id.as_str())),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.resource.as_deref() == Some("managedr")),
        "{events:?}"
    );
    // The scenario's workspaces: dal10 (primary), dal12 and dal13 in the same region,
    // wdc07 (GRS partner of dal10) in us-east.
    let locations: Vec<String> = dra
        .get_dr_locations(&id)
        .await
        .unwrap()
        .dr_locations
        .into_iter()
        .filter_map(|l| l.id)
        .collect();
    assert_eq!(locations, ["dal10", "dal12", "dal13", "wdc07"]);
    let pairs = dra
        .get_grs_location_pairs(&id)
        .await
        .unwrap()
        .location_pairs;
    assert_eq!(
        pairs,
        std::collections::BTreeMap::from([("dal10".to_string(), "wdc07".to_string())])
    );
    let dr_data = dra.get_powervs_workspaces(&id, "dal10").await.unwrap();
    let names = |list: &[terraform_provider_dr::cloud::dr_automation::DrWorkspace]| {
        list.iter()
            .map(|w| (w.name.clone().unwrap_or_default(), w.default))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&dr_data.dr_workspaces),
        [("slz-dal10-power-workspace".to_string(), Some(true))]
    );
    let mut standbys = names(&dr_data.dr_standby_workspaces);
    standbys.sort();
    assert_eq!(
        standbys,
        [
            ("overlap-dal13-power-workspace".to_string(), None),
            ("slz-dal12-power-workspace".to_string(), None),
        ]
    );
    let existing = dra.get_manage_dr(&id).await.unwrap();
    assert_eq!(existing.orchestrator_name.as_deref(), Some("dradmin"));

    // The sim really injected 429s on /dra GETs, and every call above still succeeded.
    let requests = sim_json(&http, &url, "requests").await;
    let limited: u64 = requests["by_route"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == 429 && r["route"].as_str().unwrap_or("").starts_with("/dra"))
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert!(limited > 0, "{requests}");
    // One service instance was provisioned, one deployment started.
    let state = sim_json(&http, &url, "state").await;
    let named = state["rc"]["resource_instances"]
        .as_array()
        .map(|items| items.iter().filter(|i| i["name"] == "dr-e2e").count())
        .unwrap_or(0);
    assert_eq!(named, 1, "the DR instance was created more than once");

    rc.delete_instance(&id, true).await.unwrap();
    rc.wait_instance_removed(&id, &fast("DR instance removal", 30))
        .await
        .unwrap();
    let after = dra.get_last_operation(&id).await;
    assert!(matches!(after, Err(CloudError::NotFound(_))), "{after:?}");
    sim.shutdown().await;
}
