//! The shipped `examples/complete` (orchestrator, HA standby, protected VMs, security-group
//! rules) applied the way a user would, while things go wrong:
//!
//! - the cloud is slow, rate-limits 30% of requests with `Retry-After`, fails 5% with 500 and
//!   hands out IAM tokens that live 10 seconds;
//! - dr-cloudsim is killed with SIGKILL in the middle of the apply and restarted from its
//!   `--state` file;
//! - the user presses Ctrl-C (SIGINT to Terraform) while the provider waits for a deployment.
//!
//! After each, a second apply must converge, and then the account must be exactly what the
//! configuration describes: no duplicate object (two orchestrator VMs, a VM registered twice,
//! two identical rules), nothing orphaned (every object the runs created is in Terraform's
//! state; interrupted leftovers were adopted or removed), and an empty plan.
//!
//! The variables come from the emulator's scenario through `scripts/sim_tfvars.py`, exactly as
//! `scripts/demo.sh` derives them. Needs `cargo build --workspace --bins` and python3.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Instant;

use acctests::sim::{Sim, interrupt, wait_output};
use acctests::{WorkDir, terraform_at_least, workspace_root};
use serde_json::{Value, json};

/// `var.prefix` of examples/complete: the deployment and its VMs are named after it.
const PREFIX: &str = "slz-dr";
const PASSWORD: &str = "Complete-Passw0rd!";

/// A working directory holding examples/complete with variables derived from `sim`.
fn complete_workdir(sim: &Sim) -> WorkDir {
    let wd = sim.workdir().env("TF_VAR_orchestrator_password", PASSWORD);
    wd.copy_example("complete");
    let out = Command::new("python3")
        .arg(workspace_root().join("scripts/sim_tfvars.py"))
        .arg(sim.url())
        .output()
        .expect("run python3 scripts/sim_tfvars.py");
    assert!(
        out.status.success(),
        "sim_tfvars.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    wd.write(
        "terraform.tfvars.json",
        &String::from_utf8(out.stdout).unwrap(),
    );
    wd
}

/// True for objects that still exist from the account's point of view.
fn is_live(object: &Value) -> bool {
    !matches!(
        object["state"].as_str(),
        Some("removed" | "pending_removal" | "pending_reclamation")
    )
}

/// The identity of an object of `/_sim/state`, whatever its service calls it.
fn identity(collection: &str, object: &Value) -> Option<String> {
    if collection == "managed_vms" {
        return Some(format!(
            "{}/{}",
            object["instance_id"].as_str()?,
            object["pvm_instance_id"].as_str()?
        ));
    }
    ["pvmInstanceID", "networkID", "imageID", "guid", "id"]
        .iter()
        .find_map(|k| object[*k].as_str().map(str::to_string))
}

/// Every live object as `(service/collection, identity) -> object`; security-group rules,
/// which the VPC API nests in their group, count as `vpc/security_group_rules`.
fn inventory(state: &Value) -> BTreeMap<(String, String), Value> {
    let mut all = BTreeMap::new();
    for (service, collections) in state.as_object().unwrap() {
        for (collection, objects) in collections.as_object().unwrap() {
            let objects: Vec<&Value> = match objects {
                Value::Array(items) => items.iter().collect(),
                Value::Object(map) => map.values().collect(),
                _ => continue,
            };
            for object in objects.into_iter().filter(|o| is_live(o)) {
                if let Some(id) = identity(collection, object) {
                    all.insert((format!("{service}/{collection}"), id), object.clone());
                }
                if collection == "security_groups" {
                    for rule in object["rules"].as_array().into_iter().flatten() {
                        let id = rule["id"].as_str().unwrap_or_default().to_string();
                        all.insert(("vpc/security_group_rules".into(), id), rule.clone());
                    }
                }
            }
        }
    }
    all
}

/// Collections that are records, not resources anyone owns: DR Automation's event log, and
/// KSYS's own bookkeeping on the orchestrator (its sites, workgroups, workspaces, operations,
/// cluster nodes and crontab; what it manages is `ksys/vms`, checked like any resource).
const RECORDS: &[&str] = &[
    "dra/events",
    "ksys/clusters",
    "ksys/sites",
    "ksys/workspaces",
    "ksys/workgroups",
    "ksys/operations",
    "ksys/crontabs",
    "ksys/jobs",
];

/// VMs KSYS itself creates at the backup site for a managed VM: the orchestrator owns them.
fn made_by_ksys(collection: &str, object: &Value) -> bool {
    collection == "power/pvm_instances"
        && object["serverName"]
            .as_str()
            .is_some_and(|n| n.ends_with("_BackUp") || n.ends_with("_Rehearsal"))
}

/// The account holds exactly what the configuration describes.
fn assert_converged(sim: &Sim, wd: &WorkDir, before: &Value) {
    wd.assert_plan_empty();
    let state = sim.state();
    let tf_state = wd.raw_state();
    let vars: Value = serde_json::from_str(
        &std::fs::read_to_string(wd.path().join("terraform.tfvars.json")).unwrap(),
    )
    .unwrap();

    // Nothing orphaned: whatever the runs created is in Terraform's state.
    let old = inventory(before);
    let orphans: Vec<String> = inventory(&state)
        .into_iter()
        .filter(|(key, object)| {
            !old.contains_key(key)
                && !RECORDS.contains(&key.0.as_str())
                && !made_by_ksys(&key.0, object)
        })
        .filter(|((collection, id), _)| {
            // A deployment is keyed by its instance's CRN, a registration by orchestrator/VM.
            !id.split('/').all(|part| tf_state.contains(part)) && collection != "dra/deployments"
                || collection == "dra/deployments" && !tf_state.contains(id.as_str())
        })
        .map(|((collection, id), object)| format!("{collection} {id}: {object}"))
        .collect();
    assert!(
        orphans.is_empty(),
        "objects not in Terraform's state:\n{}",
        orphans.join("\n")
    );

    // No duplicates, by what makes each object unique to a user.
    let dr_instances: Vec<&Value> = state["rc"]["resource_instances"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            is_live(i)
                && i["crn"]
                    .as_str()
                    .is_some_and(|c| c.contains(":power-dr-automation:"))
        })
        .collect();
    assert_eq!(dr_instances.len(), 1, "DR instances: {dr_instances:?}");
    assert_eq!(dr_instances[0]["name"], PREFIX);
    let orchestrator_id = dr_instances[0]["guid"].as_str().unwrap();
    assert!(tf_state.contains(orchestrator_id));

    let mut vm_names = BTreeMap::<(String, String), usize>::new();
    for vm in state["power"]["pvm_instances"].as_array().unwrap() {
        let workspace = vm["crn"]
            .as_str()
            .unwrap_or_default()
            .split(':')
            .nth(7)
            .unwrap_or_default();
        *vm_names
            .entry((
                workspace.to_string(),
                vm["serverName"].as_str().unwrap().to_string(),
            ))
            .or_default() += 1;
    }
    let dup_vms: Vec<_> = vm_names.iter().filter(|(_, n)| **n > 1).collect();
    // (A backup VM is one per managed VM, so a duplicate `_BackUp` is a duplicate too.)
    assert!(dup_vms.is_empty(), "duplicate VMs: {dup_vms:?}");
    for suffix in ["orchestrator", "standby"] {
        let name = format!("{PREFIX}-{suffix}");
        assert_eq!(
            vm_names.iter().filter(|((_, n), _)| *n == name).count(),
            1,
            "{name}"
        );
    }

    let registrations: Vec<String> = state["ksys"]["vms"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| m["uuid"].as_str().unwrap().to_string())
        .collect();
    let unique: BTreeSet<&String> = registrations.iter().collect();
    assert_eq!(
        unique.len(),
        registrations.len(),
        "a VM managed twice by KSYS: {registrations:?}"
    );
    let wanted: BTreeSet<String> = vars["protected_vms"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v["pvm_instance_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(unique.into_iter().cloned().collect::<BTreeSet<_>>(), wanted);

    for group in state["vpc"]["security_groups"].as_array().unwrap() {
        let mut seen = BTreeSet::new();
        for rule in group["rules"].as_array().into_iter().flatten() {
            let key = json!([
                rule["direction"],
                rule["remote"],
                rule["local"],
                rule["protocol"],
                rule["port_min"],
                rule["port_max"],
                rule["type"],
                rule["code"]
            ]);
            assert!(
                seen.insert(key.to_string()),
                "duplicate rule in {}: {rule}",
                group["name"]
            );
        }
    }
    let dr_rules = state["vpc"]["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
        .filter(|r| {
            r["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("dr-from-"))
        })
        .count();
    assert_eq!(
        dr_rules, 4,
        "one rule per PowerVS subnet of both workspaces"
    );

    let mut networks = BTreeSet::new();
    for conn in state["tg"]["connections"].as_array().unwrap() {
        assert!(
            networks.insert(conn["network_id"].as_str().unwrap_or_default().to_string()),
            "a network attached twice to the Transit Gateway: {conn}"
        );
    }
}

/// Sums the request counters with `status`.
fn count_status(sim: &Sim, status: u64) -> u64 {
    sim.requests()["by_route"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"].as_u64() == Some(status))
        .filter_map(|r| r["count"].as_u64())
        .sum()
}

/// A new emulator (from `start`), a work directory with examples/complete against it, not
/// applied yet, and the emulator's state before anything is applied; None where the CLI under
/// test predates the example's write-only arguments (Terraform 1.11).
fn complete_example(start: impl FnOnce() -> Sim) -> Option<(Sim, WorkDir, Value)> {
    if !terraform_at_least(1, 11) {
        return None;
    }
    let sim = start();
    let wd = complete_workdir(&sim);
    let before = sim.state();
    Some((sim, wd, before))
}

#[test]
fn complete_example_converges_under_rate_limits_errors_latency_and_short_tokens() {
    let Some((sim, wd, before)) = complete_example(|| Sim::start(200.0)) else {
        return;
    };
    sim.set_faults(json!({
        "rules": [
            {"path_prefix": "/", "rate": 0.30, "status": 429, "retry_after_seconds": 1},
            {"path_prefix": "/", "rate": 0.05, "status": 500},
            {"path_prefix": "/", "latency_ms": 200}
        ],
        "token_lifetime_seconds": 10
    }));
    sim.reset_requests();
    let started = Instant::now();
    let out = wd.apply();
    let took = started.elapsed();
    assert!(out.stdout.contains("Apply complete!"), "{}", out.stdout);
    let (total, limited, failed) = (
        sim.requests()["total"].as_u64().unwrap(),
        count_status(&sim, 429),
        count_status(&sim, 500),
    );
    let tokens = sim.count_requests(|m, r| m == "POST" && r.starts_with("/iam/"));
    println!(
        "faults: apply of examples/complete took {took:.1?}: {total} requests, {limited} answered 429, \
         {failed} answered 500, {tokens} token requests"
    );
    assert!(limited > 0 && failed > 0, "the faults were not exercised");
    assert!(
        tokens > 1,
        "a 10 s token lifetime must force a refresh over a {took:?} apply"
    );

    // A second apply under the same faults has nothing to do, and the plan stays empty.
    let again = wd.apply();
    assert!(
        again.stdout.contains("0 added, 0 changed, 0 destroyed"),
        "{}",
        again.stdout
    );
    assert_converged(&sim, &wd, &before);
}

#[test]
fn creates_whose_answer_is_lost_are_adopted_not_repeated() {
    let Some((sim, wd, before)) = complete_example(|| Sim::start(200.0)) else {
        return;
    };
    // Half of the writes to every cloud service are carried out, then answered with a gateway
    // timeout: the provider cannot know they happened and must look before writing again.
    let lost = |prefix: &str| {
        json!({"path_prefix": prefix, "methods": ["POST"], "rate": 0.5, "status": 504,
               "after_handler": true})
    };
    let rules = ["/rc", "/power", "/vpc", "/tg", "/dra"].map(lost);
    sim.set_faults(json!({ "rules": rules }));
    sim.reset_requests();
    let out = wd.apply();
    assert!(out.stdout.contains("Apply complete!"), "{}", out.stdout);
    let lost_answers = count_status(&sim, 504);
    println!("faults: {lost_answers} writes lost their answer during the apply");
    assert!(lost_answers > 0, "the faults were not exercised");
    sim.clear_faults();
    assert_converged(&sim, &wd, &before);
}

#[test]
fn emulator_killed_mid_apply_and_restarted_from_its_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("sim-state.json");
    let Some((mut sim, wd, before)) =
        complete_example(|| Sim::start_persistent(200.0, &state_file))
    else {
        return;
    };
    // The standby deployment is under way when the emulator dies: the orchestrator, the rules
    // and the first waits are behind, the standby and the VM registrations ahead. (The
    // restart drops the hold, so the deployment goes on.)
    let (apply, _) = sim.spawn_apply_held(
        &wd,
        &[("TF_VAR_orchestrator_password", PASSWORD)],
        "dra.standby.step2",
    );
    assert_eq!(
        sim.objects("power", "pvm_instances")
            .iter()
            .filter(|vm| vm["serverName"] == format!("{PREFIX}-standby"))
            .count(),
        1,
        "the standby VM exists"
    );
    sim.kill_and_restart();
    let (code, output) = wait_output(apply);
    println!("faults: apply across the emulator's restart exited {code}");
    if code != 0 {
        // A failure is acceptable only as a reported error, never a crash.
        assert!(
            !output.contains("panic") && !output.contains("plugin crashed"),
            "{output}"
        );
    }
    wd.apply();
    assert_converged(&sim, &wd, &before);
}

#[test]
fn ctrl_c_while_the_provider_waits_then_the_next_apply_converges() {
    let Some((sim, wd, before)) = complete_example(|| Sim::start(200.0)) else {
        return;
    };
    // The deployment is held at step 3 (its orchestrator VM exists): the provider is waiting
    // for it to finish when Ctrl-C comes.
    let (apply, _) = sim.spawn_apply_held(
        &wd,
        &[("TF_VAR_orchestrator_password", PASSWORD)],
        "dra.deploy.step3",
    );
    interrupt(&apply);
    let (code, output) = wait_output(apply);
    assert_ne!(
        code, 0,
        "the interrupted apply should report the interruption:\n{output}"
    );
    assert!(!output.contains("plugin crashed"), "{output}");
    sim.release_hold("dra.deploy.step3");
    let out = wd.apply();
    assert!(out.stdout.contains("Apply complete!"), "{}", out.stdout);
    assert_converged(&sim, &wd, &before);
}
