//! `dr_managed_vms`: the VMs KSYS manages, published in the shape of IBM's SDK model.

use axum::extract::Path;
use serde_json::{Map, Value, json};

use crate::store::World;

use super::{Caller, DraResult, POWER, PVM_INSTANCES, guid_of, ok, workspace, workspace_zone};

/// The `ManagedVmDetails` of a VM KSYS manages, read live from its PowerVS VM: the backup
/// zone is its `dr_region`.
fn managed_vm_details(
    world: &World,
    vm: &crate::services::ksys::ManagedVm,
) -> Option<(String, Value)> {
    let source = world.get(POWER, PVM_INSTANCES, &vm.uuid)?;
    let ws = workspace(world, &vm.home_workspace);
    let zone = ws.map(workspace_zone).unwrap_or_default();
    let dr_region = workspace(world, &vm.target_workspace)
        .map(workspace_zone)
        .unwrap_or_default();
    let workgroup = crate::services::ksys::workgroup_of(world, vm)
        .map(|w| w.name)
        .unwrap_or_default();
    let memory = source["memory"].as_f64().unwrap_or(0.0);
    let cores = source["processors"].as_f64().unwrap_or(0.0);
    Some((
        vm.uuid.clone(),
        json!({
            "core": format!("{cores:.2}"),
            "dr_average_time": average_recovery_minutes(memory).to_string(),
            "dr_region": dr_region,
            "memory": format_memory(memory),
            "region": zone,
            "vm_name": source["serverName"],
            "workgroup_name": workgroup,
            "workspace_name": ws.map(|w| w["name"].clone()).unwrap_or(Value::Null),
        }),
    ))
}

fn format_memory(gb: f64) -> String {
    if gb.fract() == 0.0 {
        format!("{gb:.0}")
    } else {
        format!("{gb}")
    }
}

/// A plausible recovery time: bigger memory images take longer to bring up.
pub(super) fn average_recovery_minutes(memory_gb: f64) -> u64 {
    5 + (memory_gb / 8.0).ceil() as u64
}

pub(super) fn managed_vm_map(world: &World, guid: &str) -> Map<String, Value> {
    crate::services::ksys::managed_vms(world, guid)
        .iter()
        .filter_map(|m| managed_vm_details(world, m))
        .collect()
}

pub(super) async fn dr_managed_vms(Path(id): Path<String>, caller: Caller) -> DraResult {
    let (world, instance) = caller.instance(&id).await?;
    let guid = guid_of(&instance);
    Ok(ok(
        &json!({"managed_vm_list": managed_vm_map(&world, &guid)}),
    ))
}
