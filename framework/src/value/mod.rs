//! The cty value model: what Terraform means by a value, independent of how it travels.
//!
//! Terraform's values are typed by the schema, so decoding always takes a [`Type`]. A value may be
//! null or unknown at any position; unknown values may carry [`Refinements`] (Terraform 1.6+).
//! Numbers are arbitrary precision ([`Number`]) because cty numbers are big floats.
//!
//! Layout: [`Type`] (+ its JSON form), [`Number`], the two wire codecs [`msgpack`] and
//! [`json`], and [`serde`] which maps values to and from typed Rust structs so
//! resource code never walks raw values. Every decoder here faces bytes from outside the
//! process, so each one bounds nesting ([`MAX_DEPTH`]) and never trusts a length prefix.

mod number;
mod types;

pub mod json;
pub mod msgpack;
pub(crate) mod navigate;
pub mod serde;

#[cfg(test)]
mod proptests;

pub use self::serde::{Attr, Error as SerdeError, from_value, to_value};
pub use navigate::{value_at, value_at_mut};
pub use number::{NonFiniteNumber, Number, ParseNumberError};
pub use types::{Type, TypeJsonError};

use std::collections::BTreeMap;
use std::fmt;

/// Deepest nesting any decoder accepts. Terraform schemas nest a handful of levels; only
/// hostile input (or a pathological `jsondecode`) goes deeper, and recursion must stop well
/// before the stack does.
pub const MAX_DEPTH: usize = 256;

/// A cty value. Collections keep the element type implied by the schema; only `Dynamic`
/// positions carry their concrete type with them (see [`Value::Dynamic`]).
///
/// Equality is semantic: sets compare as multisets and numbers numerically.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    /// Boxed because refinements are rare and large: inline they would triple the size of
    /// every `Value` (and of every state held in memory).
    Unknown(Box<Refinements>),
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// Set elements; order is not significant on the wire, equality ignores it.
    Set(Vec<Value>),
    Tuple(Vec<Value>),
    Map(BTreeMap<String, Value>),
    /// Objects always hold every attribute of their type (nulls included).
    Object(BTreeMap<String, Value>),
    /// A value at a position whose schema type is `dynamic`, with its concrete type. The inner
    /// value is usually known, but Terraform also sends typed nulls and typed (possibly
    /// refined) unknowns this way (`tostring(null)`); an untyped null or unknown at a dynamic
    /// position is plain [`Value::Null`] / [`Value::Unknown`].
    Dynamic(Type, Box<Value>),
}

/// Facts Terraform may know about an unknown value (msgpack extension 12). All `None`/default
/// means a plain unknown (extension 0).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refinements {
    /// `Some(false)`: definitely not null.
    pub nullable: Option<bool>,
    pub string_prefix: Option<String>,
    /// (bound, inclusive)
    pub number_lower: Option<(Number, bool)>,
    pub number_upper: Option<(Number, bool)>,
    pub length_min: Option<u64>,
    pub length_max: Option<u64>,
}

impl Refinements {
    pub fn is_empty(&self) -> bool {
        *self == Refinements::default()
    }
}

impl Value {
    pub fn unknown() -> Value {
        Value::Unknown(Box::default())
    }
    /// An unknown value with refinements (an empty set of refinements is a plain unknown).
    pub fn unknown_refined(refinements: Refinements) -> Value {
        Value::Unknown(Box::new(refinements))
    }
    /// Null, including a typed null at a dynamic position.
    pub fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Dynamic(_, v) => v.is_null(),
            _ => false,
        }
    }
    /// Unknown (refined or not), including a typed unknown at a dynamic position.
    pub fn is_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::Dynamic(_, v) => v.is_unknown(),
            _ => false,
        }
    }
    /// True when neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Dynamic(_, v) => v.as_str(),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Dynamic(_, v) => v.as_bool(),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            Value::Dynamic(_, v) => v.as_number(),
            _ => None,
        }
    }
    /// The attributes of an object value.
    pub fn as_object(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_object_mut(&mut self) -> Option<&mut BTreeMap<String, Value>> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    /// One attribute of an object value; `None` when this is not an object or lacks it.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        self.as_object().and_then(|m| m.get(name))
    }

    /// The concrete type this value implies on its own, used where a value sits at a dynamic
    /// position without a [`Value::Dynamic`] wrapper. Tuples and objects are heterogeneous;
    /// lists, sets and maps need one element type (nulls and unknowns add no information, an
    /// empty or all-null collection gets `dynamic` elements). `None` for a bare null or
    /// unknown, and for collections whose elements disagree.
    pub fn infer_type(&self) -> Option<Type> {
        match self {
            Value::Null | Value::Unknown(_) => None,
            Value::Bool(_) => Some(Type::Bool),
            Value::Number(_) => Some(Type::Number),
            Value::String(_) => Some(Type::String),
            Value::Dynamic(ty, _) => Some(ty.clone()),
            Value::List(items) => Some(Type::list(common_element_type(items.iter())?)),
            Value::Set(items) => Some(Type::set(common_element_type(items.iter())?)),
            Value::Map(entries) => Some(Type::map(common_element_type(entries.values())?)),
            Value::Tuple(items) => Some(Type::Tuple(
                items
                    .iter()
                    .map(|v| v.infer_type().unwrap_or(Type::Dynamic))
                    .collect(),
            )),
            Value::Object(attrs) => Some(Type::Object(
                attrs
                    .iter()
                    .map(|(name, v)| (name.clone(), v.infer_type().unwrap_or(Type::Dynamic)))
                    .collect(),
            )),
        }
    }
}

fn common_element_type<'a>(items: impl Iterator<Item = &'a Value>) -> Option<Type> {
    let mut found: Option<Type> = None;
    for item in items {
        if matches!(item, Value::Null | Value::Unknown(_)) {
            continue;
        }
        let ty = item.infer_type()?;
        match &found {
            Some(existing) if *existing != ty => return None,
            Some(_) => {}
            None => found = Some(ty),
        }
    }
    Some(found.unwrap_or(Type::Dynamic))
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Unknown(a), Value::Unknown(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            // `Number` is normalised, so its equality is numeric.
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => multiset_eq(a, b),
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a == b,
            (Value::Dynamic(ta, a), Value::Dynamic(tb, b)) => ta == tb && a == b,
            _ => false,
        }
    }
}

/// Order-insensitive comparison that respects duplicates. Values have no total order (sets
/// nest, numbers and sets compare semantically), so this matches greedily. Each element is
/// first tried against the same position, which makes the usual case (both sides in the same
/// order) linear; only reordered sets pay the quadratic search.
fn multiset_eq(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    'outer: for (i, x) in a.iter().enumerate() {
        if !used[i] && *x == b[i] {
            used[i] = true;
            continue;
        }
        for (j, y) in b.iter().enumerate() {
            if !used[j] && x == y {
                used[j] = true;
                continue 'outer;
            }
        }
        return false;
    }
    true
}

/// One step from a value to a nested one, for error messages and diagnostics paths.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An object attribute.
    Attr(String),
    /// A list or tuple index (set elements are reported by their position in the input).
    Index(usize),
    /// A map key.
    Key(String),
}

/// Renders a path the way Terraform users write it: `disks[0].size`, `tags["env"]`.
pub struct DisplayPath<'a>(pub &'a [PathStep]);

impl fmt::Display for DisplayPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attr(name) if i == 0 => f.write_str(name)?,
                PathStep::Attr(name) => write!(f, ".{name}")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
            }
        }
        Ok(())
    }
}

fn fmt_path_message(f: &mut fmt::Formatter<'_>, path: &[PathStep], message: &str) -> fmt::Result {
    if path.is_empty() {
        f.write_str(message)
    } else {
        write!(f, "{}: {message}", DisplayPath(path))
    }
}

/// Bytes could not be decoded as a value of the expected type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Where in the value the problem is (outermost step first).
    pub path: Vec<PathStep>,
    pub message: String,
}

/// A value could not be encoded with the given type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    /// Where in the value the problem is (outermost step first).
    pub path: Vec<PathStep>,
    pub message: String,
}

macro_rules! path_error_impls {
    ($name:ident) => {
        impl $name {
            pub(crate) fn new(message: impl Into<String>) -> Self {
                $name {
                    path: Vec::new(),
                    message: message.into(),
                }
            }
            /// Records that the error happened inside `step` (called while unwinding, so steps
            /// arrive innermost first).
            pub(crate) fn within(mut self, step: PathStep) -> Self {
                self.path.insert(0, step);
                self
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt_path_message(f, &self.path, &self.message)
            }
        }
        impl std::error::Error for $name {}
    };
}

path_error_impls!(DecodeError);
path_error_impls!(EncodeError);

/// Encoders refuse values nested deeper than [`MAX_DEPTH`], as the decoders do.
#[inline]
pub(crate) fn check_encode_depth(depth: usize) -> Result<(), EncodeError> {
    if depth > MAX_DEPTH {
        return Err(EncodeError::new("value is nested too deeply"));
    }
    Ok(())
}

/// The message for a tuple of `got` elements (a count, or "more") whose type has `expected`.
pub(crate) fn tuple_length_mismatch(expected: usize, got: impl fmt::Display) -> String {
    format!("a tuple of {expected} elements is required, got {got}")
}

/// Lists attribute names for "missing/unexpected attribute" messages.
pub(crate) fn describe_attribute_mismatch(missing: &[&str], extra: &[&str]) -> String {
    let quote = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (missing.is_empty(), extra.is_empty()) {
        (false, true) => format!("object is missing attributes {}", quote(missing)),
        (true, false) => format!("object has unexpected attributes {}", quote(extra)),
        _ => format!(
            "object is missing attributes {} and has unexpected attributes {}",
            quote(missing),
            quote(extra)
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn values_stay_small() {
        // States hold thousands of values; refinements are boxed to keep this small.
        assert!(
            std::mem::size_of::<Value>() <= 48,
            "{}",
            std::mem::size_of::<Value>()
        );
    }

    #[test]
    fn equality_is_semantic() {
        let s = |t: &str| Value::String(t.to_owned());
        assert_eq!(
            Value::Set(vec![s("a"), s("b"), s("a")]),
            Value::Set(vec![s("a"), s("a"), s("b")])
        );
        assert_ne!(
            Value::Set(vec![s("a"), s("b"), s("b")]),
            Value::Set(vec![s("a"), s("a"), s("b")])
        );
        assert_ne!(
            Value::List(vec![s("a"), s("b")]),
            Value::List(vec![s("b"), s("a")])
        );
        assert_ne!(Value::List(vec![]), Value::Set(vec![]));
        let one: Number = "1".parse().unwrap_or_else(|_| Number::zero());
        let one_point_zero: Number = "1.0e0".parse().unwrap_or_else(|_| Number::zero());
        assert_eq!(Value::Number(one), Value::Number(one_point_zero));
        let nested_a = Value::Set(vec![Value::Set(vec![s("x"), s("y")]), Value::Null]);
        let nested_b = Value::Set(vec![Value::Null, Value::Set(vec![s("y"), s("x")])]);
        assert_eq!(nested_a, nested_b);
    }

    #[test]
    fn typed_nulls_and_unknowns_look_through_dynamic() {
        let typed_null = Value::Dynamic(Type::String, Box::new(Value::Null));
        assert!(typed_null.is_null());
        let typed_unknown = Value::Dynamic(Type::Number, Box::new(Value::unknown()));
        assert!(typed_unknown.is_unknown());
        assert!(!typed_unknown.is_wholly_known());
    }

    #[test]
    fn type_inference_for_dynamic_positions() {
        let s = |t: &str| Value::String(t.to_owned());
        assert_eq!(
            Value::List(vec![Value::Null, s("a")]).infer_type(),
            Some(Type::list(Type::String))
        );
        assert_eq!(
            Value::Map(BTreeMap::new()).infer_type(),
            Some(Type::map(Type::Dynamic))
        );
        assert_eq!(
            Value::List(vec![s("a"), Value::Bool(true)]).infer_type(),
            None
        );
        assert_eq!(
            Value::Tuple(vec![s("a"), Value::Bool(true), Value::Null]).infer_type(),
            Some(Type::tuple(vec![Type::String, Type::Bool, Type::Dynamic]))
        );
        assert_eq!(Value::unknown().infer_type(), None);
    }

    #[test]
    fn paths_render_like_terraform() {
        let path = [
            PathStep::Attr("disks".into()),
            PathStep::Index(0),
            PathStep::Attr("tags".into()),
            PathStep::Key("env".into()),
        ];
        assert_eq!(DisplayPath(&path).to_string(), r#"disks[0].tags["env"]"#);
    }
}
