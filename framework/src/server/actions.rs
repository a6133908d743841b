//! The action RPCs (protocol 6.10, Terraform 1.14+): ValidateActionConfig, PlanAction and the
//! server-streaming InvokeAction.
//!
//! An invocation runs in its own task so that progress messages reach Terraform while the
//! action works: the task forwards each [`Progress`] message as a `Progress` event and ends
//! the stream with exactly one `Completed` event carrying the diagnostics. The invocation's
//! cancellation token is a child of the provider's stop signal (StopProvider on Ctrl-C) and is
//! also cancelled when Terraform stops reading the stream, so an action can always notice that
//! it should wind down.
//!
//! Once the invocation is cancelled, progress messages are logged but no longer streamed: after
//! Ctrl-C, Terraform 1.14/1.15 stops consuming the event iterator at the first progress event
//! (its stop hook halts the loop) yet keeps feeding it, and the next event crashes Terraform
//! ("range function continued iteration after function for loop body returned false"). The
//! completion alone is safe, so what an action says while winding down belongs in its
//! completion diagnostics.

use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::Status;

use super::convert::{self, decode_dynamic};
use super::reply_stream::CancelOnDrop;
use super::{ActionEntry, ProviderServer, guard};
use crate::action::Progress;
use crate::diag::Diagnostics;
use crate::proto::tfplugin6 as pb;

type EventResult = Result<pb::invoke_action::Event, Status>;

/// The InvokeAction reply stream: events from the invocation task; dropping it (Terraform hung
/// up) cancels the invocation.
pub type InvokeStream = CancelOnDrop<UnboundedReceiverStream<EventResult>>;

fn progress_event(message: String) -> EventResult {
    Ok(pb::invoke_action::Event {
        r#type: Some(pb::invoke_action::event::Type::Progress(
            pb::invoke_action::event::Progress { message },
        )),
    })
}

fn completed_event(diags: Diagnostics) -> EventResult {
    Ok(pb::invoke_action::Event {
        r#type: Some(pb::invoke_action::event::Type::Completed(
            pb::invoke_action::event::Completed {
                diagnostics: convert::diagnostics(diags),
            },
        )),
    })
}

impl ProviderServer {
    fn action(&self, type_name: &str) -> Result<&ActionEntry, Diagnostics> {
        self.registered(&self.inner.actions, type_name, "action")
    }

    pub(super) async fn validate_action_config_impl(
        &self,
        req: pb::validate_action_config::Request,
    ) -> Result<Diagnostics, Diagnostics> {
        let entry = self.action(&req.type_name)?;
        self.validate_registered(entry, req.config.as_ref(), "action configuration")
            .await
    }

    pub(super) async fn plan_action_impl(
        &self,
        req: pb::plan_action::Request,
    ) -> Result<Diagnostics, Diagnostics> {
        let entry = self.action(&req.action_type)?;
        let config = decode_dynamic(req.config.as_ref(), &entry.ty, "action configuration")?;
        let caps = convert::sent_capabilities(req.client_capabilities.as_ref());
        let ctx = self.context(caps);
        let mut diags = entry.handler.erased_plan(&ctx, &config).await;
        diags.extend(ctx.take_warnings());
        Ok(diags)
    }

    /// Starts the invocation task and returns the stream of its events.
    pub(super) fn invoke_action_stream(&self, req: pb::invoke_action::Request) -> InvokeStream {
        let (events_tx, events_rx) = mpsc::unbounded_channel::<EventResult>();
        let cancel = self.cancel_token().child_token();
        let stream = InvokeStream {
            events: UnboundedReceiverStream::new(events_rx),
            cancel: cancel.clone(),
        };
        let prepared = self.action(&req.action_type).and_then(|entry| {
            let config = decode_dynamic(req.config.as_ref(), &entry.ty, "action configuration")?;
            Ok((entry.handler.clone(), config))
        });
        let (handler, config) = match prepared {
            Ok(p) => p,
            Err(diags) => {
                let _ = events_tx.send(completed_event(diags));
                return stream;
            }
        };
        let caps = convert::sent_capabilities(req.client_capabilities.as_ref());
        let ctx = self.context_cancelled_by(caps, cancel);
        let action_type = req.action_type;
        let stopping = ctx.cancellation_token();
        let forward = move |events: &mpsc::UnboundedSender<EventResult>, message: String| {
            if stopping.is_cancelled() {
                tracing::info!(progress = %message, "not streamed: the invocation is stopping");
            } else {
                let _ = events.send(progress_event(message));
            }
        };
        tokio::spawn(async move {
            let (progress, mut progress_rx) = Progress::channel();
            let work = guard::catch_panics("InvokeAction", async {
                let result = handler.erased_invoke(&ctx, &config, &progress).await;
                drop(progress);
                result
            });
            tokio::pin!(work);
            let outcome = loop {
                tokio::select! {
                    biased;
                    Some(message) = progress_rx.recv() => forward(&events_tx, message),
                    outcome = &mut work => break outcome,
                }
            };
            // Messages sent just before the action returned still come before the completion.
            while let Ok(message) = progress_rx.try_recv() {
                forward(&events_tx, message);
            }
            let mut diags = match outcome {
                Ok(Ok(())) => Diagnostics::new(),
                Ok(Err(d)) | Err(d) => d,
            };
            diags.extend(ctx.take_warnings());
            tracing::debug!(action = %action_type, errors = diags.has_errors(), "action completed");
            let _ = events_tx.send(completed_event(diags));
        });
        stream
    }
}
