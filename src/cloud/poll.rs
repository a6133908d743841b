//! Waiting for asynchronous IBM operations to reach a target state.
//!
//! The IBM provider sleeps a fixed minute between checks and ignores errors for an hour
//! (see the users' complaints in the reference). Here a wait checks often at first and backs
//! off (1 s → 15 s by default), stops at the resource's deadline, stops at once when
//! Terraform cancels (StopProvider), and fails as soon as the object reports a failed state,
//! with the API's own message.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::CloudError;

/// What one check of the object found.
#[derive(Debug, Clone, PartialEq)]
pub enum PollStatus<T> {
    /// The target state was reached.
    Done(T),
    /// Still on the way; `state` is shown in logs and in a timeout error.
    Pending { state: String },
    /// A failed state; stop now. `message` is the API's explanation.
    Failed { state: String, message: String },
}

/// How to wait.
#[derive(Debug, Clone)]
pub struct PollOptions {
    /// Describes the wait in errors ("dr_orchestrator 1234 to become active").
    pub what: String,
    /// The resource's timeout for this operation.
    pub timeout: Duration,
    /// Wait before the first check (some APIs need a moment before the object shows up).
    pub initial_delay: Duration,
    pub min_interval: Duration,
    pub max_interval: Duration,
    /// Growth of the interval per check.
    pub factor: f64,
    pub cancel: CancellationToken,
}

impl PollOptions {
    pub fn new(what: impl Into<String>, timeout: Duration, cancel: CancellationToken) -> Self {
        Self {
            what: what.into(),
            timeout,
            initial_delay: Duration::ZERO,
            min_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(15),
            factor: 1.5,
            cancel,
        }
    }

    pub fn intervals(mut self, min: Duration, max: Duration) -> Self {
        self.min_interval = min;
        self.max_interval = max.max(min);
        self
    }

    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The interval after `checks` checks: min·factor^checks, capped.
    pub fn interval(&self, checks: u32) -> Duration {
        let grown = self
            .min_interval
            .mul_f64(self.factor.max(1.0).powi(checks.min(64) as i32));
        grown.min(self.max_interval)
    }
}

/// Calls `check` until it reports `Done` or `Failed`, the deadline passes, or the wait is
/// cancelled. Errors from `check` end the wait (the HTTP core has already retried them).
/// The last check happens at the deadline, so a slow object gets the whole timeout.
pub async fn wait_for<T, F, Fut>(options: &PollOptions, mut check: F) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<PollStatus<T>, CloudError>>,
{
    let started = Instant::now();
    let deadline = started + options.timeout;
    let cancelled = || CloudError::Cancelled {
        what: format!("waiting for {}", options.what),
    };
    let mut checks: u32 = 0;
    let mut last_state = String::from("unknown");
    let mut delay = options.initial_delay;
    loop {
        let wake = (Instant::now() + delay).min(deadline);
        tokio::select! {
            _ = options.cancel.cancelled() => return Err(cancelled()),
            _ = tokio::time::sleep_until(wake) => {}
        }
        let status = tokio::select! {
            _ = options.cancel.cancelled() => return Err(cancelled()),
            status = tokio::time::timeout_at(deadline + Duration::from_secs(1), check()) => status,
        };
        let status = match status {
            Ok(result) => result?,
            Err(_) => {
                return Err(CloudError::Timeout {
                    what: format!("waiting for {} (last state: {last_state})", options.what),
                    after: options.timeout,
                });
            }
        };
        checks += 1;
        match status {
            PollStatus::Done(value) => {
                tracing::debug!(what = %options.what, checks, elapsed_ms = started.elapsed().as_millis() as u64, "wait finished");
                return Ok(value);
            }
            PollStatus::Failed { state, message } => {
                return Err(CloudError::Failed {
                    what: options.what.clone(),
                    state,
                    message,
                });
            }
            PollStatus::Pending { state } => {
                if state != last_state {
                    tracing::debug!(what = %options.what, state = %state, "still waiting");
                }
                last_state = state;
            }
        }
        if Instant::now() >= deadline {
            return Err(CloudError::Timeout {
                what: format!("waiting for {} (last state: {last_state})", options.what),
                after: options.timeout,
            });
        }
        delay = options.interval(checks - 1);
    }
}

/// Reads the object with `read` until `judge` finds it done or failed ([`wait_for`]).
pub async fn wait_until<T, U, F, Fut>(
    options: &PollOptions,
    mut read: F,
    judge: impl Fn(T) -> PollStatus<U>,
) -> Result<U, CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CloudError>>,
{
    let judge = &judge;
    wait_for(options, || {
        let read = read();
        async move { Ok(judge(read.await?)) }
    })
    .await
}

/// Waits until `read` answers `NotFound`. While the object is still there, `judge` says
/// whether its state counts as gone too, has failed, or is progress.
pub async fn wait_gone<T, F, Fut>(
    options: &PollOptions,
    mut read: F,
    judge: impl Fn(T) -> PollStatus<()>,
) -> Result<(), CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CloudError>>,
{
    let read_unless_gone = || {
        let read = read();
        async move {
            match read.await {
                Err(e) if e.is_not_found() => Ok(None),
                other => other.map(Some),
            }
        }
    };
    wait_until(options, read_unless_gone, |object| match object {
        None => PollStatus::Done(()),
        Some(object) => judge(object),
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn options(timeout: Duration) -> PollOptions {
        PollOptions::new("thing", timeout, CancellationToken::new())
    }

    #[test]
    fn intervals_grow_from_1s_and_cap_at_15s() {
        let o = options(Duration::from_secs(60));
        let seen: Vec<u64> = (0..12).map(|n| o.interval(n).as_millis() as u64).collect();
        assert_eq!(seen[0], 1000);
        assert_eq!(seen[1], 1500);
        assert!(seen.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*seen.last().unwrap_or(&0), 15_000);
    }

    #[tokio::test(start_paused = true)]
    async fn reaches_target_after_pending_states() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let started = Instant::now();
        let value = wait_for(&options(Duration::from_secs(600)), move || {
            let c = c.clone();
            async move {
                let n = c.fetch_add(1, Ordering::SeqCst);
                Ok(if n < 3 {
                    PollStatus::Pending {
                        state: "BUILD".into(),
                    }
                } else {
                    PollStatus::Done(n)
                })
            }
        })
        .await;
        assert_eq!(value.ok(), Some(3));
        // 0 + 1 + 1.5 + 2.25 seconds of waiting.
        assert_eq!(started.elapsed(), Duration::from_millis(4750));
    }

    #[tokio::test(start_paused = true)]
    async fn fails_fast_with_the_api_message() {
        let result: Result<(), _> = wait_for(&options(Duration::from_secs(600)), || async {
            Ok(PollStatus::Failed {
                state: "ERROR".into(),
                message: "insufficient capacity in dal10".into(),
            })
        })
        .await;
        match result {
            Err(CloudError::Failed { state, message, .. }) => {
                assert_eq!(state, "ERROR");
                assert_eq!(message, "insufficient capacity in dal10");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_at_the_deadline_with_the_last_state() {
        let started = Instant::now();
        let result: Result<(), _> = wait_for(&options(Duration::from_secs(30)), || async {
            Ok(PollStatus::Pending {
                state: "provisioning".into(),
            })
        })
        .await;
        let error = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("last state: provisioning"), "{error}");
        assert_eq!(started.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_stops_the_wait() {
        let o = options(Duration::from_secs(3600));
        let cancel = o.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            cancel.cancel();
        });
        let started = Instant::now();
        let result: Result<(), _> = wait_for(&o, || async {
            Ok(PollStatus::Pending {
                state: "pending".into(),
            })
        })
        .await;
        assert!(result.is_err_and(|e| e.is_cancelled()));
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }
}
