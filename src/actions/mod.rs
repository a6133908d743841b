//! Actions (Terraform 1.14+): operating DR, not only setting it up.
//!
//! - `dr_failover` moves the protected workgroups to their backup site, highest priority first;
//! - `dr_failback` brings them back;
//! - `dr_test` is a non-disruptive rehearsal: clones boot at the backup site and are cleaned up.
//!
//! All three are one [`operation::DrOperation`] over KSYS's `ksysmgr move` and `cleanup`
//! ([`crate::cloud::ksys`]): the plan checks what would make KSYS refuse (orchestrator not
//! active or not reachable, workgroups not discovered or on the wrong side), the invocation runs
//! the commands and streams every line they print, and Ctrl-C stops waiting without ever
//! interrupting a command (KSYS has no cancel).
//!
//! Layout: [`operation`] (the action), [`selection`] (`vm_ids` / `workgroups` to KSYS
//! workgroups), [`report`] (where the workgroups stand).

pub mod operation;
pub mod report;
pub mod selection;

use std::sync::Arc;

use tf_framework::action::DynAction;

use operation::{DrOperation, OperationKind};

/// Every action of the provider.
pub fn all() -> Vec<Arc<dyn DynAction>> {
    vec![
        Arc::new(DrOperation::new(OperationKind::Failover)),
        Arc::new(DrOperation::new(OperationKind::Failback)),
        Arc::new(DrOperation::new(OperationKind::Test)),
    ]
}
