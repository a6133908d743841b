//! Time passing for the long operations of [`super::ops`]: every effect whose deadline has come
//! is applied to the world, in order, unless a test hold stops the operation at one of its hold
//! points. Applying an effect is the commands' business ([`super::manage`], [`super::moves`]),
//! so this module sits above them while they only build plans.

use super::ops::{Effect, Operation, Timed, set_power_state, update_workgroup};
use super::{
    CLUSTERS, ManagedVm, OPERATIONS, SERVICE, VMS, WORKGROUPS, Workgroup, load, manage, moves,
    store,
};
use crate::services::{self, WorldEvent};
use crate::store::World;
use crate::util;

/// Applies every due effect of every running operation.
pub fn advance(world: &mut World, now_ms: u64) {
    for id in world.ids_where(SERVICE, OPERATIONS, |o| {
        o["status"].as_str() == Some("running")
    }) {
        advance_one(world, &id, now_ms);
    }
}

/// Applies the due effects of operation `id`.
pub fn advance_one(world: &mut World, id: &str, now_ms: u64) {
    let Some(mut op) = load::<Operation>(world, OPERATIONS, id) else {
        return;
    };
    if op.status != "running" {
        return;
    }
    let resumed = resume_after_hold(world, &mut op);
    let (limit, passed_holds) = hold_limit(world, &mut op, now_ms);
    let due = op.effects[op.applied.min(op.effects.len())..]
        .iter()
        .take_while(|e| e.at <= limit)
        .count();
    let effects: Vec<Timed> = op.effects[op.applied..op.applied + due].to_vec();
    for timed in &effects {
        apply(world, &op.id, &op.cluster_id, &timed.effect, timed.at);
    }
    op.applied += due;
    let done = op.applied >= op.effects.len() && op.finish_ms <= limit;
    if done {
        op.status = if op.exit_code == 0 {
            "succeeded".into()
        } else {
            "failed".into()
        };
    }
    if due > 0 || done || resumed || passed_holds {
        store(world, OPERATIONS, id, &op);
    }
}

/// The time up to which the operation may go on: `now_ms`, or the first hold point it has
/// reached whose hold is armed. Points passed while their hold is not armed are dropped
/// (the flag says whether any was).
fn hold_limit(world: &mut World, op: &mut Operation, now_ms: u64) -> (u64, bool) {
    let mut passed = false;
    while let Some(hold) = op.holds.first() {
        if hold.at > now_ms {
            break;
        }
        let (point, at) = (hold.point.clone(), hold.at);
        let what = || format!("KSYS operation {} ({}) at {point}", op.id, op.command);
        if world.holds.stops(&point, &op.id, at, what) {
            return (at, passed);
        }
        op.holds.remove(0);
        passed = true;
    }
    (now_ms, passed)
}

/// A released hold: everything after the point is pushed back by the time it was held, and
/// the point is passed. True when the operation changed.
fn resume_after_hold(world: &mut World, op: &mut Operation) -> bool {
    let Some((reached, released)) = world.holds.take_resume(&op.id) else {
        return false;
    };
    let held = released.saturating_sub(reached);
    let later = |at: &mut u64| {
        if *at > reached {
            *at = at.saturating_add(held);
        }
    };
    op.lines.iter_mut().for_each(|l| later(&mut l.at));
    op.effects.iter_mut().for_each(|e| later(&mut e.at));
    later(&mut op.finish_ms);
    op.finishes_at = util::rfc3339(op.finish_ms);
    op.holds.retain(|h| h.at != reached);
    op.holds.iter_mut().for_each(|h| later(&mut h.at));
    true
}

fn apply(world: &mut World, op_id: &str, cluster_id: &str, effect: &Effect, at: u64) {
    match effect {
        Effect::BackupCreated { vm } => manage::backup_created(world, vm, at),
        Effect::WorkgroupDiscovered { workgroup } => {
            // A VM that joined during the discovery keeps the workgroup at INIT.
            let all_ready =
                super::load::<Workgroup>(world, WORKGROUPS, workgroup).is_some_and(|wg| {
                    wg.vms.iter().all(|v| {
                        super::load::<ManagedVm>(world, VMS, v)
                            .is_some_and(|m| m.state == "READY_TO_MOVE")
                    })
                });
            update_workgroup(world, workgroup, |wg| {
                wg.discovered = true;
                if wg.state == "INIT" && all_ready {
                    wg.state = "READY_TO_MOVE".into();
                }
                if wg.cg_name.is_none() {
                    wg.cg_name = Some(consistency_group_name(&wg.id));
                }
            });
        }
        Effect::PowerState { pvm, status } => set_power_state(world, pvm, status, at),
        Effect::Moved { workgroup, to_site } => moves::moved(world, workgroup, to_site),
        Effect::RehearsalCreated { vm } => moves::rehearsal_created(world, vm, at),
        Effect::RehearsalReady { workgroup } => moves::rehearsal_ready(world, workgroup, at),
        Effect::RehearsalRemoved { vm } => moves::rehearsal_removed(world, vm),
        Effect::CleanedUp { workgroup } => {
            update_workgroup(world, workgroup, |wg| {
                wg.dr_test_state = "DRTESTCLEANUP_COMPLETED".into();
                wg.rehearsal_site = None;
            });
        }
        Effect::Unmanaged { vm } => manage::unmanaged(world, vm),
        Effect::Release { workgroup, state } => {
            update_workgroup(world, workgroup, |wg| {
                wg.operations.retain(|o| o != op_id);
                if !state.is_empty() {
                    wg.state = state.clone();
                }
            });
        }
        Effect::Event {
            level,
            resource,
            message,
        } => {
            if world.get(SERVICE, CLUSTERS, cluster_id).is_some() {
                let event = WorldEvent::KsysEvent {
                    cluster: cluster_id,
                    level,
                    resource,
                    message,
                };
                services::notify(world, &event, at);
            }
        }
    }
}

/// `rccg-xxxx-xxxxx`, stable per workgroup.
fn consistency_group_name(workgroup_id: &str) -> String {
    let hex: String = workgroup_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    let a = hex.get(..4).unwrap_or("0000");
    let b = hex.get(4..9).unwrap_or("00000");
    format!("rccg-{a}-{b}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::ksys::format;
    use crate::services::ksys::host::Env;
    use crate::services::ksys::ops::{Plan, outcome, start};

    fn env() -> Env {
        Env {
            now_ms: 1_000_000,
            time_scale: 10.0,
        }
    }

    #[test]
    fn plans_scale_real_seconds_and_stamp_lines() {
        let mut plan = Plan::new(env());
        assert_eq!(plan.at(20.0), 1_002_000);
        plan.say(20.0, |t| format!("{t} done"));
        plan.plain(10.0, "first");
        plan.effect(
            30.0,
            Effect::Release {
                workgroup: "w".into(),
                state: String::new(),
            },
        );
        let mut world = World::new(1);
        let (id, out) = start(&mut world, "c", "discover", "cmd", vec![], &[], plan, 0);
        assert_eq!(out.lines[0].text, "first");
        assert_eq!(
            out.lines[1].text,
            format!("{} done", format::clock(1_002_000))
        );
        assert_eq!(out.finish_ms, 1_003_000);
        assert_eq!(outcome(&world, &id), Some((false, 0, 1_003_000)));
        advance(&mut world, 1_003_000);
        assert_eq!(outcome(&world, &id), Some((true, 0, 1_003_000)));
    }

    #[test]
    fn consistency_groups_look_like_ibms() {
        let name = consistency_group_name("3b1f0c2d-aaaa-4bbb-8ccc-0123456789ab");
        assert_eq!(name, "rccg-3b1f-0c2da");
    }
}
