//! Property tests: random types (up to depth 4), random values conforming to them (nulls,
//! unknowns with refinements, dynamic values, big numbers), and round trips through both
//! codecs and the serde bridge.

use std::collections::BTreeMap;

use ::serde::{Deserialize, Serialize};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

use super::{Attr, Number, Refinements, Type, Value, from_value, json, msgpack, to_value};

fn attribute_name() -> impl Strategy<Value = String> {
    "[a-z_]{1,6}"
}

fn arb_type_with(leaf: BoxedStrategy<Type>, depth: u32) -> BoxedStrategy<Type> {
    leaf.prop_recursive(depth, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            btree_map(attribute_name(), inner.clone(), 0..4).prop_map(Type::Object),
            vec(inner, 0..4).prop_map(Type::Tuple),
        ]
    })
    .boxed()
}

fn arb_type() -> BoxedStrategy<Type> {
    let leaf = prop_oneof![
        Just(Type::String),
        Just(Type::Number),
        Just(Type::Bool),
        Just(Type::Dynamic),
    ];
    arb_type_with(leaf.boxed(), 4)
}

/// Concrete types carried inside dynamic values: shallower, and never `dynamic` at the top.
fn arb_concrete_type() -> BoxedStrategy<Type> {
    let leaf = prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)];
    let any_leaf = prop_oneof![
        Just(Type::String),
        Just(Type::Number),
        Just(Type::Bool),
        Just(Type::Dynamic)
    ];
    prop_oneof![leaf.boxed(), arb_type_with(any_leaf.boxed(), 2)]
        .prop_filter("dynamic is not a concrete type", |t| !t.is_dynamic())
        .boxed()
}

fn arb_number() -> BoxedStrategy<Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from_i64),
        any::<u64>().prop_map(Number::from_u64),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
        any::<f64>().prop_filter_map("finite", Number::from_f64_exact),
        ("-?[1-9][0-9]{0,40}", -60i64..60).prop_filter_map("decimal", |(digits, exp)| format!(
            "{digits}e{exp}"
        )
        .parse()
        .ok()),
    ]
    .boxed()
}

fn arb_refinements(ty: &Type) -> BoxedStrategy<Refinements> {
    let nullable = proptest::option::of(any::<bool>());
    match ty {
        Type::String => (nullable, proptest::option::of("\\PC{1,8}"))
            .prop_map(|(nullable, string_prefix)| Refinements {
                nullable,
                string_prefix,
                ..Refinements::default()
            })
            .boxed(),
        Type::Number => (
            nullable,
            proptest::option::of((arb_number(), any::<bool>())),
            proptest::option::of((arb_number(), any::<bool>())),
        )
            .prop_map(|(nullable, number_lower, number_upper)| Refinements {
                nullable,
                number_lower,
                number_upper,
                ..Refinements::default()
            })
            .boxed(),
        Type::List(_) | Type::Set(_) | Type::Map(_) => (
            nullable,
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u64>()),
        )
            .prop_map(|(nullable, length_min, length_max)| Refinements {
                nullable,
                length_min,
                length_max,
                ..Refinements::default()
            })
            .boxed(),
        _ => nullable
            .prop_map(|nullable| Refinements {
                nullable,
                ..Refinements::default()
            })
            .boxed(),
    }
}

fn arb_known(ty: &Type) -> BoxedStrategy<Value> {
    match ty {
        Type::String => "\\PC{0,12}".prop_map(Value::String).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::List(e) => vec(arb_value(e), 0..4).prop_map(Value::List).boxed(),
        Type::Set(e) => vec(arb_value(e), 0..4).prop_map(Value::Set).boxed(),
        Type::Map(e) => btree_map("\\PC{0,6}", arb_value(e), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object(attributes) => attributes
            .iter()
            .map(|(name, attr_ty)| {
                let name = name.clone();
                arb_value(attr_ty).prop_map(move |v| (name.clone(), v))
            })
            .collect::<Vec<_>>()
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
            .boxed(),
        Type::Tuple(elements) => elements
            .iter()
            .map(arb_value)
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Dynamic => arb_concrete_type()
            .prop_flat_map(|concrete| {
                arb_value(&concrete)
                    .prop_map(move |inner| Value::Dynamic(concrete.clone(), Box::new(inner)))
            })
            .boxed(),
    }
}

/// Any value of type `ty`: null, unknown (refined where the type allows) or known.
fn arb_value(ty: &Type) -> BoxedStrategy<Value> {
    let unknown = if ty.is_dynamic() {
        Just(Value::unknown()).boxed()
    } else {
        arb_refinements(ty).prop_map(Value::unknown_refined).boxed()
    };
    prop_oneof![
        1 => Just(Value::Null),
        1 => unknown,
        6 => arb_known(ty),
    ]
    .boxed()
}

fn typed_value() -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(|ty| {
        let value = arb_value(&ty);
        (Just(ty), value)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn msgpack_round_trip((ty, value) in typed_value()) {
        let bytes = msgpack::encode(&value, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decoded = msgpack::decode(&bytes, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decoded, value);
    }

    /// Wholly known values round-trip through JSON; any unknown makes encoding fail.
    #[test]
    fn json_round_trip((ty, value) in typed_value()) {
        if !value.is_wholly_known() {
            prop_assert!(json::encode(&value, &ty).is_err());
            return Ok(());
        }
        let bytes = json::encode(&value, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decoded = json::decode(&bytes, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&decoded, &value);
        let lenient = json::decode_object_lenient(&bytes, &ty)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(lenient, value);
    }

    #[test]
    fn decoders_never_panic(ty in arb_type(), bytes in vec(any::<u8>(), 0..64)) {
        let _ = msgpack::decode(&bytes, &ty);
        let _ = json::decode(&bytes, &ty);
    }

    #[test]
    fn number_text_round_trip(n in arb_number()) {
        let text = n.to_string();
        prop_assert_eq!(text.parse::<Number>().ok(), Some(n.clone()));
        if let Some(f) = n.to_f64_exact() {
            prop_assert_eq!(Number::from_f64_exact(f), Some(n.clone()));
        }
        if let Some(f) = n.as_f64_round_trip() {
            prop_assert_eq!(Number::from_f64(f), Some(n));
        }
    }

    /// Every finite float64, read exactly, survives the wire unchanged (it is exact by
    /// construction, so it travels as int or float64, never rounded).
    #[test]
    fn exact_floats_survive_msgpack(bits in any::<u64>()) {
        let f = f64::from_bits(bits);
        prop_assume!(f.is_finite());
        let Some(n) = Number::from_f64_exact(f) else {
            return Err(TestCaseError::fail("finite float has no exact decimal"));
        };
        prop_assert_eq!(n.to_f64_exact(), Some(if f == 0.0 { 0.0 } else { f }));
        let value = Value::Number(n);
        let bytes = msgpack::encode(&value, &Type::Number).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(bytes.len() <= 9, "exact floats travel as int or float64");
        let decoded = msgpack::decode(&bytes, &Type::Number).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decoded, value);
    }

    #[test]
    fn number_order_matches_f64_order(a in -1e6f64..1e6, b in -1e6f64..1e6) {
        let (na, nb) = (Number::from_f64(a), Number::from_f64(b));
        prop_assert_eq!(na.cmp(&nb), a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal));
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Nic {
    subnet: String,
    ip: Attr<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Instance {
    name: String,
    count: i64,
    ratio: Option<f64>,
    labels: BTreeMap<String, u32>,
    zones: Vec<String>,
    nics: Vec<Nic>,
    id: Attr<String>,
    pair: (bool, String),
}

fn instance_type() -> Type {
    Type::object([
        ("name", Type::String),
        ("count", Type::Number),
        ("ratio", Type::Number),
        ("labels", Type::map(Type::Number)),
        ("zones", Type::set(Type::String)),
        (
            "nics",
            Type::list(Type::object([
                ("subnet", Type::String),
                ("ip", Type::String),
            ])),
        ),
        ("id", Type::String),
        ("pair", Type::tuple(vec![Type::Bool, Type::String])),
    ])
}

fn arb_attr_string() -> impl Strategy<Value = Attr<String>> {
    prop_oneof![
        Just(Attr::Null),
        Just(Attr::Unknown),
        "\\PC{0,8}".prop_map(Attr::Known),
    ]
}

fn arb_instance() -> impl Strategy<Value = Instance> {
    (
        "\\PC{0,8}",
        any::<i64>(),
        proptest::option::of(any::<f64>().prop_filter("finite", |f| f.is_finite())),
        btree_map("[a-z]{0,4}", any::<u32>(), 0..3),
        vec("[a-z]{1,4}", 0..3),
        vec(
            ("[0-9./]{1,8}", arb_attr_string()).prop_map(|(subnet, ip)| Nic { subnet, ip }),
            0..3,
        ),
        arb_attr_string(),
        (any::<bool>(), "\\PC{0,4}"),
    )
        .prop_map(
            |(name, count, ratio, labels, zones, nics, id, pair)| Instance {
                name,
                count,
                ratio,
                labels,
                zones,
                nics,
                id,
                pair,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn serde_bridge_round_trip(instance in arb_instance()) {
        let ty = instance_type();
        let value = to_value(&instance, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // The value is well-typed: it survives the wire.
        let bytes = msgpack::encode(&value, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decoded = msgpack::decode(&bytes, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&decoded, &value);
        let back: Instance = from_value(&decoded).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, instance);
    }
}
