//! The release artefacts install the way users and IBM Schematics install providers: no
//! `dev_overrides`, only `terraform init` from a filesystem mirror or from the working
//! directory's implied `terraform.d/plugins` mirror.
//!
//! Runs `scripts/package.sh` (a static release build into its own target directory, about a
//! minute once dependencies are compiled) into a temporary dist directory, checks the registry
//! naming, checksums and manifest, then installs with `scripts/install-mirror.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use acctests::{terraform_at_least, terraform_path, workspace_root};
use serde_json::Value;

const CONFIG: &str = r#"terraform {
  required_providers {
    dr = {
      source  = "powervs/dr"
      version = "VERSION"
    }
  }
}

resource "dr_security_group_rule" "ssh" {
  security_group_id = "r006-64c70b0b-0c5b-4a8f-b9fb-35e36a9d7130"
  direction         = "inbound"
  remote_cidr       = "10.51.0.0/24"
  protocol          = "tcp"
  port_min          = 22
  port_max          = 22
}
"#;

fn version() -> String {
    let cargo = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
    let section = cargo.split("[workspace.package]").nth(1).unwrap();
    section
        .lines()
        .find_map(|l| l.strip_prefix("version = "))
        .unwrap()
        .trim_matches('"')
        .to_string()
}

/// The dist directory, packaged once for every test of this file.
fn dist() -> &'static Path {
    static DIST: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIST.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("dist-").tempdir().unwrap();
        run_script("package.sh", &[], dir.path());
        dir
    })
    .path()
}

/// Runs `scripts/<name>` with `args` and the dist directory `dist_dir`; it must succeed.
/// Returns its stdout.
fn run_script(name: &str, args: &[&OsStr], dist_dir: &Path) -> Vec<u8> {
    let out = Command::new(workspace_root().join("scripts").join(name))
        .args(args)
        .env("DIST_DIR", dist_dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn install_mirror(dir: &Path, extra: &[&str]) -> PathBuf {
    let mut args = vec![dir.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    let stdout = run_script("install-mirror.sh", &args, dist());
    PathBuf::from(String::from_utf8(stdout).unwrap().trim())
}

/// Runs Terraform in `dir` with `cli_config` (never `dev_overrides`).
fn terraform(dir: &Path, cli_config: &Path, args: &[&str]) -> String {
    let out = Command::new(terraform_path())
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env_remove("TF_LOG")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "terraform {} failed:\n{text}",
        args.join(" ")
    );
    text
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn release_artefacts_follow_the_registry_naming() {
    let v = version();
    let zip = dist().join(format!("terraform-provider-dr_{v}_linux_amd64.zip"));
    let sums = dist().join(format!("terraform-provider-dr_{v}_SHA256SUMS"));
    let manifest = dist().join(format!("terraform-provider-dr_{v}_manifest.json"));
    for file in [&zip, &sums, &manifest] {
        assert!(file.is_file(), "{} is missing", file.display());
    }

    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    assert_eq!(manifest["version"], 1);
    assert_eq!(
        manifest["metadata"]["protocol_versions"],
        serde_json::json!(["6.0"])
    );

    let sums = std::fs::read_to_string(&sums).unwrap();
    let zip_line = format!(
        "{}  terraform-provider-dr_{v}_linux_amd64.zip",
        sha256(&zip)
    );
    assert!(sums.lines().any(|l| l == zip_line), "SHA256SUMS:\n{sums}");

    // The zip holds exactly the versioned binary, executable.
    let listing = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, oct(i.external_attr >> 16))",
        ])
        .arg(&zip)
        .output()
        .unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    assert_eq!(
        listing.trim(),
        format!("terraform-provider-dr_v{v} 0o100755"),
        "zip content"
    );
}

#[test]
fn packaged_binary_is_static() {
    let dir = tempfile::tempdir().unwrap();
    let binary = install_mirror(dir.path(), &["--unpacked"]);
    let file = Command::new("file")
        .arg("-b")
        .arg(&binary)
        .output()
        .unwrap();
    let file = String::from_utf8(file.stdout).unwrap();
    assert!(
        file.contains("statically linked") || file.contains("static-pie linked"),
        "file says: {file}"
    );
    assert!(file.contains("x86-64"), "file says: {file}");
}

#[test]
fn terraform_init_installs_from_a_filesystem_mirror() {
    let v = version();
    let base = tempfile::tempdir().unwrap();
    let mirror = base.path().join("mirror");
    let installed = install_mirror(&mirror, &[]);
    assert_eq!(
        installed,
        mirror.join(format!(
            "registry.terraform.io/powervs/dr/terraform-provider-dr_{v}_linux_amd64.zip"
        ))
    );
    let cli_config = base.path().join("terraformrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"registry.terraform.io/powervs/*\"]\n  }}\n}}\n",
            mirror.display().to_string()
        ),
    )
    .unwrap();
    let work = base.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("main.tf"), CONFIG.replace("VERSION", &v)).unwrap();

    let init = terraform(&work, &cli_config, &["init", "-input=false", "-no-color"]);
    assert!(
        init.contains(&format!("Installed powervs/dr v{v}")),
        "init:\n{init}"
    );
    let lock = std::fs::read_to_string(work.join(".terraform.lock.hcl")).unwrap();
    assert!(lock.contains("registry.terraform.io/powervs/dr"), "{lock}");
    assert!(lock.contains("h1:"), "{lock}");

    let providers = terraform(&work, &cli_config, &["providers", "-no-color"]);
    assert!(
        providers.contains(&format!("provider[registry.terraform.io/powervs/dr] {v}")),
        "{providers}"
    );
    let validate = terraform(&work, &cli_config, &["validate", "-no-color"]);
    assert!(
        validate.contains("The configuration is valid"),
        "{validate}"
    );
}

#[test]
fn terraform_init_finds_the_provider_in_a_template_repository() {
    // An IBM Schematics template repository carries the binary in terraform.d/plugins next to
    // its .tf files; Terraform searches that implied mirror without any CLI configuration.
    let v = version();
    let repo = tempfile::tempdir().unwrap();
    let binary = install_mirror(&repo.path().join("terraform.d/plugins"), &["--unpacked"]);
    assert_eq!(
        binary,
        repo.path().join(format!(
            "terraform.d/plugins/registry.terraform.io/powervs/dr/{v}/linux_amd64/terraform-provider-dr_v{v}"
        ))
    );
    std::fs::write(repo.path().join("main.tf"), CONFIG.replace("VERSION", &v)).unwrap();
    let empty_config = repo.path().join("empty.terraformrc");
    std::fs::write(&empty_config, "").unwrap();

    let init = terraform(
        repo.path(),
        &empty_config,
        &["init", "-input=false", "-no-color"],
    );
    assert!(
        init.contains(&format!("Installed powervs/dr v{v}")),
        "init:\n{init}"
    );
    let schema = terraform(
        repo.path(),
        &empty_config,
        &["providers", "schema", "-json"],
    );
    let start = schema.find('{').unwrap();
    let json: Value = serde_json::Deserializer::from_str(&schema[start..])
        .into_iter::<Value>()
        .next()
        .unwrap()
        .unwrap();
    assert!(
        json["provider_schemas"]["registry.terraform.io/powervs/dr"]["resource_schemas"]
            ["dr_orchestrator"]
            .is_object(),
        "the installed provider serves its schema"
    );
}

#[test]
fn the_schematics_example_is_a_template_repository() {
    // examples/schematics with the provider in its terraform.d/plugins: init with no network
    // and no CLI configuration (no dev_overrides, no mirror), then validate.
    let v = version();
    let repo = tempfile::tempdir().unwrap();
    let example = workspace_root().join("examples/schematics");
    for entry in std::fs::read_dir(&example).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            std::fs::copy(&path, repo.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let versions = std::fs::read_to_string(repo.path().join("versions.tf")).unwrap();
    assert!(
        versions.contains(&format!("version = \"{v}\"")),
        "examples/schematics pins the provider version the repository builds ({v})"
    );
    install_mirror(&repo.path().join("terraform.d/plugins"), &["--unpacked"]);
    let empty_config = repo.path().join("empty.terraformrc");
    std::fs::write(&empty_config, "").unwrap();
    let init = terraform(
        repo.path(),
        &empty_config,
        &["init", "-input=false", "-no-color", "-backend=false"],
    );
    assert!(
        init.contains(&format!("Installed powervs/dr v{v}")),
        "init:\n{init}"
    );
    if terraform_at_least(1, 11) {
        let validate = terraform(repo.path(), &empty_config, &["validate", "-no-color"]);
        assert!(
            validate.contains("The configuration is valid"),
            "{validate}"
        );
    }
}
