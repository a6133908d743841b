//! `dr_ha_standby`: the standby orchestrator of a DR deployment, in a second PowerVS
//! workspace attached to the Transit Gateway that reaches the VPC.
//!
//! The plan refuses what would only fail (or silently misroute) later: a standby workspace
//! equal to the primary one, networks that are not the workspace's private ones, a machine
//! type the workspace does not offer, and any subnet of the standby workspace that overlaps a
//! network already reachable through the gateway ([`overlap`]).
//!
//! Layout: [`model`] (state), [`deploy`] (cloud calls), [`overlap`] (the overlap check),
//! [`adopt`] (identity, import by identity, generated configuration), [`list`] (`terraform
//! query`), this file (schema and the Resource glue). Validators shared with `dr_orchestrator`
//! live in [`crate::resources::deployment`].

pub mod adopt;
pub mod deploy;
pub mod list;
pub mod model;
pub mod overlap;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use tf_framework::context::Context;
use tf_framework::diag::{AttributePath, Diagnostics};
use tf_framework::genconfig::GeneratedConfig;
use tf_framework::identity::IdentityBinding;
use tf_framework::path;
use tf_framework::resource::{CreateRequest, Resource, UpdateRequest};
use tf_framework::schema::{Attribute, Schema};
use tf_framework::timeouts::{self, Operation, TimeoutDefaults};
use tf_framework::typed::{ConfigView, PlanView};

use crate::cloud::Clients;
use crate::resources::adoption::nothing_to_import;
use crate::resources::deployment::schema::{VmArgumentDocs, WithVmArguments, computed_string};
use crate::resources::deployment::{
    check_network_ids, check_password_choice, chosen_password, deployment_timeouts,
    dr_instance_for_queries, find_workspace, machine_type_validator, offered_machine_types,
    workspace_guid_validator, workspace_networks, workspace_not_found,
};
use crate::support::orchestrator_access::ksys_for_plan;
use crate::support::{Action, clients, diagnose};
use crate::validate::machine_type::check_offered;
use model::StandbyState;
use overlap::{overlap_messages, reachable_networks, workspace_subnets};

pub const TYPE_NAME: &str = "dr_ha_standby";

#[derive(Debug, Default)]
pub struct HaStandbyResource;

pub fn schema() -> Schema {
    Schema::new()
        .description(
            "The standby (HA) orchestrator of a `dr_orchestrator`, in a second PowerVS workspace. Creating it \
             attaches that workspace to the Transit Gateway (or adopts an existing attachment) and deploys \
             the standby through DR Automation; destroying it removes the standby and detaches only an \
             attachment it created. The plan refuses subnets that overlap any network on the gateway. Every \
             argument replaces the standby. A standby VM deleted out of band is replaced (with a warning); a \
             gateway connection detached out of band is attached again in place.",
        )
        .attribute(computed_string("id", "The orchestrator's id (one standby per deployment)."))
        .attribute(
            Attribute::string("orchestrator_id")
                .required()
                .requires_replace()
                .description("`id` of the `dr_orchestrator` this standby belongs to."),
        )
        .attribute(
            Attribute::string("workspace_id")
                .required()
                .requires_replace()
                .validator(workspace_guid_validator())
                .description("GUID of the standby PowerVS workspace; it must differ from the primary's."),
        )
        .attribute(
            Attribute::string("transit_gateway_id")
                .required()
                .requires_replace()
                .description(
                    "Transit Gateway that connects the primary workspace and the VPC (the landing zone's \
                     `transit_gateway_id`).",
                ),
        )
        .attribute(
            Attribute::string("orchestrator_user")
                .optional_computed()
                .requires_replace()
                .use_state_for_unknown()
                .description("Login of the standby orchestrator UI. Default: the primary's `orchestrator_user`."),
        )
        .attribute(
            Attribute::string("machine_type")
                .optional_computed()
                .requires_replace()
                .use_state_for_unknown()
                .validator(machine_type_validator())
                .description(
                    "Power machine type of the standby VM; it must be offered by the standby workspace. \
                     Default: the primary's.",
                ),
        )
        .vm_arguments(VmArgumentDocs {
            network_ids: "Private (`vlan`) networks of the standby workspace. Default: its first private network.",
            ssh_key_name: "SSH key of the standby workspace for the standby VM.",
            orchestrator_password: "The orchestrator password again (DR Automation asks for it to deploy the standby), \
                 stored in state (sensitive). For Terraform older than 1.11. Exactly one of this and \
                 `orchestrator_password_wo` must be set.",
            orchestrator_password_wo: "The orchestrator password, write-only (Terraform 1.11 and later).",
            orchestrator_password_wo_version: "Any number; changing it redeploys the standby with the current `orchestrator_password_wo`.",
        })
        .attribute(
            Attribute::string("status")
                .computed()
                .description("Standby deployment status as DR Automation reports it, e.g. `Active`."),
        )
        .attribute(computed_string("standby_ip_address", "IP address of the standby orchestrator VM."))
        .attribute(computed_string("standby_vm_id", "PowerVS instance id of the standby orchestrator VM."))
        .attribute(computed_string(
            "transit_gateway_connection_id",
            "Id of the Transit Gateway connection of the standby workspace.",
        ))
        .attribute(
            Attribute::bool("manages_transit_gateway_connection")
                .computed()
                .use_state_for_unknown()
                .description(
                    "True when this resource attached the standby workspace to the gateway and will detach it \
                     on destroy; false when the attachment existed before and is left in place.",
                ),
        )
        .block(timeouts::block(&[
            Operation::Create,
            Operation::Update,
            Operation::Delete,
        ]))
}

impl HaStandbyResource {
    /// Plan-time checks that need the cloud; only GET requests.
    async fn check_against_cloud(
        &self,
        clients: &Clients,
        plan: &mut PlanView,
    ) -> Result<(), Diagnostics> {
        let Some(ws_id) = plan.planned::<String>(&path!("workspace_id"))?.into_known() else {
            return Ok(());
        };
        let object = format!("standby workspace {ws_id}");
        let fail = |e| diagnose(Action::Plan, TYPE_NAME, &object, &e);
        let Some(workspace) = find_workspace(clients, &ws_id).await.map_err(fail)? else {
            return Err(workspace_not_found(clients, path!("workspace_id"), &ws_id).await);
        };
        let mut diags = Diagnostics::new();

        // The primary side, when the orchestrator already exists.
        let orchestrator = plan
            .planned::<String>(&path!("orchestrator_id"))?
            .into_known();
        let mut primary_name = None;
        if let Some(id) = orchestrator.as_deref() {
            match clients.dr_automation.get_manage_dr(id).await {
                Err(e) if e.is_not_found() => diags.error_at(
                    path!("orchestrator_id"),
                    "Orchestrator not found",
                    format!("orchestrator_id: no DR deployment has the id {id:?}; use the id of a dr_orchestrator."),
                ),
                Err(e) => return Err(fail(e)),
                Ok(deployment) => {
                    let primary = deployment.orchestrator_workspace_id.clone().unwrap_or_default();
                    if primary == workspace.id {
                        diags.error_at(
                            path!("workspace_id"),
                            "Standby workspace is the primary workspace",
                            format!(
                                "workspace_id: {ws_id:?} ({}) is the workspace of the primary orchestrator; the \
                                 standby must run in a different workspace, ideally in the paired zone.",
                                workspace.name
                            ),
                        );
                    }
                    if plan.is_create() {
                        if plan.config::<String>(&path!("orchestrator_user"))?.is_null()
                            && let Some(user) = deployment.orchestrator_name.clone()
                        {
                            plan.set(&path!("orchestrator_user"), &user)?;
                        }
                        if plan.config::<String>(&path!("machine_type"))?.is_null()
                            && let Some(machine) = deployment.machine_type.clone()
                        {
                            plan.set(&path!("machine_type"), &machine)?;
                        }
                    }
                    if let Some(ws) = find_workspace(clients, &primary).await.map_err(fail)? {
                        primary_name = Some(ws.name);
                    }
                }
            }
        }

        if let Some(ids) = plan
            .planned::<Vec<String>>(&path!("network_ids"))?
            .into_known()
        {
            let networks = workspace_networks(clients, &workspace)
                .await
                .map_err(fail)?;
            check_network_ids(
                &workspace,
                &networks,
                &ids,
                &path!("network_ids"),
                &mut diags,
            );
        }

        if let Some(machine) = plan.planned::<String>(&path!("machine_type"))?.into_known()
            && let Some(instance) = dr_instance_for_queries(clients, orchestrator.as_deref())
                .await
                .map_err(fail)?
        {
            let primary = primary_name
                .clone()
                .unwrap_or_else(|| workspace.name.clone());
            let standby = (primary != workspace.name).then_some(workspace.name.as_str());
            if let Some(offered) =
                offered_machine_types(clients, &instance, &primary, standby, &workspace.name)
                    .await
                    .map_err(fail)?
                && let Err(e) = check_offered(&machine, &workspace.name, &offered)
            {
                let defaulted = if plan.config::<String>(&path!("machine_type"))?.is_null() {
                    " (machine_type defaults to the primary's; set it to one the standby workspace offers)"
                } else {
                    ""
                };
                diags.error_at(
                    path!("machine_type"),
                    "Machine type not offered",
                    format!("machine_type: {e}{defaulted}"),
                );
            }
        }

        if let Some(gateway_id) = plan
            .planned::<String>(&path!("transit_gateway_id"))?
            .into_known()
        {
            match clients.transit_gateway.get_gateway(&gateway_id).await {
                Err(e) if e.is_not_found() => {
                    let known = match clients.transit_gateway.list_gateways().await {
                        Ok(list) => list
                            .iter()
                            .map(|g| format!("{} ({})", g.id, g.name))
                            .collect::<Vec<_>>()
                            .join("; "),
                        Err(_) => String::new(),
                    };
                    diags.error_at(
                        path!("transit_gateway_id"),
                        "Transit Gateway not found",
                        format!(
                            "transit_gateway_id: no Transit Gateway has the id {gateway_id:?}. Gateways in this \
                             account: {known}."
                        ),
                    );
                }
                Err(e) => return Err(fail(e)),
                Ok(gateway) => {
                    let standby = workspace_subnets(clients, &workspace, "standby workspace")
                        .await
                        .map_err(fail)?;
                    let reachable = reachable_networks(clients, &gateway, &workspace)
                        .await
                        .map_err(fail)?;
                    for message in overlap_messages(&standby, &reachable, &gateway) {
                        diags.error_at(
                            path!("workspace_id"),
                            "Standby subnet overlaps a network on the Transit Gateway",
                            format!(
                                "workspace_id {ws_id:?}: {message} Use a standby workspace whose subnets do not \
                                 overlap any network on the gateway, or renumber the subnet."
                            ),
                        );
                    }
                }
            }
        }
        diags.into_result()
    }
}

impl HaStandbyResource {
    /// A refreshed standby whose VM (or workspace) is gone while DR Automation still reports
    /// it: plan its replacement and say why.
    fn plan_broken_replacement(ctx: &Context, plan: &mut PlanView) -> Result<(), Diagnostics> {
        let prior: Option<StandbyState> = plan.prior_state()?;
        let Some(prior) = prior else {
            return Ok(());
        };
        plan.set_unknown(&path!("standby_vm_id"))?;
        plan.set_unknown(&path!("standby_ip_address"))?;
        plan.requires_replace(path!("standby_vm_id"));
        ctx.warn(
            "Broken standby orchestrator will be replaced",
            format!(
                "{TYPE_NAME} of DR instance {}: its standby orchestrator VM no longer exists in workspace {}, \
                 while DR Automation still reports the standby. Terraform replaces it: apply removes the \
                 standby node from the KSYS cluster and deploys a new standby.",
                prior.orchestrator_id, prior.workspace_id
            ),
        );
        Ok(())
    }
}

#[async_trait]
impl Resource for HaStandbyResource {
    type State = StandbyState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn timeout_defaults(&self) -> TimeoutDefaults {
        deployment_timeouts()
    }

    async fn validate(&self, _ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        let mut diags = Diagnostics::new();
        check_password_choice(config, &mut diags);
        diags
    }

    async fn modify_plan(&self, ctx: &Context, plan: &mut PlanView) -> Result<(), Diagnostics> {
        if plan.is_destroy() {
            // Removing the standby node from the KSYS cluster runs ksysmgr on the primary.
            if let Ok(clients) = clients(ctx) {
                ksys_for_plan(
                    &clients,
                    "Removing a dr_ha_standby (its node leaves the KSYS cluster)",
                )?;
            }
            return Ok(());
        }
        if plan.is_update() {
            if plan.prior::<String>(&path!("standby_vm_id"))?.is_null() {
                return Self::plan_broken_replacement(ctx, plan);
            }
            if plan
                .prior::<String>(&path!("transit_gateway_connection_id"))?
                .is_null()
            {
                // Detached out of band: the update attaches the workspace again.
                plan.set_unknown(&path!("transit_gateway_connection_id"))?;
                plan.set_unknown(&path!("manages_transit_gateway_connection"))?;
            }
        }
        let relevant = [
            "orchestrator_id",
            "workspace_id",
            "transit_gateway_id",
            "network_ids",
            "machine_type",
        ];
        if !plan.is_create()
            && !relevant
                .iter()
                .any(|a| plan.changed(&AttributePath::root(*a)))
        {
            return Ok(());
        }
        let Ok(clients) = clients(ctx) else {
            return Ok(());
        };
        self.check_against_cloud(&clients, plan).await
    }

    async fn create(
        &self,
        ctx: &Context,
        req: CreateRequest<StandbyState>,
    ) -> Result<StandbyState, Diagnostics> {
        let clients = clients(ctx)?;
        let password = chosen_password(
            req.config.orchestrator_password_wo.as_ref(),
            req.planned.orchestrator_password.as_ref(),
        )?;
        deploy::create(ctx, &clients, &req.planned, password).await
    }

    async fn read(
        &self,
        ctx: &Context,
        state: StandbyState,
    ) -> Result<Option<StandbyState>, Diagnostics> {
        let clients = clients(ctx)?;
        let id = state.orchestrator_id.clone();
        deploy::fetch(&clients, &id, Some(&state))
            .await
            .map_err(|e| {
                diagnose(
                    Action::Read,
                    TYPE_NAME,
                    &format!("standby of DR instance {id}"),
                    &e,
                )
            })
    }

    /// In place: the gateway attachment when it was detached out of band; otherwise only
    /// what needs no API call (timeouts; secrets after an import).
    async fn update(
        &self,
        ctx: &Context,
        req: UpdateRequest<StandbyState>,
    ) -> Result<StandbyState, Diagnostics> {
        let clients = clients(ctx)?;
        let id = req.prior.orchestrator_id.clone();
        let object = format!("standby of DR instance {id}");
        let fail = |e| diagnose(Action::Update, TYPE_NAME, &object, &e);
        let mut prior = req.prior.clone();
        if prior.transit_gateway_connection_id.is_none() {
            let deadline = tokio::time::Instant::now() + ctx.timeout();
            let workspace = find_workspace(&clients, &prior.workspace_id)
                .await
                .map_err(fail)?
                .ok_or_else(|| {
                    Diagnostics::from_error(
                        format!("Error updating {TYPE_NAME}"),
                        format!(
                            "{object}: workspace {} no longer exists.",
                            prior.workspace_id
                        ),
                    )
                })?;
            let (connection, created) = deploy::attach_workspace(
                &clients,
                &prior.transit_gateway_id,
                &workspace,
                deadline,
                |_, _| {},
            )
            .await
            .map_err(fail)?;
            prior.transit_gateway_connection_id = Some(connection.id);
            prior.manages_transit_gateway_connection = Some(created);
        }
        let mut state = deploy::fetch(&clients, &id, Some(&prior))
            .await
            .map_err(fail)?
            .filter(|s| s.standby_vm_id.is_some())
            .ok_or_else(|| {
                Diagnostics::from_error(
                    format!("Error updating {TYPE_NAME}"),
                    format!("{object}: the standby no longer exists."),
                )
            })?;
        state.keep_configuration_of(&req.planned);
        if prior.manages_transit_gateway_connection.is_some() {
            state.manages_transit_gateway_connection = prior.manages_transit_gateway_connection;
        }
        Ok(state)
    }

    async fn delete(&self, ctx: &Context, state: StandbyState) -> Result<(), Diagnostics> {
        let clients = clients(ctx)?;
        deploy::delete(ctx, &clients, &state).await
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<StandbyState, Diagnostics> {
        let clients = clients(ctx)?;
        deploy::fetch(&clients, id, None)
            .await
            .map_err(|e| diagnose(Action::Import, TYPE_NAME, &format!("standby of DR instance {id}"), &e))?
            .ok_or_else(|| {
                nothing_to_import(format!(
                    "DR instance {id:?} has no standby orchestrator attached to a Transit Gateway. Import \
                     takes the orchestrator's id."
                ))
            })
    }

    fn identity_binding(&self) -> Option<IdentityBinding<StandbyState>> {
        Some(adopt::IDENTITY_BINDING)
    }

    async fn generate_config(
        &self,
        ctx: &Context,
        config: &mut GeneratedConfig,
    ) -> Result<(), Diagnostics> {
        let primary = match (clients(ctx), config.state::<StandbyState>()) {
            (Ok(clients), Ok(state)) => {
                adopt::primary_defaults(&clients, &state.orchestrator_id).await
            }
            _ => adopt::PrimaryDefaults::default(),
        };
        adopt::adjust_generated_config(config, &primary)
    }
}
