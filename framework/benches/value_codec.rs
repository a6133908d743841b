//! Codec micro-benchmarks on a state-sized value: 1,000 list elements, each an object of ten
//! attributes (strings, numbers incl. a non-float64 decimal, bool, map, set). Every plan and
//! apply round-trips values like this, so these figures bound the framework's own overhead.
//!
//! `cargo bench -p tf-framework --bench value_codec -- --quick`

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;
use tf_framework::value::{Number, Type, Value, from_value, json, msgpack};

const ELEMENTS: usize = 1_000;

fn element_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("name", Type::String),
        ("size_gb", Type::Number),
        ("ratio", Type::Number),
        ("enabled", Type::Bool),
        ("tags", Type::map(Type::String)),
        ("zones", Type::set(Type::String)),
        ("created_at", Type::String),
        ("count", Type::Number),
        ("note", Type::String),
    ])
}

fn state_type() -> Type {
    Type::object([("items", Type::list(element_type()))])
}

fn element(i: usize) -> Value {
    let text = |s: String| Value::String(s);
    let attributes: BTreeMap<String, Value> = [
        (
            "id",
            text(format!("7f3c2a9e-{i:08}-4b1d-9c3e-5a6b7c8d9e0f")),
        ),
        ("name", text(format!("dr-vm-{i}"))),
        (
            "size_gb",
            Value::Number(Number::from_u64((i as u64 % 50) * 20 + 20)),
        ),
        (
            "ratio",
            Value::Number(format!("0.{i}1").parse().unwrap_or_else(|_| Number::zero())),
        ),
        ("enabled", Value::Bool(!i.is_multiple_of(3))),
        (
            "tags",
            Value::Map(
                [
                    ("env".to_string(), text("prod".into())),
                    ("team".to_string(), text(format!("team-{}", i % 7))),
                ]
                .into(),
            ),
        ),
        (
            "zones",
            Value::Set(vec![text("dal10".into()), text("dal12".into())]),
        ),
        ("created_at", text("2025-01-01T12:00:00Z".into())),
        ("count", Value::Number(Number::from_i64(i as i64))),
        (
            "note",
            if i.is_multiple_of(2) {
                Value::Null
            } else {
                Value::unknown()
            },
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Value::Object(attributes)
}

fn state() -> Value {
    Value::Object(
        [(
            "items".to_string(),
            Value::List((0..ELEMENTS).map(element).collect()),
        )]
        .into(),
    )
}

/// The same state without unknowns, for JSON (which cannot carry them).
fn known_state() -> Value {
    let mut value = state();
    if let Some(Value::List(items)) = value.as_object_mut().and_then(|m| m.get_mut("items")) {
        for item in items {
            if let Some(note) = item.as_object_mut().and_then(|m| m.get_mut("note")) {
                *note = Value::Null;
            }
        }
    }
    value
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Item {
    id: String,
    name: String,
    size_gb: u64,
    ratio: f64,
    enabled: bool,
    tags: BTreeMap<String, String>,
    zones: Vec<String>,
    created_at: String,
    count: i64,
    note: tf_framework::value::Attr<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct State {
    items: Vec<Item>,
}

fn benches(c: &mut Criterion) {
    let ty = state_type();
    let value = state();
    let bytes = match msgpack::encode(&value, &ty) {
        Ok(bytes) => bytes,
        Err(e) => panic!("benchmark state does not encode: {e}"),
    };
    let known = known_state();
    let json_bytes = match json::encode(&known, &ty) {
        Ok(bytes) => bytes,
        Err(e) => panic!("benchmark state does not encode as JSON: {e}"),
    };

    let mut group = c.benchmark_group("value_codec_1000x10");
    group.throughput(Throughput::Elements(ELEMENTS as u64));
    group.bench_function("msgpack_decode", |b| {
        b.iter(|| msgpack::decode(black_box(&bytes), black_box(&ty)))
    });
    group.bench_function("msgpack_encode", |b| {
        b.iter(|| msgpack::encode(black_box(&value), black_box(&ty)))
    });
    group.bench_function("json_decode", |b| {
        b.iter(|| json::decode(black_box(&json_bytes), black_box(&ty)))
    });
    group.bench_function("json_encode", |b| {
        b.iter(|| json::encode(black_box(&known), black_box(&ty)))
    });
    group.bench_function("serde_from_value", |b| {
        b.iter(|| from_value::<State>(black_box(&value)))
    });
    group.bench_function("value_eq", |b| {
        let other = value.clone();
        b.iter(|| black_box(&value) == black_box(&other))
    });
    group.finish();
    eprintln!(
        "state size: msgpack {} bytes, JSON {} bytes",
        bytes.len(),
        json_bytes.len()
    );
}

criterion_group!(codec, benches);
criterion_main!(codec);
