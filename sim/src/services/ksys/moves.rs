//! Failover, failback and DR tests: `move site|workgroup` and `cleanup site|workgroup`
//! (as IBM documents them for KSYS; see `docs/guides/orchestrator-access.md`).
//!
//! A planned move shuts the active VMs down, reverses the volume groups and boots the
//! partners at the target site; an unplanned one only attempts the shutdown. PowerVS power
//! states follow. A DR test (`dr_test=yes`) leaves production alone and boots
//! `<vm>_Rehearsal` copies (real PowerVS VMs) in the workspace that is not active; the
//! cleanup deletes them. ASSUMPTIONS (IBM documents no such output or rule): the
//! planned/unplanned output is modelled on the DR test's; a site move takes its workgroups
//! one after the other in priority order (High, Medium, Low, then by name), a site cleanup
//! takes them in parallel; a workgroup shows `MOVE_IN_PROGRESS` while a move or a rehearsal
//! runs.

use super::host::{Ctx, Env, Output};
use super::ksysmgr::Invocation;
use super::manage::{busy_message, copy_spec, priority_rank};
use super::ops::{self, Effect, Plan, update_vm, update_workgroup};
use super::sites;
use super::{
    ManagedVm, VMS, WORKGROUPS, Workgroup, blocking_operation, load, of_cluster, pvm,
    workgroup_by_name,
};
use crate::store::World;

const MOVE_ATTRS: &[&str] = &["name", "to", "from", "dr_type", "dr_test", "force"];

/// Seconds a VM of this OS and memory takes to boot at the target site.
fn boot_seconds(world: &World, pvm_id: &str) -> f64 {
    let Some(vm) = pvm(world, pvm_id) else {
        return 120.0;
    };
    let memory = vm["memory"].as_f64().unwrap_or(4.0).max(0.0).ceil();
    match vm["osType"].as_str().unwrap_or("aix") {
        "ibmi" => 300.0 + 6.0 * memory,
        "rhel" => 90.0 + 4.0 * memory,
        _ => 180.0 + 6.0 * memory,
    }
}

/// What the move attributes ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Planned,
    Unplanned,
    DrTest,
}

fn kind_of(inv: &Invocation) -> Result<Kind, (u32, String)> {
    if let Some(bad) = inv.unknown_attr(MOVE_ATTRS) {
        return Err((4, format!("Unknown attribute {bad} for move.")));
    }
    if let Some(force) = inv.attr(&["force"])
        && !matches!(force, "true" | "false")
    {
        return Err((
            4,
            format!("Invalid value {force} for attribute force. Valid values: true, false."),
        ));
    }
    let test = match inv.attr(&["dr_test"]) {
        None | Some("no") => false,
        Some("yes") => true,
        Some(other) => {
            return Err((
                4,
                format!("Invalid value {other} for attribute dr_test. Valid values: yes, no."),
            ));
        }
    };
    let dr_type = inv.attr(&["dr_type"]);
    if test && dr_type.is_some() {
        return Err((4, "dr_type cannot be used with dr_test=yes.".into()));
    }
    match (test, dr_type) {
        (true, _) => Ok(Kind::DrTest),
        (false, None | Some("planned")) => Ok(Kind::Planned),
        (false, Some("unplanned")) => Ok(Kind::Unplanned),
        (false, Some(other)) => Err((
            4,
            format!(
                "Invalid value {other} for attribute dr_type. Valid values: planned, unplanned."
            ),
        )),
    }
}

/// The site a workgroup is not active at.
fn other_site(wg: &Workgroup) -> &str {
    if wg.active_site == wg.home_site {
        &wg.backup_site
    } else {
        &wg.home_site
    }
}

/// Why the workgroup cannot move (or rehearse) to `to` now, if it cannot.
fn refusal(world: &World, wg: &Workgroup, to: &str, kind: Kind) -> Option<(u32, String)> {
    if to != wg.home_site && to != wg.backup_site {
        return Some((
            4,
            format!(
                "Workgroup {} can move only between sites {} and {}.",
                wg.name, wg.home_site, wg.backup_site
            ),
        ));
    }
    if wg.active_site == to {
        return Some((
            1,
            format!("Workgroup {} is already active at site {to}.", wg.name),
        ));
    }
    if let Some((_, kind)) = blocking_operation(world, wg, &[]) {
        return Some((1, busy_message(&wg.name, &kind)));
    }
    // A failed move may be tried again; a rehearsal needs a healthy workgroup.
    let startable =
        wg.state == "READY_TO_MOVE" || (wg.state == "MOVE_FAILED" && kind != Kind::DrTest);
    if !startable {
        return Some((
            1,
            format!(
                "Workgroup {} is not in READY_TO_MOVE state (current state {}).",
                wg.name, wg.state
            ),
        ));
    }
    if wg.dr_test_state == "ACTIVE" {
        let what = if kind == Kind::DrTest {
            "is already in a DR test"
        } else {
            "has a DR test in progress"
        };
        return Some((
            1,
            format!(
                "Workgroup {} {what}; clean it up first (ksysmgr cleanup workgroup {} dr_test=yes).",
                wg.name, wg.name
            ),
        ));
    }
    None
}

/// The managed VMs of a workgroup.
fn members(world: &World, wg: &Workgroup) -> Vec<ManagedVm> {
    wg.vms
        .iter()
        .filter_map(|id| load::<ManagedVm>(world, VMS, id))
        .collect()
}

/// (active PowerVS id, active name, partner PowerVS id, partner name) of a VM.
fn sides(vm: &ManagedVm) -> (Option<String>, String, Option<String>, String) {
    let backup_name = format!("{}_BackUp", vm.name);
    if vm.active_on_backup {
        (
            vm.backup_vm_id.clone(),
            backup_name,
            Some(vm.uuid.clone()),
            vm.name.clone(),
        )
    } else {
        (
            Some(vm.uuid.clone()),
            vm.name.clone(),
            vm.backup_vm_id.clone(),
            backup_name,
        )
    }
}

/// Whether a test asked this VM's next move to fail at boot (`_fail_move` on the KSYS VM,
/// set through `PATCH /_sim/objects/ksys/vms/<id>`).
fn fails_next_move(world: &World, vm_id: &str) -> bool {
    world
        .get(super::SERVICE, VMS, vm_id)
        .is_some_and(|v| v["_fail_move"].as_bool() == Some(true))
}

/// The workgroup's part ends well at `end`: it may move again, and the event log says so.
fn succeeded(plan: &mut Plan, end: f64, wg: &Workgroup, message: String) {
    plan.effect(end, Effect::release(&wg.id, "READY_TO_MOVE"));
    plan.effect(end, Effect::event("info", "droperation", message));
}

/// Adds one workgroup's move from `base` seconds; returns when it ends and whether it fails.
fn plan_move(
    world: &World,
    plan: &mut Plan,
    wg: &Workgroup,
    to: &str,
    kind: Kind,
    base: f64,
) -> (f64, bool) {
    let w = wg.name.clone();
    let vms = members(world, wg);
    let failing: Vec<bool> = vms
        .iter()
        .map(|v| fails_next_move(world, &v.uuid))
        .collect();
    let failed = failing.contains(&true);
    plan.say_each([
        (
            base,
            format!("   Workgroup move started for {w} to {to}, this may take a few minutes..."),
        ),
        (
            base + 11.0,
            format!("    move has started for Workgroup {w}"),
        ),
    ]);
    plan.hold_point(base + 11.0, format!("ksys.move.{w}"));
    // A planned move waits for the shutdown; an unplanned one only attempts it.
    let shut_down = base + if kind == Kind::Planned { 28.0 } else { 11.0 };
    for vm in &vms {
        let (active, active_name, _, _) = sides(vm);
        if kind == Kind::Planned {
            plan.say_each([
                (
                    base + 11.0,
                    format!("    Shutdown has started for VM {active_name}"),
                ),
                (
                    shut_down,
                    format!("    Shutdown has completed for VM {active_name}"),
                ),
            ]);
        } else {
            plan.say(shut_down, |t| {
                format!("{t}    Shutdown has been attempted for VM {active_name}")
            });
        }
        if let Some(pvm) = active {
            plan.effect(shut_down, Effect::power_state(pvm, "SHUTOFF"));
        }
    }
    plan.say_each([
        (
            base + 28.0,
            format!("    VG reversal has started for Workgroup {w}"),
        ),
        (
            base + 40.0,
            format!("    VG reversal has completed for Workgroup {w}"),
        ),
    ]);
    if !failed {
        plan.effect(
            base + 40.0,
            Effect::Moved {
                workgroup: wg.id.clone(),
                to_site: to.to_owned(),
            },
        );
    }
    let mut longest = 0.0_f64;
    for (vm, fails) in vms.iter().zip(&failing) {
        let (_, _, partner, partner_name) = sides(vm);
        let boot = partner
            .as_deref()
            .map(|p| boot_seconds(world, p))
            .unwrap_or(120.0);
        longest = longest.max(boot);
        let booted = base + 40.0 + boot;
        plan.say(base + 40.0, |t| {
            format!("{t}   Boot up on {to} Site has started for VM {partner_name}")
        });
        if *fails {
            plan.error(
                booted,
                format!("Boot up on {to} Site has failed for VM {partner_name}"),
            );
            continue;
        }
        plan.say(booted, |t| {
            format!("{t}   Boot up on {to} Site has completed for VM {partner_name}")
        });
        if let Some(pvm) = partner {
            plan.effect(booted, Effect::power_state(pvm, "ACTIVE"));
        }
    }
    let end = base + 40.0 + longest + 18.0;
    if failed {
        plan.error(end, format!("move has failed for Workgroup {w}"));
        plan.effect(end, Effect::release(&wg.id, "MOVE_FAILED"));
        plan.effect(
            end,
            Effect::event(
                "error",
                "droperation",
                format!(
                    "Move of workgroup {w} to site {to} failed: a VM did not boot; the workgroup stays at site {}.",
                    wg.active_site
                ),
            ),
        );
        return (end, true);
    }
    plan.say(end, |t| {
        format!("{t}    move has completed for Workgroup {w}")
    });
    plan.plain(
        end,
        format!("Workgroup move completed for Workgroup {w} to {to}"),
    );
    let how = if kind == Kind::Planned {
        "Planned"
    } else {
        "Unplanned"
    };
    succeeded(
        plan,
        end,
        wg,
        format!(
            "{how} move of workgroup {w} to site {to} completed: {} VM(s) run at {to}.",
            vms.len()
        ),
    );
    (end, false)
}

/// Adds one workgroup's DR test from `base` seconds (IBM's documented timings); returns its end.
fn plan_rehearsal(world: &World, plan: &mut Plan, wg: &Workgroup, to: &str, base: f64) -> f64 {
    let w = wg.name.clone();
    let vms = members(world, wg);
    plan.say_each([
        (
            base,
            format!(
                "   Workgroup dr_test move started for {w} to {to}, this may take a few minutes..."
            ),
        ),
        (
            base + 11.0,
            format!("    dr_test move has started for Workgroup {w}"),
        ),
    ]);
    plan.hold_point(base + 11.0, format!("ksys.dr_test.{w}"));
    for vm in &vms {
        let n = &vm.name;
        let r = format!("{n}_Rehearsal");
        // The clone is made of the copy at the site the rehearsal runs at.
        let (_, _, _, copy) = sides(vm);
        plan.say_each([
            (
                base + 11.0,
                format!("    Rehearsal VM creation has started for VM {n}"),
            ),
            (
                base + 67.0,
                format!("    Rehearsal VM {r} creation has completed"),
            ),
            (
                base + 109.0,
                format!("    VM Volumes clone with consistency has started for {copy}"),
            ),
            (
                base + 149.0,
                format!("    VM Volumes clone with consistency has completed for {copy}"),
            ),
            (
                base + 149.0,
                format!("    Network Configuration has started for VM {r}"),
            ),
            (
                base + 169.0,
                format!("    Network Configuration has completed for VM {r}"),
            ),
            (
                base + 170.0,
                format!("    Volumes attachment has started for VM {r}"),
            ),
            (
                base + 345.0,
                format!("    Volumes attachment has completed for VM {r}"),
            ),
            (
                base + 355.0,
                format!("   Boot up on {to} Site has started for VM {r}"),
            ),
            (
                base + 458.0,
                format!("   Boot up on {to} Site has completed for VM {r}"),
            ),
        ]);
        plan.effect(
            base + 67.0,
            Effect::RehearsalCreated {
                vm: vm.uuid.clone(),
            },
        );
    }
    let end = base + 476.0;
    plan.say(end, |t| {
        format!("{t}   dr_test move has completed for Workgroup {w}")
    });
    plan.plain(
        end,
        format!("Workgroup dr_test move completed for Workgroup {w} to {to}"),
    );
    plan.effect(
        base + 458.0,
        Effect::RehearsalReady {
            workgroup: wg.id.clone(),
        },
    );
    succeeded(
        plan,
        end,
        wg,
        format!(
            "DR test of workgroup {w}: {} rehearsal VM(s) running at site {to}.",
            vms.len()
        ),
    );
    end
}

#[allow(clippy::too_many_arguments)]
fn start_moves(
    world: &mut World,
    ctx: &Ctx,
    inv: &Invocation,
    env: Env,
    groups: Vec<Workgroup>,
    to: &str,
    kind: Kind,
    frame: Option<(&str, &str)>,
) -> Output {
    let mut plan = Plan::new(env);
    let test = kind == Kind::DrTest;
    let word = if test { "dr_test move" } else { "move" };
    if let Some((from, to)) = frame {
        plan.say(0.0, |t| {
            format!("{t}   Site {word} started for {from} to {to}, this may take a few minutes...")
        });
    }
    let mut at = 0.0;
    let mut failed = false;
    for wg in &groups {
        if test {
            at = plan_rehearsal(world, &mut plan, wg, to, at);
        } else {
            let (end, wg_failed) = plan_move(world, &mut plan, wg, to, kind, at);
            at = end;
            failed |= wg_failed;
        }
    }
    if let Some((from, to)) = frame {
        if failed {
            plan.error(at, format!("Site {word} failed for Site {from} to {to}"));
        } else {
            plan.plain(at, format!("Site {word} completed for Site {from} to {to}"));
        }
    }
    // A requested failure is used up by this move.
    for wg in &groups {
        for vm in &wg.vms {
            if let Some(obj) = world
                .get_mut(super::SERVICE, VMS, vm)
                .and_then(|v| v.as_object_mut())
            {
                obj.remove("_fail_move");
            }
        }
    }
    for wg in &groups {
        update_workgroup(world, &wg.id, |w| {
            w.state = "MOVE_IN_PROGRESS".into();
            if test {
                w.rehearsal_site = Some(to.to_owned());
            }
        });
    }
    let kind = if test { "dr_test" } else { "move" };
    ops::start_on_workgroups(world, ctx, inv, kind, &groups, plan, u32::from(failed))
}

/// What a move command will do, once its checks passed.
pub struct Selected {
    groups: Vec<Workgroup>,
    to: String,
    kind: Kind,
    /// `(from, to)` of a site move.
    frame: Option<(String, String)>,
}

/// The checks of `move workgroup|site`, without changing anything: they run before the
/// rehearsal prompt too, so a bad command fails at once instead of asking.
pub fn check(world: &World, ctx: &Ctx, inv: &Invocation) -> Result<Selected, (u32, String)> {
    let kind = kind_of(inv)?;
    if inv.class == super::ksysmgr::Class::Site {
        return check_site(world, ctx, inv, kind);
    }
    let Some(name) = inv.name() else {
        return Err((3, "Workgroup name is required.".into()));
    };
    let Some(to) = inv.attr(&["to"]) else {
        return Err((3, "Attribute to is required.".into()));
    };
    let Some(wg) = workgroup_by_name(world, &ctx.cluster_id, name) else {
        return Err((2, format!("Workgroup {name} not found.")));
    };
    if sites::site(world, &ctx.cluster_id, to).is_none() {
        return Err((2, format!("Site {to} not found.")));
    }
    if let Some(refused) = refusal(world, &wg, to, kind) {
        return Err(refused);
    }
    Ok(Selected {
        groups: vec![wg],
        to: to.to_owned(),
        kind,
        frame: None,
    })
}

/// `move site from=<a> to=<b>`: every workgroup active at `from` whose other site is `to`,
/// in priority order.
fn check_site(
    world: &World,
    ctx: &Ctx,
    inv: &Invocation,
    kind: Kind,
) -> Result<Selected, (u32, String)> {
    let (Some(from), Some(to)) = (inv.attr(&["from"]), inv.attr(&["to"])) else {
        let missing = if inv.attr(&["from"]).is_none() {
            "from"
        } else {
            "to"
        };
        return Err((3, format!("Attribute {missing} is required.")));
    };
    for site in [from, to] {
        if sites::site(world, &ctx.cluster_id, site).is_none() {
            return Err((2, format!("Site {site} not found.")));
        }
    }
    if from == to {
        return Err((4, "Sites from and to must differ.".into()));
    }
    let mut groups: Vec<Workgroup> = of_cluster::<Workgroup>(world, WORKGROUPS, &ctx.cluster_id)
        .into_iter()
        .filter(|w| w.active_site == from && other_site(w) == to)
        .collect();
    if groups.is_empty() {
        return Err((
            1,
            format!("No workgroup is active at site {from} with a backup at site {to}."),
        ));
    }
    groups.sort_by(|a, b| {
        priority_rank(&a.priority)
            .cmp(&priority_rank(&b.priority))
            .then(a.name.cmp(&b.name))
    });
    for wg in &groups {
        if let Some(refused) = refusal(world, wg, to, kind) {
            return Err(refused);
        }
    }
    Ok(Selected {
        groups,
        to: to.to_owned(),
        kind,
        frame: Some((from.to_owned(), to.to_owned())),
    })
}

/// `ksysmgr move workgroup <wg> to=<site>` and `ksysmgr move site from=<a> to=<b>`, with
/// `[dr_type=planned|unplanned] [dr_test=yes|no] [force=..]`.
pub fn move_command(world: &mut World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    match check(world, ctx, inv) {
        Ok(s) => {
            let frame = s.frame.as_ref().map(|(a, b)| (a.as_str(), b.as_str()));
            start_moves(world, ctx, inv, env, s.groups.clone(), &s.to, s.kind, frame)
        }
        Err((code, message)) => Output::error(env, code, message),
    }
}

/// Effect: the workgroup runs at `to_site` now.
pub fn moved(world: &mut World, workgroup: &str, to_site: &str) {
    let Some(wg) = load::<Workgroup>(world, WORKGROUPS, workgroup) else {
        return;
    };
    let to_backup = to_site == wg.backup_site;
    update_workgroup(world, workgroup, |w| {
        w.active_site = to_site.to_owned();
        w.active_workspace = if to_backup {
            w.backup_workspace.clone()
        } else {
            w.home_workspace.clone()
        };
    });
    for vm in &wg.vms {
        update_vm(world, vm, |v| v.active_on_backup = to_backup);
    }
}

/// Effect: the rehearsal VM exists (created SHUTOFF at full size) in the workspace that
/// is not active.
pub fn rehearsal_created(world: &mut World, vm_id: &str, at: u64) {
    let Some(vm) = load::<ManagedVm>(world, VMS, vm_id) else {
        return;
    };
    let Some(source) = pvm(world, vm_id).cloned() else {
        return;
    };
    let workspace = if vm.active_on_backup {
        vm.home_workspace.clone()
    } else {
        vm.target_workspace.clone()
    };
    let name = format!("{}_Rehearsal", vm.name);
    let spec = copy_spec(world, &source, &workspace, &name, false);
    let created =
        match crate::services::power::create_settled(world, &workspace, &spec, "SHUTOFF", at) {
            Ok(v) => v["pvmInstanceID"].as_str().map(str::to_owned),
            Err(e) => {
                tracing::warn!(vm = %vm.name, error = %e, "rehearsal VM not created");
                None
            }
        };
    update_vm(world, vm_id, |v| v.rehearsal_vm_id = created);
}

/// Effect: the rehearsal is up: rehearsal VMs boot, the workgroup's DR test is active.
pub fn rehearsal_ready(world: &mut World, workgroup: &str, at: u64) {
    let Some(wg) = load::<Workgroup>(world, WORKGROUPS, workgroup) else {
        return;
    };
    for id in &wg.vms {
        if let Some(vm) = load::<ManagedVm>(world, VMS, id)
            && let Some(r) = &vm.rehearsal_vm_id
        {
            ops::set_power_state(world, r, "ACTIVE", at);
        }
        update_vm(world, id, |v| v.dr_test_state = "ACTIVE_COMPLETED".into());
    }
    update_workgroup(world, workgroup, |w| w.dr_test_state = "ACTIVE".into());
}

/// Effect: the rehearsal VM is deleted.
pub fn rehearsal_removed(world: &mut World, vm_id: &str) {
    let Some(vm) = load::<ManagedVm>(world, VMS, vm_id) else {
        return;
    };
    if let Some(r) = &vm.rehearsal_vm_id {
        world.remove("power", "pvm_instances", r);
    }
    update_vm(world, vm_id, |v| {
        v.rehearsal_vm_id = None;
        v.dr_test_state = "INIT".into();
    });
}

/// Adds one workgroup's cleanup from `base` seconds; returns its end.
fn plan_cleanup(world: &World, plan: &mut Plan, wg: &Workgroup, base: f64) -> f64 {
    let w = wg.name.clone();
    plan.say_each([
        (
            base,
            format!(" Workgroup dr_test cleanup started for {w}, this may take a few minutes..."),
        ),
        (
            base + 11.0,
            format!(" dr_test cleanup has started for Workgroup {w}"),
        ),
    ]);
    for vm in members(world, wg) {
        let r = format!("{}_Rehearsal", vm.name);
        plan.say_each([
            (
                base + 11.0,
                format!(" VM Volumes clone with consistency delete has started for VM {r}"),
            ),
            (
                base + 11.0,
                format!(" VM Volumes clone with consistency delete has completed for VM {r}"),
            ),
            (base + 11.0, format!(" VM Removal has started for VM {r}")),
            (
                base + 132.0,
                format!(" VM Removal has completed for VM {r}"),
            ),
        ]);
        plan.effect(base + 132.0, Effect::RehearsalRemoved { vm: vm.uuid });
    }
    let end = base + 132.0;
    plan.say(end, |t| {
        format!("{t} dr_test cleanup has completed for Workgroup {w}")
    });
    plan.effect(
        end,
        Effect::CleanedUp {
            workgroup: wg.id.clone(),
        },
    );
    succeeded(
        plan,
        end,
        wg,
        format!("DR test cleanup of workgroup {w} completed."),
    );
    end
}

fn cleanup_attrs(inv: &Invocation, env: Env) -> Option<Output> {
    if let Some(bad) = inv.unknown_attr(&["name", "dr_test", "force"]) {
        return Some(Output::error(
            env,
            4,
            format!("Unknown attribute {bad} for cleanup."),
        ));
    }
    match inv.attr(&["dr_test"]) {
        None => Some(Output::error(env, 3, "Attribute dr_test=yes is required.")),
        Some("yes") => None,
        Some(other) => Some(Output::error(
            env,
            4,
            format!("Invalid value {other} for attribute dr_test. Valid value: yes."),
        )),
    }
}

fn start_cleanups(
    world: &mut World,
    ctx: &Ctx,
    inv: &Invocation,
    env: Env,
    groups: Vec<Workgroup>,
    site: Option<&str>,
) -> Output {
    for wg in &groups {
        if let Some((_, kind)) = blocking_operation(world, wg, &[]) {
            return Output::error(env, 1, busy_message(&wg.name, &kind));
        }
    }
    let mut plan = Plan::new(env);
    let offset = if site.is_some() { 1.0 } else { 0.0 };
    if let Some(s) = site {
        plan.say(0.0, |t| {
            format!("{t} Site dr_test cleanup started for {s}, this may take a few minutes...")
        });
    }
    let mut end: f64 = offset;
    for wg in &groups {
        end = end.max(plan_cleanup(world, &mut plan, wg, offset));
    }
    if let Some(s) = site {
        plan.say(end, |t| {
            format!("{t} Site dr_test cleanup has completed for Site {s}")
        });
    }
    ops::start_on_workgroups(world, ctx, inv, "cleanup", &groups, plan, 0)
}

/// `ksysmgr cleanup workgroup <wg> dr_test=yes`.
pub fn cleanup_workgroup(world: &mut World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    if let Some(out) = cleanup_attrs(inv, env) {
        return out;
    }
    let Some(name) = inv.name() else {
        return Output::error(env, 3, "Workgroup name is required.");
    };
    let Some(wg) = workgroup_by_name(world, &ctx.cluster_id, name) else {
        return Output::error(env, 2, format!("Workgroup {name} not found."));
    };
    if wg.dr_test_state != "ACTIVE" && blocking_operation(world, &wg, &[]).is_none() {
        return Output::ok(
            env,
            vec![format!("INFO: No dr_test resources to clean up for {name}")],
        );
    }
    start_cleanups(world, ctx, inv, env, vec![wg], None)
}

/// `ksysmgr cleanup site <site> dr_test=yes`: the workgroups whose rehearsal runs there.
pub fn cleanup_site(world: &mut World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    if let Some(out) = cleanup_attrs(inv, env) {
        return out;
    }
    let rehearsing_there = |w: &Workgroup, site: &str| {
        w.dr_test_state == "ACTIVE" && w.rehearsal_site.as_deref() == Some(site)
    };
    let (name, groups) = match sites::site_workgroups(world, ctx, inv, env, rehearsing_there) {
        Ok(found) => found,
        Err(out) => return out,
    };
    if groups.is_empty() {
        return Output::ok(
            env,
            vec![format!("INFO: No dr_test resources to clean up for {name}")],
        );
    }
    start_cleanups(world, ctx, inv, env, groups, Some(name))
}
