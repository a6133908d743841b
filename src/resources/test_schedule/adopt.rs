//! Adopting existing DR test schedules as `dr_test_schedule`s: their identity (orchestrator id
//! and schedule id, the tag of the crontab entry) and import by it.

use tf_framework::diag::Diagnostics;
use tf_framework::identity::{IdentityBinding, IdentityData, IdentitySchema};

use super::{ScheduleState, TYPE_NAME};
use crate::resources::adoption::KeyIdentity;

/// The identity of a `dr_test_schedule`: its orchestrator and the tag of its crontab entry.
const IDENTITY: KeyIdentity = KeyIdentity {
    type_name: TYPE_NAME,
    parts: &[
        (
            "orchestrator_id",
            "The `id` of the `dr_orchestrator` whose LPAR runs the tests.",
        ),
        (
            "schedule_id",
            "The tag of the schedule's crontab entry (`sched-` and 8 hex digits).",
        ),
    ],
};

/// Import by identity goes through `import` with the id the identity names.
pub const IDENTITY_BINDING: IdentityBinding<ScheduleState> = IdentityBinding {
    schema: identity_schema,
    of: identity,
    import_id,
};

pub fn identity_schema() -> IdentitySchema {
    IDENTITY.schema()
}

pub fn identity(state: &ScheduleState) -> Result<IdentityData, Diagnostics> {
    IDENTITY.of(&[Some(&state.orchestrator_id), state.schedule_id.as_deref()])
}

/// The import id (`<orchestrator_id>/<schedule_id>`) an identity names.
pub fn import_id(identity: &IdentityData) -> Result<String, Diagnostics> {
    IDENTITY.import_id(identity)
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
