//! VPC (`/vpc/v1/...`): VPCs, address prefixes, subnets, security groups and their rules.
//!
//! The provider only edits security-group rules and reads subnets and address prefixes (for
//! the CIDR-overlap check), but a faithful emulator has to answer the way the regional VPC
//! API does, or the official SDKs and the provider's error handling are tested against a
//! fiction. So every call checks the bearer token and the mandatory `version`
//! (`YYYY-MM-DD`) and `generation=2` query parameters, creates answer 201 and deletes 204,
//! lists page with `start`/`limit` and `first`/`next` links, and errors carry the VPC error
//! body `{errors: [{code, message, more_info, target}], status_code, trace}`.
//!
//! Security-group rules are stored inside their group's `rules` array, exactly as
//! `GET /security_groups/{id}` shows them, so the group and its rules can never disagree.
//! Object `href`s use the real regional endpoint (what IBM returns); pagination links use
//! the host the client called, so a client that follows `next.href` stays on the emulator.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

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

const SERVICE: &str = "vpc";
const VPCS: &str = "vpcs";
const SUBNETS: &str = "subnets";
const PREFIXES: &str = "address_prefixes";
const SECURITY_GROUPS: &str = "security_groups";

/// The quota of rules in one security group (IBM documents 250 per group).
const MAX_RULES_PER_GROUP: usize = 250;
const DEFAULT_PAGE_LIMIT: usize = 50;
const MAX_PAGE_LIMIT: usize = 100;
/// The oldest API version the VPC API accepts.
const OLDEST_VERSION: &str = "2019-01-01";

/// Individual IP protocols a rule may name besides the grouped ones.
const INDIVIDUAL_PROTOCOLS: &[&str] = &[
    "ah", "esp", "gre", "ip_in_ip", "l2tp", "rsvp", "sctp", "vrrp",
];

pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route("/v1/vpcs", get(list_vpcs).post(create_vpc))
        .route(
            "/v1/vpcs/{id}",
            get(get_vpc).patch(update_vpc).delete(delete_vpc),
        )
        .route(
            "/v1/vpcs/{vpc_id}/address_prefixes",
            get(list_prefixes).post(create_prefix),
        )
        .route(
            "/v1/vpcs/{vpc_id}/address_prefixes/{id}",
            get(get_prefix).patch(update_prefix).delete(delete_prefix),
        )
        .route("/v1/subnets", get(list_subnets).post(create_subnet))
        .route(
            "/v1/subnets/{id}",
            get(get_subnet).patch(update_subnet).delete(delete_subnet),
        )
        .route(
            "/v1/security_groups",
            get(list_security_groups).post(create_security_group),
        )
        .route(
            "/v1/security_groups/{id}",
            get(get_security_group)
                .patch(update_security_group)
                .delete(delete_security_group),
        )
        .route(
            "/v1/security_groups/{id}/targets",
            get(list_security_group_targets),
        )
        .route(
            "/v1/security_groups/{id}/rules",
            get(list_rules).post(create_rule),
        )
        .route(
            "/v1/security_groups/{id}/rules/{rule_id}",
            get(get_rule).patch(update_rule).delete(delete_rule),
        )
}

/// Nothing in VPC is asynchronous here: creates answer with `available` objects.
pub fn advance(_world: &mut World, _now_ms: u64) {}

/// An error in the VPC body shape.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let code = match status.as_u16() {
        401 => "not_authorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        429 => "rate_limit_exceeded",
        s if s >= 500 => "internal_error",
        _ => "bad_request",
    };
    VpcError::new(status, code, message).into_response()
}

// ---------------------------------------------------------------------------------------
// Errors

/// A VPC API error: one entry of `errors`, with an optional `target`.
#[derive(Debug)]
struct VpcError {
    status: StatusCode,
    code: &'static str,
    message: String,
    target: Option<(String, &'static str, Option<String>)>,
}

impl VpcError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        VpcError {
            status,
            code,
            message: message.into(),
            target: None,
        }
    }

    fn bad_field(code: &'static str, field: &str, value: Option<&Value>, message: String) -> Self {
        VpcError {
            status: StatusCode::BAD_REQUEST,
            code,
            message,
            target: Some((
                field.to_owned(),
                "field",
                value.map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
            )),
        }
    }

    fn invalid(field: &str, value: Option<&Value>, message: impl Into<String>) -> Self {
        Self::bad_field("invalid_value", field, value, message.into())
    }

    fn missing(field: &str) -> Self {
        Self::bad_field(
            "missing_field",
            field,
            None,
            format!("The `{field}` field is required."),
        )
    }

    fn not_found(what: &str, id: &str) -> Self {
        VpcError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found: {id}"),
        )
    }

    fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        VpcError::new(StatusCode::CONFLICT, code, message)
    }
}

impl IntoResponse for VpcError {
    fn into_response(self) -> Response {
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "more_info": "https://cloud.ibm.com/docs/vpc?topic=vpc-rias-error-messages",
        });
        if let Some((name, kind, value)) = self.target {
            let mut target = json!({"name": name, "type": kind});
            if let Some(value) = value {
                target["value"] = Value::String(value);
            }
            error["target"] = target;
        }
        let body = json!({
            "errors": [error],
            "status_code": self.status.as_u16(),
            "trace": trace_id(),
        });
        (self.status, axum::Json(body)).into_response()
    }
}

/// A fresh trace id per error, as IBM support would ask for.
fn trace_id() -> String {
    let n: u128 = rand::random();
    let hex = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

type VpcResult = Result<Response, VpcError>;

// ---------------------------------------------------------------------------------------
// Request checks shared by every route

type Params = Query<HashMap<String, String>>;

/// What every request must carry: a valid token, `version` and `generation=2`.
fn check_request(
    sim: &Sim,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<(), VpcError> {
    sim.authenticate(headers)
        .map_err(|e| VpcError::new(StatusCode::UNAUTHORIZED, "not_authorized", e.to_string()))?;
    let query_error = |name: &str, value: Option<&String>, message: String| VpcError {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_query_parameter",
        message,
        target: Some((name.to_owned(), "query", value.cloned())),
    };
    match params.get("version") {
        None => {
            return Err(query_error(
                "version",
                None,
                "The `version` query parameter is required.".into(),
            ));
        }
        Some(v) if !is_version_date(v) || v.as_str() < OLDEST_VERSION => {
            return Err(query_error(
                "version",
                Some(v),
                format!(
                    "The `version` query parameter must be a date in the format YYYY-MM-DD, no earlier than {OLDEST_VERSION}."
                ),
            ));
        }
        Some(_) => {}
    }
    match params.get("generation") {
        Some(g) if g == "2" => Ok(()),
        Some(g) => Err(query_error(
            "generation",
            Some(g),
            "The `generation` query parameter must be 2 (VPC Gen 2).".into(),
        )),
        None => Err(query_error(
            "generation",
            None,
            "The `generation` query parameter is required.".into(),
        )),
    }
}

/// `YYYY-MM-DD` with a plausible month and day.
pub(crate) fn is_version_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let digits = |range: std::ops::Range<usize>| {
        text.get(range)
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<u32>().ok())
    };
    matches!(
        (digits(0..4), digits(5..7), digits(8..10)),
        (Some(_), Some(1..=12), Some(1..=31))
    )
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, VpcError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(VpcError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(VpcError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("The request body is not valid JSON: {e}"),
        )),
    }
}

/// The base URL of the client's view of this service, for pagination links.
fn request_base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}/vpc/v1")
}

/// The regional endpoint IBM puts in object hrefs.
fn api_base(region: &str) -> String {
    format!("https://{region}.iaas.cloud.ibm.com/v1")
}

/// Region of the emulated account (all VPC objects live there).
fn region(sim: &Sim) -> String {
    sim.scenario().region.clone()
}

fn vpc_crn(region: &str, account: &str, kind: &str, id: &str) -> String {
    format!("crn:v1:bluemix:public:is:{region}:a/{account}::{kind}:{id}")
}

fn zone_crn(zone: &str, account: &str, kind: &str, id: &str) -> String {
    format!("crn:v1:bluemix:public:is:{zone}:a/{account}::{kind}:{id}")
}

/// Region-scoped ids carry a region prefix like real ones (`r006-` is us-south).
fn region_prefix(region: &str) -> &'static str {
    match region {
        "us-south" => "r006",
        "us-east" => "r014",
        "eu-de" => "r010",
        "eu-gb" => "r018",
        "jp-tok" => "r022",
        "au-syd" => "r026",
        "ca-tor" => "r038",
        "br-sao" => "r042",
        "jp-osa" => "r034",
        "eu-es" => "r050",
        _ => "r001",
    }
}

/// Zone-scoped ids (subnets) carry a zone prefix like `0717-` for us-south-1.
fn zone_prefix(zone: &str) -> String {
    let n = zone
        .rsplit('-')
        .next()
        .and_then(|d| d.parse::<u32>().ok())
        .unwrap_or(1);
    format!("07{}7", n)
}

fn zone_ref(region: &str, zone: &str) -> Value {
    json!({"href": format!("https://{region}.iaas.cloud.ibm.com/v1/regions/{region}/zones/{zone}"), "name": zone})
}

/// The zones of a multi-zone region (`<region>-1..3`).
fn zones_of(region: &str) -> Vec<String> {
    (1..=3).map(|n| format!("{region}-{n}")).collect()
}

/// A resource-group reference `{href, id, name}` for a group given by id or name, found in
/// whichever service keeps resource groups; unknown groups yield `None`.
fn resource_group_ref(world: &World, wanted: Option<&str>) -> Option<Value> {
    let groups: Vec<&Value> = ["rm", "rc", "iam"]
        .iter()
        .flat_map(|svc| world.list(svc, "resource_groups"))
        .collect();
    let found = match wanted {
        Some(w) => groups
            .iter()
            .find(|g| g["id"].as_str() == Some(w) || g["name"].as_str() == Some(w)),
        None => groups
            .iter()
            .find(|g| g["default"].as_bool() == Some(true))
            .or_else(|| groups.first()),
    }?;
    let id = found["id"].as_str()?;
    Some(json!({
        "href": format!("https://resource-controller.cloud.ibm.com/v2/resource_groups/{id}"),
        "id": id,
        "name": found["name"].as_str().unwrap_or_default(),
    }))
}

/// Resolves the request's `resource_group` (`{id}`) or the account default.
fn resolve_resource_group(world: &World, body: &Map<String, Value>) -> Result<Value, VpcError> {
    match body.get("resource_group") {
        Some(rg) => {
            let id = rg["id"]
                .as_str()
                .ok_or_else(|| VpcError::missing("resource_group.id"))?;
            resource_group_ref(world, Some(id)).ok_or_else(|| {
                VpcError::invalid(
                    "resource_group.id",
                    rg.get("id"),
                    format!("Resource group {id} was not found in this account."),
                )
            })
        }
        None => Ok(resource_group_ref(world, None).unwrap_or_else(|| {
            json!({"href": "https://resource-controller.cloud.ibm.com/v2/resource_groups/default", "id": "default", "name": "Default"})
        })),
    }
}

/// VPC resource names: lower-case letters, digits and hyphens, starting with a letter.
fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !name.ends_with('-')
}

fn name_field(body: &Map<String, Value>) -> Result<Option<String>, VpcError> {
    match body.get("name") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if valid_name(s) => Ok(Some(s.clone())),
        Some(other) => Err(VpcError::bad_field(
            "validation_invalid_name",
            "name",
            Some(other),
            "The name must be 1-63 lower-case letters, digits or hyphens, start with a letter and not end with a hyphen.".into(),
        )),
    }
}

/// A generated name of hyphenated words, the way the VPC API names unnamed resources.
fn generated_name(world: &mut World) -> String {
    const WORDS: &[&str] = &[
        "amber", "brisk", "cedar", "dune", "ember", "fjord", "grove", "harbor", "ivory", "juniper",
        "kelp", "lumen", "maple", "nimbus", "onyx", "prairie", "quartz", "ripple", "sable",
        "tundra", "umber", "velvet", "willow", "zephyr",
    ];
    let id = world.new_id();
    let bytes: Vec<u8> = id.bytes().filter(u8::is_ascii_hexdigit).collect();
    let pick = |i: usize| {
        let n = bytes.get(i).copied().unwrap_or(b'0') as usize
            + bytes.get(i + 1).copied().unwrap_or(b'0') as usize * 7;
        WORDS[n % WORDS.len()]
    };
    format!("{}-{}-{}-{}", pick(0), pick(2), pick(4), pick(6))
}

// ---------------------------------------------------------------------------------------
// Pagination

/// One page of `items` (already in creation order) as a VPC collection body.
fn page(
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    path: &str,
    key: &str,
    items: Vec<Value>,
) -> Result<Value, VpcError> {
    let limit = match params.get("limit") {
        None => DEFAULT_PAGE_LIMIT,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_LIMIT).contains(&n) => n,
            _ => {
                return Err(VpcError {
                    status: StatusCode::BAD_REQUEST,
                    code: "invalid_query_parameter",
                    message: format!(
                        "The `limit` query parameter must be between 1 and {MAX_PAGE_LIMIT}."
                    ),
                    target: Some(("limit".into(), "query", Some(l.clone()))),
                });
            }
        },
    };
    let start_index = match params.get("start") {
        None => 0,
        Some(start) => items
            .iter()
            .position(|item| item["id"].as_str() == Some(start.as_str()))
            .ok_or_else(|| VpcError {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_query_parameter",
                message: "The `start` query parameter is not a valid page token.".into(),
                target: Some(("start".into(), "query", Some(start.clone()))),
            })?,
    };
    let total = items.len();
    let base = request_base(headers);
    let version = params.get("version").cloned().unwrap_or_default();
    // Filters must survive into the links, or page 2 would list a different set.
    let mut filters: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "start" | "limit" | "version" | "generation"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    filters.sort();
    let filter_query: String = filters.iter().map(|(k, v)| format!("&{k}={v}")).collect();
    let link = |start: Option<&str>| {
        let mut href =
            format!("{base}{path}?limit={limit}&version={version}&generation=2{filter_query}");
        if let Some(s) = start {
            href.push_str("&start=");
            href.push_str(s);
        }
        href
    };
    let page_items: Vec<Value> = items
        .iter()
        .skip(start_index)
        .take(limit)
        .map(public_view)
        .collect();
    let mut body = json!({
        "first": {"href": link(None)},
        "limit": limit,
        "total_count": total,
        key: page_items,
    });
    if let Some(next) = items.get(start_index + limit)
        && let Some(next_id) = next["id"].as_str()
    {
        body["next"] = json!({"href": link(Some(next_id))});
    }
    Ok(body)
}

fn ok(value: &Value) -> Response {
    (StatusCode::OK, axum::Json(public_view(value))).into_response()
}

fn created(value: &Value) -> Response {
    (StatusCode::CREATED, axum::Json(public_view(value))).into_response()
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

// ---------------------------------------------------------------------------------------
// References

fn reference(object: &Value, with_type: bool) -> Value {
    let mut r = json!({
        "crn": object["crn"],
        "href": object["href"],
        "id": object["id"],
        "name": object["name"],
    });
    if with_type {
        r["resource_type"] = object["resource_type"].clone();
    }
    r
}

/// Finds a VPC by an identity object `{id}`, `{crn}` or `{href}`.
fn vpc_by_identity<'a>(world: &'a World, identity: &Value) -> Option<&'a Value> {
    world.find(SERVICE, VPCS, |v| {
        ["id", "crn", "href"].iter().any(|k| {
            identity[k]
                .as_str()
                .is_some_and(|x| v[k].as_str() == Some(x))
        })
    })
}

fn sg_by_identity<'a>(world: &'a World, identity: &Value) -> Option<&'a Value> {
    world.find(SERVICE, SECURITY_GROUPS, |v| {
        ["id", "crn", "href"].iter().any(|k| {
            identity[k]
                .as_str()
                .is_some_and(|x| v[k].as_str() == Some(x))
        })
    })
}

// ---------------------------------------------------------------------------------------
// VPCs

/// Builds a VPC with its default network ACL, routing table and security group (and the
/// default address prefixes unless management is manual). Returns the VPC id.
// Plain data in, one object out: a struct would only rename the parameters.
#[allow(clippy::too_many_arguments)]
fn build_vpc(
    world: &mut World,
    region: &str,
    account: &str,
    name: String,
    resource_group: Value,
    classic_access: bool,
    auto_prefixes: bool,
    now_ms: u64,
) -> String {
    let rp = region_prefix(region);
    let id = format!("{rp}-{}", world.new_id());
    let base = api_base(region);
    let acl_id = format!("{rp}-{}", world.new_id());
    let rt_id = format!("{rp}-{}", world.new_id());
    let acl_name = generated_name(world);
    let rt_name = generated_name(world);
    let sg_name = generated_name(world);
    let created_at = util::rfc3339(now_ms);
    let cse: Vec<Value> = zones_of(region)
        .iter()
        .enumerate()
        .map(|(i, z)| json!({"ip": {"address": format!("10.249.{}.{}", 10 + i, 4 + i)}, "zone": zone_ref(region, z)}))
        .collect();
    let mut vpc = json!({
        "classic_access": classic_access,
        "created_at": created_at,
        "crn": vpc_crn(region, account, "vpc", &id),
        "cse_source_ips": cse,
        "default_network_acl": {
            "crn": vpc_crn(region, account, "network-acl", &acl_id),
            "href": format!("{base}/network_acls/{acl_id}"),
            "id": acl_id,
            "name": acl_name,
        },
        "default_routing_table": {
            "crn": vpc_crn(region, account, "routing-table", &format!("{id}/{rt_id}")),
            "href": format!("{base}/vpcs/{id}/routing_tables/{rt_id}"),
            "id": rt_id,
            "name": rt_name,
            "resource_type": "routing_table",
        },
        "default_security_group": Value::Null,
        "dns": {
            "enable_hub": false,
            "resolution_binding_count": 0,
            "resolver": {
                "servers": [{"address": "161.26.0.7"}, {"address": "161.26.0.8"}],
                "configuration": "default",
                "type": "system",
            },
        },
        "health_reasons": [],
        "health_state": "ok",
        "href": format!("{base}/vpcs/{id}"),
        "id": id,
        "name": name,
        "public_address_ranges": [],
        "resource_group": resource_group.clone(),
        "resource_type": "vpc",
        "status": "available",
    });
    let vpc_reference = reference(&vpc, true);
    let sg_id = insert_security_group(
        world,
        region,
        account,
        sg_name,
        resource_group,
        vpc_reference,
        now_ms,
    );
    // The default group lets members talk to each other and everything go out.
    let default_rules = [
        json!({"direction": "inbound", "protocol": "any", "remote": {"id": sg_id}}),
        json!({"direction": "outbound", "protocol": "any"}),
    ];
    for proto in default_rules {
        if let Some(Value::Object(p)) = Some(proto) {
            let _ = add_rule(world, region, &sg_id, &p);
        }
    }
    if let Some(sg) = world.get(SERVICE, SECURITY_GROUPS, &sg_id) {
        vpc["default_security_group"] = reference(sg, false);
    }
    if let Some(sg) = world.get_mut(SERVICE, SECURITY_GROUPS, &sg_id) {
        sg["_default_of_vpc"] = Value::String(id.clone());
    }
    world.insert(SERVICE, VPCS, &id, vpc);
    if auto_prefixes {
        for (i, zone) in zones_of(region).iter().enumerate() {
            let cidr = format!("10.{}.{}.0/18", 240 + (i / 4), (i % 4) * 64);
            let name = generated_name(world);
            insert_prefix(world, region, &id, name, zone, &cidr, true, now_ms);
        }
    }
    id
}

async fn list_vpcs(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    let items: Vec<Value> = world
        .list(SERVICE, VPCS)
        .filter(|v| {
            params
                .get("resource_group.id")
                .is_none_or(|rg| v["resource_group"]["id"].as_str() == Some(rg))
        })
        .filter(|v| {
            params.get("classic_access").is_none_or(|c| {
                v["classic_access"]
                    .as_bool()
                    .map(|b| b.to_string())
                    .as_deref()
                    == Some(c)
            })
        })
        .cloned()
        .collect();
    let body = page(&headers, &params, "/vpcs", "vpcs", items)?;
    Ok(ok(&body))
}

async fn create_vpc(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    body: Bytes,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let body = parse_body(&body)?;
    let region = region(&sim);
    let mut world = sim.world().await;
    if !world.has_room(SERVICE, VPCS) {
        return Err(VpcError::new(
            StatusCode::BAD_REQUEST,
            "over_quota",
            "The VPC quota of this account is reached.",
        ));
    }
    let auto = match body.get("address_prefix_management") {
        None => true,
        Some(Value::String(s)) if s == "auto" => true,
        Some(Value::String(s)) if s == "manual" => false,
        Some(other) => {
            return Err(VpcError::invalid(
                "address_prefix_management",
                Some(other),
                "address_prefix_management must be `auto` or `manual`.",
            ));
        }
    };
    let classic_access = match body.get("classic_access") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(VpcError::invalid(
                "classic_access",
                Some(other),
                "classic_access must be a boolean.",
            ));
        }
    };
    let name = match name_field(&body)? {
        Some(n) => {
            if world
                .find(SERVICE, VPCS, |v| v["name"].as_str() == Some(n.as_str()))
                .is_some()
            {
                return Err(VpcError::conflict(
                    "validation_unique_failed",
                    format!("A VPC named {n} already exists in this region."),
                ));
            }
            n
        }
        None => generated_name(&mut world),
    };
    let rg = resolve_resource_group(&world, &body)?;
    let account = sim.account_id().to_owned();
    let id = build_vpc(
        &mut world,
        &region,
        &account,
        name,
        rg,
        classic_access,
        auto,
        sim.now_ms(),
    );
    let vpc = world
        .get(SERVICE, VPCS, &id)
        .cloned()
        .unwrap_or(Value::Null);
    Ok(created(&vpc))
}

async fn get_vpc(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    let vpc = world
        .get(SERVICE, VPCS, &id)
        .ok_or_else(|| VpcError::not_found("VPC", &id))?;
    Ok(ok(vpc))
}

async fn update_vpc(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
    body: Bytes,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let body = parse_body(&body)?;
    let mut world = sim.world().await;
    if world.get(SERVICE, VPCS, &id).is_none() {
        return Err(VpcError::not_found("VPC", &id));
    }
    if let Some(name) = name_field(&body)? {
        if world
            .find(SERVICE, VPCS, |v| {
                v["name"].as_str() == Some(name.as_str()) && v["id"].as_str() != Some(id.as_str())
            })
            .is_some()
        {
            return Err(VpcError::conflict(
                "validation_unique_failed",
                format!("A VPC named {name} already exists in this region."),
            ));
        }
        if let Some(vpc) = world.get_mut(SERVICE, VPCS, &id) {
            vpc["name"] = Value::String(name);
        }
        refresh_vpc_references(&mut world, &id);
    }
    let vpc = world
        .get(SERVICE, VPCS, &id)
        .cloned()
        .unwrap_or(Value::Null);
    Ok(ok(&vpc))
}

/// Rewrites the embedded `vpc` references after a rename.
fn refresh_vpc_references(world: &mut World, vpc_id: &str) {
    let Some(vpc) = world.get(SERVICE, VPCS, vpc_id) else {
        return;
    };
    let r = reference(vpc, true);
    for collection in [SUBNETS, SECURITY_GROUPS] {
        for id in world.ids_where(SERVICE, collection, |o| {
            o["vpc"]["id"].as_str() == Some(vpc_id)
        }) {
            if let Some(o) = world.get_mut(SERVICE, collection, &id) {
                o["vpc"] = r.clone();
            }
        }
    }
}

async fn delete_vpc(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let mut world = sim.world().await;
    if world.get(SERVICE, VPCS, &id).is_none() {
        return Err(VpcError::not_found("VPC", &id));
    }
    let in_vpc = |o: &Value| o["vpc"]["id"].as_str() == Some(id.as_str());
    if !world.ids_where(SERVICE, SUBNETS, in_vpc).is_empty() {
        return Err(VpcError::conflict(
            "vpc_in_use",
            format!("VPC {id} still has subnets; delete them first."),
        ));
    }
    let extra_groups = world.ids_where(SERVICE, SECURITY_GROUPS, |o| {
        in_vpc(o) && o["_default_of_vpc"].as_str() != Some(id.as_str())
    });
    if !extra_groups.is_empty() {
        return Err(VpcError::conflict(
            "vpc_in_use",
            format!(
                "VPC {id} still has security groups ({}); delete them first.",
                extra_groups.join(", ")
            ),
        ));
    }
    for sg in world.ids_where(SERVICE, SECURITY_GROUPS, in_vpc) {
        world.remove(SERVICE, SECURITY_GROUPS, &sg);
    }
    for prefix in world.ids_where(SERVICE, PREFIXES, |o| {
        o["_vpc_id"].as_str() == Some(id.as_str())
    }) {
        world.remove(SERVICE, PREFIXES, &prefix);
    }
    world.remove(SERVICE, VPCS, &id);
    drop(world);
    Ok(no_content())
}

// ---------------------------------------------------------------------------------------
// Address prefixes

#[allow(clippy::too_many_arguments)]
fn insert_prefix(
    world: &mut World,
    region: &str,
    vpc_id: &str,
    name: String,
    zone: &str,
    cidr: &str,
    is_default: bool,
    now_ms: u64,
) -> String {
    let id = format!("{}-{}", region_prefix(region), world.new_id());
    let prefix = json!({
        "cidr": cidr,
        "created_at": util::rfc3339(now_ms),
        "has_subnets": false,
        "href": format!("{}/vpcs/{vpc_id}/address_prefixes/{id}", api_base(region)),
        "id": id,
        "is_default": is_default,
        "name": name,
        "zone": zone_ref(region, zone),
        "_vpc_id": vpc_id,
    });
    world.insert(SERVICE, PREFIXES, &id, prefix);
    id
}

fn prefixes_of<'a>(world: &'a World, vpc_id: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    world
        .list(SERVICE, PREFIXES)
        .filter(move |p| p["_vpc_id"].as_str() == Some(vpc_id))
}

fn parse_cidr(field: &str, value: Option<&Value>) -> Result<Ipv4Net, VpcError> {
    let text = value
        .and_then(Value::as_str)
        .ok_or_else(|| VpcError::missing(field))?;
    let net: Ipv4Net = text.parse().map_err(|_| {
        VpcError::invalid(field, value, format!("{text} is not an IPv4 CIDR block."))
    })?;
    if net.trunc() != net {
        return Err(VpcError::invalid(
            field,
            value,
            format!(
                "{text} has host bits set; the network address is {}.",
                net.trunc()
            ),
        ));
    }
    Ok(net)
}

fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

async fn list_prefixes(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(vpc_id): Path<String>,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    if world.get(SERVICE, VPCS, &vpc_id).is_none() {
        return Err(VpcError::not_found("VPC", &vpc_id));
    }
    let items: Vec<Value> = prefixes_of(&world, &vpc_id)
        .filter(|p| {
            params
                .get("zone.name")
                .is_none_or(|z| p["zone"]["name"].as_str() == Some(z))
        })
        .cloned()
        .collect();
    let body = page(
        &headers,
        &params,
        &format!("/vpcs/{vpc_id}/address_prefixes"),
        "address_prefixes",
        items,
    )?;
    Ok(ok(&body))
}

async fn create_prefix(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(vpc_id): Path<String>,
    body: Bytes,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let body = parse_body(&body)?;
    let region = region(&sim);
    let mut world = sim.world().await;
    if world.get(SERVICE, VPCS, &vpc_id).is_none() {
        return Err(VpcError::not_found("VPC", &vpc_id));
    }
    let cidr = parse_cidr("cidr", body.get("cidr"))?;
    let zone = body
        .get("zone")
        .and_then(|z| z["name"].as_str())
        .ok_or_else(|| VpcError::missing("zone.name"))?
        .to_owned();
    if !zones_of(&region).contains(&zone) {
        return Err(VpcError::invalid(
            "zone.name",
            body.get("zone").map(|z| &z["name"]),
            format!("Zone {zone} is not in region {region}."),
        ));
    }
    for existing in prefixes_of(&world, &vpc_id) {
        if let Some(Ok(other)) = existing["cidr"].as_str().map(str::parse::<Ipv4Net>)
            && overlaps(&cidr, &other)
        {
            return Err(VpcError::conflict(
                "address_prefix_overlap",
                format!(
                    "Address prefix {cidr} overlaps address prefix {} ({other}) of this VPC.",
                    existing["name"].as_str().unwrap_or_default()
                ),
            ));
        }
    }
    let name = match name_field(&body)? {
        Some(n) => {
            if prefixes_of(&world, &vpc_id).any(|p| p["name"].as_str() == Some(n.as_str())) {
                return Err(VpcError::conflict(
                    "validation_unique_failed",
                    format!("An address prefix named {n} already exists in this VPC."),
                ));
            }
            n
        }
        None => generated_name(&mut world),
    };
    let is_default = body
        .get("is_default")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let id = insert_prefix(
        &mut world,
        &region,
        &vpc_id,
        name,
        &zone,
        &cidr.to_string(),
        is_default,
        sim.now_ms(),
    );
    let prefix = world
        .get(SERVICE, PREFIXES, &id)
        .cloned()
        .unwrap_or(Value::Null);
    Ok(created(&prefix))
}

fn find_prefix<'a>(world: &'a World, vpc_id: &str, id: &str) -> Result<&'a Value, VpcError> {
    if world.get(SERVICE, VPCS, vpc_id).is_none() {
        return Err(VpcError::not_found("VPC", vpc_id));
    }
    world
        .get(SERVICE, PREFIXES, id)
        .filter(|p| p["_vpc_id"].as_str() == Some(vpc_id))
        .ok_or_else(|| VpcError::not_found("Address prefix", id))
}

async fn get_prefix(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path((vpc_id, id)): Path<(String, String)>,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    Ok(ok(find_prefix(&world, &vpc_id, &id)?))
}

async fn update_prefix(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path((vpc_id, id)): Path<(String, String)>,
    body: Bytes,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let body = parse_body(&body)?;
    let mut world = sim.world().await;
    find_prefix(&world, &vpc_id, &id)?;
    let name = name_field(&body)?;
    if let Some(n) = &name
        && prefixes_of(&world, &vpc_id).any(|p| {
            p["name"].as_str() == Some(n.as_str()) && p["id"].as_str() != Some(id.as_str())
        })
    {
        return Err(VpcError::conflict(
            "validation_unique_failed",
            format!("An address prefix named {n} already exists in this VPC."),
        ));
    }
    let is_default = match body.get("is_default") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            return Err(VpcError::invalid(
                "is_default",
                Some(other),
                "is_default must be a boolean.",
            ));
        }
    };
    let Some(prefix) = world.get_mut(SERVICE, PREFIXES, &id) else {
        return Err(VpcError::not_found("Address prefix", &id));
    };
    if let Some(n) = name {
        prefix["name"] = Value::String(n);
    }
    if let Some(d) = is_default {
        prefix["is_default"] = Value::Bool(d);
    }
    let prefix = prefix.clone();
    Ok(ok(&prefix))
}

async fn delete_prefix(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path((vpc_id, id)): Path<(String, String)>,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let mut world = sim.world().await;
    let prefix = find_prefix(&world, &vpc_id, &id)?;
    if prefix["has_subnets"].as_bool() == Some(true) {
        return Err(VpcError::conflict(
            "address_prefix_in_use",
            format!("Address prefix {id} still contains subnets."),
        ));
    }
    world.remove(SERVICE, PREFIXES, &id);
    Ok(no_content())
}

/// Recomputes `has_subnets` of every prefix of the VPC.
fn refresh_has_subnets(world: &mut World, vpc_id: &str) {
    let subnet_cidrs: Vec<(Ipv4Net, String)> = world
        .list(SERVICE, SUBNETS)
        .filter(|s| s["vpc"]["id"].as_str() == Some(vpc_id))
        .filter_map(|s| {
            Some((
                s["ipv4_cidr_block"].as_str()?.parse().ok()?,
                s["zone"]["name"].as_str()?.to_owned(),
            ))
        })
        .collect();
    for id in world.ids_where(SERVICE, PREFIXES, |p| p["_vpc_id"].as_str() == Some(vpc_id)) {
        if let Some(p) = world.get_mut(SERVICE, PREFIXES, &id) {
            let cidr: Option<Ipv4Net> = p["cidr"].as_str().and_then(|c| c.parse().ok());
            let zone = p["zone"]["name"].as_str().unwrap_or_default().to_owned();
            let used = cidr.is_some_and(|c| {
                subnet_cidrs
                    .iter()
                    .any(|(s, z)| *z == zone && c.contains(s))
            });
            p["has_subnets"] = Value::Bool(used);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Subnets

/// Addresses IBM reserves in every subnet (network, gateway, two internal, broadcast).
const RESERVED_ADDRESSES_PER_SUBNET: u64 = 5;

// Plain data in, one object out: a struct would only rename the parameters.
#[allow(clippy::too_many_arguments)]
fn insert_subnet(
    world: &mut World,
    region: &str,
    account: &str,
    vpc: &Value,
    name: String,
    zone: &str,
    cidr: Ipv4Net,
    resource_group: Value,
    now_ms: u64,
) -> String {
    let id = format!("{}-{}", zone_prefix(zone), world.new_id());
    let total = 1u64 << (32 - u32::from(cidr.prefix_len()));
    let subnet = json!({
        "available_ipv4_address_count": total.saturating_sub(RESERVED_ADDRESSES_PER_SUBNET),
        "created_at": util::rfc3339(now_ms),
        "crn": zone_crn(zone, account, "subnet", &id),
        "href": format!("{}/subnets/{id}", api_base(region)),
        "id": id,
        "ip_version": "ipv4",
        "ipv4_cidr_block": cidr.to_string(),
        "name": name,
        "network_acl": vpc["default_network_acl"],
        "resource_group": resource_group,
        "resource_type": "subnet",
        "routing_table": vpc["default_routing_table"],
        "status": "available",
        "total_ipv4_address_count": total,
        "vpc": reference(vpc, true),
        "zone": zone_ref(region, zone),
    });
    world.insert(SERVICE, SUBNETS, &id, subnet);
    if let Some(vpc_id) = vpc["id"].as_str() {
        refresh_has_subnets(world, vpc_id);
    }
    id
}

async fn list_subnets(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    let filter = |s: &&Value| {
        let eq = |param: &str, value: &Value| {
            params.get(param).is_none_or(|p| value.as_str() == Some(p))
        };
        eq("resource_group.id", &s["resource_group"]["id"])
            && eq("zone.name", &s["zone"]["name"])
            && eq("vpc.id", &s["vpc"]["id"])
            && eq("vpc.crn", &s["vpc"]["crn"])
            && eq("vpc.name", &s["vpc"]["name"])
            && eq("routing_table.id", &s["routing_table"]["id"])
            && eq("routing_table.name", &s["routing_table"]["name"])
    };
    let items: Vec<Value> = world
        .list(SERVICE, SUBNETS)
        .filter(filter)
        .cloned()
        .collect();
    let body = page(&headers, &params, "/subnets", "subnets", items)?;
    Ok(ok(&body))
}

async fn create_subnet(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    body: Bytes,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let body = parse_body(&body)?;
    let region = region(&sim);
    let mut world = sim.world().await;
    let vpc_identity = body.get("vpc").ok_or_else(|| VpcError::missing("vpc"))?;
    let vpc = vpc_by_identity(&world, vpc_identity)
        .cloned()
        .ok_or_else(|| VpcError::invalid("vpc", Some(vpc_identity), "The VPC was not found."))?;
    let vpc_id = vpc["id"].as_str().unwrap_or_default().to_owned();
    let zone = body
        .get("zone")
        .and_then(|z| z["name"].as_str())
        .ok_or_else(|| VpcError::missing("zone.name"))?
        .to_owned();
    if !zones_of(&region).contains(&zone) {
        return Err(VpcError::invalid(
            "zone.name",
            body.get("zone").map(|z| &z["name"]),
            format!("Zone {zone} is not in region {region}."),
        ));
    }
    let cidr = match (
        body.get("ipv4_cidr_block"),
        body.get("total_ipv4_address_count"),
    ) {
        (Some(c), _) => parse_cidr("ipv4_cidr_block", Some(c))?,
        (None, Some(count)) => allocate_cidr(&world, &vpc_id, &zone, count)?,
        (None, None) => return Err(VpcError::missing("ipv4_cidr_block")),
    };
    if cidr.prefix_len() > 29 {
        return Err(VpcError::invalid(
            "ipv4_cidr_block",
            body.get("ipv4_cidr_block"),
            "A subnet needs at least 8 addresses (/29).",
        ));
    }
    let inside_prefix = prefixes_of(&world, &vpc_id).any(|p| {
        p["zone"]["name"].as_str() == Some(zone.as_str())
            && p["cidr"]
                .as_str()
                .and_then(|c| c.parse::<Ipv4Net>().ok())
                .is_some_and(|n| n.contains(&cidr))
    });
    if !inside_prefix {
        return Err(VpcError::invalid(
            "ipv4_cidr_block",
            body.get("ipv4_cidr_block"),
            format!("{cidr} is not within an address prefix of VPC {vpc_id} in zone {zone}."),
        ));
    }
    for s in world
        .list(SERVICE, SUBNETS)
        .filter(|s| s["vpc"]["id"].as_str() == Some(vpc_id.as_str()))
    {
        if let Some(Ok(other)) = s["ipv4_cidr_block"].as_str().map(str::parse::<Ipv4Net>)
            && overlaps(&cidr, &other)
        {
            return Err(VpcError::conflict(
                "subnet_overlap",
                format!(
                    "{cidr} overlaps subnet {} ({other}).",
                    s["name"].as_str().unwrap_or_default()
                ),
            ));
        }
    }
    let name = match name_field(&body)? {
        Some(n) => {
            if world
                .find(SERVICE, SUBNETS, |s| {
                    s["vpc"]["id"].as_str() == Some(vpc_id.as_str())
                        && s["name"].as_str() == Some(n.as_str())
                })
                .is_some()
            {
                return Err(VpcError::conflict(
                    "validation_unique_failed",
                    format!("A subnet named {n} already exists in this VPC."),
                ));
            }
            n
        }
        None => generated_name(&mut world),
    };
    let rg = resolve_resource_group(&world, &body)?;
    let account = sim.account_id().to_owned();
    let id = insert_subnet(
        &mut world,
        &region,
        &account,
        &vpc,
        name,
        &zone,
        cidr,
        rg,
        sim.now_ms(),
    );
    let subnet = world
        .get(SERVICE, SUBNETS, &id)
        .cloned()
        .unwrap_or(Value::Null);
    Ok(created(&subnet))
}

/// Picks the first free block of `count` addresses inside the zone's address prefixes.
fn allocate_cidr(
    world: &World,
    vpc_id: &str,
    zone: &str,
    count: &Value,
) -> Result<Ipv4Net, VpcError> {
    let n = count
        .as_u64()
        .filter(|n| n.is_power_of_two() && (8..=1 << 24).contains(n))
        .ok_or_else(|| {
            VpcError::invalid(
                "total_ipv4_address_count",
                Some(count),
                "total_ipv4_address_count must be a power of two of at least 8.",
            )
        })?;
    let prefix_len = 32 - n.trailing_zeros() as u8;
    let used: Vec<Ipv4Net> = world
        .list(SERVICE, SUBNETS)
        .filter(|s| s["vpc"]["id"].as_str() == Some(vpc_id))
        .filter_map(|s| s["ipv4_cidr_block"].as_str()?.parse().ok())
        .collect();
    for p in prefixes_of(world, vpc_id).filter(|p| p["zone"]["name"].as_str() == Some(zone)) {
        let Some(net) = p["cidr"].as_str().and_then(|c| c.parse::<Ipv4Net>().ok()) else {
            continue;
        };
        if let Ok(mut candidates) = net.subnets(prefix_len)
            && let Some(free) = candidates.find(|c| !used.iter().any(|u| overlaps(u, c)))
        {
            return Ok(free);
        }
    }
    Err(VpcError::conflict(
        "subnet_no_space",
        format!("No free block of {n} addresses in the address prefixes of zone {zone}."),
    ))
}

async fn get_subnet(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    let subnet = world
        .get(SERVICE, SUBNETS, &id)
        .ok_or_else(|| VpcError::not_found("Subnet", &id))?;
    Ok(ok(subnet))
}

async fn update_subnet(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
    body: Bytes,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let body = parse_body(&body)?;
    let mut world = sim.world().await;
    let vpc_id = world
        .get(SERVICE, SUBNETS, &id)
        .ok_or_else(|| VpcError::not_found("Subnet", &id))?["vpc"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let name = name_field(&body)?;
    if let Some(n) = &name
        && world
            .find(SERVICE, SUBNETS, |s| {
                s["vpc"]["id"].as_str() == Some(vpc_id.as_str())
                    && s["name"].as_str() == Some(n.as_str())
                    && s["id"].as_str() != Some(id.as_str())
            })
            .is_some()
    {
        return Err(VpcError::conflict(
            "validation_unique_failed",
            format!("A subnet named {n} already exists in this VPC."),
        ));
    }
    let Some(subnet) = world.get_mut(SERVICE, SUBNETS, &id) else {
        return Err(VpcError::not_found("Subnet", &id));
    };
    if let Some(n) = name {
        subnet["name"] = Value::String(n);
    }
    let subnet = subnet.clone();
    Ok(ok(&subnet))
}

async fn delete_subnet(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let mut world = sim.world().await;
    let subnet = world
        .remove(SERVICE, SUBNETS, &id)
        .ok_or_else(|| VpcError::not_found("Subnet", &id))?;
    if let Some(vpc_id) = subnet["vpc"]["id"].as_str() {
        refresh_has_subnets(&mut world, vpc_id);
    }
    Ok(no_content())
}

// ---------------------------------------------------------------------------------------
// Security groups

fn insert_security_group(
    world: &mut World,
    region: &str,
    account: &str,
    name: String,
    resource_group: Value,
    vpc_reference: Value,
    now_ms: u64,
) -> String {
    let id = format!("{}-{}", region_prefix(region), world.new_id());
    let sg = json!({
        "created_at": util::rfc3339(now_ms),
        "crn": vpc_crn(region, account, "security-group", &id),
        "href": format!("{}/security_groups/{id}", api_base(region)),
        "id": id,
        "name": name,
        "resource_group": resource_group,
        "rules": [],
        "targets": [],
        "vpc": vpc_reference,
    });
    world.insert(SERVICE, SECURITY_GROUPS, &id, sg);
    id
}

async fn list_security_groups(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    let filter = |s: &&Value| {
        let eq = |param: &str, value: &Value| {
            params.get(param).is_none_or(|p| value.as_str() == Some(p))
        };
        eq("resource_group.id", &s["resource_group"]["id"])
            && eq("vpc.id", &s["vpc"]["id"])
            && eq("vpc.crn", &s["vpc"]["crn"])
            && eq("vpc.name", &s["vpc"]["name"])
    };
    let items: Vec<Value> = world
        .list(SERVICE, SECURITY_GROUPS)
        .filter(filter)
        .cloned()
        .collect();
    let body = page(
        &headers,
        &params,
        "/security_groups",
        "security_groups",
        items,
    )?;
    Ok(ok(&body))
}

async fn create_security_group(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    body: Bytes,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let body = parse_body(&body)?;
    let region = region(&sim);
    let mut world = sim.world().await;
    if !world.has_room(SERVICE, SECURITY_GROUPS) {
        return Err(VpcError::new(
            StatusCode::BAD_REQUEST,
            "over_quota",
            "The security group quota of this account is reached.",
        ));
    }
    let vpc_identity = body.get("vpc").ok_or_else(|| VpcError::missing("vpc"))?;
    let vpc = vpc_by_identity(&world, vpc_identity)
        .cloned()
        .ok_or_else(|| VpcError::invalid("vpc", Some(vpc_identity), "The VPC was not found."))?;
    let vpc_id = vpc["id"].as_str().unwrap_or_default().to_owned();
    let name = match name_field(&body)? {
        Some(n) => {
            if world
                .find(SERVICE, SECURITY_GROUPS, |s| {
                    s["vpc"]["id"].as_str() == Some(vpc_id.as_str())
                        && s["name"].as_str() == Some(n.as_str())
                })
                .is_some()
            {
                return Err(VpcError::conflict(
                    "validation_unique_failed",
                    format!("A security group named {n} already exists in this VPC."),
                ));
            }
            n
        }
        None => generated_name(&mut world),
    };
    let rg = resolve_resource_group(&world, &body)?;
    let rules: Vec<Map<String, Value>> = match body.get("rules") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|r| match r {
                Value::Object(m) => Ok(m.clone()),
                other => Err(VpcError::invalid(
                    "rules",
                    Some(other),
                    "Each rule must be an object.",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(VpcError::invalid(
                "rules",
                Some(other),
                "rules must be an array.",
            ));
        }
    };
    // Validate every rule before creating anything: a create is all or nothing.
    for rule in &rules {
        validate_rule_prototype(&world, &vpc_id, None, rule)?;
    }
    let account = sim.account_id().to_owned();
    let id = insert_security_group(
        &mut world,
        &region,
        &account,
        name,
        rg,
        reference(&vpc, true),
        sim.now_ms(),
    );
    for rule in &rules {
        if let Err(e) = add_rule(&mut world, &region, &id, rule) {
            world.remove(SERVICE, SECURITY_GROUPS, &id);
            return Err(e);
        }
    }
    let sg = world
        .get(SERVICE, SECURITY_GROUPS, &id)
        .cloned()
        .unwrap_or(Value::Null);
    Ok(created(&sg))
}

fn find_sg<'a>(world: &'a World, id: &str) -> Result<&'a Value, VpcError> {
    world
        .get(SERVICE, SECURITY_GROUPS, id)
        .ok_or_else(|| VpcError::not_found("Security group", id))
}

async fn get_security_group(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    Ok(ok(find_sg(&world, &id)?))
}

async fn update_security_group(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
    body: Bytes,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let body = parse_body(&body)?;
    let mut world = sim.world().await;
    let vpc_id = find_sg(&world, &id)?["vpc"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let name = name_field(&body)?;
    if let Some(n) = &name {
        if world
            .find(SERVICE, SECURITY_GROUPS, |s| {
                s["vpc"]["id"].as_str() == Some(vpc_id.as_str())
                    && s["name"].as_str() == Some(n.as_str())
                    && s["id"].as_str() != Some(id.as_str())
            })
            .is_some()
        {
            return Err(VpcError::conflict(
                "validation_unique_failed",
                format!("A security group named {n} already exists in this VPC."),
            ));
        }
        if let Some(sg) = world.get_mut(SERVICE, SECURITY_GROUPS, &id) {
            sg["name"] = Value::String(n.clone());
        }
        refresh_sg_references(&mut world, &id);
    }
    Ok(ok(find_sg(&world, &id)?))
}

/// Keeps remote references to a renamed group, and the VPC's default reference, current.
fn refresh_sg_references(world: &mut World, sg_id: &str) {
    let Some(sg) = world.get(SERVICE, SECURITY_GROUPS, sg_id) else {
        return;
    };
    let r = reference(sg, false);
    let default_of = sg["_default_of_vpc"].as_str().map(str::to_owned);
    for other in world.ids_where(SERVICE, SECURITY_GROUPS, |_| true) {
        if let Some(o) = world.get_mut(SERVICE, SECURITY_GROUPS, &other)
            && let Some(rules) = o["rules"].as_array_mut()
        {
            for rule in rules
                .iter_mut()
                .filter(|rule| rule["remote"]["id"].as_str() == Some(sg_id))
            {
                rule["remote"] = r.clone();
            }
        }
    }
    if let Some(vpc_id) = default_of
        && let Some(vpc) = world.get_mut(SERVICE, VPCS, &vpc_id)
    {
        vpc["default_security_group"] = r;
    }
}

async fn delete_security_group(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let mut world = sim.world().await;
    let sg = find_sg(&world, &id)?;
    if sg["_default_of_vpc"].is_string() {
        return Err(VpcError::conflict(
            "security_group_is_default",
            format!(
                "Security group {id} is the default security group of its VPC and cannot be deleted."
            ),
        ));
    }
    if sg["targets"].as_array().is_some_and(|t| !t.is_empty()) {
        return Err(VpcError::conflict(
            "security_group_in_use",
            format!("Security group {id} still has targets."),
        ));
    }
    let referenced_by: Vec<String> = world
        .list(SERVICE, SECURITY_GROUPS)
        .filter(|o| o["id"].as_str() != Some(id.as_str()))
        .filter(|o| {
            o["rules"].as_array().is_some_and(|rs| {
                rs.iter()
                    .any(|r| r["remote"]["id"].as_str() == Some(id.as_str()))
            })
        })
        .filter_map(|o| o["name"].as_str().map(str::to_owned))
        .collect();
    if !referenced_by.is_empty() {
        return Err(VpcError::conflict(
            "security_group_in_use",
            format!(
                "Security group {id} is the remote of rules in: {}.",
                referenced_by.join(", ")
            ),
        ));
    }
    world.remove(SERVICE, SECURITY_GROUPS, &id);
    Ok(no_content())
}

async fn list_security_group_targets(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    let targets: Vec<Value> = find_sg(&world, &id)?["targets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let body = page(
        &headers,
        &params,
        &format!("/security_groups/{id}/targets"),
        "targets",
        targets,
    )?;
    Ok(ok(&body))
}

// ---------------------------------------------------------------------------------------
// Security group rules

/// A validated rule: everything needed to store it.
struct RuleSpec {
    direction: String,
    protocol: String,
    name: Option<String>,
    remote: Value,
    local: Value,
    port_min: Option<u64>,
    port_max: Option<u64>,
    icmp_type: Option<u64>,
    icmp_code: Option<u64>,
}

fn is_known_protocol(p: &str) -> bool {
    matches!(p, "tcp" | "udp" | "icmp" | "icmp_tcp_udp" | "any")
        || INDIVIDUAL_PROTOCOLS.contains(&p)
        || p.strip_prefix("number_")
            .and_then(|n| n.parse::<u16>().ok())
            .is_some_and(|n| n <= 255)
}

/// Checks `remote` (or `local` when `local_side`) and returns its stored form.
fn parse_endpoint(
    world: &World,
    vpc_id: &str,
    field: &str,
    value: Option<&Value>,
    local_side: bool,
) -> Result<Value, VpcError> {
    let Some(v) = value else {
        return Ok(json!({"cidr_block": "0.0.0.0/0"}));
    };
    if let Some(addr) = v.get("address") {
        let text = addr.as_str().unwrap_or_default();
        text.parse::<Ipv4Addr>().map_err(|_| {
            VpcError::invalid(
                &format!("{field}.address"),
                Some(addr),
                format!("{text} is not an IPv4 address."),
            )
        })?;
        return Ok(json!({"address": text}));
    }
    if let Some(cidr) = v.get("cidr_block") {
        let net = parse_cidr(&format!("{field}.cidr_block"), Some(cidr))?;
        return Ok(json!({"cidr_block": net.to_string()}));
    }
    if !local_side && (v.get("id").is_some() || v.get("crn").is_some() || v.get("href").is_some()) {
        let sg = sg_by_identity(world, v).ok_or_else(|| {
            VpcError::invalid(field, Some(v), "The remote security group was not found.")
        })?;
        if sg["vpc"]["id"].as_str() != Some(vpc_id) {
            return Err(VpcError::invalid(
                field,
                Some(v),
                "The remote security group must be in the same VPC.",
            ));
        }
        return Ok(reference(sg, false));
    }
    let accepted = if local_side {
        "`address` or `cidr_block`"
    } else {
        "`address`, `cidr_block`, or a security group `id`, `crn` or `href`"
    };
    Err(VpcError::invalid(
        field,
        Some(v),
        format!("{field} must have {accepted}."),
    ))
}

fn opt_u64(body: &Map<String, Value>, field: &str) -> Result<Option<u64>, VpcError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            VpcError::invalid(
                field,
                Some(v),
                format!("{field} must be a non-negative integer."),
            )
        }),
    }
}

/// Validates a rule prototype against the group it goes into. `existing_rule` is the id of
/// the rule being patched (its own name does not count as a duplicate).
fn validate_rule_prototype(
    world: &World,
    vpc_id: &str,
    sg_id: Option<&str>,
    body: &Map<String, Value>,
) -> Result<RuleSpec, VpcError> {
    let direction = match body.get("direction") {
        Some(Value::String(d)) if d == "inbound" || d == "outbound" => d.clone(),
        Some(other) => {
            return Err(VpcError::invalid(
                "direction",
                Some(other),
                "direction must be `inbound` or `outbound`.",
            ));
        }
        None => return Err(VpcError::missing("direction")),
    };
    let mut protocol = match body.get("protocol") {
        Some(Value::String(p)) if is_known_protocol(p) || p == "all" => p.clone(),
        Some(other) => {
            return Err(VpcError::invalid(
                "protocol",
                Some(other),
                "protocol must be one of tcp, udp, icmp, icmp_tcp_udp, any, ah, esp, gre, ip_in_ip, l2tp, rsvp, sctp, vrrp or number_0..number_255.",
            ));
        }
        None => return Err(VpcError::missing("protocol")),
    };
    // `all` is the deprecated spelling of `any`; the API stores it as `any`.
    if protocol == "all" {
        protocol = "any".into();
    }
    match body.get("ip_version") {
        None => {}
        Some(Value::String(v)) if v == "ipv4" => {}
        Some(other) => {
            return Err(VpcError::invalid(
                "ip_version",
                Some(other),
                "ip_version must be `ipv4`.",
            ));
        }
    }
    let port_min = opt_u64(body, "port_min")?;
    let port_max = opt_u64(body, "port_max")?;
    let icmp_type = opt_u64(body, "type")?;
    let icmp_code = opt_u64(body, "code")?;
    let tcp_udp = protocol == "tcp" || protocol == "udp";
    if !tcp_udp {
        for (field, present) in [
            ("port_min", port_min.is_some()),
            ("port_max", port_max.is_some()),
        ] {
            if present {
                return Err(VpcError::invalid(
                    field,
                    body.get(field),
                    format!("{field} is only allowed with protocol tcp or udp, not {protocol}."),
                ));
            }
        }
    }
    if protocol != "icmp" {
        for (field, present) in [("type", icmp_type.is_some()), ("code", icmp_code.is_some())] {
            if present {
                return Err(VpcError::invalid(
                    field,
                    body.get(field),
                    format!("{field} is only allowed with protocol icmp, not {protocol}."),
                ));
            }
        }
    }
    let (port_min, port_max) = if tcp_udp {
        match (port_min, port_max) {
            (None, None) => (Some(1), Some(65535)),
            (Some(_), None) | (None, Some(_)) => {
                let missing = if port_min.is_none() {
                    "port_min"
                } else {
                    "port_max"
                };
                return Err(VpcError::bad_field(
                    "missing_field",
                    missing,
                    None,
                    "port_min and port_max must be given together.".into(),
                ));
            }
            (Some(lo), Some(hi)) => {
                for (field, v) in [("port_min", lo), ("port_max", hi)] {
                    if !(1..=65535).contains(&v) {
                        return Err(VpcError::invalid(
                            field,
                            body.get(field),
                            format!("{field} must be between 1 and 65535."),
                        ));
                    }
                }
                if lo > hi {
                    return Err(VpcError::invalid(
                        "port_min",
                        body.get("port_min"),
                        format!("port_min ({lo}) must not be greater than port_max ({hi})."),
                    ));
                }
                (Some(lo), Some(hi))
            }
        }
    } else {
        (None, None)
    };
    if let Some(t) = icmp_type
        && t > 254
    {
        return Err(VpcError::invalid(
            "type",
            body.get("type"),
            "type must be between 0 and 254.",
        ));
    }
    if let Some(c) = icmp_code {
        if icmp_type.is_none() {
            return Err(VpcError::bad_field(
                "missing_field",
                "type",
                None,
                "code requires type.".into(),
            ));
        }
        if c > 255 {
            return Err(VpcError::invalid(
                "code",
                body.get("code"),
                "code must be between 0 and 255.",
            ));
        }
    }
    let name = name_field(body)?;
    if let (Some(n), Some(sg_id)) = (&name, sg_id)
        && let Some(sg) = world.get(SERVICE, SECURITY_GROUPS, sg_id)
        && sg["rules"]
            .as_array()
            .is_some_and(|rs| rs.iter().any(|r| r["name"].as_str() == Some(n.as_str())))
    {
        return Err(VpcError::conflict(
            "validation_unique_failed",
            format!("A rule named {n} already exists in security group {sg_id}."),
        ));
    }
    let remote = parse_endpoint(world, vpc_id, "remote", body.get("remote"), false)?;
    let local = parse_endpoint(world, vpc_id, "local", body.get("local"), true)?;
    Ok(RuleSpec {
        direction,
        protocol,
        name,
        remote,
        local,
        port_min,
        port_max,
        icmp_type,
        icmp_code,
    })
}

/// Adds a validated rule to the group and returns the stored rule.
fn add_rule(
    world: &mut World,
    region: &str,
    sg_id: &str,
    body: &Map<String, Value>,
) -> Result<Value, VpcError> {
    let vpc_id = find_sg(world, sg_id)?["vpc"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if find_sg(world, sg_id)?["rules"]
        .as_array()
        .is_some_and(|r| r.len() >= MAX_RULES_PER_GROUP)
    {
        return Err(VpcError::new(
            StatusCode::BAD_REQUEST,
            "over_quota",
            format!(
                "Security group {sg_id} already has the maximum of {MAX_RULES_PER_GROUP} rules."
            ),
        ));
    }
    let spec = validate_rule_prototype(world, &vpc_id, Some(sg_id), body)?;
    let id = format!("{}-{}", region_prefix(region), world.new_id());
    let name = match spec.name {
        Some(n) => n,
        None => generated_name(world),
    };
    let mut rule = json!({
        "direction": spec.direction,
        "href": format!("{}/security_groups/{sg_id}/rules/{id}", api_base(region)),
        "id": id,
        "ip_version": "ipv4",
        "local": spec.local,
        "name": name,
        "protocol": spec.protocol,
        "remote": spec.remote,
        "resource_type": "security_group_rule",
    });
    if let (Some(lo), Some(hi)) = (spec.port_min, spec.port_max) {
        rule["port_min"] = json!(lo);
        rule["port_max"] = json!(hi);
    }
    if let Some(t) = spec.icmp_type {
        rule["type"] = json!(t);
    }
    if let Some(c) = spec.icmp_code {
        rule["code"] = json!(c);
    }
    let Some(sg) = world.get_mut(SERVICE, SECURITY_GROUPS, sg_id) else {
        return Err(VpcError::not_found("Security group", sg_id));
    };
    match sg["rules"].as_array_mut() {
        Some(rules) => rules.push(rule.clone()),
        None => sg["rules"] = json!([rule.clone()]),
    }
    Ok(rule)
}

async fn list_rules(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    let rules = find_sg(&world, &id)?["rules"].clone();
    Ok(ok(&json!({"rules": rules})))
}

async fn create_rule(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path(id): Path<String>,
    body: Bytes,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let body = parse_body(&body)?;
    let region = region(&sim);
    let mut world = sim.world().await;
    let rule = add_rule(&mut world, &region, &id, &body)?;
    Ok(created(&rule))
}

fn find_rule<'a>(world: &'a World, sg_id: &str, rule_id: &str) -> Result<&'a Value, VpcError> {
    find_sg(world, sg_id)?["rules"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["id"].as_str() == Some(rule_id)))
        .ok_or_else(|| VpcError::not_found("Security group rule", rule_id))
}

async fn get_rule(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path((id, rule_id)): Path<(String, String)>,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let world = sim.world().await;
    Ok(ok(find_rule(&world, &id, &rule_id)?))
}

async fn update_rule(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path((id, rule_id)): Path<(String, String)>,
    body: Bytes,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let patch = parse_body(&body)?;
    let mut world = sim.world().await;
    let current = find_rule(&world, &id, &rule_id)?.clone();
    const PATCHABLE: &[&str] = &[
        "code",
        "direction",
        "ip_version",
        "local",
        "name",
        "port_max",
        "port_min",
        "remote",
        "type",
    ];
    if let Some(p) = patch.get("protocol") {
        return Err(VpcError::invalid(
            "protocol",
            Some(p),
            "protocol cannot be changed; delete the rule and create a new one.",
        ));
    }
    if let Some(bad) = patch.keys().find(|k| !PATCHABLE.contains(&k.as_str())) {
        return Err(VpcError::invalid(
            bad,
            patch.get(bad),
            format!("{bad} is not a property of a security group rule patch."),
        ));
    }
    // Re-validate the merged rule as a whole, so a patch cannot create an invalid rule.
    let mut merged: Map<String, Value> = current.as_object().cloned().unwrap_or_default();
    for (k, v) in &patch {
        if v.is_null() {
            merged.remove(k);
        } else {
            merged.insert(k.clone(), v.clone());
        }
    }
    let renaming = patch
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| Some(*n) != current["name"].as_str());
    if renaming.is_none() {
        merged.remove("name");
    }
    // A remote given as a stored security-group reference resolves through its id.
    let vpc_id = find_sg(&world, &id)?["vpc"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let spec = validate_rule_prototype(&world, &vpc_id, Some(&id), &merged)?;
    let Some(sg) = world.get_mut(SERVICE, SECURITY_GROUPS, &id) else {
        return Err(VpcError::not_found("Security group", &id));
    };
    let Some(rule) = sg["rules"].as_array_mut().and_then(|rs| {
        rs.iter_mut()
            .find(|r| r["id"].as_str() == Some(rule_id.as_str()))
    }) else {
        return Err(VpcError::not_found("Security group rule", &rule_id));
    };
    rule["direction"] = json!(spec.direction);
    rule["remote"] = spec.remote;
    rule["local"] = spec.local;
    if let Some(n) = spec.name {
        rule["name"] = json!(n);
    }
    if let Some(obj) = rule.as_object_mut() {
        for key in ["port_min", "port_max", "type", "code"] {
            obj.remove(key);
        }
    }
    if let (Some(lo), Some(hi)) = (spec.port_min, spec.port_max) {
        rule["port_min"] = json!(lo);
        rule["port_max"] = json!(hi);
    }
    if let Some(t) = spec.icmp_type {
        rule["type"] = json!(t);
    }
    if let Some(c) = spec.icmp_code {
        rule["code"] = json!(c);
    }
    let rule = rule.clone();
    Ok(ok(&rule))
}

async fn delete_rule(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(params): Params,
    Path((id, rule_id)): Path<(String, String)>,
) -> VpcResult {
    check_request(&sim, &headers, &params)?;
    let mut world = sim.world().await;
    find_rule(&world, &id, &rule_id)?;
    if let Some(rules) = world
        .get_mut(SERVICE, SECURITY_GROUPS, &id)
        .and_then(|sg| sg["rules"].as_array_mut())
    {
        rules.retain(|r| r["id"].as_str() != Some(rule_id.as_str()));
    }
    Ok(no_content())
}

// ---------------------------------------------------------------------------------------
// Seeding

/// The scenario's VPC: manual address prefixes (one per subnet, as the landing zone makes
/// them), its subnets and security groups with their rules.
pub fn seed(world: &mut World, scenario: &Scenario, now_ms: u64) {
    let Some(spec) = &scenario.vpc else {
        return;
    };
    let region = scenario.region.as_str();
    let account = scenario.account_id.as_str();
    let rg_wanted = (!spec.resource_group.is_empty()).then_some(spec.resource_group.as_str());
    let rg = resource_group_ref(world, rg_wanted)
        .or_else(|| resource_group_ref(world, None))
        .unwrap_or_else(|| json!({"href": "https://resource-controller.cloud.ibm.com/v2/resource_groups/default", "id": "default", "name": "Default"}));
    let vpc_id = build_vpc(
        world,
        region,
        account,
        spec.name.clone(),
        rg.clone(),
        false,
        false,
        now_ms,
    );
    for subnet in &spec.subnets {
        let Ok(cidr) = subnet.cidr.parse::<Ipv4Net>() else {
            tracing::warn!(cidr = %subnet.cidr, "scenario subnet has an invalid CIDR; skipped");
            continue;
        };
        let zone = if subnet.zone.is_empty() {
            format!("{region}-1")
        } else {
            subnet.zone.clone()
        };
        insert_prefix(
            world,
            region,
            &vpc_id,
            format!("{}-prefix", subnet.name),
            &zone,
            &cidr.trunc().to_string(),
            false,
            now_ms,
        );
        if let Some(vpc) = world.get(SERVICE, VPCS, &vpc_id).cloned() {
            insert_subnet(
                world,
                region,
                account,
                &vpc,
                subnet.name.clone(),
                &zone,
                cidr.trunc(),
                rg.clone(),
                now_ms,
            );
        }
    }
    let vpc_reference = match world.get(SERVICE, VPCS, &vpc_id) {
        Some(v) => reference(v, true),
        None => return,
    };
    for sg_spec in &spec.security_groups {
        let sg_id = insert_security_group(
            world,
            region,
            account,
            sg_spec.name.clone(),
            rg.clone(),
            vpc_reference.clone(),
            now_ms,
        );
        for r in &sg_spec.rules {
            let mut proto = json!({
                "direction": r.direction,
                "protocol": r.protocol,
                "remote": {"cidr_block": if r.remote_cidr.is_empty() { "0.0.0.0/0" } else { r.remote_cidr.as_str() }},
            });
            if !r.name.is_empty() {
                proto["name"] = json!(r.name);
            }
            if let (Some(lo), Some(hi)) = (r.port_min, r.port_max) {
                proto["port_min"] = json!(lo);
                proto["port_max"] = json!(hi);
            }
            if let Value::Object(p) = proto
                && let Err(e) = add_rule(world, region, &sg_id, &p)
            {
                tracing::warn!(rule = %r.name, error = %e.message, "scenario security group rule skipped");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_dates_are_checked() {
        assert!(is_version_date("2026-03-24"));
        assert!(!is_version_date("2026-3-24"));
        assert!(!is_version_date("2026-13-01"));
        assert!(!is_version_date("yesterday!"));
    }

    #[test]
    fn resource_names_follow_vpc_rules() {
        assert!(valid_name("allow-pvs-mgmt-inbound"));
        assert!(!valid_name("Allow"));
        assert!(!valid_name("1abc"));
        assert!(!valid_name("abc-"));
        assert!(!valid_name(""));
    }

    #[test]
    fn protocols_cover_every_variant() {
        for p in [
            "tcp",
            "udp",
            "icmp",
            "icmp_tcp_udp",
            "any",
            "gre",
            "number_0",
            "number_255",
        ] {
            assert!(is_known_protocol(p), "{p}");
        }
        assert!(!is_known_protocol("number_256"));
        assert!(!is_known_protocol("http"));
    }

    #[test]
    fn seeded_vpc_has_subnets_prefixes_and_groups() {
        let scenario = Scenario::default();
        let mut world = World::new(1);
        seed(&mut world, &scenario, 0);
        assert_eq!(world.list(SERVICE, SUBNETS).count(), 4);
        assert_eq!(world.list(SERVICE, PREFIXES).count(), 4);
        assert!(
            world
                .list(SERVICE, PREFIXES)
                .all(|p| p["has_subnets"] == json!(true))
        );
        let mgmt = world
            .find(SERVICE, SECURITY_GROUPS, |s| {
                s["name"] == json!("management-sg")
            })
            .cloned()
            .unwrap_or(Value::Null);
        assert_eq!(mgmt["rules"].as_array().map(Vec::len), Some(2));
        assert_eq!(mgmt["rules"][0]["port_min"], json!(22));
        // The VPC's default group plus the two scenario groups.
        assert_eq!(world.list(SERVICE, SECURITY_GROUPS).count(), 3);
    }
}
