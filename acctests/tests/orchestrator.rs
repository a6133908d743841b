//! Acceptance tests of `dr_orchestrator` with real Terraform against dr-cloudsim: the whole
//! lifecycle (create, empty re-plan, import, in-place resize, replacement, destroy) checked
//! against `/_sim/state`; out-of-band deletion; every validation error, each with zero
//! mutating requests; a failed deployment reported with the API's words (not a timeout); and
//! applies interrupted mid-wait that a second apply completes without a duplicate instance.
//!
//! Needs `cargo build --workspace --bins` first. Every test runs its own emulator, sped up
//! with `--time-scale` so a deployment (about 4 minutes at IBM) takes about a second. Where a
//! test must act while a deployment runs, a dr-cloudsim hold keeps the deployment at a step
//! until the test is done there, so nothing races the clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use acctests::fixtures::{
    self, ORCH_PASSWORD, PRIMARY, PROVIDER_HEADER, STANDBY, assert_mentions, password_arguments,
    plain_password,
};
use acctests::sim::{ACC_KEY_NAME, Sim, interrupt, wait_output};
use acctests::{WorkDir, terraform_at_least};
use serde_json::{Value, json};

const ADDRESS: &str = "dr_orchestrator.o";
/// What import cannot read back: secrets the API never returns, and the timeouts block.
const NOT_IMPORTED: &[&str] = &[
    "orchestrator_password",
    "orchestrator_password_wo",
    "orchestrator_password_wo_version",
    "managed_api_key",
    "timeouts",
];

/// The manage_dr credentials (schema version 1), which the API never returns.
const CREDENTIALS: &[&str] = &[
    "api_key",
    "api_key_wo",
    "api_key_wo_version",
    "client_id",
    "client_secret",
    "client_secret_wo",
    "client_secret_wo_version",
];

/// The password argument the Terraform under test supports.
fn password() -> String {
    password_arguments(ORCH_PASSWORD)
}

/// The provider header and `dr_orchestrator.o` named `name` in `workspace`, with `extra`
/// argument lines and ten-minute create and delete timeouts.
fn orchestrator(name: &str, workspace: &str, extra: &str) -> String {
    let block = fixtures::orchestrator(name, workspace)
        .string("ssh_key_name", ACC_KEY_NAME)
        .raw(&password())
        .raw(extra)
        .raw("\n  timeouts {\n    create = \"10m\"\n    delete = \"10m\"\n  }\n");
    format!("{PROVIDER_HEADER}{block}")
}

/// A new emulator, a work directory against it and the id of the primary workspace.
fn started() -> (Sim, WorkDir, String) {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    let ws = sim.workspace_id(PRIMARY);
    (sim, wd, ws)
}

/// [`started`], with the work directory configured with `dr_orchestrator.o` named `name` in
/// the primary workspace, not applied yet.
fn configured(name: &str) -> (Sim, WorkDir) {
    let (sim, wd, ws) = started();
    wd.config(&orchestrator(name, &ws, ""));
    (sim, wd)
}

/// Exactly one DR instance is billed, `guid`, and deployment `name` has one orchestrator VM.
fn assert_one_deployment(sim: &Sim, name: &str, guid: &str, why: &str) {
    let instances = sim.live_dr_instances();
    assert_eq!(instances.len(), 1, "{why}: {instances:?}");
    assert_eq!(instances[0]["guid"], guid, "{why}");
    let vms = sim.vms_named(&format!("{name}-orchestrator"));
    assert_eq!(vms.len(), 1, "{why}: {vms:?}");
}

/// No DR instance is billed and deployment `name` has no orchestrator VM left.
fn assert_nothing_left(sim: &Sim, name: &str) {
    let instances = sim.live_dr_instances();
    assert!(instances.is_empty(), "{instances:?}");
    let vms = sim.vms_named(&format!("{name}-orchestrator"));
    assert!(vms.is_empty(), "{vms:?}");
}

#[test]
fn orchestrator_lifecycle() {
    let (sim, wd, ws) = started();

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
    assert!(!wd.raw_state().contains(ORCH_PASSWORD) || !terraform_at_least(1, 11));
    let instances = sim.live_dr_instances();
    assert_eq!(instances.len(), 1);
    assert_eq!(instances[0]["guid"], id.as_str());
    assert_eq!(instances[0]["name"], "drlife");
    let vm = &sim.vms_named("drlife-orchestrator")[0];
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
    let plan = wd.assert_plan_mentions(&["updated in-place"]);
    assert!(!plan.contains("must be replaced"), "{plan}");
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(ADDRESS).unwrap();
    assert_eq!(v["id"], id.as_str(), "same deployment");
    assert_eq!(v["cores"], 1.25);
    let vm = &sim.vms_named("drlife-orchestrator")[0];
    assert_eq!(vm["processors"], 1.25);
    assert_eq!(vm["memory"], 8.0);
    assert_eq!(vm["status"], "ACTIVE");

    // Anything else replaces the deployment.
    wd.config(&orchestrator(
        "drlife",
        &ws,
        "  cores     = 1.25\n  memory_gb = 8\n  tier      = \"tier3\"\n",
    ));
    wd.assert_plan_mentions(&["must be replaced", "forces replacement"]);
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(ADDRESS).unwrap();
    let new_id = v["id"].as_str().unwrap().to_string();
    assert_ne!(new_id, id);
    assert_eq!(v["tier"], "tier3");
    assert_one_deployment(
        &sim,
        "drlife",
        &new_id,
        "the old instance was deprovisioned",
    );

    // Destroy deprovisions the instance and waits for the VM to go.
    wd.destroy();
    assert_nothing_left(&sim, "drlife");
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

/// The network ids of the NICs of VM `name`, as PowerVS has them.
fn vm_network_ids(sim: &Sim, name: &str) -> Vec<String> {
    sim.vms_named(name)[0]["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["networkID"].as_str().unwrap().to_string())
        .collect()
}

fn public_networks(sim: &Sim, workspace: &str) -> Vec<Value> {
    let guid = sim.workspace_id(workspace);
    sim.objects("power", "networks")
        .into_iter()
        .filter(|n| n["type"] == "pub-vlan")
        .filter(|n| {
            n["crn"]
                .as_str()
                .is_some_and(|c| c.contains(&format!(":{guid}:")))
        })
        .collect()
}

fn strings(values: &[&str]) -> Value {
    json!(values)
}

/// A PowerVS call on the primary workspace made by hand, as in the console, which must answer
/// `status`; returns the answer.
fn by_hand(sim: &Sim, method: reqwest::Method, tail: &str, body: Value, status: u16) -> Value {
    let what = format!("{method} {tail}");
    let (got, answer) = sim.power_api(PRIMARY, method, tail, Some(body));
    assert_eq!(got, status, "{what}: {answer}");
    answer
}

#[test]
fn day_two_changes_by_hand_plan_nothing_destructive() {
    let (sim, wd, ws) = started();
    wd.config(&orchestrator("drday2", &ws, ""));
    wd.apply();
    let v = wd.resource_values(ADDRESS).unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    let vm = v["orchestrator_vm_id"].as_str().unwrap().to_string();
    let mgmt = sim.network_id(PRIMARY, "mgmt_net");
    let bkp = sim.network_id(PRIMARY, "bkp_net");
    assert_eq!(v["public_network"], false);
    assert_eq!(v["attached_network_ids"], strings(&[&mgmt]));

    // What IBM tells users to do after a deployment: enable the public network by hand.
    let post = reqwest::Method::POST;
    let public = by_hand(
        &sim,
        post.clone(),
        "/networks",
        json!({"type": "pub-vlan", "name": "console-public"}),
        201,
    );
    let public = public["networkID"].as_str().unwrap().to_string();
    let nics = format!("/pvm-instances/{vm}/networks");
    by_hand(&sim, post.clone(), &nics, json!({"networkID": public}), 201);
    // What operators do: attach another network, reboot, resize for more than 100 VMs.
    by_hand(&sim, post.clone(), &nics, json!({"networkID": bkp}), 201);
    let reboot = format!("/pvm-instances/{vm}/action");
    by_hand(&sim, post, &reboot, json!({"action": "soft-reboot"}), 200);
    let resize = json!({"processors": 1.0, "memory": 8});
    let vm_path = format!("/pvm-instances/{vm}");
    by_hand(&sim, reqwest::Method::PUT, &vm_path, resize, 202);
    // And rename the VM and the service instance in the console.
    let renamed = "drday2-orch-renamed";
    sim.patch_object(
        "power",
        "pvm_instances",
        &vm,
        json!({"serverName": renamed}),
    );
    sim.patch_object(
        "rc",
        "resource_instances",
        &id,
        json!({"name": "dr-renamed-in-console"}),
    );
    assert_eq!(sim.vms_named(renamed).len(), 1);
    assert_eq!(
        sim.object("rc", "resource_instances", &id)["name"],
        "dr-renamed-in-console"
    );

    // None of it is a diff, let alone a replacement.
    sim.reset_requests();
    wd.assert_plan_empty();
    assert_eq!(sim.cloud_writes(), 0, "a plan writes nothing");
    wd.apply_args(&["-refresh-only"]);
    let v = wd.resource_values(ADDRESS).unwrap();
    assert_eq!(v["id"], id.as_str(), "the same deployment");
    assert_eq!(v["network_ids"], strings(&[&mgmt]), "the deployed networks");
    assert_eq!(v["attached_network_ids"], strings(&[&mgmt, &public, &bkp]));
    assert_eq!(v["public_network"], true);
    assert_eq!(
        (v["cores"].clone(), v["memory_gb"].clone()),
        (json!(1), json!(8))
    );
    let instances = sim.live_dr_instances();
    assert_eq!(instances.len(), 1);
    assert_eq!(instances[0]["guid"], id.as_str());

    // Terraform's own switch detaches and attaches the public network in place.
    wd.config(&orchestrator("drday2", &ws, "  public_network = false\n"));
    wd.assert_plan_mentions(&[
        "updated in-place",
        "Plan: 0 to add, 1 to change, 0 to destroy",
    ]);
    wd.apply();
    wd.assert_plan_empty();
    assert_eq!(vm_network_ids(&sim, renamed), [mgmt.clone(), bkp.clone()]);
    wd.config(&orchestrator("drday2", &ws, "  public_network = true\n"));
    wd.assert_plan_mentions(&["Plan: 0 to add, 1 to change, 0 to destroy"]);
    wd.apply();
    wd.assert_plan_empty();
    assert_eq!(
        vm_network_ids(&sim, renamed),
        [mgmt.clone(), bkp.clone(), public.clone()]
    );
    assert_eq!(
        public_networks(&sim, PRIMARY).len(),
        1,
        "the workspace's public network is reused"
    );
    let v = wd.resource_values(ADDRESS).unwrap();
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["cores"], 1, "the resize by hand is kept");

    wd.destroy();
    assert_nothing_left(&sim, "drday2");
    assert!(sim.vms_named(renamed).is_empty());
}

#[test]
fn public_network_attaches_and_detaches_in_place() {
    let (sim, wd, ws) = started();
    let mgmt = sim.network_id(PRIMARY, "mgmt_net");
    assert!(public_networks(&sim, PRIMARY).is_empty());

    wd.config(&orchestrator("drpub", &ws, "  public_network = true\n"));
    wd.apply();
    wd.assert_plan_empty();
    let created = public_networks(&sim, PRIMARY);
    assert_eq!(created.len(), 1, "the workspace had none: one was created");
    assert_eq!(created[0]["name"], "public-network");
    let public = created[0]["networkID"].as_str().unwrap().to_string();
    assert_eq!(
        vm_network_ids(&sim, "drpub-orchestrator"),
        [mgmt.clone(), public.clone()]
    );
    let v = wd.resource_values(ADDRESS).unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["public_network"], true);
    assert_eq!(v["network_ids"], strings(&[&mgmt]));
    assert_eq!(v["attached_network_ids"], strings(&[&mgmt, &public]));

    wd.config(&orchestrator("drpub", &ws, "  public_network = false\n"));
    wd.assert_plan_mentions(&[
        "~ public_network",
        "Plan: 0 to add, 1 to change, 0 to destroy",
    ]);
    wd.apply();
    wd.assert_plan_empty();
    assert_eq!(
        vm_network_ids(&sim, "drpub-orchestrator"),
        vec![mgmt.clone()]
    );
    assert_eq!(
        public_networks(&sim, PRIMARY).len(),
        1,
        "the public network stays in the workspace"
    );
    let v = wd.resource_values(ADDRESS).unwrap();
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["public_network"], false);
    assert_eq!(v["attached_network_ids"], strings(&[&mgmt]));
    assert_eq!(sim.live_dr_instances().len(), 1);
    wd.destroy();
    assert!(sim.live_dr_instances().is_empty());
}

#[test]
fn orchestrator_vm_deleted_out_of_band_is_replaced_not_forgotten() {
    let (sim, wd) = configured("drdrift");
    wd.apply();
    let old = wd.string_attribute(ADDRESS, "id");

    // The orchestrator VM disappears; its billed service instance does not.
    let vm = sim.vm_id("drdrift-orchestrator");
    sim.delete_object("power", "pvm_instances", &vm);
    sim.plan_without_writes(
        &wd,
        &[
            r"dr_orchestrator\.o must be replaced",
            r"Plan: 1 to add, 0 to change, 1 to destroy",
            r"Broken DR deployment will be replaced",
            &format!(
                r#"dr_orchestrator "drdrift" \(DR instance {old}\): its orchestrator VM drdrift-orchestrator no longer exists in workspace"#
            ),
            &format!(r"apply deprovisions DR instance {old} and deploys a new orchestrator"),
        ],
    );
    // Refreshed, not forgotten: the instance stays in state until the replacement.
    wd.apply_args(&["-refresh-only"]);
    let v = wd.resource_values(ADDRESS).expect("kept in state");
    assert_eq!(v["id"], old.as_str());
    assert!(v["orchestrator_vm_id"].is_null(), "{v}");

    wd.apply();
    wd.assert_plan_empty();
    let new = wd.string_attribute(ADDRESS, "id");
    assert_ne!(new, old);
    assert_one_deployment(
        &sim,
        "drdrift",
        &new,
        "the broken instance was deprovisioned",
    );

    // The instance itself deleted in the console: only then is the deployment gone.
    let (status, body) = sim.api(
        reqwest::Method::DELETE,
        &format!("/rc/v2/resource_instances/{new}"),
        None,
        &[],
    );
    assert!(status == 202 || status == 204, "{status}: {body}");
    wd.assert_plan_mentions(&[
        "dr_orchestrator.o will be created",
        "Plan: 1 to add, 0 to change, 0 to destroy",
    ]);
    wd.destroy();
    assert_nothing_left(&sim, "drdrift");
}

/// The issue's orphan: the orchestrator VM deleted out of band, then `terraform destroy`
/// straight away. The billed service instance is deprovisioned, not left behind.
#[test]
fn destroying_a_broken_deployment_deprovisions_its_instance() {
    let (sim, wd) = configured("drorphan");
    wd.apply();
    let vm = sim.vm_id("drorphan-orchestrator");
    sim.delete_object("power", "pvm_instances", &vm);
    assert_eq!(sim.live_dr_instances().len(), 1);
    wd.destroy();
    assert!(
        sim.live_dr_instances().is_empty(),
        "{:?}",
        sim.live_dr_instances()
    );
    assert!(wd.resource_values(ADDRESS).is_none());
}

/// State a provider wrote before schema version 1 (before manage_dr parity and the network
/// attributes) keeps working: upgraded and refreshed, it plans nothing, least of all a
/// replacement.
#[test]
fn version_0_state_is_upgraded_and_plans_nothing() {
    let (sim, wd) = configured("drv0");
    wd.apply();
    let id = wd.string_attribute(ADDRESS, "id");
    let mut state: Value = serde_json::from_str(&wd.raw_state()).unwrap();
    let resource = state["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["type"] == "dr_orchestrator")
        .unwrap();
    let instance = &mut resource["instances"][0];
    assert_eq!(instance["schema_version"], 1);
    instance["schema_version"] = json!(0);
    let attributes = instance["attributes"].as_object_mut().unwrap();
    let added = CREDENTIALS.iter().chain(&[
        "tenant_name",
        "secrets_manager",
        "orchestrator_location_type",
        "service_instance_id",
        "public_network",
        "attached_network_ids",
    ]);
    for attribute in added {
        attributes.remove(*attribute);
    }
    state["serial"] = json!(state["serial"].as_u64().unwrap() + 1);
    std::fs::write(wd.path().join("terraform.tfstate"), state.to_string()).unwrap();

    sim.reset_requests();
    wd.assert_plan_empty();
    assert_eq!(sim.cloud_writes(), 0, "a plan writes nothing");
    wd.apply_args(&["-refresh-only"]);
    let v = wd.resource_values(ADDRESS).unwrap();
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["public_network"], false);
    assert_eq!(v["orchestrator_location_type"], "off-premises");
    assert_eq!(
        v["attached_network_ids"],
        strings(&[&sim.network_id(PRIMARY, "mgmt_net")])
    );
    let upgraded: Value = serde_json::from_str(&wd.raw_state()).unwrap();
    assert!(
        upgraded["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["type"] == "dr_orchestrator" && r["instances"][0]["schema_version"] == 1),
        "{upgraded}"
    );
    wd.destroy();
    assert!(sim.live_dr_instances().is_empty());
}

/// A secret argument for the Terraform under test: write-only with a version where it is
/// supported, else the stored (sensitive) one.
fn secret(name: &str, value: &str) -> String {
    if terraform_at_least(1, 11) {
        format!("  {name}_wo         = \"{value}\"\n  {name}_wo_version = 1\n")
    } else {
        format!("  {name} = \"{value}\"\n")
    }
}

const MFA_SECRET: &str = "Mfa-Client-Secret-1";
const MANAGED_KEY: &str = "Managed-Api-Key-7";
const SM_GUID: &str = "0a1b2c3d-0000-4000-8000-5ec7e75a5a6e";

#[test]
fn every_manage_dr_input_reaches_the_api_as_ibms_sdk_sends_it() {
    let (sim, wd, ws) = started();
    let mgmt = sim.network_id(PRIMARY, "mgmt_net");
    let all = format!(
        "{api_key}{client_secret}  client_id                  = \"mfa-client\"
  tenant_name                = \"dr-tenant\"
  managed_api_key            = \"{MANAGED_KEY}\"
  proxy_ip                   = \"10.30.40.4:3128\"
  orchestrator_location_type = \"on-premises\"
  tier                       = \"tier3\"
  network_ids                = [\"{mgmt}\"]
  secrets_manager {{
    guid         = \"{SM_GUID}\"
    secret       = \"orchestrator-credentials\"
    secret_group = \"dr-secrets\"
    region_id    = \"us-south\"
  }}
",
        api_key = secret("api_key", acctests::sim::API_KEY),
        client_secret = secret("client_secret", MFA_SECRET),
    );
    // Secrets Manager instead of a password: the API still gets the field, empty.
    let without_password = orchestrator("drsm", &ws, "")
        .replace(PROVIDER_HEADER, "")
        .replace("\"o\"", "\"sm\"")
        .replace(&password(), "  secrets_manager {\n    guid         = \"SM\"\n    secret       = \"orch-pw\"\n    secret_group = \"dr\"\n    region_id    = \"us-south\"\n  }\n")
        .replace("\"SM\"", &format!("\"{SM_GUID}\""));
    let config = format!(
        "{}\nprovider \"dr\" {{\n  accept_language = \"de-DE\"\n}}\n{without_password}",
        orchestrator("drfields", &ws, &all)
    );
    wd.config(&config);
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(ADDRESS).unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    let shown = |value: &str| format!("[secret: {} characters]", value.chars().count());
    let recorded = &sim.object("dra", "deployments", &id)["_manage_dr_request"];
    assert_eq!(
        recorded,
        &json!({
            "body": {
                "location_id": "dal10",
                "machine_type": "s922",
                "orchestrator_location_type": "on-premises",
                "orchestrator_name": "admin",
                "orchestrator_password": shown(ORCH_PASSWORD),
                "orchestrator_workspace_id": ws,
                "api_key": shown(acctests::sim::API_KEY),
                "managed_apikey": shown(MANAGED_KEY),
                "client_id": "mfa-client",
                "client_secret": shown(MFA_SECRET),
                "tenant_name": "dr-tenant",
                "guid": SM_GUID,
                "secret": "orchestrator-credentials",
                "secret_group": "dr-secrets",
                "region_id": "us-south",
                "orchestrator_ha": false,
                "orchestrator_network_ids": [mgmt],
                "proxy_ip": "10.30.40.4:3128",
                "ssh_key_name": "slz-ssh-key",
                "tier": "tier3",
            },
            "query": {"accepts_incomplete": "true"},
            "accept_language": "de-DE",
        }),
        "the manage_dr request, as IBM's SDK builds it"
    );
    assert_eq!(v["orchestrator_location_type"], "on-premises");
    assert_eq!(v["tenant_name"], "dr-tenant");
    assert_eq!(v["secrets_manager"]["secret_group"], "dr-secrets");
    let sm_id = wd.string_attribute("dr_orchestrator.sm", "id");
    let sm = &sim.object("dra", "deployments", &sm_id)["_manage_dr_request"]["body"];
    assert_eq!(sm["orchestrator_password"], shown(""), "{sm}");
    assert_eq!(sm["secret"], "orch-pw");
    assert_eq!(
        sm["orchestrator_location_type"], "off-premises",
        "the default"
    );

    // Import reads back all but what the API never returns.
    let mut not_imported = NOT_IMPORTED.to_vec();
    not_imported.extend(CREDENTIALS);
    wd.import_verify(ADDRESS, &id, &not_imported);
    if terraform_at_least(1, 11) {
        let state = wd.raw_state();
        for secret in [ORCH_PASSWORD, acctests::sim::API_KEY, MFA_SECRET] {
            assert!(!state.contains(secret), "{secret} in the state");
        }
    }
    wd.destroy();
    assert!(sim.live_dr_instances().is_empty());
}

/// Provisions a DR Automation instance outside Terraform, as `ibm_resource_instance` or the
/// console does, and waits until it is active; returns its GUID.
fn provision_instance_by_hand(sim: &Sim, name: &str) -> String {
    let (_, groups) = sim.api(reqwest::Method::GET, "/rm/v2/resource_groups", None, &[]);
    let group = groups["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["default"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, services) = sim.api(
        reqwest::Method::GET,
        "/gc/api/v1?q=power-dr-automation",
        None,
        &[],
    );
    let service = services["resources"][0]["id"].as_str().unwrap().to_string();
    let (_, plans) = sim.api(
        reqwest::Method::GET,
        &format!("/gc/api/v1/{service}/plan"),
        None,
        &[],
    );
    let plan = plans["resources"][0]["id"].as_str().unwrap().to_string();
    let (status, created) = sim.api(
        reqwest::Method::POST,
        "/rc/v2/resource_instances",
        Some(json!({"name": name, "target": "global", "resource_group": group, "resource_plan_id": plan})),
        &[],
    );
    assert_eq!(status, 202, "{created}");
    let guid = created["guid"].as_str().unwrap().to_string();
    let started = Instant::now();
    while sim.object("rc", "resource_instances", &guid)["state"] != "active" {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "instance {guid} never became active"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    guid
}

#[test]
fn an_adopted_service_instance_is_deployed_into_and_never_deprovisioned() {
    let (sim, wd, ws) = started();
    let guid = provision_instance_by_hand(&sim, "dradopt");
    let adopt = format!("  service_instance_id = \"{guid}\"\n");

    // The deployment and its VMs take the instance's name.
    wd.config(&orchestrator("drother", &ws, &adopt));
    sim.reset_requests();
    wd.plan_expect_error(&format!(
        r#"name: "drother" is not the name of service instance {guid}, which is "dradopt".*set name = "dradopt""#
    ));
    assert_eq!(sim.cloud_writes(), 0);

    wd.config(&orchestrator("dradopt", &ws, &adopt));
    sim.reset_requests();
    let plan = wd.assert_plan_not_empty();
    assert_mentions(&plan, &[&format!(r#"\+ id\s+= "{guid}""#)]);
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(ADDRESS).unwrap();
    assert_eq!(v["id"], guid.as_str());
    assert_eq!(v["service_instance_id"], guid.as_str());
    assert_eq!(
        sim.count_requests(|m, r| m == "POST" && r == "/rc/v2/resource_instances"),
        0,
        "nothing was provisioned"
    );
    assert_one_deployment(&sim, "dradopt", &guid, "deployed into the adopted instance");

    // Destroy leaves the adopted instance, and its deployment, where they are.
    let out = wd.destroy();
    assert_mentions(
        &out.combined(),
        &[
            r"DR Automation instance left in place",
            r"destroy its ibm_resource_instance",
        ],
    );
    assert_one_deployment(&sim, "dradopt", &guid, "never deprovisioned");
    assert_eq!(sim.live_dr_instances()[0]["state"], "active");
    assert_eq!(
        sim.count_requests(|m, r| m == "DELETE" && r.starts_with("/rc/")),
        0
    );
}

#[test]
fn orchestrator_validation_errors_change_nothing() {
    let (sim, wd, ws) = started();

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
        wd.config(&orchestrator("drbad", &ws, &plain_password(ORCH_PASSWORD)));
        wd.plan_expect_error(
            r"orchestrator_password and orchestrator_password_wo are both set; set exactly one",
        );
    }
    assert_eq!(sim.cloud_writes(), 0);

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
    assert_eq!(sim.cloud_writes(), 0);

    let foreign = sim.network_id(STANDBY, "mgmt_net");
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
    assert_eq!(sim.cloud_writes(), 0);

    // The workspace's machine types come from DR Automation once an instance exists.
    let first = sim.workdir();
    first.config(&orchestrator("drfirst", &ws, ""));
    first.apply();
    wd.config(
        &orchestrator("drbad", &sim.workspace_id(STANDBY), "").replace("\"s922\"", "\"e980\""),
    );
    sim.reset_requests();
    wd.plan_expect_error(
        r#"machine_type: Machine type "e980" is not available in workspace slz-dal12-power-workspace; it offers: s922, s1022"#,
    );
    assert_eq!(sim.cloud_writes(), 0);
    first.destroy();
}

#[test]
fn failed_deployment_is_reported_with_the_api_message_and_kept_tainted() {
    let (sim, wd) = configured("drfail");
    // The deployment is held at step 2 while the failure of step 3 is injected.
    let (apply, guid) = sim.spawn_apply_held(&wd, &[], "dra.deploy.step2");
    sim.patch_object("dra", "deployments", &guid, json!({"_fail_at_step": 3}));
    sim.release_hold("dra.deploy.step2");
    let (code, output) = wait_output(apply);
    assert_ne!(code, 0, "{output}");
    // The API's own words, not a timeout of the 10-minute create: the provider stopped
    // waiting as soon as DR Automation reported the failure.
    assert_mentions(
        &output,
        &[
            "Error creating dr_orchestrator",
            &format!(r#""drfail" \(DR instance {guid}\)"#),
            r"The primary orchestrator VM drfail-orchestrator did not reach ACTIVE state\.",
        ],
    );
    assert!(!output.contains("timed out"), "{output}");
    // The instance is kept in state, tainted, not orphaned.
    let state = wd.raw_state();
    assert!(state.contains(&guid), "{state}");
    assert!(state.contains("\"status\": \"tainted\""), "{state}");
}

#[test]
fn interrupted_apply_is_completed_by_the_next_one() {
    let (sim, wd) = configured("drstop");
    // The deployment stays at step 3 until the apply has been interrupted.
    let (apply, first) = sim.spawn_apply_held(&wd, &[], "dra.deploy.step3");
    // Ctrl-C: Terraform stops the provider, which records what exists (tainted).
    interrupt(&apply);
    let (code, output) = wait_output(apply);
    assert_ne!(code, 0, "{output}");
    assert!(wd.raw_state().contains(&first), "{output}");
    sim.release_hold("dra.deploy.step3");

    // The next apply replaces the tainted deployment; nothing is left behind.
    wd.apply();
    wd.assert_plan_empty();
    let replacement = wd.string_attribute(ADDRESS, "id");
    assert_one_deployment(&sim, "drstop", &replacement, "nothing is left behind");
}

#[test]
fn killed_apply_is_adopted_by_the_next_one() {
    let (sim, wd) = configured("drkill");
    let (mut apply, first) = sim.spawn_apply_held(&wd, &[], "dra.deploy.step3");
    // kill -9: no state is written at all.
    apply.kill().unwrap();
    let _ = apply.wait();
    assert!(!wd.raw_state().contains(&first));
    sim.release_hold("dra.deploy.step3");

    // The next apply finds the instance by name and finishes the deployment with it.
    let out = wd.apply();
    assert!(out.stdout.contains(&first), "{}", out.stdout);
    wd.assert_plan_empty();
    assert_one_deployment(
        &sim,
        "drkill",
        &first,
        "the killed apply's instance is adopted",
    );
    assert_eq!(
        sim.count_requests(|m, r| m == "POST" && r == "/rc/v2/resource_instances"),
        1,
        "one instance was ever requested"
    );
}
