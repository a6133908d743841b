//! Shared pieces of the fuzz targets: the value module itself, and a way to pick a cty type
//! from the first bytes of the input so one corpus explores every type shape.

#[path = "../../src/value/mod.rs"]
pub mod value;

// Attribute paths, which the value module's path lookup (`value/navigate.rs`) steps along.
#[path = "../../src/diag.rs"]
pub mod diag;

use value::{DecodeError, EncodeError, Type, Value};

/// Types nest at most this deep, like the schemas Terraform providers actually have; depth
/// beyond it is exercised through `dynamic`, whose type comes from the data.
const MAX_TYPE_DEPTH: usize = 4;

/// Reads a type from the front of `data` (one byte per node) and returns it with the rest.
pub fn split_type(data: &[u8]) -> (Type, &[u8]) {
    let mut rest = data;
    let ty = next_type(&mut rest, 0);
    (ty, rest)
}

fn next_byte(data: &mut &[u8]) -> u8 {
    match data.split_first() {
        Some((&first, rest)) => {
            *data = rest;
            first
        }
        None => 0,
    }
}

fn next_type(data: &mut &[u8], depth: usize) -> Type {
    let selector = next_byte(data);
    let kinds = if depth >= MAX_TYPE_DEPTH { 4 } else { 9 };
    match selector % kinds {
        0 => Type::String,
        1 => Type::Number,
        2 => Type::Bool,
        3 => Type::Dynamic,
        4 => Type::list(next_type(data, depth + 1)),
        5 => Type::set(next_type(data, depth + 1)),
        6 => Type::map(next_type(data, depth + 1)),
        7 => {
            let count = next_byte(data) % 4;
            Type::object(
                ["a", "b", "c", "d"]
                    .into_iter()
                    .take(usize::from(count))
                    .map(|name| (name, next_type(data, depth + 1)))
                    .collect::<Vec<_>>(),
            )
        }
        _ => {
            let count = next_byte(data) % 4;
            Type::tuple((0..count).map(|_| next_type(data, depth + 1)).collect())
        }
    }
}

/// What every codec target checks of a value its decoder accepted: it re-encodes, the encoding
/// decodes again, and encoding that gives the same bytes (a fixpoint). `not_decoding` is the
/// failure message when the re-encoded bytes do not decode.
pub fn assert_encoding_fixpoint(
    value: &Value,
    ty: &Type,
    encode: fn(&Value, &Type) -> Result<Vec<u8>, EncodeError>,
    decode: fn(&[u8], &Type) -> Result<Value, DecodeError>,
    not_decoding: &str,
) {
    let first = match encode(value, ty) {
        Ok(bytes) => bytes,
        Err(e) => panic!("decoded value does not re-encode: {e}\n{value:?}"),
    };
    let again = match decode(&first, ty) {
        Ok(v) => v,
        Err(e) => panic!("{not_decoding}: {e}"),
    };
    let second = match encode(&again, ty) {
        Ok(bytes) => bytes,
        Err(e) => panic!("second encode failed: {e}"),
    };
    assert_eq!(first, second, "encoding is not a fixpoint");
}
