//! `list "dr_ha_standby"`: the standby orchestrators of the account's DR deployments (or of
//! one), for `terraform query`.
//!
//! The deployments come from the same Resource Controller listing as `list "dr_orchestrator"`;
//! each is then read the way a refresh reads its standby ([`super::deploy::fetch`]), a few at a
//! time. A deployment without a standby (or whose standby's VM or gateway attachment is gone)
//! yields nothing.

use async_trait::async_trait;
use serde::Deserialize;
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::list::{ListRequest, ListResource, ListResults};
use tf_framework::schema::{Attribute, Schema};
use tf_framework::typed::ConfigView;

use super::TYPE_NAME;
use super::deploy;
use super::model::StandbyState;
use crate::resources::adoption::check_filters;
use crate::resources::deployment::instances::{InstanceFilter, list_deployments};
use crate::resources::deployment::standby_vm_name;

pub struct HaStandbyList;

/// The `config` block.
#[derive(Debug, Default, Deserialize)]
pub struct StandbyListConfig {
    pub orchestrator_id: Option<String>,
}

#[async_trait]
impl ListResource for HaStandbyList {
    type Config = StandbyListConfig;
    type State = StandbyState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description(
                "Finds the standby orchestrators of the account's DR deployments, or of one deployment. A \
                 deployment has at most one standby.",
            )
            .attribute(
                Attribute::string("orchestrator_id")
                    .optional()
                    .description(
                        "Only the standby of this `dr_orchestrator` (its DR Automation service instance GUID). \
                         Default: every deployment of the account.",
                    ),
            )
    }

    async fn validate(&self, _ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        check_filters(config, &["orchestrator_id"])
    }

    async fn list(
        &self,
        ctx: &Context,
        req: ListRequest<StandbyListConfig>,
        results: &ListResults<StandbyState>,
    ) -> Result<(), Diagnostics> {
        let filter = InstanceFilter {
            guid: req.config.orchestrator_id,
            ..InstanceFilter::default()
        };
        list_deployments(
            ctx,
            TYPE_NAME,
            &filter,
            |clients, guid| async move { deploy::fetch(&clients, &guid, None).await },
            "standby of DR instance",
            |name, _| standby_vm_name(name),
            results,
        )
        .await
    }
}
