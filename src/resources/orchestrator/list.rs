//! `list "dr_orchestrator"`: the DR deployments of the account, for `terraform query`.
//!
//! Resource Controller pages through the account's DR Automation instances (filtered on its
//! side by the service's catalog id, resource group and name); those whose CRN names
//! `power-dr-automation` and that are not being removed are then read the way a refresh reads one ([`super::deploy::fetch`]),
//! a few at a time and in Resource Controller's order. An instance without an orchestrator
//! deployment (still provisioning, or its deployment failed before the VM existed) cannot be
//! imported as a `dr_orchestrator`, so it is left out, as a refresh would find it gone.

use async_trait::async_trait;
use serde::Deserialize;
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::list::{ListRequest, ListResource, ListResults};
use tf_framework::schema::{Attribute, Schema};
use tf_framework::typed::ConfigView;

use super::TYPE_NAME;
use super::deploy;
use super::model::OrchestratorState;
use crate::resources::adoption::check_filters;
use crate::resources::deployment::instances::{InstanceFilter, list_deployments};

pub struct OrchestratorList;

/// The `config` block.
#[derive(Debug, Default, Deserialize)]
pub struct OrchestratorListConfig {
    pub resource_group_id: Option<String>,
    pub name: Option<String>,
}

#[async_trait]
impl ListResource for OrchestratorList {
    type Config = OrchestratorListConfig;
    type State = OrchestratorState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description(
                "Finds the DR deployments of the account (DR Automation service instances with a deployed \
                 orchestrator), optionally of one resource group or with one name. Instances still \
                 provisioning, or whose deployment never produced an orchestrator VM, are not listed.",
            )
            .attribute(
                Attribute::string("resource_group_id")
                    .optional()
                    .description("Only deployments whose service instance is in this resource group."),
            )
            .attribute(
                Attribute::string("name")
                    .optional()
                    .description("Only the deployment with this name (exact match)."),
            )
    }

    async fn validate(&self, _ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        check_filters(config, &["resource_group_id", "name"])
    }

    async fn list(
        &self,
        ctx: &Context,
        req: ListRequest<OrchestratorListConfig>,
        results: &ListResults<OrchestratorState>,
    ) -> Result<(), Diagnostics> {
        let filter = InstanceFilter {
            guid: None,
            resource_group_id: req.config.resource_group_id,
            name: req.config.name,
        };
        // Gone between the list and the read, or no deployment: not importable.
        list_deployments(
            ctx,
            TYPE_NAME,
            &filter,
            |clients, guid| async move { deploy::fetch(&clients, &guid, None).await },
            "DR instance",
            |_, state| state.name.clone(),
            results,
        )
        .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::cloud::resource_controller::ResourceInstance;
    use crate::resources::deployment::instances::selects;

    fn instance(
        guid: &str,
        name: &str,
        group: &str,
        service: &str,
        state: &str,
    ) -> ResourceInstance {
        ResourceInstance {
            guid: Some(guid.into()),
            name: Some(name.into()),
            resource_group_id: Some(group.into()),
            crn: Some(format!(
                "crn:v1:bluemix:public:{service}:global:a/acc:{guid}::"
            )),
            state: Some(state.into()),
            ..ResourceInstance::default()
        }
    }

    #[test]
    fn only_live_dr_instances_that_match_every_filter_are_selected() {
        let all = InstanceFilter::default();
        let dr = instance("g1", "dr-prod", "rg1", "power-dr-automation", "active");
        assert!(selects(&all, &dr));
        assert!(!selects(
            &all,
            &instance("g2", "ws", "rg1", "power-iaas", "active")
        ));
        assert!(!selects(
            &all,
            &instance(
                "g3",
                "dr-old",
                "rg1",
                "power-dr-automation",
                "pending_reclamation"
            )
        ));
        let by_group = InstanceFilter {
            resource_group_id: Some("rg2".into()),
            ..InstanceFilter::default()
        };
        assert!(!selects(&by_group, &dr));
        let by_name = InstanceFilter {
            name: Some("dr-prod".into()),
            ..InstanceFilter::default()
        };
        assert!(selects(&by_name, &dr));
        let by_guid = InstanceFilter {
            guid: Some("g9".into()),
            ..InstanceFilter::default()
        };
        assert!(!selects(&by_guid, &dr));
    }
}
