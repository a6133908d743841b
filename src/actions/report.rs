//! What the CLI shows while an operation runs: one line per VM step, in recovery order.
//!
//! The API is polled, so the action compares each snapshot with the previous one and reports
//! only what changed ("high priority: aix-1 recovering"). Lines come in the order the
//! orchestrator works (high priority first, each workgroup together), which is also how a
//! reader checks that the order was respected.

use std::collections::BTreeMap;

use crate::cloud::operations::{Operation, OperationVm};

fn priority_rank(priority: Option<&str>) -> u8 {
    match priority.unwrap_or("").to_ascii_lowercase().as_str() {
        "high" => 0,
        "medium" => 1,
        "low" => 2,
        _ => 3,
    }
}

/// The VM's name when the API gives one, else its id.
pub fn vm_label(vm: &OperationVm) -> &str {
    match vm.vm_name.as_deref() {
        Some(name) if !name.is_empty() => name,
        _ => &vm.pvm_instance_id,
    }
}

/// The VMs in recovery order: priority, then workgroup, then name.
pub fn in_recovery_order(op: &Operation) -> Vec<&OperationVm> {
    let mut vms: Vec<&OperationVm> = op.vms.iter().collect();
    vms.sort_by(|a, b| {
        (
            priority_rank(a.priority.as_deref()),
            a.workgroup_name.as_deref().unwrap_or(""),
            vm_label(a),
        )
            .cmp(&(
                priority_rank(b.priority.as_deref()),
                b.workgroup_name.as_deref().unwrap_or(""),
                vm_label(b),
            ))
    });
    vms
}

/// `1m 35s`, `42s`, `1h 2m`.
pub fn duration_text(seconds: f64) -> String {
    let total = if seconds.is_finite() && seconds > 0.0 {
        seconds.round() as u64
    } else {
        0
    };
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s}s"),
        _ => format!("{h}h {m}m"),
    }
}

/// One line for a VM's current step.
pub fn vm_line(vm: &OperationVm) -> String {
    let priority = vm.priority.as_deref().unwrap_or("unknown");
    let mut line = format!("{priority} priority: {} {}", vm_label(vm), vm.status);
    if let Some(group) = vm.workgroup_name.as_deref().filter(|g| !g.is_empty()) {
        line.push_str(&format!(" [workgroup {group}]"));
    }
    if let Some(seconds) = vm.recovery_seconds {
        line.push_str(&format!(" (recovery time {})", duration_text(seconds)));
    }
    if let Some(message) = vm.message.as_deref().filter(|m| !m.is_empty()) {
        line.push_str(&format!(": {message}"));
    }
    line
}

/// Lines for every VM whose step changed since `previous` (all of them when there is none,
/// except those still pending: "pending" is not news).
pub fn changes(previous: Option<&Operation>, current: &Operation) -> Vec<String> {
    let before: BTreeMap<&str, (&str, Option<&str>)> = previous
        .map(|p| {
            p.vms
                .iter()
                .map(|vm| {
                    (
                        vm.pvm_instance_id.as_str(),
                        (vm.status.as_str(), vm.message.as_deref()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    in_recovery_order(current)
        .into_iter()
        .filter(|vm| match before.get(vm.pvm_instance_id.as_str()) {
            Some((status, message)) => {
                *status != vm.status.as_str() || *message != vm.message.as_deref()
            }
            None => !vm.status.eq_ignore_ascii_case("pending"),
        })
        .map(vm_line)
        .collect()
}

/// The recovery time of each VM of a finished DR test, slowest last, and the longest.
pub fn recovery_times(op: &Operation) -> Vec<String> {
    let mut lines: Vec<String> = in_recovery_order(op)
        .into_iter()
        .map(|vm| {
            let time = vm
                .recovery_seconds
                .map_or_else(|| "not measured".to_string(), duration_text);
            format!(
                "recovery time: {} ({} priority) {time}",
                vm_label(vm),
                vm.priority.as_deref().unwrap_or("unknown")
            )
        })
        .collect();
    let longest = op
        .vms
        .iter()
        .filter_map(|vm| vm.recovery_seconds)
        .fold(None::<f64>, |max, s| Some(max.map_or(s, |m| m.max(s))));
    if let Some(longest) = longest {
        lines.push(format!(
            "longest recovery time: {} over {} VM(s)",
            duration_text(longest),
            op.vms.len()
        ));
    }
    lines
}

/// The VMs that failed, with the API's messages, for an error's detail.
pub fn failed_vms(op: &Operation) -> Vec<String> {
    in_recovery_order(op)
        .into_iter()
        .filter(|vm| vm.status.eq_ignore_ascii_case("failed"))
        .map(vm_line)
        .collect()
}

/// The VMs of an operation by name, in recovery order: "a, b and c".
pub fn vm_names(op: &Operation) -> String {
    let names: Vec<&str> = in_recovery_order(op).into_iter().map(vm_label).collect();
    match names.split_last() {
        None => "no VM".to_string(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Where each VM ended up, for the detail of an operation that ended unexpectedly.
pub fn final_states(op: &Operation) -> String {
    in_recovery_order(op)
        .into_iter()
        .map(|vm| format!("{} {}", vm_label(vm), vm.status))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(id: &str, priority: &str, status: &str) -> OperationVm {
        OperationVm {
            pvm_instance_id: id.into(),
            vm_name: Some(format!("vm-{id}")),
            priority: Some(priority.into()),
            status: status.into(),
            ..OperationVm::default()
        }
    }

    fn op(vms: Vec<OperationVm>) -> Operation {
        Operation {
            id: "op-1".into(),
            kind: "failover".into(),
            status: "running".into(),
            vms,
            ..Operation::default()
        }
    }

    #[test]
    fn only_changes_are_reported_high_priority_first() {
        let first = op(vec![
            vm("b", "low", "pending"),
            vm("a", "high", "recovering"),
        ]);
        assert_eq!(changes(None, &first), ["high priority: vm-a recovering"]);
        let mut second = first.clone();
        second.vms[0].status = "recovering".into();
        second.vms[1].status = "recovered".into();
        second.vms[1].recovery_seconds = Some(95.0);
        assert_eq!(
            changes(Some(&first), &second),
            [
                "high priority: vm-a recovered (recovery time 1m 35s)",
                "low priority: vm-b recovering"
            ]
        );
        assert!(changes(Some(&second), &second).is_empty());
    }

    #[test]
    fn messages_workgroups_and_failures_are_shown() {
        let mut failed = vm("a", "medium", "failed");
        failed.workgroup_name = Some("erp".into());
        failed.message = Some("boot disk not replicated".into());
        let o = op(vec![failed, vm("b", "high", "recovered")]);
        assert_eq!(
            failed_vms(&o),
            ["medium priority: vm-a failed [workgroup erp]: boot disk not replicated"]
        );
        assert_eq!(final_states(&o), "vm-b recovered, vm-a failed");
        assert_eq!(vm_names(&o), "vm-b and vm-a");
        assert_eq!(vm_names(&op(vec![vm("x", "low", "done")])), "vm-x");
    }

    #[test]
    fn recovery_times_per_vm_and_longest() {
        let mut a = vm("a", "high", "done");
        a.recovery_seconds = Some(42.0);
        let mut b = vm("b", "low", "done");
        b.recovery_seconds = Some(3700.0);
        let lines = recovery_times(&op(vec![b, a]));
        assert_eq!(
            lines,
            [
                "recovery time: vm-a (high priority) 42s",
                "recovery time: vm-b (low priority) 1h 1m",
                "longest recovery time: 1h 1m over 2 VM(s)"
            ]
        );
    }
}
