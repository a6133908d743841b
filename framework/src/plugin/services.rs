//! The small go-plugin services served next to `tfplugin6.Provider`.
//!
//! - `plugin.GRPCController/Shutdown` is how Terraform ends a managed plugin: it calls it,
//!   waits ~2 s, then kills the process. We answer and then stop serving, so the process exits 0.
//! - `plugin.GRPCStdio/StreamStdio` lets go-plugin mirror a plugin's stdout/stderr. We never
//!   write stdout after the handshake and our logs already go to stderr, so the stream carries
//!   nothing; it stays open until shutdown so the client does not log a premature EOF.

use std::pin::Pin;

use futures::Stream;
use tokio::sync::watch;
use tonic::{Request, Response, Status};

use crate::proto::plugin::grpc_controller_server::GrpcController;
use crate::proto::plugin::grpc_stdio_server::GrpcStdio;
use crate::proto::plugin::{Empty, StdioData};

/// Why the server is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// `GRPCController/Shutdown` was called.
    ShutdownRpc,
    /// SIGTERM (or SIGINT in debug mode).
    Signal,
    /// The process that started us (Terraform) is gone without shutting us down: it was
    /// killed with SIGKILL or crashed.
    ParentGone,
}

/// A one-shot, cloneable "stop now" signal shared by the services and the server loop.
#[derive(Debug, Clone)]
pub struct ShutdownSignal {
    tx: watch::Sender<Option<StopReason>>,
}

impl Default for ShutdownSignal {
    fn default() -> Self {
        Self::new()
    }
}

impl ShutdownSignal {
    /// A signal that has not fired yet.
    pub fn new() -> Self {
        let (tx, _) = watch::channel(None);
        Self { tx }
    }

    /// Fires the signal; only the first reason is kept.
    pub fn trigger(&self, reason: StopReason) {
        self.tx.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        });
    }

    /// Resolves once the signal has fired, with the reason.
    pub async fn fired(&self) -> StopReason {
        let mut rx = self.tx.subscribe();
        loop {
            if let Some(reason) = *rx.borrow_and_update() {
                return reason;
            }
            if rx.changed().await.is_err() {
                // The sender lives in `self`, so this cannot happen; treat it as a stop.
                return StopReason::Signal;
            }
        }
    }
}

/// `plugin.GRPCController`.
#[derive(Debug, Clone)]
pub struct Controller {
    /// Fired when Terraform asks us to shut down.
    pub shutdown: ShutdownSignal,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("received GRPCController/Shutdown");
        self.shutdown.trigger(StopReason::ShutdownRpc);
        Ok(Response::new(Empty {}))
    }
}

/// `plugin.GRPCStdio`.
#[derive(Debug, Clone)]
pub struct Stdio {
    /// Ends the open stream so graceful shutdown does not wait on it.
    pub shutdown: ShutdownSignal,
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream = Pin<Box<dyn Stream<Item = Result<StdioData, Status>> + Send>>;

    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        let shutdown = self.shutdown.clone();
        let until_shutdown = futures::stream::once(async move {
            shutdown.fired().await;
        });
        // Yields nothing; completes when the server shuts down.
        let stream = futures::StreamExt::filter_map(until_shutdown, |()| async { None });
        Ok(Response::new(Box::pin(stream)))
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_reason_wins_and_late_waiters_see_it() {
        let signal = ShutdownSignal::new();
        signal.trigger(StopReason::ShutdownRpc);
        signal.trigger(StopReason::Signal);
        assert_eq!(signal.fired().await, StopReason::ShutdownRpc);
    }

    #[tokio::test]
    async fn stdio_stream_ends_on_shutdown() {
        use futures::StreamExt as _;
        let signal = ShutdownSignal::new();
        let stdio = Stdio {
            shutdown: signal.clone(),
        };
        let mut stream = stdio
            .stream_stdio(Request::new(()))
            .await
            .expect("stream")
            .into_inner();
        let pending =
            tokio::time::timeout(std::time::Duration::from_millis(50), stream.next()).await;
        assert!(pending.is_err(), "stream must stay open before shutdown");
        signal.trigger(StopReason::Signal);
        let ended = tokio::time::timeout(std::time::Duration::from_secs(1), stream.next()).await;
        assert!(matches!(ended, Ok(None)));
    }
}
