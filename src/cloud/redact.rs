//! Redaction of secrets before anything reaches a log line or an error.
//!
//! Two nets, because one is not enough: structural redaction knows which JSON keys, form
//! fields and headers carry secrets (so a password we never saw before is still hidden), and
//! literal redaction replaces every secret value the provider holds (API key, current tokens)
//! wherever it appears, e.g. echoed back inside an error message. JWT-shaped strings are masked
//! as a last resort, so an old token that fell out of the literal list is still hidden.

use std::sync::RwLock;

use serde_json::Value;

pub const REDACTED: &str = "[REDACTED]";

/// How many rotating secrets (tokens) to remember besides the pinned ones (the API key).
const ROTATING_SECRETS_KEPT: usize = 8;
/// Shorter values are too likely to match ordinary text to be replaced literally.
const MIN_LITERAL_SECRET_LEN: usize = 6;

/// How a `Debug` of settings shows a secret: whether it is set, never what it is.
pub fn secret_shown(secret: &Option<String>) -> &'static str {
    if secret.is_some() {
        "(sensitive)"
    } else {
        "(none)"
    }
}

/// `impl Debug` for a struct of settings that holds secrets: every field as `derive(Debug)`
/// shows it, in the order given, except the fields marked `: secret`, which show only
/// whether they are set ([`secret_shown`]).
macro_rules! debug_hiding_secrets {
    ($type:ident { $($field:ident $(: $secret:ident)?),* $(,)? }) => {
        impl std::fmt::Debug for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($type))
                    $(.field(
                        stringify!($field),
                        $crate::cloud::redact::debug_hiding_secrets!(@value self.$field $(, $secret)?),
                    ))*
                    .finish()
            }
        }
    };
    (@value $value:expr, secret) => {
        &$crate::cloud::redact::secret_shown(&$value)
    };
    (@value $value:expr) => {
        &$value
    };
}
pub(crate) use debug_hiding_secrets;

/// True for JSON keys, form fields and query parameters whose value is a secret.
pub fn is_sensitive_key(key: &str) -> bool {
    let normalized: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const SUFFIXES: [&str; 6] = [
        "password",
        "apikey",
        "token",
        "secret",
        "authorization",
        "passphrase",
    ];
    SUFFIXES.iter().any(|s| normalized.ends_with(s)) || normalized == "userdata"
}

/// True for HTTP headers whose value is a secret.
pub fn is_sensitive_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "x-auth-token"
    ) || is_sensitive_key(&lower)
}

/// Replaces the value of every sensitive key, at any depth.
pub fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if is_sensitive_key(key) && !inner.is_null() {
                    *inner = Value::String(REDACTED.to_string());
                } else {
                    redact_json(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// Redacts an `application/x-www-form-urlencoded` body or a URL query string.
pub fn redact_form(encoded: &str) -> String {
    encoded
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_sensitive_key(key) => format!("{key}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Masks every substring shaped like a JWT (`eyJ...` with three base64url parts).
pub fn mask_jwts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("eyJ") {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let len = candidate
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
            .unwrap_or(candidate.len());
        let token = &candidate[..len];
        if token.matches('.').count() >= 2 && len >= 20 {
            out.push_str(REDACTED);
        } else {
            out.push_str(token);
        }
        rest = &candidate[len..];
    }
    out.push_str(rest);
    out
}

/// The set of secret values the provider currently holds.
#[derive(Debug, Default)]
pub struct Redactor {
    pinned: RwLock<Vec<String>>,
    rotating: RwLock<Vec<String>>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// A secret that stays for the provider's lifetime (API key, external token).
    pub fn pin(&self, secret: &str) {
        if secret.len() >= MIN_LITERAL_SECRET_LEN
            && let Ok(mut pinned) = self.pinned.write()
            && !pinned.iter().any(|s| s == secret)
        {
            pinned.push(secret.to_string());
        }
    }

    /// A secret that is replaced over time (access and refresh tokens); old ones age out.
    pub fn remember(&self, secret: &str) {
        if secret.len() < MIN_LITERAL_SECRET_LEN {
            return;
        }
        if let Ok(mut rotating) = self.rotating.write() {
            if rotating.iter().any(|s| s == secret) {
                return;
            }
            rotating.push(secret.to_string());
            let excess = rotating.len().saturating_sub(ROTATING_SECRETS_KEPT);
            rotating.drain(..excess);
        }
    }

    /// Pins the value of every sensitive key of an outgoing JSON body, so the value is also
    /// hidden when a service echoes it back (in an error message, say).
    pub fn learn_from_json(&self, value: &Value) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match inner {
                        Value::String(secret) if is_sensitive_key(key) => self.pin(secret),
                        _ => self.learn_from_json(inner),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.learn_from_json(v)),
            _ => {}
        }
    }

    /// Replaces every known secret and every JWT-shaped string in free text.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for list in [&self.pinned, &self.rotating] {
            if let Ok(secrets) = list.read() {
                for secret in secrets.iter() {
                    if out.contains(secret.as_str()) {
                        out = out.replace(secret.as_str(), REDACTED);
                    }
                }
            }
        }
        mask_jwts(&out)
    }

    /// Redacts a body for logging: structurally when it is JSON or a form, then literally.
    pub fn body_for_log(&self, body: &[u8], limit: usize) -> String {
        let text = String::from_utf8_lossy(body);
        let structural = match serde_json::from_slice::<Value>(body) {
            Ok(mut value) => {
                redact_json(&mut value);
                value.to_string()
            }
            Err(_) if text.contains('=') && !text.contains(char::is_whitespace) => {
                redact_form(&text)
            }
            Err(_) => text.into_owned(),
        };
        let mut scrubbed = self.scrub(&structural);
        if scrubbed.len() > limit {
            let mut cut = limit;
            while !scrubbed.is_char_boundary(cut) {
                cut -= 1;
            }
            scrubbed.truncate(cut);
            scrubbed.push_str("...(truncated)");
        }
        scrubbed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_keys_cover_ibm_field_names() {
        for key in [
            "api_key",
            "apikey",
            "managed_apikey",
            "orchestrator_password",
            "client_secret",
            "access_token",
            "refresh_token",
            "Authorization",
            "secret",
            "userData",
        ] {
            assert!(is_sensitive_key(key), "{key} should be sensitive");
        }
        for key in [
            "secret_group",
            "token_type",
            "expires_in",
            "name",
            "is_api_key_expired",
        ] {
            assert!(!is_sensitive_key(key), "{key} should not be sensitive");
        }
    }

    #[test]
    fn json_redaction_reaches_nested_values() {
        let mut body = json!({
            "orchestrator_name": "admin",
            "orchestrator_password": "hunter2hunter2",
            "nested": [{"api_key": "abc"}, {"ok": 1}],
            "secret": null
        });
        redact_json(&mut body);
        assert_eq!(body["orchestrator_name"], "admin");
        assert_eq!(body["orchestrator_password"], REDACTED);
        assert_eq!(body["nested"][0]["api_key"], REDACTED);
        assert_eq!(body["nested"][1]["ok"], 1);
        assert!(body["secret"].is_null());
    }

    #[test]
    fn form_redaction_hides_apikey_only() {
        let form = "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=s3cr3t&response_type=cloud_iam";
        let out = redact_form(form);
        assert!(!out.contains("s3cr3t"));
        assert!(out.contains("apikey=[REDACTED]"));
        assert!(out.contains("response_type=cloud_iam"));
    }

    #[test]
    fn jwts_are_masked_in_free_text() {
        let text = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl, then eyJ alone";
        assert_eq!(mask_jwts(text), "Bearer [REDACTED], then eyJ alone");
    }

    #[test]
    fn literal_secrets_are_scrubbed_and_rotate() {
        let redactor = Redactor::new();
        redactor.pin("my-api-key-123");
        for n in 0..(ROTATING_SECRETS_KEPT + 2) {
            redactor.remember(&format!("token-number-{n}"));
        }
        let text = "key my-api-key-123 token token-number-9 old token-number-0";
        let out = redactor.scrub(text);
        assert_eq!(out, "key [REDACTED] token [REDACTED] old token-number-0");
    }

    #[test]
    fn secrets_sent_in_bodies_are_hidden_when_echoed() {
        let redactor = Redactor::new();
        redactor.learn_from_json(&json!({"orchestrator_password": "Echo-Me-123", "nested": [{"api_key": "key-echo-456"}], "name": "visible"}));
        assert_eq!(
            redactor.scrub("bad password Echo-Me-123 and key key-echo-456 for visible"),
            "bad password [REDACTED] and key [REDACTED] for visible"
        );
    }

    #[test]
    fn body_for_log_is_structural_then_literal_then_truncated() {
        let redactor = Redactor::new();
        redactor.pin("literal-secret");
        let body = br#"{"message":"bad key literal-secret","api_key":"zzz"}"#;
        let out = redactor.body_for_log(body, 1000);
        assert!(!out.contains("literal-secret") && !out.contains("zzz"));
        let long = redactor.body_for_log(&[b'a'; 50], 10);
        assert_eq!(long, "aaaaaaaaaa...(truncated)");
    }
}
