//! Unit tests of `dr_orchestrator`'s schema and offline validation.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test

use super::*;

#[test]
fn warning_only_above_100_vms_at_default_size() {
    assert!(managed_vm_warning(Some(101), Some(0.5), Some(4.0)).is_some());
    assert!(managed_vm_warning(Some(100), Some(0.5), Some(4.0)).is_none());
    assert!(managed_vm_warning(Some(150), Some(1.0), Some(4.0)).is_none());
    assert!(managed_vm_warning(Some(150), Some(0.5), Some(8.0)).is_none());
    assert!(managed_vm_warning(None, Some(0.5), Some(4.0)).is_none());
    let text = managed_vm_warning(Some(120), Some(0.5), Some(4.0)).unwrap();
    assert!(
        text.contains("120 VMs") && text.contains("cores and memory_gb"),
        "{text}"
    );
}
