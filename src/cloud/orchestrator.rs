//! The project's own orchestrator API (`/orchestrator/v1/{instance_id}` beside DR Automation).
//!
//! IBM publishes no API for registering a VM with the DR orchestrator, setting its recovery
//! priority, or removing a standby orchestrator; the orchestrator's UI does it. This project
//! defines the small API below for those operations (and dr-cloudsim implements it); the
//! published `GET /drautomation/v1/dr_managed_vms/{instance_id}` then shows registered VMs.
//! It is this project's model, not IBM's, and the docs say so.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::CloudError;
use super::http::{ApiRequest, ServiceApi};

/// Body of `POST /managed_vms`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedVmCreate {
    pub pvm_instance_id: String,
    /// The PowerVS workspace GUID of the VM.
    pub workspace_id: String,
    /// `high | medium | low`: recovery order.
    pub priority: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workgroup_name: Option<String>,
}

/// Body of `PATCH /managed_vms/{pvm_instance_id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedVmPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workgroup_name: Option<String>,
}

/// A registered VM. Fields beyond the registration are kept in `other` so nothing the
/// orchestrator reports is lost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ManagedVm {
    pub pvm_instance_id: String,
    pub workspace_id: Option<String>,
    pub priority: Option<String>,
    pub workgroup_name: Option<String>,
    pub vm_name: Option<String>,
    pub status: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct ManagedVmList {
    managed_vms: Vec<ManagedVm>,
}

#[derive(Debug, Clone)]
pub struct OrchestratorClient {
    api: ServiceApi,
}

impl OrchestratorClient {
    /// `api` has the DR Automation base URL; this API lives beside `/drautomation`.
    pub fn new(api: ServiceApi) -> Self {
        Self { api }
    }

    fn request(&self, method: Method, instance_id: &str, tail: &[&str]) -> ApiRequest {
        let mut segments = vec!["orchestrator", "v1", instance_id];
        segments.extend_from_slice(tail);
        self.api.request(method, &segments)
    }

    pub async fn list_managed_vms(&self, instance_id: &str) -> Result<Vec<ManagedVm>, CloudError> {
        let list: ManagedVmList = self
            .api
            .send_json(self.request(Method::GET, instance_id, &["managed_vms"]))
            .await?;
        Ok(list.managed_vms)
    }

    pub async fn get_managed_vm(
        &self,
        instance_id: &str,
        pvm_instance_id: &str,
    ) -> Result<ManagedVm, CloudError> {
        self.api
            .send_json(self.request(Method::GET, instance_id, &["managed_vms", pvm_instance_id]))
            .await
    }

    /// Registers a VM. When the outcome is unknown, an existing registration of the same VM
    /// counts as ours.
    pub async fn register_vm(
        &self,
        instance_id: &str,
        body: &ManagedVmCreate,
    ) -> Result<ManagedVm, CloudError> {
        let request = self
            .request(Method::POST, instance_id, &["managed_vms"])
            .json(body)?;
        self.api
            .create_checked(request, || async {
                match self
                    .get_managed_vm(instance_id, &body.pvm_instance_id)
                    .await
                {
                    Ok(vm) => Ok(Some(vm)),
                    Err(e) if e.is_not_found() => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await
    }

    pub async fn update_vm(
        &self,
        instance_id: &str,
        pvm_instance_id: &str,
        patch: &ManagedVmPatch,
    ) -> Result<ManagedVm, CloudError> {
        let request = self
            .request(
                Method::PATCH,
                instance_id,
                &["managed_vms", pvm_instance_id],
            )
            .json(patch)?;
        self.api.send_json(request).await
    }

    /// Unregisters a VM. `NotFound` means it was not registered.
    pub async fn unregister_vm(
        &self,
        instance_id: &str,
        pvm_instance_id: &str,
    ) -> Result<(), CloudError> {
        self.api
            .send_empty(self.request(
                Method::DELETE,
                instance_id,
                &["managed_vms", pvm_instance_id],
            ))
            .await
    }

    /// Removes the standby orchestrator of the deployment.
    pub async fn delete_standby(&self, instance_id: &str) -> Result<(), CloudError> {
        self.api
            .send_empty(self.request(Method::DELETE, instance_id, &["standby"]))
            .await
    }
}
