//! The state of a `dr_test_schedule` and how it is read from a crontab entry.

use serde::{Deserialize, Serialize};

use super::{cron, next_run};
use crate::cloud::ksys::crontab::ScheduleEntry;

/// Outcome of the last scheduled run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LastResult {
    pub status: Option<String>,
    pub finished_at: Option<String>,
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
    #[serde(default)]
    pub workgroups: Option<Vec<String>>,
    pub next_run: Option<String>,
    pub last_result: Option<LastResult>,
}

pub(super) fn composite_id(orchestrator_id: &str, schedule_id: &str) -> String {
    format!("{orchestrator_id}/{schedule_id}")
}

/// Same expression up to spacing: the configured spelling is kept.
pub(super) fn same_cron(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// A new schedule id: `sched-` and 8 hex digits.
pub(super) fn new_schedule_id() -> String {
    format!("sched-{:08x}", rand::random::<u32>())
}

/// The state for an entry of the crontab; the known spelling of the expression wins when it is
/// the same expression.
pub(super) fn state_of(
    orchestrator_id: &str,
    entry: &ScheduleEntry,
    known_cron: Option<&str>,
    workgroups: Option<Vec<String>>,
    now: Option<&str>,
) -> ScheduleState {
    let cron_text = match known_cron {
        Some(known) if same_cron(known, &entry.cron) => known.to_string(),
        _ => entry.cron.clone(),
    };
    let next = match (entry.enabled, now, cron::expand(&entry.cron)) {
        (true, Some(now), Ok(sets)) => next_run::next_run(&sets, &entry.time_zone, now),
        _ => None,
    };
    ScheduleState {
        id: Some(composite_id(orchestrator_id, &entry.id)),
        schedule_id: Some(entry.id.clone()),
        orchestrator_id: orchestrator_id.to_string(),
        cron: cron_text,
        time_zone: Some(entry.time_zone.clone()),
        enabled: Some(entry.enabled),
        workgroups,
        next_run: next,
        last_result: entry.last_result.as_ref().map(|status| LastResult {
            status: Some(status.clone()),
            finished_at: entry.finished_at.clone(),
        }),
    }
}

/// The workgroups an entry's job tests (`move workgroup <name> ...`), or `None` when it tests
/// the whole site: what an import reads back as `workgroups`.
pub(super) fn workgroups_of(entry: &ScheduleEntry) -> Option<Vec<String>> {
    let workgroups: Vec<String> = entry
        .commands
        .iter()
        .filter_map(|c| c.split(" move workgroup ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect();
    (!workgroups.is_empty()).then_some(workgroups)
}
