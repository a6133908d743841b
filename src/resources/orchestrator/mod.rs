//! `dr_orchestrator`: one DR deployment, i.e. a DR Automation service instance and the DR
//! orchestrator (KSYS) VM it deploys in the primary PowerVS workspace.
//!
//! What it does better than IBM's `ibm_pdr_managedr` (see
//! docs/guides/migrating-from-ibm-pdr-managedr.md): destroy deprovisions the
//! instance instead of orphaning it (unless it was adopted with `service_instance_id`); waits
//! honour the `timeouts` block, poll every few seconds and fail at once with the API's own
//! words; the VM's `cores`, `memory_gb` and public network change in place; every secret
//! can be write-only; and drift never destroys: what users are told to do by hand (enable the
//! public network, resize the VM) and what operators do (attach a network, reboot) plans
//! nothing destructive, while a deployment whose VM is gone but whose billed instance is not
//! is replaced with a warning, never forgotten.
//!
//! Layout: [`schema`] (attributes and offline validators), [`model`] (state and its
//! upgrade), [`deploy`] (cloud calls), [`adopt`] (identity,
//! import by identity, generated configuration), [`list`] (`terraform query`), this file
//! (plan rules and the Resource glue). What it shares with `dr_ha_standby` (validators,
//! plan-time look-ups, the VM's extra networks, the deployment waiter) is in
//! [`crate::resources::deployment`].

pub mod adopt;
pub mod deploy;
pub mod list;
pub mod model;
pub mod schema;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use tf_framework::context::Context;
use tf_framework::diag::{AttributePath, Diagnostics};
use tf_framework::genconfig::GeneratedConfig;
use tf_framework::identity::IdentityBinding;
use tf_framework::path;
use tf_framework::resource::{CreateRequest, Resource, UpdateRequest};
use tf_framework::schema::Schema;
use tf_framework::timeouts::TimeoutDefaults;
use tf_framework::typed::{ConfigView, PlanView};
use tf_framework::value::Attr;
use tokio::time::Instant;

use crate::resources::adoption::nothing_to_import;
use crate::resources::deployment::network;
use crate::resources::deployment::{
    PASSWORD_MISSING, check_network_ids, check_secret_pair, chosen_secret, deployment_timeouts,
    dr_instance_for_queries, find_workspace, offered_machine_types, presence, workspace_networks,
    workspace_not_found,
};
use crate::resources::upgrade::no_upgrader;
use crate::support::{Action, clients, diagnose};
use crate::validate::machine_type::check_offered;
use deploy::DeploySecrets;
use model::{OrchestratorState, SCHEMA_VERSION, instance_guid, primary_vm_name, upgrade_v0};
pub use schema::schema;

pub const TYPE_NAME: &str = "dr_orchestrator";

/// The orchestrator VM's default size, as DR Automation deploys it (0.5 core, 4 GB).
pub const DEFAULT_CORES: f64 = 0.5;
pub const DEFAULT_MEMORY_GB: f64 = 4.0;
/// Above this many managed VMs IBM documents that the default size is too small.
pub const MANAGED_VMS_AT_DEFAULT_SIZE: i64 = 100;
/// PowerVS VM names are at most 47 characters; `-orchestrator` takes 13 of them.
const MAX_NAME_LEN: usize = 34;

#[derive(Debug, Default)]
pub struct OrchestratorResource;

/// The warning for an orchestrator that manages more VMs than its default size handles.
pub fn managed_vm_warning(
    count: Option<i64>,
    cores: Option<f64>,
    memory: Option<f64>,
) -> Option<String> {
    let count = count?;
    let at_default =
        cores.is_some_and(|c| c <= DEFAULT_CORES) && memory.is_some_and(|m| m <= DEFAULT_MEMORY_GB);
    (count > MANAGED_VMS_AT_DEFAULT_SIZE && at_default).then(|| {
        format!(
            "This orchestrator manages {count} VMs at the default size of {DEFAULT_CORES} cores and \
             {DEFAULT_MEMORY_GB} GB; DR Automation needs more than that above {MANAGED_VMS_AT_DEFAULT_SIZE} VMs. \
             Raise cores and memory_gb (they change in place)."
        )
    })
}

impl OrchestratorResource {
    /// Plan-time checks that need the cloud; only GET requests.
    async fn check_against_cloud(
        &self,
        ctx: &Context,
        plan: &mut PlanView,
    ) -> Result<(), Diagnostics> {
        let Ok(clients) = clients(ctx) else {
            // Unconfigured (validate, mocks) or no credentials: the offline checks are all we can do.
            return Ok(());
        };
        let Some(ws_id) = plan.planned::<String>(&path!("workspace_id"))?.into_known() else {
            return Ok(());
        };
        let object = format!("workspace {ws_id}");
        let fail = |e| diagnose(Action::Plan, TYPE_NAME, &object, &e);
        let Some(workspace) = find_workspace(&clients, &ws_id).await.map_err(fail)? else {
            return Err(workspace_not_found(&clients, path!("workspace_id"), &ws_id).await);
        };
        let zone = workspace.zone().unwrap_or_default().to_string();
        let mut diags = Diagnostics::new();

        match plan.config::<String>(&path!("location_id"))? {
            Attr::Known(location) if location != zone => diags.error_at(
                path!("location_id"),
                "Location does not match the workspace",
                format!(
                    "location_id: {location:?} is not the zone of workspace {} ({ws_id}), which is {zone:?}. \
                     Set location_id = {zone:?} or leave it unset.",
                    workspace.name
                ),
            ),
            Attr::Null if plan.is_create() => plan.set(&path!("location_id"), &zone)?,
            _ => {}
        }
        let adopted = plan
            .planned::<String>(&path!("service_instance_id"))?
            .into_known();
        if plan.is_create()
            && let Some(adopted) = adopted.as_deref()
        {
            self.check_adopted_instance(&clients, plan, adopted, &mut diags)
                .await?;
        } else if plan.is_create()
            && plan
                .config::<String>(&path!("resource_group_id"))?
                .is_null()
        {
            // Only to show the group in the plan; create looks it up again if this fails.
            if let Ok(group) = clients
                .resource_controller
                .default_resource_group(None)
                .await
                && let Some(id) = group.id
            {
                plan.set(&path!("resource_group_id"), &id)?;
            }
        }
        if let Some(ids) = plan
            .planned::<Vec<String>>(&path!("network_ids"))?
            .into_known()
        {
            let networks = workspace_networks(&clients, &workspace)
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
        if let Some(machine) = plan.planned::<String>(&path!("machine_type"))?.into_known() {
            let prior_id = plan.prior::<String>(&path!("id"))?.into_known();
            if let Some(instance) = dr_instance_for_queries(&clients, prior_id.as_deref())
                .await
                .map_err(fail)?
                && let Some(offered) = offered_machine_types(
                    &clients,
                    &instance,
                    &workspace.name,
                    None,
                    &workspace.name,
                )
                .await
                .map_err(fail)?
                && let Err(e) = check_offered(&machine, &workspace.name, &offered)
            {
                diags.error_at(
                    path!("machine_type"),
                    "Machine type not offered",
                    format!("machine_type: {e}"),
                );
            }
        }
        diags.into_result()
    }

    /// `service_instance_id` on create: the instance must exist, be a DR Automation instance
    /// and not hold somebody else's deployment; the plan shows its GUID as `id` and its
    /// resource group.
    async fn check_adopted_instance(
        &self,
        clients: &crate::cloud::Clients,
        plan: &mut PlanView,
        adopted: &str,
        diags: &mut Diagnostics,
    ) -> Result<(), Diagnostics> {
        let guid = instance_guid(adopted);
        let object = format!("DR instance {guid}");
        let fail = |e| diagnose(Action::Plan, TYPE_NAME, &object, &e);
        let instance = match deploy::check_adoptable(clients, guid).await.map_err(fail)? {
            Ok(instance) => instance,
            Err(detail) => {
                diags.error_at(
                    path!("service_instance_id"),
                    "Service instance cannot be used",
                    format!("service_instance_id: {detail}"),
                );
                return Ok(());
            }
        };
        plan.set(&path!("id"), &guid.to_string())?;
        if let (Some(have), Some(want)) = (
            instance.name.as_deref(),
            plan.planned::<String>(&path!("name"))?.into_known(),
        ) && have != want
        {
            diags.error_at(
                path!("name"),
                "Name differs from the service instance's",
                format!("name: {}", deploy::adopted_name_mismatch(guid, have, &want)),
            );
        }
        let group = instance.resource_group_id.clone().unwrap_or_default();
        match plan.config::<String>(&path!("resource_group_id"))? {
            Attr::Known(wanted) if wanted != group => diags.error_at(
                path!("resource_group_id"),
                "Resource group does not match the service instance",
                format!(
                    "resource_group_id: {wanted:?} is not the resource group of service instance {guid}, \
                     which is {group:?}. Remove resource_group_id or set it to {group:?}."
                ),
            ),
            Attr::Null if !group.is_empty() => plan.set(&path!("resource_group_id"), &group)?,
            _ => {}
        }
        if let Ok(existing) = clients.dr_automation.get_manage_dr(guid).await {
            let workspace = plan.planned::<String>(&path!("workspace_id"))?.into_known();
            let user = plan
                .planned::<String>(&path!("orchestrator_user"))?
                .into_known();
            let same_workspace = match (existing.orchestrator_workspace_id.as_deref(), &workspace) {
                (Some(have), Some(want)) => have.contains(want.as_str()),
                _ => true,
            };
            let same_user = match (existing.orchestrator_name.as_deref(), &user) {
                (Some(have), Some(want)) => have == want,
                _ => true,
            };
            if !(same_workspace && same_user) {
                diags.error_at(
                    path!("service_instance_id"),
                    "Service instance already deployed",
                    format!(
                        "service_instance_id: DR instance {guid} already has a deployment (orchestrator user \
                         {:?} in workspace {}); DR Automation deploys one orchestrator per instance. Use \
                         another instance.",
                        existing.orchestrator_name.as_deref().unwrap_or(""),
                        existing
                            .orchestrator_workspace_id
                            .as_deref()
                            .unwrap_or("(unknown)")
                    ),
                );
            }
        }
        Ok(())
    }

    /// Offline rules across attributes: the secrets' stored/write-only pairs, the password (or
    /// Secrets Manager), and MFA's three values together.
    fn check_choices(config: &ConfigView<'_>, diags: &mut Diagnostics) {
        let secrets_manager = presence(config, "secrets_manager");
        let password_missing = if secrets_manager == Some(false) {
            Some(format!(
                "{PASSWORD_MISSING} Or let IBM Secrets Manager hold it: a secrets_manager block."
            ))
        } else {
            None
        };
        check_secret_pair(
            config,
            "orchestrator_password",
            "password",
            password_missing.as_deref(),
            diags,
        );
        check_secret_pair(config, "api_key", "API key", None, diags);
        check_secret_pair(config, "client_secret", "client secret", None, diags);
        let secret = match (
            presence(config, "client_secret"),
            presence(config, "client_secret_wo"),
        ) {
            (Some(a), Some(b)) => Some(a || b),
            _ => None,
        };
        let mfa = [
            ("client_id", presence(config, "client_id")),
            ("tenant_name", presence(config, "tenant_name")),
            ("client_secret_wo", secret),
        ];
        let any_set = mfa.iter().any(|(_, p)| *p == Some(true));
        if any_set {
            let missing: Vec<&str> = mfa
                .iter()
                .filter(|(_, p)| *p == Some(false))
                .map(|(name, _)| *name)
                .collect();
            if let Some(first) = missing.first() {
                let named: Vec<String> = missing
                    .iter()
                    .map(|m| {
                        if *m == "client_secret_wo" {
                            "client_secret_wo (or client_secret)".to_string()
                        } else {
                            (*m).to_string()
                        }
                    })
                    .collect();
                diags.error_at(
                    AttributePath::root(*first),
                    "Incomplete MFA settings",
                    format!(
                        "MFA needs client_id, tenant_name and client_secret_wo (or client_secret) together; \
                         missing: {}.",
                        named.join(", ")
                    ),
                );
            }
        }
    }

    /// `service_instance_id` changed on an existing deployment: naming the deployment's own
    /// instance, or removing it, only changes who owns the instance; another instance (or one
    /// not known yet) means a deployment elsewhere, a replacement.
    fn plan_adoption_change(&self, plan: &mut PlanView) -> Result<(), Diagnostics> {
        if !plan.changed(&path!("service_instance_id")) {
            return Ok(());
        }
        let own = plan.prior::<String>(&path!("id"))?.into_known();
        let same_instance = match plan.planned::<String>(&path!("service_instance_id"))? {
            Attr::Null => true,
            Attr::Known(wanted) => own.as_deref() == Some(instance_guid(&wanted)),
            Attr::Unknown => false,
        };
        if !same_instance {
            plan.requires_replace(path!("service_instance_id"));
        }
        Ok(())
    }

    /// A refreshed deployment whose orchestrator VM (or whole deployment) is gone while its
    /// service instance exists: plan its replacement and say why.
    fn plan_broken_replacement(ctx: &Context, plan: &mut PlanView) -> Result<(), Diagnostics> {
        let prior: Option<OrchestratorState> = plan.prior_state()?;
        let Some(prior) = prior else {
            return Ok(());
        };
        plan.set_unknown(&path!("orchestrator_vm_id"))?;
        plan.set_unknown(&path!("primary_ip_address"))?;
        plan.set_unknown(&path!("attached_network_ids"))?;
        plan.requires_replace(path!("orchestrator_vm_id"));
        let id = prior.id.clone().unwrap_or_default();
        let missing = if prior.status.is_none() {
            format!("DR Automation has no deployment for DR instance {id} any more")
        } else {
            format!(
                "its orchestrator VM {} no longer exists in workspace {}",
                primary_vm_name(&prior.name),
                prior.workspace_id
            )
        };
        let outcome = if prior.is_adopted() {
            format!(
                "DR instance {id} was adopted (service_instance_id) and DR Automation deploys once per \
                 instance, so the new deployment needs a new instance: replace the instance too (e.g. \
                 terraform apply -replace on the resource that created it)."
            )
        } else {
            format!(
                "The service instance still exists and is billed. Terraform replaces the deployment: apply \
                 deprovisions DR instance {id} and deploys a new orchestrator."
            )
        };
        ctx.warn(
            "Broken DR deployment will be replaced",
            format!(
                "{TYPE_NAME} {:?} (DR instance {id}): {missing}. {outcome}",
                prior.name
            ),
        );
        Ok(())
    }
}

#[async_trait]
impl Resource for OrchestratorResource {
    type State = OrchestratorState;

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
        Self::check_choices(config, &mut diags);
        diags
    }

    async fn modify_plan(&self, ctx: &Context, plan: &mut PlanView) -> Result<(), Diagnostics> {
        if plan.is_destroy() {
            return Ok(());
        }
        if plan.is_create() {
            // IBM's defaults, as the plan shows them; afterwards these follow the VM.
            if plan.config::<f64>(&path!("cores"))?.is_null() {
                plan.set(&path!("cores"), &DEFAULT_CORES)?;
            }
            if plan.config::<f64>(&path!("memory_gb"))?.is_null() {
                plan.set(&path!("memory_gb"), &DEFAULT_MEMORY_GB)?;
            }
            if plan.config::<bool>(&path!("public_network"))?.is_null() {
                plan.set(&path!("public_network"), &false)?;
            }
        } else {
            if plan
                .prior::<String>(&path!("orchestrator_vm_id"))?
                .is_null()
            {
                return Self::plan_broken_replacement(ctx, plan);
            }
            if plan.changed(&path!("public_network")) {
                plan.set_unknown(&path!("attached_network_ids"))?;
            }
            self.plan_adoption_change(plan)?;
        }
        let count = plan.prior::<i64>(&path!("managed_vm_count"))?.into_known();
        let cores = plan.planned::<f64>(&path!("cores"))?.into_known();
        let memory = plan.planned::<f64>(&path!("memory_gb"))?.into_known();
        if let Some(text) = managed_vm_warning(count, cores, memory) {
            ctx.warn("Orchestrator too small for its managed VMs", text);
        }
        let relevant = ["workspace_id", "network_ids", "machine_type", "location_id"];
        if plan.is_create()
            || relevant
                .iter()
                .any(|a| plan.changed(&AttributePath::root(*a)))
        {
            self.check_against_cloud(ctx, plan).await?;
        }
        Ok(())
    }

    async fn create(
        &self,
        ctx: &Context,
        req: CreateRequest<OrchestratorState>,
    ) -> Result<OrchestratorState, Diagnostics> {
        let clients = clients(ctx)?;
        let config = &req.config;
        let planned = &req.planned;
        let password = chosen_secret(
            config.orchestrator_password_wo.as_ref(),
            planned.orchestrator_password.as_ref(),
        )
        // Without a password IBM's API still wants the field; Secrets Manager holds it.
        .or_else(|| planned.secrets_manager.as_ref().map(|_| String::new()))
        .ok_or_else(|| {
            Diagnostics::from_error_at(
                path!("orchestrator_password_wo"),
                "Missing orchestrator password",
                PASSWORD_MISSING,
            )
        })?;
        let secrets = DeploySecrets {
            password,
            api_key: chosen_secret(config.api_key_wo.as_ref(), planned.api_key.as_ref()),
            client_secret: chosen_secret(
                config.client_secret_wo.as_ref(),
                planned.client_secret.as_ref(),
            ),
        };
        deploy::create(ctx, &clients, planned, secrets).await
    }

    async fn read(
        &self,
        ctx: &Context,
        state: OrchestratorState,
    ) -> Result<Option<OrchestratorState>, Diagnostics> {
        let Some(id) = state.id.clone() else {
            return Ok(None);
        };
        let clients = clients(ctx)?;
        deploy::fetch(&clients, &id, Some(&state))
            .await
            .map_err(|e| diagnose(Action::Read, TYPE_NAME, &format!("DR instance {id}"), &e))
    }

    async fn update(
        &self,
        ctx: &Context,
        req: UpdateRequest<OrchestratorState>,
    ) -> Result<OrchestratorState, Diagnostics> {
        let clients = clients(ctx)?;
        let deadline = Instant::now() + ctx.timeout();
        let prior = &req.prior;
        let planned = &req.planned;
        let id = prior.id.clone().unwrap_or_default();
        let object = format!("{:?} (DR instance {id})", prior.name);
        let fail = |e| diagnose(Action::Update, TYPE_NAME, &object, &e);
        let resized = planned.cores != prior.cores || planned.memory_gb != prior.memory_gb;
        let public = planned
            .public_network
            .filter(|want| prior.public_network != Some(*want));
        if resized || public.is_some() {
            let (Some(vm), Some(zone)) = (
                prior.orchestrator_vm_id.as_deref(),
                prior.location_id.as_deref(),
            ) else {
                return Err(Diagnostics::from_error(
                    format!("Error updating {TYPE_NAME}"),
                    format!(
                        "{object}: the state does not say where the orchestrator VM is; refresh first."
                    ),
                ));
            };
            let wc = clients.power.workspace(&prior.workspace_id, zone);
            // Networks first: PowerVS refuses them while the VM is resizing.
            if let Some(want) = public {
                network::set_public(&clients, &wc, vm, want, deadline)
                    .await
                    .map_err(fail)?;
            }
            if resized && let (Some(cores), Some(memory)) = (planned.cores, planned.memory_gb) {
                deploy::resize(&clients, &wc, vm, cores, memory, deadline)
                    .await
                    .map_err(fail)?;
            }
        }
        let mut state = deploy::fetch(&clients, &id, Some(prior))
            .await
            .map_err(fail)?
            .filter(|s| !s.is_broken())
            .ok_or_else(|| {
                Diagnostics::from_error(
                    format!("Error updating {TYPE_NAME}"),
                    format!("{object}: the deployment or its orchestrator VM no longer exists."),
                )
            })?;
        state.keep_configuration_of(planned);
        Ok(state)
    }

    async fn delete(&self, ctx: &Context, state: OrchestratorState) -> Result<(), Diagnostics> {
        let clients = clients(ctx)?;
        deploy::delete(ctx, &clients, &state).await
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<OrchestratorState, Diagnostics> {
        let clients = clients(ctx)?;
        // The CRN is accepted too: its last segment is the GUID.
        let guid = instance_guid(id);
        deploy::fetch(&clients, guid, None)
            .await
            .map_err(|e| diagnose(Action::Import, TYPE_NAME, &format!("DR instance {guid}"), &e))?
            .ok_or_else(|| {
                nothing_to_import(format!(
                    "No DR deployment with a DR Automation instance {guid:?} exists. Import takes the \
                     service instance GUID."
                ))
            })
    }

    async fn upgrade_state(
        &self,
        _ctx: &Context,
        from_version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        match from_version {
            0 => Ok(upgrade_v0(state)),
            v => Err(no_upgrader(format!(
                "{TYPE_NAME} has no state upgrader from schema version {v} (current: {SCHEMA_VERSION})."
            ))),
        }
    }

    fn identity_binding(&self) -> Option<IdentityBinding<OrchestratorState>> {
        Some(adopt::IDENTITY_BINDING)
    }

    async fn generate_config(
        &self,
        _ctx: &Context,
        config: &mut GeneratedConfig,
    ) -> Result<(), Diagnostics> {
        adopt::adjust_generated_config(config)
    }
}
