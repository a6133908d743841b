//! `ksysmgr query vm|workgroup|ksyscluster|version|system|disk_group`, in the layout of IBM's
//! KSYS documentation (the fields the provider parses: `docs/guides/orchestrator-access.md`).
//!
//! Everything is read live from the World: KSYS's records plus the PowerVS instances they
//! name, so power states, sizes and addresses always match what PowerVS shows. Lookups are
//! by id (hash maps), so listing 1,000 managed VMs stays linear.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::format::{self, Block};
use super::host::{Ctx, Env, Output};
use super::ksysmgr::Invocation;
use super::sites::{region_workspaces, sites};
use super::{
    CLUSTERS, Cluster, KSYS_VERSION, ManagedVm, VMS, WORKGROUPS, Workgroup, ip_addresses, load,
    network_names, of_cluster, pvm, workgroup_by_name, workspace_name,
};
use crate::store::World;

/// PowerVS status as KSYS reports it.
fn status(vm: &Value) -> &'static str {
    match vm["status"].as_str() {
        Some("ACTIVE" | "RESIZE" | "VERIFY_RESIZE") => "ACTIVE",
        _ => "SHUTOFF",
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The facts every VM block shows, from the PowerVS instance.
fn sizes(block: Block, world: &World, vm: &Value, with_mode: bool) -> Block {
    let mut block = block
        .field("IPAddresses", ip_addresses(vm).join(", "))
        .field(
            "memory_capacity",
            format::number(vm["memory"].as_f64().unwrap_or(0.0)),
        )
        .field(
            "Processors",
            format::number(vm["processors"].as_f64().unwrap_or(0.0)),
        );
    if with_mode {
        block = block.field("ProcessorMode", vm["procType"].as_str().unwrap_or("shared"));
    }
    block
        .field(
            "WorkSpace",
            workspace_name(world, vm["_workspace"].as_str().unwrap_or_default()),
        )
        .field("Networks", network_names(world, vm).join(", "))
        .field("SystemType", vm["sysType"].as_str().unwrap_or_default())
}

fn rehearsal_name(vm: &ManagedVm) -> String {
    format!("{}_Rehearsal", vm.name)
}

fn source_block(world: &World, vm: &ManagedVm, source: &Value) -> Block {
    let backup = vm.backup_vm_id.as_deref().and_then(|b| pvm(world, b));
    let mut block = Block::new()
        .field("Name", source["serverName"].as_str().unwrap_or(&vm.name))
        .field("UUID", vm.uuid.clone())
        .field("State", vm.state.clone())
        .field("Dr Test State", vm.dr_test_state.clone())
        .field("Status", status(source))
        .field(
            "Partner",
            backup
                .and_then(|b| b["serverName"].as_str())
                .unwrap_or("no"),
        )
        .field("ActiveVM", yes_no(!vm.active_on_backup));
    block = sizes(block, world, source, true);
    if vm.rehearsal_vm_id.is_some() {
        block = block.field("CloneVM", rehearsal_name(vm));
    }
    block
}

fn backup_block(world: &World, vm: &ManagedVm, backup: &Value) -> Block {
    let testing = vm.rehearsal_vm_id.is_some();
    let mut block = Block::new()
        .field("Name", backup["serverName"].as_str().unwrap_or_default())
        .field("UUID", backup["pvmInstanceID"].as_str().unwrap_or_default())
        .field("State", "DISCOVERED")
        .field("Dr Test State", if testing { "SHUTOFF" } else { "INIT" })
        .field("Status", status(backup))
        .field("Partner", vm.name.clone())
        .field("ActiveVM", yes_no(vm.active_on_backup));
    block = sizes(block, world, backup, false);
    if testing {
        block = block.field("CloneVM", rehearsal_name(vm));
    }
    block
}

fn rehearsal_block(world: &World, vm: &ManagedVm, rehearsal: &Value) -> Block {
    let block = Block::new()
        .field("Name", rehearsal["serverName"].as_str().unwrap_or_default())
        .field(
            "UUID",
            rehearsal["pvmInstanceID"].as_str().unwrap_or_default(),
        )
        .field("State", "INIT")
        .field("Dr Test State", "ACTIVE")
        .field("SourceVM", vm.name.clone())
        .field("ActiveVM", "no");
    sizes(block, world, rehearsal, false)
}

fn unmanaged_block(world: &World, vm: &Value) -> Block {
    let block = Block::new()
        .field("Name", vm["serverName"].as_str().unwrap_or_default())
        .field("UUID", vm["pvmInstanceID"].as_str().unwrap_or_default())
        .field("State", "UNMANAGED")
        .field("Status", status(vm));
    sizes(block, world, vm, true)
}

/// One VM KSYS can show, with the names and ids it answers to.
struct Entry {
    keys: [String; 2],
    block: Block,
    managed: bool,
}

fn entries(world: &World, ctx: &Ctx) -> Vec<Entry> {
    let managed: Vec<ManagedVm> = of_cluster(world, VMS, &ctx.cluster_id);
    let mut out = Vec::with_capacity(managed.len() * 2);
    let mut copies: HashSet<String> = HashSet::new();
    for vm in &managed {
        copies.insert(vm.uuid.clone());
        let Some(source) = pvm(world, &vm.uuid) else {
            continue;
        };
        out.push(Entry {
            keys: [vm.name.clone(), vm.uuid.clone()],
            block: source_block(world, vm, source),
            managed: true,
        });
        for (id, builder) in [
            (
                &vm.backup_vm_id,
                backup_block as fn(&World, &ManagedVm, &Value) -> Block,
            ),
            (&vm.rehearsal_vm_id, rehearsal_block),
        ] {
            if let Some(id) = id {
                copies.insert(id.clone());
                if let Some(copy) = pvm(world, id) {
                    out.push(Entry {
                        keys: [
                            copy["serverName"].as_str().unwrap_or_default().to_owned(),
                            id.clone(),
                        ],
                        block: builder(world, vm, copy),
                        managed: true,
                    });
                }
            }
        }
    }
    // Copies and nodes of any cluster are never listed as unmanaged VMs.
    for v in world.list(super::SERVICE, VMS) {
        for key in ["uuid", "backup_vm_id", "rehearsal_vm_id"] {
            if let Some(id) = v[key].as_str() {
                copies.insert(id.to_owned());
            }
        }
    }
    for c in world.list(super::SERVICE, CLUSTERS) {
        for n in c["nodes"].as_array().into_iter().flatten() {
            if let Some(id) = n["vm_id"].as_str() {
                copies.insert(id.to_owned());
            }
        }
    }
    let site_workspaces: HashSet<String> = sites(world, &ctx.cluster_id)
        .iter()
        .flat_map(|s| region_workspaces(world, &s.region))
        .map(|w| w.guid)
        .collect();
    for vm in world.list("power", "pvm_instances") {
        let id = vm["pvmInstanceID"].as_str().unwrap_or_default();
        if copies.contains(id)
            || !site_workspaces.contains(vm["_workspace"].as_str().unwrap_or_default())
        {
            continue;
        }
        out.push(Entry {
            keys: [
                vm["serverName"].as_str().unwrap_or_default().to_owned(),
                id.to_owned(),
            ],
            block: unmanaged_block(world, vm),
            managed: false,
        });
    }
    out
}

/// `ksysmgr query vm [name|uuid ...] [state=manage|unmanage]`.
pub fn query_vm(world: &World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    if let Some(bad) = inv.unknown_attr(&["name", "state", "monitor"]) {
        return Output::error(env, 4, format!("Unknown attribute {bad} for query vm."));
    }
    let filter = match inv.attr(&["state"]) {
        None => None,
        Some("manage") => Some(true),
        Some("unmanage") => Some(false),
        Some(other) => {
            return Output::error(
                env,
                4,
                format!(
                    "Invalid value {other} for attribute state. Valid values: manage, unmanage."
                ),
            );
        }
    };
    let mut names: Vec<&str> = inv
        .args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "status")
        .collect();
    if let Some(n) = inv.attr(&["name"]) {
        names.push(n);
    }
    let all = entries(world, ctx);
    let mut errors = Vec::new();
    let chosen: Vec<Block> = if names.is_empty() {
        all.into_iter()
            .filter(|e| filter.is_none_or(|m| e.managed == m))
            .map(|e| e.block)
            .collect()
    } else {
        let by_key: HashMap<&str, usize> = all
            .iter()
            .enumerate()
            .flat_map(|(i, e)| e.keys.iter().map(move |k| (k.as_str(), i)))
            .collect();
        let mut picked = Vec::new();
        for name in names {
            match by_key.get(name) {
                Some(i) if filter.is_none_or(|m| all[*i].managed == m) => {
                    picked.push(all[*i].block.clone());
                }
                _ => errors.push(format!("ERROR: VM {name} not found.")),
            }
        }
        picked
    };
    let code = if errors.is_empty() { 0 } else { 2 };
    Output::now(
        env,
        format::blocks(&chosen, inv.only.as_deref()),
        errors,
        code,
    )
}

/// A workgroup's home, backup and active workspaces, by name, as the workgroup and
/// consistency-group queries list them.
fn workspace_fields(world: &World, wg: &Workgroup) -> [(&'static str, String); 3] {
    [
        ("HomeWorkSpace", workspace_name(world, &wg.home_workspace)),
        (
            "BackupWorkSpace",
            workspace_name(world, &wg.backup_workspace),
        ),
        (
            "ActiveWorkspace",
            workspace_name(world, &wg.active_workspace),
        ),
    ]
}

/// `source <-> target` network pairs of a discovered workgroup.
fn network_pairs(world: &World, wg: &Workgroup) -> Vec<String> {
    let mut pairs: Vec<String> = Vec::new();
    for id in &wg.vms {
        let Some(vm) = load::<ManagedVm>(world, VMS, id) else {
            continue;
        };
        let (Some(source), Some(backup)) = (
            pvm(world, &vm.uuid),
            vm.backup_vm_id.as_deref().and_then(|b| pvm(world, b)),
        ) else {
            continue;
        };
        for (a, b) in network_names(world, source)
            .into_iter()
            .zip(network_names(world, backup))
        {
            let pair = format!("{a} <-> {b}");
            if !pairs.contains(&pair) {
                pairs.push(pair);
            }
        }
    }
    pairs
}

fn workgroup_block(world: &World, wg: &Workgroup) -> Block {
    let vms: Vec<ManagedVm> = wg
        .vms
        .iter()
        .filter_map(|id| load::<ManagedVm>(world, VMS, id))
        .collect();
    let partners: Vec<String> = vms
        .iter()
        .filter(|v| v.backup_vm_id.is_some())
        .map(|v| format!("{}_BackUp", v.name))
        .collect();
    let mut block = Block::new()
        .field("Name", wg.name.clone())
        .field("ID", wg.id.clone())
        .field(
            "VMs",
            vms.iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )
        .field("PartnerVM", partners.join(", "))
        .field("State", wg.state.clone())
        .field("Dr Test State", wg.dr_test_state.clone())
        .field("Priority", wg.priority.clone())
        .field("SkipAutoResync", wg.skip_auto_resync.clone())
        .fields(workspace_fields(world, wg))
        .field("Home Site", wg.home_site.clone())
        .field("Active Site", wg.active_site.clone())
        .field("Networks", network_pairs(world, wg).join(", "));
    if let Some(cg) = &wg.cg_name {
        block = block.field("CGName", cg.clone());
    }
    block
}

/// `ksysmgr query workgroup [name]`.
pub fn query_workgroup(world: &World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    let chosen: Vec<Workgroup> = match inv.name().filter(|n| *n != "status") {
        Some(name) => match workgroup_by_name(world, &ctx.cluster_id, name) {
            Some(wg) => vec![wg],
            None => return Output::error(env, 2, format!("Workgroup {name} not found.")),
        },
        None => of_cluster(world, WORKGROUPS, &ctx.cluster_id),
    };
    let blocks: Vec<Block> = chosen.iter().map(|w| workgroup_block(world, w)).collect();
    Output::ok(env, format::blocks(&blocks, inv.only.as_deref()))
}

/// `ksysmgr query ksyscluster`.
pub fn query_cluster(world: &World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    let Some(cluster) = load::<Cluster>(world, CLUSTERS, &ctx.cluster_id) else {
        return Output::error(env, 1, "This node is not part of a KSYS cluster.");
    };
    if let Some(name) = inv.name()
        && name != cluster.name
    {
        return Output::error(env, 2, format!("KSYS cluster {name} not found."));
    }
    let nodes: Vec<String> = cluster
        .nodes
        .iter()
        .map(|n| format!("{}:{}:Online", n.hostname, n.number))
        .collect();
    let block = Block::new()
        .field("Name", cluster.name.clone())
        .field("State", cluster.state.clone())
        .field("Type", cluster.kind.clone())
        .field("Ksysnodes", nodes.join(", "))
        .field("KsysState", nodes.join(", "));
    Output::ok(env, block.lines(21, inv.only.as_deref()))
}

/// `ksysmgr query version`.
pub fn query_version(env: Env) -> Output {
    Output::ok(
        env,
        vec![
            format!("Ksysmgr version: {KSYS_VERSION}"),
            format!("Ksys version: {KSYS_VERSION}"),
        ],
    )
}

/// `ksysmgr query system [properties]`: IBM's documented defaults at width 29.
pub fn query_system(inv: &Invocation, env: Env) -> Output {
    if inv.args.first().is_some_and(|a| a == "status") {
        return Output::ok(env, vec!["KSYS is running fine".into()]);
    }
    let block = Block::new()
        .field("BaseUrl", "https://power-dra.cloud.ibm.com")
        .field("Region", "")
        .field("api_key", "#####")
        .field("staticipenable", "no")
        .field("cloud_init_execution", "not set")
        .field("trace_file_size", "not set")
        .field("ksys_spooling", "not set")
        .field("spool_dest_dir", "not set")
        .field("spool_dir_max_size", "not set")
        .field("quick_discovery_interval", "60 minutes")
        .field("quick_discovery", "enable")
        .field("deep_discovery", "enable")
        .field("cleanup_files_interval", "7 days")
        .field("ksys_lang", "en_US")
        .field("auto_discovery_time", "00:00 hours")
        .field("custom_script_timeout", "none")
        .field("notification_level", "low")
        .field("dup_event_processing", "yes");
    let mut lines = vec!["System-Wide Persistent Attributes".to_owned()];
    lines.extend(block.lines(29, inv.only.as_deref()));
    lines.push("User Scripts for Site: None".into());
    lines.push("User Scripts for Workgroup: None".into());
    lines.push("User Scripts for VM: None".into());
    Output::ok(env, lines)
}

/// `ksysmgr query disk_group [wg=<name>]`: the consistency group of each discovered
/// workgroup (replication always shows as consistent: the emulator copies nothing).
pub fn query_disk_group(world: &World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    let wanted = inv.attr(&["wg", "workgroup"]).or(inv.name());
    let groups: Vec<Workgroup> = of_cluster::<Workgroup>(world, WORKGROUPS, &ctx.cluster_id)
        .into_iter()
        .filter(|w| wanted.is_none_or(|n| n == w.name))
        .collect();
    if let Some(n) = wanted
        && groups.is_empty()
    {
        return Output::error(env, 2, format!("Workgroup {n} not found."));
    }
    let blocks: Vec<Block> = groups
        .iter()
        .filter_map(|w| {
            let cg = w.cg_name.clone()?;
            Some(
                Block::new()
                    .field("WGName", w.name.clone())
                    .field("CGName", cg.clone())
                    .field("CGState", "consistent_copying")
                    .field("Progress", "100.0")
                    .fields(workspace_fields(world, w))
                    .field("Active Site", w.active_site.clone())
                    .field("VolumeDiskGroup", format!("{}_VG <-> {cg}", w.name)),
            )
        })
        .collect();
    Output::ok(env, format::blocks(&blocks, inv.only.as_deref()))
}
