//! When and how long the core waits before repeating a request: exponential backoff with
//! jitter, or the server's `Retry-After`, both capped.

use std::time::{Duration, SystemTime};

use rand::Rng;

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
