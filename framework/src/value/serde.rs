//! A serde bridge between [`Value`]s and typed Rust structs, so resource code never walks raw
//! values.
//!
//! - [`from_value`] is a serde `Deserializer` over `&Value`: objects and maps become structs
//!   or maps, lists/sets/tuples become sequences, numbers become whichever Rust number (or
//!   `String`, or [`Number`]) the field asks for.
//! - [`to_value`] is a serde `Serializer` *directed by a [`Type`]*: Rust has one `Vec` but
//!   Terraform distinguishes list, set and tuple, and an object must carry every attribute of
//!   its type. The type decides; struct fields missing from an object type are an error
//!   (a typo in a model must not vanish silently), attributes without a field become null.
//! - Null is `Option::None`. Unknown has no natural Rust spelling, so [`Attr<T>`] adds it;
//!   a plain `Option<T>` meeting an unknown fails with a message that points to `Attr`.
//!
//! `Attr` and unknown values pass through serde's data model under private marker names
//! (the same trick serde_json uses for arbitrary-precision numbers); other serializers see
//! an ordinary option, so `Attr` also works with serde_json (unknown becomes `null`).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use ::serde::de::{self, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};
use ::serde::ser::{self, Serialize};
use ::serde::{Deserialize, Deserializer, Serializer};

use super::{DisplayPath, Number, PathStep, Type, Value, tuple_length_mismatch};

/// Newtype name under which [`Attr`] asks the deserializer whether the value is unknown.
const ATTR_NEWTYPE: &str = "$tf_framework::value::Attr";
/// Unit-struct name under which [`Attr::Unknown`] serializes.
const UNKNOWN_UNIT: &str = "$tf_framework::value::Unknown";

/// A value could not be mapped between a [`Value`] and a Rust type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Where in the value the problem is (outermost step first).
    pub path: Vec<PathStep>,
    pub message: String,
}

impl Error {
    fn new(message: impl Into<String>) -> Error {
        Error {
            path: Vec::new(),
            message: message.into(),
        }
    }
    fn within(mut self, step: PathStep) -> Error {
        self.path.insert(0, step);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", DisplayPath(&self.path), self.message)
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error::new(msg.to_string())
    }
}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error::new(msg.to_string())
    }
}

/// Reads a typed Rust value out of a [`Value`].
pub fn from_value<'a, T: Deserialize<'a>>(value: &'a Value) -> Result<T, Error> {
    T::deserialize(ValueDeserializer::new(value))
}

/// Builds a [`Value`] of type `ty` from a Rust value.
pub fn to_value<T: Serialize + ?Sized>(value: &T, ty: &Type) -> Result<Value, Error> {
    value.serialize(TypedSerializer { ty })
}

// ---------------------------------------------------------------------------------------
// Attr<T>

/// An attribute that may be null or unknown, for typed models of plans and configs.
///
/// `Default` is `Null`. With [`from_value`]/[`to_value`] the three states map to the three
/// kinds of cty value; with other serde formats `Attr` behaves like `Option` (unknown
/// serializes as `null`). Objects from Terraform carry every attribute, but when reading a
/// map or hand-built value that may lack the key, mark the field `#[serde(default)]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attr<T> {
    #[default]
    Null,
    Unknown,
    Known(T),
}

impl<T> Attr<T> {
    pub fn is_null(&self) -> bool {
        matches!(self, Attr::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Attr::Unknown)
    }
    pub fn is_known(&self) -> bool {
        matches!(self, Attr::Known(_))
    }
    /// The value when known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }
    pub fn into_known(self) -> Option<T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }
    pub fn as_ref(&self) -> Attr<&T> {
        match self {
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
            Attr::Known(v) => Attr::Known(v),
        }
    }
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Attr<U> {
        match self {
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
            Attr::Known(v) => Attr::Known(f(v)),
        }
    }
    /// `Some(Some(v))` known, `Some(None)` null, `None` unknown.
    pub fn to_option(self) -> Option<Option<T>> {
        match self {
            Attr::Null => Some(None),
            Attr::Unknown => None,
            Attr::Known(v) => Some(Some(v)),
        }
    }
}

impl<T> From<Option<T>> for Attr<T> {
    fn from(option: Option<T>) -> Attr<T> {
        match option {
            Some(v) => Attr::Known(v),
            None => Attr::Null,
        }
    }
}

impl<T: Serialize> Serialize for Attr<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Attr::Null => serializer.serialize_none(),
            Attr::Unknown => serializer.serialize_unit_struct(UNKNOWN_UNIT),
            Attr::Known(v) => serializer.serialize_some(v),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Attr<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Attr<T>, D::Error> {
        deserializer.deserialize_newtype_struct(ATTR_NEWTYPE, AttrVisitor(PhantomData))
    }
}

struct AttrVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for AttrVisitor<T> {
    type Value = Attr<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value, null or unknown")
    }
    /// Only the value deserializer answers the marker newtype with a unit: unknown.
    fn visit_unit<E: de::Error>(self) -> Result<Attr<T>, E> {
        Ok(Attr::Unknown)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Attr<T>, D::Error> {
        Option::<T>::deserialize(d).map(Attr::from)
    }
    fn visit_none<E: de::Error>(self) -> Result<Attr<T>, E> {
        Ok(Attr::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Attr<T>, D::Error> {
        T::deserialize(d).map(Attr::Known)
    }
}

// ---------------------------------------------------------------------------------------
// Deserializer over &Value

struct ValueDeserializer<'de> {
    value: &'de Value,
}

impl<'de> ValueDeserializer<'de> {
    /// Dynamic wrappers only matter on the wire; Rust code sees the inner value.
    fn new(mut value: &'de Value) -> Self {
        while let Value::Dynamic(_, inner) = value {
            value = inner;
        }
        ValueDeserializer { value }
    }

    fn unexpected(&self) -> Unexpected<'de> {
        match self.value {
            Value::Null => Unexpected::Other("null"),
            Value::Unknown(_) => Unexpected::Other("unknown value"),
            Value::Bool(b) => Unexpected::Bool(*b),
            Value::Number(_) => Unexpected::Other("number"),
            Value::String(s) => Unexpected::Str(s),
            Value::List(_) => Unexpected::Other("list"),
            Value::Set(_) => Unexpected::Other("set"),
            Value::Tuple(_) => Unexpected::Other("tuple"),
            Value::Map(_) => Unexpected::Map,
            Value::Object(_) => Unexpected::Other("object"),
            Value::Dynamic(..) => Unexpected::Other("dynamic value"),
        }
    }

    fn invalid<V: Visitor<'de>, T>(&self, visitor: &V) -> Result<T, Error> {
        if let Value::Unknown(_) = self.value {
            return Err(unknown_error());
        }
        Err(de::Error::invalid_type(self.unexpected(), visitor))
    }
}

fn unknown_error() -> Error {
    Error::new("value is unknown; use Attr<T> for attributes that may be unknown")
}

fn visit_number<'de, V: Visitor<'de>>(n: &Number, visitor: V) -> Result<V::Value, Error> {
    if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(f) = n.as_f64_round_trip() {
        visitor.visit_f64(f)
    } else {
        // Too big or too precise for any machine number: exact text (`Number` accepts it).
        visitor.visit_string(n.to_string())
    }
}

macro_rules! deserialize_integer {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.value {
                // serde's primitive visitors reject values outside their own range.
                Value::Number(n) => {
                    if let Some(i) = n.as_i64() {
                        visitor.visit_i64(i)
                    } else if let Some(u) = n.as_u64() {
                        visitor.visit_u64(u)
                    } else {
                        Err(Error::new(format!("{n} is not an integer in 64-bit range")))
                    }
                }
                _ => self.invalid(&visitor),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for ValueDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Unknown(_) => Err(unknown_error()),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => visit_number(n, visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                visit_items(items, visitor)
            }
            Value::Map(entries) => visit_entries(entries, false, visitor),
            Value::Object(entries) => visit_entries(entries, true, visitor),
            Value::Dynamic(_, inner) => ValueDeserializer::new(inner).deserialize_any(visitor),
        }
    }

    deserialize_integer!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Number(n) => match n.as_f64() {
                Some(f) => visitor.visit_f64(f),
                None => Err(Error::new(format!("{n} is out of range for a float"))),
            },
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Bool(b) => visitor.visit_bool(*b),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => visitor.visit_borrowed_str(s),
            // A number attribute may be read into a String field, exactly.
            Value::Number(n) => visitor.visit_string(n.to_string()),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => visitor.visit_borrowed_bytes(s.as_bytes()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            Value::Unknown(_) => Err(unknown_error()),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == ATTR_NEWTYPE && matches!(self.value, Value::Unknown(_)) {
            return visitor.visit_unit();
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                visit_items(items, visitor)
            }
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                if items.len() != len {
                    return Err(de::Error::invalid_length(items.len(), &visitor));
                }
                visit_items(items, visitor)
            }
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Map(entries) => visit_entries(entries, false, visitor),
            Value::Object(entries) => visit_entries(entries, true, visitor),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            // Unit variants are strings (`"STANDARD"`), data variants single-entry objects.
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            Value::Map(entries) | Value::Object(entries) => {
                let mut non_null = entries.iter().filter(|(_, v)| !v.is_null());
                match (non_null.next(), non_null.next()) {
                    (Some((variant, content)), None) => {
                        visitor.visit_enum(VariantAccess { variant, content })
                    }
                    _ => Err(Error::new(
                        "an enum needs exactly one non-null entry naming its variant",
                    )),
                }
            }
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

fn visit_items<'de, V: Visitor<'de>>(items: &'de [Value], visitor: V) -> Result<V::Value, Error> {
    let mut access = SeqAccess {
        items: items.iter().enumerate(),
    };
    let result = visitor.visit_seq(&mut access)?;
    if access.items.len() != 0 {
        return Err(Error::new(format!(
            "{} elements were left over",
            access.items.len()
        )));
    }
    Ok(result)
}

fn visit_entries<'de, V: Visitor<'de>>(
    entries: &'de BTreeMap<String, Value>,
    is_object: bool,
    visitor: V,
) -> Result<V::Value, Error> {
    visitor.visit_map(MapAccess {
        entries: entries.iter(),
        pending: None,
        is_object,
    })
}

struct SeqAccess<'de> {
    items: std::iter::Enumerate<std::slice::Iter<'de, Value>>,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'de> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        match self.items.next() {
            None => Ok(None),
            Some((index, item)) => seed
                .deserialize(ValueDeserializer::new(item))
                .map(Some)
                .map_err(|e| e.within(PathStep::Index(index))),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'de> {
    entries: std::collections::btree_map::Iter<'de, String, Value>,
    pending: Option<(&'de String, &'de Value)>,
    is_object: bool,
}

impl<'de> de::MapAccess<'de> for MapAccess<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            None => Ok(None),
            Some((key, value)) => {
                self.pending = Some((key, value));
                seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
                    .map(Some)
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let Some((key, value)) = self.pending.take() else {
            return Err(Error::new("map value requested before its key"));
        };
        let step = if self.is_object {
            PathStep::Attr(key.clone())
        } else {
            PathStep::Key(key.clone())
        };
        seed.deserialize(ValueDeserializer::new(value))
            .map_err(|e| e.within(step))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct VariantAccess<'de> {
    variant: &'de String,
    content: &'de Value,
}

impl<'de> de::EnumAccess<'de> for VariantAccess<'de> {
    type Error = Error;
    type Variant = VariantContent<'de>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), Error> {
        let variant = seed.deserialize(de::value::BorrowedStrDeserializer::new(self.variant))?;
        Ok((
            variant,
            VariantContent {
                name: self.variant,
                content: self.content,
            },
        ))
    }
}

struct VariantContent<'de> {
    name: &'de String,
    content: &'de Value,
}

impl<'de> de::VariantAccess<'de> for VariantContent<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Err(Error::new(format!(
            "variant {:?} carries no data",
            self.name
        )))
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(ValueDeserializer::new(self.content))
            .map_err(|e| e.within(PathStep::Attr(self.name.clone())))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        ValueDeserializer::new(self.content)
            .deserialize_tuple(len, visitor)
            .map_err(|e| e.within(PathStep::Attr(self.name.clone())))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        ValueDeserializer::new(self.content)
            .deserialize_map(visitor)
            .map_err(|e| e.within(PathStep::Attr(self.name.clone())))
    }
}

// ---------------------------------------------------------------------------------------
// Serializer producing a Value of a given Type

struct TypedSerializer<'t> {
    ty: &'t Type,
}

fn kind_mismatch(ty: &Type, got: &str) -> Error {
    Error::new(format!("a {ty} value is required, got {got}"))
}

/// Wraps a value built for a concrete type when the schema position is dynamic.
fn at_dynamic(ty: Type, value: Value) -> Value {
    Value::Dynamic(ty, Box::new(value))
}

/// Unwraps a value serialized at a dynamic position into (its type, its bare value).
fn split_dynamic(value: Value) -> (Type, Value) {
    match value {
        Value::Dynamic(ty, inner) => (ty, *inner),
        other => (Type::Dynamic, other),
    }
}

impl TypedSerializer<'_> {
    fn primitive(self, ty: Type, value: Value, got: &str) -> Result<Value, Error> {
        if *self.ty == ty {
            Ok(value)
        } else if self.ty.is_dynamic() {
            Ok(at_dynamic(ty, value))
        } else {
            Err(kind_mismatch(self.ty, got))
        }
    }

    fn number(self, n: Number) -> Result<Value, Error> {
        self.primitive(Type::Number, Value::Number(n), "a number")
    }
}

/// Integers narrower than 64 bits, widened losslessly.
macro_rules! serialize_integer {
    ($($method:ident: $t:ty => $from:ident($wide:ty))*) => {$(
        fn $method(self, v: $t) -> Result<Value, Error> {
            self.number(Number::$from(<$wide>::from(v)))
        }
    )*};
}

impl<'t> Serializer for TypedSerializer<'t> {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqBuilder<'t>;
    type SerializeTuple = SeqBuilder<'t>;
    type SerializeTupleStruct = SeqBuilder<'t>;
    type SerializeTupleVariant = ser::Impossible<Value, Error>;
    type SerializeMap = ObjectBuilder<'t>;
    type SerializeStruct = ObjectBuilder<'t>;
    type SerializeStructVariant = ser::Impossible<Value, Error>;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        self.primitive(Type::Bool, Value::Bool(v), "a bool")
    }
    serialize_integer!(serialize_i8: i8 => from_i64(i64) serialize_i16: i16 => from_i64(i64)
        serialize_i32: i32 => from_i64(i64) serialize_u8: u8 => from_u64(u64)
        serialize_u16: u16 => from_u64(u64) serialize_u32: u32 => from_u64(u64));
    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        self.number(Number::from_i64(v))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        self.number(Number::from_u64(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        self.number(v.to_string().parse().map_err(de::Error::custom)?)
    }
    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        self.number(v.to_string().parse().map_err(de::Error::custom)?)
    }
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        // Through the shortest f32 text, so 0.1f32 becomes 0.1 rather than 0.100000001490116.
        self.number(v.to_string().parse().map_err(de::Error::custom)?)
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        let n =
            Number::from_f64(v).ok_or_else(|| Error::new(format!("{v} is not a finite number")))?;
        self.number(n)
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        self.serialize_str(v.encode_utf8(&mut [0u8; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        match self.ty {
            // Decimal text is how `Number` and big numbers held as String travel.
            Type::Number => v
                .parse()
                .map(Value::Number)
                .map_err(|e: super::ParseNumberError| Error::new(e.to_string())),
            _ => self.primitive(Type::String, Value::String(v.to_owned()), "a string"),
        }
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        let text = std::str::from_utf8(v)
            .map_err(|_| Error::new("bytes must be UTF-8 to become a string"))?;
        self.serialize_str(text)
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<Value, Error> {
        if name == UNKNOWN_UNIT {
            Ok(Value::unknown())
        } else {
            Ok(Value::Null)
        }
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        // `{variant: value}`, the externally tagged layout the deserializer reads back.
        let mut builder = ObjectBuilder::start(self.ty, "an enum variant")?;
        builder.field(variant.to_owned(), value)?;
        builder.finish()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<SeqBuilder<'t>, Error> {
        SeqBuilder::start(self.ty)
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder<'t>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqBuilder<'t>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error::new(format!(
            "enum variant {name}::{variant} holds a tuple; model it as a struct or newtype variant"
        )))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<ObjectBuilder<'t>, Error> {
        ObjectBuilder::start(self.ty, "a map")
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<ObjectBuilder<'t>, Error> {
        ObjectBuilder::start(self.ty, "a struct")
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error::new(format!(
            "enum variant {name}::{variant} holds fields; use a newtype variant around a struct"
        )))
    }
}

/// Builds a list, set or tuple (or, at a dynamic position, a tuple of inferred types).
struct SeqBuilder<'t> {
    ty: &'t Type,
    items: Vec<Value>,
}

impl<'t> SeqBuilder<'t> {
    fn start(ty: &'t Type) -> Result<SeqBuilder<'t>, Error> {
        match ty {
            Type::List(_) | Type::Set(_) | Type::Tuple(_) | Type::Dynamic => Ok(SeqBuilder {
                ty,
                items: Vec::new(),
            }),
            _ => Err(kind_mismatch(ty, "a sequence")),
        }
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let index = self.items.len();
        let element_ty = match self.ty {
            Type::List(e) | Type::Set(e) => e,
            Type::Tuple(elements) => elements
                .get(index)
                .ok_or_else(|| Error::new(tuple_length_mismatch(elements.len(), "more")))?,
            _ => &Type::Dynamic,
        };
        let item = value
            .serialize(TypedSerializer { ty: element_ty })
            .map_err(|e| e.within(PathStep::Index(index)))?;
        self.items.push(item);
        Ok(())
    }

    fn finish(self) -> Result<Value, Error> {
        match self.ty {
            Type::List(_) => Ok(Value::List(self.items)),
            Type::Set(_) => Ok(Value::Set(self.items)),
            Type::Tuple(elements) => {
                if elements.len() != self.items.len() {
                    let message = tuple_length_mismatch(elements.len(), self.items.len());
                    return Err(Error::new(message));
                }
                Ok(Value::Tuple(self.items))
            }
            _ => {
                let (types, items): (Vec<Type>, Vec<Value>) =
                    self.items.into_iter().map(split_dynamic).unzip();
                Ok(at_dynamic(Type::Tuple(types), Value::Tuple(items)))
            }
        }
    }
}

/// Sequences, tuples and tuple structs all become lists or tuples through [`SeqBuilder`];
/// serde names the element method differently for each.
macro_rules! seq_builder_impls {
    ($($serialize:ident::$element:ident)*) => {$(
        impl ser::$serialize for SeqBuilder<'_> {
            type Ok = Value;
            type Error = Error;
            fn $element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.push(value)
            }
            fn end(self) -> Result<Value, Error> {
                self.finish()
            }
        }
    )*};
}

seq_builder_impls!(SerializeSeq::serialize_element SerializeTuple::serialize_element
    SerializeTupleStruct::serialize_field);

/// Builds an object (every attribute present, missing ones null), a map, or at a dynamic
/// position an object of inferred attribute types.
struct ObjectBuilder<'t> {
    ty: &'t Type,
    entries: BTreeMap<String, Value>,
    pending_key: Option<String>,
}

impl<'t> ObjectBuilder<'t> {
    fn start(ty: &'t Type, got: &str) -> Result<ObjectBuilder<'t>, Error> {
        match ty {
            Type::Object(_) | Type::Map(_) | Type::Dynamic => Ok(ObjectBuilder {
                ty,
                entries: BTreeMap::new(),
                pending_key: None,
            }),
            _ => Err(kind_mismatch(ty, got)),
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), Error> {
        let (value_ty, step) = match self.ty {
            Type::Object(attributes) => match attributes.get(&key) {
                Some(attr_ty) => (attr_ty, PathStep::Attr(key.clone())),
                None => {
                    return Err(Error::new(format!(
                        "field {key:?} is not an attribute of {}",
                        self.ty
                    )));
                }
            },
            Type::Map(element) => (&**element, PathStep::Key(key.clone())),
            _ => (&Type::Dynamic, PathStep::Attr(key.clone())),
        };
        let item = value
            .serialize(TypedSerializer { ty: value_ty })
            .map_err(|e| e.within(step))?;
        self.entries.insert(key, item);
        Ok(())
    }

    fn finish(mut self) -> Result<Value, Error> {
        match self.ty {
            Type::Object(attributes) => {
                for name in attributes.keys() {
                    self.entries.entry(name.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(self.entries))
            }
            Type::Map(_) => Ok(Value::Map(self.entries)),
            _ => {
                let mut types = BTreeMap::new();
                let mut values = BTreeMap::new();
                for (name, item) in self.entries {
                    let (ty, bare) = split_dynamic(item);
                    types.insert(name.clone(), ty);
                    values.insert(name, bare);
                }
                Ok(at_dynamic(Type::Object(types), Value::Object(values)))
            }
        }
    }
}

impl ser::SerializeMap for ObjectBuilder<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.pending_key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .pending_key
            .take()
            .ok_or_else(|| Error::new("map value serialized before its key"))?;
        self.field(key, value)
    }
    fn end(self) -> Result<Value, Error> {
        self.finish()
    }
}

impl ser::SerializeStruct for ObjectBuilder<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key.to_owned(), value)
    }
    fn end(self) -> Result<Value, Error> {
        self.finish()
    }
}

/// Map keys are strings in cty; accept the scalar key types Rust maps commonly use.
struct KeySerializer;

fn key_error() -> Error {
    Error::new("map keys must be strings (or scalars that print as strings)")
}

macro_rules! key_to_string {
    ($($method:ident: $t:ty)*) => {$(
        fn $method(self, v: $t) -> Result<String, Error> {
            Ok(v.to_string())
        }
    )*};
}

impl Serializer for KeySerializer {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = ser::Impossible<String, Error>;
    type SerializeTuple = ser::Impossible<String, Error>;
    type SerializeTupleStruct = ser::Impossible<String, Error>;
    type SerializeTupleVariant = ser::Impossible<String, Error>;
    type SerializeMap = ser::Impossible<String, Error>;
    type SerializeStruct = ser::Impossible<String, Error>;
    type SerializeStructVariant = ser::Impossible<String, Error>;

    key_to_string!(serialize_bool: bool serialize_i8: i8 serialize_i16: i16 serialize_i32: i32
        serialize_i64: i64 serialize_i128: i128 serialize_u8: u8 serialize_u16: u16
        serialize_u32: u32 serialize_u64: u64 serialize_u128: u128 serialize_char: char
        serialize_str: &str);

    fn serialize_f32(self, _v: f32) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_f64(self, _v: f64) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<String, Error> {
        String::from_utf8(v.to_vec()).map_err(|_| key_error())
    }
    fn serialize_none(self) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_error())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_error())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_error())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_error())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_error())
    }
}

#[cfg(test)]
mod tests;
