//! The emulated IBM services, each under its URL prefix, and the lists of their `seed` and
//! `advance` functions that the core calls.

pub mod dra;
pub mod gc;
pub mod iam;
pub mod ksys;
pub mod power;
pub mod rc;
pub mod rm;
pub mod tg;
pub mod vpc;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::scenario::Scenario;
use crate::sim::Sim;
use crate::store::World;

/// Every service mounted under its prefix (`/iam`, `/rc`, ..., as `docs/guides/dr-cloudsim.md`
/// lists them).
pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .nest("/iam", iam::router())
        .nest("/rc", rc::router())
        .nest("/gc", gc::router())
        .nest("/rm", rm::router())
        .nest("/power", power::router())
        .nest("/vpc", vpc::router())
        .nest("/tg", tg::router())
        .nest("/dra", dra::router())
}

/// Builds the scenario's initial objects. Order matters: later services read earlier ones'
/// objects (the Transit Gateway connects the workspaces' CRNs and the VPC).
pub fn seed_all(world: &mut World, scenario: &Scenario, now_ms: u64) {
    iam::seed(world, scenario, now_ms);
    rc::seed(world, scenario, now_ms);
    power::seed(world, scenario, now_ms);
    vpc::seed(world, scenario, now_ms);
    tg::seed(world, scenario, now_ms);
    dra::seed(world, scenario, now_ms);
    ksys::seed(world);
}

/// Applies every asynchronous transition that is due at `now_ms`.
pub fn advance_all(world: &mut World, now_ms: u64) {
    rc::advance(world, now_ms);
    power::advance(world, now_ms);
    vpc::advance(world, now_ms);
    tg::advance(world, now_ms);
    dra::advance(world, now_ms);
    ksys::advance(world, now_ms);
}

/// An error in the body shape of the service that owns `path` (used for injected faults).
pub fn error_response_for_path(path: &str, status: StatusCode, message: &str) -> Response {
    let service = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match service {
        "iam" => iam::error_response(status, message),
        "rc" => rc::error_response(status, message),
        "gc" => gc::error_response(status, message),
        "rm" => rm::error_response(status, message),
        "power" => power::error_response(status, message),
        "vpc" => vpc::error_response(status, message),
        "tg" => tg::error_response(status, message),
        "dra" => dra::error_response(status, message),
        _ => (
            status,
            axum::Json(serde_json::json!({"errors": [{"code": status.as_u16().to_string(), "message": message}]})),
        )
            .into_response(),
    }
}
