//! The per-call context handed to provider, resource, data source and function code.
//!
//! Resource code should not have to know about the protocol, yet it needs a few things the
//! protocol carries: the configured provider's data (clients), a way to notice that Terraform
//! asked the provider to stop (Ctrl-C), the operation's timeout, the private state that travels
//! with the resource, and what the Terraform client can do. [`Context`] bundles them.

use std::any::Any;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use crate::diag::{Diagnostic, Diagnostics};
use crate::timeouts::Operation;
use crate::value::Value;

/// What `Provider::configure` returns and resources receive: usually the API clients.
pub type ProviderData = Arc<dyn Any + Send + Sync>;

/// What the Terraform client announced it supports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientCapabilities {
    /// The client accepts a deferred response (experimental in Terraform).
    pub deferral_allowed: bool,
    /// The client supports write-only attributes (Terraform 1.11+, OpenTofu 1.11+).
    pub write_only_attributes_allowed: bool,
}

/// Opaque per-resource data stored by Terraform beside the state, as a JSON object of keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrivateState {
    entries: BTreeMap<String, serde_json::Value>,
}

impl PrivateState {
    /// Decodes the bytes Terraform sent; empty or foreign bytes give an empty map plus a
    /// warning text, since private data must never block an operation.
    pub fn from_bytes(bytes: &[u8]) -> (Self, Option<String>) {
        if bytes.is_empty() {
            return (Self::default(), None);
        }
        match serde_json::from_slice::<BTreeMap<String, serde_json::Value>>(bytes) {
            Ok(entries) => (Self { entries }, None),
            Err(e) => (
                Self::default(),
                Some(format!("ignoring unreadable private state: {e}")),
            ),
        }
    }

    /// The bytes to hand back to Terraform (empty when there is nothing to keep).
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        serde_json::to_vec(&self.entries).unwrap_or_default()
    }

    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.entries
            .get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    pub fn set<T: Serialize>(&mut self, key: &str, value: &T) -> Result<(), Diagnostics> {
        let json = serde_json::to_value(value).map_err(|e| {
            Diagnostics::from_error("Cannot store private state", format!("key {key:?}: {e}"))
        })?;
        self.entries.insert(key.to_string(), json);
        Ok(())
    }

    pub fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }
}

/// A partially created object a failing `create` wants Terraform to keep (as tainted).
pub(crate) type PartialState = Arc<dyn Fn(&crate::value::Type) -> Option<Value> + Send + Sync>;

/// Everything a handler may need besides its typed request.
pub struct Context {
    provider_data: Option<ProviderData>,
    cancel: CancellationToken,
    terraform_version: String,
    capabilities: ClientCapabilities,
    timeout: Duration,
    operation: Option<Operation>,
    private: Mutex<PrivateState>,
    warnings: Mutex<Diagnostics>,
    partial: Mutex<Option<PartialState>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means another handler panicked (and was reported); the data is
    // still usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Context {
    pub(crate) fn new(
        provider_data: Option<ProviderData>,
        cancel: CancellationToken,
        terraform_version: String,
        capabilities: ClientCapabilities,
    ) -> Self {
        Self {
            provider_data,
            cancel,
            terraform_version,
            capabilities,
            timeout: crate::timeouts::TimeoutDefaults::default().create,
            operation: None,
            private: Mutex::new(PrivateState::default()),
            warnings: Mutex::new(Diagnostics::new()),
            partial: Mutex::new(None),
        }
    }

    /// A detached context for unit tests of resource code.
    pub fn for_tests(provider_data: Option<ProviderData>) -> Self {
        Self::new(
            provider_data,
            CancellationToken::new(),
            "1.15.5".into(),
            ClientCapabilities {
                deferral_allowed: false,
                write_only_attributes_allowed: true,
            },
        )
    }

    pub(crate) fn with_operation(mut self, op: Operation, timeout: Duration) -> Self {
        self.operation = Some(op);
        self.timeout = timeout;
        self
    }

    pub(crate) fn with_private(self, private: PrivateState) -> Self {
        *lock(&self.private) = private;
        self
    }

    /// The configured provider's data, downcast to the provider's type. Fails with a clear
    /// diagnostic when the provider is not configured (e.g. `terraform validate`) or holds
    /// another type (a provider bug).
    pub fn provider_data<T: Any + Send + Sync>(&self) -> Result<Arc<T>, Diagnostics> {
        let Some(data) = self.provider_data.clone() else {
            return Err(Diagnostics::from_error(
                "Provider not configured",
                "This operation needs the configured provider, but ConfigureProvider has not run \
                 (or failed). Check the provider block for errors.",
            ));
        };
        data.downcast::<T>().map_err(|_| {
            Diagnostics::from_error(
                "Unexpected provider data type",
                format!(
                    "Expected {}; this is a bug in the provider, please report it.",
                    std::any::type_name::<T>()
                ),
            )
        })
    }

    /// Whether Terraform asked the provider to stop (StopProvider, on Ctrl-C).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Completes when Terraform asks the provider to stop.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await;
    }

    /// A token to hand to helpers that poll long-running work.
    pub fn cancellation_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// The Terraform CLI version from ConfigureProvider (empty before it).
    pub fn terraform_version(&self) -> &str {
        &self.terraform_version
    }

    pub fn capabilities(&self) -> ClientCapabilities {
        self.capabilities
    }

    /// The timeout of the running operation: the `timeouts` block's value or the resource's
    /// default for it.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs `work` bounded by the operation's timeout and by StopProvider. `what` completes
    /// the messages: "waiting for the orchestrator to become ACTIVE".
    pub async fn run<T>(
        &self,
        what: &str,
        work: impl Future<Output = Result<T, Diagnostics>>,
    ) -> Result<T, Diagnostics> {
        let op = self
            .operation
            .map(Operation::attribute_name)
            .unwrap_or("operation");
        tokio::select! {
            result = work => result,
            () = self.cancel.cancelled() => Err(Diagnostics::from_error(
                "Operation cancelled",
                format!("Terraform asked the provider to stop while {what}."),
            )),
            () = tokio::time::sleep(self.timeout) => Err(Diagnostics::from_error(
                "Timeout",
                format!(
                    "Timed out after {:?} while {what}. Raise `timeouts {{ {op} = ... }}` if the \
                     cloud needs longer.",
                    self.timeout
                ),
            )),
        }
    }

    /// Reads a private-state key stored by an earlier operation on this resource.
    pub fn private_get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        lock(&self.private).get(key)
    }

    /// Stores a private-state key; it travels with the resource's state.
    pub fn private_set<T: Serialize>(&self, key: &str, value: &T) -> Result<(), Diagnostics> {
        lock(&self.private).set(key, value)
    }

    pub fn private_remove(&self, key: &str) {
        lock(&self.private).remove(key);
    }

    pub(crate) fn private_bytes(&self) -> Vec<u8> {
        lock(&self.private).to_bytes()
    }

    /// Adds a warning shown to the user even when the operation succeeds.
    pub fn warn(&self, summary: impl Into<String>, detail: impl Into<String>) {
        lock(&self.warnings).push(Diagnostic::warning(summary, detail));
    }

    pub(crate) fn take_warnings(&self) -> Diagnostics {
        std::mem::take(&mut *lock(&self.warnings))
    }

    /// During `create`: records what exists so far. If `create` then fails, Terraform keeps
    /// this object in state as tainted (so the next apply replaces it instead of leaking it).
    pub fn save_partial_state<S: Serialize + Send + Sync + 'static>(&self, state: &S) {
        let json = serde_json::to_value(state).ok();
        let partial: PartialState = Arc::new(move |ty| {
            let json = json.as_ref()?;
            let bytes = serde_json::to_vec(json).ok()?;
            crate::value::json::decode_object_lenient(&bytes, ty).ok()
        });
        *lock(&self.partial) = Some(partial);
    }

    pub(crate) fn take_partial_state(&self) -> Option<PartialState> {
        lock(&self.partial).take()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    #[test]
    fn private_state_round_trips_and_tolerates_garbage() {
        let mut p = PrivateState::default();
        assert!(p.to_bytes().is_empty());
        p.set("etag", &"abc").expect("set");
        let (back, warning) = PrivateState::from_bytes(&p.to_bytes());
        assert!(warning.is_none());
        assert_eq!(back.get::<String>("etag").as_deref(), Some("abc"));
        let (empty, warning) = PrivateState::from_bytes(b"\x00garbage");
        assert!(warning.is_some());
        assert_eq!(empty, PrivateState::default());
    }

    #[tokio::test]
    async fn provider_data_and_run_limits() {
        let ctx = Context::for_tests(Some(Arc::new(42u32)));
        assert_eq!(ctx.provider_data::<u32>().map(|v| *v), Ok(42));
        assert!(ctx.provider_data::<String>().is_err());
        assert!(Context::for_tests(None).provider_data::<u32>().is_err());

        let ctx =
            Context::for_tests(None).with_operation(Operation::Create, Duration::from_millis(10));
        let slow = ctx.run("waiting", async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(())
        });
        let err = slow.await.expect_err("must time out");
        assert!(err.to_string().contains("timeouts { create"), "{err}");

        let token = CancellationToken::new();
        let ctx = Context::new(
            None,
            token.clone(),
            String::new(),
            ClientCapabilities::default(),
        );
        token.cancel();
        let err = ctx
            .run("polling", std::future::pending::<Result<(), Diagnostics>>())
            .await
            .expect_err("must be cancelled");
        assert!(
            err.to_string().contains("asked the provider to stop"),
            "{err}"
        );
    }
}
