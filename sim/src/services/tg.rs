//! Transit Gateway (`/tg/v1/...`): gateways, their connections and route reports.
//!
//! The DR standby workspace must reach the VPC through the gateway, and the provider's
//! overlap check exists because the real service accepts overlapping prefixes silently and
//! only reports them in route reports. So the emulator behaves the same way: connections
//! are accepted whatever their prefixes, go `pending` -> `attached` after a time-scaled
//! delay, and a route report computes `overlapping_routes` from the real CIDRs of the
//! attached networks (the VPC's address prefixes, the PowerVS workspace's subnets).
//! Attaching a network that another gateway already has answers 409 with IBM's message.
//!
//! Every call needs a bearer token and the `version` query parameter (`YYYY-MM-DD`).
//! Object `href`s use the real endpoint; pagination links use the host the client called.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ipnet::Ipv4Net;
use serde_json::{Map, Value, json};

use crate::scenario::Scenario;
use crate::sim::Sim;
use crate::store::{World, public_view};
use crate::util;

const SERVICE: &str = "tg";
const GATEWAYS: &str = "gateways";
const CONNECTIONS: &str = "connections";
const ROUTE_REPORTS: &str = "route_reports";

/// Real-cloud durations (divided by `--time-scale`).
const GATEWAY_PROVISIONING: Duration = Duration::from_secs(20);
const CONNECTION_ATTACH: Duration = Duration::from_secs(30);
const CONNECTION_DELETE: Duration = Duration::from_secs(10);
const ROUTE_REPORT_GENERATION: Duration = Duration::from_secs(5);

const DEFAULT_PAGE_LIMIT: usize = 50;
const MAX_PAGE_LIMIT: usize = 50;

const NETWORK_TYPES: &[&str] = &[
    "classic",
    "directlink",
    "gre_tunnel",
    "power_virtual_server",
    "redundant_gre",
    "unbound_gre_tunnel",
    "vpc",
    "vpn_gateway",
];

/// Locations a gateway may be created in (the multi-zone regions).
const LOCATIONS: &[&str] = &[
    "us-south", "us-east", "ca-tor", "ca-mon", "br-sao", "eu-de", "eu-gb", "eu-es", "jp-tok",
    "jp-osa", "au-syd", "in-che",
];

/// IBM's message when a network is already on a gateway (TFP issue #5482).
const ALREADY_CONNECTED: &str =
    "The requested network is already connected to an existing transit gateway.";

pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route(
            "/v1/transit_gateways",
            get(list_gateways).post(create_gateway),
        )
        .route(
            "/v1/transit_gateways/{id}",
            get(get_gateway)
                .patch(update_gateway)
                .delete(delete_gateway),
        )
        .route("/v1/connections", get(list_all_connections))
        .route("/v1/locations", get(list_locations))
        .route(
            "/v1/transit_gateways/{id}/connections",
            get(list_connections).post(create_connection),
        )
        .route(
            "/v1/transit_gateways/{id}/connections/{connection_id}",
            get(get_connection)
                .patch(update_connection)
                .delete(delete_connection),
        )
        .route(
            "/v1/transit_gateways/{id}/route_reports",
            get(list_route_reports).post(create_route_report),
        )
        .route(
            "/v1/transit_gateways/{id}/route_reports/{report_id}",
            get(get_route_report).delete(delete_route_report),
        )
}

/// Applies due transitions: gateways become available, connections attached, deleted
/// connections disappear, route reports complete.
pub fn advance(world: &mut World, now_ms: u64) {
    let due = |o: &Value, key: &str| o[key].as_u64().is_some_and(|t| t <= now_ms);
    for id in world.ids_where(SERVICE, GATEWAYS, |g| due(g, "_available_at")) {
        if let Some(g) = world.get_mut(SERVICE, GATEWAYS, &id)
            && let Some(obj) = g.as_object_mut()
            && let Some(at) = obj.remove("_available_at").and_then(|v| v.as_u64())
        {
            obj.insert("status".into(), json!("available"));
            obj.insert("updated_at".into(), json!(util::rfc3339(at)));
        }
    }
    for id in world.ids_where(SERVICE, CONNECTIONS, |c| due(c, "_attached_at")) {
        if let Some(c) = world.get_mut(SERVICE, CONNECTIONS, &id)
            && let Some(obj) = c.as_object_mut()
            && let Some(at) = obj.remove("_attached_at").and_then(|v| v.as_u64())
            && obj.get("status").and_then(Value::as_str) == Some("pending")
        {
            obj.insert("status".into(), json!("attached"));
            obj.insert("updated_at".into(), json!(util::rfc3339(at)));
        }
    }
    let removed = world.ids_where(SERVICE, CONNECTIONS, |c| due(c, "_removed_at"));
    for id in &removed {
        if let Some(c) = world.remove(SERVICE, CONNECTIONS, id)
            && let Some(gw) = c["_gateway_id"].as_str()
        {
            refresh_connection_count(world, gw);
        }
    }
    for id in world.ids_where(SERVICE, ROUTE_REPORTS, |r| due(r, "_complete_at")) {
        if let Some(r) = world.get_mut(SERVICE, ROUTE_REPORTS, &id)
            && let Some(obj) = r.as_object_mut()
            && let Some(at) = obj.remove("_complete_at").and_then(|v| v.as_u64())
        {
            let result = obj.remove("_result").unwrap_or_else(|| json!({}));
            obj.insert("connections".into(), result["connections"].clone());
            obj.insert(
                "overlapping_routes".into(),
                result["overlapping_routes"].clone(),
            );
            obj.insert("status".into(), json!("complete"));
            obj.insert("updated_at".into(), json!(util::rfc3339(at)));
        }
    }
}

/// A network (PowerVS workspace, VPC) with this CRN was deleted: its connections become
/// `detached` and stay listed until the user deletes them, as on IBM Cloud.
pub fn on_network_deleted(world: &mut World, network_crn: &str, now_ms: u64) {
    for id in world.ids_where(SERVICE, CONNECTIONS, |c| {
        c["network_id"].as_str() == Some(network_crn)
    }) {
        if let Some(c) = world.get_mut(SERVICE, CONNECTIONS, &id)
            && let Some(obj) = c.as_object_mut()
        {
            obj.remove("_attached_at");
            obj.insert("status".into(), json!("detached"));
            obj.insert("updated_at".into(), json!(util::rfc3339(now_ms)));
        }
        if let Some(gw) = world
            .get(SERVICE, CONNECTIONS, &id)
            .and_then(|c| c["_gateway_id"].as_str())
            .map(str::to_owned)
        {
            refresh_connection_count(world, &gw);
        }
    }
}

/// The Transit Gateway error body.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let code = match status.as_u16() {
        401 => "not_authorized",
        404 => "not_found",
        409 => "conflict",
        429 => "rate_limit_exceeded",
        s if s >= 500 => "internal_error",
        _ => "bad_request",
    };
    TgError::new(status, code, message).into_response()
}

// ---------------------------------------------------------------------------------------
// Errors and request checks

#[derive(Debug)]
struct TgError {
    status: StatusCode,
    code: &'static str,
    message: String,
    target: Option<(String, &'static str)>,
}

impl TgError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        TgError {
            status,
            code,
            message: message.into(),
            target: None,
        }
    }

    fn field(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        TgError {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
            target: Some((field.to_owned(), "field")),
        }
    }

    fn not_found(what: &str, id: &str) -> Self {
        TgError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found: {id}"),
        )
    }
}

impl IntoResponse for TgError {
    fn into_response(self) -> Response {
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "more_info": "https://cloud.ibm.com/docs/transit-gateway?topic=transit-gateway-troubleshooting",
        });
        if let Some((name, kind)) = self.target {
            error["target"] = json!({"name": name, "type": kind});
        }
        let trace = format!("{:032x}", rand::random::<u128>());
        (
            self.status,
            axum::Json(json!({"errors": [error], "trace": trace})),
        )
            .into_response()
    }
}

type TgResult = Result<Response, TgError>;
type Params = Query<HashMap<String, String>>;

fn check_request(
    sim: &Sim,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<(), TgError> {
    sim.authenticate(headers)
        .map_err(|e| TgError::new(StatusCode::UNAUTHORIZED, "not_authorized", e.to_string()))?;
    match params.get("version") {
        Some(v) if super::vpc::is_version_date(v) => Ok(()),
        Some(_) => Err(TgError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_version",
            message: "The version query parameter must be a date in the format YYYY-MM-DD.".into(),
            target: Some(("version".into(), "query")),
        }),
        None => Err(TgError {
            status: StatusCode::BAD_REQUEST,
            code: "missing_version",
            message: "The version query parameter is required.".into(),
            target: Some(("version".into(), "query")),
        }),
    }
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, TgError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(TgError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "The request body must be a JSON object.",
        )),
    }
}

fn request_base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}/tg/v1")
}

/// Gateway and connection names: 1-63 characters of letters, digits, `-`, `_` and spaces.
fn valid_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' '))
}

fn name_field(body: &Map<String, Value>, required: bool) -> Result<Option<String>, TgError> {
    match body.get("name") {
        None | Some(Value::Null) if required => {
            Err(TgError::field("missing_field", "name", "name is required."))
        }
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if valid_name(s) => Ok(Some(s.clone())),
        Some(_) => Err(TgError::field(
            "invalid_name",
            "name",
            "name must be 1-63 characters: letters, digits, hyphens, underscores or spaces.",
        )),
    }
}

/// One page of `items` with `first`/`next` links; `start` tokens are object ids.
fn page(
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    path: &str,
    key: &str,
    items: Vec<Value>,
    with_total: bool,
) -> Result<Value, TgError> {
    let limit = match params.get("limit") {
        None => DEFAULT_PAGE_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_LIMIT).contains(n))
            .ok_or_else(|| {
                TgError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_limit",
                    format!("limit must be between 1 and {MAX_PAGE_LIMIT}."),
                )
            })?,
    };
    let start_index = match params.get("start") {
        None => 0,
        Some(s) => items
            .iter()
            .position(|i| i["id"].as_str() == Some(s.as_str()))
            .ok_or_else(|| {
                TgError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_start",
                    "start is not a valid page token.",
                )
            })?,
    };
    let version = params.get("version").cloned().unwrap_or_default();
    let base = request_base(headers);
    let link = |start: Option<&str>| match start {
        Some(s) => format!("{base}{path}?version={version}&limit={limit}&start={s}"),
        None => format!("{base}{path}?version={version}&limit={limit}"),
    };
    let total = items.len();
    let page_items: Vec<Value> = items
        .iter()
        .skip(start_index)
        .take(limit)
        .map(public_view)
        .collect();
    let mut body = json!({"first": {"href": link(None)}, "limit": limit, key: page_items});
    if with_total {
        body["total_count"] = json!(total);
    }
    if let Some(next_id) = items
        .get(start_index + limit)
        .and_then(|n| n["id"].as_str())
    {
        body["next"] = json!({"href": link(Some(next_id)), "start": next_id});
    }
    Ok(body)
}

fn respond(status: StatusCode, value: &Value) -> Response {
    (status, axum::Json(public_view(value))).into_response()
}

// ---------------------------------------------------------------------------------------
// Gateways

fn find_gateway<'a>(world: &'a World, id: &str) -> Result<&'a Value, TgError> {
    world
        .get(SERVICE, GATEWAYS, id)
        .ok_or_else(|| TgError::not_found("Transit gateway", id))
}

fn refresh_connection_count(world: &mut World, gateway_id: &str) {
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
fn resource_group_ref(world: &World, wanted: Option<&str>) -> Option<Value> {
    let groups: Vec<&Value> = world.list("rc", "resource_groups").collect();
    let g = match wanted {
        Some(w) => groups
            .iter()
            .find(|g| g["id"].as_str() == Some(w) || g["name"].as_str() == Some(w)),
        None => groups
            .iter()
            .find(|g| g["default"].as_bool() == Some(true))
            .or_else(|| groups.first()),
    }?;
    let id = g["id"].as_str()?;
    Some(
        json!({"id": id, "href": format!("https://resource-controller.cloud.ibm.com/v2/resource_groups/{id}")}),
    )
}

#[allow(clippy::too_many_arguments)]
fn insert_gateway(
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

async fn list_gateways(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    let items: Vec<Value> = world.list(SERVICE, GATEWAYS).cloned().collect();
    let body = page(
        &headers,
        &params,
        "/transit_gateways",
        "transit_gateways",
        items,
        false,
    )?;
    Ok(respond(StatusCode::OK, &body))
}

async fn create_gateway(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    body: Bytes,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
    let body = parse_body(&body)?;
    let name = name_field(&body, true)?.unwrap_or_default();
    let location = match body.get("location") {
        Some(Value::String(l)) if LOCATIONS.contains(&l.as_str()) => l.clone(),
        Some(_) => {
            return Err(TgError::field(
                "invalid_location",
                "location",
                format!("location must be one of: {}.", LOCATIONS.join(", ")),
            ));
        }
        None => {
            return Err(TgError::field(
                "missing_field",
                "location",
                "location is required.",
            ));
        }
    };
    let global = match body.get("global") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(TgError::field(
                "invalid_field",
                "global",
                "global must be a boolean.",
            ));
        }
    };
    let available_at = sim.deadline_after(GATEWAY_PROVISIONING);
    let mut world = sim.world().await;
    if !world.has_room(SERVICE, GATEWAYS) {
        return Err(TgError::new(
            StatusCode::FORBIDDEN,
            "quota_exceeded",
            "The transit gateway quota is reached.",
        ));
    }
    if world
        .find(SERVICE, GATEWAYS, |g| {
            g["name"].as_str() == Some(name.as_str())
        })
        .is_some()
    {
        return Err(TgError::new(
            StatusCode::CONFLICT,
            "name_conflict",
            format!("A transit gateway named {name} already exists."),
        ));
    }
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

async fn get_gateway(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    Ok(respond(StatusCode::OK, find_gateway(&world, &id)?))
}

async fn update_gateway(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
    body: Bytes,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
    let body = parse_body(&body)?;
    let name = name_field(&body, false)?;
    let global = match body.get("global") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(TgError::field(
                "invalid_field",
                "global",
                "global must be a boolean.",
            ));
        }
    };
    let now = sim.now_rfc3339();
    let mut world = sim.world().await;
    find_gateway(&world, &id)?;
    if let Some(n) = &name
        && world
            .find(SERVICE, GATEWAYS, |g| {
                g["name"].as_str() == Some(n.as_str()) && g["id"].as_str() != Some(id.as_str())
            })
            .is_some()
    {
        return Err(TgError::new(
            StatusCode::CONFLICT,
            "name_conflict",
            format!("A transit gateway named {n} already exists."),
        ));
    }
    let Some(gw) = world.get_mut(SERVICE, GATEWAYS, &id) else {
        return Err(TgError::not_found("Transit gateway", &id));
    };
    if let Some(n) = name {
        gw["name"] = json!(n);
    }
    if let Some(g) = global {
        gw["global"] = json!(g);
    }
    gw["updated_at"] = json!(now);
    let gw = gw.clone();
    Ok(respond(StatusCode::OK, &gw))
}

async fn delete_gateway(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
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

async fn list_locations(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
    let locations: Vec<Value> = LOCATIONS
        .iter()
        .map(|l| json!({"billing_location": if l.starts_with("us") || l.starts_with("ca") || l.starts_with("br") { "us" } else if l.starts_with("eu") { "eu" } else { "ap" }, "name": l, "type": "region"}))
        .collect();
    Ok(respond(StatusCode::OK, &json!({"locations": locations})))
}

// ---------------------------------------------------------------------------------------
// Connections

/// What a connectable network looks like to the gateway.
struct Network {
    crn: String,
    name: String,
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

fn connection_object(
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

fn find_connection<'a>(world: &'a World, gateway_id: &str, id: &str) -> Result<&'a Value, TgError> {
    find_gateway(world, gateway_id)?;
    world
        .get(SERVICE, CONNECTIONS, id)
        .filter(|c| c["_gateway_id"].as_str() == Some(gateway_id))
        .ok_or_else(|| TgError::not_found("Transit gateway connection", id))
}

async fn list_connections(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    find_gateway(&world, &id)?;
    let items: Vec<Value> = world
        .list(SERVICE, CONNECTIONS)
        .filter(|c| c["_gateway_id"].as_str() == Some(id.as_str()))
        .filter(|c| {
            params
                .get("name")
                .is_none_or(|n| c["name"].as_str() == Some(n))
        })
        .cloned()
        .collect();
    let body = page(
        &headers,
        &params,
        &format!("/transit_gateways/{id}/connections"),
        "connections",
        items,
        true,
    )?;
    Ok(respond(StatusCode::OK, &body))
}

/// `GET /connections`: every connection of every gateway, each with its gateway reference.
async fn list_all_connections(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    let items: Vec<Value> = world
        .list(SERVICE, CONNECTIONS)
        .filter(|c| {
            params
                .get("network_id")
                .is_none_or(|n| c["network_id"].as_str() == Some(n))
        })
        .map(|c| {
            let mut view = c.clone();
            view["transit_gateway"] = c["_gateway"].clone();
            view
        })
        .collect();
    let body = page(
        &headers,
        &params,
        "/connections",
        "connections",
        items,
        false,
    )?;
    Ok(respond(StatusCode::OK, &body))
}

async fn create_connection(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(gateway_id): Path<String>,
    body: Bytes,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
    let body = parse_body(&body)?;
    let network_type = match body.get("network_type") {
        Some(Value::String(t)) if NETWORK_TYPES.contains(&t.as_str()) => t.clone(),
        Some(_) => {
            return Err(TgError::field(
                "invalid_network_type",
                "network_type",
                format!("network_type must be one of: {}.", NETWORK_TYPES.join(", ")),
            ));
        }
        None => {
            return Err(TgError::field(
                "missing_field",
                "network_type",
                "network_type is required.",
            ));
        }
    };
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
    if world
        .find(SERVICE, CONNECTIONS, |c| {
            c["_gateway_id"].as_str() == Some(gateway_id.as_str())
                && c["name"].as_str() == Some(name.as_str())
        })
        .is_some()
    {
        return Err(TgError::new(
            StatusCode::CONFLICT,
            "name_conflict",
            format!("A connection named {name} already exists on this gateway."),
        ));
    }
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

async fn get_connection(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path((gateway_id, id)): Path<(String, String)>,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    Ok(respond(
        StatusCode::OK,
        find_connection(&world, &gateway_id, &id)?,
    ))
}

async fn update_connection(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path((gateway_id, id)): Path<(String, String)>,
    body: Bytes,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
    let body = parse_body(&body)?;
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
    if let Some(n) = &name
        && world
            .find(SERVICE, CONNECTIONS, |c| {
                c["_gateway_id"].as_str() == Some(gateway_id.as_str())
                    && c["name"].as_str() == Some(n.as_str())
                    && c["id"].as_str() != Some(id.as_str())
            })
            .is_some()
    {
        return Err(TgError::new(
            StatusCode::CONFLICT,
            "name_conflict",
            format!("A connection named {n} already exists on this gateway."),
        ));
    }
    let Some(c) = world.get_mut(SERVICE, CONNECTIONS, &id) else {
        return Err(TgError::not_found("Transit gateway connection", &id));
    };
    if let Some(n) = name {
        c["name"] = json!(n);
    }
    if let Some(d) = default {
        c["prefix_filters_default"] = json!(d);
    }
    c["updated_at"] = json!(now);
    let c = c.clone();
    Ok(respond(StatusCode::OK, &c))
}

async fn delete_connection(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path((gateway_id, id)): Path<(String, String)>,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
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

// ---------------------------------------------------------------------------------------
// Route reports

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
                .list(super::power::SERVICE, super::power::NETWORKS)
                .filter(|n| n[super::power::OWNER].as_str() == Some(guid))
                .filter_map(|n| n["cidr"].as_str().map(str::to_owned))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The report body: each attached connection with its routes, and every group of routes
/// from different connections that overlap (`0.0.0.0/0` is ignored, as IBM does).
fn compute_report(world: &World, gateway_id: &str) -> Value {
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

fn find_report<'a>(world: &'a World, gateway_id: &str, id: &str) -> Result<&'a Value, TgError> {
    find_gateway(world, gateway_id)?;
    world
        .get(SERVICE, ROUTE_REPORTS, id)
        .filter(|r| r["_gateway_id"].as_str() == Some(gateway_id))
        .ok_or_else(|| TgError::not_found("Route report", id))
}

async fn create_route_report(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(gateway_id): Path<String>,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
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

async fn list_route_reports(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(gateway_id): Path<String>,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    find_gateway(&world, &gateway_id)?;
    let reports: Vec<Value> = world
        .list(SERVICE, ROUTE_REPORTS)
        .filter(|r| r["_gateway_id"].as_str() == Some(gateway_id.as_str()))
        .map(public_view)
        .collect();
    Ok(respond(StatusCode::OK, &json!({"route_reports": reports})))
}

async fn get_route_report(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path((gateway_id, id)): Path<(String, String)>,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    Ok(respond(
        StatusCode::OK,
        find_report(&world, &gateway_id, &id)?,
    ))
}

async fn delete_route_report(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path((gateway_id, id)): Path<(String, String)>,
) -> TgResult {
    check_request(&sim, &headers, &params)?;
    let mut world = sim.world().await;
    find_report(&world, &gateway_id, &id)?;
    world.remove(SERVICE, ROUTE_REPORTS, &id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------
// Seeding

/// The scenario's gateway, already available, with the VPC and the named workspaces
/// attached.
pub fn seed(world: &mut World, scenario: &Scenario, now_ms: u64) {
    let Some(spec) = &scenario.transit_gateway else {
        return;
    };
    let rg_name = if spec.resource_group.is_empty() {
        None
    } else {
        Some(spec.resource_group.as_str())
    };
    let rg = resource_group_ref(world, rg_name)
        .or_else(|| resource_group_ref(world, None))
        .unwrap_or_else(|| json!({"id": "default", "href": ""}));
    let location = if spec.location.is_empty() {
        scenario.region.as_str()
    } else {
        spec.location.as_str()
    };
    let gateway_id = insert_gateway(
        world,
        &scenario.account_id,
        &spec.name,
        location,
        spec.global,
        rg,
        "available",
        now_ms,
    );
    let Some(gateway) = world.get(SERVICE, GATEWAYS, &gateway_id).cloned() else {
        return;
    };
    let mut networks: Vec<(&str, Network)> = Vec::new();
    if spec.connect_vpc
        && let Some(vpc_spec) = &scenario.vpc
        && let Some(vpc) = world.find("vpc", "vpcs", |v| {
            v["name"].as_str() == Some(vpc_spec.name.as_str())
        })
    {
        networks.push((
            "vpc",
            Network {
                crn: vpc["crn"].as_str().unwrap_or_default().to_owned(),
                name: vpc_spec.name.clone(),
            },
        ));
    }
    for ws in &spec.connected_workspaces {
        match world.find("rc", "resource_instances", |i| {
            i["name"].as_str() == Some(ws.as_str()) && i["_service"].as_str() == Some("power-iaas")
        }) {
            Some(i) => networks.push((
                "power_virtual_server",
                Network {
                    crn: i["crn"].as_str().unwrap_or_default().to_owned(),
                    name: ws.clone(),
                },
            )),
            None => {
                tracing::warn!(workspace = %ws, "scenario transit gateway names an unknown workspace")
            }
        }
    }
    for (network_type, network) in networks {
        let name = network.name.clone();
        let (id, mut c) = connection_object(world, &gateway, network_type, &network, &name, now_ms);
        c["status"] = json!("attached");
        world.insert(SERVICE, CONNECTIONS, &id, c);
    }
    refresh_connection_count(world, &gateway_id);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route_world(prefixes: &[(&str, &str)]) -> (World, String) {
        let mut world = World::new(3);
        let gw = insert_gateway(
            &mut world,
            "acc",
            "gw",
            "us-south",
            false,
            json!({}),
            "available",
            0,
        );
        for (conn, vpc_prefix) in prefixes {
            let crn = format!("crn:v1:bluemix:public:is:us-south:a/acc::vpc:{conn}");
            world.insert(
                "vpc",
                "vpcs",
                conn,
                json!({"id": conn, "crn": crn, "name": conn}),
            );
            world.insert(
                "vpc",
                "address_prefixes",
                &format!("p-{conn}-{vpc_prefix}"),
                json!({"cidr": vpc_prefix, "_vpc_id": conn}),
            );
            world.insert(
                SERVICE,
                CONNECTIONS,
                conn,
                json!({"id": conn, "name": conn, "network_type": "vpc", "network_id": crn, "status": "attached", "_gateway_id": gw}),
            );
        }
        (world, gw)
    }

    #[test]
    fn report_groups_overlapping_routes_of_different_connections() {
        let (world, gw) = route_world(&[
            ("a", "10.51.0.0/24"),
            ("b", "10.51.0.0/16"),
            ("c", "10.30.0.0/16"),
        ]);
        let report = compute_report(&world, &gw);
        assert_eq!(report["connections"].as_array().map(Vec::len), Some(3));
        let groups = report["overlapping_routes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(groups.len(), 1);
        let prefixes: Vec<&str> = groups[0]["routes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["prefix"].as_str())
            .collect();
        assert_eq!(prefixes, vec!["10.51.0.0/24", "10.51.0.0/16"]);
    }

    #[test]
    fn default_route_is_ignored_for_overlaps() {
        let (world, gw) = route_world(&[("a", "0.0.0.0/0"), ("b", "10.51.0.0/24")]);
        let report = compute_report(&world, &gw);
        assert_eq!(report["overlapping_routes"], json!([]));
    }
}
