//! Actions (Terraform 1.14+): operating DR, not only setting it up.
//!
//! - `dr_failover` moves the protected VMs to the DR site, high priority first, each
//!   workgroup together;
//! - `dr_failback` brings them back;
//! - `dr_test` is a non-disruptive drill: copies are recovered into an isolated network,
//!   checked to boot, cleaned up, and the recovery time of each VM is reported.
//!
//! All three are one [`operation::DrOperation`] over the project's operations API
//! ([`crate::cloud::operations`]): the plan checks what would make the operation fail at once
//! (orchestrator not active, standby missing, another operation running, the VMs not where
//! the operation expects them), the invocation starts it and streams each VM's steps, and
//! Ctrl-C cancels it and waits until the orchestrator has put everything back.
//!
//! Layout: [`operation`] (the action), [`selection`] (`vm_ids` / `workgroups` to VMs),
//! [`report`] (progress lines).

pub mod operation;
pub mod report;
pub mod selection;

use std::sync::Arc;

use tf_framework::action::DynAction;

use crate::cloud::operations::OperationKind;
use operation::DrOperation;

/// Every action of the provider.
pub fn all() -> Vec<Arc<dyn DynAction>> {
    vec![
        Arc::new(DrOperation::new(OperationKind::Failover)),
        Arc::new(DrOperation::new(OperationKind::Failback)),
        Arc::new(DrOperation::new(OperationKind::Test)),
    ]
}
