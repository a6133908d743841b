//! OpenSSH interoperability: the system `ssh` client, through the emulator's jump host
//! (`ProxyJump`), runs `ksysmgr query vm` on an emulated orchestrator with a temporary key and
//! a known_hosts file built from `GET /_sim/ssh`, as users' own scripts would, and refuses a
//! host whose key does not match.
//!
//! `ssh` is needed: `scripts/install-openssh-client.sh` installs Debian's openssh-client.
//! Without it the test fails, unless `DR_ALLOW_MISSING_SSH=1` says to skip it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::dr::{Dr, root_key};
use russh::keys::ssh_key::LineEnding;

fn find_ssh() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("ssh"))
        .find(|p| p.is_file())
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// An ssh_config with the jump host and the orchestrator behind it, nothing from `~`.
fn ssh_config(dir: &Path, jump_port: u16, known_hosts: &Path, key: &Path) -> PathBuf {
    let common = format!(
        "  IdentityFile {}\n  IdentitiesOnly yes\n  UserKnownHostsFile {}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n  ConnectTimeout 20\n  LogLevel ERROR\n",
        key.display(),
        known_hosts.display()
    );
    let text = format!(
        "Host sim-jump\n  HostName 127.0.0.1\n  Port {jump_port}\n  User jump\n{common}\nHost 10.*\n  User root\n  ProxyJump sim-jump\n{common}"
    );
    let path = dir.join("ssh_config");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn openssh_runs_ksysmgr_through_the_jump_host() {
    let Some(ssh) = find_ssh() else {
        if std::env::var("DR_ALLOW_MISSING_SSH").as_deref() == Ok("1") {
            eprintln!("SKIPPED: no ssh client (DR_ALLOW_MISSING_SSH=1)");
            return;
        }
        panic!(
            "the OpenSSH client is missing: run scripts/install-openssh-client.sh (or set DR_ALLOW_MISSING_SSH=1 to skip)"
        );
    };
    let dr = Dr::fast().await;
    let d = dr.deploy("dr-openssh", false).await;
    let (_jump, host) = dr.root(&d.primary).await;
    dr.with_sites(&host, &["-f manage vm aix-app-01"]).await;
    let expected = dr.ksysmgr(&host, "query vm").await;

    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    write_private(&key, &root_key().to_openssh(LineEnding::LF).unwrap());
    let info = dr.sim_get("ssh").await;
    let port = dr.sim.ssh_addr.port();
    let host_entry = info["hosts"][0].clone();
    let known_hosts = dir.path().join("known_hosts");
    let jump_key = info["jump_host"]["host_key"].as_str().unwrap();
    let write_known_hosts = |primary_key: &str| {
        let entries = format!(
            "[127.0.0.1]:{port} {jump_key}\n{} {primary_key}\n",
            d.primary
        );
        std::fs::write(&known_hosts, entries).unwrap();
    };
    write_known_hosts(host_entry["host_key"].as_str().unwrap());
    let config = ssh_config(dir.path(), port, &known_hosts, &key);
    let run = |command: &'static str| {
        let ssh = ssh.clone();
        let config = config.clone();
        let target = format!("root@{}", d.primary);
        async move {
            tokio::process::Command::new(ssh)
                .arg("-F")
                .arg(config)
                .arg(target)
                .arg(command)
                .stdin(std::process::Stdio::null())
                .output()
                .await
                .unwrap()
        }
    };

    let out = run("/opt/IBM/ksys/ksysmgr query vm").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ssh failed: {stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected.stdout);
    assert!(expected.stdout.contains("Name:                aix-app-01"));

    let out = run("/opt/IBM/ksys/ksysmgr query vm nope").await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "ksysmgr's exit code reaches ssh"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "ERROR: VM nope not found.\n"
    );

    // A changed host key is refused before anything runs.
    write_known_hosts(&common::ssh::public_openssh(&common::ssh::test_key(77)));
    let out = run("/opt/IBM/ksys/ksysmgr query vm").await;
    assert_eq!(out.status.code(), Some(255));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
            || stderr.contains("Host key verification failed"),
        "{stderr}"
    );
    dr.sim.shutdown().await;
}
