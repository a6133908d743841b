//! ksysmgr on the emulated orchestrator, driven over SSH as a provider or a user's script
//! would: sites, the whole life of managed VMs with IBM's literal outputs, exit codes of
//! each error class, moves (planned, unplanned, DR test and cleanup) seen through ksysmgr,
//! `/_sim/state` and PowerVS, what DR Automation's published API shows, limits, scheduled
//! tests in root's crontab, and a query of 1,000 managed VMs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::dr::{Deployment, Dr};
use common::ssh::{self, Checker, Run};
use dr_cloudsim::SimConfig;
use russh::client::Handle;
use serde_json::{Value, json};

/// The line with every `HH:MM:SS` stamp replaced by `HH:MM:SS`.
fn shape(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let stamp = i + 8 <= chars.len()
            && chars[i..i + 8].iter().enumerate().all(|(k, c)| {
                if k == 2 || k == 5 {
                    *c == ':'
                } else {
                    c.is_ascii_digit()
                }
            });
        if stamp {
            out.push_str("HH:MM:SS");
            i += 8;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn shapes(run: &Run) -> Vec<String> {
    run.lines.iter().map(|l| shape(l)).collect()
}

/// Every stamp in the output, in order, never goes back.
fn stamps_rise(run: &Run) {
    let stamps: Vec<&str> = run
        .lines
        .iter()
        .filter_map(|l| {
            let t = l.trim_start();
            (shape(&t[..t.len().min(8)]) == "HH:MM:SS").then(|| &t[..8])
        })
        .collect();
    // Midnight rolls the clock over; only compare stamps within one run of minutes.
    for pair in stamps.windows(2) {
        assert!(pair[0] <= pair[1] || pair[0] > "23:00:00", "{pair:?}");
    }
}

fn ok(run: &Run) {
    assert_eq!(
        run.code,
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
}

fn fails(run: &Run, code: u32, message: &str) {
    assert_eq!(
        run.code,
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(run.stderr, format!("ERROR: {message}\n"));
}

struct Env {
    dr: Dr,
    d: Deployment,
    _jump: Handle<Checker>,
    host: Handle<Checker>,
}

impl Env {
    async fn new(dr: Dr, name: &str) -> Env {
        let d = dr.deploy(name, false).await;
        let (jump, host) = dr.root(&d.primary).await;
        Env {
            dr,
            d,
            _jump: jump,
            host,
        }
    }

    async fn k(&self, args: &str) -> Run {
        self.dr.ksysmgr(&self.host, args).await
    }

    async fn sites(&self) {
        ok(&self.k("-f add site us-south region=us-south").await);
        ok(&self.k("-f add site us-east region=us-east").await);
    }

    async fn ksys(&self, collection: &str) -> Vec<Value> {
        self.dr.collection("ksys", collection).await
    }

    async fn status(&self, vm: &str) -> String {
        self.dr.pvm(vm).await["status"]
            .as_str()
            .unwrap_or("gone")
            .to_owned()
    }
}

fn vm_block(vm: &Value, state: &str, partner: &str, active: &str, workspace: &str) -> Vec<String> {
    let ips: Vec<&str> = common::texts(&vm["networks"], "ipAddress");
    let nets: Vec<&str> = common::texts(&vm["networks"], "networkName");
    let num = |v: &Value| {
        let f = v.as_f64().unwrap();
        if f.fract() == 0.0 {
            format!("{f:.0}")
        } else {
            format!("{f}")
        }
    };
    vec![
        format!(
            "Name:                {}",
            vm["serverName"].as_str().unwrap()
        ),
        format!(
            "UUID:                {}",
            vm["pvmInstanceID"].as_str().unwrap()
        ),
        format!("State:               {state}"),
        "Dr Test State:       INIT".to_owned(),
        format!("Status:              {}", vm["status"].as_str().unwrap()),
        format!("Partner:             {partner}"),
        format!("ActiveVM:            {active}"),
        format!("IPAddresses:         {}", ips.join(", ")),
        format!("memory_capacity:     {}", num(&vm["memory"])),
        format!("Processors:          {}", num(&vm["processors"])),
        format!("ProcessorMode:       {}", vm["procType"].as_str().unwrap()),
        format!("WorkSpace:           {workspace}"),
        format!("Networks:            {}", nets.join(", ")),
        format!("SystemType:          {}", vm["sysType"].as_str().unwrap()),
    ]
}

#[tokio::test]
async fn sites_manage_discover_query_and_unmanage_with_literal_outputs() {
    let e = Env::new(Dr::fast().await, "dr-life").await;

    let run = e.k("add site us-south region=us-south").await;
    ok(&run);
    let mut expected = vec![
        "Waiting for update of Workspaces ...".to_owned(),
        "Update of Workspaces are successful".to_owned(),
    ];
    for ws in [
        "overlap-dal13-power-workspace",
        "slz-dal10-power-workspace",
        "slz-dal12-power-workspace",
    ] {
        for what in ["VMs", "Networks", "Host", "Host Group"] {
            expected.push(format!("Refresh {what} list of {ws} workspace started"));
            expected.push(format!("Refresh {what} list of {ws} workspace completed"));
        }
    }
    expected.push("Site us-south added successfully".into());
    expected.push("Note: us-south partner GRS Region(s) us-east".into());
    assert_eq!(run.lines, expected);
    fails(
        &e.k("add site us-south region=us-south").await,
        1,
        "Site us-south already exists.",
    );
    fails(
        &e.k("add site other region=us-south").await,
        1,
        "Region us-south already belongs to site us-south.",
    );
    fails(
        &e.k("add site mars region=mars-1").await,
        4,
        "Region mars-1 is not a valid IBM Cloud region.",
    );
    fails(
        &e.k("add site us-east").await,
        3,
        "Attribute region is required.",
    );
    // Without the backup site there is no target for dal10's VMs yet.
    fails(
        &e.k("manage vm aix-app-01").await,
        3,
        "No target workspace for workspace slz-dal10-power-workspace; pair it (ksysmgr pair workspace) or pass target_workspace=.",
    );
    ok(&e.k("add site us-east region=us-east").await);
    let run = e.k("query site").await;
    assert_eq!(
        run.lines,
        vec![
            "Name:                us-south",
            "Region:              us-south",
            "Workspaces:          overlap-dal13-power-workspace, slz-dal10-power-workspace, slz-dal12-power-workspace",
            "ActiveWorkgroups:",
            "",
            "Name:                us-east",
            "Region:              us-east",
            "Workspaces:          slz-wdc07-power-workspace",
            "ActiveWorkgroups:",
            "Note: Active indicates the site where a WorkGroup's VMs are running. The same WorkGroup cannot be active on both sites, but others can be.",
        ]
    );
    let run = e.k("query workspace slz-dal10-power-workspace").await;
    assert!(
        run.lines
            .contains(&"Default_Partner:     slz-wdc07-power-workspace".to_owned()),
        "{}",
        run.stdout
    );

    // manage: a new workgroup, then a second VM joining it, then the default workgroup.
    let run = e.k("manage vm aix-app-01 workgroup=erp").await;
    ok(&run);
    let mut expected: Vec<String> = ["VMs", "Networks", "Host", "Host Group"]
        .iter()
        .flat_map(|w| {
            [
                format!("Refresh {w} list of slz-dal10-power-workspace workspace started"),
                format!("Refresh {w} list of slz-dal10-power-workspace workspace completed"),
            ]
        })
        .collect();
    expected.push("VM aix-app-01 was successfully managed.".into());
    expected.push("Workgroup erp added successfully".into());
    assert_eq!(run.lines, expected);
    let run = e.k("manage vm ibmi-db-01 workgroup=erp").await;
    ok(&run);
    assert_eq!(
        run.lines.last().unwrap(),
        "VM ibmi-db-01 added to Workgroup erp successfully"
    );
    let rhel = e.dr.vm_id("rhel-web-01").await;
    let run = e.k(&format!("manage vm vmuuid={rhel}")).await;
    ok(&run);
    assert_eq!(
        run.lines.last().unwrap(),
        "Workgroup rhel-web-01_WG added successfully"
    );

    // Exit codes of each error class.
    fails(
        &e.k("manage vm aix-app-01").await,
        1,
        "VM aix-app-01 is already managed.",
    );
    fails(
        &e.k("manage vm no-such-vm").await,
        2,
        "VM no-such-vm not found.",
    );
    fails(
        &e.k("manage vm").await,
        3,
        "A VM name or vmuuid is required.",
    );
    fails(
        &e.k("manage vm sles-util-01").await,
        4,
        "VM sles-util-01 runs SLES15-SP5; only AIX, IBM i and RHEL are supported.",
    );
    fails(
        &e.k("manage vm \"aix app\"").await,
        4,
        "Name \"aix app\" contains a space; KSYS resource names cannot contain spaces.",
    );
    fails(
        &e.k("manage vm dr-life-orchestrator").await,
        4,
        "VM dr-life-orchestrator is a KSYS node and cannot be managed.",
    );
    fails(
        &e.k("manage vm aix-dr-test-01 bogus=1").await,
        4,
        "Unknown attribute bogus for manage vm.",
    );
    fails(
        &e.k("manage vm aix-dr-test-01 workgroup=erp").await,
        4,
        "Workgroup erp belongs to workspace slz-dal10-power-workspace.",
    );
    fails(&e.k("query vm nope").await, 2, "VM nope not found.");
    fails(
        &e.k("query workgroup nope").await,
        2,
        "Workgroup nope not found.",
    );
    fails(
        &e.k("frob vm").await,
        4,
        "Unknown action \"frob\". Run \"ksysmgr -h\" for the list of actions.",
    );
    fails(
        &e.k("delete ksyscluster x").await,
        4,
        "delete ksyscluster is not supported in this KSYS environment.",
    );
    fails(
        &e.k("move site from=us-south").await,
        3,
        "Attribute to is required.",
    );
    fails(
        &e.k("move site from=us-south to=mars").await,
        2,
        "Site mars not found.",
    );
    fails(
        &e.k("move site from=us-south to=us-east dr_test=yes dr_type=planned")
            .await,
        4,
        "dr_type cannot be used with dr_test=yes.",
    );
    fails(
        &e.k("-f move workgroup erp to=us-east").await,
        1,
        "Workgroup erp is not in READY_TO_MOVE state (current state INIT).",
    );
    ok(&e.k("-h").await);
    ok(&e.k("help ksyscluster").await);

    // Aliases and case work interactively.
    let run = e.k("Q VM aix-app-01").await;
    ok(&run);
    let aix = e.dr.pvm("aix-app-01").await;
    assert_eq!(
        run.lines,
        vm_block(&aix, "INIT", "no", "yes", "slz-dal10-power-workspace")
    );

    // modify workgroup.
    let run = e.k("modify workgroup erp priority=high").await;
    assert_eq!(
        run.stdout,
        "For Workgroup erp attribute(s) Priority was successfully modified.\n"
    );
    let run = e.k("modify workgroup erp priority=High").await;
    assert_eq!(
        run.stdout,
        "INFO: Attribute priority is already set to the specified value\n"
    );
    ok(&run);
    fails(
        &e.k("modify workgroup erp priority=urgent").await,
        4,
        "Invalid value urgent for attribute priority. Valid values: Low, Medium, High.",
    );
    fails(
        &e.k("modify workgroup nope priority=Low").await,
        2,
        "Workgroup nope not found.",
    );
    fails(
        &e.k("modify workgroup erp").await,
        3,
        "At least one attribute is required: priority, SkipAutoResync.",
    );

    // discover workgroup: IBM's lines, both VMs in parallel, backups created in wdc07.
    let run = e.k("discover workgroup erp").await;
    ok(&run);
    stamps_rise(&run);
    let got = shapes(&run);
    assert_eq!(
        got[0],
        "HH:MM:SS  Running discovery on Workgroup erp, this may take a few minutes..."
    );
    assert_eq!(
        got[1],
        "        HH:MM:SS  Discovery has started for Workgroup erp"
    );
    for vm in ["aix-app-01", "ibmi-db-01"] {
        for line in [
            format!("        HH:MM:SS  Discovery has started for VM {vm}"),
            format!("        HH:MM:SS  Discovery for VM {vm} is complete"),
            format!("        HH:MM:SS  Replication enablement for volumes has started for VM {vm}"),
            format!(
                "        HH:MM:SS  Replication enablement for volumes has completed for VM {vm}"
            ),
            format!("        HH:MM:SS  Backup VM creation has started for VM {vm}"),
            format!("        HH:MM:SS  Network Configuration has completed for VM {vm}"),
            format!("        HH:MM:SS  Backup VM {vm}_BackUp creation has completed"),
            format!(
                "        HH:MM:SS  Backup VM configuration update has started for VM {vm}_BackUp"
            ),
            format!(
                "        HH:MM:SS  Backup VM configuration update has completed for VM {vm}_BackUp"
            ),
        ] {
            assert!(got.contains(&line), "missing {line:?} in\n{}", run.stdout);
        }
    }
    let tail: Vec<&str> = got[got.len() - 4..].iter().map(String::as_str).collect();
    assert_eq!(
        tail,
        vec![
            "        HH:MM:SS  Discovery for Workgroup erp is complete",
            "        HH:MM:SS  Replication is going on in background. Please use \"ksysmgr query Workgroup <wgname> status monitor=yes \" to track the progress of the operation.",
            "HH:MM:SS  Discovery has finished for erp",
            "2 out of 2 managed VMs have been successfully discovered",
        ]
    );
    let backup = e.dr.pvm("aix-app-01_BackUp").await;
    assert_eq!(backup["status"], "SHUTOFF");
    assert_eq!(backup["processors"], 0.25);
    assert_eq!(backup["memory"], 2.0);
    let wdc07 = e.dr.workspace("slz-wdc07-power-workspace").await;
    assert!(
        backup["crn"]
            .as_str()
            .unwrap()
            .contains(wdc07["id"].as_str().unwrap())
    );

    let run = e.k("query vm aix-app-01 aix-app-01_BackUp").await;
    ok(&run);
    let aix = e.dr.pvm("aix-app-01").await;
    let mut expected = vm_block(
        &aix,
        "READY_TO_MOVE",
        "aix-app-01_BackUp",
        "yes",
        "slz-dal10-power-workspace",
    );
    expected.push(String::new());
    let mut b = vm_block(
        &backup,
        "DISCOVERED",
        "aix-app-01",
        "no",
        "slz-wdc07-power-workspace",
    );
    b.retain(|l| !l.starts_with("ProcessorMode:"));
    expected.extend(b);
    assert_eq!(run.lines, expected);
    let run = e.k("query workgroup erp").await;
    let wg = e
        .ksys("workgroups")
        .await
        .into_iter()
        .find(|w| w["name"] == "erp")
        .unwrap();
    let cg = wg["cg_name"].as_str().unwrap();
    assert!(cg.starts_with("rccg-") && cg.len() == "rccg-xxxx-xxxxx".len());
    assert_eq!(
        run.lines,
        vec![
            "Name:                erp".to_owned(),
            format!("ID:                  {}", wg["id"].as_str().unwrap()),
            "VMs:                 aix-app-01, ibmi-db-01".into(),
            "PartnerVM:           aix-app-01_BackUp, ibmi-db-01_BackUp".into(),
            "State:               READY_TO_MOVE".into(),
            "Dr Test State:       INIT".into(),
            "Priority:            High".into(),
            "SkipAutoResync:      OFF".into(),
            "HomeWorkSpace:       slz-dal10-power-workspace".into(),
            "BackupWorkSpace:     slz-wdc07-power-workspace".into(),
            "ActiveWorkspace:     slz-dal10-power-workspace".into(),
            "Home Site:           us-south".into(),
            "Active Site:         us-south".into(),
            "Networks:            mgmt_net <-> mgmt_net, bkp_net <-> bkp_net".into(),
            format!("CGName:              {cg}"),
        ]
    );
    // state=manage lists managed VMs with their backups; state=unmanage the others.
    let run = e.k("query vm state=manage").await;
    let names: Vec<&str> = run
        .lines
        .iter()
        .filter_map(|l| l.strip_prefix("Name:                "))
        .collect();
    assert_eq!(
        names,
        vec![
            "aix-app-01",
            "aix-app-01_BackUp",
            "ibmi-db-01",
            "ibmi-db-01_BackUp",
            "rhel-web-01"
        ]
    );
    let run = e.k("-a name,state query vm state=unmanage").await;
    assert!(
        run.lines
            .contains(&"Name:                sles-util-01".to_owned()),
        "{}",
        run.stdout
    );
    assert!(
        run.lines
            .contains(&"State:               UNMANAGED".to_owned())
    );
    assert!(!run.stdout.contains("dr-life-orchestrator") && !run.stdout.contains("Status:"));

    // DR Automation's published API follows KSYS.
    let (status, body) =
        e.dr.get(&format!("/dra/drautomation/v1/dr_managed_vms/{}", e.d.guid))
            .await;
    assert_eq!(status, 200);
    let list = body["managed_vm_list"].as_object().unwrap();
    assert_eq!(list.len(), 3);
    let aix_id = aix["pvmInstanceID"].as_str().unwrap();
    assert_eq!(list[aix_id]["workgroup_name"], "erp");
    assert_eq!(list[aix_id]["dr_region"], "wdc07");
    assert_eq!(list[aix_id]["region"], "dal10");
    assert_eq!(list[aix_id]["dr_average_time"], "7");
    let (_, summary) =
        e.dr.get(&format!("/dra/drautomation/v1/dr_summary/{}", e.d.guid))
            .await;
    assert_eq!(summary["managed_vm_list"].as_object().unwrap().len(), 3);
    let (_, pairs) =
        e.dr.get(&format!(
            "/dra/drautomation/v1/dr_grs_location_pairs/{}",
            e.d.guid
        ))
        .await;
    assert_eq!(pairs["location_pairs"]["dal10"], "wdc07");
    let metrics = common::get_text(&format!("{}/metrics", e.dr.sim.url())).await;
    assert!(
        metrics.contains(&format!(
            "ibm_power_dr_automation_managed_vm_count{{ibm_service_instance=\"{}\",ibm_service_instance_name=\"dr-life\"}} 3",
            e.d.guid
        )),
        "{metrics}"
    );
    let (_, events) =
        e.dr.get(&format!(
            "/dra/drautomation/v1/service_instances/{}/events",
            e.d.guid
        ))
        .await;
    let messages = common::texts(&events["events"], "message");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("'aix-app-01' is now managed by DR in workgroup erp")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("Discovery of workgroup erp: 2 out of 2"))
    );

    // unmanage: one VM leaves the workgroup, then the last one takes the workgroup along.
    let run = e.k("unmanage vm ibmi-db-01").await;
    ok(&run);
    assert_eq!(
        shapes(&run),
        vec![
            "HH:MM:SS Unmanage vm has started, this may take a few minutes...",
            "HH:MM:SS Removal of VM ibmi-db-01 from erp Workgroup has completed",
            "VM ibmi-db-01 was successfully unmanaged",
        ]
    );
    let run = e.k(&format!("unmanage vm vmuuid={aix_id}")).await;
    ok(&run);
    assert_eq!(
        shapes(&run),
        vec![
            "HH:MM:SS Unmanage vm has started, this may take a few minutes...",
            "HH:MM:SS erp Workgroup stop VG has started",
            "HH:MM:SS erp Workgroup stop VG has completed",
            "HH:MM:SS Removal of VG disks from erp Workgroup has started",
            "HH:MM:SS Removal of VG disks from erp Workgroup has completed",
            "HH:MM:SS Workgroup erp was removed",
            "VM aix-app-01 was successfully unmanaged",
        ]
    );
    assert_eq!(
        e.status("aix-app-01_BackUp").await,
        "gone",
        "the backup VM is deleted"
    );
    assert_eq!(
        e.status("aix-app-01").await,
        "ACTIVE",
        "the VM itself stays"
    );
    fails(
        &e.k("unmanage vm aix-app-01").await,
        2,
        "VM aix-app-01 is not managed.",
    );
    fails(
        &e.k("query workgroup erp").await,
        2,
        "Workgroup erp not found.",
    );
    let names: Vec<String> = e
        .ksys("vms")
        .await
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, vec!["rhel-web-01"]);
    fails(
        &e.k("delete site us-east").await,
        1,
        "Deleting Site us-east is not allowed when workspace(s) vms are in managed state, unmanage following vms before deleting the site.\nrhel-web-01",
    );
    e.dr.sim.shutdown().await;
}

#[tokio::test]
async fn failover_failback_unplanned_moves_and_a_dr_test_with_cleanup() {
    let e = Env::new(Dr::fast().await, "dr-move").await;
    e.sites().await;
    ok(&e.k("manage vm aix-app-01 workgroup=erp").await);
    ok(&e.k("manage vm ibmi-db-01 workgroup=erp").await);
    ok(&e.k("manage vm rhel-web-01").await);
    ok(&e.k("modify workgroup erp priority=High").await);
    ok(&e.k("modify workgroup rhel-web-01_WG priority=Low").await);
    let run = e.k("discover site us-south").await;
    ok(&run);
    assert_eq!(
        shape(&run.lines[0]),
        "HH:MM:SS  Running discovery on entire site, this may take a few minutes..."
    );
    assert_eq!(
        shape(&run.lines[run.lines.len() - 2]),
        "HH:MM:SS  Discovery has finished for us-south"
    );
    assert_eq!(
        run.lines.last().unwrap(),
        "3 out of 3 managed VMs have been successfully discovered"
    );

    // Planned failover of the whole site: High first, the partners boot in wdc07.
    let run = e.k("-f move site from=us-south to=us-east").await;
    ok(&run);
    stamps_rise(&run);
    let got = shapes(&run);
    assert_eq!(
        got[0],
        "HH:MM:SS   Site move started for us-south to us-east, this may take a few minutes..."
    );
    assert_eq!(
        got.last().unwrap(),
        "Site move completed for Site us-south to us-east"
    );
    let erp_at = got
        .iter()
        .position(|l| l.contains("Workgroup move started for erp"))
        .unwrap();
    let rhel_at = got
        .iter()
        .position(|l| l.contains("Workgroup move started for rhel-web-01_WG"))
        .unwrap();
    assert!(erp_at < rhel_at, "priority order");
    for line in [
        "HH:MM:SS   Workgroup move started for erp to us-east, this may take a few minutes...",
        "HH:MM:SS    move has started for Workgroup erp",
        "HH:MM:SS    Shutdown has started for VM aix-app-01",
        "HH:MM:SS    Shutdown has completed for VM aix-app-01",
        "HH:MM:SS    VG reversal has started for Workgroup erp",
        "HH:MM:SS    VG reversal has completed for Workgroup erp",
        "HH:MM:SS   Boot up on us-east Site has started for VM aix-app-01_BackUp",
        "HH:MM:SS   Boot up on us-east Site has completed for VM aix-app-01_BackUp",
        "HH:MM:SS    move has completed for Workgroup erp",
        "Workgroup move completed for Workgroup erp to us-east",
    ] {
        assert!(
            got.contains(&line.to_owned()),
            "missing {line:?}\n{}",
            run.stdout
        );
    }
    for vm in ["aix-app-01", "ibmi-db-01", "rhel-web-01"] {
        assert_eq!(e.status(vm).await, "SHUTOFF", "{vm}");
        assert_eq!(
            e.status(&format!("{vm}_BackUp")).await,
            "ACTIVE",
            "{vm}_BackUp"
        );
    }
    let run = e
        .k("-a name,activeworkspace,active_site,state query workgroup erp")
        .await;
    assert_eq!(
        run.lines,
        vec![
            "Name:                erp",
            "State:               READY_TO_MOVE",
            "ActiveWorkspace:     slz-wdc07-power-workspace",
            "Active Site:         us-east",
        ]
    );
    let run = e
        .k("-a name,status,activevm query vm aix-app-01 aix-app-01_BackUp")
        .await;
    assert_eq!(
        run.lines,
        vec![
            "Name:                aix-app-01",
            "Status:              SHUTOFF",
            "ActiveVM:            no",
            "",
            "Name:                aix-app-01_BackUp",
            "Status:              ACTIVE",
            "ActiveVM:            yes",
        ]
    );
    let run = e.k("-a name,activeworkgroups query site us-east").await;
    assert_eq!(run.lines[1], "ActiveWorkgroups:    erp, rhel-web-01_WG");
    let wgs = e.ksys("workgroups").await;
    assert!(
        wgs.iter()
            .all(|w| w["active_site"] == "us-east" && w["state"] == "READY_TO_MOVE")
    );
    fails(
        &e.k("-f move workgroup erp to=us-east").await,
        1,
        "Workgroup erp is already active at site us-east.",
    );

    // Failback, planned.
    ok(&e
        .k("-f move site from=us-east to=us-south dr_type=planned")
        .await);
    for vm in ["aix-app-01", "ibmi-db-01", "rhel-web-01"] {
        assert_eq!(e.status(vm).await, "ACTIVE", "{vm}");
        assert_eq!(e.status(&format!("{vm}_BackUp")).await, "SHUTOFF");
    }
    // An unplanned move only attempts the shutdown.
    let run = e
        .k("-f move workgroup rhel-web-01_WG to=us-east dr_type=unplanned")
        .await;
    ok(&run);
    assert!(
        shapes(&run)
            .contains(&"HH:MM:SS    Shutdown has been attempted for VM rhel-web-01".to_owned())
    );
    assert_eq!(e.status("rhel-web-01_BackUp").await, "ACTIVE");
    ok(&e.k("-f move workgroup rhel-web-01_WG to=us-south").await);

    // A DR test prompts without -f; EOF aborts and nothing starts.
    let run = e.k("move workgroup erp to=us-east dr_test=yes").await;
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.lines,
        vec![
            "You are initiating a failover rehearsal across sites",
            "",
            "Do you wish to proceed? [y/n]",
            "Operation aborted.",
        ]
    );
    assert_eq!(e.status("aix-app-01_Rehearsal").await, "gone");
    // Answering y starts it.
    let run = ssh::exec(
        &e.host,
        "ksysmgr move workgroup rhel-web-01_WG to=us-east dr_test=yes",
        Some("y\n"),
    )
    .await;
    ok(&run);
    assert_eq!(e.status("rhel-web-01_Rehearsal").await, "ACTIVE");
    ok(&e.k("-f cleanup workgroup rhel-web-01_WG dr_test=yes").await);

    // Site DR test: rehearsal VMs boot in wdc07, production keeps running.
    let run = e
        .k("-f move site from=us-south to=us-east dr_test=yes")
        .await;
    ok(&run);
    let got = shapes(&run);
    assert_eq!(
        got[0],
        "HH:MM:SS   Site dr_test move started for us-south to us-east, this may take a few minutes..."
    );
    assert_eq!(
        got.last().unwrap(),
        "Site dr_test move completed for Site us-south to us-east"
    );
    for line in [
        "HH:MM:SS   Workgroup dr_test move started for erp to us-east, this may take a few minutes...",
        "HH:MM:SS    dr_test move has started for Workgroup erp",
        "HH:MM:SS    Rehearsal VM creation has started for VM aix-app-01",
        "HH:MM:SS    Rehearsal VM aix-app-01_Rehearsal creation has completed",
        "HH:MM:SS    VM Volumes clone with consistency has started for aix-app-01_BackUp",
        "HH:MM:SS    VM Volumes clone with consistency has completed for aix-app-01_BackUp",
        "HH:MM:SS    Network Configuration has started for VM aix-app-01_Rehearsal",
        "HH:MM:SS    Network Configuration has completed for VM aix-app-01_Rehearsal",
        "HH:MM:SS    Volumes attachment has started for VM aix-app-01_Rehearsal",
        "HH:MM:SS    Volumes attachment has completed for VM aix-app-01_Rehearsal",
        "HH:MM:SS   Boot up on us-east Site has started for VM aix-app-01_Rehearsal",
        "HH:MM:SS   Boot up on us-east Site has completed for VM aix-app-01_Rehearsal",
        "HH:MM:SS   dr_test move has completed for Workgroup erp",
        "Workgroup dr_test move completed for Workgroup erp to us-east",
    ] {
        assert!(
            got.contains(&line.to_owned()),
            "missing {line:?}\n{}",
            run.stdout
        );
    }
    for vm in ["aix-app-01", "ibmi-db-01", "rhel-web-01"] {
        assert_eq!(e.status(vm).await, "ACTIVE", "production untouched");
        assert_eq!(e.status(&format!("{vm}_Rehearsal")).await, "ACTIVE");
    }
    let rehearsal = e.dr.pvm("aix-app-01_Rehearsal").await;
    let wdc07 = e.dr.workspace("slz-wdc07-power-workspace").await;
    assert!(
        rehearsal["crn"]
            .as_str()
            .unwrap()
            .contains(wdc07["id"].as_str().unwrap())
    );
    assert_eq!(rehearsal["memory"], 16.0, "full size");
    let run = e.k("-a name,state,dr_test_state,sourcevm,activevm,clonevm query vm aix-app-01_Rehearsal aix-app-01").await;
    assert_eq!(
        run.lines,
        vec![
            "Name:                aix-app-01_Rehearsal",
            "State:               INIT",
            "Dr Test State:       ACTIVE",
            "SourceVM:            aix-app-01",
            "ActiveVM:            no",
            "",
            "Name:                aix-app-01",
            "State:               READY_TO_MOVE",
            "Dr Test State:       ACTIVE_COMPLETED",
            "ActiveVM:            yes",
            "CloneVM:             aix-app-01_Rehearsal",
        ]
    );
    let run = e.k("-a dr_test_state query workgroup erp").await;
    assert_eq!(run.lines, vec!["Dr Test State:       ACTIVE"]);
    fails(
        &e.k("-f move workgroup erp to=us-east dr_test=yes").await,
        1,
        "Workgroup erp is already in a DR test; clean it up first (ksysmgr cleanup workgroup erp dr_test=yes).",
    );
    fails(
        &e.k("-f cleanup site us-east").await,
        3,
        "Attribute dr_test=yes is required.",
    );

    let run = e.k("-f cleanup site us-east dr_test=yes").await;
    ok(&run);
    let got = shapes(&run);
    assert_eq!(
        got[0],
        "HH:MM:SS Site dr_test cleanup started for us-east, this may take a few minutes..."
    );
    assert_eq!(
        got.last().unwrap(),
        "HH:MM:SS Site dr_test cleanup has completed for Site us-east"
    );
    for line in [
        "HH:MM:SS Workgroup dr_test cleanup started for erp, this may take a few minutes...",
        "HH:MM:SS dr_test cleanup has started for Workgroup erp",
        "HH:MM:SS VM Volumes clone with consistency delete has started for VM aix-app-01_Rehearsal",
        "HH:MM:SS VM Volumes clone with consistency delete has completed for VM aix-app-01_Rehearsal",
        "HH:MM:SS VM Removal has started for VM aix-app-01_Rehearsal",
        "HH:MM:SS VM Removal has completed for VM aix-app-01_Rehearsal",
        "HH:MM:SS dr_test cleanup has completed for Workgroup erp",
    ] {
        assert!(
            got.contains(&line.to_owned()),
            "missing {line:?}\n{}",
            run.stdout
        );
    }
    for vm in ["aix-app-01", "ibmi-db-01", "rhel-web-01"] {
        assert_eq!(e.status(&format!("{vm}_Rehearsal")).await, "gone");
    }
    let run = e.k("-a state,dr_test_state query workgroup erp").await;
    assert_eq!(
        run.lines,
        vec![
            "State:               READY_TO_MOVE",
            "Dr Test State:       DRTESTCLEANUP_COMPLETED"
        ]
    );
    let run = e.k("-f cleanup workgroup erp dr_test=yes").await;
    assert_eq!(
        (run.stdout.as_str(), run.code),
        ("INFO: No dr_test resources to clean up for erp\n", Some(0))
    );

    // The operations are in /_sim/state and on the dashboard.
    let kinds: Vec<String> = e
        .ksys("operations")
        .await
        .iter()
        .map(|o| o["kind"].as_str().unwrap().to_owned())
        .collect();
    for kind in ["discover", "move", "dr_test", "cleanup"] {
        assert!(kinds.contains(&kind.to_owned()), "{kinds:?}");
    }
    e.dr.sim.shutdown().await;
}

#[tokio::test]
async fn parallel_unmanage_is_refused() {
    // Slow enough that the second unmanage certainly meets the first one running.
    let dr = Dr::start(SimConfig {
        time_scale: 60.0,
        ..SimConfig::default()
    })
    .await;
    let e = Env::new(dr, "dr-serial").await;
    e.sites().await;
    ok(&e.k("manage vm aix-app-01").await);
    ok(&e.k("manage vm rhel-web-01").await);
    let mut first = e.host.channel_open_session().await.unwrap();
    first
        .exec(true, "/opt/IBM/ksys/ksysmgr unmanage vm aix-app-01")
        .await
        .unwrap();
    // Wait for its first line: the unmanage is then running at the orchestrator.
    loop {
        match first.wait().await {
            Some(russh::ChannelMsg::Data { data })
                if String::from_utf8_lossy(&data).contains("Unmanage vm has started") =>
            {
                break;
            }
            Some(_) => {}
            None => panic!("the first unmanage ended early"),
        }
    }
    fails(
        &e.k("unmanage vm rhel-web-01").await,
        1,
        "Another unmanage operation is in progress. Parallel unmanage is not supported; retry after it completes.",
    );
    // A move needs the workgroup to itself.
    fails(
        &e.k("-f move workgroup aix-app-01_WG to=us-east").await,
        1,
        "Workgroup aix-app-01_WG has an operation in progress (unmanage); retry after it completes.",
    );
    let mut code = None;
    while let Some(msg) = first.wait().await {
        if let russh::ChannelMsg::ExitStatus { exit_status } = msg {
            code = Some(exit_status);
        }
    }
    assert_eq!(code, Some(0));
    ok(&e.k("unmanage vm rhel-web-01").await);
    e.dr.sim.shutdown().await;
}

/// A header and job line as `dr_test_schedule` writes them (see
/// `docs/guides/orchestrator-access.md`).
fn schedule(id: &str, patterns: &str, minutes: &str) -> String {
    format!(
        "# terraform-provider-dr dr_test_schedule={id} cron=\"*/15 * * * *\" time_zone=UTC last_result=- finished_at=-\n\
{minutes} * * * * t=$(TZ=UTC date +\\%M:\\%H:\\%d:\\%m:\\%w); case $t in {patterns}) if /opt/IBM/ksys/ksysmgr -f move site from=us-south to=us-east dr_test=yes && /opt/IBM/ksys/ksysmgr -f cleanup site us-east dr_test=yes; then r=succeeded; else r=failed; fi; crontab -l | sed \"/dr_test_schedule={id} cron=/s/last_result=[a-z-]* finished_at=[^ ]*/last_result=$r finished_at=$(date -u +\\%Y-\\%m-\\%dT\\%H:\\%M:\\%SZ)/\" | crontab -;; esac >/dev/null 2>&1 # terraform-provider-dr dr_test_schedule={id}\n"
    )
}

#[tokio::test]
async fn a_scheduled_dr_test_fires_from_roots_crontab() {
    let e = Env::new(Dr::fast().await, "dr-cron").await;
    e.sites().await;
    ok(&e.k("manage vm aix-app-01").await);
    ok(&e.k("discover workgroup aix-app-01_WG").await);
    let mine = schedule("sched-0a1b2c3d", "@(00|15|30|45):??:??:??:?", "0,15,30,45");
    let never = schedule("sched-99999999", "99:??:??:??:?", "0,15,30,45");
    let other = "# an operator's own entry\n30 1 * * * /usr/local/bin/backup.sh\n";
    let tab = format!("{other}{mine}{never}");
    ok(&ssh::exec(&e.host, "crontab -", Some(&tab)).await);
    assert_eq!(ssh::exec(&e.host, "crontab -l", None).await.stdout, tab);

    // Let cron look back half an hour instead of waiting for the next quarter.
    let half_hour_ago = dr_cloudsim::util::now_ms() - 30 * 60_000;
    e.dr.sim_patch(
        &format!("ksys/crontabs/{}", e.d.guid),
        json!({"_checked_until_ms": half_hour_ago}),
    )
    .await;
    let mut tabs = Vec::new();
    for _ in 0..1000 {
        tabs = e.ksys("crontabs").await;
        if tabs[0]["schedules"][0]["last_result"] != "-" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let schedules = tabs[0]["schedules"].as_array().unwrap();
    assert_eq!(schedules[0]["id"], "sched-0a1b2c3d");
    assert_eq!(schedules[0]["last_result"], "succeeded", "{tabs:?}");
    assert_eq!(schedules[1]["last_result"], "-", "its guard never matches");
    let listed = ssh::exec(&e.host, "crontab -l", None).await.stdout;
    let header = listed
        .lines()
        .find(|l| l.contains("dr_test_schedule=sched-0a1b2c3d cron="))
        .unwrap();
    let stamp = header.split("finished_at=").nth(1).unwrap();
    assert_eq!(stamp.len(), "2026-01-01T00:00:00Z".len(), "{header}");
    assert!(listed.starts_with(other), "other entries are kept");
    // The test ran and was cleaned up.
    let jobs = e.ksys("jobs").await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["exit_codes"], json!([0, 0]));
    let kinds: Vec<String> = e
        .ksys("operations")
        .await
        .iter()
        .map(|o| o["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        kinds.ends_with(&["dr_test".to_owned(), "cleanup".to_owned()]),
        "{kinds:?}"
    );
    assert_eq!(e.status("aix-app-01_Rehearsal").await, "gone");
    e.dr.sim.shutdown().await;
}

#[tokio::test]
async fn query_vm_of_1000_managed_vms() {
    // A /20 management network fits 1,000 VMs.
    let mut scenario = dr_cloudsim::Scenario::default();
    scenario.workspaces[0]
        .networks
        .push(dr_cloudsim::scenario::NetworkSpec {
            name: "big_net".into(),
            network_type: "vlan".into(),
            cidr: "10.80.0.0/20".into(),
            gateway: String::new(),
            dns_servers: vec!["127.0.0.1".into()],
        });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.json");
    std::fs::write(&path, serde_json::to_vec(&scenario).unwrap()).unwrap();
    let dr = Dr::start(SimConfig {
        time_scale: 2000.0,
        scenario: Some(path),
        ..SimConfig::default()
    })
    .await;
    let e = Env::new(dr, "dr-big").await;
    e.sites().await;
    let ws = e.dr.workspace("slz-dal10-power-workspace").await;
    let guid = ws["id"].as_str().unwrap();
    let net = e.dr.network(guid, "big_net").await;
    let image =
        e.dr.collection("power", "images")
            .await
            .into_iter()
            .find(|i| i["name"] == "7300-02-01" && i["crn"].as_str().unwrap().contains(guid))
            .unwrap();
    for batch in 0..50 {
        let (status, body) =
            e.dr.send(
                reqwest::Method::POST,
                &format!("/power/pcloud/v1/cloud-instances/{guid}/pvm-instances"),
                Some(json!({
                    "serverName": format!("bulk{batch:02}"), "imageID": image["imageID"],
                    "processors": 0.25, "procType": "shared", "memory": 2, "sysType": "s922",
                    "networks": [{"networkID": net}], "replicants": 20,
                })),
                ws["details"]["crn"].as_str(),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }
    let ids: Vec<String> =
        e.dr.collection("power", "pvm_instances")
            .await
            .iter()
            .filter(|v| v["serverName"].as_str().unwrap().starts_with("bulk"))
            .map(|v| v["pvmInstanceID"].as_str().unwrap().to_owned())
            .collect();
    assert_eq!(ids.len(), 1000);
    for chunk in ids.chunks(50) {
        let commands: Vec<String> = chunk
            .iter()
            .map(|id| format!("-f manage vm vmuuid={id} workgroup=bulk"))
            .collect();
        let runs =
            futures::future::join_all(commands.iter().map(|c| e.dr.ksysmgr(&e.host, c))).await;
        assert!(
            runs.iter().all(|r| r.code == Some(0)),
            "{:?}",
            runs.iter().find(|r| r.code != Some(0))
        );
    }
    let started = Instant::now();
    let run = e.dr.ksysmgr(&e.host, "query vm state=manage").await;
    let elapsed = started.elapsed();
    ok(&run);
    let names = run.lines.iter().filter(|l| l.starts_with("Name:")).count();
    assert_eq!(names, 1000);
    assert_eq!(run.lines.len(), 1000 * 14 + 999);
    eprintln!(
        "query vm state=manage with 1,000 managed VMs over SSH: {elapsed:?} ({} bytes)",
        run.stdout.len()
    );
    e.dr.sim.shutdown().await;
}

#[tokio::test]
async fn a_dropped_manage_took_effect_and_its_retry_adds_no_duplicate() {
    let e = Env::new(Dr::fast().await, "dr-retry").await;
    e.sites().await;
    let resp = common::plain_post(format!("{}/_sim/faults", e.dr.sim.url()), json!({"ssh_rules": [{"kind": "drop", "command_prefix": "/opt/IBM/ksys/ksysmgr -f manage", "count": 1}]})).await;
    assert!(resp.status().is_success());
    let run = e.k("-f manage vm aix-app-01 workgroup=erp").await;
    assert_eq!(
        run.code, None,
        "the connection dropped before the exit status"
    );
    // What a provider does on retry: look first, then adopt what is already managed.
    let (_jump, host) = e.dr.root(&e.d.primary).await;
    let run = e.dr.ksysmgr(&host, "query vm state=manage").await;
    ok(&run);
    let names: Vec<&str> = run
        .lines
        .iter()
        .filter_map(|l| l.strip_prefix("Name:                "))
        .collect();
    assert_eq!(names, vec!["aix-app-01"]);
    fails(
        &e.dr
            .ksysmgr(&host, "-f manage vm aix-app-01 workgroup=erp")
            .await,
        1,
        "VM aix-app-01 is already managed.",
    );
    assert_eq!(e.ksys("vms").await.len(), 1);
    assert_eq!(e.ksys("workgroups").await.len(), 1);

    // A long command whose channel drops keeps running at the orchestrator.
    let resp = common::plain_post(format!("{}/_sim/faults", e.dr.sim.url()), json!({"ssh_rules": [{"kind": "drop", "command_prefix": "/opt/IBM/ksys/ksysmgr discover", "after_lines": 1, "count": 1}]})).await;
    assert!(resp.status().is_success());
    let run = e.dr.ksysmgr(&host, "discover workgroup erp").await;
    assert_eq!((run.lines.len(), run.code), (1, None));
    let (_jump, host) = e.dr.root(&e.d.primary).await;
    let mut state = String::new();
    for _ in 0..1000 {
        state =
            e.dr.ksysmgr(&host, "-a state query workgroup erp")
                .await
                .stdout;
        if state.contains("READY_TO_MOVE") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state, "State:               READY_TO_MOVE\n");
    assert_eq!(e.status("aix-app-01_BackUp").await, "SHUTOFF");
    e.dr.sim.shutdown().await;
}

#[tokio::test]
async fn ksys_state_survives_a_restart_and_operations_resume() {
    let dir = tempfile::tempdir().unwrap();
    let config = SimConfig {
        time_scale: 2000.0,
        state_file: Some(dir.path().join("state.json")),
        ..SimConfig::default()
    };
    let e = Env::new(Dr::start(config.clone()).await, "dr-keep").await;
    e.sites().await;
    ok(&e.k("manage vm aix-app-01 workgroup=erp").await);
    ok(&e.k("modify workgroup erp priority=Low").await);
    let tab = "0 4 * * * /usr/bin/true\n";
    ok(&ssh::exec(&e.host, "crontab -", Some(tab)).await);
    // Start a discovery and stop the emulator while it runs.
    let mut channel = e.host.channel_open_session().await.unwrap();
    channel
        .exec(true, "/opt/IBM/ksys/ksysmgr discover workgroup erp")
        .await
        .unwrap();
    // Its first line means the command is stored (it was persisted before any output).
    while !matches!(
        channel.wait().await,
        Some(russh::ChannelMsg::Data { .. }) | None
    ) {}
    let d = e.d.clone();
    e.dr.sim.shutdown().await;

    let dr = Dr::start(config).await;
    let (_jump, host) = dr.root(&d.primary).await;
    assert_eq!(ssh::exec(&host, "crontab -l", None).await.stdout, tab);
    let mut run = Run::default();
    for _ in 0..1000 {
        run = dr
            .ksysmgr(&host, "-a name,state,priority query workgroup erp")
            .await;
        if run.stdout.contains("READY_TO_MOVE") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        run.lines,
        vec![
            "Name:                erp",
            "State:               READY_TO_MOVE",
            "Priority:            Low",
        ]
    );
    assert_eq!(dr.pvm("aix-app-01_BackUp").await["status"], "SHUTOFF");
    dr.sim.shutdown().await;
}

#[tokio::test]
async fn vms_of_one_workgroup_are_managed_and_discovered_in_parallel() {
    // Terraform creates resources in parallel: manage and discover of VMs sharing a
    // workgroup overlap, and the workgroup ends READY_TO_MOVE with every backup.
    let e = Env::new(Dr::fast().await, "dr-parallel").await;
    e.sites().await;
    let one = |vm: &'static str| {
        let e = &e;
        async move {
            let managed = e.k(&format!("-f manage vm {vm} workgroup=shared")).await;
            let discovered = e.k("-f discover workgroup shared").await;
            (managed, discovered)
        }
    };
    let runs =
        futures::future::join_all(["aix-app-01", "ibmi-db-01", "rhel-web-01"].map(one)).await;
    for (managed, discovered) in &runs {
        ok(managed);
        ok(discovered);
    }
    let mut state = String::new();
    for _ in 0..1000 {
        state = e
            .k("-a state,partnervm query workgroup shared")
            .await
            .stdout;
        if state.contains("READY_TO_MOVE") {
            break;
        }
        ok(&e.k("-f discover workgroup shared").await);
    }
    assert_eq!(
        state,
        "PartnerVM:           aix-app-01_BackUp, ibmi-db-01_BackUp, rhel-web-01_BackUp\nState:               READY_TO_MOVE\n"
    );
    e.dr.sim.shutdown().await;
}

#[tokio::test]
async fn a_failed_move_leaves_move_failed_and_a_retry_completes_it() {
    let e = Env::new(Dr::fast().await, "dr-fail").await;
    e.sites().await;
    ok(&e.k("-f manage vm rhel-web-01").await);
    ok(&e.k("-f discover workgroup rhel-web-01_WG").await);
    let id = e.dr.vm_id("rhel-web-01").await;
    e.dr.sim_patch(&format!("ksys/vms/{id}"), json!({"_fail_move": true}))
        .await;
    let run = e.k("-f move workgroup rhel-web-01_WG to=us-east").await;
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "ERROR: Boot up on us-east Site has failed for VM rhel-web-01_BackUp\nERROR: move has failed for Workgroup rhel-web-01_WG\n"
    );
    assert!(!run.stdout.contains("move has completed"));
    let run = e
        .k("-a state,active_site query workgroup rhel-web-01_WG")
        .await;
    assert_eq!(
        run.lines,
        vec![
            "State:               MOVE_FAILED",
            "Active Site:         us-south"
        ]
    );
    assert_eq!(e.status("rhel-web-01").await, "SHUTOFF");
    assert_eq!(e.status("rhel-web-01_BackUp").await, "SHUTOFF");
    fails(
        &e.k("-f move workgroup rhel-web-01_WG to=us-east dr_test=yes")
            .await,
        1,
        "Workgroup rhel-web-01_WG is not in READY_TO_MOVE state (current state MOVE_FAILED).",
    );
    // The failure was used up: trying again completes the move.
    ok(&e.k("-f move workgroup rhel-web-01_WG to=us-east").await);
    let run = e
        .k("-a state,active_site query workgroup rhel-web-01_WG")
        .await;
    assert_eq!(
        run.lines,
        vec![
            "State:               READY_TO_MOVE",
            "Active Site:         us-east"
        ]
    );
    assert_eq!(e.status("rhel-web-01_BackUp").await, "ACTIVE");
    e.dr.sim.shutdown().await;
}

#[tokio::test]
async fn the_exec_control_runs_ksysmgr_as_the_ssh_host_does() {
    let dr = Dr::fast().await;
    let d = dr.deploy("dr-exec", false).await;
    let exec = |command: &str| {
        let url = format!("{}/_sim/ksys/exec", dr.sim.url());
        let body = json!({"host": d.primary, "command": command});
        async move {
            let resp = common::plain_post(url, body).await;
            assert_eq!(resp.status(), 200);
            resp.json::<Value>().await.unwrap()
        }
    };
    let out = exec("/opt/IBM/ksys/ksysmgr -f query vm no-such-vm").await;
    assert_eq!(out["exit_code"], 2, "{out}");
    assert!(out["stderr"].as_str().unwrap().contains("ERROR"), "{out}");
    let out = exec("hostname").await;
    assert_eq!(out["stdout"], "dr-exec-orchestrator\n", "{out}");
    let out = exec("ls").await;
    assert_eq!(out["exit_code"], 127, "{out}");
    // Not counted as SSH traffic, and an unknown host is a 404.
    let (_, requests) = common::get_json(&format!("{}/_sim/requests", dr.sim.url())).await;
    assert_eq!(requests["ssh"]["commands"], json!([]), "{requests}");
    let resp = common::plain_post(
        format!("{}/_sim/ksys/exec", dr.sim.url()),
        json!({"host": "10.99.0.1", "command": "hostname"}),
    )
    .await;
    assert_eq!(resp.status(), 404);
}
