//! Everything that is not an IBM API: `/_sim/*` test control, `/healthz`, `/endpoints.json`,
//! `/metrics` (served by `services::dra::metrics`),
//! and the middleware that counts requests, injects faults and persists writes.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::services;
use crate::services::kit::base_url;
use crate::sim::{FaultSet, Sim};
use crate::store::merge_patch;

/// Routes under `/_sim`, plus `/healthz` and `/endpoints.json`.
pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/endpoints.json", get(endpoints))
        .route("/metrics", get(services::dra::metrics::handler))
        .route("/_sim/state", get(state))
        .route("/_sim/ssh", get(ssh_hosts))
        .route("/_sim/ksys/exec", post(ksys_exec))
        .route("/_sim/requests", get(requests).delete(clear_requests))
        .route(
            "/_sim/faults",
            get(get_faults).post(set_faults).delete(clear_faults),
        )
        .route("/_sim/reset", post(reset))
        .route(
            "/_sim/holds",
            get(list_holds).post(arm_hold).delete(release_all_holds),
        )
        .route("/_sim/holds/{point}", get(get_hold).delete(release_hold))
        .route(
            "/_sim/objects/{service}/{collection}/{id}",
            get(get_object).patch(patch_object).delete(delete_object),
        )
}

/// Unknown paths answer 404 in the body of the service whose prefix they carry.
pub async fn unknown_route(uri: axum::http::Uri) -> Response {
    services::error_response_for_path(
        uri.path(),
        StatusCode::NOT_FOUND,
        &format!("no route for {}", uri.path()),
    )
}

/// True for paths that faults and counters leave alone.
fn is_control_path(path: &str) -> bool {
    path.starts_with("/_sim")
        || path == "/healthz"
        || path == "/endpoints.json"
        || path == "/metrics"
}

fn control_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The environment variable of each service and the path below the emulator's URL that a
/// client uses as its base (what the IBM SDKs call the service URL).
pub const ENDPOINT_VARIABLES: &[(&str, &str)] = &[
    ("IBMCLOUD_IAM_API_ENDPOINT", "/iam"),
    ("IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT", "/rc"),
    ("IBMCLOUD_RESOURCE_CATALOG_API_ENDPOINT", "/gc"),
    ("IBMCLOUD_RESOURCE_MANAGEMENT_API_ENDPOINT", "/rm"),
    ("IBMCLOUD_PI_API_ENDPOINT", "/power"),
    ("IBMCLOUD_IS_NG_API_ENDPOINT", "/vpc/v1"),
    ("IBMCLOUD_TG_API_ENDPOINT", "/tg/v1"),
    ("IBMCLOUD_DRA_API_ENDPOINT", "/dra"),
];

/// Regions listed in `/endpoints.json`, so that any region a user configures resolves here.
const REGIONS: &[&str] = &[
    "us-south", "us-east", "ca-tor", "ca-mon", "br-sao", "eu-de", "eu-gb", "eu-es", "jp-tok",
    "jp-osa", "au-syd", "in-che",
];

async fn endpoints(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&sim, &headers);
    let mut doc = serde_json::Map::new();
    let mut regions: Vec<&str> = REGIONS.to_vec();
    if !regions.contains(&sim.scenario().region.as_str()) {
        regions.push(sim.scenario().region.as_str());
    }
    for (variable, suffix) in ENDPOINT_VARIABLES {
        let url = format!("{base}{suffix}");
        let per_region: serde_json::Map<String, Value> = regions
            .iter()
            .map(|r| ((*r).to_owned(), Value::String(url.clone())))
            .collect();
        doc.insert(
            (*variable).to_owned(),
            json!({"public": per_region.clone(), "private": per_region}),
        );
    }
    Json(Value::Object(doc))
}

async fn state(State(sim): State<Arc<Sim>>) -> Json<Value> {
    Json(sim.world().await.public_state())
}

/// `GET /_sim/ssh`: the jump host and every KSYS host that is up, with their host keys in
/// OpenSSH format (what a known_hosts file or a pinned key needs).
async fn ssh_hosts(State(sim): State<Arc<Sim>>) -> Json<Value> {
    let seed = sim.config().seed;
    let jump_key = crate::ssh::keys::openssh_public(&crate::ssh::keys::host_key(
        seed,
        crate::ssh::keys::JUMP_IDENTITY,
    ));
    let address = sim.ssh_addr().map(|a| a.to_string()).unwrap_or_default();
    let hosts: Vec<Value> = services::ksys::hosts(&*sim.world().await)
        .into_iter()
        .map(|h| {
            json!({
                "address": format!("{}:22", h.address),
                "vm_id": h.vm_id,
                "role": h.role,
                "hostname": h.hostname,
                "host_key": crate::ssh::keys::openssh_public(&crate::ssh::keys::host_key(seed, &h.vm_id)),
                "instance_id": h.cluster_id,
            })
        })
        .collect();
    let scenario_key = crate::scenario::scenario_private_key()
        .to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .map(|k| k.to_string())
        .unwrap_or_default();
    Json(json!({
        "jump_host": {"address": address, "user": crate::ssh::jump::JUMP_USER, "host_key": jump_key},
        "hosts": hosts,
        // The default scenario's key pair, for the demo and the tests (an emulator-only key).
        "scenario_key": {"name": crate::scenario::SCENARIO_KEY_NAME, "private_key": scenario_key},
    }))
}

/// `POST /_sim/ksys/exec` with `{"host": "<orchestrator IP>", "command": "...", "stdin": "..."}`:
/// runs a command on a KSYS host as an SSH exec would, without SSH, and answers once it has
/// finished with `{"exit_code", "stdout", "stderr"}`. For tools that set up large states
/// (the benchmark manages thousands of VMs this way); the SSH path is what everything else uses.
async fn ksys_exec(State(sim): State<Arc<Sim>>, body: axum::body::Bytes) -> Response {
    use crate::services::ksys::exec::{self, Input, Needs};
    use crate::services::ksys::host::{Ctx, Env};
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")).into_response(),
    };
    let (Some(address), Some(command)) = (request["host"].as_str(), request["command"].as_str())
    else {
        return (StatusCode::BAD_REQUEST, "host and command are required").into_response();
    };
    let Some(host) = services::ksys::host_at(&*sim.world().await, address) else {
        return (StatusCode::NOT_FOUND, format!("no KSYS host at {address}")).into_response();
    };
    let ctx = Ctx {
        cluster_id: host.cluster_id.clone(),
        hostname: host.hostname.clone(),
        vm_id: host.vm_id.clone(),
    };
    let parsed = exec::parse(command);
    let input = match parsed.needs() {
        Needs::Nothing => Input::None,
        Needs::Stdin => Input::Stdin(request["stdin"].as_str().unwrap_or_default().to_owned()),
        Needs::Answer(_) => Input::Answer(request["stdin"].as_str().map(str::to_owned)),
    };
    let env = Env {
        now_ms: sim.now_ms(),
        time_scale: sim.config().time_scale,
    };
    let output = exec::execute_on(&sim, &ctx, &parsed, input, env).await;
    let wait = output.finish_ms.saturating_sub(sim.now_ms());
    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    let text = |stderr: bool| -> String {
        output
            .lines
            .iter()
            .filter(|l| l.stderr == stderr)
            .map(|l| format!("{}\n", l.text))
            .collect()
    };
    Json(json!({"exit_code": output.exit_code, "stdout": text(false), "stderr": text(true)}))
        .into_response()
}

async fn requests(State(sim): State<Arc<Sim>>) -> Json<Value> {
    Json(sim.request_counts())
}

async fn clear_requests(State(sim): State<Arc<Sim>>) -> StatusCode {
    sim.clear_request_counts();
    StatusCode::NO_CONTENT
}

async fn get_faults(State(sim): State<Arc<Sim>>) -> Json<FaultSet> {
    Json(sim.faults())
}

async fn set_faults(State(sim): State<Arc<Sim>>, body: axum::body::Bytes) -> Response {
    let set: FaultSet = match serde_json::from_slice(&body) {
        Ok(set) => set,
        Err(e) => return control_error(StatusCode::BAD_REQUEST, format!("invalid fault set: {e}")),
    };
    if let Err(message) = set.validate() {
        return control_error(StatusCode::BAD_REQUEST, message);
    }
    sim.set_faults(set.clone());
    Json(set).into_response()
}

async fn clear_faults(State(sim): State<Arc<Sim>>) -> StatusCode {
    sim.set_faults(FaultSet::default());
    StatusCode::NO_CONTENT
}

/// `GET /_sim/holds`: every armed hold and what it stopped (the world is advanced first, so
/// an operation whose time has come is seen at its point).
async fn list_holds(State(sim): State<Arc<Sim>>) -> Json<Value> {
    Json(sim.world().await.holds.view())
}

/// `POST /_sim/holds` with `{"point": "dra.deploy.step3"}`: arms a hold (201; 200 when it
/// was armed already).
async fn arm_hold(State(sim): State<Arc<Sim>>, body: axum::body::Bytes) -> Response {
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return control_error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")),
    };
    let Some(point) = request["point"].as_str() else {
        return control_error(StatusCode::BAD_REQUEST, "point is required");
    };
    if let Err(message) = crate::holds::validate_point(point) {
        return control_error(StatusCode::BAD_REQUEST, message);
    }
    let now = sim.now_ms();
    let mut world = sim.world().await;
    let status = if world.holds.arm(point, now) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let view = world.holds.view_point(point).unwrap_or(Value::Null);
    (status, Json(view)).into_response()
}

/// Longest `wait_seconds` of `GET /_sim/holds/{point}`.
const MAX_HOLD_WAIT_SECONDS: u64 = 300;

/// `GET /_sim/holds/{point}[?wait_seconds=N]`: one hold; with `wait_seconds`, answers once
/// the hold has stopped something or after N seconds, whichever comes first (`reached`
/// says which), so a test need not poll.
async fn get_hold(
    State(sim): State<Arc<Sim>>,
    Path(point): Path<String>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let wait = match query.get("wait_seconds").map(|w| w.parse::<u64>()) {
        None => 0,
        Some(Ok(n)) if n <= MAX_HOLD_WAIT_SECONDS => n,
        Some(_) => {
            return control_error(
                StatusCode::BAD_REQUEST,
                format!("wait_seconds must be a whole number from 0 to {MAX_HOLD_WAIT_SECONDS}"),
            );
        }
    };
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(wait);
    loop {
        let view = sim.world().await.holds.view_point(&point);
        let Some(view) = view else {
            return control_error(StatusCode::NOT_FOUND, format!("no hold {point:?} is armed"));
        };
        if view["reached"] == true || tokio::time::Instant::now() >= until {
            return Json(view).into_response();
        }
        // Operations move on the emulated clock only when the world is looked at; look again
        // shortly (this is the emulator polling itself, not the test).
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// `DELETE /_sim/holds/{point}`: releases it; what it stopped goes on (204; 404 when not armed).
async fn release_hold(State(sim): State<Arc<Sim>>, Path(point): Path<String>) -> Response {
    let now = sim.now_ms();
    let released = sim.world().await.holds.release(&point, now);
    if !released {
        return control_error(StatusCode::NOT_FOUND, format!("no hold {point:?} is armed"));
    }
    sim.holds_released();
    StatusCode::NO_CONTENT.into_response()
}

/// `DELETE /_sim/holds`: releases every hold.
async fn release_all_holds(State(sim): State<Arc<Sim>>) -> StatusCode {
    let now = sim.now_ms();
    sim.world().await.holds.release_all(now);
    sim.holds_released();
    StatusCode::NO_CONTENT
}

async fn reset(State(sim): State<Arc<Sim>>) -> Json<Value> {
    sim.reset().await;
    Json(sim.world().await.public_state())
}

/// The object without the salted password hashes it may keep for SSH logins.
fn without_secrets(object: &Value) -> Value {
    let mut out = object.clone();
    if let Some(map) = out.as_object_mut() {
        map.retain(|k, _| !k.ends_with("password_hash"));
    }
    out
}

fn not_found(service: &str, collection: &str, id: &str) -> Response {
    control_error(
        StatusCode::NOT_FOUND,
        format!("no object {service}/{collection}/{id}"),
    )
}

async fn get_object(
    State(sim): State<Arc<Sim>>,
    Path((service, collection, id)): Path<(String, String, String)>,
) -> Response {
    let world = sim.world().await;
    match world.get(&service, &collection, &id) {
        // Unlike the APIs, the control plane shows internal keys (tests inspect deadlines),
        // except the password hashes the SSH logins are checked against.
        Some(object) => Json(without_secrets(object)).into_response(),
        None => not_found(&service, &collection, &id),
    }
}

async fn patch_object(
    State(sim): State<Arc<Sim>>,
    Path((service, collection, id)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let patch: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return control_error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")),
    };
    let mut world = sim.world().await;
    match world.get_mut(&service, &collection, &id) {
        Some(object) => {
            merge_patch(object, &patch);
            Json(without_secrets(object)).into_response()
        }
        None => not_found(&service, &collection, &id),
    }
}

async fn delete_object(
    State(sim): State<Arc<Sim>>,
    Path((service, collection, id)): Path<(String, String, String)>,
) -> Response {
    let mut world = sim.world().await;
    match world.remove(&service, &collection, &id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => not_found(&service, &collection, &id),
    }
}

/// Outermost layer: counts every API request by method, route template and final status.
pub async fn count_requests(State(sim): State<Arc<Sim>>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let skip = is_control_path(request.uri().path());
    // Unmatched paths share one bucket so that scanning clients cannot grow the table.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".to_owned());
    let response = next.run(request).await;
    if !skip {
        sim.count_request(&method, &route, response.status().as_u16());
    }
    response
}

/// Adds latency and fails requests as `/_sim/faults` says, in the failing service's own
/// error body, with `Retry-After` when the rule gives one.
pub async fn inject_faults(State(sim): State<Arc<Sim>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if is_control_path(&path) {
        return next.run(request).await;
    }
    let decision = sim.decide_fault(request.method().as_str(), &path);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let Some((status, retry_after)) = decision.failure else {
        return next.run(request).await;
    };
    if decision.after_handler {
        let lost = next.run(request).await;
        tracing::debug!(
            path,
            status = lost.status().as_u16(),
            "answer replaced by an injected failure"
        );
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = if status == StatusCode::TOO_MANY_REQUESTS {
        "Rate limit exceeded, please try again later (fault injected by dr-cloudsim)"
    } else {
        "The service failed to process the request (fault injected by dr-cloudsim)"
    };
    let mut response = services::error_response_for_path(&path, status, message);
    if let Some(seconds) = retry_after
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Innermost layer: after a request that may have written, waits until the state file holds
/// the change, so an acknowledged write survives `kill -9`.
pub async fn persist_writes(State(sim): State<Arc<Sim>>, request: Request, next: Next) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if writes && let Err(e) = sim.persist_after_mutation().await {
        tracing::error!(error = %e, "state file write failed");
        return services::error_response_for_path(
            &path,
            StatusCode::INTERNAL_SERVER_ERROR,
            "the emulator could not save its state",
        );
    }
    response
}
