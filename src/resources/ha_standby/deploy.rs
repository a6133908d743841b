//! The cloud side of `dr_ha_standby`: attach the standby workspace to the Transit Gateway,
//! deploy the standby orchestrator through `manage_dr`, read both back, and take them down.
//!
//! The attachment may already exist (the landing zone or another tool made it). It is then
//! adopted, recorded as not ours (`manages_transit_gateway_connection = false`) and left in
//! place on destroy: this resource never deletes what it did not create.
//!
//! Drift never forgets a deployed standby: a standby VM deleted out of band reads back as a
//! broken standby (`standby_vm_id` null), which the plan replaces; a gateway connection
//! detached out of band reads back as `transit_gateway_connection_id` null, which an
//! in-place update attaches again. Only a standby DR Automation no longer reports (or an
//! orchestrator that is gone) drops the resource.

use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::path;
use tokio::time::Instant;

use super::TYPE_NAME;
use super::model::StandbyState;
use super::overlap::is_workspace_crn;
use crate::cloud::dr_automation::{CreateManageDr, ManageDrOptions, ServiceInstanceManageDr};
use crate::cloud::ksys::Orchestrator;
use crate::cloud::ksys::command::{Class, KsysCommand, Verb};
use crate::cloud::power::{PvmInstance, Workspace};
use crate::cloud::transit_gateway::{TransitConnection, TransitConnectionCreate};
use crate::cloud::{Clients, CloudError};
use crate::resources::deployment::network::nic_networks;
use crate::resources::deployment::standby_vm_name;
use crate::resources::deployment::{
    LOCATION_TYPE, find_workspace, is_removed_state, poll_until, wait_deployment_logged,
};
use crate::resources::deployment::{absent_if_not_found, deployed_network_ids, non_empty};
use crate::support::orchestrator_access;
use crate::support::{Action, diagnose};

fn is_pvs_connection_of(c: &TransitConnection, workspace: &Workspace) -> bool {
    c.network_type.as_deref() == Some("power_virtual_server")
        && c.network_id
            .as_deref()
            .is_some_and(|n| is_workspace_crn(n, workspace))
        && !matches!(
            c.status.as_deref(),
            Some("deleting" | "detaching" | "detached")
        )
}

/// A connection of `workspace` that Transit Gateway is still detaching.
fn is_leaving_connection_of(c: &TransitConnection, workspace: &Workspace) -> bool {
    c.network_type.as_deref() == Some("power_virtual_server")
        && c.network_id
            .as_deref()
            .is_some_and(|n| is_workspace_crn(n, workspace))
        && matches!(c.status.as_deref(), Some("deleting" | "detaching"))
}

/// The gateway and connection that attach `workspace`, searching every gateway (import knows
/// only the orchestrator id).
async fn find_attachment(
    clients: &Clients,
    workspace: &Workspace,
) -> Result<Option<(String, TransitConnection)>, CloudError> {
    for gateway in clients.transit_gateway.list_gateways().await? {
        let connections = clients
            .transit_gateway
            .list_connections(&gateway.id)
            .await?;
        if let Some(c) = connections
            .into_iter()
            .find(|c| is_pvs_connection_of(c, workspace))
        {
            return Ok(Some((gateway.id, c)));
        }
    }
    Ok(None)
}

async fn find_standby_vm(
    clients: &Clients,
    workspace: &Workspace,
    id: Option<&str>,
    name: &str,
) -> Result<Option<PvmInstance>, CloudError> {
    let wc = clients
        .power
        .workspace(&workspace.id, workspace.zone().unwrap_or_default());
    if let Some(id) = id {
        return absent_if_not_found(wc.get_instance(id).await);
    }
    Ok(wc
        .list_instances()
        .await?
        .into_iter()
        .find(|vm| vm.server_name == name))
}

/// The standby of deployment `id` as the cloud has it; `None` when DR Automation reports no
/// standby (or the deployment is gone). A standby whose workspace or VM is gone comes back
/// with `standby_vm_id` null, one whose gateway connection is gone with
/// `transit_gateway_connection_id` null (both only on refresh: an import needs them).
pub async fn fetch(
    clients: &Clients,
    id: &str,
    prior: Option<&StandbyState>,
) -> Result<Option<StandbyState>, CloudError> {
    let Some(deployment) = absent_if_not_found(clients.dr_automation.get_manage_dr(id).await)?
    else {
        return Ok(None);
    };
    if deployment.orchestrator_ha != Some(true) {
        return Ok(None);
    }
    let Some(standby_ws) = non_empty(deployment.standby_orchestrator_workspace_id.clone()) else {
        return Ok(None);
    };
    let Some(instance) = absent_if_not_found(clients.resource_controller.get_instance(id).await)?
    else {
        return Ok(None);
    };
    if is_removed_state(instance.state.as_deref()) {
        return Ok(None);
    }
    let status = clients.dr_automation.get_last_operation(id).await?;
    let mut state = StandbyState {
        id: Some(id.to_string()),
        orchestrator_id: id.to_string(),
        workspace_id: prior
            .map(|p| p.workspace_id.clone())
            .filter(|w| standby_ws.contains(w.as_str()))
            .unwrap_or_else(|| standby_ws.clone()),
        transit_gateway_id: prior
            .map(|p| p.transit_gateway_id.clone())
            .unwrap_or_default(),
        orchestrator_user: non_empty(deployment.standby_orchestrator_name.clone())
            .or_else(|| non_empty(deployment.orchestrator_name.clone())),
        machine_type: non_empty(deployment.standby_machine_type.clone())
            .or_else(|| prior.and_then(|p| p.machine_type.clone())),
        tier: non_empty(deployment.standby_tier.clone())
            .or_else(|| prior.and_then(|p| p.tier.clone())),
        network_ids: deployed_network_ids(
            &deployment.standby_orchestrator_network_ids,
            prior.and_then(|p| p.network_ids.as_ref()),
        ),
        ssh_key_name: non_empty(deployment.standby_ssh_key_name.clone()),
        status: non_empty(status.standby_status.clone()),
        standby_ip_address: None,
        standby_vm_id: None,
        transit_gateway_connection_id: None,
        manages_transit_gateway_connection: prior
            .and_then(|p| p.manages_transit_gateway_connection),
        ..StandbyState::default()
    };
    if let Some(prior) = prior {
        state.keep_configuration_of(prior);
    }
    let Some(workspace) = find_workspace(clients, &standby_ws).await? else {
        return Ok(prior.is_some().then_some(state));
    };
    state.workspace_id = workspace.id.clone();
    let vm_name = standby_vm_name(instance.name.as_deref().unwrap_or_default());
    let known_vm = prior.and_then(|p| p.standby_vm_id.as_deref());
    match find_standby_vm(clients, &workspace, known_vm, &vm_name).await? {
        Some(vm) => {
            if state.network_ids.is_none() {
                state.network_ids = Some(nic_networks(&vm)).filter(|n| !n.is_empty());
            }
            state.standby_ip_address = non_empty(status.standby_ip_address.clone()).or_else(|| {
                vm.networks
                    .iter()
                    .flatten()
                    .find_map(|n| non_empty(n.ip_address.clone()))
            });
            state.standby_vm_id = Some(vm.pvm_instance_id.clone());
        }
        None if prior.is_none() => return Ok(None),
        None => {}
    }
    let connection = match prior {
        Some(prior) => {
            let known = match prior.transit_gateway_connection_id.as_deref() {
                Some(connection_id) => absent_if_not_found(
                    clients
                        .transit_gateway
                        .get_connection(&prior.transit_gateway_id, connection_id)
                        .await,
                )?
                .filter(|c| is_pvs_connection_of(c, &workspace)),
                None => None,
            };
            match known {
                Some(c) => Some(c),
                // Attached again by hand: adopted, not ours.
                None => {
                    let found =
                        attachment_on(clients, &prior.transit_gateway_id, &workspace).await?;
                    if found.is_some() {
                        state.manages_transit_gateway_connection = Some(false);
                    }
                    found
                }
            }
        }
        None => match find_attachment(clients, &workspace).await? {
            Some((gateway, c)) => {
                state.transit_gateway_id = gateway;
                Some(c)
            }
            None => return Ok(None),
        },
    };
    state.transit_gateway_connection_id = connection.map(|c| c.id);
    if state.manages_transit_gateway_connection.is_none() {
        state.manages_transit_gateway_connection = Some(false);
    }
    Ok(Some(state))
}

/// The connection of `workspace` on gateway `gateway_id`, if any (a gateway that is gone has
/// none).
async fn attachment_on(
    clients: &Clients,
    gateway_id: &str,
    workspace: &Workspace,
) -> Result<Option<TransitConnection>, CloudError> {
    let connections =
        absent_if_not_found(clients.transit_gateway.list_connections(gateway_id).await)?;
    Ok(connections
        .unwrap_or_default()
        .into_iter()
        .find(|c| is_pvs_connection_of(c, workspace)))
}

/// Attaches `workspace` to gateway `gateway_id`, or adopts the attachment that exists, and
/// waits until it is attached. The flag says whether this call created it.
pub async fn attach_workspace(
    clients: &Clients,
    gateway_id: &str,
    workspace: &Workspace,
    deadline: Instant,
    before_wait: impl FnOnce(&TransitConnection, bool),
) -> Result<(TransitConnection, bool), CloudError> {
    let tg = &clients.transit_gateway;
    let gateway = tg.get_gateway(gateway_id).await?;
    let crn = workspace.crn().map(str::to_string).unwrap_or_default();
    let connections = tg.list_connections(&gateway.id).await?;
    // A connection detached by hand moments ago still holds the network while Transit
    // Gateway deletes it, and a new one would be refused (409): wait until it is gone.
    for leaving in connections
        .iter()
        .filter(|c| is_leaving_connection_of(c, workspace))
    {
        tracing::info!(
            connection = %leaving.id,
            "Waiting for the earlier connection of workspace {} to finish detaching",
            workspace.name
        );
        tg.wait_connection_deleted(
            &gateway.id,
            &leaving.id,
            &poll_until(
                clients,
                format!("connection {} to be detached", leaving.id),
                deadline,
            ),
        )
        .await?;
    }
    let existing = connections
        .into_iter()
        .find(|c| is_pvs_connection_of(c, workspace));
    let (connection, created) = match existing {
        Some(c) => {
            tracing::info!(
                connection = %c.id,
                "Workspace {} is already attached to transit gateway {}; using that connection and leaving it in place on destroy",
                workspace.name,
                gateway.name
            );
            (c, false)
        }
        None => {
            tracing::info!(
                "Attaching workspace {} to transit gateway {}",
                workspace.name,
                gateway.name
            );
            let c = tg
                .create_connection(
                    &gateway.id,
                    &TransitConnectionCreate {
                        network_type: "power_virtual_server".into(),
                        name: Some(format!("{}-dr-standby", workspace.name)),
                        network_id: Some(crn),
                        ..TransitConnectionCreate::default()
                    },
                )
                .await?;
            (c, true)
        }
    };
    before_wait(&connection, created);
    tg.wait_connection_attached(
        &gateway.id,
        &connection.id,
        &poll_until(
            clients,
            format!("connection {} to be attached", connection.id),
            deadline,
        ),
    )
    .await?;
    Ok((connection, created))
}

fn standby_body(
    deployment: &ServiceInstanceManageDr,
    planned: &StandbyState,
    workspace: &Workspace,
    password: String,
) -> CreateManageDr {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    CreateManageDr {
        location_id: text(&deployment.location_id),
        machine_type: text(&deployment.machine_type),
        orchestrator_location_type: non_empty(deployment.orchestrator_location_type.clone())
            .unwrap_or_else(|| LOCATION_TYPE.to_string()),
        orchestrator_name: text(&deployment.orchestrator_name),
        orchestrator_password: password,
        orchestrator_workspace_id: text(&deployment.orchestrator_workspace_id),
        orchestrator_ha: Some(true),
        ssh_key_name: non_empty(deployment.ssh_key_name.clone()),
        tier: non_empty(deployment.tier.clone()),
        proxy_ip: non_empty(deployment.proxy_ip.clone()),
        standby_orchestrator_workspace_id: Some(workspace.id.clone()),
        standby_machine_type: planned.machine_type.clone(),
        standby_orchestrator_name: planned
            .orchestrator_user
            .clone()
            .or_else(|| non_empty(deployment.orchestrator_name.clone())),
        standby_orchestrator_network_ids: planned.network_ids.clone(),
        standby_ssh_key_name: planned.ssh_key_name.clone(),
        standby_tier: planned.tier.clone(),
        ..CreateManageDr::default()
    }
}

fn error(detail: String) -> Diagnostics {
    Diagnostics::from_error(format!("Error creating {TYPE_NAME}"), detail)
}

/// The workspace the standby goes to, and its CRN: it must exist and differ from the
/// primary orchestrator's.
async fn standby_workspace(
    clients: &Clients,
    planned: &StandbyState,
    deployment: &ServiceInstanceManageDr,
    object: &str,
) -> Result<(Workspace, String), Diagnostics> {
    let fail = |e: CloudError| diagnose(Action::Create, TYPE_NAME, object, &e);
    let workspace = find_workspace(clients, &planned.workspace_id)
        .await
        .map_err(fail)?
        .ok_or_else(|| {
            error(format!(
                "{object}: no PowerVS workspace has the GUID {:?}.",
                planned.workspace_id
            ))
        })?;
    if deployment.orchestrator_workspace_id.as_deref() == Some(workspace.id.as_str()) {
        return Err(Diagnostics::from_error_at(
            path!("workspace_id"),
            format!("Error creating {TYPE_NAME}"),
            format!(
                "workspace_id: {} is the primary orchestrator's workspace; the standby must run in another one.",
                workspace.id
            ),
        ));
    }
    let crn = workspace.crn().map(str::to_string).ok_or_else(|| {
        error(format!(
            "{object}: workspace {} has no CRN.",
            workspace.name
        ))
    })?;
    Ok((workspace, crn))
}

/// Starts the standby's deployment, unless the same standby is already deployed or under way
/// (an interrupted apply); a failed one is started again, a standby elsewhere is an error.
async fn start_standby(
    clients: &Clients,
    deployment: &ServiceInstanceManageDr,
    planned: &StandbyState,
    workspace: &Workspace,
    crn: &str,
    password: String,
    object: &str,
) -> Result<(), Diagnostics> {
    let id = planned.orchestrator_id.as_str();
    let dra = &clients.dr_automation;
    let fail = |e: CloudError| diagnose(Action::Create, TYPE_NAME, object, &e);
    let same_standby = deployment.orchestrator_ha == Some(true)
        && deployment
            .standby_orchestrator_workspace_id
            .as_deref()
            .is_some_and(|w| w == workspace.id || w == crn);
    if deployment.orchestrator_ha == Some(true) && !same_standby {
        return Err(error(format!(
            "{object}: the deployment already has a standby orchestrator in workspace {}; a deployment has one \
             standby. Remove that one first.",
            deployment
                .standby_orchestrator_workspace_id
                .as_deref()
                .unwrap_or("(unknown)")
        )));
    }
    let deploy = if same_standby {
        let status = dra.get_last_operation(id).await.map_err(fail)?;
        let failed = status
            .standby_status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("failed"));
        if !failed {
            tracing::info!(
                dr_instance = id,
                "The standby orchestrator is already deployed or under way; waiting for it"
            );
        }
        failed
    } else {
        true
    };
    if deploy {
        tracing::info!(
            dr_instance = id,
            "Deploying the standby orchestrator in workspace {}",
            workspace.name
        );
        dra.create_manage_dr(
            id,
            &standby_body(deployment, planned, workspace, password),
            ManageDrOptions {
                stand_by_redeploy: Some(true),
                accepts_incomplete: Some(true),
            },
        )
        .await
        .map_err(fail)?;
    }
    Ok(())
}

/// Attaches the standby workspace (or adopts its attachment), deploys the standby
/// orchestrator and waits for both.
pub async fn create(
    ctx: &Context,
    clients: &Clients,
    planned: &StandbyState,
    password: String,
) -> Result<StandbyState, Diagnostics> {
    let deadline = Instant::now() + ctx.timeout();
    let id = planned.orchestrator_id.as_str();
    let object = format!("standby of DR instance {id}");
    let fail = |e: CloudError| diagnose(Action::Create, TYPE_NAME, &object, &e);
    let dra = &clients.dr_automation;

    let deployment = absent_if_not_found(dra.get_manage_dr(id).await)
        .map_err(fail)?
        .ok_or_else(|| {
            Diagnostics::from_error_at(
                path!("orchestrator_id"),
                format!("Error creating {TYPE_NAME}"),
                format!("orchestrator_id: DR instance {id:?} has no orchestrator deployment."),
            )
        })?;
    let (workspace, crn) = standby_workspace(clients, planned, &deployment, &object).await?;
    // The primary must be deployed before its standby.
    wait_deployment_logged(
        clients,
        id,
        false,
        &poll_until(
            clients,
            format!("the primary deployment of DR instance {id}"),
            deadline,
        ),
    )
    .await
    .map_err(fail)?;

    let mut state = planned.clone();
    state.orchestrator_password_wo = None;
    state.id = Some(id.to_string());
    state.workspace_id = workspace.id.clone();
    let (connection, created) = attach_workspace(
        clients,
        &planned.transit_gateway_id,
        &workspace,
        deadline,
        |connection, created| {
            state.transit_gateway_connection_id = Some(connection.id.clone());
            state.manages_transit_gateway_connection = Some(created);
            // A failure from here on keeps the attachment in state, so destroy detaches it.
            ctx.save_partial_state(&state);
        },
    )
    .await
    .map_err(fail)?;
    state.transit_gateway_connection_id = Some(connection.id.clone());
    state.manages_transit_gateway_connection = Some(created);

    start_standby(
        clients,
        &deployment,
        planned,
        &workspace,
        &crn,
        password,
        &object,
    )
    .await?;
    wait_deployment_logged(
        clients,
        id,
        true,
        &poll_until(
            clients,
            format!("the standby deployment of DR instance {id}"),
            deadline,
        ),
    )
    .await
    .map_err(fail)?;

    let mut done = fetch(clients, id, Some(&state))
        .await
        .map_err(fail)?
        .filter(|s| s.standby_vm_id.is_some() && s.transit_gateway_connection_id.is_some())
        .ok_or_else(|| {
            error(format!(
                "{object}: DR Automation reports the standby active, but its VM or attachment is missing."
            ))
        })?;
    done.keep_configuration_of(planned);
    done.manages_transit_gateway_connection = Some(created);
    Ok(done)
}

/// `modify ksyscluster <c> remove ksysnodes=<node>` on the primary, unless `node` has left already.
async fn remove_cluster_node(clients: &Clients, id: &str, node: &str) -> Result<(), CloudError> {
    let ksys = orchestrator_access::ksys(clients)?;
    let located = match orchestrator_access::locate(clients, id).await {
        Ok(o) => o,
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(orchestrator_access::shared_to_owned(&e)),
    };
    // Only the primary: the standby is the node being removed.
    let primary = Orchestrator {
        instance_id: located.instance_id.clone(),
        hosts: located.hosts.iter().take(1).cloned().collect(),
    };
    let cluster = ksys.cluster(&primary).await?;
    if !cluster.nodes.iter().any(|n| n.host == node) {
        tracing::info!(node, "The standby node is not in the KSYS cluster any more");
        return Ok(());
    }
    ksys.run(
        &primary,
        &KsysCommand::new(Verb::Modify, Class::KsysCluster)
            .name(cluster.name.clone())
            .word("remove")
            .attr("ksysnodes", node),
        None,
        None,
    )
    .await?;
    Ok(())
}

/// Removes the standby: its node leaves the KSYS cluster (`ksysmgr modify ksyscluster <c>
/// remove ksysnodes=<standby>`, run on the primary), then its VM is deleted through PowerVS,
/// and the workspace is detached from the gateway only when this resource attached it. DR
/// Automation has no call to remove a standby; this is the documented KSYS path.
pub async fn delete(
    ctx: &Context,
    clients: &Clients,
    state: &StandbyState,
) -> Result<(), Diagnostics> {
    let deadline = Instant::now() + ctx.timeout();
    let id = state.orchestrator_id.as_str();
    let object = format!("standby of DR instance {id}");
    let fail = |e: CloudError| diagnose(Action::Delete, TYPE_NAME, &object, &e);
    let workspace = find_workspace(clients, &state.workspace_id)
        .await
        .map_err(fail)?;
    let standby_vm = match (&workspace, state.standby_vm_id.as_deref()) {
        (Some(ws), Some(vm)) => {
            let wc = clients
                .power
                .workspace(&ws.id, ws.zone().unwrap_or_default());
            absent_if_not_found(wc.get_instance(vm).await)
                .map_err(fail)?
                .map(|i| (wc, i))
        }
        _ => None,
    };
    // The node keeps its VM's name in the cluster even when the VM is gone (a broken standby
    // being replaced): KSYS must forget it before a new standby can join.
    let node = match &standby_vm {
        Some((_, vm)) => Some(vm.server_name.clone()),
        None => absent_if_not_found(clients.resource_controller.get_instance(id).await)
            .map_err(fail)?
            .and_then(|i| i.name)
            .map(|name| standby_vm_name(&name)),
    };
    if let Some(node) = &node {
        tracing::info!(dr_instance = id, node = %node, "Removing the standby node from the KSYS cluster");
        remove_cluster_node(clients, id, node).await.map_err(fail)?;
    }
    orchestrator_access::forget_location(id);
    if let Some((wc, vm)) = &standby_vm {
        match wc.delete_instance(&vm.pvm_instance_id).await {
            Err(e) if e.is_not_found() => {}
            other => other.map_err(fail)?,
        }
        match wc
            .wait_instance_deleted(
                &vm.pvm_instance_id,
                &poll_until(
                    clients,
                    format!("standby VM {} to be deleted", vm.server_name),
                    deadline,
                ),
            )
            .await
        {
            Err(e) if e.is_not_found() => {}
            other => other.map_err(fail)?,
        }
    }
    let Some(connection) = state.transit_gateway_connection_id.as_deref() else {
        return Ok(());
    };
    if state.manages_transit_gateway_connection != Some(true) {
        tracing::info!(
            connection,
            "Leaving the transit gateway connection in place: this resource did not create it"
        );
        return Ok(());
    }
    let gateway = state.transit_gateway_id.as_str();
    tracing::info!(
        connection,
        "Detaching the standby workspace from transit gateway {gateway}"
    );
    match clients
        .transit_gateway
        .delete_connection(gateway, connection)
        .await
    {
        Err(e) if e.is_not_found() => return Ok(()),
        other => other.map_err(fail)?,
    }
    clients
        .transit_gateway
        .wait_connection_deleted(
            gateway,
            connection,
            &poll_until(
                clients,
                format!("connection {connection} to be detached"),
                deadline,
            ),
        )
        .await
        .map_err(fail)
}
