//! What the provider process knows about managed VMs, fetched once and shared.
//!
//! Two sources describe a managed VM: the orchestrator's KSYS (`query vm` and `query
//! workgroup` over SSH, see [`crate::support::orchestrator_access`]: protection state,
//! workgroup, priority, backup VM) and DR Automation's published
//! `GET /drautomation/v1/dr_managed_vms/{id}` (what the service computes: the zones, the
//! recovery-time estimate). Both are fetched once per orchestrator through a [`Coalescer`], so
//! a refresh of any number of managed VMs costs two remote commands and one list request per
//! orchestrator. The plan-time checks share the same way the inventory of a workspace, the
//! orchestrator's own facts, and which VMs other DR instances manage.
//!
//! The caches are per process, which is what Terraform's process model needs: a walk (plan,
//! apply, import) gets a fresh provider process, and every write here invalidates what it
//! changed.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use crate::cloud::dr_automation::ManagedVmDetails;
use crate::cloud::power::PvmInstance;
use crate::cloud::resource_controller::{ListInstances, ResourceInstance};
use crate::cloud::{Clients, CloudError};

use super::coalesce::{Coalescer, Freshness, Shared};

/// How long one list answers reads. Long enough for a whole refresh walk of a large
/// deployment, short enough that nothing the user changes by hand is missed by the next run.
const TTL: Duration = Duration::from_secs(10);
/// How long a fetch for a writer waits for other writers to join it.
const GATHER: Duration = Duration::from_millis(10);

/// The CRN service name of DR Automation instances.
const DR_SERVICE: &str = ":power-dr-automation:";

/// DR Automation's published list of one orchestrator's managed VMs.
#[derive(Debug, Clone, Default)]
pub struct PublishedVms {
    /// False when the DR instance itself is gone.
    pub exists: bool,
    pub vms: BTreeMap<String, ManagedVmDetails>,
}

impl PublishedVms {
    /// Minutes, as DR Automation estimates them (`-1` when unknown).
    pub fn average_minutes(details: &ManagedVmDetails) -> Option<i64> {
        details
            .dr_average_time
            .as_deref()
            .and_then(|t| t.trim().parse::<f64>().ok())
            .map(|m| m.round() as i64)
    }
}

/// The facts about an orchestrator the plan-time checks need.
#[derive(Debug, Clone, Default)]
pub struct OrchestratorInfo {
    /// The deployment (service instance) name; its VMs are `<name>-orchestrator`/`-standby`.
    pub deployment_name: Option<String>,
    pub workspace_id: Option<String>,
    pub standby_workspace_id: Option<String>,
}

impl OrchestratorInfo {
    /// Whether `vm_name` is one of this deployment's own orchestrator VMs.
    pub fn is_orchestrator_vm(&self, vm_name: &str) -> bool {
        self.deployment_name.as_deref().is_some_and(|d| {
            vm_name == format!("{d}-orchestrator") || vm_name == format!("{d}-standby")
        })
    }
}

/// The VMs of one PowerVS workspace.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceInventory {
    pub name: String,
    /// The PowerVS zone (datacenter), e.g. `dal10`.
    pub zone: String,
    pub instances: BTreeMap<String, PvmInstance>,
}

struct Caches {
    published: Coalescer<PublishedVms>,
    orchestrators: Coalescer<OrchestratorInfo>,
    workspaces: Coalescer<WorkspaceInventory>,
    managed_elsewhere: Coalescer<BTreeMap<String, String>>,
    deployments: Coalescer<Vec<String>>,
}

fn caches() -> &'static Caches {
    static CACHES: OnceLock<Caches> = OnceLock::new();
    CACHES.get_or_init(|| Caches {
        published: Coalescer::new(TTL, GATHER),
        orchestrators: Coalescer::new(TTL, GATHER),
        workspaces: Coalescer::new(TTL, GATHER),
        managed_elsewhere: Coalescer::new(TTL, GATHER),
        deployments: Coalescer::new(TTL, GATHER),
    })
}

/// DR Automation's list of the VMs `orchestrator_id` manages, shared in the window.
pub async fn published_vms(
    clients: &Clients,
    orchestrator_id: &str,
    freshness: Freshness,
) -> Shared<PublishedVms> {
    caches()
        .published
        .get(orchestrator_id, freshness, || async {
            match clients.dr_automation.get_managed_vms(orchestrator_id).await {
                Ok(list) => Ok(PublishedVms {
                    exists: true,
                    vms: list.managed_vm_list,
                }),
                Err(e) if e.is_not_found() => Ok(PublishedVms::default()),
                Err(e) => Err(e),
            }
        })
        .await
}

/// Forgets the published list of `orchestrator_id` (after managing or unmanaging a VM).
pub fn invalidate_published(orchestrator_id: &str) {
    caches().published.invalidate(orchestrator_id);
}

/// The orchestrator's workspaces and deployment name.
pub async fn orchestrator_info(
    clients: &Clients,
    orchestrator_id: &str,
) -> Shared<OrchestratorInfo> {
    caches()
        .orchestrators
        .get(orchestrator_id, Freshness::Recent, || async {
            let manage = clients.dr_automation.get_manage_dr(orchestrator_id);
            let status = clients.dr_automation.get_last_operation(orchestrator_id);
            let (manage, status) = tokio::try_join!(manage, status)?;
            Ok(OrchestratorInfo {
                deployment_name: status.deployment_name,
                workspace_id: manage.orchestrator_workspace_id,
                standby_workspace_id: manage.standby_orchestrator_workspace_id,
            })
        })
        .await
}

/// The VMs of a workspace (one list call, shared).
pub async fn workspace_inventory(
    clients: &Clients,
    workspace_id: &str,
) -> Shared<WorkspaceInventory> {
    caches()
        .workspaces
        .get(workspace_id, Freshness::Recent, || async {
            let workspace = clients.power.get_workspace(workspace_id).await?;
            let zone = workspace.zone().ok_or_else(|| CloudError::Decode {
                service: "power",
                operation: format!("GET /v1/workspaces/{workspace_id}"),
                message: "the workspace has no location.region (zone)".into(),
            })?;
            let instances = clients
                .power
                .workspace(workspace_id, zone)
                .list_instances()
                .await?;
            Ok(WorkspaceInventory {
                name: workspace.name.clone(),
                zone: zone.to_string(),
                instances: instances
                    .into_iter()
                    .map(|vm| (vm.pvm_instance_id.clone(), vm))
                    .collect(),
            })
        })
        .await
}

/// The names of the account's DR deployments (their orchestrator VMs are
/// `<name>-orchestrator` and `<name>-standby`).
pub async fn deployment_names(clients: &Clients) -> Shared<Vec<String>> {
    caches()
        .deployments
        .get("account", Freshness::Recent, || async {
            let instances = dr_instances(clients).await?;
            Ok(instances.into_iter().filter_map(|i| i.name).collect())
        })
        .await
}

/// The account's DR Automation service instances.
async fn dr_instances(clients: &Clients) -> Result<Vec<ResourceInstance>, CloudError> {
    let filter = ListInstances {
        type_: Some("service_instance".into()),
        ..ListInstances::default()
    };
    let instances = clients.resource_controller.list_instances(&filter).await?;
    Ok(instances
        .into_iter()
        .filter(|i| i.crn.as_deref().is_some_and(|c| c.contains(DR_SERVICE)))
        .collect())
}

/// VM id → the GUID of the DR instance managing it, over every DR instance of the account.
pub async fn managed_anywhere(clients: &Clients) -> Shared<BTreeMap<String, String>> {
    caches()
        .managed_elsewhere
        .get("account", Freshness::Recent, || async {
            let instances = dr_instances(clients).await?;
            let guids: Vec<String> = instances.into_iter().filter_map(|i| i.guid).collect();
            let lists = futures::future::join_all(
                guids
                    .iter()
                    .map(|guid| clients.dr_automation.get_managed_vms(guid)),
            )
            .await;
            let mut owners = BTreeMap::new();
            for (guid, list) in guids.iter().zip(lists) {
                match list {
                    Ok(list) => {
                        for vm in list.managed_vm_list.into_keys() {
                            owners.insert(vm, guid.clone());
                        }
                    }
                    // An instance without a deployment manages nothing.
                    Err(e) if e.is_not_found() || e.is_conflict() => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(owners)
        })
        .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    #[test]
    fn orchestrator_vms_are_recognised_by_name() {
        let info = OrchestratorInfo {
            deployment_name: Some("dr-prod".into()),
            ..OrchestratorInfo::default()
        };
        assert!(info.is_orchestrator_vm("dr-prod-orchestrator"));
        assert!(info.is_orchestrator_vm("dr-prod-standby"));
        assert!(!info.is_orchestrator_vm("aix-app-01"));
    }

    #[test]
    fn average_minutes_round_and_keep_unknown() {
        let d = |t: &str| ManagedVmDetails {
            dr_average_time: Some(t.into()),
            ..ManagedVmDetails::default()
        };
        assert_eq!(PublishedVms::average_minutes(&d("6.6")), Some(7));
        assert_eq!(PublishedVms::average_minutes(&d("-1")), Some(-1));
        assert_eq!(PublishedVms::average_minutes(&d("n/a")), None);
    }
}
