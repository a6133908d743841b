//! Reading IBM's error bodies: every service words its errors a little differently, and the
//! user should see the service's own code, message and trace id whichever shape it used.

use serde_json::Value;

/// What IBM's error bodies say, read in the order the IBM SDK core reads them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ParsedError {
    pub code: Option<String>,
    pub message: Option<String>,
    pub trace: Option<String>,
}

fn string_or_number(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Message: `errors[0].message` → `error` → `message` → `errorMessage`, then PowerVS's
/// `description` appended when it adds something. Code: `errors[0].code` → `code` →
/// `errorCode`. Trace: `trace` → `transaction_id` → `incidentID`.
pub fn parse_error_body(body: &[u8]) -> ParsedError {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return ParsedError {
            message: plain_text_message(&String::from_utf8_lossy(body)),
            ..ParsedError::default()
        };
    };
    let first = map
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|errors| errors.first());
    let message = first
        .and_then(|e| string_or_number(e.get("message")))
        .or_else(|| string_or_number(map.get("error")))
        .or_else(|| string_or_number(map.get("message")))
        .or_else(|| string_or_number(map.get("errorMessage")));
    let description = string_or_number(map.get("description"));
    let message = match (message, description) {
        (Some(m), Some(d)) if !m.contains(&d) => Some(format!("{m}: {d}")),
        (Some(m), _) => Some(m),
        (None, d) => d,
    };
    let code = first
        .and_then(|e| string_or_number(e.get("code")))
        .or_else(|| string_or_number(map.get("code")))
        .or_else(|| string_or_number(map.get("errorCode")));
    let trace = string_or_number(map.get("trace"))
        .or_else(|| string_or_number(map.get("transaction_id")))
        .or_else(|| string_or_number(map.get("incidentID")));
    ParsedError {
        code,
        message,
        trace,
    }
}

/// Longest non-JSON error body quoted in a message; proxies send whole web pages.
const MAX_PLAIN_ERROR_CHARS: usize = 300;

/// The message of a non-JSON error body: an HTML page (from a proxy or load balancer) is
/// reduced to its title, other text is quoted up to a length a diagnostic can carry.
fn plain_text_message(text: &str) -> Option<String> {
    let text = text.trim();
    if text.starts_with('<') {
        let lower = text.to_ascii_lowercase();
        let title = lower
            .find("<title>")
            .map(|start| start + "<title>".len())
            .and_then(|start| Some((start, start + lower[start..].find("</title>")?)))
            .and_then(|(start, end)| text.get(start..end))
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| !t.is_empty());
        return Some(match title {
            Some(title) => format!("an HTML page instead of an API answer: {title:?}"),
            None => "an HTML page instead of an API answer".to_string(),
        });
    }
    match text.char_indices().nth(MAX_PLAIN_ERROR_CHARS) {
        _ if text.is_empty() => None,
        Some((cut, _)) => Some(format!("{}…", &text[..cut])),
        None => Some(text.to_string()),
    }
}
