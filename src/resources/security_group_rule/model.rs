//! The `dr_security_group_rule` state, its offline checks, and its mapping to IBM's wire
//! shapes.
//!
//! Users write one flat object (`protocol`, `port_min`, `icmp_type`, ...); IBM's rule is a
//! protocol-tagged union ([`RuleProtocol`]) with `remote`/`local` objects. The checks here
//! mirror what the VPC API would refuse, but run in `terraform validate`, with the attribute
//! path, the bad value and what is accepted. Reading maps IBM's defaults back to what the user
//! wrote: "all ports" comes back as 1–65535 and stays null in state when it was null.

use serde::{Deserialize, Serialize};
use tf_framework::diag::{AttributePath, Diagnostics};
use tf_framework::path;
use tf_framework::typed::{ConfigView, PlanView};
use tf_framework::value::Attr;

use crate::cloud::vpc::{
    RuleLocal, RuleProtocol, RuleRemote, SecurityGroupRule, SecurityGroupRulePatch,
    SecurityGroupRulePrototype,
};
use crate::validate::cidr::Cidr;

/// Protocols the resource manages (IBM's individual protocols such as `gre` are not needed
/// between PowerVS and a VPC).
pub const PROTOCOLS: [&str; 5] = ["tcp", "udp", "icmp", "icmp_tcp_udp", "any"];
pub const DEFAULT_PROTOCOL: &str = "any";
pub const ANY_CIDR: &str = "0.0.0.0/0";
const ALL_PORTS: (i64, i64) = (1, 65535);

/// The state of a `dr_security_group_rule`; field names are the schema's attribute names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleState {
    pub id: Option<String>,
    pub rule_id: Option<String>,
    pub security_group_id: String,
    pub direction: String,
    pub remote_cidr: Option<String>,
    pub protocol: Option<String>,
    pub port_min: Option<i64>,
    pub port_max: Option<i64>,
    pub icmp_type: Option<i64>,
    pub icmp_code: Option<i64>,
    pub local_cidr: Option<String>,
    pub name: Option<String>,
}

/// `<security_group_id>/<rule_id>`.
pub fn composite_id(security_group_id: &str, rule_id: &str) -> String {
    format!("{security_group_id}/{rule_id}")
}

fn known<T>(attr: Attr<T>) -> Option<T> {
    match attr {
        Attr::Known(v) => Some(v),
        _ => None,
    }
}

/// The offline checks of a configuration (values may be unknown; unknown values are skipped).
pub fn check_config(config: &ConfigView<'_>) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let get_int = |name: &str| config.get::<i64>(&path!(name)).unwrap_or(Attr::Unknown);
    let get_str = |name: &str| config.get::<String>(&path!(name)).unwrap_or(Attr::Unknown);
    let protocol = match get_str("protocol") {
        Attr::Null => Some(DEFAULT_PROTOCOL.to_string()),
        other => known(other),
    };
    let port_min = get_int("port_min");
    let port_max = get_int("port_max");
    let icmp_type = get_int("icmp_type");
    let icmp_code = get_int("icmp_code");

    if let Some(protocol) = protocol.as_deref() {
        let tcp_udp = protocol == "tcp" || protocol == "udp";
        for (name, attr) in [("port_min", &port_min), ("port_max", &port_max)] {
            if !tcp_udp && !matches!(attr, Attr::Null) {
                diags.error_at(
                    path!(name),
                    "Ports need protocol tcp or udp",
                    format!(
                        "{name} is only allowed with protocol \"tcp\" or \"udp\"; this rule's protocol is \
                         {protocol:?}, which covers every port. Remove {name}, or set protocol to tcp or udp."
                    ),
                );
            }
        }
        for (name, attr) in [("icmp_type", &icmp_type), ("icmp_code", &icmp_code)] {
            if protocol != "icmp" && !matches!(attr, Attr::Null) {
                diags.error_at(
                    path!(name),
                    "ICMP type and code need protocol icmp",
                    format!(
                        "{name} is only allowed with protocol \"icmp\"; this rule's protocol is {protocol:?}. \
                         Remove {name}, or set protocol to icmp."
                    ),
                );
            }
        }
    }
    for (name, attr, min, max) in [
        ("port_min", &port_min, 1, 65535),
        ("port_max", &port_max, 1, 65535),
        ("icmp_type", &icmp_type, 0, 254),
        ("icmp_code", &icmp_code, 0, 255),
    ] {
        if let Attr::Known(v) = attr
            && !(min..=max).contains(v)
        {
            diags.error_at(
                path!(name),
                format!("{name} out of range"),
                format!("{name} must be between {min} and {max}, got {v}."),
            );
        }
    }
    match (&port_min, &port_max) {
        (Attr::Known(_), Attr::Null) => diags.error_at(
            path!("port_max"),
            "port_max is required with port_min",
            "Set both port_min and port_max (the same value for a single port), or neither for every port.",
        ),
        (Attr::Null, Attr::Known(_)) => diags.error_at(
            path!("port_min"),
            "port_min is required with port_max",
            "Set both port_min and port_max (the same value for a single port), or neither for every port.",
        ),
        (Attr::Known(lo), Attr::Known(hi)) if lo > hi => diags.error_at(
            path!("port_min"),
            "port_min is greater than port_max",
            format!("port_min ({lo}) must be less than or equal to port_max ({hi})."),
        ),
        _ => {}
    }
    if matches!(icmp_type, Attr::Null) && matches!(icmp_code, Attr::Known(_)) {
        diags.error_at(
            path!("icmp_code"),
            "icmp_code needs icmp_type",
            "An ICMP code only has a meaning within a type: set icmp_type (0–254) too, or remove icmp_code \
             to allow every code.",
        );
    }
    for name in ["remote_cidr", "local_cidr"] {
        if let Attr::Known(text) = get_str(name) {
            check_cidr(&path!(name), &text, &mut diags);
        }
    }
    diags
}

fn check_cidr(at: &AttributePath, text: &str, diags: &mut Diagnostics) {
    match Cidr::parse(text) {
        Ok(cidr) if !cidr.is_ipv4() => diags.error_at(
            at.clone(),
            "IPv4 CIDR block required",
            format!("{at} is {text:?}, an IPv6 block; IBM VPC security group rules are IPv4 only."),
        ),
        Ok(_) => {}
        Err(e) => {
            let summary = if e.suggestion().is_some() {
                "CIDR block is not in canonical form"
            } else {
                "Invalid CIDR block"
            };
            let hint = e
                .suggestion()
                .map(|s| format!(" Write {s:?} instead."))
                .unwrap_or_default();
            diags.error_at(at.clone(), summary, format!("{at}: {e}.{hint}"));
        }
    }
}

fn port(value: Option<i64>) -> Option<u16> {
    value.and_then(|v| u16::try_from(v).ok())
}

/// The protocol with its fields, from the flat attributes.
pub fn protocol_of(state: &RuleState) -> RuleProtocol {
    match state.protocol.as_deref().unwrap_or(DEFAULT_PROTOCOL) {
        "tcp" => RuleProtocol::Tcp {
            port_min: port(state.port_min),
            port_max: port(state.port_max),
        },
        "udp" => RuleProtocol::Udp {
            port_min: port(state.port_min),
            port_max: port(state.port_max),
        },
        "icmp" => RuleProtocol::Icmp {
            type_: port(state.icmp_type),
            code: port(state.icmp_code),
        },
        "icmp_tcp_udp" => RuleProtocol::IcmpTcpUdp,
        "any" => RuleProtocol::Any,
        other => RuleProtocol::Individual(other.to_string()),
    }
}

fn remote_of(cidr: Option<&str>) -> RuleRemote {
    RuleRemote::CidrBlock {
        cidr_block: cidr.unwrap_or(ANY_CIDR).to_string(),
    }
}

fn local_of(cidr: Option<&str>) -> RuleLocal {
    RuleLocal::CidrBlock {
        cidr_block: cidr.unwrap_or(ANY_CIDR).to_string(),
    }
}

/// The POST body for a planned rule. Ports left out of a tcp/udp rule mean every port, which
/// IBM stores as 1–65535; sending the range makes the prototype equal to what IBM stores, so
/// an identical existing rule is recognised.
pub fn prototype(state: &RuleState) -> SecurityGroupRulePrototype {
    let protocol = match protocol_of(state) {
        RuleProtocol::Tcp {
            port_min: None,
            port_max: None,
        } => RuleProtocol::Tcp {
            port_min: Some(1),
            port_max: Some(65535),
        },
        RuleProtocol::Udp {
            port_min: None,
            port_max: None,
        } => RuleProtocol::Udp {
            port_min: Some(1),
            port_max: Some(65535),
        },
        other => other,
    };
    SecurityGroupRulePrototype {
        direction: state.direction.clone(),
        ip_version: Some("ipv4".into()),
        name: state.name.clone(),
        remote: Some(remote_of(state.remote_cidr.as_deref())),
        local: Some(local_of(state.local_cidr.as_deref())),
        protocol,
    }
}

/// The prototype of a rule about to be created, when every value that decides identity is
/// known at plan time.
pub fn planned_prototype(
    plan: &PlanView,
) -> Result<Option<SecurityGroupRulePrototype>, Diagnostics> {
    let string = |name: &str| plan.planned::<String>(&path!(name));
    let int = |name: &str| plan.planned::<i64>(&path!(name));
    let mut state = RuleState::default();
    macro_rules! take {
        ($field:ident, $attr:expr) => {
            match $attr? {
                Attr::Unknown => return Ok(None),
                Attr::Null => None,
                Attr::Known(v) => Some(v),
            }
        };
    }
    let Some(direction) = take!(direction, string("direction")) else {
        return Ok(None);
    };
    state.direction = direction;
    state.remote_cidr = take!(remote_cidr, string("remote_cidr"));
    state.local_cidr = take!(local_cidr, string("local_cidr"));
    state.protocol = take!(protocol, string("protocol"));
    state.port_min = take!(port_min, int("port_min"));
    state.port_max = take!(port_max, int("port_max"));
    state.icmp_type = take!(icmp_type, int("icmp_type"));
    state.icmp_code = take!(icmp_code, int("icmp_code"));
    // An unset name is generated by IBM: it does not make a rule different.
    state.name = match plan.planned::<String>(&path!("name"))? {
        Attr::Known(v) => Some(v),
        _ => None,
    };
    Ok(Some(prototype(&state)))
}

fn cidr_text_of_remote(remote: &Option<RuleRemote>) -> Option<String> {
    match remote {
        None => Some(ANY_CIDR.to_string()),
        Some(RuleRemote::CidrBlock { cidr_block }) => Some(cidr_block.clone()),
        Some(RuleRemote::Address { address }) => Some(format!("{address}/32")),
        // A security-group remote cannot be expressed here; null shows the difference.
        Some(RuleRemote::SecurityGroup(_)) => None,
    }
}

fn cidr_text_of_local(local: &Option<RuleLocal>) -> String {
    match local {
        None => ANY_CIDR.to_string(),
        Some(RuleLocal::CidrBlock { cidr_block }) => cidr_block.clone(),
        Some(RuleLocal::Address { address }) => format!("{address}/32"),
    }
}

/// The state for `rule` as IBM returns it. `prior` is the state before the read (None on
/// import); it decides how IBM's defaults are shown. Errors for a protocol this resource does
/// not manage.
pub fn from_rule(
    security_group_id: &str,
    rule: &SecurityGroupRule,
    prior: Option<&RuleState>,
) -> Result<RuleState, String> {
    let prior_ports = prior.map(|p| (p.port_min, p.port_max));
    let ports = |lo: Option<u16>, hi: Option<u16>| {
        let (lo, hi) = (lo.map(i64::from), hi.map(i64::from));
        // Every port: keep what the user had (null, or an explicit 1–65535).
        if (lo, hi) == (Some(ALL_PORTS.0), Some(ALL_PORTS.1))
            && prior_ports.is_none_or(|p| p == (None, None))
        {
            (None, None)
        } else {
            (lo, hi)
        }
    };
    let (protocol, (port_min, port_max), (icmp_type, icmp_code)) = match &rule.protocol {
        RuleProtocol::Tcp { port_min, port_max } => {
            ("tcp", ports(*port_min, *port_max), (None, None))
        }
        RuleProtocol::Udp { port_min, port_max } => {
            ("udp", ports(*port_min, *port_max), (None, None))
        }
        RuleProtocol::Icmp { type_, code } => (
            "icmp",
            (None, None),
            (type_.map(i64::from), code.map(i64::from)),
        ),
        RuleProtocol::IcmpTcpUdp => ("icmp_tcp_udp", (None, None), (None, None)),
        RuleProtocol::Any => ("any", (None, None), (None, None)),
        RuleProtocol::Individual(other) => {
            return Err(format!(
                "rule {} has protocol {other:?}; dr_security_group_rule manages {} only",
                rule.id,
                PROTOCOLS.join(", ")
            ));
        }
    };
    Ok(RuleState {
        id: Some(composite_id(security_group_id, &rule.id)),
        rule_id: Some(rule.id.clone()),
        security_group_id: security_group_id.to_string(),
        direction: rule.direction.clone(),
        remote_cidr: cidr_text_of_remote(&rule.remote),
        protocol: Some(protocol.to_string()),
        port_min,
        port_max,
        icmp_type,
        icmp_code,
        local_cidr: Some(cidr_text_of_local(&rule.local)),
        name: rule.name.clone(),
    })
}

/// The PATCH turning `prior` into `planned` (protocol is never patched: it replaces).
pub fn patch(prior: &RuleState, planned: &RuleState) -> SecurityGroupRulePatch {
    let mut patch = SecurityGroupRulePatch::default();
    if planned.direction != prior.direction {
        patch.direction = Some(planned.direction.clone());
    }
    if planned.remote_cidr != prior.remote_cidr {
        patch.remote = Some(remote_of(planned.remote_cidr.as_deref()));
    }
    if planned.local_cidr != prior.local_cidr {
        patch.local = Some(local_of(planned.local_cidr.as_deref()));
    }
    if planned.name.is_some() && planned.name != prior.name {
        patch.name = planned.name.clone();
    }
    if (planned.port_min, planned.port_max) != (prior.port_min, prior.port_max) {
        // Null ports mean every port; the API has no way to unset them but the full range.
        patch.port_min = port(planned.port_min.or(Some(ALL_PORTS.0)));
        patch.port_max = port(planned.port_max.or(Some(ALL_PORTS.1)));
    }
    if (planned.icmp_type, planned.icmp_code) != (prior.icmp_type, prior.icmp_code) {
        patch.type_ = port(planned.icmp_type);
        patch.code = port(planned.icmp_code);
    }
    patch
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use tf_framework::value::{Number, Value};

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut attrs: std::collections::BTreeMap<String, Value> = [
            "id",
            "rule_id",
            "security_group_id",
            "direction",
            "remote_cidr",
            "protocol",
            "port_min",
            "port_max",
            "icmp_type",
            "icmp_code",
            "local_cidr",
            "name",
        ]
        .iter()
        .map(|k| (k.to_string(), Value::Null))
        .collect();
        for (k, v) in pairs {
            attrs.insert(k.to_string(), v.clone());
        }
        Value::Object(attrs)
    }

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    fn n(v: i64) -> Value {
        Value::Number(Number::from_i64(v))
    }

    fn errors_at(value: &Value) -> Vec<String> {
        check_config(&ConfigView::new(value))
            .iter()
            .map(|d| {
                format!(
                    "{}: {}",
                    d.path.as_ref().map(|p| p.to_string()).unwrap_or_default(),
                    d.detail
                )
            })
            .collect()
    }

    #[test]
    fn valid_rules_pass() {
        for c in [
            config(&[
                ("protocol", s("tcp")),
                ("port_min", n(22)),
                ("port_max", n(22)),
            ]),
            config(&[("protocol", s("udp"))]),
            config(&[
                ("protocol", s("icmp")),
                ("icmp_type", n(8)),
                ("icmp_code", n(0)),
            ]),
            config(&[("protocol", s("icmp"))]),
            config(&[
                ("protocol", s("icmp_tcp_udp")),
                ("remote_cidr", s("10.51.0.0/24")),
            ]),
            config(&[
                ("remote_cidr", s("0.0.0.0/0")),
                ("local_cidr", s("10.30.20.0/24")),
            ]),
            config(&[
                ("protocol", Value::unknown()),
                ("port_min", n(1)),
                ("port_max", n(2)),
            ]),
        ] {
            assert!(errors_at(&c).is_empty(), "{:?}", errors_at(&c));
        }
    }

    #[test]
    fn ports_need_tcp_or_udp_and_an_ordered_pair() {
        let e = errors_at(&config(&[("port_min", n(22)), ("port_max", n(22))]));
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("port_min:") && e[0].contains("\"any\""),
            "{e:?}"
        );
        let e = errors_at(&config(&[
            ("protocol", s("icmp")),
            ("port_max", n(1)),
            ("port_min", n(1)),
        ]));
        assert!(e.iter().all(|m| m.contains("\"icmp\"")), "{e:?}");
        let e = errors_at(&config(&[("protocol", s("tcp")), ("port_min", n(80))]));
        assert_eq!(e, vec!["port_max: Set both port_min and port_max (the same value for a single port), or neither for every port.".to_string()]);
        let e = errors_at(&config(&[
            ("protocol", s("tcp")),
            ("port_min", n(90)),
            ("port_max", n(80)),
        ]));
        assert!(
            e[0].starts_with("port_min:") && e[0].contains("(90)"),
            "{e:?}"
        );
    }

    #[test]
    fn numbers_are_range_checked_with_the_value_shown() {
        let e = errors_at(&config(&[
            ("protocol", s("tcp")),
            ("port_min", n(0)),
            ("port_max", n(70000)),
        ]));
        assert!(
            e.contains(&"port_min: port_min must be between 1 and 65535, got 0.".to_string()),
            "{e:?}"
        );
        assert!(
            e.contains(&"port_max: port_max must be between 1 and 65535, got 70000.".to_string()),
            "{e:?}"
        );
        let e = errors_at(&config(&[
            ("protocol", s("icmp")),
            ("icmp_type", n(255)),
            ("icmp_code", n(256)),
        ]));
        assert!(
            e.iter()
                .any(|m| m.contains("icmp_type must be between 0 and 254, got 255")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.contains("icmp_code must be between 0 and 255, got 256")),
            "{e:?}"
        );
    }

    #[test]
    fn icmp_fields_need_icmp_and_code_needs_type() {
        let e = errors_at(&config(&[("protocol", s("tcp")), ("icmp_type", n(8))]));
        assert!(e[0].starts_with("icmp_type:"), "{e:?}");
        let e = errors_at(&config(&[("protocol", s("icmp")), ("icmp_code", n(0))]));
        assert!(
            e[0].starts_with("icmp_code:") && e[0].contains("icmp_type"),
            "{e:?}"
        );
    }

    #[test]
    fn cidrs_must_be_canonical_ipv4() {
        let e = errors_at(&config(&[("remote_cidr", s("10.51.0.5/24"))]));
        assert!(
            e[0].starts_with("remote_cidr:") && e[0].contains("Write \"10.51.0.0/24\""),
            "{e:?}"
        );
        let e = errors_at(&config(&[("local_cidr", s("fd00::/64"))]));
        assert!(e[0].contains("IPv4 only"), "{e:?}");
        let e = errors_at(&config(&[("remote_cidr", s("10.0.0.1"))]));
        assert!(e[0].contains("10.0.0.1/32"), "{e:?}");
    }

    fn rule(protocol: RuleProtocol) -> SecurityGroupRule {
        SecurityGroupRule {
            id: "r-1".into(),
            href: None,
            direction: "inbound".into(),
            ip_version: Some("ipv4".into()),
            name: Some("allow-ssh".into()),
            remote: Some(RuleRemote::CidrBlock {
                cidr_block: "10.51.0.0/24".into(),
            }),
            local: Some(RuleLocal::CidrBlock {
                cidr_block: "0.0.0.0/0".into(),
            }),
            resource_type: Some("security_group_rule".into()),
            protocol,
        }
    }

    #[test]
    fn every_protocol_round_trips_through_the_api_shape() {
        let base = RuleState {
            security_group_id: "sg".into(),
            direction: "inbound".into(),
            remote_cidr: Some("10.51.0.0/24".into()),
            local_cidr: Some(ANY_CIDR.into()),
            name: Some("allow-ssh".into()),
            ..RuleState::default()
        };
        let variants = [
            RuleState {
                protocol: Some("tcp".into()),
                port_min: Some(22),
                port_max: Some(22),
                ..base.clone()
            },
            RuleState {
                protocol: Some("udp".into()),
                ..base.clone()
            },
            RuleState {
                protocol: Some("icmp".into()),
                icmp_type: Some(8),
                icmp_code: Some(0),
                ..base.clone()
            },
            RuleState {
                protocol: Some("icmp".into()),
                ..base.clone()
            },
            RuleState {
                protocol: Some("icmp_tcp_udp".into()),
                ..base.clone()
            },
            RuleState {
                protocol: Some("any".into()),
                ..base.clone()
            },
        ];
        for state in variants {
            let sent = prototype(&state);
            let stored = rule(sent.protocol.clone());
            let mut back = from_rule("sg", &stored, Some(&state)).unwrap();
            back.id = None;
            back.rule_id = None;
            assert_eq!(back, state, "round trip of {:?}", state.protocol);
            assert!(crate::cloud::vpc::rule_matches(&sent, &stored));
        }
    }

    #[test]
    fn all_ports_read_back_as_the_user_wrote_them() {
        let all = rule(RuleProtocol::Tcp {
            port_min: Some(1),
            port_max: Some(65535),
        });
        assert_eq!(from_rule("sg", &all, None).unwrap().port_min, None);
        let explicit = RuleState {
            port_min: Some(1),
            port_max: Some(65535),
            ..RuleState::default()
        };
        assert_eq!(
            from_rule("sg", &all, Some(&explicit)).unwrap().port_max,
            Some(65535)
        );
        let gre = rule(RuleProtocol::Individual("gre".into()));
        assert!(from_rule("sg", &gre, None).unwrap_err().contains("gre"));
    }

    #[test]
    fn patches_carry_only_what_changed() {
        let prior = RuleState {
            direction: "inbound".into(),
            protocol: Some("tcp".into()),
            port_min: Some(22),
            port_max: Some(22),
            remote_cidr: Some("10.51.0.0/24".into()),
            local_cidr: Some(ANY_CIDR.into()),
            name: Some("a".into()),
            ..RuleState::default()
        };
        assert_eq!(patch(&prior, &prior), SecurityGroupRulePatch::default());
        let wider = RuleState {
            port_min: None,
            port_max: None,
            remote_cidr: Some("10.52.0.0/24".into()),
            ..prior.clone()
        };
        let p = patch(&prior, &wider);
        assert_eq!((p.port_min, p.port_max), (Some(1), Some(65535)));
        assert!(
            matches!(p.remote, Some(RuleRemote::CidrBlock { ref cidr_block }) if cidr_block == "10.52.0.0/24")
        );
        assert!(p.direction.is_none() && p.name.is_none() && p.local.is_none());
    }
}
