//! Which KSYS workgroups an operation moves, from the action's `vm_ids` and `workgroups`.
//!
//! KSYS moves whole workgroups (`move workgroup`, or every workgroup of a site with `move
//! site`), so a selection is a set of workgroups: naming one VM brings in its workgroup, and
//! with it the workgroup's other VMs, which the caller reports. Every name must match something
//! the orchestrator manages, otherwise the plan stops with the list of what does exist.

use std::collections::BTreeSet;

use crate::cloud::ksys::parse::Workgroup;
use crate::support::orchestrator_access::Inventory;

/// A name in the configuration that matches nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectionProblem {
    /// `orchestrator_id`, `vm_ids` or `workgroups`.
    pub attribute: &'static str,
    pub index: usize,
    pub message: String,
}

/// The workgroups an operation covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// True when nothing was named: every workgroup (a whole-site move can do it in one).
    pub everything: bool,
    /// Workgroup names, highest priority first.
    pub workgroups: Vec<String>,
    /// VMs added because a named VM shares their workgroup: (added VM, workgroup).
    pub added_for_workgroups: Vec<(String, String)>,
    /// How many managed VMs the operation covers.
    pub vm_count: usize,
}

fn list_or_none(items: impl IntoIterator<Item = String>) -> String {
    let joined: Vec<String> = items.into_iter().collect();
    if joined.is_empty() {
        "none".to_string()
    } else {
        joined.join(", ")
    }
}

/// Highest priority first (High, Medium, Low, unknown), then by name.
pub fn in_priority_order<'a>(
    workgroups: impl IntoIterator<Item = &'a Workgroup>,
) -> Vec<&'a Workgroup> {
    let mut out: Vec<&Workgroup> = workgroups.into_iter().collect();
    out.sort_by(|a, b| {
        (a.priority.is_none(), a.priority, &a.name).cmp(&(
            b.priority.is_none(),
            b.priority,
            &b.name,
        ))
    });
    out
}

/// Resolves the selection against what the orchestrator manages.
pub fn select(
    inventory: &Inventory,
    vm_ids: Option<&[String]>,
    workgroups: Option<&[String]>,
) -> Result<Selection, Vec<SelectionProblem>> {
    let managed: Vec<_> = inventory.source_vms().collect();
    if managed.is_empty() || inventory.workgroups.is_empty() {
        return Err(vec![SelectionProblem {
            attribute: "orchestrator_id",
            index: 0,
            message:
                "The orchestrator manages no VMs, so there is nothing to move. Manage VMs with \
                      dr_managed_vm first."
                    .to_string(),
        }]);
    }
    let label = |name: &str| {
        managed
            .iter()
            .find(|vm| vm.name == name)
            .and_then(|vm| vm.uuid.as_deref())
            .map(|uuid| format!("{name} ({uuid})"))
            .unwrap_or_else(|| name.to_string())
    };
    let everything = vm_ids.is_none() && workgroups.is_none();
    let mut problems = Vec::new();
    let mut chosen: BTreeSet<&str> = BTreeSet::new();
    let mut named_vms: BTreeSet<&str> = BTreeSet::new();
    if everything {
        chosen.extend(inventory.workgroups.iter().map(|wg| wg.name.as_str()));
    }
    for (index, id) in vm_ids.unwrap_or_default().iter().enumerate() {
        let vm = managed
            .iter()
            .find(|vm| vm.uuid.as_deref() == Some(id.as_str()));
        match vm.and_then(|vm| inventory.workgroup_of(&vm.name).map(|wg| (vm, wg))) {
            Some((vm, wg)) => {
                chosen.insert(&wg.name);
                named_vms.insert(&vm.name);
            }
            None => problems.push(SelectionProblem {
                attribute: "vm_ids",
                index,
                message: format!(
                    "{id:?} is not managed by this orchestrator. Managed VMs: {}.",
                    list_or_none(managed.iter().map(|vm| label(&vm.name)))
                ),
            }),
        }
    }
    for (index, group) in workgroups.unwrap_or_default().iter().enumerate() {
        match inventory.workgroup(group) {
            Some(wg) => {
                chosen.insert(&wg.name);
                named_vms.extend(wg.vms.iter().map(String::as_str));
            }
            None => problems.push(SelectionProblem {
                attribute: "workgroups",
                index,
                message: format!(
                    "The orchestrator has no workgroup {group:?}. Workgroups: {}.",
                    list_or_none(inventory.workgroups.iter().map(|wg| wg.name.clone()))
                ),
            }),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let ordered = in_priority_order(
        inventory
            .workgroups
            .iter()
            .filter(|wg| chosen.contains(wg.name.as_str())),
    );
    let mut added = Vec::new();
    let mut vm_count = 0;
    for wg in &ordered {
        vm_count += wg.vms.len();
        if !everything {
            for vm in &wg.vms {
                if !named_vms.contains(vm.as_str()) {
                    added.push((label(vm), wg.name.clone()));
                }
            }
        }
    }
    Ok(Selection {
        everything,
        workgroups: ordered.iter().map(|wg| wg.name.clone()).collect(),
        added_for_workgroups: added,
        vm_count,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::cloud::ksys::parse;

    fn fleet() -> Inventory {
        let vm = |name: &str, uuid: &str| {
            format!(
                "Name:                {name}\nUUID:                {uuid}\nState:               READY_TO_MOVE\n\n"
            )
        };
        let wg = |name: &str, vms: &str, priority: &str| {
            format!(
                "Name:                {name}\nVMs:                 {vms}\nPriority:            {priority}\n\n"
            )
        };
        Inventory {
            vms: parse::vms(
                &[
                    vm("aix-1", "a"),
                    vm("aix-2", "b"),
                    vm("ibmi-1", "c"),
                    vm("rhel-1", "d"),
                ]
                .concat(),
            ),
            workgroups: parse::workgroups(
                &[
                    wg("erp", "aix-1, aix-2", "Medium"),
                    wg("ibmi-1_WG", "ibmi-1", "High"),
                    wg("web", "rhel-1", "Low"),
                ]
                .concat(),
            ),
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn nothing_named_means_every_workgroup_in_priority_order() {
        let s = select(&fleet(), None, None).unwrap();
        assert!(s.everything);
        assert_eq!(s.workgroups, strings(&["ibmi-1_WG", "erp", "web"]));
        assert_eq!(s.vm_count, 4);
        assert!(s.added_for_workgroups.is_empty());
    }

    #[test]
    fn a_vm_brings_its_whole_workgroup() {
        let s = select(&fleet(), Some(&strings(&["b", "c"])), None).unwrap();
        assert!(!s.everything);
        assert_eq!(s.workgroups, strings(&["ibmi-1_WG", "erp"]));
        assert_eq!(
            s.added_for_workgroups,
            vec![("aix-1 (a)".to_string(), "erp".to_string())]
        );
    }

    #[test]
    fn unknown_names_are_reported_with_what_exists() {
        let problems = select(
            &fleet(),
            Some(&strings(&["a", "zz"])),
            Some(&strings(&["db"])),
        )
        .err()
        .unwrap_or_default();
        assert_eq!(problems.len(), 2);
        assert_eq!((problems[0].attribute, problems[0].index), ("vm_ids", 1));
        assert!(problems[0].message.contains("\"zz\" is not managed"));
        assert!(problems[0].message.contains("aix-1 (a)"));
        assert_eq!(
            (problems[1].attribute, problems[1].index),
            ("workgroups", 0)
        );
        assert!(
            problems[1]
                .message
                .contains("Workgroups: erp, ibmi-1_WG, web.")
        );
    }

    #[test]
    fn an_empty_orchestrator_has_nothing_to_move() {
        let problems = select(&Inventory::default(), None, None)
            .err()
            .unwrap_or_default();
        assert!(problems[0].message.contains("manages no VMs"));
    }
}
