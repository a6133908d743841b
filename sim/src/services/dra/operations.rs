//! DR operations of the project's orchestrator API: failover, failback and DR test
//! (`/dra/orchestrator/v1/{instance_id}/operations`, `.../site`).
//!
//! IBM runs these from the orchestrator's own UI and publishes no API for them, so the
//! project defines one (DESIGN §3) and the emulator models it over time so that the
//! provider's actions can stream real progress:
//!
//! - VMs recover by priority tier (high, medium, low); inside a tier each workgroup moves
//!   together (its VMs share every phase time), different workgroups of a tier in parallel.
//!   A tier starts when the previous one has finished.
//! - **Failover**: the primary VM is shut down (`SHUTOFF`: it stays registered, so the
//!   `dr_managed_vm` resources keep their id), the last changes replicate (the simulated
//!   replication lag adds to this phase), and a recovered copy with the same name is built
//!   in the standby workspace as a real PowerVS VM (`BUILD` then `ACTIVE`), on the network
//!   of the same name there (else the first private one), with a new address.
//! - **Failback** reverses it: the DR copy is shut down, the primary VM comes back
//!   `ACTIVE`, and once every VM is back the DR copies are deleted.
//! - **Test** never touches production: it creates an isolated, unadvertised network in the
//!   DR workspace, boots `<name>-drtest` copies there, verifies them, records the measured
//!   recovery time per VM (seconds from the start of the run, as an RTO), then removes the
//!   copies and the network.
//! - All deadlines are computed when the operation starts (`advance` does not see the time
//!   scale); `recovery_seconds` is real-cloud time, not scaled.
//! - **Cancel** and **failure** roll back at once, so the state is always consistent: the VMs
//!   run on the site they started on and no copy is left behind. A failure is injected by
//!   `_fail_vm` (VM name or id; `_fail_message` optional) on the deployment
//!   (`PATCH /_sim/objects/dra/deployments/<guid>`) or on a running operation
//!   (`.../dra/operations/<op id>`): the VM fails when it would boot, and the operation
//!   fails with a message naming it.
//! - `active_site` turns `dr` when a failover succeeds and back to `primary` when no VM is
//!   left on the DR site. Every start, recovered VM, result and cancellation goes to the
//!   published events API.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    DEPLOYMENTS, DraError, DraResult, MANAGED_VMS, NETWORKS, OWNER, POWER, PVM_INSTANCES, SERVICE,
    WORKSPACES, authenticate, dr_instance, elapsed_text, guid_of, paired_zone, parse_body,
    record_event, schedules, workspace, workspace_zone,
};
use crate::sim::Sim;
use crate::store::{World, public_view};
use crate::token::Claims;
use crate::util;

pub(super) const OPERATIONS: &str = "operations";
pub(super) const SITES: &str = "sites";
/// Finished-operation counters for `/metrics`; they outlive deleted instances, as counters must.
pub(super) const OPERATION_TOTALS: &str = "operation_totals";
pub(super) const TOTALS_ID: &str = "all";
const MAX_OPERATIONS_PER_INSTANCE: usize = 100;

/// Real-cloud seconds of each phase (before `--time-scale`).
const SHUTDOWN_AND_SYNC_SECONDS: u64 = 30;
const FLASH_COPY_SECONDS: u64 = 20;
const VERIFY_SECONDS: u64 = 30;
const CLEANUP_SECONDS: u64 = 45;

/// The isolated network a DR test boots its copies on: unadvertised, so nothing routes to it.
const TEST_NETWORK_CIDR: &str = "192.168.200.0/24";
const TEST_NETWORK_GATEWAY: &str = "192.168.200.1";
const TEST_NETWORK_FIRST: u32 = 2;
const TEST_NETWORK_LAST: u32 = 254;
const TEST_COPY_SUFFIX: &str = "-drtest";

pub const PRIORITY_ORDER: [&str; 3] = ["high", "medium", "low"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum OpKind {
    Failover,
    Failback,
    Test,
}

impl OpKind {
    pub(super) const ALL: [OpKind; 3] = [OpKind::Failover, OpKind::Failback, OpKind::Test];

    pub(super) fn as_str(self) -> &'static str {
        match self {
            OpKind::Failover => "failover",
            OpKind::Failback => "failback",
            OpKind::Test => "test",
        }
    }

    fn parse(text: &str) -> Option<OpKind> {
        OpKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    fn title(self) -> &'static str {
        match self {
            OpKind::Failover => "DR failover",
            OpKind::Failback => "DR failback",
            OpKind::Test => "DR test",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum OpStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl OpStatus {
    pub(super) const FINISHED: [OpStatus; 3] =
        [OpStatus::Succeeded, OpStatus::Failed, OpStatus::Cancelled];

    pub(super) fn as_str(self) -> &'static str {
        match self {
            OpStatus::Running => "running",
            OpStatus::Succeeded => "succeeded",
            OpStatus::Failed => "failed",
            OpStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum VmStatus {
    Pending,
    Recovering,
    Booting,
    Verified,
    Recovered,
    Cleaning,
    Done,
    Failed,
}

impl VmStatus {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            VmStatus::Pending => "pending",
            VmStatus::Recovering => "recovering",
            VmStatus::Booting => "booting",
            VmStatus::Verified => "verified",
            VmStatus::Recovered => "recovered",
            VmStatus::Cleaning => "cleaning",
            VmStatus::Done => "done",
            VmStatus::Failed => "failed",
        }
    }
}

/// One timed step of a VM; `recovery_seconds` is set on the step that ends its recovery.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Phase {
    status: VmStatus,
    at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recovery_seconds: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct OpVm {
    pub pvm_instance_id: String,
    pub vm_name: String,
    pub priority: String,
    pub workgroup_name: String,
    pub status: VmStatus,
    pub message: String,
    pub recovery_seconds: Option<u64>,
    pub replication_lag_seconds: u64,
    #[serde(rename = "_phases", default)]
    phases: Vec<Phase>,
    /// How many phases have been applied.
    #[serde(rename = "_applied", default)]
    applied: usize,
    /// The VM the operation starts from: the primary (failover, test) or the DR copy
    /// (failback).
    #[serde(rename = "_from_vm_id", default)]
    from_vm_id: Option<String>,
    /// The VM it brings up: the DR copy (failover, built at boot), the primary (failback) or
    /// the test copy (test, built at boot).
    #[serde(rename = "_to_vm_id", default)]
    to_vm_id: Option<String>,
    #[serde(rename = "_memory_gb", default)]
    memory_gb: f64,
    #[serde(rename = "_os_type", default)]
    os_type: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Operation {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: OpKind,
    pub status: OpStatus,
    pub instance_id: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub error: Option<String>,
    pub source_workspace_id: String,
    pub target_workspace_id: String,
    #[serde(default)]
    pub test_network_id: Option<String>,
    #[serde(default)]
    pub schedule_id: Option<String>,
    pub vms: Vec<OpVm>,
    #[serde(rename = "_started_ms")]
    pub started_ms: u64,
    #[serde(rename = "_finished_ms", default)]
    pub finished_ms: Option<u64>,
    /// The `--time-scale` the deadlines were computed with, to report real-cloud durations.
    #[serde(rename = "_time_scale", default = "unit_scale")]
    pub time_scale: f64,
    #[serde(rename = "_target_workspace_name", default)]
    target_workspace_name: String,
    #[serde(rename = "_source_workspace_name", default)]
    source_workspace_name: String,
    #[serde(rename = "_fail_vm", default, skip_serializing_if = "Option::is_none")]
    fail_vm: Option<String>,
    #[serde(
        rename = "_fail_message",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    fail_message: Option<String>,
}

fn unit_scale() -> f64 {
    1.0
}

/// Which site each managed VM runs on, per DR instance.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Site {
    pub instance_id: String,
    pub active_site: String,
    /// Primary VM id -> its recovered copy in the DR workspace, for VMs on the DR site.
    #[serde(rename = "_dr_copies", default)]
    pub dr_copies: BTreeMap<String, String>,
}

pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route(
            "/orchestrator/v1/{instance_id}/operations",
            get(list).post(create),
        )
        .route(
            "/orchestrator/v1/{instance_id}/operations/{operation_id}",
            get(show),
        )
        .route(
            "/orchestrator/v1/{instance_id}/operations/{operation_id}/cancel",
            post(cancel),
        )
        .route("/orchestrator/v1/{instance_id}/site", get(site))
}

// ---------------------------------------------------------------------------------------
// Storage

pub(super) fn load_operation(world: &World, id: &str) -> Option<Operation> {
    let value = world.get(SERVICE, OPERATIONS, id)?;
    match serde_json::from_value(value.clone()) {
        Ok(op) => Some(op),
        Err(e) => {
            tracing::warn!(operation = id, error = %e, "unreadable DR operation left as it is");
            None
        }
    }
}

fn store_operation(world: &mut World, op: &Operation) {
    match serde_json::to_value(op) {
        Ok(mut value) => {
            // Keep fault keys a test merged in that the struct does not model.
            if let Some(old) = world.get(SERVICE, OPERATIONS, &op.id)
                && let (Some(new), Some(old)) = (value.as_object_mut(), old.as_object())
            {
                for (k, v) in old {
                    if k.starts_with('_') && !new.contains_key(k) {
                        new.insert(k.clone(), v.clone());
                    }
                }
            }
            world.insert(SERVICE, OPERATIONS, &op.id, value);
        }
        Err(e) => tracing::error!(operation = %op.id, error = %e, "DR operation not stored"),
    }
}

/// The instance's operations in start order.
pub(super) fn operations_of(world: &World, guid: &str) -> Vec<Operation> {
    world
        .ids_where(SERVICE, OPERATIONS, |o| {
            o["instance_id"].as_str() == Some(guid)
        })
        .iter()
        .filter_map(|id| load_operation(world, id))
        .collect()
}

pub(super) fn load_site(world: &World, guid: &str) -> Site {
    world
        .get(SERVICE, SITES, guid)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_else(|| Site {
            instance_id: guid.to_owned(),
            active_site: "primary".into(),
            dr_copies: BTreeMap::new(),
        })
}

fn store_site(world: &mut World, site: &Site) {
    if let Ok(value) = serde_json::to_value(site) {
        world.insert(SERVICE, SITES, &site.instance_id, value);
    }
}

fn operation_view(op: &Operation) -> Value {
    serde_json::to_value(op)
        .map(|v| public_view(&v))
        .unwrap_or(Value::Null)
}

/// A stand-in for the real replication lag: stable for a minute, between 2 and 30 seconds,
/// different per VM.
pub(super) fn replication_lag_seconds(vm_id: &str, now_ms: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in vm_id.bytes().chain((now_ms / 60_000).to_be_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    2 + hash % 29
}

/// Seconds a VM of this OS and memory takes to boot from replicated volumes.
fn boot_seconds(os_type: &str, memory_gb: f64) -> u64 {
    let memory = memory_gb.max(0.0).ceil() as u64;
    match os_type {
        "ibmi" => 300 + 6 * memory,
        "rhel" => 90 + 4 * memory,
        _ => 180 + 6 * memory,
    }
}

fn priority_rank(priority: &str) -> usize {
    PRIORITY_ORDER
        .iter()
        .position(|p| *p == priority)
        .unwrap_or(1)
}

/// Deadline `real_seconds` after `start_ms` under `time_scale`.
fn scaled(start_ms: u64, real_seconds: u64, time_scale: f64) -> u64 {
    let ms = real_seconds as f64 * 1000.0 / time_scale;
    start_ms.saturating_add(ms.max(0.0).round() as u64)
}

/// Gives every VM its phases: tiers by priority one after the other, each workgroup of a
/// tier together, the tiers' groups in parallel; a test then cleans up all copies at once.
fn plan(kind: OpKind, vms: &mut [OpVm], start_ms: u64, time_scale: f64) {
    let mut groups: BTreeMap<(usize, String), Vec<usize>> = BTreeMap::new();
    for (i, vm) in vms.iter().enumerate() {
        groups
            .entry((priority_rank(&vm.priority), vm.workgroup_name.clone()))
            .or_default()
            .push(i);
    }
    let mut cursor = 0u64;
    for rank in 0..PRIORITY_ORDER.len() {
        let mut tier_end = cursor;
        for ((_, _), members) in groups.range((rank, String::new())..(rank + 1, String::new())) {
            let prepare = members
                .iter()
                .map(|i| match kind {
                    OpKind::Test => FLASH_COPY_SECONDS,
                    _ => SHUTDOWN_AND_SYNC_SECONDS + vms[*i].replication_lag_seconds,
                })
                .max()
                .unwrap_or(0);
            let boot = members
                .iter()
                .map(|i| boot_seconds(&vms[*i].os_type, vms[*i].memory_gb))
                .max()
                .unwrap_or(0);
            let booted = cursor + prepare;
            let up = booted
                + boot
                + if kind == OpKind::Test {
                    VERIFY_SECONDS
                } else {
                    0
                };
            let up_status = if kind == OpKind::Test {
                VmStatus::Verified
            } else {
                VmStatus::Recovered
            };
            for i in members {
                vms[*i].phases = vec![
                    Phase {
                        status: VmStatus::Recovering,
                        at: scaled(start_ms, cursor, time_scale),
                        recovery_seconds: None,
                    },
                    Phase {
                        status: VmStatus::Booting,
                        at: scaled(start_ms, booted, time_scale),
                        recovery_seconds: None,
                    },
                    Phase {
                        status: up_status,
                        at: scaled(start_ms, up, time_scale),
                        recovery_seconds: Some(up),
                    },
                ];
            }
            tier_end = tier_end.max(up);
        }
        cursor = tier_end;
    }
    if kind == OpKind::Test {
        for vm in vms.iter_mut() {
            vm.phases.push(Phase {
                status: VmStatus::Cleaning,
                at: scaled(start_ms, cursor, time_scale),
                recovery_seconds: None,
            });
            vm.phases.push(Phase {
                status: VmStatus::Done,
                at: scaled(start_ms, cursor + CLEANUP_SECONDS, time_scale),
                recovery_seconds: None,
            });
        }
    }
}

// ---------------------------------------------------------------------------------------
// PowerVS side effects

fn set_power_state(world: &mut World, vm_id: Option<&str>, status: &str, health: &str, at: u64) {
    let Some(vm) = vm_id.and_then(|id| world.get_mut(POWER, PVM_INSTANCES, id)) else {
        return;
    };
    vm["status"] = json!(status);
    vm["progress"] = json!(if status == "BUILD" { 0 } else { 100 });
    vm["health"] = json!({"status": health, "lastUpdate": util::rfc3339(at), "reason": ""});
    vm["updatedDate"] = json!(util::rfc3339(at));
}

fn remove_vm(world: &mut World, vm_id: Option<&str>) {
    if let Some(id) = vm_id {
        world.remove(POWER, PVM_INSTANCES, id);
    }
}

fn ipv4(text: &str) -> Option<u32> {
    text.parse::<std::net::Ipv4Addr>().ok().map(u32::from)
}

/// The first address of the network's ranges that no NIC uses.
fn free_address(world: &World, network: &Value, taken: &[String]) -> Option<String> {
    let network_id = network["networkID"].as_str().unwrap_or_default();
    let used: Vec<String> = world
        .list(POWER, PVM_INSTANCES)
        .flat_map(|vm| vm["networks"].as_array().cloned().unwrap_or_default())
        .filter(|nic| nic["networkID"].as_str() == Some(network_id))
        .filter_map(|nic| nic["ipAddress"].as_str().map(str::to_owned))
        .chain(taken.iter().cloned())
        .collect();
    for range in network["ipAddressRanges"].as_array()? {
        let start = ipv4(range["startingIPAddress"].as_str().unwrap_or_default())?;
        let end = ipv4(range["endingIPAddress"].as_str().unwrap_or_default())?;
        for a in start..=end {
            let candidate = std::net::Ipv4Addr::from(a).to_string();
            if !used.contains(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

/// Networks of the target workspace a copy of `source` attaches to: the one of the same
/// name as each source NIC's network, else the first private one.
fn mapped_networks(world: &World, source: &Value, target_ws: &str) -> Vec<Value> {
    let private: Vec<&Value> = world
        .list(POWER, NETWORKS)
        .filter(|n| {
            n[OWNER].as_str() == Some(target_ws)
                && n["type"].as_str() == Some("vlan")
                && n["_dr_operation"].is_null()
        })
        .collect();
    let mut out: Vec<Value> = Vec::new();
    for nic in source["networks"].as_array().cloned().unwrap_or_default() {
        let chosen = private
            .iter()
            .find(|n| n["name"] == nic["networkName"])
            .or(private.first());
        if let Some(n) = chosen
            && !out.iter().any(|o| o["networkID"] == n["networkID"])
        {
            out.push((*n).clone());
        }
    }
    if out.is_empty()
        && let Some(first) = private.first()
    {
        out.push((*first).clone());
    }
    out
}

/// Builds a PowerVS VM in `target_ws` shaped like `source`, in `BUILD`; returns its id and
/// first address.
fn build_copy(
    world: &mut World,
    source_id: &str,
    target_ws: &str,
    name: &str,
    networks: &[Value],
    op_id: &str,
    at: u64,
) -> Option<(String, String)> {
    let source = world.get(POWER, PVM_INSTANCES, source_id)?.clone();
    let ws_crn = world
        .get(POWER, WORKSPACES, target_ws)
        .and_then(|w| w["details"]["crn"].as_str())
        .unwrap_or_default()
        .to_owned();
    let id = world.new_id();
    let mut taken: Vec<String> = Vec::new();
    let mut nics = Vec::new();
    for (i, network) in networks.iter().enumerate() {
        let address = free_address(world, network, &taken)?;
        taken.push(address.clone());
        let network_id = network["networkID"].as_str().unwrap_or_default();
        nics.push(json!({
            "networkID": network_id,
            "networkName": network["name"],
            "ipAddress": address,
            "macAddress": format!("fa:16:3e:{:02x}:{:02x}:{:02x}", id.as_bytes()[0], id.as_bytes()[1], i),
            "externalIP": "",
            "type": "fixed",
            "version": 4,
            "href": format!("/pcloud/v1/cloud-instances/{target_ws}/networks/{network_id}"),
        }));
    }
    let mut vm = public_view(&source);
    vm["pvmInstanceID"] = json!(id);
    vm["serverName"] = json!(name);
    vm["networkIDs"] = json!(
        nics.iter()
            .map(|n| n["networkID"].clone())
            .collect::<Vec<_>>()
    );
    vm["networks"] = json!(nics);
    vm["addresses"] = json!(nics);
    vm["creationDate"] = json!(util::rfc3339(at));
    vm["crn"] = json!(format!(
        "{}:pvm-instance:{id}",
        ws_crn.strip_suffix("::").unwrap_or(&ws_crn)
    ));
    if let Some(obj) = vm.as_object_mut() {
        obj.remove("fault");
        obj.remove("taskState");
        obj.remove("href");
        obj.insert(OWNER.into(), json!(target_ws));
        obj.insert("_dr_operation".into(), json!(op_id));
        obj.insert("_dr_source_vm".into(), json!(source_id));
    }
    world.insert(POWER, PVM_INSTANCES, &id, vm);
    set_power_state(world, Some(&id), "BUILD", "PENDING", at);
    Some((id, taken.first().cloned().unwrap_or_default()))
}

/// The isolated network of a DR test, created in the DR workspace.
fn create_test_network(world: &mut World, target_ws: &str, op_id: &str) -> String {
    let id = world.new_id();
    let ws_crn = world
        .get(POWER, WORKSPACES, target_ws)
        .and_then(|w| w["details"]["crn"].as_str())
        .unwrap_or_default()
        .to_owned();
    let base = ipv4(TEST_NETWORK_GATEWAY).unwrap_or(0) & !0xff;
    let network = json!({
        "networkID": id,
        "name": format!("drtest-isolated-{}", &op_id[..8.min(op_id.len())]),
        "type": "vlan",
        "cidr": TEST_NETWORK_CIDR,
        "gateway": TEST_NETWORK_GATEWAY,
        "ipAddressRanges": [{
            "startingIPAddress": std::net::Ipv4Addr::from(base + TEST_NETWORK_FIRST).to_string(),
            "endingIPAddress": std::net::Ipv4Addr::from(base + TEST_NETWORK_LAST).to_string(),
        }],
        "dnsServers": ["127.0.0.1"],
        "vlanID": 3999,
        "jumbo": false,
        "mtu": 1450,
        "dhcpManaged": false,
        "advertise": "disable",
        "arpBroadcast": "disable",
        "crn": format!("{}:network:{id}", ws_crn.strip_suffix("::").unwrap_or(&ws_crn)),
        "userTags": ["dr-test"],
        OWNER: target_ws,
        "_dr_operation": op_id,
    });
    world.insert(POWER, NETWORKS, &id, network);
    id
}

fn vm_address(world: &World, vm_id: Option<&str>) -> String {
    vm_id
        .and_then(|id| world.get(POWER, PVM_INSTANCES, id))
        .and_then(|vm| vm["networks"][0]["ipAddress"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn test_copy_name(vm_name: &str) -> String {
    let keep = 47 - TEST_COPY_SUFFIX.len();
    let base: String = vm_name.chars().take(keep).collect();
    format!("{base}{TEST_COPY_SUFFIX}")
}

// ---------------------------------------------------------------------------------------
// Starting

/// The workspace a DR test builds its copies in: the standby's, else one in the recovery
/// zone, else the primary one.
fn test_workspace(world: &World, d: &Value) -> Option<String> {
    let by_id = |key: &str| {
        d[key]
            .as_str()
            .and_then(|w| workspace(world, w))
            .and_then(|w| w["id"].as_str().map(str::to_owned))
    };
    by_id("standby_orchestrator_workspace_id")
        .or_else(|| {
            let zone = d["location_id"].as_str().and_then(paired_zone)?;
            world
                .find(POWER, WORKSPACES, |w| {
                    workspace_zone(w) == zone && w["status"].as_str() == Some("active")
                })
                .and_then(|w| w["id"].as_str().map(str::to_owned))
        })
        .or_else(|| by_id("orchestrator_workspace_id"))
}

fn workspace_name(world: &World, guid: &str) -> String {
    world
        .get(POWER, WORKSPACES, guid)
        .and_then(|w| w["name"].as_str())
        .unwrap_or(guid)
        .to_owned()
}

/// Validates and starts an operation; used by the API and by scheduled DR tests.
#[allow(clippy::too_many_arguments)]
pub(super) fn start_operation(
    world: &mut World,
    guid: &str,
    kind: OpKind,
    vm_ids: Option<&[String]>,
    time_scale: f64,
    now_ms: u64,
    user: Option<&Claims>,
    schedule_id: Option<&str>,
) -> Result<Operation, DraError> {
    let d = world
        .get(SERVICE, DEPLOYMENTS, guid)
        .cloned()
        .ok_or_else(|| {
            DraError::bad_request(format!(
                "DR is not deployed for service instance {guid}; deploy the orchestrator (manage_dr) first"
            ))
        })?;
    let status = d["progress"]["status"].as_str().unwrap_or_default();
    if status != "Active" {
        return Err(DraError::bad_request(format!(
            "the DR orchestrator of service instance {guid} is not active (status {status})"
        )));
    }
    if let Some(running) = world.find(SERVICE, OPERATIONS, |o| {
        o["instance_id"].as_str() == Some(guid) && o["status"].as_str() == Some("running")
    }) {
        return Err(DraError::conflict(format!(
            "operation {} ({}) is still running on service instance {guid}; wait for it or cancel it",
            running["id"].as_str().unwrap_or_default(),
            running["type"].as_str().unwrap_or_default()
        )));
    }
    let site = load_site(world, guid);
    let primary_ws = d["orchestrator_workspace_id"]
        .as_str()
        .and_then(|w| workspace(world, w))
        .and_then(|w| w["id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let standby_ws = d["standby_orchestrator_workspace_id"]
        .as_str()
        .and_then(|w| workspace(world, w))
        .and_then(|w| w["id"].as_str().map(str::to_owned));
    let standby_ready = d["orchestrator_ha"].as_bool() == Some(true)
        && d["progress"]["standby_status"].as_str() == Some("Active")
        && standby_ws.is_some();
    if kind != OpKind::Test && !standby_ready {
        return Err(DraError::bad_request(format!(
            "{} needs the standby orchestrator on the DR site, and service instance {guid} has none deployed (add dr_ha_standby)",
            kind.as_str()
        )));
    }
    match (kind, site.active_site.as_str()) {
        (OpKind::Failover, "dr") => {
            return Err(DraError::bad_request(
                "the active site is already dr; fail back before failing over again",
            ));
        }
        (OpKind::Failback, "primary") => {
            return Err(DraError::bad_request(
                "the active site is primary; there is nothing to fail back",
            ));
        }
        _ => {}
    }
    let registrations: Vec<Value> = world
        .list(SERVICE, MANAGED_VMS)
        .filter(|m| m["instance_id"].as_str() == Some(guid))
        .cloned()
        .collect();
    let id_of = |m: &Value| m["pvm_instance_id"].as_str().unwrap_or_default().to_owned();
    let eligible = |m: &Value| match kind {
        OpKind::Failover => !site.dr_copies.contains_key(&id_of(m)),
        OpKind::Failback => site.dr_copies.contains_key(&id_of(m)),
        OpKind::Test => true,
    };
    let chosen: Vec<Value> = match vm_ids {
        Some(ids) => {
            let mut out = Vec::new();
            for id in ids {
                let reg = registrations
                    .iter()
                    .find(|m| id_of(m) == *id)
                    .ok_or_else(|| {
                        DraError::bad_request(format!(
                            "VM {id} is not managed by DR instance {guid}"
                        ))
                    })?;
                if !eligible(reg) {
                    let name = reg["_vm_name"].as_str().unwrap_or(id);
                    let where_ = if kind == OpKind::Failover {
                        "already on the DR site"
                    } else {
                        "not on the DR site"
                    };
                    return Err(DraError::bad_request(format!(
                        "VM {name} ({id}) is {where_}"
                    )));
                }
                if !out.iter().any(|o: &Value| id_of(o) == *id) {
                    out.push(reg.clone());
                }
            }
            out
        }
        None => registrations
            .iter()
            .filter(|m| eligible(m))
            .cloned()
            .collect(),
    };
    if chosen.is_empty() {
        return Err(DraError::bad_request(format!(
            "service instance {guid} has no managed VM to {}; register VMs with POST /orchestrator/v1/{guid}/managed_vms first",
            if kind == OpKind::Test {
                "test"
            } else {
                kind.as_str()
            }
        )));
    }
    let (source_ws, target_ws) = match kind {
        OpKind::Failover => (primary_ws.clone(), standby_ws.clone().unwrap_or_default()),
        OpKind::Failback => (standby_ws.clone().unwrap_or_default(), primary_ws.clone()),
        OpKind::Test => (
            primary_ws.clone(),
            test_workspace(world, &d).unwrap_or_default(),
        ),
    };
    let id = world.new_id();
    let mut vms: Vec<OpVm> = chosen
        .iter()
        .map(|reg| {
            let primary_id = id_of(reg);
            let from = match kind {
                OpKind::Failback => site.dr_copies.get(&primary_id).cloned(),
                _ => site
                    .dr_copies
                    .get(&primary_id)
                    .cloned()
                    .or(Some(primary_id.clone())),
            };
            let facts = from
                .as_deref()
                .and_then(|f| world.get(POWER, PVM_INSTANCES, f))
                .or_else(|| world.get(POWER, PVM_INSTANCES, &primary_id));
            let vm_name = facts
                .and_then(|v| v["serverName"].as_str())
                .or(reg["_vm_name"].as_str())
                .unwrap_or(&primary_id)
                .to_owned();
            let priority = reg["priority"].as_str().unwrap_or("medium").to_owned();
            let workgroup = reg["workgroup_name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            OpVm {
                message: format!("Queued: priority {priority}, workgroup {workgroup}."),
                pvm_instance_id: primary_id.clone(),
                vm_name,
                priority,
                workgroup_name: workgroup,
                status: VmStatus::Pending,
                recovery_seconds: None,
                replication_lag_seconds: replication_lag_seconds(&primary_id, now_ms),
                phases: Vec::new(),
                applied: 0,
                to_vm_id: (kind == OpKind::Failback).then(|| primary_id.clone()),
                from_vm_id: from,
                memory_gb: facts.and_then(|v| v["memory"].as_f64()).unwrap_or(4.0),
                os_type: facts
                    .and_then(|v| v["osType"].as_str())
                    .unwrap_or("aix")
                    .to_owned(),
            }
        })
        .collect();
    vms.sort_by_key(|v| priority_rank(&v.priority));
    plan(kind, &mut vms, now_ms, time_scale);
    let test_network_id =
        (kind == OpKind::Test).then(|| create_test_network(world, &target_ws, &id));
    let op = Operation {
        id: id.clone(),
        kind,
        status: OpStatus::Running,
        instance_id: guid.to_owned(),
        started_at: util::rfc3339(now_ms),
        finished_at: None,
        error: None,
        source_workspace_name: workspace_name(world, &source_ws),
        target_workspace_name: workspace_name(world, &target_ws),
        source_workspace_id: source_ws,
        target_workspace_id: target_ws,
        test_network_id,
        schedule_id: schedule_id.map(str::to_owned),
        vms,
        started_ms: now_ms,
        finished_ms: None,
        time_scale,
        fail_vm: None,
        fail_message: None,
    };
    store_operation(world, &op);
    let counts: Vec<String> = PRIORITY_ORDER
        .iter()
        .map(|p| {
            format!(
                "{p}: {}",
                op.vms.iter().filter(|v| v.priority == *p).count()
            )
        })
        .collect();
    let origin = match schedule_id {
        Some(s) => format!(" by schedule {s}"),
        None => String::new(),
    };
    record_event(
        world,
        guid,
        kind.as_str(),
        "info",
        "droperation",
        format!(
            "{} {id} started{origin} for {} VM(s) ({}): from workspace {} to workspace {}.",
            kind.title(),
            op.vms.len(),
            counts.join(", "),
            op.source_workspace_name,
            op.target_workspace_name
        ),
        user,
        now_ms,
    );
    trim_history(world, guid);
    Ok(op)
}

fn trim_history(world: &mut World, guid: &str) {
    let ids = world.ids_where(SERVICE, OPERATIONS, |o| {
        o["instance_id"].as_str() == Some(guid) && o["status"].as_str() != Some("running")
    });
    if ids.len() > MAX_OPERATIONS_PER_INSTANCE {
        for old in &ids[..ids.len() - MAX_OPERATIONS_PER_INSTANCE] {
            world.remove(SERVICE, OPERATIONS, old);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Time

/// Moves every running operation to `now_ms`.
pub(super) fn advance(world: &mut World, now_ms: u64) {
    for id in world.ids_where(SERVICE, OPERATIONS, |o| {
        o["status"].as_str() == Some("running")
    }) {
        advance_operation(world, &id, now_ms);
    }
}

fn injected_failure(world: &World, op: &Operation) -> (Option<String>, Option<String>) {
    let d = world.get(SERVICE, DEPLOYMENTS, &op.instance_id);
    let from_deployment = |key: &str| {
        d.and_then(|d| d[key].as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    (
        op.fail_vm.clone().or_else(|| from_deployment("_fail_vm")),
        op.fail_message
            .clone()
            .or_else(|| from_deployment("_fail_message")),
    )
}

fn advance_operation(world: &mut World, id: &str, now_ms: u64) {
    let Some(mut op) = load_operation(world, id) else {
        return;
    };
    if op.status != OpStatus::Running {
        return;
    }
    let (fail_vm, fail_message) = injected_failure(world, &op);
    let mut due: Vec<(u64, usize, usize)> = Vec::new();
    for (vi, vm) in op.vms.iter().enumerate() {
        for (pi, phase) in vm.phases.iter().enumerate().skip(vm.applied) {
            if phase.at <= now_ms {
                due.push((phase.at, vi, pi));
            }
        }
    }
    due.sort_unstable();
    for (at, vi, pi) in due {
        if op.vms[vi].applied != pi {
            continue;
        }
        let phase = op.vms[vi].phases[pi].clone();
        let vm = &op.vms[vi];
        let hit = fail_vm
            .as_deref()
            .is_some_and(|f| f == vm.vm_name || f == vm.pvm_instance_id);
        if phase.status == VmStatus::Booting && hit {
            fail(world, &mut op, vi, fail_message.as_deref(), at);
            store_operation(world, &op);
            return;
        }
        apply_phase(world, &mut op, vi, &phase, at);
        op.vms[vi].applied = pi + 1;
    }
    let done = op.vms.iter().all(|v| v.applied >= v.phases.len());
    if done {
        let at = op
            .vms
            .iter()
            .filter_map(|v| v.phases.last().map(|p| p.at))
            .max()
            .unwrap_or(now_ms);
        succeed(world, &mut op, at);
    }
    store_operation(world, &op);
}

fn apply_phase(world: &mut World, op: &mut Operation, vi: usize, phase: &Phase, at: u64) {
    let kind = op.kind;
    let target_ws = op.target_workspace_id.clone();
    let target_name = op.target_workspace_name.clone();
    let source_name = op.source_workspace_name.clone();
    let test_network = op.test_network_id.clone();
    let op_id = op.id.clone();
    let vm = &mut op.vms[vi];
    let name = vm.vm_name.clone();
    let lag = vm.replication_lag_seconds;
    vm.status = phase.status;
    if let Some(secs) = phase.recovery_seconds {
        vm.recovery_seconds = Some(secs);
    }
    let secs = vm.recovery_seconds.unwrap_or(0);
    let mut event: Option<String> = None;
    vm.message = match (kind, phase.status) {
        (OpKind::Failover, VmStatus::Recovering) => {
            set_power_state(world, vm.from_vm_id.as_deref(), "SHUTOFF", "WARNING", at);
            format!(
                "Shutting down {name} in {source_name} and replicating its last changes (lag {lag} s)."
            )
        }
        (OpKind::Failback, VmStatus::Recovering) => {
            set_power_state(world, vm.from_vm_id.as_deref(), "SHUTOFF", "WARNING", at);
            format!(
                "Shutting down {name} in {source_name} and replicating its changes back (lag {lag} s)."
            )
        }
        (OpKind::Test, VmStatus::Recovering) => format!(
            "Taking a point-in-time copy of the replicated volumes of {name} (recovery point {lag} s old)."
        ),
        (OpKind::Failover, VmStatus::Booting) => {
            let nets = vm
                .from_vm_id
                .as_deref()
                .and_then(|f| world.get(POWER, PVM_INSTANCES, f))
                .map(|src| mapped_networks(world, src, &target_ws))
                .unwrap_or_default();
            vm.to_vm_id = vm.from_vm_id.clone().and_then(|from| {
                build_copy(world, &from, &target_ws, &name, &nets, &op_id, at).map(|(id, _)| id)
            });
            format!("Starting {name} in {target_name} from its replicated volumes.")
        }
        (OpKind::Failback, VmStatus::Booting) => {
            format!("Starting {name} in {target_name}.")
        }
        (OpKind::Test, VmStatus::Booting) => {
            let copy = test_copy_name(&name);
            let nets: Vec<Value> = test_network
                .as_deref()
                .and_then(|n| world.get(POWER, NETWORKS, n))
                .cloned()
                .into_iter()
                .collect();
            vm.to_vm_id = vm.from_vm_id.clone().and_then(|from| {
                build_copy(world, &from, &target_ws, &copy, &nets, &op_id, at).map(|(id, _)| id)
            });
            format!("Booting test copy {copy} in the isolated test network of {target_name}.")
        }
        (OpKind::Failover | OpKind::Failback, VmStatus::Recovered) => {
            set_power_state(world, vm.to_vm_id.as_deref(), "ACTIVE", "OK", at);
            let ip = vm_address(world, vm.to_vm_id.as_deref());
            let text = format!(
                "{name} is active in {target_name} ({ip}) after {} (priority {}, workgroup {}).",
                elapsed_text(secs * 1000),
                vm.priority,
                vm.workgroup_name
            );
            event = Some(text.clone());
            text
        }
        (OpKind::Test, VmStatus::Verified) => {
            set_power_state(world, vm.to_vm_id.as_deref(), "ACTIVE", "OK", at);
            let text = format!(
                "Test copy {} booted and passed its health check; recovery time {secs} s.",
                test_copy_name(&name)
            );
            event = Some(text.clone());
            text
        }
        (OpKind::Test, VmStatus::Cleaning) => {
            if let Some(copy) = vm.to_vm_id.as_deref()
                && let Some(v) = world.get_mut(POWER, PVM_INSTANCES, copy)
            {
                v["taskState"] = json!("deleting");
            }
            format!("Removing test copy {}.", test_copy_name(&name))
        }
        (OpKind::Test, VmStatus::Done) => {
            remove_vm(world, vm.to_vm_id.take().as_deref());
            format!("Test copy removed; measured recovery time {secs} s.")
        }
        (_, other) => format!("{name}: {}.", other.as_str()),
    };
    if let Some(message) = event {
        record_event(
            world,
            &op.instance_id,
            kind.as_str(),
            "info",
            "droperation",
            format!("{} {op_id}: {message}", kind.title()),
            None,
            at,
        );
    }
}

/// Undoes what the operation changed so that every VM runs where it ran before.
fn roll_back(world: &mut World, op: &mut Operation, at: u64) {
    for vm in &mut op.vms {
        match op.kind {
            OpKind::Failover => {
                remove_vm(world, vm.to_vm_id.take().as_deref());
                if vm.applied >= 1 {
                    set_power_state(world, vm.from_vm_id.as_deref(), "ACTIVE", "OK", at);
                }
            }
            OpKind::Failback => {
                if vm.applied >= 1 {
                    set_power_state(world, vm.from_vm_id.as_deref(), "ACTIVE", "OK", at);
                }
                if vm.applied >= 3 {
                    set_power_state(world, vm.to_vm_id.as_deref(), "SHUTOFF", "WARNING", at);
                }
            }
            OpKind::Test => remove_vm(world, vm.to_vm_id.take().as_deref()),
        }
        if vm.applied > 0 && vm.status != VmStatus::Failed {
            vm.status = VmStatus::Pending;
            vm.message = format!("Rolled back: {} stays where it was.", vm.vm_name);
        }
    }
    if let Some(network) = op.test_network_id.as_deref() {
        world.remove(POWER, NETWORKS, network);
    }
}

fn finish(world: &mut World, op: &mut Operation, status: OpStatus, at: u64) {
    op.status = status;
    op.finished_ms = Some(at);
    op.finished_at = Some(util::rfc3339(at));
    let totals = world
        .get(SERVICE, OPERATION_TOTALS, TOTALS_ID)
        .cloned()
        .unwrap_or_else(|| json!({"id": TOTALS_ID}));
    let mut totals = totals;
    let count = totals[op.kind.as_str()][status.as_str()]
        .as_u64()
        .unwrap_or(0);
    totals[op.kind.as_str()][status.as_str()] = json!(count + 1);
    world.insert(SERVICE, OPERATION_TOTALS, TOTALS_ID, totals);
    if let Some(schedule) = op.schedule_id.as_deref() {
        schedules::on_operation_finished(world, schedule, &op.id, status, at);
    }
}

fn fail(world: &mut World, op: &mut Operation, vi: usize, message: Option<&str>, at: u64) {
    let vm = &op.vms[vi];
    let detail = match message {
        Some(m) => m.to_owned(),
        None if op.kind == OpKind::Test => format!(
            "its test copy {} did not boot in the isolated network of {}",
            test_copy_name(&vm.vm_name),
            op.target_workspace_name
        ),
        None => format!(
            "its replicated boot volume could not be attached in {}",
            op.target_workspace_name
        ),
    };
    let error = format!(
        "{} failed at VM {} ({}, priority {}, workgroup {}): {detail}",
        op.kind.title(),
        vm.vm_name,
        vm.pvm_instance_id,
        vm.priority,
        vm.workgroup_name
    );
    op.vms[vi].status = VmStatus::Failed;
    op.vms[vi].message = error.clone();
    roll_back(world, op, at);
    op.error = Some(format!(
        "{error}. The operation was rolled back: every VM runs where it ran before."
    ));
    finish(world, op, OpStatus::Failed, at);
    record_event(
        world,
        &op.instance_id,
        op.kind.as_str(),
        "error",
        "droperation",
        format!(
            "{} {}: {}",
            op.kind.title(),
            op.id,
            op.error.clone().unwrap_or_default()
        ),
        None,
        at,
    );
}

fn succeed(world: &mut World, op: &mut Operation, at: u64) {
    let mut site = load_site(world, &op.instance_id);
    match op.kind {
        OpKind::Failover => {
            for vm in &op.vms {
                if let Some(copy) = &vm.to_vm_id {
                    site.dr_copies
                        .insert(vm.pvm_instance_id.clone(), copy.clone());
                }
            }
            site.active_site = "dr".into();
        }
        OpKind::Failback => {
            for vm in &op.vms {
                remove_vm(world, vm.from_vm_id.as_deref());
                site.dr_copies.remove(&vm.pvm_instance_id);
            }
            if site.dr_copies.is_empty() {
                site.active_site = "primary".into();
            }
        }
        OpKind::Test => {
            if let Some(network) = op.test_network_id.as_deref() {
                world.remove(POWER, NETWORKS, network);
            }
        }
    }
    store_site(world, &site);
    finish(world, op, OpStatus::Succeeded, at);
    let span = elapsed_text(real_cloud_ms(op, at));
    let longest = op
        .vms
        .iter()
        .filter_map(|v| v.recovery_seconds)
        .max()
        .unwrap_or(0);
    let outcome = match op.kind {
        OpKind::Test => format!(
            "{} VM(s) verified in isolation and cleaned up; longest recovery time {longest} s",
            op.vms.len()
        ),
        _ => format!(
            "{} VM(s) recovered in {}; active site is now {}",
            op.vms.len(),
            op.target_workspace_name,
            site.active_site
        ),
    };
    record_event(
        world,
        &op.instance_id,
        op.kind.as_str(),
        "info",
        "droperation",
        format!(
            "{} {} succeeded after {span}: {outcome}.",
            op.kind.title(),
            op.id
        ),
        None,
        at,
    );
}

/// Real-cloud milliseconds from the operation's start to `at` (wall time times the scale).
pub(super) fn real_cloud_ms(op: &Operation, at: u64) -> u64 {
    (at.saturating_sub(op.started_ms) as f64 * op.time_scale).round() as u64
}

/// A DR instance is going away: running operations roll back, and its operations, site and
/// schedules go with it.
pub(super) fn on_instance_deleted(world: &mut World, guid: &str, now_ms: u64) {
    for mut op in operations_of(world, guid) {
        if op.status == OpStatus::Running {
            roll_back(world, &mut op, now_ms);
        }
        world.remove(SERVICE, OPERATIONS, &op.id);
    }
    world.remove(SERVICE, SITES, guid);
    schedules::on_instance_deleted(world, guid);
}

// ---------------------------------------------------------------------------------------
// Handlers

fn respond(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

fn vm_ids_field(body: &serde_json::Map<String, Value>) -> Result<Option<Vec<String>>, DraError> {
    match body.get("vm_ids") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        DraError::bad_request("vm_ids must be a list of pvm_instance_id strings")
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(DraError::bad_request(
            "vm_ids must be a list of pvm_instance_id strings",
        )),
    }
}

async fn create(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> DraResult {
    let claims = authenticate(&sim, &headers)?;
    let body = parse_body(&body)?;
    let kind = match body.get("type") {
        Some(Value::String(t)) => OpKind::parse(t).ok_or_else(|| {
            DraError::bad_request(format!(
                "type {t:?} is not valid; use one of: failover, failback, test"
            ))
        })?,
        _ => {
            return Err(DraError::bad_request(
                "type is required: failover, failback or test",
            ));
        }
    };
    if let Some(bad) = body
        .keys()
        .find(|k| !matches!(k.as_str(), "type" | "vm_ids"))
    {
        return Err(DraError::bad_request(format!(
            "unknown field {bad}; an operation takes type and vm_ids"
        )));
    }
    let vm_ids = vm_ids_field(&body)?;
    let mut world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let op = start_operation(
        &mut world,
        &guid,
        kind,
        vm_ids.as_deref(),
        sim.config().time_scale,
        sim.now_ms(),
        Some(&claims),
        None,
    )?;
    Ok(respond(StatusCode::ACCEPTED, operation_view(&op)))
}

fn find_operation(world: &World, guid: &str, op_id: &str) -> Result<Operation, DraError> {
    load_operation(world, op_id)
        .filter(|o| o.instance_id == guid)
        .ok_or_else(|| {
            DraError::not_found(format!(
                "operation {op_id} was not found for service instance {guid}"
            ))
        })
}

async fn show(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path((id, op_id)): Path<(String, String)>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let op = find_operation(&world, &guid, &op_id)?;
    Ok(respond(StatusCode::OK, operation_view(&op)))
}

async fn list(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let items: Vec<Value> = operations_of(&world, &guid)
        .iter()
        .map(operation_view)
        .collect();
    Ok(respond(StatusCode::OK, json!({"operations": items})))
}

async fn cancel(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path((id, op_id)): Path<(String, String)>,
) -> DraResult {
    let claims = authenticate(&sim, &headers)?;
    let mut world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let mut op = find_operation(&world, &guid, &op_id)?;
    if op.status != OpStatus::Running {
        return Err(DraError::conflict(format!(
            "operation {op_id} is {}; only a running operation can be cancelled",
            op.status.as_str()
        )));
    }
    let now = sim.now_ms();
    roll_back(&mut world, &mut op, now);
    finish(&mut world, &mut op, OpStatus::Cancelled, now);
    op.error = Some("cancelled by the user; the operation was rolled back".into());
    store_operation(&mut world, &op);
    record_event(
        &mut world,
        &guid,
        op.kind.as_str(),
        "warning",
        "droperation",
        format!(
            "{} {op_id} was cancelled and rolled back: every VM runs where it ran before{}.",
            op.kind.title(),
            if op.kind == OpKind::Test {
                " and the test copies are removed"
            } else {
                ""
            }
        ),
        Some(&claims),
        now,
    );
    Ok(respond(StatusCode::ACCEPTED, operation_view(&op)))
}

async fn site(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let site = load_site(&world, &guid);
    let now = sim.now_ms();
    let vms: Vec<Value> = world
        .list(SERVICE, MANAGED_VMS)
        .filter(|m| m["instance_id"].as_str() == Some(guid.as_str()))
        .map(|m| {
            let vm_id = m["pvm_instance_id"].as_str().unwrap_or_default();
            let copy = site.dr_copies.get(vm_id);
            json!({
                "pvm_instance_id": vm_id,
                "vm_name": m["_vm_name"],
                "site": if copy.is_some() { "dr" } else { "primary" },
                "dr_pvm_instance_id": copy,
                "replication_lag_seconds": replication_lag_seconds(vm_id, now),
            })
        })
        .collect();
    Ok(respond(
        StatusCode::OK,
        json!({"active_site": site.active_site, "vms": vms}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(name: &str, priority: &str, workgroup: &str, memory: f64) -> OpVm {
        OpVm {
            pvm_instance_id: name.into(),
            vm_name: name.into(),
            priority: priority.into(),
            workgroup_name: workgroup.into(),
            status: VmStatus::Pending,
            message: String::new(),
            recovery_seconds: None,
            replication_lag_seconds: 10,
            phases: Vec::new(),
            applied: 0,
            from_vm_id: None,
            to_vm_id: None,
            memory_gb: memory,
            os_type: "aix".into(),
        }
    }

    #[test]
    fn tiers_run_in_priority_order_and_workgroups_together() {
        let mut vms = vec![
            vm("low-1", "low", "batch", 4.0),
            vm("high-1", "high", "payments", 16.0),
            vm("high-2", "high", "payments", 4.0),
            vm("med-1", "medium", "web", 8.0),
        ];
        plan(OpKind::Failover, &mut vms, 0, 1.0);
        let at = |name: &str, phase: usize| {
            vms.iter().find(|v| v.vm_name == name).unwrap().phases[phase].at
        };
        // Same workgroup: same times, the slower member sets the pace.
        assert_eq!(at("high-1", 2), at("high-2", 2));
        assert_eq!(at("high-1", 2), (40 + 180 + 6 * 16) * 1000);
        assert!(at("med-1", 0) >= at("high-1", 2));
        assert!(at("low-1", 0) >= at("med-1", 2));
        let recovery = vms.iter().find(|v| v.vm_name == "low-1").unwrap().phases[2]
            .recovery_seconds
            .unwrap();
        assert_eq!(recovery * 1000, at("low-1", 2));
    }

    #[test]
    fn a_test_cleans_up_after_every_vm_is_verified() {
        let mut vms = vec![vm("a", "high", "g", 4.0), vm("b", "low", "g", 4.0)];
        plan(OpKind::Test, &mut vms, 1_000, 10.0);
        let statuses: Vec<VmStatus> = vms[0].phases.iter().map(|p| p.status).collect();
        assert_eq!(
            statuses,
            [
                VmStatus::Recovering,
                VmStatus::Booting,
                VmStatus::Verified,
                VmStatus::Cleaning,
                VmStatus::Done
            ]
        );
        assert_eq!(vms[0].phases[3].at, vms[1].phases[3].at);
        assert!(vms[0].phases[3].at >= vms[1].phases[2].at);
    }

    #[test]
    fn replication_lag_stays_in_range() {
        for i in 0..200u64 {
            let lag = replication_lag_seconds(&format!("vm-{i}"), i * 60_000);
            assert!((2..=30).contains(&lag));
        }
    }

    #[test]
    fn test_copy_names_fit_powervs() {
        let long = "x".repeat(60);
        assert_eq!(test_copy_name(&long).len(), 47);
        assert_eq!(test_copy_name("aix-app-01"), "aix-app-01-drtest");
    }
}
