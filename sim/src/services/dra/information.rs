//! Read-only information endpoints: GRS location pairs, DR locations, machine types and the
//! PowerVS workspaces a DR instance may use.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use serde_json::{Map, Value, json};

use super::{
    Caller, DEPLOYMENTS, DraError, DraResult, POWER, Params, SERVICE, WORKSPACES, guid_of,
    machine_types_of, ok, paired_zone, workspace, workspace_by_name, workspace_zone,
};

/// A query parameter the endpoint cannot do without (empty counts as missing).
fn required_param<'a>(
    params: &'a HashMap<String, String>,
    name: &str,
) -> Result<&'a String, DraError> {
    params
        .get(name)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| DraError::bad_request(format!("query parameter {name} is required")))
}

pub(super) async fn grs_location_pairs(Path(id): Path<String>, caller: Caller) -> DraResult {
    let (world, instance) = caller.instance(&id).await?;
    let guid = guid_of(&instance);
    let mut zones: Vec<String> = Vec::new();
    for vm in crate::services::ksys::managed_vms(&world, &guid) {
        for ws in [&vm.home_workspace, &vm.target_workspace] {
            if let Some(w) = workspace(&world, ws) {
                zones.push(workspace_zone(w));
            }
        }
    }
    if let Some(d) = world.get(SERVICE, DEPLOYMENTS, &guid)
        && let Some(loc) = d["location_id"].as_str()
    {
        zones.push(loc.to_owned());
    }
    let pairs: Map<String, Value> = zones
        .iter()
        .filter_map(|z| paired_zone(z).map(|p| (z.clone(), json!(p))))
        .collect();
    Ok(ok(&json!({"location_pairs": pairs})))
}

pub(super) async fn dr_locations(Path(id): Path<String>, caller: Caller) -> DraResult {
    let (world, _instance) = caller.instance(&id).await?;
    let mut zones: Vec<String> = world
        .list(POWER, WORKSPACES)
        .map(workspace_zone)
        .filter(|z| !z.is_empty())
        .collect();
    zones.sort();
    zones.dedup();
    let locations: Vec<Value> = zones.iter().map(|z| json!({"id": z, "name": z})).collect();
    Ok(ok(&json!({"dr_locations": locations})))
}

pub(super) async fn machine_types(
    Path(id): Path<String>,
    Query(params): Params,
    caller: Caller,
) -> DraResult {
    let primary = required_param(&params, "primary_workspace_name")?;
    let (world, _instance) = caller.instance(&id).await?;
    let mut out = Map::new();
    for name in std::iter::once(primary).chain(
        params
            .get("standby_workspace_name")
            .filter(|s| !s.is_empty()),
    ) {
        let ws = workspace_by_name(&world, name).ok_or_else(|| {
            DraError::not_found(format!("PowerVS workspace named {name} was not found"))
        })?;
        out.insert(name.clone(), json!(machine_types_of(ws)));
    }
    Ok(ok(&json!({"workspaces": out})))
}

fn dr_workspace_view(ws: &Value, default: Option<bool>) -> Value {
    let mut view = json!({
        "details": {"crn": ws["details"]["crn"]},
        "id": ws["id"],
        "location": {
            "region": workspace_zone(ws),
            "type": ws["location"]["type"].as_str().unwrap_or("data-center"),
            "url": ws["location"]["url"],
        },
        "name": ws["name"],
        "status": ws["status"],
    });
    if let Some(d) = default {
        view["default"] = json!(d);
    }
    view
}

pub(super) async fn powervs_workspaces(
    Path(id): Path<String>,
    Query(params): Params,
    caller: Caller,
) -> DraResult {
    let location = required_param(&params, "location_id")?.clone();
    let (world, _instance) = caller.instance(&id).await?;
    let region = crate::services::power::region_of_zone(&location);
    let primaries: Vec<Value> = world
        .list(POWER, WORKSPACES)
        .filter(|w| workspace_zone(w) == location)
        .enumerate()
        .map(|(i, w)| dr_workspace_view(w, Some(i == 0)))
        .collect();
    let standbys: Vec<Value> = world
        .list(POWER, WORKSPACES)
        .filter(|w| {
            let z = workspace_zone(w);
            z != location && crate::services::power::region_of_zone(&z) == region
        })
        .map(|w| dr_workspace_view(w, None))
        .collect();
    let body = json!({
        "dr_standby_workspace_description": format!("PowerVS workspaces in region {region} outside {location}, usable for the standby orchestrator."),
        "dr_standby_workspaces": standbys,
        "dr_workspace_description": format!("PowerVS workspaces in {location}, usable for the primary orchestrator."),
        "dr_workspaces": primaries,
    });
    Ok(ok(&body))
}
