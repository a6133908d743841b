//! Security-group rules, stored inside their group's `rules` array exactly as
//! `GET /security_groups/{id}` shows them, so the group and its rules never disagree.
//! Validation follows the VPC API: protocol-specific fields, port ranges, remotes and the
//! per-group quota.

use std::net::Ipv4Addr;

use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::store::World;

use super::address_prefixes::parse_cidr;
use super::{
    INDIVIDUAL_PROTOCOLS, MAX_RULES_PER_GROUP, SECURITY_GROUPS, SERVICE, VpcError, VpcResult,
    api_base, created, generated_name, name_field, no_content, ok, reference, region,
    region_prefix, sg_by_identity,
};
use super::{VpcBody, VpcRequest, find_sg};

/// A validated rule: everything needed to store it.
pub(super) struct RuleSpec {
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

pub(super) fn is_known_protocol(p: &str) -> bool {
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
pub(super) fn validate_rule_prototype(
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

/// The rule's port range and ICMP type and code, as far as the spec has them.
fn set_ports_and_icmp(rule: &mut Value, spec: &RuleSpec) {
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
}

/// Adds a validated rule to the group and returns the stored rule.
pub(super) fn add_rule(
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
    let name = match &spec.name {
        Some(n) => n.clone(),
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
    set_ports_and_icmp(&mut rule, &spec);
    let Some(sg) = world.get_mut(SERVICE, SECURITY_GROUPS, sg_id) else {
        return Err(VpcError::not_found("Security group", sg_id));
    };
    match sg["rules"].as_array_mut() {
        Some(rules) => rules.push(rule.clone()),
        None => sg["rules"] = json!([rule.clone()]),
    }
    Ok(rule)
}

pub(super) async fn list_rules(
    Path(id): Path<String>,
    VpcRequest { sim, .. }: VpcRequest,
) -> VpcResult {
    let world = sim.world().await;
    let rules = find_sg(&world, &id)?["rules"].clone();
    Ok(ok(&json!({"rules": rules})))
}

pub(super) async fn create_rule(
    Path(id): Path<String>,
    VpcRequest { sim, .. }: VpcRequest,
    VpcBody { body, .. }: VpcBody,
) -> VpcResult {
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

pub(super) async fn get_rule(
    Path((id, rule_id)): Path<(String, String)>,
    VpcRequest { sim, .. }: VpcRequest,
) -> VpcResult {
    let world = sim.world().await;
    Ok(ok(find_rule(&world, &id, &rule_id)?))
}

pub(super) async fn update_rule(
    Path((id, rule_id)): Path<(String, String)>,
    VpcRequest { sim, .. }: VpcRequest,
    VpcBody { body: patch, .. }: VpcBody,
) -> VpcResult {
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
    rule["remote"] = spec.remote.clone();
    rule["local"] = spec.local.clone();
    if let Some(n) = &spec.name {
        rule["name"] = json!(n);
    }
    if let Some(obj) = rule.as_object_mut() {
        for key in ["port_min", "port_max", "type", "code"] {
            obj.remove(key);
        }
    }
    set_ports_and_icmp(rule, &spec);
    let rule = rule.clone();
    Ok(ok(&rule))
}

pub(super) async fn delete_rule(
    Path((id, rule_id)): Path<(String, String)>,
    VpcRequest { sim, .. }: VpcRequest,
) -> VpcResult {
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
