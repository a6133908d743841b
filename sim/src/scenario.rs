//! The account the emulator starts with (described in `docs/guides/dr-cloudsim.md`, "The
//! default scenario"), as data.
//!
//! A scenario describes intent (names, CIDRs, images, which networks a VM sits on); each
//! service's `seed` turns it into API-shaped objects with generated ids. Keeping it as serde
//! data lets tests and demos load a different account with `--scenario FILE` (JSON) without
//! touching code. Every field has a default, so a file only needs what it changes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Scenario {
    /// The BSS account id every CRN and token carries.
    pub account_id: String,
    pub account_name: String,
    /// The identity behind the API key.
    pub user: UserSpec,
    /// The multi-zone region of the VPC, the Transit Gateway and the PowerVS zones.
    pub region: String,
    /// Resource groups; exactly one should be `default`.
    pub resource_groups: Vec<ResourceGroupSpec>,
    /// The PowerVS stock-image catalog, the same in every workspace.
    pub stock_images: Vec<StockImageSpec>,
    pub workspaces: Vec<WorkspaceSpec>,
    /// Seeded by `services::vpc::seed`.
    pub vpc: Option<VpcSpec>,
    /// Seeded by `services::tg::seed`.
    pub transit_gateway: Option<TransitGatewaySpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct UserSpec {
    pub iam_id: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct ResourceGroupSpec {
    pub name: String,
    pub default: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct StockImageSpec {
    /// Image name as the catalog shows it, e.g. `7300-02-01`.
    pub name: String,
    /// PowerVS `osType`: aix, ibmi, rhel, sles.
    pub os_type: String,
    pub operating_system: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct WorkspaceSpec {
    pub name: String,
    /// PowerVS zone (datacenter), e.g. dal10.
    pub zone: String,
    /// Resource group name; empty means the default group.
    pub resource_group: String,
    pub networks: Vec<NetworkSpec>,
    pub ssh_keys: Vec<SshKeySpec>,
    /// Stock image names copied into the workspace's own image list.
    pub images: Vec<String>,
    pub instances: Vec<InstanceSpec>,
    /// Machine types (sysType) the workspace's zone offers.
    pub machine_types: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct NetworkSpec {
    pub name: String,
    /// `vlan` (private) or `pub-vlan`.
    #[serde(rename = "type")]
    pub network_type: String,
    pub cidr: String,
    /// Empty: the first host of the CIDR.
    pub gateway: String,
    pub dns_servers: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct SshKeySpec {
    pub name: String,
    pub public_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct InstanceSpec {
    pub name: String,
    /// Name of an image of the workspace (or a stock image).
    pub image: String,
    pub processors: f64,
    pub memory: f64,
    pub proc_type: String,
    pub sys_type: String,
    pub storage_type: String,
    /// Network names of the workspace, in NIC order.
    pub networks: Vec<String>,
    pub ssh_key: String,
}

impl Default for InstanceSpec {
    fn default() -> Self {
        InstanceSpec {
            name: String::new(),
            image: String::new(),
            processors: 0.5,
            memory: 4.0,
            proc_type: "shared".into(),
            sys_type: "s922".into(),
            storage_type: "tier1".into(),
            networks: Vec::new(),
            ssh_key: String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct VpcSpec {
    pub name: String,
    /// Resource group name; empty means the default group.
    pub resource_group: String,
    pub subnets: Vec<SubnetSpec>,
    pub security_groups: Vec<SecurityGroupSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct SubnetSpec {
    pub name: String,
    pub cidr: String,
    /// VPC zone, e.g. us-south-1.
    pub zone: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct SecurityGroupSpec {
    pub name: String,
    pub rules: Vec<SecurityGroupRuleSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct SecurityGroupRuleSpec {
    pub name: String,
    /// inbound | outbound
    pub direction: String,
    /// tcp | udp | icmp | icmp_tcp_udp | any
    pub protocol: String,
    pub remote_cidr: String,
    pub port_min: Option<u16>,
    pub port_max: Option<u16>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct TransitGatewaySpec {
    pub name: String,
    /// Region of the gateway, e.g. us-south.
    pub location: String,
    pub global: bool,
    /// Resource group name; empty means the default group.
    pub resource_group: String,
    /// Whether the scenario's VPC is connected.
    pub connect_vpc: bool,
    /// Names of the workspaces connected (network_type power_virtual_server).
    pub connected_workspaces: Vec<String>,
}

fn net(name: &str, cidr: &str) -> NetworkSpec {
    NetworkSpec {
        name: name.into(),
        network_type: "vlan".into(),
        cidr: cidr.into(),
        gateway: String::new(),
        dns_servers: vec!["127.0.0.1".into()],
    }
}

fn vm(name: &str, image: &str, processors: f64, memory: f64, networks: &[&str]) -> InstanceSpec {
    InstanceSpec {
        name: name.into(),
        image: image.into(),
        processors,
        memory,
        networks: networks.iter().map(|n| (*n).to_owned()).collect(),
        ssh_key: "slz-ssh-key".into(),
        ..InstanceSpec::default()
    }
}

fn stock(name: &str, os_type: &str, operating_system: &str, description: &str) -> StockImageSpec {
    StockImageSpec {
        name: name.into(),
        os_type: os_type.into(),
        operating_system: operating_system.into(),
        description: description.into(),
    }
}

/// The default scenario's SSH key (`slz-ssh-key`) is a real key pair whose private half is
/// public knowledge (`GET /_sim/ssh` hands it out): the demo and the tests log in to the jump
/// host and, as root, to orchestrators deployed with it, the way a landing zone's key does.
/// Never a secret: it exists only in emulators.
pub const SCENARIO_KEY_NAME: &str = "slz-ssh-key";
const SCENARIO_KEY_SEED: [u8; 32] = [7; 32];

/// The private key of `slz-ssh-key`.
pub fn scenario_private_key() -> russh::keys::PrivateKey {
    russh::keys::PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(
        &SCENARIO_KEY_SEED,
    ))
}

fn scenario_public_key() -> String {
    scenario_private_key()
        .public_key()
        .to_openssh()
        .map(|k| format!("{k} dr-cloudsim"))
        .unwrap_or_default()
}

impl Default for Scenario {
    /// The landing-zone-shaped account `docs/guides/dr-cloudsim.md` describes.
    fn default() -> Self {
        let images = vec![
            "7300-02-01".to_owned(),
            "IBMi-75-03-2924-1".to_owned(),
            "RHEL9-SP2".to_owned(),
            "SLES15-SP5".to_owned(),
        ];
        let ssh_keys = vec![SshKeySpec {
            name: SCENARIO_KEY_NAME.into(),
            public_key: scenario_public_key(),
        }];
        let machine_types = vec!["s922".to_owned(), "e980".to_owned(), "s1022".to_owned()];
        Scenario {
            account_id: "6f1d1a9c2b7e4c0e9a3b5d7f8e2c4a61".into(),
            account_name: "DR Cloudsim Account".into(),
            user: UserSpec {
                iam_id: "IBMid-6610000SIM".into(),
                email: "dr-admin@example.com".into(),
            },
            region: "us-south".into(),
            resource_groups: vec![
                ResourceGroupSpec {
                    name: "Default".into(),
                    default: true,
                },
                ResourceGroupSpec {
                    name: "slz-service-rg".into(),
                    default: false,
                },
            ],
            stock_images: vec![
                stock("7300-02-01", "aix", "aix", "AIX 7.3 TL2 SP1"),
                stock("7300-00-01", "aix", "aix", "AIX 7.3 TL0 SP1"),
                stock("7200-05-06", "aix", "aix", "AIX 7.2 TL5 SP6"),
                stock("IBMi-75-03-2924-1", "ibmi", "ibmi", "IBM i 7.5 TR3"),
                stock("RHEL9-SP2", "rhel", "rhel", "Red Hat Enterprise Linux 9.2"),
                stock(
                    "SLES15-SP5",
                    "sles",
                    "sles",
                    "SUSE Linux Enterprise Server 15 SP5",
                ),
            ],
            workspaces: vec![
                WorkspaceSpec {
                    name: "slz-dal10-power-workspace".into(),
                    zone: "dal10".into(),
                    resource_group: "slz-service-rg".into(),
                    networks: vec![
                        net("mgmt_net", "10.51.0.0/24"),
                        net("bkp_net", "10.52.0.0/24"),
                    ],
                    ssh_keys: ssh_keys.clone(),
                    images: images.clone(),
                    instances: vec![
                        vm(
                            "aix-app-01",
                            "7300-02-01",
                            1.0,
                            16.0,
                            &["mgmt_net", "bkp_net"],
                        ),
                        vm("ibmi-db-01", "IBMi-75-03-2924-1", 0.5, 8.0, &["mgmt_net"]),
                        vm("rhel-web-01", "RHEL9-SP2", 0.5, 4.0, &["mgmt_net"]),
                        vm("sles-util-01", "SLES15-SP5", 0.25, 4.0, &["mgmt_net"]),
                    ],
                    machine_types: machine_types.clone(),
                },
                WorkspaceSpec {
                    name: "slz-dal12-power-workspace".into(),
                    zone: "dal12".into(),
                    resource_group: "slz-service-rg".into(),
                    networks: vec![
                        net("mgmt_net", "10.61.0.0/24"),
                        net("bkp_net", "10.62.0.0/24"),
                    ],
                    ssh_keys: ssh_keys.clone(),
                    images: images.clone(),
                    instances: vec![vm("aix-dr-test-01", "7300-02-01", 0.5, 4.0, &["mgmt_net"])],
                    machine_types: vec!["s922".to_owned(), "s1022".to_owned()],
                },
                // The DR (backup) site: a workspace in dal10's GRS partner location, in
                // another region (ASSUMPTION dal10 <-> wdc07; see ksys::regions).
                WorkspaceSpec {
                    name: "slz-wdc07-power-workspace".into(),
                    zone: "wdc07".into(),
                    resource_group: "slz-service-rg".into(),
                    networks: vec![
                        net("mgmt_net", "10.71.0.0/24"),
                        net("bkp_net", "10.72.0.0/24"),
                    ],
                    ssh_keys: ssh_keys.clone(),
                    images: vec!["7300-02-01".to_owned()],
                    instances: Vec::new(),
                    machine_types: vec!["s922".to_owned(), "s1022".to_owned()],
                },
                WorkspaceSpec {
                    name: "overlap-dal13-power-workspace".into(),
                    zone: "dal13".into(),
                    resource_group: "Default".into(),
                    networks: vec![net("mgmt_net", "10.51.0.0/24")],
                    ssh_keys,
                    images: vec!["7300-02-01".to_owned()],
                    instances: Vec::new(),
                    machine_types,
                },
            ],
            vpc: Some(VpcSpec {
                name: "slz-edge-vpc".into(),
                resource_group: "slz-service-rg".into(),
                subnets: vec![
                    SubnetSpec {
                        name: "vpn-zone-1".into(),
                        cidr: "10.30.10.0/24".into(),
                        zone: "us-south-1".into(),
                    },
                    SubnetSpec {
                        name: "mgmt-zone-1".into(),
                        cidr: "10.30.20.0/24".into(),
                        zone: "us-south-1".into(),
                    },
                    SubnetSpec {
                        name: "vpe-zone-1".into(),
                        cidr: "10.30.30.0/24".into(),
                        zone: "us-south-1".into(),
                    },
                    SubnetSpec {
                        name: "edge-zone-1".into(),
                        cidr: "10.30.40.0/24".into(),
                        zone: "us-south-1".into(),
                    },
                ],
                security_groups: vec![
                    SecurityGroupSpec {
                        name: "management-sg".into(),
                        rules: vec![
                            SecurityGroupRuleSpec {
                                name: "allow-pvs-mgmt-inbound".into(),
                                direction: "inbound".into(),
                                protocol: "tcp".into(),
                                remote_cidr: "10.51.0.0/24".into(),
                                port_min: Some(22),
                                port_max: Some(22),
                            },
                            SecurityGroupRuleSpec {
                                name: "allow-pvs-bckp-inbound".into(),
                                direction: "inbound".into(),
                                protocol: "tcp".into(),
                                remote_cidr: "10.52.0.0/24".into(),
                                port_min: Some(22),
                                port_max: Some(22),
                            },
                        ],
                    },
                    SecurityGroupSpec {
                        name: "network-services-sg".into(),
                        rules: Vec::new(),
                    },
                ],
            }),
            transit_gateway: Some(TransitGatewaySpec {
                name: "slz-transit-gateway".into(),
                location: "us-south".into(),
                global: false,
                resource_group: "slz-service-rg".into(),
                connect_vpc: true,
                connected_workspaces: vec!["slz-dal10-power-workspace".into()],
            }),
        }
    }
}

/// Why a scenario file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("scenario file {path} is not valid: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
}

impl Scenario {
    /// Loads a JSON scenario; missing fields take the default scenario's values.
    pub fn load(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| ScenarioError::Parse {
            path: path.display().to_string(),
            source,
        })
    }

    /// The name of the default resource group (the first one flagged, else the first).
    pub fn default_resource_group(&self) -> Option<&ResourceGroupSpec> {
        self.resource_groups
            .iter()
            .find(|g| g.default)
            .or_else(|| self.resource_groups.first())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scenario_matches_the_design() {
        let s = Scenario::default();
        assert_eq!(s.region, "us-south");
        assert_eq!(s.workspaces.len(), 4);
        assert_eq!(s.workspaces[0].zone, "dal10");
        assert_eq!(s.workspaces[1].zone, "dal12");
        assert_eq!(s.workspaces[2].zone, "wdc07");
        assert_eq!(s.workspaces[2].networks[0].cidr, "10.71.0.0/24");
        assert_eq!(s.workspaces[3].networks[0].cidr, "10.51.0.0/24");
        assert_eq!(
            s.default_resource_group().map(|g| g.name.as_str()),
            Some("Default")
        );
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Scenario>(&json).unwrap(), s);
    }

    #[test]
    fn partial_files_fill_in_defaults() {
        let s: Scenario = serde_json::from_str(r#"{"region": "eu-de"}"#).unwrap();
        assert_eq!(s.region, "eu-de");
        assert_eq!(s.workspaces.len(), 4);
    }
}
