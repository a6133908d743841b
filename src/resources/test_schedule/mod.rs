//! `dr_test_schedule`: a recurring DR test on an orchestrator, as an entry of root's crontab
//! on the orchestrator LPAR.
//!
//! KSYS has no DR-test scheduler, and IBM publishes no API for one; the orchestrator is an AIX
//! LPAR, and cron is how its administrator would schedule `ksysmgr` there. So a schedule is two
//! tagged lines of root's crontab ([`crate::cloud::ksys::crontab`]), written with `crontab -`
//! and read back with `crontab -l`; every other line of the crontab is left as it is. The job
//! runs the rehearsal move and its cleanup with `ksysmgr`, and records its outcome in its own
//! header line, which is where `last_result` comes from. AIX cron has no per-entry time zone,
//! so the entry guards itself with `TZ=<time_zone> date` ([`crate::cloud::ksys::crontab`]
//! explains how); `next_run` is computed from the expression, the zone and the orchestrator's
//! clock ([`next_run`]).
//!
//! The cron expression and the time zone are checked offline ([`cron`], [`timezone`]) so a typo
//! fails `terraform validate` with the bad field named. [`adopt`] and [`list`] let existing
//! schedules be imported by identity and found with `terraform query`.
//!
//! Layout as for the other resources: [`model`] (state, read from a crontab entry), [`deploy`]
//! (the crontab edits on the orchestrator), this file (schema and the Resource glue).

pub mod adopt;
pub mod cron;
pub mod list;
pub mod next_run;
pub mod timezone;

mod deploy;
mod model;

use async_trait::async_trait;
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::identity::IdentityBinding;
use tf_framework::path;
use tf_framework::resource::{CreateRequest, Resource, UpdateRequest};
use tf_framework::schema::{Attribute, Schema};
use tf_framework::typed::PlanView;
use tf_framework::validators::{custom, each, size_between, string_length_between};
use tf_framework::value::{Attr, Type, Value};

use crate::cloud::CloudError;
use crate::cloud::ksys::crontab;
use crate::resources::adoption::nothing_to_import;
use crate::resources::upgrade::{add_null_attributes, no_upgrader};
use crate::support::coalesce::Freshness;
use crate::support::directory;
use crate::support::orchestrator_access::ksys_for_plan;
use crate::support::split_import_id;
use crate::support::{Action, clients, diagnose};
use deploy::{crontab_lock, read_entry, target, write_planned};
pub use model::{LastResult, ScheduleState};
use model::{composite_id, new_schedule_id, state_of, workgroups_of};

pub const TYPE_NAME: &str = "dr_test_schedule";

/// Schema version 1: crontab-backed (`last_result` has `status` and `finished_at`).
const SCHEMA_VERSION: i64 = 1;

pub struct TestScheduleResource;

fn error(action: Action, object: &str, err: &CloudError) -> Diagnostics {
    diagnose(action, TYPE_NAME, object, err)
}

/// The schedule's id and how diagnostics name it (`schedule <orchestrator_id>/<schedule_id>`).
fn schedule_of(state: &ScheduleState) -> Result<(String, String), Diagnostics> {
    let schedule_id = state.schedule_id.clone().ok_or_else(|| {
        Diagnostics::from_error(
            format!("Invalid {TYPE_NAME} state"),
            "The state has no schedule_id; remove it from state and import it again.",
        )
    })?;
    let object = format!(
        "schedule {}",
        composite_id(&state.orchestrator_id, &schedule_id)
    );
    Ok((schedule_id, object))
}

fn cron_validator() -> impl tf_framework::validators::Validator {
    custom("a five-field cron expression", |at, value, diags| {
        if let Value::String(text) = value
            && let Err(why) = cron::check(text)
        {
            diags.error_at(at.clone(), "Invalid cron expression", why);
        }
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
            .version(SCHEMA_VERSION)
            .description(
                "A recurring, non-disruptive DR test on a DR orchestrator: an entry of root's crontab on the \
                 orchestrator LPAR that runs the rehearsal move (`ksysmgr move ... dr_test=yes`) and its cleanup \
                 at each time the cron expression names in `time_zone`. Other crontab entries are never \
                 touched. Needs the provider's `orchestrator_ssh`. The cron expression and the time zone are \
                 checked offline.",
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
                    .description("The tag of the schedule's crontab entry (`sched-` and 8 hex digits)."),
            )
            .attribute(
                Attribute::string("orchestrator_id")
                    .required()
                    .requires_replace()
                    .validator(string_length_between(1, 256))
                    .description("`id` of the `dr_orchestrator` whose LPAR runs the tests. Changing it replaces the schedule."),
            )
            .attribute(
                Attribute::string("cron")
                    .required()
                    .validator(cron_validator())
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
                    .description(
                        "IANA time zone the cron expression is read in, e.g. `America/Chicago`, with its daylight \
                         saving rules (a wall time skipped in spring does not run; one repeated in autumn runs \
                         twice). Default `UTC`.",
                    ),
            )
            .attribute(
                Attribute::bool("enabled")
                    .optional()
                    .computed()
                    .default_bool(true)
                    .description("Whether the schedule runs (a disabled schedule's job line is commented out). Default `true`."),
            )
            .attribute(
                Attribute::list("workgroups", Type::String)
                    .optional()
                    .validator(size_between(1, 100))
                    .validator(each(string_length_between(1, 64)))
                    .description(
                        "KSYS workgroups to test (`move workgroup ... dr_test=yes` each). Default: the whole home \
                         site (`move site ... dr_test=yes`).",
                    ),
            )
            .attribute(computed(
                "next_run",
                "When the next test runs (RFC 3339, UTC), from the expression, the zone and the orchestrator's clock; null while disabled.",
                ))
            .attribute(
                // An object type rather than a nested attribute: Terraform 1.6's
                // `-generate-config-out` crashes on computed nested attributes.
                Attribute::object(
                    "last_result",
                    ["status", "finished_at"].map(|k| (k, Type::String)),
                )
                .computed()
                .description(
                    "The last scheduled run as its crontab entry recorded it; null before the first one. \
                     `status`: `succeeded` or `failed` (the exit status of the ksysmgr commands); `finished_at`: \
                     when it ended (RFC 3339, the orchestrator's clock).",
                ),
            )
    }

    /// The orchestrator must exist and be reachable before a schedule can be put on it.
    async fn modify_plan(&self, ctx: &Context, plan: &mut PlanView) -> Result<(), Diagnostics> {
        let clients = clients(ctx)?;
        if ksys_for_plan(
            &clients,
            "A dr_test_schedule (a crontab entry on the orchestrator)",
        )?
        .is_none()
        {
            return Ok(());
        }
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
        let clients = clients(ctx)?;
        let planned = req.planned;
        let object = format!("schedule on orchestrator {}", planned.orchestrator_id);
        let fail = |e: CloudError| error(Action::Create, &object, &e);
        ctx.run(&format!("writing the {object}"), async {
            let t = target(&clients, &planned.orchestrator_id)
                .await
                .map_err(fail)?;
            write_planned(&clients, &t, new_schedule_id(), &planned, None)
                .await
                .map_err(fail)
        })
        .await
    }

    async fn read(
        &self,
        ctx: &Context,
        state: ScheduleState,
    ) -> Result<Option<ScheduleState>, Diagnostics> {
        let clients = clients(ctx)?;
        let (schedule_id, object) = schedule_of(&state)?;
        let fail = |e: CloudError| error(Action::Read, &object, &e);
        if let Err(e) =
            directory::published_vms(&clients, &state.orchestrator_id, Freshness::Recent).await
            && e.is_not_found()
        {
            return Ok(None);
        }
        let t = match target(&clients, &state.orchestrator_id).await {
            Ok(t) => t,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(fail(e)),
        };
        let Some(entry) = read_entry(&t, &schedule_id).await.map_err(fail)? else {
            return Ok(None);
        };
        let now = t
            .ksys
            .now(&t.orchestrator)
            .await
            .map_err(|e| fail(e.into()))?;
        Ok(Some(state_of(
            &state.orchestrator_id,
            &entry,
            Some(&state.cron),
            state.workgroups.clone(),
            Some(&now),
        )))
    }

    async fn update(
        &self,
        ctx: &Context,
        req: UpdateRequest<ScheduleState>,
    ) -> Result<ScheduleState, Diagnostics> {
        let clients = clients(ctx)?;
        let (prior, planned) = (req.prior, req.planned);
        let (schedule_id, object) = schedule_of(&prior)?;
        let fail = |e: CloudError| error(Action::Update, &object, &e);
        ctx.run(&format!("rewriting {object}"), async {
            let t = target(&clients, &prior.orchestrator_id)
                .await
                .map_err(fail)?;
            let existing = read_entry(&t, &schedule_id).await.map_err(fail)?;
            write_planned(
                &clients,
                &t,
                schedule_id.clone(),
                &planned,
                existing.as_ref(),
            )
            .await
            .map_err(fail)
        })
        .await
    }

    async fn delete(&self, ctx: &Context, state: ScheduleState) -> Result<(), Diagnostics> {
        let clients = clients(ctx)?;
        let (schedule_id, object) = schedule_of(&state)?;
        let fail = |e: CloudError| error(Action::Delete, &object, &e);
        ctx.run(&format!("removing {object}"), async {
            let t = match target(&clients, &state.orchestrator_id).await {
                Ok(t) => t,
                // The DR instance is gone, and its LPAR with it.
                Err(e) if e.is_not_found() => return Ok(()),
                Err(e) => return Err(fail(e)),
            };
            let _one_at_a_time = crontab_lock(&t.orchestrator.instance_id).lock_owned().await;
            let current = t
                .ksys
                .crontab(&t.orchestrator)
                .await
                .map_err(|e| fail(e.into()))?;
            let updated = crontab::without(&current, &schedule_id);
            if updated != current {
                t.ksys
                    .install_crontab(&t.orchestrator, &updated)
                    .await
                    .map_err(|e| fail(e.into()))?;
            }
            Ok(())
        })
        .await
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<ScheduleState, Diagnostics> {
        let (orchestrator_id, schedule_id) =
            split_import_id(id, TYPE_NAME, "orchestrator_id", "schedule_id")?;
        let clients = clients(ctx)?;
        let fail = |e: CloudError| error(Action::Import, &format!("schedule {id}"), &e);
        let t = target(&clients, &orchestrator_id).await.map_err(fail)?;
        let entry = read_entry(&t, &schedule_id)
            .await
            .map_err(fail)?
            .ok_or_else(|| {
                nothing_to_import(format!(
                    "The crontab of orchestrator {orchestrator_id:?} has no DR test schedule {schedule_id:?}."
                ))
            })?;
        let now = t
            .ksys
            .now(&t.orchestrator)
            .await
            .map_err(|e| fail(e.into()))?;
        Ok(state_of(
            &orchestrator_id,
            &entry,
            None,
            workgroups_of(&entry),
            Some(&now),
        ))
    }

    fn identity_binding(&self) -> Option<IdentityBinding<ScheduleState>> {
        Some(adopt::IDENTITY_BINDING)
    }

    async fn upgrade_state(
        &self,
        _ctx: &Context,
        from_version: i64,
        mut state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        if from_version != 0 {
            return Err(no_upgrader(format!(
                "{TYPE_NAME} has no state upgrader from schema version {from_version}."
            )));
        }
        // v0 (the REST-era API) had operation_id and message in last_result, and no workgroups.
        if let Some(object) = state.as_object_mut() {
            let last = object.get("last_result").cloned().unwrap_or_default();
            let upgraded = if last.is_object() {
                serde_json::json!({"status": last["status"], "finished_at": last["finished_at"]})
            } else {
                serde_json::Value::Null
            };
            object.insert("last_result".into(), upgraded);
            add_null_attributes(object, &["workgroups"]);
        }
        Ok(state)
    }
}

/// Test helper: `check` refuses each input of `cases` with a message holding the words given.
#[cfg(test)]
fn assert_each_refused(check: fn(&str) -> Result<(), String>, cases: &[(&str, &str)]) {
    for (bad, wanted) in cases {
        let err = check(bad).err().unwrap_or_default();
        assert!(err.contains(wanted), "{bad}: {err}");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::cloud::ksys::crontab::ScheduleEntry;

    fn entry(enabled: bool) -> ScheduleEntry {
        ScheduleEntry {
            id: "sched-0000beef".into(),
            cron: "0 2 * * 0".into(),
            time_zone: "America/Chicago".into(),
            enabled,
            last_result: Some("succeeded".into()),
            finished_at: Some("2026-11-29T08:21:40Z".into()),
            commands: Vec::new(),
        }
    }

    #[test]
    fn state_keeps_the_configured_cron_spelling_and_fills_computed_values() {
        let state = state_of(
            "orch",
            &entry(true),
            Some("0  2 * *  0"),
            None,
            Some("2026-12-04T16:05:14Z"),
        );
        assert_eq!(state.cron, "0  2 * *  0");
        assert_eq!(state.id.as_deref(), Some("orch/sched-0000beef"));
        assert_eq!(state.next_run.as_deref(), Some("2026-12-06T08:00:00Z"));
        let last = state.last_result.unwrap_or_default();
        assert_eq!(last.status.as_deref(), Some("succeeded"));
        assert_eq!(last.finished_at.as_deref(), Some("2026-11-29T08:21:40Z"));
        // A different expression on the orchestrator wins.
        assert_eq!(
            state_of("orch", &entry(true), Some("0 3 * * 0"), None, None).cron,
            "0 2 * * 0"
        );
        // Disabled: no next run.
        assert_eq!(
            state_of(
                "orch",
                &entry(false),
                None,
                None,
                Some("2026-12-04T16:05:14Z")
            )
            .next_run,
            None
        );
    }

    #[test]
    fn ids_are_tags_a_crontab_line_can_carry() {
        let id = new_schedule_id();
        assert!(id.starts_with("sched-") && id.len() == 14, "{id}");
        assert!(id[6..].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[tokio::test]
    async fn v0_state_is_upgraded() {
        let v0 = serde_json::json!({
            "id": "o/s", "schedule_id": "s", "orchestrator_id": "o", "cron": "0 2 * * 0",
            "time_zone": "UTC", "enabled": true, "next_run": null,
            "last_result": {"operation_id": "op-1", "status": "succeeded", "finished_at": "t", "message": null},
        });
        let v1 = TestScheduleResource
            .upgrade_state(&Context::for_tests(None), 0, v0)
            .await
            .unwrap();
        assert_eq!(
            v1["last_result"],
            serde_json::json!({"status": "succeeded", "finished_at": "t"})
        );
        assert!(v1["workgroups"].is_null());
        let _: ScheduleState = serde_json::from_value(v1).unwrap();
    }
}
