//! Acceptance tests of `dr_test_schedule` with real Terraform against dr-cloudsim, whose KSYS
//! hosts keep root's crontab: create (the entry read back from `crontab -l`), empty re-plan, a
//! scheduled run fired on emulated time with its result read back, in-place update, import-verify,
//! drift (the job line commented out by hand, the entry deleted by hand), destroy; another
//! crontab line is never touched; and the offline checks of the cron expression and the time
//! zone, which stop the plan with the bad field named and without a single write.
//!
//! Needs `cargo build --workspace --bins` first. Runs on every supported Terraform version.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acctests::WorkDir;
use acctests::fixtures::{
    self, ORCH_PASSWORD, PRIMARY, PROVIDER_HEADER, managed_vm, password_arguments,
};
use acctests::sim::{ACC_KEY_NAME, Sim};
use acctests::unwrap_diagnostics;
use serde_json::Value;

const ADDRESS: &str = "dr_test_schedule.weekly";

/// The orchestrator (root logs in with the scenario's key) and one managed VM, so a scheduled
/// DR test has a workgroup to rehearse.
fn orchestrator(sim: &Sim) -> String {
    let orchestrator = fixtures::orchestrator("drsched", &sim.workspace_id(PRIMARY))
        .string("ssh_key_name", ACC_KEY_NAME)
        .raw(&password_arguments(ORCH_PASSWORD));
    let app = managed_vm("app", "o", &sim.vm_id("aix-app-01"));
    format!("{PROVIDER_HEADER}{orchestrator}{app}")
}

/// `dr_test_schedule.<label>` on `dr_orchestrator.o`, with `body` argument lines.
fn schedule(label: &str, body: &str) -> String {
    fixtures::test_schedule(label, "o").raw(body).hcl()
}

/// Root's crontab on the orchestrator (`crontab -l`), as the emulated KSYS host keeps it.
fn crontab(sim: &Sim) -> (String, String) {
    sim.objects("ksys", "crontabs")
        .first()
        .map(|c| {
            (
                c["cluster_id"].as_str().unwrap_or("").to_string(),
                c["text"].as_str().unwrap_or("").to_string(),
            )
        })
        .unwrap_or_default()
}

/// Replaces root's crontab of KSYS cluster `cluster` with `text`, as an operator's `crontab -e`.
fn edit_crontab(sim: &Sim, cluster: &str, text: &str) {
    sim.patch_object(
        "ksys",
        "crontabs",
        cluster,
        serde_json::json!({ "text": text }),
    );
}

/// The schedules the crontab holds, as the emulator parses them.
fn schedules(sim: &Sim) -> Vec<Value> {
    sim.objects("ksys", "crontabs")
        .first()
        .and_then(|c| c["schedules"].as_array().cloned())
        .unwrap_or_default()
}

/// The crontab lines that are not the schedule's own.
fn foreign_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.contains("terraform-provider-dr dr_test_schedule="))
        .collect()
}

fn plan_fails_offline(wd: &WorkDir, sim: &Sim, config: &str, patterns: &[&str]) {
    wd.config(config);
    sim.reset_requests();
    let out = wd.plan_expect_error(&regex::escape(patterns[0]));
    let text = unwrap_diagnostics(&out.combined());
    for p in patterns {
        assert!(text.contains(p), "missing {p:?} in:\n{text}");
    }
    assert_eq!(sim.cloud_writes(), 0, "a refused plan must not write");
}

#[test]
fn test_schedule_create_update_import_drift_destroy() {
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    let base = orchestrator(&sim);
    wd.config(&base);
    wd.apply();

    // Offline checks name the bad cron field and the time zone to write instead.
    for (arguments, patterns) in [
        (
            "  cron = \"0 25 * * 0\"\n",
            &["Invalid cron expression", "field 2 (hour) \"25\"", "0-23"][..],
        ),
        ("  cron = \"0 2 * *\"\n", &["has 4 field(s)"]),
        (
            "  cron = \"0 2 * * 0\"\n  time_zone = \"america/chicago\"\n",
            &["Invalid time zone", "write \"America/Chicago\""],
        ),
        (
            "  cron = \"0 2 * * 0\"\n  time_zone = \"America/Chicgo\"\n",
            &["Invalid time zone", "not in the IANA time zone database"],
        ),
    ] {
        let config = base.clone() + &schedule("weekly", arguments);
        plan_fails_offline(&wd, &sim, &config, patterns);
    }
    assert!(schedules(&sim).is_empty());

    // Create: two lines of root's crontab, read back from crontab -l.
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
    let orch = wd.string_attribute("dr_orchestrator.o", "id");
    let schedule_id = v["schedule_id"].as_str().unwrap().to_string();
    let id = format!("{orch}/{schedule_id}");
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["enabled"], true, "default");
    assert_eq!(v["last_result"], Value::Null, "no run yet");
    let next_run = v["next_run"].as_str().expect("a next run");
    assert!(
        next_run.ends_with(":00:00Z"),
        "Sunday 02:00 in Chicago is a whole UTC hour: {next_run}"
    );
    let (cluster, text) = crontab(&sim);
    assert_eq!(cluster, orch);
    assert!(
        text.contains(&format!(
            "# terraform-provider-dr dr_test_schedule={schedule_id} cron=\"0 2 * * 0\" time_zone=America/Chicago last_result=- finished_at=-"
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "t=$(TZ=America/Chicago date +\\%M:\\%H:\\%d:\\%m:\\%w); case $t in 00:02:??:??:0)"
        ),
        "{text}"
    );
    assert!(
        text.contains("/opt/IBM/ksys/ksysmgr -f move site from=us-south to=us-east dr_test=yes"),
        "{text}"
    );
    let stored = schedules(&sim);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["cron"], "0 2 * * 0");
    assert_eq!(stored[0]["time_zone"], "America/Chicago");

    // An administrator's own job, added by hand: never touched by the provider.
    let own = "15 4 * * * /usr/local/bin/backup.sh";
    edit_crontab(&sim, &cluster, &format!("{own}\n{text}"));

    // A run fires on emulated time (the last Sunday 02:00 in Chicago), and its result is read.
    let a_week_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        - 7 * 24 * 3600 * 1000
        + 60_000;
    sim.patch_object(
        "ksys",
        "crontabs",
        &cluster,
        serde_json::json!({"_checked_until_ms": a_week_ago}),
    );
    let start = std::time::Instant::now();
    while !crontab(&sim).1.contains("last_result=succeeded") {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(300),
            "the scheduled test never finished: {}",
            crontab(&sim).1
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let jobs = sim.objects("ksys", "jobs");
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["schedule_id"], schedule_id.as_str());
    let workgroups = sim.objects("ksys", "workgroups");
    assert_eq!(
        workgroups[0]["dr_test_state"], "DRTESTCLEANUP_COMPLETED",
        "the rehearsal ran and was cleaned up"
    );
    wd.run_ok(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ]);
    let v = wd.resource_values(ADDRESS).unwrap();
    assert_eq!(v["last_result"]["status"], "succeeded");
    assert!(
        v["last_result"]["finished_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{v}"
    );
    wd.assert_plan_empty();

    // Update in place: another time, disabled (the job line commented out); the own job stays.
    wd.config(
        &(base.clone()
            + &schedule(
                "weekly",
                "  cron      = \"30 3 * * MON-FRI\"\n  time_zone = \"Europe/Berlin\"\n  enabled   = false\n",
            )),
    );
    wd.assert_plan_mentions(&["1 to change, 0 to destroy"]);
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(ADDRESS).unwrap();
    assert_eq!(v["schedule_id"], schedule_id.as_str(), "updated in place");
    assert_eq!(v["enabled"], false);
    assert_eq!(v["next_run"], Value::Null, "no next run while disabled");
    assert_eq!(
        v["last_result"]["status"], "succeeded",
        "the last result is kept"
    );
    let stored = schedules(&sim);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["cron"], "30 3 * * MON-FRI");
    assert_eq!(stored[0]["time_zone"], "Europe/Berlin");
    assert_eq!(stored[0]["enabled"], false);
    assert_eq!(foreign_lines(&crontab(&sim).1), vec![own]);

    // Import by <orchestrator_id>/<schedule_id>; a malformed id says what is expected.
    wd.import_verify(ADDRESS, &id, &["next_run"]);
    let other = sim.workdir();
    other.config(&wd_config_copy(&wd));
    other.expect_error(
        &["import", "-input=false", "-no-color", ADDRESS, &schedule_id],
        "<orchestrator_id>/<schedule_id>",
    );

    // Attribute drift: the job line enabled by hand; the plan disables it again.
    let (_, text) = crontab(&sim);
    let enabled_by_hand: String = text
        .lines()
        .map(|l| {
            if l.starts_with('#') && l.ends_with(&format!("dr_test_schedule={schedule_id}")) {
                l[1..].to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    edit_crontab(&sim, &cluster, &enabled_by_hand);
    wd.assert_plan_mentions(&[
        "enabled",
        "true -> false",
        "Plan: 0 to add, 1 to change, 0 to destroy",
    ]);
    wd.apply();
    wd.assert_plan_empty();

    // Deleted behind Terraform's back: planned for creation again.
    let own_only = format!("{own}\n");
    edit_crontab(&sim, &cluster, &own_only);
    wd.assert_plan_mentions(&[
        "dr_test_schedule.weekly will be created",
        "Plan: 1 to add, 0 to change, 0 to destroy",
    ]);
    wd.apply();
    wd.assert_plan_empty();
    assert_eq!(schedules(&sim).len(), 1);

    // Destroy the schedule: only the administrator's line is left.
    wd.config(&(base.clone() + &schedule("weekly", "  cron = \"0 2 * * 0\"\n")));
    wd.apply();
    assert_eq!(
        wd.resource_values(ADDRESS).unwrap()["time_zone"],
        "UTC",
        "default time zone"
    );
    wd.config(&base);
    wd.apply();
    assert!(schedules(&sim).is_empty());
    assert_eq!(crontab(&sim).1, own_only);
    assert_eq!(sim.retired_api_requests(), 0);
    wd.destroy();
}

fn wd_config_copy(wd: &WorkDir) -> String {
    std::fs::read_to_string(wd.path().join("main.tf")).unwrap()
}
