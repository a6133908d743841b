//! Planning rules on hand-built prior/config/proposed values.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test

use std::collections::BTreeMap;

use super::*;
use crate::path;
use crate::schema::{Attribute, NestedBlock, Schema};
use crate::test_support::{n, obj, s};

fn schema() -> Schema {
    Schema::new()
        .attribute(Attribute::string("id").computed().use_state_for_unknown())
        .attribute(Attribute::string("name").required().requires_replace())
        .attribute(Attribute::string("size").optional().default_string("small"))
        .attribute(Attribute::string("revision").computed())
        .attribute(Attribute::string("secret").optional().write_only())
        .attribute(Attribute::string("zone").optional().computed())
        .attribute(
            Attribute::list_nested(
                "disks",
                vec![
                    Attribute::number("gb").required(),
                    Attribute::string("uuid").computed().use_state_for_unknown(),
                    Attribute::string("kind").optional().requires_replace(),
                ],
            )
            .optional(),
        )
        .block(NestedBlock::list(
            "rule",
            Block::new()
                .attribute(Attribute::string("cidr").required())
                .attribute(Attribute::string("rule_id").computed()),
        ))
}

/// What core sends as config (null computed values) for the given user inputs.
fn config(name: &str, disks: Value, rules: Value) -> Value {
    obj(&[
        ("id", Value::Null),
        ("name", s(name)),
        ("size", Value::Null),
        ("revision", Value::Null),
        ("secret", s("hunter2")),
        ("zone", Value::Null),
        ("disks", disks),
        ("rule", rules),
    ])
}

fn disk(gb: i64, uuid: Value) -> Value {
    obj(&[("gb", n(gb)), ("uuid", uuid), ("kind", Value::Null)])
}
fn rule(cidr: &str, id: Value) -> Value {
    obj(&[("cidr", s(cidr)), ("rule_id", id)])
}

fn prior() -> Value {
    obj(&[
        ("id", s("i-1")),
        ("name", s("a")),
        ("size", s("small")),
        ("revision", s("r1")),
        ("secret", Value::Null),
        ("zone", s("dal10")),
        ("disks", Value::List(vec![disk(10, s("u-1"))])),
        ("rule", Value::List(vec![rule("10.0.0.0/24", s("r-1"))])),
    ])
}

#[test]
fn create_marks_computed_unknown_and_applies_defaults() {
    let sc = schema();
    let cfg = config(
        "a",
        Value::List(vec![disk(10, Value::Null)]),
        Value::List(vec![rule("10.0.0.0/24", Value::Null)]),
    );
    // On create core proposes the config itself.
    let planned = plan_framework_defaults(&sc.block, &Value::Null, &cfg, &cfg);
    assert!(planned.attr("id").is_some_and(Value::is_unknown));
    assert!(planned.attr("revision").is_some_and(Value::is_unknown));
    assert!(planned.attr("zone").is_some_and(Value::is_unknown));
    assert_eq!(planned.attr("size"), Some(&s("small")));
    assert_eq!(
        planned.attr("secret"),
        Some(&Value::Null),
        "write-only is nulled"
    );
    assert!(value_at(&planned, &path!("disks", 0, "uuid")).is_some_and(Value::is_unknown));
    assert!(value_at(&planned, &path!("rule", 0, "rule_id")).is_some_and(Value::is_unknown));
    assert_eq!(value_at(&planned, &path!("disks", 0, "gb")), Some(&n(10)));
    assert!(requires_replace(&sc.block, &Value::Null, &planned, &cfg).is_empty());
    assert!(check_plan("t", &sc.block, &Value::Null, &planned, &cfg).is_empty());
}

/// Core's ProposedNewState: config, with computed nulls taken from prior.
fn proposed(prior: &Value, cfg: &Value) -> Value {
    let mut p = cfg.clone();
    for name in ["id", "revision", "zone"] {
        if let (Some(slot), Some(v)) = (value_at_mut(&mut p, &path!(name)), prior.attr(name)) {
            *slot = v.clone();
        }
    }
    p
}

#[test]
fn update_without_changes_keeps_everything() {
    let sc = schema();
    let prior = prior();
    let cfg = config(
        "a",
        Value::List(vec![disk(10, Value::Null)]),
        Value::List(vec![rule("10.0.0.0/24", Value::Null)]),
    );
    let mut prop = proposed(&prior, &cfg);
    // core also fills nested computed values from prior
    *value_at_mut(&mut prop, &path!("disks", 0, "uuid")).expect("path") = s("u-1");
    *value_at_mut(&mut prop, &path!("rule", 0, "rule_id")).expect("path") = s("r-1");
    // Core's proposal carries the configured write-only value; it must not count as a change.
    assert_eq!(prop.attr("secret"), Some(&s("hunter2")));
    *value_at_mut(&mut prop, &path!("size")).expect("path") = s("small");
    let planned = plan_framework_defaults(&sc.block, &prior, &prop, &cfg);
    assert_eq!(
        planned, prior,
        "no change means the plan equals prior state"
    );
    assert!(requires_replace(&sc.block, &prior, &planned, &cfg).is_empty());
    assert!(check_plan("t", &sc.block, &prior, &planned, &cfg).is_empty());
}

#[test]
fn update_with_change_unknowns_computed_but_keeps_use_state() {
    let sc = schema();
    let prior = prior();
    let mut cfg = config(
        "a",
        Value::List(vec![disk(20, Value::Null), disk(5, Value::Null)]),
        Value::List(vec![rule("10.0.0.0/24", Value::Null)]),
    );
    *value_at_mut(&mut cfg, &path!("size")).expect("path") = s("large");
    let mut prop = proposed(&prior, &cfg);
    *value_at_mut(&mut prop, &path!("disks", 0, "uuid")).expect("path") = s("u-1");
    let planned = plan_framework_defaults(&sc.block, &prior, &prop, &cfg);
    assert_eq!(
        planned.attr("id"),
        Some(&s("i-1")),
        "use_state_for_unknown keeps the id"
    );
    assert!(
        planned.attr("revision").is_some_and(Value::is_unknown),
        "changes on update"
    );
    assert!(planned.attr("zone").is_some_and(Value::is_unknown));
    assert_eq!(planned.attr("size"), Some(&s("large")));
    assert_eq!(
        value_at(&planned, &path!("disks", 0, "uuid")),
        Some(&s("u-1")),
        "nested use-state"
    );
    assert!(
        value_at(&planned, &path!("disks", 1, "uuid")).is_some_and(Value::is_unknown),
        "a new element has no prior value"
    );
    assert!(check_plan("t", &sc.block, &prior, &planned, &cfg).is_empty());
}

#[test]
fn requires_replace_paths() {
    let sc = schema();
    let prior = prior();
    let mut disk_kind = disk(10, Value::Null);
    *value_at_mut(&mut disk_kind, &path!("kind")).expect("path") = s("ssd");
    let cfg = config(
        "b",
        Value::List(vec![disk_kind]),
        Value::List(vec![rule("10.0.0.0/24", Value::Null)]),
    );
    let prop = proposed(&prior, &cfg);
    let planned = plan_framework_defaults(&sc.block, &prior, &prop, &cfg);
    let paths = requires_replace(&sc.block, &prior, &planned, &cfg);
    assert_eq!(paths, vec![path!("disks", 0, "kind"), path!("name")]);
}

#[test]
fn requires_replace_if_consults_predicate() {
    let sc = Schema::new().attribute(Attribute::number("cores").required().requires_replace_if(
        "only when shrinking",
        |c| match (c.prior.as_number(), c.planned.as_number()) {
            (Some(a), Some(b)) => b < a,
            _ => false,
        },
    ));
    let prior = obj(&[("cores", n(4))]);
    let grow = obj(&[("cores", n(8))]);
    let shrink = obj(&[("cores", n(2))]);
    assert!(requires_replace(&sc.block, &prior, &grow, &grow).is_empty());
    assert_eq!(
        requires_replace(&sc.block, &prior, &shrink, &shrink),
        vec![path!("cores")]
    );
}

#[test]
fn check_plan_catches_rule_violations() {
    let sc = schema();
    let cfg = config(
        "a",
        Value::List(vec![disk(10, Value::Null)]),
        Value::List(vec![rule("10.0.0.0/24", Value::Null)]),
    );
    let mut planned = plan_framework_defaults(&sc.block, &Value::Null, &cfg, &cfg);
    *value_at_mut(&mut planned, &path!("name")).expect("path") = s("changed");
    *value_at_mut(&mut planned, &path!("secret")).expect("path") = s("leak");
    *value_at_mut(&mut planned, &path!("rule")).expect("path") = Value::List(vec![]);
    let diags = check_plan("drtest_thing", &sc.block, &Value::Null, &planned, &cfg);
    let text = diags.to_string();
    assert_eq!(diags.len(), 3, "{text}");
    assert!(
        text.contains("(at name)") && text.contains("non-computed"),
        "{text}"
    );
    assert!(
        text.contains("(at secret)") && text.contains("write-only"),
        "{text}"
    );
    assert!(
        text.contains("(at rule)") && text.contains("0 elements planned but 1 configured"),
        "{text}"
    );
}

#[test]
fn apply_result_checks() {
    let sc = schema();
    let planned = obj(&[
        ("id", Value::unknown()),
        ("name", s("a")),
        ("revision", s("r1")),
        ("disks", Value::List(vec![disk(10, Value::unknown())])),
    ]);
    let good = obj(&[
        ("id", s("i-9")),
        ("name", s("a")),
        ("revision", s("r1")),
        ("disks", Value::List(vec![disk(10, s("u-9"))])),
    ]);
    assert!(check_apply_result("t", &sc.block, &planned, &good).is_empty());

    let drifted = obj(&[
        ("id", Value::unknown()),
        ("name", s("A")),
        ("revision", s("r1")),
        ("disks", Value::List(vec![disk(11, s("u-9"))])),
    ]);
    let diags = check_apply_result("drtest_thing", &sc.block, &planned, &drifted);
    let text = diags.to_string();
    assert_eq!(diags.len(), 3, "{text}");
    assert!(text.contains("unknown value for id"), "{text}");
    assert!(
        text.contains("planned \"a\" for name but the apply produced \"A\""),
        "{text}"
    );
    assert!(text.contains("(at disks[0].gb)"), "{text}");
}

#[test]
fn sensitive_values_are_not_quoted() {
    let sc = Schema::new().attribute(Attribute::string("token").optional().sensitive());
    let planned = obj(&[("token", s("abc"))]);
    let result = obj(&[("token", s("xyz"))]);
    let text = check_apply_result("t", &sc.block, &planned, &result).to_string();
    assert!(!text.contains("abc") && !text.contains("xyz"), "{text}");
    assert!(text.contains("(sensitive value)"), "{text}");
}

#[test]
fn sets_compare_without_order_and_nested_sets_pair_by_config() {
    let sc = Schema::new().attribute(
        Attribute::set_nested(
            "ports",
            vec![
                Attribute::number("port").required(),
                Attribute::string("id").computed(),
            ],
        )
        .optional(),
    );
    let el = |p: i64, id: Value| obj(&[("port", n(p)), ("id", id)]);
    let cfg = obj(&[(
        "ports",
        Value::Set(vec![el(80, Value::Null), el(443, Value::Null)]),
    )]);
    let planned = plan_framework_defaults(&sc.block, &Value::Null, &cfg, &cfg);
    let Some(Value::Set(items)) = planned.attr("ports") else {
        panic!("ports must stay a set");
    };
    assert!(
        items
            .iter()
            .all(|i| i.attr("id").is_some_and(Value::is_unknown))
    );
    let result = obj(&[("ports", Value::Set(vec![el(443, s("b")), el(80, s("a"))]))]);
    assert!(check_apply_result("t", &sc.block, &planned, &result).is_empty());
    assert!(check_plan("t", &sc.block, &Value::Null, &planned, &cfg).is_empty());
}

#[test]
fn read_result_must_be_known_and_unknowns_can_be_nulled() {
    let mut v = obj(&[
        ("a", Value::unknown()),
        ("b", Value::List(vec![Value::unknown()])),
    ]);
    let d = check_read_result("t", "read", &v);
    assert_eq!(d.len(), 2);
    nullify_unknowns(&mut v);
    assert!(v.is_wholly_known());
    assert_eq!(value_at(&v, &path!("b", 0)), Some(&Value::Null));
}

#[test]
fn display_value_is_hcl_like() {
    let v = obj(&[
        ("a", Value::List(vec![n(1), s("x")])),
        ("b", Value::unknown()),
    ]);
    assert_eq!(
        display_value(&v),
        "{a = [1, \"x\"], b = (known after apply)}"
    );
}

#[test]
fn configured_optional_computed_nested_attribute_may_fill_computed_members() {
    let sc = Schema::new().attribute(
        Attribute::single_nested(
            "disk",
            vec![
                Attribute::number("gb").required(),
                Attribute::string("uuid").computed(),
            ],
        )
        .optional_computed(),
    );
    let cfg = obj(&[("disk", obj(&[("gb", n(5)), ("uuid", Value::Null)]))]);
    let planned = plan_framework_defaults(&sc.block, &Value::Null, &cfg, &cfg);
    assert!(value_at(&planned, &path!("disk", "uuid")).is_some_and(Value::is_unknown));
    let diags = check_plan("t", &sc.block, &Value::Null, &planned, &cfg);
    assert!(diags.is_empty(), "{diags}");
    // But a configured member must still be planned as configured.
    let mut wrong = planned.clone();
    *value_at_mut(&mut wrong, &path!("disk", "gb")).expect("path") = n(6);
    let diags = check_plan("t", &sc.block, &Value::Null, &wrong, &cfg);
    assert_eq!(
        diags.iter().next().and_then(|d| d.path.clone()),
        Some(path!("disk", "gb"))
    );
}

#[test]
fn group_and_map_blocks_and_map_nested_attributes() {
    let sc = Schema::new()
        .block(NestedBlock::group(
            "net",
            Block::new()
                .attribute(Attribute::string("cidr").optional())
                .attribute(Attribute::string("gw").computed()),
        ))
        .attribute(
            Attribute::map_nested(
                "vols",
                vec![
                    Attribute::number("size").required(),
                    Attribute::string("kind").optional().default_string("ssd"),
                ],
            )
            .optional(),
        );
    let cfg = obj(&[
        (
            "net",
            obj(&[("cidr", s("10.0.0.0/8")), ("gw", Value::Null)]),
        ),
        (
            "vols",
            Value::Map(BTreeMap::from([(
                "data".to_string(),
                obj(&[("size", n(1)), ("kind", Value::Null)]),
            )])),
        ),
    ]);
    let planned = plan_framework_defaults(&sc.block, &Value::Null, &cfg, &cfg);
    assert!(value_at(&planned, &path!("net", "gw")).is_some_and(Value::is_unknown));
    let kind = AttributePath::root("vols").key("data").attr("kind");
    assert_eq!(value_at(&planned, &kind), Some(&s("ssd")));
    assert!(check_plan("t", &sc.block, &Value::Null, &planned, &cfg).is_empty());
}
