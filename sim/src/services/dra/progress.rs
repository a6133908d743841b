//! The deployment after `POST manage_dr`: its primary and standby steps on time-scaled
//! deadlines computed up front, the `last_operation` texts IBM shows for each, injected
//! failures and holds, and the effects of other services (the instance deleted, the standby
//! leaving the KSYS cluster, KSYS events).

use serde_json::{Value, json};

use crate::services::{WorldEvent, gc};
use crate::store::World;
use crate::util;

use super::{
    APIKEYS, DEPLOYMENTS, DR_SERVICE_NAME, EVENTS, INSTANCES, ORCHESTRATOR_IMAGE, POWER,
    PVM_INSTANCES, RC, RC_INSTANCES, SERVICE, record_event,
};

/// Descriptions and status strings of the five primary steps.
pub(super) fn primary_step(step: u64, vm_name: &str, elapsed: &str) -> (String, &'static str) {
    match step {
        1 => (
            "1/5: Service instance is downloading orchestrator image for primary VM creation."
                .into(),
            "downloading-orchestrator-image",
        ),
        2 => (
            "2/5: Creating primary orchestrator VM.".into(),
            "orchestrator-VM-creation-in-progress",
        ),
        3 => (
            format!("3/5: Primary orchestrator VM {vm_name} is building."),
            "orchestrator-VM-creation-in-building",
        ),
        4 => (
            format!(
                "4/5: Primary orchestrator VM {vm_name} is active; configuring the orchestrator cluster."
            ),
            "orchestrator-VM-creation-in-active",
        ),
        _ => (
            format!("5/5: Primary orchestrator {vm_name} is successfully deployed in {elapsed}"),
            "active",
        ),
    }
}

pub(super) fn standby_step(step: u64, vm_name: &str, elapsed: &str) -> (String, &'static str) {
    match step {
        1 => (
            "1/4: Service instance is downloading orchestrator image for standby VM creation."
                .into(),
            "downloading-orchestrator-image",
        ),
        2 => (
            "2/4: Creating standby orchestrator VM.".into(),
            "orchestrator-VM-creation-in-progress",
        ),
        3 => (
            format!(
                "3/4: Standby orchestrator VM {vm_name} is building and joining the orchestrator cluster."
            ),
            "orchestrator-VM-creation-in-building",
        ),
        _ => (
            format!("4/4: Standby orchestrator {vm_name} is successfully deployed in {elapsed}"),
            "Active",
        ),
    }
}

fn failure_message(side: &str, step: u64, vm_name: &str, workspace: &str) -> String {
    match step {
        1 => format!(
            "Failed to download the orchestrator image {ORCHESTRATOR_IMAGE} into workspace {workspace} for the {side} orchestrator."
        ),
        2 => format!(
            "Failed to create the {side} orchestrator VM {vm_name} in workspace {workspace}: the PowerVS request was rejected."
        ),
        3 => format!("The {side} orchestrator VM {vm_name} did not reach ACTIVE state."),
        4 => format!("The {side} orchestrator VM {vm_name} is in a critical state after creation."),
        _ => format!("Failed to configure the orchestrator cluster on {vm_name}."),
    }
}

/// `3m17s`, the way IBM reports deployment durations.
pub(super) fn elapsed_text(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// Moves every deployment forward to `now_ms`: primary steps, then standby steps, stopping
/// at an injected failure. Also emits creation events for new DR instances.
pub fn advance(world: &mut World, now_ms: u64) {
    note_new_instances(world, now_ms);
    for guid in world.ids_where(SERVICE, DEPLOYMENTS, |d| {
        d["progress"]["status"].as_str() == Some("Running")
    }) {
        advance_deployment(world, &guid, now_ms);
    }
}

fn note_new_instances(world: &mut World, now_ms: u64) {
    let fresh: Vec<(String, u64)> = world
        .list(RC, RC_INSTANCES)
        .filter(|i| {
            i["_service"].as_str() == Some(DR_SERVICE_NAME) && i["state"].as_str() == Some("active")
        })
        .filter_map(|i| i["guid"].as_str().map(str::to_owned))
        .filter(|g| world.get(SERVICE, INSTANCES, g).is_none())
        .map(|g| (g, now_ms))
        .collect();
    for (guid, at) in fresh {
        world.insert(SERVICE, INSTANCES, &guid, json!({"id": guid}));
        record_event(
            world,
            &guid,
            "create",
            "info",
            "ProvisionID",
            format!("Service Instance '{guid}' has been created successfully."),
            None,
            at,
        );
    }
}

pub(super) fn deadlines(d: &Value, key: &str) -> Vec<u64> {
    d["progress"][key]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

fn advance_deployment(world: &mut World, guid: &str, now_ms: u64) {
    resume_after_hold(world, guid);
    let Some(d) = world.get(SERVICE, DEPLOYMENTS, guid).cloned() else {
        return;
    };
    let p = &d["progress"];
    let primary_at = deadlines(&d, "_primary_steps_at");
    let standby_at = deadlines(&d, "_standby_steps_at");
    let started = p["_started_ms"].as_u64().unwrap_or(now_ms);
    let text = |key: &str| d[key].as_str().unwrap_or_default().to_owned();
    let vm_name = text("_primary_vm_name");
    let standby_name = text("_standby_vm_name");
    let ws_name = text("_primary_workspace_name");
    let standby_ws_name = text("_standby_workspace_name");
    let fail_at = d["_fail_at_step"].as_u64();
    let fail_standby_at = d["_fail_at_standby_step"].as_u64();
    let ha = d["orchestrator_ha"].as_bool() == Some(true);
    let mut standby = p["_standby_step"].as_u64().unwrap_or(0);
    let mut events: Vec<(String, &str, String, u64)> = Vec::new();

    // Primary: fail at the current step if asked, else take every step whose time has come.
    let primary = Chain {
        side: "deploy",
        last: 5,
        fail_at,
        steps_at: &primary_at,
        started,
    };
    let describe_primary = |step: u64, elapsed: &str| primary_step(step, &vm_name, elapsed).0;
    let first = p["_primary_step"].as_u64().unwrap_or(1);
    let (step, failed_at) = walk(
        world,
        guid,
        &primary,
        first,
        now_ms,
        describe_primary,
        &mut events,
    );
    let mut failure = failed_at.map(|at| ("primary", step, at));
    let held_at_last =
        step >= 5 && failure.is_none() && held(world, "deploy", step, guid, &primary_at, started);
    let primary_done_ms = (step >= 5 && failure.is_none() && !held_at_last)
        .then(|| primary_at.last().copied().unwrap_or(started));
    if ha
        && failure.is_none()
        && let Some(done) = primary_done_ms
    {
        if standby == 0 {
            standby = 1;
            events.push((
                "update".into(),
                "info",
                standby_step(1, &standby_name, "").0,
                done,
            ));
        }
        let chain = Chain {
            side: "standby",
            last: 4,
            fail_at: fail_standby_at,
            steps_at: &standby_at,
            started: done,
        };
        let describe = |step: u64, elapsed: &str| standby_step(step, &standby_name, elapsed).0;
        let (reached, failed_at) =
            walk(world, guid, &chain, standby, now_ms, describe, &mut events);
        standby = reached;
        failure = failed_at.map(|at| ("standby", standby, at));
    }

    let standby_done = !ha || standby >= 4;
    // Held at the last step of a side: everything is done but the hold keeps it from Active.
    let held_at_end = held_at_last
        || (ha
            && standby >= 4
            && failure.is_none()
            && held(world, "standby", standby, guid, &standby_at, 0));
    let mut remove_vm: Option<String> = None;
    let Some(dm) = world.get_mut(SERVICE, DEPLOYMENTS, guid) else {
        return;
    };
    let prog = &mut dm["progress"];
    let primary_elapsed = elapsed_text(primary_done_ms.unwrap_or(now_ms).saturating_sub(started));
    let (pdesc, pstatus) = primary_step(step, &vm_name, &primary_elapsed);
    prog["_primary_step"] = json!(step);
    prog["primary_description"] = json!(pdesc);
    prog["primary_orchestrator_status"] = json!(pstatus);
    if step >= 2 {
        let t = primary_at
            .get((step - 2) as usize)
            .copied()
            .unwrap_or(started);
        prog["last_updated_orchestrator_deployment_time"] = json!(util::rfc3339(t));
    }
    if ha && standby > 0 {
        let base = primary_done_ms.unwrap_or(now_ms);
        let last = if standby >= 2 {
            standby_at
                .get((standby - 2) as usize)
                .copied()
                .unwrap_or(base)
        } else {
            base
        };
        let (sdesc, sstatus) = standby_step(
            standby,
            &standby_name,
            &elapsed_text(last.saturating_sub(base)),
        );
        prog["_standby_step"] = json!(standby);
        prog["standby_description"] = json!(sdesc);
        prog["standby_status"] = json!(sstatus);
        prog["last_updated_standby_orchestrator_deployment_time"] = json!(util::rfc3339(last));
    }
    match failure {
        Some((side, at_step, at_ms)) => {
            prog["status"] = json!("Failed");
            prog["orchestrator_config_status"] = json!("Failed");
            if side == "primary" {
                let msg = failure_message("primary", at_step, &vm_name, &ws_name);
                prog["primary_orchestrator_status"] = json!("failed");
                prog["primary_error_description"] = json!(msg.clone());
                if ha {
                    prog["standby_status"] = json!("NA");
                }
                events.push(("update".into(), "error", msg, at_ms));
                if at_step <= 2 {
                    remove_vm = dm["_primary_vm_id"].as_str().map(str::to_owned);
                }
            } else {
                let msg = failure_message("standby", at_step, &standby_name, &standby_ws_name);
                prog["standby_status"] = json!("failed");
                prog["standby_error_description"] = json!(msg.clone());
                events.push(("update".into(), "error", msg, at_ms));
                if at_step <= 2 {
                    remove_vm = dm["_standby_vm_id"].as_str().map(str::to_owned);
                }
            }
        }
        None if step >= 5 && standby_done && !held_at_end => {
            prog["status"] = json!("Active");
            prog["orchestrator_config_status"] = json!("Configured");
            prog["orch_ext_connectivity_status"] = json!("Connected");
            prog["orchestrator_cluster_message"] = json!("Cluster healthy");
            if ha {
                prog["orch_standby_node_addition_status"] = json!("Completed");
            }
            let at = if ha {
                standby_at.last().copied()
            } else {
                primary_at.last().copied()
            }
            .unwrap_or(now_ms);
            events.push((
                "create".into(),
                "info",
                format!(
                    "Disaster recovery for Service Instance '{guid}' has been managed successfully."
                ),
                at,
            ));
        }
        None => {}
    }
    if let Some(vm) = &remove_vm {
        world.remove(POWER, PVM_INSTANCES, vm);
    }
    for (action, level, message, at) in events {
        record_event(world, guid, &action, level, "managedr", message, None, at);
    }
}

/// One side's chain of steps, as [`advance_deployment`] walks it.
struct Chain<'a> {
    /// The hold side: `deploy` (the primary) or `standby`.
    side: &'static str,
    /// The step the side ends at.
    last: u64,
    /// The step a test asked the side to fail at.
    fail_at: Option<u64>,
    /// When each step after the first is due.
    steps_at: &'a [u64],
    /// When the side's first step started.
    started: u64,
}

/// When `step` of a side started: its first at `started`, a later one at the deadline of the
/// step before it.
fn step_started(steps_at: &[u64], started: u64, step: u64) -> u64 {
    match step {
        0 | 1 => started,
        n => steps_at.get((n - 2) as usize).copied().unwrap_or(started),
    }
}

/// Walks `chain` on from `step` to `now_ms`: it fails at the step a test asked for, else takes
/// every step whose time has come until a hold or its last step, each logged in `events` as
/// `describe(step, elapsed)` says. Returns the step reached and, on failure, when it failed.
fn walk(
    world: &mut World,
    guid: &str,
    chain: &Chain<'_>,
    mut step: u64,
    now_ms: u64,
    describe: impl Fn(u64, &str) -> String,
    events: &mut Vec<(String, &str, String, u64)>,
) -> (u64, Option<u64>) {
    loop {
        if chain.fail_at == Some(step) && step <= chain.last {
            let at = step_started(chain.steps_at, chain.started, step);
            return (step, Some(at.min(now_ms)));
        }
        if step >= chain.last || held(world, chain.side, step, guid, chain.steps_at, chain.started)
        {
            return (step, None);
        }
        match chain.steps_at.get((step - 1) as usize) {
            Some(t) if *t <= now_ms => {
                step += 1;
                let elapsed = elapsed_text(t.saturating_sub(chain.started));
                events.push(("update".into(), "info", describe(step, &elapsed), *t));
            }
            _ => return (step, None),
        }
    }
}

/// Whether a test hold (`dra.<side>.step<step>`, see [`crate::holds`]) keeps the deployment
/// at `step`; `steps_at` are the side's deadlines and `started` its start, which give the
/// step's own start time.
fn held(
    world: &mut World,
    side: &str,
    step: u64,
    guid: &str,
    steps_at: &[u64],
    started: u64,
) -> bool {
    let since = step_started(steps_at, started, step);
    let total = if side == "deploy" { 5 } else { 4 };
    world
        .holds
        .stops(&format!("dra.{side}.step{step}"), guid, since, || {
            format!("{side} of DR instance {guid} at step {step}/{total}")
        })
}

/// A released hold: the deployment's later steps are pushed back by the time it was held.
fn resume_after_hold(world: &mut World, guid: &str) {
    let Some((reached, released)) = world.holds.take_resume(guid) else {
        return;
    };
    let Some(d) = world.get_mut(SERVICE, DEPLOYMENTS, guid) else {
        return;
    };
    for key in ["_primary_steps_at", "_standby_steps_at"] {
        let mut at = deadlines(d, key);
        crate::holds::shift_after(&mut at, reached, released);
        d["progress"][key] = json!(at);
    }
}

/// A deleted `power-dr-automation` instance takes its deployment along; what its KSYS
/// cluster reports shows in the instance's events and HA state.
pub fn on_event(world: &mut World, event: &WorldEvent, now_ms: u64) {
    match event {
        WorldEvent::InstanceDeleted { service, guid, .. } => {
            if *service == gc::POWER_DR_AUTOMATION.service_name {
                on_instance_deleted(world, guid, now_ms);
            }
        }
        WorldEvent::KsysEvent {
            cluster,
            level,
            resource,
            message,
        } => record_ksys_event(
            world,
            cluster,
            level,
            resource,
            (*message).to_owned(),
            now_ms,
        ),
        WorldEvent::StandbyLeftCluster { cluster } => standby_left_cluster(world, cluster, now_ms),
        WorldEvent::InstanceCreated { .. } => {}
    }
}

/// A DR instance was deleted through Resource Controller: its orchestrator VMs, managed-VM
/// registrations, API key and events go with it.
pub fn on_instance_deleted(world: &mut World, guid: &str, _now_ms: u64) {
    crate::services::ksys::on_instance_deleted(world, guid);
    if let Some(d) = world.remove(SERVICE, DEPLOYMENTS, guid) {
        for key in ["_primary_vm_id", "_standby_vm_id"] {
            if let Some(vm) = d[key].as_str() {
                world.remove(POWER, PVM_INSTANCES, vm);
            }
        }
    }
    for id in world.ids_where(SERVICE, EVENTS, |o| {
        o["_instance_id"].as_str() == Some(guid)
    }) {
        world.remove(SERVICE, EVENTS, &id);
    }
    world.remove(SERVICE, APIKEYS, guid);
    world.remove(SERVICE, INSTANCES, guid);
}

/// An event KSYS raised on the orchestrator, in the instance's published event log.
fn record_ksys_event(
    world: &mut World,
    guid: &str,
    level: &str,
    resource: &str,
    message: String,
    at_ms: u64,
) {
    record_event(world, guid, "update", level, resource, message, None, at_ms);
}

/// The standby node left the KSYS cluster (`ksysmgr modify ksyscluster ... remove`): the
/// deployment is no longer HA as DR Automation reports it. The standby VM itself stays in
/// PowerVS until it is deleted there.
fn standby_left_cluster(world: &mut World, guid: &str, now_ms: u64) {
    let Some(d) = world.get_mut(SERVICE, DEPLOYMENTS, guid) else {
        return;
    };
    let standby_name = d["_standby_vm_name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if let Some(obj) = d.as_object_mut() {
        obj.insert("orchestrator_ha".into(), json!(false));
        for key in [
            "standby_orchestrator_workspace_id",
            "standby_orchestrator_workspace_location",
            "standby_machine_type",
            "standby_orchestrator_name",
            "standby_orchestrator_network_ids",
            "standby_ssh_key_name",
            "standby_tier",
            "_standby_vm_id",
            "_standby_vm_name",
            "_standby_workspace_name",
            "_standby_zone",
            "_standby_password_hash",
        ] {
            obj.remove(key);
        }
        let progress = &mut obj["progress"];
        progress["standby_status"] = json!("NA");
        progress["standby_description"] = json!("Standby orchestrator is not configured.");
        progress["orch_standby_node_addition_status"] = json!("NA");
        progress["_standby_step"] = json!(0);
        progress["_standby_steps_at"] = json!([]);
        if progress["status"].as_str() == Some("Failed")
            && progress["primary_orchestrator_status"].as_str() == Some("active")
        {
            progress["status"] = json!("Active");
            progress["orchestrator_config_status"] = json!("Configured");
        }
    }
    record_event(
        world,
        guid,
        "delete",
        "info",
        "managedr",
        format!(
            "Standby orchestrator {standby_name} of Service Instance '{guid}' has left the orchestrator cluster."
        ),
        None,
        now_ms,
    );
}
