//! Acceptance tests of `dr_ha_standby` with real Terraform against dr-cloudsim: the standby
//! workspace is attached to the Transit Gateway and the standby deployed; import reads it
//! back; destroy detaches only an attachment the resource made; and the plan refuses a
//! standby whose subnets overlap the gateway's networks (the default scenario's
//! `overlap-dal13-power-workspace`), a standby in the primary workspace, and the other
//! invalid arguments, each without a single write to the cloud. Day 2: a standby VM deleted
//! and a gateway connection detached out of band, an argument change and a password version
//! bump replace or repair the standby alone, never the primary deployment.
//!
//! Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use acctests::fixtures::{
    self, ORCH_PASSWORD, PRIMARY, PROVIDER_HEADER, STANDBY, assert_mentions, ha_standby,
    password_arguments,
};
use acctests::sim::{ACC_KEY_NAME, Sim, wait_output};
use acctests::{WorkDir, terraform_at_least};
use serde_json::{Value, json};

const OVERLAPPING: &str = "overlap-dal13-power-workspace";

fn workspace(sim: &Sim, name: &str) -> Value {
    sim.objects("power", "workspaces")
        .into_iter()
        .find(|w| w["name"] == name)
        .unwrap_or_else(|| panic!("workspace {name}"))
}

/// Transit Gateway connections of `workspace` (by its CRN).
fn attachments(sim: &Sim, workspace_name: &str) -> Vec<Value> {
    let crn = workspace(sim, workspace_name)["details"]["crn"].clone();
    sim.objects("tg", "connections")
        .into_iter()
        .filter(|c| c["network_id"] == crn)
        .collect()
}

/// The provider header and `dr_orchestrator.o` named `name` in the primary workspace.
fn orchestrator(sim: &Sim, name: &str) -> String {
    let block = fixtures::orchestrator(name, &sim.workspace_id(PRIMARY))
        .string("ssh_key_name", ACC_KEY_NAME)
        .raw(&password_arguments(ORCH_PASSWORD));
    format!("{PROVIDER_HEADER}{block}")
}

/// `dr_ha_standby.s` in `workspace` on `gateway`, with `extra` argument lines.
fn standby(workspace: &str, gateway: &str, extra: &str) -> String {
    ha_standby("s", "o", workspace, gateway)
        .raw(&password_arguments(ORCH_PASSWORD))
        .raw(extra)
        .hcl()
}

/// The standby workspace's id, the Transit Gateway's id, and the configuration of orchestrator
/// `name` with its standby there.
fn with_standby(sim: &Sim, name: &str) -> (String, String, String) {
    let ws = sim.workspace_id(STANDBY);
    let tg = sim.transit_gateway_id();
    let config = orchestrator(sim, name) + &standby(&ws, &tg, "");
    (ws, tg, config)
}

#[test]
fn ha_standby_lifecycle_attaches_and_detaches_only_its_own_connection() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    let (ws, _, config) = with_standby(&sim, "drha");
    assert!(attachments(&sim, STANDBY).is_empty());

    // Orchestrator and standby in one apply: attach, then deploy the standby.
    wd.config(&config);
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values("dr_ha_standby.s").unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(
        id,
        wd.resource_values("dr_orchestrator.o").unwrap()["id"]
            .as_str()
            .unwrap()
    );
    assert_eq!(v["status"], "Active");
    assert_eq!(v["manages_transit_gateway_connection"], true);
    assert_eq!(v["orchestrator_user"], "admin", "defaults to the primary's");
    assert_eq!(v["machine_type"], "s922", "defaults to the primary's");
    let attached = attachments(&sim, STANDBY);
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0]["status"], "attached");
    assert_eq!(attached[0]["network_type"], "power_virtual_server");
    assert_eq!(attached[0]["id"], v["transit_gateway_connection_id"]);
    assert_eq!(sim.vms_named("drha-standby").len(), 1);
    let deployment = &sim.objects("dra", "deployments")[0];
    assert_eq!(deployment["orchestrator_ha"], true);
    assert_eq!(deployment["standby_orchestrator_workspace_id"], ws.as_str());

    // Import by the orchestrator id.
    wd.import_verify(
        "dr_ha_standby.s",
        &id,
        &[
            "orchestrator_password",
            "orchestrator_password_wo",
            "orchestrator_password_wo_version",
            "manages_transit_gateway_connection",
            "timeouts",
        ],
    );

    // Destroying the standby removes it and the attachment it made.
    wd.destroy_args(&["-target=dr_ha_standby.s"]);
    assert!(attachments(&sim, STANDBY).is_empty());
    assert_eq!(sim.vms_named("drha-standby").len(), 0);
    assert_eq!(
        sim.objects("dra", "deployments")[0]["orchestrator_ha"],
        false
    );
    assert_eq!(
        sim.vms_named("drha-orchestrator").len(),
        1,
        "the primary stays"
    );

    // An attachment (and standby) this resource did not create is adopted and left alone.
    wd.apply();
    wd.run_ok(&["state", "rm", "dr_ha_standby.s"]);
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values("dr_ha_standby.s").unwrap();
    assert_eq!(v["manages_transit_gateway_connection"], false);
    assert_eq!(
        attachments(&sim, STANDBY).len(),
        1,
        "adopted, not duplicated"
    );
    assert_eq!(sim.vms_named("drha-standby").len(), 1);
    wd.destroy();
    let kept = attachments(&sim, STANDBY);
    assert_eq!(kept.len(), 1, "an adopted attachment survives destroy");
    assert_eq!(kept[0]["status"], "attached");
    assert_eq!(sim.vms_named("drha-standby").len(), 0);
    assert_eq!(sim.vms_named("drha-orchestrator").len(), 0);
}

#[test]
fn ha_standby_plan_refuses_overlaps_and_invalid_arguments_without_writes() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    let tg = sim.transit_gateway_id();
    wd.config(&orchestrator(&sim, "drref"));
    wd.apply();

    // The default scenario's third workspace reuses the primary's 10.51.0.0/24.
    let overlapping = sim.workspace_id(OVERLAPPING);
    wd.config(&(orchestrator(&sim, "drref") + &standby(&overlapping, &tg, "")));
    sim.reset_requests();
    let out = wd.plan_expect_error("Standby subnet overlaps a network on the Transit Gateway");
    assert_mentions(
        &out.combined(),
        &[&format!(
            r#"workspace_id "{overlapping}": Subnet mgmt_net \(10\.51\.0\.0/24\) of standby workspace {OVERLAPPING} overlaps subnet mgmt_net \(10\.51\.0\.0/24\) of PowerVS workspace {PRIMARY}; both would be reachable through transit gateway slz-transit-gateway \({tg}\)"#
        )],
    );
    assert_eq!(sim.cloud_writes(), 0);
    assert!(attachments(&sim, OVERLAPPING).is_empty());

    // The primary workspace cannot host the standby.
    let primary = sim.workspace_id(PRIMARY);
    wd.config(&(orchestrator(&sim, "drref") + &standby(&primary, &tg, "")));
    sim.reset_requests();
    wd.plan_expect_error(&format!(
        r#"workspace_id: "{primary}" \({PRIMARY}\) is the workspace of the primary orchestrator; the standby must run in a different workspace"#
    ));
    assert_eq!(sim.cloud_writes(), 0);

    // Machine type, networks and gateway, checked against the cloud.
    let ws = sim.workspace_id(STANDBY);
    let foreign = sim.network_id(PRIMARY, "mgmt_net");
    wd.config(
        &(orchestrator(&sim, "drref")
            + &standby(
                &ws,
                "00000000-0000-4000-8000-00000000dead",
                &format!("  machine_type = \"e980\"\n  network_ids = [\"{foreign}\"]\n"),
            )),
    );
    sim.reset_requests();
    let out = wd.plan_expect_error("Machine type not offered");
    assert_mentions(
        &out.combined(),
        &[
            &format!(
                r#"machine_type: Machine type "e980" is not available in workspace {STANDBY}; it offers: s922, s1022"#
            ),
            &format!(r#"network_ids\[0\]: "{foreign}" is not a network of workspace {STANDBY}"#),
            &format!(
                r#"transit_gateway_id: no Transit Gateway has the id "00000000-0000-4000-8000-00000000dead"\. Gateways in this account: {tg} \(slz-transit-gateway\)"#
            ),
        ],
    );
    assert_eq!(sim.cloud_writes(), 0);

    // Offline: tiers DR does not replicate.
    wd.config(&(orchestrator(&sim, "drref") + &standby(&ws, &tg, "  tier = \"tier5k\"\n")));
    sim.reset_requests();
    wd.plan_expect_error(
        r#"tier: "tier5k" is not a storage tier DR Automation supports\. PowerVS offers it, but DR Automation does not replicate it\. Use tier1 \(10 IOPS/GB\) or tier3 \(3 IOPS/GB\)"#,
    );
    assert_eq!(sim.requests()["total"], 0);
    wd.config(&orchestrator(&sim, "drref"));
    wd.destroy();
}

/// PowerVS instance ids of the VMs named `name`.
fn standby_vm_ids(sim: &Sim, name: &str) -> Vec<String> {
    sim.objects("power", "pvm_instances")
        .iter()
        .filter(|vm| vm["serverName"] == name)
        .map(|vm| vm["pvmInstanceID"].as_str().unwrap().to_string())
        .collect()
}

/// Applies `config`, whose plan replaces `dr_ha_standby.s` (`forced` says why); returns the
/// new standby VM, which is not the one of `before`.
fn replace_the_standby(
    sim: &Sim,
    wd: &WorkDir,
    config: &str,
    forced: &str,
    before: &[String],
) -> Vec<String> {
    wd.config(config);
    let plan = wd.assert_plan_not_empty();
    assert_mentions(
        &plan,
        &[
            r"dr_ha_standby\.s must be replaced",
            forced,
            r"Plan: 1 to add, 0 to change, 1 to destroy",
        ],
    );
    wd.apply();
    wd.assert_plan_empty();
    let after = standby_vm_ids(sim, "drday-standby");
    assert_eq!(after.len(), 1);
    assert_ne!(after, before);
    after
}

/// Day 2 of a standby: what happens by hand (the standby VM deleted, the gateway connection
/// detached) never touches the primary deployment; an argument change and a password version
/// bump replace the standby alone.
#[test]
fn ha_standby_drift_and_replacement_never_touch_the_primary() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    let (ws, tg, config) = with_standby(&sim, "drday");
    wd.config(&config);
    wd.apply();
    let primary = wd.string_attribute("dr_orchestrator.o", "id");
    let primary_vm = standby_vm_ids(&sim, "drday-orchestrator");
    assert_eq!(primary_vm.len(), 1);
    let instances = sim.live_dr_instances().len();
    assert_eq!(instances, 1);
    let untouched_primary = |sim: &Sim, wd: &acctests::WorkDir| {
        assert_eq!(
            wd.resource_values("dr_orchestrator.o").unwrap()["id"],
            primary.as_str()
        );
        assert_eq!(standby_vm_ids(sim, "drday-orchestrator"), primary_vm);
        assert_eq!(sim.live_dr_instances().len(), instances);
    };

    // The standby VM deleted out of band: the standby alone is replaced, with a warning.
    let standby_vm = standby_vm_ids(&sim, "drday-standby");
    assert_eq!(standby_vm.len(), 1);
    sim.delete_object("power", "pvm_instances", &standby_vm[0]);
    let plan = sim.plan_without_writes(
        &wd,
        &[
            r"dr_ha_standby\.s must be replaced",
            r"Plan: 1 to add, 0 to change, 1 to destroy",
            r"Broken standby orchestrator will be replaced",
            &format!(
                r"dr_ha_standby of DR instance {primary}: its standby orchestrator VM no longer exists in workspace {ws}"
            ),
        ],
    );
    assert!(
        !plan.contains("dr_orchestrator.o must be replaced"),
        "{plan}"
    );
    wd.apply();
    wd.assert_plan_empty();
    let replaced = standby_vm_ids(&sim, "drday-standby");
    assert_eq!(replaced.len(), 1);
    assert_ne!(replaced, standby_vm);
    assert_eq!(attachments(&sim, STANDBY).len(), 1);
    untouched_primary(&sim, &wd);

    // The gateway connection detached out of band, and Transit Gateway still deleting it when
    // the apply runs: the apply waits until it is gone (a new connection would be refused
    // meanwhile), then attaches the workspace again in place; the standby stays.
    let connection = attachments(&sim, STANDBY)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    sim.patch_object(
        "tg",
        "connections",
        &connection,
        json!({"status": "deleting"}),
    );
    sim.plan_without_writes(
        &wd,
        &[
            r"dr_ha_standby\.s will be updated in-place",
            r"Plan: 0 to add, 1 to change, 0 to destroy",
        ],
    );
    sim.reset_requests();
    let mut apply = sim.spawn_apply(&wd, &[]);
    let connection_reads = |sim: &Sim| {
        sim.count_requests(|m, r| m == "GET" && r.ends_with("/connections/{connection_id}"))
    };
    let started = Instant::now();
    // The refresh reads the connection once; further reads are the apply waiting for it.
    while connection_reads(&sim) < 3 {
        if apply.try_wait().unwrap().is_some() {
            let (code, out) = wait_output(apply);
            panic!("the apply ended ({code}) without waiting for the detaching connection:\n{out}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the apply never waited for the detaching connection: {}",
            sim.requests()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        sim.count_requests(|m, r| m == "POST" && r.ends_with("/connections")),
        0,
        "no new connection while the old one is detaching"
    );
    // Transit Gateway finishes the deletion.
    sim.delete_object("tg", "connections", &connection);
    let (code, out) = wait_output(apply);
    assert_eq!(code, 0, "{out}");
    wd.assert_plan_empty();
    let attached = attachments(&sim, STANDBY);
    assert_eq!(attached.len(), 1);
    assert_ne!(attached[0]["id"], connection.as_str());
    let v = wd.resource_values("dr_ha_standby.s").unwrap();
    assert_eq!(v["transit_gateway_connection_id"], attached[0]["id"]);
    assert_eq!(v["manages_transit_gateway_connection"], true);
    assert_eq!(standby_vm_ids(&sim, "drday-standby"), replaced);
    untouched_primary(&sim, &wd);

    // Every argument replaces the standby, and only the standby.
    let tier3 = orchestrator(&sim, "drday") + &standby(&ws, &tg, "  tier = \"tier3\"\n");
    let retiered = replace_the_standby(
        &sim,
        &wd,
        &tier3,
        r#"tier += "tier1" -> "tier3" # forces replacement"#,
        &replaced,
    );
    assert_eq!(
        sim.objects("dra", "deployments")[0]["standby_tier"],
        "tier3"
    );
    assert_eq!(attachments(&sim, STANDBY).len(), 1);
    untouched_primary(&sim, &wd);

    // A new password version redeploys the standby with the current write-only password.
    if terraform_at_least(1, 11) {
        let bumped = orchestrator(&sim, "drday")
            + &standby(&ws, &tg, "  tier = \"tier3\"\n").replace(
                "orchestrator_password_wo_version = 1",
                "orchestrator_password_wo_version = 2",
            );
        replace_the_standby(
            &sim,
            &wd,
            &bumped,
            r"orchestrator_password_wo_version += 1 -> 2 # forces replacement",
            &retiered,
        );
        untouched_primary(&sim, &wd);
    }

    wd.destroy();
    assert!(attachments(&sim, STANDBY).is_empty());
    assert!(standby_vm_ids(&sim, "drday-standby").is_empty());
    assert!(standby_vm_ids(&sim, "drday-orchestrator").is_empty());
    assert_eq!(sim.live_dr_instances().len(), 0);
}
