//! Load: many managed VMs across several orchestrators in one apply, at `-parallelism=20`,
//! while the cloud rate-limits 20% of requests with 429 and `Retry-After`. It must complete
//! with every VM registered exactly once, with the orchestrator the configuration names, and
//! leave an empty plan; the request counts and the wall time are printed.
//!
//! CI runs a scaled version (100 VMs across 2 orchestrators). `scripts/soak.sh` runs the full
//! size of the issue (1,000 VMs across 10 orchestrators) through the same test with
//! `DR_LOAD_VMS`, `DR_LOAD_ORCHESTRATORS`, `DR_LOAD_PARALLELISM` and `DR_LOAD_429_RATE`.
//!
//! The workload VMs are created before the run through the PowerVS API itself (a large
//! private network, then instances in batches of 20 replicants), as an account would
//! already have them. Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use acctests::fixtures::{PRIMARY, PROVIDER_HEADER};
use acctests::sim::Sim;
use acctests::terraform_at_least;
use serde_json::{Value, json};

/// The sim's PowerVS create accepts at most this many replicants per request.
const REPLICANTS_PER_CALL: usize = 20;

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small PowerVS client for setting up the account, as its owner would have.
struct PowerApi<'a> {
    sim: &'a Sim,
    http: reqwest::blocking::Client,
    token: String,
    workspace: String,
    crn: String,
}

impl<'a> PowerApi<'a> {
    fn new(sim: &'a Sim, workspace_name: &str) -> PowerApi<'a> {
        let http = reqwest::blocking::Client::new();
        let token = sim.iam_token_grant();
        let ws = sim
            .objects("power", "workspaces")
            .into_iter()
            .find(|w| w["name"] == workspace_name)
            .unwrap();
        PowerApi {
            sim,
            http,
            token: token["access_token"].as_str().unwrap().to_string(),
            workspace: ws["id"].as_str().unwrap().to_string(),
            crn: ws["details"]["crn"].as_str().unwrap().to_string(),
        }
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let url = format!(
            "{}/power/pcloud/v1/cloud-instances/{}/{path}",
            self.sim.url(),
            self.workspace
        );
        let resp = self
            .http
            .post(url)
            .bearer_auth(&self.token)
            .header("CRN", &self.crn)
            .json(&body)
            .send()
            .unwrap();
        let status = resp.status();
        let text = resp.text().unwrap();
        assert!(status.is_success(), "POST {path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }
}

/// Creates `count` AIX VMs on a new private network; returns their PowerVS ids.
fn create_workload_vms(sim: &Sim, count: usize) -> Vec<String> {
    let api = PowerApi::new(sim, PRIMARY);
    let network = api.post(
        "networks",
        json!({"name": "load_net", "type": "vlan", "cidr": "10.70.0.0/20"}),
    );
    let network_id = network["networkID"].as_str().unwrap().to_string();
    let image = sim
        .objects("power", "images")
        .into_iter()
        .find(|i| {
            i["name"] == "7300-02-01"
                && i["crn"]
                    .as_str()
                    .is_some_and(|c| c.contains(&api.workspace))
        })
        .expect("the AIX image in the primary workspace");
    let mut created = 0;
    let mut batch = 0;
    while created < count {
        let n = REPLICANTS_PER_CALL.min(count - created);
        let mut body = json!({
            "serverName": format!("load-{batch:03}"),
            "imageID": image["imageID"],
            "processors": 0.25,
            "procType": "shared",
            "memory": 2,
            "networks": [{"networkID": network_id}],
        });
        if n > 1 {
            body["replicants"] = json!(n);
        }
        api.post("pvm-instances", body);
        created += n;
        batch += 1;
    }
    // The instances build for a while; DR manages running VMs.
    let started = Instant::now();
    loop {
        let vms: Vec<Value> = sim
            .objects("power", "pvm_instances")
            .into_iter()
            .filter(|vm| {
                vm["serverName"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("load-"))
            })
            .collect();
        if vms.len() == count && vms.iter().all(|vm| vm["status"] == "ACTIVE") {
            let mut ids: Vec<String> = vms
                .iter()
                .map(|vm| vm["pvmInstanceID"].as_str().unwrap().to_string())
                .collect();
            ids.sort();
            return ids;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "workload VMs did not become ACTIVE"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn config(workspace: &str, orchestrators: usize) -> String {
    format!(
        r#"{PROVIDER_HEADER}
locals {{
  vm_ids = jsondecode(file("${{path.module}}/vms.json"))
}}

resource "dr_orchestrator" "o" {{
  count = {orchestrators}

  name                             = "load-${{count.index}}"
  orchestrator_user                = "admin"
  workspace_id                     = "{workspace}"
  machine_type                     = "s922"
  ssh_key_name                     = "slz-ssh-key"
  orchestrator_password_wo         = "Load-Passw0rd!"
  orchestrator_password_wo_version = 1
}}

resource "dr_managed_vm" "vm" {{
  for_each = {{ for i, id in local.vm_ids : id => i }}

  orchestrator_id = dr_orchestrator.o[each.value % {orchestrators}].id
  pvm_instance_id = each.key
  priority        = ["high", "medium", "low"][each.value % 3]
}}
"#
    )
}

fn sum(requests: &Value, filter: impl Fn(&Value) -> bool) -> u64 {
    requests["by_route"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| filter(r))
        .filter_map(|r| r["count"].as_u64())
        .sum()
}

#[test]
fn many_managed_vms_across_orchestrators_under_rate_limits() {
    if !terraform_at_least(1, 11) {
        return;
    }
    let vms: usize = setting("DR_LOAD_VMS", 100);
    let orchestrators: usize = setting("DR_LOAD_ORCHESTRATORS", 2);
    let parallelism: usize = setting("DR_LOAD_PARALLELISM", 20);
    let rate_429: f64 = setting("DR_LOAD_429_RATE", 0.2);

    let sim = Sim::start(500.0);
    let vm_ids = create_workload_vms(&sim, vms);
    let workspace = PowerApi::new(&sim, PRIMARY).workspace.clone();
    let wd = sim.workdir();
    wd.config(&config(&workspace, orchestrators));
    wd.write("vms.json", &serde_json::to_string(&vm_ids).unwrap());

    sim.set_faults(json!({"rules": [
        {"path_prefix": "/", "rate": rate_429, "status": 429, "retry_after_seconds": 1}
    ]}));
    sim.reset_requests();
    let started = Instant::now();
    let out = wd.apply_args(&[&format!("-parallelism={parallelism}")]);
    let took = started.elapsed();
    assert!(
        out.stdout.contains(&format!(
            "Apply complete! Resources: {} added",
            vms + orchestrators
        )),
        "{}",
        out.stdout
    );
    let requests = sim.requests();

    // Every VM registered once, with the orchestrator the configuration gives it.
    let state = wd.state_json();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap();
    let orchestrator_ids: Vec<String> = (0..orchestrators)
        .map(|i| {
            resources
                .iter()
                .find(|r| r["address"] == format!("dr_orchestrator.o[{i}]"))
                .unwrap()["values"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    // What each orchestrator's KSYS manages: (VM, cluster = DR instance).
    let workgroups = sim.objects("ksys", "workgroups");
    let registrations: Vec<(String, String)> = sim
        .objects("ksys", "vms")
        .iter()
        .map(|vm| {
            let cluster = workgroups
                .iter()
                .find(|w| w["id"] == vm["workgroup_id"])
                .and_then(|w| w["cluster_id"].as_str())
                .unwrap_or_default()
                .to_string();
            (vm["uuid"].as_str().unwrap().to_string(), cluster)
        })
        .collect();
    let mut by_vm: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (vm, cluster) in &registrations {
        by_vm.entry(vm.clone()).or_default().push(cluster.clone());
    }
    let twice: Vec<_> = by_vm.iter().filter(|(_, o)| o.len() > 1).collect();
    assert!(twice.is_empty(), "VMs managed more than once: {twice:?}");
    assert_eq!(by_vm.len(), vms, "managed VMs");
    for (i, id) in vm_ids.iter().enumerate() {
        assert_eq!(
            by_vm[id],
            vec![orchestrator_ids[i % orchestrators].clone()],
            "orchestrator of VM {id}"
        );
    }
    let per_orchestrator: BTreeSet<usize> = orchestrator_ids
        .iter()
        .map(|o| {
            registrations
                .iter()
                .filter(|(_, cluster)| cluster == o)
                .count()
        })
        .collect();

    let total = requests["total"].as_u64().unwrap();
    let limited = sum(&requests, |r| r["status"] == 429);
    // Rate limits are IBM's REST APIs'; KSYS runs every manage vm exactly once.
    let manage_commands = sim
        .ssh_commands()
        .get("ksysmgr manage vm")
        .copied()
        .unwrap_or(0);
    let tokens = sum(&requests, |r| {
        r["method"] == "POST" && r["route"].as_str().is_some_and(|p| p.starts_with("/iam/"))
    });
    println!(
        "load: {vms} VMs across {orchestrators} orchestrators (VMs per orchestrator: {per_orchestrator:?}), \
         -parallelism={parallelism}, {:.0}% 429s: apply took {took:.1?}; {total} requests, {limited} answered \
         429, {manage_commands} ksysmgr manage vm commands, {tokens} token requests, \
         {:.1} requests per managed VM",
        rate_429 * 100.0,
        total as f64 / vms as f64
    );
    let mut routes: Vec<(u64, String)> = requests["by_route"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["count"].as_u64().unwrap(),
                format!("{} {} {}", r["method"], r["route"], r["status"]),
            )
        })
        .collect();
    routes.sort_by(|a, b| b.cmp(a));
    for (count, route) in routes.iter().take(12) {
        println!("load:   {count:>7}  {route}");
    }
    assert_eq!(
        manage_commands, vms as u64,
        "each VM was managed by exactly one manage vm"
    );
    // The rate limiting really happened (and was retried through), unless turned off.
    if rate_429 > 0.0 {
        assert!(
            limited > 0,
            "no request was answered 429 at a {rate_429} rate: {requests}"
        );
    }

    sim.clear_faults();
    let started = Instant::now();
    wd.assert_plan_empty();
    println!(
        "load: two plans over {} resources took {:.1?}",
        vms + orchestrators,
        started.elapsed()
    );
}
