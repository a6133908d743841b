//! DR Automation behaviour of dr-cloudsim: manage_dr validation, the deployment steps in
//! last_operation, the orchestrator VMs in PowerVS, the project's own managed-VM API,
//! failure injection, and consistency with Resource Controller and PowerVS deletes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::dr::Dr as KsysDr;

use dr_cloudsim::SimConfig;
use serde_json::{Value, json};

const PASSWORD: &str = "Orch-Passw0rd-Secret";

/// The emulator with this file's own DR Automation helpers on top of the shared [`KsysDr`].
struct Dr(KsysDr);

impl std::ops::Deref for Dr {
    type Target = KsysDr;

    fn deref(&self) -> &KsysDr {
        &self.0
    }
}

impl Dr {
    async fn new(time_scale: f64) -> Self {
        Dr(KsysDr::start(SimConfig {
            time_scale,
            ..SimConfig::default()
        })
        .await)
    }

    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, Some(body), None)
            .await
    }

    async fn vm(&self, name: &str) -> Option<Value> {
        common::state_collection(&self.sim, "power", "pvm_instances")
            .await
            .into_iter()
            .find(|v| v["serverName"] == name)
    }

    async fn networks(&self, workspace_id: &str) -> Vec<String> {
        let ws = self.workspace_by_id(workspace_id).await;
        let crn = ws["details"]["crn"].as_str().unwrap().to_owned();
        let (status, body) = self
            .send_with(
                reqwest::Method::GET,
                &format!("/power/pcloud/v1/cloud-instances/{workspace_id}/networks"),
                None,
                &[("CRN", crn.as_str())],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["networks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["networkID"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn workspace_by_id(&self, id: &str) -> Value {
        common::state_collection(&self.sim, "power", "workspaces")
            .await
            .into_iter()
            .find(|w| w["id"] == id)
            .unwrap()
    }

    async fn manage_dr_body(&self, ha: bool) -> Value {
        let primary = self.workspace("slz-dal10-power-workspace").await;
        let pid = primary["id"].as_str().unwrap().to_owned();
        let mut body = json!({
            "location_id": "dal10",
            "machine_type": "s922",
            "orchestrator_location_type": "off-premises",
            "orchestrator_name": "dradmin",
            "orchestrator_password": PASSWORD,
            "orchestrator_workspace_id": pid,
            "orchestrator_network_ids": [self.networks(&pid).await[0]],
            "ssh_key_name": "slz-ssh-key",
            "tier": "tier1",
            "api_key": "sim-api-key",
            "proxy_ip": "10.30.40.4:3128",
        });
        if ha {
            let standby = self.workspace("slz-dal12-power-workspace").await;
            let sid = standby["id"].as_str().unwrap().to_owned();
            body["orchestrator_ha"] = json!(true);
            body["standby_orchestrator_workspace_id"] = json!(sid);
            body["standby_machine_type"] = json!("s1022");
            body["standby_tier"] = json!("tier3");
            body["standby_orchestrator_network_ids"] = json!([self.networks(&sid).await[0]]);
        }
        body
    }

    async fn deploy(&self, guid: &str, ha: bool) -> Value {
        let body = self.manage_dr_body(ha).await;
        let (status, resp) = self
            .post(&format!("/dra/drautomation/v1/manage_dr/{guid}"), body)
            .await;
        assert_eq!(status, 200, "{resp}");
        self.until(
            &format!("/dra/drautomation/v1/last_operation/{guid}"),
            |b| b["status"] == "Active",
        )
        .await
    }
}

#[tokio::test]
async fn manage_dr_validates_like_the_service() {
    let d = Dr::new(1000.0).await;
    let (status, body) = d
        .get("/dra/drautomation/v1/last_operation/00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not found")
    );
    let resp = common::plain_get(format!(
        "{}/dra/drautomation/v1/dr_locations/x",
        d.sim.url()
    ))
    .await;
    assert_eq!(resp.status(), 401);

    let guid = d.instance("dr-validate", false).await;
    // Hold the instance in provisioning whatever the machine's speed, then release it.
    let (status, _) = d
        .patch(
            &format!("/_sim/objects/rc/resource_instances/{guid}"),
            json!({"state": "provisioning", "_active_at": u64::MAX / 2}),
        )
        .await;
    assert_eq!(status, 200);
    let good = d.manage_dr_body(false).await;
    let (status, body) = d
        .post(
            &format!("/dra/drautomation/v1/manage_dr/{guid}"),
            good.clone(),
        )
        .await;
    assert_eq!(status, 409, "the instance is still provisioning: {body}");
    d.patch(
        &format!("/_sim/objects/rc/resource_instances/{guid}"),
        json!({"_active_at": 1}),
    )
    .await;
    d.until(&format!("/rc/v2/resource_instances/{guid}"), |i| {
        i["state"] == "active"
    })
    .await;

    let path = format!("/dra/drautomation/v1/manage_dr/{guid}");
    let secondary = d.workspace("slz-dal12-power-workspace").await;
    let foreign_net = d.networks(secondary["id"].as_str().unwrap()).await[0].clone();
    let bad: Vec<(Value, &str)> = vec![
        (
            json!({"orchestrator_password": null}),
            "orchestrator_password is required",
        ),
        (json!({"machine_type": null}), "machine_type is required"),
        (json!({"tier": "tier2"}), "tier1"),
        (json!({"machine_type": "z99"}), "not supported"),
        (
            json!({"machine_type": "e1080"}),
            "not available in workspace",
        ),
        (
            json!({"location_id": "dal12"}),
            "does not match the zone dal10",
        ),
        (
            json!({"orchestrator_workspace_id": "no-such-workspace"}),
            "not found",
        ),
        (
            json!({"orchestrator_network_ids": [foreign_net]}),
            "is not a network of workspace",
        ),
        (
            json!({"ssh_key_name": "missing-key"}),
            "SSH key missing-key",
        ),
        (
            json!({"orchestrator_location_type": "moon"}),
            "off-premises",
        ),
        (json!({"proxy_ip": "10.30.40.4"}), "proxy_ip"),
        (json!({"api_key": "wrong"}), "api_key"),
        (
            json!({"managed_api_key": "k"}),
            "managed_api_key is not a field of the manage_dr request",
        ),
        (
            json!({"orchestrator_ha": "true"}),
            "orchestrator_ha must be a boolean",
        ),
        (
            json!({"orchestrator_network_ids": "n"}),
            "orchestrator_network_ids must be a list of strings",
        ),
        (
            json!({"client_id": "mfa-client"}),
            "MFA needs client_id, client_secret and tenant_name together; missing: client_secret, tenant_name",
        ),
        (json!({"secret": "orch-pw"}), "secret and secret_group"),
        (
            json!({"orchestrator_password": ""}),
            "orchestrator_password is required",
        ),
        (
            json!({"orchestrator_ha": true}),
            "standby_orchestrator_workspace_id is required",
        ),
    ];
    for (change, needle) in bad {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let (status, resp) = d.post(&path, body).await;
        assert_eq!(status, 400, "{change} -> {resp}");
        let message = resp["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{change}: {message}");
    }
    let (status, _) = d
        .post(&format!("{path}?stand_by_redeploy=maybe"), good.clone())
        .await;
    assert_eq!(status, 400);
    let (status, _) = d
        .post(&format!("{path}?accepts_incomplete=false"), good.clone())
        .await;
    assert_eq!(status, 422);
    assert!(
        d.vm("dr-validate-orchestrator").await.is_none(),
        "no VM from a rejected request"
    );
}

#[tokio::test]
async fn deployment_walks_the_steps_and_creates_the_orchestrator_vm() {
    let d = Dr::new(1000.0).await;
    let guid = d.instance("dr-prod", true).await;
    let (_, before) = d
        .get(&format!("/dra/drautomation/v1/last_operation/{guid}"))
        .await;
    assert_eq!(before["status"], "Provisioned");
    assert_eq!(
        d.get(&format!("/dra/drautomation/v1/dr_summary/{guid}"))
            .await
            .0,
        404
    );

    let body = d.manage_dr_body(false).await;
    let (status, resp) = d
        .post(
            &format!("/dra/drautomation/v1/manage_dr/{guid}"),
            body.clone(),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    assert!(
        resp["id"]
            .as_str()
            .unwrap()
            .starts_with("crn:v1:bluemix:public:power-dr-automation:global:")
    );
    assert!(resp["dashboard_url"].as_str().unwrap().contains(&guid));
    let (_, running) = d
        .get(&format!("/dra/drautomation/v1/last_operation/{guid}"))
        .await;
    assert!(
        running["status"] == "Running" || running["status"] == "Active",
        "{running}"
    );
    let (status, _) = d
        .post(&format!("/dra/drautomation/v1/manage_dr/{guid}"), body)
        .await;
    assert_eq!(status, 409, "a second deployment is refused");

    let done = d
        .until(
            &format!("/dra/drautomation/v1/last_operation/{guid}"),
            |b| b["status"] == "Active",
        )
        .await;
    let desc = done["primary_description"].as_str().unwrap();
    assert!(
        desc.starts_with(
            "5/5: Primary orchestrator dr-prod-orchestrator is successfully deployed in "
        ),
        "{desc}"
    );
    assert_eq!(done["primary_orchestrator_status"], "active");
    assert_eq!(done["orchestrator_ha"], false);
    assert_eq!(done["plan_name"], "DR Automation Private Plan");
    assert!(
        done["primary_ip_address"]
            .as_str()
            .unwrap()
            .starts_with("10.51.0."),
        "{done}"
    );

    // Every step was reported, in order, in the event log.
    let (_, events) = d
        .get(&format!(
            "/dra/drautomation/v1/service_instances/{guid}/events"
        ))
        .await;
    let messages = common::texts(&events["events"], "message");
    let steps: Vec<&str> = messages
        .iter()
        .filter(|m| m.get(1..4) == Some("/5:"))
        .map(|m| &m[..4])
        .collect();
    assert_eq!(steps, ["2/5:", "3/5:", "4/5:", "5/5:"], "{messages:?}");
    assert!(messages[0].contains("has been created successfully"));
    let first = &events["events"][0];
    let (status, one) = d
        .get(&format!(
            "/dra/drautomation/v1/service_instances/{guid}/events/{}",
            first["event_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!((status, &one), (200, first));
    let (_, none) = d
        .get(&format!(
            "/dra/drautomation/v1/service_instances/{guid}/events?from_time=2999-01-01T00:00:00Z"
        ))
        .await;
    assert_eq!(none["events"], json!([]));

    // The orchestrator VM as PowerVS shows it.
    let ws = d.workspace("slz-dal10-power-workspace").await;
    let (wid, crn) = (
        ws["id"].as_str().unwrap(),
        ws["details"]["crn"].as_str().unwrap(),
    );
    let (_, vms) = d
        .send_with(
            reqwest::Method::GET,
            &format!("/power/pcloud/v1/cloud-instances/{wid}/pvm-instances"),
            None,
            &[("CRN", crn)],
        )
        .await;
    let vm = common::find_by(&vms["pvmInstances"], "serverName", "dr-prod-orchestrator")
        .expect("orchestrator VM listed")
        .clone();
    assert_eq!(vm["processors"], 0.5);
    assert_eq!(vm["memory"], 4.0);
    assert_eq!(vm["osType"], "aix");
    assert_eq!(vm["sysType"], "s922");

    // The password never comes back.
    let (status, manage) = d
        .get(&format!("/dra/drautomation/v1/manage_dr/{guid}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(manage["orchestrator_name"], "dradmin");
    assert_eq!(manage["machine_type"], "s922");
    assert!(manage.get("orchestrator_password").is_none() && manage.get("api_key").is_none());
    let state = common::get_text(&format!("{}/_sim/state", d.sim.url())).await;
    assert!(
        !state.contains(PASSWORD),
        "the password is nowhere in the state"
    );

    let (_, summary) = d
        .get(&format!("/dra/drautomation/v1/dr_summary/{guid}"))
        .await;
    assert_eq!(
        summary["orchestrator_details"]["orchestrator_status"],
        "Active"
    );
    assert_eq!(
        summary["orchestrator_details"]["transit_gateway_name"],
        "slz-transit-gateway"
    );
    assert_eq!(summary["orchestrator_details"]["vpc_name"], "slz-edge-vpc");
    assert_eq!(summary["service_details"]["deployment_name"], "dr-prod");
    // Without a standby, the recovery location is dal10's GRS partner.
    assert_eq!(summary["service_details"]["recovery_location"], "wdc07");
}

#[tokio::test]
async fn dr_managed_vms_publishes_what_ksys_manages() {
    let d = KsysDr::fast().await;
    let dep = d.deploy("dr-app", false).await;
    let (_jump, host) = d.root(&dep.primary).await;
    d.with_sites(
        &host,
        &[
            "-f manage vm aix-app-01 workgroup=payments",
            "-f manage vm rhel-web-01",
        ],
    )
    .await;
    let aix_id = d.vm_id("aix-app-01").await;
    let rhel_id = d.vm_id("rhel-web-01").await;
    let guid = &dep.guid;

    // Published view: strings exactly as IBM's ManagedVmDetails.
    let (_, list) = d
        .get(&format!("/dra/drautomation/v1/dr_managed_vms/{guid}"))
        .await;
    let details = &list["managed_vm_list"][&aix_id];
    assert_eq!(details["core"], "1.00");
    assert_eq!(details["memory"], "16");
    assert_eq!(details["region"], "dal10");
    assert_eq!(details["dr_region"], "wdc07");
    assert_eq!(details["vm_name"], "aix-app-01");
    assert_eq!(details["workgroup_name"], "payments");
    assert_eq!(details["workspace_name"], "slz-dal10-power-workspace");
    assert_eq!(
        list["managed_vm_list"][&rhel_id]["workgroup_name"],
        "rhel-web-01_WG"
    );
    assert!(
        details["dr_average_time"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    let (_, pairs) = d
        .get(&format!(
            "/dra/drautomation/v1/dr_grs_location_pairs/{guid}"
        ))
        .await;
    assert_eq!(pairs["location_pairs"]["dal10"], "wdc07");
    assert_eq!(pairs["location_pairs"]["wdc07"], "dal10");

    // Another DR instance's orchestrator cannot take a VM this one manages.
    let other = d.deploy("dr-other", false).await;
    let (_jump2, host2) = d.root(&other.primary).await;
    d.with_sites(&host2, &[]).await;
    let run = d.ksysmgr(&host2, "-f manage vm aix-app-01").await;
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "ERROR: VM aix-app-01 is already managed by another KSYS cluster.\n"
    );

    // The PowerVS VM disappears: it leaves dr_managed_vms.
    let resp = common::plain_delete(format!(
        "{}/_sim/objects/power/pvm_instances/{rhel_id}",
        d.sim.url()
    ))
    .await;
    assert!(resp.status().is_success());
    let (_, list) = d
        .get(&format!("/dra/drautomation/v1/dr_managed_vms/{guid}"))
        .await;
    assert!(list["managed_vm_list"].get(&rhel_id).is_none(), "{list}");
    assert_eq!(list["managed_vm_list"].as_object().unwrap().len(), 1);
    d.sim.shutdown().await;
}

#[tokio::test]
async fn ha_deployment_adds_a_standby_that_leaves_the_ksys_cluster() {
    let d = Dr::new(1000.0).await;
    let guid = d.instance("dr-ha", true).await;
    let done = d.deploy(&guid, true).await;
    assert_eq!(done["orchestrator_ha"], true);
    assert_eq!(done["standby_status"], "Active");
    assert!(
        done["standby_description"]
            .as_str()
            .unwrap()
            .starts_with("4/4: Standby orchestrator dr-ha-standby is successfully deployed in ")
    );
    let standby = d.vm("dr-ha-standby").await.expect("standby VM");
    assert_eq!(standby["sysType"], "s1022");
    assert!(
        done["standby_ip_address"]
            .as_str()
            .unwrap()
            .starts_with("10.61.0.")
    );
    let (_, events) = d
        .get(&format!(
            "/dra/drautomation/v1/service_instances/{guid}/events"
        ))
        .await;
    let standby_steps = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["message"].as_str().unwrap().contains("/4: "))
        .count();
    assert_eq!(standby_steps, 4);
}

#[tokio::test]
async fn the_standby_leaves_the_cluster_through_ksysmgr() {
    let d = KsysDr::fast().await;
    let dep = d.deploy("dr-pair", true).await;
    let (_jump, primary) = d.root(&dep.primary).await;
    let standby_ip = dep.standby.clone().unwrap();
    let (_jump2, standby) = d.root(&standby_ip).await;
    // One cluster, two nodes, the same answers on both.
    let run = d.ksysmgr(&primary, "query ksyscluster").await;
    assert_eq!(
        run.lines,
        vec![
            "Name:                dr-pair",
            "State:               Online",
            "Type:                IBM_PVS_DR",
            "Ksysnodes:           dr-pair-orchestrator:1:Online, dr-pair-standby:2:Online",
            "KsysState:           dr-pair-orchestrator:1:Online, dr-pair-standby:2:Online",
        ]
    );
    assert_eq!(
        d.ksysmgr(&standby, "query ksyscluster").await.lines,
        run.lines
    );
    assert_eq!(
        d.ksysmgr(&primary, "-f add site us-south region=us-south")
            .await
            .code,
        Some(0)
    );
    let run = d.ksysmgr(&standby, "query site").await;
    assert_eq!(run.lines[0], "Name:                us-south");

    let run = d
        .ksysmgr(
            &primary,
            "-f modify ksyscluster dr-pair remove ksysnodes=dr-pair-orchestrator",
        )
        .await;
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            Some(1),
            "ERROR: Cannot remove node dr-pair-orchestrator: it is the node this command runs on.\n"
        )
    );
    let run = d
        .ksysmgr(
            &primary,
            "-f modify ksyscluster dr-pair remove ksysnodes=dr-pair-standby",
        )
        .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "KSYS cluster dr-pair was modified successfully\n"
    );
    let run = d
        .ksysmgr(
            &primary,
            "-f modify ksyscluster dr-pair remove ksysnodes=dr-pair-standby",
        )
        .await;
    assert_eq!(run.code, Some(2));
    let (_, after) = d
        .get(&format!("/dra/drautomation/v1/last_operation/{}", dep.guid))
        .await;
    assert_eq!(
        (after["orchestrator_ha"].as_bool(), after["status"].as_str()),
        (Some(false), Some("Active"))
    );
    let (_, summary) = d
        .get(&format!("/dra/drautomation/v1/dr_summary/{}", dep.guid))
        .await;
    assert_eq!(summary["service_details"]["orchestrator_ha"], false);
    let hosts = d.sim_get("ssh").await["hosts"].as_array().unwrap().clone();
    assert_eq!(hosts.len(), 1, "the standby is no KSYS host any more");
    assert_eq!(
        d.ksysmgr(&primary, "query ksyscluster").await.lines[3],
        "Ksysnodes:           dr-pair-orchestrator:1:Online"
    );
    d.sim.shutdown().await;
}

#[tokio::test]
async fn injected_failure_stops_the_deployment() {
    // Slow enough that the test can inject the failure before step 2 starts.
    let d = Dr::new(20.0).await;
    let guid = d.instance("dr-fail", true).await;
    let body = d.manage_dr_body(false).await;
    let (status, _) = d
        .post(
            &format!("/dra/drautomation/v1/manage_dr/{guid}"),
            body.clone(),
        )
        .await;
    assert_eq!(status, 200);
    let resp = common::plain_patch(
        format!("{}/_sim/objects/dra/deployments/{guid}", d.sim.url()),
        json!({"_fail_at_step": 2}),
    )
    .await;
    assert!(resp.status().is_success());
    let failed = d
        .until(
            &format!("/dra/drautomation/v1/last_operation/{guid}"),
            |b| b["status"] != "Running",
        )
        .await;
    assert_eq!(failed["status"], "Failed");
    assert_eq!(failed["primary_orchestrator_status"], "failed");
    assert!(
        failed["primary_description"]
            .as_str()
            .unwrap()
            .starts_with("2/5: ")
    );
    assert!(
        failed["primary_error_description"]
            .as_str()
            .unwrap()
            .contains("dr-fail-orchestrator")
    );
    assert!(
        d.vm("dr-fail-orchestrator").await.is_none(),
        "a VM that failed to create is gone"
    );

    // A failed deployment can be retried.
    let (status, resp) = d
        .post(&format!("/dra/drautomation/v1/manage_dr/{guid}"), body)
        .await;
    assert_eq!(status, 200, "{resp}");
    let (_, again) = d
        .get(&format!("/dra/drautomation/v1/last_operation/{guid}"))
        .await;
    assert_eq!(again["status"], "Running");
}

#[tokio::test]
async fn deleting_the_instance_removes_its_orchestrator() {
    let d = KsysDr::fast().await;
    let dep = d.deploy("dr-gone", false).await;
    let (_jump, host) = d.root(&dep.primary).await;
    d.with_sites(&host, &["-f manage vm aix-app-01"]).await;
    assert!(!d.pvm("dr-gone-orchestrator").await.is_null());
    let (status, _) = d
        .send(
            reqwest::Method::DELETE,
            &format!("/rc/v2/resource_instances/{}", dep.guid),
            None,
            None,
        )
        .await;
    assert_eq!(status, 202);
    assert!(d.pvm("dr-gone-orchestrator").await.is_null());
    assert!(
        !d.pvm("aix-app-01").await.is_null(),
        "managed VMs themselves stay"
    );
    assert_eq!(
        d.get(&format!("/dra/drautomation/v1/dr_managed_vms/{}", dep.guid))
            .await
            .0,
        404
    );
    for collection in ["clusters", "sites", "workgroups", "vms"] {
        assert!(
            d.collection("ksys", collection).await.is_empty(),
            "{collection}"
        );
    }
    assert_eq!(d.sim_get("ssh").await["hosts"], json!([]));
    d.sim.shutdown().await;
}

#[tokio::test]
async fn information_endpoints() {
    let d = Dr::new(1000.0).await;
    let guid = d.instance("dr-info", true).await;
    let (status, mt) = d.get(&format!("/dra/drautomation/v1/machinetypes/{guid}?primary_workspace_name=slz-dal10-power-workspace&standby_workspace_name=slz-dal12-power-workspace")).await;
    assert_eq!(status, 200);
    assert_eq!(
        mt["workspaces"]["slz-dal10-power-workspace"],
        json!(["s922", "e980", "s1022"])
    );
    assert_eq!(
        mt["workspaces"]["slz-dal12-power-workspace"],
        json!(["s922", "s1022"])
    );
    assert_eq!(
        d.get(&format!("/dra/drautomation/v1/machinetypes/{guid}"))
            .await
            .0,
        400
    );
    assert_eq!(
        d.get(&format!(
            "/dra/drautomation/v1/machinetypes/{guid}?primary_workspace_name=nope"
        ))
        .await
        .0,
        404
    );

    let (_, ws) = d
        .get(&format!(
            "/dra/drautomation/v1/powervs_workspaces/{guid}?location_id=dal10"
        ))
        .await;
    assert_eq!(ws["dr_workspaces"][0]["name"], "slz-dal10-power-workspace");
    assert_eq!(ws["dr_workspaces"][0]["default"], true);
    assert_eq!(ws["dr_workspaces"][0]["location"]["type"], "data-center");
    let standby_names: Vec<&str> = common::texts(&ws["dr_standby_workspaces"], "name");
    assert_eq!(
        standby_names,
        ["slz-dal12-power-workspace", "overlap-dal13-power-workspace"]
    );
    assert_eq!(
        d.get(&format!("/dra/drautomation/v1/powervs_workspaces/{guid}"))
            .await
            .0,
        400
    );

    let (_, locations) = d
        .get(&format!("/dra/drautomation/v1/dr_locations/{guid}"))
        .await;
    assert_eq!(
        locations["dr_locations"],
        json!([{"id": "dal10", "name": "dal10"}, {"id": "dal12", "name": "dal12"}, {"id": "dal13", "name": "dal13"}, {"id": "wdc07", "name": "wdc07"}])
    );

    assert_eq!(
        d.get(&format!("/dra/drautomation/v1/apikey/{guid}"))
            .await
            .0,
        404
    );
    let (status, _) = d
        .send_with(
            reqwest::Method::PUT,
            &format!("/dra/drautomation/v1/apikey/{guid}"),
            Some(json!({"api_key": "bad"})),
            &[],
        )
        .await;
    assert_eq!(status, 400);
    let (status, key) = d
        .send_with(
            reqwest::Method::PUT,
            &format!("/dra/drautomation/v1/apikey/{guid}"),
            Some(json!({"api_key": "sim-api-key"})),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(key["description"], "Key is valid.");
    assert_eq!(key["status"], "Active");
    let (status, again) = d.get(&format!("/dra/drautomation/v1/apikey/{guid}")).await;
    assert_eq!((status, again), (200, key));
}

#[tokio::test]
async fn manage_dr_keeps_the_request_it_was_sent_without_its_secrets() {
    let d = Dr::new(1000.0).await;
    let guid = d.instance("dr-fields", true).await;
    let mut body = d.manage_dr_body(false).await;
    for (field, value) in [
        ("client_id", json!("mfa-client")),
        ("client_secret", json!("Mfa-Client-Secret-1")),
        ("tenant_name", json!("dr-tenant")),
        ("guid", json!("0a1b2c3d-0000-4000-8000-5ec7e75a5a6e")),
        ("secret", json!("orchestrator-credentials")),
        ("secret_group", json!("dr-secrets")),
        ("region_id", json!("us-south")),
        ("orchestrator_location_type", json!("on-premises")),
        ("managed_apikey", json!("Managed-Api-Key-7")),
    ] {
        body[field] = value;
    }
    let (status, resp) = d
        .send_with(
            reqwest::Method::POST,
            &format!("/dra/drautomation/v1/manage_dr/{guid}?accepts_incomplete=true"),
            Some(body.clone()),
            &[("Accept-Language", "de-DE")],
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    let (_, deployment) = d
        .get(&format!("/_sim/objects/dra/deployments/{guid}"))
        .await;
    let recorded = &deployment["_manage_dr_request"];
    assert_eq!(recorded["accept_language"], "de-DE");
    assert_eq!(recorded["query"], json!({"accepts_incomplete": "true"}));
    let sent = body.as_object().unwrap();
    let kept = recorded["body"].as_object().unwrap();
    assert_eq!(
        kept.keys().collect::<Vec<_>>(),
        sent.keys().collect::<Vec<_>>(),
        "every field is recorded"
    );
    for (field, value) in sent {
        let secret = [
            "orchestrator_password",
            "api_key",
            "managed_apikey",
            "client_secret",
        ];
        if secret.contains(&field.as_str()) {
            let length = value.as_str().unwrap().chars().count();
            assert_eq!(kept[field], format!("[secret: {length} characters]"));
        } else {
            assert_eq!(&kept[field], value, "{field}");
        }
    }
    let text = deployment.to_string();
    for secret in [
        PASSWORD,
        "sim-api-key",
        "Mfa-Client-Secret-1",
        "Managed-Api-Key-7",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }

    // GET manage_dr echoes what ServiceInstanceManageDR carries, never a secret.
    let (_, manage) = d
        .get(&format!("/dra/drautomation/v1/manage_dr/{guid}"))
        .await;
    for field in ["tenant_name", "secret", "secret_group", "guid", "region_id"] {
        assert_eq!(manage[field], body[field], "{field}");
    }
    assert_eq!(manage["orchestrator_location_type"], "on-premises");
    for field in [
        "client_secret",
        "api_key",
        "managed_apikey",
        "orchestrator_password",
    ] {
        assert!(manage.get(field).is_none(), "{field} echoed: {manage}");
    }

    // With Secrets Manager holding the credentials the password may be empty.
    let other = d.instance("dr-sm", true).await;
    let mut from_secrets = d.manage_dr_body(false).await;
    from_secrets["orchestrator_password"] = json!("");
    from_secrets["secret"] = json!("orchestrator-credentials");
    from_secrets["secret_group"] = json!("dr-secrets");
    from_secrets["orchestrator_network_ids"] = json!([]);
    let (status, resp) = d
        .post(
            &format!("/dra/drautomation/v1/manage_dr/{other}"),
            from_secrets,
        )
        .await;
    assert_eq!(status, 200, "{resp}");
}
