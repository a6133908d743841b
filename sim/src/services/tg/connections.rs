//! Connections of a gateway to VPCs and PowerVS workspaces: accepted whatever their prefixes,
//! `pending` -> `attached` after a time-scaled delay; a network another gateway already holds
//! answers 409 with IBM's message.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::store::World;
use crate::util;

use super::gateways::{find_gateway, find_of_gateway, refresh_connection_count, show_of_gateway};
use super::{
    ALREADY_CONNECTED, CONNECTION_ATTACH, CONNECTION_DELETE, CONNECTIONS, NETWORK_TYPES, NameScope,
    SERVICE, TgError, TgResult, check_name_free, choice_field, name_field, page, patched, respond,
};
use super::{TgBody, TgRequest};

/// What a connectable network looks like to the gateway.
pub(super) struct Network {
    pub(super) crn: String,
    pub(super) name: String,
}

/// Finds the network a connection names: a VPC by CRN, or a PowerVS workspace (an active
/// `power-iaas` Resource Controller instance) by CRN.
fn find_network(world: &World, network_type: &str, crn: &str) -> Option<Network> {
    match network_type {
        "vpc" => world
            .find("vpc", "vpcs", |v| v["crn"].as_str() == Some(crn))
            .map(|v| Network {
                crn: crn.to_owned(),
                name: v["name"].as_str().unwrap_or_default().to_owned(),
            }),
        "power_virtual_server" => world
            .find("rc", "resource_instances", |i| {
                i["crn"].as_str() == Some(crn)
                    && i["_service"].as_str() == Some("power-iaas")
                    && i["state"].as_str() == Some("active")
            })
            .map(|i| Network {
                crn: crn.to_owned(),
                name: i["name"].as_str().unwrap_or_default().to_owned(),
            }),
        _ => None,
    }
}

/// Whether a connection still holds its network (a detached one no longer does).
fn holds_network(c: &Value) -> bool {
    !matches!(c["status"].as_str(), Some("detached" | "failed"))
}

pub(super) fn connection_object(
    world: &mut World,
    gateway: &Value,
    network_type: &str,
    network: &Network,
    name: &str,
    now_ms: u64,
) -> (String, Value) {
    let id = world.new_id();
    let now = util::rfc3339(now_ms);
    let c = json!({
        "id": id,
        "name": name,
        "network_type": network_type,
        "network_id": network.crn,
        "status": "pending",
        "request_status": "approved",
        "prefix_filters": [],
        "prefix_filters_default": "permit",
        "created_at": now,
        "updated_at": now,
        "_gateway_id": gateway["id"],
        "_gateway": {"crn": gateway["crn"], "id": gateway["id"], "name": gateway["name"]},
    });
    (id, c)
}

const CONNECTION: &str = "Transit gateway connection";

fn find_connection<'a>(world: &'a World, gateway_id: &str, id: &str) -> Result<&'a Value, TgError> {
    find_of_gateway(world, CONNECTIONS, CONNECTION, gateway_id, id)
}

pub(super) async fn list_connections(Path(id): Path<String>, request: TgRequest) -> TgResult {
    let world = request.sim.world().await;
    find_gateway(&world, &id)?;
    let items: Vec<Value> = world
        .list(SERVICE, CONNECTIONS)
        .filter(|c| c["_gateway_id"].as_str() == Some(id.as_str()))
        .filter(|c| {
            request
                .params
                .get("name")
                .is_none_or(|n| c["name"].as_str() == Some(n))
        })
        .cloned()
        .collect();
    let body = page(
        &request,
        &format!("/transit_gateways/{id}/connections"),
        "connections",
        items,
        true,
    )?;
    Ok(respond(StatusCode::OK, &body))
}

/// `GET /connections`: every connection of every gateway, each with its gateway reference.
pub(super) async fn list_all_connections(request: TgRequest) -> TgResult {
    let world = request.sim.world().await;
    let items: Vec<Value> = world
        .list(SERVICE, CONNECTIONS)
        .filter(|c| {
            request
                .params
                .get("network_id")
                .is_none_or(|n| c["network_id"].as_str() == Some(n))
        })
        .map(|c| {
            let mut view = c.clone();
            view["transit_gateway"] = c["_gateway"].clone();
            view
        })
        .collect();
    let body = page(&request, "/connections", "connections", items, false)?;
    Ok(respond(StatusCode::OK, &body))
}

pub(super) async fn create_connection(
    Path(gateway_id): Path<String>,
    TgRequest { sim, .. }: TgRequest,
    TgBody { body, .. }: TgBody,
) -> TgResult {
    let network_type = choice_field(&body, "network_type", NETWORK_TYPES, "invalid_network_type")?;
    if network_type != "vpc" && network_type != "power_virtual_server" {
        return Err(TgError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_network_type",
            format!(
                "network_type {network_type} is not available in this emulated account (only vpc and power_virtual_server)."
            ),
        ));
    }
    let network_id = body
        .get("network_id")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            TgError::field(
                "missing_field",
                "network_id",
                format!("network_id is required for network_type {network_type}."),
            )
        })?
        .to_owned();
    // PowerVS connections need a name; VPC ones default to the VPC's name.
    let name = name_field(&body, network_type == "power_virtual_server")?;
    if body.get("network_account_id").is_some() {
        return Err(TgError::field(
            "invalid_network_account_id",
            "network_account_id",
            "Cross-account connections are not available in this emulated account.",
        ));
    }
    let attached_at = sim.deadline_after(CONNECTION_ATTACH);
    let mut world = sim.world().await;
    let gateway = find_gateway(&world, &gateway_id)?.clone();
    let network = find_network(&world, &network_type, &network_id).ok_or_else(|| {
        TgError::new(
            StatusCode::NOT_FOUND,
            "network_not_found",
            format!("The {network_type} network {network_id} was not found in this account."),
        )
    })?;
    if world
        .find(SERVICE, CONNECTIONS, |c| {
            c["network_id"].as_str() == Some(network_id.as_str()) && holds_network(c)
        })
        .is_some()
    {
        return Err(TgError::new(
            StatusCode::CONFLICT,
            "network_already_connected",
            ALREADY_CONNECTED,
        ));
    }
    let name = name.unwrap_or_else(|| network.name.clone());
    check_name_free(&world, NameScope::ConnectionsOf(&gateway_id), &name, None)?;
    let (id, mut c) = connection_object(
        &mut world,
        &gateway,
        &network_type,
        &network,
        &name,
        sim.now_ms(),
    );
    c["_attached_at"] = json!(attached_at);
    world.insert(SERVICE, CONNECTIONS, &id, c.clone());
    refresh_connection_count(&mut world, &gateway_id);
    Ok(respond(StatusCode::CREATED, &c))
}

pub(super) async fn get_connection(
    Path((gateway_id, id)): Path<(String, String)>,
    TgRequest { sim, .. }: TgRequest,
) -> TgResult {
    show_of_gateway(&sim, CONNECTIONS, CONNECTION, &gateway_id, &id).await
}

pub(super) async fn update_connection(
    Path((gateway_id, id)): Path<(String, String)>,
    TgRequest { sim, .. }: TgRequest,
    TgBody { body, .. }: TgBody,
) -> TgResult {
    let name = name_field(&body, false)?;
    let default = match body.get("prefix_filters_default") {
        None => None,
        Some(Value::String(d)) if d == "permit" || d == "deny" => Some(d.clone()),
        Some(_) => {
            return Err(TgError::field(
                "invalid_field",
                "prefix_filters_default",
                "prefix_filters_default must be permit or deny.",
            ));
        }
    };
    let now = sim.now_rfc3339();
    let mut world = sim.world().await;
    find_connection(&world, &gateway_id, &id)?;
    let scope = NameScope::ConnectionsOf(&gateway_id);
    patched(&mut world, scope, &id, name, now, |c| {
        if let Some(d) = default {
            c["prefix_filters_default"] = json!(d);
        }
    })
}

pub(super) async fn delete_connection(
    Path((gateway_id, id)): Path<(String, String)>,
    TgRequest { sim, .. }: TgRequest,
) -> TgResult {
    let removed_at = sim.deadline_after(CONNECTION_DELETE);
    let now = sim.now_rfc3339();
    let mut world = sim.world().await;
    let status = find_connection(&world, &gateway_id, &id)?["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if status == "deleting" {
        return Err(TgError::new(
            StatusCode::CONFLICT,
            "connection_deleting",
            "The connection is already being deleted.",
        ));
    }
    if let Some(c) = world.get_mut(SERVICE, CONNECTIONS, &id)
        && let Some(obj) = c.as_object_mut()
    {
        obj.remove("_attached_at");
        obj.insert("status".into(), json!("deleting"));
        obj.insert("updated_at".into(), json!(now));
        obj.insert("_removed_at".into(), json!(removed_at));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
