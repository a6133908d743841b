//! `list "dr_test_schedule"`: the DR test schedules in an orchestrator's crontab, for
//! `terraform query`.
//!
//! One `crontab -l` and one `date` on the orchestrator (over the provider's `orchestrator_ssh`)
//! give every schedule: the entries the provider tags, read as import reads one. Other crontab
//! lines are not schedules and are never listed.

use async_trait::async_trait;
use serde::Deserialize;
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::list::{ListRequest, ListResource, ListResults};
use tf_framework::schema::{Attribute, Schema};
use tf_framework::typed::ConfigView;

use super::{ScheduleState, TYPE_NAME, state_of, target, workgroups_of};
use crate::cloud::ksys::crontab;
use crate::resources::adoption::check_required_id;
use crate::support::clients;
use crate::support::listing::{OrchestratorListing, push_all};

pub struct TestScheduleList;

/// The `config` block.
#[derive(Debug, Default, Deserialize)]
pub struct TestScheduleListConfig {
    pub orchestrator_id: Option<String>,
}

/// `sched-0000beef (0 2 * * 0 America/Chicago)`.
fn display_name(state: &ScheduleState) -> String {
    format!(
        "{} ({} {})",
        state.schedule_id.as_deref().unwrap_or_default(),
        state.cron,
        state.time_zone.as_deref().unwrap_or("UTC")
    )
}

#[async_trait]
impl ListResource for TestScheduleList {
    type Config = TestScheduleListConfig;
    type State = ScheduleState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description(
                "Finds the DR test schedules in a DR orchestrator's crontab (one `crontab -l` over SSH). Needs \
                 the provider's `orchestrator_ssh`.",
            )
            .attribute(
                Attribute::string("orchestrator_id")
                    .required()
                    .description("The `id` of the `dr_orchestrator` whose schedules are listed."),
            )
    }

    async fn validate(&self, _ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        check_required_id(config, "orchestrator_id")
    }

    async fn list(
        &self,
        ctx: &Context,
        req: ListRequest<TestScheduleListConfig>,
        results: &ListResults<ScheduleState>,
    ) -> Result<(), Diagnostics> {
        let clients = clients(ctx)?;
        let listing = OrchestratorListing::start(
            &clients,
            TYPE_NAME,
            req.config.orchestrator_id,
            "schedules",
            "Listing the DR test schedules of an orchestrator (list \"dr_test_schedule\")",
            "",
        )?;
        let orchestrator_id = &listing.orchestrator_id;
        let t = target(&clients, orchestrator_id)
            .await
            .map_err(|e| listing.fail_or_not_found(&e))?;
        let (text, now) =
            tokio::try_join!(t.ksys.crontab(&t.orchestrator), t.ksys.now(&t.orchestrator))
                .map_err(|e| listing.fail(&e.into()))?;
        let found = crontab::parse(&text).into_iter().map(|entry| {
            let state = state_of(
                orchestrator_id,
                &entry,
                None,
                workgroups_of(&entry),
                Some(&now),
            );
            (display_name(&state), state)
        });
        push_all(results, found).await;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    #[test]
    fn a_schedule_shows_its_tag_expression_and_zone() {
        let state = ScheduleState {
            schedule_id: Some("sched-0000beef".into()),
            cron: "0 2 * * 0".into(),
            time_zone: Some("America/Chicago".into()),
            ..ScheduleState::default()
        };
        assert_eq!(
            display_name(&state),
            "sched-0000beef (0 2 * * 0 America/Chicago)"
        );
    }
}
