//! Transit Gateway behaviour of dr-cloudsim: version checks, pending -> attached, 409 for a
//! network already on a gateway, route reports with overlaps computed from real CIDRs, and
//! the detach that follows deleting a workspace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Api;

use std::time::Duration;

use dr_cloudsim::SimConfig;
use serde_json::{Value, json};

const V: &str = "version=2026-03-24";

/// Time runs 1000x faster, so attaching takes 30 ms instead of 30 s.
async fn tg() -> Api {
    Api::start(
        SimConfig {
            time_scale: 1000.0,
            ..SimConfig::default()
        },
        "",
        V,
    )
    .await
}

async fn workspace_crn(t: &Api, name: &str) -> (String, String) {
    let ws = common::state_collection(&t.sim, "power", "workspaces").await;
    let w = ws.iter().find(|w| w["name"] == name).expect("workspace");
    (
        w["id"].as_str().unwrap().to_owned(),
        w["details"]["crn"].as_str().unwrap().to_owned(),
    )
}

async fn gateway(t: &Api) -> String {
    let (_, list) = t.get("/tg/v1/transit_gateways").await;
    list["transit_gateways"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Polls a connection until its status is `want` (bounded).
async fn wait_status(t: &Api, gw: &str, id: &str, want: &str) -> Value {
    let never = format!("connection {id} never became {want}");
    common::poll(100, Duration::from_millis(20), &never, || async {
        let (_, c) = t
            .get(&format!("/tg/v1/transit_gateways/{gw}/connections/{id}"))
            .await;
        (c["status"] == want).then_some(c)
    })
    .await
}

#[tokio::test]
async fn version_is_required_and_errors_have_the_tg_shape() {
    let t = tg().await;
    let resp =
        common::authed_get(format!("{}/tg/v1/transit_gateways", t.sim.url()), &t.token).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "missing_version");
    assert!(body["trace"].is_string());
    let resp = common::plain_get(format!("{}/tg/v1/transit_gateways?{V}", t.sim.url())).await;
    assert_eq!(resp.status(), 401);
    let (status, body) = t.get("/tg/v1/transit_gateways/nope").await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (404, Some("not_found"))
    );
}

#[tokio::test]
async fn seeded_gateway_connects_vpc_and_primary_workspace() {
    let t = tg().await;
    let (status, list) = t.get("/tg/v1/transit_gateways").await;
    assert_eq!(status, 200);
    let gw = &list["transit_gateways"][0];
    assert_eq!(gw["name"], "slz-transit-gateway");
    assert_eq!(gw["status"], "available");
    assert_eq!(gw["connection_count"], 2);
    let (_, conns) = t
        .get(&format!(
            "/tg/v1/transit_gateways/{}/connections",
            gw["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(conns["total_count"], 2);
    let types: Vec<&str> = common::texts(&conns["connections"], "network_type");
    assert_eq!(types, ["vpc", "power_virtual_server"]);
    assert!(
        conns["connections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "attached")
    );
    let (primary_guid, primary_crn) = workspace_crn(&t, "slz-dal10-power-workspace").await;
    assert_eq!(conns["connections"][1]["network_id"], primary_crn);
    assert!(primary_crn.contains(&primary_guid));

    let (_, all) = t.get("/tg/v1/connections").await;
    assert_eq!(
        all["connections"][0]["transit_gateway"]["name"],
        "slz-transit-gateway"
    );
}

#[tokio::test]
async fn connections_attach_and_a_network_can_join_one_gateway_only() {
    let t = tg().await;
    let gw = gateway(&t).await;
    let (_, standby_crn) = workspace_crn(&t, "slz-dal12-power-workspace").await;

    let (status, body) = t
        .post(
            &format!("/tg/v1/transit_gateways/{gw}/connections"),
            json!({"network_type": "power_virtual_server", "network_id": standby_crn}),
        )
        .await;
    assert_eq!(status, 400, "PowerVS connections need a name: {body}");
    let (status, conn) = t
        .post(
            &format!("/tg/v1/transit_gateways/{gw}/connections"),
            json!({"network_type": "power_virtual_server", "network_id": standby_crn, "name": "standby-ws"}),
        )
        .await;
    assert_eq!(status, 201, "{conn}");
    assert_eq!(conn["status"], "pending");
    assert_eq!(conn["request_status"], "approved");
    let id = conn["id"].as_str().unwrap();
    let attached = wait_status(&t, &gw, id, "attached").await;
    assert_eq!(attached["name"], "standby-ws");

    // A second gateway cannot take a network the first one has.
    let (status, other) = t
        .post(
            "/tg/v1/transit_gateways",
            json!({"name": "second-gw", "location": "us-south"}),
        )
        .await;
    assert_eq!(status, 201, "{other}");
    let other_id = other["id"].as_str().unwrap();
    let (status, body) = t
        .post(
            &format!("/tg/v1/transit_gateways/{other_id}/connections"),
            json!({"network_type": "power_virtual_server", "network_id": standby_crn, "name": "again"}),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(
        body["errors"][0]["message"],
        "The requested network is already connected to an existing transit gateway."
    );
    let (status, _) = t
        .post(
            &format!("/tg/v1/transit_gateways/{other_id}/connections"),
            json!({"network_type": "power_virtual_server", "network_id": "crn:v1:bluemix:public:power-iaas:dal10:a/x:nope::", "name": "ghost"}),
        )
        .await;
    assert_eq!(status, 404);

    let (status, _) = t.delete(&format!("/tg/v1/transit_gateways/{gw}")).await;
    assert_eq!(status, 409, "a gateway with connections cannot be deleted");
    let (status, _) = t
        .delete(&format!("/tg/v1/transit_gateways/{gw}/connections/{id}"))
        .await;
    assert_eq!(status, 204);
    let (_, deleting) = t
        .get(&format!("/tg/v1/transit_gateways/{gw}/connections/{id}"))
        .await;
    assert!(deleting["status"] == "deleting" || deleting["errors"].is_array());
    for _ in 0..100 {
        if t.get(&format!("/tg/v1/transit_gateways/{gw}/connections/{id}"))
            .await
            .0
            == 404
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        t.get(&format!("/tg/v1/transit_gateways/{gw}/connections/{id}"))
            .await
            .0,
        404
    );
    assert_eq!(
        t.delete(&format!("/tg/v1/transit_gateways/{other_id}"))
            .await
            .0,
        204
    );
}

#[tokio::test]
async fn route_report_shows_real_overlaps() {
    let t = tg().await;
    let gw = gateway(&t).await;
    let (_, overlap_crn) = workspace_crn(&t, "overlap-dal13-power-workspace").await;
    let (status, conn) = t
        .post(
            &format!("/tg/v1/transit_gateways/{gw}/connections"),
            json!({"network_type": "power_virtual_server", "network_id": overlap_crn, "name": "overlap-ws"}),
        )
        .await;
    assert_eq!(status, 201);
    let overlap_id = conn["id"].as_str().unwrap().to_owned();
    wait_status(&t, &gw, &overlap_id, "attached").await;

    let (status, report) = t
        .post(
            &format!("/tg/v1/transit_gateways/{gw}/route_reports"),
            json!({}),
        )
        .await;
    assert_eq!(status, 202, "{report}");
    assert_eq!(report["status"], "pending");
    let report_path = format!(
        "/tg/v1/transit_gateways/{gw}/route_reports/{}",
        report["id"].as_str().unwrap()
    );
    let mut done = Value::Null;
    for _ in 0..100 {
        let (_, r) = t.get(&report_path).await;
        if r["status"] == "complete" {
            done = r;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(done["status"], "complete", "report completes");
    assert_eq!(done["connections"].as_array().unwrap().len(), 3);
    let vpc_routes: Vec<&str> = common::texts(&done["connections"][0]["routes"], "prefix");
    assert_eq!(
        vpc_routes,
        [
            "10.30.10.0/24",
            "10.30.20.0/24",
            "10.30.30.0/24",
            "10.30.40.0/24"
        ]
    );
    let groups = done["overlapping_routes"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{done}");
    let members = groups[0]["routes"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert!(members.iter().all(|m| m["prefix"] == "10.51.0.0/24"));
    assert!(
        members
            .iter()
            .any(|m| m["connection_id"] == overlap_id.as_str())
    );

    let (_, listed) = t
        .get(&format!("/tg/v1/transit_gateways/{gw}/route_reports"))
        .await;
    assert_eq!(listed["route_reports"].as_array().unwrap().len(), 1);
    assert_eq!(t.delete(&report_path).await.0, 204);
}

#[tokio::test]
async fn deleting_a_workspace_detaches_its_connection() {
    let t = tg().await;
    let gw = gateway(&t).await;
    let (primary_guid, primary_crn) = workspace_crn(&t, "slz-dal10-power-workspace").await;
    let resp = common::authed_delete(
        format!("{}/rc/v2/resource_instances/{primary_guid}", t.sim.url()),
        &t.token,
    )
    .await;
    assert_eq!(resp.status(), 202);
    let (_, conns) = t
        .get(&format!("/tg/v1/transit_gateways/{gw}/connections"))
        .await;
    let conn = common::find_by(&conns["connections"], "network_id", primary_crn.as_str())
        .expect("still listed")
        .clone();
    assert_eq!(conn["status"], "detached");
    let (_, g) = t.get(&format!("/tg/v1/transit_gateways/{gw}")).await;
    assert_eq!(g["connection_needs_attention"], true);
}
