//! Harness for acceptance tests that drive the real Terraform CLI.
//!
//! Each test gets a [`WorkDir`]: a temporary directory with its own CLI configuration whose
//! `dev_overrides` point at the freshly built provider binaries in `target/debug`, so Terraform
//! runs the code under test without `terraform init` or a registry. Terraform itself comes from
//! `scripts/install-terraform.sh` (a project-local virtualenv, or a build from the Go module);
//! `TF_ACC_TERRAFORM_VERSION` picks the version, and `tofu-<version>` picks OpenTofu instead
//! (see [`flavour`], [`terraform_at_least`] and [`skip`]). The helpers mirror
//! terraform-plugin-testing's steps: apply, plan-must-be-empty (with and without refresh),
//! import and import-verify, destroy, expect-error, and state/plan inspection through
//! `terraform show -json`. [`sim`] runs dr-cloudsim and reads its world; [`fixtures`] holds the
//! scenario's names and the HCL blocks the tests share.
//!
//! Helpers panic with Terraform's full output on failure: they run only inside tests, where a
//! panic is the failure report.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

pub mod fixtures;
pub mod sim;

/// Registry namespace of every provider this project builds.
pub const NAMESPACE: &str = "powervs";

/// The workspace root (the directory holding the top-level Cargo.toml).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("acctests lives inside the workspace")
        .to_path_buf()
}

/// Directory holding the debug build of the workspace binaries.
pub fn bin_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("debug")
}

/// A binary of the workspace, which must have been built (`cargo build --workspace --bins`).
pub fn binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` before the acceptance tests",
        path.display()
    );
    path
}

/// The CLI under test as `scripts/install-terraform.sh` names it (`TF_ACC_TERRAFORM_VERSION`,
/// default 1.15.5): a Terraform version such as `1.16.4`, or `tofu-1.12.6` for OpenTofu.
pub fn terraform_version() -> String {
    std::env::var("TF_ACC_TERRAFORM_VERSION").unwrap_or_else(|_| "1.15.5".to_string())
}

/// Which implementation of the Terraform CLI runs the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Terraform,
    OpenTofu,
}

/// The flavour of the CLI under test: `tofu-<version>` is OpenTofu, anything else Terraform.
pub fn flavour() -> Flavour {
    if terraform_version().starts_with("tofu-") {
        Flavour::OpenTofu
    } else {
        Flavour::Terraform
    }
}

/// True when the CLI under test is OpenTofu.
pub fn is_opentofu() -> bool {
    flavour() == Flavour::OpenTofu
}

/// The CLI's own `major.minor`.
fn cli_version() -> (u32, u32) {
    let v = terraform_version();
    let mut parts = v
        .trim_start_matches("tofu-")
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// True when the CLI under test has the language and protocol features of Terraform
/// `major.minor`, the version each test names where a feature arrived.
///
/// For OpenTofu that is the newest Terraform release whose features the tests rely on and
/// this OpenTofu has: provider functions from OpenTofu 1.7 (Terraform 1.8), write-only
/// arguments and ephemeral values from 1.11 (Terraform 1.11). OpenTofu has no actions, list
/// resources or `terraform query` (Terraform 1.14), so it never counts as 1.14 or later; a
/// test that needs one of those calls [`skip`] on OpenTofu so the skip is visible.
pub fn terraform_at_least(major: u32, minor: u32) -> bool {
    feature_level(flavour(), cli_version()) >= (major, minor)
}

/// The Terraform `major.minor` whose tested features a CLI of `flavour` and `version` has.
fn feature_level(flavour: Flavour, version: (u32, u32)) -> (u32, u32) {
    match flavour {
        Flavour::Terraform => version,
        Flavour::OpenTofu if version >= (1, 11) => (1, 11),
        Flavour::OpenTofu if version >= (1, 7) => (1, 8),
        Flavour::OpenTofu => (1, 6),
    }
}

/// The registry host the CLI under test gives an unqualified source such as `powervs/dr`.
pub fn default_registry() -> &'static str {
    match flavour() {
        Flavour::Terraform => "registry.terraform.io",
        Flavour::OpenTofu => "registry.opentofu.org",
    }
}

/// Says that (part of) a test does not run on the CLI under test, and why. It goes straight to
/// stderr, past the test harness's output capture, so every skip shows in `cargo test` output
/// (and in `scripts/compat.sh`'s summary) instead of passing silently.
pub fn skip(what: &str, reason: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIP {what} on {}: {reason}",
        cli_label()
    );
}

/// True, after saying so on stderr, when the CLI under test predates `feature` (Terraform
/// `major.minor`): the test then has nothing to check and returns.
pub fn terraform_lacks(major: u32, minor: u32, feature: &str) -> bool {
    let old = !terraform_at_least(major, minor);
    if old {
        eprintln!(
            "Terraform {} has no {feature} (needs {major}.{minor}); nothing to test",
            terraform_version()
        );
    }
    old
}

/// "Terraform 1.16.4" or "OpenTofu 1.12.6".
pub fn cli_label() -> String {
    let v = terraform_version();
    match flavour() {
        Flavour::Terraform => format!("Terraform {v}"),
        Flavour::OpenTofu => format!("OpenTofu {}", v.trim_start_matches("tofu-")),
    }
}

/// Path of the Terraform executable, installed on first use.
pub fn terraform_path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let out = Command::new(workspace_root().join("scripts/install-terraform.sh"))
            .arg(terraform_version())
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/install-terraform.sh");
        assert!(out.status.success(), "installing Terraform failed");
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
    .clone()
}

/// What one Terraform command produced.
#[derive(Debug)]
pub struct TfOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TfOutput {
    /// stdout and stderr together, for matching and failure reports.
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A Terraform working directory with its own CLI configuration.
pub struct WorkDir {
    dir: tempfile::TempDir,
    cli_config: PathBuf,
    env: Vec<(String, String)>,
}

impl Default for WorkDir {
    fn default() -> Self {
        Self::new()
    }
}

impl WorkDir {
    /// A fresh directory whose CLI config overrides every project provider
    /// (`powervs/dr`, `powervs/drtest`) with the debug build.
    pub fn new() -> WorkDir {
        let dir = tempfile::Builder::new().prefix("acc-").tempdir().unwrap();
        let cli_config = dir.path().join(".terraformrc");
        let bins = bin_dir();
        let overrides: String = ["dr", "drtest"]
            .iter()
            .map(|t| {
                format!(
                    "    \"{NAMESPACE}/{t}\" = {:?}\n",
                    bins.display().to_string()
                )
            })
            .collect();
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n{overrides}  }}\n  direct {{}}\n}}\n"
            ),
        )
        .unwrap();
        WorkDir {
            dir,
            cli_config,
            env: Vec::new(),
        }
    }

    /// Adds an environment variable for every Terraform command run here.
    pub fn env(mut self, key: &str, value: &str) -> WorkDir {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces the configuration with `hcl` (written to `main.tf`).
    pub fn config(&self, hcl: &str) {
        self.write("main.tf", hcl);
    }

    pub fn write(&self, name: &str, content: &str) {
        std::fs::write(self.dir.path().join(name), content).unwrap();
    }

    /// Terraform with `args` in this directory, with its CLI configuration (the
    /// dev_overrides) and environment, TF_LOG off and no stdin; the caller picks the output.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(terraform_path());
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PATH")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        cmd
    }

    /// Writes the `.tf` files of `examples/<example>` into this directory.
    pub fn copy_example(&self, example: &str) {
        let dir = workspace_root().join("examples").join(example);
        for entry in std::fs::read_dir(&dir).expect("the example exists") {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "tf") {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .expect("a UTF-8 name");
                let text = std::fs::read_to_string(&path).expect("a readable example file");
                self.write(name, &text);
            }
        }
    }

    /// Runs Terraform with `args` and returns what it printed, whatever the exit code.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        let out = self.command(args).output().expect("run terraform");
        TfOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs Terraform and panics with its output unless it exits 0.
    pub fn run_ok(&self, args: &[&str]) -> TfOutput {
        let out = self.run(args);
        assert_eq!(
            out.code,
            0,
            "terraform {} failed:\n{}",
            args.join(" "),
            out.combined()
        );
        out
    }

    pub fn apply(&self) -> TfOutput {
        self.run_ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    pub fn apply_args(&self, extra: &[&str]) -> TfOutput {
        let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
        args.extend_from_slice(extra);
        self.run_ok(&args)
    }

    pub fn destroy(&self) -> TfOutput {
        self.destroy_args(&[])
    }

    /// `terraform destroy` with `extra` arguments (`-target=...`, `-parallelism=...`); it must
    /// succeed.
    pub fn destroy_args(&self, extra: &[&str]) -> TfOutput {
        let mut args = vec!["destroy", "-auto-approve", "-input=false", "-no-color"];
        args.extend_from_slice(extra);
        self.run_ok(&args)
    }

    /// The plan must be empty both without and with a refresh, as terraform-plugin-testing checks
    /// after every apply step.
    pub fn assert_plan_empty(&self) {
        for refresh in ["-refresh=false", "-refresh=true"] {
            let out = self.run(&[
                "plan",
                "-detailed-exitcode",
                "-input=false",
                "-no-color",
                refresh,
            ]);
            assert_eq!(
                out.code,
                0,
                "expected an empty plan ({refresh}), got exit {}:\n{}",
                out.code,
                out.combined()
            );
        }
    }

    /// A plan must import `count` objects and change nothing else; returns its text.
    pub fn assert_plan_imports_only(&self, count: usize) -> String {
        let plan = self.assert_plan_not_empty();
        let summary = format!("Plan: {count} to import, 0 to add, 0 to change, 0 to destroy.");
        assert!(plan.contains(&summary), "expected {summary:?}:\n{plan}");
        plan
    }

    /// A plan must propose changes (exit code 2 of `-detailed-exitcode`); returns its text.
    pub fn assert_plan_not_empty(&self) -> String {
        let out = self.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        assert_eq!(
            out.code,
            2,
            "expected a non-empty plan:\n{}",
            out.combined()
        );
        out.stdout
    }

    /// A plan must propose changes and its text contain every one of `phrases` (Terraform's
    /// words for the change: "will be updated in-place", "Plan: 0 to add, 1 to change, ...");
    /// returns the text.
    pub fn assert_plan_mentions(&self, phrases: &[&str]) -> String {
        let plan = self.assert_plan_not_empty();
        for phrase in phrases {
            assert!(
                plan.contains(phrase),
                "the plan does not mention {phrase:?}:\n{plan}"
            );
        }
        plan
    }

    /// Runs a command that must fail, and checks its output against a regular expression.
    pub fn expect_error(&self, args: &[&str], pattern: &str) -> TfOutput {
        let out = self.run(args);
        assert_ne!(
            out.code,
            0,
            "terraform {} should have failed:\n{}",
            args.join(" "),
            out.combined()
        );
        let re = regex::Regex::new(pattern).expect("valid pattern");
        let text = out.combined();
        // Terraform wraps long diagnostics; match against the text with the box-drawing unwrapped.
        let flat = unwrap_diagnostics(&text);
        assert!(
            re.is_match(&text) || re.is_match(&flat),
            "output of terraform {} does not match /{pattern}/:\n{text}",
            args.join(" ")
        );
        out
    }

    pub fn plan_expect_error(&self, pattern: &str) -> TfOutput {
        self.expect_error(&["plan", "-input=false", "-no-color"], pattern)
    }

    pub fn apply_expect_error(&self, pattern: &str) -> TfOutput {
        self.expect_error(
            &["apply", "-auto-approve", "-input=false", "-no-color"],
            pattern,
        )
    }

    /// `terraform show -json` of the current state.
    pub fn state_json(&self) -> Value {
        let out = self.run_ok(&["show", "-json", "-no-color"]);
        serde_json::from_str(&out.stdout).unwrap()
    }

    /// The state's `values` of the resource at `address`, or None when it is not in state.
    pub fn resource_values(&self, address: &str) -> Option<Value> {
        self.resource_json(address)
            .and_then(|r| r.get("values").cloned())
    }

    /// The string `attribute` of the resource at `address` in state (its `id`, an address).
    pub fn string_attribute(&self, address: &str, attribute: &str) -> String {
        let values = self
            .resource_values(address)
            .unwrap_or_else(|| panic!("{address} is not in state"));
        values[attribute]
            .as_str()
            .unwrap_or_else(|| panic!("{address}.{attribute} is not a string: {values}"))
            .to_string()
    }

    /// The resource identity Terraform stores for `address` (Terraform 1.12+), from
    /// `terraform show -json`; None when it stores none.
    pub fn resource_identity(&self, address: &str) -> Option<Value> {
        self.resource_json(address)
            .and_then(|r| r.get("identity").cloned())
    }

    /// The whole `terraform show -json` entry of the resource at `address`.
    pub fn resource_json(&self, address: &str) -> Option<Value> {
        let state = self.state_json();
        find_resource(state.pointer("/values/root_module")?, address)
    }

    /// `terraform query -json` (Terraform 1.14+) with `extra` arguments, which must succeed;
    /// returns every JSON message it printed.
    pub fn query_json(&self, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["query", "-json", "-no-color"];
        args.extend_from_slice(extra);
        let out = self.run_ok(&args);
        out.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// A saved plan rendered by `terraform show -json`.
    pub fn plan_json(&self) -> Value {
        self.run_ok(&["plan", "-input=false", "-no-color", "-out=acc.tfplan"]);
        let out = self.run_ok(&["show", "-json", "-no-color", "acc.tfplan"]);
        serde_json::from_str(&out.stdout).unwrap()
    }

    /// The raw state file.
    pub fn raw_state(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("terraform.tfstate")).unwrap_or_default()
    }

    pub fn import(&self, address: &str, id: &str) -> TfOutput {
        self.run_ok(&["import", "-input=false", "-no-color", address, id])
    }

    /// Imports `address` by `id` into a fresh directory with the same configuration and checks
    /// that every attribute equals the state here, except those in `ignore`.
    pub fn import_verify(&self, address: &str, id: &str, ignore: &[&str]) {
        let mut other = WorkDir::new();
        other.env = self.env.clone();
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tf") || name.ends_with(".tfvars") {
                std::fs::copy(entry.path(), other.path().join(&name)).unwrap();
            }
        }
        other.import(address, id);
        let want = self.resource_values(address).expect("resource in state");
        let got = other
            .resource_values(address)
            .expect("imported resource in state");
        let (want, got) = (want.as_object().unwrap(), got.as_object().unwrap());
        for (k, v) in want {
            if ignore.contains(&k.as_str()) {
                continue;
            }
            assert_eq!(
                got.get(k),
                Some(v),
                "ImportStateVerify: attribute {k} differs after import of {address} ({id})"
            );
        }
    }
}

/// The `terraform` and `provider` blocks for the test provider `drtest`, keeping its objects in
/// the JSON file `store` (several working directories can share one store).
pub fn drtest_header(store: &Path) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    drtest = {{ source = "powervs/drtest" }}
  }}
}}

provider "drtest" {{
  store_path = {store:?}
}}
"#,
        store = store.display().to_string()
    )
}

/// A new working directory for the test provider `drtest`, and the store file inside it that
/// [`drtest_header`] points the provider at.
pub fn drtest_workdir() -> (WorkDir, PathBuf) {
    let wd = WorkDir::new();
    let store = wd.path().join("store.json");
    (wd, store)
}

/// The objects the test provider keeps in its JSON file `store`, as a test reads them to check
/// what an apply wrote.
pub fn read_drtest_store(store: &Path) -> Value {
    let text = std::fs::read_to_string(store).expect("store file exists");
    serde_json::from_str(&text).expect("store is JSON")
}

/// Replaces the test provider's objects in `store`, as a change made outside Terraform.
pub fn write_drtest_store(store: &Path, contents: &Value) {
    std::fs::write(store, serde_json::to_vec_pretty(contents).expect("json")).expect("write store");
}

/// The `list_resource_found` messages of `terraform query -json` for the list block at
/// `address` (e.g. `list.drtest_thing.all`), in the order Terraform printed them.
pub fn query_results(messages: &[Value], address: &str) -> Vec<Value> {
    messages
        .iter()
        .filter(|m| m["type"] == "list_resource_found")
        .map(|m| m["list_resource_found"].clone())
        .filter(|found| found["address"] == address)
        .collect()
}

fn find_resource(module: &Value, address: &str) -> Option<Value> {
    if let Some(resources) = module.get("resources").and_then(Value::as_array) {
        for r in resources {
            if r.get("address").and_then(Value::as_str) == Some(address) {
                return Some(r.clone());
            }
        }
    }
    module
        .get("child_modules")
        .and_then(Value::as_array)
        .and_then(|children| children.iter().find_map(|c| find_resource(c, address)))
}

/// Joins Terraform's boxed diagnostic lines (`│ text`) into one line so patterns can span wraps.
pub fn unwrap_diagnostics(text: &str) -> String {
    text.lines()
        .map(|l| l.trim_start_matches(['│', '╷', '╵', ' ']).trim_end())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opentofu_counts_as_the_terraform_whose_features_it_has() {
        assert_eq!(feature_level(Flavour::Terraform, (1, 16)), (1, 16));
        assert_eq!(feature_level(Flavour::OpenTofu, (1, 12)), (1, 11));
        assert_eq!(feature_level(Flavour::OpenTofu, (1, 9)), (1, 8));
        assert_eq!(feature_level(Flavour::OpenTofu, (1, 6)), (1, 6));
        // OpenTofu has neither actions nor list resources (Terraform 1.14) as of 1.12.
        assert!(feature_level(Flavour::OpenTofu, (2, 0)) < (1, 14));
    }
}
