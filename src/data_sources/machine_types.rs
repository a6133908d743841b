//! `dr_machine_types`: the machine types DR Automation can place an orchestrator on, per
//! workspace (`GET /drautomation/v1/machinetypes/{instance_id}`).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_framework::context::Context;
use tf_framework::data_source::DataSource;
use tf_framework::diag::Diagnostics;
use tf_framework::schema::{Attribute, Schema};

use super::{
    computed_string, computed_strings, orchestrator_id_argument, orchestrator_read_error,
    read_error,
};
use crate::support::clients;

const TYPE_NAME: &str = "dr_machine_types";

pub struct MachineTypes;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkspaceMachineTypes {
    pub name: Option<String>,
    pub machine_types: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MachineTypesState {
    pub orchestrator_id: String,
    pub primary_workspace_name: String,
    pub standby_workspace_name: Option<String>,
    pub machine_types: Option<Vec<String>>,
    pub standby_machine_types: Option<Vec<String>>,
    pub workspaces: Option<Vec<WorkspaceMachineTypes>>,
}

#[async_trait]
impl DataSource for MachineTypes {
    type State = MachineTypesState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description(
                "The machine types DR Automation offers in the primary (and standby) workspace.",
            )
            .attribute(orchestrator_id_argument())
            .attribute(
                Attribute::string("primary_workspace_name")
                    .required()
                    .description("Name of the primary PowerVS workspace."),
            )
            .attribute(
                Attribute::string("standby_workspace_name")
                    .optional()
                    .description("Name of the standby PowerVS workspace."),
            )
            .attribute(computed_strings(
                "machine_types",
                "Machine types of the primary workspace, such as `s922`.",
            ))
            .attribute(computed_strings(
                "standby_machine_types",
                "Machine types of the standby workspace (empty without one).",
            ))
            .attribute(
                Attribute::list_nested(
                    "workspaces",
                    vec![
                        computed_string("name", "Workspace name."),
                        computed_strings("machine_types", "Its machine types."),
                    ],
                )
                .computed()
                .description("Every workspace asked about, with its machine types."),
            )
    }

    async fn read(
        &self,
        ctx: &Context,
        mut config: MachineTypesState,
    ) -> Result<MachineTypesState, Diagnostics> {
        let clients = clients(ctx)?;
        let found = clients
            .dr_automation
            .get_machine_types(
                &config.orchestrator_id,
                &config.primary_workspace_name,
                config.standby_workspace_name.as_deref(),
            )
            .await;
        let found = match found {
            Ok(found) => found,
            Err(e) => {
                let object = format!("machine types of orchestrator {}", config.orchestrator_id);
                // A 404 may be about a workspace name; only a missing instance is the id's fault.
                let instance_missing = e.is_not_found()
                    && clients
                        .dr_automation
                        .get_last_operation(&config.orchestrator_id)
                        .await
                        .is_err_and(|lookup| lookup.is_not_found());
                return Err(if instance_missing {
                    orchestrator_read_error(TYPE_NAME, &config.orchestrator_id, &object, &e)
                } else {
                    read_error(TYPE_NAME, &object, &e)
                });
            }
        };
        let of = |name: Option<&String>| {
            name.and_then(|n| found.workspaces.get(n))
                .cloned()
                .unwrap_or_default()
        };
        config.machine_types = Some(of(Some(&config.primary_workspace_name)));
        config.standby_machine_types = Some(of(config.standby_workspace_name.as_ref()));
        config.workspaces = Some(
            found
                .workspaces
                .iter()
                .map(|(name, types)| WorkspaceMachineTypes {
                    name: Some(name.clone()),
                    machine_types: Some(types.clone()),
                })
                .collect(),
        );
        Ok(config)
    }
}
