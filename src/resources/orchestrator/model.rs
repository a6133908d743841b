//! The state of a `dr_orchestrator`: field names are the schema's attribute names.

use serde::{Deserialize, Serialize};
use tf_framework::timeouts::Timeouts;

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
    pub crn: Option<String>,
    pub dashboard_url: Option<String>,
    pub status: Option<String>,
    pub primary_ip_address: Option<String>,
    pub orchestrator_vm_id: Option<String>,
    pub managed_vm_count: Option<i64>,
    pub timeouts: Option<Timeouts>,
}

impl OrchestratorState {
    /// What only configuration knows (secrets, timeouts) carried over from `from`: the API
    /// never returns them, so a refresh must not lose them.
    pub fn keep_configuration_of(&mut self, from: &OrchestratorState) {
        self.orchestrator_password = from.orchestrator_password.clone();
        self.orchestrator_password_wo_version = from.orchestrator_password_wo_version;
        self.managed_api_key = from.managed_api_key.clone();
        self.timeouts = from.timeouts.clone();
        self.orchestrator_password_wo = None;
    }
}

/// `<name>-orchestrator`: the name DR Automation gives the primary orchestrator VM.
pub fn primary_vm_name(deployment: &str) -> String {
    format!("{deployment}-orchestrator")
}

/// `<name>-standby`: the name of the standby orchestrator VM.
pub fn standby_vm_name(deployment: &str) -> String {
    format!("{deployment}-standby")
}
