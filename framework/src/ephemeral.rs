//! The `EphemeralResource` trait (protocol 6.7, Terraform 1.10+): a value that exists only
//! while Terraform runs (a short-lived token, a temporary credential), never stored in plan or
//! state, and typically fed into a provider block or a write-only argument.
//!
//! Terraform opens an ephemeral resource when a walk needs it, may renew it while the walk
//! lasts (at the time [`Opened::renew_at`] asks for), and closes it when nothing needs it any
//! more. Open returns the result object (the configuration with computed values filled in, as
//! for a data source) and optional private data that Terraform hands back, untouched and never
//! persisted, to renew and close: that is where a lease id or the handle to revoke belongs.
//! Terraform does not open an ephemeral resource whose configuration is still unknown.
//!
//! Older Terraform never calls these RPCs and ignores the ephemeral schemas in
//! GetProviderSchema.

use std::time::SystemTime;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::Context;
use crate::diag::Diagnostics;
use crate::schema::Schema;
use crate::typed::{ConfigView, decode, encode, erased_trait};
use crate::value::{Type, Value};

/// What [`EphemeralResource::open`] returns.
#[derive(Debug, Clone)]
pub struct Opened<S, P> {
    /// The result: the configuration with computed values set.
    pub result: S,
    /// Handed back to renew and close.
    pub private: Option<P>,
    /// When Terraform should call renew (if it still needs the value then).
    pub renew_at: Option<SystemTime>,
}

impl<S, P> Opened<S, P> {
    pub fn new(result: S) -> Self {
        Self {
            result,
            private: None,
            renew_at: None,
        }
    }
    #[must_use]
    pub fn private(mut self, private: P) -> Self {
        self.private = Some(private);
        self
    }
    #[must_use]
    pub fn renew_at(mut self, at: SystemTime) -> Self {
        self.renew_at = Some(at);
        self
    }
}

/// What [`EphemeralResource::renew`] returns.
#[derive(Debug, Clone)]
pub struct Renewed<P> {
    /// Replaces the private data handed to the next renew and to close; `None` keeps nothing.
    pub private: Option<P>,
    /// When to renew again; `None` for never.
    pub renew_at: Option<SystemTime>,
}

/// An ephemeral resource.
#[async_trait]
pub trait EphemeralResource: Send + Sync + 'static {
    /// The configuration and result, as serde sees them; field names match the schema's.
    type State: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// The private data handed back to renew and close (`()` when there is none).
    type Private: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// The full type name, e.g. `dr_orchestrator_token`.
    fn type_name(&self) -> &str;

    fn schema(&self) -> Schema;

    /// Offline checks beyond the schema's validators; values may be unknown and the provider
    /// is not configured.
    async fn validate(&self, _ctx: &Context, _config: &ConfigView<'_>) -> Diagnostics {
        Diagnostics::new()
    }

    /// Opens the resource described by `config` (wholly known); the provider is configured.
    async fn open(
        &self,
        ctx: &Context,
        config: Self::State,
    ) -> Result<Opened<Self::State, Self::Private>, Diagnostics>;

    /// Extends the resource's life; called only when open or the last renew asked for it.
    async fn renew(
        &self,
        _ctx: &Context,
        private: Option<Self::Private>,
    ) -> Result<Renewed<Self::Private>, Diagnostics> {
        Ok(Renewed {
            private,
            renew_at: None,
        })
    }

    /// Releases the resource (revoke the token, end the lease).
    async fn close(
        &self,
        _ctx: &Context,
        _private: Option<Self::Private>,
    ) -> Result<(), Diagnostics> {
        Ok(())
    }
}

/// What the erased open returns: the result value, private bytes and renew time.
pub struct ErasedOpened {
    pub result: Value,
    pub private: Vec<u8>,
    pub renew_at: Option<SystemTime>,
}

fn private_bytes<P: Serialize>(private: Option<&P>) -> Result<Vec<u8>, Diagnostics> {
    match private {
        None => Ok(Vec::new()),
        Some(p) => serde_json::to_vec(p).map_err(|e| {
            Diagnostics::from_error(
                "Provider bug: ephemeral private data cannot be encoded",
                e.to_string(),
            )
        }),
    }
}

fn private_value<P: DeserializeOwned>(bytes: &[u8]) -> Result<Option<P>, Diagnostics> {
    if bytes.is_empty() {
        return Ok(None);
    }
    serde_json::from_slice(bytes).map(Some).map_err(|e| {
        Diagnostics::from_error(
            "Unreadable ephemeral private data",
            format!("Terraform handed back private data this provider cannot read: {e}"),
        )
    })
}

erased_trait! {
    /// An ephemeral resource with its types erased, as the server stores it. Implemented for every
    /// [`EphemeralResource`]; providers list theirs as `Vec<Arc<dyn DynEphemeralResource>>`.
    pub trait DynEphemeralResource;

    impl<E: EphemeralResource> DynEphemeralResource for E {
        async fn erased_open(
            &self,
            ctx: &Context,
            ty: &Type,
            config: &Value,
        ) -> Result<ErasedOpened, Diagnostics> {
            let typed = decode(config, "ephemeral resource configuration")?;
            let opened = EphemeralResource::open(self, ctx, typed).await?;
            Ok(ErasedOpened {
                result: encode(&opened.result, ty, "ephemeral resource result")?,
                private: private_bytes(opened.private.as_ref())?,
                renew_at: opened.renew_at,
            })
        }
        async fn erased_renew(
            &self,
            ctx: &Context,
            private: &[u8],
        ) -> Result<(Vec<u8>, Option<SystemTime>), Diagnostics> {
            let renewed = EphemeralResource::renew(self, ctx, private_value(private)?).await?;
            Ok((private_bytes(renewed.private.as_ref())?, renewed.renew_at))
        }
        async fn erased_close(&self, ctx: &Context, private: &[u8]) -> Result<(), Diagnostics> {
            EphemeralResource::close(self, ctx, private_value(private)?).await
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn private_data_round_trips_and_absent_is_none() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Lease {
            id: String,
        }
        let bytes = private_bytes(Some(&Lease { id: "l1".into() })).expect("encode");
        assert_eq!(
            private_value::<Lease>(&bytes).expect("decode"),
            Some(Lease { id: "l1".into() })
        );
        assert!(private_bytes::<Lease>(None).expect("none").is_empty());
        assert_eq!(private_value::<Lease>(&[]).expect("empty"), None);
        let err = private_value::<Lease>(b"\x00junk").expect_err("garbage");
        assert!(err.to_string().contains("cannot read"), "{err}");
    }
}
