//! Acceptance tests of `dr_orchestrator` with real Terraform against dr-cloudsim: the whole
//! lifecycle (create, empty re-plan, import, in-place resize, replacement, destroy) checked
//! against `/_sim/state`; out-of-band deletion; every validation error, each with zero
//! mutating requests; a failed deployment reported fast with the API's words; and applies
//! interrupted mid-wait that a second apply completes without a duplicate instance.
//!
//! Needs `cargo build --workspace --bins` first. Every test runs its own emulator, sped up
//! with `--time-scale` so a deployment (about 4 minutes at IBM) takes about a second.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use acctests::sim::{Sim, wait_output};
use acctests::{terraform_at_least, unwrap_diagnostics};
use serde_json::{Value, json};

const ADDRESS: &str = "dr_orchestrator.o";
const HEADER: &str = r#"terraform {
  required_providers {
    dr = { source = "powervs/dr" }
  }
}
"#;
const PRIMARY: &str = "slz-dal10-power-workspace";
const SECONDARY: &str = "slz-dal12-power-workspace";
const PASSWORD: &str = "Orch-Passw0rd!";
/// What import cannot read back: secrets the API never returns, and the timeouts block.
const NOT_IMPORTED: &[&str] = &[
    "orchestrator_password",
    "orchestrator_password_wo",
    "orchestrator_password_wo_version",
    "managed_api_key",
    "timeouts",
];

/// The password argument the Terraform under test supports.
fn password() -> String {
    if terraform_at_least(1, 11) {
        format!(
            "  orchestrator_password_wo         = \"{PASSWORD}\"\n  orchestrator_password_wo_version = 1\n"
        )
    } else {
        format!("  orchestrator_password = \"{PASSWORD}\"\n")
    }
}

/// An orchestrator named `name` in `workspace`, with `extra` arguments.
fn orchestrator(name: &str, workspace: &str, extra: &str) -> String {
    format!(
        r#"{HEADER}
resource "dr_orchestrator" "o" {{
  name              = "{name}"
  orchestrator_user = "admin"
  workspace_id      = "{workspace}"
  machine_type      = "s922"
  ssh_key_name      = "slz-ssh-key"
{password}{extra}
  timeouts {{
    create = "10m"
    delete = "10m"
  }}
}}
"#,
        password = password()
    )
}

/// DR Automation instances that exist and are not being removed.
fn live_dr_instances(sim: &Sim) -> Vec<Value> {
    sim.objects("rc", "resource_instances")
        .into_iter()
        .filter(|i| {
            i["crn"]
                .as_str()
                .is_some_and(|c| c.contains(":power-dr-automation:"))
        })
        .filter(|i| {
            !matches!(
                i["state"].as_str(),
                Some("removed" | "pending_removal" | "pending_reclamation")
            )
        })
        .collect()
}

fn vms_named(sim: &Sim, name: &str) -> Vec<Value> {
    sim.objects("power", "pvm_instances")
        .into_iter()
        .filter(|vm| vm["serverName"] == name)
        .collect()
}

/// Writes to IBM Cloud since the last reset; the IAM token grant (a POST that changes
/// nothing) does not count.
fn cloud_writes(sim: &Sim) -> u64 {
    sim.count_requests(|method, route| method != "GET" && !route.starts_with("/iam"))
}

fn assert_mentions(output: &str, patterns: &[&str]) {
    let flat = unwrap_diagnostics(output);
    for p in patterns {
        let re = regex::Regex::new(p).unwrap();
        assert!(
            re.is_match(output) || re.is_match(&flat),
            "output does not match /{p}/:\n{output}"
        );
    }
}

#[test]
fn orchestrator_lifecycle() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    let ws = sim.workspace_id(PRIMARY);

    // Create.
    wd.config(&orchestrator("drlife", &ws, ""));
    let out = wd.apply();
    assert!(out.stdout.contains("Creation complete"), "{}", out.stdout);
    wd.assert_plan_empty();
    let v = wd.resource_values(ADDRESS).expect("in state");
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["status"], "Active");
    assert_eq!(
        v["location_id"], "dal10",
        "defaults to the workspace's zone"
    );
    assert_eq!(v["tier"], "tier1");
    assert_eq!(v["cores"], 0.5);
    assert_eq!(v["memory_gb"], 4);
    assert_eq!(v["managed_vm_count"], 0);
    assert_eq!(
        v["network_ids"],
        json!([sim.network_id(PRIMARY, "mgmt_net")])
    );
    assert!(v["crn"].as_str().unwrap().contains(&id));
    assert!(!wd.raw_state().contains(PASSWORD) || !terraform_at_least(1, 11));
    let instances = live_dr_instances(&sim);
    assert_eq!(instances.len(), 1);
    assert_eq!(instances[0]["guid"], id.as_str());
    assert_eq!(instances[0]["name"], "drlife");
    let vm = &vms_named(&sim, "drlife-orchestrator")[0];
    assert_eq!(vm["pvmInstanceID"], v["orchestrator_vm_id"]);
    assert_eq!(vm["processors"], 0.5);

    // Import reads back everything but the secrets.
    wd.import_verify(ADDRESS, &id, NOT_IMPORTED);

    // Resize in place through PowerVS.
    wd.config(&orchestrator(
        "drlife",
        &ws,
        "  cores     = 1.25\n  memory_gb = 8\n",
    ));
    let plan = wd.assert_plan_not_empty();
    assert!(plan.contains("updated in-place"), "{plan}");
    assert!(!plan.contains("must be replaced"), "{plan}");
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(ADDRESS).unwrap();
    assert_eq!(v["id"], id.as_str(), "same deployment");
    assert_eq!(v["cores"], 1.25);
    let vm = &vms_named(&sim, "drlife-orchestrator")[0];
    assert_eq!(vm["processors"], 1.25);
    assert_eq!(vm["memory"], 8.0);
    assert_eq!(vm["status"], "ACTIVE");

    // Anything else replaces the deployment.
    wd.config(&orchestrator(
        "drlife",
        &ws,
        "  cores     = 1.25\n  memory_gb = 8\n  tier      = \"tier3\"\n",
    ));
    let plan = wd.assert_plan_not_empty();
    assert!(plan.contains("must be replaced"), "{plan}");
    assert!(plan.contains("forces replacement"), "{plan}");
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(ADDRESS).unwrap();
    let new_id = v["id"].as_str().unwrap().to_string();
    assert_ne!(new_id, id);
    assert_eq!(v["tier"], "tier3");
    let instances = live_dr_instances(&sim);
    assert_eq!(instances.len(), 1, "the old instance was deprovisioned");
    assert_eq!(instances[0]["guid"], new_id.as_str());
    assert_eq!(vms_named(&sim, "drlife-orchestrator").len(), 1);

    // Destroy deprovisions the instance and waits for the VM to go.
    wd.destroy();
    assert!(live_dr_instances(&sim).is_empty());
    assert!(vms_named(&sim, "drlife-orchestrator").is_empty());
    let removed: Vec<Value> = sim
        .objects("rc", "resource_instances")
        .into_iter()
        .filter(|i| i["guid"] == new_id.as_str())
        .collect();
    assert!(
        removed.is_empty() || removed[0]["state"] == "removed",
        "{removed:?}"
    );
}

#[test]
fn orchestrator_deleted_out_of_band_is_planned_as_a_re_create() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    wd.config(&orchestrator("drdrift", &sim.workspace_id(PRIMARY), ""));
    wd.apply();
    let id = wd.resource_values(ADDRESS).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The orchestrator VM disappears.
    let vm = vms_named(&sim, "drdrift-orchestrator")[0]["pvmInstanceID"]
        .as_str()
        .unwrap()
        .to_string();
    sim.delete_object("power", "pvm_instances", &vm);
    let plan = wd.assert_plan_not_empty();
    assert!(plan.contains("dr_orchestrator.o will be created"), "{plan}");

    // The DR instance itself is deleted in the console.
    sim.delete_object("rc", "resource_instances", &id);
    let plan = wd.assert_plan_not_empty();
    assert!(plan.contains("dr_orchestrator.o will be created"), "{plan}");
    assert!(
        plan.contains("Plan: 1 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );
}

#[test]
fn orchestrator_validation_errors_change_nothing() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    let ws = sim.workspace_id(PRIMARY);

    // Offline checks: they run in `terraform validate`, without the cloud.
    let offline = orchestrator(
        "drbad",
        "crn:v1:bluemix:public:power-iaas:dal10:a/acc:abc-123::",
        "  tier = \"tier0\"\n  cores = 0.3\n  memory_gb = 2\n  proxy_ip = \"10.0.0.1\"\n",
    )
    .replace("\"s922\"", "\"p99\"");
    wd.config(&offline);
    sim.reset_requests();
    let out = wd.expect_error(&["validate", "-no-color"], "tier0");
    assert_mentions(
        &out.combined(),
        &[
            r#"tier: "tier0" is not a storage tier DR Automation supports\..*Use tier1 \(10 IOPS/GB\) or tier3 \(3 IOPS/GB\)"#,
            r"cores: 0\.3 cores is not a PowerVS shared-processor size; use at least 0\.5, in steps of 0\.25",
            r"memory_gb: 2 GB is below .* use at least 4 GB",
            r#"machine_type: "p99" is not a Power machine type DR Automation supports\. Use one of: s922, e880, e980, s1022, e1050, e1080"#,
            r#"workspace_id: expected the workspace GUID \(the landing zone's powervs_workspace_guid\), got the CRN .* its GUID is "abc-123""#,
            r#"proxy_ip: "10\.0\.0\.1" must be host:port"#,
        ],
    );
    let out = wd.plan_expect_error("tier0");
    assert!(out.combined().contains("with dr_orchestrator.o"));
    assert_eq!(sim.requests()["total"], 0, "offline errors reach no API");

    // Passwords: exactly one of the two.
    let none = orchestrator("drbad", &ws, "").replace(&password(), "");
    wd.config(&none);
    wd.plan_expect_error(
        r"Missing orchestrator password.*orchestrator_password_wo \(write-only, Terraform 1\.11 and later\) or orchestrator_password",
    );
    if terraform_at_least(1, 11) {
        wd.config(&orchestrator(
            "drbad",
            &ws,
            &format!("  orchestrator_password = \"{PASSWORD}\"\n"),
        ));
        wd.plan_expect_error(
            r"orchestrator_password and orchestrator_password_wo are both set; set exactly one",
        );
    }
    assert_eq!(cloud_writes(&sim), 0);

    // Plan-time checks against the cloud: GET only.
    wd.config(&orchestrator(
        "drbad",
        "00000000-0000-4000-8000-000000000000",
        "",
    ));
    sim.reset_requests();
    let out = wd.plan_expect_error(
        r#"workspace_id: no PowerVS workspace has the GUID "00000000-0000-4000-8000-000000000000""#,
    );
    assert_mentions(
        &out.combined(),
        &[&format!(
            r"Workspaces in this account: .*{ws} \({PRIMARY}, dal10\)"
        )],
    );
    assert_eq!(cloud_writes(&sim), 0);

    let foreign = sim.network_id(SECONDARY, "mgmt_net");
    let public = sim.network_id(PRIMARY, "bkp_net");
    sim.patch_object("power", "networks", &public, json!({"type": "pub-vlan"}));
    wd.config(&orchestrator(
        "drbad",
        &ws,
        &format!("  network_ids = [\"{foreign}\", \"{public}\"]\n  location_id = \"dal12\"\n"),
    ));
    sim.reset_requests();
    let out = wd.plan_expect_error("Network not in workspace");
    let mgmt = sim.network_id(PRIMARY, "mgmt_net");
    assert_mentions(
        &out.combined(),
        &[
            &format!(
                r#"network_ids\[0\]: "{foreign}" is not a network of workspace {PRIMARY} \({ws}\)\. Its private networks: {mgmt} \(mgmt_net, 10\.51\.0\.0/24\)"#
            ),
            &format!(
                r#"network_ids\[1\]: "{public}" is network bkp_net of type "pub-vlan"; the orchestrator accepts private \(vlan\) networks only"#
            ),
            r#"location_id: "dal12" is not the zone of workspace slz-dal10-power-workspace .* which is "dal10""#,
        ],
    );
    assert_eq!(cloud_writes(&sim), 0);

    // The workspace's machine types come from DR Automation once an instance exists.
    let first = sim.workdir();
    first.config(&orchestrator("drfirst", &ws, ""));
    first.apply();
    wd.config(
        &orchestrator("drbad", &sim.workspace_id(SECONDARY), "").replace("\"s922\"", "\"e980\""),
    );
    sim.reset_requests();
    wd.plan_expect_error(
        r#"machine_type: Machine type "e980" is not available in workspace slz-dal12-power-workspace; it offers: s922, s1022"#,
    );
    assert_eq!(cloud_writes(&sim), 0);
    first.destroy();
}

/// Waits until DR Automation has a running deployment for `name`; returns the instance GUID.
fn wait_for_deployment(sim: &Sim, name: &str) -> String {
    let started = Instant::now();
    loop {
        let guid = live_dr_instances(sim)
            .iter()
            .find(|i| i["name"] == name)
            .and_then(|i| i["guid"].as_str().map(str::to_string));
        if let Some(guid) = guid
            && sim
                .objects("dra", "deployments")
                .iter()
                .any(|d| d["id"].as_str().is_some_and(|c| c.contains(&guid)))
        {
            return guid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no deployment of {name} appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn failed_deployment_is_reported_fast_with_the_api_message() {
    // Slower time, so the failure can be injected while the deployment runs (~10 s).
    let sim = Sim::start(20.0);
    let wd = sim.workdir();
    wd.config(&orchestrator("drfail", &sim.workspace_id(PRIMARY), ""));
    let apply = sim.spawn_apply(&wd, &[]);
    let guid = wait_for_deployment(&sim, "drfail");
    sim.patch_object("dra", "deployments", &guid, json!({"_fail_at_step": 3}));
    let injected = Instant::now();
    let (code, output) = wait_output(apply);
    let took = injected.elapsed();
    assert_ne!(code, 0, "{output}");
    assert_mentions(
        &output,
        &[
            "Error creating dr_orchestrator",
            &format!(r#""drfail" \(DR instance {guid}\)"#),
            r"The primary orchestrator VM drfail-orchestrator did not reach ACTIVE state\.",
        ],
    );
    assert!(
        took < Duration::from_secs(15),
        "the failure took {took:?} to surface"
    );
    // The instance is kept in state, tainted, not orphaned.
    let state = wd.raw_state();
    assert!(state.contains(&guid), "{state}");
    assert!(state.contains("\"status\": \"tainted\""), "{state}");
}

#[test]
fn interrupted_apply_is_completed_by_the_next_one() {
    let sim = Sim::start(40.0);
    let wd = sim.workdir();
    wd.config(&orchestrator("drstop", &sim.workspace_id(PRIMARY), ""));
    let apply = sim.spawn_apply(&wd, &[]);
    let first = wait_for_deployment(&sim, "drstop");
    // Ctrl-C: Terraform stops the provider, which records what exists (tainted).
    let status = Command::new("kill")
        .args(["-INT", &apply.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (code, output) = wait_output(apply);
    assert_ne!(code, 0, "{output}");
    assert!(wd.raw_state().contains(&first), "{output}");

    // The next apply replaces the tainted deployment; nothing is left behind.
    wd.apply();
    wd.assert_plan_empty();
    let instances = live_dr_instances(&sim);
    assert_eq!(instances.len(), 1, "{instances:?}");
    assert_eq!(
        wd.resource_values(ADDRESS).unwrap()["id"],
        instances[0]["guid"]
    );
    assert_eq!(vms_named(&sim, "drstop-orchestrator").len(), 1);
}

#[test]
fn killed_apply_is_adopted_by_the_next_one() {
    let sim = Sim::start(40.0);
    let wd = sim.workdir();
    wd.config(&orchestrator("drkill", &sim.workspace_id(PRIMARY), ""));
    let mut apply = sim.spawn_apply(&wd, &[]);
    let first = wait_for_deployment(&sim, "drkill");
    // kill -9: no state is written at all.
    apply.kill().unwrap();
    let _ = apply.wait();
    assert!(!wd.raw_state().contains(&first));

    // The next apply finds the instance by name and finishes the deployment with it.
    let out = wd.apply();
    assert!(out.stdout.contains(&first), "{}", out.stdout);
    wd.assert_plan_empty();
    let instances = live_dr_instances(&sim);
    assert_eq!(instances.len(), 1, "{instances:?}");
    assert_eq!(instances[0]["guid"], first.as_str());
    assert_eq!(
        sim.count_requests(|m, r| m == "POST" && r == "/rc/v2/resource_instances"),
        1,
        "one instance was ever requested"
    );
    assert_eq!(vms_named(&sim, "drkill-orchestrator").len(), 1);
}
