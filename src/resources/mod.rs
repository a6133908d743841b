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
mod tests {
    use super::*;

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
