//! Adopting VMs an orchestrator already manages as `dr_managed_vm`s: their identity
//! (orchestrator id and PowerVS instance id), import by identity, the state a listing builds
//! from what KSYS and DR Automation report, and the configuration `-generate-config-out`
//! writes.

use tf_framework::diag::Diagnostics;
use tf_framework::genconfig::GeneratedConfig;
use tf_framework::identity::IdentityBinding;
use tf_framework::path;
use tf_framework::value::Attr;

use super::TYPE_NAME;
use super::model::{ManagedVmState, default_workgroup};
use crate::cloud::ksys::parse::KsysVm;
use crate::resources::adoption::{KeyIdentity, KeyedState, key_binding};
use crate::support::directory::{PublishedVms, WorkspaceInventory};
use crate::support::orchestrator_access::Inventory;

/// The identity of a `dr_managed_vm`: its orchestrator and its PowerVS instance.
impl KeyedState for ManagedVmState {
    const IDENTITY: KeyIdentity = KeyIdentity {
        type_name: TYPE_NAME,
        parts: &[
            (
                "orchestrator_id",
                "The `id` of the `dr_orchestrator` (DR Automation service instance GUID) managing the VM.",
            ),
            (
                "pvm_instance_id",
                "The PowerVS instance id of the managed VM.",
            ),
        ],
    };

    fn key(&self) -> Vec<Option<&str>> {
        vec![Some(&self.orchestrator_id), Some(&self.pvm_instance_id)]
    }
}

/// Import by identity: the import id is `<orchestrator_id>/<pvm_instance_id>`.
pub const IDENTITY_BINDING: IdentityBinding<ManagedVmState> = key_binding();

/// The state of one VM KSYS manages, as a refresh after `terraform import` would show it:
/// KSYS's view, DR Automation's figures, and the workspace and operating system when the VM
/// is in the orchestrator's workspace (`home`, as import finds them).
pub fn listed_state(
    orchestrator_id: &str,
    vm: &KsysVm,
    inventory: &Inventory,
    published: &PublishedVms,
    home: Option<(&str, &WorkspaceInventory)>,
) -> Option<ManagedVmState> {
    let uuid = vm.uuid.clone()?;
    let mut state = ManagedVmState {
        orchestrator_id: orchestrator_id.to_string(),
        pvm_instance_id: uuid.clone(),
        ..ManagedVmState::default()
    };
    state.apply_ksys(vm, inventory);
    if let Some(details) = published.vms.get(&uuid) {
        state.apply_published(details);
    }
    if let Some((workspace_id, workspace)) = home
        && let Some(instance) = workspace.instances.get(&uuid)
    {
        state.workspace_id = Some(workspace_id.to_string());
        state.os_type = instance.os_type.clone().map(|os| os.to_ascii_lowercase());
    }
    Some(state)
}

/// Leaves out what a user who wants the defaults would not write: the workgroup KSYS made for
/// the VM alone (`<vm name>_WG`) and the orchestrator's own workspace (`home_workspace`, when
/// known). Both stay in state, so the plan after the import changes nothing.
pub fn adjust_generated_config(
    config: &mut GeneratedConfig,
    home_workspace: Option<&str>,
) -> Result<(), Diagnostics> {
    let state: ManagedVmState = config.state()?;
    if let (Some(vm_name), Attr::Known(workgroup)) = (
        state.vm_name.as_deref(),
        config.get::<String>(&path!("workgroup_name"))?,
    ) && workgroup == default_workgroup(vm_name)
    {
        config.set_null(&path!("workgroup_name"))?;
    }
    if let (Some(home), Attr::Known(workspace)) = (
        home_workspace,
        config.get::<String>(&path!("workspace_id"))?,
    ) && workspace == home
    {
        config.set_null(&path!("workspace_id"))?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::cloud::dr_automation::ManagedVmDetails;
    use crate::cloud::ksys::parse;
    use crate::cloud::power::PvmInstance;
    use tf_framework::resource::Resource;
    use tf_framework::value::Value;

    fn inventory() -> Inventory {
        Inventory {
            vms: parse::vms(
                "Name:                app01\nUUID:                vm-1\nState:               READY_TO_MOVE\nPartner:             app01_BackUp\nProcessors:          0.5\nmemory_capacity:     4\nWorkSpace:           ws-dal10\n\nName:                app01_BackUp\nState:               DISCOVERED\nPartner:             app01\n\nName:                db01\nUUID:                vm-2\nState:               INIT\nWorkSpace:           ws-dal10\n",
            ),
            workgroups: parse::workgroups(
                "Name:                app01_WG\nVMs:                 app01\nPriority:            High\nBackupWorkSpace:     ws-wdc07\n\nName:                erp\nVMs:                 db01\nPriority:            Medium\n",
            ),
        }
    }

    #[test]
    fn a_listed_vm_has_what_import_and_refresh_give_it() {
        let inventory = inventory();
        let published = PublishedVms {
            exists: true,
            vms: [(
                "vm-1".to_string(),
                ManagedVmDetails {
                    region: Some("dal10".into()),
                    dr_region: Some("wdc07".into()),
                    dr_average_time: Some("6.6".into()),
                    ..ManagedVmDetails::default()
                },
            )]
            .into(),
        };
        let home = WorkspaceInventory {
            name: "ws-dal10".into(),
            zone: "dal10".into(),
            instances: [(
                "vm-1".to_string(),
                PvmInstance {
                    pvm_instance_id: "vm-1".into(),
                    os_type: Some("AIX".into()),
                    ..PvmInstance::default()
                },
            )]
            .into(),
        };
        let app = inventory.source_vm("vm-1").unwrap();
        let state =
            listed_state("o", app, &inventory, &published, Some(("ws-guid", &home))).unwrap();
        assert_eq!(state.id.as_deref(), Some("o/vm-1"));
        assert_eq!(state.priority.as_deref(), Some("high"));
        assert_eq!(state.workgroup_name.as_deref(), Some("app01_WG"));
        assert_eq!(state.workspace_id.as_deref(), Some("ws-guid"));
        assert_eq!(state.os_type.as_deref(), Some("aix"));
        assert_eq!(state.dr_average_time_minutes, Some(7));
        let db = inventory.source_vm("vm-2").unwrap();
        let state =
            listed_state("o", db, &inventory, &published, Some(("ws-guid", &home))).unwrap();
        assert_eq!(
            state.workspace_id, None,
            "not in the orchestrator's workspace"
        );
        assert_eq!(state.workgroup_name.as_deref(), Some("erp"));
    }

    #[test]
    fn defaults_are_left_out_of_generated_config() {
        let inventory = inventory();
        let published = PublishedVms::default();
        let home = WorkspaceInventory {
            instances: [(
                "vm-1".to_string(),
                PvmInstance {
                    pvm_instance_id: "vm-1".into(),
                    ..PvmInstance::default()
                },
            )]
            .into(),
            ..WorkspaceInventory::default()
        };
        let block = super::super::ManagedVmResource.schema().block;
        let generated = |vm: &str, home_ws: Option<&str>| {
            let state = listed_state(
                "o",
                inventory.source_vm(vm).unwrap(),
                &inventory,
                &published,
                Some(("ws-guid", &home)),
            )
            .unwrap();
            let value = tf_framework::value::to_value(&state, &block.object_type()).unwrap();
            let mut view = GeneratedConfig::for_tests(&block, value);
            adjust_generated_config(&mut view, home_ws).unwrap();
            view.config_raw().clone()
        };
        let app = generated("vm-1", Some("ws-guid"));
        assert_eq!(app.attr("workgroup_name"), Some(&Value::Null), "<vm>_WG");
        assert_eq!(
            app.attr("workspace_id"),
            Some(&Value::Null),
            "the orchestrator's"
        );
        assert_eq!(app.attr("priority"), Some(&Value::String("high".into())));
        assert_eq!(app.attr("vm_name"), Some(&Value::Null), "computed");
        let kept = generated("vm-1", None);
        assert_eq!(
            kept.attr("workspace_id"),
            Some(&Value::String("ws-guid".into())),
            "kept when the orchestrator's workspace is unknown"
        );
        let db = generated("vm-2", Some("ws-guid"));
        assert_eq!(
            db.attr("workgroup_name"),
            Some(&Value::String("erp".into()))
        );
        assert_eq!(
            db.attr("priority"),
            Some(&Value::Null),
            "medium is the default"
        );
    }
}
