//! `dr_managed_vms`: the VMs an orchestrator protects, optionally filtered. It reads the same
//! coalesced list as `dr_managed_vm` ([`crate::resources::managed_vm::directory`]), so a
//! configuration using both still costs one list call per orchestrator.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_framework::context::Context;
use tf_framework::data_source::DataSource;
use tf_framework::diag::Diagnostics;
use tf_framework::path;
use tf_framework::schema::{Attribute, Schema};
use tf_framework::validators::one_of;
use tf_framework::value::Type;

use super::matches;
use crate::resources::managed_vm::coalesce::Freshness;
use crate::resources::managed_vm::directory;
use crate::resources::{Action, clients, diagnose};

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
        let s = |name: &str, description: &str| {
            Attribute::string(name).computed().description(description)
        };
        let n = |name: &str, description: &str| {
            Attribute::number(name).computed().description(description)
        };
        Schema::new()
            .description("The VMs a DR orchestrator manages, as DR Automation lists them, optionally filtered.")
            .attribute(Attribute::string("orchestrator_id").required().description("The DR Automation service instance GUID (a `dr_orchestrator` id)."))
            .attribute(
                Attribute::string("priority")
                    .optional()
                    .validator(one_of(["high", "medium", "low"]))
                    .description("Only VMs with this recovery priority."),
            )
            .attribute(Attribute::string("workgroup_name").optional().description("Only VMs of this workgroup."))
            .attribute(Attribute::string("workspace_name").optional().description("Only VMs of this PowerVS workspace."))
            .attribute(
                Attribute::list_nested(
                    "managed_vms",
                    vec![
                        s("pvm_instance_id", "PowerVS instance id."),
                        s("vm_name", "VM name."),
                        s("priority", "Recovery priority."),
                        s("workgroup_name", "Workgroup."),
                        s("workspace_id", "Workspace GUID."),
                        s("workspace_name", "Workspace name."),
                        s("os_type", "Operating system."),
                        n("cores", "Processor cores."),
                        n("memory_gb", "Memory in GB."),
                        s("region", "Zone the VM runs in."),
                        s("dr_region", "Zone the VM is recovered to."),
                        n("dr_average_time_minutes", "Estimated recovery time in minutes."),
                    ],
                )
                .computed()
                .description("The matching managed VMs, sorted by name."),
            )
            .attribute(Attribute::list("ids", Type::String).computed().description("Their PowerVS instance ids, in the same order."))
    }

    async fn read(
        &self,
        ctx: &Context,
        mut config: ManagedVmsState,
    ) -> Result<ManagedVmsState, Diagnostics> {
        let clients = clients(ctx)?;
        let id = config.orchestrator_id.clone();
        let vms = directory::managed_vms(&clients, &id, Freshness::Recent)
            .await
            .map_err(|e| diagnose(Action::Read, TYPE_NAME, &format!("orchestrator {id}"), &e))?;
        if !vms.exists {
            return Err(Diagnostics::from_error_at(
                path!("orchestrator_id"),
                "Orchestrator not found",
                format!("No DR orchestrator has the id {id:?}."),
            ));
        }
        let mut items: Vec<ManagedVmItem> = vms
            .all()
            .into_iter()
            .filter(|v| matches(&config.priority, v.priority.as_deref()))
            .filter(|v| matches(&config.workgroup_name, v.workgroup_name.as_deref()))
            .filter(|v| matches(&config.workspace_name, v.workspace_name.as_deref()))
            .map(|v| ManagedVmItem {
                pvm_instance_id: Some(v.pvm_instance_id),
                vm_name: v.vm_name,
                priority: v.priority,
                workgroup_name: v.workgroup_name,
                workspace_id: v.workspace_id,
                workspace_name: v.workspace_name,
                os_type: v.os_type,
                cores: v.cores,
                memory_gb: v.memory_gb,
                region: v.region,
                dr_region: v.dr_region,
                dr_average_time_minutes: v.dr_average_time_minutes,
            })
            .collect();
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
