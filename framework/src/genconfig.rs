//! Configuration generation (`GenerateResourceConfig`, protocol 6.10, Terraform 1.14+): the
//! value Terraform writes as HCL for an object imported with `-generate-config-out`, from
//! `terraform plan` with an `import` block or from `terraform query`.
//!
//! Without it Terraform guesses from the state: it keeps every optional value, defaults
//! included, so the generated file spells out what no user would write. The framework instead
//! proposes only what a user would write ([`propose`]):
//!
//! - computed-only attributes are left out (the provider sets them);
//! - an optional+computed attribute equal to its schema default is left out (the default
//!   gives it back on plan);
//! - optional sensitive attributes and write-only attributes are left out: the API usually
//!   cannot return the secret, and an empty argument makes `terraform validate` ask for it
//!   instead of storing a wrong value;
//! - deprecated attributes are left out.
//!
//! A resource can adjust the proposal in [`crate::resource::Resource::generate_config`]
//! through a [`GeneratedConfig`] view (drop an optional value the API only echoes back, ...);
//! whatever it sets, computed-only and write-only values stay out, since Terraform would refuse
//! them in configuration.
//!
//! Terraform itself writes every non-computed attribute the schema has, `attr = null` for a
//! null optional one and `null # sensitive` for a sensitive one, whatever the provider returns;
//! the provider can only choose values.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::diag::{AttributePath, Diagnostics};
use crate::schema::{Attribute, Block};
use crate::typed::{attr_at, decode, no_value_at, set_typed_at};
use crate::value::{Attr, Type, Value, value_at_mut};
use crate::walk::null_attributes_where;

/// Why an attribute is never written into generated configuration.
fn never_written(a: &Attribute) -> bool {
    a.write_only || (a.computed && !a.optional && !a.required)
}

/// Whether the framework's proposal leaves out the attribute holding `value`.
fn left_out(a: &Attribute, value: &Value) -> bool {
    never_written(a)
        || a.deprecated
        || (a.sensitive && a.optional)
        || (a.optional && a.computed && a.default.as_ref() == Some(value))
}

/// The configuration a user would write for `state`: see the module documentation.
pub fn propose(block: &Block, state: &Value) -> Value {
    let mut config = state.clone();
    null_attributes_where(block, &mut config, &left_out);
    config
}

/// Nulls what configuration may never hold (computed-only and write-only attributes), after a
/// resource's adjustments.
pub fn strip_unwritable(block: &Block, config: &mut Value) {
    null_attributes_where(block, config, &|a, _| never_written(a));
}

/// What a resource's `generate_config` hook sees and may change: the imported object and the
/// configuration proposed for it.
pub struct GeneratedConfig {
    pub(crate) state: Value,
    pub(crate) config: Value,
    pub(crate) ty: Type,
}

impl GeneratedConfig {
    pub(crate) fn new(state: Value, config: Value, ty: Type) -> Self {
        Self { state, config, ty }
    }

    /// A view for unit tests of `generate_config` hooks: the framework's proposal for `state`.
    pub fn for_tests(block: &Block, state: Value) -> Self {
        let config = propose(block, &state);
        Self::new(state, config, block.object_type())
    }

    /// The imported object as the resource's state type.
    pub fn state<S: DeserializeOwned>(&self) -> Result<S, Diagnostics> {
        decode(&self.state, "imported state")
    }

    /// The value of the imported object at `path`.
    pub fn state_value<T: DeserializeOwned>(
        &self,
        path: &AttributePath,
    ) -> Result<Attr<T>, Diagnostics> {
        attr_at(&self.state, path)
    }

    /// The proposed configuration value at `path`.
    pub fn get<T: DeserializeOwned>(&self, path: &AttributePath) -> Result<Attr<T>, Diagnostics> {
        attr_at(&self.config, path)
    }

    /// Sets the configuration value at `path`.
    pub fn set<T: Serialize>(
        &mut self,
        path: &AttributePath,
        value: &T,
    ) -> Result<(), Diagnostics> {
        set_typed_at(
            &mut self.config,
            &self.ty,
            path,
            value,
            GENERATED,
            "generated value",
        )
    }

    /// Leaves the attribute at `path` out of the generated configuration.
    pub fn set_null(&mut self, path: &AttributePath) -> Result<(), Diagnostics> {
        let slot =
            value_at_mut(&mut self.config, path).ok_or_else(|| no_value_at(GENERATED, path))?;
        *slot = Value::Null;
        Ok(())
    }

    /// The proposed configuration, for what the accessors cannot express.
    pub fn config_raw(&self) -> &Value {
        &self.config
    }
}

/// How errors name the value a [`GeneratedConfig`] changes.
const GENERATED: &str = "generated configuration";

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::path;
    use crate::schema::{NestedBlock, Schema};
    use crate::test_support::{obj, s};
    use crate::value::{Number, value_at};

    fn schema() -> Schema {
        Schema::new()
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::string("name").required())
            .attribute(Attribute::string("tier").optional().default_string("tier1"))
            .attribute(Attribute::string("zone").optional_computed())
            .attribute(Attribute::string("password").optional().sensitive())
            .attribute(Attribute::string("token").required().sensitive())
            .attribute(Attribute::string("password_wo").optional().write_only())
            .attribute(Attribute::string("old").optional().deprecated("use name"))
            .attribute(
                Attribute::single_nested(
                    "disk",
                    vec![
                        Attribute::number("size").required(),
                        Attribute::string("kind").optional().default_string("ssd"),
                        Attribute::string("uuid").computed(),
                    ],
                )
                .optional(),
            )
            .block(NestedBlock::list(
                "rule",
                Block::new()
                    .attribute(Attribute::string("cidr").required())
                    .attribute(
                        Attribute::string("action")
                            .optional()
                            .default_string("allow"),
                    )
                    .attribute(Attribute::string("rule_id").computed()),
            ))
    }

    fn state() -> Value {
        obj(&[
            ("id", s("i-1")),
            ("name", s("alpha")),
            ("tier", s("tier1")),
            ("zone", s("dal10")),
            ("password", s("hunter2")),
            ("token", s("t0k3n")),
            ("password_wo", Value::Null),
            ("old", s("legacy")),
            (
                "disk",
                obj(&[
                    ("size", Value::Number(Number::from_i64(10))),
                    ("kind", s("ssd")),
                    ("uuid", s("u-1")),
                ]),
            ),
            (
                "rule",
                Value::List(vec![
                    obj(&[
                        ("cidr", s("10.0.0.0/8")),
                        ("action", s("allow")),
                        ("rule_id", s("r-1")),
                    ]),
                    obj(&[
                        ("cidr", s("10.1.0.0/16")),
                        ("action", s("deny")),
                        ("rule_id", s("r-2")),
                    ]),
                ]),
            ),
        ])
    }

    #[test]
    fn the_proposal_holds_only_what_a_user_writes() {
        let config = propose(&schema().block, &state());
        let at = |p: &AttributePath| value_at(&config, p).cloned();
        assert_eq!(at(&path!("id")), Some(Value::Null), "computed-only");
        assert_eq!(at(&path!("name")), Some(s("alpha")));
        assert_eq!(
            at(&path!("tier")),
            Some(Value::Null),
            "equal to its default"
        );
        assert_eq!(
            at(&path!("zone")),
            Some(s("dal10")),
            "optional+computed, no default"
        );
        assert_eq!(at(&path!("password")), Some(Value::Null), "optional secret");
        assert_eq!(
            at(&path!("token")),
            Some(s("t0k3n")),
            "a required secret stays (Terraform blanks it in the HCL)"
        );
        assert_eq!(at(&path!("old")), Some(Value::Null), "deprecated");
        assert_eq!(
            at(&path!("disk", "kind")),
            Some(Value::Null),
            "nested default"
        );
        assert_eq!(
            at(&path!("disk", "uuid")),
            Some(Value::Null),
            "nested computed"
        );
        assert_eq!(at(&path!("rule", 0, "action")), Some(Value::Null));
        assert_eq!(
            at(&path!("rule", 1, "action")),
            Some(s("deny")),
            "not the default"
        );
        assert_eq!(at(&path!("rule", 1, "rule_id")), Some(Value::Null));
        assert_eq!(propose(&schema().block, &Value::Null), Value::Null);
    }

    #[test]
    fn the_view_reads_and_adjusts_but_cannot_write_computed_values() {
        let block = schema().block;
        let mut view = GeneratedConfig::for_tests(&block, state());
        assert_eq!(
            view.get::<String>(&path!("zone")),
            Ok(Attr::Known("dal10".into()))
        );
        assert_eq!(
            view.state_value::<String>(&path!("password")),
            Ok(Attr::Known("hunter2".into()))
        );
        view.set_null(&path!("zone")).expect("null");
        view.set(&path!("tier"), &"tier3").expect("set");
        view.set(&path!("id"), &"sneaky")
            .expect("settable in the view");
        assert!(view.set(&path!("nope"), &1).is_err());
        let mut config = view.config;
        strip_unwritable(&block, &mut config);
        assert_eq!(config.attr("zone"), Some(&Value::Null));
        assert_eq!(config.attr("tier"), Some(&s("tier3")));
        assert_eq!(
            config.attr("id"),
            Some(&Value::Null),
            "computed-only is stripped"
        );
    }
}
