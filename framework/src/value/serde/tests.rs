//! Tests of the serde bridge: typed structs to values and back, against hand-built values.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ::serde::{Deserialize, Serialize};

use super::{Attr, from_value, to_value};
use crate::test_support::{obj, s};
use crate::value::{Number, PathStep, Refinements, Type, Value, json, msgpack};

fn n(text: &str) -> Value {
    Value::Number(text.parse().unwrap())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Disk {
    size_gb: u32,
    tier: Tier,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Tier {
    Tier1,
    Tier3,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Vm {
    name: String,
    id: Attr<String>,
    cores: f64,
    memory: Option<i64>,
    tags: BTreeMap<String, String>,
    networks: BTreeSet<String>,
    disks: Vec<Disk>,
    big: Number,
    #[serde(default)]
    description: Attr<String>,
}

fn vm_type() -> Type {
    Type::object([
        ("name", Type::String),
        ("id", Type::String),
        ("cores", Type::Number),
        ("memory", Type::Number),
        ("tags", Type::map(Type::String)),
        ("networks", Type::set(Type::String)),
        (
            "disks",
            Type::list(Type::object([
                ("size_gb", Type::Number),
                ("tier", Type::String),
            ])),
        ),
        ("big", Type::Number),
        ("description", Type::String),
        // An attribute the struct does not model: serialized as null, ignored when read.
        ("extra", Type::Bool),
    ])
}

fn sample_vm() -> Vm {
    Vm {
        name: "web".into(),
        id: Attr::Unknown,
        cores: 0.25,
        memory: None,
        tags: [("env".to_string(), "prod".to_string())].into(),
        networks: ["a".to_string(), "b".to_string()].into(),
        disks: vec![Disk {
            size_gb: 20,
            tier: Tier::Tier3,
        }],
        big: "1208925819614629174706177".parse().unwrap(),
        description: Attr::Null,
    }
}

#[test]
fn struct_to_value_follows_the_type() {
    let value = to_value(&sample_vm(), &vm_type()).unwrap();
    let expected = obj(&[
        ("name", s("web")),
        ("id", Value::unknown()),
        ("cores", n("0.25")),
        ("memory", Value::Null),
        ("tags", Value::Map([("env".to_string(), s("prod"))].into())),
        ("networks", Value::Set(vec![s("b"), s("a")])),
        (
            "disks",
            Value::List(vec![obj(&[("size_gb", n("20")), ("tier", s("tier3"))])]),
        ),
        ("big", n("1208925819614629174706177")),
        ("description", Value::Null),
        ("extra", Value::Null),
    ]);
    assert_eq!(value, expected);
    // And the value is well-typed for the wire.
    let bytes = msgpack::encode(&value, &vm_type()).unwrap();
    assert_eq!(msgpack::decode(&bytes, &vm_type()).unwrap(), expected);
}

#[test]
fn struct_round_trip() {
    let vm = sample_vm();
    let value = to_value(&vm, &vm_type()).unwrap();
    let back: Vm = from_value(&value).unwrap();
    assert_eq!(back, vm);
    let known = Vm {
        id: Attr::Known("i-1".into()),
        description: Attr::Known("d".into()),
        memory: Some(-4),
        ..vm
    };
    let back: Vm = from_value(&to_value(&known, &vm_type()).unwrap()).unwrap();
    assert_eq!(back, known);
}

#[test]
fn option_refuses_unknown_with_a_path() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Plain {
        inner: Vec<Inner>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        x: Option<String>,
    }
    let value = obj(&[("inner", Value::List(vec![obj(&[("x", Value::unknown())])]))]);
    let err = from_value::<Plain>(&value).unwrap_err();
    assert_eq!(
        err.path,
        vec![
            PathStep::Attr("inner".into()),
            PathStep::Index(0),
            PathStep::Attr("x".into())
        ]
    );
    assert_eq!(
        err.to_string(),
        "inner[0].x: value is unknown; use Attr<T> for attributes that may be unknown"
    );
    // A refined unknown is still unknown to Attr.
    let refined = Value::unknown_refined(Refinements {
        nullable: Some(false),
        ..Refinements::default()
    });
    assert_eq!(from_value::<Attr<String>>(&refined).unwrap(), Attr::Unknown);
}

#[test]
fn type_errors_name_the_place() {
    #[derive(Debug, Serialize)]
    struct Typo {
        nmae: String,
    }
    let ty = Type::object([("name", Type::String)]);
    let err = to_value(&Typo { nmae: "x".into() }, &ty).unwrap_err();
    assert_eq!(
        err.message,
        r#"field "nmae" is not an attribute of object({name=string})"#
    );

    let err = to_value(&vec![1, 2], &Type::map(Type::Number)).unwrap_err();
    assert_eq!(
        err.message,
        "a map(number) value is required, got a sequence"
    );

    let ty = Type::object([(
        "disks",
        Type::list(Type::object([
            ("size_gb", Type::String),
            ("tier", Type::String),
        ])),
    )]);
    #[derive(Serialize)]
    struct Holder {
        disks: Vec<Disk>,
    }
    let err = to_value(
        &Holder {
            disks: vec![Disk {
                size_gb: 1,
                tier: Tier::Tier1,
            }],
        },
        &ty,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "disks[0].size_gb: a string value is required, got a number"
    );

    let value = obj(&[("size_gb", s("ten")), ("tier", s("tier1"))]);
    let err = from_value::<Disk>(&value).unwrap_err();
    assert_eq!(err.path, vec![PathStep::Attr("size_gb".into())]);
    let value = obj(&[("size_gb", n("-1")), ("tier", s("tier1"))]);
    assert!(from_value::<Disk>(&value).is_err());
    let value = obj(&[("size_gb", Value::Null), ("tier", s("tier1"))]);
    assert!(
        from_value::<Disk>(&value)
            .unwrap_err()
            .message
            .contains("null")
    );
}

#[test]
fn numbers_map_to_many_rust_types() {
    let big = n("1208925819614629174706176");
    assert_eq!(
        from_value::<String>(&big).unwrap(),
        "1208925819614629174706176"
    );
    assert_eq!(
        from_value::<Number>(&big).unwrap().to_string(),
        "1208925819614629174706176"
    );
    assert_eq!(from_value::<f64>(&big).unwrap(), 2f64.powi(80));
    assert!(from_value::<i64>(&big).is_err());
    assert!(from_value::<u8>(&n("256")).is_err());
    assert_eq!(
        from_value::<u64>(&n("18446744073709551615")).unwrap(),
        u64::MAX
    );
    assert_eq!(from_value::<i32>(&n("-7")).unwrap(), -7);
    assert!(from_value::<i64>(&n("1.5")).is_err());
    assert_eq!(
        from_value::<Number>(&n("0.1")).unwrap(),
        "0.1".parse().unwrap()
    );
    let precise = n("0.1000000000000000000001");
    assert_eq!(
        from_value::<Number>(&precise).unwrap().to_string(),
        "0.1000000000000000000001"
    );

    // And back: Rust strings, floats and Numbers into number attributes.
    assert_eq!(to_value("1e3", &Type::Number).unwrap(), n("1000"));
    assert!(to_value("ten", &Type::Number).is_err());
    assert_eq!(to_value(&0.1f64, &Type::Number).unwrap(), n("0.1"));
    assert_eq!(to_value(&0.1f32, &Type::Number).unwrap(), n("0.1"));
    assert_eq!(
        to_value(&u128::MAX, &Type::Number).unwrap(),
        n("340282366920938463463374607431768211455")
    );
    assert!(to_value(&f64::NAN, &Type::Number).is_err());
    let number: Number = "0.1000000000000000000001".parse().unwrap();
    assert_eq!(to_value(&number, &Type::Number).unwrap(), precise);
    // A plain Rust number cannot become a string attribute by accident.
    assert!(to_value(&5, &Type::String).is_err());
}

#[test]
fn sequences_become_list_set_or_tuple() {
    let items = vec!["a".to_string(), "b".to_string()];
    assert_eq!(
        to_value(&items, &Type::list(Type::String)).unwrap(),
        Value::List(vec![s("a"), s("b")])
    );
    assert_eq!(
        to_value(&items, &Type::set(Type::String)).unwrap(),
        Value::Set(vec![s("b"), s("a")])
    );
    let pair = ("x".to_string(), 3u8);
    let ty = Type::tuple(vec![Type::String, Type::Number]);
    let value = to_value(&pair, &ty).unwrap();
    assert_eq!(value, Value::Tuple(vec![s("x"), n("3")]));
    assert_eq!(from_value::<(String, u8)>(&value).unwrap(), pair);
    assert!(to_value(&("x", 1, 2), &ty).is_err());
    assert!(from_value::<(String, u8, u8)>(&value).is_err());
    let set: HashMap<String, Vec<u16>> = from_value(&Value::Map(
        [("k".to_string(), Value::Set(vec![n("1"), n("2")]))].into(),
    ))
    .unwrap();
    assert_eq!(set["k"].len(), 2);
}

#[test]
fn maps_and_objects_from_rust_maps() {
    let tags: HashMap<String, String> = [("a".to_string(), "1".to_string())].into();
    assert_eq!(
        to_value(&tags, &Type::map(Type::String)).unwrap(),
        Value::Map([("a".to_string(), s("1"))].into())
    );
    // A Rust map can fill an object; unknown keys are refused, missing attributes null.
    let ty = Type::object([("a", Type::String), ("b", Type::Number)]);
    assert_eq!(
        to_value(&tags, &ty).unwrap(),
        obj(&[("a", s("1")), ("b", Value::Null)])
    );
    let bad: HashMap<String, String> = [("z".to_string(), "1".to_string())].into();
    assert!(to_value(&bad, &ty).is_err());
    // Integer keys print as strings.
    let numbered: BTreeMap<u32, bool> = [(7, true)].into();
    assert_eq!(
        to_value(&numbered, &Type::map(Type::Bool)).unwrap(),
        Value::Map([("7".to_string(), Value::Bool(true))].into())
    );
}

#[test]
fn dynamic_positions_infer_types() {
    let doc =
        serde_json::json!({"name": "x", "ports": [80, 443], "nested": {"ok": true}, "none": null});
    let value = to_value(&doc, &Type::Dynamic).unwrap();
    let Value::Dynamic(ty, _) = &value else {
        panic!("not dynamic: {value:?}")
    };
    assert_eq!(
        *ty,
        Type::object([
            ("name", Type::String),
            ("ports", Type::tuple(vec![Type::Number, Type::Number])),
            ("nested", Type::object([("ok", Type::Bool)])),
            ("none", Type::Dynamic),
        ])
    );
    // It travels over both codecs and reads back into the same JSON document.
    let bytes = msgpack::encode(&value, &Type::Dynamic).unwrap();
    let decoded = msgpack::decode(&bytes, &Type::Dynamic).unwrap();
    assert_eq!(decoded, value);
    let text = json::encode(&value, &Type::Dynamic).unwrap();
    assert_eq!(json::decode(&text, &Type::Dynamic).unwrap(), value);
    let back: serde_json::Value = from_value(&decoded).unwrap();
    assert_eq!(back, doc);
    // Typed primitives at a dynamic position.
    assert_eq!(
        to_value("hi", &Type::Dynamic).unwrap(),
        Value::Dynamic(Type::String, Box::new(s("hi")))
    );
    assert_eq!(
        from_value::<String>(&Value::Dynamic(Type::String, Box::new(s("hi")))).unwrap(),
        "hi"
    );
}

#[test]
fn enums() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Source {
        #[serde(rename = "image")]
        Image(String),
        #[serde(rename = "volume")]
        Volume(u32),
    }
    let ty = Type::object([("image", Type::String), ("volume", Type::Number)]);
    let value = to_value(&Source::Volume(3), &ty).unwrap();
    assert_eq!(value, obj(&[("image", Value::Null), ("volume", n("3"))]));
    assert_eq!(from_value::<Source>(&value).unwrap(), Source::Volume(3));
    let both = obj(&[("image", s("x")), ("volume", n("3"))]);
    assert!(from_value::<Source>(&both).is_err());
    assert_eq!(from_value::<Tier>(&s("tier1")).unwrap(), Tier::Tier1);
    assert!(from_value::<Tier>(&s("tier9")).is_err());
}

#[test]
fn attr_helpers_and_json_compatibility() {
    let a: Attr<u8> = Attr::Known(3);
    assert_eq!(a.known(), Some(&3));
    assert_eq!(a.as_ref().map(|v| v + 1), Attr::Known(4));
    assert!(Attr::<u8>::default().is_null());
    assert!(Attr::<u8>::Unknown.is_unknown());
    assert_eq!(Attr::<u8>::Unknown.to_option(), None);
    assert_eq!(Attr::from(Some(1)), Attr::Known(1));
    assert_eq!(Attr::<u8>::from(None), Attr::Null);
    // With serde_json, Attr behaves like Option (unknown has no JSON form: null).
    assert_eq!(serde_json::to_string(&Attr::Known(1)).unwrap(), "1");
    assert_eq!(serde_json::to_string(&Attr::<u8>::Unknown).unwrap(), "null");
    assert_eq!(
        serde_json::from_str::<Attr<u8>>("null").unwrap(),
        Attr::Null
    );
    assert_eq!(
        serde_json::from_str::<Attr<u8>>("4").unwrap(),
        Attr::Known(4)
    );
    // Nested Attr inside collections.
    let ty = Type::list(Type::String);
    let items = vec![Attr::Known("a".to_string()), Attr::Unknown, Attr::Null];
    let value = to_value(&items, &ty).unwrap();
    assert_eq!(
        value,
        Value::List(vec![s("a"), Value::unknown(), Value::Null])
    );
    assert_eq!(from_value::<Vec<Attr<String>>>(&value).unwrap(), items);
}
