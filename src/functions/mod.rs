//! Provider-defined functions: offline, deterministic, usable unconfigured.
//!
//! Layout: [`cidr_overlaps`] (`provider::dr::cidr_overlaps`). [`all`] is the list the provider
//! registers.

pub mod cidr_overlaps;

use std::sync::Arc;

use tf_framework::function::Function;

/// Every function the provider offers.
pub fn all() -> Vec<Arc<dyn Function>> {
    vec![Arc::new(cidr_overlaps::CidrOverlaps)]
}
