//! The one HTTP core every IBM service client goes through.
//!
//! Why one core: retries, Retry-After, backoff, per-request timeouts, cancellation, logging
//! with redaction and IBM's error parsing must behave identically for every service, and a
//! resource must never have to think about them. The rules:
//!
//! * 429, 5xx other than 501, and connection errors are retried up to `max_retries` times,
//!   waiting for `Retry-After` (seconds or an HTTP date) when the server sends it, otherwise
//!   for an exponential backoff with jitter.
//! * A non-idempotent request (POST) is repeated blindly only when it certainly did not take
//!   effect (429, or the connection was never made). When its outcome is unknown (5xx,
//!   timeout, broken connection) the core returns [`CloudError::OutcomeUnknown`]; the typed
//!   clients then look for the object first ([`ServiceApi::create_checked`]) and only repeat
//!   the POST when it is not there.
//! * A 401 with an API key refreshes the token once and repeats the call (the token may have
//!   expired in flight).
//! * Requests and responses are logged at DEBUG (line) and TRACE (headers and bodies), always
//!   through the [`Redactor`].

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::error::{ApiError, CloudError};
use super::iam::TokenManager;
use super::redact::{Redactor, is_sensitive_header, is_sensitive_key, redact_form};

/// Longest body shown in a TRACE log line.
const LOGGED_BODY_LIMIT: usize = 16 * 1024;

/// How long and how often to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (provider argument `max_retries`, default 10).
    pub max_retries: u32,
    /// First backoff; doubled per retry.
    pub min_backoff: Duration,
    /// Backoff ceiling.
    pub max_backoff: Duration,
    /// Ceiling on an honoured `Retry-After`, so a confused server cannot park us for hours.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 10,
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// Backoff before retry number `retry` (1-based): `min·2^(retry-1)` capped at `max`, with
    /// "equal jitter" (a random point in the upper half), so concurrent callers spread out
    /// without ever retrying immediately.
    pub fn backoff(&self, retry: u32, rng: &mut impl Rng) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let ceiling = self
            .min_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let half = ceiling / 2;
        let jitter_ms = rng.random_range(0..=half.as_millis().max(1) as u64);
        half + Duration::from_millis(jitter_ms)
    }

    /// The wait before a retry: the server's `Retry-After` (capped, plus a little jitter so a
    /// crowd told "1 second" does not come back in the same millisecond) or the backoff.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, rng: &mut impl Rng) -> Duration {
        match retry_after {
            Some(wait) => {
                let wait = wait.min(self.max_retry_after);
                let spread =
                    (wait / 10).clamp(Duration::from_millis(1), Duration::from_millis(250));
                wait + Duration::from_millis(rng.random_range(0..=spread.as_millis() as u64))
            }
            None => self.backoff(retry, rng),
        }
    }
}

/// Parses a `Retry-After` header: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

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

/// Settings of the core that do not depend on the service.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub retry: RetryPolicy,
    pub request_timeout: Duration,
    pub user_agent: String,
}

/// The shared HTTP core: one connection pool, one policy, one redactor, one stop signal.
#[derive(Debug)]
pub struct HttpCore {
    client: reqwest::Client,
    settings: HttpSettings,
    redactor: Arc<Redactor>,
    cancel: CancellationToken,
}

enum AttemptError {
    /// The connection was never established: the request did not reach the server.
    NotSent(String),
    /// The request may have reached the server.
    Unknown(String),
    TimedOut,
    Cancelled,
}

impl HttpCore {
    pub fn new(
        settings: HttpSettings,
        redactor: Arc<Redactor>,
        cancel: CancellationToken,
    ) -> Result<Self, CloudError> {
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(settings.request_timeout.min(Duration::from_secs(30)))
            .build()
            .map_err(|e| CloudError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            settings,
            redactor,
            cancel,
        })
    }

    pub fn redactor(&self) -> &Arc<Redactor> {
        &self.redactor
    }

    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.settings.retry
    }

    /// Sends `request` with retries; returns the first 2xx response or a classified error.
    pub async fn send(
        &self,
        request: &ApiRequest,
        tokens: Option<&TokenManager>,
        attempts: &mut Attempts,
    ) -> Result<RawResponse, CloudError> {
        let policy = &self.settings.retry;
        // The last token a 401 made us renew; one renewal per token, so a token that expired
        // in flight is replaced, but a token the service keeps refusing is not retried forever.
        let mut rejected_token: Option<String> = None;
        loop {
            attempts.made += 1;
            let bearer = match (request.authenticated, tokens) {
                // Boxed: a token grant itself goes through this core.
                (true, Some(tokens)) => Some(Box::pin(tokens.token()).await?),
                _ => None,
            };
            let outcome = self
                .attempt(request, bearer.as_deref(), attempts.made)
                .await;
            let retries_left = attempts.made <= policy.max_retries;
            let retry_after = match outcome {
                Ok(response) if response.status.is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status.as_u16();
                    if status == 401
                        && retries_left
                        && let (Some(tokens), Some(used)) = (tokens, bearer.as_deref())
                        && rejected_token.as_deref() != Some(used)
                        && tokens.can_renew()
                    {
                        // The token may have expired between our check and the server's.
                        tokens.invalidate(used);
                        rejected_token = bearer.clone();
                        continue;
                    }
                    let retryable = status == 429 || (status >= 500 && status != 501);
                    let error = self.api_error(request, &response);
                    if !retryable || !retries_left {
                        return Err(CloudError::from_api(error, attempts.made));
                    }
                    if status != 429 && request.idempotency == Idempotency::NonIdempotent {
                        return Err(CloudError::OutcomeUnknown {
                            service: request.service,
                            operation: request.operation(),
                            cause: format!("HTTP {status}: {}", error.message),
                        });
                    }
                    response
                        .headers
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()))
                }
                Err(AttemptError::Cancelled) => {
                    return Err(CloudError::Cancelled {
                        what: format!("calling {} {}", request.service, request.operation()),
                    });
                }
                Err(AttemptError::NotSent(message)) => {
                    if !retries_left {
                        return Err(self.transport_error(request, message));
                    }
                    None
                }
                Err(AttemptError::TimedOut) => {
                    if request.idempotency == Idempotency::NonIdempotent {
                        return Err(CloudError::OutcomeUnknown {
                            service: request.service,
                            operation: request.operation(),
                            cause: format!(
                                "no response within {:?}",
                                self.settings.request_timeout
                            ),
                        });
                    }
                    if !retries_left {
                        return Err(CloudError::Timeout {
                            what: format!(
                                "waiting for {} {} ({} attempts)",
                                request.service,
                                request.operation(),
                                attempts.made
                            ),
                            after: self.settings.request_timeout,
                        });
                    }
                    None
                }
                Err(AttemptError::Unknown(message)) => {
                    if request.idempotency == Idempotency::NonIdempotent {
                        return Err(CloudError::OutcomeUnknown {
                            service: request.service,
                            operation: request.operation(),
                            cause: message,
                        });
                    }
                    if !retries_left {
                        return Err(self.transport_error(request, message));
                    }
                    None
                }
            };
            let delay = policy.delay(attempts.made, retry_after, &mut rand::rng());
            tracing::debug!(
                service = request.service,
                operation = %request.operation(),
                attempt = attempts.made,
                delay_ms = delay.as_millis() as u64,
                "retrying IBM Cloud request"
            );
            self.sleep(delay, request).await?;
        }
    }

    /// Sleeps unless the provider is stopped first.
    pub async fn sleep(&self, delay: Duration, request: &ApiRequest) -> Result<(), CloudError> {
        tokio::select! {
            _ = self.cancel.cancelled() => Err(CloudError::Cancelled {
                what: format!("waiting to retry {} {}", request.service, request.operation()),
            }),
            _ = tokio::time::sleep(delay) => Ok(()),
        }
    }

    fn transport_error(&self, request: &ApiRequest, message: String) -> CloudError {
        CloudError::Transport {
            service: request.service,
            operation: request.operation(),
            message,
        }
    }

    fn api_error(&self, request: &ApiRequest, response: &RawResponse) -> ApiError {
        let parsed = parse_error_body(&response.body);
        let header_trace = ["x-request-id", "x-correlation-id", "transaction-id"]
            .iter()
            .find_map(|h| response.headers.get(*h))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let message = parsed.message.unwrap_or_else(|| {
            response
                .status
                .canonical_reason()
                .unwrap_or("error")
                .to_string()
        });
        ApiError {
            service: request.service,
            operation: request.operation(),
            status: response.status.as_u16(),
            code: parsed.code.map(|c| self.redactor.scrub(&c)),
            message: self.redactor.scrub(&message),
            trace: parsed.trace.or(header_trace),
        }
    }

    async fn attempt(
        &self,
        request: &ApiRequest,
        bearer: Option<&str>,
        attempt: u32,
    ) -> Result<RawResponse, AttemptError> {
        let mut builder = self
            .client
            .request(request.method.clone(), request.url.clone())
            .timeout(self.settings.request_timeout)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(token) = bearer {
            builder = builder.bearer_auth(token);
        }
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let logged_body = match &request.body {
            RequestBody::None => None,
            RequestBody::Json(value) => {
                self.redactor.learn_from_json(value);
                builder = builder.json(value);
                tracing::enabled!(tracing::Level::TRACE).then(|| {
                    self.redactor
                        .body_for_log(value.to_string().as_bytes(), LOGGED_BODY_LIMIT)
                })
            }
            RequestBody::Form(fields) => {
                for (key, value) in fields {
                    if is_sensitive_key(key) {
                        self.redactor.pin(value);
                    }
                }
                builder = builder.form(fields);
                Some(redact_form(
                    &fields
                        .iter()
                        .map(|(k, _)| format!("{k}=..."))
                        .collect::<Vec<_>>()
                        .join("&"),
                ))
            }
        };
        let url_for_log = self.redactor.scrub(&match request.url.query() {
            Some(q) => format!("{}?{}", request.url.path(), redact_form(q)),
            None => request.url.path().to_string(),
        });
        tracing::debug!(
            service = request.service,
            method = %request.method,
            url = %url_for_log,
            attempt,
            "IBM Cloud request"
        );
        if tracing::enabled!(tracing::Level::TRACE) {
            let headers: Vec<String> = request
                .headers
                .iter()
                .map(|(n, v)| self.header_for_log(n.as_str(), v))
                .chain(bearer.map(|_| "authorization: Bearer [REDACTED]".to_string()))
                .collect();
            tracing::trace!(
                service = request.service,
                headers = ?headers,
                body = logged_body.as_deref().unwrap_or(""),
                "IBM Cloud request detail"
            );
        }
        let started = Instant::now();
        let sent = tokio::select! {
            _ = self.cancel.cancelled() => return Err(AttemptError::Cancelled),
            sent = builder.send() => sent,
        };
        let response = sent.map_err(|e| self.classify_reqwest_error(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = tokio::select! {
            _ = self.cancel.cancelled() => return Err(AttemptError::Cancelled),
            body = response.bytes() => body.map_err(|e| self.classify_reqwest_error(&e))?,
        };
        tracing::debug!(
            service = request.service,
            method = %request.method,
            url = %url_for_log,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "IBM Cloud response"
        );
        if tracing::enabled!(tracing::Level::TRACE) {
            let logged_headers: Vec<String> = headers
                .iter()
                .map(|(n, v)| self.header_for_log(n.as_str(), v))
                .collect();
            tracing::trace!(
                service = request.service,
                status = status.as_u16(),
                headers = ?logged_headers,
                body = %self.redactor.body_for_log(&body, LOGGED_BODY_LIMIT),
                "IBM Cloud response detail"
            );
        }
        Ok(RawResponse {
            status,
            headers,
            body: body.to_vec(),
        })
    }

    fn header_for_log(&self, name: &str, value: &HeaderValue) -> String {
        if is_sensitive_header(name) {
            format!("{name}: [REDACTED]")
        } else {
            let shown = self
                .redactor
                .scrub(&String::from_utf8_lossy(value.as_bytes()));
            format!("{name}: {shown}")
        }
    }

    fn classify_reqwest_error(&self, error: &reqwest::Error) -> AttemptError {
        // reqwest's Display includes the URL; our URLs carry no secrets, but scrub anyway.
        let message = self.redactor.scrub(&error_chain(error));
        if error.is_timeout() {
            AttemptError::TimedOut
        } else if error.is_connect() {
            AttemptError::NotSent(message)
        } else {
            AttemptError::Unknown(message)
        }
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The `start` token of a pagination link (`next.href`, `next_url`). Following the token
/// rather than the link keeps our own base URL (and emulator prefix) in charge.
pub fn start_token(link: &str) -> Option<String> {
    let base = Url::parse("http://placeholder.invalid/").ok()?;
    let url = base.join(link).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "start")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

/// A service's view of the core: its base URL, its fixed query parameters (VPC `version` and
/// `generation`, Transit Gateway `version`) and the token manager.
#[derive(Debug, Clone)]
pub struct ServiceApi {
    core: Arc<HttpCore>,
    tokens: Arc<TokenManager>,
    service: &'static str,
    base: Url,
    fixed_query: Vec<(&'static str, String)>,
}

impl ServiceApi {
    /// `base` may end in a path (`http://127.0.0.1:8080/vpc`); `strip_suffix` drops a trailing
    /// version segment users often include (`.../v1`) because the clients add it themselves.
    pub fn new(
        core: Arc<HttpCore>,
        tokens: Arc<TokenManager>,
        service: &'static str,
        base: &str,
        strip_suffix: Option<&str>,
    ) -> Result<Self, CloudError> {
        let mut trimmed = base.trim().trim_end_matches('/');
        if let Some(suffix) = strip_suffix {
            trimmed = trimmed.strip_suffix(suffix).unwrap_or(trimmed);
        }
        let base = Url::parse(trimmed)
            .map_err(|e| CloudError::Config(format!("invalid {service} endpoint {base:?}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(CloudError::Config(format!(
                "invalid {service} endpoint {trimmed:?}: expected an http(s) URL"
            )));
        }
        Ok(Self {
            core,
            tokens,
            service,
            base,
            fixed_query: Vec::new(),
        })
    }

    pub fn with_fixed_query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.fixed_query.push((key, value.into()));
        self
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.tokens
    }

    pub fn core(&self) -> &Arc<HttpCore> {
        &self.core
    }

    /// A request to `base/segment/segment/...`; every segment is percent-encoded, so ids that
    /// are CRNs (with `:` and `/`) stay one segment.
    pub fn request(&self, method: Method, segments: &[&str]) -> ApiRequest {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !self.fixed_query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in &self.fixed_query {
                pairs.append_pair(key, value);
            }
        }
        ApiRequest::new(self.service, method, url)
    }

    pub async fn send(&self, request: ApiRequest) -> Result<RawResponse, CloudError> {
        let mut attempts = Attempts::default();
        self.core
            .send(&request, Some(&self.tokens), &mut attempts)
            .await
    }

    pub async fn send_json<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
    ) -> Result<T, CloudError> {
        let operation = request.operation();
        let response = self.send(request).await?;
        self.decode(&operation, &response.body)
    }

    /// For calls whose success body does not matter (DELETE 202/204).
    pub async fn send_empty(&self, request: ApiRequest) -> Result<(), CloudError> {
        self.send(request).await.map(|_| ())
    }

    pub fn decode<T: DeserializeOwned>(
        &self,
        operation: &str,
        body: &[u8],
    ) -> Result<T, CloudError> {
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            b"null".as_slice()
        } else {
            body
        };
        serde_json::from_slice(body).map_err(|e| CloudError::Decode {
            service: self.service,
            operation: operation.to_string(),
            message: e.to_string(),
        })
    }

    /// Every item of a collection paginated the way IBM's VPC and Transit Gateway APIs do it
    /// (`{<key>: [...], next: {href}}`, `limit` and `start` parameters); `filters` go on every
    /// page. Stops after `max_pages` pages so a server that always answers `next` cannot loop us.
    pub async fn list_pages<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        key: &str,
        filters: &[(&str, &str)],
        page_limit: &str,
        max_pages: usize,
    ) -> Result<Vec<T>, CloudError> {
        let mut items = Vec::new();
        let mut start: Option<String> = None;
        for _ in 0..max_pages {
            let mut request = self
                .request(Method::GET, segments)
                .query("limit", page_limit)
                .query_opt("start", start.as_deref());
            for (k, v) in filters {
                request = request.query(k, v);
            }
            let operation = request.operation();
            let mut page: serde_json::Map<String, Value> = self.send_json(request).await?;
            if let Some(batch) = page.remove(key) {
                let batch: Vec<T> =
                    serde_json::from_value(batch).map_err(|e| CloudError::Decode {
                        service: self.service,
                        operation: operation.clone(),
                        message: e.to_string(),
                    })?;
                items.extend(batch);
            }
            start = page
                .get("next")
                .and_then(|n| n.get("href"))
                .and_then(Value::as_str)
                .and_then(start_token);
            if start.is_none() {
                break;
            }
        }
        Ok(items)
    }

    /// Creates something with a POST without ever creating it twice.
    ///
    /// When the POST's outcome is unknown, `find_existing` is asked whether the object exists;
    /// if it does, that object is the result, otherwise the POST is repeated after a backoff.
    /// The core's retries and these repeats share one `max_retries` budget.
    pub async fn create_checked<T, F, Fut>(
        &self,
        request: ApiRequest,
        mut find_existing: F,
    ) -> Result<T, CloudError>
    where
        T: DeserializeOwned,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, CloudError>>,
    {
        let operation = request.operation();
        let policy = self.core.retry_policy().clone();
        let mut attempts = Attempts::default();
        loop {
            match self
                .core
                .send(&request, Some(&self.tokens), &mut attempts)
                .await
            {
                Ok(response) => return self.decode(&operation, &response.body),
                Err(CloudError::OutcomeUnknown { cause, .. })
                    if attempts.made <= policy.max_retries =>
                {
                    tracing::debug!(
                        service = self.service,
                        operation = %operation,
                        cause = %cause,
                        "write outcome unknown; checking what exists before repeating it"
                    );
                    if let Some(existing) = find_existing().await? {
                        return Ok(existing);
                    }
                    let delay = policy.delay(attempts.made, None, &mut rand::rng());
                    self.core.sleep(delay, &request).await?;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let policy = RetryPolicy {
            max_retries: 10,
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(60),
        };
        let mut rng = StdRng::seed_from_u64(7);
        for (retry, ceiling) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (40, 1000),
        ] {
            for _ in 0..50 {
                let d = policy.backoff(retry, &mut rng).as_millis() as u64;
                assert!(
                    d >= ceiling / 2 && d <= ceiling,
                    "retry {retry}: {d} not in [{}, {ceiling}]",
                    ceiling / 2
                );
            }
        }
    }

    #[test]
    fn retry_after_is_honoured_with_small_spread_and_cap() {
        let policy = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..50 {
            let d = policy.delay(1, Some(Duration::from_secs(1)), &mut rng);
            assert!(d >= Duration::from_secs(1) && d <= Duration::from_millis(1100));
        }
        let capped = policy.delay(1, Some(Duration::from_secs(100_000)), &mut rng);
        assert!(
            capped >= policy.max_retry_after
                && capped <= policy.max_retry_after + Duration::from_millis(250)
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        // Wed, 21 Oct 2015 07:28:00 GMT = 1445412480; ten seconds later:
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        // A date in the past means "now".
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn start_tokens_come_from_absolute_and_relative_links() {
        assert_eq!(
            start_token("https://us-south.iaas.cloud.ibm.com/v1/security_groups?limit=50&start=r006-abc&version=2026-03-24").as_deref(),
            Some("r006-abc")
        );
        assert_eq!(
            start_token("/v2/resource_instances?start=tok%2F1&limit=100").as_deref(),
            Some("tok/1")
        );
        assert_eq!(start_token("/v2/resource_instances"), None);
    }

    #[test]
    fn error_parsing_follows_ibm_order() {
        let vpc = br#"{"errors":[{"code":"not_found","message":"Security group not found","more_info":"x"}],"status_code":404,"trace":"t-1","message":"ignored"}"#;
        assert_eq!(
            parse_error_body(vpc),
            ParsedError {
                code: Some("not_found".into()),
                message: Some("Security group not found".into()),
                trace: Some("t-1".into()),
            }
        );
        let power = br#"{"code":404,"description":"network does not exist, id: n1","error":"network not found","message":""}"#;
        let parsed = parse_error_body(power);
        assert_eq!(parsed.code.as_deref(), Some("404"));
        assert_eq!(
            parsed.message.as_deref(),
            Some("network not found: network does not exist, id: n1")
        );
        let iam =
            br#"{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found."}"#;
        let parsed = parse_error_body(iam);
        assert_eq!(parsed.code.as_deref(), Some("BXNIM0415E"));
        assert_eq!(
            parsed.message.as_deref(),
            Some("Provided API key could not be found.")
        );
        let rc = br#"{"message":"Instance is locked","status_code":409,"error":{"nested":true}}"#;
        assert_eq!(
            parse_error_body(rc).message.as_deref(),
            Some("Instance is locked")
        );
        let only_description = br#"{"description":"bad request"}"#;
        assert_eq!(
            parse_error_body(only_description).message.as_deref(),
            Some("bad request")
        );
        assert_eq!(
            parse_error_body(b"upstream timeout").message.as_deref(),
            Some("upstream timeout")
        );
        assert_eq!(parse_error_body(b"").message, None);
    }
}
