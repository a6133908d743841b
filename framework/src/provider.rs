//! The `Provider` trait: the provider's own configuration, and the list of what it offers.
//!
//! `configure` turns the provider block into the data every resource needs (API clients) and
//! returns it as [`ProviderData`]; resources get it back with
//! [`Context::provider_data`](crate::context::Context::provider_data). The schema and the
//! lists of resources must not depend on configuration or environment: Terraform asks for
//! them before configuring, and `terraform test` mocks call them unconfigured.

use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use crate::action::DynAction;
use crate::context::{Context, ProviderData};
use crate::data_source::DynDataSource;
use crate::diag::{AttributePath, Diagnostics};
use crate::ephemeral::DynEphemeralResource;
use crate::function::Function;
use crate::list::DynListResource;
use crate::resource::DynResource;
use crate::schema::Schema;
use crate::typed::ConfigView;

/// Input of [`Provider::configure`].
pub struct ConfigureRequest<C> {
    /// The provider block, with values still unknown during plan given as `None`.
    pub config: C,
    /// Paths whose values are unknown (only during plan, e.g. derived from another resource).
    pub unknown_paths: Vec<AttributePath>,
}

/// A Terraform provider.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider block as serde sees it.
    type Config: DeserializeOwned + Send + 'static;

    /// The provider type name: `dr` (resource types start with `dr_`).
    fn type_name(&self) -> &str;

    fn schema(&self) -> Schema;

    /// Offline checks of the provider block beyond the schema's validators.
    async fn validate(&self, _ctx: &Context, _config: &ConfigView<'_>) -> Diagnostics {
        Diagnostics::new()
    }

    /// Builds the data resources use (clients). Errors stop the run before anything changes.
    async fn configure(
        &self,
        ctx: &Context,
        req: ConfigureRequest<Self::Config>,
    ) -> Result<ProviderData, Diagnostics>;

    fn resources(&self) -> Vec<Arc<dyn DynResource>>;

    fn data_sources(&self) -> Vec<Arc<dyn DynDataSource>> {
        Vec::new()
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }

    /// Actions (Terraform 1.14+); older Terraform ignores them.
    fn actions(&self) -> Vec<Arc<dyn DynAction>> {
        Vec::new()
    }

    /// List resources for `terraform query` (Terraform 1.14+); each lists a resource of
    /// [`Provider::resources`] that declares an identity. Older Terraform ignores them.
    fn list_resources(&self) -> Vec<Arc<dyn DynListResource>> {
        Vec::new()
    }

    /// Ephemeral resources (Terraform 1.10+); older Terraform ignores them.
    fn ephemeral_resources(&self) -> Vec<Arc<dyn DynEphemeralResource>> {
        Vec::new()
    }
}
