//! What the resources' state upgraders (`upgrade_state`) share: attributes a later schema
//! version added start null, for Read to fill from the cloud, and a stored version without an
//! upgrader is refused in the words Terraform's own framework uses.

use tf_framework::diag::Diagnostics;

/// Adds each attribute in `added` as null unless the stored state has it.
pub fn add_null_attributes(
    object: &mut serde_json::Map<String, serde_json::Value>,
    added: &[&str],
) {
    for name in added {
        object.entry(*name).or_insert(serde_json::Value::Null);
    }
}

/// The diagnostic for stored state at a schema version no upgrader handles.
pub fn no_upgrader(detail: String) -> Diagnostics {
    Diagnostics::from_error("Unable to upgrade resource state", detail)
}
