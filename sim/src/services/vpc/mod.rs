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
//!
//! One file per collection (`vpcs`, `address_prefixes`, `subnets`, `security_groups`,
//! `rules`) and one for the start-up objects (`seeding`); this file holds what they share:
//! the route table, the error body, the request checks, pagination and references.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::services::kit::{
    CheckedBody, CheckedRequest, ErrorStyle, ErrorTarget, IbmError, RequestCheck, fault_code,
    is_version_date, page_window, pick_resource_group, request_base, uuid_trace_id,
};
use crate::sim::Sim;
use crate::store::{World, public_view};

mod address_prefixes;
mod rules;
mod security_groups;
mod seeding;
mod subnets;
mod vpcs;

use address_prefixes::{create_prefix, delete_prefix, get_prefix, list_prefixes, update_prefix};
use rules::{create_rule, delete_rule, get_rule, list_rules, update_rule};
use security_groups::{
    create_security_group, delete_security_group, get_security_group, list_security_group_targets,
    list_security_groups, update_security_group,
};
pub use seeding::seed;
use subnets::{create_subnet, delete_subnet, get_subnet, list_subnets, update_subnet};
use vpcs::{create_vpc, delete_vpc, get_vpc, list_vpcs, update_vpc};

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
    let code = fault_code(
        status,
        &[
            (401, "not_authorized"),
            (403, "forbidden"),
            (404, "not_found"),
            (409, "conflict"),
            (429, "rate_limit_exceeded"),
        ],
        "internal_error",
        "bad_request",
    );
    VpcError::new(status, code, message).into_response()
}

// Errors

/// The VPC error body: `{errors: [{code, message, more_info, target}], status_code, trace}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VpcStyle;

impl ErrorStyle for VpcStyle {
    fn body(e: &IbmError<Self>) -> Value {
        let mut error = json!({
            "code": e.code,
            "message": e.message,
            "more_info": "https://cloud.ibm.com/docs/vpc?topic=vpc-rias-error-messages",
        });
        if let Some(target) = &e.target {
            let mut body = json!({"name": target.name, "type": target.kind});
            if let Some(value) = &target.value {
                body["value"] = Value::String(value.clone());
            }
            error["target"] = body;
        }
        json!({
            "errors": [error],
            "status_code": e.status.as_u16(),
            "trace": uuid_trace_id(),
        })
    }
}

/// A VPC API error: one entry of `errors`, with an optional `target`.
type VpcError = IbmError<VpcStyle>;

/// The security group, or VPC's 404. Both the group's handlers and its rules' look it up.
fn find_sg<'a>(world: &'a World, id: &str) -> Result<&'a Value, VpcError> {
    world
        .get(SERVICE, SECURITY_GROUPS, id)
        .ok_or_else(|| VpcError::not_found("Security group", id))
}

impl IbmError<VpcStyle> {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::with_status(status, code, message)
    }

    fn bad_field(code: &'static str, field: &str, value: Option<&Value>, message: String) -> Self {
        Self::with_status(StatusCode::BAD_REQUEST, code, message).with_target(ErrorTarget {
            name: field.to_owned(),
            kind: "field",
            value: value.map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
        })
    }

    /// A query parameter the VPC API rejects, echoing the rejected value.
    fn bad_query(name: &str, value: Option<&String>, message: impl Into<String>) -> Self {
        Self::with_status(StatusCode::BAD_REQUEST, "invalid_query_parameter", message).with_target(
            ErrorTarget {
                name: name.to_owned(),
                kind: "query",
                value: value.cloned(),
            },
        )
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

type VpcResult = Result<Response, VpcError>;

// Request checks shared by every route

/// The Vpc checks of every request, for the [`VpcRequest`] extractor.
pub(super) struct VpcChecks;

impl RequestCheck for VpcChecks {
    type Error = VpcError;

    fn check(
        sim: &Sim,
        headers: &HeaderMap,
        params: &HashMap<String, String>,
    ) -> Result<(), VpcError> {
        check_request(sim, headers, params)
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
}

/// A request that passed the Vpc checks: what every handler starts from.
type VpcRequest = CheckedRequest<VpcChecks>;

/// The JSON object body of a VPC create or update.
type VpcBody = CheckedBody<VpcChecks>;

/// What every request must carry: a valid token, `version` and `generation=2`.
fn check_request(
    sim: &Sim,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<(), VpcError> {
    sim.authenticate(headers)
        .map_err(|e| VpcError::new(StatusCode::UNAUTHORIZED, "not_authorized", e.to_string()))?;
    let query_error = |name: &str, value: Option<&String>, message: String| {
        VpcError::bad_query(name, value, message)
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
    let found = pick_resource_group(&groups, wanted)?;
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
/// How messages name an object of `collection`.
fn kind_name(collection: &str) -> &'static str {
    match collection {
        SUBNETS => "subnet",
        SECURITY_GROUPS => "security group",
        PREFIXES => "address prefix",
        _ => "VPC",
    }
}

/// The 400 when the account's quota of `collection` objects is used up.
fn check_room(world: &World, collection: &str) -> Result<(), VpcError> {
    if world.has_room(SERVICE, collection) {
        return Ok(());
    }
    Err(VpcError::new(
        StatusCode::BAD_REQUEST,
        "over_quota",
        format!(
            "The {} quota of this account is reached.",
            kind_name(collection)
        ),
    ))
}

/// The 409 when an object of `collection` other than `except` (an id) is already named
/// `name`: VPC names are unique in the region, the others in their VPC `vpc_id`.
fn check_name_free(
    world: &World,
    collection: &str,
    vpc_id: Option<&str>,
    name: &str,
    except: Option<&str>,
) -> Result<(), VpcError> {
    // An address prefix names its VPC in an internal field; the others in `vpc`.
    let owner = |o: &Value| {
        if collection == PREFIXES {
            o["_vpc_id"].as_str().map(str::to_owned)
        } else {
            o["vpc"]["id"].as_str().map(str::to_owned)
        }
    };
    let taken = world
        .find(SERVICE, collection, |o| {
            vpc_id.is_none_or(|v| owner(o).as_deref() == Some(v))
                && o["name"].as_str() == Some(name)
                && except.is_none_or(|id| o["id"].as_str() != Some(id))
        })
        .is_some();
    if !taken {
        return Ok(());
    }
    let kind = kind_name(collection);
    let article = if kind.starts_with('a') { "An" } else { "A" };
    let place = if vpc_id.is_some() {
        "this VPC"
    } else {
        "this region"
    };
    Err(VpcError::conflict(
        "validation_unique_failed",
        format!("{article} {kind} named {name} already exists in {place}."),
    ))
}

/// A new object's name: the body's, free as [`check_name_free`] wants, or a generated one.
fn new_name(
    world: &mut World,
    body: &Map<String, Value>,
    collection: &str,
    vpc_id: Option<&str>,
) -> Result<String, VpcError> {
    match name_field(body)? {
        Some(name) => {
            check_name_free(world, collection, vpc_id, &name, None)?;
            Ok(name)
        }
        None => Ok(generated_name(world)),
    }
}

/// The zone a create's body names in `zone.name`, which must be in `region`.
fn body_zone(body: &Map<String, Value>, region: &str) -> Result<String, VpcError> {
    let zone = body
        .get("zone")
        .and_then(|z| z["name"].as_str())
        .ok_or_else(|| VpcError::missing("zone.name"))?
        .to_owned();
    if !zones_of(region).contains(&zone) {
        return Err(VpcError::invalid(
            "zone.name",
            body.get("zone").map(|z| &z["name"]),
            format!("Zone {zone} is not in region {region}."),
        ));
    }
    Ok(zone)
}

/// The VPC a create's body names in `vpc`, or the 400 saying why not.
fn body_vpc(world: &World, body: &Map<String, Value>) -> Result<Value, VpcError> {
    let identity = body.get("vpc").ok_or_else(|| VpcError::missing("vpc"))?;
    vpc_by_identity(world, identity)
        .cloned()
        .ok_or_else(|| VpcError::invalid("vpc", Some(identity), "The VPC was not found."))
}

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

// Listing

/// Whether `object` passes the request's filters among `filters`: each names a string field
/// by its dotted path (`vpc.id`), and a filter the request gives must equal that field.
fn passes_filters(request: &VpcRequest, object: &Value, filters: &[&str]) -> bool {
    filters.iter().all(|&param| {
        request.params.get(param).is_none_or(|wanted| {
            let pointer = format!("/{}", param.replace('.', "/"));
            object.pointer(&pointer).and_then(Value::as_str) == Some(wanted.as_str())
        })
    })
}

/// The objects of `collection` that pass the request's `filters` (see [`passes_filters`]).
fn filtered(world: &World, request: &VpcRequest, collection: &str, filters: &[&str]) -> Vec<Value> {
    world
        .list(SERVICE, collection)
        .filter(|o| passes_filters(request, o, filters))
        .cloned()
        .collect()
}

// Pagination

/// One page of `items` (already in creation order) as a VPC collection body.
fn page(request: &VpcRequest, path: &str, key: &str, items: Vec<Value>) -> Result<Value, VpcError> {
    let (headers, params) = (&request.headers, &request.params);
    let window = page_window(
        params,
        &items,
        (DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT),
        |l| {
            VpcError::bad_query(
                "limit",
                Some(l),
                format!("The `limit` query parameter must be between 1 and {MAX_PAGE_LIMIT}."),
            )
        },
        |start| {
            VpcError::bad_query(
                "start",
                Some(start),
                "The `start` query parameter is not a valid page token.",
            )
        },
    )?;
    let limit = window.limit;
    let base = request_base(headers, "/vpc/v1");
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
    let mut body = json!({
        "first": {"href": link(None)},
        "limit": limit,
        "total_count": items.len(),
        key: window.items,
    });
    if let Some(next_id) = &window.next_start {
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

/// Finds an object of `collection` by an identity object `{id}`, `{crn}` or `{href}`.
fn by_identity<'a>(world: &'a World, collection: &str, identity: &Value) -> Option<&'a Value> {
    world.find(SERVICE, collection, |v| {
        ["id", "crn", "href"].iter().any(|k| {
            identity[k]
                .as_str()
                .is_some_and(|x| v[k].as_str() == Some(x))
        })
    })
}

/// Finds a VPC by an identity object `{id}`, `{crn}` or `{href}`.
fn vpc_by_identity<'a>(world: &'a World, identity: &Value) -> Option<&'a Value> {
    by_identity(world, VPCS, identity)
}

fn sg_by_identity<'a>(world: &'a World, identity: &Value) -> Option<&'a Value> {
    by_identity(world, SECURITY_GROUPS, identity)
}

#[cfg(test)]
mod tests {
    use super::rules::is_known_protocol;
    use super::*;
    use crate::scenario::Scenario;

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
