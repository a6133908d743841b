//! dr-cloudsim's SSH side: the jump host (who may log in, what it forwards), the KSYS hosts
//! behind it (root by password or key, host keys that survive a restart, the exec grammar,
//! concurrent channels) and the SSH fault rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::dr::{Dr, PASSWORD, root_key};
use common::ssh::{self, Login};
use dr_cloudsim::SimConfig;
use serde_json::{Value, json};

async fn set_faults(dr: &Dr, body: Value) {
    let (status, answer) = dr
        .control(reqwest::Method::POST, "faults", Some(body))
        .await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn the_jump_host_takes_account_keys_for_user_jump_only() {
    let dr = Dr::fast().await;
    let addr = dr.sim.ssh_addr;
    let stranger = ssh::test_key(9);
    // No account key matches yet.
    assert!(
        ssh::jump(addr, "jump", Login::Key(&stranger), None)
            .await
            .unwrap()
            .is_none()
    );
    dr.register_key("laptop", &stranger, "slz-dal12-power-workspace")
        .await;
    let info = dr.sim_get("ssh").await;
    let pinned = info["jump_host"]["host_key"].as_str().unwrap().to_owned();
    assert_eq!(info["jump_host"]["user"], "jump");
    assert_eq!(info["jump_host"]["address"], addr.to_string());
    let session = ssh::jump(addr, "jump", Login::Key(&stranger), Some(&pinned))
        .await
        .unwrap();
    assert!(
        session.is_some(),
        "a key registered in any workspace is accepted"
    );
    for (user, login) in [
        ("root", Login::Key(&stranger)),
        ("jump", Login::Password("sim-api-key")),
        ("jump", Login::Key(&ssh::test_key(10))),
    ] {
        assert!(
            ssh::jump(addr, user, login, None).await.unwrap().is_none(),
            "refused: {user}"
        );
    }
    // A client pinning another key refuses the jump host.
    let wrong = ssh::public_openssh(&ssh::test_key(11));
    assert!(
        ssh::jump(addr, "jump", Login::Key(&stranger), Some(&wrong))
            .await
            .is_err()
    );
    dr.sim.shutdown().await;
}

#[tokio::test]
async fn the_jump_host_forwards_only_to_ksys_hosts_on_port_22() {
    let dr = Dr::fast().await;
    let d = dr.deploy("dr-fwd", false).await;
    let jump = dr.jump().await;
    // Another VM's address, another port, a public address: refused.
    let other_vm = dr.pvm("aix-app-01").await["networks"][0]["ipAddress"]
        .as_str()
        .unwrap()
        .to_owned();
    for (host, port) in [
        (other_vm.as_str(), 22),
        (d.primary.as_str(), 2222),
        ("127.0.0.1", 22),
    ] {
        let opened = jump
            .channel_open_direct_tcpip(host, port, "127.0.0.1", 40000)
            .await;
        assert!(opened.is_err(), "{host}:{port} must be refused");
    }
    // No shell, no exec on the jump host itself.
    assert!(jump.channel_open_session().await.is_err());
    let host = ssh::host(&jump, &d.primary, "root", Login::Key(&root_key()), None)
        .await
        .unwrap();
    assert!(host.is_some());
    dr.sim.shutdown().await;
}

#[tokio::test]
async fn root_logs_in_by_password_or_key_and_host_keys_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let config = SimConfig {
        time_scale: 2000.0,
        seed: 42,
        state_file: Some(state.clone()),
        ..SimConfig::default()
    };
    let dr = Dr::start(config.clone()).await;
    let d = dr.deploy("dr-login", true).await;
    let info = dr.sim_get("ssh").await;
    let hosts = info["hosts"].as_array().unwrap().clone();
    assert_eq!(hosts.len(), 2);
    let primary = hosts.iter().find(|h| h["role"] == "primary").unwrap();
    let standby = hosts.iter().find(|h| h["role"] == "standby").unwrap();
    assert_eq!(primary["address"], format!("{}:22", d.primary));
    assert_eq!(primary["instance_id"], d.guid.as_str());
    assert!(
        primary["host_key"]
            .as_str()
            .unwrap()
            .starts_with("ssh-ed25519 AAAA")
    );
    assert_ne!(primary["host_key"], standby["host_key"]);
    assert_ne!(primary["host_key"], info["jump_host"]["host_key"]);
    let pinned = primary["host_key"].as_str().unwrap().to_owned();

    let jump = dr.jump().await;
    for login in [Login::Password(PASSWORD), Login::Key(&root_key())] {
        let host = ssh::host(&jump, &d.primary, "root", login, Some(&pinned))
            .await
            .unwrap()
            .expect("root logs in");
        let run = ssh::exec(&host, "hostname", None).await;
        assert_eq!(run.stdout, "dr-login-orchestrator\n");
        assert_eq!(run.code, Some(0));
    }
    let standby_ip = d.standby.clone().unwrap();
    let host = ssh::host(&jump, &standby_ip, "root", Login::Password(PASSWORD), None)
        .await
        .unwrap()
        .expect("the standby takes the primary's password");
    assert_eq!(
        ssh::exec(&host, "hostname", None).await.stdout,
        "dr-login-standby\n"
    );
    for (user, login) in [
        ("root", Login::Password("wrong-Passw0rd")),
        ("admin", Login::Password(PASSWORD)),
        ("root", Login::Key(&ssh::test_key(5))),
    ] {
        assert!(
            ssh::host(&jump, &d.primary, user, login, None)
                .await
                .unwrap()
                .is_none(),
            "refused: {user}"
        );
    }
    // The password is kept only as a salted hash, never shown.
    let state_text = std::fs::read_to_string(&state).unwrap();
    assert!(!state_text.contains(PASSWORD));
    let public = serde_json::to_string(&dr.sim_get("state").await).unwrap();
    assert!(!public.contains("password_hash") && !public.contains(PASSWORD));
    let object = dr
        .sim_get(&format!("objects/dra/deployments/{}", d.guid))
        .await;
    assert!(
        object["_primary_vm_id"].is_string(),
        "internal keys are shown"
    );
    assert!(object.get("_password_hash").is_none(), "but not the hash");
    dr.sim.shutdown().await;

    let again = Dr::start(config).await;
    assert_eq!(again.sim_get("ssh").await["hosts"], info["hosts"]);
    assert_eq!(
        again.sim_get("ssh").await["jump_host"]["host_key"],
        info["jump_host"]["host_key"]
    );
    let jump = again.jump().await;
    let host = ssh::host(
        &jump,
        &d.primary,
        "root",
        Login::Password(PASSWORD),
        Some(&pinned),
    )
    .await
    .unwrap();
    assert!(host.is_some(), "same key and password after the restart");
    again.sim.shutdown().await;
}

#[tokio::test]
async fn the_exec_grammar_and_concurrent_channels() {
    let dr = Dr::fast().await;
    let d = dr.deploy("dr-exec", false).await;
    let (_jump, host) = dr.root(&d.primary).await;

    let run = ssh::exec(&host, "oslevel -s", None).await;
    assert_eq!(
        (run.stdout.as_str(), run.code),
        ("7300-02-01-2346\n", Some(0))
    );
    let run = ssh::exec(&host, "date -u +%Y-%m-%dT%H:%M:%SZ", None).await;
    assert_eq!(
        run.stdout.len(),
        "2026-01-01T00:00:00Z\n".len(),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with("Z\n"));
    let run = ssh::exec(&host, "date", None).await;
    assert!(run.stdout.contains(" UTC "), "{}", run.stdout);
    let run = ssh::exec(&host, "uname -a", None).await;
    assert_eq!(run.stderr, "ksh: uname: not found\n");
    assert_eq!(run.code, Some(127));
    let run = ssh::exec(&host, "ksysmgr query version", None).await;
    assert_eq!(
        run.stdout,
        "Ksysmgr version: 1.9.0.2\nKsys version: 1.9.0.2\n"
    );

    // Empty crontab, a round trip, and a refused line that changes nothing.
    let run = ssh::exec(&host, "crontab -l", None).await;
    assert_eq!((run.stdout.as_str(), run.code), ("", Some(0)));
    let tab = "# keep me\n30 1 * * * /usr/bin/backup.sh >/dev/null 2>&1\n";
    let run = ssh::exec(&host, "crontab -", Some(tab)).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(ssh::exec(&host, "crontab -l", None).await.stdout, tab);
    let run = ssh::exec(&host, "crontab -", Some("61 * * * * x\n")).await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .ends_with("crontab: error on previous line; unexpected character found in line.\n")
    );
    assert_eq!(ssh::exec(&host, "crontab -l", None).await.stdout, tab);

    // Many channels at once on one connection.
    let runs = futures_join(&host, 16).await;
    assert!(
        runs.iter()
            .all(|r| r.code == Some(0) && r.stdout == "dr-exec-orchestrator\n")
    );
    dr.sim.shutdown().await;
}

async fn futures_join(host: &russh::client::Handle<ssh::Checker>, n: usize) -> Vec<ssh::Run> {
    futures::future::join_all((0..n).map(|_| ssh::exec(host, "hostname", None))).await
}

#[tokio::test]
async fn ssh_faults_refuse_drop_and_slow_down() {
    let dr = Dr::fast().await;
    let d = dr.deploy("dr-faults", false).await;
    let addr = dr.sim.ssh_addr;

    // The jump host refuses one connection, then takes the next.
    set_faults(
        &dr,
        json!({"ssh_rules": [{"kind": "refuse", "target": "jump", "count": 1}]}),
    )
    .await;
    assert!(
        ssh::jump(addr, "jump", Login::Key(&root_key()), None)
            .await
            .is_err()
    );
    let jump = dr.jump().await;
    // The host refuses once: the forward fails, the retry works.
    set_faults(
        &dr,
        json!({"ssh_rules": [{"kind": "refuse", "host": d.primary, "count": 1}]}),
    )
    .await;
    assert!(
        ssh::host(&jump, &d.primary, "root", Login::Key(&root_key()), None)
            .await
            .is_err()
    );
    let host = ssh::host(&jump, &d.primary, "root", Login::Key(&root_key()), None)
        .await
        .unwrap()
        .unwrap();

    // Dropped after the command took effect, before its exit status: the crontab is written.
    set_faults(
        &dr,
        json!({"ssh_rules": [{"kind": "drop", "command_prefix": "crontab -", "count": 1}]}),
    )
    .await;
    let run = ssh::exec(&host, "crontab -", Some("0 3 * * * /bin/true\n")).await;
    assert_eq!(run.code, None, "no exit status");
    let host = ssh::host(&jump, &d.primary, "root", Login::Key(&root_key()), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ssh::exec(&host, "crontab -l", None).await.stdout,
        "0 3 * * * /bin/true\n"
    );
    let faults = dr.sim_get("faults").await;
    assert_eq!(faults["ssh_rules"][0]["count"], 0, "the rule is used up");

    // Dropped after one line of output.
    set_faults(
        &dr,
        json!({"ssh_rules": [{"kind": "drop", "command_prefix": "/opt/IBM/ksys/ksysmgr query version", "after_lines": 1}]}),
    )
    .await;
    let run = dr.ksysmgr(&host, "query version").await;
    assert_eq!(
        (run.stdout.as_str(), run.code),
        ("Ksysmgr version: 1.9.0.2\n", None)
    );

    // Slow output: every line still arrives, and the rule fires once per command.
    let (_jump, host) = dr.root(&d.primary).await;
    set_faults(
        &dr,
        json!({"ssh_rules": [{"kind": "slow", "latency_ms": 20, "count": 2}]}),
    )
    .await;
    let run = dr.ksysmgr(&host, "query version").await;
    assert_eq!(run.code, Some(0));
    assert_eq!(run.lines.len(), 2);
    assert_eq!(dr.sim_get("faults").await["ssh_rules"][0]["count"], 1);

    // Rules are checked.
    let resp = common::plain_post(
        format!("{}/_sim/faults", dr.sim.url()),
        json!({"ssh_rules": [{"kind": "drop", "target": "jump"}]}),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 400);
    dr.sim.shutdown().await;
}
