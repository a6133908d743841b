//! A DR deployment to test against: an emulator, a deployed orchestrator whose root login
//! takes [`ROOT_KEY`] or [`PASSWORD`], and helpers to run commands on its KSYS hosts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use dr_cloudsim::services::gc::POWER_DR_AUTOMATION;
use dr_cloudsim::{RunningSim, SimConfig};
use russh::client::Handle;
use russh::keys::PrivateKey;
use serde_json::{Value, json};

use super::ssh::{self, Checker, Login, Run};

/// Root's password on the orchestrators `deploy` creates.
pub const PASSWORD: &str = "Orch-Passw0rd-Secret";
/// The key `deploy` registers (as PowerVS SSH key `ksys-key`) and names in `ssh_key_name`.
pub fn root_key() -> PrivateKey {
    ssh::test_key(1)
}

pub struct Dr {
    pub sim: RunningSim,
    pub token: String,
}

/// A deployed DR instance.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub guid: String,
    /// The primary orchestrator's private IP.
    pub primary: String,
    pub standby: Option<String>,
}

impl Dr {
    pub async fn start(config: SimConfig) -> Dr {
        let sim = super::start_with(config).await;
        let token = super::token(&sim).await;
        Dr { sim, token }
    }

    pub async fn fast() -> Dr {
        Dr::start(SimConfig {
            time_scale: 2000.0,
            ..SimConfig::default()
        })
        .await
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        crn: Option<&str>,
    ) -> (u16, Value) {
        let headers: Vec<(&str, &str)> = crn.map(|c| ("CRN", c)).into_iter().collect();
        self.send_with(method, path, body, &headers).await
    }

    /// A call with any extra headers.
    pub async fn send_with(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.sim.url());
        super::call(method, &url, &self.token, headers, body).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body), None)
            .await
    }

    /// A call on the emulator's own control API (`/_sim/...`, no token): status and JSON body.
    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request =
            super::client().request(method, format!("{}/_sim/{path}", self.sim.url()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Merge-patches an object out of band through `/_sim/objects`.
    pub async fn sim_patch(&self, path: &str, body: Value) {
        let (status, _) = self
            .control(
                reqwest::Method::PATCH,
                &format!("objects/{path}"),
                Some(body),
            )
            .await;
        assert!((200..300).contains(&status), "patch {path}");
    }

    /// Provisions a DR Automation instance through Resource Controller; returns its GUID.
    pub async fn instance(&self, name: &str, wait_active: bool) -> String {
        let groups = self.collection("rc", "resource_groups").await;
        let group = groups.iter().find(|g| g["default"] == true).unwrap()["id"].clone();
        let (status, body) = self
            .post(
                "/rc/v2/resource_instances",
                json!({"name": name, "target": "global", "resource_group": group, "resource_plan_id": POWER_DR_AUTOMATION.plan_id}),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        let guid = body["guid"].as_str().unwrap().to_owned();
        if wait_active {
            self.until(&format!("/rc/v2/resource_instances/{guid}"), |i| {
                i["state"] == "active"
            })
            .await;
        }
        guid
    }

    pub async fn sim_get(&self, path: &str) -> Value {
        super::get_json(&format!("{}/_sim/{path}", self.sim.url()))
            .await
            .1
    }

    pub async fn until(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..1000 {
            let (_, body) = self.get(path).await;
            if done(&body) {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{path} never reached the expected state");
    }

    pub async fn collection(&self, service: &str, collection: &str) -> Vec<Value> {
        super::state_collection(&self.sim, service, collection).await
    }

    pub async fn workspace(&self, name: &str) -> Value {
        self.collection("power", "workspaces")
            .await
            .into_iter()
            .find(|w| w["name"] == name)
            .unwrap()
    }

    pub async fn network(&self, workspace_id: &str, name: &str) -> String {
        self.collection("power", "networks")
            .await
            .into_iter()
            .find(|n| n["crn"].as_str().unwrap().contains(workspace_id) && n["name"] == name)
            .unwrap()["networkID"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn pvm(&self, name: &str) -> Value {
        self.collection("power", "pvm_instances")
            .await
            .into_iter()
            .find(|v| v["serverName"] == name)
            .unwrap_or(Value::Null)
    }

    pub async fn vm_id(&self, name: &str) -> String {
        self.pvm(name).await["pvmInstanceID"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Registers a public key as a PowerVS SSH key of the workspace.
    pub async fn register_key(&self, name: &str, key: &PrivateKey, workspace: &str) {
        let ws = self.workspace(workspace).await;
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                "/power/v1/ssh-keys",
                Some(json!({"name": name, "sshKey": ssh::public_openssh(key)})),
                ws["details"]["crn"].as_str(),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }

    /// A DR instance with its orchestrator deployed in dal10 (and a standby in dal12 when
    /// `ha`), reachable over SSH.
    pub async fn deploy(&self, name: &str, ha: bool) -> Deployment {
        let guid = self.start_deploy(name, ha).await;
        self.until(
            &format!("/dra/drautomation/v1/last_operation/{guid}"),
            |b| b["status"] == "Active",
        )
        .await;
        let wanted = if ha { 2 } else { 1 };
        for _ in 0..1000 {
            let info = self.sim_get("ssh").await;
            let hosts: Vec<Value> = info["hosts"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|h| h["instance_id"] == guid.as_str())
                .cloned()
                .collect();
            if hosts.len() == wanted {
                let ip = |role: &str| {
                    hosts.iter().find(|h| h["role"] == role).map(|h| {
                        h["address"]
                            .as_str()
                            .unwrap()
                            .trim_end_matches(":22")
                            .to_owned()
                    })
                };
                return Deployment {
                    primary: ip("primary").unwrap(),
                    standby: ip("standby"),
                    guid,
                };
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the orchestrator of {name} never became an SSH host");
    }

    /// Provisions a DR instance and starts its deployment (`manage_dr`); returns its GUID
    /// without waiting for the deployment.
    pub async fn start_deploy(&self, name: &str, ha: bool) -> String {
        let keys = self.collection("power", "ssh_keys").await;
        if !keys.iter().any(|k| k["name"] == "ksys-key") {
            self.register_key("ksys-key", &root_key(), "slz-dal10-power-workspace")
                .await;
            self.register_key("ksys-key", &root_key(), "slz-dal12-power-workspace")
                .await;
        }
        let guid = self.instance(name, true).await;
        let primary = self.workspace("slz-dal10-power-workspace").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut req = json!({
            "location_id": "dal10", "machine_type": "s922",
            "orchestrator_location_type": "off-premises", "orchestrator_name": "dradmin",
            "orchestrator_password": PASSWORD, "orchestrator_workspace_id": primary,
            "orchestrator_network_ids": [self.network(&primary, "mgmt_net").await],
            "ssh_key_name": "ksys-key",
        });
        if ha {
            let standby = self.workspace("slz-dal12-power-workspace").await["id"]
                .as_str()
                .unwrap()
                .to_owned();
            req["orchestrator_ha"] = json!(true);
            req["standby_orchestrator_workspace_id"] = json!(standby);
            req["standby_orchestrator_network_ids"] =
                json!([self.network(&standby, "mgmt_net").await]);
        }
        let (status, resp) = self
            .post(&format!("/dra/drautomation/v1/manage_dr/{guid}"), req)
            .await;
        assert_eq!(status, 200, "{resp}");
        guid
    }

    /// The jump host, logged in with `root_key()` (registered as a PowerVS key).
    pub async fn jump(&self) -> Handle<Checker> {
        ssh::jump(self.sim.ssh_addr, "jump", Login::Key(&root_key()), None)
            .await
            .unwrap()
            .expect("jump login")
    }

    /// Root on a KSYS host through the jump host (key login).
    pub async fn root(&self, address: &str) -> (Handle<Checker>, Handle<Checker>) {
        let jump = self.jump().await;
        let host = ssh::host(&jump, address, "root", Login::Key(&root_key()), None)
            .await
            .unwrap()
            .expect("root login");
        (jump, host)
    }

    /// `ksysmgr` with the full path the provider uses.
    pub async fn ksysmgr(&self, host: &Handle<Checker>, args: &str) -> Run {
        ssh::exec(host, &format!("/opt/IBM/ksys/ksysmgr {args}"), None).await
    }

    /// Adds the two sites every KSYS scenario starts from (us-south, us-east), then runs
    /// `commands`; each must succeed (a failure names the command and its stderr).
    pub async fn with_sites(&self, host: &Handle<Checker>, commands: &[&str]) {
        let sites = [
            "-f add site us-south region=us-south",
            "-f add site us-east region=us-east",
        ];
        for cmd in sites.iter().chain(commands) {
            let run = self.ksysmgr(host, cmd).await;
            assert_eq!(run.code, Some(0), "{cmd}: {}", run.stderr);
        }
    }
}
