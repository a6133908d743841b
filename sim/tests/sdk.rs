//! Drives an in-process dr-cloudsim with IBM's official Python SDKs
//! (`sim/tests/sdk/drive_sdks.py`): IAM through the SDK core's authenticator, Resource
//! Controller, Global Catalog, Resource Manager, VPC, Transit Gateway and DR Automation,
//! each through create, read, list and delete with every response parsed by the SDK's
//! models. The SDKs live in the project-local venv made by `scripts/setup-python.sh`.
//! IBM has no REST API (and so no SDK) for managed VMs: the script asks this test, on its
//! stdout, to run `ksysmgr` on the orchestrator over SSH, and reads the answer on stdin.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use common::dr::{Dr, root_key};
use common::ssh::{self, Checker, Login};
use dr_cloudsim::SimConfig;
use russh::client::Handle;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sim/ sits in the repository")
        .to_path_buf()
}

#[tokio::test]
async fn official_python_sdks_parse_every_response() {
    let root = repo_root();
    let python = root.join(".venv-py/bin/python");
    if !python.exists() {
        // A missing venv fails the test, so it cannot pass by not running; a developer
        // without the SDKs says so explicitly.
        if std::env::var("DR_ALLOW_MISSING_SDKS").as_deref() == Ok("1") {
            eprintln!(
                "SKIPPED: {} not found (DR_ALLOW_MISSING_SDKS=1)",
                python.display()
            );
            return;
        }
        panic!(
            "{} is missing: run scripts/setup-python.sh (or set DR_ALLOW_MISSING_SDKS=1 to skip)",
            python.display()
        );
    }
    // Fast clocks: provisioning, attach and deployment steps take milliseconds.
    let dr = Dr::start(SimConfig {
        time_scale: 500.0,
        ..SimConfig::default()
    })
    .await;
    dr.register_key("sdk-jump", &root_key(), "slz-dal12-power-workspace")
        .await;
    let script = root.join("sim/tests/sdk/drive_sdks.py");
    let mut child = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(dr.sim.url())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python starts");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stdout = String::new();
    let mut sessions: HashMap<String, (Handle<Checker>, Handle<Checker>)> = HashMap::new();
    let drive = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let Some(request) = line.strip_prefix("ksys: ") else {
                stdout.push_str(&line);
                stdout.push('\n');
                continue;
            };
            let (guid, args) = request.split_once(' ').unwrap();
            if !sessions.contains_key(guid) {
                let hosts = dr.sim_get("ssh").await["hosts"].clone();
                let address = hosts
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|h| h["instance_id"] == guid && h["role"] == "primary")
                    .and_then(|h| h["address"].as_str())
                    .unwrap()
                    .trim_end_matches(":22")
                    .to_owned();
                let jump = dr.jump().await;
                let host = ssh::host(
                    &jump,
                    &address,
                    "root",
                    Login::Password("Sdk-Passw0rd"),
                    None,
                )
                .await
                .unwrap()
                .expect("root logs in with the orchestrator password");
                sessions.insert(guid.to_owned(), (jump, host));
            }
            let run = dr.ksysmgr(&sessions[guid].1, args).await;
            let answer = if run.code == Some(0) {
                "ok".to_owned()
            } else {
                format!("failed {:?}: {}", run.code, run.stderr.trim())
            };
            stdin
                .write_all(format!("{answer}\n").as_bytes())
                .await
                .unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(120), drive)
        .await
        .expect("the SDK drive finishes within two minutes");
    let output = child.wait_with_output().await.expect("python ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "SDK drive failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("sdk drive ok: 4 service groups"),
        "{stdout}"
    );
    let sim = dr.sim;
    sim.shutdown().await;
}
