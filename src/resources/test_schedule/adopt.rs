//! Adopting existing DR test schedules as `dr_test_schedule`s: their identity (orchestrator id
//! and schedule id, the tag of the crontab entry) and import by it.

use serde::{Deserialize, Serialize};
use tf_framework::diag::Diagnostics;
use tf_framework::identity::{IdentityAttribute, IdentityData, IdentitySchema};

use super::{ScheduleState, TYPE_NAME, composite_id};
use crate::resources::adoption::identity_attribute;

/// The identity of a `dr_test_schedule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleIdentity {
    pub orchestrator_id: Option<String>,
    pub schedule_id: Option<String>,
}

pub fn identity_schema() -> IdentitySchema {
    IdentitySchema::new()
        .attribute(
            IdentityAttribute::string("orchestrator_id")
                .required_for_import()
                .description("The `id` of the `dr_orchestrator` whose LPAR runs the tests."),
        )
        .attribute(
            IdentityAttribute::string("schedule_id")
                .required_for_import()
                .description(
                    "The tag of the schedule's crontab entry (`sched-` and 8 hex digits).",
                ),
        )
}

pub fn identity(state: &ScheduleState) -> Result<IdentityData, Diagnostics> {
    IdentityData::new(&ScheduleIdentity {
        orchestrator_id: Some(state.orchestrator_id.clone()),
        schedule_id: state.schedule_id.clone(),
    })
}

/// The import id (`<orchestrator_id>/<schedule_id>`) an identity names.
pub fn import_id(identity: &IdentityData) -> Result<String, Diagnostics> {
    let wanted: ScheduleIdentity = identity.get()?;
    let orchestrator = identity_attribute(wanted.orchestrator_id, TYPE_NAME, "orchestrator_id")?;
    let schedule = identity_attribute(wanted.schedule_id, TYPE_NAME, "schedule_id")?;
    Ok(composite_id(&orchestrator, &schedule))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    #[test]
    fn the_identity_is_orchestrator_and_schedule() {
        assert_eq!(identity_schema().check(), Ok(()));
        let state = ScheduleState {
            orchestrator_id: "o".into(),
            schedule_id: Some("sched-0000beef".into()),
            ..ScheduleState::default()
        };
        let id = identity(&state).unwrap();
        assert_eq!(
            id.as_json(),
            &serde_json::json!({"orchestrator_id": "o", "schedule_id": "sched-0000beef"})
        );
        assert_eq!(import_id(&id).unwrap(), "o/sched-0000beef");
    }
}
