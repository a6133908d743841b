//! `dr_workspace_subnets`: the subnets of a PowerVS workspace with their CIDR blocks, shaped
//! so security group rules can `for_each` over them (`cidr_by_name`, `cidrs`).
//!
//! PowerVS lists networks without their CIDR, so each listed network is read once; the reads
//! run concurrently.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_framework::context::Context;
use tf_framework::data_source::DataSource;
use tf_framework::diag::Diagnostics;
use tf_framework::path;
use tf_framework::schema::{Attribute, Schema};
use tf_framework::validators::one_of;
use tf_framework::value::Type;

use super::{
    computed_number, computed_string, computed_strings, filter_argument, matches, read_error,
};
use crate::support::clients;

const TYPE_NAME: &str = "dr_workspace_subnets";

pub struct WorkspaceSubnets;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubnetItem {
    pub id: Option<String>,
    pub name: Option<String>,
    pub cidr: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub gateway: Option<String>,
    pub vlan_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkspaceSubnetsState {
    pub workspace_id: String,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub name: Option<String>,
    pub subnets: Option<Vec<SubnetItem>>,
    pub cidrs: Option<Vec<String>>,
    pub cidr_by_name: Option<BTreeMap<String, String>>,
}

#[async_trait]
impl DataSource for WorkspaceSubnets {
    type State = WorkspaceSubnetsState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description(
                "The subnets of a PowerVS workspace with their CIDR blocks. `cidr_by_name` feeds `for_each` of \
                 `dr_security_group_rule` directly.",
            )
            .attribute(Attribute::string("workspace_id").required().description("GUID of the PowerVS workspace."))
            .attribute(
                Attribute::string("type")
                    .optional()
                    .validator(one_of(["vlan", "pub-vlan", "dhcp-vlan"]))
                    .description("Only subnets of this type: `vlan` (private), `pub-vlan` or `dhcp-vlan`."),
            )
            .attribute(filter_argument("name", "Only the subnet with this name."))
            .attribute(
                Attribute::list_nested(
                    "subnets",
                    vec![
                        computed_string("id", "Network id."),
                        computed_string("name", "Name."),
                        computed_string("cidr", "CIDR block."),
                        computed_string("type", "Type."),
                        computed_string("gateway", "Gateway address."),
                        computed_number("vlan_id", "VLAN id."),
                    ],
                )
                .computed()
                .description("The matching subnets, sorted by name."),
            )
            .attribute(computed_strings("cidrs", "Their CIDR blocks, in the same order."))
            .attribute(Attribute::map("cidr_by_name", Type::String).computed().description("Subnet name → CIDR block."))
    }

    async fn read(
        &self,
        ctx: &Context,
        mut config: WorkspaceSubnetsState,
    ) -> Result<WorkspaceSubnetsState, Diagnostics> {
        let clients = clients(ctx)?;
        let ws = &config.workspace_id;
        let object = format!("subnets of workspace {ws}");
        let workspace = clients.power.workspace_by_guid(ws).await.map_err(|e| {
            if e.is_not_found() {
                Diagnostics::from_error_at(
                    path!("workspace_id"),
                    "PowerVS workspace not found",
                    format!("No PowerVS workspace has the GUID {ws:?}."),
                )
            } else {
                read_error(TYPE_NAME, &object, &e)
            }
        })?;
        let listed = workspace
            .list_networks()
            .await
            .map_err(|e| read_error(TYPE_NAME, &object, &e))?;
        let wanted: Vec<_> = listed
            .into_iter()
            .filter(|n| matches(&config.type_, Some(&n.type_)))
            .filter(|n| matches(&config.name, Some(&n.name)))
            .collect();
        let details = futures::future::join_all(wanted.iter().map(|n| async {
            if n.cidr.is_some() {
                Ok(n.clone())
            } else {
                workspace.get_network(&n.network_id).await
            }
        }))
        .await;
        let mut items = Vec::with_capacity(details.len());
        for network in details {
            let n = network.map_err(|e| read_error(TYPE_NAME, &object, &e))?;
            items.push(SubnetItem {
                id: Some(n.network_id),
                name: Some(n.name),
                cidr: n.cidr,
                type_: Some(n.type_),
                gateway: n.gateway,
                vlan_id: n.vlan_id.map(|v| v as i64),
            });
        }
        items.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        config.cidrs = Some(items.iter().filter_map(|s| s.cidr.clone()).collect());
        config.cidr_by_name = Some(
            items
                .iter()
                .filter_map(|s| Some((s.name.clone()?, s.cidr.clone()?)))
                .collect(),
        );
        config.subnets = Some(items);
        Ok(config)
    }
}
