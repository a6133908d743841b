//! DR Automation for PowerVS (`/dra/drautomation/v1/...`), the orchestrator dashboard
//! (`dashboard`, where `dashboard_url` points) and `/metrics` (`metrics`).
//!
//! The published endpoints answer with the exact field names of IBM's SDK models
//! (`ibm-dra-python-sdk`, whose `from_dict` names the required ones). A DR instance is a
//! Resource Controller instance of `power-dr-automation`; `POST manage_dr` on an active one
//! validates the request against the real PowerVS objects (workspace, zone, machine types,
//! private networks, SSH key), creates the orchestrator VM (`<name>-orchestrator`, AIX
//! 7300-02-01, 0.5 core, 4 GB; `<name>-standby` in the standby workspace for HA) through
//! PowerVS, and then walks the deployment steps IBM reports in `last_operation`: five
//! primary steps (`1/5: ...` .. `5/5: ...`) and, for HA, four standby steps, on
//! time-scaled deadlines computed up front. A failure can be injected by setting
//! `_fail_at_step` (1-5) or `_fail_at_standby_step` (1-4) on the deployment through
//! `PATCH /_sim/objects/dra/deployments/<instance guid>`: the deployment then stops at
//! that step with `status: Failed` and a `primary_error_description`.
//!
//! What only the orchestrator does (managed VMs, workgroups, moves, DR tests) lives in the
//! KSYS service (`services::ksys`), reached over SSH; the published `dr_managed_vms` and
//! `dr_summary` list the VMs KSYS manages, and KSYS records its events here.
//!
//! The request body is checked field by field against the SDK's model ([`request`]), and the
//! last one is kept, secrets replaced by their length, as `_manage_dr_request` of the
//! deployment, so tests can see what a client sent.
//!
//! Secrets (`orchestrator_password`, `api_key`, `client_secret`, `managed_apikey`) are
//! checked and then dropped: no GET and no state file ever contains them. The orchestrator
//! password is root's password on the orchestrator LPARs, so the deployment keeps a salted
//! hash of it (`_password_hash`, internal) to check SSH logins, never the password.
//!
//! Consistency with the other services: deleting the RC instance calls
//! [`on_instance_deleted`], which removes the orchestrator VMs, the KSYS cluster and the
//! events.

mod dashboard;
pub(crate) mod metrics;
mod request;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::scenario::Scenario;
use crate::sim::Sim;
use crate::store::{World, public_view};
use crate::token::Claims;
use crate::util;

const SERVICE: &str = "dra";
const DEPLOYMENTS: &str = "deployments";
const APIKEYS: &str = "apikeys";
const EVENTS: &str = "events";
/// One marker per DR instance the service has seen (so its creation event is emitted once).
const INSTANCES: &str = "instances";

const RC: &str = "rc";
const RC_INSTANCES: &str = "resource_instances";
const DR_SERVICE_NAME: &str = "power-dr-automation";
const PLAN_NAME: &str = "DR Automation Private Plan";

const POWER: &str = "power";
const WORKSPACES: &str = "workspaces";
const NETWORKS: &str = "networks";
const PVM_INSTANCES: &str = "pvm_instances";
const OWNER: &str = "_workspace";

/// The orchestrator (KSYS) VM IBM deploys: AIX 7.3 TL2 SP1, 0.5 core, 4 GB.
const ORCHESTRATOR_IMAGE: &str = "7300-02-01";
const ORCHESTRATOR_CORES: f64 = 0.5;
const ORCHESTRATOR_MEMORY_GB: f64 = 4.0;

/// Machine types DR Automation knows (PowerVS sysType values).
const KNOWN_MACHINE_TYPES: &[&str] = &[
    "s922", "e880", "e980", "s1022", "e1050", "e1080", "s1122", "e1150", "e1180",
];

/// Real-cloud durations of the primary steps 1->2, 2->3, 3->4, 4->5 and the standby steps
/// 1->2, 2->3, 3->4 (divided by `--time-scale`).
const PRIMARY_STEP_DURATIONS: [Duration; 4] = [
    Duration::from_secs(40),
    Duration::from_secs(60),
    Duration::from_secs(60),
    Duration::from_secs(37),
];
const STANDBY_STEP_DURATIONS: [Duration; 3] = [
    Duration::from_secs(60),
    Duration::from_secs(120),
    Duration::from_secs(157),
];

/// Events kept per instance; older ones are dropped.
const MAX_EVENTS_PER_INSTANCE: usize = 500;

pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route(
            "/drautomation/v1/apikey/{instance_id}",
            get(get_apikey).post(create_apikey).put(update_apikey),
        )
        .route(
            "/drautomation/v1/dr_grs_location_pairs/{instance_id}",
            get(grs_location_pairs),
        )
        .route(
            "/drautomation/v1/dr_locations/{instance_id}",
            get(dr_locations),
        )
        .route(
            "/drautomation/v1/dr_managed_vms/{instance_id}",
            get(dr_managed_vms),
        )
        .route("/drautomation/v1/dr_summary/{instance_id}", get(dr_summary))
        .route(
            "/drautomation/v1/machinetypes/{instance_id}",
            get(machine_types),
        )
        .route(
            "/drautomation/v1/powervs_workspaces/{instance_id}",
            get(powervs_workspaces),
        )
        .route(
            "/drautomation/v1/manage_dr/{instance_id}",
            get(get_manage_dr).post(create_manage_dr),
        )
        .route(
            "/drautomation/v1/last_operation/{instance_id}",
            get(last_operation),
        )
        .route(
            "/drautomation/v1/service_instances/{instance_id}/events",
            get(list_events),
        )
        .route(
            "/drautomation/v1/service_instances/{instance_id}/events/{event_id}",
            get(get_event),
        )
        .route("/dashboard/{instance_id}", get(dashboard::handler))
}

/// The default scenario has no DR instance: the provider creates it.
pub fn seed(_world: &mut World, _scenario: &Scenario, _now_ms: u64) {}

/// An error in the body shape the DR Automation SDKs parse (`errors[0].message`).
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let code = match status.as_u16() {
        401 => "unauthorized",
        404 => "not_found",
        409 => "conflict",
        429 => "too_many_requests",
        s if s >= 500 => "internal_server_error",
        _ => "bad_request",
    };
    DraError::new(status, code, message).into_response()
}

// ---------------------------------------------------------------------------------------
// Errors and shared request handling

#[derive(Debug)]
pub(crate) struct DraError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl DraError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        DraError {
            status,
            code,
            message: message.into(),
        }
    }
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }
}

impl IntoResponse for DraError {
    fn into_response(self) -> Response {
        let trace = format!("{:032x}", rand::random::<u128>());
        let body = json!({
            "errors": [{"code": self.code, "message": self.message}],
            "status_code": self.status.as_u16(),
            "trace": trace,
        });
        (self.status, axum::Json(body)).into_response()
    }
}

pub(crate) type DraResult = Result<Response, DraError>;
type Params = Query<HashMap<String, String>>;

fn authenticate(sim: &Sim, headers: &HeaderMap) -> Result<Claims, DraError> {
    sim.authenticate(headers)
        .map_err(|e| DraError::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string()))
}

fn ok(value: &Value) -> Response {
    (StatusCode::OK, axum::Json(public_view(value))).into_response()
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, DraError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(DraError::bad_request(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(DraError::bad_request(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// The RC instance of a DR service by GUID (or by CRN, as the CLI accepts), if it exists
/// and has not been deleted.
fn dr_instance(world: &World, id: &str) -> Result<Value, DraError> {
    let guid = util::guid_of_crn(id).unwrap_or(id);
    world
        .get(RC, RC_INSTANCES, guid)
        .filter(|i| i["_service"].as_str() == Some(DR_SERVICE_NAME))
        .filter(|i| !matches!(i["state"].as_str(), Some("removed" | "pending_removal")))
        .cloned()
        .ok_or_else(|| DraError::not_found(format!("service instance {id} was not found")))
}

fn guid_of(instance: &Value) -> String {
    instance["guid"].as_str().unwrap_or_default().to_owned()
}

/// A PowerVS workspace by GUID or CRN.
fn workspace<'a>(world: &'a World, id: &str) -> Option<&'a Value> {
    let guid = util::guid_of_crn(id).unwrap_or(id);
    world.get(POWER, WORKSPACES, guid)
}

fn workspace_by_name<'a>(world: &'a World, name: &str) -> Option<&'a Value> {
    world.find(POWER, WORKSPACES, |w| w["name"].as_str() == Some(name))
}

fn workspace_zone(ws: &Value) -> String {
    ws["_zone"]
        .as_str()
        .or_else(|| ws["location"]["region"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn machine_types_of(ws: &Value) -> Vec<String> {
    ws["_machine_types"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The Global Replication Services partner zone of a PowerVS zone.
fn paired_zone(zone: &str) -> Option<&'static str> {
    super::ksys::regions::grs_partner_zone(zone)
}

fn resource_group_name(world: &World, instance: &Value) -> String {
    let id = instance["resource_group_id"].as_str().unwrap_or_default();
    world
        .get(RC, "resource_groups", id)
        .and_then(|g| g["name"].as_str())
        .unwrap_or("Default")
        .to_owned()
}

/// Records an event in the instance's event log.
#[allow(clippy::too_many_arguments)]
fn record_event(
    world: &mut World,
    instance_guid: &str,
    action: &str,
    level: &str,
    resource: &str,
    message: String,
    user: Option<&Claims>,
    at_ms: u64,
) {
    let id = world.new_id();
    let user = match user {
        Some(c) => json!({"email": c.sub, "name": c.sub, "user_id": c.iam_id}),
        None => json!({"user_id": "dr-automation-service"}),
    };
    let event = json!({
        "action": action,
        "api_source": "dr-automation-api",
        "event_id": id,
        "level": level,
        "message": message,
        "message_data": {"InstanceID": {"id": instance_guid}},
        "metadata": {},
        "resource": resource,
        "time": util::rfc3339(at_ms),
        "timestamp": (at_ms / 1000).to_string(),
        "user": user,
        "_instance_id": instance_guid,
        "_at_ms": at_ms,
    });
    world.insert(SERVICE, EVENTS, &id, event);
    let ids = world.ids_where(SERVICE, EVENTS, |e| {
        e["_instance_id"].as_str() == Some(instance_guid)
    });
    if ids.len() > MAX_EVENTS_PER_INSTANCE {
        for old in &ids[..ids.len() - MAX_EVENTS_PER_INSTANCE] {
            world.remove(SERVICE, EVENTS, old);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Time: deployment steps

/// Descriptions and status strings of the five primary steps.
fn primary_step(step: u64, vm_name: &str, elapsed: &str) -> (String, &'static str) {
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

fn standby_step(step: u64, vm_name: &str, elapsed: &str) -> (String, &'static str) {
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
fn elapsed_text(ms: u64) -> String {
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

fn deadlines(d: &Value, key: &str) -> Vec<u64> {
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
    let vm_name = d["_primary_vm_name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let standby_name = d["_standby_vm_name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let ws_name = d["_primary_workspace_name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let standby_ws_name = d["_standby_workspace_name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let fail_at = d["_fail_at_step"].as_u64();
    let fail_standby_at = d["_fail_at_standby_step"].as_u64();
    let ha = d["orchestrator_ha"].as_bool() == Some(true);
    let mut step = p["_primary_step"].as_u64().unwrap_or(1);
    let mut standby = p["_standby_step"].as_u64().unwrap_or(0);
    let mut events: Vec<(String, &str, String, u64)> = Vec::new();
    let mut failure: Option<(&str, u64, u64)> = None;

    // Primary: fail at the current step if asked, else take every step whose time has come.
    loop {
        if fail_at == Some(step) && step <= 5 {
            let at = if step == 1 {
                started
            } else {
                primary_at
                    .get((step - 2) as usize)
                    .copied()
                    .unwrap_or(started)
            };
            failure = Some(("primary", step, at.min(now_ms)));
            break;
        }
        if step >= 5 {
            break;
        }
        if held(world, "deploy", step, guid, &primary_at, started) {
            break;
        }
        match primary_at.get((step - 1) as usize) {
            Some(t) if *t <= now_ms => {
                step += 1;
                let (desc, _) =
                    primary_step(step, &vm_name, &elapsed_text(t.saturating_sub(started)));
                events.push(("update".into(), "info", desc, *t));
            }
            _ => break,
        }
    }
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
        loop {
            if fail_standby_at == Some(standby) {
                let at = if standby == 1 {
                    done
                } else {
                    standby_at
                        .get((standby - 2) as usize)
                        .copied()
                        .unwrap_or(done)
                };
                failure = Some(("standby", standby, at.min(now_ms)));
                break;
            }
            if standby >= 4 {
                break;
            }
            if held(world, "standby", standby, guid, &standby_at, done) {
                break;
            }
            match standby_at.get((standby - 1) as usize) {
                Some(t) if *t <= now_ms => {
                    standby += 1;
                    let (desc, _) = standby_step(
                        standby,
                        &standby_name,
                        &elapsed_text(t.saturating_sub(done)),
                    );
                    events.push(("update".into(), "info", desc, *t));
                }
                _ => break,
            }
        }
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
    let since = match step {
        0 | 1 => started,
        n => steps_at.get((n - 2) as usize).copied().unwrap_or(started),
    };
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

/// A DR instance was deleted through Resource Controller: its orchestrator VMs, managed-VM
/// registrations, API key and events go with it.
pub fn on_instance_deleted(world: &mut World, guid: &str, _now_ms: u64) {
    super::ksys::on_instance_deleted(world, guid);
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
pub(crate) fn record_ksys_event(
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
pub(crate) fn standby_left_cluster(world: &mut World, guid: &str, now_ms: u64) {
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

// ---------------------------------------------------------------------------------------
// API key

async fn get_apikey(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let instance = dr_instance(&world, &id)?;
    let key = world
        .get(SERVICE, APIKEYS, &guid_of(&instance))
        .ok_or_else(|| {
            DraError::not_found(format!(
                "no API key is registered for service instance {id}"
            ))
        })?;
    Ok(ok(key))
}

async fn create_apikey(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> DraResult {
    store_apikey(&sim, &headers, &id, &body).await
}

async fn update_apikey(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> DraResult {
    store_apikey(&sim, &headers, &id, &body).await
}

/// Validates the key the way the service does (it must be a key of this account) and
/// records that it is valid; the key itself is not kept.
async fn store_apikey(sim: &Sim, headers: &HeaderMap, id: &str, body: &Bytes) -> DraResult {
    let claims = authenticate(sim, headers)?;
    let body = parse_body(body)?;
    let key = body
        .get("api_key")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| DraError::bad_request("api_key is required"))?;
    let now = sim.now_ms();
    let mut world = sim.world().await;
    let instance = dr_instance(&world, id)?;
    if key != sim.config().api_key {
        return Err(DraError::bad_request(
            "Key is invalid: the API key was not accepted by IAM.",
        ));
    }
    let guid = guid_of(&instance);
    let object = json!({
        "description": "Key is valid.",
        "id": instance["crn"],
        "status": "Active",
        "_updated_ms": now,
    });
    world.insert(SERVICE, APIKEYS, &guid, object.clone());
    record_event(
        &mut world,
        &guid,
        "update",
        "info",
        "apikey",
        format!("API key of Service Instance '{guid}' has been updated."),
        Some(&claims),
        now,
    );
    Ok(ok(&object))
}

// ---------------------------------------------------------------------------------------
// Information endpoints

async fn grs_location_pairs(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let mut zones: Vec<String> = Vec::new();
    for vm in super::ksys::managed_vms(&world, &guid) {
        for ws in [&vm.home_workspace, &vm.target_workspace] {
            if let Some(w) = workspace(&world, ws) {
                zones.push(workspace_zone(w));
            }
        }
    }
    if let Some(d) = world.get(SERVICE, DEPLOYMENTS, &guid)
        && let Some(loc) = d["location_id"].as_str()
    {
        zones.push(loc.to_owned());
    }
    let pairs: Map<String, Value> = zones
        .iter()
        .filter_map(|z| paired_zone(z).map(|p| (z.clone(), json!(p))))
        .collect();
    Ok(ok(&json!({"location_pairs": pairs})))
}

async fn dr_locations(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    dr_instance(&world, &id)?;
    let mut zones: Vec<String> = world
        .list(POWER, WORKSPACES)
        .map(workspace_zone)
        .filter(|z| !z.is_empty())
        .collect();
    zones.sort();
    zones.dedup();
    let locations: Vec<Value> = zones.iter().map(|z| json!({"id": z, "name": z})).collect();
    Ok(ok(&json!({"dr_locations": locations})))
}

async fn machine_types(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let primary = params
        .get("primary_workspace_name")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| {
            DraError::bad_request("query parameter primary_workspace_name is required")
        })?;
    let world = sim.world().await;
    dr_instance(&world, &id)?;
    let mut out = Map::new();
    for name in std::iter::once(primary).chain(
        params
            .get("standby_workspace_name")
            .filter(|s| !s.is_empty()),
    ) {
        let ws = workspace_by_name(&world, name).ok_or_else(|| {
            DraError::not_found(format!("PowerVS workspace named {name} was not found"))
        })?;
        out.insert(name.clone(), json!(machine_types_of(ws)));
    }
    Ok(ok(&json!({"workspaces": out})))
}

fn dr_workspace_view(ws: &Value, default: Option<bool>) -> Value {
    let mut view = json!({
        "details": {"crn": ws["details"]["crn"]},
        "id": ws["id"],
        "location": {
            "region": workspace_zone(ws),
            "type": ws["location"]["type"].as_str().unwrap_or("data-center"),
            "url": ws["location"]["url"],
        },
        "name": ws["name"],
        "status": ws["status"],
    });
    if let Some(d) = default {
        view["default"] = json!(d);
    }
    view
}

async fn powervs_workspaces(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let location = params
        .get("location_id")
        .filter(|l| !l.is_empty())
        .ok_or_else(|| DraError::bad_request("query parameter location_id is required"))?
        .clone();
    let world = sim.world().await;
    dr_instance(&world, &id)?;
    let region = super::power::region_of_zone(&location);
    let primaries: Vec<Value> = world
        .list(POWER, WORKSPACES)
        .filter(|w| workspace_zone(w) == location)
        .enumerate()
        .map(|(i, w)| dr_workspace_view(w, Some(i == 0)))
        .collect();
    let standbys: Vec<Value> = world
        .list(POWER, WORKSPACES)
        .filter(|w| {
            let z = workspace_zone(w);
            z != location && super::power::region_of_zone(&z) == region
        })
        .map(|w| dr_workspace_view(w, None))
        .collect();
    let body = json!({
        "dr_standby_workspace_description": format!("PowerVS workspaces in region {region} outside {location}, usable for the standby orchestrator."),
        "dr_standby_workspaces": standbys,
        "dr_workspace_description": format!("PowerVS workspaces in {location}, usable for the primary orchestrator."),
        "dr_workspaces": primaries,
    });
    Ok(ok(&body))
}

// ---------------------------------------------------------------------------------------
// Managed VMs (published read side)

/// The `ManagedVmDetails` of a VM KSYS manages, read live from its PowerVS VM: the backup
/// zone is its `dr_region`.
fn managed_vm_details(world: &World, vm: &super::ksys::ManagedVm) -> Option<(String, Value)> {
    let source = world.get(POWER, PVM_INSTANCES, &vm.uuid)?;
    let ws = workspace(world, &vm.home_workspace);
    let zone = ws.map(workspace_zone).unwrap_or_default();
    let dr_region = workspace(world, &vm.target_workspace)
        .map(workspace_zone)
        .unwrap_or_default();
    let workgroup = super::ksys::workgroup_of(world, vm)
        .map(|w| w.name)
        .unwrap_or_default();
    let memory = source["memory"].as_f64().unwrap_or(0.0);
    let cores = source["processors"].as_f64().unwrap_or(0.0);
    Some((
        vm.uuid.clone(),
        json!({
            "core": format!("{cores:.2}"),
            "dr_average_time": average_recovery_minutes(memory).to_string(),
            "dr_region": dr_region,
            "memory": format_memory(memory),
            "region": zone,
            "vm_name": source["serverName"],
            "workgroup_name": workgroup,
            "workspace_name": ws.map(|w| w["name"].clone()).unwrap_or(Value::Null),
        }),
    ))
}

fn format_memory(gb: f64) -> String {
    if gb.fract() == 0.0 {
        format!("{gb:.0}")
    } else {
        format!("{gb}")
    }
}

/// A plausible recovery time: bigger memory images take longer to bring up.
fn average_recovery_minutes(memory_gb: f64) -> u64 {
    5 + (memory_gb / 8.0).ceil() as u64
}

fn managed_vm_map(world: &World, guid: &str) -> Map<String, Value> {
    super::ksys::managed_vms(world, guid)
        .iter()
        .filter_map(|m| managed_vm_details(world, m))
        .collect()
}

async fn dr_managed_vms(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    Ok(ok(
        &json!({"managed_vm_list": managed_vm_map(&world, &guid)}),
    ))
}

// ---------------------------------------------------------------------------------------
// manage_dr

/// The request fields echoed by `GET manage_dr` (never the secrets).
const ECHOED_FIELDS: &[&str] = &[
    "location_id",
    "machine_type",
    "orchestrator_ha",
    "orchestrator_location_type",
    "orchestrator_name",
    "orchestrator_workspace_id",
    "orchestrator_workspace_location",
    "orchestrator_network_ids",
    "proxy_ip",
    "region_id",
    "resource_instance",
    "secondary_workspace_id",
    "secret",
    "secret_group",
    "ssh_key_name",
    "standby_machine_type",
    "standby_orchestrator_name",
    "standby_orchestrator_workspace_id",
    "standby_orchestrator_workspace_location",
    "standby_orchestrator_network_ids",
    "standby_ssh_key_name",
    "standby_tier",
    "tenant_name",
    "tier",
    "guid",
];

fn str_field<'a>(body: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, DraError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(DraError::bad_request(format!("{field} must be a string"))),
    }
}

fn required<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, DraError> {
    str_field(body, field)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| DraError::bad_request(format!("{field} is required")))
}

fn string_list(body: &Map<String, Value>, field: &str) -> Result<Option<Vec<String>>, DraError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_owned).ok_or_else(|| {
                    DraError::bad_request(format!("{field} must be a list of strings"))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(DraError::bad_request(format!(
            "{field} must be a list of strings"
        ))),
    }
}

fn check_tier(field: &str, value: Option<&str>) -> Result<String, DraError> {
    match value {
        None => Ok("tier1".into()),
        Some(t @ ("tier1" | "tier3")) => Ok(t.to_owned()),
        Some(other) => Err(DraError::bad_request(format!(
            "{field} {other:?} is not supported for DR: use tier1 (10 IOPS/GB) or tier3 (3 IOPS/GB)"
        ))),
    }
}

/// One side (primary or standby) of a validated deployment request.
struct Side {
    workspace_guid: String,
    workspace_name: String,
    zone: String,
    machine_type: String,
    tier: String,
    network_ids: Vec<String>,
    ssh_key: Option<String>,
    vm_name: String,
}

// Plain data in, one object out: a struct would only rename the parameters.
#[allow(clippy::too_many_arguments)]
fn check_side(
    world: &World,
    label: &str,
    workspace_field: &str,
    workspace_id: &str,
    machine_type: &str,
    tier: String,
    network_ids: Option<Vec<String>>,
    ssh_key: Option<&str>,
    vm_name: String,
) -> Result<Side, DraError> {
    let ws = workspace(world, workspace_id).ok_or_else(|| {
        DraError::bad_request(format!(
            "{workspace_field} {workspace_id}: PowerVS workspace not found"
        ))
    })?;
    if ws["status"].as_str() != Some("active") {
        return Err(DraError::conflict(format!(
            "{workspace_field} {workspace_id}: the workspace is {}, not active",
            ws["status"].as_str().unwrap_or("unknown")
        )));
    }
    let guid = ws["id"].as_str().unwrap_or_default().to_owned();
    let ws_name = ws["name"].as_str().unwrap_or_default().to_owned();
    if !KNOWN_MACHINE_TYPES.contains(&machine_type) {
        return Err(DraError::bad_request(format!(
            "{label} machine type {machine_type:?} is not supported; supported: {}",
            KNOWN_MACHINE_TYPES.join(", ")
        )));
    }
    let offered = machine_types_of(ws);
    if !offered.iter().any(|m| m == machine_type) {
        return Err(DraError::bad_request(format!(
            "{label} machine type {machine_type} is not available in workspace {ws_name}; available: {}",
            offered.join(", ")
        )));
    }
    let private_networks: Vec<&Value> = world
        .list(POWER, NETWORKS)
        .filter(|n| n[OWNER].as_str() == Some(guid.as_str()) && n["type"].as_str() == Some("vlan"))
        .collect();
    let network_ids = match network_ids {
        Some(ids) if !ids.is_empty() => {
            for nid in &ids {
                let net = world
                    .get(POWER, NETWORKS, nid)
                    .filter(|n| n[OWNER].as_str() == Some(guid.as_str()))
                    .ok_or_else(|| {
                        DraError::bad_request(format!(
                            "{label} network {nid} is not a network of workspace {ws_name}"
                        ))
                    })?;
                if net["type"].as_str() != Some("vlan") {
                    return Err(DraError::bad_request(format!(
                        "{label} network {nid} ({}) is a {} network; the orchestrator accepts private (vlan) networks only",
                        net["name"].as_str().unwrap_or_default(),
                        net["type"].as_str().unwrap_or("public")
                    )));
                }
            }
            ids
        }
        _ => match private_networks
            .first()
            .and_then(|n| n["networkID"].as_str())
        {
            Some(first) => vec![first.to_owned()],
            None => {
                return Err(DraError::bad_request(format!(
                    "workspace {ws_name} has no private network for the {label} orchestrator"
                )));
            }
        },
    };
    if let Some(key) = ssh_key
        && world
            .find(POWER, "ssh_keys", |k| {
                (k[OWNER].as_str() == Some(guid.as_str())
                    || k["visibility"].as_str() == Some("account"))
                    && k["name"].as_str() == Some(key)
            })
            .is_none()
    {
        return Err(DraError::bad_request(format!(
            "{label} SSH key {key} was not found in workspace {ws_name}"
        )));
    }
    Ok(Side {
        zone: workspace_zone(ws),
        workspace_guid: guid,
        workspace_name: ws_name,
        machine_type: machine_type.to_owned(),
        tier,
        network_ids,
        ssh_key: ssh_key.map(str::to_owned),
        vm_name,
    })
}

/// Creates an orchestrator VM through PowerVS; returns (VM id, VM name).
fn create_orchestrator_vm(world: &mut World, sim: &Sim, side: &Side) -> Result<String, DraError> {
    let mut spec = json!({
        "serverName": side.vm_name,
        "imageID": ORCHESTRATOR_IMAGE,
        "processors": ORCHESTRATOR_CORES,
        "procType": "shared",
        "memory": ORCHESTRATOR_MEMORY_GB,
        "sysType": side.machine_type,
        "storageType": side.tier,
        "networks": side.network_ids.iter().map(|n| json!({"networkID": n})).collect::<Vec<_>>(),
    });
    if let Some(key) = &side.ssh_key {
        spec["keyPairName"] = json!(key);
    }
    let created =
        super::power::create_instance(world, sim, &side.workspace_guid, &spec).map_err(|e| {
            DraError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("orchestrator VM {} could not be created: {e}", side.vm_name),
            )
        })?;
    let vm = match &created {
        Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    vm["pvmInstanceID"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| {
            DraError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_server_error",
                "PowerVS returned no VM id",
            )
        })
}

fn step_deadlines(sim: &Sim, start_offset: Duration, steps: &[Duration]) -> Vec<u64> {
    let mut total = start_offset;
    steps
        .iter()
        .map(|d| {
            total += *d;
            sim.deadline_after(total)
        })
        .collect()
}

async fn create_manage_dr(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> DraResult {
    let claims = authenticate(&sim, &headers)?;
    let body = parse_body(&body)?;
    let redeploy = match params.get("stand_by_redeploy").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(DraError::bad_request(format!(
                "stand_by_redeploy must be \"true\" or \"false\", got {other:?}"
            )));
        }
    };
    match params.get("accepts_incomplete").map(String::as_str) {
        None | Some("true") => {}
        Some("false") => {
            return Err(DraError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "async_required",
                "This service plan requires client support for asynchronous service operations (accepts_incomplete=true).",
            ));
        }
        Some(other) => {
            return Err(DraError::bad_request(format!(
                "accepts_incomplete must be true or false, got {other:?}"
            )));
        }
    }
    request::check(&body)?;
    let recorded = request::record(&body, &params, &headers);
    let location_type = required(&body, "orchestrator_location_type")?;
    if location_type != "off-premises" && location_type != "on-premises" {
        return Err(DraError::bad_request(format!(
            "orchestrator_location_type must be off-premises or on-premises, got {location_type:?}"
        )));
    }
    // Empty only when Secrets Manager holds the credentials (`request::check`).
    let password = str_field(&body, "orchestrator_password")?.unwrap_or_default();
    if password.len() > 256 || !password.chars().all(|c| c.is_ascii_graphic()) {
        return Err(DraError::bad_request(
            "orchestrator_password must be 1 to 256 printable ASCII characters without spaces",
        ));
    }
    if let Some(key) = str_field(&body, "api_key")?
        && key != sim.config().api_key
    {
        return Err(DraError::bad_request(
            "api_key is not valid: IAM did not accept it",
        ));
    }
    if let Some(proxy) = str_field(&body, "proxy_ip")?
        && !valid_proxy(proxy)
    {
        return Err(DraError::bad_request(format!(
            "proxy_ip {proxy:?} must be IP:port or host:port, e.g. 10.30.40.4:3128"
        )));
    }
    for secret in ["api_key", "managed_apikey"] {
        if str_field(&body, secret)?.is_some_and(|v| !v.is_empty()) {
            sim.count_secret_received(&format!("dra.{secret}"));
        }
    }
    let ha = match body.get("orchestrator_ha") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(DraError::bad_request("orchestrator_ha must be a boolean")),
    };
    let tier = check_tier("tier", str_field(&body, "tier")?)?;
    let standby_tier = check_tier("standby_tier", str_field(&body, "standby_tier")?)?;

    let mut world = sim.world().await;
    let instance = dr_instance(&world, &id)?;
    let guid = guid_of(&instance);
    let state = instance["state"].as_str().unwrap_or_default();
    if state != "active" {
        return Err(DraError::conflict(format!(
            "service instance {guid} is {state}; manage_dr needs an active instance"
        )));
    }
    let existing = world.get(SERVICE, DEPLOYMENTS, &guid).cloned();
    if let Some(d) = &existing {
        let status = d["progress"]["status"].as_str().unwrap_or_default();
        if redeploy {
            if status == "Running" {
                return Err(DraError::conflict(
                    "the deployment is still running; redeploy the standby once it has finished",
                ));
            }
        } else if status != "Failed" {
            return Err(DraError::conflict(format!(
                "DR is already deployed for service instance {guid} (status {status})"
            )));
        }
    } else if redeploy {
        return Err(DraError::conflict(
            "stand_by_redeploy=true needs an existing deployment",
        ));
    }
    let deployment_name = instance["name"].as_str().unwrap_or_default().to_owned();
    let location_id = required(&body, "location_id")?.to_owned();
    let primary = check_side(
        &world,
        "primary",
        "orchestrator_workspace_id",
        required(&body, "orchestrator_workspace_id")?,
        required(&body, "machine_type")?,
        tier,
        string_list(&body, "orchestrator_network_ids")?,
        str_field(&body, "ssh_key_name")?,
        format!("{deployment_name}-orchestrator"),
    )?;
    if primary.zone != location_id {
        return Err(DraError::bad_request(format!(
            "location_id {location_id} does not match the zone {} of workspace {}",
            primary.zone, primary.workspace_name
        )));
    }
    let standby = if ha {
        let ws_id = required(&body, "standby_orchestrator_workspace_id")?;
        let mt = str_field(&body, "standby_machine_type")?
            .unwrap_or(primary.machine_type.as_str())
            .to_owned();
        let side = check_side(
            &world,
            "standby",
            "standby_orchestrator_workspace_id",
            ws_id,
            &mt,
            standby_tier,
            string_list(&body, "standby_orchestrator_network_ids")?,
            str_field(&body, "standby_ssh_key_name")?.or(str_field(&body, "ssh_key_name")?),
            format!("{deployment_name}-standby"),
        )?;
        if side.workspace_guid == primary.workspace_guid {
            return Err(DraError::bad_request(
                "the standby orchestrator must be in a different workspace than the primary",
            ));
        }
        Some(side)
    } else {
        None
    };

    let now = sim.now_ms();
    // A retry after a failure, or a standby redeploy, replaces the VMs it rebuilds.
    if let Some(d) = &existing {
        let stale: &[&str] = if redeploy {
            &["_standby_vm_id"]
        } else {
            &["_primary_vm_id", "_standby_vm_id"]
        };
        for key in stale {
            if let Some(old) = d[*key].as_str() {
                world.remove(POWER, PVM_INSTANCES, old);
            }
        }
    }
    // A redeploy keeps the primary as it is and rebuilds only the standby.
    let (primary_vm, primary_at, first_step) = match (&existing, redeploy) {
        (Some(d), true) => (
            d["_primary_vm_id"].as_str().unwrap_or_default().to_owned(),
            deadlines(d, "_primary_steps_at"),
            5,
        ),
        _ => {
            let vm = create_orchestrator_vm(&mut world, &sim, &primary)?;
            (
                vm,
                step_deadlines(&sim, Duration::ZERO, &PRIMARY_STEP_DURATIONS),
                1,
            )
        }
    };
    let standby_vm = match &standby {
        Some(side) => Some(create_orchestrator_vm(&mut world, &sim, side)?),
        None => None,
    };
    let primary_total: Duration = if first_step == 5 {
        Duration::ZERO
    } else {
        PRIMARY_STEP_DURATIONS.iter().sum()
    };
    let standby_at = if standby.is_some() {
        step_deadlines(&sim, primary_total, &STANDBY_STEP_DURATIONS)
    } else {
        Vec::new()
    };

    let crn = instance["crn"].as_str().unwrap_or_default().to_owned();
    // The emulator serves the dashboard itself (see `dashboard`), at its own address.
    let dashboard_url = format!(
        "{}/dra/dashboard/{guid}",
        crate::control::base_url(&sim, &headers)
    );
    let mut deployment = json!({
        "id": crn,
        "dashboard_url": dashboard_url,
        "orchestrator_ha": ha,
        "tier": primary.tier,
    });
    for field in ECHOED_FIELDS {
        if let Some(v) = body.get(*field).filter(|v| !v.is_null()) {
            deployment[*field] = v.clone();
        }
    }
    deployment["orchestrator_ha"] = json!(ha);
    deployment["tier"] = json!(primary.tier);
    deployment["orchestrator_network_ids"] = json!(primary.network_ids);
    if let Some(s) = &standby {
        deployment["standby_tier"] = json!(s.tier);
        deployment["standby_machine_type"] = json!(s.machine_type);
        deployment["standby_orchestrator_network_ids"] = json!(s.network_ids);
        if deployment.get("standby_orchestrator_name").is_none() {
            deployment["standby_orchestrator_name"] = body
                .get("orchestrator_name")
                .cloned()
                .unwrap_or(Value::Null);
        }
    }
    deployment["_instance_id"] = json!(guid);
    deployment["_primary_vm_id"] = json!(primary_vm);
    deployment["_primary_vm_name"] = json!(primary.vm_name);
    deployment["_primary_workspace_name"] = json!(primary.workspace_name);
    deployment["_standby_vm_id"] = json!(standby_vm);
    deployment["_standby_vm_name"] = json!(standby.as_ref().map(|s| s.vm_name.clone()));
    deployment["_standby_workspace_name"] =
        json!(standby.as_ref().map(|s| s.workspace_name.clone()));
    deployment["_standby_zone"] = json!(standby.as_ref().map(|s| s.zone.clone()));
    // Root's password on the orchestrator LPARs: kept only as a salted hash for SSH logins.
    // A standby redeploy brings the standby's own password; the primary keeps its own.
    // Without a password (Secrets Manager holds it) root logs in with the SSH key only.
    let password_hash = if password.is_empty() {
        Value::Null
    } else {
        json!(crate::ssh::keys::hash_password(password))
    };
    match (&existing, redeploy) {
        (Some(d), true) => {
            deployment["_password_hash"] = d["_password_hash"].clone();
            deployment["_standby_password_hash"] = password_hash;
        }
        _ => deployment["_password_hash"] = password_hash,
    }
    deployment["_manage_dr_request"] = recorded;
    let started = existing
        .as_ref()
        .filter(|_| redeploy)
        .and_then(|d| d["progress"]["_started_ms"].as_u64())
        .unwrap_or(now);
    let (pdesc, pstatus) = primary_step(first_step, &primary.vm_name, "");
    let mut progress = json!({
        "status": "Running",
        "primary_description": pdesc,
        "primary_orchestrator_status": pstatus,
        "standby_description": if ha { "Standby orchestrator deployment starts after the primary orchestrator is deployed." } else { "Standby orchestrator is not configured." },
        "standby_status": "NA",
        "orchestrator_config_status": "InProgress",
        "orch_ext_connectivity_status": "",
        "orchestrator_cluster_message": "",
        "orch_standby_node_addition_status": if ha { "Pending" } else { "NA" },
        "last_updated_orchestrator_deployment_time": util::rfc3339(now),
        "last_updated_standby_orchestrator_deployment_time": util::rfc3339(now),
        "_started_ms": started,
        "_primary_step": first_step,
        "_standby_step": 0,
        "_primary_steps_at": primary_at,
        "_standby_steps_at": standby_at,
    });
    if redeploy && let Some(d) = &existing {
        progress["primary_description"] = d["progress"]["primary_description"].clone();
        progress["last_updated_orchestrator_deployment_time"] =
            d["progress"]["last_updated_orchestrator_deployment_time"].clone();
    }
    deployment["progress"] = progress;
    world.insert(SERVICE, DEPLOYMENTS, &guid, deployment.clone());
    let message = if redeploy {
        format!("Standby orchestrator redeployment for Service Instance '{guid}' has started.")
    } else {
        format!(
            "DR deployment for Service Instance '{guid}' has started: primary orchestrator {} in workspace {}.",
            primary.vm_name, primary.workspace_name
        )
    };
    record_event(
        &mut world,
        &guid,
        "create",
        "info",
        "managedr",
        message,
        Some(&claims),
        now,
    );
    Ok(ok(
        &json!({"dashboard_url": deployment["dashboard_url"], "id": deployment["id"]}),
    ))
}

fn valid_proxy(text: &str) -> bool {
    match text.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                && port.parse::<u16>().is_ok_and(|p| p > 0)
        }
        None => false,
    }
}

fn deployment<'a>(world: &'a World, guid: &str) -> Result<&'a Value, DraError> {
    world
        .get(SERVICE, DEPLOYMENTS, guid)
        .ok_or_else(|| DraError::not_found(format!("DR is not deployed for service instance {guid}; call POST /drautomation/v1/manage_dr/{guid} first")))
}

async fn get_manage_dr(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let d = deployment(&world, &guid)?;
    let mut view = public_view(d);
    if let Some(obj) = view.as_object_mut() {
        obj.remove("progress");
    }
    let etag = format!(
        "W/\"{:x}\"",
        view.to_string().len() as u64 * 31 + d["progress"]["_primary_step"].as_u64().unwrap_or(0)
    );
    let mut response = (StatusCode::OK, axum::Json(view)).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

/// The IP address of a VM's first NIC, or "" when the VM is not there (yet).
fn vm_ip(world: &World, vm_id: Option<&str>) -> String {
    vm_id
        .and_then(|id| world.get(POWER, PVM_INSTANCES, id))
        .and_then(|vm| {
            vm["networks"]
                .as_array()?
                .first()?
                .get("ipAddress")?
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

fn recovery_location(d: &Value) -> String {
    d["_standby_zone"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            d["location_id"]
                .as_str()
                .and_then(paired_zone)
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

async fn last_operation(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let instance = dr_instance(&world, &id)?;
    let guid = guid_of(&instance);
    let rg = resource_group_name(&world, &instance);
    let created = instance["created_at"].clone();
    let mut body = json!({
        "crn": instance["crn"],
        "deployment_name": instance["name"],
        "mfa_enabled": "false",
        "orchestrator_ha": false,
        "plan_name": PLAN_NAME,
        "primary_description": "Service instance is provisioned; DR is not deployed yet.",
        "primary_ip_address": "",
        "primary_orchestrator_status": "NA",
        "recovery_location": "",
        "resource_group": rg,
        "standby_description": "Standby orchestrator is not configured.",
        "standby_ip_address": "",
        "standby_status": "NA",
        "status": if instance["state"].as_str() == Some("active") { "Provisioned" } else { "Provisioning" },
        "is_api_key_expired": false,
        "orch_ext_connectivity_status": "",
        "orch_standby_node_addition_status": "NA",
        "orch_standby_node_addtion_status": "NA",
        "orchestrator_cluster_message": "",
        "orchestrator_config_status": "NotConfigured",
        "primary_error_description": "",
        "standby_error_description": "",
        "last_updated_orchestrator_deployment_time": created,
        "last_updated_standby_orchestrator_deployment_time": created,
    });
    if let Some(d) = world.get(SERVICE, DEPLOYMENTS, &guid) {
        let p = &d["progress"];
        for key in [
            "status",
            "primary_description",
            "primary_orchestrator_status",
            "standby_description",
            "standby_status",
            "orchestrator_config_status",
            "orch_ext_connectivity_status",
            "orchestrator_cluster_message",
            "last_updated_orchestrator_deployment_time",
            "last_updated_standby_orchestrator_deployment_time",
            "primary_error_description",
            "standby_error_description",
        ] {
            if !p[key].is_null() {
                body[key] = p[key].clone();
            }
        }
        // IBM's API spells this one `addtion`; the SDK model reads `addition`. Send both.
        body["orch_standby_node_addtion_status"] = p["orch_standby_node_addition_status"].clone();
        body["orch_standby_node_addition_status"] = p["orch_standby_node_addition_status"].clone();
        body["orchestrator_ha"] = d["orchestrator_ha"].clone();
        body["recovery_location"] = json!(recovery_location(d));
        body["primary_ip_address"] = json!(vm_ip(&world, d["_primary_vm_id"].as_str()));
        body["standby_ip_address"] = json!(vm_ip(&world, d["_standby_vm_id"].as_str()));
    }
    Ok(ok(&body))
}

/// The Transit Gateway that connects this workspace, and the VPC on the same gateway.
fn network_names(world: &World, workspace_crn: &str) -> (String, String) {
    let Some(conn) = world.find("tg", "connections", |c| {
        c["network_id"].as_str() == Some(workspace_crn)
    }) else {
        return (String::new(), String::new());
    };
    let gw_id = conn["_gateway_id"].as_str().unwrap_or_default();
    let gw_name = world
        .get("tg", "gateways", gw_id)
        .and_then(|g| g["name"].as_str())
        .unwrap_or_default()
        .to_owned();
    let vpc_name = world
        .find("tg", "connections", |c| {
            c["_gateway_id"].as_str() == Some(gw_id) && c["network_type"].as_str() == Some("vpc")
        })
        .and_then(|c| world.find("vpc", "vpcs", |v| v["crn"] == c["network_id"]))
        .and_then(|v| v["name"].as_str())
        .unwrap_or_default()
        .to_owned();
    (gw_name, vpc_name)
}

async fn dr_summary(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let instance = dr_instance(&world, &id)?;
    let guid = guid_of(&instance);
    let d = deployment(&world, &guid)?;
    let p = &d["progress"];
    let ha = d["orchestrator_ha"].as_bool() == Some(true);
    let primary_vm = d["_primary_vm_id"].as_str();
    let standby_vm = d["_standby_vm_id"].as_str();
    let vm_exists =
        |id: Option<&str>| id.is_some_and(|i| world.get(POWER, PVM_INSTANCES, i).is_some());
    let status = p["status"].as_str().unwrap_or_default();
    // An orchestrator whose VM was deleted out of band is no longer running.
    let orchestrator_status = match (status, vm_exists(primary_vm)) {
        ("Active", false) => "Inactive",
        (s, _) => s,
    };
    let standby_orchestrator_status = if !ha {
        "NA"
    } else if vm_exists(standby_vm) {
        p["standby_status"].as_str().unwrap_or("NA")
    } else {
        "Inactive"
    };
    let ws = workspace(
        &world,
        d["orchestrator_workspace_id"].as_str().unwrap_or_default(),
    );
    let ws_crn = ws
        .and_then(|w| w["details"]["crn"].as_str())
        .unwrap_or_default();
    let (tg_name, vpc_name) = network_names(&world, ws_crn);
    let schematic = format!(
        "{}.workspace.dr-automation.{}",
        sim.scenario().region,
        &guid.replace('-', "")[..8.min(guid.replace('-', "").len())]
    );
    let orchestrator_details = json!({
        "last_updated_orchestrator_deployment_time": p["last_updated_orchestrator_deployment_time"],
        "last_updated_standby_orchestrator_deployment_time": p["last_updated_standby_orchestrator_deployment_time"],
        "latest_orchestrator_time": util::rfc3339(sim.now_ms()),
        "location_id": d["location_id"],
        "mfa_enabled": "false",
        "orch_ext_connectivity_status": p["orch_ext_connectivity_status"],
        "orch_standby_node_addition_status": p["orch_standby_node_addition_status"],
        "orchestrator_cluster_message": p["orchestrator_cluster_message"],
        "orchestrator_config_status": p["orchestrator_config_status"],
        "orchestrator_group_leader": d["_primary_vm_name"],
        "orchestrator_location_type": d["orchestrator_location_type"],
        "orchestrator_name": d["orchestrator_name"],
        "orchestrator_status": orchestrator_status,
        "orchestrator_workspace_name": d["_primary_workspace_name"],
        "proxy_ip": d["proxy_ip"].as_str().unwrap_or_default(),
        "schematic_workspace_name": schematic,
        "schematic_workspace_status": if status == "Running" { "InProgress" } else { "Available" },
        "ssh_key_name": d["ssh_key_name"].as_str().unwrap_or_default(),
        "standby_orchestrator_name": d["standby_orchestrator_name"].as_str().unwrap_or_default(),
        "standby_orchestrator_status": standby_orchestrator_status,
        "standby_orchestrator_workspace_name": d["_standby_workspace_name"].as_str().unwrap_or_default(),
        "standby_ssh_key_name": d["standby_ssh_key_name"].as_str().or(if ha { d["ssh_key_name"].as_str() } else { None }).unwrap_or_default(),
        "transit_gateway_name": tg_name,
        "vpc_name": vpc_name,
    });
    let service_details = json!({
        "crn": instance["crn"],
        "deployment_name": instance["name"],
        "description": p["primary_description"],
        "orchestrator_ha": ha,
        "plan_name": PLAN_NAME,
        "primary_ip_address": vm_ip(&world, primary_vm),
        "primary_orchestrator_dashboard_url": d["dashboard_url"],
        "recovery_location": recovery_location(d),
        "resource_group": resource_group_name(&world, &instance),
        "standby_description": p["standby_description"],
        "standby_ip_address": vm_ip(&world, standby_vm),
        "standby_orchestrator_dashboard_url": if ha { d["dashboard_url"].clone() } else { json!("") },
        "standby_status": p["standby_status"],
        "status": p["status"],
    });
    let body = json!({
        "managed_vm_list": managed_vm_map(&world, &guid),
        "orchestrator_details": orchestrator_details,
        "service_details": service_details,
    });
    Ok(ok(&body))
}

// ---------------------------------------------------------------------------------------
// Events

/// A time query parameter: RFC 3339 or Unix epoch seconds.
fn parse_time(name: &str, text: &str) -> Result<u64, DraError> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(secs.saturating_mul(1000));
    }
    util::parse_rfc3339(text).ok_or_else(|| {
        DraError::bad_request(format!(
            "{name} {text:?} is neither ISO 8601 nor a Unix epoch time"
        ))
    })
}

async fn list_events(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let from = match params.get("from_time").or(params.get("time")) {
        Some(t) => Some(parse_time("from_time", t)?),
        None => None,
    };
    let to = match params.get("to_time") {
        Some(t) => Some(parse_time("to_time", t)?),
        None => None,
    };
    let world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let events: Vec<Value> = world
        .list(SERVICE, EVENTS)
        .filter(|e| e["_instance_id"].as_str() == Some(guid.as_str()))
        .filter(|e| {
            let at = e["_at_ms"].as_u64().unwrap_or(0);
            from.is_none_or(|f| at >= f) && to.is_none_or(|t| at <= t)
        })
        .map(public_view)
        .collect();
    Ok(ok(&json!({"events": events})))
}

async fn get_event(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path((id, event_id)): Path<(String, String)>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let event = world
        .get(SERVICE, EVENTS, &event_id)
        .filter(|e| e["_instance_id"].as_str() == Some(guid.as_str()))
        .ok_or_else(|| {
            DraError::not_found(format!(
                "event {event_id} was not found for service instance {id}"
            ))
        })?;
    Ok(ok(event))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_is_reported_like_ibm() {
        assert_eq!(elapsed_text(197_000), "3m17s");
        assert_eq!(elapsed_text(5_000), "5s");
    }

    #[test]
    fn step_texts_count_five_and_four() {
        assert!(primary_step(1, "x", "").0.starts_with("1/5: "));
        assert!(primary_step(5, "x-orchestrator", "3m17s").0.starts_with(
            "5/5: Primary orchestrator x-orchestrator is successfully deployed in 3m17s"
        ));
        assert_eq!(
            primary_step(2, "x", "").1,
            "orchestrator-VM-creation-in-progress"
        );
        assert!(standby_step(4, "x-standby", "5m37s").0.starts_with("4/4: "));
    }

    #[test]
    fn proxy_addresses_need_a_port() {
        assert!(valid_proxy("10.30.40.4:3128"));
        assert!(valid_proxy("proxy.example.com:443"));
        assert!(!valid_proxy("10.30.40.4"));
        assert!(!valid_proxy("10.30.40.4:http"));
    }

    #[test]
    fn grs_pairs_cross_regions() {
        assert_eq!(paired_zone("dal10"), Some("wdc07"));
        assert_eq!(paired_zone("wdc06"), Some("dal12"));
        assert_eq!(paired_zone("fra04"), Some("mad02"));
        assert_eq!(paired_zone("lon04"), None);
    }
}
