//! The scenario's VPC at start-up: what the landing zone would have built before the provider runs.

use ipnet::Ipv4Net;
use serde_json::{Value, json};

use crate::scenario::Scenario;
use crate::store::World;

use super::address_prefixes::insert_prefix;
use super::rules::add_rule;
use super::security_groups::insert_security_group;
use super::subnets::insert_subnet;
use super::vpcs::build_vpc;
use super::{SERVICE, VPCS, reference, resource_group_ref};

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
