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
//!
//! Layout: [`retry`] (backoff and `Retry-After`), [`request`] (what a typed client builds),
//! [`error_body`] (IBM's error shapes), [`service`] ([`ServiceApi`], the typed clients' view),
//! [`token`] (the [`TokenSource`] the core asks for bearer tokens); this file sends.

mod error_body;
mod request;
mod retry;
mod service;
mod token;

pub use error_body::{ParsedError, parse_error_body};
pub use request::{ApiRequest, Attempts, Idempotency, RawResponse, RequestBody};
pub use retry::{RetryPolicy, parse_retry_after};
pub use service::{ServiceApi, start_token};
pub use token::TokenSource;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderValue;
use tokio_util::sync::CancellationToken;

use super::error::{ApiError, CloudError};
use super::redact::{Redactor, is_sensitive_header, is_sensitive_key, redact_form};

/// Longest body shown in a TRACE log line.
const LOGGED_BODY_LIMIT: usize = 16 * 1024;
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
        tokens: Option<&dyn TokenSource>,
        attempts: &mut Attempts,
    ) -> Result<RawResponse, CloudError> {
        let policy = &self.settings.retry;
        // The last token a 401 made us renew; one renewal per token, so a token that expired
        // in flight is replaced, but a token the service keeps refusing is not retried forever.
        let mut rejected_token: Option<String> = None;
        loop {
            attempts.made += 1;
            let bearer = match (request.authenticated, tokens) {
                // The trait's future is boxed, so a token grant can itself go through this core.
                (true, Some(tokens)) => Some(tokens.token().await?),
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
