//! Acceptance tests of `dr_managed_vm` with real Terraform against dr-cloudsim: create, empty
//! re-plan, import-verify, in-place update, replacement and destroy-verify; out-of-band loss
//! of the registration and of the VM; every plan-time check with zero mutating requests; and
//! 200 managed VMs applied at `-parallelism=10`, counting the read requests of their refresh.
//!
//! The orchestrator is a real `dr_orchestrator`. The 200 PowerVS VMs are created through the
//! emulator's PowerVS API directly (the default scenario has only a handful).
//!
//! Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acctests::WorkDir;
use acctests::sim::{API_KEY, Sim};
use serde_json::{Value, json};

const HEADER: &str = r#"terraform {
  required_providers {
    dr = { source = "powervs/dr" }
  }
}
"#;
const PRIMARY: &str = "slz-dal10-power-workspace";
const SECONDARY: &str = "slz-dal12-power-workspace";

fn mutating(sim: &Sim) -> u64 {
    sim.count_requests(|method, route| method != "GET" && !route.starts_with("/iam"))
}

fn workspace_guid(sim: &Sim, name: &str) -> String {
    sim.objects("power", "workspaces")
        .iter()
        .find(|w| w["name"] == name)
        .and_then(|w| w["id"].as_str())
        .expect("workspace exists")
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

fn registrations(sim: &Sim) -> Vec<Value> {
    sim.objects("dra", "managed_vms")
}

fn orchestrator(label: &str, name: &str, workspace: &str, size: &str) -> String {
    format!(
        r#"
resource "dr_orchestrator" "{label}" {{
  name                  = "{name}"
  orchestrator_user     = "dradmin"
  workspace_id          = "{workspace}"
  machine_type          = "s922"
  orchestrator_password = "Passw0rd-Secret!"
{size}}}
"#
    )
}

fn managed(label: &str, vm: &str, extra: &str) -> String {
    format!(
        r#"
resource "dr_managed_vm" "{label}" {{
  orchestrator_id = dr_orchestrator.main.id
  pvm_instance_id = "{vm}"
{extra}}}
"#
    )
}

/// A working directory with the primary orchestrator applied.
fn with_orchestrator(sim: &Sim) -> (WorkDir, String) {
    let wd = sim.workdir();
    let primary = workspace_guid(sim, PRIMARY);
    let base = HEADER.to_string() + &orchestrator("main", "dr-acc", &primary, "");
    wd.config(&base);
    wd.apply();
    (wd, base)
}

#[test]
fn managed_vm_lifecycle() {
    let sim = Sim::start(200.0);
    let (wd, base) = with_orchestrator(&sim);
    let orch = wd.resource_values("dr_orchestrator.main").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let aix = vm_id(&sim, "aix-app-01");
    let address = "dr_managed_vm.app";

    wd.config(
        &(base.clone()
            + &managed(
                "app",
                &aix,
                "  priority = \"high\"\n  workgroup_name = \"wg_app\"\n",
            )),
    );
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(address).expect("in state");
    assert_eq!(v["id"], format!("{orch}/{aix}"));
    assert_eq!(v["vm_name"], "aix-app-01");
    assert_eq!(v["os_type"], "aix");
    assert_eq!(
        v["workspace_id"],
        workspace_guid(&sim, PRIMARY),
        "defaults to the orchestrator's"
    );
    assert_eq!(
        (v["cores"].as_f64(), v["memory_gb"].as_f64()),
        (Some(1.0), Some(16.0))
    );
    assert_eq!(
        (v["region"].as_str(), v["workspace_name"].as_str()),
        (Some("dal10"), Some(PRIMARY))
    );
    let regs = registrations(&sim);
    assert_eq!(regs.len(), 1);
    assert_eq!(
        (&regs[0]["priority"], &regs[0]["workgroup_name"]),
        (&json!("high"), &json!("wg_app"))
    );

    wd.import_verify(address, &format!("{orch}/{aix}"), &["timeouts"]);

    // Priority and workgroup change in place.
    wd.config(
        &(base.clone()
            + &managed(
                "app",
                &aix,
                "  priority = \"low\"\n  workgroup_name = \"wg_batch\"\n",
            )),
    );
    let plan = wd.assert_plan_not_empty();
    assert!(
        plan.contains("update in-place") && plan.contains("\"high\" -> \"low\""),
        "{plan}"
    );
    sim.reset_requests();
    wd.apply();
    assert_eq!(
        sim.count_requests(|m, r| m == "PATCH" && r.ends_with("/managed_vms/{pvm_instance_id}")),
        1
    );
    assert_eq!(
        sim.count_requests(|m, r| m == "DELETE" || (m == "POST" && r.contains("managed_vms"))),
        0
    );
    wd.assert_plan_empty();
    let regs = registrations(&sim);
    assert_eq!(
        (&regs[0]["priority"], &regs[0]["workgroup_name"]),
        (&json!("low"), &json!("wg_batch"))
    );

    // Another VM replaces the registration.
    let rhel = vm_id(&sim, "rhel-web-01");
    wd.config(&(base.clone() + &managed("app", &rhel, "  priority = \"low\"\n")));
    let plan = wd.assert_plan_not_empty();
    assert!(plan.contains("forces replacement"), "{plan}");
    wd.apply();
    wd.assert_plan_empty();
    let regs = registrations(&sim);
    assert_eq!(regs.len(), 1);
    assert_eq!(regs[0]["pvm_instance_id"], rhel.as_str());
    assert_eq!(wd.resource_values(address).unwrap()["os_type"], "rhel");

    // Registration removed behind Terraform's back: refresh drops it, the plan registers again.
    sim.delete_object("dra", "managed_vms", &format!("{orch}.{rhel}"));
    let plan = wd.assert_plan_not_empty();
    assert!(plan.contains("will be created"), "{plan}");
    wd.apply();
    wd.assert_plan_empty();
    assert_eq!(registrations(&sim).len(), 1);

    // The VM itself disappears: the managed VM is gone, and re-creating it fails at plan time.
    sim.delete_object("power", "pvm_instances", &rhel);
    wd.plan_expect_error(r"VM not found in the workspace.*No VM with id");
    wd.config(&base);
    wd.apply();

    // Destroy-verify with a fresh registration.
    wd.config(&(base + &managed("app", &aix, "")));
    wd.apply();
    assert!(
        registrations(&sim)
            .iter()
            .any(|r| r["pvm_instance_id"] == aix.as_str())
    );
    assert_eq!(
        wd.resource_values(address).unwrap()["priority"],
        "medium",
        "default priority"
    );
    wd.destroy();
    assert!(
        registrations(&sim)
            .iter()
            .all(|r| r["pvm_instance_id"] != aix.as_str()),
        "destroy unregistered the VM"
    );
    assert!(wd.resource_values(address).is_none());
}

#[test]
fn managed_vm_plan_checks_change_nothing() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    let primary = workspace_guid(&sim, PRIMARY);
    let secondary = workspace_guid(&sim, SECONDARY);
    let dr_test = vm_id(&sim, "aix-dr-test-01");
    let aix = vm_id(&sim, "aix-app-01");
    // Two orchestrators; the second one already manages aix-dr-test-01, the first aix-app-01.
    let base = HEADER.to_string()
        + &orchestrator("main", "dr-acc", &primary, "")
        + &orchestrator("other", "dr-other", &secondary, "")
        + &format!(
            r#"
resource "dr_managed_vm" "theirs" {{
  orchestrator_id = dr_orchestrator.other.id
  pvm_instance_id = "{dr_test}"
}}
resource "dr_managed_vm" "ours" {{
  orchestrator_id = dr_orchestrator.main.id
  pvm_instance_id = "{aix}"
}}
"#
        );
    wd.config(&base);
    wd.apply();
    let orch = wd.resource_values("dr_orchestrator.main").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = wd.resource_values("dr_orchestrator.other").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let orchestrator_vm = vm_id(&sim, "dr-acc-orchestrator");

    let cases: Vec<(String, String)> = vec![
        (
            managed("bad", &vm_id(&sim, "sles-util-01"), ""),
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
    assert_eq!(mutating(&sim), 0, "{}", sim.requests());
    // At apply the checks stop the run before anything is written, too.
    wd.config(&(base.clone() + &cases[0].0));
    wd.apply_expect_error("Operating system not supported by DR");
    assert_eq!(mutating(&sim), 0, "{}", sim.requests());
    wd.config(&base);
    wd.destroy();
}

/// An IAM token for calling the emulator's PowerVS API directly.
fn token(sim: &Sim) -> String {
    let resp: Value = reqwest::blocking::Client::new()
        .post(format!("{}/iam/identity/token", sim.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey={API_KEY}"
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    resp["access_token"]
        .as_str()
        .expect("access token")
        .to_string()
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
    let bearer = format!("Bearer {}", token(sim));
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

#[test]
fn two_hundred_managed_vms_refresh_with_one_list_request() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    let primary = workspace_guid(&sim, PRIMARY);
    create_vms(&sim, &primary, 200);
    let ids: Vec<String> = sim
        .objects("power", "pvm_instances")
        .iter()
        .filter(|v| {
            v["serverName"]
                .as_str()
                .is_some_and(|n| n.starts_with("bulk"))
        })
        .map(|v| v["pvmInstanceID"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 200);
    let id_list = ids
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(",\n    ");
    let config = HEADER.to_string()
        + &orchestrator(
            "main",
            "dr-scale",
            &primary,
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
        );
    wd.config(&config);
    sim.reset_requests();
    let started = std::time::Instant::now();
    wd.apply_args(&["-parallelism=10"]);
    let apply_secs = started.elapsed().as_secs_f64();
    let apply_list_reads = sim.count_requests(|m, r| m == "GET" && r.contains("dr_managed_vms"));
    let apply_registrations = sim.count_requests(|m, r| m == "POST" && r.ends_with("/managed_vms"));
    assert_eq!(apply_registrations, 200);
    assert_eq!(registrations(&sim).len(), 200);
    let state = wd.state_json();
    assert_eq!(
        state.pointer("/values/outputs/listed/value"),
        Some(&json!(200))
    );

    // The refresh of 200 managed VMs at -parallelism=10.
    sim.reset_requests();
    let started = std::time::Instant::now();
    let out = wd.run(&[
        "plan",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
        "-parallelism=10",
    ]);
    let refresh_secs = started.elapsed().as_secs_f64();
    assert_eq!(out.code, 0, "{}", out.combined());
    let published_lists = sim.count_requests(|m, r| {
        m == "GET" && r == "/dra/drautomation/v1/dr_managed_vms/{instance_id}"
    });
    let registration_lists = sim
        .count_requests(|m, r| m == "GET" && r == "/dra/orchestrator/v1/{instance_id}/managed_vms");
    let per_vm_reads =
        sim.count_requests(|m, r| m == "GET" && r.ends_with("/managed_vms/{pvm_instance_id}"));
    let all_reads = sim.count_requests(|m, r| m == "GET" && !r.starts_with("/iam"));
    let total = sim.count_requests(|_, _| true);
    eprintln!(
        "200 managed VMs: apply {apply_secs:.1}s ({apply_list_reads} dr_managed_vms reads); refresh plan \
         {refresh_secs:.1}s: dr_managed_vms {published_lists}, orchestrator list {registration_lists}, \
         per-VM reads {per_vm_reads}, all GETs {all_reads}, all requests {total}\n{}",
        sim.requests()
    );
    assert!(
        published_lists <= 2,
        "dr_managed_vms read {published_lists} times for 200 VMs"
    );
    assert!(
        registration_lists <= 1,
        "registration list read {registration_lists} times"
    );
    assert_eq!(per_vm_reads, 0);
    assert!(all_reads < 20, "{all_reads} reads for 200 VMs");
    assert_eq!(mutating(&sim), 0);

    wd.run_ok(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=10",
    ]);
    assert!(registrations(&sim).is_empty());
}
