//! Drives an in-process dr-cloudsim with IBM's official Python SDKs
//! (`sim/tests/sdk/drive_sdks.py`): IAM through the SDK core's authenticator, Resource
//! Controller, Global Catalog, Resource Manager, VPC, Transit Gateway and DR Automation,
//! each through create, read, list and delete with every response parsed by the SDK's
//! models. The SDKs live in the project-local venv made by `scripts/setup-python.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use dr_cloudsim::SimConfig;

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
        // Outside CI a developer may not have run the setup; in CI a missing venv is a failure.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {} is missing: run scripts/setup-python.sh",
            python.display()
        );
        eprintln!(
            "SKIPPED: {} not found; run scripts/setup-python.sh to drive the emulator with IBM's SDKs",
            python.display()
        );
        return;
    }
    // Fast clocks: provisioning, attach and deployment steps take milliseconds.
    let sim = common::start_with(SimConfig {
        time_scale: 500.0,
        ..SimConfig::default()
    })
    .await;
    let script = root.join("sim/tests/sdk/drive_sdks.py");
    let child = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(sim.url())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), child)
        .await
        .expect("the SDK drive finishes within two minutes")
        .expect("python starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
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
    sim.shutdown().await;
}
