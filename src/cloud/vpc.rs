//! VPC: security groups and their rules (the provider's `dr_security_group_rule`), plus the
//! VPC, subnet and address-prefix reads the CIDR overlap check needs.
//!
//! Every call carries `version=YYYY-MM-DD&generation=2`. A rule's protocol decides which other
//! fields exist (ports for tcp/udp, type/code for icmp, nothing for the rest), so the protocol
//! is one enum, [`RuleProtocol`], flattened into IBM's wire shape. Creating a rule checks the
//! group for an identical rule before repeating a POST whose outcome is unknown: IBM has no
//! idempotency keys, and a duplicate rule is exactly the bug users complain about.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::CloudError;
use super::http::ServiceApi;

/// The API version date sent with every call (IBM's VPC SDK default at the time of writing).
pub const VPC_API_VERSION: &str = "2026-03-24";
const PAGE_LIMIT: &str = "100";
const MAX_PAGES: usize = 1000;

/// A rule's protocol and the fields that belong to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "ProtocolFields", from = "ProtocolFields")]
pub enum RuleProtocol {
    /// All protocols.
    Any,
    /// ICMP, TCP and UDP, all ports.
    IcmpTcpUdp,
    /// Both ports or neither (all ports).
    Tcp {
        port_min: Option<u16>,
        port_max: Option<u16>,
    },
    Udp {
        port_min: Option<u16>,
        port_max: Option<u16>,
    },
    /// `type` 0–254 and `code` 0–255 (needs `type`); absent means all.
    Icmp {
        type_: Option<u16>,
        code: Option<u16>,
    },
    /// `ah, esp, gre, ip_in_ip, l2tp, rsvp, sctp, vrrp, number_N`, or the deprecated `all`.
    Individual(String),
}

impl RuleProtocol {
    pub fn name(&self) -> &str {
        match self {
            RuleProtocol::Any => "any",
            RuleProtocol::IcmpTcpUdp => "icmp_tcp_udp",
            RuleProtocol::Tcp { .. } => "tcp",
            RuleProtocol::Udp { .. } => "udp",
            RuleProtocol::Icmp { .. } => "icmp",
            RuleProtocol::Individual(name) => name,
        }
    }
}

/// IBM's flat wire form of a protocol.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolFields {
    #[serde(default)]
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_min: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_max: Option<u16>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
}

impl From<RuleProtocol> for ProtocolFields {
    fn from(protocol: RuleProtocol) -> Self {
        let name = protocol.name().to_string();
        match protocol {
            RuleProtocol::Tcp { port_min, port_max } | RuleProtocol::Udp { port_min, port_max } => {
                ProtocolFields {
                    protocol: name,
                    port_min,
                    port_max,
                    ..Default::default()
                }
            }
            RuleProtocol::Icmp { type_, code } => ProtocolFields {
                protocol: name,
                type_,
                code,
                ..Default::default()
            },
            _ => ProtocolFields {
                protocol: name,
                ..Default::default()
            },
        }
    }
}

impl From<ProtocolFields> for RuleProtocol {
    fn from(f: ProtocolFields) -> Self {
        match f.protocol.as_str() {
            "any" => RuleProtocol::Any,
            "icmp_tcp_udp" => RuleProtocol::IcmpTcpUdp,
            "tcp" => RuleProtocol::Tcp {
                port_min: f.port_min,
                port_max: f.port_max,
            },
            "udp" => RuleProtocol::Udp {
                port_min: f.port_min,
                port_max: f.port_max,
            },
            "icmp" => RuleProtocol::Icmp {
                type_: f.type_,
                code: f.code,
            },
            other => RuleProtocol::Individual(other.to_string()),
        }
    }
}

/// `remote` of a rule: a CIDR, an address, or a security group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RuleRemote {
    CidrBlock { cidr_block: String },
    Address { address: String },
    SecurityGroup(SecurityGroupReference),
}

/// `local` of a rule: a CIDR or an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RuleLocal {
    CidrBlock { cidr_block: String },
    Address { address: String },
}

/// A security group by identity (`id`, `crn` or `href`) or as a reference in a response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupReference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `SecurityGroupRule` as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupRule {
    pub id: String,
    #[serde(default)]
    pub href: Option<String>,
    /// `inbound` | `outbound`.
    pub direction: String,
    #[serde(default)]
    pub ip_version: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub remote: Option<RuleRemote>,
    #[serde(default)]
    pub local: Option<RuleLocal>,
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(flatten)]
    pub protocol: RuleProtocol,
}

/// Body of `POST /security_groups/{id}/rules` (`SecurityGroupRulePrototype`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupRulePrototype {
    pub direction: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<RuleRemote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<RuleLocal>,
    #[serde(flatten)]
    pub protocol: RuleProtocol,
}

/// Body of `PATCH /security_groups/{id}/rules/{rule}` (protocol is immutable).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupRulePatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local: Option<RuleLocal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_max: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_min: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<RuleRemote>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<u16>,
}

/// A `{href, id, name}` reference (resource group, zone, VPC...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reference {
    pub id: Option<String>,
    pub crn: Option<String>,
    pub href: Option<String>,
    pub name: Option<String>,
    pub resource_type: Option<String>,
}

/// `SecurityGroup`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub crn: Option<String>,
    #[serde(default)]
    pub href: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub resource_group: Option<Reference>,
    #[serde(default)]
    pub rules: Vec<SecurityGroupRule>,
    #[serde(default)]
    pub targets: Vec<Value>,
    #[serde(default)]
    pub vpc: Option<Reference>,
}

/// `VPC` (the fields the provider reads; the rest are ignored).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Vpc {
    pub id: String,
    pub name: String,
    pub crn: Option<String>,
    pub href: Option<String>,
    pub status: Option<String>,
    pub created_at: Option<String>,
    pub classic_access: Option<bool>,
    pub default_security_group: Option<Reference>,
    pub resource_group: Option<Reference>,
    pub health_state: Option<String>,
}

/// `Subnet`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Subnet {
    pub id: String,
    pub name: String,
    pub crn: Option<String>,
    pub href: Option<String>,
    pub ipv4_cidr_block: Option<String>,
    pub ip_version: Option<String>,
    pub status: Option<String>,
    pub available_ipv4_address_count: Option<u64>,
    pub total_ipv4_address_count: Option<u64>,
    pub vpc: Option<Reference>,
    pub zone: Option<Reference>,
    pub resource_group: Option<Reference>,
    pub created_at: Option<String>,
}

/// `AddressPrefix`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AddressPrefix {
    pub id: String,
    pub name: String,
    pub cidr: String,
    pub href: Option<String>,
    pub is_default: Option<bool>,
    pub has_subnets: Option<bool>,
    pub zone: Option<Reference>,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RuleCollection {
    rules: Vec<SecurityGroupRule>,
}

/// True when `rule` is what `prototype` would create (IBM's defaults filled in), so a
/// create whose outcome was unknown can recognise its own rule.
pub fn rule_matches(prototype: &SecurityGroupRulePrototype, rule: &SecurityGroupRule) -> bool {
    let any = |cidr: &str| cidr == "0.0.0.0/0";
    let remote_is = |remote: &Option<RuleRemote>| match remote {
        None => RuleRemote::CidrBlock {
            cidr_block: "0.0.0.0/0".into(),
        },
        Some(r) => r.clone(),
    };
    let same_remote = match (remote_is(&prototype.remote), remote_is(&rule.remote)) {
        (RuleRemote::SecurityGroup(a), RuleRemote::SecurityGroup(b)) => {
            (a.id.is_some() && a.id == b.id)
                || (a.crn.is_some() && a.crn == b.crn)
                || (a.href.is_some() && a.href == b.href)
        }
        (a, b) => a == b,
    };
    let local_cidr = |local: &Option<RuleLocal>| match local {
        None => "0.0.0.0/0".to_string(),
        Some(RuleLocal::CidrBlock { cidr_block }) => cidr_block.clone(),
        Some(RuleLocal::Address { address }) => address.clone(),
    };
    let (a, b) = (local_cidr(&prototype.local), local_cidr(&rule.local));
    let same_local = a == b || (any(&a) && any(&b));
    let same_name = prototype.name.is_none() || prototype.name == rule.name;
    prototype.direction == rule.direction
        && prototype.protocol == rule.protocol
        && same_remote
        && same_local
        && same_name
}

#[derive(Debug, Clone)]
pub struct VpcClient {
    api: ServiceApi,
}

impl VpcClient {
    /// Adds the `version` and `generation` parameters to every call of `api`.
    pub fn new(api: ServiceApi) -> Self {
        Self {
            api: api
                .with_fixed_query("version", VPC_API_VERSION)
                .with_fixed_query("generation", "2"),
        }
    }

    /// Every item of a paginated collection (`{<key>: [...], next: {href}}`).
    async fn list_all<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        key: &str,
        filters: &[(&str, &str)],
    ) -> Result<Vec<T>, CloudError> {
        self.api
            .list_pages(segments, key, filters, PAGE_LIMIT, MAX_PAGES)
            .await
    }

    pub async fn list_vpcs(&self) -> Result<Vec<Vpc>, CloudError> {
        self.list_all(&["v1", "vpcs"], "vpcs", &[]).await
    }

    pub async fn get_vpc(&self, id: &str) -> Result<Vpc, CloudError> {
        self.api.get(&["v1", "vpcs", id]).await
    }

    pub async fn list_subnets(&self, vpc_id: Option<&str>) -> Result<Vec<Subnet>, CloudError> {
        let filters: Vec<(&str, &str)> = vpc_id.map(|id| ("vpc.id", id)).into_iter().collect();
        self.list_all(&["v1", "subnets"], "subnets", &filters).await
    }

    pub async fn list_address_prefixes(
        &self,
        vpc_id: &str,
    ) -> Result<Vec<AddressPrefix>, CloudError> {
        self.list_all(
            &["v1", "vpcs", vpc_id, "address_prefixes"],
            "address_prefixes",
            &[],
        )
        .await
    }

    /// All security groups, optionally of one VPC.
    pub async fn list_security_groups(
        &self,
        vpc_id: Option<&str>,
    ) -> Result<Vec<SecurityGroup>, CloudError> {
        let filters: Vec<(&str, &str)> = vpc_id.map(|id| ("vpc.id", id)).into_iter().collect();
        self.list_all(&["v1", "security_groups"], "security_groups", &filters)
            .await
    }

    pub async fn get_security_group(&self, id: &str) -> Result<SecurityGroup, CloudError> {
        self.api.get(&["v1", "security_groups", id]).await
    }

    pub async fn list_rules(
        &self,
        security_group_id: &str,
    ) -> Result<Vec<SecurityGroupRule>, CloudError> {
        let list: RuleCollection = self
            .api
            .get(&["v1", "security_groups", security_group_id, "rules"])
            .await?;
        Ok(list.rules)
    }

    pub async fn get_rule(
        &self,
        security_group_id: &str,
        rule_id: &str,
    ) -> Result<SecurityGroupRule, CloudError> {
        self.api
            .get(&["v1", "security_groups", security_group_id, "rules", rule_id])
            .await
    }

    /// Adds a rule (201). When the outcome is unknown, an identical rule already in the group
    /// is taken as ours rather than creating a second one.
    pub async fn create_rule(
        &self,
        security_group_id: &str,
        prototype: &SecurityGroupRulePrototype,
    ) -> Result<SecurityGroupRule, CloudError> {
        let rules = ["v1", "security_groups", security_group_id, "rules"];
        self.api
            .post_checked(&rules, prototype, || async {
                let rules = self.list_rules(security_group_id).await?;
                Ok(rules.into_iter().find(|r| rule_matches(prototype, r)))
            })
            .await
    }

    pub async fn update_rule(
        &self,
        security_group_id: &str,
        rule_id: &str,
        patch: &SecurityGroupRulePatch,
    ) -> Result<SecurityGroupRule, CloudError> {
        let request = self
            .api
            .request(
                Method::PATCH,
                &["v1", "security_groups", security_group_id, "rules", rule_id],
            )
            .header("content-type", "application/merge-patch+json")?
            .json(patch)?;
        self.api.send_json(request).await
    }

    /// Removes a rule (204). `NotFound` means it was already gone.
    pub async fn delete_rule(
        &self,
        security_group_id: &str,
        rule_id: &str,
    ) -> Result<(), CloudError> {
        self.api
            .delete(&["v1", "security_groups", security_group_id, "rules", rule_id])
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encode(p: &SecurityGroupRulePrototype) -> Value {
        serde_json::to_value(p).unwrap_or(Value::Null)
    }

    #[test]
    fn every_protocol_variant_has_its_own_wire_fields() {
        let base = |protocol| SecurityGroupRulePrototype {
            direction: "inbound".into(),
            ip_version: Some("ipv4".into()),
            name: None,
            remote: Some(RuleRemote::CidrBlock {
                cidr_block: "10.51.0.0/24".into(),
            }),
            local: None,
            protocol,
        };
        assert_eq!(
            encode(&base(RuleProtocol::Tcp {
                port_min: Some(22),
                port_max: Some(22)
            })),
            json!({"direction":"inbound","ip_version":"ipv4","remote":{"cidr_block":"10.51.0.0/24"},
                   "protocol":"tcp","port_min":22,"port_max":22})
        );
        assert_eq!(
            encode(&base(RuleProtocol::Icmp {
                type_: Some(8),
                code: Some(0)
            }))["type"],
            8
        );
        let any = encode(&base(RuleProtocol::Any));
        assert_eq!(any["protocol"], "any");
        assert!(any.get("port_min").is_none() && any.get("type").is_none());
        assert_eq!(
            encode(&base(RuleProtocol::IcmpTcpUdp))["protocol"],
            "icmp_tcp_udp"
        );
        assert_eq!(
            encode(&base(RuleProtocol::Individual("number_99".into())))["protocol"],
            "number_99"
        );
    }

    #[test]
    fn rules_decode_every_protocol_and_remote_form() {
        let rules: RuleCollection = serde_json::from_value(json!({"rules": [
            {"id":"r1","direction":"inbound","ip_version":"ipv4","protocol":"udp","port_min":53,"port_max":53,
             "remote":{"cidr_block":"10.30.10.0/24"},"local":{"cidr_block":"0.0.0.0/0"},"resource_type":"security_group_rule"},
            {"id":"r2","direction":"outbound","protocol":"icmp","type":8,
             "remote":{"id":"sg-2","crn":"crn:sg2","href":"h","name":"management-sg"}},
            {"id":"r3","direction":"inbound","protocol":"all","remote":{"address":"10.0.0.1"}},
            {"id":"r4","direction":"inbound","protocol":"esp"}
        ]}))
        .unwrap_or_default();
        assert_eq!(rules.rules.len(), 4);
        assert_eq!(
            rules.rules[0].protocol,
            RuleProtocol::Udp {
                port_min: Some(53),
                port_max: Some(53)
            }
        );
        assert_eq!(
            rules.rules[1].protocol,
            RuleProtocol::Icmp {
                type_: Some(8),
                code: None
            }
        );
        assert!(
            matches!(rules.rules[1].remote, Some(RuleRemote::SecurityGroup(ref sg)) if sg.name.as_deref() == Some("management-sg"))
        );
        assert_eq!(
            rules.rules[2].protocol,
            RuleProtocol::Individual("all".into())
        );
        assert!(matches!(
            rules.rules[2].remote,
            Some(RuleRemote::Address { .. })
        ));
        assert_eq!(
            rules.rules[3].protocol,
            RuleProtocol::Individual("esp".into())
        );
    }

    #[test]
    fn matching_fills_in_ibm_defaults() {
        let prototype = SecurityGroupRulePrototype {
            direction: "inbound".into(),
            ip_version: None,
            name: None,
            remote: None,
            local: None,
            protocol: RuleProtocol::Any,
        };
        let rule: SecurityGroupRule = serde_json::from_value(json!({
            "id":"r","direction":"inbound","protocol":"any","name":"random-words",
            "remote":{"cidr_block":"0.0.0.0/0"},"local":{"cidr_block":"0.0.0.0/0"}
        }))
        .unwrap_or_else(|_| panic!("decodes"));
        assert!(rule_matches(&prototype, &rule));
        let mut tcp = prototype.clone();
        tcp.protocol = RuleProtocol::Tcp {
            port_min: Some(22),
            port_max: Some(22),
        };
        assert!(!rule_matches(&tcp, &rule));
        let mut named = prototype;
        named.name = Some("other".into());
        assert!(!rule_matches(&named, &rule));
    }
}
