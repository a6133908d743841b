//! DR operations and scheduled DR tests: the project's own orchestrator API beside DR
//! Automation, under `/orchestrator/v1/{instance_id}`.
//!
//! IBM runs failover, failback and DR tests from the orchestrator's UI (KSYS) and publishes no
//! API for them. This project defines the small API below (dr-cloudsim implements it, and
//! docs/ says it is the project's model, not IBM's): an operation is started with a POST,
//! then polled until it leaves `running`; it reports each VM's step. Schedules are plain CRUD.
//!
//! The client has its own HTTP handle with its own stop signal (see [`Clients::operations`]):
//! when Terraform asks the provider to stop, the action that started an operation must still
//! be able to cancel it and wait until the VMs are back where they were, which the provider's
//! shared handle refuses once stopped.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::Clients;
use super::error::CloudError;
use super::http::{ApiRequest, HttpCore, HttpSettings, RetryPolicy, ServiceApi};

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// Move the protected VMs to the DR site.
    Failover,
    /// Bring them back to the primary site.
    Failback,
    /// Recover copies in an isolated network, check they boot, clean up.
    Test,
}

impl OperationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::Failover => "failover",
            OperationKind::Failback => "failback",
            OperationKind::Test => "test",
        }
    }
}

/// Body of `POST /operations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperationStart {
    #[serde(rename = "type")]
    pub kind: String,
    /// A subset of the managed VMs; absent means all of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vm_ids: Option<Vec<String>>,
}

/// One VM's part in an operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OperationVm {
    pub pvm_instance_id: String,
    pub vm_name: Option<String>,
    /// `high | medium | low`.
    pub priority: Option<String>,
    pub workgroup_name: Option<String>,
    /// `pending | recovering | booting | verified | recovered | cleaning | done | failed`.
    pub status: String,
    pub message: Option<String>,
    /// Measured recovery time (DR tests report it per VM).
    pub recovery_seconds: Option<f64>,
}

/// An operation as the API reports it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Operation {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// `running | succeeded | failed | cancelled`.
    pub status: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Why it failed, in the API's words.
    pub error: Option<String>,
    pub vms: Vec<OperationVm>,
}

impl Operation {
    pub fn is_running(&self) -> bool {
        self.status.eq_ignore_ascii_case("running")
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct OperationList {
    operations: Vec<Operation>,
}

/// `GET /site`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Site {
    /// `primary | dr`.
    pub active_site: String,
}

/// Body of `POST /test_schedules`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleCreate {
    pub cron: String,
    pub time_zone: String,
    pub enabled: bool,
}

/// Body of `PATCH /test_schedules/{id}`; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SchedulePatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// The outcome of the last scheduled run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduleResult {
    /// Absent when the run was skipped (another operation running, orchestrator not active).
    pub operation_id: Option<String>,
    /// `succeeded | failed | cancelled | skipped`.
    pub status: String,
    pub finished_at: Option<String>,
    /// Why a run failed or was skipped.
    pub message: Option<String>,
}

/// A recurring DR test.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TestSchedule {
    pub id: String,
    pub cron: String,
    pub time_zone: String,
    pub enabled: bool,
    pub next_run: Option<String>,
    pub last_result: Option<ScheduleResult>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct ScheduleList {
    test_schedules: Vec<TestSchedule>,
}

/// Typed calls of the operations and schedules API.
#[derive(Debug, Clone)]
pub struct OperationsClient {
    api: ServiceApi,
}

impl Clients {
    /// A client for DR operations and schedules at `dr_automation_endpoint` (the base URL the
    /// DR Automation client uses). `stop` ends its requests: pass the provider's stop signal
    /// for ordinary calls, or an independent token when calls must outlive a Ctrl-C (cancelling
    /// an operation and waiting for it to settle).
    pub fn operations(
        &self,
        dr_automation_endpoint: &str,
        retry: RetryPolicy,
        request_timeout: Duration,
        stop: CancellationToken,
    ) -> Result<OperationsClient, CloudError> {
        let core = Arc::new(HttpCore::new(
            HttpSettings {
                retry,
                request_timeout,
                user_agent: format!("terraform-provider-dr/{}", env!("CARGO_PKG_VERSION")),
            },
            self.redactor.clone(),
            stop,
        )?);
        let api = ServiceApi::new(
            core,
            self.tokens.clone(),
            "dra",
            dr_automation_endpoint,
            None,
        )?;
        Ok(OperationsClient { api })
    }
}

impl OperationsClient {
    pub fn new(api: ServiceApi) -> Self {
        Self { api }
    }

    fn request(&self, method: Method, instance_id: &str, tail: &[&str]) -> ApiRequest {
        let mut segments = vec!["orchestrator", "v1", instance_id];
        segments.extend_from_slice(tail);
        self.api.request(method, &segments)
    }

    /// Starts an operation (202). 409 means another one is running; 400 that the orchestrator
    /// cannot run it now (not active, no standby). When the POST's outcome is unknown, a
    /// running operation of the same type counts as ours, so it is never started twice.
    pub async fn start(
        &self,
        instance_id: &str,
        body: &OperationStart,
    ) -> Result<Operation, CloudError> {
        let request = self
            .request(Method::POST, instance_id, &["operations"])
            .json(body)?;
        self.api
            .create_checked(request, || async {
                let running = self
                    .list(instance_id)
                    .await?
                    .into_iter()
                    .find(|op| op.is_running() && op.kind == body.kind);
                Ok(running)
            })
            .await
    }

    pub async fn get(
        &self,
        instance_id: &str,
        operation_id: &str,
    ) -> Result<Operation, CloudError> {
        self.api
            .send_json(self.request(Method::GET, instance_id, &["operations", operation_id]))
            .await
    }

    pub async fn list(&self, instance_id: &str) -> Result<Vec<Operation>, CloudError> {
        let list: OperationList = self
            .api
            .send_json(self.request(Method::GET, instance_id, &["operations"]))
            .await?;
        Ok(list.operations)
    }

    /// Asks a running operation to stop; the API then puts every VM back where it was and
    /// reports `cancelled`. Repeating it is harmless.
    pub async fn cancel(&self, instance_id: &str, operation_id: &str) -> Result<(), CloudError> {
        let request = self
            .request(
                Method::POST,
                instance_id,
                &["operations", operation_id, "cancel"],
            )
            .idempotent();
        self.api.send_empty(request).await
    }

    pub async fn site(&self, instance_id: &str) -> Result<Site, CloudError> {
        self.api
            .send_json(self.request(Method::GET, instance_id, &["site"]))
            .await
    }

    pub async fn list_schedules(&self, instance_id: &str) -> Result<Vec<TestSchedule>, CloudError> {
        let list: ScheduleList = self
            .api
            .send_json(self.request(Method::GET, instance_id, &["test_schedules"]))
            .await?;
        Ok(list.test_schedules)
    }

    /// Creates a schedule. When the outcome is unknown, an existing schedule with the same
    /// cron and time zone counts as ours.
    pub async fn create_schedule(
        &self,
        instance_id: &str,
        body: &ScheduleCreate,
    ) -> Result<TestSchedule, CloudError> {
        let request = self
            .request(Method::POST, instance_id, &["test_schedules"])
            .json(body)?;
        self.api
            .create_checked(request, || async {
                let existing = self
                    .list_schedules(instance_id)
                    .await?
                    .into_iter()
                    .find(|s| s.cron == body.cron && s.time_zone == body.time_zone);
                Ok(existing)
            })
            .await
    }

    pub async fn get_schedule(
        &self,
        instance_id: &str,
        schedule_id: &str,
    ) -> Result<TestSchedule, CloudError> {
        self.api
            .send_json(self.request(Method::GET, instance_id, &["test_schedules", schedule_id]))
            .await
    }

    pub async fn update_schedule(
        &self,
        instance_id: &str,
        schedule_id: &str,
        patch: &SchedulePatch,
    ) -> Result<TestSchedule, CloudError> {
        let request = self
            .request(Method::PATCH, instance_id, &["test_schedules", schedule_id])
            .json(patch)?;
        self.api.send_json(request).await
    }

    /// Deletes a schedule. `NotFound` means it was already gone.
    pub async fn delete_schedule(
        &self,
        instance_id: &str,
        schedule_id: &str,
    ) -> Result<(), CloudError> {
        self.api
            .send_empty(self.request(
                Method::DELETE,
                instance_id,
                &["test_schedules", schedule_id],
            ))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_use_the_api_names_and_omit_unset_fields() {
        let start = OperationStart {
            kind: OperationKind::Failover.as_str().to_string(),
            vm_ids: None,
        };
        assert_eq!(
            serde_json::to_value(&start).unwrap_or_default(),
            serde_json::json!({"type": "failover"})
        );
        let patch = SchedulePatch {
            enabled: Some(false),
            ..SchedulePatch::default()
        };
        assert_eq!(
            serde_json::to_value(&patch).unwrap_or_default(),
            serde_json::json!({"enabled": false})
        );
    }

    #[test]
    fn operations_decode_leniently() {
        let op: Operation = serde_json::from_value(serde_json::json!({
            "id": "op-1", "type": "test", "status": "running", "started_at": "2026-01-01T00:00:00Z",
            "vms": [{"pvm_instance_id": "vm-1", "vm_name": "aix-1", "priority": "high",
                     "status": "booting", "recovery_seconds": 42.5, "extra": 1}]
        }))
        .unwrap_or_default();
        assert!(op.is_running());
        assert_eq!(op.kind, "test");
        assert_eq!(op.vms.len(), 1);
        assert_eq!(op.vms[0].recovery_seconds, Some(42.5));
        let schedule: TestSchedule = serde_json::from_value(serde_json::json!({
            "id": "s-1", "cron": "0 2 * * 0", "time_zone": "America/Chicago", "enabled": true,
            "next_run": "2026-01-04T08:00:00Z", "last_result": null
        }))
        .unwrap_or_default();
        assert_eq!(schedule.last_result, None);
        assert!(schedule.enabled);
        let skipped: TestSchedule = serde_json::from_value(serde_json::json!({
            "id": "s-1", "cron": "0 2 * * 0", "time_zone": "UTC", "enabled": true, "next_run": null,
            "last_result": {"operation_id": null, "status": "skipped", "finished_at": "2026-01-04T08:00:00Z",
                            "message": "another operation was running"}
        }))
        .unwrap_or_default();
        let last = skipped.last_result.unwrap_or_default();
        assert_eq!((last.operation_id, last.status.as_str()), (None, "skipped"));
    }
}
