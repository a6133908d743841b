//! The error of resolving the provider's arguments, shared by the settings and their
//! `orchestrator_ssh` block, which each check their own part of the configuration.

use tf_framework::diag::AttributePath;

/// A setting that cannot be used, with the argument (or variable) to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct SettingsError {
    /// The provider argument the problem belongs to.
    pub path: AttributePath,
    pub summary: String,
    pub detail: String,
}
