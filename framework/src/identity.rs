//! Resource identity (protocol 6.9, Terraform 1.12+): the few values that name one remote
//! object, stored by Terraform beside the state.
//!
//! An identity lets users import by what an object *is* (`import { identity = { ... } }`)
//! instead of a provider-specific id string, and it is what `terraform query` reports for each
//! object a list resource finds. A resource declares its identity schema once
//! ([`IdentitySchema`]) and derives the identity from its own state
//! ([`crate::resource::Resource::identity`]); the framework then sends it with every state it
//! returns (read, plan, apply, import, move) and refuses an identity that changes for the same
//! object, which would make Terraform track a different object under the same address.
//!
//! Terraform allows only primitive and list attributes in an identity (no maps, sets or
//! objects: `internal/schemarepo/loadschemas/plugins.go`), and each attribute is either
//! required or optional when a user imports by identity. [`IdentitySchema::check`] enforces
//! both, so a bad declaration fails at start-up as a provider bug instead of in Terraform.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::diag::Diagnostics;
use crate::plan::display_value;
use crate::value::{Type, Value};

/// An identity that names the same object as the resource's import id: how to declare it,
/// derive it from a state, and turn it back into the import id. A resource that returns one
/// from [`crate::resource::Resource::identity_binding`] gets `identity_schema`, `identity` and
/// `import_by_identity` (which calls its `import`) without writing them.
pub struct IdentityBinding<S> {
    pub schema: fn() -> IdentitySchema,
    pub of: fn(&S) -> Result<IdentityData, Diagnostics>,
    pub import_id: fn(&IdentityData) -> Result<String, Diagnostics>,
}

/// One attribute of an identity.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    /// The user must give it in `import { identity = { ... } }`.
    pub required_for_import: bool,
    /// The user may give it; the import fills it in otherwise.
    pub optional_for_import: bool,
    /// Markdown.
    pub description: String,
}

impl IdentityAttribute {
    /// An attribute of `ty`: a primitive, or a list of primitives.
    pub fn typed(name: impl Into<String>, ty: Type) -> Self {
        Self {
            name: name.into(),
            ty,
            required_for_import: false,
            optional_for_import: false,
            description: String::new(),
        }
    }
    pub fn string(name: impl Into<String>) -> Self {
        Self::typed(name, Type::String)
    }
    pub fn number(name: impl Into<String>) -> Self {
        Self::typed(name, Type::Number)
    }
    pub fn bool(name: impl Into<String>) -> Self {
        Self::typed(name, Type::Bool)
    }
    pub fn list(name: impl Into<String>, element: Type) -> Self {
        Self::typed(name, Type::List(Box::new(element)))
    }
    #[must_use]
    pub fn required_for_import(mut self) -> Self {
        self.required_for_import = true;
        self
    }
    #[must_use]
    pub fn optional_for_import(mut self) -> Self {
        self.optional_for_import = true;
        self
    }
    #[must_use]
    pub fn description(mut self, markdown: impl Into<String>) -> Self {
        self.description = markdown.into();
        self
    }
}

/// A versioned identity schema. Bump the version when the attributes change, and upgrade
/// stored identities in [`crate::resource::Resource::upgrade_identity`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    pub fn new() -> Self {
        Self::default()
    }
    #[must_use]
    pub fn version(mut self, version: i64) -> Self {
        self.version = version;
        self
    }
    #[must_use]
    pub fn attribute(mut self, attribute: IdentityAttribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// The object type of identity values.
    pub fn object_type(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .collect(),
        )
    }

    /// Names of the attributes a user must give when importing by identity.
    pub fn required_names(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .iter()
            .filter(|a| a.required_for_import)
            .map(|a| a.name.as_str())
    }

    /// The rules Terraform applies to identity schemas; returns every problem found.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.version < 0 {
            problems.push(format!("negative identity schema version {}", self.version));
        }
        if self.attributes.is_empty() {
            problems.push("an identity needs at least one attribute".to_string());
        }
        let mut seen = std::collections::BTreeSet::new();
        for a in &self.attributes {
            let name = &a.name;
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                problems.push(format!(
                    "identity attribute {name:?}: name must match [a-z0-9_]+"
                ));
            }
            if !seen.insert(name.clone()) {
                problems.push(format!("identity attribute {name}: duplicate name"));
            }
            if a.required_for_import == a.optional_for_import {
                problems.push(format!(
                    "identity attribute {name}: must be exactly one of required_for_import and \
                     optional_for_import"
                ));
            }
            let allowed = match &a.ty {
                Type::String | Type::Number | Type::Bool => true,
                Type::List(element) => element.is_primitive(),
                _ => false,
            };
            if !allowed {
                problems.push(format!(
                    "identity attribute {name}: type {} is not allowed; identities hold only \
                     strings, numbers, bools and lists of them",
                    a.ty.to_json_string()
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// An identity value as resource code builds and reads it: any serde type whose fields are
/// the identity's attributes (`Option` for those that may be null, e.g. optional ones in an
/// import request).
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityData(serde_json::Value);

impl IdentityData {
    /// The identity held by `identity`, e.g. `ManagedVmIdentity { orchestrator_id, pvm_instance_id }`.
    pub fn new<T: Serialize>(identity: &T) -> Result<Self, Diagnostics> {
        serde_json::to_value(identity).map(Self).map_err(|e| {
            Diagnostics::from_error(
                "Provider bug: identity cannot be built",
                format!("The resource identity is not serializable: {e}"),
            )
        })
    }

    /// The identity as the resource's own type.
    pub fn get<T: DeserializeOwned>(&self) -> Result<T, Diagnostics> {
        serde_json::from_value(self.0.clone()).map_err(|e| {
            Diagnostics::from_error(
                "Provider bug: identity does not match the resource's identity type",
                format!("Cannot read the resource identity {}: {e}", self.0),
            )
        })
    }

    /// The identity as JSON (attribute name to value).
    pub fn as_json(&self) -> &serde_json::Value {
        &self.0
    }

    /// Converts to a framework value of the identity's object type.
    pub(crate) fn to_value(&self, ty: &Type) -> Result<Value, Diagnostics> {
        crate::value::to_value(&self.0, ty).map_err(|e| {
            Diagnostics::from_error(
                "Provider bug: identity does not match the identity schema",
                format!(
                    "The resource identity {} does not match the identity schema: {e}",
                    self.0
                ),
            )
        })
    }

    pub(crate) fn from_value(value: &Value) -> Result<Self, Diagnostics> {
        crate::value::from_value::<serde_json::Value>(value)
            .map(Self)
            .map_err(|e| {
                Diagnostics::from_error(
                    "Invalid identity",
                    format!("The identity cannot be read: {e}"),
                )
            })
    }
}

/// `{id = "thing-1", zone = "dal10"}`, for diagnostics. Identities hold no secrets.
pub fn describe(identity: &Value) -> String {
    display_value(identity)
}

/// The attributes whose known, non-null value in `old` differs in `new`. An attribute that was
/// null may be filled in (an identity can become more complete, e.g. after an import that
/// named only some attributes); a value it had may never change for the same object.
pub fn changed_attributes(old: &Value, new: &Value) -> Vec<String> {
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return Vec::new();
    };
    old.iter()
        .filter(|(name, before)| {
            !before.is_null() && before.is_wholly_known() && new.get(*name) != Some(*before)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The required-for-import attributes that are null in `identity`.
pub fn missing_required(schema: &IdentitySchema, identity: &Value) -> Vec<String> {
    schema
        .required_names()
        .filter(|name| identity.attr(name).is_none_or(Value::is_null))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::test_support::obj;
    use serde::Deserialize;

    fn vm_schema() -> IdentitySchema {
        IdentitySchema::new()
            .version(1)
            .attribute(IdentityAttribute::string("orchestrator_id").required_for_import())
            .attribute(IdentityAttribute::string("pvm_instance_id").required_for_import())
            .attribute(IdentityAttribute::string("region").optional_for_import())
    }

    #[test]
    fn a_good_schema_passes_and_its_type_is_an_object() {
        assert_eq!(vm_schema().check(), Ok(()));
        let Type::Object(attrs) = vm_schema().object_type() else {
            panic!("not an object");
        };
        assert_eq!(attrs.len(), 3);
        assert_eq!(
            vm_schema().required_names().collect::<Vec<_>>(),
            ["orchestrator_id", "pvm_instance_id"]
        );
    }

    #[test]
    fn terraforms_identity_rules_are_enforced() {
        let bad = IdentitySchema::new()
            .version(-1)
            .attribute(IdentityAttribute::string("Bad").required_for_import())
            .attribute(IdentityAttribute::string("neither"))
            .attribute(
                IdentityAttribute::string("both")
                    .required_for_import()
                    .optional_for_import(),
            )
            .attribute(
                IdentityAttribute::typed("tags", Type::Map(Box::new(Type::String)))
                    .optional_for_import(),
            )
            .attribute(
                IdentityAttribute::typed("ids", Type::Set(Box::new(Type::String)))
                    .optional_for_import(),
            )
            .attribute(
                IdentityAttribute::typed("o", Type::object([("a", Type::String)]))
                    .optional_for_import(),
            )
            .attribute(IdentityAttribute::list("path", Type::String).optional_for_import())
            .attribute(IdentityAttribute::string("neither").optional_for_import());
        let all = bad.check().expect_err("rejected").join("\n");
        for needle in [
            "negative identity schema version",
            "\"Bad\": name must match",
            "neither: must be exactly one",
            "both: must be exactly one",
            "tags: type [\"map\",\"string\"] is not allowed",
            "ids: type [\"set\",\"string\"] is not allowed",
            "o: type",
            "neither: duplicate name",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
        assert!(
            !all.contains("path:"),
            "lists of primitives are allowed:\n{all}"
        );
        assert!(IdentitySchema::new().check().is_err(), "an empty identity");
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct VmIdentity {
        orchestrator_id: String,
        pvm_instance_id: String,
        region: Option<String>,
    }

    #[test]
    fn typed_identities_round_trip_through_values() {
        let ty = vm_schema().object_type();
        let typed = VmIdentity {
            orchestrator_id: "o1".into(),
            pvm_instance_id: "p1".into(),
            region: None,
        };
        let value = IdentityData::new(&typed)
            .expect("build")
            .to_value(&ty)
            .expect("conforms");
        assert_eq!(value.attr("region"), Some(&Value::Null));
        let back = IdentityData::from_value(&value).expect("read");
        assert_eq!(back.get::<VmIdentity>().expect("typed"), typed);
        // A field the schema lacks is a provider bug, reported as such.
        let extra = IdentityData::new(&serde_json::json!({"orchestrator_id": "o", "other": 1}))
            .expect("build");
        let err = extra.to_value(&ty).expect_err("does not conform");
        assert!(err.to_string().contains("identity schema"), "{err}");
    }

    #[test]
    fn identities_may_be_completed_but_not_changed() {
        let s = |v: &str| Value::String(v.into());
        let partial = obj(&[
            ("orchestrator_id", s("o1")),
            ("pvm_instance_id", s("p1")),
            ("region", Value::Null),
        ]);
        let complete = obj(&[
            ("orchestrator_id", s("o1")),
            ("pvm_instance_id", s("p1")),
            ("region", s("us-south")),
        ]);
        assert!(changed_attributes(&partial, &complete).is_empty());
        let moved = obj(&[
            ("orchestrator_id", s("o2")),
            ("pvm_instance_id", s("p1")),
            ("region", Value::Null),
        ]);
        assert_eq!(
            changed_attributes(&complete, &moved),
            ["orchestrator_id", "region"]
        );
        assert_eq!(
            missing_required(&vm_schema(), &partial),
            Vec::<String>::new()
        );
        let no_vm = obj(&[
            ("orchestrator_id", s("o1")),
            ("pvm_instance_id", Value::Null),
            ("region", Value::Null),
        ]);
        assert_eq!(missing_required(&vm_schema(), &no_vm), ["pvm_instance_id"]);
        assert_eq!(
            describe(&complete),
            r#"{orchestrator_id = "o1", pvm_instance_id = "p1", region = "us-south"}"#
        );
    }

    mod binding {
        use super::*;
        use crate::context::Context;
        use crate::resource::{CreateRequest, Resource};
        use crate::schema::Schema;
        use async_trait::async_trait;
        use serde::Serialize;

        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        struct Vm {
            id: String,
        }

        #[derive(Serialize, Deserialize)]
        struct VmIdentity {
            orchestrator_id: String,
            pvm_instance_id: String,
        }

        fn schema() -> IdentitySchema {
            IdentitySchema::new()
                .attribute(IdentityAttribute::string("orchestrator_id").required_for_import())
                .attribute(IdentityAttribute::string("pvm_instance_id").required_for_import())
        }

        fn of(state: &Vm) -> Result<IdentityData, Diagnostics> {
            let (orchestrator_id, pvm_instance_id) = state.id.split_once('/').unwrap();
            IdentityData::new(&VmIdentity {
                orchestrator_id: orchestrator_id.into(),
                pvm_instance_id: pvm_instance_id.into(),
            })
        }

        fn import_id(identity: &IdentityData) -> Result<String, Diagnostics> {
            let vm: VmIdentity = identity.get()?;
            Ok(format!("{}/{}", vm.orchestrator_id, vm.pvm_instance_id))
        }

        struct Bound;

        #[async_trait]
        impl Resource for Bound {
            type State = Vm;
            fn type_name(&self) -> &str {
                "test_vm"
            }
            fn schema(&self) -> Schema {
                Schema::new()
            }
            async fn create(&self, _: &Context, _: CreateRequest<Vm>) -> Result<Vm, Diagnostics> {
                unreachable!("not called")
            }
            async fn read(&self, _: &Context, state: Vm) -> Result<Option<Vm>, Diagnostics> {
                Ok(Some(state))
            }
            async fn delete(&self, _: &Context, _: Vm) -> Result<(), Diagnostics> {
                Ok(())
            }
            async fn import(&self, _: &Context, id: &str) -> Result<Vm, Diagnostics> {
                Ok(Vm {
                    id: format!("imported:{id}"),
                })
            }
            fn identity_binding(&self) -> Option<IdentityBinding<Vm>> {
                Some(IdentityBinding {
                    schema,
                    of,
                    import_id,
                })
            }
        }

        #[tokio::test]
        async fn a_binding_supplies_schema_identity_and_import_by_identity() {
            let vm = Vm {
                id: "o-1/vm-2".into(),
            };
            assert_eq!(Bound.identity_schema(), Some(schema()));
            let identity = Bound.identity(&vm).unwrap();
            assert_eq!(identity.as_json()["pvm_instance_id"], "vm-2");
            let imported = Bound
                .import_by_identity(&Context::for_tests(None), identity)
                .await
                .unwrap();
            assert_eq!(
                imported,
                Vm {
                    id: "imported:o-1/vm-2".into()
                }
            );
        }
    }
}
