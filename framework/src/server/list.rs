//! The list resource RPCs (protocol 6.10, Terraform 1.14+ `terraform query`):
//! ValidateListResourceConfig and the server-streaming ListResource.
//!
//! A listing runs in its own task and pushes what it finds through a bounded channel, so the
//! provider pages through its API while Terraform prints earlier results, and a slow reader
//! slows the listing instead of filling memory. Each object becomes one event carrying the
//! identity derived from its state (see `identity.rs`), its display name and, when Terraform
//! asked for it, the object itself without its secrets (sensitive values: Terraform prints list
//! objects as they are, and generated configuration leaves secrets for the user to supply
//! anyway). Problems end the stream with one event of diagnostics;
//! warnings ride on an event of their own (Terraform skips those that carry no identity).
//!
//! Terraform reads at most `limit` events and then hangs up. The framework stops there too: the
//! results stop accepting objects and the listing's context is cancelled, so in-flight API
//! calls end; whatever the listing says after that (typically "cancelled") is not sent.
//! Terraform hanging up early (Ctrl-C) cancels the listing the same way.

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use super::convert::{self, decode_dynamic, encode_dynamic};
use super::identity::{derive_identity, identity_data};
use super::reply_stream::CancelOnDrop;
use super::{ListEntry, ProviderServer, Step, guard};
use crate::diag::{AttributePath, Diagnostics};
use crate::list::{Found, ListSink};
use crate::plan::{check_read_result, null_secrets, null_write_only};
use crate::proto::tfplugin6 as pb;

type EventResult = Result<pb::list_resource::Event, Status>;

/// Events queued ahead of Terraform's reading; also the depth of the provider's push queue.
const QUEUE: usize = 32;

/// The ListResource reply stream; dropping it (Terraform hung up) cancels the listing.
pub type ListStream = CancelOnDrop<ReceiverStream<EventResult>>;

/// Terraform nests a list resource's schema as the `config` block of the `list` block and
/// places diagnostics from the `list` block down, so attribute paths gain that first step.
fn under_config_block(diags: Diagnostics) -> Diagnostics {
    let mut out = Diagnostics::new();
    for mut d in diags {
        if let Some(path) = d.path.take() {
            let mut nested = AttributePath::root("config");
            for step in path.steps() {
                nested.push(step.clone());
            }
            d.path = Some(nested);
        }
        out.push(d);
    }
    out
}

fn diagnostics_event(diags: Diagnostics) -> pb::list_resource::Event {
    pb::list_resource::Event {
        diagnostic: convert::diagnostics(diags),
        ..Default::default()
    }
}

/// Sends one found object to Terraform; false when the stream has ended (Terraform hung up,
/// or the object was a provider bug reported as the final event).
async fn forward(
    server: &ProviderServer,
    type_name: &str,
    include_resource_object: bool,
    events: &mpsc::Sender<EventResult>,
    cancel: &CancellationToken,
    found: Found,
) -> bool {
    let (event, fatal) = server.list_event(type_name, found, include_resource_object);
    if events.send(Ok(event)).await.is_err() || fatal {
        cancel.cancel();
        return false;
    }
    true
}

impl ProviderServer {
    fn list(&self, type_name: &str) -> Result<&ListEntry, Diagnostics> {
        self.registered(&self.inner.list_resources, type_name, "list resource")
    }

    pub(super) async fn validate_list_resource_config_impl(
        &self,
        req: pb::validate_list_resource_config::Request,
    ) -> Step<Diagnostics> {
        let entry = self.list(&req.type_name)?;
        let diags = self
            .validate_registered(entry, req.config.as_ref(), "list configuration")
            .await?;
        Ok(under_config_block(diags))
    }

    /// One found object as an event, and whether it ends the stream (an error).
    fn list_event(
        &self,
        type_name: &str,
        found: Found,
        include_resource_object: bool,
    ) -> (pb::list_resource::Event, bool) {
        let event = (|| {
            let (display_name, mut state) = match found {
                Found::Object {
                    display_name,
                    state,
                } => (display_name, state),
                Found::Invalid(diags) => return Err(diags),
            };
            let entry = self.resource(type_name)?;
            null_write_only(&entry.schema.block, &mut state);
            let problems = check_read_result(type_name, "list", &state);
            if problems.has_errors() {
                return Err(problems);
            }
            let identity = derive_identity(type_name, entry, &state)?;
            // `terraform query -json` prints objects as they come: secrets stay out (generated
            // configuration leaves them for the user anyway).
            let resource_object = if include_resource_object {
                null_secrets(&entry.schema.block, &mut state);
                Some(encode_dynamic(&state, &entry.ty, "listed object")?)
            } else {
                None
            };
            Ok(pb::list_resource::Event {
                identity: identity_data(entry, identity.as_ref())?,
                display_name,
                resource_object,
                diagnostic: Vec::new(),
            })
        })();
        match event {
            Ok(event) => (event, false),
            Err(diags) => (diagnostics_event(diags), true),
        }
    }

    /// Starts the listing task and returns the stream of its events.
    pub(super) fn list_resource_stream(&self, req: pb::list_resource::Request) -> ListStream {
        let (events_tx, events_rx) = mpsc::channel::<EventResult>(QUEUE);
        let cancel = self.cancel_token().child_token();
        let stream = ListStream {
            events: ReceiverStream::new(events_rx),
            cancel: cancel.clone(),
        };
        let prepared = self.list(&req.type_name).and_then(|entry| {
            let resource = self.resource(&req.type_name)?;
            let config = decode_dynamic(req.config.as_ref(), &entry.ty, "list configuration")?;
            if !config.is_wholly_known() {
                return Err(Diagnostics::from_error(
                    "List configuration not known",
                    format!(
                        "The config block of this {} list holds values that are not known yet; \
                         a query needs them all.",
                        req.type_name
                    ),
                ));
            }
            Ok((entry.handler.clone(), config, resource.ty.clone()))
        });
        let (handler, config, resource_ty) = match prepared {
            Ok(p) => p,
            Err(diags) => {
                // The channel is empty and has room: this cannot block or fail.
                let _ = events_tx.try_send(Ok(diagnostics_event(diags)));
                return stream;
            }
        };
        // Terraform always sends its limit (default 100); other clients may leave it at 0.
        let limit = u64::try_from(req.limit).ok().filter(|l| *l > 0);
        let include = req.include_resource_object;
        let ctx = self.context_cancelled_by(None, cancel.clone());
        let server = self.clone();
        let type_name = req.type_name;
        tokio::spawn(async move {
            let (items_tx, mut items_rx) = mpsc::channel::<Found>(QUEUE);
            let sink = ListSink::new(items_tx, resource_ty, limit, include, cancel.clone());
            let work =
                guard::catch_panics("ListResource", handler.erased_list(&ctx, &config, sink));
            tokio::pin!(work);
            let mut sent: u64 = 0;
            let mut ended = false;
            let outcome = loop {
                tokio::select! {
                    biased;
                    Some(found) = items_rx.recv() => {
                        // Once the stream has ended, later pushes are drained so none blocks.
                        if !ended {
                            ended = !forward(&server, &type_name, include, &events_tx, &cancel, found).await;
                            sent += u64::from(!ended);
                        }
                    }
                    outcome = &mut work => break outcome,
                }
            };
            // Objects pushed just before the listing returned still come before its verdict.
            while !ended && let Ok(found) = items_rx.try_recv() {
                ended = !forward(&server, &type_name, include, &events_tx, &cancel, found).await;
                sent += u64::from(!ended);
            }
            let limit_reached = limit.is_some_and(|l| sent >= l);
            if ended || limit_reached {
                return;
            }
            let mut diags = match outcome {
                Ok(Ok(())) => Diagnostics::new(),
                Ok(Err(d)) | Err(d) => d,
            };
            diags.extend(ctx.take_warnings());
            tracing::debug!(list = %type_name, objects = sent, errors = diags.has_errors(), "listing done");
            if !diags.is_empty() {
                let _ = events_tx
                    .send(Ok(diagnostics_event(under_config_block(diags))))
                    .await;
            }
        });
        stream
    }
}
