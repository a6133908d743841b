//! The `DataSource` trait: read-only look-ups over a typed serde `State`.
//!
//! Terraform calls `read` only once the configuration is wholly known (otherwise it defers the
//! read to apply), so `read` receives the configuration as `State` with computed values
//! `None`, and returns it with them filled in. The framework checks the result is known.

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::Context;
use crate::diag::Diagnostics;
use crate::schema::Schema;
use crate::typed::{ConfigView, decode, encode, erased_trait};
use crate::value::{Type, Value};

/// A data source.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    type State: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// The full type name, e.g. `dr_workspaces`.
    fn type_name(&self) -> &str;

    fn schema(&self) -> Schema;

    /// Offline checks beyond the schema's validators (values may be unknown).
    async fn validate(&self, _ctx: &Context, _config: &ConfigView<'_>) -> Diagnostics {
        Diagnostics::new()
    }

    /// Reads the data described by `config` and returns it with computed values set.
    async fn read(&self, ctx: &Context, config: Self::State) -> Result<Self::State, Diagnostics>;
}

erased_trait! {
    /// A data source with its `State` type erased. Implemented for every [`DataSource`].
    pub trait DynDataSource;

    impl<D: DataSource> DynDataSource for D {
        async fn erased_read(
            &self,
            ctx: &Context,
            ty: &Type,
            config: &Value,
        ) -> Result<Value, Diagnostics> {
            let typed = decode(config, "configuration")?;
            let state = DataSource::read(self, ctx, typed).await?;
            encode(&state, ty, "data source result")
        }
    }
}
