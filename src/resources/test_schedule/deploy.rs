//! The cloud side of `dr_test_schedule`: reading and writing its entry of root's crontab on the
//! orchestrator, one edit at a time per orchestrator.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::cron;
use super::model::{ScheduleState, state_of};
use crate::cloud::ksys::crontab::{self, ScheduleEntry};
use crate::cloud::ksys::{KsysClient, Orchestrator};
use crate::cloud::{Clients, CloudError};
use crate::support::directory;
use crate::support::orchestrator_access::{
    self, WorkspaceRef, ensure_sites, ksys, shared_to_owned,
};

/// Crontab edits are read-modify-write: one at a time per orchestrator in this process.
pub(super) fn crontab_lock(instance_id: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(instance_id.to_string())
        .or_default()
        .clone()
}

pub(super) struct Target<'a> {
    pub(super) ksys: &'a KsysClient,
    pub(super) orchestrator: Orchestrator,
}

pub(super) async fn target<'a>(
    clients: &'a Clients,
    orchestrator_id: &str,
) -> Result<Target<'a>, CloudError> {
    let ksys = ksys(clients)?;
    let orchestrator = orchestrator_access::locate(clients, orchestrator_id)
        .await
        .map_err(|e| shared_to_owned(&e))?
        .as_ref()
        .clone();
    Ok(Target { ksys, orchestrator })
}

/// The entry's job commands: a rehearsal from the home site to the backup site, then cleanup.
async fn job_commands(
    clients: &Clients,
    t: &Target<'_>,
    workgroups: &[String],
) -> Result<Vec<String>, CloudError> {
    let info = directory::orchestrator_info(clients, &t.orchestrator.instance_id)
        .await
        .map_err(|e| shared_to_owned(&e))?;
    let workspace_id = info.workspace_id.clone().unwrap_or_default();
    let workspace = directory::workspace_inventory(clients, &workspace_id)
        .await
        .map_err(|e| shared_to_owned(&e))?;
    let home = WorkspaceRef {
        name: workspace.name.clone(),
        zone: workspace.zone.clone(),
    };
    let sites = ensure_sites(t.ksys, &t.orchestrator, &home, None).await?;
    let home_site = sites
        .iter()
        .find(|s| s.workspaces.contains(&home.name))
        .map(|s| s.name.clone());
    let backup_site = sites
        .iter()
        .find(|s| Some(&s.name) != home_site.as_ref())
        .map(|s| s.name.clone());
    match (home_site, backup_site) {
        (Some(home), Some(backup)) => Ok(crontab::dr_test_commands(&home, &backup, workgroups)),
        _ => Err(CloudError::Failed {
            what: format!("KSYS of orchestrator {}", t.orchestrator.instance_id),
            state: "no backup site".into(),
            message: format!(
                "KSYS has no site besides the one of workspace {}; a DR test moves to the backup site",
                home.name
            ),
        }),
    }
}

/// Writes `entry` into the crontab (in place of its old lines) and reads it back.
async fn write_entry(t: &Target<'_>, entry: &ScheduleEntry) -> Result<ScheduleEntry, CloudError> {
    let sets = cron::expand(&entry.cron).map_err(CloudError::Config)?;
    let _one_at_a_time = crontab_lock(&t.orchestrator.instance_id).lock_owned().await;
    let current = t.ksys.crontab(&t.orchestrator).await?;
    let updated = crontab::with(&current, entry, &sets);
    t.ksys.install_crontab(&t.orchestrator, &updated).await?;
    read_entry(t, &entry.id)
        .await?
        .ok_or_else(|| CloudError::Failed {
            what: format!("crontab of orchestrator {}", t.orchestrator.instance_id),
            state: "entry missing".into(),
            message: format!("schedule {} is not in crontab -l after crontab -", entry.id),
        })
}

pub(super) async fn read_entry(
    t: &Target<'_>,
    id: &str,
) -> Result<Option<ScheduleEntry>, CloudError> {
    let text = t.ksys.crontab(&t.orchestrator).await?;
    Ok(crontab::parse(&text).into_iter().find(|e| e.id == id))
}

/// Writes the planned schedule as entry `id` (keeping the last result of `existing`), and the
/// state as the orchestrator then shows it.
pub(super) async fn write_planned(
    clients: &Clients,
    t: &Target<'_>,
    id: String,
    planned: &ScheduleState,
    existing: Option<&ScheduleEntry>,
) -> Result<ScheduleState, CloudError> {
    let workgroups = planned.workgroups.clone().unwrap_or_default();
    let entry = ScheduleEntry {
        id,
        cron: planned.cron.clone(),
        time_zone: planned.time_zone.clone().unwrap_or_else(|| "UTC".into()),
        enabled: planned.enabled.unwrap_or(true),
        last_result: existing.and_then(|e| e.last_result.clone()),
        finished_at: existing.and_then(|e| e.finished_at.clone()),
        commands: job_commands(clients, t, &workgroups).await?,
    };
    let written = write_entry(t, &entry).await?;
    let now = t.ksys.now(&t.orchestrator).await?;
    Ok(state_of(
        &planned.orchestrator_id,
        &written,
        Some(&planned.cron),
        planned.workgroups.clone(),
        Some(&now),
    ))
}
