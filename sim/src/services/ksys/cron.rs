//! Root's cron daemon on the emulated orchestrator: fires the due entries of the crontab
//! ([`super::crontab`] keeps its text and format) and runs their commands through the host's
//! shell ([`super::exec`]), as AIX cron would.

use serde::{Deserialize, Serialize};

use super::crontab::{Crontab, Entry, MINUTE_MS, fires_at, parse_entry, rewrite_header, schedules};
use super::exec::{self, Command, Input};
use super::host::{Ctx, Env};
use super::{CRONTABS, Cluster, JOBS, SERVICE, load, progress, store};
use crate::store::World;
use crate::util;

/// How far back a late check looks for a minute to fire.
const CATCH_UP_MS: u64 = 7 * 24 * 60 * MINUTE_MS;
/// Finished runs kept per cluster.
const MAX_JOBS_PER_CLUSTER: usize = 50;

/// One run of a scheduled entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub cluster_id: String,
    pub schedule_id: String,
    pub fired_at: String,
    pub commands: Vec<String>,
    /// Exit status of each command run so far.
    pub exit_codes: Vec<u32>,
    /// running, succeeded, failed.
    pub status: String,
    pub finished_at: Option<String>,
    #[serde(rename = "_next_ms")]
    pub next_ms: u64,
    #[serde(rename = "_time_scale")]
    pub time_scale: f64,
}

/// Fires due entries and moves running jobs on.
pub fn advance(world: &mut World, now_ms: u64) {
    let due: Vec<String> = world.ids_where(SERVICE, CRONTABS, |c| {
        c["_checked_until_ms"].as_u64().unwrap_or(0) + MINUTE_MS <= now_ms
    });
    for cluster_id in due {
        fire(world, &cluster_id, now_ms);
    }
    for id in world.ids_where(SERVICE, JOBS, |j| j["status"].as_str() == Some("running")) {
        run_job(world, &id, now_ms);
    }
}

fn fire(world: &mut World, cluster_id: &str, now_ms: u64) {
    let Some(mut tab) = load::<Crontab>(world, CRONTABS, cluster_id) else {
        return;
    };
    let last_minute = now_ms - now_ms % MINUTE_MS;
    let first = tab
        .checked_until_ms
        .max(last_minute.saturating_sub(CATCH_UP_MS))
        + MINUTE_MS;
    tab.checked_until_ms = last_minute;
    let entries: Vec<Entry> = tab.text.lines().filter_map(parse_entry).collect();
    store(world, CRONTABS, cluster_id, &tab);
    for entry in entries {
        let mut minute = last_minute;
        while minute >= first {
            if fires_at(&entry, minute) {
                start_job(world, cluster_id, &entry, minute, tab.time_scale);
                break;
            }
            minute -= MINUTE_MS;
        }
    }
}

fn start_job(world: &mut World, cluster_id: &str, entry: &Entry, at: u64, time_scale: f64) {
    let id = world.new_id();
    let job = Job {
        id: id.clone(),
        cluster_id: cluster_id.to_owned(),
        schedule_id: entry.schedule_id.clone(),
        fired_at: util::rfc3339(at),
        commands: entry.commands.clone(),
        exit_codes: Vec::new(),
        status: "running".into(),
        finished_at: None,
        next_ms: at,
        time_scale,
    };
    store(world, JOBS, &id, &job);
    let ids = world.ids_where(SERVICE, JOBS, |j| {
        j["cluster_id"].as_str() == Some(cluster_id) && j["status"].as_str() != Some("running")
    });
    for old in ids
        .iter()
        .take(ids.len().saturating_sub(MAX_JOBS_PER_CLUSTER))
    {
        world.remove(SERVICE, JOBS, old);
    }
}

/// The context cron runs commands in: the cluster's first node.
fn cron_ctx(world: &World, cluster_id: &str) -> Option<Ctx> {
    let cluster = load::<Cluster>(world, super::CLUSTERS, cluster_id)?;
    let node = cluster.nodes.first()?;
    Some(Ctx {
        cluster_id: cluster_id.to_owned(),
        hostname: node.hostname.clone(),
        vm_id: node.vm_id.clone(),
    })
}

/// Runs the job's commands whose start time has come, each when the previous one ended;
/// at the end rewrites the schedule's header.
fn run_job(world: &mut World, id: &str, now_ms: u64) {
    let Some(mut job) = load::<Job>(world, JOBS, id) else {
        return;
    };
    let Some(ctx) = cron_ctx(world, &job.cluster_id) else {
        world.remove(SERVICE, JOBS, id);
        return;
    };
    while job.next_ms <= now_ms && job.status == "running" {
        // Effects of earlier commands that are due by then come first.
        progress::advance(world, job.next_ms);
        let failed = job.exit_codes.iter().any(|c| *c != 0);
        if failed || job.exit_codes.len() >= job.commands.len() {
            let result = if failed { "failed" } else { "succeeded" };
            let stamp = exec::strftime("%Y-%m-%dT%H:%M:%SZ", job.next_ms);
            if let Some(mut tab) = load::<Crontab>(world, CRONTABS, &job.cluster_id) {
                tab.text = rewrite_header(&tab.text, &job.schedule_id, result, &stamp);
                tab.schedules = schedules(&tab.text);
                store(world, CRONTABS, &job.cluster_id, &tab);
            }
            job.status = result.into();
            job.finished_at = Some(util::rfc3339(job.next_ms));
            break;
        }
        let env = Env {
            now_ms: job.next_ms,
            time_scale: job.time_scale,
        };
        let command = exec::parse(&job.commands[job.exit_codes.len()]);
        // Cron has no terminal: stdin is empty and a prompt reads EOF.
        let input = match command {
            Command::CrontabReplace => Input::Stdin(String::new()),
            _ => Input::Answer(None),
        };
        let out = exec::execute(world, &ctx, &command, input, env);
        job.exit_codes.push(out.exit_code);
        job.next_ms = out.finish_ms.max(job.next_ms);
    }
    store(world, JOBS, id, &job);
}
