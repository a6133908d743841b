//! Which managed VMs an operation covers, from the action's `vm_ids` and `workgroups`.
//!
//! A workgroup is recovered together (its VMs depend on each other), so a selection never
//! splits one: naming one VM of a workgroup brings in the rest, and the caller says so. The
//! orchestrator's `Default_Workgroup` (where VMs without a workgroup land) is no such bond:
//! naming one ungrouped VM does not bring in every other ungrouped VM. Every
//! name must match something the orchestrator manages, otherwise the plan stops with the list
//! of what does exist, before anything moves.

use std::collections::BTreeSet;

use crate::cloud::orchestrator::ManagedVm;

/// Where the orchestrator puts VMs registered without a workgroup.
const DEFAULT_WORKGROUP: &str = "Default_Workgroup";

/// The workgroup that binds `vm` to others, if any.
fn bond(vm: &ManagedVm) -> Option<&str> {
    vm.workgroup_name
        .as_deref()
        .filter(|w| !w.is_empty() && !w.eq_ignore_ascii_case(DEFAULT_WORKGROUP))
}

/// A name in the configuration that matches nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectionProblem {
    /// `vm_ids` or `workgroups`.
    pub attribute: &'static str,
    pub index: usize,
    pub message: String,
}

/// The VMs an operation covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// `None`: every managed VM (the API's default when no subset is sent).
    pub vm_ids: Option<Vec<String>>,
    /// VMs added because a selected VM shares their workgroup: (added VM, workgroup).
    pub added_for_workgroups: Vec<(String, String)>,
    /// How many VMs the operation covers.
    pub count: usize,
}

fn label(vm: &ManagedVm) -> String {
    match vm.vm_name.as_deref() {
        Some(name) if !name.is_empty() => format!("{name} ({})", vm.pvm_instance_id),
        _ => vm.pvm_instance_id.clone(),
    }
}

fn list_or_none(items: impl IntoIterator<Item = String>) -> String {
    let joined: Vec<String> = items.into_iter().collect();
    if joined.is_empty() {
        "none".to_string()
    } else {
        joined.join(", ")
    }
}

/// Resolves the selection against the orchestrator's managed VMs.
pub fn select(
    managed: &[ManagedVm],
    vm_ids: Option<&[String]>,
    workgroups: Option<&[String]>,
) -> Result<Selection, Vec<SelectionProblem>> {
    let mut problems = Vec::new();
    if managed.is_empty() {
        problems.push(SelectionProblem {
            attribute: "orchestrator_id",
            index: 0,
            message:
                "The orchestrator manages no VMs, so there is nothing to recover. Register VMs \
                      with dr_managed_vm first."
                    .to_string(),
        });
        return Err(problems);
    }
    if vm_ids.is_none() && workgroups.is_none() {
        return Ok(Selection {
            vm_ids: None,
            added_for_workgroups: Vec::new(),
            count: managed.len(),
        });
    }
    let mut chosen: BTreeSet<&str> = BTreeSet::new();
    for (index, id) in vm_ids.unwrap_or_default().iter().enumerate() {
        if managed.iter().any(|vm| &vm.pvm_instance_id == id) {
            chosen.insert(id);
        } else {
            problems.push(SelectionProblem {
                attribute: "vm_ids",
                index,
                message: format!(
                    "{id:?} is not managed by this orchestrator. Managed VMs: {}.",
                    list_or_none(managed.iter().map(label))
                ),
            });
        }
    }
    let known_groups: BTreeSet<&str> = managed
        .iter()
        .filter_map(|vm| vm.workgroup_name.as_deref())
        .filter(|w| !w.is_empty())
        .collect();
    for (index, group) in workgroups.unwrap_or_default().iter().enumerate() {
        let members: Vec<&ManagedVm> = managed
            .iter()
            .filter(|vm| vm.workgroup_name.as_deref() == Some(group.as_str()))
            .collect();
        if members.is_empty() {
            problems.push(SelectionProblem {
                attribute: "workgroups",
                index,
                message: format!(
                    "No managed VM is in workgroup {group:?}. Workgroups: {}.",
                    list_or_none(known_groups.iter().map(|g| g.to_string()))
                ),
            });
        }
        chosen.extend(members.iter().map(|vm| vm.pvm_instance_id.as_str()));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Complete every workgroup a chosen VM belongs to.
    let groups_of_chosen: BTreeSet<&str> = managed
        .iter()
        .filter(|vm| chosen.contains(vm.pvm_instance_id.as_str()))
        .filter_map(bond)
        .collect();
    let mut added = Vec::new();
    for vm in managed {
        let Some(group) = bond(vm) else {
            continue;
        };
        if groups_of_chosen.contains(group) && !chosen.contains(vm.pvm_instance_id.as_str()) {
            added.push((label(vm), group.to_string()));
        }
    }
    let ids: Vec<String> = managed
        .iter()
        .filter(|vm| {
            chosen.contains(vm.pvm_instance_id.as_str())
                || bond(vm).is_some_and(|g| groups_of_chosen.contains(g))
        })
        .map(|vm| vm.pvm_instance_id.clone())
        .collect();
    Ok(Selection {
        count: ids.len(),
        vm_ids: Some(ids),
        added_for_workgroups: added,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(id: &str, name: &str, group: Option<&str>) -> ManagedVm {
        ManagedVm {
            pvm_instance_id: id.into(),
            vm_name: Some(name.into()),
            workgroup_name: group.map(Into::into),
            priority: Some("high".into()),
            ..ManagedVm::default()
        }
    }

    fn fleet() -> Vec<ManagedVm> {
        vec![
            vm("a", "aix-1", Some("erp")),
            vm("b", "aix-2", Some("erp")),
            vm("c", "ibmi-1", None),
            vm("d", "rhel-1", Some("web")),
            vm("e", "rhel-2", Some("Default_Workgroup")),
            vm("f", "rhel-3", Some("Default_Workgroup")),
        ]
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn nothing_named_means_every_vm() {
        let s = select(&fleet(), None, None).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(s.vm_ids, None);
        assert_eq!(s.count, 6);
    }

    #[test]
    fn a_vm_brings_its_whole_workgroup() {
        let s =
            select(&fleet(), Some(&strings(&["b", "c"])), None).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(s.vm_ids, Some(strings(&["a", "b", "c"])));
        assert_eq!(
            s.added_for_workgroups,
            vec![("aix-1 (a)".to_string(), "erp".to_string())]
        );
    }

    #[test]
    fn the_default_workgroup_binds_nothing() {
        let s = select(&fleet(), Some(&strings(&["e"])), None).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(s.vm_ids, Some(strings(&["e"])));
        let s = select(&fleet(), None, Some(&strings(&["Default_Workgroup"])))
            .unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(s.vm_ids, Some(strings(&["e", "f"])));
    }

    #[test]
    fn workgroups_and_vms_combine() {
        let s = select(&fleet(), Some(&strings(&["c"])), Some(&strings(&["web"])))
            .unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(s.vm_ids, Some(strings(&["c", "d"])));
        assert!(s.added_for_workgroups.is_empty());
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
                .contains("Workgroups: Default_Workgroup, erp, web.")
        );
    }

    #[test]
    fn an_empty_orchestrator_has_nothing_to_recover() {
        let problems = select(&[], None, None).err().unwrap_or_default();
        assert!(problems[0].message.contains("manages no VMs"));
    }
}
