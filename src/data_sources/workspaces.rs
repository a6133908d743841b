//! `dr_workspaces`: the account's PowerVS workspaces, to find the primary and the standby
//! workspace by name or zone instead of pasting GUIDs.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_framework::context::Context;
use tf_framework::data_source::DataSource;
use tf_framework::diag::Diagnostics;
use tf_framework::schema::{Attribute, Schema};

use super::{computed_string, computed_strings, filter_argument, matches, read_error};
use crate::support::clients;

const TYPE_NAME: &str = "dr_workspaces";

pub struct Workspaces;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkspaceItem {
    pub id: Option<String>,
    pub name: Option<String>,
    pub zone: Option<String>,
    pub crn: Option<String>,
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkspacesState {
    pub name: Option<String>,
    pub zone: Option<String>,
    pub status: Option<String>,
    pub workspaces: Option<Vec<WorkspaceItem>>,
    pub ids: Option<Vec<String>>,
}

#[async_trait]
impl DataSource for Workspaces {
    type State = WorkspacesState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description("Lists the account's PowerVS workspaces, optionally filtered by name, zone or status.")
            .attribute(filter_argument("name", "Only the workspace with this name."))
            .attribute(filter_argument("zone", "Only workspaces in this zone, such as `dal10`."))
            .attribute(filter_argument("status", "Only workspaces in this status, such as `active`."))
            .attribute(
                Attribute::list_nested(
                    "workspaces",
                    vec![
                        computed_string("id", "Workspace GUID (`powervs_workspace_guid`)."),
                        computed_string("name", "Name."),
                        computed_string("zone", "Zone."),
                        computed_string("crn", "CRN (`powervs_workspace_id` of the landing zone)."),
                        computed_string("status", "Status."),
                        computed_string("type", "`off-premises` or `on-premises`."),
                    ],
                )
                .computed()
                .description("The matching workspaces, sorted by name."),
            )
            .attribute(computed_strings("ids", "Their GUIDs, in the same order."))
    }

    async fn read(
        &self,
        ctx: &Context,
        mut config: WorkspacesState,
    ) -> Result<WorkspacesState, Diagnostics> {
        let clients = clients(ctx)?;
        let all = clients
            .power
            .list_workspaces()
            .await
            .map_err(|e| read_error(TYPE_NAME, "PowerVS workspaces", &e))?;
        let mut items: Vec<WorkspaceItem> = all
            .iter()
            .filter(|w| matches(&config.name, Some(&w.name)))
            .filter(|w| matches(&config.zone, w.zone()))
            .filter(|w| matches(&config.status, w.status.as_deref()))
            .map(|w| WorkspaceItem {
                id: Some(w.id.clone()),
                name: Some(w.name.clone()),
                zone: w.zone().map(str::to_string),
                crn: w.crn().map(str::to_string),
                status: w.status.clone(),
                type_: w.type_.clone(),
            })
            .collect();
        items.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        config.ids = Some(items.iter().filter_map(|w| w.id.clone()).collect());
        config.workspaces = Some(items);
        Ok(config)
    }
}
