//! The event log of a DR instance: listed with a time window, or one by id.

use axum::extract::{Path, Query};
use serde_json::{Value, json};

use crate::store::public_view;
use crate::util;

use super::{Caller, DraError, DraResult, EVENTS, Params, SERVICE, guid_of, ok};

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

pub(super) async fn list_events(
    Path(id): Path<String>,
    Query(params): Params,
    caller: Caller,
) -> DraResult {
    let from = match params.get("from_time").or(params.get("time")) {
        Some(t) => Some(parse_time("from_time", t)?),
        None => None,
    };
    let to = match params.get("to_time") {
        Some(t) => Some(parse_time("to_time", t)?),
        None => None,
    };
    let (world, instance) = caller.instance(&id).await?;
    let guid = guid_of(&instance);
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

pub(super) async fn get_event(
    Path((id, event_id)): Path<(String, String)>,
    caller: Caller,
) -> DraResult {
    let (world, instance) = caller.instance(&id).await?;
    let guid = guid_of(&instance);
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
