//! JSON codec (state, RawState, provider-defined JSON payloads).
//!
//! Terraform stores state as JSON (go-cty `cty/json`) and hands it back in
//! `UpgradeResourceState.raw_state`; provider meta may also arrive as JSON. The layout mirrors
//! msgpack: objects hold attributes by name, dynamic positions are `{"type":…,"value":…}`, and
//! there are no unknowns. Numbers are the reason for a hand-written parser: serde_json is built
//! here without `arbitrary_precision`, so it would round `2^80 + 1` or
//! `0.1000000000000000000001` through `f64` and the provider would then report a change that
//! never happened. This parser keeps each number's text and hands it to [`Number`].
//!
//! Decoding follows go-cty's leniencies (a number may arrive as a JSON string, a string as a
//! number or bool, a bool as `"true"`/`"false"`; missing object attributes are null) so that
//! any state Terraform wrote reads back.

use std::collections::BTreeMap;
use std::iter;

use super::msgpack::{check_attributes, dynamic_parts, type_mismatch};
use super::{
    DecodeError, EncodeError, MAX_DEPTH, Number, PathStep, Type, Value, check_encode_depth,
    tuple_length_mismatch,
};

/// Decodes a JSON document as type `ty`. Objects must not carry attributes their type lacks;
/// attributes they lack are null.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let json = parse(bytes)?;
    convert(json, ty, false)
}

/// Like [`decode`], but attributes the type does not know are dropped at every level. Used
/// for RawState: Terraform strips removed attributes only when the schema version is
/// unchanged, so a state upgrader must tolerate leftovers of older schemas.
pub fn decode_object_lenient(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let json = parse(bytes)?;
    convert(json, ty, true)
}

/// Encodes a wholly known value as compact JSON.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let mut out = String::with_capacity(64);
    write_value(&mut out, value, ty, 0)?;
    Ok(out.into_bytes())
}

// ---------------------------------------------------------------------------------------
// Parsing: JSON text to a tree that keeps numbers as text.

enum Json {
    Null,
    Bool(bool),
    /// The number exactly as written (already checked against the JSON grammar).
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in document order; duplicates are rejected during conversion.
    Object(Vec<(String, Json)>),
}

fn parse(bytes: &[u8]) -> Result<Json, DecodeError> {
    // JSON text is UTF-8; checking once up front lets string scanning copy raw byte runs.
    if std::str::from_utf8(bytes).is_err() {
        return Err(DecodeError::new("JSON text is not valid UTF-8"));
    }
    let mut parser = Parser { s: bytes, pos: 0 };
    parser.skip_ws();
    let value = parser.value(0)?;
    parser.skip_ws();
    if parser.pos != bytes.len() {
        return Err(parser.err("unexpected text after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, message: &str) -> DecodeError {
        DecodeError::new(format!("invalid JSON at byte {}: {message}", self.pos))
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn expect_literal(&mut self, literal: &[u8]) -> Result<(), DecodeError> {
        if self.s[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            Ok(())
        } else {
            Err(self.err("unexpected token"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'n') => self.expect_literal(b"null").map(|()| Json::Null),
            Some(b't') => self.expect_literal(b"true").map(|()| Json::Bool(true)),
            Some(b'f') => self.expect_literal(b"false").map(|()| Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            Some(b'[') => self.array(depth),
            Some(b'{') => self.object(depth),
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    #[inline(never)]
    fn array(&mut self, depth: usize) -> Result<Json, DecodeError> {
        self.delimited(b']', "expected ',' or ']'", |p| p.value(depth + 1))
            .map(Json::Array)
    }

    #[inline(never)]
    fn object(&mut self, depth: usize) -> Result<Json, DecodeError> {
        self.delimited(b'}', "expected ',' or '}'", |p| p.member(depth))
            .map(Json::Object)
    }

    /// The elements of an array or the members of an object, from its opening bracket: each
    /// read by `element`, separated by commas, up to `close`; `unclosed` is the error when
    /// neither follows an element.
    fn delimited<T>(
        &mut self,
        close: u8,
        unclosed: &str,
        mut element: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            self.skip_ws();
            items.push(element(self)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return Err(self.err(unclosed)),
            }
        }
    }

    /// One `"name": value` member of an object.
    fn member(&mut self, depth: usize) -> Result<(String, Json), DecodeError> {
        if self.peek() != Some(b'"') {
            return Err(self.err("expected a member name"));
        }
        let name = self.string()?;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(self.err("expected ':'"));
        }
        self.pos += 1;
        self.skip_ws();
        Ok((name, self.value(depth + 1)?))
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<String, DecodeError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        // The grammar above only admits ASCII, so this slice is valid UTF-8.
        Ok(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    fn hex4(&mut self) -> Result<u32, DecodeError> {
        let Some(chunk) = self.s.get(self.pos..self.pos + 4) else {
            return Err(self.err("truncated \\u escape"));
        };
        let mut code = 0;
        for &b in chunk {
            let digit = char::from(b)
                .to_digit(16)
                .ok_or_else(|| self.err("invalid \\u escape"))?;
            code = code * 16 + digit;
        }
        self.pos += 4;
        Ok(code)
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        self.pos += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let run_start = self.pos;
            while let Some(&b) = self.s.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.extend_from_slice(&self.s[run_start..self.pos]);
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    // Raw runs come from valid UTF-8 split at ASCII bytes, escapes are
                    // encoded from chars: the result is valid UTF-8.
                    return String::from_utf8(out).map_err(|_| self.err("invalid UTF-8 in string"));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = self.peek().ok_or_else(|| self.err("unterminated escape"))?;
                    self.pos += 1;
                    let ch = match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.err("invalid escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                Some(_) => return Err(self.err("control character in string")),
            }
        }
    }

    fn unicode_escape(&mut self) -> Result<char, DecodeError> {
        let first = self.hex4()?;
        let code = if (0xd800..0xdc00).contains(&first) {
            if !self.s[self.pos..].starts_with(b"\\u") {
                return Err(self.err("unpaired surrogate in \\u escape"));
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xdc00..0xe000).contains(&second) {
                return Err(self.err("unpaired surrogate in \\u escape"));
            }
            0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.err("unpaired surrogate in \\u escape"))
    }
}

// ---------------------------------------------------------------------------------------
// Conversion: tree to typed value.

fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn mismatch(expected: &str, json: &Json) -> DecodeError {
    DecodeError::new(format!(
        "{expected} is required, got JSON {}",
        json_kind(json)
    ))
}

/// Recursion follows the parsed tree, whose depth the parser already bounded. Each kind has
/// its own function to keep the frames on the recursive path small.
fn convert(json: Json, ty: &Type, lenient: bool) -> Result<Value, DecodeError> {
    if let Json::Null = json {
        return Ok(Value::Null);
    }
    match ty {
        Type::Dynamic => convert_dynamic(json, lenient),
        Type::String | Type::Number | Type::Bool => convert_primitive(json, ty),
        Type::List(element) => convert_sequence(json, element, lenient).map(Value::List),
        Type::Set(element) => convert_sequence(json, element, lenient).map(Value::Set),
        Type::Tuple(elements) => convert_tuple(json, elements, lenient),
        Type::Map(element) => convert_map(json, element, lenient),
        Type::Object(attributes) => convert_object(json, attributes, lenient),
    }
}

fn convert_primitive(json: Json, ty: &Type) -> Result<Value, DecodeError> {
    match (ty, json) {
        (Type::String, Json::String(s)) => Ok(Value::String(s)),
        (Type::String, Json::Number(text)) => Ok(Value::String(text)),
        (Type::String, Json::Bool(b)) => Ok(Value::String(b.to_string())),
        (Type::Number, Json::Number(text) | Json::String(text)) => text
            .parse::<Number>()
            .map(Value::Number)
            .map_err(|e| DecodeError::new(e.to_string())),
        (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(b)),
        (Type::Bool, Json::String(s)) if s == "true" => Ok(Value::Bool(true)),
        (Type::Bool, Json::String(s)) if s == "false" => Ok(Value::Bool(false)),
        (ty, other) => Err(mismatch(&format!("a {ty}"), &other)),
    }
}

#[inline(never)]
fn convert_sequence(json: Json, element: &Type, lenient: bool) -> Result<Vec<Value>, DecodeError> {
    let Json::Array(items) = json else {
        return Err(mismatch("an array", &json));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            convert(item, element, lenient).map_err(|e| e.within(PathStep::Index(index)))
        })
        .collect()
}

#[inline(never)]
fn convert_tuple(json: Json, elements: &[Type], lenient: bool) -> Result<Value, DecodeError> {
    let Json::Array(items) = json else {
        return Err(mismatch("an array", &json));
    };
    if items.len() != elements.len() {
        let message = tuple_length_mismatch(elements.len(), items.len());
        return Err(DecodeError::new(message));
    }
    let items = items
        .into_iter()
        .zip(elements)
        .enumerate()
        .map(|(index, (item, element))| {
            convert(item, element, lenient).map_err(|e| e.within(PathStep::Index(index)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::Tuple(items))
}

#[inline(never)]
fn convert_map(json: Json, element: &Type, lenient: bool) -> Result<Value, DecodeError> {
    let Json::Object(members) = json else {
        return Err(mismatch("an object", &json));
    };
    let mut entries = BTreeMap::new();
    for (key, item) in members {
        let item =
            convert(item, element, lenient).map_err(|e| e.within(PathStep::Key(key.clone())))?;
        if entries.insert(key.clone(), item).is_some() {
            return Err(DecodeError::new(format!("duplicate map key {key:?}")));
        }
    }
    Ok(Value::Map(entries))
}

#[inline(never)]
fn convert_object(
    json: Json,
    attributes: &BTreeMap<String, Type>,
    lenient: bool,
) -> Result<Value, DecodeError> {
    let Json::Object(members) = json else {
        return Err(mismatch("an object", &json));
    };
    let mut values = BTreeMap::new();
    let mut extra = Vec::new();
    for (name, item) in members {
        match attributes.get(&name) {
            Some(attr_ty) => {
                let item = convert(item, attr_ty, lenient)
                    .map_err(|e| e.within(PathStep::Attr(name.clone())))?;
                if values.insert(name.clone(), item).is_some() {
                    return Err(DecodeError::new(format!("duplicate attribute {name:?}")));
                }
            }
            None if lenient => {}
            None => extra.push(name),
        }
    }
    if !extra.is_empty() {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        return Err(DecodeError::new(super::describe_attribute_mismatch(
            &[],
            &extra,
        )));
    }
    for name in attributes.keys() {
        values.entry(name.clone()).or_insert(Value::Null);
    }
    Ok(Value::Object(values))
}

#[inline(never)]
fn convert_dynamic(json: Json, lenient: bool) -> Result<Value, DecodeError> {
    let Json::Object(members) = json else {
        return Err(mismatch(
            "a {\"type\":…,\"value\":…} object for a dynamic value",
            &json,
        ));
    };
    let mut ty = None;
    let mut body = None;
    for (name, member) in members {
        match name.as_str() {
            "type" if ty.is_none() => {
                ty = Some(
                    Type::from_json_value(&to_serde_json(&member))
                        .map_err(|e| DecodeError::new(e.to_string()))?,
                );
            }
            "value" if body.is_none() => body = Some(member),
            _ => {
                return Err(DecodeError::new(format!(
                    "invalid key {name:?} in dynamically-typed value"
                )));
            }
        }
    }
    let (Some(ty), Some(body)) = (ty, body) else {
        return Err(DecodeError::new(
            "a dynamically-typed value needs both \"type\" and \"value\"",
        ));
    };
    let inner = convert(body, &ty, lenient)?;
    if ty.is_dynamic() {
        Ok(inner)
    } else {
        Ok(Value::Dynamic(ty, Box::new(inner)))
    }
}

/// Type JSON holds only strings, arrays and objects; numbers become strings so that
/// [`Type::from_json_value`] reports them as malformed types.
fn to_serde_json(json: &Json) -> serde_json::Value {
    use serde_json::Value as J;
    match json {
        Json::Null => J::Null,
        Json::Bool(b) => J::Bool(*b),
        Json::Number(text) => J::String(text.clone()),
        Json::String(s) => J::String(s.clone()),
        Json::Array(items) => J::Array(items.iter().map(to_serde_json).collect()),
        Json::Object(members) => J::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), to_serde_json(v)))
                .collect(),
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Encoding

/// Appends `s` as a JSON string literal.
pub(crate) fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut run_start = 0;
    for (i, ch) in s.char_indices() {
        let escape = match ch {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.push_str(&s[run_start..i]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{:04x}", ch as u32));
        } else {
            out.push_str(escape);
        }
        run_start = i + ch.len_utf8();
    }
    out.push_str(&s[run_start..]);
    out.push('"');
}

fn write_value(
    out: &mut String,
    value: &Value,
    ty: &Type,
    depth: usize,
) -> Result<(), EncodeError> {
    check_encode_depth(depth)?;
    if let Type::Dynamic = ty {
        return match value {
            Value::Null => {
                out.push_str("null");
                Ok(())
            }
            Value::Unknown(_) => Err(unknown_error()),
            _ => {
                let (concrete, inner) = dynamic_parts(value)?;
                if concrete.is_dynamic() {
                    return write_value(out, inner, &Type::Dynamic, depth + 1);
                }
                out.push_str("{\"type\":");
                concrete.write_json(out);
                out.push_str(",\"value\":");
                write_value(out, inner, &concrete, depth + 1)?;
                out.push('}');
                Ok(())
            }
        };
    }
    match (ty, value) {
        (_, Value::Null) => out.push_str("null"),
        (_, Value::Unknown(_)) => return Err(unknown_error()),
        (_, Value::Dynamic(inner_ty, inner)) if inner_ty == ty => {
            write_value(out, inner, ty, depth + 1)?
        }
        (Type::String, Value::String(s)) => write_json_string(out, s),
        (Type::Number, Value::Number(n)) => out.push_str(&n.to_string()),
        (Type::Bool, Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        (Type::List(element), Value::List(items)) | (Type::Set(element), Value::Set(items)) => {
            write_array(out, items.iter().zip(iter::repeat(&**element)), depth)?;
        }
        (Type::Tuple(elements), Value::Tuple(items)) => {
            if elements.len() != items.len() {
                let message = tuple_length_mismatch(elements.len(), items.len());
                return Err(EncodeError::new(message));
            }
            write_array(out, items.iter().zip(elements), depth)?;
        }
        (Type::Map(element), Value::Map(entries)) => {
            let members = entries.iter().map(|(key, item)| (key, item, &**element));
            write_members(out, members, PathStep::Key, depth)?;
        }
        (Type::Object(attributes), Value::Object(values)) => {
            check_attributes(attributes, values)?;
            let members = (attributes.iter().zip(values.values()))
                .map(|((name, attr_ty), item)| (name, item, attr_ty));
            write_members(out, members, PathStep::Attr, depth)?;
        }
        _ => return Err(type_mismatch(value, ty)),
    }
    Ok(())
}

/// `[item,...]`, each item of its own type; an error names the item's index.
fn write_array<'a>(
    out: &mut String,
    items: impl Iterator<Item = (&'a Value, &'a Type)>,
    depth: usize,
) -> Result<(), EncodeError> {
    out.push('[');
    for (index, (item, ty)) in items.enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_value(out, item, ty, depth + 1).map_err(|e| e.within(PathStep::Index(index)))?;
    }
    out.push(']');
    Ok(())
}

/// `{"name":value,...}`, each value of its own type; an error names the member through `step`
/// (a map key or an attribute).
fn write_members<'a>(
    out: &mut String,
    members: impl Iterator<Item = (&'a String, &'a Value, &'a Type)>,
    step: fn(String) -> PathStep,
    depth: usize,
) -> Result<(), EncodeError> {
    out.push('{');
    for (index, (name, item, ty)) in members.enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_json_string(out, name);
        out.push(':');
        write_value(out, item, ty, depth + 1).map_err(|e| e.within(step(name.clone())))?;
    }
    out.push('}');
    Ok(())
}

fn unknown_error() -> EncodeError {
    EncodeError::new("unknown values cannot be represented in JSON")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn text(value: &Value, ty: &Type) -> String {
        String::from_utf8(encode(value, ty).unwrap()).unwrap()
    }

    fn num(text: &str) -> Value {
        Value::Number(text.parse().unwrap())
    }

    #[test]
    fn big_numbers_survive() {
        let ty = Type::list(Type::Number);
        let doc = br#"[1208925819614629174706176, 0.1000000000000000000001, -1.5e-7, 1E400]"#;
        let value = decode(doc, &ty).unwrap();
        assert_eq!(
            value,
            Value::List(vec![
                num("1208925819614629174706176"),
                num("0.1000000000000000000001"),
                num("-0.00000015"),
                num("1e400"),
            ])
        );
        let out = text(&value, &ty);
        assert!(
            out.starts_with("[1208925819614629174706176,0.1000000000000000000001,-0.00000015,1")
        );
        assert_eq!(decode(out.as_bytes(), &ty).unwrap(), value);
    }

    #[test]
    fn object_rules() {
        let ty = Type::object([("a", Type::String), ("b", Type::Number)]);
        // Missing attributes are null.
        assert_eq!(
            decode(br#"{"a":"x"}"#, &ty).unwrap(),
            Value::Object(
                [
                    ("a".into(), Value::String("x".into())),
                    ("b".into(), Value::Null)
                ]
                .into()
            )
        );
        // Unknown attributes are an error, unless lenient (at any depth).
        let err = decode(br#"{"a":"x","gone":1}"#, &ty).unwrap_err();
        assert_eq!(err.message, r#"object has unexpected attributes "gone""#);
        let nested = Type::object([("inner", Type::list(ty.clone()))]);
        let doc = br#"{"inner":[{"a":"x","gone":{"deep":[1]}}],"old":true}"#;
        assert!(decode(doc, &nested).is_err());
        assert_eq!(
            decode_object_lenient(doc, &nested).unwrap(),
            Value::Object(
                [(
                    "inner".into(),
                    Value::List(vec![Value::Object(
                        [
                            ("a".into(), Value::String("x".into())),
                            ("b".into(), Value::Null)
                        ]
                        .into()
                    )])
                )]
                .into()
            )
        );
        assert!(decode(br#"{"a":"x","a":"y"}"#, &ty).is_err());
        assert_eq!(
            text(
                &Value::Object(
                    [
                        ("a".into(), Value::String("x".into())),
                        ("b".into(), num("2"))
                    ]
                    .into()
                ),
                &ty
            ),
            r#"{"a":"x","b":2}"#
        );
    }

    #[test]
    fn cty_primitive_leniencies() {
        assert_eq!(decode(br#""12.5""#, &Type::Number).unwrap(), num("12.5"));
        assert_eq!(
            decode(b"12", &Type::String).unwrap(),
            Value::String("12".into())
        );
        assert_eq!(
            decode(b"true", &Type::String).unwrap(),
            Value::String("true".into())
        );
        assert_eq!(
            decode(br#""false""#, &Type::Bool).unwrap(),
            Value::Bool(false)
        );
        assert!(decode(br#""yes""#, &Type::Bool).is_err());
        assert!(decode(b"[1]", &Type::String).is_err());
    }

    #[test]
    fn dynamic_values() {
        let value = Value::Dynamic(
            Type::object([("n", Type::Number)]),
            Box::new(Value::Object([("n".into(), num("1"))].into())),
        );
        let out = text(&value, &Type::Dynamic);
        assert_eq!(out, r#"{"type":["object",{"n":"number"}],"value":{"n":1}}"#);
        assert_eq!(decode(out.as_bytes(), &Type::Dynamic).unwrap(), value);
        // Member order does not matter.
        let swapped = br#"{"value":{"n":1},"type":["object",{"n":"number"}]}"#;
        assert_eq!(decode(swapped, &Type::Dynamic).unwrap(), value);
        assert_eq!(decode(b"null", &Type::Dynamic).unwrap(), Value::Null);
        assert!(decode(br#"{"type":"string"}"#, &Type::Dynamic).is_err());
        assert!(decode(br#"{"type":"string","value":"a","x":1}"#, &Type::Dynamic).is_err());
        assert!(decode(br#""bare""#, &Type::Dynamic).is_err());
    }

    #[test]
    fn unknowns_are_refused() {
        let err = encode(&Value::unknown(), &Type::String).unwrap_err();
        assert!(err.message.contains("unknown"));
        let ty = Type::object([("a", Type::list(Type::String))]);
        let value = Value::Object([("a".into(), Value::List(vec![Value::unknown()]))].into());
        assert_eq!(
            encode(&value, &ty).unwrap_err().to_string(),
            "a[0]: unknown values cannot be represented in JSON"
        );
    }

    #[test]
    fn strings_and_escapes() {
        let original = "quote\" backslash\\ nl\n tab\t bell\u{7} é 😀 /";
        let out = text(&Value::String(original.into()), &Type::String);
        assert_eq!(
            out,
            "\"quote\\\" backslash\\\\ nl\\n tab\\t bell\\u0007 é 😀 /\""
        );
        assert_eq!(
            decode(out.as_bytes(), &Type::String).unwrap(),
            Value::String(original.into())
        );
        assert_eq!(
            decode(br#""\u00e9\ud83d\ude00\/\b\f""#, &Type::String).unwrap(),
            Value::String("é😀/\u{8}\u{c}".into())
        );
        for bad in [
            &br#""\ud83d""#[..],
            br#""\x""#,
            b"\"a\nb\"",
            b"\"abc",
            b"\"\xff\"",
        ] {
            assert!(
                decode(bad, &Type::String).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn malformed_documents() {
        let ty = Type::list(Type::Number);
        for bad in [
            "",
            "[",
            "[1,]",
            "[01]",
            "[1.]",
            "[.5]",
            "[1e]",
            "[-]",
            "[1] x",
            "nul",
            "[1 2]",
            "{\"a\" 1}",
        ] {
            assert!(decode(bad.as_bytes(), &ty).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            decode(b" [ 1 , 2 ] ", &ty).unwrap(),
            Value::List(vec![num("1"), num("2")])
        );
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = decode(deep.as_bytes(), &Type::Dynamic).unwrap_err();
        assert!(err.message.contains("nested too deeply"));
    }
}
