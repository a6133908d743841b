//! cty types, and their JSON form used in schemas and dynamic values.
//!
//! The JSON form travels in `Schema.Attribute.type`, in function signatures and inside every
//! value at a `dynamic` position, so it must match go-cty byte for byte in meaning:
//! `"string"`, `["list","number"]`, `["object",{"a":"bool"}]`, `["tuple",["string"]]`...
//! Type constraints may add a third element to `object` (the optional attribute names); a
//! concrete type never needs it, so it is accepted and dropped.

use std::collections::BTreeMap;
use std::fmt;

/// Type JSON nested deeper than this is refused; serde_json's own parser stops at 128 too.
const MAX_TYPE_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Type {
    String,
    Number,
    Bool,
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

/// A type's JSON form was malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid type JSON: {0}")]
pub struct TypeJsonError(String);

impl Type {
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }
    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }
    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(
            attributes
                .into_iter()
                .map(|(name, ty)| (name.into(), ty))
                .collect(),
        )
    }
    pub fn tuple(elements: Vec<Type>) -> Type {
        Type::Tuple(elements)
    }

    /// The `dynamic` pseudo-type: a value here carries its own concrete type on the wire.
    pub fn is_dynamic(&self) -> bool {
        matches!(self, Type::Dynamic)
    }
    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::String | Type::Number | Type::Bool)
    }
    /// List, set or map: the types with a single element type (and length refinements).
    pub fn is_collection(&self) -> bool {
        matches!(self, Type::List(_) | Type::Set(_) | Type::Map(_))
    }
    /// Whether `dynamic` occurs anywhere inside this type.
    pub fn has_dynamic(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::String | Type::Number | Type::Bool => false,
            Type::List(e) | Type::Set(e) | Type::Map(e) => e.has_dynamic(),
            Type::Object(attrs) => attrs.values().any(Type::has_dynamic),
            Type::Tuple(elems) => elems.iter().any(Type::has_dynamic),
        }
    }
    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(e) | Type::Set(e) | Type::Map(e) => Some(e),
            _ => None,
        }
    }
    /// The attribute types of an object.
    pub fn attribute_types(&self) -> Option<&BTreeMap<String, Type>> {
        match self {
            Type::Object(attrs) => Some(attrs),
            _ => None,
        }
    }
    /// One attribute type of an object.
    pub fn attribute_type(&self, name: &str) -> Option<&Type> {
        self.attribute_types().and_then(|attrs| attrs.get(name))
    }
    /// The element types of a tuple.
    pub fn tuple_element_types(&self) -> Option<&[Type]> {
        match self {
            Type::Tuple(elems) => Some(elems),
            _ => None,
        }
    }

    /// Parses the JSON form (go-cty `cty/json/type.go` layout).
    pub fn from_json(bytes: &[u8]) -> Result<Type, TypeJsonError> {
        let json: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| TypeJsonError(e.to_string()))?;
        Type::from_json_value(&json)
    }

    /// Parses the JSON form from an already parsed document.
    pub fn from_json_value(json: &serde_json::Value) -> Result<Type, TypeJsonError> {
        type_from_json(json, 0)
    }

    /// The JSON form, with object attributes in sorted order.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        let tagged = |tag: &str, inner: J| J::Array(vec![J::String(tag.to_owned()), inner]);
        match self {
            Type::String => J::String("string".to_owned()),
            Type::Number => J::String("number".to_owned()),
            Type::Bool => J::String("bool".to_owned()),
            Type::Dynamic => J::String("dynamic".to_owned()),
            Type::List(e) => tagged("list", e.to_json()),
            Type::Set(e) => tagged("set", e.to_json()),
            Type::Map(e) => tagged("map", e.to_json()),
            Type::Object(attrs) => tagged(
                "object",
                J::Object(
                    attrs
                        .iter()
                        .map(|(name, ty)| (name.clone(), ty.to_json()))
                        .collect(),
                ),
            ),
            Type::Tuple(elems) => {
                tagged("tuple", J::Array(elems.iter().map(Type::to_json).collect()))
            }
        }
    }

    /// The compact JSON text of [`Type::to_json`], as written into dynamic values.
    pub fn to_json_string(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    /// Writes the JSON text directly: dynamic values are encoded often enough that building
    /// a `serde_json::Value` first would show up in profiles.
    pub(crate) fn write_json(&self, out: &mut String) {
        match self {
            Type::String => out.push_str("\"string\""),
            Type::Number => out.push_str("\"number\""),
            Type::Bool => out.push_str("\"bool\""),
            Type::Dynamic => out.push_str("\"dynamic\""),
            Type::List(e) | Type::Set(e) | Type::Map(e) => {
                let tag = match self {
                    Type::List(_) => "[\"list\",",
                    Type::Set(_) => "[\"set\",",
                    _ => "[\"map\",",
                };
                out.push_str(tag);
                e.write_json(out);
                out.push(']');
            }
            Type::Object(attrs) => {
                out.push_str("[\"object\",{");
                for (i, (name, ty)) in attrs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    super::json::write_json_string(out, name);
                    out.push(':');
                    ty.write_json(out);
                }
                out.push_str("}]");
            }
            Type::Tuple(elems) => {
                out.push_str("[\"tuple\",[");
                for (i, ty) in elems.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    ty.write_json(out);
                }
                out.push_str("]]");
            }
        }
    }
}

fn type_from_json(json: &serde_json::Value, depth: usize) -> Result<Type, TypeJsonError> {
    use serde_json::Value as J;
    if depth > MAX_TYPE_DEPTH {
        return Err(TypeJsonError("type is nested too deeply".to_owned()));
    }
    match json {
        J::String(name) => match name.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(TypeJsonError(format!("unknown primitive type {other:?}"))),
        },
        J::Array(items) => {
            let Some(J::String(kind)) = items.first() else {
                return Err(TypeJsonError(
                    "a complex type must be an array starting with its kind".to_owned(),
                ));
            };
            let arity_ok = match kind.as_str() {
                // The optional third element lists optional attribute names (constraints only).
                "object" => items.len() == 2 || items.len() == 3,
                _ => items.len() == 2,
            };
            if !arity_ok {
                return Err(TypeJsonError(format!(
                    "{kind:?} type has {} elements",
                    items.len()
                )));
            }
            let body = &items[1];
            match kind.as_str() {
                "list" => Ok(Type::list(type_from_json(body, depth + 1)?)),
                "set" => Ok(Type::set(type_from_json(body, depth + 1)?)),
                "map" => Ok(Type::map(type_from_json(body, depth + 1)?)),
                "object" => {
                    let J::Object(attrs) = body else {
                        return Err(TypeJsonError(
                            "object attributes must be a JSON object".to_owned(),
                        ));
                    };
                    let mut out = BTreeMap::new();
                    for (name, ty) in attrs {
                        out.insert(name.clone(), type_from_json(ty, depth + 1)?);
                    }
                    Ok(Type::Object(out))
                }
                "tuple" => {
                    let J::Array(elems) = body else {
                        return Err(TypeJsonError(
                            "tuple element types must be a JSON array".to_owned(),
                        ));
                    };
                    let elems = elems
                        .iter()
                        .map(|e| type_from_json(e, depth + 1))
                        .collect::<Result<_, _>>()?;
                    Ok(Type::Tuple(elems))
                }
                other => Err(TypeJsonError(format!("unknown type kind {other:?}"))),
            }
        }
        _ => Err(TypeJsonError(
            "a type must be a JSON string or array".to_owned(),
        )),
    }
}

impl fmt::Display for Type {
    /// Terraform's type-constraint syntax, e.g. `list(object({name=string}))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::List(e) => write!(f, "list({e})"),
            Type::Set(e) => write!(f, "set({e})"),
            Type::Map(e) => write!(f, "map({e})"),
            Type::Object(attrs) => {
                f.write_str("object({")?;
                for (i, (name, ty)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{name}={ty}")?;
                }
                f.write_str("})")
            }
            Type::Tuple(elems) => {
                f.write_str("tuple([")?;
                for (i, ty) in elems.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{ty}")?;
                }
                f.write_str("])")
            }
        }
    }
}

impl ::serde::Serialize for Type {
    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> ::serde::Deserialize<'de> for Type {
    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Type, D::Error> {
        let json = serde_json::Value::deserialize(deserializer)?;
        Type::from_json_value(&json).map_err(::serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn sample() -> Type {
        Type::object([
            ("name", Type::String),
            ("tags", Type::map(Type::String)),
            ("ports", Type::set(Type::Number)),
            (
                "disks",
                Type::list(Type::object([("size", Type::Number), ("ssd", Type::Bool)])),
            ),
            ("pair", Type::tuple(vec![Type::String, Type::Dynamic])),
        ])
    }

    #[test]
    fn json_text_matches_cty_layout() {
        assert_eq!(Type::String.to_json_string(), r#""string""#);
        assert_eq!(
            Type::list(Type::Number).to_json_string(),
            r#"["list","number"]"#
        );
        assert_eq!(
            sample().to_json_string(),
            r#"["object",{"disks":["list",["object",{"size":"number","ssd":"bool"}]],"name":"string","pair":["tuple",["string","dynamic"]],"ports":["set","number"],"tags":["map","string"]}]"#
        );
        assert_eq!(
            serde_json::to_string(&sample().to_json()).unwrap(),
            sample().to_json_string()
        );
    }

    #[test]
    fn json_round_trip() {
        let ty = sample();
        assert_eq!(Type::from_json(ty.to_json_string().as_bytes()).unwrap(), ty);
        assert_eq!(Type::from_json_value(&ty.to_json()).unwrap(), ty);
        let via_serde: Type = serde_json::from_str(&serde_json::to_string(&ty).unwrap()).unwrap();
        assert_eq!(via_serde, ty);
    }

    #[test]
    fn optional_attribute_names_are_ignored() {
        let ty = Type::from_json(br#"["object",{"a":"string","b":"number"},["b"]]"#).unwrap();
        assert_eq!(ty, Type::object([("a", Type::String), ("b", Type::Number)]));
    }

    #[test]
    fn malformed_type_json_is_rejected() {
        for bad in [
            r#""str""#,
            r#"["list"]"#,
            r#"["list","string","x"]"#,
            r#"["object",["a"]]"#,
            r#"["tuple",{"a":"string"}]"#,
            r#"["blob","string"]"#,
            "42",
            "[]",
            "not json",
        ] {
            assert!(Type::from_json(bad.as_bytes()).is_err(), "{bad} accepted");
        }
        let deep = format!("{}\"string\"{}", "[\"list\",".repeat(200), "]".repeat(200));
        assert!(Type::from_json(deep.as_bytes()).is_err());
    }

    #[test]
    fn accessors_and_display() {
        let ty = sample();
        assert_eq!(
            ty.attribute_type("tags").and_then(Type::element_type),
            Some(&Type::String)
        );
        assert!(ty.has_dynamic());
        assert!(!Type::list(Type::String).has_dynamic());
        assert!(Type::map(Type::Bool).is_collection());
        assert!(!Type::tuple(vec![]).is_collection());
        assert_eq!(
            ty.attribute_type("pair")
                .and_then(Type::tuple_element_types),
            Some(&[Type::String, Type::Dynamic][..])
        );
        assert_eq!(
            Type::list(Type::object([("a", Type::String)])).to_string(),
            "list(object({a=string}))"
        );
    }
}
