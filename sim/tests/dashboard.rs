//! The orchestrator dashboard of dr-cloudsim: `manage_dr`'s `dashboard_url` points at the
//! emulator, and the page shows the DR topology, the managed VMs, the active site and the
//! last DR tests, self-contained (no scripts, no external assets).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use dr_cloudsim::SimConfig;
use dr_cloudsim::services::gc::POWER_DR_AUTOMATION;
use serde_json::{Value, json};

async fn call(
    sim: &dr_cloudsim::RunningSim,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = common::client()
        .request(method, format!("{}{path}", sim.url()))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn until(
    sim: &dr_cloudsim::RunningSim,
    token: &str,
    path: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..500 {
        let (_, body) = call(sim, token, reqwest::Method::GET, path, None).await;
        if done(&body) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{path} never reached the expected state");
}

async fn fetch(url: &str) -> (u16, String, String) {
    let resp = common::client().get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
    (status, kind, resp.text().await.unwrap())
}

#[tokio::test]
async fn the_dashboard_shows_topology_vms_site_and_tests() {
    let sim = common::start_with(SimConfig {
        time_scale: 1000.0,
        ..SimConfig::default()
    })
    .await;
    let token = common::token(&sim).await;
    let post = reqwest::Method::POST;

    let groups = common::state_collection(&sim, "rc", "resource_groups").await;
    let group = groups.iter().find(|g| g["default"] == true).unwrap()["id"].clone();
    let (_, instance) = call(
        &sim,
        &token,
        post.clone(),
        "/rc/v2/resource_instances",
        Some(json!({"name": "dr-board", "target": "global", "resource_group": group, "resource_plan_id": POWER_DR_AUTOMATION.plan_id})),
    )
    .await;
    let guid = instance["guid"].as_str().unwrap().to_owned();
    until(
        &sim,
        &token,
        &format!("/rc/v2/resource_instances/{guid}"),
        |i| i["state"] == "active",
    )
    .await;
    let workspaces = common::state_collection(&sim, "power", "workspaces").await;
    let ws = |name: &str| {
        workspaces.iter().find(|w| w["name"] == name).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let networks = common::state_collection(&sim, "power", "networks").await;
    let net = |ws_id: &str| {
        networks
            .iter()
            .find(|n| n["crn"].as_str().unwrap().contains(ws_id) && n["name"] == "mgmt_net")
            .unwrap()["networkID"]
            .clone()
    };
    let (primary, standby) = (
        ws("slz-dal10-power-workspace"),
        ws("slz-dal12-power-workspace"),
    );
    let (status, deployed) = call(
        &sim,
        &token,
        post.clone(),
        &format!("/dra/drautomation/v1/manage_dr/{guid}"),
        Some(json!({
            "location_id": "dal10", "machine_type": "s922",
            "orchestrator_location_type": "off-premises", "orchestrator_name": "dradmin",
            "orchestrator_password": "Orch-Passw0rd-Secret", "orchestrator_workspace_id": primary,
            "orchestrator_network_ids": [net(&primary)], "ssh_key_name": "slz-ssh-key",
            "orchestrator_ha": true, "standby_orchestrator_workspace_id": standby,
            "standby_orchestrator_network_ids": [net(&standby)],
        })),
    )
    .await;
    assert_eq!(status, 200, "{deployed}");
    let url = deployed["dashboard_url"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("{}/dra/dashboard/{guid}", sim.url()));
    until(
        &sim,
        &token,
        &format!("/dra/drautomation/v1/last_operation/{guid}"),
        |b| b["status"] == "Active",
    )
    .await;

    let vms = common::state_collection(&sim, "power", "pvm_instances").await;
    for (name, priority) in [
        ("aix-app-01", "high"),
        ("ibmi-db-01", "medium"),
        ("rhel-web-01", "low"),
    ] {
        let id = vms.iter().find(|v| v["serverName"] == name).unwrap()["pvmInstanceID"].clone();
        let (status, _) = call(
            &sim,
            &token,
            post.clone(),
            &format!("/dra/orchestrator/v1/{guid}/managed_vms"),
            Some(json!({"pvm_instance_id": id, "priority": priority, "workgroup_name": "erp"})),
        )
        .await;
        assert_eq!(status, 201);
    }
    let (status, _) = call(
        &sim,
        &token,
        post.clone(),
        &format!("/dra/orchestrator/v1/{guid}/test_schedules"),
        Some(json!({"cron": "0 2 * * 0", "time_zone": "America/Chicago"})),
    )
    .await;
    assert_eq!(status, 201);

    // Before any operation: topology, VMs, primary active, no test yet.
    let (status, kind, html) = fetch(&url).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html"), "{kind}");
    for text in [
        "<!DOCTYPE html>",
        "dr-board",
        "DR topology",
        "slz-dal10-power-workspace",
        "slz-dal12-power-workspace",
        "10.51.0.0/24",
        "10.52.0.0/24",
        "10.61.0.0/24",
        "slz-transit-gateway",
        "dr-board-orchestrator",
        "dr-board-standby",
        "aix-app-01",
        "ibmi-db-01",
        "rhel-web-01",
        "badge high",
        "badge low",
        "PRIMARY",
        "No DR test has run yet.",
        "0 2 * * 0",
        "America/Chicago",
    ] {
        assert!(html.contains(text), "missing {text:?}");
    }
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("src=\"http"), "no external assets");
    assert!(!html.contains("href=\"http"), "no external links to load");

    // After a DR test and a failover: results with recovery times, and the DR site active.
    for kind in ["test", "failover"] {
        let (status, op) = call(
            &sim,
            &token,
            post.clone(),
            &format!("/dra/orchestrator/v1/{guid}/operations"),
            Some(json!({"type": kind})),
        )
        .await;
        assert_eq!(status, 202, "{op}");
        let path = format!(
            "/dra/orchestrator/v1/{guid}/operations/{}",
            op["id"].as_str().unwrap()
        );
        let done = until(&sim, &token, &path, |o| o["status"] != "running").await;
        assert_eq!(done["status"], "succeeded");
        if kind == "test" {
            let secs = done["vms"][0]["recovery_seconds"].as_u64().unwrap();
            let name = done["vms"][0]["vm_name"].as_str().unwrap().to_owned();
            let (_, _, html) = fetch(&url).await;
            assert!(
                html.contains(&format!("{name} {secs} s")),
                "recovery time shown"
            );
            assert!(html.contains("succeeded"));
        }
    }
    let (_, _, html) = fetch(&url).await;
    assert!(html.contains("DR site"));
    assert!(html.contains("class=\"site active\""));
    assert!(html.contains(">DR</span>"), "active site badge");
    assert!(html.contains("failover"));

    // The CRN works too, as in the API; an unknown instance is a 404 page.
    let (status, _, _) = fetch(&format!(
        "{}/dra/dashboard/{}",
        sim.url(),
        instance["crn"]
            .as_str()
            .unwrap()
            .replace(':', "%3A")
            .replace('/', "%2F")
    ))
    .await;
    assert_eq!(status, 200);
    let (status, kind, html) = fetch(&format!(
        "{}/dra/dashboard/00000000-0000-4000-8000-000000000000",
        sim.url()
    ))
    .await;
    assert_eq!(status, 404);
    assert!(kind.starts_with("text/html"));
    assert!(html.contains("Not found"));
}
