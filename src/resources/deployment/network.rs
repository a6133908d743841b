//! The orchestrator VM's networks beyond the private ones it was deployed with.
//!
//! IBM deploys the orchestrator with private networks only and tells users to enable the
//! public network by hand afterwards; ops teams attach networks too. None of that may
//! replace a DR deployment, so `network_ids` stays what the deployment was created with and
//! what the VM has now is reported apart: `attached_network_ids` (every NIC's network, in
//! the VM's order) and `public_network` (a NIC on a `pub-vlan` network). `public_network`
//! is also an argument: it attaches or detaches the workspace's public network in place
//! through PowerVS's network-on-instance calls, creating that network when the workspace
//! has none.

use std::collections::HashSet;

use tokio::time::Instant;

use super::poll_until;
use crate::cloud::poll::{PollStatus, wait_for};
use crate::cloud::power::{NetworkCreate, PvmInstance, PvmInstanceAddNetwork, WorkspaceClient};
use crate::cloud::{Clients, CloudError};

/// PowerVS's network type of public networks.
const PUBLIC: &str = "pub-vlan";
/// PowerVS's network type of private networks.
const PRIVATE: &str = "vlan";
/// The name of the public network created when a workspace has none.
pub const PUBLIC_NETWORK_NAME: &str = "public-network";

/// What the orchestrator VM has attached now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attached {
    /// Every NIC's network id, in the VM's order, each once.
    pub network_ids: Vec<String>,
    /// True when a NIC is on a public network.
    pub public: bool,
    /// The private networks among them (only known when they had to be looked up).
    pub private: Option<Vec<String>>,
}

/// The network ids of a VM's NICs, in order, each once.
pub fn nic_networks(vm: &PvmInstance) -> Vec<String> {
    let mut seen = HashSet::new();
    vm.networks
        .iter()
        .flatten()
        .filter_map(|n| n.network_id.clone())
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

/// The VM's networks as [`Attached`]. The workspace's networks are listed (one request) only
/// when the VM has a NIC outside `deployed`, or `deployed` is unknown: in the usual case a
/// refresh costs nothing more.
pub async fn observe(
    workspace: &WorkspaceClient,
    vm: &PvmInstance,
    deployed: Option<&[String]>,
) -> Result<Attached, CloudError> {
    let network_ids = nic_networks(vm);
    let extra = match deployed {
        Some(deployed) => network_ids.iter().any(|id| !deployed.contains(id)),
        None => true,
    };
    if !extra {
        return Ok(Attached {
            network_ids,
            public: false,
            private: None,
        });
    }
    let networks = workspace.list_networks().await?;
    let type_of = |id: &str| {
        networks
            .iter()
            .find(|n| n.network_id == id)
            .map(|n| n.type_.as_str())
    };
    let public = network_ids.iter().any(|id| type_of(id) == Some(PUBLIC));
    let private = network_ids
        .iter()
        .filter(|id| type_of(id) == Some(PRIVATE))
        .cloned()
        .collect();
    Ok(Attached {
        network_ids,
        public,
        private: Some(private),
    })
}

/// Attaches (`want`) or detaches (`!want`) the workspace's public network on VM `vm_id` and
/// waits until PowerVS lists the VM's NICs accordingly.
pub async fn set_public(
    clients: &Clients,
    workspace: &WorkspaceClient,
    vm_id: &str,
    want: bool,
    deadline: Instant,
) -> Result<(), CloudError> {
    // PowerVS changes the networks of an ACTIVE or SHUTOFF VM only (not while it resizes).
    workspace
        .wait_instance_ready(
            vm_id,
            true,
            true,
            &poll_until(
                clients,
                format!("orchestrator VM {vm_id} to be ACTIVE before changing its networks"),
                deadline,
            ),
        )
        .await?;
    let networks = workspace.list_networks().await?;
    let public_ids: Vec<String> = networks
        .iter()
        .filter(|n| n.type_ == PUBLIC)
        .map(|n| n.network_id.clone())
        .collect();
    let nics = workspace.list_instance_networks(vm_id).await?;
    let attached_public: Vec<String> = nics
        .iter()
        .filter_map(|n| n.network_id.clone())
        .filter(|id| public_ids.contains(id))
        .collect();
    // The networks whose NICs must be there (attach) or gone (detach) at the end.
    let changed: Vec<String> = if want {
        if !attached_public.is_empty() {
            return Ok(());
        }
        let network_id = match public_ids.first() {
            Some(id) => id.clone(),
            None => {
                tracing::info!(
                    "Workspace {} has no public network; creating {PUBLIC_NETWORK_NAME:?}",
                    workspace.guid()
                );
                workspace
                    .create_network(&NetworkCreate {
                        type_: PUBLIC.into(),
                        name: Some(PUBLIC_NETWORK_NAME.into()),
                        ..NetworkCreate::default()
                    })
                    .await?
                    .network_id
            }
        };
        tracing::info!(
            vm = vm_id,
            "Attaching public network {network_id} to the orchestrator VM"
        );
        workspace
            .attach_network(
                vm_id,
                &PvmInstanceAddNetwork {
                    network_id: network_id.clone(),
                    ip_address: None,
                },
            )
            .await?;
        vec![network_id]
    } else {
        for network_id in &attached_public {
            tracing::info!(
                vm = vm_id,
                "Detaching public network {network_id} from the orchestrator VM"
            );
            match workspace.detach_network(vm_id, network_id).await {
                // Detached already (a retry, or by hand).
                Err(e) if e.is_not_found() => {}
                other => other?,
            }
        }
        attached_public
    };
    let what = if want { "attached to" } else { "detached from" };
    let options = poll_until(
        clients,
        format!("the public network to be {what} orchestrator VM {vm_id}"),
        deadline,
    );
    wait_for(&options, || async {
        let now = workspace.list_instance_networks(vm_id).await?;
        let present = changed
            .iter()
            .all(|id| now.iter().any(|n| n.network_id.as_deref() == Some(id)));
        let absent = changed
            .iter()
            .all(|id| now.iter().all(|n| n.network_id.as_deref() != Some(id)));
        Ok(if (want && present) || (!want && absent) {
            PollStatus::Done(())
        } else {
            PollStatus::Pending {
                state: format!("{} NICs", now.len()),
            }
        })
    })
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::cloud::power::PvmInstanceNetwork;

    #[test]
    fn nics_list_each_network_once_in_order() {
        let nic = |id: &str| PvmInstanceNetwork {
            network_id: Some(id.into()),
            ..PvmInstanceNetwork::default()
        };
        let vm = PvmInstance {
            networks: Some(vec![nic("mgmt"), nic("pub"), nic("mgmt")]),
            ..PvmInstance::default()
        };
        assert_eq!(nic_networks(&vm), ["mgmt", "pub"]);
    }
}
