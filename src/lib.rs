//! terraform-provider-dr: DR Automation for IBM Power Virtual Server, as a Terraform provider.
//!
//! Layers, each using only the ones below it: [`provider`] (arguments, configuration, the lists
//! it registers) → [`resources`], [`data_sources`], [`actions`] and [`functions`] (domain
//! decisions; offline checks in [`validate`]) → [`support`] (what they share: the configured
//! clients, cloud-error diagnostics, caches, access to KSYS) → [`cloud`] (one typed client per
//! IBM service, knows nothing about Terraform). The protocol and planning rules live in the
//! `tf-framework` crate.

pub mod actions;
pub mod cloud;
pub mod data_sources;
pub mod functions;
pub mod provider;
pub mod resources;
pub mod support;
pub mod validate;
