//! What the CLI shows about a KSYS move: where each workgroup stands, and the rehearsal VMs a
//! DR test brought up.

use crate::cloud::ksys::parse::Workgroup;
use crate::support::orchestrator_access::Inventory;

/// `erp (High): active at us-east (ws-wdc07), READY_TO_MOVE`.
pub fn workgroup_line(wg: &Workgroup) -> String {
    format!(
        "{} ({}): active at {} ({}), {}{}",
        wg.name,
        wg.priority.map(|p| p.ksys()).unwrap_or("no priority"),
        wg.active_site.as_deref().unwrap_or("an unknown site"),
        wg.active_workspace
            .as_deref()
            .unwrap_or("unknown workspace"),
        wg.state.as_deref().unwrap_or("state unknown"),
        match wg.dr_test_state.as_deref() {
            Some(s) if s != "INIT" => format!(", DR test {s}"),
            _ => String::new(),
        }
    )
}

/// One line per selected workgroup, as KSYS shows it now.
pub fn where_they_stand(inventory: &Inventory, workgroups: &[String]) -> Vec<String> {
    workgroups
        .iter()
        .map(|name| match inventory.workgroup(name) {
            Some(wg) => workgroup_line(wg),
            None => format!("{name}: no longer listed by KSYS"),
        })
        .collect()
}

/// The rehearsal VMs of the selected workgroups: `app01_Rehearsal of app01: ACTIVE, SHUTOFF`.
pub fn rehearsals(inventory: &Inventory, workgroups: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    for name in workgroups {
        let Some(wg) = inventory.workgroup(name) else {
            continue;
        };
        for vm in &wg.vms {
            let rehearsal = inventory.vms.iter().find(|v| {
                v.source_vm.as_deref() == Some(vm.as_str()) || v.name == format!("{vm}_Rehearsal")
            });
            lines.push(match rehearsal {
                Some(r) => format!(
                    "rehearsal VM {} of {vm} (workgroup {name}): DR test state {}{}",
                    r.name,
                    r.dr_test_state.as_deref().unwrap_or("unknown"),
                    r.status
                        .as_deref()
                        .map(|s| format!(", power {s}"))
                        .unwrap_or_default()
                ),
                None => format!("{vm} (workgroup {name}): no rehearsal VM listed"),
            });
        }
    }
    lines
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::cloud::ksys::parse;

    #[test]
    fn lines_say_where_each_workgroup_runs() {
        let inventory = Inventory {
            vms: parse::vms(
                "Name:                app01\nUUID:                u\n\nName:                app01_Rehearsal\nState:               INIT\nDr Test State:       ACTIVE\nSourceVM:            app01\nStatus:              ACTIVE\n",
            ),
            workgroups: parse::workgroups(
                "Name:                app01_WG\nVMs:                 app01\nState:               READY_TO_MOVE\nDr Test State:       ACTIVE\nPriority:            High\nActiveWorkspace:     ws-dal10\nActive Site:         us-south\n",
            ),
        };
        let names = vec!["app01_WG".to_string(), "gone_WG".to_string()];
        assert_eq!(
            where_they_stand(&inventory, &names),
            vec![
                "app01_WG (High): active at us-south (ws-dal10), READY_TO_MOVE, DR test ACTIVE",
                "gone_WG: no longer listed by KSYS",
            ]
        );
        assert_eq!(
            rehearsals(&inventory, &names),
            vec![
                "rehearsal VM app01_Rehearsal of app01 (workgroup app01_WG): DR test state ACTIVE, power ACTIVE"
            ]
        );
    }
}
