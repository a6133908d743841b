//! What the resources share for adopting existing objects in bulk: resource identities
//! (Terraform 1.12+), list resources for `terraform query` and generated configuration
//! (Terraform 1.14+).
//!
//! Each resource keeps its own identity, listing and configuration rules beside its CRUD code
//! (`<resource>/adopt.rs`, `<resource>/list.rs`); this module holds the few rules that must read
//! the same everywhere: identities made of ids ([`KeyIdentity`]), how a missing identity
//! attribute and an empty filter are reported. The
//! steps of a listing itself are shared with [`crate::support::listing`].

use std::collections::BTreeMap;

use tf_framework::diag::Diagnostics;
use tf_framework::identity::{IdentityAttribute, IdentityBinding, IdentityData, IdentitySchema};
use tf_framework::path;
use tf_framework::typed::ConfigView;
use tf_framework::value::Attr;

/// The value of an identity attribute an `import` block must give. Terraform checks the
/// identity schema first, so a missing value only comes from an explicit `null`.
pub fn identity_attribute(
    value: Option<String>,
    type_name: &str,
    name: &str,
) -> Result<String, Diagnostics> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(Diagnostics::from_error(
            "Incomplete identity",
            format!(
                "Importing a {type_name} by identity needs {name} in `identity = {{ ... }}`; it is \
                 null or empty."
            ),
        )),
    }
}

/// An identity of string attributes, all required for import, whose import id is their values
/// joined by `/` in order: `<orchestrator_id>/<pvm_instance_id>` for a managed VM, the
/// orchestrator id alone for a standby. One object, one identity, one import id.
pub struct KeyIdentity {
    pub type_name: &'static str,
    /// Each attribute's name and description.
    pub parts: &'static [(&'static str, &'static str)],
}

impl KeyIdentity {
    pub fn schema(&self) -> IdentitySchema {
        self.parts
            .iter()
            .fold(IdentitySchema::new(), |schema, (name, description)| {
                schema.attribute(
                    IdentityAttribute::string(*name)
                        .required_for_import()
                        .description(*description),
                )
            })
    }

    /// The identity whose attributes have `values`, in the order of [`Self::parts`].
    pub fn of(&self, values: &[Option<&str>]) -> Result<IdentityData, Diagnostics> {
        let attributes: serde_json::Map<String, serde_json::Value> = self
            .parts
            .iter()
            .zip(values)
            .map(|((name, _), value)| ((*name).to_string(), (*value).into()))
            .collect();
        IdentityData::new(&attributes)
    }

    /// The import id an `import { identity = { ... } }` names; a null or empty attribute is
    /// refused by name ([`identity_attribute`]).
    pub fn import_id(&self, identity: &IdentityData) -> Result<String, Diagnostics> {
        let mut wanted: BTreeMap<String, Option<String>> = identity.get()?;
        let values = self
            .parts
            .iter()
            .map(|(name, _)| {
                identity_attribute(wanted.remove(*name).flatten(), self.type_name, name)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(values.join("/"))
    }
}

/// A state whose identity is a [`KeyIdentity`]: the resource says which identity and which of
/// its values fill it, and [`key_binding`] writes the import-by-identity glue once for all.
pub trait KeyedState: Sized + 'static {
    const IDENTITY: KeyIdentity;

    /// The identity's values, in the order of [`KeyIdentity::parts`].
    fn key(&self) -> Vec<Option<&str>>;
}

/// Import by identity goes through `import` with the id the identity names.
pub const fn key_binding<S: KeyedState>() -> IdentityBinding<S> {
    IdentityBinding {
        schema: || S::IDENTITY.schema(),
        of: |state| S::IDENTITY.of(&state.key()),
        import_id: |identity| S::IDENTITY.import_id(identity),
    }
}

/// The diagnostic for an import (by id or identity) whose object does not exist, in
/// Terraform's own words; `detail` says what was looked for and where.
pub fn nothing_to_import(detail: String) -> Diagnostics {
    Diagnostics::from_error("Cannot import non-existent remote object", detail)
}

/// Offline checks of optional string filters of a list's `config` block: an empty string
/// would match nothing (or everything, depending on the API), so it is refused with the
/// way to say "no filter".
pub fn check_filters(config: &ConfigView<'_>, names: &[&str]) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for name in names {
        if let Ok(Attr::Known(value)) = config.get::<String>(&path!(*name))
            && value.trim().is_empty()
        {
            diags.error_at(
                path!(*name),
                format!("Empty {name}"),
                format!("{name} is {value:?}; leave it out to list without this filter."),
            );
        }
    }
    diags
}

/// Offline check of a list's required id argument (`orchestrator_id`, `security_group_id`).
pub fn check_required_id(config: &ConfigView<'_>, name: &str) -> Diagnostics {
    match config.get::<String>(&path!(name)) {
        Ok(Attr::Known(value)) if value.trim().is_empty() => Diagnostics::from_error_at(
            path!(name),
            format!("Empty {name}"),
            format!("{name} is {value:?}; give the id whose objects are listed."),
        ),
        _ => Diagnostics::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use tf_framework::value::Value;

    fn config(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn a_missing_identity_attribute_names_itself() {
        assert_eq!(
            identity_attribute(Some("abc".into()), "dr_x", "id").unwrap(),
            "abc"
        );
        let err = identity_attribute(None, "dr_managed_vm", "pvm_instance_id").unwrap_err();
        assert!(
            err.to_string().contains("dr_managed_vm")
                && err.to_string().contains("pvm_instance_id"),
            "{err}"
        );
        assert!(identity_attribute(Some(" ".into()), "dr_x", "id").is_err());
    }

    #[test]
    fn empty_filters_and_ids_are_refused_at_their_path() {
        let value = config(&[
            ("name", Value::String(String::new())),
            ("resource_group_id", Value::Null),
            ("orchestrator_id", Value::String(" ".into())),
        ]);
        let view = ConfigView::new(&value);
        let diags = check_filters(&view, &["name", "resource_group_id"]);
        assert_eq!(diags.len(), 1, "{diags}");
        let d = diags.iter().next().unwrap();
        assert_eq!(
            d.path.as_ref().map(ToString::to_string).as_deref(),
            Some("name")
        );
        assert!(d.detail.contains("leave it out"), "{}", d.detail);
        let diags = check_required_id(&view, "orchestrator_id");
        assert!(diags.has_errors(), "{diags}");
        let unknown = config(&[("orchestrator_id", Value::unknown())]);
        assert!(check_required_id(&ConfigView::new(&unknown), "orchestrator_id").is_empty());
    }
}
