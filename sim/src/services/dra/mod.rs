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
//!
//! Files by phase of a DR instance's life: `apikey`, `deploy` (`manage_dr`), `progress` (the
//! steps after it), `summary` (`last_operation`, `dr_summary`), `managed_vms`, `events` and
//! the read-only `information` endpoints; this file holds the route table, the error body and
//! the lookups they share.

mod dashboard;
pub(crate) mod metrics;
mod request;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};
use tokio::sync::MutexGuard;

use crate::scenario::Scenario;
use crate::services::kit::{ErrorStyle, IbmError, fault_code, hex_trace_id};
use crate::sim::Sim;
use crate::store::{World, public_view};
use crate::token::Claims;
use crate::util;

mod apikey;
mod deploy;
mod events;
mod information;
mod managed_vms;
mod progress;
mod summary;

use apikey::{get_apikey, store_apikey};
use deploy::{create_manage_dr, get_manage_dr};
use events::{get_event, list_events};
use information::{dr_locations, grs_location_pairs, machine_types, powervs_workspaces};
use managed_vms::{average_recovery_minutes, dr_managed_vms};
use progress::elapsed_text;
pub use progress::{advance, on_event, on_instance_deleted};
use summary::{dr_summary, last_operation};

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
            get(get_apikey).post(store_apikey).put(store_apikey),
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
    let code = fault_code(
        status,
        &[
            (401, "unauthorized"),
            (404, "not_found"),
            (409, "conflict"),
            (429, "too_many_requests"),
        ],
        "internal_server_error",
        "bad_request",
    );
    DraError::new(status, code, message).into_response()
}

// Errors and shared request handling

/// The DR Automation error body: `{errors: [{code, message}], status_code, trace}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DraStyle;

impl ErrorStyle for DraStyle {
    fn body(e: &IbmError<Self>) -> Value {
        let trace = hex_trace_id();
        json!({
            "errors": [{"code": e.code, "message": e.message}],
            "status_code": e.status.as_u16(),
            "trace": trace,
        })
    }
}

pub(crate) type DraError = IbmError<DraStyle>;

impl IbmError<DraStyle> {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::with_status(status, code, message)
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

pub(crate) type DraResult = Result<Response, DraError>;
type Params = Query<HashMap<String, String>>;

fn authenticate(sim: &Sim, headers: &HeaderMap) -> Result<Claims, DraError> {
    sim.authenticate(headers)
        .map_err(|e| DraError::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string()))
}

/// The preamble of the DR Automation handlers without a body, as an extractor: the state,
/// with the bearer token checked. It goes after the `Path` and `Query` extractors, so a
/// handler answers the same errors in the same order as when it authenticated itself.
struct Caller {
    sim: Arc<Sim>,
}

impl FromRequestParts<Arc<Sim>> for Caller {
    type Rejection = DraError;

    async fn from_request_parts(parts: &mut Parts, sim: &Arc<Sim>) -> Result<Self, DraError> {
        authenticate(sim, &parts.headers)?;
        Ok(Caller {
            sim: Arc::clone(sim),
        })
    }
}

impl Caller {
    /// The world, locked, and the DR instance `id` in it (404 when there is none).
    async fn instance(&self, id: &str) -> Result<(MutexGuard<'_, World>, Value), DraError> {
        let world = self.sim.world().await;
        let instance = dr_instance(&world, id)?;
        Ok((world, instance))
    }
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

#[cfg(test)]
mod tests {
    use super::deploy::valid_proxy;
    use super::progress::{elapsed_text, primary_step, standby_step};
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
