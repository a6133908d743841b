//! Global Catalog: just enough for a client to resolve a service's plan id by name.
//!
//! `GET /gc/api/v1?q=<name>` finds service entries, `GET /gc/api/v1/{id}/plan` lists a
//! service's plans (`{resources:[{id, name, kind: "plan", ...}]}`), in the real
//! `EntrySearchResult` / `CatalogEntry` shapes. The catalog is static, so it is not part of
//! the world. The catalog is public in IBM Cloud too, so no token is required.

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

/// A catalog service and its one plan.
#[derive(Debug, Clone, Copy)]
pub struct CatalogService {
    pub service_id: &'static str,
    pub service_name: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    pub plan_id: &'static str,
    pub plan_name: &'static str,
    pub plan_display_name: &'static str,
    /// Where instances may be created: zones for workspaces, `global` for DR Automation.
    pub targets: &'static [&'static str],
}

/// `power-iaas`: the public plan id is the one power-go-client hard-codes.
pub const POWER_IAAS: CatalogService = CatalogService {
    service_id: "abd259f0-9990-11e8-acc8-b9f54a8f1661",
    service_name: "power-iaas",
    display_name: "Workspace for Power Virtual Server",
    description: "IBM Power Virtual Server workspaces",
    plan_id: "f165dd34-3a40-423b-9d95-e90a23f724dd",
    plan_name: "power-virtual-server-group",
    plan_display_name: "Power Virtual Server Group",
    targets: &[],
};

/// `power-dr-automation`: the ids are the emulator's own (IBM's are not published).
pub const POWER_DR_AUTOMATION: CatalogService = CatalogService {
    service_id: "a7f0d2c4-6b1e-4e8a-9c3d-5f2b8e1a7c90",
    service_name: "power-dr-automation",
    display_name: "DR Automation for Power Virtual Server",
    description: "Disaster recovery orchestration for Power Virtual Server workloads",
    plan_id: "3c9e5a1b-7d24-4f60-8b2e-1a6d9c4f0e37",
    plan_name: "power-virtual-server-dr-automation",
    plan_display_name: "DR Automation Private Plan",
    targets: &["global"],
};

pub const SERVICES: &[CatalogService] = &[POWER_IAAS, POWER_DR_AUTOMATION];

/// The catalog service a plan id belongs to.
pub fn service_of_plan(plan_id: &str) -> Option<&'static CatalogService> {
    SERVICES.iter().find(|s| s.plan_id == plan_id)
}

pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route("/api/v1", get(search))
        .route("/api/v1/", get(search))
        .route("/api/v1/{id}", get(entry))
        .route("/api/v1/{id}/{kind}", get(children))
}

/// The platform error body (`{error_code, message, status_code, transaction_id}`).
pub fn error_response(status: StatusCode, message: &str) -> Response {
    super::kit::platform_error(status, "GC-Error", message)
}

const CREATED: &str = "2019-01-01T00:00:00.000Z";

fn catalog_entry(
    id: &str,
    name: &str,
    kind: &str,
    display: &str,
    description: &str,
    parent: Option<&str>,
) -> Value {
    let mut entry = json!({
        "id": id,
        "name": name,
        "kind": kind,
        "active": true,
        "disabled": false,
        "tags": ["ibm_created"],
        "geo_tags": ["global"],
        "pricing_tags": [],
        "overview_ui": {"en": {"display_name": display, "description": description, "long_description": description}},
        "images": {"image": "", "small_image": "", "medium_image": "", "feature_image": ""},
        "provider": {"name": "IBM", "email": "noreply@ibm.com"},
        "metadata": {},
        "created": CREATED,
        "updated": CREATED,
        "url": format!("/gc/api/v1/{id}"),
        "children_url": format!("/gc/api/v1/{id}/%2A"),
        "catalog_crn": format!("crn:v1:bluemix:public:globalcatalog::::{kind}:{id}"),
    });
    if let (Some(parent), Some(obj)) = (parent, entry.as_object_mut()) {
        obj.insert("parent_id".into(), json!(parent));
    }
    entry
}

fn service_entry(s: &CatalogService) -> Value {
    catalog_entry(
        s.service_id,
        s.service_name,
        "service",
        s.display_name,
        s.description,
        None,
    )
}

fn plan_entry(s: &CatalogService) -> Value {
    catalog_entry(
        s.plan_id,
        s.plan_name,
        "plan",
        s.plan_display_name,
        s.plan_display_name,
        Some(s.service_id),
    )
}

fn page(resources: Vec<Value>, offset: usize, limit: usize) -> Value {
    let count = resources.len();
    let slice: Vec<Value> = resources.into_iter().skip(offset).take(limit).collect();
    json!({
        "offset": offset,
        "limit": limit,
        "count": count,
        "resource_count": slice.len(),
        "first": "",
        "last": "",
        "resources": slice,
    })
}

fn paging(query: &HashMap<String, String>) -> (usize, usize) {
    let offset = query
        .get("_offset")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let limit = query
        .get("_limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(200usize)
        .clamp(1, 200);
    (offset, limit)
}

/// `q` is either `name:<name>` or free text; free text matches names by substring, the
/// way the catalog's search finds a service by its name.
fn matches(s: &CatalogService, q: &str) -> bool {
    let q = q.trim();
    if q.is_empty() {
        return true;
    }
    q.split_whitespace().all(|term| match term.split_once(':') {
        Some(("name", name)) => s.service_name == name,
        Some(("kind", kind)) => kind == "service",
        Some(("id", id)) => s.service_id == id,
        _ => {
            s.service_name.contains(term)
                || s.display_name.to_lowercase().contains(&term.to_lowercase())
        }
    })
}

async fn search(Query(query): Query<HashMap<String, String>>) -> Json<Value> {
    let q = query.get("q").cloned().unwrap_or_default();
    let (offset, limit) = paging(&query);
    let found: Vec<Value> = SERVICES
        .iter()
        .filter(|s| matches(s, &q))
        .map(service_entry)
        .collect();
    Json(page(found, offset, limit))
}

async fn entry(Path(id): Path<String>) -> Response {
    for s in SERVICES {
        if s.service_id == id || s.service_name == id {
            return Json(service_entry(s)).into_response();
        }
        if s.plan_id == id {
            return Json(plan_entry(s)).into_response();
        }
    }
    error_response(
        StatusCode::NOT_FOUND,
        &format!("catalog entry {id} not found"),
    )
}

async fn children(
    Path((id, kind)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(s) = SERVICES
        .iter()
        .find(|s| s.service_id == id || s.service_name == id)
    else {
        return error_response(
            StatusCode::NOT_FOUND,
            &format!("catalog entry {id} not found"),
        );
    };
    let (offset, limit) = paging(&query);
    let plans = if kind == "plan" || kind == "*" {
        vec![plan_entry(s)]
    } else {
        Vec::new()
    };
    Json(page(plans, offset, limit)).into_response()
}
