//! The cloud side of `dr_orchestrator`: provisioning, deploying, reading, resizing and
//! deprovisioning, each a sequence of typed client calls.
//!
//! Create must never leave a second DR instance behind, nor an instance nobody tracks:
//! before provisioning it adopts an instance with the same name, plan and resource group (an
//! earlier apply that was killed), and once the instance exists it records it as partial
//! state, so a later failure leaves it in state (tainted) instead of orphaned. With
//! `service_instance_id` it deploys into that instance instead and never deprovisions it.
//!
//! Read never forgets a billed instance: only an instance that is gone (404, `removed`)
//! drops the resource. An instance whose deployment or orchestrator VM is gone is read as a
//! broken deployment (`orchestrator_vm_id` null), which the plan replaces.

use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::path;
use tokio::time::Instant;

use super::TYPE_NAME;
use super::model::{OrchestratorState, SecretsManager, instance_guid, primary_vm_name};
use crate::cloud::dr_automation::{CreateManageDr, ManageDrOptions, ServiceInstanceManageDr};
use crate::cloud::poll::{PollStatus, wait_until};
use crate::cloud::power::{PvmInstance, PvmInstanceUpdate, WorkspaceClient};
use crate::cloud::resource_controller::{ListInstances, ResourceInstance, ResourceInstanceCreate};
use crate::cloud::{Clients, CloudError};
use crate::resources::deployment::network;
use crate::resources::deployment::{
    DR_PLAN_NAME, DR_SERVICE_NAME, LOCATION_TYPE, find_workspace, is_removed_state, poll_until,
    wait_deployment_logged,
};
use crate::resources::deployment::{absent_if_not_found, deployed_network_ids, non_empty};
use crate::support::{Action, diagnose};

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

/// Everything the cloud says about the deployment `id`; `None` only when its service
/// instance is gone. When the instance exists but its deployment, workspace or orchestrator
/// VM does not, the state comes back broken: `orchestrator_vm_id` null (and `status` null
/// without a deployment), which the plan turns into a replacement. What only configuration
/// knows is taken from `prior`; an import (`prior` None) of an instance without a
/// deployment finds nothing.
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
    // From here on the instance exists and is billed: the resource stays, whole or broken.
    let Some(deployment) = absent_if_not_found(dra.get_manage_dr(id).await)? else {
        return Ok(prior.map(|p| {
            let mut state = p.clone();
            state.mark_broken();
            state.status = None;
            state
        }));
    };
    let status = absent_if_not_found(dra.get_last_operation(id).await)?;
    let summary = absent_if_not_found(dra.get_summary(id).await)?;
    // Renaming the instance in the console is tolerated: the deployment keeps its name.
    let name = prior
        .map(|p| p.name.clone())
        .or_else(|| instance.name.clone())
        .unwrap_or_default();
    let Some(workspace_id) = non_empty(deployment.orchestrator_workspace_id.clone())
        .or_else(|| prior.map(|p| p.workspace_id.clone()))
    else {
        return Ok(prior.map(|p| {
            let mut state = p.clone();
            state.mark_broken();
            state
        }));
    };
    let zone = match non_empty(deployment.location_id.clone()) {
        Some(zone) => Some(zone),
        None => find_workspace(clients, &workspace_id)
            .await?
            .map(|ws| ws.zone().unwrap_or_default().to_string()),
    };
    let mut state = OrchestratorState {
        id: instance.guid.clone().or_else(|| Some(id.to_string())),
        name: name.clone(),
        orchestrator_user: non_empty(deployment.orchestrator_name.clone())
            .or_else(|| prior.map(|p| p.orchestrator_user.clone()))
            .unwrap_or_default(),
        workspace_id: workspace_id.clone(),
        location_id: zone
            .clone()
            .or_else(|| prior.and_then(|p| p.location_id.clone())),
        machine_type: non_empty(deployment.machine_type.clone())
            .or_else(|| prior.map(|p| p.machine_type.clone()))
            .unwrap_or_default(),
        tier: non_empty(deployment.tier.clone()).or_else(|| prior.and_then(|p| p.tier.clone())),
        network_ids: deployed_network_ids(
            &deployment.orchestrator_network_ids,
            prior.and_then(|p| p.network_ids.as_ref()),
        ),
        ssh_key_name: non_empty(deployment.ssh_key_name.clone()),
        proxy_ip: non_empty(deployment.proxy_ip.clone()),
        resource_group_id: non_empty(instance.resource_group_id.clone()),
        cores: prior.and_then(|p| p.cores),
        memory_gb: prior.and_then(|p| p.memory_gb),
        tenant_name: non_empty(deployment.tenant_name.clone())
            .or_else(|| prior.and_then(|p| p.tenant_name.clone())),
        secrets_manager: secrets_manager_of(&deployment)
            .or_else(|| prior.and_then(|p| p.secrets_manager.clone())),
        orchestrator_location_type: non_empty(deployment.orchestrator_location_type.clone())
            .or_else(|| prior.and_then(|p| p.orchestrator_location_type.clone()))
            .or_else(|| Some(LOCATION_TYPE.to_string())),
        public_network: prior.and_then(|p| p.public_network),
        crn: non_empty(instance.crn.clone()),
        dashboard_url: non_empty(deployment.dashboard_url.clone())
            .or_else(|| non_empty(instance.dashboard_url.clone())),
        status: status.as_ref().and_then(|s| non_empty(s.status.clone())),
        primary_ip_address: None,
        orchestrator_vm_id: None,
        managed_vm_count: summary.as_ref().and_then(|s| {
            s.managed_vm_list
                .as_object()
                .map(|m| i64::try_from(m.len()).unwrap_or(i64::MAX))
        }),
        ..OrchestratorState::default()
    };
    if let Some(prior) = prior {
        state.keep_configuration_of(prior);
    }
    let Some(zone) = zone else {
        // The workspace is gone, and the VM with it.
        return Ok(Some(state));
    };
    let workspace = clients.power.workspace(&workspace_id, &zone);
    let known_vm = prior.and_then(|p| p.orchestrator_vm_id.as_deref());
    let vm = match find_vm(&workspace, known_vm, &primary_vm_name(&name)).await {
        Ok(Some(vm)) => vm,
        // The VM, or its whole workspace, is gone.
        Ok(None) => return Ok(Some(state)),
        Err(e) if e.is_not_found() => return Ok(Some(state)),
        Err(e) => return Err(e),
    };
    let attached = network::observe(&workspace, &vm, state.network_ids.as_deref()).await?;
    if state.network_ids.is_none() {
        // Imported from an API that does not say: the VM's private networks.
        state.network_ids = attached.private.clone().filter(|p| !p.is_empty());
    }
    state.public_network = Some(attached.public);
    state.attached_network_ids = Some(attached.network_ids);
    state.cores = vm.processors;
    state.memory_gb = vm.memory;
    state.primary_ip_address = status
        .as_ref()
        .and_then(|s| non_empty(s.primary_ip_address.clone()))
        .or_else(|| {
            vm.networks
                .iter()
                .flatten()
                .find_map(|n| non_empty(n.ip_address.clone()))
        });
    state.orchestrator_vm_id = Some(vm.pvm_instance_id.clone());
    Ok(Some(state))
}

/// `secrets_manager` as GET manage_dr echoes it (`secret` names it; `guid` and `region_id`
/// locate the Secrets Manager instance).
fn secrets_manager_of(deployment: &ServiceInstanceManageDr) -> Option<SecretsManager> {
    let secret = non_empty(deployment.secret.clone())?;
    Some(SecretsManager {
        guid: deployment.guid.clone().unwrap_or_default(),
        secret,
        secret_group: deployment.secret_group.clone().unwrap_or_default(),
        region_id: deployment.region_id.clone().unwrap_or_default(),
    })
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

/// The secrets a deployment sends, taken from the configuration (write-only values) or the
/// plan (stored ones); the password is empty only when Secrets Manager holds it.
#[derive(Clone, Default)]
pub struct DeploySecrets {
    pub password: String,
    pub api_key: Option<String>,
    pub client_secret: Option<String>,
}

fn manage_dr_body(
    planned: &OrchestratorState,
    location: &str,
    secrets: DeploySecrets,
) -> CreateManageDr {
    let sm = planned.secrets_manager.clone();
    CreateManageDr {
        location_id: location.to_string(),
        machine_type: planned.machine_type.clone(),
        orchestrator_location_type: planned
            .orchestrator_location_type
            .clone()
            .unwrap_or_else(|| LOCATION_TYPE.to_string()),
        orchestrator_name: planned.orchestrator_user.clone(),
        orchestrator_password: secrets.password,
        orchestrator_workspace_id: planned.workspace_id.clone(),
        orchestrator_network_ids: planned.network_ids.clone(),
        ssh_key_name: planned.ssh_key_name.clone(),
        tier: planned.tier.clone(),
        proxy_ip: planned.proxy_ip.clone(),
        managed_apikey: planned.managed_api_key.clone(),
        api_key: secrets.api_key,
        client_id: planned.client_id.clone(),
        client_secret: secrets.client_secret,
        tenant_name: planned.tenant_name.clone(),
        guid: sm.as_ref().map(|s| s.guid.clone()),
        secret: sm.as_ref().map(|s| s.secret.clone()),
        secret_group: sm.as_ref().map(|s| s.secret_group.clone()),
        region_id: sm.as_ref().map(|s| s.region_id.clone()),
        orchestrator_ha: Some(false),
        ..CreateManageDr::default()
    }
}

/// Whether an existing deployment of the instance is the one this configuration asks for (an
/// earlier apply started it), as opposed to somebody else's.
fn is_our_deployment(existing: &ServiceInstanceManageDr, planned: &OrchestratorState) -> bool {
    let workspace = existing.orchestrator_workspace_id.as_deref().unwrap_or("");
    let user = existing.orchestrator_name.as_deref().unwrap_or("");
    (workspace.is_empty() || workspace.contains(planned.workspace_id.as_str()))
        && (user.is_empty() || user == planned.orchestrator_user)
}

fn deployment_failed(status: Option<&str>) -> bool {
    matches!(
        status.map(str::to_ascii_lowercase).as_deref(),
        Some("fail" | "failed" | "error")
    )
}

/// The DR instance to deploy into: the adopted `service_instance_id` (checked), an instance an
/// interrupted apply left (same name, plan and group), or a new one through Resource
/// Controller.
async fn instance_for(
    clients: &Clients,
    planned: &OrchestratorState,
    object: &str,
) -> Result<(ResourceInstance, String), Diagnostics> {
    let rc = &clients.resource_controller;
    let name = planned.name.as_str();
    let fail = |e: CloudError| diagnose(Action::Create, TYPE_NAME, object, &e);
    if let Some(adopted) = planned.service_instance_id.as_deref() {
        let guid = instance_guid(adopted);
        let instance = check_adoptable(clients, guid)
            .await
            .map_err(fail)?
            .map_err(|detail| {
                Diagnostics::from_error_at(
                    path!("service_instance_id"),
                    format!("Error creating {TYPE_NAME}"),
                    format!("service_instance_id: {detail}"),
                )
            })?;
        if let Some(have) = instance.name.as_deref()
            && have != name
        {
            return Err(Diagnostics::from_error_at(
                path!("name"),
                format!("Error creating {TYPE_NAME}"),
                format!("name: {}", adopted_name_mismatch(guid, have, name)),
            ));
        }
        tracing::info!(
            dr_instance = guid,
            "Deploying into DR Automation instance {guid} (service_instance_id); destroy leaves it in place"
        );
        let group = instance.resource_group_id.clone().unwrap_or_default();
        return Ok((instance, group));
    }
    let group = match &planned.resource_group_id {
        Some(g) => g.clone(),
        None => rc
            .default_resource_group(None)
            .await
            .map_err(fail)?
            .id
            .unwrap_or_default(),
    };
    let plan_id = rc
        .find_plan_id(DR_SERVICE_NAME, DR_PLAN_NAME)
        .await
        .map_err(fail)?;
    let instance = match adoptable_instance(clients, name, &group, &plan_id)
        .await
        .map_err(fail)?
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
            .map_err(fail)?
        }
    };
    Ok((instance, group))
}

/// Why `name` must be the adopted instance's name: the deployment and its VMs take it.
pub fn adopted_name_mismatch(guid: &str, have: &str, want: &str) -> String {
    format!(
        "{want:?} is not the name of service instance {guid}, which is {have:?}. DR Automation names the \
         deployment and its orchestrator VMs (\"{have}-orchestrator\") after the instance: set name = \
         {have:?}."
    )
}

/// The instance `guid` if a deployment may go into it: it exists, is a DR Automation
/// instance and is not being removed. The inner error says why not.
pub async fn check_adoptable(
    clients: &Clients,
    guid: &str,
) -> Result<Result<ResourceInstance, String>, CloudError> {
    let Some(instance) = absent_if_not_found(clients.resource_controller.get_instance(guid).await)?
    else {
        return Ok(Err(format!("no service instance has the GUID {guid:?}.")));
    };
    let is_dr = instance
        .crn
        .as_deref()
        .is_some_and(|c| c.contains(&format!(":{DR_SERVICE_NAME}:")));
    if !is_dr {
        return Ok(Err(format!(
            "service instance {guid} ({}) is not a DR Automation instance (service {DR_SERVICE_NAME}, CRN {}).",
            instance.name.as_deref().unwrap_or("unnamed"),
            instance.crn.as_deref().unwrap_or("unknown")
        )));
    }
    if is_removed_state(instance.state.as_deref()) {
        return Ok(Err(format!(
            "service instance {guid} is {}; use an active DR Automation instance.",
            instance.state.as_deref().unwrap_or("removed")
        )));
    }
    Ok(Ok(instance))
}

/// Provisions the DR instance (or takes the adopted one, or the one an interrupted apply
/// left), deploys the orchestrator, waits for it, resizes its VM and attaches the public
/// network when asked, and returns the new state.
pub async fn create(
    ctx: &Context,
    clients: &Clients,
    planned: &OrchestratorState,
    secrets: DeploySecrets,
) -> Result<OrchestratorState, Diagnostics> {
    let deadline = Instant::now() + ctx.timeout();
    let name = planned.name.as_str();
    let mut object = format!("{name:?}");
    let rc = &clients.resource_controller;

    let workspace = find_workspace(clients, &planned.workspace_id)
        .await
        .map_err(|e| diagnose(Action::Create, TYPE_NAME, &object, &e))?
        .ok_or_else(|| {
            Diagnostics::from_error_at(
                path!("workspace_id"),
                format!("Error creating {TYPE_NAME}"),
                format!(
                    "workspace_id: no PowerVS workspace has the GUID {:?}.",
                    planned.workspace_id
                ),
            )
        })?;
    let zone = workspace.zone().unwrap_or_default().to_string();
    let location = planned.location_id.clone().unwrap_or_else(|| zone.clone());
    let (instance, group) = instance_for(clients, planned, &object).await?;
    let guid = instance.guid.clone().unwrap_or_default();
    object = format!("{name:?} (DR instance {guid})");
    let fail = |e: CloudError| diagnose(Action::Create, TYPE_NAME, &object, &e);

    let mut state = planned.clone();
    state.orchestrator_password_wo = None;
    state.api_key_wo = None;
    state.client_secret_wo = None;
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

    start_deployment(
        clients,
        &guid,
        planned,
        &location,
        &workspace.name,
        secrets,
        &object,
    )
    .await?;
    wait_deployment_logged(
        clients,
        &guid,
        false,
        &poll_until(clients, format!("the DR deployment of {name:?}"), deadline),
    )
    .await
    .map_err(fail)?;

    let wc = clients.power.workspace(&workspace.id, &zone);
    let vm = deployed_vm(clients, &wc, planned, &workspace.name, &object, deadline).await?;
    state.orchestrator_vm_id = Some(vm.pvm_instance_id.clone());
    ctx.save_partial_state(&state);

    settle_vm(clients, &wc, &vm, planned, deadline)
        .await
        .map_err(fail)?;

    let mut created = fetch(clients, &guid, Some(&state))
        .await
        .map_err(fail)?
        .filter(|s| !s.is_broken())
        .ok_or_else(|| {
            Diagnostics::from_error(
                format!("Error creating {TYPE_NAME}"),
                format!("{object}: the deployment disappeared right after it became active."),
            )
        })?;
    created.keep_configuration_of(planned);
    Ok(created)
}

/// Starts DR Automation's deployment on the instance, unless one of ours is already under way
/// (an interrupted apply waits for it instead); a failed earlier deployment is started again,
/// someone else's deployment is an error.
async fn start_deployment(
    clients: &Clients,
    guid: &str,
    planned: &OrchestratorState,
    location: &str,
    workspace_name: &str,
    secrets: DeploySecrets,
    object: &str,
) -> Result<(), Diagnostics> {
    let dra = &clients.dr_automation;
    let fail = |e: CloudError| diagnose(Action::Create, TYPE_NAME, object, &e);
    let start = match absent_if_not_found(dra.get_manage_dr(guid).await).map_err(fail)? {
        None => true,
        Some(existing) => {
            let status = dra.get_last_operation(guid).await.map_err(fail)?;
            if deployment_failed(status.status.as_deref()) {
                tracing::info!(dr_instance = %guid, "The earlier deployment failed; starting it again");
                true
            } else if is_our_deployment(&existing, planned) {
                tracing::info!(dr_instance = %guid, "The deployment is already under way; waiting for it");
                false
            } else {
                return Err(Diagnostics::from_error(
                    format!("Error creating {TYPE_NAME}"),
                    format!(
                        "{object}: the instance already has a DR deployment (orchestrator user {:?} in workspace \
                         {}); DR Automation deploys one orchestrator per instance. Use another instance.",
                        existing.orchestrator_name.as_deref().unwrap_or(""),
                        existing
                            .orchestrator_workspace_id
                            .as_deref()
                            .unwrap_or("(unknown)")
                    ),
                ));
            }
        }
    };
    if start {
        tracing::info!(dr_instance = %guid, "Deploying the DR orchestrator in workspace {} ({location})", workspace_name);
        dra.create_manage_dr(
            guid,
            &manage_dr_body(planned, location, secrets),
            ManageDrOptions {
                stand_by_redeploy: None,
                accepts_incomplete: Some(true),
            },
        )
        .await
        .map_err(fail)?;
    }
    Ok(())
}

/// The orchestrator VM the deployment created, once PowerVS reports it ACTIVE.
async fn deployed_vm(
    clients: &Clients,
    wc: &WorkspaceClient,
    planned: &OrchestratorState,
    workspace_name: &str,
    object: &str,
    deadline: Instant,
) -> Result<PvmInstance, Diagnostics> {
    let fail = |e: CloudError| diagnose(Action::Create, TYPE_NAME, object, &e);
    let name = planned.name.as_str();
    let vm_name = primary_vm_name(name);
    let vm = find_vm(wc, None, &vm_name)
        .await
        .map_err(fail)?
        .ok_or_else(|| {
            let remedy = if planned.is_adopted() {
                "DR Automation deploys once per instance and this one was adopted \
                 (service_instance_id): replace that instance (e.g. terraform apply -replace on the resource \
                 that created it) and apply again."
            } else {
                "If this instance is left from an earlier deployment whose orchestrator VM was deleted, \
                 delete the instance (or pick another name) and apply again."
            };
            Diagnostics::from_error(
                format!("Error creating {TYPE_NAME}"),
                format!(
                    "{object}: DR Automation reports the deployment active, but workspace {} has no VM named \
                     {vm_name:?}. {remedy}",
                    workspace_name
                ),
            )
        })?;
    wc.wait_instance_ready(
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
    .map_err(fail)
}

/// Brings the VM to the planned size and public network, which the deployment does not set.
async fn settle_vm(
    clients: &Clients,
    wc: &WorkspaceClient,
    vm: &PvmInstance,
    planned: &OrchestratorState,
    deadline: Instant,
) -> Result<(), CloudError> {
    if let (Some(cores), Some(memory)) = (planned.cores, planned.memory_gb)
        && (vm.processors != Some(cores) || vm.memory != Some(memory))
    {
        resize(clients, wc, &vm.pvm_instance_id, cores, memory, deadline).await?;
    }
    if planned.public_network == Some(true) {
        network::set_public(clients, wc, &vm.pvm_instance_id, true, deadline).await?;
    }

    Ok(())
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
    let read = || workspace.get_instance(vm_id);
    wait_until(&options, read, |vm| {
        let status = vm.status.clone().unwrap_or_default().to_ascii_uppercase();
        match status.as_str() {
            "ERROR" => PollStatus::Failed {
                message: vm
                    .fault_message()
                    .unwrap_or_else(|| "the VM went to ERROR while resizing".into()),
                state: status,
            },
            "ACTIVE" if vm.processors == Some(cores) && vm.memory == Some(memory_gb) => {
                PollStatus::Done(vm)
            }
            _ => PollStatus::Pending { state: status },
        }
    })
    .await
}

/// Deprovisions the DR instance through Resource Controller and waits until the orchestrator
/// VM and the instance are gone. Already gone counts as done; an adopted instance
/// (`service_instance_id`) is left in place.
pub async fn delete(
    ctx: &Context,
    clients: &Clients,
    state: &OrchestratorState,
) -> Result<(), Diagnostics> {
    let Some(id) = state.id.as_deref() else {
        return Ok(());
    };
    if state.is_adopted() {
        ctx.warn(
            "DR Automation instance left in place",
            format!(
                "{TYPE_NAME} {:?} deployed into DR instance {id}, which it adopted (service_instance_id), so \
                 destroy leaves that instance and its orchestrator running. Deprovision it where it was \
                 created (e.g. destroy its ibm_resource_instance).",
                state.name
            ),
        );
        return Ok(());
    }
    let deadline = Instant::now() + ctx.timeout();
    let object = format!("{:?} (DR instance {id})", state.name);
    let fail = |e: CloudError| diagnose(Action::Delete, TYPE_NAME, &object, &e);
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
