//! Reading `ksysmgr query` output as IBM prints it.
//!
//! KSYS prints one block of `Label:   value` lines per object, blocks separated by a blank
//! line. The padding differs between releases (value at column 22, 30, 36, or after one space),
//! multi-item values are either joined with `, ` or continue on indented lines, and some
//! examples list objects back to back with no blank line. So a line is split at its first `:`
//! and trimmed, an indented line continues the previous value, and a second `Name:` starts a
//! new object even without a blank line. Labels are matched without regard to case or
//! spacing (`HomeWorkSpace` and `HomeWorkspace`, `Dr Test State`).

use std::collections::BTreeMap;

/// One object of a query: its labels (normalised) in order, with their values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    fields: Vec<(String, String)>,
}

/// `Dr Test State` -> `drteststate`: how labels are compared.
fn normalise(label: &str) -> String {
    label
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

impl Record {
    /// The value of `label`, if the object has it and it is not empty.
    pub fn get(&self, label: &str) -> Option<&str> {
        let key = normalise(label);
        self.fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn string(&self, label: &str) -> Option<String> {
        self.get(label).map(str::to_string)
    }

    /// A `, `-joined list (empty when absent).
    pub fn list(&self, label: &str) -> Vec<String> {
        self.get(label)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn number(&self, label: &str) -> Option<f64> {
        self.get(label).and_then(|v| {
            v.trim_matches('\'')
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
        })
    }

    /// `yes`/`no`.
    pub fn flag(&self, label: &str) -> Option<bool> {
        match self.get(label)?.to_ascii_lowercase().as_str() {
            "yes" | "true" => Some(true),
            "no" | "false" => Some(false),
            _ => None,
        }
    }

    fn push(&mut self, label: &str, value: &str) {
        self.fields
            .push((normalise(label), value.trim().to_string()));
    }

    fn continue_last(&mut self, more: &str) {
        if let Some((_, value)) = self.fields.last_mut() {
            if !value.is_empty() {
                value.push_str(", ");
            }
            value.push_str(more.trim());
        }
    }

    fn has(&self, label: &str) -> bool {
        let key = normalise(label);
        self.fields.iter().any(|(k, _)| *k == key)
    }
}

/// Every object in `text`. Lines without a label (a trailing `Note:` is a label too) that do
/// not continue a value are ignored, as are objects without a `Name`.
pub fn records(text: &str) -> Vec<Record> {
    let mut out = Vec::new();
    let mut current = Record::default();
    let flush = |current: &mut Record, out: &mut Vec<Record>| {
        let record = std::mem::take(current);
        if record.has("name") {
            out.push(record);
        }
    };
    for raw in text.lines() {
        let line = raw.trim_end();
        if line.trim().is_empty() {
            flush(&mut current, &mut out);
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            current.continue_last(line);
            continue;
        }
        let Some((label, value)) = line.split_once(':') else {
            continue;
        };
        if normalise(label) == "name" && current.has("name") {
            flush(&mut current, &mut out);
        }
        current.push(label, value);
    }
    flush(&mut current, &mut out);
    out
}

/// A workgroup's recovery priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    High,
    Medium,
    Low,
}

impl Priority {
    /// From the provider's `high|medium|low` or KSYS's `High|Medium|Low`.
    pub fn parse(text: &str) -> Option<Priority> {
        match text.trim().to_ascii_lowercase().as_str() {
            "high" => Some(Priority::High),
            "medium" => Some(Priority::Medium),
            "low" => Some(Priority::Low),
            _ => None,
        }
    }

    /// As KSYS spells it in `modify workgroup ... priority=`.
    pub fn ksys(self) -> &'static str {
        match self {
            Priority::High => "High",
            Priority::Medium => "Medium",
            Priority::Low => "Low",
        }
    }

    /// As the provider's schema spells it.
    pub fn terraform(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }
}

/// One VM of `query vm`: a managed VM, its `_BackUp` partner or a `_Rehearsal` clone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KsysVm {
    pub name: String,
    pub uuid: Option<String>,
    /// `INIT`, `READY_TO_MOVE`, `DISCOVERED`, ...
    pub state: Option<String>,
    pub dr_test_state: Option<String>,
    /// Power state: `ACTIVE` or `SHUTOFF`.
    pub status: Option<String>,
    pub partner: Option<String>,
    pub source_vm: Option<String>,
    pub clone_vm: Option<String>,
    pub active_vm: Option<bool>,
    pub ip_addresses: Vec<String>,
    pub memory_gb: Option<f64>,
    pub processors: Option<f64>,
    pub workspace: Option<String>,
    pub networks: Vec<String>,
    pub system_type: Option<String>,
}

impl KsysVm {
    fn from_record(r: &Record) -> Option<KsysVm> {
        Some(KsysVm {
            name: r.string("Name")?,
            uuid: r.string("UUID"),
            state: r.string("State"),
            dr_test_state: r.string("Dr Test State"),
            status: r.string("Status"),
            partner: r.string("Partner"),
            source_vm: r.string("SourceVM"),
            clone_vm: r.string("CloneVM"),
            active_vm: r.flag("ActiveVM"),
            ip_addresses: r.list("IPAddresses"),
            memory_gb: r.number("memory_capacity"),
            processors: r.number("Processors"),
            workspace: r.string("WorkSpace"),
            networks: r.list("Networks"),
            system_type: r.string("SystemType"),
        })
    }

    /// A managed workload VM, not a backup or rehearsal VM KSYS made for one.
    pub fn is_source(&self) -> bool {
        self.source_vm.is_none()
            && !self.name.ends_with("_BackUp")
            && !self.name.ends_with("_Rehearsal")
    }

    /// Discovered: its backup exists and it can be moved.
    pub fn is_ready(&self) -> bool {
        self.state.as_deref() == Some("READY_TO_MOVE")
    }
}

/// One workgroup of `query workgroup`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workgroup {
    pub name: String,
    pub id: Option<String>,
    pub vms: Vec<String>,
    pub partner_vms: Vec<String>,
    pub state: Option<String>,
    pub dr_test_state: Option<String>,
    pub priority: Option<Priority>,
    pub home_workspace: Option<String>,
    pub backup_workspace: Option<String>,
    pub active_workspace: Option<String>,
    pub home_site: Option<String>,
    pub active_site: Option<String>,
    pub cg_name: Option<String>,
}

impl Workgroup {
    fn from_record(r: &Record) -> Option<Workgroup> {
        Some(Workgroup {
            name: r.string("Name")?,
            id: r.string("ID"),
            vms: r.list("VMs"),
            partner_vms: r.list("PartnerVM"),
            state: r.string("State"),
            dr_test_state: r.string("Dr Test State"),
            priority: r.get("Priority").and_then(Priority::parse),
            home_workspace: r.string("HomeWorkSpace"),
            backup_workspace: r.string("BackupWorkSpace"),
            active_workspace: r.string("ActiveWorkspace"),
            home_site: r.string("Home Site"),
            active_site: r.string("Active Site"),
            cg_name: r.string("CGName"),
        })
    }

    pub fn is_ready(&self) -> bool {
        self.state.as_deref() == Some("READY_TO_MOVE")
    }

    /// A move of it failed half-way; a new move completes it (an assumption: IBM documents no
    /// state after a failed move, the emulator calls it `MOVE_FAILED`).
    pub fn move_failed(&self) -> bool {
        self.state.as_deref() == Some("MOVE_FAILED")
    }

    /// Running at its home site (no failover in effect).
    pub fn is_home(&self) -> bool {
        match (&self.active_site, &self.home_site) {
            (Some(active), Some(home)) => active == home,
            _ => self.active_workspace == self.home_workspace,
        }
    }

    /// A DR test (rehearsal) is running: its clones exist.
    pub fn in_dr_test(&self) -> bool {
        matches!(
            self.dr_test_state.as_deref(),
            Some("ACTIVE") | Some("ACTIVE_COMPLETED")
        )
    }
}

/// One site of `query site`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Site {
    pub name: String,
    pub region: Option<String>,
    pub workspaces: Vec<String>,
    pub active_workgroups: Vec<String>,
}

impl Site {
    fn from_record(r: &Record) -> Option<Site> {
        Some(Site {
            name: r.string("Name")?,
            region: r.string("Region"),
            workspaces: r.list("Workspaces"),
            active_workgroups: r.list("ActiveWorkgroups"),
        })
    }
}

/// A node of the KSYS cluster (`Ksysnodes: host:1:Online`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    pub host: String,
    pub state: Option<String>,
}

/// `query ksyscluster`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cluster {
    pub name: String,
    pub state: Option<String>,
    pub nodes: Vec<ClusterNode>,
}

impl Cluster {
    fn from_record(r: &Record) -> Option<Cluster> {
        Some(Cluster {
            name: r.string("Name")?,
            state: r.string("State"),
            nodes: r
                .list("Ksysnodes")
                .iter()
                .map(|node| {
                    let mut parts = node.split(':');
                    ClusterNode {
                        host: parts.next().unwrap_or_default().to_string(),
                        state: parts.nth(1).map(str::to_string),
                    }
                })
                .filter(|n| !n.host.is_empty())
                .collect(),
        })
    }
}

pub fn vms(text: &str) -> Vec<KsysVm> {
    records(text)
        .iter()
        .filter_map(KsysVm::from_record)
        .collect()
}

pub fn workgroups(text: &str) -> Vec<Workgroup> {
    records(text)
        .iter()
        .filter_map(Workgroup::from_record)
        .collect()
}

pub fn sites(text: &str) -> Vec<Site> {
    records(text).iter().filter_map(Site::from_record).collect()
}

pub fn cluster(text: &str) -> Option<Cluster> {
    records(text).iter().find_map(Cluster::from_record)
}

/// The partner regions `add site` names: `Note: <region> partner GRS Region(s) <r2>[, <r3>]`.
pub fn partner_regions(add_site_output: &str) -> Vec<String> {
    add_site_output
        .lines()
        .filter_map(|line| {
            let (_, rest) = line.split_once("partner GRS Region(s)")?;
            Some(
                rest.split([',', ' '])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect()
}

/// The `ERROR:` lines of a failed command (KSYS's own words), else its last output line.
pub fn error_message(stdout: &str, stderr: &str) -> String {
    let errors: Vec<&str> = stderr
        .lines()
        .chain(stdout.lines())
        .map(str::trim)
        .filter(|l| l.starts_with("ERROR"))
        .collect();
    if !errors.is_empty() {
        return errors.join(" ");
    }
    stderr
        .lines()
        .chain(stdout.lines())
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("no output")
        .to_string()
}

/// Managed VMs by name, with the workgroup each belongs to.
pub fn workgroup_of_vm(workgroups: &[Workgroup]) -> BTreeMap<&str, &Workgroup> {
    workgroups
        .iter()
        .flat_map(|wg| wg.vms.iter().map(move |vm| (vm.as_str(), wg)))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    // The shapes below are IBM's documented examples (values replaced).
    const QUERY_VM: &str = "\
Name:                app01
UUID:                10e2c468-65e9-4746-8fb8-1a18c8a50516
State:               READY_TO_MOVE
Dr Test State:       INIT
Status:              ACTIVE
Partner:             app01_BackUp
ActiveVM:            yes
IPAddresses:         10.51.0.12
memory_capacity:     4
Processors:          0.5
ProcessorMode:       shared
WorkSpace:           ws_dal10
Networks:            mgmt_net
SystemType:          s922

Name:                app01_BackUp
State:               DISCOVERED
Status:              SHUTOFF
Partner:             app01
ActiveVM:            no
WorkSpace:           ws_wdc07
";

    #[test]
    fn vms_are_read_with_padding_and_blank_lines() {
        let vms = vms(QUERY_VM);
        assert_eq!(vms.len(), 2);
        let app = &vms[0];
        assert_eq!(app.name, "app01");
        assert_eq!(
            app.uuid.as_deref(),
            Some("10e2c468-65e9-4746-8fb8-1a18c8a50516")
        );
        assert!(app.is_ready() && app.is_source());
        assert_eq!(app.dr_test_state.as_deref(), Some("INIT"));
        assert_eq!(app.active_vm, Some(true));
        assert_eq!(app.memory_gb, Some(4.0));
        assert_eq!(app.processors, Some(0.5));
        assert_eq!(app.workspace.as_deref(), Some("ws_dal10"));
        assert!(!vms[1].is_source());
        assert_eq!(vms[1].active_vm, Some(false));
    }

    #[test]
    fn one_space_form_and_continuation_lines_are_read() {
        let text = "Name: User_test\nUUID: 1234\nState: INIT\nStatus: ACTIVE\nIPAddresses: 10.160.0.64\n   10.160.0.65\n";
        let vms = vms(text);
        assert_eq!(vms.len(), 1);
        assert_eq!(vms[0].state.as_deref(), Some("INIT"));
        assert_eq!(vms[0].ip_addresses, vec!["10.160.0.64", "10.160.0.65"]);
    }

    #[test]
    fn workgroups_with_either_spelling() {
        let text = "\
Name:                vmrm_vm1_WG
ID:                  1
VMs:                 vmrm_vm1, vmrm_vm2
PartnerVM:           vmrm_vm1_BackUp
State:               READY_TO_MOVE
Dr Test State:       INIT
Priority:            Medium
SkipAutoResync:      OFF
HomeWorkspace:       vmrm-dal12
BackupWorkspace:     powervs-dr-wdc06
ActiveWorkspace:     vmrm-dal12
Home Site:           site1
Active Site:         site1
Networks:            dal12-network01 <-> dal12-network01
CGName:              rccg-33fd-209b3
";
        let wgs = workgroups(text);
        assert_eq!(wgs.len(), 1);
        let wg = &wgs[0];
        assert_eq!(wg.vms, vec!["vmrm_vm1", "vmrm_vm2"]);
        assert_eq!(wg.priority, Some(Priority::Medium));
        assert_eq!(wg.home_workspace.as_deref(), Some("vmrm-dal12"));
        assert_eq!(wg.backup_workspace.as_deref(), Some("powervs-dr-wdc06"));
        assert!(wg.is_ready() && wg.is_home() && !wg.in_dr_test());
        let by_vm = workgroup_of_vm(&wgs);
        assert_eq!(by_vm["vmrm_vm2"].name, "vmrm_vm1_WG");
    }

    #[test]
    fn sites_back_to_back_and_the_note_line() {
        let text = "\
Name: us-east
Region: us-east
Workspaces: VMRM-wdc
ActiveWorkgroups: vmrm_dev_02_WG, vmrm_dev_03_WG
Name: us-south
Region: us-south
Workspaces: VMRM-dal, other
ActiveWorkgroups:
Note: Active indicates the site where a WorkGroup's VMs are running. The same WorkGroup cannot be active on both sites, but others can be.
";
        let sites = sites(text);
        assert_eq!(sites.len(), 2);
        assert_eq!(
            sites[0].active_workgroups,
            vec!["vmrm_dev_02_WG", "vmrm_dev_03_WG"]
        );
        assert_eq!(sites[1].workspaces, vec!["VMRM-dal", "other"]);
        assert!(sites[1].active_workgroups.is_empty());
    }

    #[test]
    fn cluster_nodes_and_partner_regions() {
        let c = cluster(
            "Name:                dr-prod\nState:               Online\nType:                IBM_PVS_DR\nKsysnodes:           dr-prod-orchestrator:1:Online, dr-prod-standby:2:Online\n",
        )
        .unwrap();
        assert_eq!(c.nodes.len(), 2);
        assert_eq!(c.nodes[1].host, "dr-prod-standby");
        assert_eq!(c.nodes[1].state.as_deref(), Some("Online"));
        assert_eq!(
            partner_regions(
                "Site us-south added successfully\nNote: us-south partner GRS Region(s) us-east\n"
            ),
            vec!["us-east"]
        );
    }

    #[test]
    fn error_lines_are_ksys_own_words() {
        assert_eq!(
            error_message("", "ERROR: VM x not found.\n"),
            "ERROR: VM x not found."
        );
        assert_eq!(error_message("a\nlast line\n", ""), "last line");
    }
}
