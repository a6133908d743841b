//! `TF_LOG_PROVIDER` makes the provider's API calls visible in Terraform's own log.
//!
//! With `TF_LOG_PROVIDER=DEBUG` and `TF_LOG_PATH`, a user (or IBM support) reading the log of a
//! failed run must see every call the provider made, as method and path, attributed to the
//! provider; and the log is often pasted into tickets, so the API key and the IAM bearer and
//! refresh tokens must never appear in it. TRACE adds headers and bodies, where a leak is most
//! likely, so it is checked the same way.
//!
//! Needs `cargo build --workspace --bins` first. Runs on every supported Terraform version.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use acctests::WorkDir;
use acctests::fixtures::{PROVIDER_HEADER, security_group_rule, single_port};
use acctests::sim::{API_KEY, Sim};
use regex::Regex;

/// The provider header and an SSH rule into the security group `sg`.
fn rule_config(sg: &str) -> String {
    let rule = single_port(security_group_rule("ssh", sg, "10.51.0.0/24"), "tcp", 22);
    format!("{PROVIDER_HEADER}{rule}")
}

/// A working directory against `sim` whose runs log the provider at `level` into `log`.
fn logging_workdir(sim: &Sim, level: &str, log: &Path) -> WorkDir {
    sim.workdir()
        .env("TF_LOG_PROVIDER", level)
        .env("TF_LOG_PATH", log.to_str().unwrap())
}

fn read_log(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_else(|e| panic!("{}: {e}", log.display()))
}

/// Takes the log of the last command away, so the next command writes a fresh one.
fn take_log(log: &Path) -> String {
    let text = read_log(log);
    std::fs::remove_file(log).unwrap();
    text
}

/// (method, path without query) of every API call the provider logged.
fn logged_calls(log: &str) -> Vec<(String, String)> {
    let method = Regex::new(r" method=(\S+)").unwrap();
    let url = Regex::new(r#" url="?([^"\s?]+)"#).unwrap();
    log.lines()
        .filter(|l| l.contains("[DEBUG] provider.terraform-provider-dr: IBM Cloud request:"))
        .map(|l| {
            let m = method
                .captures(l)
                .unwrap_or_else(|| panic!("no method in {l}"));
            let u = url.captures(l).unwrap_or_else(|| panic!("no url in {l}"));
            (m[1].to_string(), u[1].to_string())
        })
        .collect()
}

fn assert_called(calls: &[(String, String)], method: &str, path: &str) {
    assert!(
        calls.iter().any(|(m, p)| m == method && p == path),
        "the log does not show {method} {path}; it shows:\n{calls:#?}"
    );
}

/// Neither the API key nor any IAM token (JWT access token or refresh token, both base64url
/// JSON, so both begin `eyJ`) is in the log, and every bearer credential is redacted.
fn assert_no_secrets(log: &str) {
    assert!(!log.is_empty(), "the log is empty");
    assert!(
        !log.contains(API_KEY),
        "the API key is in the log:\n{}",
        lines_with(log, API_KEY)
    );
    let token = Regex::new(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}").unwrap();
    if let Some(found) = token.find(log) {
        panic!(
            "an IAM token is in the log:\n{}",
            lines_with(log, found.as_str())
        );
    }
    let bearer = Regex::new(r"(?i)bearer\s+(\S*)").unwrap();
    for credential in bearer.captures_iter(log) {
        assert!(
            credential[1].starts_with("[REDACTED]"),
            "a bearer credential is in the log: {}",
            &credential[0]
        );
    }
}

fn lines_with(log: &str, needle: &str) -> String {
    log.lines()
        .filter(|l| l.contains(needle))
        .collect::<Vec<_>>()
        .join("\n")
}

fn total_requests(sim: &Sim) -> u64 {
    sim.count_requests(|_, _| true)
}

#[test]
fn debug_log_shows_every_api_call_and_no_secret() {
    let sim = Sim::start(200.0);
    let sg = sim.security_group_id_like("network-services");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("terraform.log");
    let wd = logging_workdir(&sim, "DEBUG", &log);
    wd.config(&rule_config(&sg));

    sim.reset_requests();
    wd.apply();
    let text = take_log(&log);
    assert_no_secrets(&text);
    let calls = logged_calls(&text);
    assert_called(&calls, "POST", "/iam/identity/token");
    assert_called(&calls, "GET", &format!("/vpc/v1/security_groups/{sg}"));
    assert_called(
        &calls,
        "POST",
        &format!("/vpc/v1/security_groups/{sg}/rules"),
    );
    // Every request the cloud saw is in the log (the provider logs each attempt).
    assert_eq!(
        calls.len() as u64,
        total_requests(&sim),
        "logged calls vs requests the emulator received:\n{calls:#?}"
    );
    // The log is at the level asked for: nothing finer than DEBUG from the provider.
    assert!(
        !text.contains("[TRACE] provider.terraform-provider-dr"),
        "{}",
        lines_with(&text, "[TRACE]")
    );

    let rule = wd.string_attribute("dr_security_group_rule.ssh", "id");
    let rule_id = rule.rsplit('/').next().unwrap();
    sim.reset_requests();
    wd.destroy();
    let text = take_log(&log);
    assert_no_secrets(&text);
    let calls = logged_calls(&text);
    assert_called(
        &calls,
        "DELETE",
        &format!("/vpc/v1/security_groups/{sg}/rules/{rule_id}"),
    );
    assert_eq!(calls.len() as u64, total_requests(&sim), "{calls:#?}");
}

#[test]
fn trace_log_redacts_headers_bodies_and_provider_configuration() {
    let sim = Sim::start(200.0);
    let sg = sim.security_group_id_like("network-services");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("terraform.log");
    let wd = logging_workdir(&sim, "TRACE", &log);
    // The key in the configuration too: it travels through ConfigureProvider, which the
    // framework traces.
    wd.config(&format!(
        "{}\nprovider \"dr\" {{\n  ibmcloud_api_key = \"{API_KEY}\"\n}}\n",
        rule_config(&sg)
    ));
    wd.apply();
    wd.destroy();
    let text = read_log(&log);
    assert_no_secrets(&text);
    // The details are there, with the secrets replaced.
    for redacted in [
        "authorization: Bearer [REDACTED]",
        "apikey=[REDACTED]",
        r#"\"access_token\":\"[REDACTED]\""#,
    ] {
        assert!(
            text.contains(redacted),
            "no {redacted} in the TRACE log:\n{}",
            lines_with(&text, "IBM Cloud request detail")
        );
    }
    assert!(
        text.contains(r#"\"port_min\":22"#),
        "request bodies are traced"
    );
}
