//! IAM access tokens for every other client.
//!
//! Two modes. With an API key the manager fetches tokens itself (API-key grant), refreshes at
//! 80% of a token's lifetime and treats it as expired a little early, so a request never
//! leaves with a token that dies on the way. With a token handed in from outside (Schematics
//! passes the user's token), nothing can be fetched: the token is used until it expires and
//! then every call fails with a clear [`CloudError::TokenExpired`], unless a refresh token was
//! handed in too.
//!
//! Single flight: however many requests find the token stale at once, exactly one grant is in
//! flight; the others wait for it (when the token is unusable) or keep using the still-valid
//! old one (when it is only due for refresh).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use reqwest::{Method, Url};
use serde::Deserialize;
use serde_json::Value;

use super::error::CloudError;
use super::http::{ApiRequest, Attempts, HttpCore, TokenSource};

const APIKEY_GRANT: &str = "urn:ibm:params:oauth:grant-type:apikey";
const REFRESH_GRANT: &str = "refresh_token";
/// IAM's public client for the refresh-token grant, as the IBM CLI and SDKs use it.
const REFRESH_CLIENT_BASIC_AUTH: &str = "Basic Yng6Yng=";
/// Upper bound of the "expired early" margin (IBM SDK core: 10 s).
const MAX_EXPIRY_MARGIN: Duration = Duration::from_secs(10);

/// How the provider authenticates. `Debug` never prints the secrets.
#[derive(Clone)]
pub enum Credentials {
    ApiKey(String),
    IamToken {
        access_token: String,
        refresh_token: Option<String>,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::ApiKey(_) => f.write_str("Credentials::ApiKey([REDACTED])"),
            Credentials::IamToken { refresh_token, .. } => write!(
                f,
                "Credentials::IamToken([REDACTED], refresh_token: {})",
                if refresh_token.is_some() {
                    "[REDACTED]"
                } else {
                    "none"
                }
            ),
        }
    }
}

/// IAM's token response (`POST /identity/token`).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// Epoch seconds.
    #[serde(default)]
    pub expiration: Option<u64>,
    #[serde(default)]
    pub scope: Option<String>,
}

#[derive(Debug)]
struct CachedToken {
    access_token: String,
    refresh_token: Option<String>,
    refresh_at: Instant,
    expires_at: Instant,
    account_id: Option<String>,
}

/// When a token with `lifetime` obtained at `obtained` is due for refresh and when it must be
/// treated as expired. The 10 s margin shrinks to a tenth of very short lifetimes, otherwise a
/// 5 s token (as in tests) would be born expired.
pub fn token_schedule(obtained: Instant, lifetime: Duration) -> (Instant, Instant) {
    let margin = MAX_EXPIRY_MARGIN.min(lifetime / 10);
    let refresh_at = obtained + lifetime.mul_f64(0.8);
    let expires_at = obtained + lifetime.saturating_sub(margin);
    (refresh_at.min(expires_at), expires_at)
}

/// How long a fresh token lives: `expires_in`, but never past `expiration` measured against
/// our clock with sub-second precision (IAM's whole-second `expiration` can leave less than
/// `expires_in`), and one hour when IAM says nothing.
pub fn token_lifetime(
    expires_in: Option<u64>,
    expiration: Option<u64>,
    now: SystemTime,
) -> Duration {
    let by_expiration = expiration.map(|exp| {
        (UNIX_EPOCH + Duration::from_secs(exp))
            .duration_since(now)
            .unwrap_or(Duration::ZERO)
    });
    match (expires_in.map(Duration::from_secs), by_expiration) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => Duration::from_secs(3600),
    }
}

/// The payload of a JWT, without verifying it (IAM verified it; we only read claims).
pub fn jwt_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The account id IAM puts in `account.bss`.
pub fn account_id_from_claims(claims: &Value) -> Option<String> {
    claims
        .get("account")
        .and_then(|a| a.get("bss"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Where the token manager reads the time: the monotonic clock, or a test's.
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

pub struct TokenManager {
    core: Arc<HttpCore>,
    token_url: Url,
    api_key: Option<String>,
    state: RwLock<Option<Arc<CachedToken>>>,
    refresh_lock: tokio::sync::Mutex<()>,
    grants: AtomicU64,
    clock: Clock,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("token_url", &self.token_url.as_str())
            .field("grants", &self.grants)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// `iam_base` is the IAM endpoint (`https://iam.cloud.ibm.com`, or the emulator's `/iam`).
    pub fn new(
        core: Arc<HttpCore>,
        iam_base: &str,
        credentials: Credentials,
    ) -> Result<Self, CloudError> {
        let base = iam_base.trim().trim_end_matches('/');
        let token_url = Url::parse(&format!("{base}/identity/token"))
            .map_err(|e| CloudError::Config(format!("invalid IAM endpoint {iam_base:?}: {e}")))?;
        let (api_key, state) = match credentials {
            Credentials::ApiKey(key) => {
                if key.trim().is_empty() {
                    return Err(CloudError::Config("the IBM Cloud API key is empty".into()));
                }
                core.redactor().pin(&key);
                (Some(key), None)
            }
            Credentials::IamToken {
                access_token,
                refresh_token,
            } => {
                let access_token = access_token
                    .trim()
                    .trim_start_matches("Bearer ")
                    .trim()
                    .to_string();
                core.redactor().pin(&access_token);
                if let Some(refresh) = &refresh_token {
                    core.redactor().pin(refresh);
                }
                (
                    None,
                    Some(Arc::new(Self::external_token(access_token, refresh_token)?)),
                )
            }
        };
        Ok(Self {
            core,
            token_url,
            api_key,
            state: RwLock::new(state),
            refresh_lock: tokio::sync::Mutex::new(()),
            grants: AtomicU64::new(0),
            clock: Arc::new(Instant::now),
        })
    }

    /// The same manager reading the time from `clock`, so a test can move a token through
    /// its life (due for refresh, expired) without waiting for it. The clock must not run
    /// backwards and should start at the real `Instant::now()`.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    fn now(&self) -> Instant {
        (self.clock)()
    }

    fn external_token(
        access_token: String,
        refresh_token: Option<String>,
    ) -> Result<CachedToken, CloudError> {
        let claims = jwt_claims(&access_token).ok_or_else(|| {
            CloudError::Config("iam_token is not an IAM access token (not a JWT)".into())
        })?;
        let exp = claims
            .get("exp")
            .and_then(Value::as_u64)
            .ok_or_else(|| CloudError::Config("iam_token carries no expiry (exp claim)".into()))?;
        let now_wall = now_epoch();
        let now = Instant::now();
        let remaining = Duration::from_secs(exp.saturating_sub(now_wall));
        let lifetime = claims
            .get("iat")
            .and_then(Value::as_u64)
            .map(|iat| Duration::from_secs(exp.saturating_sub(iat)))
            .unwrap_or(remaining);
        let margin = MAX_EXPIRY_MARGIN.min(lifetime / 10);
        let expires_at = now + remaining.saturating_sub(margin);
        Ok(CachedToken {
            account_id: account_id_from_claims(&claims),
            access_token,
            refresh_token,
            // An external token is never proactively refreshed: it is used while valid.
            refresh_at: expires_at,
            expires_at,
        })
    }

    /// How many token grants were sent to IAM (tests assert single flight with it).
    pub fn grants_issued(&self) -> u64 {
        self.grants.load(Ordering::Relaxed)
    }

    /// True when a new token can be obtained (API key, or a refresh token was given).
    pub fn can_renew(&self) -> bool {
        self.api_key.is_some() || self.current().is_some_and(|t| t.refresh_token.is_some())
    }

    fn current(&self) -> Option<Arc<CachedToken>> {
        self.state.read().ok().and_then(|s| s.clone())
    }

    /// A bearer token valid for at least the safety margin.
    pub async fn token(&self) -> Result<String, CloudError> {
        Ok(self.valid_token().await?.access_token.clone())
    }

    /// The account id from the token's `account.bss` claim (PowerVS CRN header).
    pub async fn account_id(&self) -> Result<String, CloudError> {
        self.valid_token().await?.account_id.clone().ok_or_else(|| {
            CloudError::Config(
                "the IAM token carries no account id (account.bss claim); cannot build the \
                 PowerVS CRN header"
                    .into(),
            )
        })
    }

    /// Forgets `used` after the server rejected it, so the next call fetches a new one.
    /// Another caller may already have replaced it; then nothing happens.
    pub fn invalidate(&self, used: &str) {
        if !self.can_renew() {
            return;
        }
        if let Ok(mut state) = self.state.write()
            && state.as_ref().is_some_and(|t| t.access_token == used)
        {
            let mut stale = CachedToken {
                access_token: String::new(),
                refresh_token: None,
                refresh_at: self.now(),
                expires_at: self.now(),
                account_id: None,
            };
            if let Some(old) = state.as_ref() {
                stale.refresh_token = old.refresh_token.clone();
                stale.account_id = old.account_id.clone();
            }
            *state = Some(Arc::new(stale));
        }
    }

    async fn valid_token(&self) -> Result<Arc<CachedToken>, CloudError> {
        if let Some(token) = self.current() {
            let now = self.now();
            if now < token.refresh_at {
                return Ok(token);
            }
            if now < token.expires_at {
                // Due for refresh but still good: one caller refreshes, the rest go on.
                if let Ok(_guard) = self.refresh_lock.try_lock() {
                    let latest = self.current();
                    if let Some(latest) = latest.filter(|t| self.now() < t.refresh_at) {
                        return Ok(latest);
                    }
                    match self.grant().await {
                        Ok(fresh) => return Ok(fresh),
                        Err(error) => {
                            tracing::warn!(error = %error, "IAM token refresh failed; using the current token until it expires");
                        }
                    }
                }
                return Ok(token);
            }
        }
        if !self.can_renew() {
            let expired_ago_seconds = self
                .current()
                .map(|t| self.now().saturating_duration_since(t.expires_at).as_secs())
                .unwrap_or(0);
            return Err(CloudError::TokenExpired {
                expired_ago_seconds,
            });
        }
        let _guard = self.refresh_lock.lock().await;
        if let Some(token) = self.current().filter(|t| self.now() < t.expires_at) {
            return Ok(token);
        }
        self.grant().await
    }

    /// Sends one grant to IAM and stores the result. Called with `refresh_lock` held.
    async fn grant(&self) -> Result<Arc<CachedToken>, CloudError> {
        let previous = self.current();
        let mut request = ApiRequest::new("iam", Method::POST, self.token_url.clone())
            .unauthenticated()
            .idempotent();
        request = match (
            &self.api_key,
            previous.as_ref().and_then(|t| t.refresh_token.clone()),
        ) {
            (Some(key), _) => request.form(vec![
                ("grant_type".into(), APIKEY_GRANT.into()),
                ("apikey".into(), key.clone()),
                ("response_type".into(), "cloud_iam".into()),
            ]),
            (None, Some(refresh)) => request
                .header("authorization", REFRESH_CLIENT_BASIC_AUTH)?
                .form(vec![
                    ("grant_type".into(), REFRESH_GRANT.into()),
                    ("refresh_token".into(), refresh),
                ]),
            (None, None) => {
                return Err(CloudError::TokenExpired {
                    expired_ago_seconds: 0,
                });
            }
        };
        self.grants.fetch_add(1, Ordering::Relaxed);
        let obtained = self.now();
        let mut attempts = Attempts::default();
        let response = self
            .core
            .send(&request, None, &mut attempts)
            .await
            .map_err(|error| match error {
                // IAM answers a bad key with 400 (BXNIM0415E); to the user it is "unauthorized".
                CloudError::Api(api) if api.status == 400 => CloudError::Unauthorized(api),
                other => other,
            })?;
        let parsed: TokenResponse =
            serde_json::from_slice(&response.body).map_err(|e| CloudError::Decode {
                service: "iam",
                operation: request.operation(),
                message: e.to_string(),
            })?;
        self.core.redactor().remember(&parsed.access_token);
        if let Some(refresh) = &parsed.refresh_token {
            self.core.redactor().remember(refresh);
        }
        let lifetime = token_lifetime(parsed.expires_in, parsed.expiration, SystemTime::now());
        let (refresh_at, expires_at) = token_schedule(obtained, lifetime);
        let account_id = jwt_claims(&parsed.access_token)
            .as_ref()
            .and_then(account_id_from_claims)
            .or_else(|| previous.and_then(|p| p.account_id.clone()));
        let token = Arc::new(CachedToken {
            access_token: parsed.access_token,
            refresh_token: parsed.refresh_token,
            refresh_at,
            expires_at,
            account_id,
        });
        if let Ok(mut state) = self.state.write() {
            *state = Some(token.clone());
        }
        tracing::debug!(
            lifetime_s = lifetime.as_secs(),
            "obtained a new IAM access token"
        );
        Ok(token)
    }
}

/// The HTTP core asks for tokens through this trait, so it does not depend on IAM.
#[async_trait::async_trait]
impl TokenSource for TokenManager {
    async fn token(&self) -> Result<String, CloudError> {
        TokenManager::token(self).await
    }

    async fn account_id(&self) -> Result<String, CloudError> {
        TokenManager::account_id(self).await
    }

    fn can_renew(&self) -> bool {
        TokenManager::can_renew(self)
    }

    fn invalidate(&self, used: &str) {
        TokenManager::invalidate(self, used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// When a token of `lifetime` is refreshed and when it counts as expired, from its grant.
    fn schedule_of(lifetime: Duration) -> (Duration, Duration) {
        let t0 = Instant::now();
        let (refresh, expiry) = token_schedule(t0, lifetime);
        (refresh - t0, expiry - t0)
    }

    #[test]
    fn schedule_refreshes_at_80_percent_and_expires_10s_early() {
        let (refresh, expiry) = schedule_of(Duration::from_secs(3600));
        assert_eq!(refresh, Duration::from_secs(2880));
        assert_eq!(expiry, Duration::from_secs(3590));
    }

    #[test]
    fn schedule_of_short_tokens_keeps_them_usable() {
        let (refresh, expiry) = schedule_of(Duration::from_secs(5));
        assert_eq!(refresh, Duration::from_secs(4));
        assert_eq!(expiry, Duration::from_millis(4500));
    }

    #[test]
    fn lifetime_never_exceeds_the_expiration_instant() {
        let now = UNIX_EPOCH + Duration::from_millis(1_000_900);
        assert_eq!(
            token_lifetime(Some(5), Some(1005), now),
            Duration::from_millis(4100)
        );
        assert_eq!(
            token_lifetime(Some(3600), None, now),
            Duration::from_secs(3600)
        );
        assert_eq!(
            token_lifetime(None, Some(1002), now),
            Duration::from_millis(1100)
        );
        assert_eq!(token_lifetime(None, None, now), Duration::from_secs(3600));
    }

    #[test]
    fn claims_give_the_account_id() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"account":{"bss":"acc123","valid":true},"exp":10}"#);
        let token = format!("eyJhbGciOiJub25lIn0.{payload}.sig");
        let claims = jwt_claims(&token);
        assert_eq!(
            claims.as_ref().and_then(account_id_from_claims).as_deref(),
            Some("acc123")
        );
        assert!(jwt_claims("opaque-token").is_none());
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let shown = format!(
            "{:?} {:?}",
            Credentials::ApiKey("key-abcdef".into()),
            Credentials::IamToken {
                access_token: "tok-abcdef".into(),
                refresh_token: Some("ref-abcdef".into())
            }
        );
        assert!(!shown.contains("abcdef"));
    }
}
