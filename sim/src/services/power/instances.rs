//! PVM instances: create answers 202 with an array, `BUILD` turns `ACTIVE` with health
//! `WARNING`, later `OK` (all deadlines time-scaled); a `pvm_build_errors` fault or an
//! out-of-band PATCH makes a build end in `ERROR` with `fault.message`; `PUT` resizes
//! processors and memory through `RESIZE`; `DELETE` is asynchronous (the instance stays
//! readable with `taskState: deleting` for a while, as in PowerVS, then 404).

use std::time::Duration;

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::networks::{self, sub_crn};
use super::{
    OWNER, PVM_INSTANCES, PowerBody, PowerCall, PowerError, PowerResult, SERVICE, WORKSPACES,
    find_in_workspace, images, in_workspace, instance, instance_id, instance_mut,
};
use crate::scenario::{InstanceSpec, Scenario};
use crate::sim::Sim;
use crate::store::{World, public_view};
use crate::util;

/// Real-cloud durations (divided by `--time-scale`).
pub const BUILD_DURATION: Duration = Duration::from_secs(300);
pub const WARNING_DURATION: Duration = Duration::from_secs(300);
pub const RESIZE_DURATION: Duration = Duration::from_secs(120);
pub const DELETE_DURATION: Duration = Duration::from_secs(60);

const PROC_TYPES: &[&str] = &["dedicated", "shared", "capped"];
const STORAGE_TYPES: &[&str] = &["tier0", "tier1", "tier3", "tier5k"];
const MAX_REPLICANTS: u64 = 20;

fn number(body: &Value, field: &str) -> Result<f64, PowerError> {
    body[field]
        .as_f64()
        .ok_or_else(|| PowerError::bad_request(format!("{field} is required and must be a number")))
}

/// Processor and memory rules of PowerVS: shared/capped in steps of 0.25 from 0.25,
/// dedicated in whole cores; memory at least 2 GiB in whole GiB.
fn check_sizes(proc_type: &str, processors: f64, memory: f64) -> Result<(), PowerError> {
    if !PROC_TYPES.contains(&proc_type) {
        return Err(PowerError::bad_request(format!(
            "procType {proc_type:?} is not valid; valid values: dedicated, shared, capped"
        )));
    }
    let quarter_steps = (processors * 4.0).fract() == 0.0;
    let ok = if proc_type == "dedicated" {
        processors >= 1.0 && processors.fract() == 0.0
    } else {
        processors >= 0.25 && quarter_steps
    };
    if !ok {
        return Err(PowerError::bad_request(format!(
            "processors {processors} is not valid for procType {proc_type} (dedicated: whole cores from 1; shared/capped: multiples of 0.25 from 0.25)"
        )));
    }
    if memory < 2.0 || memory.fract() != 0.0 {
        return Err(PowerError::bad_request(format!(
            "memory {memory} is not valid; it must be a whole number of GiB, at least 2"
        )));
    }
    Ok(())
}

/// Validates a PVMInstanceCreate body and builds the instance in `status`.
fn build(
    world: &World,
    guid: &str,
    body: &Value,
    server_name: &str,
    status: &str,
    now_ms: u64,
) -> Result<Value, PowerError> {
    let workspace = world
        .get(SERVICE, WORKSPACES, guid)
        .ok_or_else(|| PowerError::not_found("cloud instance", guid))?;
    if server_name.is_empty() || server_name.len() > 47 {
        return Err(PowerError::bad_request(
            "serverName is required (1 to 47 characters)",
        ));
    }
    if world
        .find(SERVICE, PVM_INSTANCES, |v| {
            v[OWNER] == guid && v["serverName"] == server_name
        })
        .is_some()
    {
        return Err(PowerError::conflict(format!(
            "a pvm-instance named {server_name} already exists in cloud instance {guid}"
        )));
    }
    let image_ref = body["imageID"]
        .as_str()
        .ok_or_else(|| PowerError::bad_request("imageID is required"))?;
    let image = images::find_usable(world, guid, image_ref)
        .ok_or_else(|| PowerError::not_found("image", image_ref))?;
    let proc_type = body["procType"].as_str().ok_or_else(|| {
        PowerError::bad_request("procType is required (dedicated, shared or capped)")
    })?;
    let processors = number(body, "processors")?;
    let memory = number(body, "memory")?;
    check_sizes(proc_type, processors, memory)?;
    let machine_types: Vec<&str> = workspace["_machine_types"]
        .as_array()
        .map(|m| m.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let sys_type = body["sysType"].as_str().unwrap_or("s922");
    if !machine_types.is_empty() && !machine_types.contains(&sys_type) {
        return Err(PowerError::bad_request(format!(
            "sysType {sys_type} is not available in {}; available: {}",
            workspace["_zone"].as_str().unwrap_or_default(),
            machine_types.join(", ")
        )));
    }
    let storage_type = body["storageType"].as_str().unwrap_or("tier3");
    if !STORAGE_TYPES.contains(&storage_type) {
        return Err(PowerError::bad_request(format!(
            "storageType {storage_type:?} is not valid; valid values: {}",
            STORAGE_TYPES.join(", ")
        )));
    }
    if let Some(key) = body["keyPairName"].as_str().filter(|k| !k.is_empty())
        && images::find_key(world, guid, key).is_none()
    {
        return Err(PowerError::not_found("ssh key", key));
    }
    // `networks` (current) or `networkIDs` (deprecated), at least one.
    let mut requested: Vec<(String, Option<String>)> = Vec::new();
    if let Some(nics) = body["networks"].as_array() {
        for nic in nics {
            let id = nic["networkID"]
                .as_str()
                .ok_or_else(|| PowerError::bad_request("each networks item needs a networkID"))?;
            requested.push((id.to_owned(), nic["ipAddress"].as_str().map(str::to_owned)));
        }
    } else if let Some(ids) = body["networkIDs"].as_array() {
        requested.extend(
            ids.iter()
                .filter_map(Value::as_str)
                .map(|id| (id.to_owned(), None)),
        );
    }
    if requested.is_empty() {
        return Err(PowerError::bad_request(
            "networks is required: at least one network",
        ));
    }
    let mut nics = Vec::new();
    let mut taken: Vec<String> = Vec::new();
    for (network_ref, ip) in &requested {
        let network = networks::find(world, guid, network_ref)
            .ok_or_else(|| PowerError::not_found("network", network_ref))?;
        let address = networks::allocate_ip(world, network, ip.as_deref(), &taken)?;
        let nic = super::instance_networks::nic(network, guid, &address);
        // Two NICs on one network must get different addresses.
        taken.push(address);
        nics.push(nic);
    }
    let os_type = image["specifications"]["operatingSystem"]
        .as_str()
        .unwrap_or("aix");
    let created = util::rfc3339(now_ms);
    let min_proc = if proc_type == "dedicated" { 1.0 } else { 0.25 };
    Ok(json!({
        "pvmInstanceID": "",
        "serverName": server_name,
        "imageID": image["imageID"],
        "status": status,
        "progress": if status == "BUILD" { 0 } else { 100 },
        "health": {"status": if status == "BUILD" { "PENDING" } else { "OK" }, "lastUpdate": created, "reason": ""},
        "processors": processors,
        "procType": proc_type,
        "memory": memory,
        "minproc": min_proc,
        "maxproc": processors.max(min_proc),
        "minmem": 2,
        "maxmem": memory,
        "sysType": sys_type,
        "storageType": storage_type,
        "storagePool": format!("{}-Flash-1", storage_type.replace("tier", "Tier")),
        "storagePoolAffinity": true,
        "osType": os_type,
        "operatingSystem": image["name"],
        "diskSize": image["size"].as_f64().unwrap_or(20.0),
        "volumeIDs": [],
        "networkIDs": nics.iter().map(|n| n["networkID"].clone()).collect::<Vec<_>>(),
        "networks": nics,
        "addresses": [],
        "pinPolicy": body["pinPolicy"].as_str().unwrap_or("none"),
        "placementGroup": body["placementGroup"].as_str().unwrap_or("none"),
        "srcs": [],
        "userTags": body.get("userTags").cloned().unwrap_or(json!([])),
        "creationDate": created,
        "updatedDate": created,
        "crn": "",
        "_key_pair_name": body["keyPairName"],
        OWNER: guid,
    }))
}

/// Gives a built instance its id, CRN and MAC addresses, and stores it.
fn finish_and_insert(world: &mut World, guid: &str, mut vm: Value) -> Value {
    let id = world.new_id();
    let crn = world
        .get(SERVICE, WORKSPACES, guid)
        .and_then(|w| w["details"]["crn"].as_str())
        .map(|c| sub_crn(c, "pvm-instance", &id))
        .unwrap_or_default();
    vm["pvmInstanceID"] = json!(id);
    vm["crn"] = json!(crn);
    if let Some(nics) = vm["networks"].as_array_mut() {
        for nic in nics {
            let mac = super::instance_networks::mac_address(
                &id,
                nic["networkID"].as_str().unwrap_or_default(),
            );
            nic["macAddress"] = json!(mac);
        }
    }
    vm["addresses"] = vm["networks"].clone();
    world.insert(SERVICE, PVM_INSTANCES, &id, vm.clone());
    vm
}

/// A scenario VM, already `ACTIVE` with health `OK`.
pub fn seed_instance(
    world: &mut World,
    _scenario: &Scenario,
    guid: &str,
    spec: &InstanceSpec,
    now_ms: u64,
) {
    let image_id = images::find_usable(world, guid, &spec.image)
        .and_then(|i| i["imageID"].as_str().map(str::to_owned))
        .unwrap_or_else(|| spec.image.clone());
    let nics: Vec<Value> = spec
        .networks
        .iter()
        .filter_map(|name| networks::find(world, guid, name))
        .map(|n| json!({"networkID": n["networkID"]}))
        .collect();
    let body = json!({
        "serverName": spec.name,
        "imageID": image_id,
        "processors": spec.processors,
        "memory": spec.memory,
        "procType": spec.proc_type,
        "sysType": spec.sys_type,
        "storageType": spec.storage_type,
        "networks": nics,
        "keyPairName": spec.ssh_key,
    });
    match build(world, guid, &body, &spec.name, "ACTIVE", now_ms) {
        Ok(vm) => {
            finish_and_insert(world, guid, vm);
        }
        Err(e) => tracing::warn!(vm = %spec.name, error = %e, "scenario instance skipped"),
    }
}

/// Creates one instance from a PVMInstanceCreate body (its `serverName` is used as is) and
/// starts its build. Used by the API and by DR Automation for orchestrator VMs.
pub fn create_instance(
    world: &mut World,
    sim: &Sim,
    workspace_guid: &str,
    spec: &Value,
) -> Result<Value, PowerError> {
    let workspace = world
        .get(SERVICE, WORKSPACES, workspace_guid)
        .ok_or_else(|| PowerError::not_found("cloud instance", workspace_guid))?;
    if workspace["status"] != "active" {
        return Err(PowerError::conflict(format!(
            "cloud instance {workspace_guid} is not active"
        )));
    }
    if !world.has_room(SERVICE, PVM_INSTANCES) {
        return Err(PowerError::quota_exceeded("pvm-instance"));
    }
    let server_name = spec["serverName"].as_str().unwrap_or_default().to_owned();
    let mut vm = build(
        world,
        workspace_guid,
        spec,
        &server_name,
        "BUILD",
        sim.now_ms(),
    )?;
    let injected = sim
        .faults()
        .pvm_build_errors
        .into_iter()
        .find(|rule| server_name.starts_with(&rule.server_name_prefix));
    match injected {
        Some(rule) => {
            vm["_error_at"] = json!(sim.deadline_after(BUILD_DURATION / 2));
            vm["_fault_message"] = json!(if rule.message.is_empty() {
                "Failed to deploy the virtual server instance (fault injected by dr-cloudsim)"
                    .to_owned()
            } else {
                rule.message
            });
        }
        None => {
            vm["_active_at"] = json!(sim.deadline_after(BUILD_DURATION));
            vm["_ok_at"] = json!(sim.deadline_after(BUILD_DURATION + WARNING_DURATION));
        }
    }
    let vm = finish_and_insert(world, workspace_guid, vm);
    Ok(view(&vm, workspace_guid))
}

/// Creates one instance that is already settled in `status` (`ACTIVE` or `SHUTOFF`), through
/// the same validation as the API. Used by KSYS for the backup and rehearsal VMs it builds at
/// a deadline, where no request (and so no fault rule or time scale) is at hand.
pub fn create_settled(
    world: &mut World,
    workspace_guid: &str,
    spec: &Value,
    status: &str,
    now_ms: u64,
) -> Result<Value, PowerError> {
    if !world.has_room(SERVICE, PVM_INSTANCES) {
        return Err(PowerError::quota_exceeded("pvm-instance"));
    }
    let server_name = spec["serverName"].as_str().unwrap_or_default().to_owned();
    let vm = build(world, workspace_guid, spec, &server_name, status, now_ms)?;
    let vm = finish_and_insert(world, workspace_guid, vm);
    Ok(view(&vm, workspace_guid))
}

/// The instance as the API shows it.
pub fn view(vm: &Value, cid: &str) -> Value {
    let mut out = public_view(vm);
    let id = vm["pvmInstanceID"].as_str().unwrap_or_default();
    out["href"] = json!(format!(
        "/pcloud/v1/cloud-instances/{cid}/pvm-instances/{id}"
    ));
    out
}

fn due(vm: &Value, key: &str, now_ms: u64) -> Option<u64> {
    vm[key].as_u64().filter(|t| *t <= now_ms)
}

pub fn advance(world: &mut World, now_ms: u64) {
    let keys = [
        "_active_at",
        "_ok_at",
        "_error_at",
        "_resize_done_at",
        "_delete_at",
    ];
    let ids = world.ids_where(SERVICE, PVM_INSTANCES, |vm| {
        keys.iter().any(|k| due(vm, k, now_ms).is_some())
    });
    for id in ids {
        let Some(vm) = world.get_mut(SERVICE, PVM_INSTANCES, &id) else {
            continue;
        };
        if due(vm, "_delete_at", now_ms).is_some() {
            world.remove(SERVICE, PVM_INSTANCES, &id);
            continue;
        }
        let Some(obj) = vm.as_object_mut() else {
            continue;
        };
        if let Some(at) = due(&Value::Object(obj.clone()), "_error_at", now_ms) {
            let message = obj
                .remove("_fault_message")
                .unwrap_or(json!("deployment failed"));
            obj.remove("_error_at");
            obj.remove("_active_at");
            obj.remove("_ok_at");
            obj.insert("status".into(), json!("ERROR"));
            obj.insert("progress".into(), json!(0));
            obj.insert("health".into(), json!({"status": "CRITICAL", "lastUpdate": util::rfc3339(at), "reason": "deployment failed"}));
            obj.insert("fault".into(), json!({"code": 500, "message": message, "details": "", "created": util::rfc3339(at)}));
            obj.insert("updatedDate".into(), json!(util::rfc3339(at)));
            continue;
        }
        if let Some(at) = due(&Value::Object(obj.clone()), "_active_at", now_ms) {
            obj.remove("_active_at");
            obj.insert("status".into(), json!("ACTIVE"));
            obj.insert("progress".into(), json!(100));
            obj.insert(
                "health".into(),
                json!({"status": "WARNING", "lastUpdate": util::rfc3339(at), "reason": ""}),
            );
            obj.insert("updatedDate".into(), json!(util::rfc3339(at)));
        }
        if let Some(at) = due(&Value::Object(obj.clone()), "_ok_at", now_ms) {
            obj.remove("_ok_at");
            obj.insert(
                "health".into(),
                json!({"status": "OK", "lastUpdate": util::rfc3339(at), "reason": ""}),
            );
        }
        if let Some(at) = due(&Value::Object(obj.clone()), "_resize_done_at", now_ms) {
            obj.remove("_resize_done_at");
            if obj.get("status") == Some(&json!("RESIZE")) {
                obj.insert("status".into(), json!("ACTIVE"));
            }
            obj.insert("updatedDate".into(), json!(util::rfc3339(at)));
        }
    }
}

fn list_of(world: &World, cid: &str) -> Value {
    let vms = in_workspace(world, PVM_INSTANCES, cid, |v| view(v, cid));
    json!({"pvmInstances": vms})
}

pub async fn list(call: PowerCall, Path(cid): Path<String>) -> PowerResult {
    let request = call.open(Some(&cid)).await?;
    Ok(Json(list_of(&request.world, &cid)).into_response())
}

pub async fn list_v2(call: PowerCall, Path(cid): Path<String>) -> PowerResult {
    list(call, Path(cid)).await
}

pub async fn create(
    call: PowerCall,
    Path(cid): Path<String>,
    PowerBody(body): PowerBody,
) -> PowerResult {
    let mut request = call.open(Some(&cid)).await?;
    let base_name = body["serverName"]
        .as_str()
        .ok_or_else(|| PowerError::bad_request("serverName is required"))?
        .to_owned();
    let replicants = body["replicants"].as_u64().unwrap_or(1);
    if !(1..=MAX_REPLICANTS).contains(&replicants) {
        return Err(PowerError::bad_request(format!(
            "replicants must be between 1 and {MAX_REPLICANTS}"
        )));
    }
    let prefix = body["replicantNamingScheme"].as_str() == Some("prefix");
    let mut created = Vec::new();
    for n in 1..=replicants {
        let name = match (replicants, prefix) {
            (1, _) => base_name.clone(),
            (_, true) => format!("{n}-{base_name}"),
            (_, false) => format!("{base_name}-{n}"),
        };
        let mut spec = body.clone();
        spec["serverName"] = json!(name);
        match create_instance(&mut request.world, &call.sim, &cid, &spec) {
            Ok(vm) => created.push(vm),
            Err(e) => {
                // All or nothing, like a single API call.
                for vm in &created {
                    if let Some(id) = vm["pvmInstanceID"].as_str() {
                        request.world.remove(SERVICE, PVM_INSTANCES, id);
                    }
                }
                return Err(e);
            }
        }
    }
    Ok((StatusCode::ACCEPTED, Json(Value::Array(created))).into_response())
}

pub async fn show(call: PowerCall, Path((cid, pvm_id)): Path<(String, String)>) -> PowerResult {
    let request = call.open(Some(&cid)).await?;
    let vm = instance(&request.world, &cid, &pvm_id)?;
    Ok(Json(view(vm, &cid)).into_response())
}

/// PVMInstanceUpdate: resize (processors, memory, procType) and rename.
pub async fn update(
    call: PowerCall,
    Path((cid, pvm_id)): Path<(String, String)>,
    PowerBody(body): PowerBody,
) -> PowerResult {
    let resize_done = call.sim.deadline_after(RESIZE_DURATION);
    let now = call.sim.now_rfc3339();
    let mut request = call.open(Some(&cid)).await?;
    let id = instance_id(&request.world, &cid, &pvm_id)?;
    let current = instance(&request.world, &cid, &pvm_id)?.clone();
    let status = current["status"].as_str().unwrap_or_default();
    if current["taskState"] == "deleting" || !(status == "ACTIVE" || status == "SHUTOFF") {
        return Err(PowerError::conflict(format!(
            "pvm-instance {id} cannot be updated while its status is {status}"
        )));
    }
    let proc_type = body["procType"]
        .as_str()
        .or(current["procType"].as_str())
        .unwrap_or("shared")
        .to_owned();
    let processors = body["processors"]
        .as_f64()
        .or(current["processors"].as_f64())
        .unwrap_or(0.0);
    let memory = body["memory"]
        .as_f64()
        .or(current["memory"].as_f64())
        .unwrap_or(0.0);
    check_sizes(&proc_type, processors, memory)?;
    if let Some(name) = body["serverName"].as_str()
        && name != current["serverName"].as_str().unwrap_or_default()
    {
        if name.is_empty() || name.len() > 47 {
            return Err(PowerError::bad_request(
                "serverName must be 1 to 47 characters",
            ));
        }
        if find_in_workspace(&request.world, PVM_INSTANCES, &cid, name, "serverName").is_some() {
            return Err(PowerError::conflict(format!(
                "a pvm-instance named {name} already exists"
            )));
        }
    }
    let resized = Some(processors) != current["processors"].as_f64()
        || Some(memory) != current["memory"].as_f64()
        || Some(proc_type.as_str()) != current["procType"].as_str();
    let vm = request
        .world
        .get_mut(SERVICE, PVM_INSTANCES, &id)
        .ok_or_else(|| PowerError::not_found("pvm-instance", &pvm_id))?;
    if let Some(name) = body["serverName"].as_str() {
        vm["serverName"] = json!(name);
    }
    if resized {
        vm["processors"] = json!(processors);
        vm["memory"] = json!(memory);
        vm["procType"] = json!(proc_type);
        vm["maxproc"] = json!(processors.max(vm["maxproc"].as_f64().unwrap_or(0.0)));
        vm["maxmem"] = json!(memory.max(vm["maxmem"].as_f64().unwrap_or(0.0)));
        if status == "ACTIVE" {
            vm["status"] = json!("RESIZE");
            vm["_resize_done_at"] = json!(resize_done);
        }
    }
    vm["updatedDate"] = json!(now);
    let response = json!({
        "serverName": vm["serverName"],
        "processors": vm["processors"],
        "memory": vm["memory"],
        "procType": vm["procType"],
        "pinPolicy": vm["pinPolicy"],
        "statusUrl": format!("/pcloud/v1/cloud-instances/{cid}/pvm-instances/{id}"),
    });
    Ok((StatusCode::ACCEPTED, Json(response)).into_response())
}

pub async fn delete(call: PowerCall, Path((cid, pvm_id)): Path<(String, String)>) -> PowerResult {
    let delete_at = call.sim.deadline_after(DELETE_DURATION);
    let mut request = call.open(Some(&cid)).await?;
    let vm = instance_mut(&mut request.world, &cid, &pvm_id)?;
    if vm["taskState"] != "deleting" {
        vm["taskState"] = json!("deleting");
        vm["_delete_at"] = json!(delete_at);
        if let Some(obj) = vm.as_object_mut() {
            for key in ["_active_at", "_ok_at", "_error_at", "_resize_done_at"] {
                obj.remove(key);
            }
        }
    }
    Ok(Json(json!({})).into_response())
}

/// `POST .../action`: start, stop, immediate-shutdown, soft-reboot, hard-reboot, reset-state.
pub async fn action(
    call: PowerCall,
    Path((cid, pvm_id)): Path<(String, String)>,
    PowerBody(body): PowerBody,
) -> PowerResult {
    let now = call.sim.now_rfc3339();
    let mut request = call.open(Some(&cid)).await?;
    let id = instance_id(&request.world, &cid, &pvm_id)?;
    let vm = instance_mut(&mut request.world, &cid, &pvm_id)?;
    let action = body["action"].as_str().unwrap_or_default();
    let status = vm["status"].as_str().unwrap_or_default().to_owned();
    let next = match (action, status.as_str()) {
        ("reset-state", _) => "ACTIVE",
        ("start", "SHUTOFF") => "ACTIVE",
        ("stop" | "immediate-shutdown", "ACTIVE") => "SHUTOFF",
        ("soft-reboot" | "hard-reboot", "ACTIVE") => "ACTIVE",
        ("start" | "stop" | "immediate-shutdown" | "soft-reboot" | "hard-reboot", _) => {
            return Err(PowerError::conflict(format!(
                "action {action} is not allowed while pvm-instance {id} is {status}"
            )));
        }
        _ => {
            return Err(PowerError::bad_request(format!(
                "action {action:?} is not valid; valid values: start, stop, immediate-shutdown, soft-reboot, hard-reboot, reset-state"
            )));
        }
    };
    vm["status"] = json!(next);
    if action == "reset-state"
        && let Some(obj) = vm.as_object_mut()
    {
        obj.remove("fault");
        obj.insert(
            "health".into(),
            json!({"status": "OK", "lastUpdate": now, "reason": ""}),
        );
    }
    vm["updatedDate"] = json!(now);
    Ok(Json(json!({})).into_response())
}
