//! A VM's life in KSYS: `manage vm`, `modify workgroup`, `discover workgroup|site`,
//! `unmanage vm`, plus `modify ksyscluster` (see `docs/guides/orchestrator-access.md`).
//!
//! ASSUMPTIONS where IBM documents nothing: several VMs may share a workgroup (its home and
//! backup workspaces are fixed by its first VM); a VM joining a discovered workgroup puts it
//! back to `INIT` until the next discovery; an unmanage is refused while the workgroup runs
//! at its backup site or a DR test is up, because it would delete the running copy.

use serde_json::{Value, json};

use super::host::{Ctx, Env, Output};
use super::ksysmgr::{Invocation, invalid_name_message, valid_name};
use super::ops::{self, Effect, Plan, update_vm};
use super::sites::{self, find_workspace, refresh_lines, site_of_workspace};
use super::{
    CLUSTERS, Cluster, ManagedVm, SERVICE, VMS, WORKGROUPS, Workgroup, blocking_operation, load,
    managed_vm, of_cluster, pvm, store, workgroup_by_name,
};
use crate::services::{self, WorldEvent};
use crate::store::World;
use crate::util;

/// Operating systems KSYS protects (PowerVS `osType`).
const SUPPORTED_OS: &[&str] = &["aix", "ibmi", "rhel"];

const MANAGE_ATTRS: &[&str] = &[
    "name",
    "vmuuid",
    "home_workspace",
    "target_workspace",
    "workgroup",
    "ip_list",
    "IPList",
    "targetsystemtype",
    "staticIPMap",
    "sharedprocpool",
    "targetprocpool",
    "targetvmname",
    "targethost",
    "targethg",
    "force",
];

/// A PowerVS instance KSYS could manage.
struct Candidate {
    id: String,
    name: String,
    workspace: String,
}

fn candidate(vm: &Value) -> Candidate {
    Candidate {
        id: vm["pvmInstanceID"].as_str().unwrap_or_default().to_owned(),
        name: vm["serverName"].as_str().unwrap_or_default().to_owned(),
        workspace: vm["_workspace"].as_str().unwrap_or_default().to_owned(),
    }
}

/// Every orchestrator VM of every DR deployment: KSYS nodes are never managed.
fn is_orchestrator_vm(world: &World, id: &str) -> bool {
    world.list("dra", "deployments").any(|d| {
        d["_primary_vm_id"].as_str() == Some(id) || d["_standby_vm_id"].as_str() == Some(id)
    }) || world.list(SERVICE, CLUSTERS).any(|c| {
        c["nodes"]
            .as_array()
            .is_some_and(|n| n.iter().any(|n| n["vm_id"].as_str() == Some(id)))
    })
}

/// The managed VM a backup or rehearsal PowerVS instance belongs to.
fn copy_owner(world: &World, pvm_id: &str) -> Option<ManagedVm> {
    world
        .find(SERVICE, VMS, |v| {
            v["backup_vm_id"].as_str() == Some(pvm_id)
                || v["rehearsal_vm_id"].as_str() == Some(pvm_id)
        })
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// The VM a manage/unmanage command names: `vmuuid=`, `name=` or the first word.
enum VmRef<'a> {
    Uuid(&'a str),
    Name(&'a str),
}

fn vm_ref(inv: &Invocation) -> Option<VmRef<'_>> {
    if let Some(uuid) = inv.attr(&["vmuuid"]) {
        return Some(VmRef::Uuid(uuid));
    }
    inv.name().map(VmRef::Name)
}

/// `ksysmgr manage vm`.
pub fn manage_vm(world: &mut World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    if let Some(bad) = inv.unknown_attr(MANAGE_ATTRS) {
        return Output::error(env, 4, format!("Unknown attribute {bad} for manage vm."));
    }
    let Some(reference) = vm_ref(inv) else {
        return Output::error(env, 3, "A VM name or vmuuid is required.");
    };
    if let Some(force) = inv.attr(&["force"])
        && !matches!(force, "yes" | "no")
    {
        return Output::error(
            env,
            4,
            format!("Invalid value {force} for attribute force. Valid values: yes, no."),
        );
    }
    let home_filter = match inv.attr(&["home_workspace"]) {
        Some(h) => match find_workspace(world, &ctx.cluster_id, h) {
            Some(ws) => Some(ws.guid),
            None => return Output::error(env, 2, format!("Workspace {h} not found.")),
        },
        None => None,
    };
    let found: Vec<Candidate> = match reference {
        VmRef::Uuid(uuid) => pvm(world, uuid).map(candidate).into_iter().collect(),
        VmRef::Name(name) => {
            if !valid_name(name) {
                return Output::error(env, 4, invalid_name_message(name));
            }
            world
                .list("power", "pvm_instances")
                .filter(|v| v["serverName"].as_str() == Some(name))
                .map(candidate)
                .filter(|c| home_filter.as_ref().is_none_or(|h| *h == c.workspace))
                .collect()
        }
    };
    let shown = match reference {
        VmRef::Uuid(u) | VmRef::Name(u) => u.to_owned(),
    };
    let vm = match found.len() {
        0 => return Output::error(env, 2, format!("VM {shown} not found.")),
        1 => &found[0],
        _ => {
            return Output::error(
                env,
                4,
                format!(
                    "VM name {shown} is used in several workspaces; pass home_workspace= or vmuuid=."
                ),
            );
        }
    };
    if let Some(h) = &home_filter
        && *h != vm.workspace
    {
        return Output::error(
            env,
            4,
            format!(
                "VM {} is not in workspace {}.",
                vm.name,
                super::workspace_name(world, h)
            ),
        );
    }
    if !valid_name(&vm.name) {
        return Output::error(env, 4, invalid_name_message(&vm.name));
    }
    if is_orchestrator_vm(world, &vm.id) {
        return Output::error(
            env,
            4,
            format!("VM {} is a KSYS node and cannot be managed.", vm.name),
        );
    }
    if let Some(owner) = copy_owner(world, &vm.id) {
        return Output::error(
            env,
            4,
            format!(
                "VM {} is a copy KSYS made of VM {} and cannot be managed.",
                vm.name, owner.name
            ),
        );
    }
    if let Some(existing) = load::<ManagedVm>(world, VMS, &vm.id) {
        return if existing.cluster_id == ctx.cluster_id {
            Output::error(env, 1, format!("VM {} is already managed.", vm.name))
        } else {
            Output::error(
                env,
                1,
                format!("VM {} is already managed by another KSYS cluster.", vm.name),
            )
        };
    }
    let Some(source) = pvm(world, &vm.id) else {
        return Output::error(env, 2, format!("VM {shown} not found."));
    };
    let os = source["osType"].as_str().unwrap_or_default().to_lowercase();
    if !SUPPORTED_OS.contains(&os.as_str()) {
        let shown_os = source["operatingSystem"]
            .as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or(os.as_str());
        return Output::error(
            env,
            4,
            format!(
                "VM {} runs {shown_os}; only AIX, IBM i and RHEL are supported.",
                vm.name
            ),
        );
    }
    let home_name = super::workspace_name(world, &vm.workspace);
    let Some(home_site) = site_of_workspace(world, &ctx.cluster_id, &vm.workspace) else {
        let region = super::regions::region_of_zone(&super::workspace_zone(world, &vm.workspace));
        return Output::error(
            env,
            1,
            format!(
                "Workspace {home_name} is not part of any site. Add a site for its region first (ksysmgr add site <name> region={region})."
            ),
        );
    };
    let target = match inv.attr(&["target_workspace"]) {
        Some(t) => match find_workspace(world, &ctx.cluster_id, t) {
            Some(ws) => ws.guid,
            None => return Output::error(env, 2, format!("Workspace {t} not found.")),
        },
        None => match sites::ksys_workspace(world, &ctx.cluster_id, &vm.workspace)
            .and_then(|k| k.default_partner)
        {
            Some(p) => p,
            None => {
                return Output::error(
                    env,
                    3,
                    format!(
                        "No target workspace for workspace {home_name}; pair it (ksysmgr pair workspace) or pass target_workspace=."
                    ),
                );
            }
        },
    };
    let target_name = super::workspace_name(world, &target);
    let Some(backup_site) = site_of_workspace(world, &ctx.cluster_id, &target) else {
        return Output::error(
            env,
            4,
            format!("Target workspace {target_name} is not part of any site."),
        );
    };
    if backup_site.name == home_site.name {
        return Output::error(
            env,
            4,
            format!(
                "Target workspace {target_name} is in site {}, the site of {home_name}; the target must be in another site.",
                home_site.name
            ),
        );
    }
    let wg_name = match inv.attr(&["workgroup"]) {
        Some(w) if !valid_name(w) => return Output::error(env, 4, invalid_name_message(w)),
        Some(w) => w.to_owned(),
        None => format!("{}_WG", vm.name),
    };
    let now = util::rfc3339(env.now_ms);
    let existing = workgroup_by_name(world, &ctx.cluster_id, &wg_name);
    let (workgroup, created) = match existing {
        Some(mut wg) => {
            if wg.home_workspace != vm.workspace || wg.backup_workspace != target {
                return Output::error(
                    env,
                    4,
                    format!(
                        "Workgroup {wg_name} belongs to workspace {}.",
                        super::workspace_name(world, &wg.home_workspace)
                    ),
                );
            }
            if let Some((_, kind)) =
                blocking_operation(world, &wg, &["manage", "unmanage", "discover"])
            {
                return Output::error(env, 1, busy_message(&wg_name, &kind));
            }
            if wg.active_site != wg.home_site {
                return Output::error(
                    env,
                    1,
                    format!(
                        "Workgroup {wg_name} is active at site {}; add VMs while it runs at its home site.",
                        wg.active_site
                    ),
                );
            }
            wg.vms.push(vm.id.clone());
            wg.state = "INIT".into();
            (wg, false)
        }
        None => {
            let id = world.new_id();
            let wg = Workgroup {
                id,
                cluster_id: ctx.cluster_id.clone(),
                name: wg_name.clone(),
                vms: vec![vm.id.clone()],
                state: "INIT".into(),
                dr_test_state: "INIT".into(),
                priority: "Medium".into(),
                skip_auto_resync: "OFF".into(),
                home_workspace: vm.workspace.clone(),
                backup_workspace: target.clone(),
                active_workspace: vm.workspace.clone(),
                home_site: home_site.name.clone(),
                backup_site: backup_site.name.clone(),
                active_site: home_site.name.clone(),
                cg_name: None,
                discovered: false,
                rehearsal_site: None,
                operations: Vec::new(),
            };
            (wg, true)
        }
    };
    store(world, WORKGROUPS, &workgroup.id.clone(), &workgroup);
    let managed = ManagedVm {
        uuid: vm.id.clone(),
        cluster_id: ctx.cluster_id.clone(),
        name: vm.name.clone(),
        workgroup_id: workgroup.id.clone(),
        state: "INIT".into(),
        dr_test_state: "INIT".into(),
        home_workspace: vm.workspace.clone(),
        target_workspace: target.clone(),
        backup_vm_id: None,
        rehearsal_vm_id: None,
        active_on_backup: false,
        managed_at: now,
    };
    store(world, VMS, &vm.id, &managed);

    let mut plan = Plan::new(env);
    for (i, line) in refresh_lines(&home_name).into_iter().enumerate() {
        plan.plain(i as f64 * 0.5, line);
    }
    plan.plain(4.5, format!("VM {} was successfully managed.", vm.name));
    if created {
        plan.plain(5.0, format!("Workgroup {wg_name} added successfully"));
    } else {
        plan.plain(
            5.0,
            format!("VM {} added to Workgroup {wg_name} successfully", vm.name),
        );
    }
    plan.effect(
        0.0,
        Effect::event(
            "info",
            "managedvm",
            format!(
                "Virtual server '{}' is now managed by DR in workgroup {wg_name} (backup workspace {target_name}).",
                vm.name
            ),
        ),
    );
    let (_, out) = ops::start(
        world,
        &ctx.cluster_id,
        "manage",
        &inv.text,
        vec![wg_name],
        &[],
        plan,
        0,
    );
    out
}

pub(crate) fn busy_message(workgroup: &str, kind: &str) -> String {
    format!(
        "Workgroup {workgroup} has an operation in progress ({kind}); retry after it completes."
    )
}

/// The managed VM a command names (by uuid or name) in this cluster.
fn find_managed(world: &World, ctx: &Ctx, inv: &Invocation) -> Result<ManagedVm, (u32, String)> {
    match vm_ref(inv) {
        None => Err((3, "A VM name or vmuuid is required.".into())),
        Some(VmRef::Uuid(uuid)) => managed_vm(world, &ctx.cluster_id, uuid)
            .ok_or((2, format!("VM {uuid} is not managed."))),
        Some(VmRef::Name(name)) => {
            if !valid_name(name) {
                return Err((4, invalid_name_message(name)));
            }
            of_cluster::<ManagedVm>(world, VMS, &ctx.cluster_id)
                .into_iter()
                .find(|v| v.name == name || v.uuid == name)
                .ok_or((2, format!("VM {name} is not managed.")))
        }
    }
}

/// `ksysmgr unmanage vm`: ~60 s, refused while another unmanage runs (KSYS runs one at a
/// time).
pub fn unmanage_vm(world: &mut World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    if let Some(bad) = inv.unknown_attr(&["name", "vmuuid", "workspace", "force"]) {
        return Output::error(env, 4, format!("Unknown attribute {bad} for unmanage vm."));
    }
    if let Some(force) = inv.attr(&["force"])
        && !matches!(force, "true" | "false")
    {
        return Output::error(
            env,
            4,
            format!("Invalid value {force} for attribute force. Valid values: true, false."),
        );
    }
    let vm = match find_managed(world, ctx, inv) {
        Ok(vm) => vm,
        Err((code, message)) => return Output::error(env, code, message),
    };
    if ops::running(world, &ctx.cluster_id, "unmanage") {
        return Output::error(
            env,
            1,
            "Another unmanage operation is in progress. Parallel unmanage is not supported; retry after it completes.",
        );
    }
    let Some(wg) = load::<Workgroup>(world, WORKGROUPS, &vm.workgroup_id) else {
        return Output::error(env, 1, format!("VM {} has no workgroup.", vm.name));
    };
    if let Some((_, kind)) = blocking_operation(world, &wg, &["manage", "discover"]) {
        return Output::error(env, 1, busy_message(&wg.name, &kind));
    }
    if wg.active_site != wg.home_site {
        return Output::error(
            env,
            1,
            format!(
                "VM {} runs at site {}; move workgroup {} back to its home site before unmanaging.",
                vm.name, wg.active_site, wg.name
            ),
        );
    }
    if wg.dr_test_state == "ACTIVE" {
        return Output::error(
            env,
            1,
            format!(
                "Workgroup {} has a DR test in progress; clean it up first (ksysmgr cleanup workgroup {} dr_test=yes).",
                wg.name, wg.name
            ),
        );
    }
    let last = wg.vms.len() <= 1;
    let w = wg.name.clone();
    let mut plan = Plan::new(env);
    plan.say(0.0, |t| {
        format!("{t} Unmanage vm has started, this may take a few minutes...")
    });
    if last {
        plan.say_each([
            (5.0, format!(" {w} Workgroup stop VG has started")),
            (20.0, format!(" {w} Workgroup stop VG has completed")),
            (
                20.0,
                format!(" Removal of VG disks from {w} Workgroup has started"),
            ),
            (
                50.0,
                format!(" Removal of VG disks from {w} Workgroup has completed"),
            ),
            (58.0, format!(" Workgroup {w} was removed")),
        ]);
    } else {
        plan.say(55.0, |t| {
            format!(
                "{t} Removal of VM {} from {w} Workgroup has completed",
                vm.name
            )
        });
    }
    plan.effect(
        if last { 58.0 } else { 55.0 },
        Effect::Unmanaged {
            vm: vm.uuid.clone(),
        },
    );
    plan.plain(60.0, format!("VM {} was successfully unmanaged", vm.name));
    plan.effect(60.0, Effect::release(&wg.id, ""));
    plan.effect(
        60.0,
        Effect::event(
            "info",
            "managedvm",
            format!("Virtual server '{}' is no longer managed by DR.", vm.name),
        ),
    );
    let (_, out) = ops::start(
        world,
        &ctx.cluster_id,
        "unmanage",
        &inv.text,
        vec![wg.name.clone()],
        std::slice::from_ref(&wg.id),
        plan,
        0,
    );
    out
}

/// Effect: the VM leaves KSYS; its backup and rehearsal VMs are deleted, and its workgroup
/// goes with its last VM.
pub fn unmanaged(world: &mut World, vm_id: &str) {
    let Some(vm) = load::<ManagedVm>(world, VMS, vm_id) else {
        return;
    };
    for copy in [&vm.backup_vm_id, &vm.rehearsal_vm_id]
        .into_iter()
        .flatten()
    {
        world.remove("power", "pvm_instances", copy);
    }
    world.remove(SERVICE, VMS, vm_id);
    if let Some(mut wg) = load::<Workgroup>(world, WORKGROUPS, &vm.workgroup_id) {
        wg.vms.retain(|v| v != vm_id);
        if wg.vms.is_empty() {
            world.remove(SERVICE, WORKGROUPS, &wg.id);
        } else {
            store(world, WORKGROUPS, &wg.id.clone(), &wg);
        }
    }
}

/// `ksysmgr modify workgroup <wg> [priority=..] [SkipAutoResync=..]`.
pub fn modify_workgroup(world: &mut World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    let Some(name) = inv.name() else {
        return Output::error(env, 3, "Workgroup name is required.");
    };
    if let Some(bad) = inv.unknown_attr(&["name", "priority", "SkipAutoResync", "skipautoresync"]) {
        return Output::error(
            env,
            4,
            format!("Unknown attribute {bad} for modify workgroup."),
        );
    }
    let Some(mut wg) = workgroup_by_name(world, &ctx.cluster_id, name) else {
        return Output::error(env, 2, format!("Workgroup {name} not found."));
    };
    let priority = inv.attr(&["priority"]);
    let resync = inv.attr(&["SkipAutoResync", "skipautoresync"]);
    if priority.is_none() && resync.is_none() {
        return Output::error(
            env,
            3,
            "At least one attribute is required: priority, SkipAutoResync.",
        );
    }
    let mut changed = Vec::new();
    let mut info = Vec::new();
    for (attr, label, given, valid, field) in [
        (
            "priority",
            "Priority",
            priority,
            &["Low", "Medium", "High"][..],
            &mut wg.priority,
        ),
        (
            "SkipAutoResync",
            "SkipAutoResync",
            resync,
            &["ON", "OFF"][..],
            &mut wg.skip_auto_resync,
        ),
    ] {
        let Some(given) = given else {
            continue;
        };
        let Some(value) = valid.iter().find(|v| v.eq_ignore_ascii_case(given)) else {
            return Output::error(
                env,
                4,
                format!(
                    "Invalid value {given} for attribute {attr}. Valid values: {}.",
                    valid.join(", ")
                ),
            );
        };
        if field == value {
            info.push(format!(
                "INFO: Attribute {attr} is already set to the specified value"
            ));
        } else {
            *field = (*value).to_owned();
            changed.push(label);
        }
    }
    let mut lines = Vec::new();
    if !changed.is_empty() {
        store(world, WORKGROUPS, &wg.id.clone(), &wg);
        lines.push(format!(
            "For Workgroup {name} attribute(s) {} was successfully modified.",
            changed.join(",")
        ));
    }
    lines.extend(info);
    Output::ok(env, lines)
}

/// Seconds (real cloud) from the start of one workgroup's discovery to each step.
mod discovery {
    pub const WORKGROUP_STARTED: f64 = 13.0;
    pub const VM_DISCOVERED: f64 = 28.0;
    pub const REPLICATION_ENABLED: f64 = 31.0;
    pub const BACKUP_CREATED: f64 = 62.0;
    pub const FINISHED: f64 = 84.0;
}

/// Adds one workgroup's discovery lines and effects (its VMs in parallel); returns
/// (discovered, managed) VM counts.
fn plan_discovery(world: &World, plan: &mut Plan, wg: &Workgroup) -> (usize, usize) {
    use discovery::*;
    // Discovery lines stand indented under the command's own.
    const MARGIN: &str = "        ";
    let w = wg.name.clone();
    plan.say_each_after(
        MARGIN,
        [(
            WORKGROUP_STARTED,
            format!("  Discovery has started for Workgroup {w}"),
        )],
    );
    let mut ok = 0;
    for vm_id in &wg.vms {
        let Some(vm) = load::<ManagedVm>(world, VMS, vm_id) else {
            continue;
        };
        let n = vm.name.clone();
        plan.say_each_after(
            MARGIN,
            [(
                WORKGROUP_STARTED,
                format!("  Discovery has started for VM {n}"),
            )],
        );
        if pvm(world, vm_id).is_none() {
            plan.error(
                VM_DISCOVERED,
                format!(
                    "Discovery for VM {n} has failed: the VM no longer exists in its workspace."
                ),
            );
            continue;
        }
        ok += 1;
        plan.say_each_after(
            MARGIN,
            [
                (VM_DISCOVERED, format!("  Discovery for VM {n} is complete")),
                (
                    VM_DISCOVERED,
                    format!("  Replication enablement for volumes has started for VM {n}"),
                ),
                (
                    REPLICATION_ENABLED,
                    format!("  Replication enablement for volumes has completed for VM {n}"),
                ),
                (
                    REPLICATION_ENABLED,
                    format!("  Backup VM creation has started for VM {n}"),
                ),
                (
                    REPLICATION_ENABLED,
                    format!("  Network Configuration has completed for VM {n}"),
                ),
                (
                    BACKUP_CREATED,
                    format!("  Backup VM {n}_BackUp creation has completed"),
                ),
                (
                    BACKUP_CREATED,
                    format!("  Backup VM configuration update has started for VM {n}_BackUp"),
                ),
                (
                    FINISHED,
                    format!("  Backup VM configuration update has completed for VM {n}_BackUp"),
                ),
            ],
        );
        plan.effect(BACKUP_CREATED, Effect::BackupCreated { vm: vm_id.clone() });
    }
    plan.say_each_after(
        MARGIN,
        [
            (FINISHED, format!("  Discovery for Workgroup {w} is complete")),
            (
                FINISHED,
                "  Replication is going on in background. Please use \"ksysmgr query Workgroup <wgname> status monitor=yes \" to track the progress of the operation.".to_owned(),
            ),
        ],
    );
    plan.effect(
        FINISHED,
        Effect::WorkgroupDiscovered {
            workgroup: wg.id.clone(),
        },
    );
    plan.effect(FINISHED, Effect::release(&wg.id, ""));
    plan.effect(
        FINISHED,
        Effect::event(
            if ok == wg.vms.len() { "info" } else { "error" },
            "managedvm",
            format!(
                "Discovery of workgroup {w}: {ok} out of {} managed VMs discovered.",
                wg.vms.len()
            ),
        ),
    );
    (ok, wg.vms.len())
}

/// `ksysmgr discover workgroup <wg>`: ~90 s, VMs in parallel.
pub fn discover_workgroup(world: &mut World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    let Some(name) = inv.name() else {
        return Output::error(env, 3, "Workgroup name is required.");
    };
    let Some(wg) = workgroup_by_name(world, &ctx.cluster_id, name) else {
        return Output::error(env, 2, format!("Workgroup {name} not found."));
    };
    if let Some((_, kind)) = blocking_operation(world, &wg, &["manage", "unmanage", "discover"]) {
        return Output::error(env, 1, busy_message(name, &kind));
    }
    let mut plan = Plan::new(env);
    plan.say(0.0, |t| {
        format!("{t}  Running discovery on Workgroup {name}, this may take a few minutes...")
    });
    let (ok, total) = plan_discovery(world, &mut plan, &wg);
    plan.say(discovery::FINISHED, |t| {
        format!("{t}  Discovery has finished for {name}")
    });
    plan.plain(
        discovery::FINISHED,
        format!("{ok} out of {total} managed VMs have been successfully discovered"),
    );
    let code = u32::from(ok != total);
    ops::start_on_workgroups(
        world,
        ctx,
        inv,
        "discover",
        std::slice::from_ref(&wg),
        plan,
        code,
    )
}

/// `ksysmgr discover site <site>`: every workgroup whose home is the site, in parallel.
pub fn discover_site(world: &mut World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    let (name, groups) =
        match sites::site_workgroups(world, ctx, inv, env, |w, site| w.home_site == site) {
            Ok(found) => found,
            Err(out) => return out,
        };
    for wg in &groups {
        if let Some((_, kind)) = blocking_operation(world, wg, &["manage", "unmanage", "discover"])
        {
            return Output::error(env, 1, busy_message(&wg.name, &kind));
        }
    }
    let mut plan = Plan::new(env);
    plan.say(0.0, |t| {
        format!("{t}  Running discovery on entire site, this may take a few minutes...")
    });
    let (mut ok, mut total) = (0, 0);
    for wg in &groups {
        let (a, b) = plan_discovery(world, &mut plan, wg);
        ok += a;
        total += b;
    }
    let end = if groups.is_empty() {
        0.0
    } else {
        discovery::FINISHED
    };
    plan.say(end, |t| format!("{t}  Discovery has finished for {name}"));
    plan.plain(
        end,
        format!("{ok} out of {total} managed VMs have been successfully discovered"),
    );
    ops::start_on_workgroups(
        world,
        ctx,
        inv,
        "discover",
        &groups,
        plan,
        u32::from(ok != total),
    )
}

/// The network of `workspace` a copy of a VM on `network_name` goes on: the same name, else
/// the first private one.
fn matching_network(world: &World, workspace: &str, network_name: Option<&str>) -> Option<String> {
    let nets: Vec<&Value> = world
        .list("power", "networks")
        .filter(|n| n["_workspace"].as_str() == Some(workspace))
        .collect();
    nets.iter()
        .find(|n| network_name.is_some() && n["name"].as_str() == network_name)
        .or_else(|| nets.iter().find(|n| n["type"].as_str() == Some("vlan")))
        .or_else(|| nets.first())
        .and_then(|n| n["networkID"].as_str().map(str::to_owned))
}

/// A PowerVS create body for a copy of `source` in `workspace` (KSYS's backup or rehearsal
/// VM): the stock image of the source's OS, the source's networks by name.
pub(crate) fn copy_spec(
    world: &World,
    source: &Value,
    workspace: &str,
    name: &str,
    minimal: bool,
) -> Value {
    let image = source["operatingSystem"]
        .as_str()
        .and_then(|os| world.find("power", "stock_images", |i| i["name"].as_str() == Some(os)))
        .or_else(|| {
            let os = source["osType"].as_str();
            world.find("power", "stock_images", |i| {
                i["specifications"]["operatingSystem"].as_str() == os
            })
        })
        .and_then(|i| i["imageID"].as_str())
        .unwrap_or_default()
        .to_owned();
    let names = super::network_names(world, source);
    let mut nics: Vec<Value> = names
        .iter()
        .filter_map(|n| matching_network(world, workspace, Some(n)))
        .map(|id| json!({"networkID": id}))
        .collect();
    nics.dedup();
    if nics.is_empty()
        && let Some(id) = matching_network(world, workspace, None)
    {
        nics.push(json!({"networkID": id}));
    }
    let offered: Vec<String> = super::power_workspace(world, workspace)
        .and_then(|w| w["_machine_types"].as_array())
        .map(|m| {
            m.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let sys_type = source["sysType"]
        .as_str()
        .filter(|s| offered.is_empty() || offered.iter().any(|o| o == s))
        .map(str::to_owned)
        .or_else(|| offered.first().cloned())
        .unwrap_or_else(|| "s922".into());
    let (processors, memory, proc_type) = if minimal {
        (json!(0.25), json!(2), json!("shared"))
    } else {
        (
            source["processors"].clone(),
            source["memory"].clone(),
            source["procType"].clone(),
        )
    };
    json!({
        "serverName": name,
        "imageID": image,
        "processors": processors,
        "memory": memory,
        "procType": proc_type,
        "sysType": sys_type,
        "storageType": source["storageType"].as_str().unwrap_or("tier1"),
        "networks": nics,
    })
}

/// Effect: the backup VM exists (created SHUTOFF at minimal size when missing) and the VM is
/// `READY_TO_MOVE`.
pub fn backup_created(world: &mut World, vm_id: &str, at: u64) {
    let Some(vm) = load::<ManagedVm>(world, VMS, vm_id) else {
        return;
    };
    let Some(source) = pvm(world, vm_id).cloned() else {
        return;
    };
    let name = format!("{}_BackUp", vm.name);
    let existing = vm
        .backup_vm_id
        .clone()
        .filter(|id| pvm(world, id).is_some())
        .or_else(|| {
            world
                .find("power", "pvm_instances", |p| {
                    p["_workspace"].as_str() == Some(vm.target_workspace.as_str())
                        && p["serverName"].as_str() == Some(name.as_str())
                })
                .and_then(|p| p["pvmInstanceID"].as_str().map(str::to_owned))
        });
    let backup = match existing {
        Some(id) => Some(id),
        None => {
            let spec = copy_spec(world, &source, &vm.target_workspace, &name, true);
            match crate::services::power::create_settled(
                world,
                &vm.target_workspace,
                &spec,
                "SHUTOFF",
                at,
            ) {
                Ok(created) => created["pvmInstanceID"].as_str().map(str::to_owned),
                Err(e) => {
                    tracing::warn!(vm = %vm.name, error = %e, "backup VM not created");
                    None
                }
            }
        }
    };
    update_vm(world, vm_id, |v| {
        if backup.is_some() {
            v.backup_vm_id = backup;
            if v.state == "INIT" {
                v.state = "READY_TO_MOVE".into();
            }
        }
    });
}

/// `ksysmgr modify ksyscluster <name> remove ksysnodes=<hostname>` (and `apikey=`/`proxy=`,
/// accepted as they are).
pub fn modify_cluster(world: &mut World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    let Some(mut cluster) = load::<Cluster>(world, CLUSTERS, &ctx.cluster_id) else {
        return Output::error(env, 1, "This node is not part of a KSYS cluster.");
    };
    if let Some(bad) = inv.unknown_attr(&["name", "ksysnodes", "apikey", "proxy", "glnode"]) {
        return Output::error(
            env,
            4,
            format!("Unknown attribute {bad} for modify ksyscluster."),
        );
    }
    let Some(name) = inv.name() else {
        return Output::error(env, 3, "KSYS cluster name is required.");
    };
    if name != cluster.name {
        return Output::error(env, 2, format!("KSYS cluster {name} not found."));
    }
    let op = inv.args.get(1).map(String::as_str);
    if let Some(nodes) = inv.attr(&["ksysnodes"]) {
        if op != Some("remove") {
            return Output::error(
                env,
                4,
                "Adding KSYS nodes is done by DR Automation's standby deployment; only remove is supported.",
            );
        }
        for hostname in nodes.split(',') {
            let Some(node) = cluster
                .nodes
                .iter()
                .find(|n| n.hostname == hostname)
                .cloned()
            else {
                return Output::error(
                    env,
                    2,
                    format!("Node {hostname} is not part of KSYS cluster {name}."),
                );
            };
            if node.vm_id == ctx.vm_id {
                return Output::error(
                    env,
                    1,
                    format!("Cannot remove node {hostname}: it is the node this command runs on."),
                );
            }
            if cluster.nodes.len() <= 1 {
                return Output::error(
                    env,
                    1,
                    format!("Cannot remove node {hostname}: it is the last node of the cluster."),
                );
            }
            cluster.nodes.retain(|n| n.vm_id != node.vm_id);
            cluster.removed_vm_ids.push(node.vm_id.clone());
            store(world, CLUSTERS, &ctx.cluster_id, &cluster);
            if node.role == "standby" {
                let left = WorldEvent::StandbyLeftCluster {
                    cluster: &ctx.cluster_id,
                };
                services::notify(world, &left, env.now_ms);
            }
        }
    } else if op == Some("remove") || op == Some("add") {
        return Output::error(env, 3, "Attribute ksysnodes is required.");
    }
    Output::ok(
        env,
        vec![format!("KSYS cluster {name} was modified successfully")],
    )
}

/// Move order of priorities (High first).
pub fn priority_rank(priority: &str) -> usize {
    match priority {
        "High" => 0,
        "Medium" => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_order_high_first() {
        let mut p = vec!["Low", "High", "Medium"];
        p.sort_by_key(|p| priority_rank(p));
        assert_eq!(p, vec!["High", "Medium", "Low"]);
    }
}
