//! `dr_test_schedule`: a recurring DR test on an orchestrator (the schedule part of `dr_test`).
//!
//! IBM publishes no API for scheduling DR tests (the orchestrator's UI does it), so this uses
//! the project's own operations API (`cloud::operations`, see docs/). The cron expression and
//! the time zone are checked offline ([`cron`], [`timezone`]) so a typo fails `terraform
//! validate`/`plan` with the bad field named; the orchestrator computes `next_run` and reports
//! the outcome of the last scheduled run in `last_result`.

pub mod cron;
pub mod timezone;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::path;
use tf_framework::resource::{CreateRequest, Resource, UpdateRequest};
use tf_framework::schema::{Attribute, Schema};
use tf_framework::typed::PlanView;
use tf_framework::validators::{custom, string_length_between};
use tf_framework::value::{Attr, Type, Value};

use crate::actions::operation::operations_client;
use crate::cloud::CloudError;
use crate::cloud::operations::{OperationsClient, ScheduleCreate, SchedulePatch, TestSchedule};
use crate::resources::managed_vm::split_import_id;
use crate::resources::{Action, clients, diagnose};

pub const TYPE_NAME: &str = "dr_test_schedule";

pub struct TestScheduleResource;

/// Outcome of the last scheduled run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LastResult {
    pub operation_id: Option<String>,
    pub status: Option<String>,
    pub finished_at: Option<String>,
    pub message: Option<String>,
}

/// The state of a `dr_test_schedule`; field names are the schema's attribute names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScheduleState {
    pub id: Option<String>,
    pub schedule_id: Option<String>,
    pub orchestrator_id: String,
    pub cron: String,
    pub time_zone: Option<String>,
    pub enabled: Option<bool>,
    pub next_run: Option<String>,
    pub last_result: Option<LastResult>,
}

fn composite_id(orchestrator_id: &str, schedule_id: &str) -> String {
    format!("{orchestrator_id}/{schedule_id}")
}

/// Same expression up to spacing: the configured spelling is kept.
fn same_cron(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// The state for what the API reports; `known_cron` (the configuration's or the prior
/// spelling) wins when it is the same expression.
fn state_of(
    orchestrator_id: &str,
    schedule: TestSchedule,
    known_cron: Option<&str>,
) -> ScheduleState {
    let cron = match known_cron {
        Some(known) if same_cron(known, &schedule.cron) => known.to_string(),
        _ => schedule.cron,
    };
    ScheduleState {
        id: Some(composite_id(orchestrator_id, &schedule.id)),
        schedule_id: Some(schedule.id),
        orchestrator_id: orchestrator_id.to_string(),
        cron,
        time_zone: Some(schedule.time_zone),
        enabled: Some(schedule.enabled),
        next_run: schedule.next_run,
        last_result: schedule.last_result.map(|r| LastResult {
            operation_id: r.operation_id,
            status: Some(r.status),
            finished_at: r.finished_at,
            message: r.message,
        }),
    }
}

fn error(action: Action, object: &str, err: &CloudError) -> Diagnostics {
    diagnose(action, TYPE_NAME, object, err)
}

fn client(ctx: &Context) -> Result<OperationsClient, Diagnostics> {
    operations_client(ctx, None).map(|(_, ops)| ops)
}

fn schedule_of(state: &ScheduleState) -> Result<&str, Diagnostics> {
    state.schedule_id.as_deref().ok_or_else(|| {
        Diagnostics::from_error(
            format!("Invalid {TYPE_NAME} state"),
            "The state has no schedule_id; remove it from state and import it again.",
        )
    })
}

#[async_trait]
impl Resource for TestScheduleResource {
    type State = ScheduleState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let computed = |name: &str, description: &str| {
            Attribute::string(name).computed().description(description)
        };
        Schema::new()
            .description(
                "A recurring, non-disruptive DR test on a DR orchestrator: at each time the cron expression \
                 names (in `time_zone`), the orchestrator runs what the `dr_test` action runs. The cron expression \
                 and the time zone are checked offline. Uses this project's orchestrator API (IBM publishes none \
                 for scheduling DR tests).",
            )
            .attribute(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .description("`<orchestrator_id>/<schedule_id>`, also the import id."),
            )
            .attribute(
                Attribute::string("schedule_id")
                    .computed()
                    .use_state_for_unknown()
                    .description("The schedule's id at the orchestrator."),
            )
            .attribute(
                Attribute::string("orchestrator_id")
                    .required()
                    .requires_replace()
                    .validator(string_length_between(1, 256))
                    .description("`id` of the `dr_orchestrator` that runs the tests. Changing it replaces the schedule."),
            )
            .attribute(
                Attribute::string("cron")
                    .required()
                    .validator(custom(
                        "a five-field cron expression",
                        |at, value, diags| {
                            if let Value::String(text) = value
                                && let Err(why) = cron::check(text)
                            {
                                diags.error_at(at.clone(), "Invalid cron expression", why);
                            }
                        },
                    ))
                    .description(
                        "When to run, as a five-field cron expression `minute hour day-of-month month day-of-week`, \
                         e.g. `0 2 * * 0` for Sundays at 02:00. Lists, ranges, steps and `JAN`/`SUN` names work; \
                         `@daily`-style shortcuts do not.",
                    ),
            )
            .attribute(
                Attribute::string("time_zone")
                    .optional()
                    .computed()
                    .default_string("UTC")
                    .validator(custom("an IANA time zone name", |at, value, diags| {
                        if let Value::String(text) = value
                            && let Err(why) = timezone::check(text)
                        {
                            diags.error_at(at.clone(), "Invalid time zone", why);
                        }
                    }))
                    .description("IANA time zone the cron expression is read in, e.g. `America/Chicago`. Default `UTC`."),
            )
            .attribute(
                Attribute::bool("enabled")
                    .optional()
                    .computed()
                    .default_bool(true)
                    .description("Whether the schedule runs. Default `true`."),
            )
            .attribute(computed(
                "next_run",
                "When the next test runs (RFC 3339), as the orchestrator computes it; null while disabled.",
            ))
            .attribute(
                // An object type rather than a nested attribute: Terraform 1.6's
                // `-generate-config-out` crashes on computed nested attributes.
                Attribute::object(
                    "last_result",
                    ["operation_id", "status", "finished_at", "message"].map(|k| (k, Type::String)),
                )
                .computed()
                .description(
                    "The last scheduled run; null before the first one. `operation_id`: the DR test \
                     operation (null when the run was skipped); `status`: `succeeded`, `failed`, \
                     `cancelled` or `skipped`; `finished_at`: when it finished (RFC 3339); `message`: \
                     why it failed or was skipped.",
                ),
            )
    }

    /// The orchestrator must exist before a schedule can be put on it.
    async fn modify_plan(&self, ctx: &Context, plan: &mut PlanView) -> Result<(), Diagnostics> {
        if plan.is_destroy() {
            return Ok(());
        }
        let Attr::Known(orchestrator_id) = plan.planned::<String>(&path!("orchestrator_id"))?
        else {
            return Ok(());
        };
        if !plan.is_create() && !plan.changed(&path!("orchestrator_id")) {
            return Ok(());
        }
        let clients = clients(ctx)?;
        match clients
            .dr_automation
            .get_last_operation(&orchestrator_id)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Err(Diagnostics::from_error_at(
                path!("orchestrator_id"),
                "DR orchestrator not found",
                format!(
                    "There is no DR orchestrator with id {orchestrator_id:?} to schedule DR tests on. Use the id \
                     of a dr_orchestrator."
                ),
            )),
            Err(e) => Err(error(
                Action::Plan,
                &format!("orchestrator {orchestrator_id}"),
                &e,
            )),
        }
    }

    async fn create(
        &self,
        ctx: &Context,
        req: CreateRequest<ScheduleState>,
    ) -> Result<ScheduleState, Diagnostics> {
        let ops = client(ctx)?;
        let planned = req.planned;
        let body = ScheduleCreate {
            cron: planned.cron.clone(),
            time_zone: planned.time_zone.clone().unwrap_or_else(|| "UTC".into()),
            enabled: planned.enabled.unwrap_or(true),
        };
        let created = ops
            .create_schedule(&planned.orchestrator_id, &body)
            .await
            .map_err(|e| {
                error(
                    Action::Create,
                    &format!("schedule on orchestrator {}", planned.orchestrator_id),
                    &e,
                )
            })?;
        Ok(state_of(
            &planned.orchestrator_id,
            created,
            Some(&planned.cron),
        ))
    }

    async fn read(
        &self,
        ctx: &Context,
        state: ScheduleState,
    ) -> Result<Option<ScheduleState>, Diagnostics> {
        let ops = client(ctx)?;
        let schedule_id = schedule_of(&state)?;
        match ops.get_schedule(&state.orchestrator_id, schedule_id).await {
            Ok(s) => Ok(Some(state_of(&state.orchestrator_id, s, Some(&state.cron)))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(error(
                Action::Read,
                &format!(
                    "schedule {}",
                    composite_id(&state.orchestrator_id, schedule_id)
                ),
                &e,
            )),
        }
    }

    async fn update(
        &self,
        ctx: &Context,
        req: UpdateRequest<ScheduleState>,
    ) -> Result<ScheduleState, Diagnostics> {
        let ops = client(ctx)?;
        let (prior, planned) = (req.prior, req.planned);
        let schedule_id = schedule_of(&prior)?;
        let patch = SchedulePatch {
            cron: (!same_cron(&prior.cron, &planned.cron)).then(|| planned.cron.clone()),
            time_zone: (planned.time_zone != prior.time_zone)
                .then(|| planned.time_zone.clone())
                .flatten(),
            enabled: (planned.enabled != prior.enabled)
                .then_some(planned.enabled)
                .flatten(),
        };
        let object = format!(
            "schedule {}",
            composite_id(&prior.orchestrator_id, schedule_id)
        );
        let updated = if patch == SchedulePatch::default() {
            ops.get_schedule(&prior.orchestrator_id, schedule_id).await
        } else {
            ops.update_schedule(&prior.orchestrator_id, schedule_id, &patch)
                .await
        }
        .map_err(|e| error(Action::Update, &object, &e))?;
        Ok(state_of(
            &prior.orchestrator_id,
            updated,
            Some(&planned.cron),
        ))
    }

    async fn delete(&self, ctx: &Context, state: ScheduleState) -> Result<(), Diagnostics> {
        let ops = client(ctx)?;
        let schedule_id = schedule_of(&state)?;
        match ops
            .delete_schedule(&state.orchestrator_id, schedule_id)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(error(
                Action::Delete,
                &format!(
                    "schedule {}",
                    composite_id(&state.orchestrator_id, schedule_id)
                ),
                &e,
            )),
        }
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<ScheduleState, Diagnostics> {
        let (orchestrator_id, schedule_id) =
            split_import_id(id, TYPE_NAME, "orchestrator_id", "schedule_id")?;
        let ops = client(ctx)?;
        match ops.get_schedule(&orchestrator_id, &schedule_id).await {
            Ok(s) => Ok(state_of(&orchestrator_id, s, None)),
            Err(e) if e.is_not_found() => Err(Diagnostics::from_error(
                "Cannot import non-existent remote object",
                format!(
                    "Orchestrator {orchestrator_id:?} has no DR test schedule {schedule_id:?}."
                ),
            )),
            Err(e) => Err(error(Action::Import, &format!("schedule {id}"), &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::operations::ScheduleResult;
    use tf_framework::schema::assert_schema_valid;

    #[test]
    fn schema_is_valid() {
        assert_schema_valid(&TestScheduleResource.schema());
    }

    #[test]
    fn state_keeps_the_configured_cron_spelling_and_fills_computed_values() {
        let schedule = TestSchedule {
            id: "s-1".into(),
            cron: "0 2 * * 0".into(),
            time_zone: "America/Chicago".into(),
            enabled: true,
            next_run: Some("2026-01-04T08:00:00Z".into()),
            last_result: Some(ScheduleResult {
                operation_id: Some("op-9".into()),
                status: "succeeded".into(),
                finished_at: None,
                message: None,
            }),
        };
        let state = state_of("orch", schedule.clone(), Some("0  2 * *  0"));
        assert_eq!(state.cron, "0  2 * *  0");
        assert_eq!(state.id.as_deref(), Some("orch/s-1"));
        assert_eq!(state.next_run.as_deref(), Some("2026-01-04T08:00:00Z"));
        let last = state.last_result.unwrap_or_default();
        assert_eq!(last.status.as_deref(), Some("succeeded"));
        assert_eq!(last.finished_at, None);
        // A different expression from the API wins.
        assert_eq!(
            state_of("orch", schedule, Some("0 3 * * 0")).cron,
            "0 2 * * 0"
        );
    }
}
