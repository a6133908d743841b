//! The state of a `dr_managed_vm`, how it is filled from KSYS and DR Automation, and its
//! upgrade from the schema of the provider's REST-era orchestrator API.

use serde::{Deserialize, Serialize};
use tf_framework::timeouts::Timeouts;

use crate::cloud::dr_automation::ManagedVmDetails;
use crate::cloud::ksys::parse::KsysVm;
use crate::resources::upgrade::add_null_attributes;
use crate::support::orchestrator_access::Inventory;

use crate::support::directory::PublishedVms;

/// Schema version 1: KSYS's model (workgroup default `<vm>_WG`, backup workspace, protection
/// state). Version 0 was the REST-era model.
pub const SCHEMA_VERSION: i64 = 1;

/// The workgroup the REST-era API put every VM into when none was named; KSYS has no such
/// workgroup (its default is `<vm>_WG`).
const REST_ERA_DEFAULT_WORKGROUP: &str = "Default_Workgroup";

/// The state of a `dr_managed_vm`; field names are the schema's attribute names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManagedVmState {
    pub id: Option<String>,
    pub orchestrator_id: String,
    pub pvm_instance_id: String,
    pub workspace_id: Option<String>,
    pub priority: Option<String>,
    pub workgroup_name: Option<String>,
    #[serde(default)]
    pub backup_workspace_id: Option<String>,
    pub vm_name: Option<String>,
    pub os_type: Option<String>,
    pub cores: Option<f64>,
    pub memory_gb: Option<f64>,
    pub region: Option<String>,
    pub dr_region: Option<String>,
    pub workspace_name: Option<String>,
    pub dr_average_time_minutes: Option<i64>,
    #[serde(default)]
    pub protection_state: Option<String>,
    #[serde(default)]
    pub backup_vm_name: Option<String>,
    #[serde(default)]
    pub backup_workspace_name: Option<String>,
    #[serde(default)]
    pub timeouts: Option<Timeouts>,
}

pub fn composite_id(orchestrator_id: &str, pvm_instance_id: &str) -> String {
    format!("{orchestrator_id}/{pvm_instance_id}")
}

/// The workgroup KSYS creates for a VM managed without `workgroup=`.
pub fn default_workgroup(vm_name: &str) -> String {
    format!("{vm_name}_WG")
}

impl ManagedVmState {
    /// Fills what KSYS knows of the VM: protection state, workgroup and its priority, backup.
    pub fn apply_ksys(&mut self, vm: &KsysVm, inventory: &Inventory) {
        self.id = Some(composite_id(&self.orchestrator_id, &self.pvm_instance_id));
        self.vm_name = Some(vm.name.clone());
        self.protection_state = vm.state.clone();
        self.cores = vm.processors.or(self.cores);
        self.memory_gb = vm.memory_gb.or(self.memory_gb);
        if vm.workspace.is_some() {
            self.workspace_name = vm.workspace.clone();
        }
        if let Some(wg) = inventory.workgroup_of(&vm.name) {
            self.workgroup_name = Some(wg.name.clone());
            if let Some(p) = wg.priority {
                self.priority = Some(p.terraform().to_string());
            }
            self.backup_workspace_name = wg.backup_workspace.clone();
        }
        self.backup_vm_name = inventory
            .backup_of(vm)
            .map(|b| b.name.clone())
            .or_else(|| vm.partner.clone().filter(|p| p != "no"));
    }

    /// Fills what DR Automation computes for the VM.
    pub fn apply_published(&mut self, details: &ManagedVmDetails) {
        self.id = Some(composite_id(&self.orchestrator_id, &self.pvm_instance_id));
        let number = |t: &Option<String>| t.as_deref().and_then(|t| t.trim().parse::<f64>().ok());
        if let Some(name) = &details.vm_name {
            self.vm_name = Some(name.clone());
        }
        self.cores = self.cores.or(number(&details.core));
        self.memory_gb = self.memory_gb.or(number(&details.memory));
        self.region = details.region.clone();
        self.dr_region = details.dr_region.clone();
        if details.workspace_name.is_some() {
            self.workspace_name = details.workspace_name.clone();
        }
        if self.workgroup_name.is_none() {
            self.workgroup_name = details.workgroup_name.clone();
        }
        self.dr_average_time_minutes = PublishedVms::average_minutes(details);
    }
}

/// Version 0 -> 1: new attributes start null (Read fills them), and the REST-era default
/// workgroup is dropped so that Read takes KSYS's workgroup instead of planning a replacement.
pub fn upgrade_v0(mut state: serde_json::Value) -> serde_json::Value {
    if let Some(object) = state.as_object_mut() {
        if object.get("workgroup_name").and_then(|v| v.as_str()) == Some(REST_ERA_DEFAULT_WORKGROUP)
        {
            object.insert("workgroup_name".into(), serde_json::Value::Null);
        }
        add_null_attributes(
            object,
            &[
                "backup_workspace_id",
                "protection_state",
                "backup_vm_name",
                "backup_workspace_name",
            ],
        );
    }
    state
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::cloud::ksys::parse;

    #[test]
    fn the_rest_era_default_workgroup_is_dropped_and_new_attributes_start_null() {
        let v0 = serde_json::json!({
            "id": "o/vm", "orchestrator_id": "o", "pvm_instance_id": "vm",
            "priority": "high", "workgroup_name": "Default_Workgroup",
        });
        let v1 = upgrade_v0(v0);
        assert!(v1["workgroup_name"].is_null());
        assert!(v1["backup_workspace_id"].is_null());
        assert_eq!(v1["priority"], "high");
        let kept = upgrade_v0(serde_json::json!({"workgroup_name": "sap"}));
        assert_eq!(kept["workgroup_name"], "sap");
        let _: ManagedVmState = serde_json::from_value(v1).expect("decodes");
    }

    #[test]
    fn ksys_fills_workgroup_priority_and_backup() {
        let inventory = Inventory {
            vms: parse::vms(
                "Name:                app01\nUUID:                vm-1\nState:               READY_TO_MOVE\nPartner:             app01_BackUp\nProcessors:          0.5\nmemory_capacity:     4\nWorkSpace:           ws-dal10\n\nName:                app01_BackUp\nState:               DISCOVERED\nPartner:             app01\n",
            ),
            workgroups: parse::workgroups(
                "Name:                app01_WG\nVMs:                 app01\nPriority:            High\nBackupWorkSpace:     ws-wdc07\n",
            ),
        };
        let mut state = ManagedVmState {
            orchestrator_id: "o".into(),
            pvm_instance_id: "vm-1".into(),
            ..ManagedVmState::default()
        };
        let vm = inventory.source_vm("vm-1").expect("managed");
        state.apply_ksys(vm, &inventory);
        assert_eq!(state.id.as_deref(), Some("o/vm-1"));
        assert_eq!(state.workgroup_name.as_deref(), Some("app01_WG"));
        assert_eq!(state.priority.as_deref(), Some("high"));
        assert_eq!(state.protection_state.as_deref(), Some("READY_TO_MOVE"));
        assert_eq!(state.backup_vm_name.as_deref(), Some("app01_BackUp"));
        assert_eq!(state.backup_workspace_name.as_deref(), Some("ws-wdc07"));
        assert_eq!(state.cores, Some(0.5));
    }
}
