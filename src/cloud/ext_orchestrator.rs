//! PowerVS calls `dr_orchestrator` needs that [`super::power`] does not offer yet: resizing a
//! VM in place (`PUT .../pvm-instances/{id}`, `PVMInstanceUpdate`).
//!
//! The workspace client keeps its HTTP handle private, so this builds a second handle on the
//! same token manager, redactor and stop signal (one more connection pool, nothing else).
//! When `power::WorkspaceClient` gains an update call, this file can go.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Clients;
use super::error::CloudError;
use super::http::{HttpCore, HttpSettings, RetryPolicy, ServiceApi};
use super::power::workspace_crn;

/// Body of `PUT .../pvm-instances/{id}` (`PVMInstanceUpdate`); absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PvmInstanceUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processors: Option<f64>,
    /// GiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<f64>,
    /// `dedicated | shared | capped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proc_type: Option<String>,
}

/// `pcloud` writes that the shared PowerVS client lacks.
#[derive(Debug, Clone)]
pub struct PowerUpdates {
    api: ServiceApi,
}

impl Clients {
    /// A handle for [`PowerUpdates`] calls against `power_endpoint` (the same base URL the
    /// PowerVS client uses), with the provider's retry policy and request timeout.
    pub fn power_updates(
        &self,
        power_endpoint: &str,
        retry: RetryPolicy,
        request_timeout: Duration,
    ) -> Result<PowerUpdates, CloudError> {
        let core = Arc::new(HttpCore::new(
            HttpSettings {
                retry,
                request_timeout,
                user_agent: format!("terraform-provider-dr/{}", env!("CARGO_PKG_VERSION")),
            },
            self.redactor.clone(),
            self.cancel.clone(),
        )?);
        let api = ServiceApi::new(core, self.tokens.clone(), "power", power_endpoint, None)?;
        Ok(PowerUpdates { api })
    }
}

impl PowerUpdates {
    /// Resizes (or otherwise updates) a VM; PowerVS answers 202 and the VM passes through
    /// `RESIZE` back to `ACTIVE` (wait with `WorkspaceClient::wait_instance_ready`).
    pub async fn update_instance(
        &self,
        workspace_guid: &str,
        zone: &str,
        pvm_instance_id: &str,
        body: &PvmInstanceUpdate,
    ) -> Result<Value, CloudError> {
        let account = self.api.tokens().account_id().await?;
        let crn = workspace_crn(self.api.base().host_str(), zone, &account, workspace_guid);
        let request = self
            .api
            .request(
                Method::PUT,
                &[
                    "pcloud",
                    "v1",
                    "cloud-instances",
                    workspace_guid,
                    "pvm-instances",
                    pvm_instance_id,
                ],
            )
            .header("crn", &crn)?
            .json(body)?;
        self.api.send_json(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_body_uses_powervs_names_and_omits_unset_fields() {
        let body = PvmInstanceUpdate {
            processors: Some(1.25),
            memory: Some(8.0),
            proc_type: None,
        };
        let json = serde_json::to_value(&body).unwrap_or_default();
        assert_eq!(json, serde_json::json!({"processors": 1.25, "memory": 8.0}));
    }
}
