//! Acceptance tests of `dr_test_schedule` with real Terraform against dr-cloudsim: create,
//! empty re-plan, in-place update, import-verify, out-of-band deletion, destroy; and the
//! offline checks of the cron expression and the time zone, which stop the plan with the bad
//! field named and without a single write to the cloud.
//!
//! Needs `cargo build --workspace --bins` first. Runs on every supported Terraform version.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acctests::WorkDir;
use acctests::sim::Sim;
use acctests::{terraform_at_least, unwrap_diagnostics};
use serde_json::Value;

const HEADER: &str = r#"terraform {
  required_providers {
    dr = { source = "powervs/dr" }
  }
}
"#;
const ADDRESS: &str = "dr_test_schedule.weekly";

fn workspace_guid(sim: &Sim, name: &str) -> String {
    sim.objects("power", "workspaces")
        .iter()
        .find(|w| w["name"] == name)
        .and_then(|w| w["id"].as_str())
        .expect("workspace exists")
        .to_string()
}

fn orchestrator(sim: &Sim) -> String {
    let password = if terraform_at_least(1, 11) {
        "  orchestrator_password_wo         = \"Orch-Passw0rd!\"\n  orchestrator_password_wo_version = 1\n"
    } else {
        "  orchestrator_password = \"Orch-Passw0rd!\"\n"
    };
    format!(
        r#"{HEADER}
resource "dr_orchestrator" "o" {{
  name              = "drsched"
  orchestrator_user = "admin"
  workspace_id      = "{ws}"
  machine_type      = "s922"
{password}}}
"#,
        ws = workspace_guid(sim, "slz-dal10-power-workspace"),
    )
}

fn schedule(label: &str, body: &str) -> String {
    format!(
        r#"
resource "dr_test_schedule" "{label}" {{
  orchestrator_id = dr_orchestrator.o.id
{body}}}
"#
    )
}

fn schedules(sim: &Sim) -> Vec<Value> {
    sim.objects("dra", "test_schedules")
}

fn writes(sim: &Sim) -> u64 {
    sim.count_requests(|method, route| method != "GET" && !route.starts_with("/iam"))
}

fn plan_fails_offline(wd: &WorkDir, sim: &Sim, config: &str, patterns: &[&str]) {
    wd.config(config);
    sim.reset_requests();
    let out = wd.plan_expect_error(&regex::escape(patterns[0]));
    let text = unwrap_diagnostics(&out.combined());
    for p in patterns {
        assert!(text.contains(p), "missing {p:?} in:\n{text}");
    }
    assert_eq!(writes(sim), 0, "a refused plan must not write");
}

#[test]
fn test_schedule_create_update_import_drift_destroy() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    let base = orchestrator(&sim);
    wd.config(&base);
    wd.apply();

    // Offline checks name the bad cron field and the time zone to write instead.
    plan_fails_offline(
        &wd,
        &sim,
        &(base.clone() + &schedule("weekly", "  cron = \"0 25 * * 0\"\n")),
        &["Invalid cron expression", "field 2 (hour) \"25\"", "0-23"],
    );
    plan_fails_offline(
        &wd,
        &sim,
        &(base.clone() + &schedule("weekly", "  cron = \"0 2 * *\"\n")),
        &["has 4 field(s)"],
    );
    plan_fails_offline(
        &wd,
        &sim,
        &(base.clone()
            + &schedule(
                "weekly",
                "  cron = \"0 2 * * 0\"\n  time_zone = \"america/chicago\"\n",
            )),
        &["Invalid time zone", "write \"America/Chicago\""],
    );
    assert!(schedules(&sim).is_empty());

    // Create.
    wd.config(
        &(base.clone()
            + &schedule(
                "weekly",
                "  cron      = \"0 2 * * 0\"\n  time_zone = \"America/Chicago\"\n",
            )),
    );
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(ADDRESS).expect("in state");
    let orch = wd.resource_values("dr_orchestrator.o").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let schedule_id = v["schedule_id"].as_str().unwrap().to_string();
    let id = format!("{orch}/{schedule_id}");
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["enabled"], true, "default");
    assert_eq!(v["last_result"], Value::Null, "no run yet");
    let next_run = v["next_run"].as_str().expect("a next run");
    assert!(next_run.contains('T'), "RFC 3339: {next_run}");
    let stored = schedules(&sim);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["cron"], "0 2 * * 0");
    assert_eq!(stored[0]["time_zone"], "America/Chicago");

    // Update in place: another time, disabled.
    wd.config(
        &(base.clone()
            + &schedule(
                "weekly",
                "  cron      = \"30 3 * * MON-FRI\"\n  time_zone = \"Europe/Berlin\"\n  enabled   = false\n",
            )),
    );
    let plan = wd.assert_plan_not_empty();
    assert!(plan.contains("1 to change, 0 to destroy"), "{plan}");
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(ADDRESS).unwrap();
    assert_eq!(v["schedule_id"], schedule_id.as_str(), "updated in place");
    assert_eq!(v["enabled"], false);
    assert_eq!(v["next_run"], Value::Null, "no next run while disabled");
    let stored = schedules(&sim);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["cron"], "30 3 * * MON-FRI");
    assert_eq!(stored[0]["time_zone"], "Europe/Berlin");
    assert_eq!(stored[0]["enabled"], false);

    // Import by <orchestrator_id>/<schedule_id>; a malformed id says what is expected.
    wd.import_verify(ADDRESS, &id, &[]);
    let other = sim.workdir();
    other.config(&wd_config_copy(&wd));
    other.expect_error(
        &["import", "-input=false", "-no-color", ADDRESS, &schedule_id],
        "<orchestrator_id>/<schedule_id>",
    );

    // Deleted behind Terraform's back: planned for creation again.
    sim.delete_object("dra", "test_schedules", &schedule_id);
    let plan = wd.assert_plan_not_empty();
    assert!(plan.contains("1 to add"), "{plan}");
    wd.apply();
    wd.assert_plan_empty();
    assert_eq!(schedules(&sim).len(), 1);

    // A well-formed zone the orchestrator does not support: the API's own message.
    wd.config(
        &(base.clone()
            + &schedule(
                "weekly",
                "  cron = \"0 2 * * 0\"\n  time_zone = \"Pacific/Auckland\"\n",
            )),
    );
    let out = wd.apply_expect_error("not supported by this orchestrator");
    assert!(out.combined().contains("Error updating dr_test_schedule"));

    // Destroy.
    wd.config(&(base + &schedule("weekly", "  cron = \"0 2 * * 0\"\n")));
    wd.apply();
    assert_eq!(
        wd.resource_values(ADDRESS).unwrap()["time_zone"],
        "UTC",
        "default time zone"
    );
    wd.destroy();
    assert!(schedules(&sim).is_empty());
}

fn wd_config_copy(wd: &WorkDir) -> String {
    std::fs::read_to_string(wd.path().join("main.tf")).unwrap()
}
