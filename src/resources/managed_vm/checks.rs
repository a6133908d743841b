//! Plan-time checks of a VM about to be put under DR; they only read.
//!
//! A VM DR cannot protect must fail `terraform plan`, not halfway through an apply. What needs
//! only the workspace and the VM (it exists, runs AIX, IBM i or RHEL, is not an orchestrator)
//! runs as soon as the workspace is known, even while the orchestrator is still to be created in
//! the same run; what needs the orchestrator (already managed here or elsewhere) runs once its
//! id is known. Every read is shared across the instances being planned.

use tf_framework::diag::Diagnostics;
use tf_framework::path;

use crate::cloud::Clients;
use crate::support::Action;
use crate::support::orchestrator_access;

use super::model::composite_id;
use super::{TYPE_NAME, shared_error};
use crate::support::coalesce::Freshness;
use crate::support::directory::{self, OrchestratorInfo, WorkspaceInventory};

/// Operating systems DR Automation protects, as PowerVS reports them (`osType`).
const SUPPORTED_OS: &[(&str, &str)] = &[("aix", "AIX"), ("ibmi", "IBM i"), ("rhel", "RHEL")];

pub fn os_label(os_type: &str) -> Option<&'static str> {
    SUPPORTED_OS
        .iter()
        .find(|(key, _)| *key == os_type)
        .map(|(_, label)| *label)
}

/// The VM exists in the workspace, runs a supported OS, and is not an orchestrator VM (of
/// `info`'s deployment when known, else of any DR deployment of the account).
pub async fn check_vm(
    clients: &Clients,
    info: Option<&OrchestratorInfo>,
    pvm_instance_id: &str,
    workspace_id: &str,
) -> Result<String, Diagnostics> {
    let inventory = directory::workspace_inventory(clients, workspace_id)
        .await
        .map_err(|e| {
            if e.is_not_found() {
                Diagnostics::from_error_at(
                    path!("workspace_id"),
                    "PowerVS workspace not found",
                    format!("No PowerVS workspace has the GUID {workspace_id:?}."),
                )
            } else {
                shared_error(Action::Plan, &format!("workspace {workspace_id}"), &e)
            }
        })?;
    let Some(vm) = inventory.instances.get(pvm_instance_id) else {
        return Err(vm_not_found(&inventory, pvm_instance_id, workspace_id));
    };
    let os_type = vm.os_type.clone().unwrap_or_default().to_ascii_lowercase();
    if os_label(&os_type).is_none() {
        let found = vm
            .operating_system
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| {
                if os_type.is_empty() {
                    "an unknown OS".into()
                } else {
                    os_type.clone()
                }
            });
        return Err(Diagnostics::from_error_at(
            path!("pvm_instance_id"),
            "Operating system not supported by DR",
            format!(
                "VM {} ({pvm_instance_id}) runs {found} (osType {os_type:?}). DR Automation for PowerVS \
                 protects AIX, IBM i and RHEL virtual servers only.",
                vm.server_name
            ),
        ));
    }
    let is_orchestrator = match info {
        Some(info) => info.is_orchestrator_vm(&vm.server_name),
        None => directory::deployment_names(clients)
            .await
            .map_err(|e| shared_error(Action::Plan, "the DR instances of the account", &e))?
            .iter()
            .any(|d| {
                vm.server_name == format!("{d}-orchestrator")
                    || vm.server_name == format!("{d}-standby")
            }),
    };
    if is_orchestrator {
        return Err(Diagnostics::from_error_at(
            path!("pvm_instance_id"),
            "The orchestrator cannot manage itself",
            format!(
                "VM {} ({pvm_instance_id}) is a DR orchestrator VM; only workload VMs can be managed.",
                vm.server_name
            ),
        ));
    }
    Ok(vm.server_name.clone())
}

fn vm_not_found(
    inventory: &WorkspaceInventory,
    pvm_instance_id: &str,
    workspace_id: &str,
) -> Diagnostics {
    let mut known: Vec<String> = inventory
        .instances
        .values()
        .take(10)
        .map(|vm| format!("{} ({})", vm.server_name, vm.pvm_instance_id))
        .collect();
    if inventory.instances.len() > known.len() {
        known.push(format!(
            "and {} more",
            inventory.instances.len() - known.len()
        ));
    }
    let listing = if known.is_empty() {
        "The workspace has no VMs.".to_string()
    } else {
        format!("VMs in the workspace: {}.", known.join(", "))
    };
    Diagnostics::from_error_at(
        path!("pvm_instance_id"),
        "VM not found in the workspace",
        format!(
            "No VM with id {pvm_instance_id:?} exists in PowerVS workspace {} ({workspace_id}). {listing}",
            inventory.name
        ),
    )
}

/// The VM is not managed yet, neither by this orchestrator (KSYS's own list, and DR
/// Automation's) nor by another DR instance of the account.
pub async fn check_not_managed(
    clients: &Clients,
    orchestrator_id: &str,
    pvm_instance_id: &str,
    vm_name: Option<&str>,
) -> Result<(), Diagnostics> {
    let label = match vm_name {
        Some(name) => format!("{name} ({pvm_instance_id})"),
        None => pvm_instance_id.to_string(),
    };
    let here = orchestrator_access::inventory(clients, orchestrator_id, Freshness::Recent)
        .await
        .map_err(|e| shared_error(Action::Plan, &format!("orchestrator {orchestrator_id}"), &e))?
        .source_vm(pvm_instance_id)
        .map(|vm| vm.name.clone());
    let published = directory::published_vms(clients, orchestrator_id, Freshness::Recent)
        .await
        .map_err(|e| shared_error(Action::Plan, &format!("orchestrator {orchestrator_id}"), &e))?;
    let here = here.or_else(|| {
        published.vms.get(pvm_instance_id).map(|d| {
            d.vm_name
                .clone()
                .unwrap_or_else(|| pvm_instance_id.to_string())
        })
    });
    if let Some(name) = here {
        return Err(Diagnostics::from_error_at(
            path!("pvm_instance_id"),
            "VM already managed by this orchestrator",
            format!(
                "VM {name} ({pvm_instance_id}) is already managed by orchestrator {orchestrator_id}, but not by \
                 this resource. Bring it under Terraform with: terraform import {TYPE_NAME}.<name> {}",
                composite_id(orchestrator_id, pvm_instance_id)
            ),
        ));
    }
    let owners = directory::managed_anywhere(clients)
        .await
        .map_err(|e| shared_error(Action::Plan, "the DR instances of the account", &e))?;
    if let Some(owner) = owners
        .get(pvm_instance_id)
        .filter(|o| *o != orchestrator_id)
    {
        return Err(Diagnostics::from_error_at(
            path!("pvm_instance_id"),
            "VM managed by another orchestrator",
            format!(
                "VM {label} is already managed by DR orchestrator {owner}. A VM can be protected by one \
                 orchestrator only; remove it there first."
            ),
        ));
    }
    Ok(())
}

/// Priority belongs to the KSYS workgroup: every VM of one workgroup must ask for the same.
pub fn check_workgroup_priority(
    orchestrator_id: Option<&str>,
    workgroup: &str,
    pvm_instance_id: &str,
    priority: &str,
) -> Result<(), Diagnostics> {
    orchestrator_access::claim_workgroup_priority(
        orchestrator_id.unwrap_or("(orchestrator known after apply)"),
        workgroup,
        pvm_instance_id,
        priority,
    )
    .map_err(|(other_vm, other_priority)| {
        Diagnostics::from_error_at(
            path!("priority"),
            "VMs of one workgroup with different priorities",
            format!(
                "VM {pvm_instance_id} asks for priority {priority:?} in workgroup {workgroup:?}, and VM \
                 {other_vm} in the same workgroup asks for {other_priority:?}. KSYS keeps the recovery \
                 priority per workgroup: give every VM of {workgroup:?} the same priority, or put them in \
                 different workgroups."
            ),
        )
    })
}
