//! msgpack codec: Terraform's wire format for DynamicValue.
//!
//! Terraform always sends msgpack and expects it back, and the layout is go-cty's
//! (`cty/msgpack`): nil is null at any type, extension values are unknowns (type 12 carries
//! refinements), objects are maps holding exactly their attributes, and values at `dynamic`
//! positions travel as `[type JSON, value]`. The reader and writer are hand-rolled rather
//! than built on a generic msgpack crate because decoding is type-directed (the schema, not
//! the bytes, says whether an array is a list, set or tuple) and must stay safe on hostile
//! bytes: nesting is bounded by [`MAX_DEPTH`] and no length prefix is trusted for allocation.

use std::collections::BTreeMap;

use super::{
    DecodeError, EncodeError, MAX_DEPTH, Number, PathStep, Refinements, Type, Value,
    check_encode_depth, describe_attribute_mismatch, tuple_length_mismatch,
};

/// Extension type of a refined unknown; any other extension type is a plain unknown.
const EXT_REFINED_UNKNOWN: i8 = 12;
/// go-cty refuses larger refinement payloads; so do we, both ways.
const MAX_REFINEMENT_PAYLOAD: usize = 1024;
/// Longest string-prefix refinement written, leaving room in the payload for the rest.
const MAX_STRING_PREFIX: usize = 256;

/// The bytes of a plain unknown: fixext1, type 0, one zero byte.
pub const UNKNOWN_BYTES: [u8; 3] = [0xd4, 0, 0];

const REFINE_NULLNESS: u64 = 1;
const REFINE_STRING_PREFIX: u64 = 2;
const REFINE_NUMBER_LOWER: u64 = 3;
const REFINE_NUMBER_UPPER: u64 = 4;
const REFINE_LENGTH_MIN: u64 = 5;
const REFINE_LENGTH_MAX: u64 = 6;

/// Decodes one msgpack value of type `ty`; the whole input must be that one value.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let mut reader = Reader { buf: bytes, pos: 0 };
    let value = reader.value(ty, 0)?;
    if reader.pos != bytes.len() {
        return Err(DecodeError::new(format!(
            "{} unexpected bytes after the value",
            bytes.len() - reader.pos
        )));
    }
    Ok(value)
}

/// Encodes `value` as type `ty`. The value must conform to the type; objects must hold
/// exactly the type's attributes.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(64);
    write_value(&mut out, value, ty, 0)?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Decoding

/// The shape of the next item, from its first byte(s).
enum Head {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    F32(f32),
    F64(f64),
    Str(usize),
    Bin(usize),
    Array(usize),
    Map(usize),
    Ext { ext_type: i8, len: usize },
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn err(&self, message: impl Into<String>) -> DecodeError {
        DecodeError::new(message)
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(self.err("unexpected end of msgpack data"));
        }
        let slice = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn len16(&mut self) -> Result<usize, DecodeError> {
        Ok(usize::from(u16::from_be_bytes(self.be()?)))
    }

    fn len32(&mut self) -> Result<usize, DecodeError> {
        usize::try_from(u32::from_be_bytes(self.be()?))
            .map_err(|_| self.err("length does not fit this platform"))
    }

    fn peek(&self) -> Result<u8, DecodeError> {
        self.buf
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.err("unexpected end of msgpack data"))
    }

    fn head(&mut self) -> Result<Head, DecodeError> {
        let marker = self.u8()?;
        let head = match marker {
            0x00..=0x7f => Head::Int(i64::from(marker)),
            0x80..=0x8f => Head::Map(usize::from(marker & 0x0f)),
            0x90..=0x9f => Head::Array(usize::from(marker & 0x0f)),
            0xa0..=0xbf => Head::Str(usize::from(marker & 0x1f)),
            0xc0 => Head::Nil,
            0xc1 => return Err(self.err("invalid msgpack marker 0xc1")),
            0xc2 => Head::Bool(false),
            0xc3 => Head::Bool(true),
            0xc4 => Head::Bin(usize::from(self.u8()?)),
            0xc5 => Head::Bin(self.len16()?),
            0xc6 => Head::Bin(self.len32()?),
            0xc7 => {
                let len = usize::from(self.u8()?);
                Head::Ext {
                    ext_type: self.u8()? as i8,
                    len,
                }
            }
            0xc8 => {
                let len = self.len16()?;
                Head::Ext {
                    ext_type: self.u8()? as i8,
                    len,
                }
            }
            0xc9 => {
                let len = self.len32()?;
                Head::Ext {
                    ext_type: self.u8()? as i8,
                    len,
                }
            }
            0xca => Head::F32(f32::from_be_bytes(self.be()?)),
            0xcb => Head::F64(f64::from_be_bytes(self.be()?)),
            0xcc => Head::Uint(u64::from(self.u8()?)),
            0xcd => Head::Uint(u64::from(u16::from_be_bytes(self.be()?))),
            0xce => Head::Uint(u64::from(u32::from_be_bytes(self.be()?))),
            0xcf => Head::Uint(u64::from_be_bytes(self.be()?)),
            0xd0 => Head::Int(i64::from(self.u8()? as i8)),
            0xd1 => Head::Int(i64::from(i16::from_be_bytes(self.be()?))),
            0xd2 => Head::Int(i64::from(i32::from_be_bytes(self.be()?))),
            0xd3 => Head::Int(i64::from_be_bytes(self.be()?)),
            0xd4..=0xd8 => Head::Ext {
                ext_type: self.u8()? as i8,
                len: 1 << (marker - 0xd4),
            },
            0xd9 => Head::Str(usize::from(self.u8()?)),
            0xda => Head::Str(self.len16()?),
            0xdb => Head::Str(self.len32()?),
            0xdc => Head::Array(self.len16()?),
            0xdd => Head::Array(self.len32()?),
            0xde => Head::Map(self.len16()?),
            0xdf => Head::Map(self.len32()?),
            0xe0..=0xff => Head::Int(i64::from(marker as i8)),
        };
        // Every element or entry takes at least one byte, so a count larger than what is
        // left is a lie: reject it before anyone allocates for it.
        match head {
            Head::Array(n) if n > self.remaining() => Err(self.err("array length exceeds input")),
            Head::Map(n) if n > self.remaining() / 2 => Err(self.err("map length exceeds input")),
            _ => Ok(head),
        }
    }

    fn utf8(&mut self, len: usize) -> Result<String, DecodeError> {
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| self.err("string is not valid UTF-8"))
    }

    /// A string (str or bin, as go-cty accepts both).
    fn string(&mut self, what: &str) -> Result<String, DecodeError> {
        match self.head()? {
            Head::Str(len) | Head::Bin(len) => self.utf8(len),
            _ => Err(self.err(format!("{what} must be a string"))),
        }
    }

    fn number(&mut self) -> Result<Number, DecodeError> {
        match self.head()? {
            Head::Int(i) => Ok(Number::from_i64(i)),
            Head::Uint(u) => Ok(Number::from_u64(u)),
            Head::F32(f) => finite(f64::from(f)).ok_or_else(|| self.err("number is not finite")),
            Head::F64(f) => finite(f).ok_or_else(|| self.err("number is not finite")),
            Head::Str(len) | Head::Bin(len) => {
                let text = self.utf8(len)?;
                text.parse()
                    .map_err(|e: super::ParseNumberError| self.err(e.to_string()))
            }
            _ => Err(self.err("a number is required")),
        }
    }

    fn skip(&mut self, depth: usize) -> Result<(), DecodeError> {
        if depth > MAX_DEPTH {
            return Err(self.err("msgpack data is nested too deeply"));
        }
        match self.head()? {
            Head::Str(len) | Head::Bin(len) | Head::Ext { len, .. } => {
                self.take(len)?;
            }
            Head::Array(n) => {
                for _ in 0..n {
                    self.skip(depth + 1)?;
                }
            }
            Head::Map(n) => {
                for _ in 0..n * 2 {
                    self.skip(depth + 1)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Dispatches on the type. Each kind lives in its own small function so that the frames
    /// on the recursive path stay small (deep but legal input must not exhaust the stack
    /// before [`MAX_DEPTH`] stops it, even in debug builds).
    fn value(&mut self, ty: &Type, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(self.err("value is nested too deeply"));
        }
        let marker = self.peek()?;
        if matches!(marker, 0xc7..=0xc9 | 0xd4..=0xd8) {
            return self.unknown(ty);
        }
        if ty.is_dynamic() {
            return self.dynamic(depth);
        }
        if marker == 0xc0 {
            self.pos += 1;
            return Ok(Value::Null);
        }
        match ty {
            Type::String => self.string("a string value").map(Value::String),
            Type::Number => self.number().map(Value::Number),
            Type::Bool => self.bool(),
            Type::List(element) => self.sequence(element, depth).map(Value::List),
            Type::Set(element) => self.sequence(element, depth).map(Value::Set),
            Type::Tuple(elements) => self.tuple(elements, depth),
            Type::Map(element) => self.map(element, depth),
            Type::Object(attributes) => self.object(attributes, depth),
            Type::Dynamic => self.dynamic(depth),
        }
    }

    fn bool(&mut self) -> Result<Value, DecodeError> {
        match self.head()? {
            Head::Bool(b) => Ok(Value::Bool(b)),
            _ => Err(self.err("a bool is required")),
        }
    }

    #[inline(never)]
    fn sequence(&mut self, element: &Type, depth: usize) -> Result<Vec<Value>, DecodeError> {
        let Head::Array(len) = self.head()? else {
            return Err(self.err("a list or set (array) is required"));
        };
        let mut items = Vec::with_capacity(len);
        for index in 0..len {
            items.push(
                self.value(element, depth + 1)
                    .map_err(|e| e.within(PathStep::Index(index)))?,
            );
        }
        Ok(items)
    }

    #[inline(never)]
    fn tuple(&mut self, elements: &[Type], depth: usize) -> Result<Value, DecodeError> {
        let Head::Array(len) = self.head()? else {
            return Err(self.err("a tuple (array) is required"));
        };
        if len != elements.len() {
            return Err(self.err(tuple_length_mismatch(elements.len(), len)));
        }
        let mut items = Vec::with_capacity(len);
        for (index, element) in elements.iter().enumerate() {
            items.push(
                self.value(element, depth + 1)
                    .map_err(|e| e.within(PathStep::Index(index)))?,
            );
        }
        Ok(Value::Tuple(items))
    }

    #[inline(never)]
    fn map(&mut self, element: &Type, depth: usize) -> Result<Value, DecodeError> {
        let Head::Map(len) = self.head()? else {
            return Err(self.err("a map is required"));
        };
        let mut entries = BTreeMap::new();
        for _ in 0..len {
            let key = self.string("a map key")?;
            let item = self
                .value(element, depth + 1)
                .map_err(|e| e.within(PathStep::Key(key.clone())))?;
            if entries.insert(key.clone(), item).is_some() {
                return Err(self.err(format!("duplicate map key {key:?}")));
            }
        }
        Ok(Value::Map(entries))
    }

    #[inline(never)]
    fn object(
        &mut self,
        attributes: &BTreeMap<String, Type>,
        depth: usize,
    ) -> Result<Value, DecodeError> {
        let Head::Map(len) = self.head()? else {
            return Err(self.err("an object (map) is required"));
        };
        let mut values = BTreeMap::new();
        let mut extra = Vec::new();
        for _ in 0..len {
            let name = self.string("an attribute name")?;
            match attributes.get(&name) {
                Some(attr_ty) => {
                    let item = self
                        .value(attr_ty, depth + 1)
                        .map_err(|e| e.within(PathStep::Attr(name.clone())))?;
                    if values.insert(name.clone(), item).is_some() {
                        return Err(self.err(format!("duplicate attribute {name:?}")));
                    }
                }
                None => {
                    self.skip(depth + 1)?;
                    extra.push(name);
                }
            }
        }
        if values.len() != attributes.len() || !extra.is_empty() {
            let missing: Vec<&str> = attributes
                .keys()
                .filter(|name| !values.contains_key(*name))
                .map(String::as_str)
                .collect();
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            return Err(self.err(describe_attribute_mismatch(&missing, &extra)));
        }
        Ok(Value::Object(values))
    }

    /// `[type JSON, value]`, or nil for an untyped null.
    #[inline(never)]
    fn dynamic(&mut self, depth: usize) -> Result<Value, DecodeError> {
        match self.head()? {
            Head::Nil => Ok(Value::Null),
            Head::Array(2) => {
                let type_json = match self.head()? {
                    Head::Str(len) | Head::Bin(len) => self.take(len)?,
                    _ => return Err(self.err("dynamic value type must be JSON bytes")),
                };
                let ty = Type::from_json(type_json).map_err(|e| self.err(e.to_string()))?;
                let inner = self.value(&ty, depth + 1)?;
                if ty.is_dynamic() {
                    // A dynamic-typed wrapper adds nothing: the inner value is itself an
                    // (untyped) dynamic-position value.
                    Ok(inner)
                } else {
                    Ok(Value::Dynamic(ty, Box::new(inner)))
                }
            }
            _ => Err(self.err("a dynamic value must be a [type, value] array")),
        }
    }

    #[inline(never)]
    fn unknown(&mut self, ty: &Type) -> Result<Value, DecodeError> {
        let Head::Ext { ext_type, len } = self.head()? else {
            return Err(self.err("an extension value is required"));
        };
        let payload = self.take(len)?;
        // Payloads of 0 or 1 byte are plain unknowns whatever the type code; so is any
        // extension other than 12, and any unknown at a dynamic position.
        if ext_type != EXT_REFINED_UNKNOWN || len <= 1 || ty.is_dynamic() {
            return Ok(Value::unknown());
        }
        if len > MAX_REFINEMENT_PAYLOAD {
            return Err(self.err("unknown value refinement is too large"));
        }
        let refinements = parse_refinements(payload, ty)?;
        Ok(Value::unknown_refined(refinements))
    }
}

/// A float64 on the wire is read exactly: senders (go-cty, and this codec) only use it when
/// it is exact, and `2^80` must not come back as `1208925819614629200000000`.
fn finite(f: f64) -> Option<Number> {
    Number::from_f64_exact(f)
}

/// Reads a refinement map. Unknown keys are skipped (future refinements); keys that cannot
/// apply to `ty` are dropped, so a value always carries only refinements its type allows.
fn parse_refinements(payload: &[u8], ty: &Type) -> Result<Refinements, DecodeError> {
    let malformed =
        |what: &str| DecodeError::new(format!("malformed unknown value refinement: {what}"));
    let mut reader = Reader {
        buf: payload,
        pos: 0,
    };
    let Head::Map(entries) = reader.head()? else {
        return Err(malformed("not a map"));
    };
    let mut refinements = Refinements::default();
    for _ in 0..entries {
        let key = match reader.head()? {
            Head::Int(i) => u64::try_from(i).unwrap_or(u64::MAX),
            Head::Uint(u) => u,
            _ => return Err(malformed("non-integer key")),
        };
        match key {
            REFINE_NULLNESS => match reader.head()? {
                Head::Bool(b) => refinements.nullable = Some(b),
                _ => return Err(malformed("nullness is not a bool")),
            },
            REFINE_STRING_PREFIX => {
                let prefix = reader.string("a string prefix")?;
                if *ty == Type::String && !prefix.is_empty() {
                    refinements.string_prefix = Some(prefix);
                }
            }
            REFINE_NUMBER_LOWER | REFINE_NUMBER_UPPER => {
                if !matches!(reader.head()?, Head::Array(2)) {
                    return Err(malformed("number bound is not a [number, bool] array"));
                }
                let bound = reader.number()?;
                let Head::Bool(inclusive) = reader.head()? else {
                    return Err(malformed("number bound inclusiveness is not a bool"));
                };
                if *ty == Type::Number {
                    if key == REFINE_NUMBER_LOWER {
                        refinements.number_lower = Some((bound, inclusive));
                    } else {
                        refinements.number_upper = Some((bound, inclusive));
                    }
                }
            }
            REFINE_LENGTH_MIN | REFINE_LENGTH_MAX => {
                let length = match reader.head()? {
                    Head::Int(i) => u64::try_from(i).map_err(|_| malformed("negative length"))?,
                    Head::Uint(u) => u,
                    _ => return Err(malformed("length bound is not an integer")),
                };
                if ty.is_collection() {
                    if key == REFINE_LENGTH_MIN {
                        refinements.length_min = Some(length);
                    } else {
                        refinements.length_max = Some(length);
                    }
                }
            }
            _ => reader.skip(1)?,
        }
    }
    // Trailing payload bytes are ignored on purpose, as go-cty does (room for padding).
    Ok(refinements)
}

// ---------------------------------------------------------------------------------------
// Encoding

fn write_value(
    out: &mut Vec<u8>,
    value: &Value,
    ty: &Type,
    depth: usize,
) -> Result<(), EncodeError> {
    check_encode_depth(depth)?;
    if let Type::Dynamic = ty {
        return write_dynamic(out, value, depth);
    }
    match (ty, value) {
        (_, Value::Null) => out.push(0xc0),
        (_, Value::Unknown(refinements)) => write_unknown(out, refinements, ty),
        // A wrapper carrying exactly the expected type is harmless: unwrap it.
        (_, Value::Dynamic(inner_ty, inner)) if inner_ty == ty => {
            write_value(out, inner, ty, depth + 1)?
        }
        (Type::String, Value::String(s)) => write_str(out, s),
        (Type::Number, Value::Number(n)) => write_number(out, n),
        (Type::Bool, Value::Bool(b)) => out.push(if *b { 0xc3 } else { 0xc2 }),
        (Type::List(element), Value::List(items)) | (Type::Set(element), Value::Set(items)) => {
            write_array_len(out, items.len());
            for (index, item) in items.iter().enumerate() {
                write_value(out, item, element, depth + 1)
                    .map_err(|e| e.within(PathStep::Index(index)))?;
            }
        }
        (Type::Tuple(elements), Value::Tuple(items)) => {
            if elements.len() != items.len() {
                let message = tuple_length_mismatch(elements.len(), items.len());
                return Err(EncodeError::new(message));
            }
            write_array_len(out, items.len());
            for (index, (item, element)) in items.iter().zip(elements).enumerate() {
                write_value(out, item, element, depth + 1)
                    .map_err(|e| e.within(PathStep::Index(index)))?;
            }
        }
        (Type::Map(element), Value::Map(entries)) => {
            write_map_len(out, entries.len());
            for (key, item) in entries {
                write_str(out, key);
                write_value(out, item, element, depth + 1)
                    .map_err(|e| e.within(PathStep::Key(key.clone())))?;
            }
        }
        (Type::Object(attributes), Value::Object(values)) => {
            check_attributes(attributes, values)?;
            write_map_len(out, attributes.len());
            for ((name, attr_ty), item) in attributes.iter().zip(values.values()) {
                write_str(out, name);
                write_value(out, item, attr_ty, depth + 1)
                    .map_err(|e| e.within(PathStep::Attr(name.clone())))?;
            }
        }
        _ => return Err(type_mismatch(value, ty)),
    }
    Ok(())
}

pub(crate) fn type_mismatch(value: &Value, ty: &Type) -> EncodeError {
    EncodeError::new(format!(
        "a {ty} value is required, got {}",
        value_kind(value)
    ))
}

pub(crate) fn value_kind(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Unknown(_) => "unknown".to_owned(),
        Value::Bool(_) => "bool".to_owned(),
        Value::Number(_) => "number".to_owned(),
        Value::String(_) => "string".to_owned(),
        Value::List(_) => "list".to_owned(),
        Value::Set(_) => "set".to_owned(),
        Value::Tuple(_) => "tuple".to_owned(),
        Value::Map(_) => "map".to_owned(),
        Value::Object(_) => "object".to_owned(),
        Value::Dynamic(ty, _) => format!("dynamic value of type {ty}"),
    }
}

/// Objects must hold exactly their type's attributes (both maps are sorted by name).
pub(crate) fn check_attributes(
    attributes: &BTreeMap<String, Type>,
    values: &BTreeMap<String, Value>,
) -> Result<(), EncodeError> {
    if attributes.len() == values.len() && attributes.keys().eq(values.keys()) {
        return Ok(());
    }
    let missing: Vec<&str> = attributes
        .keys()
        .filter(|name| !values.contains_key(*name))
        .map(String::as_str)
        .collect();
    let extra: Vec<&str> = values
        .keys()
        .filter(|name| !attributes.contains_key(*name))
        .map(String::as_str)
        .collect();
    Err(EncodeError::new(describe_attribute_mismatch(
        &missing, &extra,
    )))
}

/// The concrete type a value at a dynamic position travels with.
pub(crate) fn dynamic_parts(value: &Value) -> Result<(Type, &Value), EncodeError> {
    match value {
        Value::Dynamic(ty, inner) => Ok((ty.clone(), inner)),
        other => other.infer_type().map(|ty| (ty, other)).ok_or_else(|| {
            EncodeError::new("cannot infer a concrete type for a value at a dynamic position (collection elements disagree)")
        }),
    }
}

fn write_dynamic(out: &mut Vec<u8>, value: &Value, depth: usize) -> Result<(), EncodeError> {
    match value {
        Value::Null => out.push(0xc0),
        // go-cty never refines an unknown of dynamic type.
        Value::Unknown(_) => out.extend_from_slice(&UNKNOWN_BYTES),
        _ => {
            let (ty, inner) = dynamic_parts(value)?;
            if ty.is_dynamic() {
                return write_dynamic(out, inner, depth + 1);
            }
            write_array_len(out, 2);
            write_bin(out, ty.to_json_string().as_bytes());
            write_value(out, inner, &ty, depth + 1)?;
        }
    }
    Ok(())
}

fn write_unknown(out: &mut Vec<u8>, refinements: &Refinements, ty: &Type) {
    let mut payload = Vec::new();
    let mut entries = 0;
    if let Some(nullable) = refinements.nullable {
        entries += 1;
        write_uint(&mut payload, REFINE_NULLNESS);
        payload.push(if nullable { 0xc3 } else { 0xc2 });
    }
    match ty {
        Type::String => {
            if let Some(prefix) = refinements
                .string_prefix
                .as_deref()
                .filter(|p| !p.is_empty())
            {
                entries += 1;
                write_uint(&mut payload, REFINE_STRING_PREFIX);
                // A shorter prefix is still true, and keeps the payload under go-cty's limit.
                write_str(
                    &mut payload,
                    truncate_at_char_boundary(prefix, MAX_STRING_PREFIX),
                );
            }
        }
        Type::Number => {
            for (key, bound) in [
                (REFINE_NUMBER_LOWER, &refinements.number_lower),
                (REFINE_NUMBER_UPPER, &refinements.number_upper),
            ] {
                if let Some((number, inclusive)) = bound {
                    entries += 1;
                    write_uint(&mut payload, key);
                    write_array_len(&mut payload, 2);
                    write_number(&mut payload, number);
                    payload.push(if *inclusive { 0xc3 } else { 0xc2 });
                }
            }
        }
        Type::List(_) | Type::Set(_) | Type::Map(_) => {
            for (key, bound) in [
                (REFINE_LENGTH_MIN, refinements.length_min),
                (REFINE_LENGTH_MAX, refinements.length_max),
            ] {
                if let Some(length) = bound {
                    entries += 1;
                    write_uint(&mut payload, key);
                    write_uint(&mut payload, length);
                }
            }
        }
        _ => {}
    }
    if entries == 0 {
        out.extend_from_slice(&UNKNOWN_BYTES);
        return;
    }
    let mut body = Vec::with_capacity(payload.len() + 1);
    write_map_len(&mut body, entries);
    body.extend_from_slice(&payload);
    write_ext(out, EXT_REFINED_UNKNOWN, &body);
}

fn truncate_at_char_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

/// go-cty's choice: int when it fits, float64 when exact, decimal text otherwise.
fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(i) = n.as_i64() {
        write_int(out, i);
    } else if let Some(u) = n.as_u64() {
        write_uint(out, u);
    } else if let Some(f) = n.to_f64_exact() {
        out.push(0xcb);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        write_str(out, &n.to_string());
    }
}

fn write_int(out: &mut Vec<u8>, i: i64) {
    if i >= 0 {
        write_uint(out, i as u64);
    } else if i >= -32 {
        out.push(i as u8);
    } else if i >= i64::from(i8::MIN) {
        out.push(0xd0);
        out.push(i as u8);
    } else if i >= i64::from(i16::MIN) {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i >= i64::from(i32::MIN) {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

fn write_uint(out: &mut Vec<u8>, u: u64) {
    if u < 0x80 {
        out.push(u as u8);
    } else if u <= u64::from(u8::MAX) {
        out.push(0xcc);
        out.push(u as u8);
    } else if u <= u64::from(u16::MAX) {
        out.push(0xcd);
        out.extend_from_slice(&(u as u16).to_be_bytes());
    } else if u <= u64::from(u32::MAX) {
        out.push(0xce);
        out.extend_from_slice(&(u as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&u.to_be_bytes());
    }
}

/// Writes a length with the fix/16/32 marker triple; lengths beyond u32 cannot occur in a
/// value that fits in memory, so they saturate (and would fail to decode, not corrupt).
fn write_len(out: &mut Vec<u8>, len: usize, fix_marker: u8, fix_max: usize, m16: u8, m32: u8) {
    if len <= fix_max {
        out.push(fix_marker | len as u8);
    } else if len <= usize::from(u16::MAX) {
        out.push(m16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m32);
        out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let len = s.len();
    if len <= 31 {
        out.push(0xa0 | len as u8);
    } else if len <= usize::from(u8::MAX) {
        out.push(0xd9);
        out.push(len as u8);
    } else {
        write_len(out, len, 0, 0, 0xda, 0xdb);
    }
    out.extend_from_slice(s.as_bytes());
}

fn write_bin(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() <= usize::from(u8::MAX) {
        out.push(0xc4);
        out.push(bytes.len() as u8);
    } else {
        write_len(out, bytes.len(), 0, 0, 0xc5, 0xc6);
    }
    out.extend_from_slice(bytes);
}

fn write_array_len(out: &mut Vec<u8>, len: usize) {
    write_len(out, len, 0x90, 15, 0xdc, 0xdd);
}

fn write_map_len(out: &mut Vec<u8>, len: usize) {
    write_len(out, len, 0x80, 15, 0xde, 0xdf);
}

fn write_ext(out: &mut Vec<u8>, ext_type: i8, payload: &[u8]) {
    match payload.len() {
        1 => out.push(0xd4),
        2 => out.push(0xd5),
        4 => out.push(0xd6),
        8 => out.push(0xd7),
        16 => out.push(0xd8),
        len if len <= usize::from(u8::MAX) => {
            out.push(0xc7);
            out.push(len as u8);
        }
        len => write_len(out, len, 0, 0, 0xc8, 0xc9),
    }
    out.push(ext_type as u8);
    out.extend_from_slice(payload);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::test_support::obj;

    fn num(text: &str) -> Value {
        Value::Number(text.parse().unwrap())
    }

    #[test]
    fn unknown_is_fixext1_type0() {
        assert_eq!(
            encode(&Value::unknown(), &Type::String).unwrap(),
            [0xd4, 0, 0]
        );
        assert_eq!(
            encode(&Value::unknown(), &Type::Dynamic).unwrap(),
            [0xd4, 0, 0]
        );
        assert_eq!(
            decode(&[0xd4, 0, 0], &Type::list(Type::String)).unwrap(),
            Value::unknown()
        );
        // Any other extension type, and ext 12 with an empty payload, is a plain unknown.
        assert_eq!(
            decode(&[0xd5, 7, 1, 2], &Type::Number).unwrap(),
            Value::unknown()
        );
        assert_eq!(
            decode(&[0xc7, 0, 12], &Type::Number).unwrap(),
            Value::unknown()
        );
    }

    #[test]
    fn object_with_string_and_null() {
        let ty = Type::object([("a", Type::String), ("b", Type::String)]);
        let value = obj(&[("a", Value::String("x".into())), ("b", Value::Null)]);
        let bytes = [0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xc0];
        assert_eq!(encode(&value, &ty).unwrap(), bytes);
        assert_eq!(decode(&bytes, &ty).unwrap(), value);
    }

    #[test]
    fn object_attribute_mismatch_lists_names() {
        let ty = Type::object([("a", Type::String), ("b", Type::String)]);
        // {"a": "x", "c": 1}: b missing, c extra.
        let bytes = [0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'c', 0x01];
        let err = decode(&bytes, &ty).unwrap_err();
        assert_eq!(
            err.message,
            r#"object is missing attributes "b" and has unexpected attributes "c""#
        );
        let err = encode(&obj(&[("a", Value::Null)]), &ty).unwrap_err();
        assert_eq!(err.message, r#"object is missing attributes "b""#);
    }

    #[test]
    fn numbers_on_the_wire() {
        assert_eq!(encode(&num("5"), &Type::Number).unwrap(), [0x05]);
        assert_eq!(encode(&num("-1"), &Type::Number).unwrap(), [0xff]);
        assert_eq!(
            encode(&num("300"), &Type::Number).unwrap(),
            [0xcd, 0x01, 0x2c]
        );
        assert_eq!(
            encode(&num("-200"), &Type::Number).unwrap(),
            [0xd1, 0xff, 0x38]
        );
        assert_eq!(
            encode(&num("18446744073709551615"), &Type::Number).unwrap(),
            [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        let mut half = vec![0xcb];
        half.extend_from_slice(&0.5f64.to_be_bytes());
        assert_eq!(encode(&num("0.5"), &Type::Number).unwrap(), half);
        // 0.1 has no exact float64: it travels as decimal text, as do long integers.
        assert_eq!(
            encode(&num("0.1"), &Type::Number).unwrap(),
            [0xa3, b'0', b'.', b'1']
        );
        let big = "1208925819614629174706177";
        let mut expected = vec![0xa0 | big.len() as u8];
        expected.extend_from_slice(big.as_bytes());
        assert_eq!(encode(&num(big), &Type::Number).unwrap(), expected);
        // Decoding accepts every representation.
        assert_eq!(decode(&[0xd0, 0x9c], &Type::Number).unwrap(), num("-100"));
        assert_eq!(decode(&[0xcc, 0xff], &Type::Number).unwrap(), num("255"));
        let mut f32_bytes = vec![0xca];
        f32_bytes.extend_from_slice(&1.5f32.to_be_bytes());
        assert_eq!(decode(&f32_bytes, &Type::Number).unwrap(), num("1.5"));
        // float64 is read exactly: go-cty sends 2^80 this way.
        let mut f64_bytes = vec![0xcb];
        f64_bytes.extend_from_slice(&2f64.powi(80).to_be_bytes());
        assert_eq!(
            decode(&f64_bytes, &Type::Number).unwrap(),
            num("1208925819614629174706176")
        );
        assert_eq!(
            encode(&num("1208925819614629174706176"), &Type::Number).unwrap(),
            f64_bytes
        );
        let mut f64_bytes = vec![0xcb];
        f64_bytes.extend_from_slice(&0.1f64.to_be_bytes());
        assert_eq!(
            decode(&f64_bytes, &Type::Number).unwrap(),
            num("0.1000000000000000055511151231257827021181583404541015625")
        );
        assert_eq!(decode(&expected, &Type::Number).unwrap(), num(big));
        let mut inf = vec![0xcb];
        inf.extend_from_slice(&f64::INFINITY.to_be_bytes());
        assert!(decode(&inf, &Type::Number).is_err());
        assert!(decode(&[0xa1, b'x'], &Type::Number).is_err());
    }

    #[test]
    fn refined_unknowns() {
        let not_null_prefix = Value::unknown_refined(Refinements {
            nullable: Some(false),
            string_prefix: Some("ab".into()),
            ..Refinements::default()
        });
        // ext8 len 7 type 12, map of 2: {1: false, 2: "ab"}.
        let bytes = [0xc7, 7, 12, 0x82, 0x01, 0xc2, 0x02, 0xa2, b'a', b'b'];
        assert_eq!(encode(&not_null_prefix, &Type::String).unwrap(), bytes);
        assert_eq!(decode(&bytes, &Type::String).unwrap(), not_null_prefix);

        let ranged = Value::unknown_refined(Refinements {
            number_lower: Some((Number::from_i64(0), true)),
            number_upper: Some(("0.1".parse().unwrap(), false)),
            ..Refinements::default()
        });
        let bytes = encode(&ranged, &Type::Number).unwrap();
        assert_eq!(
            bytes,
            [
                0xc7, 12, 12, 0x82, 0x03, 0x92, 0x00, 0xc3, 0x04, 0x92, 0xa3, b'0', b'.', b'1',
                0xc2
            ]
        );
        assert_eq!(decode(&bytes, &Type::Number).unwrap(), ranged);

        let sized = Value::unknown_refined(Refinements {
            length_min: Some(1),
            length_max: Some(3),
            ..Refinements::default()
        });
        let bytes = encode(&sized, &Type::list(Type::String)).unwrap();
        assert_eq!(bytes, [0xc7, 5, 12, 0x82, 0x05, 0x01, 0x06, 0x03]);
        assert_eq!(decode(&bytes, &Type::list(Type::String)).unwrap(), sized);

        // Refinements that do not apply to the type are not written: plain unknown.
        assert_eq!(encode(&sized, &Type::String).unwrap(), UNKNOWN_BYTES);
        // Unknown keys are ignored, inapplicable ones dropped.
        let odd = [0xc7, 7, 12, 0x82, 0x09, 0x92, 0x01, 0x02, 0x05, 0x01];
        assert_eq!(decode(&odd, &Type::String).unwrap(), Value::unknown());
        assert_eq!(
            decode(&odd, &Type::set(Type::Bool)).unwrap(),
            Value::unknown_refined(Refinements {
                length_min: Some(1),
                ..Refinements::default()
            })
        );
        // Dynamic unknowns are never refined.
        let not_null = [0xc7, 3, 12, 0x81, 0x01, 0xc2];
        assert_eq!(decode(&not_null, &Type::Dynamic).unwrap(), Value::unknown());
    }

    #[test]
    fn dynamic_values() {
        let value = Value::Dynamic(Type::String, Box::new(Value::String("hi".into())));
        let mut expected = vec![0x92, 0xc4, 8];
        expected.extend_from_slice(br#""string""#);
        expected.extend_from_slice(&[0xa2, b'h', b'i']);
        assert_eq!(encode(&value, &Type::Dynamic).unwrap(), expected);
        assert_eq!(decode(&expected, &Type::Dynamic).unwrap(), value);
        // The type JSON may also arrive as str.
        expected[1] = 0xa8;
        expected.remove(2);
        assert_eq!(decode(&expected, &Type::Dynamic).unwrap(), value);
        assert_eq!(encode(&Value::Null, &Type::Dynamic).unwrap(), [0xc0]);
        assert_eq!(decode(&[0xc0], &Type::Dynamic).unwrap(), Value::Null);
        // A typed null keeps its type.
        let typed_null = Value::Dynamic(Type::Number, Box::new(Value::Null));
        let bytes = encode(&typed_null, &Type::Dynamic).unwrap();
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), typed_null);
        // Unwrapped values at a dynamic position get an inferred type.
        let bare = Value::List(vec![Value::Bool(true)]);
        let bytes = encode(&bare, &Type::Dynamic).unwrap();
        assert_eq!(
            decode(&bytes, &Type::Dynamic).unwrap(),
            Value::Dynamic(Type::list(Type::Bool), Box::new(bare))
        );
        let mixed = Value::List(vec![Value::Bool(true), Value::String("x".into())]);
        assert!(encode(&mixed, &Type::Dynamic).is_err());
    }

    #[test]
    fn collections() {
        let ty = Type::object([
            ("l", Type::list(Type::Number)),
            ("s", Type::set(Type::String)),
            ("m", Type::map(Type::Bool)),
            ("t", Type::tuple(vec![Type::String, Type::Number])),
        ]);
        // The same collections, with the set's elements in the order given.
        let with_set = |set: [&str; 2]| {
            obj(&[
                (
                    "l",
                    Value::List(vec![num("1"), Value::Null, Value::unknown()]),
                ),
                (
                    "s",
                    Value::Set(set.iter().map(|e| Value::String((*e).into())).collect()),
                ),
                (
                    "m",
                    Value::Map([("k".to_string(), Value::Bool(true))].into()),
                ),
                ("t", Value::Tuple(vec![Value::String("x".into()), num("2")])),
            ])
        };
        let value = with_set(["b", "a"]);
        let bytes = encode(&value, &ty).unwrap();
        assert_eq!(decode(&bytes, &ty).unwrap(), value);
        // Set equality ignores order.
        let reordered = with_set(["a", "b"]);
        assert_eq!(decode(&bytes, &ty).unwrap(), reordered);
        // Wrong shapes are rejected with a path.
        let err = encode(
            &obj(&[
                ("l", Value::List(vec![Value::String("no".into())])),
                ("s", Value::Set(vec![])),
                ("m", Value::Map(BTreeMap::new())),
                ("t", Value::Null),
            ]),
            &ty,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "l[0]: a number value is required, got string"
        );
    }

    #[test]
    fn hostile_input_is_rejected_not_obeyed() {
        let ty = Type::list(Type::String);
        // array32 claiming 4 billion elements with nothing behind it.
        assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff], &ty).is_err());
        // map32 claiming huge size.
        assert!(decode(&[0xdf, 0xff, 0xff, 0xff, 0xff], &Type::map(Type::String)).is_err());
        // str32 longer than the input.
        assert!(decode(&[0xdb, 0, 0, 1, 0, b'a'], &Type::String).is_err());
        // Deeply nested dynamic values stop at the depth limit instead of the stack.
        let mut deep = Vec::new();
        for _ in 0..10_000 {
            deep.extend_from_slice(&[0x92, 0xc4, 9]);
            deep.extend_from_slice(br#""dynamic""#);
        }
        deep.push(0xc0);
        let err = decode(&deep, &Type::Dynamic).unwrap_err();
        assert!(err.message.contains("nested too deeply"), "{err}");
        // Invalid UTF-8, trailing bytes, truncated input, reserved marker.
        assert!(decode(&[0xa1, 0xff], &Type::String).is_err());
        assert!(decode(&[0xc0, 0xc0], &Type::String).is_err());
        assert!(decode(&[], &Type::String).is_err());
        assert!(decode(&[0xc1], &Type::String).is_err());
        // Oversized refinement payload.
        let mut big = vec![0xc9, 0, 0, 0x08, 0x00, 12, 0x81, 0x02, 0xda, 0x07, 0xfb];
        big.extend(std::iter::repeat_n(b'a', 0x7fb));
        assert!(decode(&big, &Type::String).is_err());
    }

    #[test]
    fn long_lengths_use_wide_markers() {
        let long = "x".repeat(300);
        let bytes = encode(&Value::String(long.clone()), &Type::String).unwrap();
        assert_eq!(&bytes[..3], &[0xda, 0x01, 0x2c]);
        assert_eq!(decode(&bytes, &Type::String).unwrap(), Value::String(long));
        let items = vec![Value::Bool(false); 20];
        let bytes = encode(&Value::List(items.clone()), &Type::list(Type::Bool)).unwrap();
        assert_eq!(&bytes[..3], &[0xdc, 0x00, 20]);
        assert_eq!(
            decode(&bytes, &Type::list(Type::Bool)).unwrap(),
            Value::List(items)
        );
    }
}
