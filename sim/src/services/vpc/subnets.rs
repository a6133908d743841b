//! Subnets: a CIDR given explicitly or allocated from the zone's address prefixes by
//! `total_ipv4_address_count`, with the five addresses IBM reserves in each.

use axum::extract::Path;
use ipnet::Ipv4Net;
use serde_json::{Value, json};

use crate::store::World;
use crate::util;

use super::address_prefixes::{
    first_overlap, overlaps, parse_cidr, prefixes_of, refresh_has_subnets,
};
use super::{
    SERVICE, SUBNETS, VpcError, VpcResult, api_base, body_vpc, check_name_free, created,
    name_field, new_name, no_content, ok, page, reference, region, resolve_resource_group,
    zone_crn, zone_prefix, zone_ref,
};
use super::{VpcBody, VpcRequest, body_zone, filtered};

/// Addresses IBM reserves in every subnet (network, gateway, two internal, broadcast).
const RESERVED_ADDRESSES_PER_SUBNET: u64 = 5;

// Plain data in, one object out: a struct would only rename the parameters.
#[allow(clippy::too_many_arguments)]
pub(super) fn insert_subnet(
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

pub(super) async fn list_subnets(request: VpcRequest) -> VpcResult {
    let world = request.sim.world().await;
    let items = filtered(
        &world,
        &request,
        SUBNETS,
        &[
            "resource_group.id",
            "zone.name",
            "vpc.id",
            "vpc.crn",
            "vpc.name",
            "routing_table.id",
            "routing_table.name",
        ],
    );
    let body = page(&request, "/subnets", "subnets", items)?;
    Ok(ok(&body))
}

pub(super) async fn create_subnet(
    VpcRequest { sim, .. }: VpcRequest,
    VpcBody { body, .. }: VpcBody,
) -> VpcResult {
    let region = region(&sim);
    let mut world = sim.world().await;
    let vpc = body_vpc(&world, &body)?;
    let vpc_id = vpc["id"].as_str().unwrap_or_default().to_owned();
    let zone = body_zone(&body, &region)?;
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
    let of_vpc = world
        .list(SERVICE, SUBNETS)
        .filter(|s| s["vpc"]["id"].as_str() == Some(vpc_id.as_str()));
    if let Some((s, other)) = first_overlap(of_vpc, "ipv4_cidr_block", &cidr) {
        return Err(VpcError::conflict(
            "subnet_overlap",
            format!(
                "{cidr} overlaps subnet {} ({other}).",
                s["name"].as_str().unwrap_or_default()
            ),
        ));
    }
    let name = new_name(&mut world, &body, SUBNETS, Some(&vpc_id))?;
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

pub(super) async fn get_subnet(
    Path(id): Path<String>,
    VpcRequest { sim, .. }: VpcRequest,
) -> VpcResult {
    let world = sim.world().await;
    let subnet = world
        .get(SERVICE, SUBNETS, &id)
        .ok_or_else(|| VpcError::not_found("Subnet", &id))?;
    Ok(ok(subnet))
}

pub(super) async fn update_subnet(
    Path(id): Path<String>,
    VpcRequest { sim, .. }: VpcRequest,
    VpcBody { body, .. }: VpcBody,
) -> VpcResult {
    let mut world = sim.world().await;
    let vpc_id = world
        .get(SERVICE, SUBNETS, &id)
        .ok_or_else(|| VpcError::not_found("Subnet", &id))?["vpc"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let name = name_field(&body)?;
    if let Some(n) = &name {
        check_name_free(&world, SUBNETS, Some(&vpc_id), n, Some(&id))?;
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

pub(super) async fn delete_subnet(
    Path(id): Path<String>,
    VpcRequest { sim, .. }: VpcRequest,
) -> VpcResult {
    let mut world = sim.world().await;
    let subnet = world
        .remove(SERVICE, SUBNETS, &id)
        .ok_or_else(|| VpcError::not_found("Subnet", &id))?;
    if let Some(vpc_id) = subnet["vpc"]["id"].as_str() {
        refresh_has_subnets(&mut world, vpc_id);
    }
    Ok(no_content())
}
