//! Schema-driven decoding, the way every RPC handles a config, plan or state: bytes are
//! decoded (msgpack, or JSON for raw state) against the object type of a resource schema,
//! then converted into the resource's typed model through the serde bridge.
//!
//! The schemas are shaped like the provider's real ones (strings, numbers read as `i64` and
//! `f64`, bools, lists, sets and maps, a nested block, every attribute an `Attr` so null and
//! unknown are legal). Besides "never panic", a value that converts to the model must convert
//! back to the schema's type, and that value must convert to the same model again.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};
use tf_framework_fuzz::value::{Attr, Type, Value, from_value, json, msgpack, to_value};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Timeouts {
    create: Attr<String>,
    update: Attr<String>,
    delete: Attr<String>,
}

/// Like `dr_orchestrator`: scalars, a list, a map and a nested block.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Orchestrator {
    id: Attr<String>,
    name: Attr<String>,
    cores: Attr<f64>,
    memory_gb: Attr<i64>,
    network_ids: Attr<Vec<String>>,
    tier: Attr<String>,
    managed: Attr<bool>,
    tags: Attr<BTreeMap<String, String>>,
    timeouts: Attr<Timeouts>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Port {
    min: Attr<i64>,
    max: Attr<i64>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Rule {
    cidr: Attr<String>,
    ports: Attr<Port>,
}

/// Like a security-group rule set: a set of nested objects with nested objects inside.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Rules {
    security_group_id: Attr<String>,
    rules: Attr<Vec<Rule>>,
    priorities: Attr<BTreeMap<String, i64>>,
}

fn orchestrator_type() -> Type {
    let timeouts = Type::object([
        ("create", Type::String),
        ("update", Type::String),
        ("delete", Type::String),
    ]);
    Type::object([
        ("id", Type::String),
        ("name", Type::String),
        ("cores", Type::Number),
        ("memory_gb", Type::Number),
        ("network_ids", Type::list(Type::String)),
        ("tier", Type::String),
        ("managed", Type::Bool),
        ("tags", Type::map(Type::String)),
        ("timeouts", timeouts),
    ])
}

fn rules_type() -> Type {
    let port = Type::object([("min", Type::Number), ("max", Type::Number)]);
    Type::object([
        ("security_group_id", Type::String),
        (
            "rules",
            Type::set(Type::object([("cidr", Type::String), ("ports", port)])),
        ),
        ("priorities", Type::map(Type::Number)),
    ])
}

/// Model -> value -> model must be stable for anything the model accepted.
fn round_trip<M>(value: &Value, ty: &Type)
where
    M: for<'de> Deserialize<'de> + Serialize + PartialEq + std::fmt::Debug,
{
    let Ok(model) = from_value::<M>(value) else {
        return;
    };
    let encoded = match to_value(&model, ty) {
        Ok(v) => v,
        Err(e) => panic!("model does not convert back to the schema type: {e}\n{model:?}"),
    };
    let again = match from_value::<M>(&encoded) {
        Ok(m) => m,
        Err(e) => panic!("re-encoded value does not convert to the model: {e}\n{encoded:?}"),
    };
    assert_eq!(model, again, "model changed across a round trip");
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let orchestrator = selector & 1 == 0;
    let ty = if orchestrator {
        orchestrator_type()
    } else {
        rules_type()
    };
    let decoded = if selector & 2 == 0 {
        msgpack::decode(payload, &ty)
    } else {
        json::decode(payload, &ty)
    };
    let Ok(value) = decoded else {
        return;
    };
    if orchestrator {
        round_trip::<Orchestrator>(&value, &ty);
    } else {
        round_trip::<Rules>(&value, &ty);
    }
});
