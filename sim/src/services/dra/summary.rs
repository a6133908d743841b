//! `last_operation` and `dr_summary`: what a deployment reports while it runs and once it is done.

use axum::extract::Path;
use serde_json::{Value, json};

use crate::store::World;
use crate::util;

use super::deploy::deployment;
use super::managed_vms::managed_vm_map;
use super::{
    Caller, DEPLOYMENTS, DraResult, PLAN_NAME, POWER, PVM_INSTANCES, SERVICE, guid_of, ok,
    paired_zone, resource_group_name, workspace,
};

/// The IP address of a VM's first NIC, or "" when the VM is not there (yet).
fn vm_ip(world: &World, vm_id: Option<&str>) -> String {
    vm_id
        .and_then(|id| world.get(POWER, PVM_INSTANCES, id))
        .and_then(|vm| {
            vm["networks"]
                .as_array()?
                .first()?
                .get("ipAddress")?
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

fn recovery_location(d: &Value) -> String {
    d["_standby_zone"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            d["location_id"]
                .as_str()
                .and_then(paired_zone)
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

pub(super) async fn last_operation(Path(id): Path<String>, caller: Caller) -> DraResult {
    let (world, instance) = caller.instance(&id).await?;
    let guid = guid_of(&instance);
    let rg = resource_group_name(&world, &instance);
    let created = instance["created_at"].clone();
    let mut body = json!({
        "crn": instance["crn"],
        "deployment_name": instance["name"],
        "mfa_enabled": "false",
        "orchestrator_ha": false,
        "plan_name": PLAN_NAME,
        "primary_description": "Service instance is provisioned; DR is not deployed yet.",
        "primary_ip_address": "",
        "primary_orchestrator_status": "NA",
        "recovery_location": "",
        "resource_group": rg,
        "standby_description": "Standby orchestrator is not configured.",
        "standby_ip_address": "",
        "standby_status": "NA",
        "status": if instance["state"].as_str() == Some("active") { "Provisioned" } else { "Provisioning" },
        "is_api_key_expired": false,
        "orch_ext_connectivity_status": "",
        "orch_standby_node_addition_status": "NA",
        "orch_standby_node_addtion_status": "NA",
        "orchestrator_cluster_message": "",
        "orchestrator_config_status": "NotConfigured",
        "primary_error_description": "",
        "standby_error_description": "",
        "last_updated_orchestrator_deployment_time": created,
        "last_updated_standby_orchestrator_deployment_time": created,
    });
    if let Some(d) = world.get(SERVICE, DEPLOYMENTS, &guid) {
        let p = &d["progress"];
        for key in [
            "status",
            "primary_description",
            "primary_orchestrator_status",
            "standby_description",
            "standby_status",
            "orchestrator_config_status",
            "orch_ext_connectivity_status",
            "orchestrator_cluster_message",
            "last_updated_orchestrator_deployment_time",
            "last_updated_standby_orchestrator_deployment_time",
            "primary_error_description",
            "standby_error_description",
        ] {
            if !p[key].is_null() {
                body[key] = p[key].clone();
            }
        }
        // IBM's API spells this one `addtion`; the SDK model reads `addition`. Send both.
        body["orch_standby_node_addtion_status"] = p["orch_standby_node_addition_status"].clone();
        body["orch_standby_node_addition_status"] = p["orch_standby_node_addition_status"].clone();
        body["orchestrator_ha"] = d["orchestrator_ha"].clone();
        body["recovery_location"] = json!(recovery_location(d));
        body["primary_ip_address"] = json!(vm_ip(&world, d["_primary_vm_id"].as_str()));
        body["standby_ip_address"] = json!(vm_ip(&world, d["_standby_vm_id"].as_str()));
    }
    Ok(ok(&body))
}

/// The Transit Gateway that connects this workspace, and the VPC on the same gateway.
fn network_names(world: &World, workspace_crn: &str) -> (String, String) {
    let Some(conn) = world.find("tg", "connections", |c| {
        c["network_id"].as_str() == Some(workspace_crn)
    }) else {
        return (String::new(), String::new());
    };
    let gw_id = conn["_gateway_id"].as_str().unwrap_or_default();
    let gw_name = world
        .get("tg", "gateways", gw_id)
        .and_then(|g| g["name"].as_str())
        .unwrap_or_default()
        .to_owned();
    let vpc_name = world
        .find("tg", "connections", |c| {
            c["_gateway_id"].as_str() == Some(gw_id) && c["network_type"].as_str() == Some("vpc")
        })
        .and_then(|c| world.find("vpc", "vpcs", |v| v["crn"] == c["network_id"]))
        .and_then(|v| v["name"].as_str())
        .unwrap_or_default()
        .to_owned();
    (gw_name, vpc_name)
}

pub(super) async fn dr_summary(Path(id): Path<String>, caller: Caller) -> DraResult {
    let (world, instance) = caller.instance(&id).await?;
    let guid = guid_of(&instance);
    let d = deployment(&world, &guid)?;
    let p = &d["progress"];
    let ha = d["orchestrator_ha"].as_bool() == Some(true);
    let primary_vm = d["_primary_vm_id"].as_str();
    let standby_vm = d["_standby_vm_id"].as_str();
    let vm_exists =
        |id: Option<&str>| id.is_some_and(|i| world.get(POWER, PVM_INSTANCES, i).is_some());
    let status = p["status"].as_str().unwrap_or_default();
    // An orchestrator whose VM was deleted out of band is no longer running.
    let orchestrator_status = match (status, vm_exists(primary_vm)) {
        ("Active", false) => "Inactive",
        (s, _) => s,
    };
    let standby_orchestrator_status = if !ha {
        "NA"
    } else if vm_exists(standby_vm) {
        p["standby_status"].as_str().unwrap_or("NA")
    } else {
        "Inactive"
    };
    let ws = workspace(
        &world,
        d["orchestrator_workspace_id"].as_str().unwrap_or_default(),
    );
    let ws_crn = ws
        .and_then(|w| w["details"]["crn"].as_str())
        .unwrap_or_default();
    let (tg_name, vpc_name) = network_names(&world, ws_crn);
    let schematic = format!(
        "{}.workspace.dr-automation.{}",
        caller.sim.scenario().region,
        &guid.replace('-', "")[..8.min(guid.replace('-', "").len())]
    );
    let orchestrator_details = json!({
        "last_updated_orchestrator_deployment_time": p["last_updated_orchestrator_deployment_time"],
        "last_updated_standby_orchestrator_deployment_time": p["last_updated_standby_orchestrator_deployment_time"],
        "latest_orchestrator_time": util::rfc3339(caller.sim.now_ms()),
        "location_id": d["location_id"],
        "mfa_enabled": "false",
        "orch_ext_connectivity_status": p["orch_ext_connectivity_status"],
        "orch_standby_node_addition_status": p["orch_standby_node_addition_status"],
        "orchestrator_cluster_message": p["orchestrator_cluster_message"],
        "orchestrator_config_status": p["orchestrator_config_status"],
        "orchestrator_group_leader": d["_primary_vm_name"],
        "orchestrator_location_type": d["orchestrator_location_type"],
        "orchestrator_name": d["orchestrator_name"],
        "orchestrator_status": orchestrator_status,
        "orchestrator_workspace_name": d["_primary_workspace_name"],
        "proxy_ip": d["proxy_ip"].as_str().unwrap_or_default(),
        "schematic_workspace_name": schematic,
        "schematic_workspace_status": if status == "Running" { "InProgress" } else { "Available" },
        "ssh_key_name": d["ssh_key_name"].as_str().unwrap_or_default(),
        "standby_orchestrator_name": d["standby_orchestrator_name"].as_str().unwrap_or_default(),
        "standby_orchestrator_status": standby_orchestrator_status,
        "standby_orchestrator_workspace_name": d["_standby_workspace_name"].as_str().unwrap_or_default(),
        "standby_ssh_key_name": d["standby_ssh_key_name"].as_str().or(if ha { d["ssh_key_name"].as_str() } else { None }).unwrap_or_default(),
        "transit_gateway_name": tg_name,
        "vpc_name": vpc_name,
    });
    let service_details = json!({
        "crn": instance["crn"],
        "deployment_name": instance["name"],
        "description": p["primary_description"],
        "orchestrator_ha": ha,
        "plan_name": PLAN_NAME,
        "primary_ip_address": vm_ip(&world, primary_vm),
        "primary_orchestrator_dashboard_url": d["dashboard_url"],
        "recovery_location": recovery_location(d),
        "resource_group": resource_group_name(&world, &instance),
        "standby_description": p["standby_description"],
        "standby_ip_address": vm_ip(&world, standby_vm),
        "standby_orchestrator_dashboard_url": if ha { d["dashboard_url"].clone() } else { json!("") },
        "standby_status": p["standby_status"],
        "status": p["status"],
    });
    let body = json!({
        "managed_vm_list": managed_vm_map(&world, &guid),
        "orchestrator_details": orchestrator_details,
        "service_details": service_details,
    });
    Ok(ok(&body))
}
