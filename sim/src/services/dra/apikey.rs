//! The API key endpoints of a DR instance: the key is checked and then kept only as a flag,
//! never returned.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::sim::Sim;

use super::{
    APIKEYS, Caller, DraError, DraResult, SERVICE, authenticate, dr_instance, guid_of, ok,
    parse_body, record_event,
};

pub(super) async fn get_apikey(Path(id): Path<String>, caller: Caller) -> DraResult {
    let (world, instance) = caller.instance(&id).await?;
    let key = world
        .get(SERVICE, APIKEYS, &guid_of(&instance))
        .ok_or_else(|| {
            DraError::not_found(format!(
                "no API key is registered for service instance {id}"
            ))
        })?;
    Ok(ok(key))
}

/// `POST` and `PUT`: validates the key the way the service does (it must be a key of this
/// account) and records that it is valid; the key itself is not kept.
pub(super) async fn store_apikey(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> DraResult {
    let claims = authenticate(&sim, &headers)?;
    let body = parse_body(&body)?;
    let key = body
        .get("api_key")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| DraError::bad_request("api_key is required"))?;
    let now = sim.now_ms();
    let mut world = sim.world().await;
    let instance = dr_instance(&world, &id)?;
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
