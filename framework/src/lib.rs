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
//! - [`plan`]: the planning rules and the checks of plans and apply results; `walk` is the
//!   one descent through a schema and its values that planning and config validation share.
//! - [`server`]: the tfplugin6 service dispatching every RPC to the registered handlers.
//!
//! None of it knows about IBM Cloud.

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
#[cfg(test)]
mod test_support;
#[doc(hidden)]
pub mod testing;
pub mod timeouts;
pub mod typed;
pub mod validators;
pub mod value;
mod walk;

pub use plugin::{ServeOptions, serve};
