//! Resource Controller, Global Catalog and Resource Manager.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use dr_cloudsim::SimConfig;
use serde_json::{Value, json};

/// Fast transitions: 30 s of provisioning take 3 ms.
fn fast() -> SimConfig {
    SimConfig {
        time_scale: 10_000.0,
        ..Default::default()
    }
}

async fn get(url: &str, token: &str) -> (u16, Value) {
    let r = common::authed_get(url, token).await;
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn dr_plan_id(base: &str) -> String {
    let (status, found) =
        common::get_json(&format!("{base}/gc/api/v1?q=power-dr-automation")).await;
    assert_eq!(status, 200);
    let service = common::find_by(&found["resources"], "name", "power-dr-automation")
        .expect("service found by name")
        .clone();
    assert_eq!(service["kind"], "service");
    let id = service["id"].as_str().unwrap();
    let (status, plans) = common::get_json(&format!("{base}/gc/api/v1/{id}/plan")).await;
    assert_eq!(status, 200);
    let plan = &plans["resources"][0];
    assert_eq!(plan["name"], "power-virtual-server-dr-automation");
    assert_eq!(plan["kind"], "plan");
    plan["id"].as_str().unwrap().to_owned()
}

async fn default_group(base: &str, token: &str) -> Value {
    let (status, groups) = get(&format!("{base}/rm/v2/resource_groups?default=true"), token).await;
    assert_eq!(status, 200);
    let list = groups["resources"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    list[0].clone()
}

#[tokio::test]
async fn catalog_and_resource_manager_resolve_plan_and_default_group() {
    let sim = common::start().await;
    let token = common::token(&sim).await;
    let plan = dr_plan_id(&sim.url()).await;
    assert!(!plan.is_empty());
    let (_, power) = common::get_json(&format!("{}/gc/api/v1?q=name:power-iaas", sim.url())).await;
    assert_eq!(power["count"], 1);
    let (_, plans) = common::get_json(&format!(
        "{}/gc/api/v1/{}/plan",
        sim.url(),
        power["resources"][0]["id"].as_str().unwrap()
    ))
    .await;
    assert_eq!(
        plans["resources"][0]["id"],
        "f165dd34-3a40-423b-9d95-e90a23f724dd"
    );
    assert_eq!(plans["resources"][0]["name"], "power-virtual-server-group");
    let (status, _) = common::get_json(&format!("{}/gc/api/v1/nope/plan", sim.url())).await;
    assert_eq!(status, 404);

    let group = default_group(&sim.url(), &token).await;
    assert_eq!(group["name"], "Default");
    assert_eq!(group["default"], true);
    assert_eq!(group["account_id"], json!(sim.sim.account_id()));
    assert!(group["crn"].as_str().unwrap().contains("resource-group:"));
    let id = group["id"].as_str().unwrap();
    let (status, same) = get(&format!("{}/rm/v2/resource_groups/{id}", sim.url()), &token).await;
    assert_eq!(status, 200);
    assert_eq!(same["name"], "Default");
    let (_, named) = get(
        &format!("{}/rm/v2/resource_groups?name=slz-service-rg", sim.url()),
        &token,
    )
    .await;
    assert_eq!(named["resources"][0]["default"], false);
    let r = common::plain_get(format!("{}/rm/v2/resource_groups", sim.url())).await;
    assert_eq!(r.status(), 401);
    sim.shutdown().await;
}

async fn create_instance(base: &str, token: &str, body: &Value) -> (u16, Value) {
    let r = common::authed_post(format!("{base}/rc/v2/resource_instances"), token, body).await;
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn wait_for_state(base: &str, token: &str, guid: &str, state: &str) -> Value {
    let never = format!("instance {guid} never reached {state}");
    common::poll(200, Duration::from_millis(5), &never, || async {
        let (status, instance) =
            get(&format!("{base}/rc/v2/resource_instances/{guid}"), token).await;
        assert_eq!(status, 200);
        (instance["state"] == state).then_some(instance)
    })
    .await
}

#[tokio::test]
async fn dr_instance_lifecycle_provisioning_active_removed() {
    let sim = common::start_with(fast()).await;
    let base = sim.url();
    let token = common::token(&sim).await;
    let plan = dr_plan_id(&base).await;
    let group = default_group(&base, &token).await;
    let (status, created) = create_instance(
        &base,
        &token,
        &json!({"name": "dr-demo", "target": "global", "resource_group": group["id"], "resource_plan_id": plan}),
    )
    .await;
    assert_eq!(status, 202, "{created}");
    assert_eq!(created["state"], "provisioning");
    assert_eq!(created["type"], "service_instance");
    for field in [
        "id",
        "guid",
        "crn",
        "name",
        "region_id",
        "account_id",
        "resource_plan_id",
        "resource_group_id",
        "resource_group_crn",
        "target_crn",
        "dashboard_url",
        "created_at",
        "resource_id",
        "last_operation",
    ] {
        assert!(!created[field].is_null(), "missing {field}: {created}");
    }
    let guid = created["guid"].as_str().unwrap();
    let crn = created["crn"].as_str().unwrap();
    assert_eq!(created["id"], created["crn"]);
    assert_eq!(
        crn,
        format!(
            "crn:v1:bluemix:public:power-dr-automation:global:a/{}:{guid}::",
            sim.sim.account_id()
        )
    );
    assert!(common::no_internal_keys(&created));

    let active = wait_for_state(&base, &token, guid, "active").await;
    assert_eq!(active["last_operation"]["state"], "succeeded");
    // The CRN (URL-encoded) also addresses the instance.
    let encoded = crn.replace(':', "%3A").replace('/', "%2F");
    let (status, by_crn) = get(
        &format!("{base}/rc/v2/resource_instances/{encoded}"),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(by_crn["guid"], json!(guid));

    let (_, listed) = get(
        &format!("{base}/rc/v2/resource_instances?resource_plan_id={plan}&name=dr-demo"),
        &token,
    )
    .await;
    assert_eq!(listed["rows_count"], 1);
    assert_eq!(listed["resources"][0]["guid"], json!(guid));
    assert!(listed["next_url"].is_null());
    let (_, other) = get(
        &format!("{base}/rc/v2/resource_instances?name=nothing"),
        &token,
    )
    .await;
    assert_eq!(other["rows_count"], 0);

    let del =
        common::authed_delete(format!("{base}/rc/v2/resource_instances/{guid}"), &token).await;
    assert_eq!(del.status(), 202);
    let removed = wait_for_state(&base, &token, guid, "removed").await;
    assert!(removed["deleted_at"].is_string());
    let again =
        common::authed_delete(format!("{base}/rc/v2/resource_instances/{guid}"), &token).await;
    assert_eq!(again.status(), 410);
    let (_, listed) = get(
        &format!("{base}/rc/v2/resource_instances?name=dr-demo"),
        &token,
    )
    .await;
    assert_eq!(
        listed["rows_count"], 0,
        "removed instances are not listed by default"
    );
    let (_, listed) = get(
        &format!("{base}/rc/v2/resource_instances?name=dr-demo&state=removed"),
        &token,
    )
    .await;
    assert_eq!(listed["rows_count"], 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn create_validates_fields_plan_target_and_group() {
    let sim = common::start().await;
    let base = sim.url();
    let token = common::token(&sim).await;
    let plan = dr_plan_id(&base).await;
    let group = default_group(&base, &token).await;
    let cases = [
        (
            json!({"target": "global", "resource_group": group["id"], "resource_plan_id": plan}),
            "RC-MissingRequiredField",
        ),
        (
            json!({"name": "x", "target": "global", "resource_group": group["id"], "resource_plan_id": "nope"}),
            "RC-PlanNotFound",
        ),
        (
            json!({"name": "x", "target": "mars", "resource_group": group["id"], "resource_plan_id": plan}),
            "RC-InvalidTarget",
        ),
        (
            json!({"name": "x", "target": "global", "resource_group": "nope", "resource_plan_id": plan}),
            "RC-ResourceGroupNotFound",
        ),
    ];
    for (body, code) in cases {
        let (status, err) = create_instance(&base, &token, &body).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(err["error_code"], code);
        assert_eq!(err["status_code"], 400);
        assert!(err["message"].is_string() && err["transaction_id"].is_string());
    }
    let (status, err) = get(
        &format!("{base}/rc/v2/resource_instances/not-there"),
        &token,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(err["error_code"], "RC-ResourceInstanceNotFound");
    sim.shutdown().await;
}

#[tokio::test]
async fn workspace_instances_create_and_remove_powervs_workspaces() {
    let sim = common::start_with(fast()).await;
    let base = sim.url();
    let token = common::token(&sim).await;
    let group = default_group(&base, &token).await;
    let (status, created) = create_instance(
        &base,
        &token,
        &json!({"name": "standby-ws", "target": "dal12", "resource_group": group["id"],
                "resource_plan_id": "f165dd34-3a40-423b-9d95-e90a23f724dd"}),
    )
    .await;
    assert_eq!(status, 202, "{created}");
    let guid = created["guid"].as_str().unwrap().to_owned();
    assert!(
        created["crn"]
            .as_str()
            .unwrap()
            .contains(":power-iaas:dal12:")
    );
    wait_for_state(&base, &token, &guid, "active").await;
    let (status, workspace) = get(&format!("{base}/power/v1/workspaces/{guid}"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(workspace["status"], "active");
    assert_eq!(workspace["details"]["crn"], created["crn"]);
    assert_eq!(workspace["location"]["region"], "dal12");

    let del =
        common::authed_delete(format!("{base}/rc/v2/resource_instances/{guid}"), &token).await;
    assert_eq!(del.status(), 202);
    let (status, _) = get(&format!("{base}/power/v1/workspaces/{guid}"), &token).await;
    assert_eq!(status, 404);
    sim.shutdown().await;
}

#[tokio::test]
async fn deleting_a_workspace_detaches_its_transit_gateway_connection() {
    let sim = common::start().await;
    let base = sim.url();
    let token = common::token(&sim).await;
    let instances = common::state_collection(&sim, "rc", "resource_instances").await;
    let primary = instances
        .iter()
        .find(|i| i["name"] == "slz-dal10-power-workspace")
        .unwrap();
    let crn = primary["crn"].as_str().unwrap();
    let connections = common::state_collection(&sim, "tg", "connections").await;
    assert!(
        connections
            .iter()
            .any(|c| c["network_id"] == crn && c["status"] != "detached"),
        "the scenario connects the primary workspace: {connections:?}"
    );
    let del = common::authed_delete(
        format!(
            "{base}/rc/v2/resource_instances/{}",
            primary["guid"].as_str().unwrap()
        ),
        &token,
    )
    .await;
    assert_eq!(del.status(), 202);
    let connections = common::state_collection(&sim, "tg", "connections").await;
    let conn = connections.iter().find(|c| c["network_id"] == crn).unwrap();
    assert_eq!(conn["status"], "detached");
    let networks = common::state_collection(&sim, "power", "networks").await;
    assert!(networks.iter().all(|n| {
        !n["crn"]
            .as_str()
            .unwrap_or_default()
            .contains(primary["guid"].as_str().unwrap())
    }));
    sim.shutdown().await;
}
