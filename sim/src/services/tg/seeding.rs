//! The scenario's gateway at start-up: available, with the VPC and the named workspaces attached.

use serde_json::json;

use crate::scenario::Scenario;
use crate::store::World;

use super::connections::{Network, connection_object};
use super::gateways::{insert_gateway, refresh_connection_count, resource_group_ref};
use super::{CONNECTIONS, GATEWAYS, SERVICE};

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
