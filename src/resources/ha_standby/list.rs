//! `list "dr_ha_standby"`: the standby orchestrators of the account's DR deployments (or of
//! one), for `terraform query`.
//!
//! The deployments come from the same Resource Controller listing as `list "dr_orchestrator"`;
//! each is then read the way a refresh reads its standby ([`super::deploy::fetch`]), a few at a
//! time. A deployment without a standby (or whose standby's VM or gateway attachment is gone)
//! yields nothing.

use async_trait::async_trait;
use futures::StreamExt;
use serde::Deserialize;
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::list::{ListRequest, ListResource, ListResults};
use tf_framework::schema::{Attribute, Schema};
use tf_framework::typed::ConfigView;

use super::TYPE_NAME;
use super::deploy;
use super::model::StandbyState;
use crate::cloud::CloudError;
use crate::resources::adoption::{CONCURRENT_READS, check_filters};
use crate::resources::deployment::instances::{InstanceFilter, dr_instances};
use crate::resources::deployment::standby_vm_name;
use crate::support::{Action, clients, diagnose};

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
        let clients = clients(ctx)?;
        let fail = |object: &str, e: &CloudError| diagnose(Action::List, TYPE_NAME, object, e);
        let filter = InstanceFilter {
            guid: req.config.orchestrator_id,
            ..InstanceFilter::default()
        };
        let instances = dr_instances(&clients, &filter)
            .await
            .map_err(|e| fail("DR Automation service instances", &e))?;
        let clients = &clients;
        let mut reads = futures::stream::iter(
            instances
                .into_iter()
                .filter_map(|i| Some((i.guid?, i.name.unwrap_or_default()))),
        )
        .map(|(guid, name)| async move {
            let found = deploy::fetch(clients, &guid, None).await;
            (guid, name, found)
        })
        .buffered(CONCURRENT_READS);
        while let Some((guid, name, found)) = reads.next().await {
            match found {
                Ok(Some(state)) => {
                    if !results.push(standby_vm_name(&name), &state).await {
                        break;
                    }
                }
                Ok(None) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(fail(&format!("standby of DR instance {guid}"), &e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use tf_framework::schema::assert_schema_valid;

    #[test]
    fn schema_is_valid() {
        assert_schema_valid(&HaStandbyList.schema());
    }
}
