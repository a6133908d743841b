//! Data sources: read-only views of the DR deployment and the networks around it.
//!
//! Layout: [`workspaces`] (`dr_workspaces`), [`workspace_subnets`] (`dr_workspace_subnets`,
//! shaped for `for_each` of security group rules), [`machine_types`] (`dr_machine_types`),
//! [`summary`] (`dr_summary`), [`managed_vms`] (`dr_managed_vms`, sharing the coalesced list
//! that `dr_managed_vm` reads) and [`events`] (`dr_events`). [`all`] is the list the provider
//! registers. Cloud errors become diagnostics through [`crate::support::diagnose`], the
//! same edge resources use.

pub mod events;
pub mod machine_types;
pub mod managed_vms;
pub mod summary;
pub mod workspace_subnets;
pub mod workspaces;

use std::sync::Arc;

use tf_framework::data_source::DynDataSource;
use tf_framework::diag::Diagnostics;
use tf_framework::schema::Attribute;
use tf_framework::value::Type;

use crate::cloud::CloudError;
use crate::support::{Action, diagnose};

/// Every data source the provider offers.
pub fn all() -> Vec<Arc<dyn DynDataSource>> {
    vec![
        Arc::new(workspaces::Workspaces),
        Arc::new(workspace_subnets::WorkspaceSubnets),
        Arc::new(machine_types::MachineTypes),
        Arc::new(summary::Summary),
        Arc::new(managed_vms::ManagedVms),
        Arc::new(events::Events),
    ]
}

/// `orchestrator_id`, the argument of every data source about one DR deployment.
pub(crate) fn orchestrator_id_argument() -> Attribute {
    Attribute::string("orchestrator_id")
        .required()
        .description("The DR Automation service instance GUID (a `dr_orchestrator` id).")
}

/// An optional string argument that narrows what the data source returns.
pub(crate) fn filter_argument(name: &str, description: &str) -> Attribute {
    Attribute::string(name).optional().description(description)
}

/// A string the data source reads.
pub(crate) fn computed_string(name: &str, description: &str) -> Attribute {
    Attribute::string(name).computed().description(description)
}

/// A number the data source reads.
pub(crate) fn computed_number(name: &str, description: &str) -> Attribute {
    Attribute::number(name).computed().description(description)
}

/// A list of strings the data source reads (ids, CIDR blocks, machine types).
pub(crate) fn computed_strings(name: &str, description: &str) -> Attribute {
    Attribute::list(name, Type::String)
        .computed()
        .description(description)
}

/// The diagnostic for a failed read of a data source.
pub(crate) fn read_error(type_name: &str, object: &str, err: &CloudError) -> Diagnostics {
    diagnose(Action::Read, type_name, object, err)
}

/// The diagnostic for a failed read about one orchestrator: a 404 for the instance means the
/// `orchestrator_id` is wrong, so the error points there like the resources' plan checks do.
pub(crate) fn orchestrator_read_error(
    type_name: &str,
    orchestrator_id: &str,
    object: &str,
    err: &CloudError,
) -> Diagnostics {
    if err.is_not_found() {
        return Diagnostics::from_error_at(
            tf_framework::path!("orchestrator_id"),
            "Orchestrator not found",
            format!(
                "No DR orchestrator has the id {orchestrator_id:?}; use the id of a dr_orchestrator."
            ),
        );
    }
    read_error(type_name, object, err)
}

/// Keeps the items whose `field` equals the filter, when a filter is set.
pub(crate) fn matches(filter: &Option<String>, value: Option<&str>) -> bool {
    filter.as_deref().is_none_or(|f| value == Some(f))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use tf_framework::schema::assert_schema_valid;

    #[test]
    fn every_schema_is_valid_and_names_are_unique() {
        let mut names = Vec::new();
        for ds in all() {
            assert_schema_valid(&ds.erased_schema());
            names.push(ds.erased_type_name());
        }
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
        assert_eq!(
            names,
            [
                "dr_events",
                "dr_machine_types",
                "dr_managed_vms",
                "dr_summary",
                "dr_workspace_subnets",
                "dr_workspaces"
            ]
        );
    }

    #[test]
    fn unset_filters_match_everything() {
        assert!(matches(&None, None));
        assert!(matches(&Some("a".into()), Some("a")));
        assert!(!matches(&Some("a".into()), Some("b")));
        assert!(!matches(&Some("a".into()), None));
    }
}
