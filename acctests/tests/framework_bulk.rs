//! Acceptance tests of what tf-framework offers for adopting objects in bulk, through the test
//! provider `drtest` and real Terraform:
//! - resource identity (Terraform 1.12+): `import` blocks by `identity = { ... }`, the identity
//!   in `terraform show -json`, and an identity change refused on refresh;
//! - list resources (Terraform 1.14+): `terraform query` from a `.tfquery.hcl` with `limit`,
//!   `include_resource` and filters, then `-generate-config-out` and a plan that only imports;
//! - ephemeral resources (Terraform 1.10+) feeding a write-only argument (1.11+), opened,
//!   renewed and closed by Terraform.
//!
//! Older Terraform has none of these: each test says so and stops. `framework_thing.rs` checks
//! that the same provider still works there. Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acctests::{
    WorkDir, drtest_header, drtest_workdir, query_results, read_drtest_store, terraform_lacks,
    write_drtest_store,
};
use serde_json::{Value, json};

const BETA: &str = r#"
resource "drtest_thing" "beta" {
  name = "beta"
  zone = "dal12"
  meta = { env = "test" }
  disk = { size_gb = 5 }

  rule {
    cidr = "10.0.0.0/8"
  }
}
"#;

#[test]
fn framework_identity_import_block_and_refused_change() {
    if terraform_lacks(1, 12, "resource identity") {
        return;
    }
    let (owner, store) = drtest_workdir();
    owner.config(&(drtest_header(&store) + BETA));
    owner.apply();
    assert_eq!(
        owner.resource_identity("drtest_thing.beta"),
        Some(json!({"id": "thing-1", "zone": "dal12"}))
    );
    let shown = owner.resource_json("drtest_thing.beta").expect("in state");
    assert_eq!(shown["identity_schema_version"], 0);

    // Another directory adopts it by identity, naming only the attribute import requires.
    let adopter = WorkDir::new();
    adopter.config(
        &(drtest_header(&store)
            + BETA
            + "\nimport {\n  to = drtest_thing.beta\n  identity = {\n    id = \"thing-1\"\n  }\n}\n"),
    );
    adopter.assert_plan_imports_only(1);
    adopter.apply();
    assert_eq!(
        adopter.resource_identity("drtest_thing.beta"),
        Some(json!({"id": "thing-1", "zone": "dal12"})),
        "the import completed the identity"
    );
    adopter.assert_plan_empty();

    // An identity that names the object wrongly finds nothing.
    let wrong = WorkDir::new();
    wrong.config(
        &(drtest_header(&store)
            + BETA
            + "\nimport {\n  to = drtest_thing.beta\n  identity = {\n    id   = \"thing-1\"\n    zone = \"dal10\"\n  }\n}\n"),
    );
    wrong.plan_expect_error(r#"No drtest_thing "thing-1" lives in zone "dal10""#);

    // The object moves zone behind Terraform's back: its identity would change, which the
    // framework refuses instead of tracking another object under the same address.
    let mut s = read_drtest_store(&store);
    s["things"]["thing-1"]["zone"] = json!("dal13");
    write_drtest_store(&store, &s);
    let out = owner.plan_expect_error("Unexpected identity change");
    let text = acctests::unwrap_diagnostics(&out.combined());
    assert!(text.contains("(zone changed)"), "{text}");
    assert!(text.contains("terraform state rm"), "{text}");
    assert_eq!(
        owner.resource_identity("drtest_thing.beta"),
        Some(json!({"id": "thing-1", "zone": "dal12"})),
        "the stored identity is kept"
    );
}

/// Things of every shape the generated configuration must reproduce exactly.
fn things() -> String {
    r#"
resource "drtest_thing" "full" {
  name        = "alpha-deny"
  zone        = "dal12"
  size        = 3
  big         = 123456789012345678901234567890.5
  tier        = "tier3"
  tags        = ["b", "a"]
  labels      = ["x", "y"]
  meta        = { env = "test" }
  endpoint    = { host = "h.example", port = 443 }
  anything    = ["s", 1, true]
  password_wo = "never-listed"
  disk        = { size_gb = 10, kind = "hdd" }
  networks    = [{ name = "mgmt", cidr = "10.0.0.0/24" }, { name = "backup" }]
  ports       = [{ port = 80 }, { port = 443, protocol = "tcp" }]
  volumes     = { data = { size = 5 } }

  rule {
    cidr = "10.1.0.0/16"
  }
  rule {
    cidr   = "10.2.0.0/16"
    action = "deny"
  }

  settings {
    mode = "fast"
  }
}

# Created one after the other, so their ids follow this order.
resource "drtest_thing" "plain" {
  name       = "beta"
  depends_on = [drtest_thing.full]
}

resource "drtest_thing" "keyed" {
  name       = "gamma"
  api_key    = "k-secret-123"
  depends_on = [drtest_thing.plain]
}

resource "drtest_thing" "off" {
  name       = "delta"
  enabled    = false
  zone       = "dal12"
  depends_on = [drtest_thing.keyed]
}

resource "drtest_thing" "small" {
  name       = "epsilon"
  size       = 1
  depends_on = [drtest_thing.off]
}
"#
    .to_string()
}

#[test]
fn framework_query_lists_and_generates_config_that_only_imports() {
    if terraform_lacks(1, 14, "terraform query") {
        return;
    }
    let (owner, store) = drtest_workdir();
    owner.config(&(drtest_header(&store) + &things()));
    owner.apply();
    owner.assert_plan_empty();
    let mut s = read_drtest_store(&store);
    s["list_pages"] = json!(0);
    write_drtest_store(&store, &s);

    // A fresh directory holding only the provider and the query.
    let adopter = WorkDir::new();
    adopter.config(&drtest_header(&store));
    adopter.write(
        "things.tfquery.hcl",
        r#"
list "drtest_thing" "all" {
  provider         = drtest
  include_resource = true
  config {}
}

list "drtest_thing" "first_two" {
  provider = drtest
  limit    = 2
  config {}
}

list "drtest_thing" "dal12" {
  provider = drtest
  config {
    zone = "dal12"
  }
}
"#,
    );
    let messages = adopter.query_json(&[]);
    let all = query_results(&messages, "list.drtest_thing.all");
    let names: Vec<&str> = all
        .iter()
        .map(|r| r["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha-deny", "beta", "gamma", "delta", "epsilon"]);
    assert_eq!(
        all[0]["identity"],
        json!({"id": "thing-1", "zone": "dal12"})
    );
    assert_eq!(all[0]["identity_version"], 0);
    assert_eq!(all[2]["resource_object"]["api_key"], Value::Null);
    assert!(
        !messages
            .iter()
            .any(|m| m.to_string().contains("k-secret-123")),
        "a listed object showed its secret"
    );
    let object = &all[0]["resource_object"];
    assert_eq!(object["big"], json!(123456789012345678901234567890.5));
    assert_eq!(
        object["password_wo"],
        Value::Null,
        "write-only never listed"
    );
    assert_eq!(object["disk"]["uuid"], "disk-thing-1-10");

    let first_two = query_results(&messages, "list.drtest_thing.first_two");
    assert_eq!(first_two.len(), 2, "the limit");
    assert!(
        first_two.iter().all(|r| r.get("resource_object").is_none()),
        "objects only when include_resource asks: {first_two:?}"
    );
    let dal12: Vec<Value> = query_results(&messages, "list.drtest_thing.dal12")
        .iter()
        .map(|r| r["identity"]["id"].clone())
        .collect();
    assert_eq!(dal12, [json!("thing-1"), json!("thing-4")]);
    // Five things in pages of two: `all` and `dal12` read three pages each, `first_two` one,
    // since the listing stops once Terraform has its two results.
    assert_eq!(read_drtest_store(&store)["list_pages"], 7);

    // Bad list configuration is reported at the attribute, before anything is listed.
    adopter.write(
        "bad.tfquery.hcl",
        "list \"drtest_thing\" \"bad\" {\n  provider = drtest\n  config {\n    name_prefix = \"\"\n  }\n}\n",
    );
    let out = adopter.expect_error(&["query", "-no-color"], "Empty name_prefix");
    assert!(
        out.combined().contains(r#"name_prefix = """#),
        "{}",
        out.combined()
    );
    std::fs::remove_file(adopter.path().join("bad.tfquery.hcl")).expect("remove");

    // Generate configuration for everything found, supply the one secret the listing cannot
    // return, and plan: only imports.
    adopter.write(
        "things.tfquery.hcl",
        "list \"drtest_thing\" \"found\" {\n  provider = drtest\n  config {}\n}\n",
    );
    adopter.query_json(&["-generate-config-out=generated.tf"]);
    let generated =
        std::fs::read_to_string(adopter.path().join("generated.tf")).expect("generated.tf");
    assert_eq!(generated.matches("import {").count(), 5, "{generated}");
    assert!(generated.contains("identity = {"), "{generated}");
    // Computed values and values equal to their defaults are left out.
    for never in [
        r"revision",
        r"uuid",
        r"enabled\s*=\s*true",
        r#"action\s*=\s*"allow""#,
        r#"kind\s*=\s*"ssd""#,
    ] {
        let re = regex::Regex::new(never).expect("regex");
        assert!(!re.is_match(&generated), "{never} written:\n{generated}");
    }
    let with_secret = supply_api_key(&generated, "gamma", "k-secret-123");
    adopter.write("generated.tf", &with_secret);
    let plan = adopter.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    assert!(
        plan.stdout
            .contains("Plan: 5 to import, 0 to add, 0 to change, 0 to destroy."),
        "{}\n{with_secret}",
        plan.combined()
    );
    adopter.apply();
    adopter.assert_plan_empty();
    let s = read_drtest_store(&store);
    assert_eq!(s["next_id"], 5, "nothing was created");
    assert_eq!(
        adopter.resource_identity("drtest_thing.found_2"),
        Some(json!({"id": "thing-3", "zone": "dal10"}))
    );
}

/// Puts `key` as the api_key of the generated resource block whose name is `name`, as a user
/// does: Terraform writes sensitive values as `null # sensitive`.
fn supply_api_key(generated: &str, name: &str, key: &str) -> String {
    let placeholder = regex::Regex::new(r"api_key\s*=\s*null # sensitive").expect("regex");
    let named = regex::Regex::new(&format!(r#"\n\s*name\s*=\s*"{name}"\n"#)).expect("regex");
    generated
        .split_inclusive("\nresource ")
        .map(|block| {
            if named.is_match(block) {
                placeholder
                    .replace(block, format!("api_key = {key:?}"))
                    .into_owned()
            } else {
                block.to_string()
            }
        })
        .collect()
}

#[test]
fn framework_ephemeral_token_feeds_a_write_only_argument() {
    if terraform_lacks(1, 11, "ephemeral values in write-only arguments") {
        return;
    }
    let (wd, store) = drtest_workdir();
    wd.config(
        &(drtest_header(&store)
            + r#"
ephemeral "drtest_token" "deploy" {
  name        = "deploy"
  renew_in_ms = 200
}

resource "drtest_thing" "a" {
  name        = "theta"
  password_wo = ephemeral.drtest_token.deploy.value
}
"#),
    );
    let out = wd.apply();
    for step in ["Opening...", "Renewing...", "Closing..."] {
        assert!(
            out.stdout
                .contains(&format!("ephemeral.drtest_token.deploy: {step}")),
            "{step} missing:\n{}",
            out.combined()
        );
    }
    let s = read_drtest_store(&store);
    let tokens = s["tokens"].as_object().expect("tokens");
    assert!(!tokens.is_empty());
    assert!(
        tokens.values().all(|t| t["closed"] == true),
        "every token Terraform opened was closed: {tokens:?}"
    );
    let secret = s["secrets"]["thing-1"]
        .as_str()
        .expect("the thing got a secret");
    let used = tokens
        .values()
        .find(|t| t["value"] == secret)
        .expect("the secret is an issued token");
    assert!(
        used["renewals"].as_u64().unwrap() >= 1,
        "Terraform renewed the token while the thing used it: {used}"
    );
    assert!(
        !wd.raw_state().contains(secret) && !wd.raw_state().contains("tok-"),
        "the ephemeral value reached the state"
    );

    // The token's configuration is validated offline.
    wd.config(
        &(drtest_header(&store)
            + "ephemeral \"drtest_token\" \"bad\" {\n  name        = \"x\"\n  renew_in_ms = 0\n}\n"),
    );
    wd.expect_error(&["validate", "-no-color"], "renew_in_ms");
}
