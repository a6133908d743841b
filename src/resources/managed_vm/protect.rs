//! The KSYS steps behind `dr_managed_vm`: put a VM under DR, change its workgroup's priority,
//! take it out again.
//!
//! Putting a VM under DR is four `ksysmgr` steps, as IBM documents them: the sites its home and
//! backup workspaces belong to must exist (`add site`), then `manage vm`, the workgroup's
//! priority (`modify workgroup`), and `discover workgroup`, which creates the backup VM and
//! starts replication; the VM is protected once KSYS shows it `READY_TO_MOVE`. Each step is
//! idempotent on a retry: a VM KSYS already manages is adopted, not managed twice, so an apply
//! that lost its connection mid-`manage` completes on the next run without a duplicate.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::cloud::ksys::parse::Priority;
use crate::cloud::ksys::{KsysClient, KsysError, Orchestrator};
use crate::cloud::{Clients, CloudError};
use crate::support::orchestrator_access::{
    self, Inventory, WorkspaceRef, ensure_sites, shared_to_owned,
};

use super::model::{ManagedVmState, default_workgroup};
use crate::support::coalesce::Freshness;
use crate::support::directory;

/// How often a create checks whether the VM reached READY_TO_MOVE, or DR Automation lists it.
const POLL: Duration = Duration::from_secs(2);
/// How long a create waits for DR Automation's published list to show the new VM before it
/// leaves the service-computed attributes for the next refresh.
const PUBLISHED_WAIT: Duration = Duration::from_secs(60);

fn owned(e: std::sync::Arc<CloudError>) -> CloudError {
    shared_to_owned(&e)
}

/// Sites already checked by this process, per orchestrator and workspace pair.
fn sites_done() -> &'static Mutex<HashSet<String>> {
    static DONE: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    DONE.get_or_init(Default::default)
}

async fn fresh_inventory(
    clients: &Clients,
    instance_id: &str,
) -> Result<std::sync::Arc<Inventory>, CloudError> {
    orchestrator_access::inventory(clients, instance_id, Freshness::After(Instant::now()))
        .await
        .map_err(owned)
}

/// What the create needs to know about where the VM lives.
pub struct Placement {
    pub orchestrator: Orchestrator,
    pub home: WorkspaceRef,
    pub backup: Option<WorkspaceRef>,
    pub vm_name: String,
}

pub async fn placement(clients: &Clients, state: &ManagedVmState) -> Result<Placement, CloudError> {
    let orchestrator = orchestrator_access::locate(clients, &state.orchestrator_id)
        .await
        .map_err(owned)?
        .as_ref()
        .clone();
    let workspace_id = match &state.workspace_id {
        Some(ws) => ws.clone(),
        None => directory::orchestrator_info(clients, &state.orchestrator_id)
            .await
            .map_err(owned)?
            .workspace_id
            .clone()
            .unwrap_or_default(),
    };
    let inventory = directory::workspace_inventory(clients, &workspace_id)
        .await
        .map_err(owned)?;
    let vm_name = inventory
        .instances
        .get(&state.pvm_instance_id)
        .map(|vm| vm.server_name.clone())
        .ok_or_else(|| CloudError::Failed {
            what: format!("VM {}", state.pvm_instance_id),
            state: "not found".into(),
            message: format!("workspace {} has no such VM", inventory.name),
        })?;
    let backup = match &state.backup_workspace_id {
        Some(id) => {
            let ws = clients.power.get_workspace(id).await?;
            Some(WorkspaceRef {
                zone: ws.zone().unwrap_or_default().to_string(),
                name: ws.name,
            })
        }
        None => None,
    };
    Ok(Placement {
        orchestrator,
        home: WorkspaceRef {
            name: inventory.name.clone(),
            zone: inventory.zone.clone(),
        },
        backup,
        vm_name,
    })
}

/// Runs each step needed to protect the VM; calls `managed` once KSYS manages it (from then on
/// a failure leaves it managed, and Terraform must keep it in state).
pub async fn protect(
    clients: &Clients,
    ksys: &KsysClient,
    place: &Placement,
    state: &ManagedVmState,
    deadline: Instant,
    managed: impl Fn(),
) -> Result<(), CloudError> {
    let o = &place.orchestrator;
    let vm_id = state.pvm_instance_id.as_str();
    let site_key = format!("{}|{}|{:?}", o.instance_id, place.home.name, place.backup);
    let checked = sites_done()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .contains(&site_key);
    if !checked {
        ensure_sites(ksys, o, &place.home, place.backup.as_ref()).await?;
        sites_done()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(site_key);
    }
    let remaining = || deadline.saturating_duration_since(Instant::now());
    let mut inventory = fresh_inventory(clients, &o.instance_id).await?;
    if inventory.source_vm(vm_id).is_none() {
        tracing::info!(vm = %place.vm_name, "ksysmgr manage vm");
        let result = ksys
            .manage_vm(
                o,
                vm_id,
                state.workgroup_name.as_deref(),
                state.backup_workspace_id.as_deref(),
                remaining(),
            )
            .await;
        match result {
            Ok(()) => {}
            // The outcome is unknown: KSYS's own list says whether it happened.
            Err(e) if e.outcome_unknown() => {
                inventory = fresh_inventory(clients, &o.instance_id).await?;
                if inventory.source_vm(vm_id).is_none() {
                    return Err(e.into());
                }
            }
            Err(e) => return Err(e.into()),
        }
        inventory = fresh_inventory(clients, &o.instance_id).await?;
    } else {
        tracing::info!(vm = %place.vm_name, "KSYS already manages the VM; adopting it");
    }
    managed();
    let vm = inventory.source_vm(vm_id).ok_or_else(|| {
        CloudError::Orchestrator(KsysError::Unexpected {
            command: "query vm state=manage".into(),
            message: format!("VM {} is not listed after manage vm", place.vm_name),
        })
    })?;
    let workgroup = inventory
        .workgroup_of(&vm.name)
        .map(|wg| wg.name.clone())
        .unwrap_or_else(|| {
            state
                .workgroup_name
                .clone()
                .unwrap_or_else(|| default_workgroup(&vm.name))
        });
    let wanted = state
        .priority
        .as_deref()
        .and_then(Priority::parse)
        .unwrap_or(Priority::Medium);
    let current = inventory.workgroup(&workgroup).and_then(|wg| wg.priority);
    if current != Some(wanted) {
        ksys.set_priority(o, &workgroup, wanted).await?;
    }
    if !vm.is_ready() {
        let progress = |line: &str| tracing::info!(workgroup = %workgroup, "{}", line.trim());
        ksys.discover_workgroup(o, &workgroup, remaining(), Some(&progress))
            .await?;
    }
    wait_ready(ksys, o, vm_id, &place.vm_name, deadline).await?;
    orchestrator_access::invalidate(&o.instance_id);
    directory::invalidate_published(&o.instance_id);
    Ok(())
}

async fn wait_ready(
    ksys: &KsysClient,
    o: &Orchestrator,
    vm_id: &str,
    vm_name: &str,
    deadline: Instant,
) -> Result<(), CloudError> {
    loop {
        let state = ksys.vm(o, vm_id).await?.and_then(|vm| vm.state);
        if state.as_deref() == Some("READY_TO_MOVE") {
            return Ok(());
        }
        if Instant::now() + POLL > deadline {
            return Err(CloudError::Timeout {
                what: format!(
                    "waiting for VM {vm_name} to be READY_TO_MOVE (KSYS shows {})",
                    state.as_deref().unwrap_or("nothing")
                ),
                after: POLL,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Fills `state` from a fresh KSYS inventory and DR Automation's list, waiting a short while
/// for the list to show a VM it has just been told about.
pub async fn fill(
    clients: &Clients,
    state: &mut ManagedVmState,
    deadline: Instant,
) -> Result<(), CloudError> {
    let inventory = fresh_inventory(clients, &state.orchestrator_id).await?;
    if let Some(vm) = inventory.source_vm(&state.pvm_instance_id) {
        state.apply_ksys(vm, &inventory);
    }
    let give_up = (Instant::now() + PUBLISHED_WAIT).min(deadline);
    loop {
        let published = directory::published_vms(
            clients,
            &state.orchestrator_id,
            Freshness::After(Instant::now()),
        )
        .await
        .map_err(owned)?;
        if let Some(details) = published.vms.get(&state.pvm_instance_id) {
            state.apply_published(details);
            return Ok(());
        }
        if Instant::now() + POLL > give_up {
            tracing::warn!(
                vm = %state.pvm_instance_id,
                "DR Automation does not list the VM yet; its zones and recovery estimate follow on the next refresh"
            );
            return Ok(());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// `unmanage vm`, one at a time per orchestrator; a VM KSYS does not manage is already done.
pub async fn unprotect(
    clients: &Clients,
    ksys: &KsysClient,
    state: &ManagedVmState,
    timeout: Duration,
) -> Result<(), CloudError> {
    let o = match orchestrator_access::locate(clients, &state.orchestrator_id).await {
        Ok(o) => o,
        // The DR instance is gone, and with it everything it managed.
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(owned(e)),
    };
    let progress = |line: &str| tracing::info!(vm = %state.pvm_instance_id, "{}", line.trim());
    let result = ksys
        .unmanage_vm(&o, &state.pvm_instance_id, timeout, Some(&progress))
        .await;
    orchestrator_access::invalidate(&state.orchestrator_id);
    directory::invalidate_published(&state.orchestrator_id);
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) if e.outcome_unknown() => {
            let inventory = fresh_inventory(clients, &state.orchestrator_id).await?;
            if inventory.source_vm(&state.pvm_instance_id).is_none() {
                Ok(())
            } else {
                Err(e.into())
            }
        }
        Err(e) => Err(e.into()),
    }
}
