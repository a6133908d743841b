//! `dr_managed_vm`: puts one PowerVS VM under the protection of a DR orchestrator.
//!
//! IBM publishes no API to register a VM with the orchestrator (its UI does it), so create,
//! update and delete go through the project's own orchestrator API (`cloud::orchestrator`, see
//! docs/); what DR Automation then reports (`dr_managed_vms`) is the truth the resource reads.
//!
//! Two things shape this module:
//! - **Plan-time checks.** Registering a VM that DR cannot protect must fail in `terraform
//!   plan`, not halfway through an apply: the VM must exist in the workspace, run AIX, IBM i or
//!   RHEL, not be the orchestrator itself and not be managed by another orchestrator. The
//!   checks only read, and they share their reads across every instance being planned.
//! - **Coalesced reads.** Deployments protect hundreds of VMs; every read of every VM of one
//!   orchestrator is served by the same list call (see [`directory`]).

pub mod coalesce;
pub mod directory;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_framework::context::Context;
use tf_framework::diag::{AttributePath, Diagnostics};
use tf_framework::path;
use tf_framework::resource::{CreateRequest, Resource, UpdateRequest};
use tf_framework::schema::{Attribute, Schema};
use tf_framework::timeouts::{self, Operation, TimeoutDefaults, Timeouts};
use tf_framework::typed::PlanView;
use tf_framework::validators::{one_of, regex_match};
use tf_framework::value::Attr;
use tokio::time::Instant;

use crate::cloud::orchestrator::{ManagedVmCreate, ManagedVmPatch};
use crate::cloud::{Clients, CloudError};
use crate::resources::{Action, clients, diagnose};
use coalesce::Freshness;
use directory::{ManagedVmView, OrchestratorInfo};

const TYPE_NAME: &str = "dr_managed_vm";

/// Operating systems DR Automation protects, as PowerVS reports them (`osType`).
const SUPPORTED_OS: &[(&str, &str)] = &[("aix", "AIX"), ("ibmi", "IBM i"), ("rhel", "RHEL")];

/// How often a create checks whether DR Automation lists the new VM yet.
const LISTED_POLL: Duration = Duration::from_secs(1);

pub struct ManagedVm;

/// The state of a `dr_managed_vm`; field names are the schema's attribute names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManagedVmState {
    pub id: Option<String>,
    pub orchestrator_id: String,
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
    #[serde(default)]
    pub timeouts: Option<Timeouts>,
}

/// Splits a two-part import id `<first>/<second>`, naming the expected form on error.
pub(crate) fn split_import_id(
    id: &str,
    type_name: &str,
    first: &str,
    second: &str,
) -> Result<(String, String), Diagnostics> {
    match id.split_once('/') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains('/') => {
            Ok((a.to_string(), b.to_string()))
        }
        _ => Err(Diagnostics::from_error(
            "Invalid import id",
            format!(
                "{type_name} is imported as <{first}>/<{second}>, got {id:?}. Example: terraform import \
                 {type_name}.<name> <{first}>/<{second}>"
            ),
        )),
    }
}

fn composite_id(orchestrator_id: &str, pvm_instance_id: &str) -> String {
    format!("{orchestrator_id}/{pvm_instance_id}")
}

fn shared_error(action: Action, object: &str, err: &std::sync::Arc<CloudError>) -> Diagnostics {
    diagnose(action, TYPE_NAME, object, err)
}

fn apply_view(state: &mut ManagedVmState, view: &ManagedVmView) {
    state.id = Some(composite_id(&state.orchestrator_id, &state.pvm_instance_id));
    if view.workspace_id.is_some() {
        state.workspace_id = view.workspace_id.clone();
    }
    if view.priority.is_some() {
        state.priority = view.priority.clone();
    }
    if view.workgroup_name.is_some() {
        state.workgroup_name = view.workgroup_name.clone();
    }
    state.vm_name = view.vm_name.clone();
    state.os_type = view.os_type.clone();
    state.cores = view.cores;
    state.memory_gb = view.memory_gb;
    state.region = view.region.clone();
    state.dr_region = view.dr_region.clone();
    state.workspace_name = view.workspace_name.clone();
    state.dr_average_time_minutes = view.dr_average_time_minutes;
}

fn os_label(os_type: &str) -> Option<&'static str> {
    SUPPORTED_OS
        .iter()
        .find(|(key, _)| *key == os_type)
        .map(|(_, label)| *label)
}

/// The plan-time checks on a VM about to be registered; reads only.
struct Planned<'a> {
    orchestrator_id: &'a str,
    pvm_instance_id: &'a str,
    workspace_id: &'a str,
}

async fn check_registration(
    clients: &Clients,
    info: &OrchestratorInfo,
    planned: &Planned<'_>,
) -> Result<(), Diagnostics> {
    let Planned {
        orchestrator_id,
        pvm_instance_id,
        workspace_id,
    } = *planned;
    // The three reads are independent: issue them together so a plan waits for the slowest
    // of them, not their sum (the workspace inventory alone is two round trips). Their
    // results are still judged in this order.
    let (inventory, own, owners) = tokio::join!(
        directory::workspace_inventory(clients, workspace_id),
        directory::managed_vms_for_check(clients, orchestrator_id),
        directory::managed_anywhere(clients),
    );
    let inventory = inventory.map_err(|e| {
        if e.is_not_found() {
            Diagnostics::from_error_at(
                path!("workspace_id"),
                "PowerVS workspace not found",
                format!("No PowerVS workspace has the GUID {workspace_id:?}."),
            )
        } else {
            shared_error(Action::Plan, &format!("workspace {workspace_id}"), &e)
        }
    })?;
    let Some(vm) = inventory.instances.get(pvm_instance_id) else {
        let mut known: Vec<String> = inventory
            .instances
            .values()
            .take(10)
            .map(|vm| format!("{} ({})", vm.server_name, vm.pvm_instance_id))
            .collect();
        if inventory.instances.len() > known.len() {
            known.push(format!(
                "and {} more",
                inventory.instances.len() - known.len()
            ));
        }
        let listing = if known.is_empty() {
            "The workspace has no VMs.".to_string()
        } else {
            format!("VMs in the workspace: {}.", known.join(", "))
        };
        return Err(Diagnostics::from_error_at(
            path!("pvm_instance_id"),
            "VM not found in the workspace",
            format!(
                "No VM with id {pvm_instance_id:?} exists in PowerVS workspace {} ({workspace_id}). {listing}",
                inventory.name
            ),
        ));
    };
    let os_type = vm.os_type.clone().unwrap_or_default().to_ascii_lowercase();
    if os_label(&os_type).is_none() {
        let found = vm
            .operating_system
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| {
                if os_type.is_empty() {
                    "an unknown OS".into()
                } else {
                    os_type.clone()
                }
            });
        return Err(Diagnostics::from_error_at(
            path!("pvm_instance_id"),
            "Operating system not supported by DR",
            format!(
                "VM {} ({pvm_instance_id}) runs {found} (osType {os_type:?}). DR Automation for PowerVS \
                 protects AIX, IBM i and RHEL virtual servers only.",
                vm.server_name
            ),
        ));
    }
    if info.is_orchestrator_vm(&vm.server_name) {
        return Err(Diagnostics::from_error_at(
            path!("pvm_instance_id"),
            "The orchestrator cannot manage itself",
            format!(
                "VM {} ({pvm_instance_id}) is a DR orchestrator VM of {orchestrator_id}; only workload VMs can \
                 be managed.",
                vm.server_name
            ),
        ));
    }
    let own = own
        .map_err(|e| shared_error(Action::Plan, &format!("orchestrator {orchestrator_id}"), &e))?;
    if own.get(pvm_instance_id).is_some() {
        return Err(Diagnostics::from_error_at(
            path!("pvm_instance_id"),
            "VM already managed by this orchestrator",
            format!(
                "VM {} ({pvm_instance_id}) is already managed by orchestrator {orchestrator_id}, but not by this \
                 resource. Bring it under Terraform with: terraform import {TYPE_NAME}.<name> {}",
                vm.server_name,
                composite_id(orchestrator_id, pvm_instance_id)
            ),
        ));
    }
    let owners =
        owners.map_err(|e| shared_error(Action::Plan, "the DR instances of the account", &e))?;
    if let Some(owner) = owners
        .get(pvm_instance_id)
        .filter(|o| *o != orchestrator_id)
    {
        return Err(Diagnostics::from_error_at(
            path!("pvm_instance_id"),
            "VM managed by another orchestrator",
            format!(
                "VM {} ({pvm_instance_id}) is already managed by DR orchestrator {owner}. A VM can be \
                 protected by one orchestrator only; remove it there first.",
                vm.server_name
            ),
        ));
    }
    Ok(())
}

fn known_planned(plan: &PlanView, path: &AttributePath) -> Result<Option<String>, Diagnostics> {
    Ok(match plan.planned::<String>(path)? {
        Attr::Known(v) => Some(v),
        _ => None,
    })
}

#[async_trait]
impl Resource for ManagedVm {
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
            .description(
                "Puts a PowerVS virtual server under the protection of a DR orchestrator, with its recovery \
                 priority and workgroup. The plan fails before anything changes when the VM does not exist in \
                 the workspace, runs an operating system DR cannot protect (only AIX, IBM i and RHEL), is the \
                 orchestrator itself, or is managed by another orchestrator. Registration uses this project's \
                 orchestrator API (IBM publishes none); DR Automation's `dr_managed_vms` then lists the VM.",
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
                    .description("Recovery order: `high` VMs are recovered first. Changes in place. Default `medium`."),
            )
            .attribute(
                Attribute::string("workgroup_name")
                    .optional()
                    .computed()
                    .use_state_for_unknown()
                    .validator(regex_match(
                        "^[A-Za-z0-9_-]{1,64}$",
                        "1 to 64 letters, digits, '_' or '-'",
                    ))
                    .description(
                        "Workgroup the VM is recovered with. Changes in place. Default: the orchestrator's \
                         `Default_Workgroup`.",
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
            .block(timeouts::block(&[
                Operation::Create,
                Operation::Update,
                Operation::Delete,
            ]))
    }

    fn timeout_defaults(&self) -> TimeoutDefaults {
        TimeoutDefaults::all(Duration::from_secs(10 * 60))
    }

    async fn modify_plan(&self, ctx: &Context, plan: &mut PlanView) -> Result<(), Diagnostics> {
        if !plan.is_create() {
            return Ok(());
        }
        let (Some(orchestrator_id), Some(pvm_instance_id)) = (
            known_planned(plan, &path!("orchestrator_id"))?,
            known_planned(plan, &path!("pvm_instance_id"))?,
        ) else {
            // Known only after apply (e.g. the orchestrator is created in the same run): the
            // orchestrator API checks the same rules when the VM is registered.
            return Ok(());
        };
        let clients = clients(ctx)?;
        let info = directory::orchestrator_info(&clients, &orchestrator_id)
            .await
            .map_err(|e| {
                if e.is_not_found() {
                    Diagnostics::from_error_at(
                        path!("orchestrator_id"),
                        "Orchestrator not found",
                        format!(
                            "No deployed DR orchestrator has the id {orchestrator_id:?}. Use the id of a \
                             dr_orchestrator whose deployment has finished."
                        ),
                    )
                } else {
                    shared_error(Action::Plan, &format!("orchestrator {orchestrator_id}"), &e)
                }
            })?;
        let workspace_id = match plan.config::<String>(&path!("workspace_id"))? {
            Attr::Known(ws) => ws,
            Attr::Unknown => return Ok(()),
            Attr::Null => {
                let Some(ws) = info.workspace_id.clone() else {
                    return Ok(());
                };
                plan.set(&path!("workspace_id"), &ws)?;
                ws
            }
        };
        check_registration(
            &clients,
            &info,
            &Planned {
                orchestrator_id: &orchestrator_id,
                pvm_instance_id: &pvm_instance_id,
                workspace_id: &workspace_id,
            },
        )
        .await
    }

    async fn create(
        &self,
        ctx: &Context,
        req: CreateRequest<ManagedVmState>,
    ) -> Result<ManagedVmState, Diagnostics> {
        let clients = clients(ctx)?;
        let mut state = req.planned;
        let orchestrator_id = state.orchestrator_id.clone();
        let vm_id = state.pvm_instance_id.clone();
        let object = format!("VM {vm_id} of orchestrator {orchestrator_id}");
        let workspace_id = match state.workspace_id.clone() {
            Some(ws) => ws,
            None => directory::orchestrator_info(&clients, &orchestrator_id)
                .await
                .map_err(|e| shared_error(Action::Create, &object, &e))?
                .workspace_id
                .clone()
                .unwrap_or_default(),
        };
        let body = ManagedVmCreate {
            pvm_instance_id: vm_id.clone(),
            workspace_id,
            priority: state.priority.clone().unwrap_or_else(|| "medium".into()),
            workgroup_name: state.workgroup_name.clone(),
        };
        let registered = ctx
            .run(&format!("registering {object}"), async {
                clients
                    .orchestrator
                    .register_vm(&orchestrator_id, &body)
                    .await
                    .map_err(|e| {
                        let mut d = diagnose(Action::Create, TYPE_NAME, &object, &e);
                        if e.is_conflict() {
                            d.error(
                                "VM already registered",
                                format!(
                                    "If this orchestrator already manages the VM, import it instead: terraform \
                                     import {TYPE_NAME}.<name> {}",
                                    composite_id(&orchestrator_id, &vm_id)
                                ),
                            );
                        }
                        d
                    })
            })
            .await?;
        // No invalidation here: the wait below asks for a list fetched after this point, and
        // dropping the shared entry would stop concurrent creates from sharing that fetch.
        state.id = Some(composite_id(&orchestrator_id, &vm_id));
        state.workspace_id = registered
            .workspace_id
            .clone()
            .or(Some(body.workspace_id.clone()));
        // Registered: from here on a failure leaves the VM managed, so Terraform must keep it.
        ctx.save_partial_state(&state);
        directory::note_registration(&orchestrator_id);
        // The answer already carries DR Automation's view once it lists the VM: then there is
        // nothing to wait for, and a large apply saves a list round trip per VM.
        if let Some(view) = ManagedVmView::from_listed_registration(&registered) {
            apply_view(&mut state, &view);
            return Ok(state);
        }
        let view = ctx
            .run(
                &format!("waiting for dr_managed_vms to list {object}"),
                async {
                    loop {
                        let vms = directory::managed_vms(
                            &clients,
                            &orchestrator_id,
                            Freshness::After(Instant::now()),
                        )
                        .await
                        .map_err(|e| shared_error(Action::Create, &object, &e))?;
                        if let Some(view) = vms.get(&vm_id) {
                            return Ok(view);
                        }
                        tokio::time::sleep(LISTED_POLL).await;
                    }
                },
            )
            .await?;
        apply_view(&mut state, &view);
        Ok(state)
    }

    async fn read(
        &self,
        ctx: &Context,
        mut state: ManagedVmState,
    ) -> Result<Option<ManagedVmState>, Diagnostics> {
        let clients = clients(ctx)?;
        let vms = directory::managed_vms(&clients, &state.orchestrator_id, Freshness::Recent)
            .await
            .map_err(|e| {
                shared_error(
                    Action::Read,
                    &format!("orchestrator {}", state.orchestrator_id),
                    &e,
                )
            })?;
        let Some(view) = vms.get(&state.pvm_instance_id) else {
            return Ok(None);
        };
        apply_view(&mut state, &view);
        Ok(Some(state))
    }

    async fn update(
        &self,
        ctx: &Context,
        req: UpdateRequest<ManagedVmState>,
    ) -> Result<ManagedVmState, Diagnostics> {
        let clients = clients(ctx)?;
        let mut state = req.planned;
        let prior = req.prior;
        let changed = |a: &Option<String>, b: &Option<String>| a.is_some() && a != b;
        let patch = ManagedVmPatch {
            priority: state
                .priority
                .clone()
                .filter(|_| changed(&state.priority, &prior.priority)),
            workgroup_name: state
                .workgroup_name
                .clone()
                .filter(|_| changed(&state.workgroup_name, &prior.workgroup_name)),
        };
        let object = format!(
            "VM {} of orchestrator {}",
            state.pvm_instance_id, state.orchestrator_id
        );
        if patch != ManagedVmPatch::default() {
            let updated = ctx
                .run(&format!("updating {object}"), async {
                    clients
                        .orchestrator
                        .update_vm(&state.orchestrator_id, &state.pvm_instance_id, &patch)
                        .await
                        .map_err(|e| diagnose(Action::Update, TYPE_NAME, &object, &e))
                })
                .await?;
            directory::invalidate_managed_vms(&state.orchestrator_id);
            state.priority = updated.priority.or(state.priority);
            state.workgroup_name = updated.workgroup_name.or(state.workgroup_name);
        }
        state.id = Some(composite_id(&state.orchestrator_id, &state.pvm_instance_id));
        Ok(state)
    }

    async fn delete(&self, ctx: &Context, state: ManagedVmState) -> Result<(), Diagnostics> {
        let clients = clients(ctx)?;
        let object = format!(
            "VM {} of orchestrator {}",
            state.pvm_instance_id, state.orchestrator_id
        );
        let result = ctx
            .run(&format!("unregistering {object}"), async {
                match clients
                    .orchestrator
                    .unregister_vm(&state.orchestrator_id, &state.pvm_instance_id)
                    .await
                {
                    Err(e) if !e.is_not_found() => {
                        Err(diagnose(Action::Delete, TYPE_NAME, &object, &e))
                    }
                    _ => Ok(()),
                }
            })
            .await;
        directory::invalidate_managed_vms(&state.orchestrator_id);
        result
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<ManagedVmState, Diagnostics> {
        let (orchestrator_id, pvm_instance_id) =
            split_import_id(id, TYPE_NAME, "orchestrator_id", "pvm_instance_id")?;
        let clients = clients(ctx)?;
        let vms = directory::managed_vms(&clients, &orchestrator_id, Freshness::Recent)
            .await
            .map_err(|e| {
                shared_error(
                    Action::Import,
                    &format!("orchestrator {orchestrator_id}"),
                    &e,
                )
            })?;
        let Some(view) = vms.get(&pvm_instance_id) else {
            return Err(Diagnostics::from_error(
                "Cannot import non-existent remote object",
                if vms.exists {
                    format!(
                        "Orchestrator {orchestrator_id} does not manage a VM with id {pvm_instance_id:?}."
                    )
                } else {
                    format!("No DR orchestrator has the id {orchestrator_id:?}.")
                },
            ));
        };
        let mut state = ManagedVmState {
            orchestrator_id,
            pvm_instance_id,
            ..ManagedVmState::default()
        };
        apply_view(&mut state, &view);
        Ok(state)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use tf_framework::schema::assert_schema_valid;

    #[test]
    fn schema_is_valid() {
        assert_schema_valid(&ManagedVm.schema());
    }

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
        assert_eq!(os_label("aix"), Some("AIX"));
        assert_eq!(os_label("ibmi"), Some("IBM i"));
        assert_eq!(os_label("rhel"), Some("RHEL"));
        assert_eq!(os_label("sles"), None);
    }
}
