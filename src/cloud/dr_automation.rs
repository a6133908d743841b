//! DR Automation for PowerVS (`/drautomation/v1`), every endpoint of the published API.
//!
//! `{instance_id}` in every path is the GUID of the DR Automation service instance. Field
//! names are IBM's, exactly (including the API's own spellings). A few values that the SDKs
//! type as strings arrive as numbers or booleans in practice, so those fields decode leniently
//! rather than failing a whole read.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::error::CloudError;
use super::http::{ApiRequest, ServiceApi};
use super::poll::{PollOptions, PollStatus, wait_until};

/// A string field that may arrive as a number or boolean.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

/// A boolean field that may arrive as `"true"`/`"false"`.
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" => Some(true),
            "false" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// A list of strings that may arrive as one comma-separated string.
fn lenient_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Array(items)) => Some(
            items
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        ),
        Some(Value::String(text)) if !text.trim().is_empty() => Some(
            text.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        ),
        _ => None,
    })
}

/// Body of `POST /manage_dr/{instance_id}` (`CreateManageDr`). Secrets are never logged.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateManageDr {
    pub location_id: String,
    pub machine_type: String,
    /// `off-premises` | `on-premises`.
    pub orchestrator_location_type: String,
    pub orchestrator_name: String,
    pub orchestrator_password: String,
    pub orchestrator_workspace_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_apikey: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orchestrator_ha: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orchestrator_network_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orchestrator_workspace_location: Option<String>,
    /// `10.3.41.4:443`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_instance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_workspace_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh_key_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standby_machine_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standby_orchestrator_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standby_orchestrator_network_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standby_ssh_key_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standby_orchestrator_workspace_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standby_orchestrator_workspace_location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standby_tier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_name: Option<String>,
    /// `tier1` | `tier3`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

impl std::fmt::Debug for CreateManageDr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        super::redact::redact_json(&mut value);
        write!(f, "CreateManageDr({value})")
    }
}

/// Query of `POST /manage_dr/{instance_id}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ManageDrOptions {
    /// `stand_by_redeploy`: redeploy only the standby orchestrator.
    pub stand_by_redeploy: Option<bool>,
    pub accepts_incomplete: Option<bool>,
}

/// `ServiceInstanceManageDr` (POST and GET `manage_dr`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceInstanceManageDr {
    pub dashboard_url: Option<String>,
    /// The instance CRN.
    pub id: Option<String>,
    pub location_id: Option<String>,
    pub machine_type: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub orchestrator_ha: Option<bool>,
    pub orchestrator_location_type: Option<String>,
    pub orchestrator_name: Option<String>,
    pub orchestrator_workspace_id: Option<String>,
    /// The private networks the orchestrator was deployed with (v0.1.0 Go SDK).
    #[serde(deserialize_with = "lenient_list")]
    pub orchestrator_network_ids: Option<Vec<String>>,
    pub proxy_ip: Option<String>,
    pub region_id: Option<String>,
    pub resource_instance: Option<String>,
    pub ssh_key_name: Option<String>,
    pub secret: Option<String>,
    pub secret_group: Option<String>,
    pub guid: Option<String>,
    pub standby_machine_type: Option<String>,
    pub standby_orchestrator_name: Option<String>,
    pub standby_orchestrator_workspace_id: Option<String>,
    #[serde(deserialize_with = "lenient_list")]
    pub standby_orchestrator_network_ids: Option<Vec<String>>,
    pub standby_ssh_key_name: Option<String>,
    pub standby_tier: Option<String>,
    pub tenant_name: Option<String>,
    pub tier: Option<String>,
}

/// `ServiceInstanceStatus` (`GET /last_operation/{instance_id}`), the deployment progress.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceInstanceStatus {
    pub crn: Option<String>,
    pub deployment_name: Option<String>,
    pub last_updated_orchestrator_deployment_time: Option<String>,
    pub last_updated_standby_orchestrator_deployment_time: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub mfa_enabled: Option<String>,
    pub orch_ext_connectivity_status: Option<String>,
    pub orch_standby_node_addition_status: Option<String>,
    /// The same value under the API's older misspelling; some versions send both.
    pub orch_standby_node_addtion_status: Option<String>,
    pub orchestrator_cluster_message: Option<String>,
    pub orchestrator_config_status: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub orchestrator_ha: Option<bool>,
    pub plan_name: Option<String>,
    pub primary_description: Option<String>,
    pub primary_error_description: Option<String>,
    pub primary_ip_address: Option<String>,
    pub primary_orchestrator_status: Option<String>,
    pub recovery_location: Option<String>,
    pub resource_group: Option<String>,
    pub standby_description: Option<String>,
    pub standby_error_description: Option<String>,
    pub standby_ip_address: Option<String>,
    pub standby_status: Option<String>,
    pub status: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub is_api_key_expired: Option<bool>,
}

impl ServiceInstanceStatus {
    /// The standby-node status under either spelling.
    pub fn standby_node_addition_status(&self) -> Option<&str> {
        self.orch_standby_node_addition_status
            .as_deref()
            .or(self.orch_standby_node_addtion_status.as_deref())
    }
}

/// `ManagedVmDetails`: every value is a string in the API (`"0.50"` cores, `"4"` GB).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ManagedVmDetails {
    #[serde(deserialize_with = "lenient_string")]
    pub core: Option<String>,
    /// Minutes.
    #[serde(deserialize_with = "lenient_string")]
    pub dr_average_time: Option<String>,
    pub dr_region: Option<String>,
    /// GB.
    #[serde(deserialize_with = "lenient_string")]
    pub memory: Option<String>,
    pub region: Option<String>,
    pub vm_name: Option<String>,
    pub workgroup_name: Option<String>,
    pub workspace_name: Option<String>,
}

/// `ManagedVmMapResponse`: VM id → details.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ManagedVmMapResponse {
    pub managed_vm_list: BTreeMap<String, ManagedVmDetails>,
}

/// `OrchestratorDetails` of the summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrchestratorDetails {
    pub last_updated_orchestrator_deployment_time: Option<String>,
    pub last_updated_standby_orchestrator_deployment_time: Option<String>,
    pub latest_orchestrator_time: Option<String>,
    pub location_id: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub mfa_enabled: Option<String>,
    pub orch_ext_connectivity_status: Option<String>,
    pub orch_standby_node_addition_status: Option<String>,
    /// The same value under the API's older misspelling; some versions send both.
    pub orch_standby_node_addtion_status: Option<String>,
    pub orchestrator_cluster_message: Option<String>,
    pub orchestrator_config_status: Option<String>,
    pub orchestrator_group_leader: Option<String>,
    pub orchestrator_location_type: Option<String>,
    pub orchestrator_name: Option<String>,
    pub orchestrator_status: Option<String>,
    pub orchestrator_workspace_name: Option<String>,
    pub proxy_ip: Option<String>,
    pub schematic_workspace_name: Option<String>,
    pub schematic_workspace_status: Option<String>,
    pub ssh_key_name: Option<String>,
    pub standby_orchestrator_name: Option<String>,
    pub standby_orchestrator_status: Option<String>,
    pub standby_orchestrator_workspace_name: Option<String>,
    pub standby_ssh_key_name: Option<String>,
    pub transit_gateway_name: Option<String>,
    pub vpc_name: Option<String>,
}

/// `ServiceDetails` of the summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceDetails {
    pub crn: Option<String>,
    pub deployment_name: Option<String>,
    pub description: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub orchestrator_ha: Option<bool>,
    pub plan_name: Option<String>,
    pub primary_ip_address: Option<String>,
    pub primary_orchestrator_dashboard_url: Option<String>,
    pub recovery_location: Option<String>,
    pub resource_group: Option<String>,
    pub standby_description: Option<String>,
    pub standby_ip_address: Option<String>,
    pub standby_orchestrator_dashboard_url: Option<String>,
    pub standby_status: Option<String>,
    pub status: Option<String>,
}

/// `DrAutomationGetSummaryResponse`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DrSummary {
    /// A free-form map in the API.
    pub managed_vm_list: Value,
    pub orchestrator_details: OrchestratorDetails,
    pub service_details: ServiceDetails,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DrLocation {
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GetDrLocationsResponse {
    pub dr_locations: Vec<DrLocation>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GetGrsLocationPairResponse {
    pub location_pairs: BTreeMap<String, String>,
}

/// `MachineTypesByWorkspace`: workspace name → machine types.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MachineTypesByWorkspace {
    pub workspaces: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailsDr {
    pub crn: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LocationDr {
    pub region: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub url: Option<String>,
}

/// `DRWorkspace` / `DRStandbyWorkspace` (the latter has no `default`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DrWorkspace {
    #[serde(deserialize_with = "lenient_bool")]
    pub default: Option<bool>,
    pub details: Option<DetailsDr>,
    pub id: Option<String>,
    pub location: Option<LocationDr>,
    pub name: Option<String>,
    pub status: Option<String>,
}

/// `DrData` (`GET /powervs_workspaces/{instance_id}?location_id=`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DrData {
    pub dr_standby_workspace_description: Option<Value>,
    pub dr_standby_workspaces: Vec<DrWorkspace>,
    pub dr_workspace_description: Option<Value>,
    pub dr_workspaces: Vec<DrWorkspace>,
}

/// `ValidationKeyResponse`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValidationKeyResponse {
    pub description: Option<String>,
    pub id: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventUser {
    pub email: Option<String>,
    pub name: Option<String>,
    pub user_id: Option<String>,
}

/// `Event`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Event {
    pub action: Option<String>,
    pub api_source: Option<String>,
    pub event_id: Option<String>,
    /// `notice | info | warning | error`.
    pub level: Option<String>,
    pub message: Option<String>,
    pub message_data: Option<Value>,
    pub metadata: Option<Value>,
    pub resource: Option<String>,
    /// RFC 3339.
    pub time: Option<String>,
    /// Epoch seconds as a string.
    #[serde(deserialize_with = "lenient_string")]
    pub timestamp: Option<String>,
    pub user: Option<EventUser>,
}

/// `EventCollection` (`events`; one SDK generation calls it `event`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventCollection {
    #[serde(alias = "event")]
    pub events: Vec<Event>,
}

/// Time filters of `GET /service_instances/{id}/events` (ISO-8601 or epoch).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub time: Option<String>,
    pub from_time: Option<String>,
    pub to_time: Option<String>,
}

/// What the deployment status says, reduced to what a waiter needs.
pub fn deployment_progress(
    status: &ServiceInstanceStatus,
    ha: bool,
) -> PollStatus<ServiceInstanceStatus> {
    let lower = |s: &Option<String>| s.as_deref().unwrap_or("").trim().to_ascii_lowercase();
    let failed = |s: &str| matches!(s, "fail" | "failed" | "error");
    let overall = lower(&status.status);
    let primary = lower(&status.primary_orchestrator_status);
    let standby = lower(&status.standby_status);
    let message_of = |error: &Option<String>, description: &Option<String>, fallback: &str| {
        error
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| description.clone().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| fallback.to_string())
    };
    if failed(&overall) || failed(&primary) {
        let primary_failed = failed(&primary) || !failed(&standby);
        return PollStatus::Failed {
            state: overall,
            message: if primary_failed {
                message_of(
                    &status.primary_error_description,
                    &status.primary_description,
                    "the primary orchestrator deployment failed",
                )
            } else {
                message_of(
                    &status.standby_error_description,
                    &status.standby_description,
                    "the standby orchestrator deployment failed",
                )
            },
        };
    }
    if ha && failed(&standby) {
        return PollStatus::Failed {
            state: format!("standby {standby}"),
            message: message_of(
                &status.standby_error_description,
                &status.standby_description,
                "the standby orchestrator deployment failed",
            ),
        };
    }
    if overall == "active" && (!ha || standby == "active") {
        return PollStatus::Done(status.clone());
    }
    let step = if ha && overall == "active" {
        status.standby_description.clone()
    } else {
        status.primary_description.clone()
    };
    PollStatus::Pending {
        state: match step {
            Some(step) if !step.is_empty() => format!("{overall}: {step}"),
            _ => overall,
        },
    }
}

/// The reads that are one `GET /drautomation/v1/<collection>/{instance_id}`, written as a table
/// so that adding an endpoint of that form is one line.
macro_rules! instance_reads {
    ($($(#[$doc:meta])* $name:ident($collection:literal) -> $answer:ty;)*) => {
        impl DrAutomationClient {
            $(
                $(#[$doc])*
                pub async fn $name(&self, instance_id: &str) -> Result<$answer, CloudError> {
                    self.get(&[$collection, instance_id]).await
                }
            )*
        }
    };
}

instance_reads! {
    get_apikey("apikey") -> ValidationKeyResponse;
    get_grs_location_pairs("dr_grs_location_pairs") -> GetGrsLocationPairResponse;
    get_dr_locations("dr_locations") -> GetDrLocationsResponse;
    get_managed_vms("dr_managed_vms") -> ManagedVmMapResponse;
    get_summary("dr_summary") -> DrSummary;
    /// The deployment as `POST manage_dr` recorded it.
    get_manage_dr("manage_dr") -> ServiceInstanceManageDr;
    /// The deployment's progress ([`deployment_progress`] reads it).
    get_last_operation("last_operation") -> ServiceInstanceStatus;
}

#[derive(Debug, Clone)]
pub struct DrAutomationClient {
    api: ServiceApi,
    accept_language: Option<String>,
}

impl DrAutomationClient {
    pub fn new(api: ServiceApi) -> Self {
        Self {
            api,
            accept_language: None,
        }
    }

    /// Sends `Accept-Language` with every call (localised messages).
    pub fn with_accept_language(mut self, language: impl Into<String>) -> Self {
        self.accept_language = Some(language.into());
        self
    }

    fn request(&self, method: Method, tail: &[&str]) -> Result<ApiRequest, CloudError> {
        let mut segments = vec!["drautomation", "v1"];
        segments.extend_from_slice(tail);
        let request = self.api.request(method, &segments);
        match &self.accept_language {
            Some(language) => request.header("accept-language", language),
            None => Ok(request),
        }
    }

    /// `GET /drautomation/v1/<tail>`, the JSON answer decoded.
    async fn get<T: DeserializeOwned>(&self, tail: &[&str]) -> Result<T, CloudError> {
        self.get_with(tail, &[]).await
    }

    /// `GET /drautomation/v1/<tail>?<query>` (unset values left out), the JSON answer decoded.
    async fn get_with<T: DeserializeOwned>(
        &self,
        tail: &[&str],
        query: &[(&str, Option<&str>)],
    ) -> Result<T, CloudError> {
        let request = self.request(Method::GET, tail)?.query_all(query);
        self.api.send_json(request).await
    }

    /// `POST` or `PUT /apikey/{instance_id}` with `{"api_key": ...}`.
    fn apikey_request(
        &self,
        method: Method,
        instance_id: &str,
        api_key: &str,
    ) -> Result<ApiRequest, CloudError> {
        self.request(method, &["apikey", instance_id])?
            .json(&serde_json::json!({ "api_key": api_key }))
    }

    /// `POST /apikey/{instance_id}`: registers and validates the API key the orchestrator
    /// uses. Repeating it stores the same key again, so it is safe to retry.
    pub async fn create_apikey(
        &self,
        instance_id: &str,
        api_key: &str,
    ) -> Result<ValidationKeyResponse, CloudError> {
        let request = self.apikey_request(Method::POST, instance_id, api_key)?;
        self.api.send_json(request.idempotent()).await
    }

    pub async fn update_apikey(
        &self,
        instance_id: &str,
        api_key: &str,
    ) -> Result<ValidationKeyResponse, CloudError> {
        let request = self.apikey_request(Method::PUT, instance_id, api_key)?;
        self.api.send_json(request).await
    }

    pub async fn get_machine_types(
        &self,
        instance_id: &str,
        primary_workspace_name: &str,
        standby_workspace_name: Option<&str>,
    ) -> Result<MachineTypesByWorkspace, CloudError> {
        let query = [
            ("primary_workspace_name", Some(primary_workspace_name)),
            ("standby_workspace_name", standby_workspace_name),
        ];
        self.get_with(&["machinetypes", instance_id], &query).await
    }

    pub async fn get_powervs_workspaces(
        &self,
        instance_id: &str,
        location_id: &str,
    ) -> Result<DrData, CloudError> {
        let query = [("location_id", Some(location_id))];
        self.get_with(&["powervs_workspaces", instance_id], &query)
            .await
    }

    /// Starts the orchestrator deployment (asynchronous; follow it with
    /// [`Self::wait_deployment`]). When the POST's outcome is unknown, an existing deployment
    /// (`GET manage_dr` answering with our orchestrator) counts as started.
    pub async fn create_manage_dr(
        &self,
        instance_id: &str,
        body: &CreateManageDr,
        options: ManageDrOptions,
    ) -> Result<ServiceInstanceManageDr, CloudError> {
        let bool_text = |b: bool| if b { "true" } else { "false" };
        let request = self
            .request(Method::POST, &["manage_dr", instance_id])?
            .query_all(&[
                (
                    "stand_by_redeploy",
                    options.stand_by_redeploy.map(bool_text),
                ),
                (
                    "accepts_incomplete",
                    options.accepts_incomplete.map(bool_text),
                ),
            ])
            .json(body)?;
        self.api
            .create_checked(request, || async {
                match self.get_manage_dr(instance_id).await {
                    // A standby request lands on a deployment that already exists, so only
                    // the standby it records shows whether the ambiguous POST took effect.
                    Ok(existing) if body.standby_orchestrator_workspace_id.is_some() => {
                        // The API may answer with the workspace CRN, which holds the GUID.
                        let recorded = existing.orchestrator_ha == Some(true)
                            && existing
                                .standby_orchestrator_workspace_id
                                .as_deref()
                                .zip(body.standby_orchestrator_workspace_id.as_deref())
                                .is_some_and(|(have, sent)| have.contains(sent));
                        Ok(recorded.then_some(existing))
                    }
                    Ok(existing)
                        if existing.orchestrator_name.as_deref()
                            == Some(body.orchestrator_name.as_str())
                            || existing.dashboard_url.is_some() =>
                    {
                        Ok(Some(existing))
                    }
                    Ok(_) => Ok(None),
                    Err(e) if e.is_not_found() => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await
    }

    /// Waits for the deployment to be `active` (and the standby too when `ha`); a failed
    /// primary or standby ends the wait with the API's error description.
    pub async fn wait_deployment(
        &self,
        instance_id: &str,
        ha: bool,
        options: &PollOptions,
    ) -> Result<ServiceInstanceStatus, CloudError> {
        let read = || self.get_last_operation(instance_id);
        wait_until(options, read, |status| deployment_progress(&status, ha)).await
    }

    pub async fn list_events(
        &self,
        instance_id: &str,
        filter: &EventFilter,
    ) -> Result<Vec<Event>, CloudError> {
        let query = [
            ("time", filter.time.as_deref()),
            ("from_time", filter.from_time.as_deref()),
            ("to_time", filter.to_time.as_deref()),
        ];
        let events = ["service_instances", instance_id, "events"];
        let collection: EventCollection = self.get_with(&events, &query).await?;
        Ok(collection.events)
    }

    pub async fn get_event(&self, instance_id: &str, event_id: &str) -> Result<Event, CloudError> {
        self.get(&["service_instances", instance_id, "events", event_id])
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status(value: Value) -> ServiceInstanceStatus {
        serde_json::from_value(value).unwrap_or_default()
    }

    #[test]
    fn progress_of_a_running_deployment_shows_the_step() {
        let s = status(
            json!({"status":"Running","primary_orchestrator_status":"orchestrator-VM-creation-in-progress",
            "primary_description":"2/5: Creating primary orchestrator VM.","orchestrator_ha":"false","mfa_enabled":false}),
        );
        assert_eq!(s.orchestrator_ha, Some(false));
        assert_eq!(s.mfa_enabled.as_deref(), Some("false"));
        assert_eq!(
            deployment_progress(&s, false),
            PollStatus::Pending {
                state: "running: 2/5: Creating primary orchestrator VM.".into()
            }
        );
    }

    #[test]
    fn ha_needs_the_standby_active_too() {
        let s = status(
            json!({"status":"active","standby_status":"downloading-orchestrator-image",
            "standby_description":"1/4: Downloading"}),
        );
        assert!(matches!(
            deployment_progress(&s, false),
            PollStatus::Done(_)
        ));
        assert!(matches!(
            deployment_progress(&s, true),
            PollStatus::Pending { .. }
        ));
        let done = status(json!({"status":"Active","standby_status":"Active"}));
        assert!(matches!(
            deployment_progress(&done, true),
            PollStatus::Done(_)
        ));
    }

    #[test]
    fn failures_carry_the_api_error_description() {
        let s = status(
            json!({"status":"failed","primary_orchestrator_status":"failed",
            "primary_description":"3/5","primary_error_description":"SSH key not found"}),
        );
        assert_eq!(
            deployment_progress(&s, false),
            PollStatus::Failed {
                state: "failed".into(),
                message: "SSH key not found".into()
            }
        );
        let standby = status(json!({"status":"active","standby_status":"failed",
            "standby_description":"2/4: Standby VM failed"}));
        assert_eq!(
            deployment_progress(&standby, true),
            PollStatus::Failed {
                state: "standby failed".into(),
                message: "2/4: Standby VM failed".into()
            }
        );
    }

    #[test]
    fn models_use_ibm_field_names() {
        let vms: ManagedVmMapResponse = serde_json::from_value(json!({"managed_vm_list": {
            "vm-1": {"core": 0.5, "dr_average_time": "10", "memory": "4", "vm_name": "aix-1",
                     "region": "dal10", "dr_region": "dal12", "workgroup_name": "wg", "workspace_name": "primary"}}}))
        .unwrap_or_default();
        let vm = vms.managed_vm_list.get("vm-1").cloned().unwrap_or_default();
        assert_eq!(vm.core.as_deref(), Some("0.5"));
        assert_eq!(vm.vm_name.as_deref(), Some("aix-1"));
        let events: EventCollection = serde_json::from_value(
            json!({"event": [{"event_id": "e1", "level": "info", "timestamp": 17}]}),
        )
        .unwrap_or_default();
        assert_eq!(events.events[0].timestamp.as_deref(), Some("17"));
        let old: ServiceInstanceStatus =
            serde_json::from_value(json!({"orch_standby_node_addtion_status": "done"}))
                .unwrap_or_default();
        assert_eq!(old.standby_node_addition_status(), Some("done"));
        let both: ServiceInstanceStatus = serde_json::from_value(
            json!({"orch_standby_node_addtion_status": "a", "orch_standby_node_addition_status": "b"}),
        )
        .unwrap_or_default();
        assert_eq!(both.standby_node_addition_status(), Some("b"));
    }

    #[test]
    fn deployed_network_ids_decode_from_a_list_or_a_string() {
        let listed: ServiceInstanceManageDr =
            serde_json::from_value(json!({"orchestrator_network_ids": ["n1", "n2"]}))
                .unwrap_or_default();
        assert_eq!(
            listed.orchestrator_network_ids,
            Some(vec!["n1".to_string(), "n2".to_string()])
        );
        let text: ServiceInstanceManageDr = serde_json::from_value(
            json!({"standby_orchestrator_network_ids": "n3, n4", "orchestrator_network_ids": null}),
        )
        .unwrap_or_default();
        assert_eq!(
            text.standby_orchestrator_network_ids,
            Some(vec!["n3".to_string(), "n4".to_string()])
        );
        assert_eq!(text.orchestrator_network_ids, None);
    }

    #[test]
    fn debug_of_the_create_body_hides_secrets() {
        let body = CreateManageDr {
            orchestrator_password: "Passw0rd-secret".into(),
            api_key: Some("apikey-secret".into()),
            managed_apikey: Some("managed-secret".into()),
            client_secret: Some("mfa-client-secret".into()),
            orchestrator_name: "admin".into(),
            ..CreateManageDr::default()
        };
        let shown = format!("{body:?}");
        assert!(shown.contains("admin"));
        for secret in [
            "Passw0rd-secret",
            "apikey-secret",
            "managed-secret",
            "mfa-client-secret",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
