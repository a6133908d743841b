//! Route reports: `overlapping_routes` computed from the real CIDRs of the attached networks,
//! because the real service accepts overlapping prefixes silently and only reports them here.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ipnet::Ipv4Net;
use serde_json::{Value, json};

use crate::store::{World, public_view};
use crate::util;

use super::TgRequest;
use super::gateways::{find_gateway, find_of_gateway, show_of_gateway};
use super::{
    CONNECTIONS, ROUTE_REPORT_GENERATION, ROUTE_REPORTS, SERVICE, TgError, TgResult, respond,
};

/// The prefixes a network advertises to the gateway: a VPC's address prefixes, a PowerVS
/// workspace's subnets.
fn network_routes(world: &World, network_type: &str, crn: &str) -> Vec<String> {
    match network_type {
        "vpc" => {
            let Some(vpc_id) = world
                .find("vpc", "vpcs", |v| v["crn"].as_str() == Some(crn))
                .and_then(|v| v["id"].as_str())
            else {
                return Vec::new();
            };
            world
                .list("vpc", "address_prefixes")
                .filter(|p| p["_vpc_id"].as_str() == Some(vpc_id))
                .filter_map(|p| p["cidr"].as_str().map(str::to_owned))
                .collect()
        }
        "power_virtual_server" => {
            let Some(guid) = util::guid_of_crn(crn) else {
                return Vec::new();
            };
            world
                .list(
                    crate::services::power::SERVICE,
                    crate::services::power::NETWORKS,
                )
                .filter(|n| n[crate::services::power::OWNER].as_str() == Some(guid))
                .filter_map(|n| n["cidr"].as_str().map(str::to_owned))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The report body: each attached connection with its routes, and every group of routes
/// from different connections that overlap (`0.0.0.0/0` is ignored, as IBM does).
pub(super) fn compute_report(world: &World, gateway_id: &str) -> Value {
    let mut connections = Vec::new();
    let mut routes: Vec<(String, Ipv4Net, String)> = Vec::new();
    for c in world.list(SERVICE, CONNECTIONS).filter(|c| {
        c["_gateway_id"].as_str() == Some(gateway_id) && c["status"].as_str() == Some("attached")
    }) {
        let network_type = c["network_type"].as_str().unwrap_or_default();
        let id = c["id"].as_str().unwrap_or_default().to_owned();
        let prefixes = network_routes(
            world,
            network_type,
            c["network_id"].as_str().unwrap_or_default(),
        );
        for p in &prefixes {
            if let Ok(net) = p.parse::<Ipv4Net>()
                && net.prefix_len() > 0
            {
                routes.push((id.clone(), net.trunc(), p.clone()));
            }
        }
        connections.push(json!({
            "id": id,
            "name": c["name"],
            "type": network_type,
            "routes": prefixes.iter().map(|p| json!({"prefix": p})).collect::<Vec<_>>(),
            "bgps": [],
        }));
    }
    // Union-find over overlapping routes of different connections.
    let mut parent: Vec<usize> = (0..routes.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut overlapping = vec![false; routes.len()];
    for i in 0..routes.len() {
        for j in (i + 1)..routes.len() {
            let (a, b) = (&routes[i], &routes[j]);
            if a.0 != b.0 && (a.1.contains(&b.1.network()) || b.1.contains(&a.1.network())) {
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                parent[ri] = rj;
                overlapping[i] = true;
                overlapping[j] = true;
            }
        }
    }
    let mut groups: Vec<(usize, Vec<Value>)> = Vec::new();
    for i in (0..routes.len()).filter(|i| overlapping[*i]) {
        let r = root(&mut parent, i);
        let entry = json!({"connection_id": routes[i].0, "prefix": routes[i].2});
        match groups.iter_mut().find(|(g, _)| *g == r) {
            Some((_, members)) => members.push(entry),
            None => groups.push((r, vec![entry])),
        }
    }
    let overlapping_routes: Vec<Value> = groups
        .into_iter()
        .map(|(_, members)| json!({"routes": members}))
        .collect();
    json!({"connections": connections, "overlapping_routes": overlapping_routes})
}

const REPORT: &str = "Route report";

pub(super) async fn create_route_report(
    Path(gateway_id): Path<String>,
    TgRequest { sim, .. }: TgRequest,
) -> TgResult {
    let complete_at = sim.deadline_after(ROUTE_REPORT_GENERATION);
    let now = sim.now_rfc3339();
    let mut world = sim.world().await;
    find_gateway(&world, &gateway_id)?;
    if world
        .find(SERVICE, ROUTE_REPORTS, |r| {
            r["_gateway_id"].as_str() == Some(gateway_id.as_str())
                && r["status"].as_str() == Some("pending")
        })
        .is_some()
    {
        return Err(TgError::new(
            StatusCode::CONFLICT,
            "route_report_pending",
            "A route report for this gateway is already being generated.",
        ));
    }
    // The routes are captured now; the report shows them once generation completes.
    let result = compute_report(&world, &gateway_id);
    let id = world.new_id();
    let report = json!({
        "id": id,
        "status": "pending",
        "connections": [],
        "overlapping_routes": [],
        "created_at": now,
        "updated_at": now,
        "_gateway_id": gateway_id,
        "_complete_at": complete_at,
        "_result": result,
    });
    world.insert(SERVICE, ROUTE_REPORTS, &id, report.clone());
    Ok(respond(StatusCode::ACCEPTED, &report))
}

pub(super) async fn list_route_reports(
    Path(gateway_id): Path<String>,
    TgRequest { sim, .. }: TgRequest,
) -> TgResult {
    let world = sim.world().await;
    find_gateway(&world, &gateway_id)?;
    let reports: Vec<Value> = world
        .list(SERVICE, ROUTE_REPORTS)
        .filter(|r| r["_gateway_id"].as_str() == Some(gateway_id.as_str()))
        .map(public_view)
        .collect();
    Ok(respond(StatusCode::OK, &json!({"route_reports": reports})))
}

pub(super) async fn get_route_report(
    Path((gateway_id, id)): Path<(String, String)>,
    TgRequest { sim, .. }: TgRequest,
) -> TgResult {
    show_of_gateway(&sim, ROUTE_REPORTS, REPORT, &gateway_id, &id).await
}

pub(super) async fn delete_route_report(
    Path((gateway_id, id)): Path<(String, String)>,
    TgRequest { sim, .. }: TgRequest,
) -> TgResult {
    let mut world = sim.world().await;
    find_of_gateway(&world, ROUTE_REPORTS, REPORT, &gateway_id, &id)?;
    world.remove(SERVICE, ROUTE_REPORTS, &id);
    Ok(StatusCode::NO_CONTENT.into_response())
}
