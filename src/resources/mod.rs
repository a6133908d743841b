//! Resources: one module per resource type, each with its schema, validation, planning, CRUD,
//! import, identity and `terraform query` listing together.
//!
//! A resource never imports another resource's internals. What two resources share lives
//! beside them: [`deployment`] (what `dr_orchestrator` and `dr_ha_standby` both do to deploy
//! through DR Automation), [`adoption`] (the rules every identity and listing follows) and
//! [`upgrade`] (what state upgraders share);
//! what data sources and actions share too lives in [`crate::support`]. [`all`] and
//! [`list_all`] are the lists the provider registers.

pub mod adoption;
pub mod deployment;
pub mod ha_standby;
pub mod managed_vm;
pub mod orchestrator;
pub mod security_group_rule;
pub mod test_schedule;
pub mod upgrade;

use std::sync::Arc;

use tf_framework::list::DynListResource;
use tf_framework::resource::DynResource;

/// Every resource type the provider offers.
pub fn all() -> Vec<Arc<dyn DynResource>> {
    vec![
        Arc::new(orchestrator::OrchestratorResource),
        Arc::new(ha_standby::HaStandbyResource),
        Arc::new(managed_vm::ManagedVmResource),
        Arc::new(security_group_rule::SecurityGroupRuleResource),
        Arc::new(test_schedule::TestScheduleResource),
    ]
}

/// The list resources (`terraform query`), one per resource type, in the same order.
pub fn list_all() -> Vec<Arc<dyn DynListResource>> {
    vec![
        Arc::new(orchestrator::list::OrchestratorList),
        Arc::new(ha_standby::list::HaStandbyList),
        Arc::new(managed_vm::list::ManagedVmList),
        Arc::new(security_group_rule::list::SecurityGroupRuleList),
        Arc::new(test_schedule::list::TestScheduleList),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use serde_json::json;
    use tf_framework::resource::Resource;

    /// Checks `resource`'s identity: its schema is valid, a state holding the values of
    /// `identity` has that identity, and it names `import_id`.
    fn assert_identity<R: Resource>(resource: R, identity: serde_json::Value, import_id: &str)
    where
        R::State: Default,
    {
        let name = resource.type_name().to_string();
        let binding = resource.identity_binding().expect("an identity");
        assert_eq!((binding.schema)().check(), Ok(()), "{name}");
        let mut state = serde_json::to_value(R::State::default()).unwrap();
        let values = identity.as_object().unwrap().clone();
        state.as_object_mut().unwrap().extend(values);
        let state: R::State = serde_json::from_value(state).unwrap();
        let id = (binding.of)(&state).unwrap();
        assert_eq!(id.as_json(), &identity, "{name}");
        assert_eq!((binding.import_id)(&id).unwrap(), import_id, "{name}");
    }

    /// One case per resource: the identity holds the state's key and names the import id.
    #[test]
    #[rustfmt::skip] // a table: one resource a line
    fn each_identity_is_the_key_of_its_state_and_names_the_import_id() {
        use ha_standby::HaStandbyResource as Standby;
        use managed_vm::ManagedVmResource as ManagedVm;
        use orchestrator::OrchestratorResource as Orchestrator;
        use security_group_rule::SecurityGroupRuleResource as Rule;
        use test_schedule::TestScheduleResource as Schedule;
        const GUID: &str = "5b9c3e27-0000-4000-8000-000000000001";
        assert_identity(Orchestrator, json!({"id": GUID}), GUID);
        assert_identity(Standby, json!({"orchestrator_id": "orch-1"}), "orch-1");
        assert_identity(ManagedVm, json!({"orchestrator_id": "o", "pvm_instance_id": "vm-1"}), "o/vm-1");
        assert_identity(Rule, json!({"security_group_id": "sg-1", "rule_id": "r-1"}), "sg-1/r-1");
        assert_identity(Schedule, json!({"orchestrator_id": "o", "schedule_id": "sched-0000beef"}), "o/sched-0000beef");
    }

    /// One case per registered resource and list resource; a failure names the type.
    #[test]
    fn schema_is_valid() {
        let resources = all()
            .into_iter()
            .map(|r| (r.erased_type_name(), r.erased_schema()));
        let lists = list_all()
            .into_iter()
            .map(|l| (format!("list {}", l.erased_type_name()), l.erased_schema()));
        let mut checked = Vec::new();
        for (name, schema) in resources.chain(lists) {
            if let Err(problems) = schema.check() {
                panic!("{name}: invalid schema:\n  {}", problems.join("\n  "));
            }
            checked.push(name);
        }
        assert_eq!(checked.len(), 10, "{checked:?}");
    }
}
