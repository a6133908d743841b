//! Adopting existing DR test schedules as `dr_test_schedule`s: their identity (orchestrator id
//! and schedule id, the tag of the crontab entry) and import by it.

use tf_framework::identity::IdentityBinding;

use super::{ScheduleState, TYPE_NAME};
use crate::resources::adoption::{KeyIdentity, KeyedState, key_binding};

/// The identity of a `dr_test_schedule`: its orchestrator and the tag of its crontab entry.
impl KeyedState for ScheduleState {
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

    fn key(&self) -> Vec<Option<&str>> {
        vec![Some(&self.orchestrator_id), self.schedule_id.as_deref()]
    }
}

/// Import by identity: the import id is `<orchestrator_id>/<schedule_id>`.
pub const IDENTITY_BINDING: IdentityBinding<ScheduleState> = key_binding();
