//! Resource Manager: `GET /rm/v2/resource_groups[/{id}]`, enough to find the account's
//! default resource group (`?default=true`) or one by name, in the real `ResourceGroup`
//! shape. The groups themselves are seeded by [`super::rc::seed`] into `rc/resource_groups`
//! because Resource Controller validates them on every create.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::sim::Sim;
use crate::store::public_view;

use super::kit::{Platform, PlatformCaller};
use super::rc::{RESOURCE_GROUPS, SERVICE as RC};

pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route("/v2/resource_groups", get(list))
        .route("/v2/resource_groups/{id}", get(show))
}

pub fn error_response(status: StatusCode, message: &str) -> Response {
    super::kit::platform_error(status, "RM-Error", message)
}

/// Resource Manager, as a [`Platform`] API.
struct Rm;

impl Platform for Rm {
    const UNAUTHORIZED: &'static str = "RM-Unauthorized";
}

async fn list(
    Query(query): Query<HashMap<String, String>>,
    PlatformCaller { sim, .. }: PlatformCaller<Rm>,
) -> Response {
    let world = sim.world().await;
    let groups: Vec<Value> = world
        .list(RC, RESOURCE_GROUPS)
        .filter(|g| {
            query
                .get("account_id")
                .is_none_or(|a| g["account_id"] == a.as_str())
        })
        .filter(|g| query.get("name").is_none_or(|n| g["name"] == n.as_str()))
        .filter(|g| match query.get("default").map(String::as_str) {
            Some("true") => g["default"] == true,
            Some("false") => g["default"] == false,
            _ => true,
        })
        .map(public_view)
        .collect();
    Json(json!({"resources": groups})).into_response()
}

async fn show(Path(id): Path<String>, caller: PlatformCaller<Rm>) -> Response {
    let world = caller.sim.world().await;
    match world.get(RC, RESOURCE_GROUPS, &id) {
        Some(group) => Json(public_view(group)).into_response(),
        None => super::kit::platform_error(
            StatusCode::NOT_FOUND,
            "RM-ResourceGroupNotFound",
            &format!("Resource group {id} not found"),
        ),
    }
}
