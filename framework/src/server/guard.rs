//! Panic containment for RPC handlers.
//!
//! A panic in one resource's code must not take the whole plugin down ("Plugin did not
//! respond") or leave Terraform without an answer: it becomes an error diagnostic naming the
//! panic. The transport's panic hook can ask [`in_guarded_handler`] whether a panic is about
//! to be caught here, and then skip exiting the process.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::FutureExt;

use crate::diag::Diagnostics;

thread_local! {
    static GUARD_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// True while the current thread polls a guarded handler, i.e. a panic now will be caught
/// and reported as a diagnostic.
pub fn in_guarded_handler() -> bool {
    GUARD_DEPTH.with(|d| d.get() > 0)
}

struct DepthGuard;

impl DepthGuard {
    fn enter() -> Self {
        GUARD_DEPTH.with(|d| d.set(d.get().saturating_add(1)));
        DepthGuard
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        GUARD_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Marks the thread as guarded during each poll of the inner future (which may move between
/// worker threads across polls).
struct Flagged<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for Flagged<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _guard = DepthGuard::enter();
        self.inner.as_mut().poll(cx)
    }
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_string())
}

/// Runs `work`; a panic inside becomes `Err` with an error diagnostic about `rpc`.
pub(crate) async fn catch_panics<T>(
    rpc: &str,
    work: impl Future<Output = T>,
) -> Result<T, Diagnostics> {
    let flagged = Flagged {
        inner: Box::pin(work),
    };
    AssertUnwindSafe(flagged).catch_unwind().await.map_err(|payload| {
        let text = panic_text(payload.as_ref());
        tracing::error!(rpc, panic = %text, "handler panicked");
        Diagnostics::from_error(
            "Provider internal error",
            format!(
                "The provider panicked while handling {rpc}: {text}. This is a bug in the provider; \
                 please report it with the provider's log (TF_LOG=debug)."
            ),
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    #[tokio::test]
    async fn panics_become_diagnostics_and_flag_is_scoped() {
        assert!(!in_guarded_handler());
        let ok = catch_panics("Test", async { in_guarded_handler() }).await;
        assert_eq!(ok, Ok(true));
        assert!(!in_guarded_handler());
        let err = catch_panics("ReadResource", async {
            if in_guarded_handler() {
                panic!("boom");
            }
        })
        .await
        .expect_err("panic must be caught");
        assert!(
            err.to_string()
                .contains("panicked while handling ReadResource: boom"),
            "{err}"
        );
        assert!(!in_guarded_handler());
    }
}
