//! The shipped examples are what users copy first, and the docs embed them, so they must be
//! formatted, valid against the provider's real schema, and the complete example's `terraform
//! test` (mock provider) must pass. Each example runs in a fresh directory with
//! `dev_overrides` pointing at the debug build, as `terraform validate` in a user's checkout would.
//!
//! The examples use write-only arguments, ephemeral variables and provider functions, so they
//! target Terraform 1.11 and later; on older Terraform the complete example must refuse to run
//! (a version error from 1.8 on; before 1.8 Terraform cannot parse `provider::` calls at all).
//! The action examples (`examples/actions`) need Terraform 1.14, where `action` blocks and
//! `action_trigger` exist; they are validated there and only format-checked before it (the
//! formatter parses any HCL block). OpenTofu has no actions: there they must be refused like on
//! Terraform before 1.14, and their validation is reported as skipped. The query examples
//! (`examples/list-resources`, `examples/query`) are `.tfquery.hcl` files for `terraform query`
//! (Terraform 1.14+), checked with `terraform validate -query` there; OpenTofu has no list
//! resources, so they are skipped on it. Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use acctests::{WorkDir, is_opentofu, skip, terraform_at_least, workspace_root};

const VERSIONS_TF: &str = r#"terraform {
  required_providers {
    dr = { source = "powervs/dr" }
  }
}
"#;

fn examples_dir() -> PathBuf {
    workspace_root().join("examples")
}

/// The entries of `dir` that `keep` accepts, sorted.
fn entries(dir: &Path, keep: fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| keep(p))
        .collect();
    paths.sort();
    paths
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    entries(dir, Path::is_file)
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    entries(dir, Path::is_dir)
}

/// A working directory holding `files` (only `.tf`), plus the provider requirement when none
/// of them declares it, as the docs show snippets without a `terraform` block.
fn workdir_with(files: &[PathBuf]) -> WorkDir {
    let wd = WorkDir::new();
    let mut declares_provider = false;
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "tf"))
    {
        let text = std::fs::read_to_string(file).unwrap();
        declares_provider |= text.contains("required_providers");
        wd.write(file.file_name().unwrap().to_str().unwrap(), &text);
    }
    if !declares_provider {
        wd.write("versions.tf", VERSIONS_TF);
    }
    wd
}

fn assert_valid(wd: &WorkDir, what: &str) {
    let out = wd.run(&["validate", "-no-color"]);
    assert_eq!(out.code, 0, "{what} does not validate:\n{}", out.combined());
}

#[test]
fn examples_are_formatted() {
    let wd = WorkDir::new();
    let dir = examples_dir();
    let out = wd.run(&[
        "fmt",
        "-check",
        "-recursive",
        "-diff",
        "-no-color",
        dir.to_str().unwrap(),
    ]);
    if terraform_at_least(1, 8) {
        assert_eq!(out.code, 0, "terraform fmt -check:\n{}", out.combined());
    } else {
        // Before 1.8 Terraform cannot parse provider-function calls (`provider::dr::...`);
        // those must be the only complaints.
        let text = out.combined();
        let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("Error: ")).collect();
        assert!(!errors.is_empty(), "{text}");
        assert!(
            errors
                .iter()
                .all(|e| *e == "Error: Missing argument separator"),
            "terraform fmt -check:\n{text}"
        );
    }
}

#[test]
fn every_resource_data_source_and_function_example_validates() {
    if !terraform_at_least(1, 11) {
        // The refusal on older versions is asserted by the complete example's test below.
        return;
    }
    let root = examples_dir();
    let mut checked = 0;
    for kind in ["resources", "data-sources", "functions"] {
        for dir in subdirs(&root.join(kind)) {
            let files = files_in(&dir);
            assert!(
                files
                    .iter()
                    .any(|f| f.extension().is_some_and(|e| e == "tf")),
                "{} has no .tf example",
                dir.display()
            );
            if kind == "resources" {
                for needed in ["resource.tf", "import.sh", "import-by-string-id.tf"] {
                    assert!(
                        dir.join(needed).is_file(),
                        "{} lacks {needed}",
                        dir.display()
                    );
                }
                let import_sh = std::fs::read_to_string(dir.join("import.sh")).unwrap();
                let type_name = dir.file_name().unwrap().to_str().unwrap();
                assert!(
                    import_sh.contains(&format!("terraform import '{type_name}."))
                        || import_sh.contains(&format!("terraform import {type_name}.")),
                    "{} does not import a {type_name}",
                    dir.display()
                );
            }
            // The two import forms target the same address, so each is checked on its own
            // beside the resource; an `identity` in an import block needs Terraform 1.12.
            let without = |name: &str| -> Vec<PathBuf> {
                files
                    .iter()
                    .filter(|f| !f.ends_with(name))
                    .cloned()
                    .collect()
            };
            assert_valid(
                &workdir_with(&without("import-by-identity.tf")),
                &dir.display().to_string(),
            );
            if dir.join("import-by-identity.tf").is_file() && terraform_at_least(1, 12) {
                assert_valid(
                    &workdir_with(&without("import-by-string-id.tf")),
                    &format!("{}/import-by-identity.tf", dir.display()),
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 11, "only {checked} examples found");
}

#[test]
fn every_action_example_validates() {
    let root = examples_dir().join("actions");
    let dirs = subdirs(&root);
    let names: Vec<&str> = dirs
        .iter()
        .map(|d| d.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(names, ["dr_failback", "dr_failover", "dr_test"]);
    for dir in &dirs {
        let type_name = dir.file_name().unwrap().to_str().unwrap();
        let example = std::fs::read_to_string(dir.join("action.tf"))
            .unwrap_or_else(|e| panic!("{}/action.tf: {e}", dir.display()));
        assert!(
            example.contains(&format!("action \"{type_name}\" ")),
            "{} does not declare a {type_name} action",
            dir.display()
        );
        assert!(
            example.contains(&format!("-invoke=action.{type_name}.")),
            "{} does not show how to invoke it",
            dir.display()
        );
        if !terraform_at_least(1, 14) {
            if is_opentofu() {
                skip(
                    &format!("validating examples/actions/{type_name}"),
                    "OpenTofu has no `action` blocks (Terraform 1.14+); \
                     action_examples_are_refused_before_terraform_1_14 checks the refusal",
                );
            }
            continue;
        }
        assert_valid(&workdir_with(&files_in(dir)), &dir.display().to_string());
    }
    // The DR test runs from a lifecycle trigger too; validation above proved the syntax.
    let drill = std::fs::read_to_string(root.join("dr_test/action.tf")).unwrap();
    assert!(drill.contains("action_trigger {"), "{drill}");
}

#[test]
fn action_examples_are_refused_before_terraform_1_14() {
    if terraform_at_least(1, 14) || !terraform_at_least(1, 11) {
        // From 1.14 they validate (above); before 1.11 the provider's other examples are
        // already out of reach.
        return;
    }
    let wd = workdir_with(&files_in(&examples_dir().join("actions/dr_test")));
    wd.expect_error(&["validate", "-no-color"], "Unsupported block type");
}

/// A working directory holding `files` (`.tf` and `.tfquery.hcl`), plus the provider
/// requirement when none of them declares it.
fn query_workdir_with(files: &[PathBuf]) -> WorkDir {
    let wd = workdir_with(files);
    for file in files
        .iter()
        .filter(|f| f.to_str().is_some_and(|p| p.ends_with(".tfquery.hcl")))
    {
        let text = std::fs::read_to_string(file).unwrap();
        wd.write(file.file_name().unwrap().to_str().unwrap(), &text);
    }
    wd
}

fn assert_query_valid(wd: &WorkDir, what: &str) {
    let out = wd.run(&["validate", "-query", "-no-color"]);
    assert_eq!(
        out.code,
        0,
        "{what} does not validate (-query):\n{}",
        out.combined()
    );
}

#[test]
fn every_list_resource_and_query_example_validates() {
    let root = examples_dir();
    let listed = subdirs(&root.join("list-resources"));
    let names: Vec<&str> = listed
        .iter()
        .map(|d| d.file_name().unwrap().to_str().unwrap())
        .collect();
    // Every managed type can be found with terraform query.
    let resources = subdirs(&root.join("resources"));
    let resource_names: Vec<&str> = resources
        .iter()
        .map(|d| d.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(names, resource_names);
    for dir in &resources {
        assert!(
            dir.join("import-by-identity.tf").is_file(),
            "{} lacks import-by-identity.tf",
            dir.display()
        );
    }
    let query = root.join("query/adopt.tfquery.hcl");
    let adopt = std::fs::read_to_string(&query).unwrap();
    for type_name in &names {
        assert!(
            adopt.contains(&format!("list \"{type_name}\" ")),
            "{} does not find any {type_name}",
            query.display()
        );
    }
    if !terraform_at_least(1, 14) {
        if is_opentofu() {
            skip(
                "validating examples/list-resources and examples/query",
                "OpenTofu has no list resources or `terraform query` (Terraform 1.14+)",
            );
        }
        return;
    }
    for dir in &listed {
        let type_name = dir.file_name().unwrap().to_str().unwrap();
        let example = dir.join("list-resource.tfquery.hcl");
        let text = std::fs::read_to_string(&example)
            .unwrap_or_else(|e| panic!("{}: {e}", example.display()));
        assert!(
            text.contains(&format!("list \"{type_name}\" ")),
            "{} does not list any {type_name}",
            example.display()
        );
        assert_query_valid(
            &query_workdir_with(&files_in(dir)),
            &example.display().to_string(),
        );
    }
    assert_query_valid(
        &query_workdir_with(&files_in(&root.join("query"))),
        "examples/query",
    );
}

#[test]
fn every_provider_configuration_example_validates() {
    if !terraform_at_least(1, 11) {
        return;
    }
    let dir = examples_dir().join("provider");
    let files = files_in(&dir);
    assert!(
        files.len() >= 5,
        "expected the provider example and its authentication variants"
    );
    for file in files {
        // Each variant has its own provider block, so each is checked on its own.
        assert_valid(
            &workdir_with(std::slice::from_ref(&file)),
            &file.display().to_string(),
        );
    }
}

fn complete_workdir() -> WorkDir {
    let dir = examples_dir().join("complete");
    let wd = workdir_with(&files_in(&dir));
    std::fs::create_dir_all(wd.path().join("tests")).unwrap();
    for test in files_in(&dir.join("tests")) {
        std::fs::copy(
            &test,
            wd.path().join("tests").join(test.file_name().unwrap()),
        )
        .unwrap();
    }
    wd
}

#[test]
fn complete_example_validates_and_its_mock_provider_tests_pass() {
    let wd = complete_workdir();
    if !terraform_at_least(1, 11) {
        // 1.8 to 1.10 read the file and refuse the version; older ones cannot even parse the
        // provider-function call.
        wd.expect_error(
            &["validate", "-no-color"],
            "Unsupported Terraform Core version|Missing argument separator",
        );
        return;
    }
    assert_valid(&wd, "examples/complete");
    let out = wd.run(&["test", "-no-color"]);
    assert_eq!(out.code, 0, "terraform test failed:\n{}", out.combined());
    assert!(
        out.stdout.contains("4 passed, 0 failed"),
        "unexpected terraform test summary:\n{}",
        out.stdout
    );
}

#[test]
fn complete_example_takes_the_landing_zone_outputs_by_name() {
    let variables = std::fs::read_to_string(examples_dir().join("complete/variables.tf")).unwrap();
    for name in [
        "powervs_workspace_guid",
        "powervs_workspace_id",
        "powervs_management_subnet",
        "transit_gateway_id",
        "vpc_data",
    ] {
        assert!(
            variables.contains(&format!("variable \"{name}\"")),
            "examples/complete lacks the landing-zone variable {name}"
        );
    }
    let tfvars =
        std::fs::read_to_string(examples_dir().join("complete/terraform.tfvars.example")).unwrap();
    assert!(tfvars.contains("powervs_workspace_guid"));
}
