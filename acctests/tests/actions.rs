//! Acceptance tests of actions (Terraform 1.14+, protocol 6.10) with the real Terraform CLI.
//!
//! - `drtest_touch` (the test provider) proves the framework: offline validation, the
//!   plan-time check, progress lines of `terraform apply -invoke=...`, a failure carrying the
//!   action's message, an `action_trigger` lifecycle block, and Ctrl-C (SIGINT to Terraform)
//!   ending the invocation cleanly.
//! - `dr_failover`, `dr_failback` and `dr_test` run against dr-cloudsim on a deployed
//!   orchestrator with a standby and managed VMs: progress per VM in the CLI output, the cloud
//!   consistent after failover and after failback, a cancelled failover leaving the VMs where
//!   they were, and the plan-time checks (operation in progress, standby missing).
//!
//! Needs `cargo build --workspace --bins` first. With `TF_ACC_TERRAFORM_VERSION` older than
//! 1.14 the tests return early: actions do not exist there.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use acctests::sim::Sim;
use acctests::{WorkDir, terraform_at_least, unwrap_diagnostics};
use serde_json::Value;

fn actions_supported() -> bool {
    if terraform_at_least(1, 14) {
        true
    } else {
        let reason = if acctests::is_opentofu() {
            "OpenTofu has no actions"
        } else {
            "actions need Terraform 1.14+"
        };
        acctests::skip("actions", reason);
        false
    }
}

/// A Terraform run in the background (so a test can interrupt it), its output in a file.
struct Background {
    child: Child,
    output: PathBuf,
}

impl Background {
    fn start(wd: &WorkDir, env: &[(String, String)], args: &[&str]) -> Background {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let output = wd.path().join(format!("background-{stamp}.log"));
        let file = std::fs::File::create(&output).unwrap();
        let mut cmd = wd.command(args);
        cmd.stdout(file.try_clone().unwrap())
            .stderr(file)
            .envs(env.iter().map(|(k, v)| (k, v)));
        Background {
            child: cmd.spawn().expect("start terraform"),
            output,
        }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// Waits until the output contains `needle` (panics after `limit`).
    fn wait_for(&mut self, needle: &str, limit: Duration) {
        let start = Instant::now();
        while !self.output().contains(needle) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "terraform exited ({status}) before printing {needle:?}:\n{}",
                    self.output()
                );
            }
            assert!(
                start.elapsed() < limit,
                "no {needle:?} after {limit:?}:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Ctrl-C: SIGINT to Terraform, as a terminal would send it.
    fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Waits for Terraform to exit; returns its exit code and output.
    fn finish(mut self, limit: Duration) -> (i32, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code().unwrap_or(-1), self.output());
            }
            if start.elapsed() > limit {
                let _ = self.child.kill();
                panic!(
                    "terraform still running after {limit:?}:\n{}",
                    self.output()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn assert_no_crash(output: &str) {
    assert!(
        !output.contains("TERRAFORM CRASH") && !output.contains("panic:"),
        "Terraform or the provider crashed:\n{output}"
    );
}

// ---------------------------------------------------------------------------------------------
// drtest_touch: the framework through real Terraform.

fn touch_header(store: &Path) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    drtest = {{ source = "powervs/drtest" }}
  }}
}}

provider "drtest" {{
  store_path = {store:?}
}}

resource "drtest_thing" "a" {{
  name = "alpha"
}}
"#,
        store = store.display().to_string()
    )
}

fn touch_action(name: &str, body: &str) -> String {
    format!(
        r#"
action "drtest_touch" "{name}" {{
  config {{
{body}
  }}
}}
"#
    )
}

fn touches(store: &Path, id: &str) -> u64 {
    let text = std::fs::read_to_string(store).expect("store file");
    let json: Value = serde_json::from_str(&text).expect("store JSON");
    json["touches"][id].as_u64().unwrap_or(0)
}

fn invoke_args(address: &str) -> Vec<String> {
    vec![
        "apply".into(),
        "-auto-approve".into(),
        "-input=false".into(),
        "-no-color".into(),
        format!("-invoke={address}"),
    ]
}

fn invoke(wd: &WorkDir, address: &str) -> acctests::TfOutput {
    let args = invoke_args(address);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    wd.run(&args)
}

#[test]
fn drtest_touch_invoke_validate_fail_trigger_and_cancel() {
    if !actions_supported() {
        return;
    }
    let wd = WorkDir::new();
    let store = wd.path().join("store.json");
    let actions = touch_action(
        "x",
        "    thing_id = drtest_thing.a.id\n    steps = 3\n    step_ms = 50",
    ) + &touch_action("missing", "    thing_id = \"thing-404\"")
        + &touch_action(
            "failing",
            "    thing_id = drtest_thing.a.id\n    fail_at_step = 2\n    step_ms = 10",
        )
        + &touch_action(
            "slow",
            "    thing_id = drtest_thing.a.id\n    steps = 20\n    step_ms = 3000",
        );
    wd.config(&(touch_header(&store) + &actions));

    // A plain apply creates the thing and invokes nothing.
    let out = wd.apply();
    assert!(!out.stdout.contains("Action started"), "{}", out.stdout);
    assert_eq!(touches(&store, "thing-1"), 0);
    wd.assert_plan_empty();

    // Invoked from the CLI: every step shows up as a progress line, in order.
    let out = invoke(&wd, "action.drtest_touch.x");
    assert_eq!(out.code, 0, "{}", out.combined());
    let prefix = "Action action.drtest_touch.x (triggered by CLI): ";
    let lines: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .collect();
    assert_eq!(
        lines,
        [
            "touching thing-1: step 1 of 3",
            "touching thing-1: step 2 of 3",
            "touching thing-1: step 3 of 3",
            "touched thing-1 (1 touches so far)",
        ],
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Action complete: action.drtest_touch.x")
    );
    assert!(out.stdout.contains("Actions: 1 invoked."), "{}", out.stdout);
    assert_eq!(touches(&store, "thing-1"), 1);
    // Invoking changed no resource.
    wd.assert_plan_empty();

    // Checked at plan by the configured provider: nothing runs.
    let out = invoke(&wd, "action.drtest_touch.missing");
    assert_ne!(out.code, 0);
    let text = unwrap_diagnostics(&out.combined());
    assert!(
        text.contains("There is no drtest_thing with id \"thing-404\" to touch"),
        "{text}"
    );
    assert!(!out.stdout.contains("Action started"), "{}", out.stdout);

    // A failing step stops the invocation with the action's own message.
    let out = invoke(&wd, "action.drtest_touch.failing");
    assert_ne!(out.code, 0);
    let text = unwrap_diagnostics(&out.combined());
    assert!(
        out.stdout.contains("touching thing-1: step 1 of 3"),
        "{text}"
    );
    assert!(
        text.contains("step 2 failed: the thing refused to be touched"),
        "{text}"
    );
    assert_eq!(touches(&store, "thing-1"), 1);

    // Ctrl-C mid-invocation: the provider stops the action, Terraform reports it, no crash.
    let slow_args = invoke_args("action.drtest_touch.slow");
    let slow_args: Vec<&str> = slow_args.iter().map(String::as_str).collect();
    let mut run = Background::start(&wd, &[], &slow_args);
    run.wait_for("touching thing-1: step 1 of 20", Duration::from_secs(60));
    run.interrupt();
    let (code, output) = run.finish(Duration::from_secs(60));
    assert_no_crash(&output);
    assert_ne!(code, 0, "{output}");
    let text = unwrap_diagnostics(&output);
    assert!(text.contains("Touch cancelled"), "{text}");
    assert!(text.contains("the touch was not recorded"), "{text}");
    assert!(!output.contains("step 20 of 20"), "{output}");
    assert_eq!(
        touches(&store, "thing-1"),
        1,
        "a cancelled touch is not recorded"
    );

    // Offline validation of the action's configuration.
    wd.config(
        &(touch_header(&store)
            + &touch_action("x", "    thing_id = drtest_thing.a.id\n    steps = 50")),
    );
    let out = wd.expect_error(&["validate", "-no-color"], r"steps");
    assert!(
        unwrap_diagnostics(&out.combined()).contains("between 1 and 20"),
        "{}",
        out.combined()
    );

    // An action_trigger runs the action after the resource is created.
    wd.config(
        &(touch_header(&store)
            + &touch_action(
                "x",
                "    thing_id = drtest_thing.a.id\n    steps = 2\n    step_ms = 10",
            )
            + r#"
resource "drtest_thing" "b" {
  name = "bravo"
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.drtest_touch.x]
    }
  }
}
"#),
    );
    let out = wd.apply();
    assert!(
        out.stdout.contains("touching thing-1: step 2 of 2"),
        "{}",
        out.stdout
    );
    assert_eq!(touches(&store, "thing-1"), 2);
    wd.destroy();
}

// ---------------------------------------------------------------------------------------------
// dr_failover, dr_failback, dr_test against dr-cloudsim.

const DR_HEADER: &str = r#"terraform {
  required_providers {
    dr = { source = "powervs/dr" }
  }
}
"#;
const PRIMARY: &str = "slz-dal10-power-workspace";
const STANDBY: &str = "slz-dal12-power-workspace";
const WORKLOADS: [&str; 3] = ["aix-app-01", "ibmi-db-01", "rhel-web-01"];

fn workspace_guid(sim: &Sim, name: &str) -> String {
    sim.objects("power", "workspaces")
        .iter()
        .find(|w| w["name"] == name)
        .and_then(|w| w["id"].as_str())
        .unwrap_or_else(|| panic!("workspace {name}"))
        .to_string()
}

fn vm_id(sim: &Sim, name: &str) -> String {
    sim.objects("power", "pvm_instances")
        .iter()
        .find(|v| v["serverName"] == name)
        .and_then(|v| v["pvmInstanceID"].as_str())
        .unwrap_or_else(|| panic!("no VM named {name}"))
        .to_string()
}

/// (name, status) of every VM in a workspace, found by the workspace GUID in the VM's CRN.
fn vms_in(sim: &Sim, workspace: &str) -> Vec<(String, String)> {
    let guid = workspace_guid(sim, workspace);
    let mut vms: Vec<(String, String)> = sim
        .objects("power", "pvm_instances")
        .iter()
        .filter(|v| {
            v["crn"]
                .as_str()
                .is_some_and(|c| c.contains(&format!(":{guid}:")))
        })
        .map(|v| {
            (
                v["serverName"].as_str().unwrap_or_default().to_string(),
                v["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    vms.sort();
    vms
}

fn status_of(vms: &[(String, String)], name: &str) -> Option<String> {
    vms.iter().find(|(n, _)| n == name).map(|(_, s)| s.clone())
}

fn active_site(sim: &Sim) -> String {
    sim.objects("dra", "sites")
        .first()
        .and_then(|s| s["active_site"].as_str().map(str::to_string))
        .unwrap_or_else(|| "primary".to_string())
}

fn operations(sim: &Sim) -> Vec<Value> {
    sim.objects("dra", "operations")
}

/// The production VMs run at the primary site and nothing of theirs is left at the DR site.
fn assert_all_at_primary(sim: &Sim, context: &str) {
    let primary = vms_in(sim, PRIMARY);
    let standby = vms_in(sim, STANDBY);
    for name in WORKLOADS {
        assert_eq!(
            status_of(&primary, name).as_deref(),
            Some("ACTIVE"),
            "{context}: {name} must run at the primary site: {primary:?}"
        );
        assert!(
            status_of(&standby, name).is_none(),
            "{context}: no copy of {name} may be left at the DR site: {standby:?}"
        );
    }
    let leftovers: Vec<&(String, String)> = primary
        .iter()
        .chain(standby.iter())
        .filter(|(n, _)| n.contains("drtest"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "{context}: DR test copies left: {leftovers:?}"
    );
    assert_eq!(active_site(sim), "primary", "{context}");
    assert!(
        operations(sim).iter().all(|o| o["status"] != "running"),
        "{context}: an operation is still running"
    );
}

fn dr_password() -> String {
    if terraform_at_least(1, 11) {
        "  orchestrator_password_wo         = \"Orch-Passw0rd!\"\n  orchestrator_password_wo_version = 1\n"
            .to_string()
    } else {
        "  orchestrator_password = \"Orch-Passw0rd!\"\n".to_string()
    }
}

/// Orchestrator, three managed VMs (aix + ibmi in workgroup `erp`, high priority; rhel low),
/// and the three actions; `with_standby` adds the `dr_ha_standby`.
fn dr_config(sim: &Sim, with_standby: bool, extra: &str) -> String {
    let primary = workspace_guid(sim, PRIMARY);
    let standby = if with_standby {
        format!(
            r#"
resource "dr_ha_standby" "s" {{
  orchestrator_id    = dr_orchestrator.o.id
  workspace_id       = "{ws}"
  transit_gateway_id = "{tg}"
{password}}}
"#,
            ws = workspace_guid(sim, STANDBY),
            tg = sim.objects("tg", "gateways")[0]["id"].as_str().unwrap(),
            password = dr_password()
        )
    } else {
        String::new()
    };
    let managed = |label: &str, vm: &str, priority: &str, group: &str| {
        format!(
            r#"
resource "dr_managed_vm" "{label}" {{
  orchestrator_id = dr_orchestrator.o.id
  pvm_instance_id = "{id}"
  priority        = "{priority}"
{group}}}
"#,
            id = vm_id(sim, vm),
            group = if group.is_empty() {
                String::new()
            } else {
                format!("  workgroup_name  = \"{group}\"\n")
            }
        )
    };
    format!(
        r#"{DR_HEADER}
resource "dr_orchestrator" "o" {{
  name              = "dract"
  orchestrator_user = "admin"
  workspace_id      = "{primary}"
  machine_type      = "s922"
  ssh_key_name      = "slz-ssh-key"
{password}}}
{standby}{app}{db}{web}
action "dr_failover" "go" {{
  config {{
    orchestrator_id = dr_orchestrator.o.id
  }}
}}

action "dr_failback" "back" {{
  config {{
    orchestrator_id = dr_orchestrator.o.id
  }}
}}

action "dr_test" "drill" {{
  config {{
    orchestrator_id = dr_orchestrator.o.id
  }}
}}
{extra}"#,
        password = dr_password(),
        app = managed("app", "aix-app-01", "high", "erp"),
        db = managed("db", "ibmi-db-01", "high", "erp"),
        web = managed("web", "rhel-web-01", "low", ""),
    )
}

/// The progress lines of one invoked action.
fn progress_lines(output: &str, address: &str) -> Vec<String> {
    let prefix = format!("Action {address} (triggered by CLI): ");
    output
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(str::to_string)
        .collect()
}

fn first_index(lines: &[String], needle: &str) -> usize {
    lines
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no progress line mentions {needle:?}: {lines:#?}"))
}

fn invoke_ok(wd: &WorkDir, address: &str) -> Vec<String> {
    let out = invoke(wd, address);
    assert_eq!(
        out.code,
        0,
        "invoking {address} failed:\n{}",
        out.combined()
    );
    assert_no_crash(&out.combined());
    let lines = progress_lines(&out.stdout, address);
    // Shown with --nocapture: what a user sees.
    eprintln!("{address}:\n  {}", lines.join("\n  "));
    lines
}

#[test]
fn dr_actions_test_failover_failback_with_plan_checks() {
    if !actions_supported() {
        return;
    }
    let sim = Sim::start(100.0);
    let wd = sim.workdir();
    let subset = format!(
        r#"
action "dr_test" "erp_only" {{
  config {{
    orchestrator_id = dr_orchestrator.o.id
    vm_ids          = ["{aix}"]
  }}
}}

action "dr_test" "typo" {{
  config {{
    orchestrator_id = dr_orchestrator.o.id
    workgroups      = ["nope"]
  }}
}}
"#,
        aix = vm_id(&sim, "aix-app-01")
    );

    // Without the standby: a DR test works, a failover is refused at plan.
    wd.config(&dr_config(&sim, false, &subset));
    wd.apply();
    assert_all_at_primary(&sim, "after deployment");
    let out = invoke(&wd, "action.dr_failover.go");
    assert_ne!(out.code, 0);
    let text = unwrap_diagnostics(&out.combined());
    assert!(text.contains("Standby orchestrator not attached"), "{text}");
    assert!(text.contains("Add a dr_ha_standby"), "{text}");
    assert!(operations(&sim).is_empty(), "nothing may start");

    // The DR test: each VM's steps, then the recovery time of each VM; production untouched.
    let lines = invoke_ok(&wd, "action.dr_test.drill");
    for vm in WORKLOADS {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("recovery time: {vm}"))),
            "no recovery time for {vm}: {lines:#?}"
        );
    }
    assert!(
        first_index(&lines, "high priority: aix-app-01")
            < first_index(&lines, "low priority: rhel-web-01"),
        "high priority first: {lines:#?}"
    );
    assert!(lines.iter().any(|l| l.contains("longest recovery time")));
    assert!(lines.last().unwrap().contains("DR test"), "{lines:#?}");
    assert!(lines.last().unwrap().contains("succeeded"), "{lines:#?}");
    assert_all_at_primary(&sim, "after the DR test");
    assert_eq!(operations(&sim)[0]["status"], "succeeded");
    wd.assert_plan_empty();

    // A workgroup is never split; a workgroup that does not exist stops the plan.
    let out = invoke(&wd, "action.dr_test.erp_only");
    assert_eq!(out.code, 0, "{}", out.combined());
    let text = unwrap_diagnostics(&out.combined());
    assert!(text.contains("Whole workgroup included"), "{text}");
    let lines = progress_lines(&out.stdout, "action.dr_test.erp_only");
    assert!(
        lines.iter().any(|l| l.contains("including ibmi-db-01")),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("rhel-web-01")),
        "{lines:#?}"
    );
    let out = invoke(&wd, "action.dr_test.typo");
    assert_ne!(out.code, 0);
    let text = unwrap_diagnostics(&out.combined());
    assert!(
        text.contains("No managed VM is in workgroup \"nope\""),
        "{text}"
    );
    assert!(text.contains("erp"), "{text}");
    assert_eq!(operations(&sim).len(), 2, "the refused test never started");

    // A failing step stops with the API's own message, and rolls back.
    let orch = wd.resource_values("dr_orchestrator.o").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    sim.patch_object(
        "dra",
        "deployments",
        &orch,
        serde_json::json!({"_fail_vm": "rhel-web-01", "_fail_message": "boot disk of rhel-web-01 is corrupt"}),
    );
    let out = invoke(&wd, "action.dr_test.drill");
    assert_ne!(out.code, 0);
    assert_no_crash(&out.combined());
    let text = unwrap_diagnostics(&out.combined());
    assert!(text.contains("dr_test failed"), "{text}");
    assert!(
        text.contains("boot disk of rhel-web-01 is corrupt"),
        "{text}"
    );
    assert_all_at_primary(&sim, "after a failed DR test");
    sim.patch_object(
        "dra",
        "deployments",
        &orch,
        serde_json::json!({"_fail_vm": null, "_fail_message": null}),
    );

    // With the standby: nothing to fail back yet; then failover and failback.
    wd.config(&dr_config(&sim, true, ""));
    wd.apply();
    wd.assert_plan_empty();
    let before = operations(&sim).len();
    let out = invoke(&wd, "action.dr_failback.back");
    assert_ne!(out.code, 0);
    let text = unwrap_diagnostics(&out.combined());
    assert!(text.contains("there is nothing to fail back"), "{text}");
    assert_eq!(operations(&sim).len(), before);

    let lines = invoke_ok(&wd, "action.dr_failover.go");
    assert!(
        lines[0].starts_with("starting failover of all 3 managed VM(s)"),
        "{lines:#?}"
    );
    for vm in WORKLOADS {
        assert!(
            lines.iter().any(|l| l.contains(vm)),
            "no progress for {vm}: {lines:#?}"
        );
    }
    assert!(
        first_index(&lines, "high priority: aix-app-01")
            < first_index(&lines, "low priority: rhel-web-01"),
        "high priority first: {lines:#?}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .contains("3 VM(s) now run at the DR site"),
        "{lines:#?}"
    );
    // Consistent after failover: copies run at the DR site, the originals are shut off.
    let primary = vms_in(&sim, PRIMARY);
    let standby = vms_in(&sim, STANDBY);
    for vm in WORKLOADS {
        assert_eq!(
            status_of(&standby, vm).as_deref(),
            Some("ACTIVE"),
            "{vm}: {standby:?}"
        );
        assert_eq!(
            status_of(&primary, vm).as_deref(),
            Some("SHUTOFF"),
            "{vm}: {primary:?}"
        );
    }
    assert_eq!(active_site(&sim), "dr");
    assert_eq!(
        sim.objects("dra", "managed_vms").len(),
        3,
        "registrations kept"
    );
    wd.assert_plan_empty();

    // A second failover is refused at plan: the workloads are already at the DR site.
    let out = invoke(&wd, "action.dr_failover.go");
    assert_ne!(out.code, 0);
    assert!(
        unwrap_diagnostics(&out.combined()).contains("already run at the DR site"),
        "{}",
        out.combined()
    );

    let lines = invoke_ok(&wd, "action.dr_failback.back");
    assert!(
        lines
            .last()
            .unwrap()
            .contains("3 VM(s) are back at the primary site"),
        "{lines:#?}"
    );
    assert_all_at_primary(&sim, "after failback");
    wd.assert_plan_empty();
    wd.destroy();
}

#[test]
fn dr_failover_interrupted_by_ctrl_c_rolls_back() {
    if !actions_supported() {
        return;
    }
    // Slow enough that the failover is still running when Terraform is interrupted, even on a
    // loaded machine (a whole failover takes ~27 s here).
    let sim = Sim::start(20.0);
    let wd = sim.workdir();
    wd.config(&dr_config(&sim, true, ""));
    wd.apply();
    assert_all_at_primary(&sim, "after deployment");

    let env = sim.provider_env();
    let args = invoke_args("action.dr_failover.go");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut run = Background::start(&wd, &env, &args);
    // The line the provider prints once the operation exists ("failover <id> started"); a
    // per-VM step can be shorter than one poll and never be printed.
    run.wait_for("started\n", Duration::from_secs(120));

    // While it runs, planning another operation is refused (the state lock is the apply's).
    let out = wd.run(&[
        "plan",
        "-lock=false",
        "-input=false",
        "-no-color",
        "-invoke=action.dr_test.drill",
    ]);
    assert_ne!(out.code, 0, "{}", out.combined());
    let text = unwrap_diagnostics(&out.combined());
    assert!(
        text.contains("Another DR operation is in progress"),
        "{text}"
    );
    assert!(text.contains("failover"), "{text}");

    run.interrupt();
    let (code, output) = run.finish(Duration::from_secs(180));
    eprintln!("interrupted failover:\n{output}");
    assert_no_crash(&output);
    assert_ne!(code, 0, "{output}");
    let text = unwrap_diagnostics(&output);
    assert!(text.contains("dr_failover cancelled"), "{text}");
    assert!(text.contains("put every VM back where it was"), "{text}");
    assert!(!text.contains("now run at the DR site"), "{text}");

    let ops = operations(&sim);
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0]["status"], "cancelled");
    assert_all_at_primary(&sim, "after the cancelled failover");
    wd.assert_plan_empty();
    wd.destroy();
}
