//! The `Resource` trait: what a managed resource implements, over its own serde `State` type.
//!
//! The framework does the protocol work around these methods: it decodes values with the
//! schema's type, runs schema validators, applies the planning rules ([`crate::plan`]),
//! converts between `Value` and `State`, nulls write-only attributes and checks every result
//! against the plan before Terraform sees it. A resource only makes domain decisions and calls
//! its cloud API.
//!
//! State fields that the user may omit, or that are computed, should be `Option<T>`: during
//! `create` and `update` the framework hands over the planned state with every "known after
//! apply" value as `None`, and expects the returned state to fill them in.
//!
//! A resource may also declare an identity ([`Resource::identity_schema`] and
//! [`Resource::identity`], see [`crate::identity`]), be imported by it
//! ([`Resource::import_by_identity`]), and shape the configuration `-generate-config-out`
//! writes for it ([`Resource::generate_config`], see [`crate::genconfig`]). All of these have
//! defaults, so a resource without them answers exactly as before.

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::Context;
use crate::diag::Diagnostics;
use crate::genconfig::GeneratedConfig;
use crate::identity::{IdentityBinding, IdentityData, IdentitySchema};
use crate::plan::nullify_unknowns;
use crate::schema::Schema;
use crate::timeouts::TimeoutDefaults;
use crate::typed::{ConfigView, PlanView, decode, encode, erased_trait};
use crate::value::{Type, Value};

/// Input of [`Resource::create`].
#[derive(Debug, Clone)]
pub struct CreateRequest<S> {
    /// The plan, with values known only after apply set to `None`/null.
    pub planned: S,
    /// The configuration: the only place write-only values appear.
    pub config: S,
}

/// Input of [`Resource::update`].
#[derive(Debug, Clone)]
pub struct UpdateRequest<S> {
    pub prior: S,
    /// The plan, with values known only after apply set to `None`/null.
    pub planned: S,
    /// The configuration: the only place write-only values appear.
    pub config: S,
}

/// Input of [`Resource::move_state`]: a `moved` block from another resource type.
#[derive(Debug, Clone)]
pub struct MoveStateRequest {
    pub source_provider_address: String,
    pub source_type_name: String,
    pub source_schema_version: i64,
    /// The source state as stored JSON.
    pub source_state: serde_json::Value,
    /// The source's identity as stored JSON (Terraform 1.12+, when the source had one).
    pub source_identity: Option<serde_json::Value>,
    pub source_identity_schema_version: i64,
}

fn unsupported(type_name: &str, what: &str) -> Diagnostics {
    Diagnostics::from_error(
        format!("{what} not supported"),
        format!("The resource type {type_name} does not support {what}."),
    )
}

/// A managed resource.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The resource's state, as serde sees it; field names match schema attribute names.
    type State: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// The full type name, e.g. `dr_orchestrator`.
    fn type_name(&self) -> &str;

    fn schema(&self) -> Schema;

    /// Defaults for the `timeouts` block (see [`crate::timeouts`]).
    fn timeout_defaults(&self) -> TimeoutDefaults {
        TimeoutDefaults::default()
    }

    /// Offline checks beyond the schema's validators. The configuration may hold unknowns;
    /// the provider is not configured.
    async fn validate(&self, _ctx: &Context, _config: &ConfigView<'_>) -> Diagnostics {
        Diagnostics::new()
    }

    /// Runs after the framework's planning rules, on create, update and destroy. Checks that
    /// need the cloud belong here (the provider is configured, values may still be unknown).
    async fn modify_plan(&self, _ctx: &Context, _plan: &mut PlanView) -> Result<(), Diagnostics> {
        Ok(())
    }

    async fn create(
        &self,
        ctx: &Context,
        req: CreateRequest<Self::State>,
    ) -> Result<Self::State, Diagnostics>;

    /// Refreshes the state; `Ok(None)` when the object no longer exists.
    async fn read(
        &self,
        ctx: &Context,
        state: Self::State,
    ) -> Result<Option<Self::State>, Diagnostics>;

    async fn update(
        &self,
        _ctx: &Context,
        _req: UpdateRequest<Self::State>,
    ) -> Result<Self::State, Diagnostics> {
        Err(unsupported(self.type_name(), "in-place update"))
    }

    async fn delete(&self, ctx: &Context, state: Self::State) -> Result<(), Diagnostics>;

    /// `terraform import` / `import` blocks: the state for `id`. Terraform calls `read` on it
    /// next, so returning the object as the cloud has it is simplest.
    async fn import(&self, _ctx: &Context, _id: &str) -> Result<Self::State, Diagnostics> {
        Err(unsupported(self.type_name(), "import"))
    }

    /// Brings stored JSON at `from_version` (older than the schema's version) up to the next
    /// version or straight to the current one; return the JSON at the current version.
    async fn upgrade_state(
        &self,
        _ctx: &Context,
        from_version: i64,
        _state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Err(Diagnostics::from_error(
            "Unable to upgrade resource state",
            format!(
                "{} has no state upgrader from schema version {from_version}.",
                self.type_name()
            ),
        ))
    }

    /// Whether [`Resource::move_state`] is implemented (announced to Terraform).
    fn supports_move_state(&self) -> bool {
        false
    }

    async fn move_state(
        &self,
        _ctx: &Context,
        _req: MoveStateRequest,
    ) -> Result<Self::State, Diagnostics> {
        Err(unsupported(
            self.type_name(),
            "moved blocks from other resource types",
        ))
    }

    /// The resource's identity schema (Terraform 1.12+), or `None` for no identity. A resource
    /// with an identity must implement [`Resource::identity`]; one that `terraform query` can
    /// list must have one.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        self.identity_binding().map(|binding| (binding.schema)())
    }

    /// The identity as another spelling of the import id; the three identity methods around
    /// this one default to it.
    fn identity_binding(&self) -> Option<IdentityBinding<Self::State>> {
        None
    }

    /// The identity of the object `state` describes: called on every state the framework
    /// returns to Terraform (read, apply, import, move, list results). Build it with
    /// [`IdentityData::new`] from a serde type whose fields are the identity's attributes.
    fn identity(&self, state: &Self::State) -> Result<IdentityData, Diagnostics> {
        if let Some(binding) = self.identity_binding() {
            return (binding.of)(state);
        }
        Err(Diagnostics::from_error(
            "Provider bug: identity not implemented",
            format!(
                "{} declares an identity schema but does not derive identities from its state.",
                self.type_name()
            ),
        ))
    }

    /// `import { identity = { ... } }` (Terraform 1.12+): the state for the object `identity`
    /// names. Attributes optional for import may be null. Terraform calls `read` next.
    async fn import_by_identity(
        &self,
        ctx: &Context,
        identity: IdentityData,
    ) -> Result<Self::State, Diagnostics> {
        match self.identity_binding() {
            Some(binding) => {
                let id = (binding.import_id)(&identity)?;
                self.import(ctx, &id).await
            }
            None => Err(unsupported(self.type_name(), "import by identity")),
        }
    }

    /// Brings a stored identity (JSON) at `from_version`, older than the identity schema's
    /// version, to the current version.
    async fn upgrade_identity(
        &self,
        _ctx: &Context,
        from_version: i64,
        _identity: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Err(Diagnostics::from_error(
            "Unable to upgrade resource identity",
            format!(
                "{} has no identity upgrader from identity schema version {from_version}.",
                self.type_name()
            ),
        ))
    }

    /// Adjusts the configuration `-generate-config-out` writes for an imported object; the
    /// view starts as the framework's proposal (see [`crate::genconfig`]).
    async fn generate_config(
        &self,
        _ctx: &Context,
        _config: &mut GeneratedConfig,
    ) -> Result<(), Diagnostics> {
        Ok(())
    }
}

/// What [`DynResource::erased_import`] imports by: Terraform sends an id or an identity.
#[derive(Debug)]
pub enum ImportBy {
    Id(String),
    Identity(IdentityData),
}

/// A stored JSON document for [`DynResource::erased_upgrade`] to bring to the current
/// version: the resource's state or its identity, each with its own schema version.
#[derive(Debug)]
pub enum Stored {
    State(serde_json::Value),
    Identity(serde_json::Value),
}

fn without_unknowns(value: &Value) -> Value {
    let mut v = value.clone();
    nullify_unknowns(&mut v);
    v
}

erased_trait! {
    /// A resource with its `State` type erased, as the server stores it. Implemented for every
    /// [`Resource`]; providers list theirs as `Vec<Arc<dyn DynResource>>`.
    pub trait DynResource;

    impl<R: Resource> DynResource for R {
        fn erased_timeout_defaults(&self) -> TimeoutDefaults {
            Resource::timeout_defaults(self)
        }
        fn erased_supports_move_state(&self) -> bool {
            Resource::supports_move_state(self)
        }

        async fn erased_modify_plan(
            &self,
            ctx: &Context,
            plan: &mut PlanView,
        ) -> Result<(), Diagnostics> {
            Resource::modify_plan(self, ctx, plan).await
        }

        async fn erased_create(
            &self,
            ctx: &Context,
            ty: &Type,
            planned: &Value,
            config: &Value,
        ) -> Result<Value, Diagnostics> {
            let req = CreateRequest {
                planned: decode(&without_unknowns(planned), "planned state")?,
                config: decode(&without_unknowns(config), "configuration")?,
            };
            let state = Resource::create(self, ctx, req).await?;
            encode(&state, ty, "new state")
        }

        async fn erased_read(
            &self,
            ctx: &Context,
            ty: &Type,
            state: &Value,
        ) -> Result<Option<Value>, Diagnostics> {
            let current = decode(state, "current state")?;
            match Resource::read(self, ctx, current).await? {
                Some(s) => encode(&s, ty, "refreshed state").map(Some),
                None => Ok(None),
            }
        }

        async fn erased_update(
            &self,
            ctx: &Context,
            ty: &Type,
            prior: &Value,
            planned: &Value,
            config: &Value,
        ) -> Result<Value, Diagnostics> {
            let req = UpdateRequest {
                prior: decode(prior, "prior state")?,
                planned: decode(&without_unknowns(planned), "planned state")?,
                config: decode(&without_unknowns(config), "configuration")?,
            };
            let state = Resource::update(self, ctx, req).await?;
            encode(&state, ty, "new state")
        }

        async fn erased_delete(&self, ctx: &Context, state: &Value) -> Result<(), Diagnostics> {
            let prior = decode(state, "prior state")?;
            Resource::delete(self, ctx, prior).await
        }

        async fn erased_import(
            &self,
            ctx: &Context,
            ty: &Type,
            by: ImportBy,
        ) -> Result<Value, Diagnostics> {
            let state = match by {
                ImportBy::Id(id) => Resource::import(self, ctx, &id).await?,
                ImportBy::Identity(identity) => {
                    Resource::import_by_identity(self, ctx, identity).await?
                }
            };
            encode(&state, ty, "imported state")
        }

        async fn erased_upgrade(
            &self,
            ctx: &Context,
            from_version: i64,
            stored: Stored,
        ) -> Result<serde_json::Value, Diagnostics> {
            match stored {
                Stored::State(state) => {
                    Resource::upgrade_state(self, ctx, from_version, state).await
                }
                Stored::Identity(identity) => {
                    Resource::upgrade_identity(self, ctx, from_version, identity).await
                }
            }
        }

        async fn erased_move_state(
            &self,
            ctx: &Context,
            ty: &Type,
            req: MoveStateRequest,
        ) -> Result<Value, Diagnostics> {
            let state = Resource::move_state(self, ctx, req).await?;
            encode(&state, ty, "moved state")
        }

        fn erased_identity_schema(&self) -> Option<IdentitySchema> {
            Resource::identity_schema(self)
        }

        /// The identity of a wholly known state value.
        fn erased_identity(&self, state: &Value) -> Result<IdentityData, Diagnostics> {
            let typed = decode(state, "state")?;
            Resource::identity(self, &typed)
        }

        async fn erased_generate_config(
            &self,
            ctx: &Context,
            config: &mut GeneratedConfig,
        ) -> Result<(), Diagnostics> {
            Resource::generate_config(self, ctx, config).await
        }
    }
}
