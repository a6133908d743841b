//! `dr_summary`: the state of a DR deployment at a glance (`GET /drautomation/v1/dr_summary`).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_framework::context::Context;
use tf_framework::data_source::DataSource;
use tf_framework::diag::Diagnostics;
use tf_framework::schema::{Attribute, Schema};

use super::{computed_number, computed_string, orchestrator_id_argument, orchestrator_read_error};
use crate::support::clients;

const TYPE_NAME: &str = "dr_summary";

pub struct Summary;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SummaryState {
    pub orchestrator_id: String,
    pub deployment_name: Option<String>,
    pub crn: Option<String>,
    pub status: Option<String>,
    pub plan_name: Option<String>,
    pub orchestrator_ha: Option<bool>,
    pub orchestrator_name: Option<String>,
    pub orchestrator_status: Option<String>,
    pub orchestrator_workspace_name: Option<String>,
    pub standby_status: Option<String>,
    pub standby_orchestrator_status: Option<String>,
    pub standby_orchestrator_workspace_name: Option<String>,
    pub location_id: Option<String>,
    pub recovery_location: Option<String>,
    pub primary_ip_address: Option<String>,
    pub standby_ip_address: Option<String>,
    pub dashboard_url: Option<String>,
    pub transit_gateway_name: Option<String>,
    pub vpc_name: Option<String>,
    pub managed_vm_count: Option<i64>,
}

#[async_trait]
impl DataSource for Summary {
    type State = SummaryState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description("The summary DR Automation gives of a deployment: service, orchestrators and managed VMs.")
            .attribute(orchestrator_id_argument())
            .attribute(computed_string("deployment_name", "Deployment (service instance) name."))
            .attribute(computed_string("crn", "CRN of the service instance."))
            .attribute(computed_string("status", "Service status."))
            .attribute(computed_string("plan_name", "Plan name."))
            .attribute(Attribute::bool("orchestrator_ha").computed().description("Whether a standby orchestrator is configured."))
            .attribute(computed_string("orchestrator_name", "Login of the orchestrator UI."))
            .attribute(computed_string("orchestrator_status", "Status of the primary orchestrator."))
            .attribute(computed_string("orchestrator_workspace_name", "Workspace of the primary orchestrator."))
            .attribute(computed_string("standby_status", "Status of the standby deployment."))
            .attribute(computed_string("standby_orchestrator_status", "Status of the standby orchestrator."))
            .attribute(computed_string("standby_orchestrator_workspace_name", "Workspace of the standby orchestrator."))
            .attribute(computed_string("location_id", "Zone of the primary orchestrator."))
            .attribute(computed_string("recovery_location", "Recovery location."))
            .attribute(computed_string("primary_ip_address", "IP address of the primary orchestrator."))
            .attribute(computed_string("standby_ip_address", "IP address of the standby orchestrator."))
            .attribute(computed_string("dashboard_url", "URL of the primary orchestrator's dashboard."))
            .attribute(computed_string("transit_gateway_name", "Transit Gateway the standby is attached to."))
            .attribute(computed_string("vpc_name", "VPC reached through the Transit Gateway."))
            .attribute(computed_number("managed_vm_count", "Number of VMs under DR management."))
    }

    async fn read(&self, ctx: &Context, config: SummaryState) -> Result<SummaryState, Diagnostics> {
        let clients = clients(ctx)?;
        let id = config.orchestrator_id.clone();
        let summary = clients.dr_automation.get_summary(&id).await.map_err(|e| {
            orchestrator_read_error(TYPE_NAME, &id, &format!("summary of orchestrator {id}"), &e)
        })?;
        let (o, s) = (summary.orchestrator_details, summary.service_details);
        let managed_vm_count = match &summary.managed_vm_list {
            serde_json::Value::Object(map) => map.len(),
            serde_json::Value::Array(items) => items.len(),
            _ => 0,
        };
        Ok(SummaryState {
            orchestrator_id: id,
            deployment_name: s.deployment_name,
            crn: s.crn,
            status: s.status,
            plan_name: s.plan_name,
            orchestrator_ha: s.orchestrator_ha,
            orchestrator_name: o.orchestrator_name,
            orchestrator_status: o.orchestrator_status,
            orchestrator_workspace_name: o.orchestrator_workspace_name,
            standby_status: s.standby_status,
            standby_orchestrator_status: o.standby_orchestrator_status,
            standby_orchestrator_workspace_name: o.standby_orchestrator_workspace_name,
            location_id: o.location_id,
            recovery_location: s.recovery_location,
            primary_ip_address: s.primary_ip_address,
            standby_ip_address: s.standby_ip_address,
            dashboard_url: s.primary_orchestrator_dashboard_url,
            transit_gateway_name: o.transit_gateway_name,
            vpc_name: o.vpc_name,
            managed_vm_count: Some(i64::try_from(managed_vm_count).unwrap_or(i64::MAX)),
        })
    }
}
