//! Adopting existing security group rules as `dr_security_group_rule`s: their identity
//! (security group id and rule id), import by identity, and which rules a listing can offer.
//!
//! A rule this resource cannot express is not offered for import: one whose protocol is none
//! of `tcp`, `udp`, `icmp`, `icmp_tcp_udp`, `any`, or whose remote is another security group
//! rather than a CIDR block. Imported, either would plan a change (or fail) at once.

use tf_framework::identity::IdentityBinding;

use super::TYPE_NAME;
use super::model::{self, DEFAULT_PROTOCOL, RuleState};
use crate::cloud::vpc::SecurityGroupRule;
use crate::resources::adoption::{KeyIdentity, KeyedState, key_binding};

/// The identity of a `dr_security_group_rule`: its security group and its id there.
impl KeyedState for RuleState {
    const IDENTITY: KeyIdentity = KeyIdentity {
        type_name: TYPE_NAME,
        parts: &[
            (
                "security_group_id",
                "The VPC security group the rule belongs to.",
            ),
            ("rule_id", "The rule's id in the security group."),
        ],
    };

    fn key(&self) -> Vec<Option<&str>> {
        vec![Some(&self.security_group_id), self.rule_id.as_deref()]
    }
}

/// Import by identity: the import id is `<security_group_id>/<rule_id>`.
pub const IDENTITY_BINDING: IdentityBinding<RuleState> = key_binding();

/// The state an import of `rule` gives, when this resource can manage the rule.
pub fn listed_state(security_group_id: &str, rule: &SecurityGroupRule) -> Option<RuleState> {
    match model::from_rule(security_group_id, rule, None) {
        Ok(state) if state.remote_cidr.is_some() => Some(state),
        Ok(_) => {
            tracing::info!(
                rule = %rule.id,
                "not listed: its remote is a security group, which dr_security_group_rule does not express"
            );
            None
        }
        Err(why) => {
            tracing::info!(rule = %rule.id, "not listed: {why}");
            None
        }
    }
}

/// How a listed rule is shown: its name and what it allows, e.g.
/// `allow-powervs (inbound tcp 22 from 10.51.0.0/24)`.
pub fn display_name(state: &RuleState) -> String {
    let name = state
        .name
        .clone()
        .or_else(|| state.rule_id.clone())
        .unwrap_or_default();
    let protocol = state.protocol.as_deref().unwrap_or(DEFAULT_PROTOCOL);
    let ports = match (state.port_min, state.port_max, state.icmp_type) {
        (Some(lo), Some(hi), _) if lo == hi => format!(" {lo}"),
        (Some(lo), Some(hi), _) => format!(" {lo}-{hi}"),
        (_, _, Some(t)) => format!(" type {t}"),
        _ => String::new(),
    };
    let (towards, cidr) = if state.direction == "outbound" {
        ("to", state.remote_cidr.as_deref())
    } else {
        ("from", state.remote_cidr.as_deref())
    };
    format!(
        "{name} ({} {protocol}{ports} {towards} {})",
        state.direction,
        cidr.unwrap_or(model::ANY_CIDR)
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::cloud::vpc::{RuleLocal, RuleProtocol, RuleRemote};

    fn rule(id: &str, protocol: RuleProtocol, remote: RuleRemote) -> SecurityGroupRule {
        SecurityGroupRule {
            id: id.into(),
            href: None,
            direction: "inbound".into(),
            ip_version: Some("ipv4".into()),
            name: Some(format!("rule-{id}")),
            remote: Some(remote),
            local: Some(RuleLocal::CidrBlock {
                cidr_block: "0.0.0.0/0".into(),
            }),
            resource_type: Some("security_group_rule".into()),
            protocol,
        }
    }

    fn cidr(block: &str) -> RuleRemote {
        RuleRemote::CidrBlock {
            cidr_block: block.into(),
        }
    }

    #[test]
    fn only_rules_the_resource_expresses_are_listed() {
        let ssh = rule(
            "r-1",
            RuleProtocol::Tcp {
                port_min: Some(22),
                port_max: Some(22),
            },
            cidr("10.51.0.0/24"),
        );
        let state = listed_state("sg", &ssh).unwrap();
        assert_eq!(state.id.as_deref(), Some("sg/r-1"));
        assert_eq!(
            display_name(&state),
            "rule-r-1 (inbound tcp 22 from 10.51.0.0/24)"
        );
        let all_tcp = rule(
            "r-2",
            RuleProtocol::Tcp {
                port_min: Some(1),
                port_max: Some(65535),
            },
            cidr("10.52.0.0/24"),
        );
        let state = listed_state("sg", &all_tcp).unwrap();
        assert_eq!(
            (state.port_min, state.port_max),
            (None, None),
            "as import reads it"
        );
        assert_eq!(
            display_name(&state),
            "rule-r-2 (inbound tcp from 10.52.0.0/24)"
        );
        let gre = rule(
            "r-3",
            RuleProtocol::Individual("gre".into()),
            cidr("10.0.0.0/8"),
        );
        assert!(listed_state("sg", &gre).is_none());
        let from_group = rule(
            "r-4",
            RuleProtocol::Any,
            RuleRemote::SecurityGroup(Default::default()),
        );
        assert!(listed_state("sg", &from_group).is_none());
    }
}
