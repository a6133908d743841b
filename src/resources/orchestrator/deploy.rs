//! The cloud side of `dr_orchestrator`: provisioning, deploying, reading, resizing and
//! deprovisioning, each a sequence of typed client calls.
//!
//! Create must never leave a second DR instance behind, nor an instance nobody tracks:
//! before provisioning it adopts an instance with the same name, plan and resource group (an
//! earlier apply that was killed), and once the instance exists it records it as partial
//! state, so a later failure leaves it in state (tainted) instead of orphaned.

use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::path;
use tokio::time::Instant;

use super::TYPE;
use super::common::{
    DR_PLAN_NAME, DR_SERVICE_NAME, LOCATION_TYPE, find_workspace, is_removed_state, poll_until,
    wait_deployment_logged,
};
use super::model::{OrchestratorState, primary_vm_name};
use crate::cloud::dr_automation::{CreateManageDr, ManageDrOptions};
use crate::cloud::poll::{PollStatus, wait_for};
use crate::cloud::power::{PvmInstance, PvmInstanceUpdate, WorkspaceClient};
use crate::cloud::resource_controller::{ListInstances, ResourceInstance, ResourceInstanceCreate};
use crate::cloud::{Clients, CloudError};
use crate::resources::{Action, diagnose};

/// `Ok(None)` for a 404, so "gone" reads as a value rather than an error.
fn absent_if_not_found<T>(result: Result<T, CloudError>) -> Result<Option<T>, CloudError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

/// The orchestrator VM: by id when known, else by the name DR Automation gives it.
async fn find_vm(
    workspace: &WorkspaceClient,
    id: Option<&str>,
    name: &str,
) -> Result<Option<PvmInstance>, CloudError> {
    if let Some(id) = id {
        return absent_if_not_found(workspace.get_instance(id).await);
    }
    let all = workspace.list_instances().await?;
    Ok(all.into_iter().find(|vm| vm.server_name == name))
}

/// Everything the cloud says about the deployment `id`, or `None` when any part of it (the
/// instance, the deployment, the orchestrator VM) is gone, so Terraform plans a re-create.
/// What only configuration knows is taken from `prior`.
pub async fn fetch(
    clients: &Clients,
    id: &str,
    prior: Option<&OrchestratorState>,
) -> Result<Option<OrchestratorState>, CloudError> {
    let rc = &clients.resource_controller;
    let dra = &clients.dr_automation;
    let Some(instance) = absent_if_not_found(rc.get_instance(id).await)? else {
        return Ok(None);
    };
    if is_removed_state(instance.state.as_deref()) {
        return Ok(None);
    }
    let Some(deployment) = absent_if_not_found(dra.get_manage_dr(id).await)? else {
        return Ok(None);
    };
    let Some(status) = absent_if_not_found(dra.get_last_operation(id).await)? else {
        return Ok(None);
    };
    let Some(summary) = absent_if_not_found(dra.get_summary(id).await)? else {
        return Ok(None);
    };
    let name = instance
        .name
        .clone()
        .or_else(|| prior.map(|p| p.name.clone()))
        .unwrap_or_default();
    let Some(workspace_id) = non_empty(deployment.orchestrator_workspace_id.clone())
        .or_else(|| prior.map(|p| p.workspace_id.clone()))
    else {
        return Ok(None);
    };
    let zone = match non_empty(deployment.location_id.clone()) {
        Some(zone) => zone,
        None => match find_workspace(clients, &workspace_id).await? {
            Some(ws) => ws.zone().unwrap_or_default().to_string(),
            None => return Ok(None),
        },
    };
    let workspace = clients.power.workspace(&workspace_id, &zone);
    let known_vm = prior.and_then(|p| p.orchestrator_vm_id.as_deref());
    let vm = match find_vm(&workspace, known_vm, &primary_vm_name(&name)).await {
        Ok(Some(vm)) => vm,
        Ok(None) => return Ok(None),
        // The workspace itself is gone.
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let vm_networks: Vec<_> = vm.networks.clone().unwrap_or_default();
    let network_ids: Vec<String> = vm_networks
        .iter()
        .filter_map(|n| n.network_id.clone())
        .collect();
    let vm_ip = vm_networks
        .iter()
        .find_map(|n| non_empty(n.ip_address.clone()));
    let managed_vm_count = summary
        .managed_vm_list
        .as_object()
        .map(|m| i64::try_from(m.len()).unwrap_or(i64::MAX));
    let mut state = OrchestratorState {
        id: instance.guid.clone().or_else(|| Some(id.to_string())),
        name,
        orchestrator_user: non_empty(deployment.orchestrator_name.clone())
            .or_else(|| prior.map(|p| p.orchestrator_user.clone()))
            .unwrap_or_default(),
        workspace_id,
        location_id: Some(zone),
        machine_type: non_empty(deployment.machine_type.clone())
            .or_else(|| prior.map(|p| p.machine_type.clone()))
            .unwrap_or_default(),
        tier: non_empty(deployment.tier.clone()).or_else(|| prior.and_then(|p| p.tier.clone())),
        network_ids: if network_ids.is_empty() {
            prior.and_then(|p| p.network_ids.clone())
        } else {
            Some(network_ids)
        },
        ssh_key_name: non_empty(deployment.ssh_key_name.clone()),
        proxy_ip: non_empty(deployment.proxy_ip.clone()),
        resource_group_id: non_empty(instance.resource_group_id.clone()),
        cores: vm.processors,
        memory_gb: vm.memory,
        crn: non_empty(instance.crn.clone()),
        dashboard_url: non_empty(deployment.dashboard_url.clone())
            .or_else(|| non_empty(instance.dashboard_url.clone())),
        status: non_empty(status.status.clone()),
        primary_ip_address: non_empty(status.primary_ip_address.clone()).or(vm_ip),
        orchestrator_vm_id: Some(vm.pvm_instance_id.clone()),
        managed_vm_count,
        ..OrchestratorState::default()
    };
    if let Some(prior) = prior {
        state.keep_configuration_of(prior);
    }
    Ok(Some(state))
}

/// An instance with our name, plan and resource group that is not being removed: what an
/// earlier, interrupted apply created.
async fn adoptable_instance(
    clients: &Clients,
    name: &str,
    group: &str,
    plan_id: &str,
) -> Result<Option<ResourceInstance>, CloudError> {
    let found = clients
        .resource_controller
        .list_instances(&ListInstances {
            name: Some(name.to_string()),
            resource_group_id: Some(group.to_string()),
            resource_plan_id: Some(plan_id.to_string()),
            ..ListInstances::default()
        })
        .await?;
    Ok(found.into_iter().find(|i| {
        i.name.as_deref() == Some(name)
            && i.resource_group_id.as_deref() == Some(group)
            && !is_removed_state(i.state.as_deref())
    }))
}

fn manage_dr_body(planned: &OrchestratorState, location: &str, password: String) -> CreateManageDr {
    CreateManageDr {
        location_id: location.to_string(),
        machine_type: planned.machine_type.clone(),
        orchestrator_location_type: LOCATION_TYPE.to_string(),
        orchestrator_name: planned.orchestrator_user.clone(),
        orchestrator_password: password,
        orchestrator_workspace_id: planned.workspace_id.clone(),
        orchestrator_network_ids: planned.network_ids.clone(),
        ssh_key_name: planned.ssh_key_name.clone(),
        tier: planned.tier.clone(),
        proxy_ip: planned.proxy_ip.clone(),
        managed_apikey: planned.managed_api_key.clone(),
        orchestrator_ha: Some(false),
        ..CreateManageDr::default()
    }
}

fn deployment_failed(status: Option<&str>) -> bool {
    matches!(
        status.map(str::to_ascii_lowercase).as_deref(),
        Some("fail" | "failed" | "error")
    )
}

/// Provisions the DR instance (or adopts the one an interrupted apply left), deploys the
/// orchestrator, waits for it, resizes its VM when asked, and returns the new state.
pub async fn create(
    ctx: &Context,
    clients: &Clients,
    planned: &OrchestratorState,
    password: String,
) -> Result<OrchestratorState, Diagnostics> {
    let deadline = Instant::now() + ctx.timeout();
    let name = planned.name.as_str();
    let mut object = format!("{name:?}");
    let rc = &clients.resource_controller;
    let dra = &clients.dr_automation;

    let workspace = find_workspace(clients, &planned.workspace_id)
        .await
        .map_err(|e| diagnose(Action::Create, TYPE, &object, &e))?
        .ok_or_else(|| {
            Diagnostics::from_error_at(
                path!("workspace_id"),
                format!("Error creating {TYPE}"),
                format!(
                    "workspace_id: no PowerVS workspace has the GUID {:?}.",
                    planned.workspace_id
                ),
            )
        })?;
    let zone = workspace.zone().unwrap_or_default().to_string();
    let location = planned.location_id.clone().unwrap_or_else(|| zone.clone());
    let group = match &planned.resource_group_id {
        Some(g) => g.clone(),
        None => rc
            .default_resource_group(None)
            .await
            .map_err(|e| diagnose(Action::Create, TYPE, &object, &e))?
            .id
            .unwrap_or_default(),
    };
    let plan_id = rc
        .find_plan_id(DR_SERVICE_NAME, DR_PLAN_NAME)
        .await
        .map_err(|e| diagnose(Action::Create, TYPE, &object, &e))?;

    let instance = match adoptable_instance(clients, name, &group, &plan_id)
        .await
        .map_err(|e| diagnose(Action::Create, TYPE, &object, &e))?
    {
        Some(existing) => {
            tracing::info!(
                dr_instance = existing.guid.as_deref().unwrap_or_default(),
                "Adopting DR Automation instance {name:?}, left by an earlier apply that did not finish"
            );
            existing
        }
        None => {
            tracing::info!(
                "Provisioning DR Automation service instance {name:?} in resource group {group}"
            );
            rc.create_instance(&ResourceInstanceCreate {
                name: name.to_string(),
                target: "global".into(),
                resource_group: group.clone(),
                resource_plan_id: plan_id.clone(),
                ..ResourceInstanceCreate::default()
            })
            .await
            .map_err(|e| diagnose(Action::Create, TYPE, &object, &e))?
        }
    };
    let guid = instance.guid.clone().unwrap_or_default();
    object = format!("{name:?} (DR instance {guid})");
    let fail = |e: CloudError| diagnose(Action::Create, TYPE, &object, &e);

    let mut state = planned.clone();
    state.orchestrator_password_wo = None;
    state.id = Some(guid.clone());
    state.crn = non_empty(instance.crn.clone());
    state.resource_group_id = Some(group);
    state.location_id = Some(location.clone());
    // From here on a failure keeps the instance in state (tainted), never orphaned.
    ctx.save_partial_state(&state);

    rc.wait_instance_active(
        &guid,
        &poll_until(
            clients,
            format!("DR instance {guid} to become active"),
            deadline,
        ),
    )
    .await
    .map_err(fail)?;

    let start = match absent_if_not_found(dra.get_manage_dr(&guid).await).map_err(fail)? {
        None => true,
        Some(_) => {
            let status = dra.get_last_operation(&guid).await.map_err(fail)?;
            let failed = deployment_failed(status.status.as_deref());
            if failed {
                tracing::info!(dr_instance = %guid, "The earlier deployment failed; starting it again");
            } else {
                tracing::info!(dr_instance = %guid, "The deployment is already under way; waiting for it");
            }
            failed
        }
    };
    if start {
        tracing::info!(dr_instance = %guid, "Deploying the DR orchestrator in workspace {} ({location})", workspace.name);
        dra.create_manage_dr(
            &guid,
            &manage_dr_body(planned, &location, password),
            ManageDrOptions {
                stand_by_redeploy: None,
                accepts_incomplete: Some(true),
            },
        )
        .await
        .map_err(fail)?;
    }
    wait_deployment_logged(
        clients,
        &guid,
        false,
        &poll_until(clients, format!("the DR deployment of {name:?}"), deadline),
    )
    .await
    .map_err(fail)?;

    let wc = clients.power.workspace(&workspace.id, &zone);
    let vm_name = primary_vm_name(name);
    let vm = find_vm(&wc, None, &vm_name)
        .await
        .map_err(fail)?
        .ok_or_else(|| {
            Diagnostics::from_error(
                format!("Error creating {TYPE}"),
                format!(
                    "{object}: DR Automation reports the deployment active, but workspace {} has no VM named \
                     {vm_name:?}. If this instance is left from an earlier deployment whose orchestrator VM was \
                     deleted, delete the instance (or pick another name) and apply again.",
                    workspace.name
                ),
            )
        })?;
    let vm = wc
        .wait_instance_ready(
            &vm.pvm_instance_id,
            true,
            false,
            &poll_until(
                clients,
                format!("orchestrator VM {vm_name} to be ACTIVE"),
                deadline,
            ),
        )
        .await
        .map_err(fail)?;
    state.orchestrator_vm_id = Some(vm.pvm_instance_id.clone());
    ctx.save_partial_state(&state);

    if let (Some(cores), Some(memory)) = (planned.cores, planned.memory_gb)
        && (vm.processors != Some(cores) || vm.memory != Some(memory))
    {
        resize(clients, &wc, &vm.pvm_instance_id, cores, memory, deadline)
            .await
            .map_err(fail)?;
    }

    let mut created = fetch(clients, &guid, Some(&state))
        .await
        .map_err(fail)?
        .ok_or_else(|| {
            Diagnostics::from_error(
                format!("Error creating {TYPE}"),
                format!("{object}: the deployment disappeared right after it became active."),
            )
        })?;
    created.keep_configuration_of(planned);
    Ok(created)
}

/// Resizes the orchestrator VM in place and waits until PowerVS reports the new size, ACTIVE.
pub async fn resize(
    clients: &Clients,
    workspace: &WorkspaceClient,
    vm_id: &str,
    cores: f64,
    memory_gb: f64,
    deadline: Instant,
) -> Result<PvmInstance, CloudError> {
    tracing::info!(
        vm = vm_id,
        "Resizing the orchestrator VM to {cores} cores and {memory_gb} GB"
    );
    workspace
        .update_instance(
            vm_id,
            &PvmInstanceUpdate {
                processors: Some(cores),
                memory: Some(memory_gb),
                proc_type: None,
            },
        )
        .await?;
    let options = poll_until(
        clients,
        format!("orchestrator VM {vm_id} to finish resizing"),
        deadline,
    );
    wait_for(&options, || async {
        let vm = workspace.get_instance(vm_id).await?;
        let status = vm.status.clone().unwrap_or_default().to_ascii_uppercase();
        Ok(match status.as_str() {
            "ERROR" => PollStatus::Failed {
                message: vm
                    .fault
                    .as_ref()
                    .and_then(|f| f.message.clone())
                    .unwrap_or_else(|| "the VM went to ERROR while resizing".into()),
                state: status,
            },
            "ACTIVE" if vm.processors == Some(cores) && vm.memory == Some(memory_gb) => {
                PollStatus::Done(vm)
            }
            _ => PollStatus::Pending { state: status },
        })
    })
    .await
}

/// Deprovisions the DR instance through Resource Controller and waits until the orchestrator
/// VM and the instance are gone. Already gone counts as done.
pub async fn delete(
    ctx: &Context,
    clients: &Clients,
    state: &OrchestratorState,
) -> Result<(), Diagnostics> {
    let Some(id) = state.id.as_deref() else {
        return Ok(());
    };
    let deadline = Instant::now() + ctx.timeout();
    let object = format!("{:?} (DR instance {id})", state.name);
    let fail = |e: CloudError| diagnose(Action::Delete, TYPE, &object, &e);
    tracing::info!(
        dr_instance = id,
        "Deprovisioning DR Automation instance {:?}",
        state.name
    );
    match clients.resource_controller.delete_instance(id, true).await {
        Err(e) if e.is_not_found() => return Ok(()),
        other => other.map_err(fail)?,
    }
    if let (Some(vm), Some(zone)) = (
        state.orchestrator_vm_id.as_deref(),
        state.location_id.as_deref(),
    ) {
        let wc = clients.power.workspace(&state.workspace_id, zone);
        match wc
            .wait_instance_deleted(
                vm,
                &poll_until(
                    clients,
                    format!("orchestrator VM {vm} to be deleted"),
                    deadline,
                ),
            )
            .await
        {
            Err(e) if e.is_not_found() => {}
            other => other.map_err(fail)?,
        }
    }
    clients
        .resource_controller
        .wait_instance_removed(
            id,
            &poll_until(clients, format!("DR instance {id} to be removed"), deadline),
        )
        .await
        .map_err(fail)
}
