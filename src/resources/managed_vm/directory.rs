//! What the provider process knows about managed VMs, fetched once and shared.
//!
//! Every `dr_managed_vm` of one orchestrator is answered by the same two list calls: the
//! published `GET /drautomation/v1/dr_managed_vms/{id}` (the source of truth for "is this VM
//! under DR", with the details the orchestrator computes) and the project's
//! `GET /orchestrator/v1/{id}/managed_vms` (the registration: recovery priority, OS). Both are
//! fetched together through a [`Coalescer`], so a refresh of any number of managed VMs costs one
//! of each per orchestrator. The plan-time checks share the same way the inventory of a
//! workspace, the orchestrator's own facts, and which VMs other DR instances manage.
//!
//! The caches are per process, which is what Terraform's process model needs: a walk (plan,
//! apply, import) gets a fresh provider process, and every write here invalidates or bypasses
//! what it changed. A registration is remembered by time instead: readers after it wait for a
//! list fetched later, while the plan-time check of the next VM (which only asks "is this VM
//! already managed?") keeps using the list it has, so the creates of a large apply do not each
//! wait for a new list.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::cloud::dr_automation::ManagedVmDetails;
use crate::cloud::orchestrator::ManagedVm;
use crate::cloud::power::PvmInstance;
use crate::cloud::resource_controller::ListInstances;
use crate::cloud::{Clients, CloudError};

use super::coalesce::{Coalescer, Freshness, Shared};

/// How long one list answers reads. Long enough for a whole refresh walk of a large
/// deployment, short enough that nothing the user changes by hand is missed by the next run.
const TTL: Duration = Duration::from_secs(10);
/// How long a fetch for a writer waits for other writers to join it: long enough to gather
/// the creates that Terraform's lanes finish together, short because every create waits it.
const GATHER: Duration = Duration::from_millis(10);

/// The CRN service name of DR Automation instances.
const DR_SERVICE: &str = ":power-dr-automation:";

/// One managed VM as both lists describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedVmView {
    pub pvm_instance_id: String,
    pub workspace_id: Option<String>,
    pub priority: Option<String>,
    pub workgroup_name: Option<String>,
    pub vm_name: Option<String>,
    pub os_type: Option<String>,
    pub cores: Option<f64>,
    pub memory_gb: Option<f64>,
    pub region: Option<String>,
    pub dr_region: Option<String>,
    pub workspace_name: Option<String>,
    pub dr_average_time_minutes: Option<i64>,
}

/// Every VM an orchestrator manages.
#[derive(Debug, Clone, Default)]
pub struct OrchestratorVms {
    /// False when the DR instance itself is gone (every VM of it is then gone too).
    pub exists: bool,
    pub published: BTreeMap<String, ManagedVmDetails>,
    pub registrations: BTreeMap<String, ManagedVm>,
}

fn number(text: &Option<String>) -> Option<f64> {
    text.as_deref().and_then(|t| t.trim().parse::<f64>().ok())
}

fn json_number(registration: &ManagedVm, key: &str) -> Option<f64> {
    registration
        .other
        .get(key)
        .and_then(serde_json::Value::as_f64)
}

fn json_string(registration: &ManagedVm, key: &str) -> Option<String> {
    registration
        .other
        .get(key)
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
}

impl OrchestratorVms {
    /// The VM, when it is registered *and* DR Automation lists it (a registration whose VM is
    /// gone is not protecting anything).
    pub fn get(&self, pvm_instance_id: &str) -> Option<ManagedVmView> {
        let details = self.published.get(pvm_instance_id)?;
        let registration = self.registrations.get(pvm_instance_id)?;
        Some(Self::view(pvm_instance_id, details, Some(registration)))
    }

    /// Every VM DR Automation lists, with the registration where there is one.
    pub fn all(&self) -> Vec<ManagedVmView> {
        self.published
            .iter()
            .map(|(id, details)| Self::view(id, details, self.registrations.get(id)))
            .collect()
    }

    fn view(
        id: &str,
        details: &ManagedVmDetails,
        registration: Option<&ManagedVm>,
    ) -> ManagedVmView {
        let dr_average_time_minutes = details
            .dr_average_time
            .as_deref()
            .and_then(|t| t.trim().parse::<f64>().ok())
            .map(|m| m.round() as i64);
        ManagedVmView {
            pvm_instance_id: id.to_string(),
            workspace_id: registration.and_then(|r| r.workspace_id.clone()),
            priority: registration.and_then(|r| r.priority.clone()),
            workgroup_name: details
                .workgroup_name
                .clone()
                .or_else(|| registration.and_then(|r| r.workgroup_name.clone())),
            vm_name: details
                .vm_name
                .clone()
                .or_else(|| registration.and_then(|r| r.vm_name.clone())),
            os_type: registration.and_then(|r| json_string(r, "os_type")),
            cores: number(&details.core)
                .or_else(|| registration.and_then(|r| json_number(r, "cores"))),
            memory_gb: number(&details.memory)
                .or_else(|| registration.and_then(|r| json_number(r, "memory_gb"))),
            region: details.region.clone(),
            dr_region: details.dr_region.clone(),
            workspace_name: details.workspace_name.clone(),
            dr_average_time_minutes,
        }
    }
}

impl ManagedVmView {
    /// The view a registration answer gives on its own, when it already carries what DR
    /// Automation computes for the VM. The orchestrator API fills `dr_region` and
    /// `dr_average_time_minutes` from DR Automation's own record, so they are present only
    /// once DR Automation lists the VM; `None` means "not listed yet".
    pub fn from_listed_registration(registration: &ManagedVm) -> Option<ManagedVmView> {
        let dr_region = json_string(registration, "dr_region")?;
        let dr_average_time_minutes = json_number(registration, "dr_average_time_minutes")?;
        Some(ManagedVmView {
            pvm_instance_id: registration.pvm_instance_id.clone(),
            workspace_id: registration.workspace_id.clone(),
            priority: registration.priority.clone(),
            workgroup_name: registration.workgroup_name.clone(),
            vm_name: registration.vm_name.clone(),
            os_type: json_string(registration, "os_type"),
            cores: json_number(registration, "cores"),
            memory_gb: json_number(registration, "memory_gb"),
            region: json_string(registration, "region"),
            dr_region: Some(dr_region),
            workspace_name: json_string(registration, "workspace_name"),
            dr_average_time_minutes: Some(dr_average_time_minutes.round() as i64),
        })
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
    pub instances: BTreeMap<String, PvmInstance>,
}

struct Caches {
    managed: Coalescer<OrchestratorVms>,
    /// When this process last registered a VM with each orchestrator: readers of the list
    /// after that need a list fetched after it.
    registered_at: Mutex<HashMap<String, Instant>>,
    orchestrators: Coalescer<OrchestratorInfo>,
    workspaces: Coalescer<WorkspaceInventory>,
    managed_elsewhere: Coalescer<BTreeMap<String, String>>,
}

fn caches() -> &'static Caches {
    static CACHES: OnceLock<Caches> = OnceLock::new();
    CACHES.get_or_init(|| Caches {
        managed: Coalescer::new(TTL, GATHER),
        registered_at: Mutex::new(HashMap::new()),
        orchestrators: Coalescer::new(TTL, GATHER),
        workspaces: Coalescer::new(TTL, GATHER),
        managed_elsewhere: Coalescer::new(TTL, GATHER),
    })
}

/// Every VM `orchestrator_id` manages, shared by every caller in the window. A
/// [`Freshness::Recent`] read made after this process registered a VM with the orchestrator
/// waits for a list that shows it.
pub async fn managed_vms(
    clients: &Clients,
    orchestrator_id: &str,
    freshness: Freshness,
) -> Shared<OrchestratorVms> {
    let registered_at = caches()
        .registered_at
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(orchestrator_id)
        .copied();
    let freshness = match (freshness, registered_at) {
        (Freshness::Recent, Some(at)) => Freshness::After(at),
        _ => freshness,
    };
    managed_vms_as_is(clients, orchestrator_id, freshness).await
}

/// [`managed_vms`] without regard to this process's own registrations: for the plan-time
/// check, which has already passed for every VM this process registers (and the orchestrator
/// API refuses a second registration anyway), so it need not wait for a new list.
pub async fn managed_vms_for_check(
    clients: &Clients,
    orchestrator_id: &str,
) -> Shared<OrchestratorVms> {
    managed_vms_as_is(clients, orchestrator_id, Freshness::Recent).await
}

/// Records that this process registered a VM with `orchestrator_id` just now.
pub fn note_registration(orchestrator_id: &str) {
    caches()
        .registered_at
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(orchestrator_id.to_string(), Instant::now());
}

async fn managed_vms_as_is(
    clients: &Clients,
    orchestrator_id: &str,
    freshness: Freshness,
) -> Shared<OrchestratorVms> {
    caches()
        .managed
        .get(orchestrator_id, freshness, || async {
            let published = clients.dr_automation.get_managed_vms(orchestrator_id);
            let registered = clients.orchestrator.list_managed_vms(orchestrator_id);
            match tokio::try_join!(published, registered) {
                Ok((published, registered)) => Ok(OrchestratorVms {
                    exists: true,
                    published: published.managed_vm_list,
                    registrations: registered
                        .into_iter()
                        .map(|vm| (vm.pvm_instance_id.clone(), vm))
                        .collect(),
                }),
                Err(e) if e.is_not_found() => Ok(OrchestratorVms::default()),
                Err(e) => Err(e),
            }
        })
        .await
}

/// Forgets the managed VMs of `orchestrator_id` (after registering or removing one).
pub fn invalidate_managed_vms(orchestrator_id: &str) {
    caches().managed.invalidate(orchestrator_id);
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
                instances: instances
                    .into_iter()
                    .map(|vm| (vm.pvm_instance_id.clone(), vm))
                    .collect(),
            })
        })
        .await
}

/// VM id → the GUID of the DR instance managing it, over every DR instance of the account.
pub async fn managed_anywhere(clients: &Clients) -> Shared<BTreeMap<String, String>> {
    caches()
        .managed_elsewhere
        .get("account", Freshness::Recent, || async {
            let filter = ListInstances {
                type_: Some("service_instance".into()),
                ..ListInstances::default()
            };
            let instances = clients.resource_controller.list_instances(&filter).await?;
            let guids: Vec<String> = instances
                .into_iter()
                .filter(|i| i.crn.as_deref().is_some_and(|c| c.contains(DR_SERVICE)))
                .filter_map(|i| i.guid)
                .collect();
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

    fn details(core: &str, memory: &str) -> ManagedVmDetails {
        ManagedVmDetails {
            core: Some(core.into()),
            memory: Some(memory.into()),
            dr_average_time: Some("7".into()),
            vm_name: Some("aix-app-01".into()),
            workgroup_name: Some("wg".into()),
            region: Some("dal10".into()),
            dr_region: Some("dal12".into()),
            workspace_name: Some("primary".into()),
        }
    }

    #[test]
    fn a_vm_is_managed_only_when_registered_and_listed() {
        let registration = ManagedVm {
            pvm_instance_id: "vm-1".into(),
            priority: Some("high".into()),
            workspace_id: Some("ws".into()),
            other: serde_json::from_value(serde_json::json!({"os_type": "aix"})).unwrap(),
            ..ManagedVm::default()
        };
        let mut vms = OrchestratorVms {
            exists: true,
            published: BTreeMap::from([("vm-1".to_string(), details("0.50", "16"))]),
            registrations: BTreeMap::from([("vm-1".to_string(), registration)]),
        };
        let view = vms.get("vm-1").expect("managed");
        assert_eq!(view.cores, Some(0.5));
        assert_eq!(view.memory_gb, Some(16.0));
        assert_eq!(view.priority.as_deref(), Some("high"));
        assert_eq!(view.os_type.as_deref(), Some("aix"));
        assert_eq!(view.dr_average_time_minutes, Some(7));
        vms.published.clear();
        assert!(vms.get("vm-1").is_none(), "the VM is gone");
    }

    #[test]
    fn a_registration_answer_is_a_view_only_once_dr_automation_lists_the_vm() {
        let answer = |extra: serde_json::Value| ManagedVm {
            pvm_instance_id: "vm-1".into(),
            workspace_id: Some("ws".into()),
            priority: Some("low".into()),
            workgroup_name: Some("Default_Workgroup".into()),
            vm_name: Some("aix-app-01".into()),
            other: serde_json::from_value(extra).unwrap(),
            ..ManagedVm::default()
        };
        let listed = answer(serde_json::json!({
            "os_type": "aix", "cores": 0.5, "memory_gb": 16, "region": "dal10",
            "dr_region": "dal12", "workspace_name": "primary", "dr_average_time_minutes": 7,
        }));
        let view = ManagedVmView::from_listed_registration(&listed).expect("listed");
        // The same view as the published list gives for the same VM.
        let registration = ManagedVm {
            other: serde_json::from_value(serde_json::json!({"os_type": "aix"})).unwrap(),
            ..listed.clone()
        };
        let vms = OrchestratorVms {
            exists: true,
            published: BTreeMap::from([("vm-1".to_string(), details("0.50", "16"))]),
            registrations: BTreeMap::from([("vm-1".to_string(), registration)]),
        };
        let mut from_list = vms.get("vm-1").expect("managed");
        from_list.workgroup_name = Some("Default_Workgroup".into());
        assert_eq!(view, from_list);
        let not_listed = answer(serde_json::json!({
            "os_type": "aix", "cores": 0.5, "memory_gb": 16, "region": null,
            "dr_region": null, "workspace_name": null, "dr_average_time_minutes": null,
        }));
        assert!(ManagedVmView::from_listed_registration(&not_listed).is_none());
    }

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
}
