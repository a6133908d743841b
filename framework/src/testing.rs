//! What tests of providers built on this crate share (hidden from the docs: not part of the
//! provider API).

use std::sync::Arc;

use async_trait::async_trait;

use crate::action::DynAction;
use crate::context::{Context, ProviderData};
use crate::diag::Diagnostics;
use crate::ephemeral::DynEphemeralResource;
use crate::list::DynListResource;
use crate::provider::{ConfigureRequest, Provider};
use crate::resource::DynResource;
use crate::schema::Schema;

/// A provider that serves the handlers a test gives it: its block is `schema`, and configuring
/// it hands every handler `data`. A test sets the fields it needs over
/// [`FixedProvider::new`]: `FixedProvider { actions: vec![...], ..FixedProvider::new(..) }`.
pub struct FixedProvider {
    pub name: &'static str,
    pub schema: Schema,
    pub data: ProviderData,
    pub resources: Vec<Arc<dyn DynResource>>,
    pub actions: Vec<Arc<dyn DynAction>>,
    pub list_resources: Vec<Arc<dyn DynListResource>>,
    pub ephemeral_resources: Vec<Arc<dyn DynEphemeralResource>>,
}

impl FixedProvider {
    /// No arguments and no handlers.
    pub fn new(name: &'static str, data: ProviderData) -> Self {
        Self {
            name,
            schema: Schema::new(),
            data,
            resources: Vec::new(),
            actions: Vec::new(),
            list_resources: Vec::new(),
            ephemeral_resources: Vec::new(),
        }
    }
}

#[async_trait]
impl Provider for FixedProvider {
    type Config = serde_json::Value;
    fn type_name(&self) -> &str {
        self.name
    }
    fn schema(&self) -> Schema {
        self.schema.clone()
    }
    async fn configure(
        &self,
        _ctx: &Context,
        _req: ConfigureRequest<serde_json::Value>,
    ) -> Result<ProviderData, Diagnostics> {
        Ok(self.data.clone())
    }
    fn resources(&self) -> Vec<Arc<dyn DynResource>> {
        self.resources.clone()
    }
    fn actions(&self) -> Vec<Arc<dyn DynAction>> {
        self.actions.clone()
    }
    fn list_resources(&self) -> Vec<Arc<dyn DynListResource>> {
        self.list_resources.clone()
    }
    fn ephemeral_resources(&self) -> Vec<Arc<dyn DynEphemeralResource>> {
        self.ephemeral_resources.clone()
    }
}
