//! Acceptance tests of `dr_managed_vm` with real Terraform against dr-cloudsim, through its SSH
//! jump host to the emulated KSYS: create (manage, workgroup priority, discover), empty
//! re-plan, import-verify, in-place priority change, attribute drift at the orchestrator,
//! deletion drift (a VM unmanaged by hand), destroy-verify against KSYS's own state; the
//! plan-time checks with zero writes; a mixed-priority workgroup refused at plan; no
//! orchestrator access refused at plan, once; key login with pinned host keys and a changed
//! host key refused; a connection dropped mid-`manage vm` that the same apply completes
//! without a duplicate; 50 VMs destroyed with serialized unmanage; and the refresh of 200
//! managed VMs on one connection and two remote commands.
//!
//! Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use acctests::WorkDir;
use acctests::fixtures::{
    self, BACKUP, PRIMARY, PROVIDER_HEADER, STANDBY, managed_vm, plain_password,
};
use acctests::sim::{ACC_KEY_NAME, ORCHESTRATOR_PASSWORD, Sim};
use serde_json::{Value, json};

const MANAGE: &str = "/opt/IBM/ksys/ksysmgr -f manage vm";

/// KSYS's managed VMs by name: (state, workgroup, workgroup priority).
fn ksys_managed(sim: &Sim) -> BTreeMap<String, (String, String, String)> {
    let workgroups = sim.objects("ksys", "workgroups");
    sim.objects("ksys", "vms")
        .iter()
        .map(|vm| {
            let wg = workgroups
                .iter()
                .find(|w| w["id"] == vm["workgroup_id"])
                .cloned()
                .unwrap_or(Value::Null);
            (
                vm["name"].as_str().unwrap_or("").to_string(),
                (
                    vm["state"].as_str().unwrap_or("").to_string(),
                    wg["name"].as_str().unwrap_or("").to_string(),
                    wg["priority"].as_str().unwrap_or("").to_string(),
                ),
            )
        })
        .collect()
}

fn ksys_command_count(sim: &Sim, label: &str) -> u64 {
    sim.ssh_commands().get(label).copied().unwrap_or(0)
}

/// `dr_orchestrator.<label>` named `name` in `workspace`, logged into as `dradmin` with a
/// plain password, with `extra` argument lines.
fn orchestrator(label: &str, name: &str, workspace: &str, extra: &str) -> String {
    fixtures::orchestrator(name, workspace)
        .label(label)
        .string("orchestrator_user", "dradmin")
        .raw(&plain_password(ORCHESTRATOR_PASSWORD))
        .raw(extra)
        .hcl()
}

/// `dr_managed_vm.<label>` of the VM `vm` through `dr_orchestrator.main`, with `extra`
/// argument lines.
fn managed(label: &str, vm: &str, extra: &str) -> String {
    managed_vm(label, "main", vm).raw(extra).hcl()
}

/// A working directory with the primary orchestrator applied.
fn with_orchestrator(sim: &Sim) -> (WorkDir, String) {
    let wd = sim.workdir();
    let primary = sim.workspace_id(PRIMARY);
    let base = PROVIDER_HEADER.to_string() + &orchestrator("main", "dr-acc", &primary, "");
    wd.config(&base);
    wd.apply();
    (wd, base)
}

#[test]
fn managed_vm_lifecycle() {
    let sim = Sim::start(300.0);
    let (wd, base) = with_orchestrator(&sim);
    let orch = wd.string_attribute("dr_orchestrator.main", "id");
    let aix = sim.vm_id("aix-app-01");
    let rhel = sim.vm_id("rhel-web-01");
    let ibmi = sim.vm_id("ibmi-db-01");
    let three = |erp_priority: &str| {
        base.clone()
            + &managed(
                "app",
                &aix,
                &format!("  priority = \"{erp_priority}\"\n  workgroup_name = \"erp\"\n"),
            )
            + &managed(
                "web",
                &rhel,
                &format!("  priority = \"{erp_priority}\"\n  workgroup_name = \"erp\"\n"),
            )
            + &managed("db", &ibmi, "  priority = \"low\"\n")
    };

    wd.config(&three("high"));
    wd.apply();
    wd.assert_plan_empty();
    let managed_now = ksys_managed(&sim);
    let ready = |wg: &str, p: &str| ("READY_TO_MOVE".to_string(), wg.to_string(), p.to_string());
    assert_eq!(
        managed_now,
        BTreeMap::from([
            ("aix-app-01".to_string(), ready("erp", "High")),
            ("rhel-web-01".to_string(), ready("erp", "High")),
            ("ibmi-db-01".to_string(), ready("ibmi-db-01_WG", "Low")),
        ])
    );
    let v = wd.resource_values("dr_managed_vm.app").expect("in state");
    assert_eq!(v["id"], format!("{orch}/{aix}"));
    assert_eq!(v["vm_name"], "aix-app-01");
    assert_eq!(v["os_type"], "aix");
    assert_eq!(
        v["workspace_id"],
        sim.workspace_id(PRIMARY),
        "defaults to the orchestrator's"
    );
    assert_eq!(v["protection_state"], "READY_TO_MOVE");
    assert_eq!(v["backup_vm_name"], "aix-app-01_BackUp");
    assert_eq!(
        v["backup_workspace_name"], BACKUP,
        "KSYS's partner of the primary"
    );
    assert_eq!(v["workspace_name"], PRIMARY);
    let db = wd.resource_values("dr_managed_vm.db").unwrap();
    assert_eq!(
        (&db["workgroup_name"], &db["priority"]),
        (&json!("ibmi-db-01_WG"), &json!("low"))
    );

    wd.import_verify("dr_managed_vm.app", &format!("{orch}/{aix}"), &["timeouts"]);

    // The shared workgroup's priority changes in place: KSYS's modify workgroup, nothing else.
    wd.config(&three("medium"));
    wd.assert_plan_mentions(&[
        "update in-place",
        "\"high\" -> \"medium\"",
        "Plan: 0 to add, 2 to change, 0 to destroy",
    ]);
    sim.reset_requests();
    wd.apply();
    assert!(
        ksys_command_count(&sim, "ksysmgr modify workgroup") >= 1,
        "{:?}",
        sim.ssh_commands()
    );
    assert_eq!(ksys_command_count(&sim, "ksysmgr manage vm"), 0);
    assert_eq!(ksys_command_count(&sim, "ksysmgr unmanage vm"), 0);
    assert_eq!(ksys_managed(&sim)["aix-app-01"].2, "Medium");
    wd.assert_plan_empty();

    // Drift at the orchestrator: an operator sets the priority by hand; the plan puts it back.
    let erp = sim
        .objects("ksys", "workgroups")
        .into_iter()
        .find(|w| w["name"] == "erp")
        .expect("workgroup erp");
    sim.patch_object(
        "ksys",
        "workgroups",
        erp["id"].as_str().unwrap(),
        json!({"priority": "Low"}),
    );
    wd.assert_plan_mentions(&["\"low\" -> \"medium\""]);
    wd.apply();
    assert_eq!(ksys_managed(&sim)["rhel-web-01"].2, "Medium");
    wd.assert_plan_empty();

    // Deletion drift: an operator unmanages a VM by hand; the plan manages it again, and
    // only it.
    let out = sim.ksys_exec("ksysmgr unmanage vm name=rhel-web-01");
    assert_eq!(out["exit_code"], 0, "{out}");
    assert!(!ksys_managed(&sim).contains_key("rhel-web-01"));
    wd.assert_plan_mentions(&[
        "dr_managed_vm.web will be created",
        "Plan: 1 to add, 0 to change, 0 to destroy",
    ]);
    sim.reset_requests();
    wd.apply();
    assert_eq!(ksys_command_count(&sim, "ksysmgr manage vm"), 1);
    assert_eq!(
        ksys_managed(&sim)["rhel-web-01"],
        ready("erp", "Medium"),
        "back in its workgroup at its priority"
    );
    wd.assert_plan_empty();

    // One VM leaves: unmanage vm for it alone.
    wd.config(
        &(base.clone()
            + &managed(
                "app",
                &aix,
                "  priority = \"medium\"\n  workgroup_name = \"erp\"\n",
            )),
    );
    sim.reset_requests();
    wd.apply();
    assert_eq!(ksys_command_count(&sim, "ksysmgr unmanage vm"), 2);
    let left: Vec<String> = ksys_managed(&sim).into_keys().collect();
    assert_eq!(left, vec!["aix-app-01".to_string()]);
    wd.assert_plan_empty();

    // Destroy-verify against KSYS.
    wd.destroy();
    assert!(ksys_managed(&sim).is_empty(), "{:?}", ksys_managed(&sim));
    assert!(wd.resource_values("dr_managed_vm.app").is_none());
    assert_eq!(sim.retired_api_requests(), 0, "{}", sim.requests());
}

#[test]
fn a_workgroup_with_two_priorities_is_refused_at_plan() {
    let sim = Sim::start(300.0);
    let (wd, base) = with_orchestrator(&sim);
    let aix = sim.vm_id("aix-app-01");
    let rhel = sim.vm_id("rhel-web-01");
    wd.config(
        &(base.clone()
            + &managed(
                "app",
                &aix,
                "  priority = \"high\"\n  workgroup_name = \"erp\"\n",
            )
            + &managed(
                "web",
                &rhel,
                "  priority = \"low\"\n  workgroup_name = \"erp\"\n",
            )),
    );
    sim.reset_requests();
    let out =
        wd.plan_expect_error(r#"VMs of one workgroup with different priorities.*workgroup "erp""#);
    let text = acctests::unwrap_diagnostics(&out.combined());
    assert!(
        text.contains(&aix) && text.contains(&rhel),
        "names both VMs: {text}"
    );
    wd.apply_expect_error("VMs of one workgroup with different priorities");
    assert_eq!(sim.cloud_writes(), 0, "{}", sim.requests());
    assert_eq!(ksys_command_count(&sim, "ksysmgr manage vm"), 0);
    assert!(ksys_managed(&sim).is_empty());
}

#[test]
fn without_orchestrator_access_managing_fails_at_plan_once() {
    let sim = Sim::start(300.0);
    let wd = sim.workdir_without_ssh();
    let primary = sim.workspace_id(PRIMARY);
    let base = PROVIDER_HEADER.to_string() + &orchestrator("main", "dr-nossh", &primary, "");
    wd.config(&base);
    // Everything IBM's REST APIs serve works without SSH.
    wd.apply();
    wd.config(
        &(base.clone()
            + &managed("app", &sim.vm_id("aix-app-01"), "")
            + &managed("web", &sim.vm_id("rhel-web-01"), "")),
    );
    sim.reset_requests();
    let out = wd.plan_expect_error(
        r"Orchestrator access not configured.*orchestrator_ssh.*Nothing was changed",
    );
    assert_eq!(
        out.combined()
            .matches("Orchestrator access not configured")
            .count(),
        1,
        "one diagnostic for two VMs:\n{}",
        out.combined()
    );
    assert_eq!(sim.cloud_writes(), 0, "{}", sim.requests());
    assert_eq!(sim.ssh_connections(), (0, 0));
    wd.config(&base);
    wd.destroy();
}

#[test]
fn key_login_with_pinned_host_keys_and_a_changed_key_refused() {
    let sim = Sim::start(300.0);
    let wd = sim.workdir_without_ssh();
    wd.write("acc_key", &sim.acc_private_key());
    let primary = sim.workspace_id(PRIMARY);
    let base = PROVIDER_HEADER.to_string()
        + &orchestrator(
            "main",
            "dr-keys",
            &primary,
            &format!("  ssh_key_name          = \"{ACC_KEY_NAME}\"\n"),
        );
    wd.config(&base);
    wd.apply();
    let ip = wd.string_attribute("dr_orchestrator.main", "primary_ip_address");
    let hosts = sim.ssh_info();
    let host_key = hosts["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| {
            h["address"]
                .as_str()
                .is_some_and(|a| a.starts_with(&format!("{ip}:")))
        })
        .expect("the orchestrator's KSYS host")["host_key"]
        .as_str()
        .unwrap()
        .to_string();
    let provider = |orchestrator_key: &str| {
        format!(
            r#"
provider "dr" {{
  orchestrator_ssh {{
    private_key = file("${{path.module}}/acc_key")
    host_keys   = ["{orchestrator_key}"]
    jump_host {{
      address   = "{jump}"
      user      = "jump"
      host_keys = ["{jump_key}"]
    }}
  }}
}}
"#,
            jump = sim.ssh_addr(),
            jump_key = sim.jump_host_key(),
        )
    };
    let aix = sim.vm_id("aix-app-01");
    wd.config(
        &(base.clone() + &provider(&host_key) + &managed("app", &aix, "  priority = \"high\"\n")),
    );
    wd.apply();
    wd.assert_plan_empty();
    assert_eq!(ksys_managed(&sim)["aix-app-01"].2, "High");

    // The orchestrator now presents another key than the pinned one: nothing is run.
    wd.config(
        &(base.clone()
            + &provider(&sim.jump_host_key())
            + &managed("app", &aix, "  priority = \"low\"\n")),
    );
    sim.reset_requests();
    wd.apply_expect_error(r"has changed.*Nothing was run");
    assert_eq!(
        ksys_managed(&sim)["aix-app-01"].2,
        "High",
        "the priority was not changed"
    );
    assert!(
        sim.ssh_commands()
            .keys()
            .all(|c| !c.starts_with("ksysmgr modify"))
    );
    wd.config(
        &(base.clone() + &provider(&host_key) + &managed("app", &aix, "  priority = \"high\"\n")),
    );
    wd.destroy();
    assert!(ksys_managed(&sim).is_empty());
}

#[test]
fn a_connection_dropped_during_manage_is_completed_without_a_duplicate() {
    let sim = Sim::start(300.0);
    let (wd, base) = with_orchestrator(&sim);
    let aix = sim.vm_id("aix-app-01");
    sim.set_faults(json!({"ssh_rules": [{"kind": "drop", "command_prefix": MANAGE, "count": 1}]}));
    sim.reset_requests();
    wd.config(&(base.clone() + &managed("app", &aix, "")));
    wd.apply();
    let faults = sim.faults();
    assert_eq!(
        faults["ssh_rules"][0]["count"], 0,
        "the drop happened: {faults}"
    );
    assert_eq!(
        ksys_command_count(&sim, "ksysmgr manage vm"),
        1,
        "manage vm was not repeated"
    );
    assert_eq!(sim.objects("ksys", "vms").len(), 1);
    assert_eq!(ksys_managed(&sim)["aix-app-01"].0, "READY_TO_MOVE");
    wd.assert_plan_empty();
    sim.clear_faults();
    wd.destroy();
}

#[test]
fn managed_vm_plan_checks_change_nothing() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    let primary = sim.workspace_id(PRIMARY);
    let secondary = sim.workspace_id(STANDBY);
    let dr_test = sim.vm_id("aix-dr-test-01");
    let aix = sim.vm_id("aix-app-01");
    // Two orchestrators; the second one already manages aix-dr-test-01, the first aix-app-01.
    let base = PROVIDER_HEADER.to_string()
        + &orchestrator("main", "dr-acc", &primary, "")
        + &orchestrator("other", "dr-other", &secondary, "")
        + &managed_vm("theirs", "other", &dr_test).hcl()
        + &managed_vm("ours", "main", &aix).hcl();
    wd.config(&base);
    wd.apply();
    let orch = wd.string_attribute("dr_orchestrator.main", "id");
    let other = wd.string_attribute("dr_orchestrator.other", "id");
    let orchestrator_vm = sim.vm_id("dr-acc-orchestrator");

    let cases: Vec<(String, String)> = vec![
        (
            managed("bad", &sim.vm_id("sles-util-01"), ""),
            r#"Operating system not supported by DR.*sles-util-01.*runs .*osType "sles".*AIX, IBM i and RHEL"#.into(),
        ),
        (
            managed("bad", "00000000-0000-0000-0000-000000000000", ""),
            r"VM not found in the workspace.*aix-app-01".into(),
        ),
        (
            managed("bad", &orchestrator_vm, ""),
            r"The orchestrator cannot manage itself.*dr-acc-orchestrator".into(),
        ),
        (
            managed("bad", &dr_test, &format!("  workspace_id = \"{secondary}\"\n")),
            format!(r"VM managed by another orchestrator.*aix-dr-test-01.*{other}"),
        ),
        (
            managed("bad", &aix, ""),
            format!(r"VM already managed by this orchestrator.*terraform import dr_managed_vm.<name> {orch}/{aix}"),
        ),
        (
            managed("bad", &aix, "  workspace_id = \"no-such-workspace\"\n"),
            r#"PowerVS workspace not found.*"no-such-workspace""#.into(),
        ),
        (
            format!(
                "\nresource \"dr_managed_vm\" \"bad\" {{\n  orchestrator_id = \"no-such-orchestrator\"\n  pvm_instance_id = \"{aix}\"\n}}\n"
            ),
            r#"Orchestrator not found.*"no-such-orchestrator""#.into(),
        ),
        (managed("bad", &aix, "  priority = \"urgent\"\n"), r#"priority value must be one of"#.into()),
        (
            managed("bad", &aix, "  workgroup_name = \"not ok!\"\n"),
            r"workgroup_name.*1 to 64 letters, digits".into(),
        ),
    ];
    sim.reset_requests();
    for (extra, pattern) in &cases {
        wd.config(&(base.clone() + extra));
        let out = wd.plan_expect_error(pattern);
        assert!(
            out.combined().contains("dr_managed_vm.bad"),
            "{}",
            out.combined()
        );
    }
    assert_eq!(sim.cloud_writes(), 0, "{}", sim.requests());
    // At apply the checks stop the run before anything is written, too.
    wd.config(&(base.clone() + &cases[0].0));
    wd.apply_expect_error("Operating system not supported by DR");
    assert_eq!(sim.cloud_writes(), 0, "{}", sim.requests());
    wd.config(&base);
    wd.destroy();
}

/// Creates `count` AIX VMs in the workspace through PowerVS (20 per request, the API's limit).
fn create_vms(sim: &Sim, workspace: &str, count: usize) {
    let ws = sim
        .objects("power", "workspaces")
        .into_iter()
        .find(|w| w["id"] == workspace)
        .unwrap();
    let crn = ws["details"]["crn"].as_str().unwrap().to_string();
    let http = reqwest::blocking::Client::new();
    let bearer = format!(
        "Bearer {}",
        sim.iam_token_grant()["access_token"]
            .as_str()
            .expect("access token")
    );
    let base = format!("{}/power/pcloud/v1/cloud-instances/{workspace}", sim.url());
    let get = |path: &str| -> Value {
        http.get(format!("{base}/{path}"))
            .header("authorization", &bearer)
            .header("crn", &crn)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let images = get("images");
    let image = images["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"].as_str().is_some_and(|n| n.starts_with("7300")))
        .expect("an AIX image")["imageID"]
        .clone();
    let networks = get("networks");
    let network = networks["networks"].as_array().unwrap()[0]["networkID"].clone();
    for batch in 0..count.div_ceil(20) {
        let n = (count - batch * 20).min(20);
        let resp = http
            .post(format!("{base}/pvm-instances"))
            .header("authorization", &bearer)
            .header("crn", &crn)
            .json(&json!({
                "serverName": format!("bulk{batch:02}"),
                "imageID": image,
                "processors": 0.25,
                "procType": "shared",
                "memory": 2,
                "sysType": "s922",
                "networks": [{"networkID": network}],
                "replicants": n,
                "replicantNamingScheme": "suffix",
            }))
            .send()
            .unwrap();
        assert!(
            resp.status().is_success(),
            "{}",
            resp.text().unwrap_or_default()
        );
    }
}

fn bulk_ids(sim: &Sim) -> Vec<String> {
    sim.objects("power", "pvm_instances")
        .iter()
        .filter(|v| {
            v["serverName"]
                .as_str()
                .is_some_and(|n| n.starts_with("bulk"))
        })
        .map(|v| v["pvmInstanceID"].as_str().unwrap().to_string())
        .collect()
}

/// Creates `count` VMs in the primary workspace and configures `wd` to manage them all through
/// the orchestrator `name`.
fn configure_bulk(sim: &Sim, wd: &WorkDir, name: &str, count: usize) {
    let primary = sim.workspace_id(PRIMARY);
    create_vms(sim, &primary, count);
    let ids = bulk_ids(sim);
    assert_eq!(ids.len(), count);
    wd.config(&bulk_config(name, &primary, &ids));
}

fn bulk_config(name: &str, primary: &str, ids: &[String]) -> String {
    let id_list = ids
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(",\n    ");
    PROVIDER_HEADER.to_string()
        + &orchestrator(
            "main",
            name,
            primary,
            "  cores                 = 1\n  memory_gb             = 16\n",
        )
        + &format!(
            r#"
locals {{
  vms = [
    {id_list}
  ]
}}

resource "dr_managed_vm" "bulk" {{
  for_each        = toset(local.vms)
  orchestrator_id = dr_orchestrator.main.id
  pvm_instance_id = each.value
  priority        = "low"
}}

data "dr_managed_vms" "all" {{
  orchestrator_id = dr_orchestrator.main.id
  priority        = "low"
  depends_on      = [dr_managed_vm.bulk]
}}

output "listed" {{
  value = length(data.dr_managed_vms.all.ids)
}}
"#
        )
}

#[test]
fn fifty_managed_vms_are_destroyed_one_unmanage_at_a_time() {
    let sim = Sim::start(500.0);
    let wd = sim.workdir();
    configure_bulk(&sim, &wd, "dr-fifty", 50);
    wd.apply_args(&["-parallelism=10"]);
    assert_eq!(sim.objects("ksys", "vms").len(), 50);
    sim.reset_requests();
    // KSYS refuses a second unmanage while one runs: the destroy only passes when the provider
    // serializes them.
    wd.destroy_args(&["-parallelism=10"]);
    assert_eq!(
        ksys_command_count(&sim, "ksysmgr unmanage vm"),
        50,
        "{:?}",
        sim.ssh_commands()
    );
    assert!(sim.objects("ksys", "vms").is_empty());
    // `terraform destroy` runs its plan (the refresh: query vm and query workgroup) and its
    // apply (the 50 unmanage vm) in two provider processes: one connection and one session
    // each, however many VMs.
    assert_eq!(
        sim.ssh_connections(),
        (2, 2),
        "one connection per provider process: {}",
        sim.requests()["ssh"]
    );
}

#[test]
fn two_hundred_managed_vms_refresh_on_one_connection_with_two_commands() {
    let sim = Sim::start(500.0);
    let wd = sim.workdir();
    configure_bulk(&sim, &wd, "dr-scale", 200);
    sim.reset_requests();
    let started = std::time::Instant::now();
    wd.apply_args(&["-parallelism=10"]);
    let apply_secs = started.elapsed().as_secs_f64();
    assert_eq!(ksys_command_count(&sim, "ksysmgr manage vm"), 200);
    assert_eq!(sim.objects("ksys", "vms").len(), 200);
    let state = wd.state_json();
    assert_eq!(
        state.pointer("/values/outputs/listed/value"),
        Some(&json!(200))
    );

    // The refresh of 200 managed VMs at -parallelism=10.
    sim.reset_requests();
    let out = wd.run(&[
        "plan",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
        "-parallelism=10",
    ]);
    assert_eq!(out.code, 0, "{}", out.combined());
    let commands = sim.ssh_commands();
    let published_lists = sim.count_requests(|m, r| {
        m == "GET" && r == "/dra/drautomation/v1/dr_managed_vms/{instance_id}"
    });
    let all_reads = sim.count_requests(|m, r| m == "GET" && !r.starts_with("/iam"));
    eprintln!(
        "200 managed VMs: apply {apply_secs:.1}s; refresh plan: {commands:?}, {}",
        sim.requests()
    );
    assert_eq!(
        commands,
        BTreeMap::from([
            ("ksysmgr query vm".to_string(), 1),
            ("ksysmgr query workgroup".to_string(), 1)
        ]),
        "two remote commands for the whole refresh"
    );
    assert_eq!(
        sim.ssh_connections(),
        (1, 1),
        "one connection, one session to the orchestrator"
    );
    // The data source really reads DR Automation's list (once; twice only when two readers
    // miss the shared cache at the same moment), and the whole refresh is ten reads: the
    // orchestrator's five, the list, and the Power lookups of the data source and the VM
    // checks (again one more at most for a simultaneous cache miss).
    assert!(
        (1..=2).contains(&published_lists),
        "dr_managed_vms read {published_lists} times for 200 VMs"
    );
    assert!(
        (10..=11).contains(&all_reads),
        "{all_reads} reads for 200 VMs"
    );
    assert_eq!(sim.cloud_writes(), 0);
    assert_eq!(sim.retired_api_requests(), 0);

    wd.destroy_args(&["-parallelism=10"]);
    assert!(sim.objects("ksys", "vms").is_empty());
}
