//! Long ksysmgr commands (manage, unmanage, discover, move, cleanup, add site) as timed
//! plans: every output line and every effect on the world gets its deadline when the
//! command starts (real-cloud seconds divided by `--time-scale`), the SSH channel prints
//! each line when its time comes, and [`super::progress`] applies the effects whose time has come.
//! A command therefore completes at the orchestrator whether or not anyone still listens,
//! and a restart from the state file resumes it.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::host::{Ctx, Env, HoldPoint, Line, Output};
use super::ksysmgr::Invocation;
use super::{ManagedVm, OPERATIONS, SERVICE, VMS, WORKGROUPS, Workgroup, format, load, store};
use crate::store::World;
use crate::util;

/// Operations kept per cluster; the oldest finished ones go first.
const MAX_OPERATIONS_PER_CLUSTER: usize = 100;

/// A state change that happens at a deadline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Effect {
    /// The backup VM of a managed VM exists (created SHUTOFF when missing); the VM is
    /// `READY_TO_MOVE`.
    BackupCreated { vm: String },
    /// Discovery of a workgroup finished.
    WorkgroupDiscovered { workgroup: String },
    /// A PowerVS instance changes power state (`ACTIVE` or `SHUTOFF`).
    PowerState { pvm: String, status: String },
    /// The workgroup now runs at `to_site`.
    Moved { workgroup: String, to_site: String },
    /// The rehearsal VM of a managed VM exists (created SHUTOFF, booted later).
    RehearsalCreated { vm: String },
    /// A DR test's rehearsal is up.
    RehearsalReady { workgroup: String },
    /// The rehearsal VM is deleted.
    RehearsalRemoved { vm: String },
    /// A DR test's cleanup finished.
    CleanedUp { workgroup: String },
    /// The VM leaves KSYS (its backup VM is deleted, an empty workgroup goes).
    Unmanaged { vm: String },
    /// The operation lets the workgroup go, in this state (empty: unchanged).
    Release { workgroup: String, state: String },
    /// An event in DR Automation's published event log.
    Event {
        level: String,
        resource: String,
        message: String,
    },
}

impl Effect {
    /// The operation lets `workgroup` go, in `state` (empty: unchanged).
    pub fn release(workgroup: &str, state: &str) -> Effect {
        Effect::Release {
            workgroup: workgroup.to_owned(),
            state: state.to_owned(),
        }
    }

    /// The PowerVS instance `pvm` changes to `status`.
    pub fn power_state(pvm: String, status: &str) -> Effect {
        Effect::PowerState {
            pvm,
            status: status.to_owned(),
        }
    }

    /// An event in DR Automation's event log.
    pub fn event(level: &str, resource: &str, message: String) -> Effect {
        Effect::Event {
            level: level.to_owned(),
            resource: resource.to_owned(),
            message,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Timed {
    pub at: u64,
    pub effect: Effect,
}

/// A command's timeline under construction. Times are real-cloud seconds from the start.
#[derive(Debug, Clone)]
pub struct Plan {
    env: Env,
    lines: Vec<Line>,
    effects: Vec<Timed>,
    holds: Vec<HoldPoint>,
    end: u64,
}

impl Plan {
    pub fn new(env: Env) -> Plan {
        Plan {
            env,
            lines: Vec::new(),
            effects: Vec::new(),
            holds: Vec::new(),
            end: env.now_ms,
        }
    }

    /// The deadline `seconds` real-cloud seconds after the start.
    pub fn at(&self, seconds: f64) -> u64 {
        let ms = seconds * 1000.0 / self.env.time_scale;
        self.env.now_ms.saturating_add(ms.max(0.0).round() as u64)
    }

    /// A line whose text gets the `HH:MM:SS` stamp of its own time.
    pub fn say(&mut self, seconds: f64, text: impl FnOnce(&str) -> String) {
        let at = self.at(seconds);
        let line = text(&format::clock(at));
        self.push(at, line, false);
    }

    /// Lines `(seconds, text)`, each shown as `<margin><stamp><text>`, in this order.
    pub fn say_each_after(&mut self, margin: &str, lines: impl IntoIterator<Item = (f64, String)>) {
        for (seconds, text) in lines {
            self.say(seconds, |t| format!("{margin}{t}{text}"));
        }
    }

    /// Lines `(seconds, text)`, each shown as `<stamp><text>`, in this order.
    pub fn say_each(&mut self, lines: impl IntoIterator<Item = (f64, String)>) {
        self.say_each_after("", lines);
    }

    /// A line without a stamp.
    pub fn plain(&mut self, seconds: f64, text: impl Into<String>) {
        let at = self.at(seconds);
        self.push(at, text.into(), false);
    }

    /// An `ERROR:` line on stderr.
    pub fn error(&mut self, seconds: f64, text: impl AsRef<str>) {
        let at = self.at(seconds);
        self.push(at, format!("ERROR: {}", text.as_ref()), true);
    }

    pub fn effect(&mut self, seconds: f64, effect: Effect) {
        let at = self.at(seconds);
        self.end = self.end.max(at);
        self.effects.push(Timed { at, effect });
    }

    /// A point where the hold `point` can stop the operation, after what happens at
    /// `seconds` and before what comes later.
    pub fn hold_point(&mut self, seconds: f64, point: impl Into<String>) {
        let at = self.at(seconds);
        self.holds.push(HoldPoint {
            point: point.into(),
            at,
        });
    }

    fn push(&mut self, at: u64, text: String, stderr: bool) {
        self.end = self.end.max(at);
        self.lines.push(Line { at, text, stderr });
    }
}

/// A long command at the orchestrator, as `/_sim/state` shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Operation {
    pub id: String,
    pub cluster_id: String,
    /// manage, unmanage, discover, move, dr_test, cleanup, add_site.
    pub kind: String,
    pub command: String,
    /// running, succeeded, failed.
    pub status: String,
    pub workgroups: Vec<String>,
    pub started_at: String,
    pub finishes_at: String,
    pub exit_code: u32,
    pub lines: Vec<Line>,
    #[serde(rename = "_started_ms")]
    pub started_ms: u64,
    #[serde(rename = "_finish_ms")]
    pub finish_ms: u64,
    #[serde(rename = "_effects", default)]
    pub effects: Vec<Timed>,
    #[serde(rename = "_applied", default)]
    pub applied: usize,
    /// Hold points not passed yet, in time order.
    #[serde(rename = "_holds", default)]
    pub holds: Vec<HoldPoint>,
}

/// Starts the invoking command's operation of `kind` on `groups`, each locked until it ends:
/// the command's output.
pub fn start_on_workgroups(
    world: &mut World,
    ctx: &Ctx,
    inv: &Invocation,
    kind: &str,
    groups: &[Workgroup],
    plan: Plan,
    exit_code: u32,
) -> Output {
    let names = groups.iter().map(|w| w.name.clone()).collect();
    let ids: Vec<String> = groups.iter().map(|w| w.id.clone()).collect();
    let (_, out) = start(
        world,
        &ctx.cluster_id,
        kind,
        &inv.text,
        names,
        &ids,
        plan,
        exit_code,
    );
    out
}

/// Stores the plan as a running operation that holds the workgroups `locks` (ids) and returns
/// what the channel prints. What is due at once is applied by the dispatcher
/// ([`super::progress::advance_one`]) as soon as the command returns.
#[allow(clippy::too_many_arguments)]
pub fn start(
    world: &mut World,
    cluster_id: &str,
    kind: &str,
    command: &str,
    workgroups: Vec<String>,
    locks: &[String],
    mut plan: Plan,
    exit_code: u32,
) -> (String, Output) {
    plan.lines.sort_by_key(|l| l.at);
    plan.effects.sort_by_key(|e| e.at);
    plan.holds.sort_by_key(|h| h.at);
    let id = world.new_id();
    let op = Operation {
        id: id.clone(),
        cluster_id: cluster_id.to_owned(),
        kind: kind.to_owned(),
        command: command.to_owned(),
        status: "running".into(),
        workgroups,
        started_at: util::rfc3339(plan.env.now_ms),
        finishes_at: util::rfc3339(plan.end),
        exit_code,
        lines: plan.lines.clone(),
        started_ms: plan.env.now_ms,
        finish_ms: plan.end,
        effects: plan.effects,
        applied: 0,
        holds: plan.holds.clone(),
    };
    store(world, OPERATIONS, &id, &op);
    for wg in locks {
        update_workgroup(world, wg, |w| w.operations.push(id.clone()));
    }
    prune(world, cluster_id);
    let output = Output {
        lines: plan.lines,
        exit_code,
        finish_ms: plan.end,
        operation: Some((id.clone(), plan.holds)),
    };
    (id, output)
}

fn prune(world: &mut World, cluster_id: &str) {
    let ids = world.ids_where(SERVICE, OPERATIONS, |o| {
        o["cluster_id"].as_str() == Some(cluster_id)
    });
    if ids.len() <= MAX_OPERATIONS_PER_CLUSTER {
        return;
    }
    let mut excess = ids.len() - MAX_OPERATIONS_PER_CLUSTER;
    for id in ids {
        if excess == 0 {
            break;
        }
        if world
            .get(SERVICE, OPERATIONS, &id)
            .is_some_and(|o| o["status"].as_str() != Some("running"))
        {
            world.remove(SERVICE, OPERATIONS, &id);
            excess -= 1;
        }
    }
}

/// Whether an operation of this kind runs on the cluster.
pub fn running(world: &World, cluster_id: &str, kind: &str) -> bool {
    world.list(SERVICE, OPERATIONS).any(|o| {
        o["cluster_id"].as_str() == Some(cluster_id)
            && o["kind"].as_str() == Some(kind)
            && o["status"].as_str() == Some("running")
    })
}

/// `(finished, exit code, finish time)` of an operation.
pub fn outcome(world: &World, id: &str) -> Option<(bool, u32, u64)> {
    let op = world.get(SERVICE, OPERATIONS, id)?;
    Some((
        op["status"].as_str() != Some("running"),
        op["exit_code"].as_u64().unwrap_or(1) as u32,
        op["_finish_ms"].as_u64().unwrap_or(0),
    ))
}

/// Where a stream printing operation `id` stands: `None` while a hold stops the operation,
/// else its lines, finish time and hold points not passed yet (times pushed back by any hold
/// it was released from). An operation that no longer exists yields empty hold points and
/// no lines, so the stream ends.
pub fn stream_state(world: &World, id: &str) -> Option<(Vec<Line>, u64, Vec<HoldPoint>)> {
    if world.holds.holds_subject(id) {
        return None;
    }
    Some(match load::<Operation>(world, OPERATIONS, id) {
        Some(op) => (op.lines, op.finish_ms, op.holds),
        None => (Vec::new(), 0, Vec::new()),
    })
}

/// The operations of a cluster in start order.
pub fn of_cluster(world: &World, cluster_id: &str) -> Vec<Operation> {
    super::of_cluster(world, OPERATIONS, cluster_id)
}

pub(crate) fn update_workgroup(world: &mut World, id: &str, change: impl FnOnce(&mut Workgroup)) {
    if let Some(mut wg) = load::<Workgroup>(world, WORKGROUPS, id) {
        change(&mut wg);
        store(world, WORKGROUPS, id, &wg);
    }
}

pub(crate) fn update_vm(world: &mut World, id: &str, change: impl FnOnce(&mut ManagedVm)) {
    if let Some(mut vm) = load::<ManagedVm>(world, VMS, id) {
        change(&mut vm);
        store(world, VMS, id, &vm);
    }
}

/// `ACTIVE` or `SHUTOFF` on a PowerVS instance, as a power action leaves it.
pub(crate) fn set_power_state(world: &mut World, pvm: &str, status: &str, at: u64) {
    if let Some(vm) = world.get_mut("power", "pvm_instances", pvm)
        && vm["taskState"] != "deleting"
    {
        vm["status"] = json!(status);
        vm["updatedDate"] = json!(util::rfc3339(at));
        if status == "ACTIVE" {
            vm["health"] = json!({"status": "OK", "lastUpdate": util::rfc3339(at), "reason": ""});
        }
    }
}
