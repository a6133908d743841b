//! Acceptance tests of tf-framework through the test provider `drtest` and real Terraform:
//! every value type and schema feature of `drtest_thing` survives apply, refresh, import,
//! update, replacement and destroy; drift and out-of-band deletion are planned correctly;
//! write-only values never reach state; validation errors point at the attribute.
//!
//! Resource identity and provider-shaped generated configuration are checked on every version:
//! Terraform 1.12+ stores the identity, older Terraform ignores it; Terraform 1.14+ asks the
//! provider for the configuration `-generate-config-out` writes, older Terraform guesses it.
//! `framework_bulk.rs` covers what only new Terraform has (query, import by identity,
//! ephemeral resources).
//!
//! Needs `cargo build --workspace --bins` first. `TF_ACC_TERRAFORM_VERSION` picks Terraform
//! (1.15.5 by default; 1.6.6 skips the write-only and function parts, which it predates).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use acctests::fixtures::Block;
use acctests::{
    WorkDir, drtest_header, drtest_workdir, read_drtest_store, terraform_at_least,
    write_drtest_store,
};
use serde_json::Value;

const ADDRESS: &str = "drtest_thing.a";

fn header(store: &Path) -> String {
    drtest_header(store)
}

/// The full-featured thing; `size` and `zone` vary between steps.
fn thing(name: &str, size: u32, zone: &str) -> String {
    let write_only = if terraform_at_least(1, 11) {
        "  password_wo = \"hunter2-secret\"\n"
    } else {
        ""
    };
    format!(
        r#"
resource "drtest_thing" "a" {{
  name     = "{name}"
  zone     = "{zone}"
  size     = {size}
  big      = 123456789012345678901234567890.5
  tier     = "tier3"
  tags     = ["b", "a"]
  labels   = ["x", "y"]
  meta     = {{ env = "test" }}
  endpoint = {{ host = "h.example", port = 443 }}
  anything = ["s", 1, true]
{write_only}  disk     = {{ size_gb = 10 }}
  networks = [{{ name = "mgmt", cidr = "10.0.0.0/24" }}, {{ name = "backup" }}]
  ports    = [{{ port = 80 }}, {{ port = 443, protocol = "tcp" }}]
  volumes  = {{ data = {{ size = 5 }} }}

  rule {{
    cidr = "10.1.0.0/16"
  }}
  rule {{
    cidr   = "10.2.0.0/16"
    action = "allow"
  }}

  settings {{
    mode = "fast"
  }}

  timeouts {{
    create = "5m"
  }}
}}
"#
    )
}

/// `drtest_thing.a` named `name`, everything else left to the defaults.
fn named_thing(name: &str) -> Block {
    Block::resource("drtest_thing", "a").string("name", name)
}

#[test]
fn framework_thing_lifecycle() {
    let (wd, store) = drtest_workdir();
    wd.config(&(header(&store) + &thing("alpha", 3, "dal10")));
    wd.apply();
    wd.assert_plan_empty();

    let v = wd.resource_values(ADDRESS).expect("in state");
    assert_eq!(v["id"], "thing-1");
    assert_eq!(v["revision"], 1);
    assert_eq!(v["zone"], "dal10");
    assert_eq!(v["enabled"], true, "default applied");
    assert_eq!(v["disk"]["kind"], "ssd", "nested default applied");
    assert_eq!(
        v["disk"]["uuid"], "disk-thing-1-10",
        "nested computed filled"
    );
    assert_eq!(v["rule"][0]["action"], "allow", "block default applied");
    assert_eq!(v["tags"], serde_json::json!(["b", "a"]), "list order kept");
    assert_eq!(
        v["anything"],
        serde_json::json!(["s", 1, true]),
        "tuple via dynamic"
    );
    assert_eq!(v["volumes"]["data"]["size"], 5);
    assert_eq!(v["settings"]["mode"], "fast");
    assert_eq!(v["password_wo"], Value::Null, "write-only is null in state");
    // Big numbers keep every digit through Terraform and back.
    assert!(
        wd.raw_state().contains("123456789012345678901234567890.5"),
        "{}",
        wd.raw_state()
    );

    let s = read_drtest_store(&store);
    assert_eq!(s["things"]["thing-1"]["name"], "alpha");
    if terraform_at_least(1, 11) {
        assert_eq!(
            s["secrets"]["thing-1"], "hunter2-secret",
            "the provider received the write-only value"
        );
        assert!(
            !wd.raw_state().contains("hunter2-secret"),
            "write-only value leaked into state"
        );
    }

    wd.import_verify(ADDRESS, "thing-1", &["timeouts", "password_wo"]);

    // In-place update: revision moves, id stays.
    wd.config(&(header(&store) + &thing("alpha", 4, "dal10")));
    wd.assert_plan_mentions(&["update in-place", "revision", "(known after apply)"]);
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(ADDRESS).expect("in state");
    assert_eq!(
        (v["id"].as_str(), v["revision"].as_i64(), v["size"].as_i64()),
        (Some("thing-1"), Some(2), Some(4))
    );

    // Replacement: zone requires replace.
    wd.config(&(header(&store) + &thing("alpha", 4, "dal12")));
    wd.assert_plan_mentions(&["forces replacement"]);
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(ADDRESS).expect("in state");
    assert_eq!(v["id"], "thing-2");
    let s = read_drtest_store(&store);
    assert!(
        s["things"].get("thing-1").is_none(),
        "the replaced object is gone"
    );

    wd.destroy();
    let s = read_drtest_store(&store);
    assert_eq!(
        s["things"],
        serde_json::json!({}),
        "destroy removed every object"
    );
    assert!(wd.resource_values(ADDRESS).is_none());
}

#[test]
fn framework_thing_drift_and_disappearance() {
    let (wd, store) = drtest_workdir();
    wd.config(&(header(&store) + &thing("beta", 1, "dal10")));
    wd.apply();

    // Drift: the name changes behind Terraform's back; the plan puts it back in place.
    let mut s = read_drtest_store(&store);
    s["things"]["thing-1"]["name"] = Value::String("changed-outside".into());
    write_drtest_store(&store, &s);
    wd.assert_plan_mentions(&["\"changed-outside\" -> \"beta\"", "update in-place"]);
    wd.apply();
    wd.assert_plan_empty();

    // Out-of-band deletion: refresh drops it, the plan re-creates it.
    let mut s = read_drtest_store(&store);
    s["things"] = serde_json::json!({});
    write_drtest_store(&store, &s);
    wd.assert_plan_mentions(&["will be created"]);
    wd.apply();
    wd.assert_plan_empty();
    assert_eq!(
        wd.resource_values(ADDRESS).expect("re-created")["id"],
        "thing-2"
    );
    wd.destroy();
}

#[test]
fn framework_thing_validation_errors_carry_paths() {
    let (wd, store) = drtest_workdir();
    // The diagnostic points at the attribute's line in the configuration: Terraform quotes it.
    let refused_at = |thing: &str, message: &str, line: &str| {
        wd.config(&(header(&store) + thing));
        let out = wd.expect_error(&["validate", "-no-color"], message);
        assert!(out.combined().contains(line), "{}", out.combined());
    };
    refused_at(
        r#"
resource "drtest_thing" "a" {
  name = "gamma"
  tier = "tier2"
}
"#,
        r#"Attribute tier value must be one of: \["tier1", "tier3"\], got: "tier2""#,
        r#"tier = "tier2""#,
    );
    refused_at(
        r#"
resource "drtest_thing" "a" {
  name = "gamma"
  rule {
    cidr = "10.0.0.0/8"
  }
  rule {
    cidr   = "10.9.0.0/16"
    action = "deny"
  }
}
"#,
        "Deny rules need a deny name",
        r#"action = "deny""#,
    );

    wd.config(&(header(&store) + &named_thing("Not_Valid").hcl()));
    wd.expect_error(
        &["validate", "-no-color"],
        "lowercase letters, digits and dashes",
    );
    assert!(!store.exists(), "validation never touches the store");
}

#[test]
fn framework_thing_write_only_needs_a_capable_terraform() {
    let (wd, store) = drtest_workdir();
    wd.config(&(header(&store) + &named_thing("delta").string("password_wo", "s3cret").hcl()));
    if terraform_at_least(1, 11) {
        wd.apply();
        assert!(!wd.raw_state().contains("s3cret"));
        wd.assert_plan_empty();
        wd.destroy();
    } else {
        // Older Terraform would store the value; the framework refuses it up front.
        wd.expect_error(
            &["validate", "-no-color"],
            "Write-only attribute not supported",
        );
    }
}

#[test]
fn framework_thing_upgrades_state_from_version_0() {
    let (wd, store) = drtest_workdir();
    wd.config(&(header(&store) + &named_thing("legacy").hcl()));
    // The object as the cloud has it, and a state written by schema version 0 (`title`).
    write_drtest_store(
        &store,
        &serde_json::json!({
            "things": {"thing-9": {"id": "thing-9", "name": "legacy", "zone": "dal10", "enabled": true, "revision": 1}},
            "secrets": {},
            "next_id": 9
        }),
    );
    let state = serde_json::json!({
        "version": 4,
        "terraform_version": "1.6.6",
        "serial": 1,
        "lineage": "6a4d7f52-3c1e-4b8e-9a55-000000000009",
        "outputs": {},
        "resources": [{
            "mode": "managed",
            "type": "drtest_thing",
            "name": "a",
            "provider": "provider[\"registry.terraform.io/powervs/drtest\"]",
            "instances": [{
                "schema_version": 0,
                "attributes": {"id": "thing-9", "title": "legacy", "zone": "dal10", "enabled": true, "revision": 1, "rule": []},
                "sensitive_attributes": [
                    [{"type": "get_attr", "value": "api_key"}],
                    [{"type": "get_attr", "value": "password_wo"}]
                ]
            }]
        }],
        "check_results": null
    });
    wd.write(
        "terraform.tfstate",
        &serde_json::to_string_pretty(&state).expect("json"),
    );
    // Older Terraform records sensitivity marks differently, which may show as a no-op
    // update; what matters is that the upgraded state matches the configuration.
    wd.apply();
    wd.assert_plan_empty();
    let raw: Value = serde_json::from_str(&wd.raw_state()).expect("state JSON");
    let instance = &raw["resources"][0]["instances"][0];
    assert_eq!(instance["schema_version"], 1);
    assert_eq!(instance["attributes"]["name"], "legacy");
    assert_eq!(
        instance["attributes"]["revision"], 1,
        "no real change was made"
    );
    assert!(instance["attributes"].get("title").is_none());
}

#[test]
fn framework_data_source_and_function() {
    let (wd, store) = drtest_workdir();
    let function_output = if terraform_at_least(1, 8) {
        "output \"echo\" {\n  value = provider::drtest::echo(\"ab\", 3)\n}\n"
    } else {
        ""
    };
    wd.config(
        &(header(&store)
            + &named_thing("epsilon").hcl()
            + r#"
data "drtest_thing_info" "a" {
  id = drtest_thing.a.id
}

output "info_name" {
  value = data.drtest_thing_info.a.name
}
"# + function_output),
    );
    wd.apply();
    let state = wd.state_json();
    assert_eq!(state["values"]["outputs"]["info_name"]["value"], "epsilon");
    if terraform_at_least(1, 8) {
        assert_eq!(state["values"]["outputs"]["echo"]["value"], "ababab");
        wd.write(
            "bad.tf",
            "output \"bad\" {\n  value = provider::drtest::echo(\"ab\", -1)\n}\n",
        );
        wd.plan_expect_error("times must be 0 or more, got -1");
        std::fs::remove_file(wd.path().join("bad.tf")).expect("remove bad.tf");
    }
    wd.destroy();
}

#[test]
fn framework_thing_identity_and_generated_config_on_every_version() {
    let (wd, store) = drtest_workdir();
    wd.config(
        &(header(&store)
            + &named_thing("zeta")
                .arg("size", "2")
                .raw("\n  rule {\n    cidr = \"10.0.0.0/8\"\n  }\n")
                .hcl()),
    );
    wd.apply();
    let identity = wd.resource_identity(ADDRESS);
    if terraform_at_least(1, 12) {
        assert_eq!(
            identity,
            Some(serde_json::json!({"id": "thing-1", "zone": "dal10"})),
            "terraform show -json carries the identity"
        );
    } else {
        assert_eq!(identity, None, "older Terraform stores no identity");
        assert!(
            !wd.raw_state().contains("\"identity\""),
            "{}",
            wd.raw_state()
        );
    }

    // Another working directory adopts the object by id and writes its configuration.
    let other = WorkDir::new();
    other.config(
        &(header(&store) + "\nimport {\n  to = drtest_thing.copy\n  id = \"thing-1\"\n}\n"),
    );
    other.run_ok(&[
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ]);
    let hcl = std::fs::read_to_string(other.path().join("generated.tf")).expect("generated.tf");
    for written in ["name", "size", "cidr"] {
        assert!(hcl.contains(written), "{written} missing:\n{hcl}");
    }
    for never in ["revision", "uuid"] {
        assert!(!hcl.contains(never), "computed {never} written:\n{hcl}");
    }
    let defaults = ["enabled", "zone", "action"];
    if terraform_at_least(1, 14) {
        // The provider shapes the configuration: values equal to their defaults stay out.
        for default in defaults {
            assert!(!hcl.contains(default), "default {default} written:\n{hcl}");
        }
    } else {
        // Terraform guesses from the state and spells the defaults out.
        for default in defaults {
            assert!(hcl.contains(default), "{default} missing:\n{hcl}");
        }
    }
    other.assert_plan_imports_only(1);
    if terraform_at_least(1, 12) {
        other.apply();
        assert_eq!(
            other.resource_identity("drtest_thing.copy"),
            Some(serde_json::json!({"id": "thing-1", "zone": "dal10"})),
            "importing by id stores the identity too"
        );
    }
}
