//! `drtest_touch`: an action that "touches" a `drtest_thing` in a few timed steps, so tests can
//! see every part of the action protocol with real Terraform: offline validation (`steps`
//! range), a plan-time check against the configured provider (the thing must exist), progress
//! lines during `terraform apply -invoke=...`, a failure that stops with the action's message,
//! and Ctrl-C (the touch is then not recorded).
//!
//! A completed touch increments `touches[thing_id]` in the store file.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tf_framework::action::{Action, Progress};
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::path;
use tf_framework::schema::{Attribute, Schema};
use tf_framework::typed::ConfigView;
use tf_framework::validators::int_between;
use tf_framework::value::Attr;

use crate::store::Store;

pub struct Touch;

#[derive(Debug, Deserialize)]
pub struct TouchConfig {
    thing_id: String,
    steps: Option<i64>,
    step_ms: Option<i64>,
    fail_at_step: Option<i64>,
}

#[async_trait]
impl Action for Touch {
    type Config = TouchConfig;

    fn type_name(&self) -> &str {
        "drtest_touch"
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description("Touches a drtest_thing in timed steps, reporting each step.")
            .attribute(
                Attribute::string("thing_id")
                    .required()
                    .description("Id of the drtest_thing to touch; it must exist at plan."),
            )
            .attribute(
                Attribute::number("steps")
                    .optional()
                    .validator(int_between(1, 20))
                    .description("Number of steps (1-20, default 3)."),
            )
            .attribute(
                Attribute::number("step_ms")
                    .optional()
                    .validator(int_between(0, 60_000))
                    .description("Duration of each step in milliseconds (default 200)."),
            )
            .attribute(
                Attribute::number("fail_at_step")
                    .optional()
                    .description("Fail when this step starts (for tests)."),
            )
    }

    async fn plan(&self, ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        let store = match ctx.provider_data::<Store>() {
            Ok(s) => s,
            Err(d) => return d,
        };
        // A thing created in the same run has no id yet; it exists by the time of invoke.
        let Ok(Attr::Known(id)) = config.get::<String>(&path!("thing_id")) else {
            return Diagnostics::new();
        };
        match store.get(&id).await {
            Ok(Some(_)) => Diagnostics::new(),
            Ok(None) => Diagnostics::from_error_at(
                path!("thing_id"),
                "No such thing",
                format!("There is no drtest_thing with id {id:?} to touch."),
            ),
            Err(d) => d,
        }
    }

    async fn invoke(
        &self,
        ctx: &Context,
        config: TouchConfig,
        progress: &Progress,
    ) -> Result<(), Diagnostics> {
        let store = ctx.provider_data::<Store>()?;
        let steps = config.steps.unwrap_or(3);
        let pause =
            Duration::from_millis(u64::try_from(config.step_ms.unwrap_or(200)).unwrap_or(0));
        let id = &config.thing_id;
        for step in 1..=steps {
            if config.fail_at_step == Some(step) {
                return Err(Diagnostics::from_error(
                    "Touch failed",
                    format!("{id}: step {step} failed: the thing refused to be touched"),
                ));
            }
            progress.report(format!("touching {id}: step {step} of {steps}"));
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = ctx.cancelled() => {
                    progress.report(format!("touching {id}: cancelled at step {step}, nothing recorded"));
                    return Err(Diagnostics::from_error(
                        "Touch cancelled",
                        format!("{id}: Terraform asked the provider to stop at step {step} of {steps}; the touch was not recorded."),
                    ));
                }
            }
        }
        let total = store
            .update(|c| {
                let count = c.touches.entry(id.clone()).or_insert(0);
                *count += 1;
                Ok(*count)
            })
            .await?;
        progress.report(format!("touched {id} ({total} touches so far)"));
        Ok(())
    }
}
