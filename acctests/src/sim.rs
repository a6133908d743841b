//! A `dr-cloudsim` process for one acceptance test, and its `/_sim/` control API.
//!
//! Tests run the real binary (not the library in-process) so a test can also kill and
//! restart it; the provider reaches it through the IBM endpoint environment variables, so test
//! configurations carry no provider block, as in terraform-provider-aws's conventions.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::{WorkDir, binary};

/// The default API key of the emulator's scenario.
pub const API_KEY: &str = "sim-api-key";

/// The orchestrator password of the acceptance tests' deployments (their root password).
pub const ORCHESTRATOR_PASSWORD: &str = "Passw0rd-Secret!";
/// The default scenario's PowerVS SSH key: the jump host's login, and root's on orchestrators
/// deployed with `ssh_key_name = ACC_KEY_NAME`. dr-cloudsim hands out its private key.
pub const ACC_KEY_NAME: &str = "slz-ssh-key";

/// A running emulator; killed on drop.
pub struct Sim {
    child: Child,
    url: String,
    ssh_addr: String,
    state_file: Option<PathBuf>,
    extra_args: Vec<String>,
    http: reqwest::blocking::Client,
}

impl Sim {
    /// Starts the emulator on a free port with the default scenario. `time_scale` speeds up every
    /// asynchronous transition (deployments take minutes at 1.0).
    pub fn start(time_scale: f64) -> Sim {
        Sim::start_with(&["--time-scale", &time_scale.to_string()], None)
    }

    /// Starts the emulator persisting to `state_file`, so a test can kill and restart it.
    pub fn start_persistent(time_scale: f64, state_file: &Path) -> Sim {
        Sim::start_with(
            &["--time-scale", &time_scale.to_string()],
            Some(state_file.to_path_buf()),
        )
    }

    fn start_with(args: &[&str], state_file: Option<PathBuf>) -> Sim {
        let extra_args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (child, url, ssh_addr) = spawn(&extra_args, state_file.as_deref(), "127.0.0.1:0");
        Sim {
            child,
            url,
            ssh_addr,
            state_file,
            extra_args,
            // Long enough for `hold_reached`'s wait inside the emulator.
            http: reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(330))
                .build()
                .expect("HTTP client"),
        }
    }

    /// `kill -9`, then a restart on the same port from the state file.
    pub fn kill_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let listen = self.url.trim_start_matches("http://").to_string();
        let mut args = self.extra_args.clone();
        args.extend(["--ssh-listen".to_string(), self.ssh_addr.clone()]);
        let (child, url, ssh_addr) = spawn(&args, self.state_file.as_deref(), &listen);
        self.child = child;
        self.url = url;
        self.ssh_addr = ssh_addr;
    }

    /// `kill -9` without restarting.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The environment that points the provider at this emulator.
    pub fn provider_env(&self) -> Vec<(String, String)> {
        let u = &self.url;
        vec![
            ("IC_API_KEY".into(), API_KEY.into()),
            ("IC_REGION".into(), "us-south".into()),
            ("IBMCLOUD_IAM_API_ENDPOINT".into(), format!("{u}/iam")),
            (
                "IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT".into(),
                format!("{u}/rc"),
            ),
            (
                "IBMCLOUD_RESOURCE_CATALOG_API_ENDPOINT".into(),
                format!("{u}/gc"),
            ),
            (
                "IBMCLOUD_RESOURCE_MANAGEMENT_API_ENDPOINT".into(),
                format!("{u}/rm"),
            ),
            ("IBMCLOUD_PI_API_ENDPOINT".into(), format!("{u}/power")),
            ("IBMCLOUD_IS_NG_API_ENDPOINT".into(), format!("{u}/vpc")),
            ("IBMCLOUD_TG_API_ENDPOINT".into(), format!("{u}/tg")),
            ("IBMCLOUD_DRA_API_ENDPOINT".into(), format!("{u}/dra")),
        ]
    }

    /// A working directory whose Terraform runs talk to this emulator, with orchestrator
    /// access through its jump host (the `DR_*` variables of `orchestrator_ssh`).
    pub fn workdir(&self) -> WorkDir {
        let wd = self.workdir_without_ssh();
        let known_hosts = wd.path().join("known_hosts").display().to_string();
        self.ssh_env(&known_hosts)
            .into_iter()
            .fold(wd, |wd, (k, v)| wd.env(&k, &v))
    }

    /// A working directory whose provider has no orchestrator access.
    pub fn workdir_without_ssh(&self) -> WorkDir {
        self.provider_env()
            .into_iter()
            .fold(WorkDir::new(), |wd, (k, v)| wd.env(&k, &v))
    }

    /// `127.0.0.1:PORT` of the SSH jump host.
    pub fn ssh_addr(&self) -> &str {
        &self.ssh_addr
    }

    /// `GET /_sim/ssh`: the jump host and the KSYS hosts with their host keys.
    pub fn ssh_info(&self) -> Value {
        self.call(reqwest::Method::GET, "/_sim/ssh", None)
    }

    /// The jump host's host key (OpenSSH public-key line).
    pub fn jump_host_key(&self) -> String {
        self.ssh_info()["jump_host"]["host_key"]
            .as_str()
            .expect("jump host key")
            .to_string()
    }

    /// The environment of `orchestrator_ssh` for this emulator: the jump host pinned, the
    /// orchestrators trusted on first use into `known_hosts`, root by the tests' password (or
    /// key, for deployments that name `ACC_KEY_NAME`).
    pub fn ssh_env(&self, known_hosts: &str) -> Vec<(String, String)> {
        vec![
            ("DR_JUMP_HOST_ADDRESS".into(), self.ssh_addr.clone()),
            ("DR_JUMP_HOST_USER".into(), "jump".into()),
            ("DR_JUMP_HOST_PRIVATE_KEY".into(), self.acc_private_key()),
            ("DR_JUMP_HOST_HOST_KEYS".into(), self.jump_host_key()),
            (
                "DR_ORCHESTRATOR_SSH_PASSWORD".into(),
                ORCHESTRATOR_PASSWORD.into(),
            ),
            (
                "DR_ORCHESTRATOR_SSH_PRIVATE_KEY".into(),
                self.acc_private_key(),
            ),
            (
                "DR_ORCHESTRATOR_SSH_STRICT_HOST_KEY_CHECKING".into(),
                "accept-new".into(),
            ),
            (
                "DR_ORCHESTRATOR_SSH_KNOWN_HOSTS_FILE".into(),
                known_hosts.to_string(),
            ),
        ]
    }

    /// The private key of the scenario's `slz-ssh-key` (OpenSSH format), from `/_sim/ssh`.
    pub fn acc_private_key(&self) -> String {
        self.ssh_info()["scenario_key"]["private_key"]
            .as_str()
            .expect("the scenario key")
            .to_string()
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status();
        let text = resp.text().unwrap_or_default();
        assert!(status.is_success(), "{method} {path} -> {status}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// One object as `/_sim/objects/...` shows it, internal `_` keys included (the emulator's
    /// records, e.g. a deployment's `_manage_dr_request`).
    pub fn object(&self, service: &str, collection: &str, id: &str) -> Value {
        self.call(
            reqwest::Method::GET,
            &format!("/_sim/objects/{service}/{collection}/{id}"),
            None,
        )
    }

    /// An IBM Cloud API call as a user's script makes it outside Terraform (a bearer token
    /// for the scenario's API key): out-of-band changes through the real APIs. Returns the
    /// status and the JSON body.
    pub fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let token: Value = self
            .http
            .post(format!("{}/iam/identity/token", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey={API_KEY}"
            ))
            .send()
            .and_then(|r| r.json())
            .expect("an IAM token for the scenario's API key");
        let bearer = token["access_token"].as_str().expect("access_token");
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .bearer_auth(bearer);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A PowerVS call on workspace `workspace_name` (`/power/pcloud/v1/cloud-instances/<guid>` +
    /// `tail`, with the workspace's `CRN` header), as the console or `ibmcloud pi` makes it.
    pub fn power_api(
        &self,
        workspace_name: &str,
        method: reqwest::Method,
        tail: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let workspace = self
            .objects("power", "workspaces")
            .into_iter()
            .find(|w| w["name"] == workspace_name)
            .unwrap_or_else(|| panic!("no workspace {workspace_name} in the scenario"));
        let guid = workspace["id"].as_str().unwrap_or_default().to_string();
        let crn = workspace["details"]["crn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.api(
            method,
            &format!("/power/pcloud/v1/cloud-instances/{guid}{tail}"),
            body,
            &[("CRN", crn.as_str())],
        )
    }

    /// Every object, as `/_sim/state` shows it.
    pub fn state(&self) -> Value {
        self.call(reqwest::Method::GET, "/_sim/state", None)
    }

    /// The objects of one collection, e.g. `("power", "pvm_instances")`.
    pub fn objects(&self, service: &str, collection: &str) -> Vec<Value> {
        let state = self.state();
        match state.get(service).and_then(|s| s.get(collection)) {
            Some(Value::Array(items)) => items.clone(),
            Some(Value::Object(map)) => map.values().cloned().collect(),
            _ => Vec::new(),
        }
    }

    pub fn requests(&self) -> Value {
        self.call(reqwest::Method::GET, "/_sim/requests", None)
    }

    pub fn reset_requests(&self) {
        self.call(reqwest::Method::DELETE, "/_sim/requests", None);
    }

    /// Commands run on KSYS hosts since the last reset, by what they do
    /// (`ksysmgr query vm`, `crontab -l`).
    pub fn ssh_commands(&self) -> std::collections::BTreeMap<String, u64> {
        self.requests()["ssh"]["commands"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|c| {
                        (
                            c["command"].as_str().unwrap_or("").to_string(),
                            c["count"].as_u64().unwrap_or(0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// SSH connections to the jump host and sessions forwarded to KSYS hosts since the reset.
    pub fn ssh_connections(&self) -> (u64, u64) {
        let r = self.requests();
        let sessions = r["ssh"]["sessions"]
            .as_array()
            .map(|s| s.iter().filter_map(|h| h["count"].as_u64()).sum())
            .unwrap_or(0);
        (r["ssh"]["connections"].as_u64().unwrap_or(0), sessions)
    }

    /// Requests to the project's retired REST orchestrator API (must stay zero).
    pub fn retired_api_requests(&self) -> u64 {
        self.count_requests(|_, route| route.contains("/orchestrator/") || route == "(unmatched)")
    }

    /// Requests counted since the last reset with a method other than GET (writes).
    pub fn mutating_requests(&self) -> u64 {
        self.count_requests(|method, _| method != "GET")
    }

    /// Writes to IBM Cloud since the last reset: every request but a GET, except the IAM token
    /// grant (a POST that changes nothing).
    pub fn cloud_writes(&self) -> u64 {
        self.count_requests(|method, route| method != "GET" && !route.starts_with("/iam"))
    }

    /// Sums the counters whose method and route template satisfy `filter`.
    pub fn count_requests(&self, filter: impl Fn(&str, &str) -> bool) -> u64 {
        let r = self.requests();
        r.get("by_route")
            .and_then(Value::as_array)
            .map(|routes| {
                routes
                    .iter()
                    .filter(|e| {
                        filter(
                            e.get("method").and_then(Value::as_str).unwrap_or(""),
                            e.get("route").and_then(Value::as_str).unwrap_or(""),
                        )
                    })
                    .filter_map(|e| e.get("count").and_then(Value::as_u64))
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Replaces the injected faults (errors, latency, rate limits, short token lifetimes, SSH
    /// refusals and drops); `POST /_sim/faults` in `docs/guides/dr-cloudsim.md` lists the fields.
    pub fn set_faults(&self, faults: Value) {
        self.call(reqwest::Method::POST, "/_sim/faults", Some(faults));
    }

    /// The fault set as it stands (SSH rules show how many firings they have left).
    pub fn faults(&self) -> Value {
        self.call(reqwest::Method::GET, "/_sim/faults", None)
    }

    pub fn clear_faults(&self) {
        self.call(reqwest::Method::DELETE, "/_sim/faults", None);
    }

    /// Out-of-band deletion of one object.
    pub fn delete_object(&self, service: &str, collection: &str, id: &str) {
        self.call(
            reqwest::Method::DELETE,
            &format!("/_sim/objects/{service}/{collection}/{id}"),
            None,
        );
    }

    /// Out-of-band change of one object with a JSON merge patch.
    pub fn patch_object(&self, service: &str, collection: &str, id: &str, patch: Value) {
        self.call(
            reqwest::Method::PATCH,
            &format!("/_sim/objects/{service}/{collection}/{id}"),
            Some(patch),
        );
    }

    /// Runs `command` on the primary KSYS host as an operator would (`POST /_sim/ksys/exec`,
    /// no SSH, not counted as the provider's commands); returns `{exit_code, stdout, stderr}`
    /// once it has finished.
    pub fn ksys_exec(&self, command: &str) -> Value {
        let info = self.ssh_info();
        let host = info["hosts"]
            .as_array()
            .and_then(|hosts| hosts.iter().find(|h| h["role"] == "primary"))
            .and_then(|h| h["address"].as_str())
            .expect("a primary KSYS host")
            .split(':')
            .next()
            .expect("host")
            .to_string();
        self.call(
            reqwest::Method::POST,
            "/_sim/ksys/exec",
            Some(json!({ "host": host, "command": command })),
        )
    }

    /// Arms the hold `point` (`dra.deploy.step3`, `ksys.move.erp`, ...; see
    /// docs/guides/dr-cloudsim.md): the next operation that gets there stops until released.
    pub fn arm_hold(&self, point: &str) {
        self.call(
            reqwest::Method::POST,
            "/_sim/holds",
            Some(json!({ "point": point })),
        );
    }

    /// Waits (inside the emulator, up to five minutes) until the hold `point` has stopped an
    /// operation; returns the subject it stopped (a DR instance GUID or a KSYS operation id).
    pub fn hold_reached(&self, point: &str) -> String {
        let hold = self.call(
            reqwest::Method::GET,
            &format!("/_sim/holds/{point}?wait_seconds=300"),
            None,
        );
        assert_eq!(hold["reached"], true, "nothing reached {point}: {hold}");
        hold["stopped"][0]["subject"]
            .as_str()
            .expect("subject")
            .to_string()
    }

    /// Releases the hold `point`; what it stopped goes on.
    pub fn release_hold(&self, point: &str) {
        self.call(
            reqwest::Method::DELETE,
            &format!("/_sim/holds/{point}"),
            None,
        );
    }

    pub fn reset(&self) {
        self.call(reqwest::Method::POST, "/_sim/reset", Some(json!({})));
    }

    /// The `id_field` of the `service/collection` object whose `name` is `name`. Panics
    /// naming the missing object: the scenario is broken, not the provider.
    pub fn id_by_name(
        &self,
        service: &str,
        collection: &str,
        name: &str,
        id_field: &str,
    ) -> String {
        self.objects(service, collection)
            .iter()
            .find(|o| o["name"] == name)
            .and_then(|o| o[id_field].as_str())
            .unwrap_or_else(|| panic!("no {service}/{collection} named {name} in the scenario"))
            .to_string()
    }

    /// The GUID of the scenario's PowerVS workspace `name`.
    pub fn workspace_id(&self, name: &str) -> String {
        self.id_by_name("power", "workspaces", name, "id")
    }

    /// The id of the scenario's PowerVS VM named `name` (any workspace).
    pub fn vm_id(&self, name: &str) -> String {
        self.objects("power", "pvm_instances")
            .iter()
            .find(|v| v["serverName"] == name)
            .and_then(|v| v["pvmInstanceID"].as_str())
            .unwrap_or_else(|| panic!("no VM named {name}"))
            .to_string()
    }

    /// The PowerVS VMs named `name` (an orchestrator's VM is `<name>-orchestrator`).
    pub fn vms_named(&self, name: &str) -> Vec<Value> {
        self.objects("power", "pvm_instances")
            .into_iter()
            .filter(|vm| vm["serverName"] == name)
            .collect()
    }

    /// The DR Automation service instances that exist and are not being removed: what the
    /// account is billed for.
    pub fn live_dr_instances(&self) -> Vec<Value> {
        self.objects("rc", "resource_instances")
            .into_iter()
            .filter(|i| {
                i["crn"]
                    .as_str()
                    .is_some_and(|c| c.contains(":power-dr-automation:"))
            })
            .filter(|i| {
                !matches!(
                    i["state"].as_str(),
                    Some("removed" | "pending_removal" | "pending_reclamation")
                )
            })
            .collect()
    }

    /// The id of the scenario's Transit Gateway (it has one).
    pub fn transit_gateway_id(&self) -> String {
        self.objects("tg", "gateways")[0]["id"]
            .as_str()
            .expect("the scenario's transit gateway")
            .to_string()
    }

    /// The id of the VPC security group whose name contains `name_part`.
    pub fn security_group_id_like(&self, name_part: &str) -> String {
        self.objects("vpc", "security_groups")
            .iter()
            .find(|g| g["name"].as_str().is_some_and(|n| n.contains(name_part)))
            .and_then(|g| g["id"].as_str())
            .unwrap_or_else(|| panic!("no security group named like {name_part} in the scenario"))
            .to_string()
    }

    /// What the emulator's IAM answers a grant of the scenario's API key: `access_token` and
    /// `refresh_token`, for tests that call the APIs themselves or hand the provider a token.
    pub fn iam_token_grant(&self) -> Value {
        reqwest::blocking::Client::new()
            .post(format!("{}/iam/identity/token", self.url()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey={API_KEY}&response_type=cloud_iam"
            ))
            .send()
            .expect("IAM token grant")
            .json()
            .expect("IAM token response")
    }

    /// The PowerVS `collection` object of workspace `workspace` (by name) whose `name_field`
    /// is `name`: its CRN carries the workspace GUID, as PowerVS CRNs do.
    pub fn power_object_in(
        &self,
        workspace: &str,
        collection: &str,
        name_field: &str,
        name: &str,
    ) -> Option<Value> {
        let guid = format!(":{}:", self.workspace_id(workspace));
        self.objects("power", collection)
            .into_iter()
            .find(|o| o[name_field] == name && o["crn"].as_str().is_some_and(|c| c.contains(&guid)))
    }

    /// The id of network `name` of workspace `workspace` (by name).
    pub fn network_id(&self, workspace: &str, name: &str) -> String {
        self.power_object_in(workspace, "networks", "name", name)
            .and_then(|n| n["networkID"].as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("no network {name} of workspace {workspace} in the scenario"))
    }

    /// `terraform apply` in `wd` in the background, as a user runs it in a terminal, against
    /// this emulator, with `env` added (TF_LOG off, so the output is what the user sees).
    pub fn spawn_apply(&self, wd: &WorkDir, env: &[(&str, &str)]) -> Child {
        wd.command(&["apply", "-auto-approve", "-input=false", "-no-color"])
            .envs(self.provider_env())
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start terraform apply")
    }

    /// `terraform plan` in `wd`, which must propose changes matching every one of `patterns`
    /// (see [`assert_mentions`](crate::fixtures::assert_mentions)) and write nothing to this
    /// emulator's cloud; returns the plan.
    pub fn plan_without_writes(&self, wd: &WorkDir, patterns: &[&str]) -> String {
        self.reset_requests();
        let plan = wd.assert_plan_not_empty();
        assert_eq!(self.cloud_writes(), 0, "a plan writes nothing");
        crate::fixtures::assert_mentions(&plan, patterns);
        plan
    }

    /// [`spawn_apply`](Sim::spawn_apply) with the hold `point` armed; returns once the apply
    /// has got there, with the subject the hold stopped (see [`hold_reached`](Sim::hold_reached)).
    pub fn spawn_apply_held(
        &self,
        wd: &WorkDir,
        env: &[(&str, &str)],
        point: &str,
    ) -> (Child, String) {
        self.arm_hold(point);
        let apply = self.spawn_apply(wd, env);
        let subject = self.hold_reached(point);
        (apply, subject)
    }
}

/// Ctrl-C: SIGINT to the Terraform process `child`, as a terminal sends it.
pub fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -INT {}", child.id());
}

/// Waits for a Terraform started in the background; its exit code and its stdout + stderr.
pub fn wait_output(child: Child) -> (i32, String) {
    let out = child.wait_with_output().expect("terraform output");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[String], state_file: Option<&Path>, listen: &str) -> (Child, String, String) {
    let mut cmd = Command::new(binary("dr-cloudsim"));
    cmd.arg("serve").arg("--listen").arg(listen).args(args);
    if let Some(f) = state_file {
        cmd.arg("--state").arg(f);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .stdin(Stdio::null())
        .spawn()
        .expect("start dr-cloudsim");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reader = BufReader::new(stdout);
    let url = announced(&mut reader, "dr-cloudsim listening on ", "first");
    let ssh_addr = announced(&mut reader, "dr-cloudsim ssh jump host on ", "second");
    (child, url, ssh_addr)
}

/// What dr-cloudsim's next (`which`) stdout line announces after `prefix`.
fn announced(reader: &mut impl BufRead, prefix: &str, which: &str) -> String {
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("read the {which} line of dr-cloudsim: {e}"));
    line.trim()
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("unexpected {which} line from dr-cloudsim: {line:?}"))
        .to_string()
}
