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
//!
//! One file per collection (`gateways`, `connections`, `route_reports`) and one for the
//! start-up objects (`seeding`); this file holds the route table, the asynchronous
//! transitions and what the handlers share: the error body, request checks and pagination.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::services::kit::{
    CheckedBody, CheckedRequest, ErrorStyle, ErrorTarget, IbmError, RequestCheck, fault_code,
    hex_trace_id, is_version_date, page_window, request_base,
};
use crate::services::{WorldEvent, gc};
use crate::sim::Sim;
use crate::store::{World, public_view};
use crate::util;

mod connections;
mod gateways;
mod route_reports;
mod seeding;

use connections::{
    create_connection, delete_connection, get_connection, list_all_connections, list_connections,
    update_connection,
};
use gateways::{
    create_gateway, delete_gateway, get_gateway, list_gateways, list_locations,
    refresh_connection_count, update_gateway,
};
use route_reports::{
    create_route_report, delete_route_report, get_route_report, list_route_reports,
};
pub use seeding::seed;

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

/// A deleted `power-iaas` instance is a deleted network for the gateways connected to it.
pub fn on_event(world: &mut World, event: &WorldEvent, now_ms: u64) {
    let WorldEvent::InstanceDeleted { service, crn, .. } = event else {
        return;
    };
    if *service == gc::POWER_IAAS.service_name {
        on_network_deleted(world, crn, now_ms);
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
    let code = fault_code(
        status,
        &[
            (401, "not_authorized"),
            (404, "not_found"),
            (409, "conflict"),
            (429, "rate_limit_exceeded"),
        ],
        "internal_error",
        "bad_request",
    );
    TgError::new(status, code, message).into_response()
}

// Errors and request checks

/// The Transit Gateway error body: `{errors: [{code, message, more_info, target}], trace}`
/// (no `status_code`, unlike VPC).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TgStyle;

impl ErrorStyle for TgStyle {
    fn body(e: &IbmError<Self>) -> Value {
        let mut error = json!({
            "code": e.code,
            "message": e.message,
            "more_info": "https://cloud.ibm.com/docs/transit-gateway?topic=transit-gateway-troubleshooting",
        });
        if let Some(target) = &e.target {
            error["target"] = json!({"name": target.name, "type": target.kind});
        }
        json!({"errors": [error], "trace": hex_trace_id()})
    }
}

type TgError = IbmError<TgStyle>;

impl IbmError<TgStyle> {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::with_status(status, code, message)
    }

    fn targeted(
        code: &'static str,
        kind: &'static str,
        name: &str,
        message: impl Into<String>,
    ) -> Self {
        Self::with_status(StatusCode::BAD_REQUEST, code, message).with_target(ErrorTarget {
            name: name.to_owned(),
            kind,
            value: None,
        })
    }

    fn field(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self::targeted(code, "field", field, message)
    }

    fn not_found(what: &str, id: &str) -> Self {
        TgError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found: {id}"),
        )
    }
}

type TgResult = Result<Response, TgError>;

/// The Tg checks of every request, for the [`TgRequest`] extractor.
pub(super) struct TgChecks;

impl RequestCheck for TgChecks {
    type Error = TgError;

    fn check(
        sim: &Sim,
        headers: &HeaderMap,
        params: &HashMap<String, String>,
    ) -> Result<(), TgError> {
        check_request(sim, headers, params)
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
}

/// A request that passed the Tg checks: what every handler starts from.
type TgRequest = CheckedRequest<TgChecks>;

/// The JSON object body of a Transit Gateway create or update.
type TgBody = CheckedBody<TgChecks>;

fn check_request(
    sim: &Sim,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<(), TgError> {
    sim.authenticate(headers)
        .map_err(|e| TgError::new(StatusCode::UNAUTHORIZED, "not_authorized", e.to_string()))?;
    match params.get("version") {
        Some(v) if is_version_date(v) => Ok(()),
        Some(_) => Err(TgError::targeted(
            "invalid_version",
            "query",
            "version",
            "The version query parameter must be a date in the format YYYY-MM-DD.",
        )),
        None => Err(TgError::targeted(
            "missing_version",
            "query",
            "version",
            "The version query parameter is required.",
        )),
    }
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

/// The body's string `field`, one of `allowed`; `invalid_code` names the error of another value.
fn choice_field(
    body: &Map<String, Value>,
    field: &str,
    allowed: &[&str],
    invalid_code: &'static str,
) -> Result<String, TgError> {
    match body.get(field) {
        Some(Value::String(v)) if allowed.contains(&v.as_str()) => Ok(v.clone()),
        Some(_) => Err(TgError::field(
            invalid_code,
            field,
            format!("{field} must be one of: {}.", allowed.join(", ")),
        )),
        None => Err(TgError::field(
            "missing_field",
            field,
            format!("{field} is required."),
        )),
    }
}

/// The body's boolean `field`, if it has one.
fn bool_field(body: &Map<String, Value>, field: &str) -> Result<Option<bool>, TgError> {
    match body.get(field) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(TgError::field(
            "invalid_field",
            field,
            format!("{field} must be a boolean."),
        )),
    }
}

/// What a name must be unique among: the account's gateways, or one gateway's connections.
#[derive(Clone, Copy)]
enum NameScope<'a> {
    Gateways,
    ConnectionsOf(&'a str),
}

impl NameScope<'_> {
    /// The collection of the named objects, and what a 404 calls one.
    fn collection(self) -> (&'static str, &'static str) {
        match self {
            NameScope::Gateways => (GATEWAYS, "Transit gateway"),
            NameScope::ConnectionsOf(_) => (CONNECTIONS, "Transit gateway connection"),
        }
    }
}

/// The end of a `PATCH` of object `id` in `scope`: `name` (when given, free in `scope`) and
/// `change` applied to it, `updated_at` stamped; the 200 with the object.
fn patched(
    world: &mut World,
    scope: NameScope<'_>,
    id: &str,
    name: Option<String>,
    now: String,
    change: impl FnOnce(&mut Value),
) -> TgResult {
    if let Some(n) = &name {
        check_name_free(world, scope, n, Some(id))?;
    }
    let (collection, what) = scope.collection();
    let Some(object) = world.get_mut(SERVICE, collection, id) else {
        return Err(TgError::not_found(what, id));
    };
    if let Some(n) = name {
        object["name"] = json!(n);
    }
    change(object);
    object["updated_at"] = json!(now);
    Ok(respond(StatusCode::OK, object))
}

/// The 409 `name_conflict` when an object of `scope` other than `except` (an id) is `name`d.
fn check_name_free(
    world: &World,
    scope: NameScope<'_>,
    name: &str,
    except: Option<&str>,
) -> Result<(), TgError> {
    let message = match scope {
        NameScope::Gateways => format!("A transit gateway named {name} already exists."),
        NameScope::ConnectionsOf(_) => {
            format!("A connection named {name} already exists on this gateway.")
        }
    };
    let (collection, _) = scope.collection();
    let in_scope = |o: &Value| match scope {
        NameScope::Gateways => true,
        NameScope::ConnectionsOf(gateway) => o["_gateway_id"].as_str() == Some(gateway),
    };
    let taken = world
        .find(SERVICE, collection, |o| {
            in_scope(o)
                && o["name"].as_str() == Some(name)
                && except.is_none_or(|id| o["id"].as_str() != Some(id))
        })
        .is_some();
    if taken {
        Err(TgError::new(StatusCode::CONFLICT, "name_conflict", message))
    } else {
        Ok(())
    }
}

/// One page of `items` with `first`/`next` links; `start` tokens are object ids.
fn page(
    request: &TgRequest,
    path: &str,
    key: &str,
    items: Vec<Value>,
    with_total: bool,
) -> Result<Value, TgError> {
    let (headers, params) = (&request.headers, &request.params);
    let window = page_window(
        params,
        &items,
        (DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT),
        |_| {
            TgError::new(
                StatusCode::BAD_REQUEST,
                "invalid_limit",
                format!("limit must be between 1 and {MAX_PAGE_LIMIT}."),
            )
        },
        |_| {
            TgError::new(
                StatusCode::BAD_REQUEST,
                "invalid_start",
                "start is not a valid page token.",
            )
        },
    )?;
    let limit = window.limit;
    let version = params.get("version").cloned().unwrap_or_default();
    let base = request_base(headers, "/tg/v1");
    let link = |start: Option<&str>| match start {
        Some(s) => format!("{base}{path}?version={version}&limit={limit}&start={s}"),
        None => format!("{base}{path}?version={version}&limit={limit}"),
    };
    let mut body = json!({"first": {"href": link(None)}, "limit": limit, key: window.items});
    if with_total {
        body["total_count"] = json!(items.len());
    }
    if let Some(next_id) = &window.next_start {
        body["next"] = json!({"href": link(Some(next_id)), "start": next_id});
    }
    Ok(body)
}

fn respond(status: StatusCode, value: &Value) -> Response {
    (status, axum::Json(public_view(value))).into_response()
}

#[cfg(test)]
mod tests {
    use super::gateways::insert_gateway;
    use super::route_reports::compute_report;
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
