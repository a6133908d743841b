//! Security groups: the default group of each VPC cannot be deleted, nor a group that still has
//! targets or is the remote of another group's rule.

use axum::extract::Path;
use serde_json::{Map, Value, json};

use crate::store::World;
use crate::util;

use super::rules::{add_rule, validate_rule_prototype};
use super::{
    SECURITY_GROUPS, SERVICE, VPCS, VpcError, VpcResult, api_base, body_vpc, check_name_free,
    check_room, created, name_field, new_name, no_content, ok, page, reference, region,
    region_prefix, resolve_resource_group, vpc_crn,
};
use super::{VpcBody, VpcRequest, filtered, find_sg};

pub(super) fn insert_security_group(
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

pub(super) async fn list_security_groups(request: VpcRequest) -> VpcResult {
    let world = request.sim.world().await;
    let items = filtered(
        &world,
        &request,
        SECURITY_GROUPS,
        &["resource_group.id", "vpc.id", "vpc.crn", "vpc.name"],
    );
    let body = page(&request, "/security_groups", "security_groups", items)?;
    Ok(ok(&body))
}

pub(super) async fn create_security_group(
    VpcRequest { sim, .. }: VpcRequest,
    VpcBody { body, .. }: VpcBody,
) -> VpcResult {
    let region = region(&sim);
    let mut world = sim.world().await;
    check_room(&world, SECURITY_GROUPS)?;
    let vpc = body_vpc(&world, &body)?;
    let vpc_id = vpc["id"].as_str().unwrap_or_default().to_owned();
    let name = new_name(&mut world, &body, SECURITY_GROUPS, Some(&vpc_id))?;
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

pub(super) async fn get_security_group(
    Path(id): Path<String>,
    VpcRequest { sim, .. }: VpcRequest,
) -> VpcResult {
    let world = sim.world().await;
    Ok(ok(find_sg(&world, &id)?))
}

pub(super) async fn update_security_group(
    Path(id): Path<String>,
    VpcRequest { sim, .. }: VpcRequest,
    VpcBody { body, .. }: VpcBody,
) -> VpcResult {
    let mut world = sim.world().await;
    let vpc_id = find_sg(&world, &id)?["vpc"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let name = name_field(&body)?;
    if let Some(n) = &name {
        check_name_free(&world, SECURITY_GROUPS, Some(&vpc_id), n, Some(&id))?;
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

pub(super) async fn delete_security_group(
    Path(id): Path<String>,
    VpcRequest { sim, .. }: VpcRequest,
) -> VpcResult {
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

pub(super) async fn list_security_group_targets(
    Path(id): Path<String>,
    request: VpcRequest,
) -> VpcResult {
    let world = request.sim.world().await;
    let targets: Vec<Value> = find_sg(&world, &id)?["targets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let body = page(
        &request,
        &format!("/security_groups/{id}/targets"),
        "targets",
        targets,
    )?;
    Ok(ok(&body))
}
