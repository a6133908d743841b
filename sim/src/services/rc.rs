//! Resource Controller: service instances for PowerVS workspaces (`power-iaas`) and DR
//! Automation (`power-dr-automation`), in the platform-services `ResourceInstance` shape.
//!
//! Creating answers 202 with `state: provisioning`; the instance turns `active` after a
//! (time-scaled) delay, as real brokers do. Deleting answers 202, shows `pending_removal`,
//! then `removed` (still readable, like IBM's, until purged a day later); a second DELETE
//! answers 410. Resource Controller is the owner of a workspace's existence: creating a
//! `power-iaas` instance creates the PowerVS workspace, deleting it removes the workspace's
//! contents and detaches its Transit Gateway connections (`tg::on_network_deleted`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::scenario::Scenario;
use crate::services::WorldEvent;
use crate::services::kit::{Platform, PlatformCaller, fault_code, platform_error};
use crate::sim::Sim;
use crate::store::{World, public_view};
use crate::token::Claims;
use crate::util;

use super::gc::{self, CatalogService};

pub const SERVICE: &str = "rc";
pub const RESOURCE_INSTANCES: &str = "resource_instances";
pub const RESOURCE_GROUPS: &str = "resource_groups";

/// Real-cloud durations of the broker operations (divided by `--time-scale`).
const WORKSPACE_PROVISIONING: Duration = Duration::from_secs(60);
const DRA_PROVISIONING: Duration = Duration::from_secs(30);
const REMOVAL: Duration = Duration::from_secs(30);
/// How long a removed instance stays readable before the emulator forgets it.
const PURGE_AFTER_MS: u64 = 24 * 3600 * 1000;

/// PowerVS zones a workspace may be created in.
pub const POWER_ZONES: &[&str] = &[
    "dal10", "dal12", "dal13", "dal14", "us-south", "wdc06", "wdc07", "us-east", "tor01", "mon01",
    "sao01", "sao04", "lon04", "lon06", "eu-de-1", "eu-de-2", "mad02", "mad04", "tok04", "osa21",
    "syd04", "syd05", "che01",
];

pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route("/v2/resource_instances", get(list).post(create))
        .route("/v2/resource_instances/{id}", get(show).delete(remove))
}

pub fn error_response(status: StatusCode, message: &str) -> Response {
    let code = fault_code(
        status,
        &[(429, "RC-TooManyRequests")],
        "RC-InternalError",
        "RC-BadRequest",
    );
    platform_error(status, code, message)
}

/// Resource Controller, as a [`Platform`] API.
struct Rc;

impl Platform for Rc {
    const UNAUTHORIZED: &'static str = "RC-Unauthorized";
}

fn unauthorized(e: &crate::token::AuthError) -> Response {
    platform_error(StatusCode::UNAUTHORIZED, Rc::UNAUTHORIZED, &e.to_string())
}

/// The 32-hex-digit id form resource groups use.
fn group_id(world: &mut World) -> String {
    world.new_id().replace('-', "")
}

/// Resource groups, and an active `power-iaas` instance for every scenario workspace (the
/// PowerVS side reads their GUIDs back by name).
pub fn seed(world: &mut World, scenario: &Scenario, now_ms: u64) {
    let account = &scenario.account_id;
    for group in &scenario.resource_groups {
        let id = group_id(world);
        let object = json!({
            "id": id,
            "crn": format!("crn:v1:bluemix:public:resource-controller::a/{account}::resource-group:{id}"),
            "account_id": account,
            "name": group.name,
            "state": "ACTIVE",
            "default": group.default,
            "enable_reclamation": false,
            "quota_id": "a3d7b8d01e261c24677937c29ab33f3c",
            "quota_url": "/v2/quota_definitions/a3d7b8d01e261c24677937c29ab33f3c",
            "payment_methods_url": format!("/v2/resource_groups/{id}/payment_methods"),
            "resource_linkages": [],
            "teams_url": format!("/v2/resource_groups/{id}/teams"),
            "created_at": util::rfc3339(now_ms),
            "updated_at": util::rfc3339(now_ms),
        });
        world.insert(SERVICE, RESOURCE_GROUPS, &id, object);
    }
    for workspace in &scenario.workspaces {
        let Some(group) = resource_group_named(world, scenario, &workspace.resource_group) else {
            continue;
        };
        let guid = world.new_id();
        let instance = instance_object(InstanceInit {
            guid: &guid,
            name: &workspace.name,
            target: &workspace.zone,
            service: &gc::POWER_IAAS,
            group: &group,
            account,
            creator: &scenario.user.iam_id,
            parameters: json!({}),
            now_ms,
        });
        let crn = instance["crn"].as_str().unwrap_or_default().to_owned();
        let group_id = instance["resource_group_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        world.insert(
            SERVICE,
            RESOURCE_INSTANCES,
            &guid,
            with_state(instance, "active", now_ms),
        );
        super::notify(
            world,
            &WorldEvent::InstanceCreated {
                service: gc::POWER_IAAS.service_name,
                guid: &guid,
                crn: &crn,
                name: &workspace.name,
                zone: &workspace.zone,
                resource_group_id: &group_id,
                active_at: None,
            },
            now_ms,
        );
    }
}

/// A resource group by name; the empty name means the default group.
pub fn resource_group_named(world: &World, scenario: &Scenario, name: &str) -> Option<Value> {
    let wanted = if name.is_empty() {
        scenario.default_resource_group()?.name.clone()
    } else {
        name.to_owned()
    };
    world
        .find(SERVICE, RESOURCE_GROUPS, |g| g["name"] == wanted.as_str())
        .cloned()
}

/// The instance of a workspace or DR service by GUID (including removed ones).
pub fn instance<'w>(world: &'w World, guid: &str) -> Option<&'w Value> {
    world.get(SERVICE, RESOURCE_INSTANCES, guid)
}

pub fn advance(world: &mut World, now_ms: u64) {
    let due = world.ids_where(SERVICE, RESOURCE_INSTANCES, |i| {
        ["_active_at", "_removed_at", "_purge_at"]
            .iter()
            .any(|k| i[*k].as_u64().is_some_and(|t| t <= now_ms))
    });
    for guid in due {
        let purge = world
            .get(SERVICE, RESOURCE_INSTANCES, &guid)
            .and_then(|i| i["_purge_at"].as_u64())
            .is_some_and(|t| t <= now_ms);
        if purge {
            world.remove(SERVICE, RESOURCE_INSTANCES, &guid);
            continue;
        }
        let Some(instance) = world.get_mut(SERVICE, RESOURCE_INSTANCES, &guid) else {
            continue;
        };
        let Some(obj) = instance.as_object_mut() else {
            continue;
        };
        if let Some(at) = obj
            .get("_active_at")
            .and_then(Value::as_u64)
            .filter(|t| *t <= now_ms)
        {
            obj.remove("_active_at");
            if obj.get("state").and_then(Value::as_str) == Some("provisioning") {
                obj.insert("state".into(), json!("active"));
                obj.insert("updated_at".into(), json!(util::rfc3339(at)));
                obj.insert(
                    "last_operation".into(),
                    last_operation("create", "succeeded", at),
                );
            }
        }
        if let Some(at) = obj
            .get("_removed_at")
            .and_then(Value::as_u64)
            .filter(|t| *t <= now_ms)
        {
            obj.remove("_removed_at");
            obj.insert("state".into(), json!("removed"));
            obj.insert("deleted_at".into(), json!(util::rfc3339(at)));
            obj.insert("updated_at".into(), json!(util::rfc3339(at)));
            obj.insert(
                "last_operation".into(),
                last_operation("delete", "succeeded", at),
            );
            obj.insert("_purge_at".into(), json!(at.saturating_add(PURGE_AFTER_MS)));
        }
    }
}

fn last_operation(kind: &str, state: &str, at_ms: u64) -> Value {
    let in_progress = state == "in progress";
    json!({
        "type": kind,
        "state": state,
        "async": in_progress,
        "description": format!("{kind} {state}"),
        "cancelable": false,
        "poll": in_progress,
        "updated_at": util::rfc3339(at_ms),
    })
}

struct InstanceInit<'a> {
    guid: &'a str,
    name: &'a str,
    target: &'a str,
    service: &'a CatalogService,
    group: &'a Value,
    account: &'a str,
    creator: &'a str,
    parameters: Value,
    now_ms: u64,
}

fn instance_object(init: InstanceInit<'_>) -> Value {
    let crn = util::crn(
        init.service.service_name,
        init.target,
        init.account,
        init.guid,
    );
    let encoded_crn = crn.replace(':', "%3A").replace('/', "%2F");
    let now = util::rfc3339(init.now_ms);
    let guid = init.guid;
    json!({
        "id": crn,
        "guid": guid,
        "url": format!("/v2/resource_instances/{guid}"),
        "created_at": now,
        "updated_at": now,
        "deleted_at": null,
        "created_by": init.creator,
        "updated_by": init.creator,
        "deleted_by": "",
        "scheduled_reclaim_at": null,
        "restored_at": null,
        "restored_by": "",
        "scheduled_reclaim_by": "",
        "name": init.name,
        "region_id": init.target,
        "account_id": init.account,
        "reseller_channel_id": "",
        "resource_plan_id": init.service.plan_id,
        "resource_group_id": init.group["id"],
        "resource_group_crn": init.group["crn"],
        "target_crn": format!("crn:v1:bluemix:public:globalcatalog::::deployment:{}-{}", init.service.plan_id, init.target),
        "parameters": init.parameters,
        "allow_cleanup": false,
        "crn": crn,
        "state": "provisioning",
        "type": "service_instance",
        "sub_type": null,
        "resource_id": init.service.service_id,
        "dashboard_url": format!("https://cloud.ibm.com/services/{}/{encoded_crn}", init.service.service_name),
        "last_operation": last_operation("create", "in progress", init.now_ms),
        "resource_aliases_url": format!("/v2/resource_instances/{guid}/resource_aliases"),
        "resource_bindings_url": format!("/v2/resource_instances/{guid}/resource_bindings"),
        "resource_keys_url": format!("/v2/resource_instances/{guid}/resource_keys"),
        "plan_history": [{"resource_plan_id": init.service.plan_id, "start_date": now, "requestor_id": init.creator}],
        "migrated": false,
        "extensions": {},
        "controlled_by": "",
        "locked": false,
        "_service": init.service.service_name,
    })
}

fn with_state(mut instance: Value, state: &str, now_ms: u64) -> Value {
    if let Some(obj) = instance.as_object_mut() {
        obj.insert("state".into(), json!(state));
        if state == "active" {
            obj.insert(
                "last_operation".into(),
                last_operation("create", "succeeded", now_ms),
            );
        }
    }
    instance
}

fn bad_request(code: &str, message: &str) -> Response {
    platform_error(StatusCode::BAD_REQUEST, code, message)
}

async fn create(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    let claims: Claims = match sim.authenticate(&headers) {
        Ok(c) => c,
        Err(e) => return unauthorized(&e),
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return bad_request(
            "RC-InvalidRequestBody",
            "The request body is not valid JSON",
        );
    };
    let field = |name: &str| {
        request[name]
            .as_str()
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let (Some(name), Some(target), Some(group_id), Some(plan_id)) = (
        field("name"),
        field("target"),
        field("resource_group"),
        field("resource_plan_id"),
    ) else {
        return bad_request(
            "RC-MissingRequiredField",
            "name, target, resource_group and resource_plan_id are required",
        );
    };
    let Some(service) = gc::service_of_plan(&plan_id) else {
        return bad_request(
            "RC-PlanNotFound",
            &format!("The plan id {plan_id} was not found in the catalog"),
        );
    };
    let target_ok = if service.service_name == gc::POWER_IAAS.service_name {
        POWER_ZONES.contains(&target.as_str())
            || sim.scenario().workspaces.iter().any(|w| w.zone == target)
    } else {
        service.targets.contains(&target.as_str())
    };
    if !target_ok {
        return bad_request(
            "RC-InvalidTarget",
            &format!(
                "The target {target} is not a valid location for {}",
                service.service_name
            ),
        );
    }
    let now_ms = sim.now_ms();
    let mut world = sim.world().await;
    let Some(group) = world.get(SERVICE, RESOURCE_GROUPS, &group_id).cloned() else {
        return bad_request(
            "RC-ResourceGroupNotFound",
            &format!("The resource group {group_id} was not found"),
        );
    };
    if !world.has_room(SERVICE, RESOURCE_INSTANCES) {
        return platform_error(
            StatusCode::TOO_MANY_REQUESTS,
            "RC-QuotaExceeded",
            "The account's resource instance quota is exhausted",
        );
    }
    let guid = world.new_id();
    let mut instance = instance_object(InstanceInit {
        guid: &guid,
        name: &name,
        target: &target,
        service,
        group: &group,
        account: sim.account_id(),
        creator: &claims.iam_id,
        parameters: request.get("parameters").cloned().unwrap_or(json!({})),
        now_ms,
    });
    let provisioning = if service.service_name == gc::POWER_IAAS.service_name {
        WORKSPACE_PROVISIONING
    } else {
        DRA_PROVISIONING
    };
    let active_at = sim.deadline_after(provisioning);
    if let Some(obj) = instance.as_object_mut() {
        obj.insert("_active_at".into(), json!(active_at));
        if let Some(tags) = request.get("tags") {
            obj.insert("_tags".into(), tags.clone());
        }
    }
    // The service behind the instance makes its own objects (PowerVS: the workspace).
    let crn = instance["crn"].as_str().unwrap_or_default().to_owned();
    super::notify(
        &mut world,
        &WorldEvent::InstanceCreated {
            service: service.service_name,
            guid: &guid,
            crn: &crn,
            name: &name,
            zone: &target,
            resource_group_id: &group_id,
            active_at: Some(active_at),
        },
        now_ms,
    );
    world.insert(SERVICE, RESOURCE_INSTANCES, &guid, instance.clone());
    (StatusCode::ACCEPTED, Json(public_view(&instance))).into_response()
}

/// Accepts the GUID or the CRN (the `id`) as IBM does.
fn find_guid(world: &World, id: &str) -> Option<String> {
    if world.get(SERVICE, RESOURCE_INSTANCES, id).is_some() {
        return Some(id.to_owned());
    }
    world
        .find(SERVICE, RESOURCE_INSTANCES, |i| i["id"] == id)
        .and_then(|i| i["guid"].as_str().map(str::to_owned))
}

async fn show(Path(id): Path<String>, caller: PlatformCaller<Rc>) -> Response {
    let world = caller.sim.world().await;
    match find_guid(&world, &id).and_then(|g| world.get(SERVICE, RESOURCE_INSTANCES, &g)) {
        Some(instance) => Json(public_view(instance)).into_response(),
        None => platform_error(
            StatusCode::NOT_FOUND,
            "RC-ResourceInstanceNotFound",
            &format!("The resource instance {id} was not found"),
        ),
    }
}

async fn list(
    Query(query): Query<HashMap<String, String>>,
    PlatformCaller { sim, .. }: PlatformCaller<Rc>,
) -> Response {
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(100)
        .clamp(1, 100);
    let start: usize = query.get("start").and_then(|s| s.parse().ok()).unwrap_or(0);
    let wants = |instance: &Value, key: &str, field: &str| {
        query.get(key).is_none_or(|v| instance[field] == v.as_str())
    };
    let world = sim.world().await;
    let matching: Vec<Value> = world
        .list(SERVICE, RESOURCE_INSTANCES)
        .filter(|i| match query.get("state") {
            Some(state) => i["state"] == state.as_str(),
            // Like IBM, removed instances are only listed when asked for.
            None => i["state"] != "removed",
        })
        .filter(|i| {
            wants(i, "guid", "guid")
                && wants(i, "name", "name")
                && wants(i, "resource_group_id", "resource_group_id")
                && wants(i, "resource_id", "resource_id")
                && wants(i, "resource_plan_id", "resource_plan_id")
                && wants(i, "type", "type")
        })
        .map(public_view)
        .collect();
    let total = matching.len();
    let page: Vec<Value> = matching.into_iter().skip(start).take(limit).collect();
    let next_url = if start + page.len() < total {
        json!(format!(
            "/v2/resource_instances?start={}&limit={limit}",
            start + page.len()
        ))
    } else {
        Value::Null
    };
    Json(json!({"rows_count": page.len(), "next_url": next_url, "resources": page})).into_response()
}

async fn remove(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let claims = match sim.authenticate(&headers) {
        Ok(c) => c,
        Err(e) => return unauthorized(&e),
    };
    let now_ms = sim.now_ms();
    let removed_at = sim.deadline_after(REMOVAL);
    let mut world = sim.world().await;
    let Some(guid) = find_guid(&world, &id) else {
        return platform_error(
            StatusCode::NOT_FOUND,
            "RC-ResourceInstanceNotFound",
            &format!("The resource instance {id} was not found"),
        );
    };
    let Some(instance) = world.get_mut(SERVICE, RESOURCE_INSTANCES, &guid) else {
        return error_response(StatusCode::INTERNAL_SERVER_ERROR, "instance vanished");
    };
    let state = instance["state"].as_str().unwrap_or_default().to_owned();
    if state == "removed" || state == "pending_removal" {
        return platform_error(
            StatusCode::GONE,
            "RC-ResourceInstanceGone",
            &format!("The resource instance {id} has already been deleted"),
        );
    }
    let service = instance["_service"].as_str().unwrap_or_default().to_owned();
    let crn = instance["crn"].as_str().unwrap_or_default().to_owned();
    if let Some(obj) = instance.as_object_mut() {
        obj.insert("state".into(), json!("pending_removal"));
        obj.remove("_active_at");
        obj.insert("_removed_at".into(), json!(removed_at));
        obj.insert("deleted_by".into(), json!(claims.iam_id));
        obj.insert("updated_at".into(), json!(util::rfc3339(now_ms)));
        obj.insert(
            "last_operation".into(),
            last_operation("delete", "in progress", now_ms),
        );
    }
    // The services that keep objects of this instance (a workspace, a deployment) follow.
    super::notify(
        &mut world,
        &WorldEvent::InstanceDeleted {
            service: &service,
            guid: &guid,
            crn: &crn,
        },
        now_ms,
    );
    StatusCode::ACCEPTED.into_response()
}
