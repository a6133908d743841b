//! Bad input never reaches the cloud: a catalogue of invalid configurations, one file each
//! under `tests/bad_input/<group>/<case>.tf`, covering the provider block, every resource,
//! the data sources and the `cidr_overlaps` function.
//!
//! The catalogue is data, so adding a case means adding a file. Each file starts with comment
//! lines that say what must happen:
//!
//! ```text
//! # what the case is about
//! # stage: validate | plan      where it must fail: `terraform validate` (offline), or only
//! #                             at `terraform plan` (needs the cloud; validate must pass)
//! # path: tier                  the attribute the diagnostic points at: Terraform prints the
//! #                             configuration line it names, `NN:   tier = ...`; `block` when
//! #                             the attribute is absent from the configuration (Terraform then
//! #                             quotes the block's first line); `-` for function arguments
//! # expect: <regex>             (repeatable) the message, naming the bad value and what is allowed
//! # base: orchestrator          (optional) the case's block holds only what is wrong; the
//! #                             harness completes it with a valid block's other arguments
//! ```
//!
//! With `# base:`, an argument the case sets replaces the valid one in place, and the case's
//! other lines follow the valid arguments, so a case reads as the one mistake it makes. `base`
//! names one of `valid_blocks`; a case that leaves out a required argument writes its whole
//! block instead.
//!
//! `@NAME@` placeholders are replaced with ids from dr-cloudsim's scenario. One emulator serves
//! the whole catalogue and must record no write at all: errors are found before anything is
//! changed. Cases run on a few threads, one Terraform working directory each, to keep the run
//! in seconds. Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use acctests::fixtures::{Block, ORCH_PASSWORD, PRIMARY, PROVIDER_HEADER, STANDBY, orchestrator};
use acctests::sim::Sim;
use acctests::{WorkDir, terraform_at_least, unwrap_diagnostics, workspace_root};
use serde_json::Value;

const WORKERS: usize = 3;
const MIN_CASES: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Validate,
    Plan,
}

#[derive(Debug)]
struct Case {
    name: String,
    stage: Stage,
    /// Last attribute name of the diagnostic's path, or None for diagnostics without one.
    path: Option<String>,
    expects: Vec<String>,
    hcl: String,
}

fn catalogue_dir() -> PathBuf {
    workspace_root().join("acctests/tests/bad_input")
}

fn tf_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(tf_files(&path));
        } else if path.extension().is_some_and(|e| e == "tf") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn parse_case(file: &Path, vars: &BTreeMap<&str, String>) -> Case {
    let rel = file
        .strip_prefix(catalogue_dir())
        .unwrap()
        .with_extension("")
        .display()
        .to_string();
    let mut text = complete_block(&rel, &std::fs::read_to_string(file).unwrap());
    for (name, value) in vars {
        text = text.replace(&format!("@{name}@"), value);
    }
    assert!(
        !regex::Regex::new("@[A-Z_]+@").unwrap().is_match(&text),
        "{rel}: unknown placeholder"
    );
    let (mut stage, mut path, mut expects) = (None, None, Vec::new());
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        let Some((key, value)) = line.trim_start_matches('#').trim().split_once(": ") else {
            continue;
        };
        match key {
            "stage" => {
                stage = Some(match value {
                    "validate" => Stage::Validate,
                    "plan" => Stage::Plan,
                    other => panic!("{rel}: unknown stage {other:?}"),
                })
            }
            "path" => path = Some(value.to_string()),
            "expect" => expects.push(value.to_string()),
            _ => {}
        }
    }
    let hcl = if text.contains("required_providers") {
        text
    } else {
        format!("{PROVIDER_HEADER}\n{text}")
    };
    Case {
        stage: stage.unwrap_or_else(|| panic!("{rel}: no `# stage:` line")),
        path: match path.unwrap_or_else(|| panic!("{rel}: no `# path:` line")) {
            p if p == "-" => None,
            p => Some(p),
        },
        expects: {
            assert!(!expects.is_empty(), "{rel}: no `# expect:` line");
            expects
        },
        name: rel,
        hcl,
    }
}

/// The valid blocks a case's `# base:` line names, with the catalogue's placeholders.
fn valid_blocks(base: &str) -> Option<Block> {
    let valid = match base {
        "orchestrator" => orchestrator("drbad", "@PRIMARY_WS@"),
        "ha_standby" => Block::resource("dr_ha_standby", "s")
            .string("orchestrator_id", "@ORCHESTRATOR_ID@")
            .string("workspace_id", "@SECONDARY_WS@")
            .string("transit_gateway_id", "@TG@")
            .string("machine_type", "s922"),
        _ => return None,
    };
    Some(
        valid
            .string("orchestrator_password_wo", ORCH_PASSWORD)
            .arg("orchestrator_password_wo_version", "1"),
    )
}

/// `text` with its one block completed from the valid block its `# base:` line names, or
/// as it is without one.
fn complete_block(rel: &str, text: &str) -> String {
    let Some(base) = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix("# base: "))
    else {
        return text.to_string();
    };
    let mut block = valid_blocks(base).unwrap_or_else(|| panic!("{rel}: unknown base {base:?}"));
    let valid = block.hcl();
    let opening = valid.trim_start_matches('\n').lines().next().unwrap();
    let (before, rest) = text
        .split_once(&format!("{opening}\n"))
        .unwrap_or_else(|| panic!("{rel}: no `{opening}` block"));
    let (body, after) = format!("\n{rest}")
        .split_once("\n}\n")
        .map(|(body, after)| (body.to_string(), after.to_string()))
        .unwrap_or_else(|| panic!("{rel}: the block does not end with a `}}` line"));
    // Arguments of the block itself replace or join the valid ones; nested blocks go in as
    // written.
    let mut depth = 0;
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        match line.trim().split_once(" = ") {
            Some((key, expression)) if depth == 0 && !expression.ends_with('{') => {
                block = block.arg(key, expression);
            }
            _ => {
                depth += line.matches('{').count();
                depth -= line.matches('}').count();
                block = block.raw(&format!("{line}\n"));
            }
        }
    }
    format!("{before}{}{after}", block.hcl().trim_start_matches('\n'))
}

/// Terraform's output split into its diagnostics, each starting at an `Error:` line.
fn diagnostics(output: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    for line in output.lines() {
        let bare = line.trim_start_matches(['│', '╷', '╵', ' ']);
        if bare.starts_with("Error: ") || bare.starts_with("Warning: ") {
            blocks.push(String::new());
        }
        if let Some(block) = blocks.last_mut() {
            block.push_str(line);
            block.push('\n');
        }
    }
    blocks
}

/// Whether one error diagnostic matches every expectation of `case`, and points at its path.
fn matches(case: &Case, diagnostic: &str) -> bool {
    if !diagnostic
        .trim_start_matches(['│', '╷', ' '])
        .starts_with("Error: ")
    {
        return false;
    }
    let flat = unwrap_diagnostics(diagnostic);
    let messages_match = case.expects.iter().all(|e| {
        let re =
            regex::Regex::new(e).unwrap_or_else(|err| panic!("{}: bad regex: {err}", case.name));
        re.is_match(diagnostic) || re.is_match(&flat)
    });
    let path_matches = match case.path.as_deref() {
        None => true,
        Some("block") => regex::Regex::new(r#"(?m)^[│ ]*\d+:\s+(resource|data|provider) ""#)
            .unwrap()
            .is_match(diagnostic),
        Some(attr) => {
            // The source line Terraform quotes for the diagnostic's attribute path.
            let line = format!(r"(?m)^[│ ]*\d+:\s+{}\s*=", regex::escape(attr));
            regex::Regex::new(&line).unwrap().is_match(diagnostic)
        }
    };
    messages_match && path_matches
}

/// Runs one case; returns a failure report, or None when it behaved.
fn run_case(wd: &WorkDir, case: &Case) -> Option<String> {
    wd.config(&case.hcl);
    let validate = wd.run(&["validate", "-no-color"]);
    let output = match case.stage {
        Stage::Validate => {
            if validate.code == 0 {
                return Some(format!(
                    "{}: `terraform validate` passed, expected it to fail",
                    case.name
                ));
            }
            validate.combined()
        }
        Stage::Plan => {
            if validate.code != 0 {
                return Some(format!(
                    "{}: expected a plan-time error, but validate failed:\n{}",
                    case.name,
                    validate.combined()
                ));
            }
            let plan = wd.run(&["plan", "-input=false", "-no-color", "-lock=false"]);
            if plan.code == 0 {
                return Some(format!(
                    "{}: `terraform plan` passed, expected it to fail:\n{}",
                    case.name,
                    plan.combined()
                ));
            }
            plan.combined()
        }
    };
    if diagnostics(&output).iter().any(|d| matches(case, d)) {
        None
    } else {
        Some(format!(
            "{}: no error diagnostic matches {:?} at path {:?}:\n{output}",
            case.name, case.expects, case.path
        ))
    }
}

/// Ids of the scenario the catalogue's placeholders name.
fn placeholders(sim: &Sim) -> BTreeMap<&'static str, String> {
    let primary = sim.workspace_id(PRIMARY);
    let secondary = sim.workspace_id(STANDBY);
    let find = |service: &str, collection: &str, key: &str, value: &str, id: &str| -> String {
        sim.objects(service, collection)
            .iter()
            .find(|o| o[key] == value)
            .and_then(|o| o[id].as_str())
            .unwrap_or_else(|| panic!("{service}/{collection} with {key}={value}"))
            .to_string()
    };
    BTreeMap::from([
        ("PRIMARY_MGMT_NET", sim.network_id(PRIMARY, "mgmt_net")),
        ("SECONDARY_MGMT_NET", sim.network_id(STANDBY, "mgmt_net")),
        ("PRIMARY_WS", primary),
        ("SECONDARY_WS", secondary),
        (
            "MGMT_SG",
            find("vpc", "security_groups", "name", "management-sg", "id"),
        ),
        (
            "TG",
            find("tg", "gateways", "name", "slz-transit-gateway", "id"),
        ),
        (
            "AIX_VM",
            find(
                "power",
                "pvm_instances",
                "serverName",
                "aix-app-01",
                "pvmInstanceID",
            ),
        ),
        (
            "SLES_VM",
            find(
                "power",
                "pvm_instances",
                "serverName",
                "sles-util-01",
                "pvmInstanceID",
            ),
        ),
        // A well-formed GUID that no DR deployment has.
        (
            "ORCHESTRATOR_ID",
            "1b6f4a52-9d3e-4c1a-8f0e-000000000bad".to_string(),
        ),
    ])
}

/// What the catalogue covers: provider block, resource and data source types, the function.
fn coverage(cases: &[Case]) -> Vec<String> {
    let re = regex::Regex::new(
        r#"(?m)^(resource|data) "(dr_[a-z_]+)"|provider::dr::([a-z_]+)|^provider "dr""#,
    )
    .unwrap();
    let mut seen: Vec<String> = cases
        .iter()
        .flat_map(|c| {
            re.captures_iter(&c.hcl)
                .map(|m| match (m.get(1), m.get(2), m.get(3)) {
                    (Some(kind), Some(name), _) => format!("{} {}", kind.as_str(), name.as_str()),
                    (_, _, Some(function)) => format!("function {}", function.as_str()),
                    _ => "provider".to_string(),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    seen.sort();
    seen.dedup();
    seen
}

#[test]
fn invalid_configurations_fail_early_with_the_path_and_what_is_allowed() {
    if !terraform_at_least(1, 11) {
        // The catalogue uses write-only arguments; older Terraform rejects them for another reason.
        return;
    }
    let sim = Sim::start(200.0);
    let vars = placeholders(&sim);
    let cases: Vec<Case> = tf_files(&catalogue_dir())
        .iter()
        .map(|f| parse_case(f, &vars))
        .collect();
    assert!(
        cases.len() >= MIN_CASES,
        "only {} cases in the catalogue",
        cases.len()
    );
    let covered = coverage(&cases);
    for wanted in [
        "provider",
        "resource dr_orchestrator",
        "resource dr_ha_standby",
        "resource dr_managed_vm",
        "resource dr_security_group_rule",
        "data dr_workspace_subnets",
        "data dr_events",
        "data dr_managed_vms",
        "data dr_summary",
        "data dr_machine_types",
        "function cidr_overlaps",
    ] {
        assert!(
            covered.iter().any(|c| c == wanted),
            "the catalogue has no case for {wanted}; it covers {covered:?}"
        );
    }

    sim.reset_requests();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                let wd = sim.workdir();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(i) else { break };
                    if let Some(failure) = run_case(&wd, case) {
                        failures.lock().unwrap().push(failure);
                    }
                }
            });
        }
    });
    // Nothing was written anywhere; only reads (and, for plan-time checks, the IAM token).
    let requests = sim.requests();
    let writes: Vec<&Value> = requests["by_route"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] != "GET" && r["route"] != "/iam/identity/token")
        .collect();
    assert!(writes.is_empty(), "bad input reached the cloud: {writes:?}");

    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
