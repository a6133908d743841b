//! Gateways and the location list: a create provisions after a time-scaled delay, a delete
//! refuses while connections remain, as IBM does.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::services::kit::pick_resource_group;
use crate::store::World;
use crate::util;

use super::{
    CONNECTIONS, GATEWAY_PROVISIONING, GATEWAYS, LOCATIONS, NameScope, ROUTE_REPORTS, SERVICE,
    TgError, TgResult, bool_field, check_name_free, choice_field, name_field, page, patched,
    respond,
};
use super::{TgBody, TgRequest};
use crate::sim::Sim;

pub(super) fn find_gateway<'a>(world: &'a World, id: &str) -> Result<&'a Value, TgError> {
    world
        .get(SERVICE, GATEWAYS, id)
        .ok_or_else(|| TgError::not_found("Transit gateway", id))
}

/// An object of `collection` (connections, route reports) of gateway `gateway_id`, or the
/// 404 naming `what`.
pub(super) fn find_of_gateway<'a>(
    world: &'a World,
    collection: &str,
    what: &str,
    gateway_id: &str,
    id: &str,
) -> Result<&'a Value, TgError> {
    find_gateway(world, gateway_id)?;
    world
        .get(SERVICE, collection, id)
        .filter(|o| o["_gateway_id"].as_str() == Some(gateway_id))
        .ok_or_else(|| TgError::not_found(what, id))
}

/// The `GET` of one object of a gateway (see [`find_of_gateway`]).
pub(super) async fn show_of_gateway(
    sim: &Sim,
    collection: &str,
    what: &str,
    gateway_id: &str,
    id: &str,
) -> TgResult {
    let world = sim.world().await;
    let object = find_of_gateway(&world, collection, what, gateway_id, id)?;
    Ok(respond(StatusCode::OK, object))
}

pub(super) fn refresh_connection_count(world: &mut World, gateway_id: &str) {
    let conns: Vec<&Value> = world
        .list(SERVICE, CONNECTIONS)
        .filter(|c| c["_gateway_id"].as_str() == Some(gateway_id))
        .collect();
    let count = conns.len();
    let attention = conns.iter().any(|c| {
        matches!(
            c["status"].as_str(),
            Some("detached" | "failed" | "suspended")
        )
    });
    if let Some(g) = world.get_mut(SERVICE, GATEWAYS, gateway_id) {
        g["connection_count"] = json!(count);
        g["connection_needs_attention"] = json!(attention);
    }
}

/// A resource group reference `{id, href}` (by id, else the default group).
pub(super) fn resource_group_ref(world: &World, wanted: Option<&str>) -> Option<Value> {
    let groups: Vec<&Value> = world.list("rc", "resource_groups").collect();
    let g = pick_resource_group(&groups, wanted)?;
    let id = g["id"].as_str()?;
    Some(
        json!({"id": id, "href": format!("https://resource-controller.cloud.ibm.com/v2/resource_groups/{id}")}),
    )
}

#[allow(clippy::too_many_arguments)]
pub(super) fn insert_gateway(
    world: &mut World,
    account: &str,
    name: &str,
    location: &str,
    global: bool,
    resource_group: Value,
    status: &str,
    now_ms: u64,
) -> String {
    let id = world.new_id();
    let now = util::rfc3339(now_ms);
    let gw = json!({
        "id": id,
        "crn": format!("crn:v1:bluemix:public:transit:{location}:a/{account}::gateway:{id}"),
        "name": name,
        "location": location,
        "global": global,
        "gre_enhanced_route_propagation": false,
        "status": status,
        "created_at": now,
        "updated_at": now,
        "resource_group": resource_group,
        "connection_count": 0,
        "connection_needs_attention": false,
    });
    world.insert(SERVICE, GATEWAYS, &id, gw);
    id
}

pub(super) async fn list_gateways(request: TgRequest) -> TgResult {
    let world = request.sim.world().await;
    let items: Vec<Value> = world.list(SERVICE, GATEWAYS).cloned().collect();
    let body = page(
        &request,
        "/transit_gateways",
        "transit_gateways",
        items,
        false,
    )?;
    Ok(respond(StatusCode::OK, &body))
}

pub(super) async fn create_gateway(
    TgRequest { sim, .. }: TgRequest,
    TgBody { body, .. }: TgBody,
) -> TgResult {
    let name = name_field(&body, true)?.unwrap_or_default();
    let location = choice_field(&body, "location", LOCATIONS, "invalid_location")?;
    let global = bool_field(&body, "global")?.unwrap_or(false);
    let available_at = sim.deadline_after(GATEWAY_PROVISIONING);
    let mut world = sim.world().await;
    if !world.has_room(SERVICE, GATEWAYS) {
        return Err(TgError::new(
            StatusCode::FORBIDDEN,
            "quota_exceeded",
            "The transit gateway quota is reached.",
        ));
    }
    check_name_free(&world, NameScope::Gateways, &name, None)?;
    let rg = match body.get("resource_group").map(|r| r["id"].as_str()) {
        Some(Some(id)) => resource_group_ref(&world, Some(id)).ok_or_else(|| {
            TgError::field(
                "invalid_resource_group",
                "resource_group.id",
                format!("Resource group {id} was not found."),
            )
        })?,
        Some(None) => {
            return Err(TgError::field(
                "missing_field",
                "resource_group.id",
                "resource_group.id is required.",
            ));
        }
        None => {
            resource_group_ref(&world, None).unwrap_or_else(|| json!({"id": "default", "href": ""}))
        }
    };
    let account = sim.account_id().to_owned();
    let id = insert_gateway(
        &mut world,
        &account,
        &name,
        &location,
        global,
        rg,
        "pending",
        sim.now_ms(),
    );
    if let Some(g) = world.get_mut(SERVICE, GATEWAYS, &id) {
        g["_available_at"] = json!(available_at);
    }
    let gw = find_gateway(&world, &id)?.clone();
    Ok(respond(StatusCode::CREATED, &gw))
}

pub(super) async fn get_gateway(
    Path(id): Path<String>,
    TgRequest { sim, .. }: TgRequest,
) -> TgResult {
    let world = sim.world().await;
    Ok(respond(StatusCode::OK, find_gateway(&world, &id)?))
}

pub(super) async fn update_gateway(
    Path(id): Path<String>,
    TgRequest { sim, .. }: TgRequest,
    TgBody { body, .. }: TgBody,
) -> TgResult {
    let name = name_field(&body, false)?;
    let global = bool_field(&body, "global")?;
    let now = sim.now_rfc3339();
    let mut world = sim.world().await;
    find_gateway(&world, &id)?;
    patched(&mut world, NameScope::Gateways, &id, name, now, |gw| {
        if let Some(g) = global {
            gw["global"] = json!(g);
        }
    })
}

pub(super) async fn delete_gateway(
    Path(id): Path<String>,
    TgRequest { sim, .. }: TgRequest,
) -> TgResult {
    let mut world = sim.world().await;
    find_gateway(&world, &id)?;
    if world
        .find(SERVICE, CONNECTIONS, |c| {
            c["_gateway_id"].as_str() == Some(id.as_str())
        })
        .is_some()
    {
        return Err(TgError::new(
            StatusCode::CONFLICT,
            "gateway_has_connections",
            "The transit gateway still has connections; delete them first.",
        ));
    }
    world.remove(SERVICE, GATEWAYS, &id);
    for r in world.ids_where(SERVICE, ROUTE_REPORTS, |r| {
        r["_gateway_id"].as_str() == Some(id.as_str())
    }) {
        world.remove(SERVICE, ROUTE_REPORTS, &r);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn list_locations(_: TgRequest) -> TgResult {
    let locations: Vec<Value> = LOCATIONS
        .iter()
        .map(|l| json!({"billing_location": if l.starts_with("us") || l.starts_with("ca") || l.starts_with("br") { "us" } else if l.starts_with("eu") { "eu" } else { "ap" }, "name": l, "type": "region"}))
        .collect();
    Ok(respond(StatusCode::OK, &json!({"locations": locations})))
}
