//! Import ids of the form `<first>/<second>`, parsed the same way by every resource that has
//! a composite id, so the error reads the same and names an example.

use tf_framework::diag::Diagnostics;

/// Splits a two-part import id `<first>/<second>`, naming the expected form on error.
pub fn split_import_id(
    id: &str,
    type_name: &str,
    first: &str,
    second: &str,
) -> Result<(String, String), Diagnostics> {
    match id.split_once('/') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains('/') => {
            Ok((a.to_string(), b.to_string()))
        }
        _ => Err(Diagnostics::from_error(
            "Invalid import id",
            format!(
                "{type_name} is imported as <{first}>/<{second}>, got {id:?}. Example: terraform import \
                 {type_name}.<name> <{first}>/<{second}>"
            ),
        )),
    }
}
