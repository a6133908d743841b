//! `dr_managed_vm`: puts one PowerVS VM under the protection of a DR orchestrator.
//!
//! IBM publishes no REST call to manage a VM; the orchestrator's KSYS does it with `ksysmgr`
//! (reached over SSH, see [`crate::cloud::ksys`]), and DR Automation's published
//! `dr_managed_vms` then lists the VM. So create, update and delete are `ksysmgr` commands
//! ([`protect`]), and a read takes KSYS's view (protection state, workgroup, priority, backup)
//! plus what DR Automation computes (zones, recovery estimate) ([`model`]).
//!
//! Three things shape this module:
//! - **Plan-time checks** ([`checks`]): a VM DR cannot protect fails `terraform plan`, not
//!   halfway through an apply; VMs of one workgroup must share a priority, because KSYS keeps
//!   the priority per workgroup.
//! - **Coalesced reads**: deployments protect hundreds of VMs; every read of every VM of one
//!   orchestrator is served by the same two remote commands and one list request
//!   ([`directory`], [`crate::support::orchestrator_access`]).
//! - **No orchestrator access, no writes**: without `orchestrator_ssh` a plan that would change
//!   a managed VM fails with one diagnostic, while refresh still works from DR Automation's list.
//! - **Adoption in bulk** ([`adopt`], [`list`]): an identity, import by it, and a listing for
//!   `terraform query` served by the same coalesced reads as a refresh.

pub mod adopt;
pub mod checks;
pub mod list;
pub mod model;
pub mod protect;

use std::time::Duration;

use async_trait::async_trait;
use tf_framework::context::Context;
use tf_framework::diag::{AttributePath, Diagnostics};
use tf_framework::genconfig::GeneratedConfig;
use tf_framework::identity::IdentityBinding;
use tf_framework::path;
use tf_framework::resource::{CreateRequest, Resource, UpdateRequest};
use tf_framework::schema::{Attribute, Schema};
use tf_framework::timeouts::{self, Operation, TimeoutDefaults};
use tf_framework::typed::PlanView;
use tf_framework::validators::{one_of, regex_match};
use tf_framework::value::Attr;
use tokio::time::Instant;

use crate::cloud::ksys::parse::Priority;
use crate::cloud::{Clients, CloudError};
use crate::resources::adoption::nothing_to_import;
use crate::resources::upgrade::no_upgrader;
use crate::support::coalesce::Freshness;
use crate::support::orchestrator_access::{self, ksys, ksys_for_plan, shared_to_owned};
use crate::support::{Action, clients, diagnose};
use crate::support::{directory, split_import_id};
pub use model::ManagedVmState;
use model::{SCHEMA_VERSION, composite_id, upgrade_v0};

pub(crate) const TYPE_NAME: &str = "dr_managed_vm";

/// A PowerVS instance id: a UUID.
const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

pub struct ManagedVmResource;

fn shared_error(action: Action, object: &str, err: &std::sync::Arc<CloudError>) -> Diagnostics {
    diagnose(action, TYPE_NAME, object, err)
}

fn known<T: serde::de::DeserializeOwned>(
    plan: &PlanView,
    path: &AttributePath,
) -> Result<Option<T>, Diagnostics> {
    Ok(match plan.planned::<T>(path)? {
        Attr::Known(v) => Some(v),
        _ => None,
    })
}

fn object_of(state: &ManagedVmState) -> String {
    format!(
        "VM {} of orchestrator {}",
        state.pvm_instance_id, state.orchestrator_id
    )
}

/// The state as KSYS (when reachable) and DR Automation show the VM; `None` when it is not
/// managed any more.
async fn current(
    clients: &Clients,
    mut state: ManagedVmState,
    freshness: Freshness,
) -> Result<Option<ManagedVmState>, CloudError> {
    let published = directory::published_vms(clients, &state.orchestrator_id, freshness)
        .await
        .map_err(|e| shared_to_owned(&e))?;
    if !published.exists {
        return Ok(None);
    }
    if clients.ksys.is_some() {
        let inventory = orchestrator_access::inventory(clients, &state.orchestrator_id, freshness)
            .await
            .map_err(|e| shared_to_owned(&e))?;
        let Some(vm) = inventory.source_vm(&state.pvm_instance_id) else {
            return Ok(None);
        };
        state.apply_ksys(vm, &inventory);
    } else if !published.vms.contains_key(&state.pvm_instance_id) {
        return Ok(None);
    }
    if let Some(details) = published.vms.get(&state.pvm_instance_id) {
        state.apply_published(details);
    }
    Ok(Some(state))
}

#[async_trait]
impl Resource for ManagedVmResource {
    type State = ManagedVmState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let computed = |name: &str, description: &str| {
            Attribute::string(name)
                .computed()
                .use_state_for_unknown()
                .description(description)
        };
        let computed_number = |name: &str, description: &str| {
            Attribute::number(name)
                .computed()
                .use_state_for_unknown()
                .description(description)
        };
        Schema::new()
            .version(SCHEMA_VERSION)
            .description(
                "Puts a PowerVS virtual server under the protection of a DR orchestrator: KSYS manages it \
                 (`ksysmgr manage vm`), its workgroup gets the recovery priority (`modify workgroup`) and \
                 discovery creates its backup VM at the backup site (`discover workgroup`); the create ends \
                 when KSYS shows the VM `READY_TO_MOVE`. Needs the provider's `orchestrator_ssh`. The plan \
                 fails before anything changes when the VM does not exist in the workspace, runs an operating \
                 system DR cannot protect (only AIX, IBM i and RHEL), is an orchestrator, is managed \
                 already, or shares a workgroup with a VM of another priority.",
            )
            .attribute(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .description("`<orchestrator_id>/<pvm_instance_id>`, also the import id."),
            )
            .attribute(
                Attribute::string("orchestrator_id")
                    .required()
                    .requires_replace()
                    .description("The `id` of the `dr_orchestrator` (the DR Automation service instance GUID)."),
            )
            .attribute(
                Attribute::string("pvm_instance_id")
                    .required()
                    .requires_replace()
                    .validator(regex_match(UUID_PATTERN, "a PowerVS instance id (a UUID)"))
                    .description("The PowerVS instance id of the VM to protect."),
            )
            .attribute(
                Attribute::string("workspace_id")
                    .optional()
                    .computed()
                    .requires_replace()
                    .use_state_for_unknown()
                    .description("GUID of the PowerVS workspace holding the VM. Default: the orchestrator's workspace."),
            )
            .attribute(
                Attribute::string("priority")
                    .optional()
                    .computed()
                    .default_string("medium")
                    .validator(one_of(["high", "medium", "low"]))
                    .description(
                        "Recovery order: `high` workgroups are recovered first. KSYS keeps the priority per \
                         workgroup, so every VM of one workgroup must have the same. Changes in place \
                         (`modify workgroup`). Default `medium`.",
                    ),
            )
            .attribute(
                Attribute::string("workgroup_name")
                    .optional()
                    .computed()
                    .requires_replace()
                    .use_state_for_unknown()
                    .validator(regex_match(
                        "^[A-Za-z0-9_-]{1,64}$",
                        "1 to 64 letters, digits, '_' or '-'",
                    ))
                    .description(
                        "KSYS workgroup the VM is recovered with; VMs of one workgroup move together. Default: \
                         a workgroup of its own, `<vm name>_WG`. Changing it replaces the resource (KSYS \
                         moves a VM to another workgroup only by managing it again).",
                    ),
            )
            .attribute(
                Attribute::string("backup_workspace_id")
                    .optional()
                    .requires_replace()
                    .description(
                        "GUID of the PowerVS workspace at the backup site where KSYS creates the backup VM \
                         (`target_workspace`). Default: the home workspace's partner as KSYS pairs them. KSYS \
                         fixes it at the first discovery, so changing it replaces the resource.",
                    ),
            )
            .attribute(computed("vm_name", "The VM's name."))
            .attribute(computed("os_type", "The VM's operating system (`aix`, `ibmi` or `rhel`)."))
            .attribute(computed_number("cores", "Processor cores of the VM."))
            .attribute(computed_number("memory_gb", "Memory of the VM in GB."))
            .attribute(computed("region", "The zone the VM runs in."))
            .attribute(computed("dr_region", "The zone the VM is recovered to."))
            .attribute(computed("workspace_name", "Name of the VM's workspace."))
            .attribute(computed_number(
                "dr_average_time_minutes",
                "DR Automation's estimate of the VM's recovery time, in minutes.",
                ))
            .attribute(computed(
                "protection_state",
                "KSYS's state of the VM: `INIT` when managed, `READY_TO_MOVE` once discovered and protected.",
                ))
            .attribute(computed("backup_vm_name", "The backup VM KSYS created at the backup site (`<vm>_BackUp`)."))
            .attribute(computed("backup_workspace_name", "The workspace of the backup VM, as KSYS names it."))
            .block(timeouts::block(&[
                Operation::Create,
                Operation::Update,
                Operation::Delete,
            ]))
    }

    fn timeout_defaults(&self) -> TimeoutDefaults {
        // Discovery takes minutes per VM at IBM.
        TimeoutDefaults::all(Duration::from_secs(30 * 60))
    }

    async fn modify_plan(&self, ctx: &Context, plan: &mut PlanView) -> Result<(), Diagnostics> {
        if plan.is_destroy() {
            let clients = clients(ctx)?;
            ksys_for_plan(&clients, "Removing a dr_managed_vm")?;
            return Ok(());
        }
        let orchestrator_id = known::<String>(plan, &path!("orchestrator_id"))?;
        let pvm_instance_id = known::<String>(plan, &path!("pvm_instance_id"))?;
        let priority = known::<String>(plan, &path!("priority"))?;
        if let (Some(vm), Some(priority), Some(workgroup)) = (
            pvm_instance_id.as_deref(),
            priority.as_deref(),
            known::<String>(plan, &path!("workgroup_name"))?,
        ) {
            checks::check_workgroup_priority(orchestrator_id.as_deref(), &workgroup, vm, priority)?;
        }
        if !plan.is_create() && !plan.changed(&path!("priority")) {
            return Ok(());
        }
        let clients = clients(ctx)?;
        let Some(_) = ksys_for_plan(&clients, "Managing a VM with dr_managed_vm")? else {
            return Ok(());
        };
        if !plan.is_create() {
            return Ok(());
        }
        let Some(pvm_instance_id) = pvm_instance_id else {
            return Ok(());
        };
        let info = match &orchestrator_id {
            None => None,
            Some(id) => Some(
                directory::orchestrator_info(&clients, id)
                    .await
                    .map_err(|e| {
                        if e.is_not_found() {
                            Diagnostics::from_error_at(
                                path!("orchestrator_id"),
                                "Orchestrator not found",
                                format!(
                                    "No deployed DR orchestrator has the id {id:?}. Use the id of a \
                                     dr_orchestrator whose deployment has finished."
                                ),
                            )
                        } else {
                            shared_error(Action::Plan, &format!("orchestrator {id}"), &e)
                        }
                    })?,
            ),
        };
        let workspace_id = match plan.config::<String>(&path!("workspace_id"))? {
            Attr::Known(ws) => Some(ws),
            Attr::Unknown => None,
            Attr::Null => match info.as_ref().and_then(|i| i.workspace_id.clone()) {
                Some(ws) => {
                    plan.set(&path!("workspace_id"), &ws)?;
                    Some(ws)
                }
                None => None,
            },
        };
        let vm_name = match &workspace_id {
            Some(workspace_id) => Some(
                checks::check_vm(&clients, info.as_deref(), &pvm_instance_id, workspace_id).await?,
            ),
            None => None,
        };
        if let Some(orchestrator_id) = &orchestrator_id {
            checks::check_not_managed(
                &clients,
                orchestrator_id,
                &pvm_instance_id,
                vm_name.as_deref(),
            )
            .await?;
        }
        Ok(())
    }

    async fn create(
        &self,
        ctx: &Context,
        req: CreateRequest<ManagedVmState>,
    ) -> Result<ManagedVmState, Diagnostics> {
        let clients = clients(ctx)?;
        let mut state = req.planned;
        let object = object_of(&state);
        let fail = |e: CloudError| diagnose(Action::Create, TYPE_NAME, &object, &e);
        let ksys = ksys(&clients).map_err(fail)?;
        let deadline = Instant::now() + ctx.timeout();
        let place = ctx
            .run(&format!("locating {object}"), async {
                protect::placement(&clients, &state).await.map_err(fail)
            })
            .await?;
        state.id = Some(composite_id(&state.orchestrator_id, &state.pvm_instance_id));
        if state.workspace_id.is_none() {
            state.workspace_id = directory::orchestrator_info(&clients, &state.orchestrator_id)
                .await
                .ok()
                .and_then(|i| i.workspace_id.clone());
        }
        if state.os_type.is_none()
            && let Some(ws) = &state.workspace_id
            && let Ok(inv) = directory::workspace_inventory(&clients, ws).await
        {
            state.os_type = inv
                .instances
                .get(&state.pvm_instance_id)
                .and_then(|vm| vm.os_type.clone())
                .map(|os| os.to_ascii_lowercase());
        }
        let partial = state.clone();
        ctx.run(&format!("protecting {object} (manage, discover)"), async {
            protect::protect(&clients, ksys, &place, &state, deadline, || {
                ctx.save_partial_state(&partial)
            })
            .await
            .map_err(fail)
        })
        .await?;
        ctx.run(&format!("reading {object}"), async {
            protect::fill(&clients, &mut state, deadline)
                .await
                .map_err(fail)
        })
        .await?;
        Ok(state)
    }

    async fn read(
        &self,
        ctx: &Context,
        state: ManagedVmState,
    ) -> Result<Option<ManagedVmState>, Diagnostics> {
        let clients = clients(ctx)?;
        let object = object_of(&state);
        current(&clients, state, Freshness::Recent)
            .await
            .map_err(|e| diagnose(Action::Read, TYPE_NAME, &object, &e))
    }

    async fn update(
        &self,
        ctx: &Context,
        req: UpdateRequest<ManagedVmState>,
    ) -> Result<ManagedVmState, Diagnostics> {
        let clients = clients(ctx)?;
        let mut state = req.planned;
        let prior = req.prior;
        let object = object_of(&state);
        let fail = |e: CloudError| diagnose(Action::Update, TYPE_NAME, &object, &e);
        if state.priority != prior.priority
            && let Some(priority) = state.priority.as_deref().and_then(Priority::parse)
        {
            let ksys = ksys(&clients).map_err(fail)?;
            let workgroup = prior.workgroup_name.clone().ok_or_else(|| {
                fail(CloudError::Config(
                    "the state has no workgroup_name; run terraform apply -refresh-only first"
                        .into(),
                ))
            })?;
            ctx.run(&format!("changing the priority of {object}"), async {
                let o = orchestrator_access::locate(&clients, &state.orchestrator_id)
                    .await
                    .map_err(|e| fail(shared_to_owned(&e)))?;
                ksys.set_priority(&o, &workgroup, priority)
                    .await
                    .map_err(|e| fail(e.into()))
            })
            .await?;
            orchestrator_access::invalidate(&state.orchestrator_id);
        }
        state.id = Some(composite_id(&state.orchestrator_id, &state.pvm_instance_id));
        Ok(state)
    }

    async fn delete(&self, ctx: &Context, state: ManagedVmState) -> Result<(), Diagnostics> {
        let clients = clients(ctx)?;
        let object = object_of(&state);
        let fail = |e: CloudError| diagnose(Action::Delete, TYPE_NAME, &object, &e);
        let ksys = ksys(&clients).map_err(fail)?;
        let timeout = ctx.timeout();
        ctx.run(&format!("unmanaging {object}"), async {
            protect::unprotect(&clients, ksys, &state, timeout)
                .await
                .map_err(fail)
        })
        .await
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<ManagedVmState, Diagnostics> {
        let (orchestrator_id, pvm_instance_id) =
            split_import_id(id, TYPE_NAME, "orchestrator_id", "pvm_instance_id")?;
        let clients = clients(ctx)?;
        let state = ManagedVmState {
            orchestrator_id: orchestrator_id.clone(),
            pvm_instance_id: pvm_instance_id.clone(),
            ..ManagedVmState::default()
        };
        let mut found = current(&clients, state, Freshness::Recent)
            .await
            .map_err(|e| {
                diagnose(
                    Action::Import,
                    TYPE_NAME,
                    &format!("orchestrator {orchestrator_id}"),
                    &e,
                )
            })?
            .ok_or_else(|| {
                nothing_to_import(format!(
                    "Orchestrator {orchestrator_id} does not manage a VM with id {pvm_instance_id:?} (or \
                     no DR orchestrator has that id)."
                ))
            })?;
        if let Ok(info) = directory::orchestrator_info(&clients, &orchestrator_id).await
            && let Some(ws) = info.workspace_id.clone()
            && let Ok(inv) = directory::workspace_inventory(&clients, &ws).await
            && let Some(vm) = inv.instances.get(&pvm_instance_id)
        {
            found.workspace_id = Some(ws);
            found.os_type = vm.os_type.clone().map(|os| os.to_ascii_lowercase());
        }
        Ok(found)
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
                "{TYPE_NAME} has no state upgrader from schema version {v}."
            ))),
        }
    }

    fn identity_binding(&self) -> Option<IdentityBinding<ManagedVmState>> {
        Some(adopt::IDENTITY_BINDING)
    }

    async fn generate_config(
        &self,
        ctx: &Context,
        config: &mut GeneratedConfig,
    ) -> Result<(), Diagnostics> {
        let state: ManagedVmState = config.state()?;
        let home = match clients(ctx) {
            Ok(clients) => directory::orchestrator_info(&clients, &state.orchestrator_id)
                .await
                .ok()
                .and_then(|info| info.workspace_id.clone()),
            Err(_) => None,
        };
        adopt::adjust_generated_config(config, home.as_deref())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    #[test]
    fn import_ids_have_two_parts() {
        assert_eq!(
            split_import_id("orch/vm", TYPE_NAME, "orchestrator_id", "pvm_instance_id").unwrap(),
            ("orch".to_string(), "vm".to_string())
        );
        for bad in ["orch", "orch/", "/vm", "a/b/c", ""] {
            let err = split_import_id(bad, TYPE_NAME, "orchestrator_id", "pvm_instance_id")
                .expect_err(bad);
            assert!(
                err.to_string()
                    .contains("<orchestrator_id>/<pvm_instance_id>"),
                "{err}"
            );
        }
    }

    #[test]
    fn only_aix_ibmi_and_rhel_are_supported() {
        assert_eq!(checks::os_label("aix"), Some("AIX"));
        assert_eq!(checks::os_label("ibmi"), Some("IBM i"));
        assert_eq!(checks::os_label("rhel"), Some("RHEL"));
        assert_eq!(checks::os_label("sles"), None);
    }
}
