//! The subnet-overlap check of the standby workspace against everything its Transit Gateway
//! reaches.
//!
//! The Transit Gateway accepts overlapping prefixes and then routes traffic to one of them,
//! which for DR means recovery traffic lands in the wrong workspace. So before the standby
//! workspace is attached, its subnets are compared with the other PowerVS workspaces on the
//! gateway and with the VPCs' address prefixes and subnets; every overlap is refused with
//! both subnets, their CIDRs, where they live and the gateway named.

use crate::cloud::power::Workspace;
use crate::cloud::transit_gateway::TransitGateway;
use crate::cloud::{Clients, CloudError};
use crate::resources::deployment::workspace_networks;
use crate::validate::cidr::{Cidr, overlapping_pairs};

/// A subnet (or address prefix) and the words that name it in a message.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedCidr {
    pub label: String,
    pub cidr: Cidr,
}

/// The GUID inside a PowerVS workspace CRN (`crn:...:power-iaas:dal10:a/acc:<guid>::`).
fn guid_of_crn(crn: &str) -> Option<&str> {
    crn.trim_end_matches(':')
        .rsplit(':')
        .next()
        .filter(|g| !g.is_empty())
}

/// Whether `crn` names `workspace`.
pub fn is_workspace_crn(crn: &str, workspace: &Workspace) -> bool {
    workspace.crn() == Some(crn) || guid_of_crn(crn) == Some(workspace.id.as_str())
}

/// The subnets of a PowerVS workspace, labelled `"<prefix> <workspace name>"`.
pub async fn workspace_subnets(
    clients: &Clients,
    workspace: &Workspace,
    prefix: &str,
) -> Result<Vec<NamedCidr>, CloudError> {
    let networks = workspace_networks(clients, workspace).await?;
    Ok(networks
        .iter()
        .filter_map(|n| {
            let cidr = Cidr::parse_lenient(n.cidr.as_deref()?).ok()?;
            Some(NamedCidr {
                label: format!("subnet {} ({cidr}) of {prefix} {}", n.name, workspace.name),
                cidr,
            })
        })
        .collect())
}

/// Every network reachable through `gateway` except the workspace `standby` itself: the
/// subnets of the other PowerVS workspaces and the VPCs' address prefixes and subnets.
/// Connections of other kinds (classic, Direct Link, GRE) carry prefixes the provider cannot
/// list, and are left out.
pub async fn reachable_networks(
    clients: &Clients,
    gateway: &TransitGateway,
    standby: &Workspace,
) -> Result<Vec<NamedCidr>, CloudError> {
    let connections = clients
        .transit_gateway
        .list_connections(&gateway.id)
        .await?;
    let live = connections.iter().filter(|c| {
        !matches!(
            c.status.as_deref(),
            Some("deleting" | "detaching" | "detached")
        )
    });
    let mut workspaces: Option<Vec<Workspace>> = None;
    let mut vpcs = None;
    let mut out = Vec::new();
    for connection in live {
        let Some(network) = connection.network_id.as_deref() else {
            continue;
        };
        match connection.network_type.as_deref() {
            Some("power_virtual_server") => {
                if is_workspace_crn(network, standby) {
                    continue;
                }
                if workspaces.is_none() {
                    workspaces = Some(clients.power.list_workspaces().await?);
                }
                let found = workspaces
                    .iter()
                    .flatten()
                    .find(|w| is_workspace_crn(network, w));
                if let Some(workspace) = found {
                    out.extend(workspace_subnets(clients, workspace, "PowerVS workspace").await?);
                }
            }
            Some("vpc") => {
                if vpcs.is_none() {
                    vpcs = Some(clients.vpc.list_vpcs().await?);
                }
                let Some(vpc) = vpcs
                    .iter()
                    .flatten()
                    .find(|v| v.crn.as_deref() == Some(network))
                else {
                    continue;
                };
                for prefix in clients.vpc.list_address_prefixes(&vpc.id).await? {
                    if let Ok(cidr) = Cidr::parse_lenient(&prefix.cidr) {
                        out.push(NamedCidr {
                            label: format!(
                                "address prefix {} ({cidr}) of VPC {}",
                                prefix.name, vpc.name
                            ),
                            cidr,
                        });
                    }
                }
                for subnet in clients.vpc.list_subnets(Some(&vpc.id)).await? {
                    if let Some(cidr) = subnet
                        .ipv4_cidr_block
                        .as_deref()
                        .and_then(|c| Cidr::parse_lenient(c).ok())
                    {
                        out.push(NamedCidr {
                            label: format!("subnet {} ({cidr}) of VPC {}", subnet.name, vpc.name),
                            cidr,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// One message per overlap between a standby subnet and a reachable network.
pub fn overlap_messages(
    standby: &[NamedCidr],
    reachable: &[NamedCidr],
    gateway: &TransitGateway,
) -> Vec<String> {
    let items: Vec<(&str, Cidr)> = standby
        .iter()
        .chain(reachable)
        .map(|n| (n.label.as_str(), n.cidr))
        .collect();
    let split = standby.len();
    overlapping_pairs(&items)
        .into_iter()
        // Only standby-against-reachable pairs: the networks already on the gateway are
        // not this resource's business.
        .filter(|&(i, j)| i < split && j >= split)
        .map(|(i, j)| {
            format!(
                "{} overlaps {}; both would be reachable through transit gateway {} ({}), which accepts \
                 overlapping routes but then sends their traffic to only one of them.",
                capitalised(items[i].0),
                items[j].0,
                gateway.name,
                gateway.id
            )
        })
        .collect()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    fn named(label: &str, cidr: &str) -> NamedCidr {
        NamedCidr {
            label: label.into(),
            cidr: Cidr::parse(cidr).unwrap(),
        }
    }

    #[test]
    fn overlaps_name_both_subnets_their_homes_and_the_gateway() {
        let gateway = TransitGateway {
            id: "tg-1".into(),
            name: "slz-transit-gateway".into(),
            ..TransitGateway::default()
        };
        let standby = vec![
            named(
                "subnet mgmt_net (10.51.0.0/24) of standby workspace overlap-dal13",
                "10.51.0.0/24",
            ),
            named(
                "subnet other (10.99.0.0/24) of standby workspace overlap-dal13",
                "10.99.0.0/24",
            ),
        ];
        let reachable = vec![
            named(
                "subnet mgmt_net (10.51.0.0/24) of PowerVS workspace slz-dal10",
                "10.51.0.0/24",
            ),
            named(
                "address prefix p1 (10.0.0.0/8) of VPC slz-edge-vpc",
                "10.0.0.0/8",
            ),
            // Overlaps among reachable networks are not reported here.
            named(
                "subnet s1 (10.51.0.0/25) of VPC slz-edge-vpc",
                "10.51.0.0/25",
            ),
        ];
        let messages = overlap_messages(&standby, &reachable, &gateway);
        assert_eq!(messages.len(), 4, "{messages:#?}");
        assert!(messages[0].starts_with(
            "Subnet mgmt_net (10.51.0.0/24) of standby workspace overlap-dal13 overlaps subnet mgmt_net \
             (10.51.0.0/24) of PowerVS workspace slz-dal10"
        ));
        assert!(messages[0].contains("transit gateway slz-transit-gateway (tg-1)"));
        assert!(
            messages
                .iter()
                .any(|m| m.contains("10.99.0.0/24") && m.contains("VPC slz-edge-vpc"))
        );
        assert!(overlap_messages(&standby[1..], &reachable[..1], &gateway).is_empty());
    }

    #[test]
    fn workspace_crns_match_by_crn_or_guid() {
        let ws: Workspace = serde_json::from_value(serde_json::json!({
            "id": "g-1", "name": "w",
            "details": {"crn": "crn:v1:bluemix:public:power-iaas:dal10:a/acc:g-1::"}
        }))
        .unwrap();
        assert!(is_workspace_crn(
            "crn:v1:bluemix:public:power-iaas:dal10:a/acc:g-1::",
            &ws
        ));
        assert!(is_workspace_crn(
            "crn:v1:staging:public:power-iaas:dal10:a/acc:g-1::",
            &ws
        ));
        assert!(!is_workspace_crn(
            "crn:v1:bluemix:public:power-iaas:dal10:a/acc:g-2::",
            &ws
        ));
    }
}
