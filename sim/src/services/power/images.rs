//! PowerVS images and SSH keys: the stock-image catalog shared by all workspaces, each
//! workspace's own images (copies of stock images), workspace SSH keys (`/v1/ssh-keys`) and
//! the legacy tenant key API (`/pcloud/v1/tenants/{tenant_id}/sshkeys`).

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::networks::sub_crn;
use super::{
    IMAGES, OWNER, PowerBody, PowerCall, PowerError, PowerResult, SERVICE, SSH_KEYS, STOCK_IMAGES,
    WorkspaceRequest, find_in_workspace, in_workspace,
};
use crate::scenario::{Scenario, SshKeySpec};
use crate::sim::Sim;
use crate::store::{World, public_view};
use crate::util;

fn disk_size_gb(os_type: &str) -> u64 {
    match os_type {
        "ibmi" => 80,
        "aix" => 20,
        _ => 120,
    }
}

fn specifications(os_type: &str, image_type: &str) -> Value {
    let endianness = if matches!(os_type, "aix" | "ibmi") {
        "big"
    } else {
        "little"
    };
    json!({
        "architecture": "ppc64",
        "containerFormat": "bare",
        "diskFormat": "raw",
        "endianness": endianness,
        "hypervisorType": "phyp",
        "imageType": image_type,
        "operatingSystem": os_type,
    })
}

/// The catalog of stock images (`power/stock_images`, shared by every workspace).
pub fn seed_stock(world: &mut World, scenario: &Scenario, now_ms: u64) {
    for stock in &scenario.stock_images {
        let id = world.new_id();
        let created = util::rfc3339(now_ms);
        let image = json!({
            "imageID": id,
            "name": stock.name,
            "description": stock.description,
            "state": "active",
            "creationDate": created,
            "lastUpdateDate": created,
            "size": disk_size_gb(&stock.os_type),
            "storageType": "tier3",
            "storagePool": "Tier3-Flash-1",
            "specifications": specifications(&stock.os_type, "stock"),
            "servers": [],
            "volumes": [],
        });
        world.insert(SERVICE, STOCK_IMAGES, &id, image);
    }
}

/// Copies the stock image named `name` into the workspace.
pub fn seed_image(world: &mut World, guid: &str, name: &str, now_ms: u64) {
    let Some(stock) = world
        .find(SERVICE, STOCK_IMAGES, |i| i["name"] == name)
        .cloned()
    else {
        tracing::warn!(image = %name, "scenario image is not a stock image; skipped");
        return;
    };
    copy_into(world, guid, &stock, None, now_ms);
}

fn copy_into(
    world: &mut World,
    guid: &str,
    stock: &Value,
    name: Option<&str>,
    now_ms: u64,
) -> Value {
    let id = world.new_id();
    let crn = world
        .get(SERVICE, super::WORKSPACES, guid)
        .and_then(|w| w["details"]["crn"].as_str())
        .map(|c| sub_crn(c, "image", &id))
        .unwrap_or_default();
    let mut image = stock.clone();
    if let Some(obj) = image.as_object_mut() {
        obj.insert("imageID".into(), json!(id));
        if let Some(name) = name {
            obj.insert("name".into(), json!(name));
        }
        obj.insert("creationDate".into(), json!(util::rfc3339(now_ms)));
        obj.insert("lastUpdateDate".into(), json!(util::rfc3339(now_ms)));
        obj.insert("crn".into(), json!(crn));
        obj.insert("_source_image".into(), stock["imageID"].clone());
        obj.insert(OWNER.into(), json!(guid));
        if let Some(spec) = obj.get_mut("specifications") {
            spec["imageType"] = json!("stock");
        }
    }
    world.insert(SERVICE, IMAGES, &id, image.clone());
    image
}

/// An image usable by the workspace, by id or name: its own images first, then stock ones.
pub fn find_usable<'w>(world: &'w World, guid: &str, id_or_name: &str) -> Option<&'w Value> {
    find_in_workspace(world, IMAGES, guid, id_or_name, "name")
        .or_else(|| world.get(SERVICE, STOCK_IMAGES, id_or_name))
}

fn reference(image: &Value, cid: &str, kind: &str) -> Value {
    let mut out = public_view(image);
    let id = image["imageID"].as_str().unwrap_or_default();
    if let Some(obj) = out.as_object_mut() {
        obj.remove("servers");
        obj.remove("volumes");
        obj.remove("size");
        obj.insert(
            "href".into(),
            json!(format!("/pcloud/v1/cloud-instances/{cid}/{kind}/{id}")),
        );
    }
    out
}

pub async fn list_stock(call: PowerCall, Path(cid): Path<String>) -> PowerResult {
    let request = call.open(Some(&cid)).await?;
    let images: Vec<Value> = request
        .world
        .list(SERVICE, STOCK_IMAGES)
        .map(|i| reference(i, &cid, "stock-images"))
        .collect();
    Ok(Json(json!({"images": images})).into_response())
}

pub async fn show_stock(
    call: PowerCall,
    Path((cid, image_id)): Path<(String, String)>,
) -> PowerResult {
    let request = call.open(Some(&cid)).await?;
    let image = request
        .world
        .get(SERVICE, STOCK_IMAGES, &image_id)
        .or_else(|| {
            request
                .world
                .find(SERVICE, STOCK_IMAGES, |i| i["name"] == image_id.as_str())
        })
        .ok_or_else(|| PowerError::not_found("image", &image_id))?;
    Ok(Json(public_view(image)).into_response())
}

pub async fn list_images(call: PowerCall, Path(cid): Path<String>) -> PowerResult {
    let request = call.open(Some(&cid)).await?;
    let images = in_workspace(&request.world, IMAGES, &cid, |i| {
        reference(i, &cid, "images")
    });
    Ok(Json(json!({"images": images})).into_response())
}

pub async fn show_image(
    call: PowerCall,
    Path((cid, image_id)): Path<(String, String)>,
) -> PowerResult {
    let request = call.open(Some(&cid)).await?;
    let image = find_in_workspace(&request.world, IMAGES, &cid, &image_id, "name")
        .ok_or_else(|| PowerError::not_found("image", &image_id))?;
    Ok(Json(public_view(image)).into_response())
}

/// `CreateImage` with `source: root-project` and a stock `imageID`: copies it in.
pub async fn create_image(
    call: PowerCall,
    Path(cid): Path<String>,
    PowerBody(body): PowerBody,
) -> PowerResult {
    let mut request = call.open(Some(&cid)).await?;
    let source = body["source"].as_str().unwrap_or("root-project");
    if source != "root-project" {
        return Err(PowerError::bad_request(format!(
            "source {source:?} is not supported by dr-cloudsim; use root-project with a stock imageID"
        )));
    }
    let stock_id = body["imageID"].as_str().ok_or_else(|| {
        PowerError::bad_request("imageID is required when source is root-project")
    })?;
    if !request.world.has_room(SERVICE, IMAGES) {
        return Err(PowerError::quota_exceeded("image"));
    }
    let stock = request
        .world
        .get(SERVICE, STOCK_IMAGES, stock_id)
        .cloned()
        .ok_or_else(|| PowerError::not_found("image", stock_id))?;
    if let Some(existing) = request.world.find(SERVICE, IMAGES, |i| {
        i[OWNER] == cid.as_str() && i["_source_image"] == stock_id
    }) {
        return Err(PowerError::conflict(format!(
            "image {} is already in the cloud instance as {}",
            stock_id,
            existing["imageID"].as_str().unwrap_or_default()
        )));
    }
    let image = copy_into(
        &mut request.world,
        &cid,
        &stock,
        body["imageName"].as_str(),
        call.sim.now_ms(),
    );
    Ok((StatusCode::CREATED, Json(public_view(&image))).into_response())
}

pub async fn delete_image(
    call: PowerCall,
    Path((cid, image_id)): Path<(String, String)>,
) -> PowerResult {
    let mut request = call.open(Some(&cid)).await?;
    if request
        .world
        .get(SERVICE, IMAGES, &image_id)
        .is_none_or(|i| i[OWNER] != cid.as_str())
    {
        return Err(PowerError::not_found("image", &image_id));
    }
    request.world.remove(SERVICE, IMAGES, &image_id);
    Ok(Json(json!({})).into_response())
}

// ---- SSH keys -------------------------------------------------------------------------

fn key_object(
    world: &mut World,
    guid: &str,
    name: &str,
    public_key: &str,
    description: &str,
    now_ms: u64,
) -> Value {
    let id = world.new_id();
    json!({
        "id": id,
        "name": name,
        "sshKey": public_key,
        "description": description,
        "visibility": "workspace",
        "primaryWorkspace": true,
        "creationDate": util::rfc3339(now_ms),
        OWNER: guid,
    })
}

pub fn seed_key(world: &mut World, guid: &str, spec: &SshKeySpec, now_ms: u64) {
    let key = key_object(world, guid, &spec.name, &spec.public_key, "", now_ms);
    let id = key["id"].as_str().unwrap_or_default().to_owned();
    world.insert(SERVICE, SSH_KEYS, &id, key);
}

/// Whether a key is visible from the workspace: its own, or shared with the account.
fn visible_from(key: &Value, guid: &str) -> bool {
    key[OWNER] == guid || key["visibility"] == "account"
}

/// A key visible from the workspace, by id or name.
pub fn find_key<'w>(world: &'w World, guid: &str, id_or_name: &str) -> Option<&'w Value> {
    world
        .get(SERVICE, SSH_KEYS, id_or_name)
        .filter(|k| visible_from(k, guid))
        .or_else(|| {
            world.find(SERVICE, SSH_KEYS, |k| {
                visible_from(k, guid) && k["name"] == id_or_name
            })
        })
}

/// The id of a key visible from the workspace, by id or name, or the PowerVS 404.
fn key_id(world: &World, guid: &str, id_or_name: &str) -> Result<String, PowerError> {
    find_key(world, guid, id_or_name)
        .and_then(|k| k["id"].as_str().map(str::to_owned))
        .ok_or_else(|| PowerError::not_found("ssh key", id_or_name))
}

fn validate_key(body: &Value) -> Result<(String, String), PowerError> {
    let name = body["name"]
        .as_str()
        .filter(|n| !n.is_empty() && n.len() <= 128)
        .ok_or_else(|| PowerError::bad_request("name is required (1 to 128 characters)"))?;
    let key = body["sshKey"]
        .as_str()
        .filter(|k| k.starts_with("ssh-") || k.starts_with("ecdsa-"))
        .ok_or_else(|| {
            PowerError::bad_request("sshKey is required and must be an OpenSSH public key")
        })?;
    Ok((name.to_owned(), key.to_owned()))
}

fn insert_key(
    request: &mut WorkspaceRequest<'_>,
    body: &Value,
    now_ms: u64,
) -> Result<Value, PowerError> {
    let (name, public_key) = validate_key(body)?;
    let guid = request.guid().to_owned();
    if !request.world.has_room(SERVICE, SSH_KEYS) {
        return Err(PowerError::quota_exceeded("ssh key"));
    }
    if find_key(&request.world, &guid, &name).is_some() {
        return Err(PowerError::conflict(format!(
            "an SSH key named {name} already exists"
        )));
    }
    let description = body["description"].as_str().unwrap_or_default();
    let mut key = key_object(
        &mut request.world,
        &guid,
        &name,
        &public_key,
        description,
        now_ms,
    );
    if body["visibility"] == "account" {
        key["visibility"] = json!("account");
    }
    let id = key["id"].as_str().unwrap_or_default().to_owned();
    request.world.insert(SERVICE, SSH_KEYS, &id, key.clone());
    Ok(key)
}

/// A key API's listing of the keys visible from the workspace, each as `view` shows it.
fn listed_keys(request: &WorkspaceRequest<'_>, view: fn(&Value) -> Value) -> Response {
    let keys: Vec<Value> = request
        .world
        .list(SERVICE, SSH_KEYS)
        .filter(|k| visible_from(k, request.guid()))
        .map(view)
        .collect();
    Json(json!({"sshKeys": keys})).into_response()
}

/// A key API's 201 for a new key (see [`insert_key`]), shown as `view` shows it.
fn created_key(
    request: &mut WorkspaceRequest<'_>,
    body: &Value,
    now_ms: u64,
    view: fn(&Value) -> Value,
) -> PowerResult {
    let key = insert_key(request, body, now_ms)?;
    Ok((StatusCode::CREATED, Json(view(&key))).into_response())
}

/// A key API's answer for one key visible from the workspace, shown as `view` shows it.
fn shown_key(request: &WorkspaceRequest<'_>, key: &str, view: fn(&Value) -> Value) -> PowerResult {
    let found = find_key(&request.world, request.guid(), key)
        .ok_or_else(|| PowerError::not_found("ssh key", key))?;
    Ok(Json(view(found)).into_response())
}

/// Deletes a key visible from the workspace, by id or name.
fn remove_key(request: &mut WorkspaceRequest<'_>, key: &str) -> Result<(), PowerError> {
    let guid = request.guid().to_owned();
    let id = key_id(&request.world, &guid, key)?;
    request.world.remove(SERVICE, SSH_KEYS, &id);
    Ok(())
}

pub async fn list_keys(call: PowerCall) -> PowerResult {
    let request = call.open(None).await?;
    Ok(listed_keys(&request, public_view))
}

pub async fn create_key(call: PowerCall, PowerBody(body): PowerBody) -> PowerResult {
    let mut request = call.open(None).await?;
    created_key(&mut request, &body, call.sim.now_ms(), public_view)
}

pub async fn show_key(call: PowerCall, Path(key): Path<String>) -> PowerResult {
    let request = call.open(None).await?;
    shown_key(&request, &key, public_view)
}

pub async fn update_key(
    call: PowerCall,
    Path(key): Path<String>,
    PowerBody(patch): PowerBody,
) -> PowerResult {
    let mut request = call.open(None).await?;
    let guid = request.guid().to_owned();
    let id = key_id(&request.world, &guid, &key)?;
    let stored = request
        .world
        .get_mut(SERVICE, SSH_KEYS, &id)
        .ok_or_else(|| PowerError::not_found("ssh key", &key))?;
    for field in ["name", "sshKey", "description", "visibility"] {
        if let Some(v) = patch.get(field).filter(|v| v.is_string()) {
            stored[field] = v.clone();
        }
    }
    Ok(Json(public_view(stored)).into_response())
}

pub async fn delete_key(call: PowerCall, Path(key): Path<String>) -> PowerResult {
    let mut request = call.open(None).await?;
    remove_key(&mut request, &key)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The legacy `SSHKey` shape: `{name, sshKey, creationDate}`.
fn tenant_view(key: &Value) -> Value {
    json!({"name": key["name"], "sshKey": key["sshKey"], "creationDate": key["creationDate"]})
}

fn check_tenant(sim: &Sim, tenant_id: &str) -> Result<(), PowerError> {
    if tenant_id == sim.account_id() {
        Ok(())
    } else {
        Err(PowerError::not_found("tenant", tenant_id))
    }
}

pub async fn list_tenant_keys(call: PowerCall, Path(tenant_id): Path<String>) -> PowerResult {
    let request = call.open(None).await?;
    check_tenant(&call.sim, &tenant_id)?;
    Ok(listed_keys(&request, tenant_view))
}

pub async fn create_tenant_key(
    call: PowerCall,
    Path(tenant_id): Path<String>,
    PowerBody(body): PowerBody,
) -> PowerResult {
    let mut request = call.open(None).await?;
    check_tenant(&call.sim, &tenant_id)?;
    created_key(&mut request, &body, call.sim.now_ms(), tenant_view)
}

pub async fn show_tenant_key(
    call: PowerCall,
    Path((tenant_id, name)): Path<(String, String)>,
) -> PowerResult {
    let request = call.open(None).await?;
    check_tenant(&call.sim, &tenant_id)?;
    shown_key(&request, &name, tenant_view)
}

pub async fn delete_tenant_key(
    call: PowerCall,
    Path((tenant_id, name)): Path<(String, String)>,
) -> PowerResult {
    let mut request = call.open(None).await?;
    check_tenant(&call.sim, &tenant_id)?;
    remove_key(&mut request, &name)?;
    Ok(Json(json!({})).into_response())
}
