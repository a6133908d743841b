//! The state of a `dr_ha_standby`: field names are the schema's attribute names.

use serde::{Deserialize, Serialize};
use tf_framework::timeouts::Timeouts;

/// The standby orchestrator of a DR deployment and the Transit Gateway attachment of its
/// workspace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StandbyState {
    /// The orchestrator's id (its DR Automation instance GUID): one standby per deployment.
    pub id: Option<String>,
    pub orchestrator_id: String,
    pub workspace_id: String,
    pub transit_gateway_id: String,
    pub orchestrator_user: Option<String>,
    pub machine_type: Option<String>,
    pub tier: Option<String>,
    pub network_ids: Option<Vec<String>>,
    pub ssh_key_name: Option<String>,
    pub orchestrator_password: Option<String>,
    pub orchestrator_password_wo: Option<String>,
    pub orchestrator_password_wo_version: Option<i64>,
    pub status: Option<String>,
    pub standby_ip_address: Option<String>,
    pub standby_vm_id: Option<String>,
    pub transit_gateway_connection_id: Option<String>,
    pub manages_transit_gateway_connection: Option<bool>,
    pub timeouts: Option<Timeouts>,
}

impl StandbyState {
    /// What only configuration knows, carried over from `from` (the API never returns it).
    pub fn keep_configuration_of(&mut self, from: &StandbyState) {
        self.orchestrator_password = from.orchestrator_password.clone();
        self.orchestrator_password_wo_version = from.orchestrator_password_wo_version;
        self.timeouts = from.timeouts.clone();
        self.orchestrator_password_wo = None;
    }
}
