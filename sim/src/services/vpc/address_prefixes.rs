//! Address prefixes of a VPC: the CIDR blocks subnets are carved from. IBM refuses overlapping
//! prefixes in one VPC and the deletion of a prefix that still has subnets, so the emulator does too.

use axum::extract::Path;
use ipnet::Ipv4Net;
use serde_json::{Value, json};

use crate::store::World;
use crate::util;

use super::{
    PREFIXES, SERVICE, SUBNETS, VPCS, VpcError, VpcResult, api_base, check_name_free, created,
    name_field, new_name, no_content, ok, page, region, region_prefix, zone_ref,
};
use super::{VpcBody, VpcRequest, body_zone, passes_filters};

#[allow(clippy::too_many_arguments)]
pub(super) fn insert_prefix(
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

pub(super) fn prefixes_of<'a>(
    world: &'a World,
    vpc_id: &'a str,
) -> impl Iterator<Item = &'a Value> + 'a {
    world
        .list(SERVICE, PREFIXES)
        .filter(move |p| p["_vpc_id"].as_str() == Some(vpc_id))
}

pub(super) fn parse_cidr(field: &str, value: Option<&Value>) -> Result<Ipv4Net, VpcError> {
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

/// The first of `objects` whose CIDR (its `field`) overlaps `cidr`, with that CIDR.
pub(super) fn first_overlap<'a>(
    objects: impl IntoIterator<Item = &'a Value>,
    field: &str,
    cidr: &Ipv4Net,
) -> Option<(&'a Value, Ipv4Net)> {
    objects.into_iter().find_map(|o| {
        let other = o[field].as_str()?.parse::<Ipv4Net>().ok()?;
        overlaps(cidr, &other).then_some((o, other))
    })
}

pub(super) fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

pub(super) async fn list_prefixes(Path(vpc_id): Path<String>, request: VpcRequest) -> VpcResult {
    let world = request.sim.world().await;
    if world.get(SERVICE, VPCS, &vpc_id).is_none() {
        return Err(VpcError::not_found("VPC", &vpc_id));
    }
    let items: Vec<Value> = prefixes_of(&world, &vpc_id)
        .filter(|p| passes_filters(&request, p, &["zone.name"]))
        .cloned()
        .collect();
    let body = page(
        &request,
        &format!("/vpcs/{vpc_id}/address_prefixes"),
        "address_prefixes",
        items,
    )?;
    Ok(ok(&body))
}

pub(super) async fn create_prefix(
    Path(vpc_id): Path<String>,
    VpcRequest { sim, .. }: VpcRequest,
    VpcBody { body, .. }: VpcBody,
) -> VpcResult {
    let region = region(&sim);
    let mut world = sim.world().await;
    if world.get(SERVICE, VPCS, &vpc_id).is_none() {
        return Err(VpcError::not_found("VPC", &vpc_id));
    }
    let cidr = parse_cidr("cidr", body.get("cidr"))?;
    let zone = body_zone(&body, &region)?;
    if let Some((existing, other)) = first_overlap(prefixes_of(&world, &vpc_id), "cidr", &cidr) {
        return Err(VpcError::conflict(
            "address_prefix_overlap",
            format!(
                "Address prefix {cidr} overlaps address prefix {} ({other}) of this VPC.",
                existing["name"].as_str().unwrap_or_default()
            ),
        ));
    }
    let name = new_name(&mut world, &body, PREFIXES, Some(&vpc_id))?;
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

pub(super) async fn get_prefix(
    Path((vpc_id, id)): Path<(String, String)>,
    VpcRequest { sim, .. }: VpcRequest,
) -> VpcResult {
    let world = sim.world().await;
    Ok(ok(find_prefix(&world, &vpc_id, &id)?))
}

pub(super) async fn update_prefix(
    Path((vpc_id, id)): Path<(String, String)>,
    VpcRequest { sim, .. }: VpcRequest,
    VpcBody { body, .. }: VpcBody,
) -> VpcResult {
    let mut world = sim.world().await;
    find_prefix(&world, &vpc_id, &id)?;
    let name = name_field(&body)?;
    if let Some(n) = &name {
        check_name_free(&world, PREFIXES, Some(&vpc_id), n, Some(&id))?;
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

pub(super) async fn delete_prefix(
    Path((vpc_id, id)): Path<(String, String)>,
    VpcRequest { sim, .. }: VpcRequest,
) -> VpcResult {
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
pub(super) fn refresh_has_subnets(world: &mut World, vpc_id: &str) {
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
