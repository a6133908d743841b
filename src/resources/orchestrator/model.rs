//! The state of a `dr_orchestrator`: field names are the schema's attribute names.
//!
//! Schema version 1 added IBM manage_dr's remaining inputs (`api_key`, MFA, Secrets Manager,
//! `orchestrator_location_type`, `service_instance_id`) and the public network
//! (`public_network`, `attached_network_ids`); [`upgrade_v0`] brings version-0 state up.

use serde::{Deserialize, Serialize};
use tf_framework::timeouts::Timeouts;

use crate::resources::deployment::crn_guid;
use crate::resources::upgrade::add_null_attributes;

/// The schema version of `dr_orchestrator`.
pub const SCHEMA_VERSION: i64 = 1;

/// `secrets_manager`: where IBM Secrets Manager keeps the deployment's credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretsManager {
    /// GUID of the Secrets Manager instance (the API's `guid`).
    pub guid: String,
    pub secret: String,
    pub secret_group: String,
    /// Region of the Secrets Manager instance (the API's `region_id`).
    pub region_id: String,
}

/// Plan and state of one DR deployment: its DR Automation service instance and the
/// orchestrator VM that DR Automation deploys in the primary workspace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrchestratorState {
    /// The DR Automation service instance GUID.
    pub id: Option<String>,
    pub name: String,
    pub orchestrator_user: String,
    pub workspace_id: String,
    pub location_id: Option<String>,
    pub machine_type: String,
    pub tier: Option<String>,
    pub network_ids: Option<Vec<String>>,
    pub ssh_key_name: Option<String>,
    pub orchestrator_password: Option<String>,
    pub orchestrator_password_wo: Option<String>,
    pub orchestrator_password_wo_version: Option<i64>,
    pub managed_api_key: Option<String>,
    pub proxy_ip: Option<String>,
    pub resource_group_id: Option<String>,
    pub cores: Option<f64>,
    pub memory_gb: Option<f64>,
    #[serde(default)]
    pub api_key: Option<String>,
    #[serde(default)]
    pub api_key_wo: Option<String>,
    #[serde(default)]
    pub api_key_wo_version: Option<i64>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub client_secret_wo: Option<String>,
    #[serde(default)]
    pub client_secret_wo_version: Option<i64>,
    #[serde(default)]
    pub tenant_name: Option<String>,
    #[serde(default)]
    pub secrets_manager: Option<SecretsManager>,
    #[serde(default)]
    pub orchestrator_location_type: Option<String>,
    #[serde(default)]
    pub service_instance_id: Option<String>,
    #[serde(default)]
    pub public_network: Option<bool>,
    #[serde(default)]
    pub attached_network_ids: Option<Vec<String>>,
    pub crn: Option<String>,
    pub dashboard_url: Option<String>,
    pub status: Option<String>,
    pub primary_ip_address: Option<String>,
    pub orchestrator_vm_id: Option<String>,
    pub managed_vm_count: Option<i64>,
    pub timeouts: Option<Timeouts>,
}

impl OrchestratorState {
    /// What only configuration knows (secrets, MFA client id, adoption, timeouts) carried
    /// over from `from`: the API never returns it, so a refresh must not lose it.
    pub fn keep_configuration_of(&mut self, from: &OrchestratorState) {
        self.orchestrator_password = from.orchestrator_password.clone();
        self.orchestrator_password_wo_version = from.orchestrator_password_wo_version;
        self.managed_api_key = from.managed_api_key.clone();
        self.api_key = from.api_key.clone();
        self.api_key_wo_version = from.api_key_wo_version;
        self.client_secret = from.client_secret.clone();
        self.client_secret_wo_version = from.client_secret_wo_version;
        self.client_id = self.client_id.take().or_else(|| from.client_id.clone());
        self.service_instance_id = from.service_instance_id.clone();
        self.timeouts = from.timeouts.clone();
        self.orchestrator_password_wo = None;
        self.api_key_wo = None;
        self.client_secret_wo = None;
    }

    /// The instance exists but its deployment or orchestrator VM does not: what only the VM
    /// knows is cleared, and a null `orchestrator_vm_id` makes the plan replace it.
    pub fn mark_broken(&mut self) {
        self.orchestrator_vm_id = None;
        self.primary_ip_address = None;
        self.attached_network_ids = None;
    }

    /// Read found the service instance but not its orchestrator VM (see [`Self::mark_broken`]).
    pub fn is_broken(&self) -> bool {
        self.id.is_some() && self.orchestrator_vm_id.is_none()
    }

    /// The service instance was adopted (`service_instance_id`), not provisioned here: destroy
    /// leaves it in place.
    pub fn is_adopted(&self) -> bool {
        self.service_instance_id
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty())
    }
}

/// `<name>-orchestrator`: the name DR Automation gives the primary orchestrator VM.
pub fn primary_vm_name(deployment: &str) -> String {
    format!("{deployment}-orchestrator")
}

/// The GUID of a service instance given as GUID or CRN (`crn:...:<guid>::`).
pub fn instance_guid(id: &str) -> &str {
    crn_guid(id).unwrap_or(id)
}

/// Version-0 state (before manage_dr parity and the public network) at version 1. What a
/// version-0 deployment can only have had is filled in: `orchestrator_location_type` was
/// always IBM's default, and a null there would force a replacement in a `-refresh=false`
/// plan. The other new attributes start null, which the next refresh fills from the cloud.
pub fn upgrade_v0(mut state: serde_json::Value) -> serde_json::Value {
    if let Some(object) = state.as_object_mut() {
        object
            .entry("orchestrator_location_type")
            .or_insert_with(|| {
                serde_json::Value::String(crate::resources::deployment::LOCATION_TYPE.into())
            });
        add_null_attributes(
            object,
            &[
                "api_key",
                "api_key_wo",
                "api_key_wo_version",
                "client_id",
                "client_secret",
                "client_secret_wo",
                "client_secret_wo_version",
                "tenant_name",
                "secrets_manager",
                "orchestrator_location_type",
                "service_instance_id",
                "public_network",
                "attached_network_ids",
            ],
        );
    }
    state
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    #[test]
    fn version_0_state_gains_the_new_attributes() {
        let v0 = serde_json::json!({
            "id": "guid-1", "name": "dr", "orchestrator_user": "admin", "workspace_id": "ws",
            "location_id": "dal10", "machine_type": "s922", "tier": "tier1",
            "network_ids": ["n1"], "cores": 0.5, "memory_gb": 4, "orchestrator_vm_id": "vm-1",
        });
        let v1 = upgrade_v0(v0);
        assert!(v1["public_network"].is_null() && v1["secrets_manager"].is_null());
        assert_eq!(
            v1["orchestrator_location_type"], "off-premises",
            "IBM's default"
        );
        assert_eq!(v1["network_ids"], serde_json::json!(["n1"]));
        let state: OrchestratorState = serde_json::from_value(v1).expect("decodes");
        assert_eq!(state.orchestrator_vm_id.as_deref(), Some("vm-1"));
        assert!(!state.is_adopted());
    }

    #[test]
    fn instance_ids_are_guids_or_crns() {
        assert_eq!(instance_guid("abc-123"), "abc-123");
        assert_eq!(
            instance_guid("crn:v1:bluemix:public:power-dr-automation:global:a/acc:abc-123::"),
            "abc-123"
        );
    }

    #[test]
    fn refresh_keeps_what_only_configuration_knows() {
        let configured = OrchestratorState {
            api_key: Some("key".into()),
            client_id: Some("client".into()),
            client_secret_wo: Some("never stored".into()),
            client_secret_wo_version: Some(2),
            service_instance_id: Some("guid-1".into()),
            ..OrchestratorState::default()
        };
        let mut read = OrchestratorState::default();
        read.keep_configuration_of(&configured);
        assert_eq!(read.api_key.as_deref(), Some("key"));
        assert_eq!(read.client_id.as_deref(), Some("client"));
        assert_eq!(read.client_secret_wo, None);
        assert_eq!(read.client_secret_wo_version, Some(2));
        assert!(read.is_adopted());
    }
}
