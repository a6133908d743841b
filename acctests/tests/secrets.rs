//! Nothing leaked, no one let in, checked on the real thing: Terraform at `TF_LOG=TRACE`
//! driving the provider against dr-cloudsim.
//!
//! - The API key, every IAM access and refresh token and the orchestrator password never
//!   appear in Terraform's log file (which also carries the provider's stderr), in Terraform's
//!   output, in the plan JSON, or in the state when the password is write-only. Tokens rotate
//!   (a short token lifetime), so they are found by shape (JWTs) as well as by value.
//! - The `orchestrator_ssh` password and private key (from ephemeral variables, used through
//!   the jump host for real `ksysmgr` commands) never appear in any of those either.
//! - The provider process Terraform starts serves on a unix socket in a private directory and
//!   listens on no TCP port at all, checked in `/proc` while it serves.
//!
//! The protocol-level half (who may call the plugin) is in framework/tests/security.rs.
//! Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use acctests::fixtures::{PRIMARY, PROVIDER_HEADER, security_group_rule, single_port};
use acctests::sim::{API_KEY, Sim};
use acctests::{WorkDir, terraform_at_least};
use serde_json::json;

const PASSWORD: &str = "Wo-Secret-Passw0rd-7";
const MANAGED_KEY: &str = "managed-api-key-0f3c9a";

/// The password comes from an ephemeral variable, as examples/complete does: a literal in the
/// configuration would be printed by Terraform itself in the plan JSON's `configuration`.
fn config(sim: &Sim) -> String {
    let sg = sim.id_by_name("vpc", "security_groups", "management-sg", "id");
    format!(
        r#"{PROVIDER_HEADER}
variable "orchestrator_password" {{
  type      = string
  sensitive = true
  ephemeral = true
}}

resource "dr_orchestrator" "o" {{
  name                             = "drsecret"
  orchestrator_user                = "admin"
  workspace_id                     = "{ws}"
  machine_type                     = "s922"
  orchestrator_password_wo         = var.orchestrator_password
  orchestrator_password_wo_version = 1
  managed_api_key                  = "{MANAGED_KEY}"
}}
{rule}
data "dr_workspaces" "all" {{}}
"#,
        ws = sim.workspace_id(PRIMARY),
        rule = single_port(security_group_rule("r", &sg, "10.51.0.0/24"), "tcp", 2222),
    )
}

/// A token pair issued by the emulator's IAM for the scenario's API key.
fn issue_tokens(sim: &Sim) -> (String, String) {
    let resp = sim.iam_token_grant();
    (
        resp["access_token"].as_str().unwrap().to_string(),
        resp["refresh_token"].as_str().unwrap().to_string(),
    )
}

/// Where one of `secrets` (or anything shaped like an IAM token) shows up in `text`.
fn leaks(what: &str, text: &str, secrets: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = secrets
        .iter()
        .filter(|s| text.contains(*s))
        .map(|s| format!("{what} contains the secret {s:?}"))
        .collect();
    // IAM tokens are JWTs (base64url JSON: `eyJ...`); refresh tokens are opaque base64url JSON.
    let jwt = regex::Regex::new(r"eyJ[A-Za-z0-9_-]{20,}").unwrap();
    found.extend(
        jwt.find_iter(text)
            .take(3)
            .map(|m| format!("{what} contains a token-shaped string {:?}", m.as_str())),
    );
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Runs Terraform commands with TRACE logging into `log` and gathers where a secret showed
/// up, so a test reports every leak at once rather than the first.
struct LeakCheck<'a> {
    wd: &'a WorkDir,
    log: &'a Path,
    problems: Vec<String>,
    /// The TRACE log of every command run so far.
    logs: String,
}

impl<'a> LeakCheck<'a> {
    fn new(wd: &'a WorkDir, log: &'a Path) -> LeakCheck<'a> {
        LeakCheck {
            wd,
            log,
            problems: Vec::new(),
            logs: String::new(),
        }
    }

    /// Runs `args`, which must succeed, and checks what Terraform printed (`what`) for
    /// `secrets`; keeps the command's log.
    fn run(&mut self, what: &str, args: &[&str], secrets: &[&str]) {
        let _ = std::fs::remove_file(self.log);
        let output = self.wd.run_ok(args).combined();
        self.check(what, &output, secrets);
        self.logs.push_str(&read(self.log));
    }

    /// `terraform plan -out=tfplan`, checked as "plan output"; returns the saved plan's JSON,
    /// which the caller checks after its own assertions.
    fn plan(&mut self, secrets: &[&str]) -> String {
        let args = ["plan", "-input=false", "-no-color", "-out=tfplan"];
        self.run("plan output", &args, secrets);
        let show = ["show", "-json", "-no-color", "tfplan"];
        self.wd.run_ok(&show).stdout
    }

    /// Plans (the saved plan's JSON must mention `plan_mentions`), applies and plans again,
    /// checking every output and the plan JSON for `secrets`, and that the provider logged.
    fn plan_apply_refresh(&mut self, plan_mentions: &str, secrets: &[&str], json_secrets: &[&str]) {
        let plan_json = self.plan(secrets);
        assert!(plan_json.contains(plan_mentions), "{plan_json}");
        self.check("plan JSON", &plan_json, json_secrets);
        self.run("apply output", &APPLY, secrets);
        self.run("refresh output", &REFRESH, secrets);
        assert_provider_logged(&self.logs);
    }

    fn check(&mut self, what: &str, text: &str, secrets: &[&str]) {
        self.problems.extend(leaks(what, text, secrets));
    }

    /// The logs of every command and the state checked for `secrets`; then no leak may be left.
    fn assert_no_leaks(mut self, log_secrets: &[&str], state_secrets: &[&str]) {
        let logs = std::mem::take(&mut self.logs);
        self.check("Terraform's TRACE log", &logs, log_secrets);
        let state = self.wd.raw_state();
        self.check("the state", &state, state_secrets);
        assert!(self.problems.is_empty(), "{}", self.problems.join("\n"));
    }
}

const APPLY: [&str; 4] = ["apply", "-auto-approve", "-input=false", "-no-color"];
const REFRESH: [&str; 4] = ["plan", "-input=false", "-no-color", "-refresh=true"];

fn assert_provider_logged(log: &str) {
    // The check is only meaningful if the provider really logged at TRACE into this file.
    assert!(
        log.contains("provider.terraform-provider-dr"),
        "no provider lines in the TRACE log"
    );
    assert!(
        log.contains("/rc/v2/resource_instances") || log.contains("resource_instances"),
        "the provider's HTTP calls are not in the TRACE log"
    );
}

#[test]
fn api_key_tokens_and_passwords_stay_out_of_logs_plan_and_state() {
    if !terraform_at_least(1, 11) {
        return; // the write-only password needs Terraform 1.11
    }
    let sim = Sim::start(200.0);
    // Tokens expire quickly, so several are issued and refreshed during the runs.
    sim.set_faults(json!({"rules": [], "token_lifetime_seconds": 2}));
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("terraform.log");
    let wd = sim
        .workdir()
        .env("TF_VAR_orchestrator_password", PASSWORD)
        .env("TF_LOG", "TRACE")
        .env("TF_LOG_PATH", log.to_str().unwrap());
    wd.config(&config(&sim));
    let secrets = [API_KEY, PASSWORD];
    let with_managed_key = [API_KEY, PASSWORD, MANAGED_KEY];

    let mut check = LeakCheck::new(&wd, &log);
    check.plan_apply_refresh("dr_orchestrator", &with_managed_key, &secrets);
    let tokens_issued = sim.count_requests(|m, r| m == "POST" && r.starts_with("/iam/"));
    assert!(tokens_issued > 1, "tokens did not rotate ({tokens_issued})");
    // The write-only password is in no state; the API key and tokens never are.
    check.assert_no_leaks(&with_managed_key, &secrets);
}

#[test]
fn orchestrator_ssh_password_and_key_stay_out_of_logs_plan_and_state() {
    if !terraform_at_least(1, 11) {
        return; // ephemeral variables and the write-only password need Terraform 1.11
    }
    let sim = Sim::start(300.0);
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("terraform.log");
    let key = sim.acc_private_key();
    let wd = sim
        .workdir_without_ssh()
        .env("TF_VAR_orchestrator_password", PASSWORD)
        .env("TF_VAR_ssh_key", &key)
        .env("TF_LOG", "TRACE")
        .env("TF_LOG_PATH", log.to_str().unwrap());
    let vm = sim
        .objects("power", "pvm_instances")
        .iter()
        .find(|v| v["serverName"] == "aix-app-01")
        .and_then(|v| v["pvmInstanceID"].as_str().map(str::to_string))
        .unwrap();
    wd.config(&format!(
        r#"{PROVIDER_HEADER}
variable "orchestrator_password" {{
  type      = string
  sensitive = true
  ephemeral = true
}}

variable "ssh_key" {{
  type      = string
  sensitive = true
  ephemeral = true
}}

provider "dr" {{
  orchestrator_ssh {{
    password                 = var.orchestrator_password
    private_key              = var.ssh_key
    known_hosts_file         = "known_hosts"
    strict_host_key_checking = "accept-new"
    jump_host {{
      address   = "{jump}"
      user      = "jump"
      host_keys = ["{jump_key}"]
    }}
  }}
}}

resource "dr_orchestrator" "o" {{
  name                             = "drsshsecret"
  orchestrator_user                = "admin"
  workspace_id                     = "{ws}"
  machine_type                     = "s922"
  orchestrator_password_wo         = var.orchestrator_password
  orchestrator_password_wo_version = 1
}}

resource "dr_managed_vm" "app" {{
  orchestrator_id = dr_orchestrator.o.id
  pvm_instance_id = "{vm}"
}}
"#,
        jump = sim.ssh_addr(),
        jump_key = sim.jump_host_key(),
        ws = sim.workspace_id(PRIMARY),
    ));
    // The key's body, line by line: any of them in a log is a leak.
    let key_lines: Vec<&str> = key
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .collect();
    assert!(!key_lines.is_empty());
    let mut secrets: Vec<&str> = vec![PASSWORD];
    secrets.extend(key_lines.iter().copied());

    let mut check = LeakCheck::new(&wd, &log);
    check.plan_apply_refresh("dr_managed_vm", &secrets, &secrets);
    assert!(
        check.logs.contains("ksysmgr"),
        "the provider's ksysmgr commands are not in the TRACE log"
    );
    assert_eq!(
        sim.objects("ksys", "vms").len(),
        1,
        "the VM was managed over SSH"
    );
    check.assert_no_leaks(&secrets, &secrets);
    wd.destroy();
}

#[test]
fn iam_token_from_the_environment_stays_out_of_logs_plan_and_state() {
    let sim = Sim::start(200.0);
    let (access, refresh) = issue_tokens(&sim);
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("terraform.log");
    let sg = sim.id_by_name("vpc", "security_groups", "management-sg", "id");
    // Schematics-style credentials: a token and its refresh token, no API key.
    let wd = sim
        .workdir()
        .env("IC_API_KEY", "")
        .env("IC_IAM_TOKEN", &access)
        .env("IC_IAM_REFRESH_TOKEN", &refresh)
        .env("TF_LOG", "TRACE")
        .env("TF_LOG_PATH", log.to_str().unwrap());
    wd.config(&format!(
        r#"{PROVIDER_HEADER}{rule}
data "dr_workspace_subnets" "primary" {{
  workspace_id = "{ws}"
}}
"#,
        rule = security_group_rule("r", &sg, "10.61.0.0/24"),
        ws = sim.workspace_id(PRIMARY),
    ));
    let secrets = [access.as_str(), refresh.as_str(), API_KEY];
    let mut check = LeakCheck::new(&wd, &log);
    let plan_json = check.plan(&secrets);
    check.check("plan JSON", &plan_json, &secrets);
    check.run("apply output", &APPLY, &secrets);

    assert!(
        check.logs.contains("provider.terraform-provider-dr"),
        "no provider lines in the TRACE log"
    );
    // The token was used, not replaced by an API key login.
    assert_eq!(
        sim.count_requests(|m, r| m == "POST" && r.starts_with("/iam/")),
        1,
        "only the test itself asked IAM for a token"
    );
    check.assert_no_leaks(&secrets, &secrets);
}

// ---------------------------------------------------------------------------------------------
// The provider process, as Terraform runs it

/// Child processes of `parent` whose command name starts with `prefix`.
fn children(parent: u32, prefix: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = read(&entry.path().join("stat"));
        // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        let Some((head, tail)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map(|(_, c)| c).unwrap_or_default();
        let ppid = tail
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) && comm.starts_with(prefix) {
            found.push(pid);
        }
    }
    found
}

/// Inodes of the sockets process `pid` holds open.
fn socket_inodes(pid: u32) -> BTreeSet<u64> {
    let mut inodes = BTreeSet::new();
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if let Ok(target) = std::fs::read_link(fd.path()) {
            let target = target.to_string_lossy().into_owned();
            if let Some(inode) = target
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse().ok())
            {
                inodes.insert(inode);
            }
        }
    }
    inodes
}

/// Listening TCP sockets among `inodes`, as (local address in /proc hex form, inode).
fn tcp_listeners(pid: u32, inodes: &BTreeSet<u64>) -> Vec<(String, u64)> {
    let mut listeners = Vec::new();
    for table in ["tcp", "tcp6"] {
        for line in read(Path::new(&format!("/proc/{pid}/net/{table}")))
            .lines()
            .skip(1)
        {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            let inode: u64 = inode.parse().unwrap_or(0);
            if *state == "0A" && inodes.contains(&inode) {
                listeners.push((local.to_string(), inode));
            }
        }
    }
    listeners
}

/// Paths of the unix sockets among `inodes` that are bound to a path (the listener and the
/// connections it accepted show the same path).
fn unix_socket_paths(pid: u32, inodes: &BTreeSet<u64>) -> Vec<PathBuf> {
    read(Path::new(&format!("/proc/{pid}/net/unix")))
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let inode: u64 = fields.get(6)?.parse().ok()?;
            let path = fields.get(7)?;
            (inodes.contains(&inode) && path.starts_with('/')).then(|| PathBuf::from(path))
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[test]
fn provider_started_by_terraform_serves_only_on_a_private_unix_socket() {
    use std::os::unix::fs::PermissionsExt as _;
    if !terraform_at_least(1, 11) {
        return;
    }
    // The deployment is held at step 3, so the provider is still waiting for it while we look.
    let sim = Sim::start(200.0);
    let wd = sim.workdir();
    wd.config(&config(&sim));
    let (apply, _) = sim.spawn_apply_held(
        &wd,
        &[("TF_VAR_orchestrator_password", PASSWORD)],
        "dra.deploy.step3",
    );
    let provider = *children(apply.id(), "terraform-provi")
        .first()
        .expect("the provider process Terraform started");

    let environ = read(Path::new(&format!("/proc/{provider}/environ")));
    assert!(
        environ
            .split('\0')
            .any(|v| v.starts_with("PLUGIN_CLIENT_CERT=-----BEGIN")),
        "Terraform started the provider without AutoMTLS"
    );
    let inodes = socket_inodes(provider);
    let listeners = tcp_listeners(provider, &inodes);
    assert!(
        listeners.is_empty(),
        "the provider listens on TCP: {listeners:?}"
    );
    let sockets = unix_socket_paths(provider, &inodes);
    assert_eq!(sockets.len(), 1, "unix sockets: {sockets:?}");
    let socket = &sockets[0];
    let dir = socket.parent().unwrap();
    let dir_mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    let socket_mode = std::fs::metadata(socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700, "{} is {dir_mode:o}", dir.display());
    assert_eq!(
        socket_mode & 0o077,
        0,
        "{} is {socket_mode:o}",
        socket.display()
    );

    sim.release_hold("dra.deploy.step3");
    let out = apply.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.exists(), "the socket directory outlived the provider");
}

/// IBM manage_dr's secrets (`api_key`, MFA's `client_secret`), write-only from ephemeral
/// variables: they reach DR Automation, and appear in no log, output, plan JSON or state.
#[test]
fn manage_dr_write_only_secrets_stay_out_of_logs_plan_and_state() {
    if !terraform_at_least(1, 11) {
        return; // write-only arguments and ephemeral variables need Terraform 1.11
    }
    const MFA_SECRET: &str = "Mfa-Client-Secret-5d20a";
    let sim = Sim::start(200.0);
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("terraform.log");
    let wd = sim
        .workdir()
        .env("TF_VAR_orchestrator_password", PASSWORD)
        // DR Automation checks the key with IAM: the account's key, as users pass it.
        .env("TF_VAR_dr_api_key", API_KEY)
        .env("TF_VAR_mfa_secret", MFA_SECRET)
        .env("TF_LOG", "TRACE")
        .env("TF_LOG_PATH", log.to_str().unwrap());
    let variables = ["orchestrator_password", "dr_api_key", "mfa_secret"]
        .iter()
        .map(|v| format!("variable \"{v}\" {{\n  type      = string\n  sensitive = true\n  ephemeral = true\n}}\n"))
        .collect::<String>();
    wd.config(&format!(
        r#"{PROVIDER_HEADER}
{variables}
resource "dr_orchestrator" "o" {{
  name                             = "drmdsecret"
  orchestrator_user                = "admin"
  workspace_id                     = "{ws}"
  machine_type                     = "s922"
  orchestrator_password_wo         = var.orchestrator_password
  orchestrator_password_wo_version = 1
  api_key_wo                       = var.dr_api_key
  api_key_wo_version               = 1
  client_id                        = "mfa-client"
  tenant_name                      = "dr-tenant"
  client_secret_wo                 = var.mfa_secret
  client_secret_wo_version         = 1
}}
"#,
        ws = sim.workspace_id(PRIMARY),
    ));
    let secrets = [API_KEY, PASSWORD, MFA_SECRET];

    let mut check = LeakCheck::new(&wd, &log);
    check.plan_apply_refresh("api_key_wo_version", &secrets, &secrets);
    check.assert_no_leaks(&secrets, &secrets);

    // They did reach DR Automation (the emulator keeps only their lengths).
    let id = wd.string_attribute("dr_orchestrator.o", "id");
    let body = &sim.object("dra", "deployments", &id)["_manage_dr_request"]["body"];
    let shown = |value: &str| format!("[secret: {} characters]", value.chars().count());
    assert_eq!(body["api_key"], shown(API_KEY), "{body}");
    assert_eq!(body["client_secret"], shown(MFA_SECRET), "{body}");
    assert_eq!(body["client_id"], "mfa-client", "{body}");
    wd.destroy();
}
