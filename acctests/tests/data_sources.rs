//! Acceptance tests of the data sources with real Terraform against dr-cloudsim:
//! `dr_workspaces` and `dr_workspace_subnets` (filters included), and, around a real
//! `dr_orchestrator` with managed VMs, `dr_machine_types`, `dr_summary`, `dr_managed_vms`
//! (filters) and `dr_events`.
//!
//! Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acctests::fixtures::{
    self, Block, PRIMARY, PROVIDER_HEADER, STANDBY, managed_vm, plain_password,
};
use acctests::sim::{ORCHESTRATOR_PASSWORD, Sim};
use acctests::terraform_lacks;
use serde_json::{Value, json};

fn output(state: &Value, name: &str) -> Value {
    state
        .pointer(&format!("/values/outputs/{name}/value"))
        .cloned()
        .unwrap_or_else(|| panic!("no output {name}: {state:#}"))
}

#[test]
fn workspace_data_sources() {
    if terraform_lacks(1, 8, "provider functions (the config calls cidr_overlaps)") {
        return;
    }
    let sim = Sim::start(100.0);
    let wd = sim.workdir();
    // So that the status and type filters have something to tell apart: one workspace
    // inactive, and the primary's backup subnet a public one.
    let dal13 = sim.id_by_name("power", "workspaces", "overlap-dal13-power-workspace", "id");
    sim.patch_object("power", "workspaces", &dal13, json!({"status": "inactive"}));
    let bkp = sim
        .objects("power", "networks")
        .into_iter()
        .find(|n| n["name"] == "bkp_net" && n["cidr"] == "10.52.0.0/24")
        .and_then(|n| n["networkID"].as_str().map(str::to_string))
        .unwrap();
    sim.patch_object("power", "networks", &bkp, json!({"type": "pub-vlan"}));
    wd.config(&format!(
        r#"{PROVIDER_HEADER}
data "dr_workspaces" "all" {{}}

data "dr_workspaces" "dal12" {{
  zone = "dal12"
}}

data "dr_workspaces" "primary" {{
  name = "slz-dal10-power-workspace"
}}

data "dr_workspace_subnets" "primary" {{
  workspace_id = data.dr_workspaces.primary.ids[0]
}}

data "dr_workspace_subnets" "mgmt_only" {{
  workspace_id = data.dr_workspace_subnets.primary.workspace_id
  name         = "mgmt_net"
}}

data "dr_workspaces" "active" {{
  status = "active"
}}

data "dr_workspaces" "inactive" {{
  status = "inactive"
}}

data "dr_workspace_subnets" "private" {{
  workspace_id = data.dr_workspace_subnets.primary.workspace_id
  type         = "vlan"
}}

data "dr_workspace_subnets" "public" {{
  workspace_id = data.dr_workspace_subnets.primary.workspace_id
  type         = "pub-vlan"
}}

output "active" {{ value = data.dr_workspaces.active.workspaces[*].name }}
output "inactive" {{ value = data.dr_workspaces.inactive.workspaces[*].name }}
output "private" {{ value = data.dr_workspace_subnets.private.cidr_by_name }}
output "public" {{ value = data.dr_workspace_subnets.public.cidr_by_name }}
output "names" {{ value = data.dr_workspaces.all.workspaces[*].name }}
output "dal12" {{ value = data.dr_workspaces.dal12.workspaces }}
output "cidr_by_name" {{ value = data.dr_workspace_subnets.primary.cidr_by_name }}
output "cidrs" {{ value = data.dr_workspace_subnets.primary.cidrs }}
output "mgmt" {{ value = data.dr_workspace_subnets.mgmt_only.subnets }}
output "overlaps" {{
  value = provider::dr::cidr_overlaps(concat(data.dr_workspace_subnets.primary.cidrs, ["10.51.0.0/16"]))
}}
"#
    ));
    wd.apply();
    let state = wd.state_json();
    assert_eq!(
        output(&state, "names"),
        json!([
            "overlap-dal13-power-workspace",
            "slz-dal10-power-workspace",
            "slz-dal12-power-workspace",
            "slz-wdc07-power-workspace"
        ])
    );
    assert_eq!(
        output(&state, "active"),
        json!([
            "slz-dal10-power-workspace",
            "slz-dal12-power-workspace",
            "slz-wdc07-power-workspace"
        ])
    );
    assert_eq!(
        output(&state, "inactive"),
        json!(["overlap-dal13-power-workspace"])
    );
    assert_eq!(
        output(&state, "private"),
        json!({"mgmt_net": "10.51.0.0/24"})
    );
    assert_eq!(output(&state, "public"), json!({"bkp_net": "10.52.0.0/24"}));
    let dal12 = output(&state, "dal12");
    assert_eq!(dal12.as_array().unwrap().len(), 1);
    assert_eq!(dal12[0]["name"], "slz-dal12-power-workspace");
    assert_eq!(dal12[0]["zone"], "dal12");
    assert!(
        dal12[0]["crn"]
            .as_str()
            .unwrap()
            .starts_with("crn:v1:bluemix:public:power-iaas:dal12:")
    );
    assert_eq!(
        output(&state, "cidr_by_name"),
        json!({"bkp_net": "10.52.0.0/24", "mgmt_net": "10.51.0.0/24"})
    );
    assert_eq!(
        output(&state, "cidrs"),
        json!(["10.52.0.0/24", "10.51.0.0/24"])
    );
    let mgmt = output(&state, "mgmt");
    assert_eq!(mgmt.as_array().unwrap().len(), 1);
    assert_eq!(
        (&mgmt[0]["cidr"], &mgmt[0]["type"]),
        (&json!("10.51.0.0/24"), &json!("vlan"))
    );
    assert_eq!(
        output(&state, "overlaps"),
        json!([{"a": "10.51.0.0/24", "b": "10.51.0.0/16"}])
    );
    wd.assert_plan_empty();

    wd.config(&format!(
        "{PROVIDER_HEADER}\ndata \"dr_workspace_subnets\" \"x\" {{\n  workspace_id = \"no-such-workspace\"\n}}\n"
    ));
    wd.plan_expect_error(r#"PowerVS workspace not found.*"no-such-workspace""#);
}

#[test]
fn deployment_data_sources() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    let primary = sim.workspace_id(PRIMARY);
    let (aix, ibmi) = (sim.vm_id("aix-app-01"), sim.vm_id("ibmi-db-01"));
    let orchestrator = fixtures::orchestrator("dr-ds", &primary)
        .label("main")
        .string("orchestrator_user", "dradmin")
        .raw(&plain_password(ORCHESTRATOR_PASSWORD));
    let aix_vm = managed_vm("aix", "main", &aix)
        .string("priority", "high")
        .string("workgroup_name", "apps");
    let ibmi_vm = managed_vm("ibmi", "main", &ibmi);
    let reading = |kind: &str, label: &str| {
        Block::data(kind, label).arg("orchestrator_id", "dr_orchestrator.main.id")
    };
    // Read once both VMs are managed.
    let after_vms =
        |block: Block| block.arg("depends_on", "[dr_managed_vm.aix, dr_managed_vm.ibmi]");
    let machine_types = reading("dr_machine_types", "mt")
        .string("primary_workspace_name", PRIMARY)
        .string("standby_workspace_name", STANDBY);
    let summary = after_vms(reading("dr_summary", "s"));
    let all = after_vms(reading("dr_managed_vms", "all"));
    let high = after_vms(reading("dr_managed_vms", "high").string("priority", "high"));
    let created = after_vms(reading("dr_events", "created").string("action", "create"));
    let all_events = after_vms(reading("dr_events", "all"));
    let apps = after_vms(reading("dr_managed_vms", "apps").string("workgroup_name", "apps"));
    let in_primary =
        after_vms(reading("dr_managed_vms", "in_primary").string("workspace_name", PRIMARY));
    let in_standby =
        after_vms(reading("dr_managed_vms", "in_standby").string("workspace_name", STANDBY));
    let config = |extra: &str| {
        format!(
            r#"{PROVIDER_HEADER}{orchestrator}{aix_vm}{ibmi_vm}{machine_types}{summary}{all}{high}{created}
output "standby_types" {{ value = data.dr_machine_types.mt.standby_machine_types }}
output "primary_types" {{ value = data.dr_machine_types.mt.machine_types }}
output "summary" {{ value = data.dr_summary.s }}
output "all" {{ value = data.dr_managed_vms.all.managed_vms }}
output "high" {{ value = data.dr_managed_vms.high.ids }}
output "events" {{ value = data.dr_events.created.events }}
{all_events}{apps}{in_primary}{in_standby}
output "all_events" {{ value = data.dr_events.all.events }}
output "apps" {{ value = data.dr_managed_vms.apps.ids }}
output "in_primary" {{ value = data.dr_managed_vms.in_primary.ids }}
output "in_standby" {{ value = data.dr_managed_vms.in_standby.ids }}
{extra}"#
        )
    };
    wd.config(&config(""));
    wd.apply();
    let state = wd.state_json();
    assert_eq!(output(&state, "standby_types"), json!(["s922", "s1022"]));
    assert_eq!(
        output(&state, "primary_types"),
        json!(["s922", "e980", "s1022"])
    );
    let summary = output(&state, "summary");
    assert_eq!(summary["deployment_name"], "dr-ds");
    assert_eq!(summary["managed_vm_count"], 2);
    assert_eq!(
        summary["orchestrator_workspace_name"],
        "slz-dal10-power-workspace"
    );
    assert_eq!(summary["status"], "Active");
    let all = output(&state, "all");
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["vm_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["aix-app-01", "ibmi-db-01"]);
    assert_eq!(all[0]["priority"], "high");
    assert_eq!(all[0]["workgroup_name"], "apps");
    assert_eq!(all[1]["os_type"], "ibmi");
    assert_eq!(output(&state, "high"), json!([aix]));
    let events = output(&state, "events");
    let messages: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    // DR Automation's events are about the service (the deployment), not KSYS's VMs.
    assert!(
        messages.iter().any(|m| m.contains("dr-ds-orchestrator")),
        "{messages:?}"
    );
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] == "create")
    );
    assert_eq!(output(&state, "apps"), json!([aix]));
    let mut both = vec![aix.clone(), ibmi.clone()];
    both.sort();
    let mut in_primary: Vec<String> = serde_json::from_value(output(&state, "in_primary")).unwrap();
    in_primary.sort();
    assert_eq!(in_primary, both);
    assert_eq!(output(&state, "in_standby"), json!([]));

    // The time and level filters, checked against the unfiltered log: `from_time` and `time`
    // keep the events at or after a time, `to_time` those at or before it (RFC 3339 times of
    // one format order as text).
    let all = output(&state, "all_events");
    let all = all.as_array().unwrap().clone();
    assert!(all.len() >= 3, "{all:?}");
    let pivot = all[all.len() / 2]["time"].as_str().unwrap().to_string();
    let level = all[0]["level"].as_str().unwrap().to_string();
    // One data source per filter, each with an output of the event ids it keeps.
    let filtered: String = [
        ("since", "from_time", &pivot),
        ("until", "to_time", &pivot),
        ("at", "time", &pivot),
        ("level", "level", &level),
    ]
    .iter()
    .map(|(label, filter, value)| {
        Block::data("dr_events", label)
            .arg("orchestrator_id", "dr_orchestrator.main.id")
            .string(filter, value)
            .hcl()
    })
    .collect();
    wd.config(&config(&format!(
        r#"{filtered}
output "since" {{ value = data.dr_events.since.events[*].event_id }}
output "until" {{ value = data.dr_events.until.events[*].event_id }}
output "at" {{ value = data.dr_events.at.events[*].event_id }}
output "level" {{ value = data.dr_events.level.events[*].event_id }}
"#
    )));
    wd.apply();
    let state = wd.state_json();
    let all = output(&state, "all_events");
    let ids = |keep: &dyn Fn(&Value) -> bool| -> Value {
        json!(
            all.as_array()
                .unwrap()
                .iter()
                .filter(|e| keep(e))
                .map(|e| e["event_id"].clone())
                .collect::<Vec<_>>()
        )
    };
    // As instants, not as text: `…05.5Z` is earlier than `…05.55Z` but sorts after it.
    let instant = |t: &str| {
        t.parse::<jiff::Timestamp>()
            .expect("an RFC 3339 event time")
    };
    let pivot_instant = instant(&pivot);
    let time = |e: &Value| instant(e["time"].as_str().unwrap());
    let since = ids(&|e| time(e) >= pivot_instant);
    let until = ids(&|e| time(e) <= pivot_instant);
    assert_eq!(output(&state, "since"), since);
    assert_eq!(output(&state, "until"), until);
    assert_eq!(
        output(&state, "at"),
        since,
        "time is \"since\", as from_time"
    );
    assert_eq!(
        output(&state, "level"),
        ids(&|e| e["level"] == level.as_str())
    );
    assert!(
        since.as_array().unwrap().len() < all.as_array().unwrap().len()
            || until.as_array().unwrap().len() < all.as_array().unwrap().len(),
        "the time filters removed something"
    );
    wd.destroy();
}
