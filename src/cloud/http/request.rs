//! A request as the typed clients build it and the core replays it on every retry, and the
//! response the core hands back.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde_json::Value;

use crate::cloud::error::CloudError;

/// Whether repeating a request after an unknown outcome is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    Idempotent,
    NonIdempotent,
}

#[derive(Debug, Clone)]
pub enum RequestBody {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
}

/// One request, built by a typed client and replayable by the core.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub service: &'static str,
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: RequestBody,
    pub idempotency: Idempotency,
    /// Send the IAM bearer token (false only for IAM itself).
    pub authenticated: bool,
}

impl ApiRequest {
    pub fn new(service: &'static str, method: Method, url: Url) -> Self {
        let idempotency = if method == Method::POST {
            Idempotency::NonIdempotent
        } else {
            Idempotency::Idempotent
        };
        Self {
            service,
            method,
            url,
            headers: Vec::new(),
            body: RequestBody::None,
            idempotency,
            authenticated: true,
        }
    }

    pub fn query(mut self, key: &str, value: impl AsRef<str>) -> Self {
        self.url.query_pairs_mut().append_pair(key, value.as_ref());
        self
    }

    pub fn query_opt(self, key: &str, value: Option<impl AsRef<str>>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Every pair whose value is set, in order.
    pub fn query_all(self, pairs: &[(&str, Option<&str>)]) -> Self {
        pairs
            .iter()
            .fold(self, |request, (key, value)| request.query_opt(key, *value))
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Result<Self, CloudError> {
        let value = HeaderValue::from_str(value)
            .map_err(|_| CloudError::Config(format!("invalid value for header {name}")))?;
        self.headers.push((HeaderName::from_static(name), value));
        Ok(self)
    }

    pub fn json(mut self, body: &impl Serialize) -> Result<Self, CloudError> {
        let value = serde_json::to_value(body).map_err(|e| CloudError::Decode {
            service: self.service,
            operation: self.operation(),
            message: format!("cannot encode request body: {e}"),
        })?;
        self.body = RequestBody::Json(value);
        Ok(self)
    }

    pub fn form(mut self, fields: Vec<(String, String)>) -> Self {
        self.body = RequestBody::Form(fields);
        self
    }

    /// Marks a POST that is safe to repeat (e.g. a read-only search or a token grant).
    pub fn idempotent(mut self) -> Self {
        self.idempotency = Idempotency::Idempotent;
        self
    }

    pub fn unauthenticated(mut self) -> Self {
        self.authenticated = false;
        self
    }

    /// `"GET /v1/security_groups/r006-..."`: names the call in errors and logs, no query.
    pub fn operation(&self) -> String {
        format!("{} {}", self.method, self.url.path())
    }
}

/// A successful response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Counts attempts across the core's retries and a caller's check-then-repeat loop, so both
/// draw on the same `max_retries` budget.
#[derive(Debug, Default)]
pub struct Attempts {
    pub made: u32,
}
