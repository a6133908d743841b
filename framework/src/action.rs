//! The `Action` trait: an imperative operation Terraform runs on request (Terraform 1.14+,
//! protocol 6.10): `terraform apply -invoke=action.<type>.<name>` or an `action_trigger` in a
//! resource's `lifecycle` block.
//!
//! Unlike a resource an action has no state: Terraform validates its configuration offline
//! (ValidateActionConfig), lets the configured provider check it against the world during
//! plan (PlanAction), and then invokes it (InvokeAction), reading a stream of progress
//! messages that the CLI prints as they come, closed by one completion with diagnostics.
//!
//! Invocations can be long (a DR failover takes minutes), so they must be stoppable: the
//! [`Context`] handed to [`Action::invoke`] is cancelled when Terraform calls StopProvider
//! (Ctrl-C) or stops reading the stream. An action should then undo or settle what it started
//! and still return; Terraform waits for the completion. Progress reported after cancellation
//! is only logged (Terraform 1.14/1.15 crash on progress events after Ctrl-C), so the outcome
//! of the winding down belongs in the returned diagnostics.
//!
//! Older Terraform (before 1.14) never calls these RPCs and ignores the action schemas in
//! GetProviderSchema (an unknown protobuf field), so declaring actions costs them nothing.

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use crate::context::Context;
use crate::diag::Diagnostics;
use crate::plan::nullify_unknowns;
use crate::schema::Schema;
use crate::typed::{ConfigView, decode, erased_trait};
use crate::value::Value;

/// Where an invocation sends its progress messages; each becomes one line in the CLI.
/// Cheap to clone, so helpers can report too.
#[derive(Debug, Clone)]
pub struct Progress {
    tx: mpsc::UnboundedSender<String>,
}

impl Progress {
    /// A progress handle and the receiving end, for the server and for unit tests of actions.
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, rx)
    }

    /// Sends one message. A reader that went away (Terraform hung up) is not an error of the
    /// action: the invocation is cancelled through its context instead.
    pub fn report(&self, message: impl Into<String>) {
        let message = message.into();
        tracing::info!(progress = %message, "action progress");
        let _ = self.tx.send(message);
    }
}

/// An action: validated offline, planned against the configured provider, then invoked.
#[async_trait]
pub trait Action: Send + Sync + 'static {
    /// The action's configuration, as serde sees it; field names match the schema's.
    type Config: DeserializeOwned + Send + Sync + 'static;

    /// The full type name, e.g. `dr_failover`.
    fn type_name(&self) -> &str;

    fn schema(&self) -> Schema;

    /// Offline checks beyond the schema's validators; the provider is not configured and
    /// values may be unknown.
    async fn validate(&self, _ctx: &Context, _config: &ConfigView<'_>) -> Diagnostics {
        Diagnostics::new()
    }

    /// Checks at plan time with the configured provider (values may still be unknown when the
    /// action is triggered by a resource that is not created yet). Errors stop the plan before
    /// anything runs.
    async fn plan(&self, _ctx: &Context, _config: &ConfigView<'_>) -> Diagnostics {
        Diagnostics::new()
    }

    /// Runs the action, reporting progress as it goes. `ctx` is cancelled on Ctrl-C; the
    /// action should then bring things to a consistent state and return an error saying what
    /// that state is (progress is no longer shown at that point).
    async fn invoke(
        &self,
        ctx: &Context,
        config: Self::Config,
        progress: &Progress,
    ) -> Result<(), Diagnostics>;
}

erased_trait! {
    /// An action with its `Config` type erased, as the server stores it. Implemented for every
    /// [`Action`]; providers list theirs as `Vec<Arc<dyn DynAction>>`.
    pub trait DynAction;

    impl<A: Action> DynAction for A {
        async fn erased_plan(&self, ctx: &Context, config: &Value) -> Diagnostics {
            Action::plan(self, ctx, &ConfigView::new(config)).await
        }
        async fn erased_invoke(
            &self,
            ctx: &Context,
            config: &Value,
            progress: &Progress,
        ) -> Result<(), Diagnostics> {
            if !config.is_wholly_known() {
                // Terraform resolves every value before invoking; an unknown here would silently
                // become "not set", so it is refused instead.
                return Err(Diagnostics::from_error(
                    "Action configuration not known",
                    format!(
                        "{} was invoked with values still unknown; Terraform must know every value \
                         of an action's configuration when it runs.",
                        Action::type_name(self)
                    ),
                ));
            }
            let mut known = config.clone();
            nullify_unknowns(&mut known);
            let typed = decode(&known, "action configuration")?;
            Action::invoke(self, ctx, typed, progress).await
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    #[tokio::test]
    async fn progress_survives_a_closed_reader() {
        let (progress, mut rx) = Progress::channel();
        progress.report("one");
        progress.clone().report("two");
        assert_eq!(rx.recv().await.as_deref(), Some("one"));
        assert_eq!(rx.recv().await.as_deref(), Some("two"));
        drop(rx);
        progress.report("nobody listens"); // must not panic or fail
    }
}
