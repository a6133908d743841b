//! The `POST manage_dr` body as IBM's SDKs build it (`create_manage_dr` of
//! `ibm-dra-python-sdk`): the fields and their JSON types, the six the SDK requires, and a
//! record of the last request that tests read back without its secrets.
//!
//! The SDK drops every argument left at `None` and sends the rest under these snake_case
//! names; a field it does not know never reaches the service, so an unknown field here is a
//! client bug and answers 400. What the service makes of the optional fields together is
//! not published; the checks below are the emulator's assumptions, each named in its error:
//! MFA needs `client_id`, `client_secret` and `tenant_name` together, and an empty
//! `orchestrator_password` is accepted only when the credentials come from IBM Secrets
//! Manager (`secret`).

use axum::http::HeaderMap;
use serde_json::{Map, Value, json};

use super::DraError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Flag,
    TextList,
}

/// Every body field of `create_manage_dr`, in the SDK's order.
const FIELDS: &[(&str, Kind)] = &[
    ("location_id", Kind::Text),
    ("machine_type", Kind::Text),
    ("orchestrator_location_type", Kind::Text),
    ("orchestrator_name", Kind::Text),
    ("orchestrator_password", Kind::Text),
    ("orchestrator_workspace_id", Kind::Text),
    ("api_key", Kind::Text),
    ("managed_apikey", Kind::Text),
    ("client_id", Kind::Text),
    ("client_secret", Kind::Text),
    ("guid", Kind::Text),
    ("orchestrator_ha", Kind::Flag),
    ("orchestrator_network_ids", Kind::TextList),
    ("orchestrator_workspace_location", Kind::Text),
    ("proxy_ip", Kind::Text),
    ("region_id", Kind::Text),
    ("resource_instance", Kind::Text),
    ("secondary_workspace_id", Kind::Text),
    ("secret", Kind::Text),
    ("secret_group", Kind::Text),
    ("ssh_key_name", Kind::Text),
    ("standby_machine_type", Kind::Text),
    ("standby_orchestrator_name", Kind::Text),
    ("standby_orchestrator_network_ids", Kind::TextList),
    ("standby_ssh_key_name", Kind::Text),
    ("standby_orchestrator_workspace_id", Kind::Text),
    ("standby_orchestrator_workspace_location", Kind::Text),
    ("standby_tier", Kind::Text),
    ("tenant_name", Kind::Text),
    ("tier", Kind::Text),
];

/// What the SDK refuses to send without (`ValueError: ... must be provided`).
pub const REQUIRED: &[&str] = &[
    "location_id",
    "machine_type",
    "orchestrator_location_type",
    "orchestrator_name",
    "orchestrator_password",
    "orchestrator_workspace_id",
];

/// Fields whose values are secrets: checked, never stored or shown.
pub const SECRETS: &[&str] = &[
    "orchestrator_password",
    "api_key",
    "managed_apikey",
    "client_secret",
];

const MFA: &[&str] = &["client_id", "client_secret", "tenant_name"];

fn present<'a>(body: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    body.get(field).filter(|v| !v.is_null())
}

/// Field names and JSON types as the SDK sends them, the required fields, and the emulator's
/// assumptions about MFA and Secrets Manager (see the module docs).
pub fn check(body: &Map<String, Value>) -> Result<(), DraError> {
    for (field, value) in body {
        let Some((_, kind)) = FIELDS.iter().find(|(name, _)| name == field) else {
            return Err(DraError::bad_request(format!(
                "{field} is not a field of the manage_dr request"
            )));
        };
        let ok = match (kind, value) {
            (_, Value::Null) | (Kind::Text, Value::String(_)) | (Kind::Flag, Value::Bool(_)) => {
                true
            }
            (Kind::TextList, Value::Array(items)) => items.iter().all(Value::is_string),
            _ => false,
        };
        if !ok {
            let wanted = match kind {
                Kind::Text => "a string",
                Kind::Flag => "a boolean",
                Kind::TextList => "a list of strings",
            };
            return Err(DraError::bad_request(format!("{field} must be {wanted}")));
        }
    }
    for field in REQUIRED {
        if present(body, field).is_none() {
            return Err(DraError::bad_request(format!("{field} is required")));
        }
    }
    let from_secrets_manager = present(body, "secret").is_some();
    for field in REQUIRED {
        let empty = present(body, field).and_then(Value::as_str) == Some("");
        if empty && !(*field == "orchestrator_password" && from_secrets_manager) {
            return Err(DraError::bad_request(format!("{field} is required")));
        }
    }
    let mfa: Vec<&str> = MFA
        .iter()
        .copied()
        .filter(|f| present(body, f).is_some())
        .collect();
    if !mfa.is_empty() && mfa.len() < MFA.len() {
        let missing: Vec<&str> = MFA.iter().copied().filter(|f| !mfa.contains(f)).collect();
        return Err(DraError::bad_request(format!(
            "MFA needs client_id, client_secret and tenant_name together; missing: {}",
            missing.join(", ")
        )));
    }
    if present(body, "secret").is_some() != present(body, "secret_group").is_some() {
        return Err(DraError::bad_request(
            "secret and secret_group name one Secrets Manager secret together; give both or neither",
        ));
    }
    Ok(())
}

/// The request as received, for tests (`_manage_dr_request` of the deployment, visible under
/// `/_sim/objects/dra/deployments/<guid>`): body fields with every secret replaced by its
/// length, the query parameters and `Accept-Language`.
pub fn record(
    body: &Map<String, Value>,
    params: &std::collections::HashMap<String, String>,
    headers: &HeaderMap,
) -> Value {
    let fields: Map<String, Value> = body
        .iter()
        .map(|(field, value)| {
            let shown = match value.as_str() {
                Some(text) if SECRETS.contains(&field.as_str()) => {
                    json!(format!("[secret: {} characters]", text.chars().count()))
                }
                _ => value.clone(),
            };
            (field.clone(), shown)
        })
        .collect();
    json!({
        "body": fields,
        "query": params,
        "accept_language": headers
            .get("accept-language")
            .and_then(|v| v.to_str().ok()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn minimal() -> Value {
        json!({"location_id": "dal10", "machine_type": "s922", "orchestrator_location_type": "off-premises",
               "orchestrator_name": "admin", "orchestrator_password": "Passw0rd!", "orchestrator_workspace_id": "ws"})
    }

    fn message(result: Result<(), DraError>) -> String {
        result.err().map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn field_names_types_and_required_follow_the_sdk() {
        assert!(check(&body(minimal())).is_ok());
        let mut unknown = minimal();
        unknown["managed_api_key"] = json!("k");
        assert!(message(check(&body(unknown))).contains("managed_api_key is not a field"));
        let mut wrong_type = minimal();
        wrong_type["orchestrator_ha"] = json!("true");
        assert!(message(check(&body(wrong_type))).contains("orchestrator_ha must be a boolean"));
        let mut missing = minimal();
        missing["orchestrator_name"] = Value::Null;
        assert!(message(check(&body(missing))).contains("orchestrator_name is required"));
    }

    #[test]
    fn mfa_goes_together_and_an_empty_password_needs_secrets_manager() {
        let mut partial = minimal();
        partial["client_id"] = json!("id");
        let text = message(check(&body(partial)));
        assert!(
            text.contains("missing: client_secret, tenant_name"),
            "{text}"
        );
        let mut empty = minimal();
        empty["orchestrator_password"] = json!("");
        assert!(message(check(&body(empty.clone()))).contains("orchestrator_password is required"));
        empty["secret"] = json!("orch-pw");
        empty["secret_group"] = json!("dr");
        assert!(check(&body(empty)).is_ok());
    }

    #[test]
    fn the_record_keeps_no_secret() {
        let mut sent = minimal();
        sent["api_key"] = json!("an-api-key");
        sent["client_secret"] = json!("mfa-secret");
        let recorded = record(&body(sent), &Default::default(), &HeaderMap::new());
        let text = recorded.to_string();
        for secret in ["Passw0rd!", "an-api-key", "mfa-secret"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert_eq!(recorded["body"]["api_key"], "[secret: 10 characters]");
        assert_eq!(recorded["body"]["orchestrator_name"], "admin");
    }
}
