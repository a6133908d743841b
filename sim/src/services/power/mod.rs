//! PowerVS: workspaces (`/v1/workspaces`), the legacy cloud-instance API
//! (`/pcloud/v1/cloud-instances/{cid}/...`: networks, stock images and images, PVM
//! instances and their networks, storage tiers) and SSH keys (`/v1/ssh-keys`, legacy tenant
//! `sshkeys`), with the field names of IBM-Cloud/power-go-client `power/models`.
//!
//! Every request needs a valid bearer token; cloud-instance and SSH-key requests also need
//! the `CRN` header of the workspace they address, as PowerVS checks it. Errors use the
//! PowerVS body `{code, description, error, message}`.
//!
//! A workspace's existence is owned by Resource Controller (see [`super::rc`]): the RC
//! create calls [`create_workspace`], the RC delete calls [`remove_workspace`].

mod images;
mod instance_networks;
mod instances;
mod networks;

use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::MutexGuard;

use crate::scenario::Scenario;
use crate::services::kit::{ErrorStyle, IbmError};
use crate::services::{WorldEvent, gc};
use crate::sim::Sim;
use crate::store::{World, public_view};
use crate::token::Claims;
use crate::util;

pub use instances::{create_instance, create_settled};

pub const SERVICE: &str = "power";
pub const WORKSPACES: &str = "workspaces";
pub const NETWORKS: &str = "networks";
pub const IMAGES: &str = "images";
pub const STOCK_IMAGES: &str = "stock_images";
pub const SSH_KEYS: &str = "ssh_keys";
pub const PVM_INSTANCES: &str = "pvm_instances";

/// The internal key naming the workspace (GUID) an object belongs to.
pub const OWNER: &str = "_workspace";

/// The PowerVS error body: `{code, description, error, message}`, `code` being the HTTP
/// status and `message` repeating `description`.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerStyle;

impl ErrorStyle for PowerStyle {
    fn body(e: &IbmError<Self>) -> Value {
        json!({
            "code": e.status.as_u16(),
            "description": e.message,
            "error": e.code,
            "message": e.message,
        })
    }
}

/// A PowerVS error: HTTP status plus the `error` (short, kept as `code`) and `description`
/// (long, kept as `message`) texts.
pub type PowerError = IbmError<PowerStyle>;

impl IbmError<PowerStyle> {
    pub fn new(status: StatusCode, error: &str, description: impl Into<String>) -> Self {
        Self::with_status(status, error, description)
    }

    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad request", description)
    }

    pub fn not_found(kind: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            &format!("{kind} not found"),
            format!("{kind} does not exist, id: {id}"),
        )
    }

    pub fn conflict(description: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", description)
    }

    /// The 403 of a create when the account's quota of `kind` is used up.
    pub fn quota_exceeded(kind: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "quota exceeded",
            format!("the {kind} quota of this account is exhausted"),
        )
    }
}

impl std::fmt::Display for IbmError<PowerStyle> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code,
            self.status.as_u16(),
            self.message
        )
    }
}

impl std::error::Error for IbmError<PowerStyle> {}

pub fn error_response(status: StatusCode, message: &str) -> Response {
    let error = status.canonical_reason().unwrap_or("error").to_lowercase();
    PowerError::new(status, &error, message).into_response()
}

pub type PowerResult = Result<Response, PowerError>;

pub fn router() -> Router<Arc<Sim>> {
    const CI: &str = "/pcloud/v1/cloud-instances/{cloud_instance_id}";
    Router::new()
        .route("/v1/workspaces", get(list_workspaces))
        .route("/v1/workspaces/{workspace_id}", get(show_workspace))
        .route(
            "/v1/ssh-keys",
            get(images::list_keys).post(images::create_key),
        )
        .route(
            "/v1/ssh-keys/{sshkey_id}",
            get(images::show_key)
                .put(images::update_key)
                .delete(images::delete_key),
        )
        .route(
            "/pcloud/v1/tenants/{tenant_id}/sshkeys",
            get(images::list_tenant_keys).post(images::create_tenant_key),
        )
        .route(
            "/pcloud/v1/tenants/{tenant_id}/sshkeys/{sshkey_name}",
            get(images::show_tenant_key).delete(images::delete_tenant_key),
        )
        .route(CI, get(show_cloud_instance))
        .route(&format!("{CI}/storage-tiers"), get(storage_tiers))
        .route(
            &format!("{CI}/networks"),
            get(networks::list).post(networks::create),
        )
        .route(
            &format!("{CI}/networks/{{network_id}}"),
            get(networks::show)
                .put(networks::update)
                .delete(networks::delete),
        )
        .route(&format!("{CI}/stock-images"), get(images::list_stock))
        .route(
            &format!("{CI}/stock-images/{{image_id}}"),
            get(images::show_stock),
        )
        .route(
            &format!("{CI}/images"),
            get(images::list_images).post(images::create_image),
        )
        .route(
            &format!("{CI}/images/{{image_id}}"),
            get(images::show_image).delete(images::delete_image),
        )
        .route(
            &format!("{CI}/pvm-instances"),
            get(instances::list).post(instances::create),
        )
        .route(
            &format!("{CI}/pvm-instances/{{pvm_instance_id}}"),
            get(instances::show)
                .put(instances::update)
                .delete(instances::delete),
        )
        .route(
            &format!("{CI}/pvm-instances/{{pvm_instance_id}}/action"),
            post(instances::action),
        )
        .route(
            &format!("{CI}/pvm-instances/{{pvm_instance_id}}/networks"),
            get(instance_networks::list).post(instance_networks::attach),
        )
        .route(
            &format!("{CI}/pvm-instances/{{pvm_instance_id}}/networks/{{network_id}}"),
            get(instance_networks::show).delete(instance_networks::detach),
        )
        .route(
            "/pcloud/v2/cloud-instances/{cloud_instance_id}/pvm-instances",
            get(instances::list_v2),
        )
}

/// What the RC create knows about a new workspace.
#[derive(Debug, Clone)]
pub struct WorkspaceInit {
    pub guid: String,
    pub crn: String,
    pub name: String,
    pub zone: String,
    pub resource_group_id: String,
    pub created_ms: u64,
    /// `None`: active at once (seeded workspaces).
    pub active_at: Option<u64>,
    /// sysType values offered; empty means the zone's defaults.
    pub machine_types: Vec<String>,
}

/// Region of a zone, as the PowerVS endpoint names it (`dal10` -> `dal`, `eu-de-1` -> `eu-de`).
pub fn region_of_zone(zone: &str) -> String {
    if zone.contains('-') {
        match zone.rsplit_once('-') {
            Some((head, tail)) if tail.chars().all(|c| c.is_ascii_digit()) => head.to_owned(),
            _ => zone.to_owned(),
        }
    } else {
        zone.trim_end_matches(|c: char| c.is_ascii_digit())
            .to_owned()
    }
}

const DEFAULT_MACHINE_TYPES: &[&str] = &["s922", "e980", "s1022", "e1080"];

/// Adds the PowerVS side of a workspace (the RC instance is the caller's business).
pub fn create_workspace(world: &mut World, init: WorkspaceInit) {
    let status = if init.active_at.is_some() {
        "provisioning"
    } else {
        "active"
    };
    let machine_types: Vec<String> = if init.machine_types.is_empty() {
        DEFAULT_MACHINE_TYPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    } else {
        init.machine_types
    };
    let region = region_of_zone(&init.zone);
    let object = json!({
        "id": init.guid,
        "name": init.name,
        "status": status,
        "type": "off-premises",
        "capabilities": {"cloud-connections": false, "power-edge-router": true, "power-vpn-connections": false, "transit-gateway-connection": true},
        "details": {
            "creationDate": util::rfc3339(init.created_ms),
            "crn": init.crn,
            "powerEdgeRouter": {"state": "active", "type": "automated"},
            "networkSecurityGroups": {"state": "inactive"},
        },
        "location": {
            "region": init.zone,
            "type": "data-center",
            "url": format!("https://{region}.power-iaas.cloud.ibm.com"),
        },
        "_zone": init.zone,
        "_resource_group_id": init.resource_group_id,
        "_machine_types": machine_types,
        "_active_at": init.active_at,
    });
    world.insert(SERVICE, WORKSPACES, &init.guid, object);
}

/// A `power-iaas` instance brings its workspace; deleted, it takes the workspace and
/// everything in it along.
pub fn on_event(world: &mut World, event: &WorldEvent, now_ms: u64) {
    match *event {
        WorldEvent::InstanceCreated {
            service,
            guid,
            crn,
            name,
            zone,
            resource_group_id,
            active_at,
        } if service == gc::POWER_IAAS.service_name => create_workspace(
            world,
            WorkspaceInit {
                guid: guid.to_owned(),
                crn: crn.to_owned(),
                name: name.to_owned(),
                zone: zone.to_owned(),
                resource_group_id: resource_group_id.to_owned(),
                created_ms: now_ms,
                active_at,
                machine_types: Vec::new(),
            },
        ),
        WorldEvent::InstanceDeleted { service, guid, .. }
            if service == gc::POWER_IAAS.service_name =>
        {
            remove_workspace(world, guid)
        }
        _ => {}
    }
}

/// Removes a workspace and everything in it.
pub fn remove_workspace(world: &mut World, guid: &str) {
    world.remove(SERVICE, WORKSPACES, guid);
    for collection in [NETWORKS, IMAGES, SSH_KEYS, PVM_INSTANCES] {
        for id in world.ids_where(SERVICE, collection, |o| o[OWNER] == guid) {
            world.remove(SERVICE, collection, &id);
        }
    }
}

/// Stock images, then each scenario workspace with its networks, keys, images and VMs.
pub fn seed(world: &mut World, scenario: &Scenario, now_ms: u64) {
    images::seed_stock(world, scenario, now_ms);
    for spec in &scenario.workspaces {
        // Resource Controller's seed created the workspace (through its instance's event).
        let Some(guid) = world
            .find(SERVICE, WORKSPACES, |w| w["name"] == spec.name.as_str())
            .and_then(|w| w["id"].as_str().map(str::to_owned))
        else {
            continue;
        };
        if !spec.machine_types.is_empty()
            && let Some(workspace) = world.get_mut(SERVICE, WORKSPACES, &guid)
        {
            workspace["_machine_types"] = json!(spec.machine_types);
        }
        for net in &spec.networks {
            networks::seed_network(world, &guid, net, now_ms);
        }
        for key in &spec.ssh_keys {
            images::seed_key(world, &guid, key, now_ms);
        }
        for image in &spec.images {
            images::seed_image(world, &guid, image, now_ms);
        }
        for vm in &spec.instances {
            instances::seed_instance(world, scenario, &guid, vm, now_ms);
        }
    }
}

pub fn advance(world: &mut World, now_ms: u64) {
    for guid in world.ids_where(SERVICE, WORKSPACES, |w| {
        w["_active_at"].as_u64().is_some_and(|t| t <= now_ms)
    }) {
        if let Some(obj) = world
            .get_mut(SERVICE, WORKSPACES, &guid)
            .and_then(Value::as_object_mut)
        {
            obj.insert("status".into(), json!("active"));
            obj.insert("_active_at".into(), Value::Null);
        }
    }
    instances::advance(world, now_ms);
}

fn unauthorized(e: &crate::token::AuthError) -> PowerError {
    PowerError::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string())
}

/// A request on one workspace: token checked, `CRN` header matching the workspace, the
/// world locked and the workspace active.
pub struct WorkspaceRequest<'a> {
    pub claims: Claims,
    pub world: MutexGuard<'a, World>,
    pub workspace: Value,
}

impl WorkspaceRequest<'_> {
    pub fn guid(&self) -> &str {
        self.workspace["id"].as_str().unwrap_or_default()
    }

    pub fn zone(&self) -> &str {
        self.workspace["_zone"].as_str().unwrap_or_default()
    }

    pub fn crn(&self) -> &str {
        self.workspace["details"]["crn"]
            .as_str()
            .unwrap_or_default()
    }
}

/// The objects of `collection` in workspace `guid`, each as `view` shows it.
pub fn in_workspace(
    world: &World,
    collection: &str,
    guid: &str,
    view: impl Fn(&Value) -> Value,
) -> Vec<Value> {
    world
        .list(SERVICE, collection)
        .filter(|o| o[OWNER] == guid)
        .map(view)
        .collect()
}

/// The instance's id by id or name, or the PowerVS 404.
pub(super) fn instance_id(world: &World, cid: &str, pvm_id: &str) -> Result<String, PowerError> {
    find_in_workspace(world, PVM_INSTANCES, cid, pvm_id, "serverName")
        .and_then(|v| v["pvmInstanceID"].as_str().map(str::to_owned))
        .ok_or_else(|| PowerError::not_found("pvm-instance", pvm_id))
}

/// The instance by id or name, or the PowerVS 404.
pub(super) fn instance<'w>(
    world: &'w World,
    cid: &str,
    pvm_id: &str,
) -> Result<&'w Value, PowerError> {
    let id = instance_id(world, cid, pvm_id)?;
    world
        .get(SERVICE, PVM_INSTANCES, &id)
        .ok_or_else(|| PowerError::not_found("pvm-instance", pvm_id))
}

/// The instance by id or name, to change, or the PowerVS 404.
pub(super) fn instance_mut<'w>(
    world: &'w mut World,
    cid: &str,
    pvm_id: &str,
) -> Result<&'w mut Value, PowerError> {
    let id = instance_id(world, cid, pvm_id)?;
    world
        .get_mut(SERVICE, PVM_INSTANCES, &id)
        .ok_or_else(|| PowerError::not_found("pvm-instance", pvm_id))
}

/// An object of `collection` in workspace `guid`, addressed as every PowerVS path addresses
/// networks, images and instances: by its id, or else by its name (`name_field`).
pub fn find_in_workspace<'w>(
    world: &'w World,
    collection: &str,
    guid: &str,
    id_or_name: &str,
    name_field: &str,
) -> Option<&'w Value> {
    world
        .get(SERVICE, collection, id_or_name)
        .filter(|o| o[OWNER] == guid)
        .or_else(|| {
            world.find(SERVICE, collection, |o| {
                o[OWNER] == guid && o[name_field] == id_or_name
            })
        })
}

/// The workspace GUID a `CRN` header names, after checking it is this account's.
fn workspace_of_crn_header(sim: &Sim, headers: &HeaderMap) -> Result<String, PowerError> {
    let crn = headers
        .get("crn")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| PowerError::bad_request("the CRN header is required"))?;
    let fields: Vec<&str> = crn.split(':').collect();
    let well_formed = fields.len() >= 8
        && fields[0] == "crn"
        && fields[4] == "power-iaas"
        && fields[6] == format!("a/{}", sim.account_id());
    if !well_formed {
        return Err(PowerError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("the CRN header {crn} does not identify a workspace of this account"),
        ));
    }
    Ok(fields[7].to_owned())
}

/// A PowerVS request as every handler takes it: the simulator and the request headers.
/// Extracting it checks nothing, so a handler's body extractor still answers a bad body
/// before [`PowerCall::open`] checks the token and the `CRN` header.
pub struct PowerCall {
    pub sim: Arc<Sim>,
    headers: HeaderMap,
}

impl FromRequestParts<Arc<Sim>> for PowerCall {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, sim: &Arc<Sim>) -> Result<Self, Infallible> {
        Ok(PowerCall {
            sim: Arc::clone(sim),
            headers: parts.headers.clone(),
        })
    }
}

impl PowerCall {
    /// The caller's token claims, or the PowerVS 401.
    fn authenticate(&self) -> Result<Claims, PowerError> {
        self.sim
            .authenticate(&self.headers)
            .map_err(|e| unauthorized(&e))
    }

    /// The request on the workspace its `CRN` header names (which must be
    /// `cloud_instance_id` when the path has one): token checked, world locked, workspace
    /// active.
    pub async fn open(
        &self,
        cloud_instance_id: Option<&str>,
    ) -> Result<WorkspaceRequest<'_>, PowerError> {
        let claims = self.authenticate()?;
        let from_header = workspace_of_crn_header(&self.sim, &self.headers)?;
        if let Some(cid) = cloud_instance_id
            && cid != from_header
        {
            return Err(PowerError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("the CRN header does not match cloud instance {cid}"),
            ));
        }
        let world = self.sim.world().await;
        let workspace = world
            .get(SERVICE, WORKSPACES, &from_header)
            .cloned()
            .ok_or_else(|| PowerError::not_found("cloud instance", &from_header))?;
        if workspace["status"] != "active" {
            return Err(PowerError::conflict(format!(
                "cloud instance {from_header} is not active yet (status {})",
                workspace["status"]
            )));
        }
        Ok(WorkspaceRequest {
            claims,
            world,
            workspace,
        })
    }
}

async fn list_workspaces(call: PowerCall) -> PowerResult {
    call.authenticate()?;
    let world = call.sim.world().await;
    let workspaces: Vec<Value> = world.list(SERVICE, WORKSPACES).map(public_view).collect();
    Ok(Json(json!({"workspaces": workspaces})).into_response())
}

async fn show_workspace(call: PowerCall, Path(workspace_id): Path<String>) -> PowerResult {
    call.authenticate()?;
    let world = call.sim.world().await;
    let workspace = world
        .get(SERVICE, WORKSPACES, &workspace_id)
        .ok_or_else(|| PowerError::not_found("workspace", &workspace_id))?;
    Ok(Json(public_view(workspace)).into_response())
}

async fn show_cloud_instance(
    call: PowerCall,
    Path(cloud_instance_id): Path<String>,
) -> PowerResult {
    let request = call.open(Some(&cloud_instance_id)).await?;
    let guid = request.guid().to_owned();
    let vms = in_workspace(&request.world, PVM_INSTANCES, &guid, |v| {
        instances::view(v, &guid)
    });
    let procs: f64 = vms.iter().filter_map(|v| v["processors"].as_f64()).sum();
    let memory: f64 = vms.iter().filter_map(|v| v["memory"].as_f64()).sum();
    let body = json!({
        "cloudInstanceID": guid,
        "name": request.workspace["name"],
        "enabled": true,
        "initialized": true,
        "region": request.zone(),
        "tenantID": call.sim.account_id(),
        "openstackID": guid.replace('-', ""),
        "capabilities": ["cloud-connections", "power-edge-router", "transit-gateway-connection"],
        "limits": {"instances": 1000, "memory": 10000, "proc": 1000, "procUnits": 1000, "storage": 100000, "storageTier1": 50000, "storageTier3": 50000},
        "usage": {"instances": vms.len(), "memory": memory, "proc": procs, "procUnits": procs, "storage": 0},
        "pvmInstances": vms,
    });
    Ok(Json(body).into_response())
}

/// The storage tiers a workspace offers (DR uses tier1 and tier3).
async fn storage_tiers(call: PowerCall, Path(cloud_instance_id): Path<String>) -> PowerResult {
    call.open(Some(&cloud_instance_id)).await?;
    let tiers = json!([
        {"name": "tier0", "description": "NVMe flash, 25 IOPS/GB", "state": "active"},
        {"name": "tier1", "description": "NVMe flash, 10 IOPS/GB", "state": "active"},
        {"name": "tier3", "description": "NVMe flash, 3 IOPS/GB", "state": "active"},
        {"name": "tier5k", "description": "Fixed 5000 IOPS", "state": "active"},
    ]);
    Ok(Json(tiers).into_response())
}

/// The JSON object body of a create or update, as an extractor ([`parse_body`] of the bytes).
/// It runs before the handler's token and `CRN` checks, so a bad body is answered first, as
/// when each handler parsed its body first thing.
pub struct PowerBody(pub Value);

impl FromRequest<Arc<Sim>> for PowerBody {
    type Rejection = Response;

    async fn from_request(request: Request, sim: &Arc<Sim>) -> Result<Self, Response> {
        let bytes = Bytes::from_request(request, sim)
            .await
            .map_err(IntoResponse::into_response)?;
        parse_body(&bytes)
            .map(PowerBody)
            .map_err(IntoResponse::into_response)
    }
}

/// A JSON request body, or the PowerVS 400.
pub fn parse_body(body: &[u8]) -> Result<Value, PowerError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| PowerError::bad_request(format!("the request body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(PowerError::bad_request(
            "the request body must be a JSON object",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_of_zones_follow_the_endpoint_rule() {
        assert_eq!(region_of_zone("dal10"), "dal");
        assert_eq!(region_of_zone("eu-de-1"), "eu-de");
        assert_eq!(region_of_zone("us-south"), "us-south");
    }
}
