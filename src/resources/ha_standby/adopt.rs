//! Adopting an existing standby orchestrator as a `dr_ha_standby`: its identity (the
//! orchestrator's id: a deployment has at most one standby), import by identity, and the
//! configuration `-generate-config-out` writes for it.

use tf_framework::diag::Diagnostics;
use tf_framework::genconfig::GeneratedConfig;
use tf_framework::identity::IdentityBinding;
use tf_framework::path;
use tf_framework::value::Attr;

use super::TYPE_NAME;
use super::model::StandbyState;
use crate::cloud::Clients;
use crate::resources::adoption::{KeyIdentity, KeyedState, key_binding};

/// The identity of a `dr_ha_standby`: its orchestrator (a deployment has at most one standby).
impl KeyedState for StandbyState {
    const IDENTITY: KeyIdentity = KeyIdentity {
        type_name: TYPE_NAME,
        parts: &[(
            "orchestrator_id",
            "The `id` of the `dr_orchestrator` (DR Automation service instance GUID) whose standby \
             this is.",
        )],
    };

    fn key(&self) -> Vec<Option<&str>> {
        vec![Some(&self.orchestrator_id)]
    }
}

/// Import by identity: the import id is the orchestrator id.
pub const IDENTITY_BINDING: IdentityBinding<StandbyState> = key_binding();

/// What the primary deployment sets that the standby defaults to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrimaryDefaults {
    pub orchestrator_user: Option<String>,
    pub machine_type: Option<String>,
}

/// `orchestrator_user` and `machine_type` default to the primary's: a value equal to it is
/// left out, as a user would, and any other value stays.
pub fn adjust_generated_config(
    config: &mut GeneratedConfig,
    primary: &PrimaryDefaults,
) -> Result<(), Diagnostics> {
    for (name, default) in [
        ("orchestrator_user", &primary.orchestrator_user),
        ("machine_type", &primary.machine_type),
    ] {
        let at = path!(name);
        if let Attr::Known(value) = config.get::<String>(&at)?
            && default.as_deref() == Some(value.as_str())
        {
            config.set_null(&at)?;
        }
    }
    Ok(())
}

/// The primary's values, or none when the deployment cannot be read (the generated
/// configuration then keeps every value, which is never wrong).
pub async fn primary_defaults(clients: &Clients, orchestrator_id: &str) -> PrimaryDefaults {
    match clients.dr_automation.get_manage_dr(orchestrator_id).await {
        Ok(deployment) => PrimaryDefaults {
            orchestrator_user: deployment.orchestrator_name,
            machine_type: deployment.machine_type,
        },
        Err(e) => {
            tracing::debug!(
                orchestrator_id,
                "generated configuration keeps the standby's values: {e}"
            );
            PrimaryDefaults::default()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use tf_framework::value::Value;

    fn imported() -> StandbyState {
        StandbyState {
            id: Some("orch-1".into()),
            orchestrator_id: "orch-1".into(),
            workspace_id: "ws-2".into(),
            transit_gateway_id: "tg-1".into(),
            orchestrator_user: Some("dradmin".into()),
            machine_type: Some("e980".into()),
            tier: Some("tier1".into()),
            network_ids: Some(vec!["n-2".into()]),
            status: Some("Active".into()),
            manages_transit_gateway_connection: Some(false),
            ..StandbyState::default()
        }
    }

    #[test]
    fn values_equal_to_the_primarys_are_left_to_their_default() {
        let block = super::super::schema().block;
        let value = tf_framework::value::to_value(&imported(), &block.object_type()).unwrap();
        let mut view = GeneratedConfig::for_tests(&block, value);
        let primary = PrimaryDefaults {
            orchestrator_user: Some("dradmin".into()),
            machine_type: Some("s922".into()),
        };
        adjust_generated_config(&mut view, &primary).unwrap();
        let config = view.config_raw();
        assert_eq!(config.attr("orchestrator_user"), Some(&Value::Null));
        assert_eq!(
            config.attr("machine_type"),
            Some(&Value::String("e980".into())),
            "differs from the primary's"
        );
        assert_eq!(config.attr("tier"), Some(&Value::Null), "the default");
        assert_eq!(
            config.attr("transit_gateway_id"),
            Some(&Value::String("tg-1".into()))
        );
        assert_eq!(config.attr("status"), Some(&Value::Null), "computed");
    }
}
