//! `list "dr_managed_vm"`: the VMs an orchestrator's KSYS manages, for `terraform query`.
//!
//! A listing reads exactly what a refresh reads, through the same coalesced sources: KSYS's
//! `query vm state=manage` and `query workgroup` (one SSH session, [`orchestrator_access`]),
//! DR Automation's published `dr_managed_vms` list, and the orchestrator's workspace (for
//! `workspace_id` and `os_type`, as import fills them) — so listing 1,000 managed VMs costs the
//! same two remote commands and a handful of requests as refreshing them, and the plan that
//! imports them afterwards is served from the same answers.
//!
//! KSYS is the only source of which VMs are managed and of their workgroups, so a listing needs
//! the provider's `orchestrator_ssh`; without it the query fails with the one diagnostic that
//! says how to configure it.

use async_trait::async_trait;
use serde::Deserialize;
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::list::{ListRequest, ListResource, ListResults};
use tf_framework::schema::{Attribute, Schema};
use tf_framework::typed::ConfigView;
use tf_framework::validators::one_of;

use super::TYPE_NAME;
use super::adopt::listed_state;
use super::model::ManagedVmState;
use crate::resources::adoption::{check_filters, check_required_id};
use crate::support::clients;
use crate::support::coalesce::Freshness;
use crate::support::directory;
use crate::support::listing::{OrchestratorListing, push_all};
use crate::support::orchestrator_access;

pub struct ManagedVmList;

/// The `config` block.
#[derive(Debug, Default, Deserialize)]
pub struct ManagedVmListConfig {
    pub orchestrator_id: Option<String>,
    pub workgroup_name: Option<String>,
    pub priority: Option<String>,
}

impl ManagedVmListConfig {
    fn selects(&self, state: &ManagedVmState) -> bool {
        let equal = |wanted: &Option<String>, actual: &Option<String>| {
            wanted.is_none() || wanted.as_deref() == actual.as_deref()
        };
        equal(&self.workgroup_name, &state.workgroup_name) && equal(&self.priority, &state.priority)
    }
}

#[async_trait]
impl ListResource for ManagedVmList {
    type Config = ManagedVmListConfig;
    type State = ManagedVmState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description(
                "Finds the VMs a DR orchestrator manages, as its KSYS reports them (`ksysmgr query vm` and \
                 `query workgroup` over SSH, one session for any number of VMs) together with DR Automation's \
                 published figures. Needs the provider's `orchestrator_ssh`.",
            )
            .attribute(
                Attribute::string("orchestrator_id")
                    .required()
                    .description("The `id` of the `dr_orchestrator` (DR Automation service instance GUID)."),
            )
            .attribute(
                Attribute::string("workgroup_name")
                    .optional()
                    .description("Only VMs of this KSYS workgroup."),
            )
            .attribute(
                Attribute::string("priority")
                    .optional()
                    .validator(one_of(["high", "medium", "low"]))
                    .description("Only VMs whose workgroup has this recovery priority: `high`, `medium` or `low`."),
            )
    }

    async fn validate(&self, _ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        let mut diags = check_required_id(config, "orchestrator_id");
        diags.extend(check_filters(config, &["workgroup_name"]));
        diags
    }

    async fn list(
        &self,
        ctx: &Context,
        req: ListRequest<ManagedVmListConfig>,
        results: &ListResults<ManagedVmState>,
    ) -> Result<(), Diagnostics> {
        let clients = clients(ctx)?;
        let listing = OrchestratorListing::start(
            &clients,
            TYPE_NAME,
            req.config.orchestrator_id.clone(),
            "VMs",
            "Listing the VMs an orchestrator manages (list \"dr_managed_vm\")",
            " (its DR Automation service instance GUID)",
        )?;
        let orchestrator_id = &listing.orchestrator_id;
        let (published, inventory) = tokio::join!(
            directory::published_vms(&clients, orchestrator_id, Freshness::Recent),
            orchestrator_access::inventory(&clients, orchestrator_id, Freshness::Recent),
        );
        let published = published.map_err(|e| listing.fail(&e))?;
        if !published.exists {
            return Err(listing.not_found());
        }
        let inventory = inventory.map_err(|e| listing.fail_or_not_found(&e))?;
        // As import: workspace and operating system from the orchestrator's workspace, when it
        // can be read (they are optional and computed).
        let home = match directory::orchestrator_info(&clients, orchestrator_id).await {
            Ok(info) => match info.workspace_id.clone() {
                Some(ws) => directory::workspace_inventory(&clients, &ws)
                    .await
                    .ok()
                    .map(|inv| (ws, inv)),
                None => None,
            },
            Err(_) => None,
        };
        let home = home.as_ref().map(|(ws, inv)| (ws.as_str(), inv.as_ref()));
        let mut vms: Vec<_> = inventory.source_vms().collect();
        vms.sort_by(|a, b| a.name.cmp(&b.name));
        let found: Vec<_> = vms
            .into_iter()
            .filter_map(|vm| {
                listed_state(orchestrator_id, vm, &inventory, &published, home)
                    .filter(|state| req.config.selects(state))
                    .map(|state| (vm.name.clone(), state))
            })
            .collect();
        push_all(results, found).await;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    #[test]
    fn filters_select_by_workgroup_and_priority() {
        let state = ManagedVmState {
            workgroup_name: Some("erp".into()),
            priority: Some("high".into()),
            ..ManagedVmState::default()
        };
        assert!(ManagedVmListConfig::default().selects(&state));
        let erp_high = ManagedVmListConfig {
            workgroup_name: Some("erp".into()),
            priority: Some("high".into()),
            ..ManagedVmListConfig::default()
        };
        assert!(erp_high.selects(&state));
        let low = ManagedVmListConfig {
            priority: Some("low".into()),
            ..ManagedVmListConfig::default()
        };
        assert!(!low.selects(&state));
    }
}
