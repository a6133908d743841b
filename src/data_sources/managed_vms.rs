//! `dr_managed_vms`: the VMs an orchestrator protects, optionally filtered.
//!
//! The list is IBM's published `dr_managed_vms`, so the data source works with REST access
//! alone. When the provider can reach the orchestrator (`orchestrator_ssh`), each VM is
//! enriched from KSYS (`query vm`, `query workgroup`): its workgroup's priority, its protection
//! state and its backup VM. Both reads are the coalesced ones `dr_managed_vm` uses, so a
//! configuration using both costs no extra call.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_framework::context::Context;
use tf_framework::data_source::DataSource;
use tf_framework::diag::Diagnostics;
use tf_framework::path;
use tf_framework::schema::{Attribute, Schema};
use tf_framework::validators::one_of;

use super::{
    computed_number, computed_string, computed_strings, filter_argument, matches,
    orchestrator_id_argument,
};
use crate::support::coalesce::Freshness;
use crate::support::directory::{self, PublishedVms};
use crate::support::orchestrator_access;
use crate::support::{Action, clients, diagnose};

const TYPE_NAME: &str = "dr_managed_vms";

pub struct ManagedVms;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedVmItem {
    pub pvm_instance_id: Option<String>,
    pub vm_name: Option<String>,
    pub priority: Option<String>,
    pub workgroup_name: Option<String>,
    pub workspace_id: Option<String>,
    pub workspace_name: Option<String>,
    pub os_type: Option<String>,
    pub cores: Option<f64>,
    pub memory_gb: Option<f64>,
    pub region: Option<String>,
    pub dr_region: Option<String>,
    pub dr_average_time_minutes: Option<i64>,
    pub protection_state: Option<String>,
    pub backup_vm_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedVmsState {
    pub orchestrator_id: String,
    pub priority: Option<String>,
    pub workgroup_name: Option<String>,
    pub workspace_name: Option<String>,
    pub managed_vms: Option<Vec<ManagedVmItem>>,
    pub ids: Option<Vec<String>>,
}

#[async_trait]
impl DataSource for ManagedVms {
    type State = ManagedVmsState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description(
                "The VMs a DR orchestrator manages, as DR Automation lists them, optionally filtered. With the \
                 provider's `orchestrator_ssh`, each is enriched from KSYS (priority, protection state, backup \
                 VM); without it `priority` is null and the priority filter cannot be used.",
            )
            .attribute(orchestrator_id_argument())
            .attribute(
                Attribute::string("priority")
                    .optional()
                    .validator(one_of(["high", "medium", "low"]))
                    .description("Only VMs with this recovery priority."),
            )
            .attribute(filter_argument("workgroup_name", "Only VMs of this workgroup."))
            .attribute(filter_argument("workspace_name", "Only VMs of this PowerVS workspace."))
            .attribute(
                Attribute::list_nested(
                    "managed_vms",
                    vec![
                        computed_string("pvm_instance_id", "PowerVS instance id."),
                        computed_string("vm_name", "VM name."),
                        computed_string("priority", "Recovery priority."),
                        computed_string("workgroup_name", "Workgroup."),
                        computed_string("workspace_id", "Workspace GUID."),
                        computed_string("workspace_name", "Workspace name."),
                        computed_string("os_type", "Operating system."),
                        computed_number("cores", "Processor cores."),
                        computed_number("memory_gb", "Memory in GB."),
                        computed_string("region", "Zone the VM runs in."),
                        computed_string("dr_region", "Zone the VM is recovered to."),
                        computed_number("dr_average_time_minutes", "Estimated recovery time in minutes."),
                        computed_string("protection_state", "KSYS state (`READY_TO_MOVE` once protected); null without orchestrator_ssh."),
                        computed_string("backup_vm_name", "The backup VM KSYS created; null without orchestrator_ssh."),
                    ],
                )
                .computed()
                .description("The matching managed VMs, sorted by name."),
            )
            .attribute(computed_strings("ids", "Their PowerVS instance ids, in the same order."))
    }

    async fn read(
        &self,
        ctx: &Context,
        mut config: ManagedVmsState,
    ) -> Result<ManagedVmsState, Diagnostics> {
        let clients = clients(ctx)?;
        let id = config.orchestrator_id.clone();
        let fail = |e: &crate::cloud::CloudError| {
            diagnose(Action::Read, TYPE_NAME, &format!("orchestrator {id}"), e)
        };
        let published = directory::published_vms(&clients, &id, Freshness::Recent)
            .await
            .map_err(|e| fail(&e))?;
        if !published.exists {
            return Err(Diagnostics::from_error_at(
                path!("orchestrator_id"),
                "Orchestrator not found",
                format!("No DR orchestrator has the id {id:?}."),
            ));
        }
        if config.priority.is_some() && clients.ksys.is_none() {
            return Err(Diagnostics::from_error_at(
                path!("priority"),
                "Priority needs orchestrator access",
                "KSYS keeps the recovery priority per workgroup, and only the orchestrator shows it: configure \
                 the provider's orchestrator_ssh, or filter by workgroup_name instead.",
            ));
        }
        let inventory = match clients.ksys {
            Some(_) => Some(
                orchestrator_access::inventory(&clients, &id, Freshness::Recent)
                    .await
                    .map_err(|e| fail(&e))?,
            ),
            None => None,
        };
        let mut items: Vec<ManagedVmItem> = published
            .vms
            .iter()
            .map(|(vm_id, d)| {
                let number =
                    |t: &Option<String>| t.as_deref().and_then(|t| t.trim().parse::<f64>().ok());
                let ksys_vm = inventory.as_ref().and_then(|inv| inv.source_vm(vm_id));
                let workgroup = ksys_vm.and_then(|vm| inventory.as_ref()?.workgroup_of(&vm.name));
                ManagedVmItem {
                    pvm_instance_id: Some(vm_id.clone()),
                    vm_name: d.vm_name.clone(),
                    priority: workgroup
                        .and_then(|wg| wg.priority)
                        .map(|p| p.terraform().to_string()),
                    workgroup_name: workgroup
                        .map(|wg| wg.name.clone())
                        .or_else(|| d.workgroup_name.clone()),
                    workspace_id: None,
                    workspace_name: d.workspace_name.clone(),
                    os_type: None,
                    cores: number(&d.core),
                    memory_gb: number(&d.memory),
                    region: d.region.clone(),
                    dr_region: d.dr_region.clone(),
                    dr_average_time_minutes: PublishedVms::average_minutes(d),
                    protection_state: ksys_vm.and_then(|vm| vm.state.clone()),
                    backup_vm_name: ksys_vm
                        .and_then(|vm| inventory.as_ref()?.backup_of(vm).map(|b| b.name.clone())),
                }
            })
            .filter(|v| matches(&config.priority, v.priority.as_deref()))
            .filter(|v| matches(&config.workgroup_name, v.workgroup_name.as_deref()))
            .filter(|v| matches(&config.workspace_name, v.workspace_name.as_deref()))
            .collect();
        // Workspace GUIDs and operating systems come from PowerVS, one inventory per workspace.
        let names: std::collections::BTreeSet<String> = items
            .iter()
            .filter_map(|v| v.workspace_name.clone())
            .collect();
        if !names.is_empty() {
            let workspaces = clients
                .power
                .list_workspaces()
                .await
                .map_err(|e| fail(&e))?;
            for name in names {
                let Some(ws) = workspaces.iter().find(|w| w.name == name) else {
                    continue;
                };
                let inventory = directory::workspace_inventory(&clients, &ws.id)
                    .await
                    .map_err(|e| fail(&e))?;
                for item in items
                    .iter_mut()
                    .filter(|v| v.workspace_name.as_deref() == Some(name.as_str()))
                {
                    item.workspace_id = Some(ws.id.clone());
                    item.os_type = item
                        .pvm_instance_id
                        .as_deref()
                        .and_then(|id| inventory.instances.get(id))
                        .and_then(|vm| vm.os_type.clone())
                        .map(|os| os.to_ascii_lowercase());
                }
            }
        }
        items.sort_by(|a, b| {
            a.vm_name
                .cmp(&b.vm_name)
                .then(a.pvm_instance_id.cmp(&b.pvm_instance_id))
        });
        config.ids = Some(
            items
                .iter()
                .filter_map(|v| v.pvm_instance_id.clone())
                .collect(),
        );
        config.managed_vms = Some(items);
        Ok(config)
    }
}
