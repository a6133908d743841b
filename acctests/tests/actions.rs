//! Acceptance tests of actions (Terraform 1.14+, protocol 6.10) with the real Terraform CLI.
//!
//! - `drtest_touch` (the test provider) proves the framework: offline validation, the
//!   plan-time check, progress lines of `terraform apply -invoke=...`, a failure carrying the
//!   action's message, an `action_trigger` lifecycle block, and Ctrl-C (SIGINT to Terraform)
//!   ending the invocation cleanly.
//! - `dr_failover`, `dr_failback` and `dr_test` run KSYS moves through dr-cloudsim's jump host on
//!   a deployed orchestrator with managed VMs (no standby: a failover needs the backup site, not
//!   the HA standby): every line KSYS prints in the CLI output, the world checked through KSYS's
//!   state and PowerVS after failover, failback, a rehearsal with its cleanup and one kept for
//!   later, a failed move retried, the plan-time refusals, and Ctrl-C that stops waiting without
//!   interrupting the move.
//!
//! Needs `cargo build --workspace --bins` first. With `TF_ACC_TERRAFORM_VERSION` older than
//! 1.14 the tests return early: actions do not exist there.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use acctests::fixtures::{self, BACKUP, PRIMARY, PROVIDER_HEADER, managed_vm, plain_password};
use acctests::sim::{ACC_KEY_NAME, ORCHESTRATOR_PASSWORD, Sim, interrupt};
use acctests::{WorkDir, drtest_header, drtest_workdir, terraform_at_least, unwrap_diagnostics};
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
    /// `terraform apply -invoke=<address>` in `wd`, with `env` added.
    fn invoke(wd: &WorkDir, env: &[(String, String)], address: &str) -> Background {
        let args = invoke_args(address);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Background::start(wd, env, &args)
    }

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
        interrupt(&self.child);
    }

    /// Ctrl-C, then waits (up to `limit`) for Terraform to exit; returns its output, which must
    /// report the interruption (a non-zero exit) without a crash.
    fn interrupt_and_finish(self, limit: Duration) -> String {
        self.interrupt();
        let (code, output) = self.finish(limit);
        assert_no_crash(&output);
        assert_ne!(code, 0, "{output}");
        output
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

/// The test provider's header and the thing `drtest_touch` touches.
fn touch_header(store: &Path) -> String {
    drtest_header(store) + "\nresource \"drtest_thing\" \"a\" {\n  name = \"alpha\"\n}\n"
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
    let (wd, store) = drtest_workdir();
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
    let mut run = Background::invoke(&wd, &[], "action.drtest_touch.slow");
    run.wait_for("touching thing-1: step 1 of 20", Duration::from_secs(60));
    let output = run.interrupt_and_finish(Duration::from_secs(60));
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

const WORKLOADS: [&str; 3] = ["aix-app-01", "ibmi-db-01", "rhel-web-01"];

/// PowerVS status of the VM `name` of workspace `workspace`, found by the GUID in its CRN.
fn power_status(sim: &Sim, workspace: &str, name: &str) -> Option<String> {
    sim.power_object_in(workspace, "pvm_instances", "serverName", name)
        .and_then(|v| v["status"].as_str().map(str::to_string))
}

/// KSYS's workgroups by name: (active site, state, DR test state).
fn workgroups(sim: &Sim) -> std::collections::BTreeMap<String, (String, String, String)> {
    sim.objects("ksys", "workgroups")
        .iter()
        .map(|w| {
            let text = |k: &str| w[k].as_str().unwrap_or("").to_string();
            (
                text("name"),
                (text("active_site"), text("state"), text("dr_test_state")),
            )
        })
        .collect()
}

fn move_commands(sim: &Sim) -> u64 {
    sim.ssh_commands()
        .iter()
        .filter(|(c, _)| c.starts_with("ksysmgr move") || c.starts_with("ksysmgr cleanup"))
        .map(|(_, n)| n)
        .sum()
}

/// The production VMs run at home, their backups are shut off, and no rehearsal VM is left.
fn assert_all_at_home(sim: &Sim, context: &str) {
    for vm in WORKLOADS {
        assert_eq!(
            power_status(sim, PRIMARY, vm).as_deref(),
            Some("ACTIVE"),
            "{context}: {vm} must run at home"
        );
        assert_eq!(
            power_status(sim, BACKUP, &format!("{vm}_BackUp")).as_deref(),
            Some("SHUTOFF"),
            "{context}: the backup of {vm} is shut off"
        );
        assert_eq!(
            power_status(sim, BACKUP, &format!("{vm}_Rehearsal")),
            None,
            "{context}: no rehearsal VM of {vm} is left"
        );
    }
    for (name, (site, state, _)) in workgroups(sim) {
        assert_eq!(
            (site.as_str(), state.as_str()),
            ("us-south", "READY_TO_MOVE"),
            "{context}: workgroup {name}"
        );
    }
}

/// Orchestrator, three managed VMs (aix + ibmi in workgroup `erp`, high priority; rhel low),
/// and the actions.
fn dr_config(sim: &Sim) -> String {
    let managed = |label: &str, vm: &str, priority: &str, group: &str| {
        let block = managed_vm(label, "o", &sim.vm_id(vm)).string("priority", priority);
        match group {
            "" => block,
            group => block.string("workgroup_name", group),
        }
    };
    let orchestrator = fixtures::orchestrator("dract", &sim.workspace_id(PRIMARY))
        .string("ssh_key_name", ACC_KEY_NAME)
        .raw(&plain_password(ORCHESTRATOR_PASSWORD));
    let action = |kind: &str, name: &str, extra: &str| {
        format!(
            "\naction \"{kind}\" \"{name}\" {{\n  config {{\n    orchestrator_id = dr_orchestrator.o.id\n{extra}  }}\n}}\n"
        )
    };
    let erp_only = format!("    vm_ids = [\"{}\"]\n", sim.vm_id("aix-app-01"));
    format!(
        "{PROVIDER_HEADER}{orchestrator}{app}{db}{web}{actions}",
        app = managed("app", "aix-app-01", "high", "erp"),
        db = managed("db", "ibmi-db-01", "high", "erp"),
        web = managed("web", "rhel-web-01", "low", ""),
        actions = [
            ("dr_failover", "go", ""),
            (
                "dr_failover",
                "erp_unplanned",
                "    workgroups = [\"erp\"]\n    dr_type    = \"unplanned\"\n",
            ),
            ("dr_failback", "back", ""),
            ("dr_test", "drill", ""),
            ("dr_test", "erp_only", &erp_only),
            (
                "dr_test",
                "erp_keep",
                "    workgroups = [\"erp\"]\n    cleanup    = false\n",
            ),
            ("dr_test", "erp_cleanup", "    workgroups = [\"erp\"]\n"),
            ("dr_test", "typo", "    workgroups = [\"nope\"]\n"),
        ]
        .map(|(kind, name, extra)| action(kind, name, extra))
        .concat(),
    )
}

/// Waits (up to 300 s) until KSYS shows every workgroup at the backup site, ready to move:
/// a move the provider stopped waiting for completes at the orchestrator on its own.
fn wait_until_moved_to_backup(sim: &Sim) {
    let start = Instant::now();
    while workgroups(sim)
        .values()
        .any(|(site, state, _)| site != "us-east" || state != "READY_TO_MOVE")
    {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "the move never completed: {:?}",
            workgroups(sim)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
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

/// The index of the first progress line that mentions `needle`; panics when none does.
fn first_index(lines: &[String], needle: &str) -> usize {
    lines
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no progress line mentions {needle:?}: {lines:#?}"))
}

/// Invokes `address`, which must succeed or fail as `succeeds` says, without a crash.
fn invoke_expecting(wd: &WorkDir, address: &str, succeeds: bool) -> acctests::TfOutput {
    let out = invoke(wd, address);
    let outcome = if succeeds {
        "failed"
    } else {
        "succeeded, but should have failed"
    };
    assert_eq!(
        out.code == 0,
        succeeds,
        "invoking {address} {outcome}:\n{}",
        out.combined()
    );
    assert_no_crash(&out.combined());
    out
}

fn invoke_ok(wd: &WorkDir, address: &str) -> Vec<String> {
    let out = invoke_expecting(wd, address, true);
    let lines = progress_lines(&out.stdout, address);
    // Shown with --nocapture: what a user sees.
    eprintln!("{address}:\n  {}", lines.join("\n  "));
    lines
}

fn invoke_err(wd: &WorkDir, address: &str) -> String {
    let out = invoke_expecting(wd, address, false);
    unwrap_diagnostics(&out.combined())
}

/// A new emulator with [`dr_config`] and `extra` applied, every workload at home.
fn deployed(extra: &str) -> (Sim, WorkDir) {
    let sim = Sim::start(300.0);
    let wd = sim.workdir();
    wd.config(&(dr_config(&sim) + extra));
    wd.apply();
    (sim, wd)
}

/// The held move of workgroup `erp` still runs at the orchestrator, as the action's error
/// `text` says; `why` names what let it run on.
fn assert_move_still_running(sim: &Sim, text: &str, why: &str) {
    assert!(text.contains("is still running at orchestrator"), "{text}");
    assert_eq!(workgroups(sim)["erp"].1, "MOVE_IN_PROGRESS", "{why}");
}

/// Releases the held move, which completes at the orchestrator on its own; then fails back
/// and destroys everything.
fn release_the_move_and_fail_back(sim: &Sim, wd: &WorkDir) {
    sim.release_hold("ksys.move.erp");
    wait_until_moved_to_backup(sim);
    invoke_ok(wd, "action.dr_failback.back");
    assert_all_at_home(sim, "after the failback");
    wd.destroy();
}

#[test]
fn dr_failover_failback_and_dr_tests_through_ksys() {
    if !actions_supported() {
        return;
    }
    let (sim, wd) = deployed("");
    wd.assert_plan_empty();
    assert_all_at_home(&sim, "after deployment");

    // Nothing to fail back yet: refused at plan, no move sent.
    sim.reset_requests();
    let text = invoke_err(&wd, "action.dr_failback.back");
    assert!(text.contains("there is nothing to fail back"), "{text}");
    let text = invoke_err(&wd, "action.dr_test.typo");
    assert!(
        text.contains("The orchestrator has no workgroup \"nope\""),
        "{text}"
    );
    assert!(text.contains("erp"), "{text}");
    assert_eq!(move_commands(&sim), 0, "{:?}", sim.ssh_commands());

    // A DR test of everything: one site rehearsal, its rehearsal VMs, its cleanup.
    let lines = invoke_ok(&wd, "action.dr_test.drill");
    let rehearse = first_index(
        &lines,
        "running ksysmgr -f move site from=us-south to=us-east dr_test=yes",
    );
    let started = first_index(&lines, "Site dr_test move started for");
    let reported = first_index(&lines, "rehearsal VM aix-app-01_Rehearsal of aix-app-01");
    let cleanup = first_index(
        &lines,
        "running ksysmgr -f cleanup site us-east dr_test=yes",
    );
    assert!(
        rehearse < started && started < reported && reported < cleanup,
        "{lines:#?}"
    );
    assert!(lines.last().unwrap().contains("DR test done"), "{lines:#?}");
    assert_all_at_home(&sim, "after the DR test");
    for (name, (_, _, test_state)) in workgroups(&sim) {
        assert_eq!(test_state, "DRTESTCLEANUP_COMPLETED", "workgroup {name}");
    }
    wd.assert_plan_empty();

    // One VM named: its whole workgroup is rehearsed, nothing else.
    let out = invoke(&wd, "action.dr_test.erp_only");
    assert_eq!(out.code, 0, "{}", out.combined());
    let text = unwrap_diagnostics(&out.combined());
    assert!(text.contains("Whole workgroup included"), "{text}");
    let lines = progress_lines(&out.stdout, "action.dr_test.erp_only");
    first_index(&lines, "including ibmi-db-01");
    first_index(
        &lines,
        "ksysmgr -f move workgroup erp to=us-east dr_test=yes",
    );
    assert!(
        !lines.iter().any(|l| l.contains("rhel-web-01")),
        "{lines:#?}"
    );

    // A rehearsal kept running, cleaned up by a later dr_test.
    invoke_ok(&wd, "action.dr_test.erp_keep");
    assert_eq!(workgroups(&sim)["erp"].2, "ACTIVE");
    assert_eq!(
        power_status(&sim, BACKUP, "aix-app-01_Rehearsal").as_deref(),
        Some("ACTIVE")
    );
    sim.reset_requests();
    let lines = invoke_ok(&wd, "action.dr_test.erp_cleanup");
    first_index(&lines, "ksysmgr -f cleanup workgroup erp dr_test=yes");
    assert_eq!(
        sim.ssh_commands().get("ksysmgr move workgroup"),
        None,
        "no second rehearsal"
    );
    assert_all_at_home(&sim, "after the kept rehearsal was cleaned up");

    // Failover of everything, highest priority first; the world follows.
    let lines = invoke_ok(&wd, "action.dr_failover.go");
    first_index(
        &lines,
        "running ksysmgr -f move site from=us-south to=us-east dr_type=planned",
    );
    assert!(
        first_index(&lines, "move has started for Workgroup erp")
            < first_index(&lines, "move has started for Workgroup rhel-web-01_WG"),
        "High before Low: {lines:#?}"
    );
    for vm in WORKLOADS {
        assert_eq!(
            power_status(&sim, PRIMARY, vm).as_deref(),
            Some("SHUTOFF"),
            "{vm}"
        );
        assert_eq!(
            power_status(&sim, BACKUP, &format!("{vm}_BackUp")).as_deref(),
            Some("ACTIVE"),
            "{vm}"
        );
    }
    for (name, (site, _, _)) in workgroups(&sim) {
        assert_eq!(site, "us-east", "workgroup {name}");
    }
    wd.assert_plan_empty();
    let text = invoke_err(&wd, "action.dr_failover.go");
    assert!(text.contains("already runs at its backup site"), "{text}");

    invoke_ok(&wd, "action.dr_failback.back");
    assert_all_at_home(&sim, "after failback");

    // An unplanned failover of one workgroup; then a failback of everything moves only it.
    let lines = invoke_ok(&wd, "action.dr_failover.erp_unplanned");
    first_index(
        &lines,
        "ksysmgr -f move workgroup erp to=us-east dr_type=unplanned",
    );
    assert_eq!(workgroups(&sim)["erp"].0, "us-east");
    assert_eq!(workgroups(&sim)["rhel-web-01_WG"].0, "us-south");
    let lines = invoke_ok(&wd, "action.dr_failback.back");
    first_index(
        &lines,
        "ksysmgr -f move site from=us-east to=us-south dr_type=planned",
    );
    assert_all_at_home(&sim, "after the partial failback");

    // A move that fails at the orchestrator stops with KSYS's words; a new one completes it.
    let aix = sim.vm_id("aix-app-01");
    sim.patch_object("ksys", "vms", &aix, serde_json::json!({"_fail_move": true}));
    let text = invoke_err(&wd, "action.dr_failover.go");
    assert!(
        text.contains("Error running dr_failover") && text.contains("ERROR"),
        "{text}"
    );
    assert_eq!(workgroups(&sim)["erp"].1, "MOVE_FAILED");
    sim.patch_object("ksys", "vms", &aix, serde_json::json!({"_fail_move": null}));
    let lines = invoke_ok(&wd, "action.dr_failover.go");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("move workgroup erp") || l.contains("move site")),
        "{lines:#?}"
    );
    assert_eq!(workgroups(&sim)["erp"].0, "us-east");
    invoke_ok(&wd, "action.dr_failback.back");
    assert_all_at_home(&sim, "after the retried failover and its failback");

    wd.assert_plan_empty();
    assert_eq!(sim.retired_api_requests(), 0, "{}", sim.requests());
    wd.destroy();
    assert!(sim.objects("ksys", "vms").is_empty());
}

#[test]
fn ctrl_c_stops_waiting_without_interrupting_the_move() {
    if !actions_supported() {
        return;
    }
    let (sim, wd) = deployed("");
    assert_all_at_home(&sim, "after deployment");

    // The move of the first workgroup is held right after it started, so it is still running
    // at the orchestrator when Terraform is interrupted, however slow this machine is.
    sim.arm_hold("ksys.move.erp");
    let mut run = Background::invoke(&wd, &[], "action.dr_failover.go");
    sim.hold_reached("ksys.move.erp");
    run.wait_for(
        "move has started for Workgroup erp",
        Duration::from_secs(300),
    );
    let output = run.interrupt_and_finish(Duration::from_secs(180));
    eprintln!("interrupted failover:\n{output}");
    let text = unwrap_diagnostics(&output);
    assert!(text.contains("dr_failover stopped waiting"), "{text}");
    assert!(text.contains("KSYS has no cancel"), "{text}");
    assert!(!text.contains("failover done"), "{text}");
    assert_move_still_running(&sim, &text, "the move is still running at the orchestrator");

    // Released, the move goes on at the orchestrator and completes there.
    release_the_move_and_fail_back(&sim, &wd);
}

#[test]
fn an_action_timeout_running_out_reports_the_move_still_running() {
    if !actions_supported() {
        return;
    }
    let (sim, wd) = deployed(
        "\naction \"dr_failover\" \"short\" {\n  config {\n    orchestrator_id = dr_orchestrator.o.id\n    timeout         = \"15s\"\n  }\n}\n",
    );
    assert_all_at_home(&sim, "after deployment");

    // The move is held once it has started, so it cannot finish within the timeout however
    // fast this machine is; the 15 s only have to cover the commands before it.
    sim.arm_hold("ksys.move.erp");
    let text = invoke_err(&wd, "action.dr_failover.short");
    assert!(!sim.hold_reached("ksys.move.erp").is_empty());
    assert!(text.contains("dr_failover timed out"), "{text}");
    assert!(
        text.contains("move has started for Workgroup erp"),
        "the last line KSYS printed is reported: {text}"
    );
    assert_move_still_running(
        &sim,
        &text,
        "the provider sent nothing that stopped the move",
    );

    // Released, the move completes at the orchestrator on its own.
    release_the_move_and_fail_back(&sim, &wd);
}
