//! Project commands that are not part of the provider.
//!
//! `cargo run -p xtask -- docs [--check] [--schema FILE]` regenerates `docs/` (or, with
//! `--check`, fails when `docs/` differs from what it would write, so CI catches a schema change
//! without its docs). The schema comes from the real Terraform CLI (`terraform providers schema
//! -json` against a fresh debug build through `dev_overrides`), so the docs describe what users
//! actually get; `--schema` renders a saved schema instead. The generator is in Rust so it runs
//! wherever the project builds, without Go's tfplugindocs.
//!
//! `cargo run -p xtask -- schema` prints that schema JSON.
//!
//! `cargo run -p xtask -- modules` lists the cycles between sibling modules of every crate of
//! the workspace ([`modules`]); a test keeps them to the known list in [`modules::KNOWN_CYCLES`].

mod modules;
mod render;
mod schema;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use render::{Examples, Guide, ProviderNames, render_all};
use schema::{ProviderSchema, ProvidersSchema};

/// Registry address of the provider, as `providers schema -json` keys it.
const ADDRESS: &str = "registry.terraform.io/powervs/dr";
const NAMES: ProviderNames<'static> = ProviderNames {
    type_name: "dr",
    source: "powervs/dr",
};
/// The docs directories this generator owns; `docs/guides` is written by hand.
const GENERATED_DIRS: [&str; 6] = [
    "resources",
    "data-sources",
    "ephemeral-resources",
    "list-resources",
    "actions",
    "functions",
];

#[derive(Debug, thiserror::Error)]
enum XtaskError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not run {command}: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("{command} failed ({status}):\n{stderr}")]
    Command {
        command: String,
        status: std::process::ExitStatus,
        stderr: String,
    },
    #[error("the provider schema is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the schema has no provider {ADDRESS}")]
    NoProvider,
    #[error(
        "docs/ is out of date; run `cargo run -p xtask -- docs` and commit the result:\n  {}",
        .0.join("\n  ")
    )]
    Drift(Vec<String>),
    #[error("examples are missing (add them, then regenerate):\n  {}", .0.join("\n  "))]
    MissingExamples(Vec<String>),
    #[error("{0} new module cycles (ARCHITECTURE.md: modules point down)")]
    Cycles(usize),
    #[error("usage: cargo run -p xtask -- docs [--check] [--schema FILE] | schema | modules")]
    Usage,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> XtaskError + '_ {
    move |source| XtaskError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), XtaskError> {
    let root = workspace_root();
    match args.first().map(String::as_str) {
        Some("docs") => {
            let mut check = false;
            let mut schema_file = None;
            let mut rest = args[1..].iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "--check" => check = true,
                    "--schema" => schema_file = Some(rest.next().ok_or(XtaskError::Usage)?),
                    _ => return Err(XtaskError::Usage),
                }
            }
            let raw = match schema_file {
                Some(file) => {
                    let path = PathBuf::from(file);
                    std::fs::read_to_string(&path).map_err(io_error(&path))?
                }
                None => schema_json(&root)?,
            };
            docs(&root, &raw, check)
        }
        Some("schema") => {
            println!("{}", schema_json(&root)?);
            Ok(())
        }
        Some("modules") => {
            let mut new = 0;
            for krate in modules::CRATES {
                let src = root.join(krate);
                for cycle in modules::cycles(&src).map_err(io_error(&src))? {
                    let key = format!("{krate}: {}", cycle.key());
                    match modules::KNOWN_CYCLES
                        .iter()
                        .find(|(known, _)| *known == key)
                    {
                        Some((_, why)) => print!("{krate} (known: {why}): {cycle}"),
                        None => {
                            print!("{krate} (new): {cycle}");
                            new += 1;
                        }
                    }
                }
            }
            match new {
                0 => Ok(()),
                n => Err(XtaskError::Cycles(n)),
            }
        }
        _ => Err(XtaskError::Usage),
    }
}

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn run_command(cmd: &mut Command, what: &str) -> Result<String, XtaskError> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|source| XtaskError::Spawn {
            command: what.to_string(),
            source,
        })?;
    if !out.status.success() {
        return Err(XtaskError::Command {
            command: what.to_string(),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Builds the provider, then asks Terraform for its schema through `dev_overrides`, with no
/// `terraform init` and no registry.
fn schema_json(root: &Path) -> Result<String, XtaskError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("xtask: building terraform-provider-dr");
    run_command(
        Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "terraform-provider-dr",
                "--bin",
                "terraform-provider-dr",
            ])
            .current_dir(root)
            .stderr(Stdio::inherit()),
        "cargo build -p terraform-provider-dr",
    )?;
    let terraform = match std::env::var("TERRAFORM") {
        Ok(path) => path,
        Err(_) => run_command(
            Command::new(root.join("scripts/install-terraform.sh")).stderr(Stdio::inherit()),
            "scripts/install-terraform.sh",
        )?
        .trim()
        .to_string(),
    };
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bins = target.join("debug");
    let dir = tempfile::Builder::new()
        .prefix("xtask-schema-")
        .tempdir()
        .map_err(io_error(Path::new("temporary directory")))?;
    let cli_config = dir.path().join(".terraformrc");
    let write = |path: &Path, text: String| std::fs::write(path, text).map_err(io_error(path));
    write(
        &cli_config,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{}\" = {:?}\n  }}\n  direct {{}}\n}}\n",
            NAMES.source,
            bins.display().to_string()
        ),
    )?;
    write(
        &dir.path().join("main.tf"),
        format!(
            "terraform {{\n  required_providers {{\n    dr = {{ source = \"{}\" }}\n  }}\n}}\n",
            NAMES.source
        ),
    )?;
    run_command(
        Command::new(terraform)
            .args(["providers", "schema", "-json"])
            .current_dir(dir.path())
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env_remove("TF_LOG"),
        "terraform providers schema -json",
    )
}

/// Examples read from `examples/` on disk.
struct FsExamples(PathBuf);

impl Examples for FsExamples {
    fn read(&self, relative: &str) -> Option<String> {
        std::fs::read_to_string(self.0.join(relative)).ok()
    }

    fn list(&self, relative_dir: &str) -> Vec<String> {
        list_files(&self.0.join(relative_dir), "")
    }
}

/// Sorted file names in `dir` that end with `suffix`; empty when the directory is absent.
fn list_files(dir: &Path, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(suffix))
        .collect();
    names.sort();
    names
}

/// The guides with their titles, taken from each page's `page_title` front matter line.
fn read_guides(dir: &Path) -> Result<Vec<Guide>, XtaskError> {
    let mut guides = Vec::new();
    for name in list_files(dir, ".md") {
        let path = dir.join(&name);
        let text = std::fs::read_to_string(&path).map_err(io_error(&path))?;
        let stem = name.trim_end_matches(".md").to_string();
        let title = text
            .lines()
            .find_map(|l| l.strip_prefix("page_title:"))
            .map(|t| t.trim().trim_matches('"').to_string())
            .unwrap_or_else(|| stem.clone());
        guides.push(Guide { stem, title });
    }
    Ok(guides)
}

fn docs(root: &Path, raw_schema: &str, check: bool) -> Result<(), XtaskError> {
    let parsed: ProvidersSchema = serde_json::from_str(raw_schema)?;
    let provider: &ProviderSchema = parsed
        .provider_schemas
        .get(ADDRESS)
        .ok_or(XtaskError::NoProvider)?;
    let docs_dir = root.join("docs");
    let guides = read_guides(&docs_dir.join("guides"))?;
    let rendered = render_all(
        provider,
        &NAMES,
        &FsExamples(root.join("examples")),
        &guides,
    );

    // Generated pages on disk that the schema no longer has.
    let existing: BTreeSet<String> = GENERATED_DIRS
        .iter()
        .flat_map(|dir| {
            list_files(&docs_dir.join(dir), ".md")
                .into_iter()
                .map(move |n| format!("{dir}/{n}"))
        })
        .collect();
    let stale: Vec<&String> = existing
        .iter()
        .filter(|p| !rendered.pages.contains_key(*p))
        .collect();

    if check {
        let mut drift: Vec<String> = stale
            .iter()
            .map(|p| format!("docs/{p} documents something the schema no longer has"))
            .collect();
        for (path, text) in &rendered.pages {
            match std::fs::read_to_string(docs_dir.join(path)) {
                Ok(on_disk) if on_disk == *text => {}
                Ok(_) => drift.push(format!("docs/{path} differs")),
                Err(_) => drift.push(format!("docs/{path} is missing")),
            }
        }
        if !drift.is_empty() {
            return Err(XtaskError::Drift(drift));
        }
        if !rendered.missing_examples.is_empty() {
            return Err(XtaskError::MissingExamples(rendered.missing_examples));
        }
        eprintln!(
            "xtask: docs/ is up to date ({} pages)",
            rendered.pages.len()
        );
        return Ok(());
    }

    for (path, text) in &rendered.pages {
        let file = docs_dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        std::fs::write(&file, text).map_err(io_error(&file))?;
    }
    for path in stale {
        let file = docs_dir.join(path);
        std::fs::remove_file(&file).map_err(io_error(&file))?;
    }
    eprintln!("xtask: wrote {} pages under docs/", rendered.pages.len());
    for missing in &rendered.missing_examples {
        eprintln!("xtask: warning: missing example {missing}");
    }
    Ok(())
}
