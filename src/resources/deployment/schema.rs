//! The schema parts `dr_orchestrator` and `dr_ha_standby` share: both deploy an orchestrator VM
//! through DR Automation's manage_dr, so its storage tier, networks, SSH key and password are
//! the same arguments with the same rules; only what their descriptions say differs.

use tf_framework::schema::{Attribute, ReplaceCheck, Schema};
use tf_framework::value::Type;

use super::{network_ids_validator, password_validator, tier_validator};

/// Replace only when a value that was known before changes: after `terraform import` the
/// secrets are null in state (the API never returns them), and filling them in must not
/// redeploy the orchestrator.
pub fn replace_if_prior_set(check: &ReplaceCheck<'_>) -> bool {
    !check.prior.is_null()
}

/// A computed string that keeps its value from state while the plan does not know it.
pub fn computed_string(name: &str, description: &str) -> Attribute {
    Attribute::string(name)
        .computed()
        .use_state_for_unknown()
        .description(description)
}

/// What one resource's documentation says of the shared orchestrator VM arguments.
pub struct VmArgumentDocs<'a> {
    pub network_ids: &'a str,
    pub ssh_key_name: &'a str,
    pub orchestrator_password: &'a str,
    pub orchestrator_password_wo: &'a str,
    pub orchestrator_password_wo_version: &'a str,
}

/// Adds the orchestrator VM's arguments to a deployment's schema.
pub trait WithVmArguments {
    /// `tier`, `network_ids`, `ssh_key_name` and the orchestrator password (stored, write-only
    /// and its version), in that order.
    fn vm_arguments(self, docs: VmArgumentDocs<'_>) -> Self;
}

impl WithVmArguments for Schema {
    fn vm_arguments(self, docs: VmArgumentDocs<'_>) -> Self {
        self.attribute(
            Attribute::string("tier")
                .optional()
                .default_string("tier1")
                .requires_replace()
                .validator(tier_validator())
                .description(
                    "Storage tier: `tier1` (10 IOPS/GB, the default) or `tier3` (3 IOPS/GB).",
                ),
        )
        .attribute(
            Attribute::list("network_ids", Type::String)
                .optional_computed()
                .requires_replace()
                .use_state_for_unknown()
                .validator(network_ids_validator())
                .description(docs.network_ids),
        )
        .attribute(
            Attribute::string("ssh_key_name")
                .optional()
                .requires_replace()
                .description(docs.ssh_key_name),
        )
        .attribute(
            Attribute::string("orchestrator_password")
                .optional()
                .sensitive()
                .requires_replace_if("the password was known before", replace_if_prior_set)
                .validator(password_validator())
                .description(docs.orchestrator_password),
        )
        .attribute(
            Attribute::string("orchestrator_password_wo")
                .optional()
                .sensitive()
                .write_only()
                .validator(password_validator())
                .description(docs.orchestrator_password_wo),
        )
        .attribute(
            Attribute::number("orchestrator_password_wo_version")
                .optional()
                .requires_replace_if("the version was known before", replace_if_prior_set)
                .description(docs.orchestrator_password_wo_version),
        )
    }
}
