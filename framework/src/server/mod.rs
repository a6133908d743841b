//! The tfplugin6 service: one struct that answers every RPC Terraform and OpenTofu send, by
//! dispatching to the provider's registered resources, data sources and functions.
//!
//! Every reply is an OK status with diagnostics: a gRPC error status reads as "Plugin did not
//! respond" or "Plugin error" to users. Handlers run under a panic guard ([`guard`]), so even
//! a provider bug becomes a readable diagnostic. RPCs the framework does not implement (state
//! stores) answer with a "not supported" error diagnostic. Actions (Terraform 1.14+) live in
//! [`actions`], resource identity in [`identity`], list resources (`terraform query`) in
//! [`list`], ephemeral resources in [`ephemeral`] and config generation in [`genconfig`].

mod actions;
mod convert;
mod data_source;
mod ephemeral;
mod function;
mod genconfig;
pub mod guard;
mod identity;
mod list;
mod provider;
mod reply_stream;
mod resource;
mod resource_change;
mod rpc;

#[cfg(test)]
mod action_tests;
#[cfg(test)]
mod bulk_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError, RwLock};

use tokio_util::sync::CancellationToken;

use self::convert::decode_dynamic;
use crate::action::DynAction;
use crate::context::{ClientCapabilities, Context, PrivateState, ProviderData};
use crate::data_source::DynDataSource;
use crate::diag::{AttributePath, Diagnostics};
use crate::ephemeral::DynEphemeralResource;
use crate::function::{Function, Signature};
use crate::identity::IdentitySchema;
use crate::list::DynListResource;
use crate::plan;
use crate::proto::tfplugin6 as pb;
use crate::provider::{ConfigureRequest, Provider};
use crate::resource::{DynResource, Stored};
use crate::schema::Schema;
use crate::timeouts::{self, Operation, TimeoutDefaults};
use crate::typed::{ErasedHandler, decode, erased_trait};
use crate::validators::validate_config;
use crate::value::{Type, Value};

pub use guard::in_guarded_handler;

/// Everything a provider registers, asked for once when the server builds its tables.
struct Registered {
    resources: Vec<Arc<dyn DynResource>>,
    data_sources: Vec<Arc<dyn DynDataSource>>,
    functions: Vec<Arc<dyn Function>>,
    actions: Vec<Arc<dyn DynAction>>,
    list_resources: Vec<Arc<dyn DynListResource>>,
    ephemeral_resources: Vec<Arc<dyn DynEphemeralResource>>,
}

erased_trait! {
    /// The provider with its `Config` type erased.
    trait DynProvider;

    impl<P: Provider> DynProvider for P {
        async fn erased_configure(
            &self,
            ctx: &Context,
            config: &Value,
            unknown_paths: Vec<AttributePath>,
        ) -> Result<ProviderData, Diagnostics> {
            let mut known = config.clone();
            plan::nullify_unknowns(&mut known);
            let config = decode(&known, "provider configuration")?;
            Provider::configure(
                self,
                ctx,
                ConfigureRequest {
                    config,
                    unknown_paths,
                },
            )
            .await
        }
        fn erased_registered(&self) -> Registered {
            Registered {
                resources: Provider::resources(self),
                data_sources: Provider::data_sources(self),
                functions: Provider::functions(self),
                actions: Provider::actions(self),
                list_resources: Provider::list_resources(self),
                ephemeral_resources: Provider::ephemeral_resources(self),
            }
        }
    }
}

struct ResourceEntry {
    handler: Arc<dyn DynResource>,
    schema: Schema,
    ty: Type,
    timeouts: TimeoutDefaults,
    identity: Option<IdentityEntry>,
}

/// A resource's identity schema and the object type of its values.
struct IdentityEntry {
    schema: IdentitySchema,
    ty: Type,
}

/// A registered handler with its schema and the object type of its values.
struct SchemaEntry<H: ?Sized> {
    handler: Arc<H>,
    schema: Schema,
    ty: Type,
}

type DataSourceEntry = SchemaEntry<dyn DynDataSource>;
type ActionEntry = SchemaEntry<dyn DynAction>;
type ListEntry = SchemaEntry<dyn DynListResource>;
type EphemeralEntry = SchemaEntry<dyn DynEphemeralResource>;

struct FunctionEntry {
    handler: Arc<dyn Function>,
    signature: Signature,
}

/// What ConfigureProvider established for later calls.
#[derive(Default)]
struct Configured {
    data: Option<ProviderData>,
    terraform_version: String,
    capabilities: ClientCapabilities,
}

struct Inner {
    provider: Box<dyn DynProvider>,
    provider_schema: Schema,
    provider_ty: Type,
    resources: BTreeMap<String, ResourceEntry>,
    data_sources: BTreeMap<String, DataSourceEntry>,
    functions: BTreeMap<String, FunctionEntry>,
    actions: BTreeMap<String, ActionEntry>,
    list_resources: BTreeMap<String, ListEntry>,
    ephemeral_resources: BTreeMap<String, EphemeralEntry>,
    /// Problems found in the schemas at start-up (provider bugs), reported by GetProviderSchema.
    schema_problems: Diagnostics,
    configured: RwLock<Configured>,
    stop: Mutex<CancellationToken>,
}

/// Builds the schemas and type tables on first use; see [`ProviderServer::warm_up`].
type LazyInner = LazyLock<Inner, Box<dyn FnOnce() -> Inner + Send>>;

/// The tfplugin6 `Provider` service for a [`Provider`]. Pass it to `tf_framework::serve`.
#[derive(Clone)]
pub struct ProviderServer {
    inner: Arc<LazyInner>,
}

impl ProviderServer {
    /// Wraps `provider`. Its schemas are built (and checked) on first use, or by
    /// [`ProviderServer::warm_up`].
    pub fn new(provider: impl Provider) -> Self {
        let provider: Box<dyn DynProvider> = Box::new(provider);
        Self {
            inner: Arc::new(LazyLock::new(Box::new(move || Inner::build(provider)))),
        }
    }

    /// Builds the schemas now, on a thread of its own. Building them takes ~0.3 ms for this
    /// project's provider; started before `serve`, that work overlaps the key generation and
    /// Terraform's connect instead of delaying the handshake line of every provider start.
    pub fn warm_up(&self) {
        let inner = self.inner.clone();
        std::thread::spawn(move || {
            LazyLock::force(&inner);
        });
    }

    /// The provider type name (`dr`).
    pub fn provider_type_name(&self) -> String {
        self.inner.provider.erased_type_name()
    }
}

impl Inner {
    fn build(provider: Box<dyn DynProvider>) -> Self {
        let provider_schema = provider.erased_schema();
        let registered = provider.erased_registered();
        let mut schema_problems = Diagnostics::new();
        note_invalid_schema(&mut schema_problems, "the provider", &provider_schema);
        let mut resources = BTreeMap::new();
        for handler in registered.resources {
            let schema = handler.erased_schema();
            let name = handler.erased_type_name();
            note_invalid_schema(&mut schema_problems, &name, &schema);
            let identity = handler
                .erased_identity_schema()
                .map(|schema| IdentityEntry {
                    ty: schema.object_type(),
                    schema,
                });
            let entry = ResourceEntry {
                ty: schema.object_type(),
                timeouts: handler.erased_timeout_defaults(),
                schema,
                handler,
                identity,
            };
            resources.insert(name, entry);
        }
        for (name, entry) in &resources {
            if let Some(Err(problems)) = entry.identity.as_ref().map(|i| i.schema.check()) {
                schema_problems.error(
                    "Provider bug: invalid identity schema",
                    format!(
                        "The identity schema of {name} is invalid: {}",
                        problems.join("; ")
                    ),
                );
            }
        }
        let data_sources = schema_entries(
            registered.data_sources,
            |name| name.to_owned(),
            &mut schema_problems,
            |_, _| {},
        );
        let actions = schema_entries(
            registered.actions,
            |name| name.to_owned(),
            &mut schema_problems,
            |_, _| {},
        );
        let list_resources = schema_entries(
            registered.list_resources,
            |name| format!("the list resource {name}"),
            &mut schema_problems,
            |name, problems| {
                if resources.get(name).is_none_or(|r| r.identity.is_none()) {
                    // Terraform refuses to list a type without a managed resource of that name
                    // that has an identity: every result is reported as that resource's identity.
                    problems.error(
                        "Provider bug: list resource without an identity",
                        format!(
                            "The list resource {name} needs a managed resource {name} that \
                             declares an identity schema."
                        ),
                    );
                }
            },
        );
        let ephemeral_resources = schema_entries(
            registered.ephemeral_resources,
            |name| format!("the ephemeral resource {name}"),
            &mut schema_problems,
            |_, _| {},
        );
        let functions = registered
            .functions
            .into_iter()
            .map(|handler| {
                let signature = handler.signature();
                (
                    handler.name().to_string(),
                    FunctionEntry { handler, signature },
                )
            })
            .collect();
        Self {
            provider_ty: provider_schema.object_type(),
            provider_schema,
            provider,
            resources,
            data_sources,
            functions,
            actions,
            list_resources,
            ephemeral_resources,
            schema_problems,
            configured: RwLock::new(Configured::default()),
            stop: Mutex::new(CancellationToken::new()),
        }
    }
}

/// Builds the entries of one kind of handler, noting every invalid schema (`what` names the
/// handler in the message) and, right after it, what `check` finds about that handler.
fn schema_entries<H: ?Sized + ErasedHandler>(
    handlers: Vec<Arc<H>>,
    what: impl Fn(&str) -> String,
    problems: &mut Diagnostics,
    mut check: impl FnMut(&str, &mut Diagnostics),
) -> BTreeMap<String, SchemaEntry<H>> {
    let mut entries = BTreeMap::new();
    for handler in handlers {
        let (name, schema) = (handler.type_name(), handler.schema());
        note_invalid_schema(problems, &what(&name), &schema);
        check(&name, problems);
        entries.insert(
            name,
            SchemaEntry {
                ty: schema.object_type(),
                schema,
                handler,
            },
        );
    }
    entries
}

fn note_invalid_schema(problems: &mut Diagnostics, what: &str, schema: &Schema) {
    if let Err(found) = schema.check() {
        problems.error(
            "Provider bug: invalid schema",
            format!("The schema of {what} is invalid: {}", found.join("; ")),
        );
    }
}

impl ProviderServer {
    fn cancel_token(&self) -> CancellationToken {
        self.inner
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Cancels in-flight work and arms a fresh token for later calls.
    fn stop(&self) {
        let mut token = self
            .inner
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        token.cancel();
        *token = CancellationToken::new();
    }

    /// A context for one call; `configured` decides whether provider data is attached.
    fn context(&self, capabilities: Option<ClientCapabilities>) -> Context {
        self.context_cancelled_by(capabilities, self.cancel_token())
    }

    /// A context like [`ProviderServer::context`] but cancelled by `cancel` (a child of the
    /// stop token, for work that can also end for reasons of its own).
    fn context_cancelled_by(
        &self,
        capabilities: Option<ClientCapabilities>,
        cancel: CancellationToken,
    ) -> Context {
        let configured = self
            .inner
            .configured
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        Context::new(
            configured.data.clone(),
            cancel,
            configured.terraform_version.clone(),
            capabilities.unwrap_or(configured.capabilities),
        )
    }

    fn resource(&self, type_name: &str) -> Result<&ResourceEntry, Diagnostics> {
        self.inner.resources.get(type_name).ok_or_else(|| {
            Diagnostics::from_error(
                "Unknown resource type",
                format!(
                    "The provider {} has no resource type {type_name:?}.",
                    self.inner.provider.erased_type_name()
                ),
            )
        })
    }

    /// The Validate…Config RPC of an action, list or ephemeral resource: the configuration
    /// decoded as `what`, checked against the schema, then by the handler's own offline
    /// checks, with the warnings those raise.
    async fn validate_registered<H: ?Sized + ErasedHandler>(
        &self,
        entry: &SchemaEntry<H>,
        config: Option<&pb::DynamicValue>,
        what: &str,
    ) -> Step<Diagnostics> {
        let config = decode_dynamic(config, &entry.ty, what)?;
        let mut diags = validate_config(&entry.schema, &config, true);
        let ctx = self.context(None);
        diags.extend(entry.handler.validate(&ctx, &config).await);
        diags.extend(ctx.take_warnings());
        Ok(diags)
    }

    fn data_source(&self, type_name: &str) -> Result<&DataSourceEntry, Diagnostics> {
        self.registered(&self.inner.data_sources, type_name, "data source")
    }

    /// The handler registered as `type_name` among `entries`, or the error that names the
    /// kind of type the provider lacks.
    fn registered<'a, E>(
        &self,
        entries: &'a BTreeMap<String, E>,
        type_name: &str,
        kind: &str,
    ) -> Result<&'a E, Diagnostics> {
        entries.get(type_name).ok_or_else(|| {
            Diagnostics::from_error(
                format!("Unknown {kind} type"),
                format!(
                    "The provider {} has no {kind} {type_name:?}.",
                    self.inner.provider.erased_type_name()
                ),
            )
        })
    }
}

/// The configured timeout for `op` read from `object`, else the resource's default.
fn timeout_for(entry: &ResourceEntry, object: &Value, op: Operation) -> std::time::Duration {
    timeouts::configured(object, op)
        .ok()
        .flatten()
        .unwrap_or_else(|| entry.timeouts.get(op))
}

/// Collects diagnostics of steps that stop on the first error.
type Step<T> = Result<T, Diagnostics>;

/// `diags` with the warnings the handler raised through `ctx`; an error among them stops the
/// RPC with all of them.
fn with_handler_warnings(mut diags: Diagnostics, ctx: &Context) -> Step<Diagnostics> {
    diags.extend(ctx.take_warnings());
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(diags)
    }
}

/// What [`ProviderServer::upgraded_json`] upgrades, and how its messages name it.
struct StoredJson {
    wrap: fn(serde_json::Value) -> Stored,
    unreadable: &'static str,
    invalid: &'static str,
    upgraded_not_json: &'static str,
}

impl StoredJson {
    const STATE: Self = Self {
        wrap: Stored::State,
        unreadable: "Unreadable resource state",
        invalid: "The stored JSON state is invalid",
        upgraded_not_json: "Provider bug: upgraded state is not JSON",
    };
    const IDENTITY: Self = Self {
        wrap: Stored::Identity,
        unreadable: "Unreadable resource identity",
        invalid: "The stored identity is not JSON",
        upgraded_not_json: "Provider bug: upgraded identity is not JSON",
    };
}

impl ProviderServer {
    /// Stored JSON (a state or an identity) written at `from_version`: as it is when that is
    /// the `current` version, else upgraded by the resource.
    async fn upgraded_json(
        &self,
        entry: &ResourceEntry,
        from_version: i64,
        current: i64,
        raw: Vec<u8>,
        kind: StoredJson,
    ) -> Step<Vec<u8>> {
        if from_version >= current {
            return Ok(raw);
        }
        let stored: serde_json::Value = serde_json::from_slice(&raw).map_err(|e| {
            Diagnostics::from_error(kind.unreadable, format!("{}: {e}", kind.invalid))
        })?;
        let ctx = self.context(None);
        let upgraded = entry
            .handler
            .erased_upgrade(&ctx, from_version, (kind.wrap)(stored))
            .await?;
        serde_json::to_vec(&upgraded)
            .map_err(|e| Diagnostics::from_error(kind.upgraded_not_json, e.to_string()))
    }
}

/// Private bytes from Terraform; unreadable ones are logged and dropped, never fatal.
fn private_state(bytes: &[u8]) -> PrivateState {
    let (private, warning) = PrivateState::from_bytes(bytes);
    if let Some(w) = warning {
        tracing::warn!("{w}");
    }
    private
}

/// Replaces every known planned value in `result` by the planned one, so that a state
/// returned alongside a consistency error never trips core's own check.
fn conform_to_plan(planned: &Value, result: &Value) -> Value {
    match (planned, result) {
        (Value::Unknown(_), r) => {
            let mut r = r.clone();
            plan::nullify_unknowns(&mut r);
            r
        }
        (Value::Object(p), Value::Object(r)) => Value::Object(
            p.iter()
                .map(|(k, pv)| {
                    (
                        k.clone(),
                        conform_to_plan(pv, r.get(k).unwrap_or(&Value::Null)),
                    )
                })
                .collect(),
        ),
        (Value::List(p), Value::List(r)) if p.len() == r.len() => Value::List(
            p.iter()
                .zip(r)
                .map(|(a, b)| conform_to_plan(a, b))
                .collect(),
        ),
        (Value::Map(p), Value::Map(r)) if p.keys().eq(r.keys()) => Value::Map(
            p.iter()
                .map(|(k, pv)| {
                    (
                        k.clone(),
                        conform_to_plan(pv, r.get(k).unwrap_or(&Value::Null)),
                    )
                })
                .collect(),
        ),
        (p, _) => {
            let mut p = p.clone();
            plan::nullify_unknowns(&mut p);
            p
        }
    }
}
