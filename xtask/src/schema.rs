//! A typed view of `terraform providers schema -json`.
//!
//! The docs are generated from what Terraform itself reports, not from the provider's Rust
//! types, so they document exactly the contract users see (including anything the framework
//! adds, such as `timeouts`). Every field defaults, because older Terraform versions omit keys
//! (functions before 1.8, `ephemeral_resource_schemas` before 1.10, `write_only` before 1.11,
//! `resource_identity_schemas` before 1.12, `action_schemas` and `list_resource_schemas`
//! before 1.14).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProvidersSchema {
    pub provider_schemas: BTreeMap<String, ProviderSchema>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProviderSchema {
    pub provider: Option<VersionedBlock>,
    pub resource_schemas: BTreeMap<String, VersionedBlock>,
    pub data_source_schemas: BTreeMap<String, VersionedBlock>,
    pub functions: BTreeMap<String, Function>,
    /// Terraform 1.14+ lists actions as `{type: {block}}`: unlike resources they carry no
    /// schema version.
    pub action_schemas: BTreeMap<String, ActionSchema>,
    /// The `config` block of each list resource (`terraform query`), by resource type.
    pub list_resource_schemas: BTreeMap<String, VersionedBlock>,
    pub ephemeral_resource_schemas: BTreeMap<String, VersionedBlock>,
    /// Resource identities by resource type: `{version, attributes: {name: {...}}}`.
    pub resource_identity_schemas: BTreeMap<String, IdentitySchema>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IdentitySchema {
    pub version: u64,
    pub attributes: BTreeMap<String, IdentityAttribute>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IdentityAttribute {
    #[serde(rename = "type")]
    pub type_: Option<Value>,
    pub description: Option<String>,
    pub required_for_import: bool,
    pub optional_for_import: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActionSchema {
    pub block: Block,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VersionedBlock {
    pub version: u64,
    pub block: Block,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Block {
    pub attributes: BTreeMap<String, Attribute>,
    pub block_types: BTreeMap<String, NestedBlock>,
    pub description: Option<String>,
    pub deprecated: bool,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Attribute {
    #[serde(rename = "type")]
    pub type_: Option<Value>,
    pub nested_type: Option<NestedType>,
    pub description: Option<String>,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub deprecated: bool,
    pub write_only: bool,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct NestedType {
    pub attributes: BTreeMap<String, Attribute>,
    pub nesting_mode: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct NestedBlock {
    pub nesting_mode: String,
    pub block: Block,
    pub min_items: u64,
    pub max_items: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Function {
    pub summary: Option<String>,
    pub description: Option<String>,
    pub deprecation_message: Option<String>,
    pub parameters: Vec<Parameter>,
    pub variadic_parameter: Option<Parameter>,
    pub return_type: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Parameter {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: Value,
    pub description: Option<String>,
    pub is_nullable: bool,
}

/// Where an attribute goes in the reference: what the user must, may, or cannot set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Required,
    Optional,
    ReadOnly,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Required => "Required",
            Section::Optional => "Optional",
            Section::ReadOnly => "Read-Only",
        }
    }
}

impl Attribute {
    pub fn section(&self) -> Section {
        if self.required {
            Section::Required
        } else if self.optional {
            Section::Optional
        } else if self.computed {
            Section::ReadOnly
        } else {
            // Terraform rejects such schemas; treat them as optional rather than hide them.
            Section::Optional
        }
    }
}

impl NestedBlock {
    pub fn section(&self) -> Section {
        if self.min_items > 0 {
            Section::Required
        } else {
            Section::Optional
        }
    }
}

/// `String`, `List of String`, `Map of Object`, ... for a cty type in its JSON form.
pub fn type_name(ty: &Value) -> String {
    match ty {
        Value::String(s) => match s.as_str() {
            "string" => "String".into(),
            "number" => "Number".into(),
            "bool" => "Boolean".into(),
            "dynamic" => "Dynamic".into(),
            other => other.to_string(),
        },
        Value::Array(parts) => {
            let kind = parts.first().and_then(Value::as_str).unwrap_or("");
            let inner = parts.get(1).unwrap_or(&Value::Null);
            match kind {
                "list" => format!("List of {}", type_name(inner)),
                "set" => format!("Set of {}", type_name(inner)),
                "map" => format!("Map of {}", type_name(inner)),
                "object" => "Object".into(),
                "tuple" => "Tuple".into(),
                other => other.to_string(),
            }
        }
        _ => "Dynamic".into(),
    }
}

/// The attribute types of the object a type holds directly or as its collection's element,
/// so the docs can list an object's fields.
pub fn object_fields(ty: &Value) -> Option<BTreeMap<String, Value>> {
    let parts = ty.as_array()?;
    match parts.first().and_then(Value::as_str)? {
        "object" => parts
            .get(1)?
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        "list" | "set" | "map" => object_fields(parts.get(1)?),
        _ => None,
    }
}

/// The type word of a nested attribute: `Attributes`, `List of Attributes`, ...
pub fn nested_type_name(nested: &NestedType) -> String {
    match nested.nesting_mode.as_str() {
        "list" => "List of Attributes".into(),
        "set" => "Set of Attributes".into(),
        "map" => "Map of Attributes".into(),
        _ => "Attributes".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_names_read_like_the_registry() {
        assert_eq!(type_name(&json!("string")), "String");
        assert_eq!(type_name(&json!(["list", "string"])), "List of String");
        assert_eq!(
            type_name(&json!(["set", ["object", {"a": "number"}]])),
            "Set of Object"
        );
        assert_eq!(type_name(&json!(["map", "bool"])), "Map of Boolean");
    }

    #[test]
    fn object_fields_are_found_through_collections() {
        let fields = object_fields(&json!(["list", ["object", {"id": "string", "n": "number"}]]))
            .expect("object fields");
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["id", "n"]);
        assert!(object_fields(&json!(["list", "string"])).is_none());
    }

    #[test]
    fn sections_follow_required_optional_computed() {
        let required = Attribute {
            required: true,
            ..Attribute::default()
        };
        let optional_computed = Attribute {
            optional: true,
            computed: true,
            ..Attribute::default()
        };
        let computed = Attribute {
            computed: true,
            ..Attribute::default()
        };
        assert_eq!(required.section(), Section::Required);
        assert_eq!(optional_computed.section(), Section::Optional);
        assert_eq!(computed.section(), Section::ReadOnly);
    }
}
