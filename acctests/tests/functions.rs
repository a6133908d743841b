//! Acceptance tests of `provider::dr::cidr_overlaps` with real Terraform: through an output
//! and `terraform console`, with no credentials at all (functions run unconfigured), and the
//! error naming the bad element.
//!
//! Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acctests::{WorkDir, terraform_lacks};
use serde_json::json;

const CONFIG: &str = r#"terraform {
  required_providers {
    dr = { source = "powervs/dr" }
  }
}

locals {
  powervs = ["10.51.0.0/24", "10.52.0.0/24"]
  vpc     = ["10.30.10.0/24", "10.51.0.128/25", "fd00:51::/64"]
  other   = ["10.0.0.0/8", "fd00::/8"]
}

output "overlaps" {
  value = provider::dr::cidr_overlaps(concat(local.powervs, local.vpc, local.other))
}

output "disjoint" {
  value = provider::dr::cidr_overlaps(local.powervs)
}
"#;

#[test]
fn cidr_overlaps_through_outputs_and_console_without_credentials() {
    if terraform_lacks(1, 8, "provider functions") {
        return;
    }
    // No IC_API_KEY and no endpoints: the function must not need the provider configured.
    let wd = WorkDir::new();
    wd.config(CONFIG);
    wd.apply();
    let state = wd.state_json();
    assert_eq!(
        state.pointer("/values/outputs/overlaps/value"),
        Some(&json!([
            {"a": "10.51.0.0/24", "b": "10.51.0.128/25"},
            {"a": "10.51.0.0/24", "b": "10.0.0.0/8"},
            {"a": "10.52.0.0/24", "b": "10.0.0.0/8"},
            {"a": "10.30.10.0/24", "b": "10.0.0.0/8"},
            {"a": "10.51.0.128/25", "b": "10.0.0.0/8"},
            {"a": "fd00:51::/64", "b": "fd00::/8"},
        ]))
    );
    assert_eq!(
        state.pointer("/values/outputs/disjoint/value"),
        Some(&json!([]))
    );

    if acctests::is_opentofu() {
        // OpenTofu's console evaluates after its eval walk has closed the providers, so any
        // provider-defined function there fails with "grpc: the client connection is closing"
        // (OpenTofu 1.12.6, internal/tofu/context_eval.go), whatever the provider.
        acctests::skip(
            "provider functions in `tofu console`",
            "OpenTofu closes the provider before the console evaluates the call",
        );
        return;
    }
    let console = std::process::Command::new(acctests::terraform_path())
        .args(["console", "-no-color"])
        .current_dir(wd.path())
        .env("TF_CLI_CONFIG_FILE", wd.path().join(".terraformrc"))
        .env("CHECKPOINT_DISABLE", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(
                b"jsonencode(provider::dr::cidr_overlaps([\"192.168.0.0/16\", \"192.168.10.0/24\"]))\n",
            )?;
            child.wait_with_output()
        })
        .expect("run terraform console");
    let text = String::from_utf8_lossy(&console.stdout);
    assert!(
        text.contains(r#"[{\"a\":\"192.168.0.0/16\",\"b\":\"192.168.10.0/24\"}]"#),
        "console printed: {text}\n{}",
        String::from_utf8_lossy(&console.stderr)
    );
}

#[test]
fn cidr_overlaps_names_the_bad_element() {
    if terraform_lacks(1, 8, "provider functions") {
        return;
    }
    let wd = WorkDir::new();
    wd.config(
        r#"terraform {
  required_providers {
    dr = { source = "powervs/dr" }
  }
}

output "bad" {
  value = provider::dr::cidr_overlaps(["10.51.0.0/24", "10.52.0.9/24"])
}
"#,
    );
    wd.plan_expect_error(r#"element \[1\]: "10.52.0.9/24" has host bits set.*"10.52.0.0/24""#);
}
