//! Adopting an existing DR deployment as a `dr_orchestrator`: its identity (the DR Automation
//! service instance GUID), import by identity, and the configuration `-generate-config-out`
//! writes for it.
//!
//! The identity holds the GUID only: it names the deployment across accounts and regions,
//! since Resource Controller GUIDs are global. The CRN, which `terraform import` also takes, is
//! refused in an identity with the GUID it contains, so one object never has two identities.

use serde::{Deserialize, Serialize};
use tf_framework::diag::{AttributePath, Diagnostics};
use tf_framework::genconfig::GeneratedConfig;
use tf_framework::identity::{IdentityAttribute, IdentityBinding, IdentityData, IdentitySchema};

use super::TYPE_NAME;
use super::model::OrchestratorState;
use crate::resources::adoption::identity_attribute;
use crate::resources::deployment::crn_guid;

/// The identity of a `dr_orchestrator`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrchestratorIdentity {
    pub id: Option<String>,
}

/// Import by identity goes through `import` with the id the identity names.
pub const IDENTITY_BINDING: IdentityBinding<OrchestratorState> = IdentityBinding {
    schema: identity_schema,
    of: identity,
    import_id,
};

pub fn identity_schema() -> IdentitySchema {
    IdentitySchema::new().attribute(
        IdentityAttribute::string("id")
            .required_for_import()
            .description("The DR Automation service instance GUID (the resource's `id`)."),
    )
}

pub fn identity(state: &OrchestratorState) -> Result<IdentityData, Diagnostics> {
    IdentityData::new(&OrchestratorIdentity {
        id: state.id.clone(),
    })
}

/// The GUID an `import { identity = { id = ... } }` names.
pub fn import_id(identity: &IdentityData) -> Result<String, Diagnostics> {
    let wanted: OrchestratorIdentity = identity.get()?;
    let id = identity_attribute(wanted.id, TYPE_NAME, "id")?;
    if let Some(guid) = crn_guid(&id) {
        return Err(Diagnostics::from_error(
            "Invalid identity",
            format!(
                "identity.id of a {TYPE_NAME} is the service instance GUID, got the CRN {id:?}; its GUID is \
                 {guid:?}. (An import block with `id = ...` takes the CRN too.)"
            ),
        ));
    }
    Ok(id)
}

/// `location_id` is always the zone of `workspace_id` (the plan refuses anything else), which
/// is also its default, so a user never needs to write it.
/// `cores`, `memory_gb` and `public_network` follow the VM while unset; writing them would pin
/// the VM's size and networks, so a later change by hand would be planned back.
pub fn adjust_generated_config(config: &mut GeneratedConfig) -> Result<(), Diagnostics> {
    for follows_the_vm in ["location_id", "cores", "memory_gb", "public_network"] {
        config.set_null(&AttributePath::root(follows_the_vm))?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use tf_framework::value::Value;

    #[test]
    fn a_crn_in_the_identity_is_refused_with_its_guid() {
        let crn = IdentityData::new(&OrchestratorIdentity {
            id: Some("crn:v1:bluemix:public:power-dr-automation:global:a/acc:guid-1::".into()),
        })
        .unwrap();
        let err = import_id(&crn).unwrap_err().to_string();
        assert!(err.contains("\"guid-1\""), "{err}");
        let none = IdentityData::new(&OrchestratorIdentity { id: None }).unwrap();
        assert!(import_id(&none).is_err());
    }

    #[test]
    fn generated_config_leaves_the_location_to_its_default() {
        let state = OrchestratorState {
            id: Some("g".into()),
            name: "dr-prod".into(),
            orchestrator_user: "dradmin".into(),
            workspace_id: "ws".into(),
            location_id: Some("dal10".into()),
            machine_type: "s922".into(),
            tier: Some("tier1".into()),
            cores: Some(0.5),
            memory_gb: Some(4.0),
            network_ids: Some(vec!["n1".into()]),
            resource_group_id: Some("rg".into()),
            crn: Some("crn:v1:x".into()),
            ..OrchestratorState::default()
        };
        let block = super::super::schema().block;
        let value = tf_framework::value::to_value(&state, &block.object_type()).unwrap();
        let mut view = GeneratedConfig::for_tests(&block, value);
        adjust_generated_config(&mut view).unwrap();
        let config = view.config_raw();
        assert_eq!(config.attr("location_id"), Some(&Value::Null));
        assert_eq!(config.attr("tier"), Some(&Value::Null), "the default");
        assert_eq!(config.attr("cores"), Some(&Value::Null), "follows the VM");
        assert_eq!(
            config.attr("memory_gb"),
            Some(&Value::Null),
            "follows the VM"
        );
        assert_eq!(
            config.attr("network_ids"),
            Some(&Value::List(vec![Value::String("n1".into())]))
        );
        assert_eq!(config.attr("crn"), Some(&Value::Null), "computed");
    }
}
