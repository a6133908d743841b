//! The `ListResource` trait: how `terraform query` (Terraform 1.14+, protocol 6.10) finds the
//! existing objects of a managed resource type, so users can adopt them in bulk.
//!
//! A list resource has the type name of the managed resource it lists, and that resource must
//! declare an identity: each object found is reported as the resource's own state, from which
//! the framework derives the identity Terraform prints and writes into generated `import`
//! blocks. Its schema is the `config { ... }` block of a `list` block in a `.tfquery.hcl` file
//! (filters such as `orchestrator_id`); `limit` and `include_resource` are Terraform's own
//! arguments and reach the listing as [`ListRequest::limit`] and
//! [`ListRequest::include_resource_object`].
//!
//! Listing is a stream: a list resource pages through its cloud API and pushes each object
//! into a [`ListResults`] as soon as it has it, so Terraform prints results while later pages
//! load, and memory stays flat however many objects exist. [`ListResults::push`] returns `false`
//! once Terraform wants no more (the limit is reached, or Terraform stopped reading); the
//! listing should then return, and the [`Context`] it got is cancelled so in-flight requests
//! stop too.
//!
//! Older Terraform never calls these RPCs and ignores the list schemas in GetProviderSchema.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::context::Context;
use crate::diag::Diagnostics;
use crate::schema::Schema;
use crate::typed::{ConfigView, decode, encode, erased_trait};
use crate::value::{Type, Value};

/// Input of [`ListResource::list`].
#[derive(Debug, Clone)]
pub struct ListRequest<C> {
    /// The `config` block (all attributes null when the block is absent).
    pub config: C,
    /// Terraform wants whole objects (`include_resource = true`, or `-generate-config-out`),
    /// not just identities: push complete states then.
    pub include_resource_object: bool,
    /// At most this many objects are wanted (Terraform's default is 100); `None` is no limit.
    /// Useful to size API pages.
    pub limit: Option<u64>,
}

/// One object found, or the end of the listing, as the server receives it.
#[derive(Debug)]
pub(crate) enum Found {
    Object {
        display_name: String,
        state: Value,
    },
    /// The pushed state does not match the resource's schema (a provider bug).
    Invalid(Diagnostics),
}

/// The type-erased sink the server hands to a list resource.
#[derive(Clone)]
pub struct ListSink {
    tx: mpsc::Sender<Found>,
    ty: Type,
    limit: Option<u64>,
    include_resource_object: bool,
    pushed: Arc<AtomicU64>,
    stop: CancellationToken,
}

impl ListSink {
    pub(crate) fn new(
        tx: mpsc::Sender<Found>,
        ty: Type,
        limit: Option<u64>,
        include_resource_object: bool,
        stop: CancellationToken,
    ) -> Self {
        Self {
            tx,
            ty,
            limit,
            include_resource_object,
            pushed: Arc::new(AtomicU64::new(0)),
            stop,
        }
    }

    fn wants_more(&self) -> bool {
        !self.stop.is_cancelled()
            && self
                .limit
                .is_none_or(|limit| self.pushed.load(Ordering::SeqCst) < limit)
    }

    async fn send(&self, found: Found) -> bool {
        if !self.wants_more() {
            return false;
        }
        let count = self.pushed.fetch_add(1, Ordering::SeqCst) + 1;
        if self.tx.send(found).await.is_err() {
            return false;
        }
        let reached = self.limit.is_some_and(|limit| count >= limit);
        if reached {
            // Nothing more will be read: stop the listing's in-flight work.
            self.stop.cancel();
        }
        !reached && !self.stop.is_cancelled()
    }
}

/// Where a listing reports the objects it finds, typed by the listed resource's `State`.
/// Cheap to clone, so concurrent page fetches can push too.
pub struct ListResults<S> {
    sink: ListSink,
    _state: PhantomData<fn(S)>,
}

impl<S> Clone for ListResults<S> {
    fn clone(&self) -> Self {
        Self {
            sink: self.sink.clone(),
            _state: PhantomData,
        }
    }
}

impl<S: Serialize> ListResults<S> {
    pub(crate) fn new(sink: ListSink) -> Self {
        Self {
            sink,
            _state: PhantomData,
        }
    }

    /// Reports one object: its state (complete when [`ListResults::include_resource_object`],
    /// else at least what its identity needs) and a short name people recognise it by.
    /// Returns `false` once Terraform wants no more results; stop listing then.
    pub async fn push(&self, display_name: impl Into<String>, state: &S) -> bool {
        let found = match encode(state, &self.sink.ty, "listed object") {
            Ok(state) => Found::Object {
                display_name: display_name.into(),
                state,
            },
            Err(diags) => Found::Invalid(diags),
        };
        self.sink.send(found).await
    }

    /// Whether Terraform asked for whole objects.
    pub fn include_resource_object(&self) -> bool {
        self.sink.include_resource_object
    }

    /// How many more objects Terraform wants (`None`: no limit).
    pub fn remaining(&self) -> Option<u64> {
        self.sink
            .limit
            .map(|limit| limit.saturating_sub(self.sink.pushed.load(Ordering::SeqCst)))
    }

    /// True once Terraform wants no more results.
    pub fn is_done(&self) -> bool {
        !self.sink.wants_more()
    }

    /// A channel-backed result set for unit tests of list resources: the receiver gets every
    /// pushed state (as `Value`s of `ty`) with its display name.
    pub fn for_tests(
        ty: Type,
        limit: Option<u64>,
        include_resource_object: bool,
    ) -> (Self, TestReceiver) {
        let (tx, rx) = mpsc::channel(1024);
        let sink = ListSink::new(
            tx,
            ty,
            limit,
            include_resource_object,
            CancellationToken::new(),
        );
        (Self::new(sink), TestReceiver { rx })
    }
}

/// What a unit test of a list resource reads back (see [`ListResults::for_tests`]).
pub struct TestReceiver {
    rx: mpsc::Receiver<Found>,
}

impl TestReceiver {
    /// Every object pushed so far, as (display name, state); a state that did not match the
    /// schema panics with its diagnostics.
    pub fn drain(&mut self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        while let Ok(found) = self.rx.try_recv() {
            match found {
                Found::Object {
                    display_name,
                    state,
                } => out.push((display_name, state)),
                Found::Invalid(d) => panic!("pushed state does not match the schema: {d}"),
            }
        }
        out
    }
}

/// A list resource (the `list` blocks of `terraform query`).
#[async_trait]
pub trait ListResource: Send + Sync + 'static {
    /// The `config` block as serde sees it; field names match the schema's.
    type Config: DeserializeOwned + Send + Sync + 'static;
    /// The state type of the managed resource this lists.
    type State: Serialize + Send + Sync + 'static;

    /// The managed resource type it lists, e.g. `dr_managed_vm`.
    fn type_name(&self) -> &str;

    /// The schema of the `config` block.
    fn schema(&self) -> Schema;

    /// Offline checks beyond the schema's validators; values may be unknown and the provider
    /// is not configured.
    async fn validate(&self, _ctx: &Context, _config: &ConfigView<'_>) -> Diagnostics {
        Diagnostics::new()
    }

    /// Finds the objects `req.config` selects and pushes each into `results`. An error ends
    /// the query with its diagnostics (objects already pushed are still shown); warnings go
    /// through [`Context::warn`].
    async fn list(
        &self,
        ctx: &Context,
        req: ListRequest<Self::Config>,
        results: &ListResults<Self::State>,
    ) -> Result<(), Diagnostics>;
}

erased_trait! {
    /// A list resource with its types erased, as the server stores it. Implemented for every
    /// [`ListResource`]; providers list theirs as `Vec<Arc<dyn DynListResource>>`.
    pub trait DynListResource;

    impl<L: ListResource> DynListResource for L {
        /// `config` must be wholly known.
        async fn erased_list(
            &self,
            ctx: &Context,
            config: &Value,
            sink: ListSink,
        ) -> Result<(), Diagnostics> {
            let req = ListRequest {
                config: decode(config, "list configuration")?,
                include_resource_object: sink.include_resource_object,
                limit: sink.limit,
            };
            let results = ListResults::new(sink);
            ListResource::list(self, ctx, req, &results).await
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Vm {
        id: String,
    }

    fn ty() -> Type {
        Type::object([("id", Type::String)])
    }

    #[tokio::test]
    async fn push_stops_at_the_limit_and_cancels_the_listing() {
        let (results, mut rx) = ListResults::<Vm>::for_tests(ty(), Some(2), false);
        assert_eq!(results.remaining(), Some(2));
        assert!(results.push("a", &Vm { id: "a".into() }).await);
        assert!(
            !results.push("b", &Vm { id: "b".into() }).await,
            "the 2nd is the last"
        );
        assert!(results.is_done());
        assert!(!results.push("c", &Vm { id: "c".into() }).await, "ignored");
        let got: Vec<String> = rx.drain().into_iter().map(|(name, _)| name).collect();
        assert_eq!(got, ["a", "b"]);
        assert!(
            results.sink.stop.is_cancelled(),
            "in-flight work is told to stop"
        );
    }

    #[tokio::test]
    async fn no_limit_and_a_hung_up_reader() {
        let (results, mut rx) = ListResults::<Vm>::for_tests(ty(), None, true);
        assert!(results.include_resource_object());
        assert_eq!(results.remaining(), None);
        for i in 0..5 {
            assert!(
                results
                    .push(format!("vm {i}"), &Vm { id: i.to_string() })
                    .await
            );
        }
        assert_eq!(rx.drain().len(), 5);
        drop(rx);
        assert!(!results.push("late", &Vm { id: "x".into() }).await);
    }

    #[tokio::test]
    async fn a_state_that_does_not_match_is_reported() {
        #[derive(Serialize)]
        struct Wrong {
            id: i64,
            extra: bool,
        }
        let (results, mut rx) = ListResults::<Wrong>::for_tests(ty(), None, false);
        results.push("w", &Wrong { id: 1, extra: true }).await;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rx.drain()));
        assert!(outcome.is_err(), "the mismatch reaches the reader");
    }
}
