//! KSYS, the DR orchestrator's own software, as the emulated orchestrator LPARs run it.
//!
//! IBM publishes no REST API for what only the orchestrator does (managing VMs, workgroup
//! priorities, discovery, site moves, DR tests and their cleanup); its documented management
//! interface is the `ksysmgr` command run as root on the orchestrator LPAR
//! (`reference/ksys-orchestrator.md`). The emulator reaches that interface over SSH
//! (`crate::ssh`); this service holds the state it manages and runs the commands.
//!
//! - **Clusters**: every DR deployment whose primary orchestrator is deployed is a KSYS
//!   cluster (`clusters`, id = the DR instance GUID). Its nodes are the primary VM and, once
//!   deployed, the standby VM: both answer with the same state, as KSYS nodes of one
//!   cluster do.
//! - **State** (service `ksys` of the World): `sites`, `workspaces` (KSYS's view of a
//!   PowerVS workspace: its default partner), `workgroups`, `vms` (managed source VMs, id =
//!   PowerVS instance id), `operations` (long commands with their output lines and timed
//!   effects), `crontabs` (root's crontab per cluster) and `jobs` (crontab entries running).
//!   Everything is persisted with the World like the other services.
//! - **Time**: a long command computes its output lines and its effects with deadlines up
//!   front ([`ops`]); [`advance`] applies the effects whose time has come, so a command
//!   keeps running when its SSH channel closes and the same state shows in PowerVS, DR
//!   Automation's published API, events, `/metrics` and the dashboard.
//! - **Effects on the rest of the world**: backup VMs (`<vm>_BackUp`) and rehearsal VMs
//!   (`<vm>_Rehearsal`) are real PowerVS instances created through PowerVS's create path;
//!   moves change PowerVS power states; DR Automation events record what KSYS did.

// Bottom to top: calendar, format and regions are plain helpers; host is what every command
// runs with; ksysmgr parses command lines and ops builds long operations; the commands
// (manage, moves, query, sites) build on those; dispatch and progress run the commands and
// their operations; exec is the host's shell, cron runs crontab entries through it.
pub mod calendar;
mod cron;
pub mod crontab;
mod dispatch;
pub mod exec;
mod format;
pub mod host;
mod ksysmgr;
mod manage;
mod moves;
pub mod ops;
mod progress;
mod query;
pub mod regions;
mod sites;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::World;

pub const SERVICE: &str = "ksys";
pub const CLUSTERS: &str = "clusters";
pub const SITES: &str = "sites";
pub const WORKSPACES: &str = "workspaces";
pub const WORKGROUPS: &str = "workgroups";
pub const VMS: &str = "vms";
pub const OPERATIONS: &str = "operations";
pub const CRONTABS: &str = "crontabs";
pub const JOBS: &str = "jobs";

const POWER: &str = "power";
const PVM_INSTANCES: &str = "pvm_instances";
const POWER_WORKSPACES: &str = "workspaces";
const POWER_NETWORKS: &str = "networks";

/// KSYS fileset level the emulated orchestrators run.
pub const KSYS_VERSION: &str = "1.9.0.2";

/// One node of a KSYS cluster: an orchestrator LPAR.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Node {
    pub hostname: String,
    pub vm_id: String,
    /// KSYS node number (1 primary, 2 standby).
    pub number: u32,
    /// `primary` or `standby`.
    pub role: String,
}

/// A KSYS cluster: one per DR deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cluster {
    /// The DR Automation instance GUID.
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub state: String,
    pub nodes: Vec<Node>,
    /// Nodes removed with `modify ksyscluster ... remove`: never added back.
    #[serde(rename = "_removed_vm_ids", default)]
    pub removed_vm_ids: Vec<String>,
}

/// A KSYS site: the PowerVS workspaces of one IBM Cloud region.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Site {
    pub id: String,
    pub cluster_id: String,
    pub name: String,
    pub region: String,
}

/// KSYS's view of a PowerVS workspace of a site.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KsysWorkspace {
    pub id: String,
    pub cluster_id: String,
    pub workspace_id: String,
    pub name: String,
    /// The workspace a VM of this one is backed up to by default (`Default_Partner`).
    pub default_partner: Option<String>,
}

/// A KSYS workgroup: the unit that is discovered, moved and tested.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Workgroup {
    pub id: String,
    pub cluster_id: String,
    pub name: String,
    /// Source VM ids in the order they joined.
    pub vms: Vec<String>,
    pub state: String,
    pub dr_test_state: String,
    pub priority: String,
    pub skip_auto_resync: String,
    pub home_workspace: String,
    pub backup_workspace: String,
    pub active_workspace: String,
    pub home_site: String,
    pub backup_site: String,
    pub active_site: String,
    pub cg_name: Option<String>,
    pub discovered: bool,
    /// The site a DR test's rehearsal runs at, while one exists.
    pub rehearsal_site: Option<String>,
    /// The running operations that hold the workgroup.
    #[serde(rename = "_operations", default)]
    pub operations: Vec<String>,
}

/// A VM managed by KSYS (the source VM), keyed by its PowerVS instance id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedVm {
    pub uuid: String,
    pub cluster_id: String,
    pub name: String,
    pub workgroup_id: String,
    pub state: String,
    pub dr_test_state: String,
    pub home_workspace: String,
    pub target_workspace: String,
    pub backup_vm_id: Option<String>,
    pub rehearsal_vm_id: Option<String>,
    /// Whether the backup VM runs the workload (after a move to the backup site).
    pub active_on_backup: bool,
    pub managed_at: String,
}

// ---------------------------------------------------------------------------------------
// Typed access to the World

pub(crate) fn load<T: DeserializeOwned>(world: &World, collection: &str, id: &str) -> Option<T> {
    let value = world.get(SERVICE, collection, id)?;
    match serde_json::from_value(value.clone()) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(collection, id, error = %e, "unreadable KSYS object ignored");
            None
        }
    }
}

pub(crate) fn store<T: Serialize>(world: &mut World, collection: &str, id: &str, object: &T) {
    match serde_json::to_value(object) {
        Ok(mut value) => {
            // Keep internal keys a test merged in that the struct does not model.
            if let Some(old) = world.get(SERVICE, collection, id)
                && let (Some(new), Some(old)) = (value.as_object_mut(), old.as_object())
            {
                for (k, v) in old {
                    if k.starts_with('_') && !new.contains_key(k) {
                        new.insert(k.clone(), v.clone());
                    }
                }
            }
            world.insert(SERVICE, collection, id, value);
        }
        Err(e) => tracing::error!(collection, id, error = %e, "KSYS object not stored"),
    }
}

/// Every object of a collection that belongs to the cluster, in creation order.
pub(crate) fn of_cluster<T: DeserializeOwned>(
    world: &World,
    collection: &str,
    cluster_id: &str,
) -> Vec<T> {
    world
        .list(SERVICE, collection)
        .filter(|o| o["cluster_id"].as_str() == Some(cluster_id))
        .filter_map(|o| serde_json::from_value(o.clone()).ok())
        .collect()
}

pub(crate) fn site_id(cluster_id: &str, name: &str) -> String {
    format!("{cluster_id}/{name}")
}

pub(crate) fn workspace_key(cluster_id: &str, workspace_guid: &str) -> String {
    format!("{cluster_id}/{workspace_guid}")
}

pub(crate) fn workgroup_by_name(world: &World, cluster_id: &str, name: &str) -> Option<Workgroup> {
    world
        .find(SERVICE, WORKGROUPS, |w| {
            w["cluster_id"].as_str() == Some(cluster_id) && w["name"].as_str() == Some(name)
        })
        .and_then(|w| serde_json::from_value(w.clone()).ok())
}

/// The first running operation on the workgroup whose kind is not in `compatible`:
/// `(id, kind)`. ASSUMPTION (IBM documents no rule): manage, unmanage and discover may
/// overlap on one workgroup; moves, DR tests and cleanups need it to themselves.
pub(crate) fn blocking_operation(
    world: &World,
    wg: &Workgroup,
    compatible: &[&str],
) -> Option<(String, String)> {
    wg.operations.iter().find_map(|id| {
        let op = world.get(SERVICE, OPERATIONS, id)?;
        let kind = op["kind"].as_str().unwrap_or("operation");
        (op["status"].as_str() == Some("running") && !compatible.contains(&kind))
            .then(|| (id.clone(), kind.to_owned()))
    })
}

pub(crate) fn managed_vm(world: &World, cluster_id: &str, uuid: &str) -> Option<ManagedVm> {
    load::<ManagedVm>(world, VMS, uuid).filter(|v| v.cluster_id == cluster_id)
}

// ---------------------------------------------------------------------------------------
// PowerVS facts KSYS reads

pub(crate) fn pvm<'a>(world: &'a World, id: &str) -> Option<&'a Value> {
    world.get(POWER, PVM_INSTANCES, id)
}

pub(crate) fn power_workspace<'a>(world: &'a World, guid: &str) -> Option<&'a Value> {
    world.get(POWER, POWER_WORKSPACES, guid)
}

pub(crate) fn workspace_name(world: &World, guid: &str) -> String {
    power_workspace(world, guid)
        .and_then(|w| w["name"].as_str())
        .unwrap_or(guid)
        .to_owned()
}

pub(crate) fn workspace_zone(world: &World, guid: &str) -> String {
    power_workspace(world, guid)
        .and_then(|w| w["_zone"].as_str().or(w["location"]["region"].as_str()))
        .unwrap_or_default()
        .to_owned()
}

/// The names of a VM's networks, in NIC order.
pub(crate) fn network_names(world: &World, vm: &Value) -> Vec<String> {
    vm["networks"]
        .as_array()
        .map(|nics| {
            nics.iter()
                .map(|n| {
                    n["networkName"]
                        .as_str()
                        .map(str::to_owned)
                        .or_else(|| {
                            world
                                .get(
                                    POWER,
                                    POWER_NETWORKS,
                                    n["networkID"].as_str().unwrap_or_default(),
                                )
                                .and_then(|net| net["name"].as_str().map(str::to_owned))
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn ip_addresses(vm: &Value) -> Vec<String> {
    vm["networks"]
        .as_array()
        .map(|nics| {
            nics.iter()
                .filter_map(|n| n["ipAddress"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Clusters and hosts

/// A KSYS host that accepts SSH: an orchestrator VM that is a node of a cluster and is not
/// stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    pub cluster_id: String,
    pub vm_id: String,
    pub hostname: String,
    /// `primary` or `standby`.
    pub role: String,
    /// Private IP of the VM's first network.
    pub address: String,
}

/// Every KSYS host that is up, in cluster order.
pub fn hosts(world: &World) -> Vec<Host> {
    let mut out = Vec::new();
    for value in world.list(SERVICE, CLUSTERS) {
        let Ok(cluster) = serde_json::from_value::<Cluster>(value.clone()) else {
            continue;
        };
        for node in &cluster.nodes {
            let Some(vm) = pvm(world, &node.vm_id) else {
                continue;
            };
            // DR Automation reports the node deployed before PowerVS may show the build as
            // finished; only a stopped, failed or deleted VM is unreachable.
            if matches!(vm["status"].as_str(), Some("SHUTOFF" | "ERROR"))
                || vm["taskState"] == "deleting"
            {
                continue;
            }
            let Some(address) = ip_addresses(vm).into_iter().next() else {
                continue;
            };
            out.push(Host {
                cluster_id: cluster.id.clone(),
                vm_id: node.vm_id.clone(),
                hostname: node.hostname.clone(),
                role: node.role.clone(),
                address,
            });
        }
    }
    out
}

/// The host with this private IP, if it is up.
pub fn host_at(world: &World, address: &str) -> Option<Host> {
    hosts(world).into_iter().find(|h| h.address == address)
}

/// A node a deployment wants in its cluster: (VM id, role, hostname).
type WantedNode = (String, &'static str, String);

/// What each deployment contributes to its cluster: (instance GUID, wanted nodes).
fn wanted_nodes(world: &World) -> Vec<(String, Vec<WantedNode>)> {
    let Some(deployments) = world.collection("dra", "deployments") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (guid, d) in deployments {
        let p = &d["progress"];
        let primary_ready =
            p["_primary_step"].as_u64().unwrap_or(0) >= 5 || p["status"].as_str() == Some("Active");
        let Some(primary_vm) = d["_primary_vm_id"].as_str().filter(|_| primary_ready) else {
            continue;
        };
        let name = |key: &str, fallback: &str| d[key].as_str().unwrap_or(fallback).to_owned();
        let mut nodes = vec![(
            primary_vm.to_owned(),
            "primary",
            name("_primary_vm_name", primary_vm),
        )];
        let standby_ready = d["orchestrator_ha"].as_bool() == Some(true)
            && (p["_standby_step"].as_u64().unwrap_or(0) >= 4
                || p["standby_status"].as_str() == Some("Active"));
        if let Some(standby_vm) = d["_standby_vm_id"].as_str().filter(|_| standby_ready) {
            nodes.push((
                standby_vm.to_owned(),
                "standby",
                name("_standby_vm_name", standby_vm),
            ));
        }
        out.push((guid.clone(), nodes));
    }
    out
}

/// Creates the cluster of a deployment whose primary orchestrator is deployed, and lets the
/// standby join once its deployment has finished.
fn sync_clusters(world: &mut World) {
    for (guid, wanted) in wanted_nodes(world) {
        let up_to_date = world.get(SERVICE, CLUSTERS, &guid).is_some_and(|c| {
            let known = |key: &str, vm_id: &str| {
                c[key].as_array().is_some_and(|items| {
                    items
                        .iter()
                        .any(|i| i.as_str() == Some(vm_id) || i["vm_id"].as_str() == Some(vm_id))
                })
            };
            wanted
                .iter()
                .all(|(vm_id, _, _)| known("nodes", vm_id) || known("_removed_vm_ids", vm_id))
        });
        if up_to_date {
            continue;
        }
        let mut cluster = load::<Cluster>(world, CLUSTERS, &guid).unwrap_or_else(|| Cluster {
            id: guid.clone(),
            name: world
                .get("rc", "resource_instances", &guid)
                .and_then(|i| i["name"].as_str())
                .unwrap_or(&guid)
                .to_owned(),
            kind: "IBM_PVS_DR".into(),
            state: "Online".into(),
            nodes: Vec::new(),
            removed_vm_ids: Vec::new(),
        });
        for (vm_id, role, hostname) in wanted {
            if cluster.removed_vm_ids.contains(&vm_id)
                || cluster.nodes.iter().any(|n| n.vm_id == vm_id)
            {
                continue;
            }
            // A redeployed standby replaces the old one.
            cluster.nodes.retain(|n| n.role != role);
            cluster.nodes.push(Node {
                hostname,
                vm_id,
                number: if role == "primary" { 1 } else { 2 },
                role: role.into(),
            });
        }
        cluster.nodes.sort_by_key(|n| n.number);
        store(world, CLUSTERS, &guid, &cluster);
    }
}

/// Applies everything due at `now_ms`: new clusters, operation effects, crontab entries.
pub fn advance(world: &mut World, now_ms: u64) {
    sync_clusters(world);
    progress::advance(world, now_ms);
    cron::advance(world, now_ms);
}

/// The default scenario has no orchestrator: KSYS state starts empty.
pub fn seed(_world: &mut World) {}

/// A DR instance was deleted: its cluster and everything KSYS kept for it go. Backup and
/// rehearsal VMs stay in PowerVS (deleting the DR service does not delete workloads).
pub fn on_instance_deleted(world: &mut World, guid: &str) {
    world.remove(SERVICE, CLUSTERS, guid);
    for collection in [SITES, WORKSPACES, WORKGROUPS, VMS, OPERATIONS, JOBS] {
        for id in world.ids_where(SERVICE, collection, |o| {
            o["cluster_id"].as_str() == Some(guid)
        }) {
            world.remove(SERVICE, collection, &id);
        }
    }
    world.remove(SERVICE, CRONTABS, guid);
}

/// The managed source VMs of a cluster, for DR Automation's published `dr_managed_vms`.
pub fn managed_vms(world: &World, cluster_id: &str) -> Vec<ManagedVm> {
    of_cluster(world, VMS, cluster_id)
}

/// The workgroup a managed VM belongs to.
pub fn workgroup_of(world: &World, vm: &ManagedVm) -> Option<Workgroup> {
    load(world, WORKGROUPS, &vm.workgroup_id)
}

/// The workgroups of a cluster.
pub fn workgroups(world: &World, cluster_id: &str) -> Vec<Workgroup> {
    of_cluster(world, WORKGROUPS, cluster_id)
}
