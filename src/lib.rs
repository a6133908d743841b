//! terraform-provider-dr: DR Automation for IBM Power Virtual Server, as a Terraform provider.
//!
//! Layers (each talks only to its neighbour): [`provider`] (arguments, configuration),
//! [`resources`], [`data_sources`] and [`functions`] (domain decisions, shared checks in
//! [`validate`]) call [`cloud`] (one typed client per IBM service, knows nothing about
//! Terraform); the protocol and planning rules live in the `tf-framework` crate.

pub mod actions;
pub mod cloud;
pub mod data_sources;
pub mod functions;
pub mod provider;
pub mod resources;
pub mod validate;
