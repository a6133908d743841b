//! `dr_orchestrator`: one DR deployment, i.e. a DR Automation service instance and the DR
//! orchestrator (KSYS) VM it deploys in the primary PowerVS workspace.
//!
//! What it does better than `ibm_pdr_managedr` (reference §1, §6): destroy deprovisions the
//! instance instead of orphaning it; read treats anything gone as gone; waits honour the
//! `timeouts` block, poll every few seconds and fail at once with the API's own words; the
//! VM's `cores` and `memory_gb` change in place; the password can be write-only.
//!
//! Layout: [`model`] (state), [`deploy`] (cloud calls), [`common`] (validators and plan-time
//! look-ups shared with `dr_ha_standby`), this file (schema and the Resource glue).

pub mod common;
pub mod deploy;
pub mod model;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use tf_framework::context::Context;
use tf_framework::diag::{AttributePath, Diagnostics};
use tf_framework::path;
use tf_framework::resource::{CreateRequest, Resource, UpdateRequest};
use tf_framework::schema::{Attribute, ReplaceCheck, Schema};
use tf_framework::timeouts::{self, Operation, TimeoutDefaults};
use tf_framework::typed::{ConfigView, PlanView};
use tf_framework::validators::custom;
use tf_framework::value::{Attr, Number, Type};
use tokio::time::Instant;

use crate::resources::{Action, clients, diagnose};
use crate::validate::machine_type::check_offered;
use common::{
    check_network_ids, check_password_choice, chosen_password, deployment_timeouts,
    dr_instance_for_queries, find_workspace, machine_type_validator, network_ids_validator,
    offered_machine_types, password_validator, tier_validator, workspace_guid_validator,
    workspace_networks, workspace_not_found,
};
use model::OrchestratorState;

pub const TYPE: &str = "dr_orchestrator";

/// The orchestrator VM's default size (DESIGN §1).
pub const DEFAULT_CORES: f64 = 0.5;
pub const DEFAULT_MEMORY_GB: f64 = 4.0;
/// Above this many managed VMs the default size is too small (DESIGN §1).
pub const MANAGED_VMS_AT_DEFAULT_SIZE: i64 = 100;
/// PowerVS VM names are at most 47 characters; `-orchestrator` takes 13 of them.
const MAX_NAME_LEN: usize = 34;

#[derive(Debug, Default)]
pub struct Orchestrator;

/// Replace only when a value that was known before changes: after `terraform import` the
/// secrets are null in state (the API never returns them), and filling them in must not
/// redeploy the orchestrator.
fn replace_if_prior_set(check: &ReplaceCheck<'_>) -> bool {
    !check.prior.is_null()
}

fn name_validator() -> tf_framework::validators::Custom {
    custom(
        format!("1 to {MAX_NAME_LEN} letters, digits, '-' or '_'"),
        |path, value, diags| {
            let Some(name) = value.as_str() else {
                return;
            };
            let ok_chars = name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if name.is_empty() || name.len() > MAX_NAME_LEN || !ok_chars {
                diags.error_at(
                    path.clone(),
                    "Invalid deployment name",
                    format!(
                        "{path}: {name:?} must be 1 to {MAX_NAME_LEN} letters, digits, '-' or '_': it names the \
                         service instance and the VMs \"<name>-orchestrator\" and \"<name>-standby\", and \
                         PowerVS VM names are at most 47 characters."
                    ),
                );
            }
        },
    )
}

fn cores_validator() -> tf_framework::validators::Custom {
    custom("at least 0.5, in steps of 0.25", |path, value, diags| {
        let Some(cores) = value.as_number().and_then(Number::as_f64) else {
            return;
        };
        let quarters = cores * 4.0;
        if cores < DEFAULT_CORES || (quarters - quarters.round()).abs() > 1e-9 {
            diags.error_at(
                    path.clone(),
                    "Invalid core count",
                    format!(
                        "{path}: {cores} cores is not a PowerVS shared-processor size; use at least 0.5, in \
                         steps of 0.25 (0.5, 0.75, 1, 1.25, ...)."
                    ),
                );
        }
    })
}

fn memory_validator() -> tf_framework::validators::Custom {
    custom("at least 4 (GB)", |path, value, diags| {
        let Some(memory) = value.as_number().and_then(Number::as_f64) else {
            return;
        };
        if memory < DEFAULT_MEMORY_GB {
            diags.error_at(
                path.clone(),
                "Not enough memory",
                format!(
                    "{path}: {memory} GB is below what the orchestrator (AIX 7.3) needs; use at least 4 GB."
                ),
            );
        }
    })
}

fn proxy_validator() -> tf_framework::validators::Custom {
    custom("host:port, e.g. 10.30.40.4:3128", |path, value, diags| {
        let Some(text) = value.as_str() else {
            return;
        };
        let valid = match text.rsplit_once(':') {
            Some((host, port)) => {
                !host.is_empty()
                    && host
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                    && port.parse::<u16>().is_ok_and(|p| p > 0)
            }
            None => false,
        };
        if !valid {
            diags.error_at(
                path.clone(),
                "Invalid proxy address",
                format!("{path}: {text:?} must be host:port or IP:port, e.g. \"10.30.40.4:3128\"."),
            );
        }
    })
}

pub fn schema() -> Schema {
    let computed = |name: &str, description: &str| {
        Attribute::string(name)
            .computed()
            .use_state_for_unknown()
            .description(description)
    };
    Schema::new()
        .description(
            "A DR deployment of DR Automation for PowerVS: the DR Automation service instance (provisioned \
             through Resource Controller and deprovisioned on destroy) and the DR orchestrator VM it deploys \
             in the primary workspace. `cores` and `memory_gb` change in place; every other argument \
             replaces the deployment.",
        )
        .attribute(computed("id", "The DR Automation service instance GUID."))
        .attribute(
            Attribute::string("name")
                .required()
                .requires_replace()
                .validator(name_validator())
                .description(
                    "Name of the DR deployment: names the service instance; the orchestrator VMs are named \
                     `<name>-orchestrator` and `<name>-standby`.",
                ),
        )
        .attribute(
            Attribute::string("orchestrator_user")
                .required()
                .requires_replace()
                .description("Login of the orchestrator UI (the API's `orchestrator_name`)."),
        )
        .attribute(
            Attribute::string("workspace_id")
                .required()
                .requires_replace()
                .validator(workspace_guid_validator())
                .description(
                    "GUID of the primary PowerVS workspace (the landing zone's `powervs_workspace_guid`).",
                ),
        )
        .attribute(
            Attribute::string("location_id")
                .optional_computed()
                .requires_replace()
                .use_state_for_unknown()
                .description("Zone of the primary workspace, e.g. `dal10`. Default: the workspace's zone."),
        )
        .attribute(
            Attribute::string("machine_type")
                .required()
                .requires_replace()
                .validator(machine_type_validator())
                .description(
                    "Power machine type (`s922`, `e980`, `s1022`, `e1050`, `e1080`, ...); at plan time it must \
                     also be one the workspace offers.",
                ),
        )
        .attribute(
            Attribute::string("tier")
                .optional()
                .default_string("tier1")
                .requires_replace()
                .validator(tier_validator())
                .description("Storage tier: `tier1` (10 IOPS/GB, the default) or `tier3` (3 IOPS/GB)."),
        )
        .attribute(
            Attribute::list("network_ids", Type::String)
                .optional_computed()
                .requires_replace()
                .use_state_for_unknown()
                .validator(network_ids_validator())
                .description(
                    "Private (`vlan`) networks of the workspace for the orchestrator VM. Default: the \
                     workspace's first private network.",
                ),
        )
        .attribute(
            Attribute::string("ssh_key_name")
                .optional()
                .requires_replace()
                .description("SSH key of the workspace for the orchestrator VM."),
        )
        .attribute(
            Attribute::string("orchestrator_password")
                .optional()
                .sensitive()
                .requires_replace_if("the password was known before", replace_if_prior_set)
                .validator(password_validator())
                .description(
                    "Password of `orchestrator_user`, stored in state (sensitive). For Terraform older than \
                     1.11; otherwise prefer `orchestrator_password_wo`. Exactly one of the two must be set.",
                ),
        )
        .attribute(
            Attribute::string("orchestrator_password_wo")
                .optional()
                .sensitive()
                .write_only()
                .validator(password_validator())
                .description(
                    "Password of `orchestrator_user`, write-only (Terraform 1.11 and later): sent to the API, \
                     never stored in plan or state. Change `orchestrator_password_wo_version` to apply a new \
                     one.",
                ),
        )
        .attribute(
            Attribute::number("orchestrator_password_wo_version")
                .optional()
                .requires_replace_if("the version was known before", replace_if_prior_set)
                .description(
                    "Any number; changing it redeploys with the current `orchestrator_password_wo` (the API \
                     cannot change the password of a running orchestrator).",
                ),
        )
        .attribute(
            Attribute::string("managed_api_key")
                .optional()
                .sensitive()
                .requires_replace_if("the key was known before", replace_if_prior_set)
                .description("API key the orchestrator uses to manage the VMs (the API's `managed_apikey`)."),
        )
        .attribute(
            Attribute::string("proxy_ip")
                .optional()
                .requires_replace()
                .validator(proxy_validator())
                .description("Proxy the orchestrator reaches IBM Cloud through, as `IP:port`."),
        )
        .attribute(
            Attribute::string("resource_group_id")
                .optional_computed()
                .requires_replace()
                .use_state_for_unknown()
                .description("Resource group of the service instance. Default: the account's default group."),
        )
        .attribute(
            Attribute::number("cores")
                .optional()
                .default_number(Number::from_f64(DEFAULT_CORES).unwrap_or_else(Number::zero))
                .validator(cores_validator())
                .description(
                    "Processors of the orchestrator VM (shared), at least 0.5 in steps of 0.25. Default 0.5; \
                     orchestrators managing more than 100 VMs need more. Changes in place.",
                ),
        )
        .attribute(
            Attribute::number("memory_gb")
                .optional()
                .default_int(4)
                .validator(memory_validator())
                .description("Memory of the orchestrator VM in GB, at least 4 (the default). Changes in place."),
        )
        .attribute(computed("crn", "CRN of the DR Automation service instance."))
        .attribute(computed("dashboard_url", "URL of the orchestrator UI."))
        .attribute(
            Attribute::string("status")
                .computed()
                .description("Deployment status as DR Automation reports it, e.g. `Active`."),
        )
        .attribute(computed(
            "primary_ip_address",
            "IP address of the orchestrator VM.",
        ))
        .attribute(computed(
            "orchestrator_vm_id",
            "PowerVS instance id of the orchestrator VM.",
        ))
        .attribute(
            Attribute::number("managed_vm_count")
                .computed()
                .description("Number of VMs the orchestrator manages (from the DR summary)."),
        )
        .block(timeouts::block(&[
            Operation::Create,
            Operation::Update,
            Operation::Delete,
        ]))
}

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

impl Orchestrator {
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
        let fail = |e| diagnose(Action::Plan, TYPE, &object, &e);
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
        if plan.is_create()
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
}

#[async_trait]
impl Resource for Orchestrator {
    type State = OrchestratorState;

    fn type_name(&self) -> &str {
        TYPE
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
            return Ok(());
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
        let password = chosen_password(
            req.config.orchestrator_password_wo.as_ref(),
            req.planned.orchestrator_password.as_ref(),
        )?;
        deploy::create(ctx, &clients, &req.planned, password).await
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
            .map_err(|e| diagnose(Action::Read, TYPE, &format!("DR instance {id}"), &e))
    }

    async fn update(
        &self,
        ctx: &Context,
        req: UpdateRequest<OrchestratorState>,
    ) -> Result<OrchestratorState, Diagnostics> {
        let clients = clients(ctx)?;
        let deadline = Instant::now() + ctx.timeout();
        let prior = &req.prior;
        let id = prior.id.clone().unwrap_or_default();
        let object = format!("{:?} (DR instance {id})", prior.name);
        let fail = |e| diagnose(Action::Update, TYPE, &object, &e);
        let resized = req.planned.cores != prior.cores || req.planned.memory_gb != prior.memory_gb;
        if resized && let (Some(cores), Some(memory)) = (req.planned.cores, req.planned.memory_gb) {
            let (Some(vm), Some(zone)) = (
                prior.orchestrator_vm_id.as_deref(),
                prior.location_id.as_deref(),
            ) else {
                return Err(Diagnostics::from_error(
                    format!("Error updating {TYPE}"),
                    format!(
                        "{object}: the state does not say where the orchestrator VM is; refresh first."
                    ),
                ));
            };
            let wc = clients.power.workspace(&prior.workspace_id, zone);
            deploy::resize(&clients, &wc, vm, cores, memory, deadline)
                .await
                .map_err(fail)?;
        }
        let mut state = deploy::fetch(&clients, &id, Some(prior))
            .await
            .map_err(fail)?
            .ok_or_else(|| {
                Diagnostics::from_error(
                    format!("Error updating {TYPE}"),
                    format!("{object}: the deployment no longer exists."),
                )
            })?;
        state.keep_configuration_of(&req.planned);
        Ok(state)
    }

    async fn delete(&self, ctx: &Context, state: OrchestratorState) -> Result<(), Diagnostics> {
        let clients = clients(ctx)?;
        deploy::delete(ctx, &clients, &state).await
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<OrchestratorState, Diagnostics> {
        let clients = clients(ctx)?;
        // The CRN is accepted too: its last segment is the GUID.
        let guid = if id.starts_with("crn:") {
            id.trim_end_matches(':').rsplit(':').next().unwrap_or(id)
        } else {
            id
        };
        deploy::fetch(&clients, guid, None)
            .await
            .map_err(|e| diagnose(Action::Import, TYPE, &format!("DR instance {guid}"), &e))?
            .ok_or_else(|| {
                Diagnostics::from_error(
                    "Cannot import non-existent remote object",
                    format!(
                        "No DR deployment with a DR Automation instance {guid:?} exists (or its orchestrator VM \
                         is gone). Import takes the service instance GUID."
                    ),
                )
            })
    }
}
