//! VPCs: a create builds the VPC with its default network ACL, routing table, security group
//! and (unless management is manual) one address prefix per zone; a delete refuses while
//! subnets or non-default security groups remain, as IBM does.

use axum::extract::Path;
use serde_json::{Value, json};

use crate::store::World;
use crate::util;

use super::address_prefixes::insert_prefix;
use super::rules::add_rule;
use super::security_groups::insert_security_group;
use super::{
    PREFIXES, SECURITY_GROUPS, SERVICE, SUBNETS, VPCS, VpcError, VpcResult, api_base,
    check_name_free, check_room, created, generated_name, name_field, new_name, no_content, ok,
    page, reference, region, region_prefix, resolve_resource_group, vpc_crn, zone_ref, zones_of,
};
use super::{VpcBody, VpcRequest, passes_filters};

/// Builds a VPC with its default network ACL, routing table and security group (and the
/// default address prefixes unless management is manual). Returns the VPC id.
// Plain data in, one object out: a struct would only rename the parameters.
#[allow(clippy::too_many_arguments)]
pub(super) fn build_vpc(
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

pub(super) async fn list_vpcs(request: VpcRequest) -> VpcResult {
    let world = request.sim.world().await;
    let items: Vec<Value> = world
        .list(SERVICE, VPCS)
        .filter(|v| passes_filters(&request, v, &["resource_group.id"]))
        .filter(|v| {
            request.params.get("classic_access").is_none_or(|c| {
                v["classic_access"]
                    .as_bool()
                    .map(|b| b.to_string())
                    .as_deref()
                    == Some(c)
            })
        })
        .cloned()
        .collect();
    let body = page(&request, "/vpcs", "vpcs", items)?;
    Ok(ok(&body))
}

pub(super) async fn create_vpc(
    VpcRequest { sim, .. }: VpcRequest,
    VpcBody { body, .. }: VpcBody,
) -> VpcResult {
    let region = region(&sim);
    let mut world = sim.world().await;
    check_room(&world, VPCS)?;
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
    let name = new_name(&mut world, &body, VPCS, None)?;
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

pub(super) async fn get_vpc(
    Path(id): Path<String>,
    VpcRequest { sim, .. }: VpcRequest,
) -> VpcResult {
    let world = sim.world().await;
    let vpc = world
        .get(SERVICE, VPCS, &id)
        .ok_or_else(|| VpcError::not_found("VPC", &id))?;
    Ok(ok(vpc))
}

pub(super) async fn update_vpc(
    Path(id): Path<String>,
    VpcRequest { sim, .. }: VpcRequest,
    VpcBody { body, .. }: VpcBody,
) -> VpcResult {
    let mut world = sim.world().await;
    if world.get(SERVICE, VPCS, &id).is_none() {
        return Err(VpcError::not_found("VPC", &id));
    }
    if let Some(name) = name_field(&body)? {
        check_name_free(&world, VPCS, None, &name, Some(&id))?;
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

pub(super) async fn delete_vpc(
    Path(id): Path<String>,
    VpcRequest { sim, .. }: VpcRequest,
) -> VpcResult {
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
