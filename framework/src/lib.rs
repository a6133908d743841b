//! A Terraform provider framework over the tfplugin6 protocol.
//!
//! Layout:
//! - [`plugin`]: go-plugin transport: handshake, AutoMTLS, unix socket, health, controller, stdio,
//!   logging, `--debug` reattach.
//! - [`value`]: the cty value model with msgpack and JSON codecs.
//! - [`schema`] (builder), [`validators`], [`timeouts`]: what a resource declares.
//! - [`provider`], [`resource`], [`data_source`], [`function`], [`action`], [`list`],
//!   [`ephemeral`]: the traits provider code implements, over typed serde state; [`context`]
//!   and [`typed`] give them what they need (provider data, cancellation, timeouts, private
//!   state, typed views of plans).
//! - [`identity`] (resource identities) and [`genconfig`] (the configuration
//!   `-generate-config-out` writes): what a resource declares to be adopted in bulk.
//! - [`diag`]: diagnostics with attribute paths.
//! - [`plan`]: the planning rules and the checks of plans and apply results.
//! - [`server`]: the tfplugin6 service dispatching every RPC to the registered handlers.
//!
//! None of it knows about IBM Cloud. Provider code usually needs only [`prelude`].

pub mod action;
pub mod context;
pub mod data_source;
pub mod diag;
pub mod ephemeral;
pub mod function;
pub mod genconfig;
pub mod identity;
pub mod list;
pub mod plan;
pub mod plugin;
pub mod proto;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod server;
pub mod timeouts;
pub mod typed;
pub mod validators;
pub mod value;

pub use plugin::{ServeOptions, serve};

/// What resource, data source and provider code typically imports.
pub mod prelude {
    pub use crate::context::{Context, ProviderData};
    pub use crate::data_source::{DataSource, DynDataSource};
    pub use crate::diag::{AttributePath, Diagnostic, Diagnostics};
    pub use crate::ephemeral::{DynEphemeralResource, EphemeralResource, Opened, Renewed};
    pub use crate::function::{Arguments, Function, FunctionError, Parameter, Signature};
    pub use crate::genconfig::GeneratedConfig;
    pub use crate::identity::{IdentityAttribute, IdentityData, IdentitySchema};
    pub use crate::list::{DynListResource, ListRequest, ListResource, ListResults};
    pub use crate::path;
    pub use crate::provider::{ConfigureRequest, Provider};
    pub use crate::resource::{CreateRequest, DynResource, Resource, UpdateRequest};
    pub use crate::schema::{Attribute, Block, NestedBlock, Schema};
    pub use crate::server::ProviderServer;
    pub use crate::timeouts::{Operation, TimeoutDefaults, Timeouts};
    pub use crate::typed::{ConfigView, PlanView};
    pub use crate::validators;
    pub use crate::value::{Attr, Number, Type};
}
