//! `dr_orchestrator` beyond its lifecycle (acctests/tests/orchestrator.rs): a `timeouts.create`
//! deadline that runs out while DR Automation is still deploying (held at a step by
//! dr-cloudsim, so the deadline runs out however fast the machine is), and the optional
//! arguments `resource_group_id`, `proxy_ip` and `managed_api_key` reaching the APIs.
//!
//! Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acctests::fixtures::{self, PRIMARY, PROVIDER_HEADER, plain_password};
use acctests::sim::{ACC_KEY_NAME, ORCHESTRATOR_PASSWORD, Sim};
use acctests::unwrap_diagnostics;
use serde_json::Value;

/// The provider header and `dr_orchestrator.o` named `name` in the primary workspace, with
/// `extra` argument lines.
fn orchestrator(sim: &Sim, name: &str, extra: &str) -> String {
    let block = fixtures::orchestrator(name, &sim.workspace_id(PRIMARY))
        .string("ssh_key_name", ACC_KEY_NAME)
        .raw(&plain_password(ORCHESTRATOR_PASSWORD))
        .raw(extra);
    format!("{PROVIDER_HEADER}{block}")
}

/// The live DR Automation instances named `name`.
fn instances(sim: &Sim, name: &str) -> Vec<Value> {
    sim.objects("rc", "resource_instances")
        .into_iter()
        .filter(|i| i["name"] == name)
        .filter(|i| i["state"] != "removed" && i["state"] != "pending_reclamation")
        .collect()
}

#[test]
fn create_deadline_running_out_keeps_the_instance_tainted_and_the_next_apply_converges() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    wd.config(&orchestrator(
        &sim,
        "drdeadline",
        "  timeouts {\n    create = \"15s\"\n  }\n",
    ));
    // Held at step 3 the deployment cannot finish within the deadline; the 15 s only have to
    // cover the steps before it.
    sim.arm_hold("dra.deploy.step3");
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_ne!(out.code, 0, "{}", out.combined());
    let guid = sim.hold_reached("dra.deploy.step3");
    let text = unwrap_diagnostics(&out.combined());
    assert!(text.contains("timed out"), "{text}");
    assert!(
        text.contains("3/5"),
        "the step it was at is reported: {text}"
    );
    assert!(!text.contains("plugin crashed"), "{text}");
    // Kept in state, tainted, not orphaned: the next plan replaces it.
    let state = wd.raw_state();
    assert!(state.contains(&guid), "{state}");
    assert!(state.contains("\"status\": \"tainted\""), "{state}");
    assert_eq!(instances(&sim, "drdeadline").len(), 1);

    sim.release_hold("dra.deploy.step3");
    wd.config(&orchestrator(&sim, "drdeadline", ""));
    let out = wd.apply();
    assert!(out.stdout.contains("Apply complete!"), "{}", out.stdout);
    wd.assert_plan_empty();
    let live = instances(&sim, "drdeadline");
    assert_eq!(live.len(), 1, "the tainted instance was replaced: {live:?}");
    assert_ne!(live[0]["guid"], guid.as_str());
    wd.destroy();
    assert!(instances(&sim, "drdeadline").is_empty());
}

#[test]
fn resource_group_proxy_and_managed_key_reach_the_apis() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    let group = sim.id_by_name("rc", "resource_groups", "slz-service-rg", "id");
    wd.config(&orchestrator(
        &sim,
        "drargs",
        &format!(
            "  resource_group_id = \"{group}\"\n  proxy_ip          = \"10.30.40.4:3128\"\n  managed_api_key   = \"managed-key-for-args\"\n"
        ),
    ));
    sim.reset_requests();
    wd.apply();
    // The managed API key went to DR Automation with the deployment (the emulator counts the
    // field, never keeping the key).
    assert_eq!(
        sim.requests()["secrets_received"],
        serde_json::json!({"dra.managed_apikey": 1})
    );
    wd.assert_plan_empty();
    let live = instances(&sim, "drargs");
    assert_eq!(live.len(), 1);
    assert_eq!(live[0]["resource_group_id"], group.as_str());
    let guid = live[0]["guid"].as_str().unwrap().to_string();
    let deployment = sim
        .objects("dra", "deployments")
        .into_iter()
        .find(|d| d["id"].as_str().is_some_and(|id| id.contains(&guid)))
        .expect("the deployment");
    assert_eq!(deployment["proxy_ip"], "10.30.40.4:3128");
    let v = wd.resource_values("dr_orchestrator.o").unwrap();
    assert_eq!(
        (&v["resource_group_id"], &v["proxy_ip"]),
        (
            &Value::String(group.clone()),
            &Value::String("10.30.40.4:3128".into())
        )
    );
    wd.destroy();
}
