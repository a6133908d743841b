//! `dr_failover`, `dr_failback` and `dr_test`: one action, three kinds of DR operation.
//!
//! Plan: everything that would make the API refuse the operation is checked first, with the
//! reason and what to do: the orchestrator must exist and be active, failover and failback
//! need the standby orchestrator, no other operation may be running, the workloads must be on
//! the side the operation starts from, and every named VM or workgroup must be managed.
//!
//! Invoke: the same checks again (the plan may be old, or the orchestrator was created in the
//! same run), then the operation is started and polled; each VM step becomes a progress
//! line. A failure ends with the API's own message. On Ctrl-C the operation is cancelled
//! through the API and the action waits until the orchestrator reports it settled, so the
//! VMs are never left half-way; its HTTP handle has its own stop signal for that reason.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;
use tf_framework::action::{Action, Progress};
use tf_framework::context::Context;
use tf_framework::diag::{AttributePath, Diagnostics};
use tf_framework::path;
use tf_framework::schema::{Attribute, Schema};
use tf_framework::timeouts::parse_duration;
use tf_framework::typed::ConfigView;
use tf_framework::validators::{custom, each, size_between, string_length_between};
use tf_framework::value::{Attr, Type, Value};
use tokio_util::sync::CancellationToken;

use super::report;
use super::selection::{self, Selection};
use crate::cloud::operations::{Operation, OperationKind, OperationStart, OperationsClient};
use crate::cloud::{Clients, CloudError, RetryPolicy};
use crate::provider::DrProviderData;

/// How long an invocation waits for the operation by default (`timeout` argument).
const DEFAULT_TIMEOUT: &str = "2h";
/// How long a cancelled operation may take to put the VMs back before the action gives up
/// waiting (the orchestrator goes on regardless).
const SETTLE_LIMIT: Duration = Duration::from_secs(15 * 60);

/// One of the three DR operations as a Terraform action.
#[derive(Debug, Clone, Copy)]
pub struct DrOperation {
    kind: OperationKind,
}

/// The action's configuration.
#[derive(Debug, Clone, Deserialize)]
pub struct OperationConfig {
    pub orchestrator_id: String,
    #[serde(default)]
    pub vm_ids: Option<Vec<String>>,
    #[serde(default)]
    pub workgroups: Option<Vec<String>>,
    #[serde(default)]
    pub timeout: Option<String>,
}

impl DrOperation {
    pub fn new(kind: OperationKind) -> Self {
        Self { kind }
    }

    fn name(&self) -> &'static str {
        match self.kind {
            OperationKind::Failover => "dr_failover",
            OperationKind::Failback => "dr_failback",
            OperationKind::Test => "dr_test",
        }
    }

    /// "failover", "failback", "DR test": how messages name the operation.
    fn noun(&self) -> &'static str {
        match self.kind {
            OperationKind::Failover => "failover",
            OperationKind::Failback => "failback",
            OperationKind::Test => "DR test",
        }
    }

    /// Failover and failback move workloads between the sites, which needs the standby
    /// orchestrator; a DR test recovers copies and does not.
    fn needs_standby(&self) -> bool {
        matches!(self.kind, OperationKind::Failover | OperationKind::Failback)
    }

    fn cloud_error(&self, verb: &str, object: &str, err: &CloudError) -> Diagnostics {
        Diagnostics::from_error(
            format!("Error {verb} {}", self.name()),
            format!("{object}: {err}"),
        )
    }

    /// The checks shared by plan and invoke; errors point at `orchestrator_id`.
    async fn preflight(
        &self,
        clients: &Clients,
        ops: &OperationsClient,
        id: &str,
        verb: &str,
    ) -> Result<(), Diagnostics> {
        let at = || path!("orchestrator_id");
        let object = format!("orchestrator {id}");
        let status = match clients.dr_automation.get_last_operation(id).await {
            Ok(s) => s,
            Err(e) if e.is_not_found() => {
                return Err(Diagnostics::from_error_at(
                    at(),
                    "DR orchestrator not found",
                    format!(
                        "There is no DR orchestrator with id {id:?}. Use the id of a dr_orchestrator \
                         (the DR Automation service instance GUID)."
                    ),
                ));
            }
            Err(e) => return Err(self.cloud_error(verb, &object, &e)),
        };
        let lower = |s: &Option<String>| s.as_deref().unwrap_or("").trim().to_ascii_lowercase();
        let overall = lower(&status.status);
        if overall != "active" {
            return Err(Diagnostics::from_error_at(
                at(),
                "DR orchestrator not active",
                format!(
                    "The orchestrator {id} is not active (status {:?}); a {} needs an active orchestrator. \
                     Wait until its deployment has finished (the dr_orchestrator resource waits for it).",
                    status.status.as_deref().unwrap_or("unknown"),
                    self.noun()
                ),
            ));
        }
        if self.needs_standby() {
            let standby = lower(&status.standby_status);
            let added = status
                .standby_node_addition_status()
                .unwrap_or("")
                .to_ascii_lowercase();
            let attached = status.orchestrator_ha != Some(false)
                && (standby == "active" || added == "completed");
            if !attached {
                return Err(Diagnostics::from_error_at(
                    at(),
                    "Standby orchestrator not attached",
                    format!(
                        "A {} needs the standby orchestrator in the DR workspace, and orchestrator {id} has \
                         none attached (standby status {:?}). Add a dr_ha_standby for this orchestrator and \
                         apply it first.",
                        self.noun(),
                        status.standby_status.as_deref().unwrap_or("none")
                    ),
                ));
            }
        }
        let operations = ops
            .list(id)
            .await
            .map_err(|e| self.cloud_error(verb, &object, &e))?;
        if let Some(running) = operations.iter().find(|op| op.is_running()) {
            return Err(Diagnostics::from_error_at(
                at(),
                "Another DR operation is in progress",
                format!(
                    "Orchestrator {id} is running {} {} (started {}). Only one operation can run at a time: \
                     wait for it to finish before starting a {}.",
                    running.kind,
                    running.id,
                    running
                        .started_at
                        .as_deref()
                        .unwrap_or("at an unknown time"),
                    self.noun()
                ),
            ));
        }
        let site = match self.kind {
            OperationKind::Failover => Some((
                "primary",
                "The workloads already run at the DR site; run dr_failback to bring them back before failing over again.",
            )),
            OperationKind::Failback => Some((
                "dr",
                "The workloads run at the primary site; there is nothing to fail back. Fail over first.",
            )),
            OperationKind::Test => None,
        };
        if let Some((wanted, advice)) = site {
            let active = ops
                .site(id)
                .await
                .map_err(|e| self.cloud_error(verb, &object, &e))?
                .active_site;
            if !active.eq_ignore_ascii_case(wanted) {
                return Err(Diagnostics::from_error_at(
                    at(),
                    format!("Cannot run {} now", self.name()),
                    format!("Orchestrator {id}: the active site is {active:?}. {advice}"),
                ));
            }
        }
        Ok(())
    }

    /// The VMs the operation covers; problems point at the element that named nothing.
    async fn selection(
        &self,
        clients: &Clients,
        id: &str,
        vm_ids: Option<&[String]>,
        workgroups: Option<&[String]>,
        verb: &str,
    ) -> Result<Selection, Diagnostics> {
        let managed = clients
            .orchestrator
            .list_managed_vms(id)
            .await
            .map_err(|e| {
                self.cloud_error(verb, &format!("managed VMs of orchestrator {id}"), &e)
            })?;
        selection::select(&managed, vm_ids, workgroups).map_err(|problems| {
            let mut diags = Diagnostics::new();
            for p in problems {
                let at = if p.attribute == "orchestrator_id" {
                    path!("orchestrator_id")
                } else {
                    AttributePath::root(p.attribute).index(i64::try_from(p.index).unwrap_or(0))
                };
                diags.error_at(at, "VM selection names nothing to recover", p.message);
            }
            diags
        })
    }

    /// Cancels the operation and waits until it has settled; the diagnostics say where the
    /// VMs ended up.
    async fn cancel_and_settle(
        &self,
        ops: &OperationsClient,
        id: &str,
        op: &Operation,
    ) -> Diagnostics {
        let object = format!("{} {} on orchestrator {id}", self.noun(), op.id);
        if let Err(e) = ops.cancel(id, &op.id).await
            && !e.is_conflict()
            && !e.is_not_found()
        {
            return Diagnostics::from_error(
                format!("{} interrupted, but not cancelled", self.name()),
                format!(
                    "Terraform was interrupted; cancelling {object} failed: {e}. The operation may still be \
                     running: check the orchestrator before running another one."
                ),
            );
        }
        let started = Instant::now();
        let mut last = op.clone();
        while last.is_running() && started.elapsed() < SETTLE_LIMIT {
            tokio::time::sleep(Duration::from_secs(1)).await;
            match ops.get(id, &op.id).await {
                Ok(now) => last = now,
                Err(e) => {
                    tracing::warn!(operation = %op.id, error = %e, "polling a cancelled operation")
                }
            }
        }
        match last.status.to_ascii_lowercase().as_str() {
            "cancelled" => Diagnostics::from_error(
                format!("{} cancelled", self.name()),
                format!(
                    "Terraform was interrupted, so {object} was cancelled. The orchestrator put every VM back \
                     where it was: {} run where they ran before{}.",
                    report::vm_names(&last),
                    last.error
                        .as_deref()
                        .filter(|e| !e.is_empty())
                        .map(|e| format!(" (the orchestrator says: {e})"))
                        .unwrap_or_default()
                ),
            ),
            "succeeded" => {
                let mut d = Diagnostics::new();
                d.warning(
                    format!("{} finished before it could be cancelled", self.name()),
                    format!(
                        "Terraform was interrupted, but {object} had already succeeded: {}.",
                        report::final_states(&last)
                    ),
                );
                d
            }
            "running" => Diagnostics::from_error(
                format!("{} still settling", self.name()),
                format!(
                    "Terraform was interrupted and {object} was asked to cancel, but it was still running after \
                     {} minutes. The orchestrator finishes the cancellation on its own; check it before running \
                     another operation.",
                    SETTLE_LIMIT.as_secs() / 60
                ),
            ),
            _ => self.failure(&last, "while being cancelled"),
        }
    }

    fn failure(&self, op: &Operation, when: &str) -> Diagnostics {
        let mut detail = format!(
            "{} {} failed {when}: {}",
            self.noun(),
            op.id,
            op.error
                .as_deref()
                .filter(|e| !e.is_empty())
                .unwrap_or("the orchestrator reported a failure without a message")
        );
        let failed = report::failed_vms(op);
        if !failed.is_empty() {
            detail.push_str("\n\nFailed VMs:");
            for line in failed {
                detail.push_str(&format!("\n  - {line}"));
            }
        }
        Diagnostics::from_error(format!("{} failed", self.name()), detail)
    }

    /// Reports the outcome of a finished operation.
    fn finish(&self, op: &Operation, id: &str, progress: &Progress) -> Result<(), Diagnostics> {
        match op.status.to_ascii_lowercase().as_str() {
            "succeeded" => {
                let count = op.vms.len();
                match self.kind {
                    OperationKind::Failover => progress.report(format!(
                        "failover {} succeeded: {count} VM(s) now run at the DR site of orchestrator {id}",
                        op.id
                    )),
                    OperationKind::Failback => progress.report(format!(
                        "failback {} succeeded: {count} VM(s) are back at the primary site of orchestrator {id}",
                        op.id
                    )),
                    OperationKind::Test => {
                        for line in report::recovery_times(op) {
                            progress.report(line);
                        }
                        progress.report(format!(
                            "DR test {} succeeded: {count} VM(s) recovered in the isolated network, booted and \
                             cleaned up; production was not touched",
                            op.id
                        ));
                    }
                }
                Ok(())
            }
            "failed" => Err(self.failure(op, "at the orchestrator")),
            "cancelled" => Err(Diagnostics::from_error(
                format!("{} cancelled", self.name()),
                format!(
                    "{} {} was cancelled outside Terraform: {}.",
                    self.noun(),
                    op.id,
                    report::final_states(op)
                ),
            )),
            other => Err(Diagnostics::from_error(
                format!("{} ended in an unexpected state", self.name()),
                format!("{} {} reports status {other:?}.", self.noun(), op.id),
            )),
        }
    }
}

/// The provider's clients and an operations client whose requests stop with `stop` (default:
/// the provider's stop signal).
pub(crate) fn operations_client(
    ctx: &Context,
    stop: Option<CancellationToken>,
) -> Result<(Clients, OperationsClient), Diagnostics> {
    let data = ctx.provider_data::<DrProviderData>()?;
    let clients = data.clients()?.clone();
    let Some(settings) = data.settings.as_ref() else {
        return Err(Diagnostics::from_error(
            "Provider not configured",
            "The DR operations need the provider's endpoints, but the provider has no settings.",
        ));
    };
    let stop = stop.unwrap_or_else(|| clients.cancel_token().clone());
    let ops = clients
        .operations(
            &settings.endpoints.dr_automation,
            RetryPolicy {
                max_retries: settings.max_retries,
                ..RetryPolicy::default()
            },
            settings.request_timeout,
            stop,
        )
        .map_err(|e| {
            Diagnostics::from_error("Unable to create the DR operations client", e.to_string())
        })?;
    Ok((clients, ops))
}

fn known<T: serde::de::DeserializeOwned>(
    config: &ConfigView<'_>,
    at: &AttributePath,
) -> Result<Option<Option<T>>, Diagnostics> {
    Ok(match config.get::<T>(at)? {
        Attr::Known(v) => Some(Some(v)),
        Attr::Null => Some(None),
        Attr::Unknown => None,
    })
}

fn duration_validator() -> impl tf_framework::validators::Validator {
    custom("a duration such as 90m or 2h", |at, value, diags| {
        if let Value::String(text) = value {
            match parse_duration(text) {
                Ok(d) if d >= Duration::from_secs(1) => {}
                Ok(_) => diags.error_at(
                    at.clone(),
                    "Invalid timeout",
                    format!("{text:?} is too short; give at least 1s."),
                ),
                Err(e) => diags.error_at(
                    at.clone(),
                    "Invalid timeout",
                    format!("{e}: write a duration such as \"90m\" or \"2h\"."),
                ),
            }
        }
    })
}

#[async_trait]
impl Action for DrOperation {
    type Config = OperationConfig;

    fn type_name(&self) -> &str {
        self.name()
    }

    fn schema(&self) -> Schema {
        let description = match self.kind {
            OperationKind::Failover => {
                "Fails the protected VMs over to the DR site: the orchestrator recovers them in the DR workspace, \
                 high priority first and each workgroup together, and the CLI shows each VM's steps. Needs the \
                 standby orchestrator (`dr_ha_standby`). Ctrl-C cancels the failover and waits until every VM is \
                 back where it was. Uses the project's own orchestrator API (IBM publishes none for this)."
            }
            OperationKind::Failback => {
                "Fails the VMs back to the primary site after a failover, in priority order, each workgroup \
                 together. Needs the standby orchestrator. Ctrl-C cancels and waits until the VMs are back where \
                 they were. Uses the project's own orchestrator API."
            }
            OperationKind::Test => {
                "Runs a non-disruptive DR test: copies of the protected VMs are recovered into an isolated network \
                 at the DR site, checked to boot, and cleaned up; the CLI shows each VM's steps and its measured \
                 recovery time. Production keeps running. Ctrl-C cancels the test and waits for the clean-up. Uses \
                 the project's own orchestrator API."
            }
        };
        let list = |name: &str, what: &str| {
            Attribute::list(name, Type::String)
                .optional()
                .validator(size_between(1, 1000))
                .validator(each(string_length_between(1, 256)))
                .description(what)
        };
        let schema = Schema::new()
            .description(description)
            .attribute(
                Attribute::string("orchestrator_id")
                    .required()
                    .validator(string_length_between(1, 256))
                    .description("`id` of the `dr_orchestrator` that runs the operation."),
            )
            .attribute(list(
                "vm_ids",
                "PowerVS instance ids of the managed VMs to include. Default: every managed VM. A VM's whole \
                 workgroup is always included with it.",
            ))
            .attribute(list(
                "workgroups",
                "Workgroups whose VMs to include (combined with `vm_ids`).",
            ));
        schema.attribute(
            Attribute::string("timeout")
                .optional()
                .validator(duration_validator())
                .description(format!(
                    "How long to wait for the operation, e.g. `90m`. Default `{DEFAULT_TIMEOUT}`. When it runs out \
                     the operation goes on at the orchestrator and the action reports it."
                )),
        )
    }

    async fn validate(&self, _ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        let mut diags = Diagnostics::new();
        for attribute in ["vm_ids", "workgroups"] {
            if let Ok(Attr::Known(items)) =
                config.get::<Vec<String>>(&AttributePath::root(attribute))
            {
                for (i, item) in items.iter().enumerate() {
                    if items[..i].contains(item) {
                        diags.error_at(
                            AttributePath::root(attribute).index(i64::try_from(i).unwrap_or(0)),
                            "Duplicate entry",
                            format!("{item:?} is listed more than once in {attribute}."),
                        );
                    }
                }
            }
        }
        diags
    }

    async fn plan(&self, ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        let id = match config.get::<String>(&path!("orchestrator_id")) {
            Ok(Attr::Known(id)) => id,
            // Not known yet (created in this run): checked when the action runs.
            Ok(_) => return Diagnostics::new(),
            Err(d) => return d,
        };
        let (clients, ops) = match operations_client(ctx, None) {
            Ok(c) => c,
            Err(d) => return d,
        };
        if let Err(d) = self.preflight(&clients, &ops, &id, "planning").await {
            return d;
        }
        let (vm_ids, workgroups) = match (
            known::<Vec<String>>(config, &path!("vm_ids")),
            known::<Vec<String>>(config, &path!("workgroups")),
        ) {
            (Ok(Some(v)), Ok(Some(w))) => (v, w),
            (Err(d), _) | (_, Err(d)) => return d,
            _ => return Diagnostics::new(),
        };
        match self
            .selection(
                &clients,
                &id,
                vm_ids.as_deref(),
                workgroups.as_deref(),
                "planning",
            )
            .await
        {
            Ok(selection) => {
                let mut diags = Diagnostics::new();
                for (vm, group) in selection.added_for_workgroups {
                    diags.warning_at(
                        path!("vm_ids"),
                        "Whole workgroup included",
                        format!("{vm} is included too: workgroup {group:?} is always recovered together."),
                    );
                }
                diags
            }
            Err(d) => d,
        }
    }

    async fn invoke(
        &self,
        ctx: &Context,
        config: OperationConfig,
        progress: &Progress,
    ) -> Result<(), Diagnostics> {
        let timeout = parse_duration(config.timeout.as_deref().unwrap_or(DEFAULT_TIMEOUT))
            .map_err(|e| Diagnostics::from_error_at(path!("timeout"), "Invalid timeout", e))?;
        // Independent of the provider's stop signal: after Ctrl-C the operation must still be
        // cancelled and watched until it settles.
        let (clients, ops) = operations_client(ctx, Some(CancellationToken::new()))?;
        let id = config.orchestrator_id.as_str();
        self.preflight(&clients, &ops, id, "running").await?;
        let selection = self
            .selection(
                &clients,
                id,
                config.vm_ids.as_deref(),
                config.workgroups.as_deref(),
                "running",
            )
            .await?;
        if ctx.is_cancelled() {
            return Err(Diagnostics::from_error(
                format!("{} not started", self.name()),
                "Terraform was interrupted before the operation started; nothing was changed.",
            ));
        }
        let scope = match &selection.vm_ids {
            None => format!("all {} managed VM(s)", selection.count),
            Some(_) => format!("{} selected VM(s)", selection.count),
        };
        progress.report(format!(
            "starting {} of {scope} on orchestrator {id}",
            self.noun()
        ));
        for (vm, group) in &selection.added_for_workgroups {
            progress.report(format!(
                "including {vm}: workgroup {group} is recovered together"
            ));
        }
        let start = OperationStart {
            kind: self.kind.as_str().to_string(),
            vm_ids: selection.vm_ids.clone(),
        };
        let started = ops
            .start(id, &start)
            .await
            .map_err(|e| self.cloud_error("running", &format!("orchestrator {id}"), &e))?;
        progress.report(format!("{} {} started", self.noun(), started.id));
        for line in report::changes(None, &started) {
            progress.report(line);
        }
        let deadline = Instant::now() + timeout;
        let mut last = started;
        let mut polls: u32 = 0;
        while last.is_running() {
            let pause = if polls < 120 {
                Duration::from_secs(1)
            } else {
                Duration::from_secs(5)
            };
            tokio::select! {
                biased;
                () = ctx.cancelled() => return Err(self.cancel_and_settle(&ops, id, &last).await),
                () = tokio::time::sleep(pause) => {}
            }
            if Instant::now() > deadline {
                return Err(Diagnostics::from_error(
                    format!("{} timed out", self.name()),
                    format!(
                        "{} {} was still running after {timeout:?}; it goes on at the orchestrator {id}. Raise \
                         `timeout` if it is merely slow, and check the orchestrator before running another \
                         operation.",
                        self.noun(),
                        last.id
                    ),
                ));
            }
            let now = tokio::select! {
                biased;
                () = ctx.cancelled() => return Err(self.cancel_and_settle(&ops, id, &last).await),
                polled = ops.get(id, &last.id) => polled.map_err(|e| {
                    self.cloud_error("running", &format!("{} {} on orchestrator {id}", self.noun(), last.id), &e)
                })?,
            };
            for line in report::changes(Some(&last), &now) {
                progress.report(line);
            }
            last = now;
            polls = polls.saturating_add(1);
        }
        self.finish(&last, id, progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tf_framework::schema::assert_schema_valid;

    #[test]
    fn schemas_are_valid() {
        for kind in [
            OperationKind::Failover,
            OperationKind::Failback,
            OperationKind::Test,
        ] {
            let schema = Action::schema(&DrOperation::new(kind));
            assert_schema_valid(&schema);
            assert!(schema.block.find_attribute("orchestrator_id").is_some());
        }
        assert_eq!(
            Action::type_name(&DrOperation::new(OperationKind::Failback)),
            "dr_failback"
        );
    }

    #[tokio::test]
    async fn offline_validation_refuses_duplicates() {
        let config = Value::Object(
            [
                ("orchestrator_id".to_string(), Value::String("o".into())),
                (
                    "vm_ids".to_string(),
                    Value::List(vec![Value::String("a".into()), Value::String("a".into())]),
                ),
                ("workgroups".to_string(), Value::Null),
                ("timeout".to_string(), Value::Null),
            ]
            .into_iter()
            .collect(),
        );
        let action = DrOperation::new(OperationKind::Failover);
        let diags = Action::validate(
            &action,
            &Context::for_tests(None),
            &ConfigView::new(&config),
        )
        .await;
        assert!(diags.has_errors());
        assert!(
            diags.to_string().contains("listed more than once"),
            "{diags}"
        );
    }

    #[test]
    fn bad_timeouts_are_explained() {
        let mut diags = Diagnostics::new();
        tf_framework::validators::Validator::validate(
            &duration_validator(),
            &path!("timeout"),
            &Value::String("soon".into()),
            &mut diags,
        );
        let text = diags.to_string();
        assert!(text.contains("\"90m\""), "{text}");
    }
}
