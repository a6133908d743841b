//! DR operations of dr-cloudsim's orchestrator API: failover and failback through real
//! PowerVS objects in priority order, DR tests in an isolated network, cancellation and
//! injected failures that roll back, scheduled tests, the site, events and `/metrics`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use dr_cloudsim::services::gc::POWER_DR_AUTOMATION;
use dr_cloudsim::{RunningSim, SimConfig};
use serde_json::{Value, json};

struct Dr {
    sim: RunningSim,
    token: String,
}

impl Dr {
    async fn new(time_scale: f64) -> Self {
        let sim = common::start_with(SimConfig {
            time_scale,
            ..SimConfig::default()
        })
        .await;
        let token = common::token(&sim).await;
        Dr { sim, token }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = common::client()
            .request(method, format!("{}{path}", self.sim.url()))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }
    async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// Merge-patches an object out of band through `/_sim/objects`.
    async fn sim_patch(&self, path: &str, body: Value) {
        let resp = common::client()
            .patch(format!("{}/_sim/objects/{path}", self.sim.url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "patch {path}");
    }

    async fn until(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..500 {
            let (_, body) = self.get(path).await;
            if done(&body) {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{path} never reached the expected state");
    }

    async fn collection(&self, service: &str, collection: &str) -> Vec<Value> {
        common::state_collection(&self.sim, service, collection).await
    }

    async fn workspace_id(&self, name: &str) -> String {
        self.collection("power", "workspaces")
            .await
            .into_iter()
            .find(|w| w["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn vm_id(&self, name: &str) -> String {
        let primary = self.workspace_id("slz-dal10-power-workspace").await;
        let (_, body) = self.power_vms(&primary).await;
        body.into_iter().find(|v| v["serverName"] == name).unwrap()["pvmInstanceID"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The VMs of a workspace through the PowerVS API (CRN header and all).
    async fn power_vms(&self, workspace_id: &str) -> (u16, Vec<Value>) {
        let ws = self
            .collection("power", "workspaces")
            .await
            .into_iter()
            .find(|w| w["id"] == workspace_id)
            .unwrap();
        let resp = common::client()
            .get(format!(
                "{}/power/pcloud/v1/cloud-instances/{workspace_id}/pvm-instances",
                self.sim.url()
            ))
            .bearer_auth(&self.token)
            .header("CRN", ws["details"]["crn"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        (
            status,
            body["pvmInstances"].as_array().cloned().unwrap_or_default(),
        )
    }

    async fn first_network(&self, workspace_id: &str) -> String {
        self.collection("power", "networks")
            .await
            .into_iter()
            .find(|n| n["crn"].as_str().unwrap().contains(workspace_id) && n["name"] == "mgmt_net")
            .unwrap()["networkID"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A DR instance with its orchestrator deployed (and a standby when `ha`). With `fast`,
    /// the deployment is marked finished out of band instead of waiting for its steps.
    async fn deployed(&self, name: &str, ha: bool, fast: bool) -> String {
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
        self.until(&format!("/rc/v2/resource_instances/{guid}"), |i| {
            i["state"] == "active"
        })
        .await;
        let pid = self.workspace_id("slz-dal10-power-workspace").await;
        let mut req = json!({
            "location_id": "dal10", "machine_type": "s922",
            "orchestrator_location_type": "off-premises", "orchestrator_name": "dradmin",
            "orchestrator_password": "Orch-Passw0rd-Secret", "orchestrator_workspace_id": pid,
            "orchestrator_network_ids": [self.first_network(&pid).await],
            "ssh_key_name": "slz-ssh-key",
        });
        if ha {
            let sid = self.workspace_id("slz-dal12-power-workspace").await;
            req["orchestrator_ha"] = json!(true);
            req["standby_orchestrator_workspace_id"] = json!(sid);
            req["standby_orchestrator_network_ids"] = json!([self.first_network(&sid).await]);
        }
        let (status, resp) = self
            .post(&format!("/dra/drautomation/v1/manage_dr/{guid}"), req)
            .await;
        assert_eq!(status, 200, "{resp}");
        if fast {
            self.sim_patch(
                &format!("dra/deployments/{guid}"),
                json!({"progress": {"status": "Active", "standby_status": if ha { "Active" } else { "NA" }}}),
            )
            .await;
        }
        self.until(
            &format!("/dra/drautomation/v1/last_operation/{guid}"),
            |b| b["status"] == "Active",
        )
        .await;
        guid
    }

    async fn manage(&self, guid: &str, vm: &str, priority: &str, workgroup: &str) -> String {
        let id = self.vm_id(vm).await;
        let (status, body) = self
            .post(
                &format!("/dra/orchestrator/v1/{guid}/managed_vms"),
                json!({"pvm_instance_id": id, "priority": priority, "workgroup_name": workgroup}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        id
    }

    async fn start(&self, guid: &str, body: Value) -> (u16, Value) {
        self.post(&format!("/dra/orchestrator/v1/{guid}/operations"), body)
            .await
    }

    async fn finished(&self, guid: &str, op_id: &str) -> Value {
        self.until(
            &format!("/dra/orchestrator/v1/{guid}/operations/{op_id}"),
            |o| o["status"] != "running",
        )
        .await
    }

    async fn active_site(&self, guid: &str) -> String {
        let (status, body) = self.get(&format!("/dra/orchestrator/v1/{guid}/site")).await;
        assert_eq!(status, 200, "{body}");
        body["active_site"].as_str().unwrap().to_owned()
    }

    async fn events(&self, guid: &str) -> Vec<Value> {
        let (_, body) = self
            .get(&format!(
                "/dra/drautomation/v1/service_instances/{guid}/events"
            ))
            .await;
        body["events"].as_array().cloned().unwrap()
    }

    async fn metrics(&self) -> String {
        let resp = common::client()
            .get(format!("{}/metrics", self.sim.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        resp.text().await.unwrap()
    }

    fn error(body: &Value) -> String {
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

fn vm<'a>(op: &'a Value, name: &str) -> &'a Value {
    op["vms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vm_name"] == name)
        .unwrap()
}

#[tokio::test]
async fn failover_and_failback_move_the_vms_in_priority_order() {
    let d = Dr::new(1000.0).await;
    let guid = d.deployed("dr-ops", true, false).await;
    let aix = d.manage(&guid, "aix-app-01", "high", "payments").await;
    let ibmi = d.manage(&guid, "ibmi-db-01", "medium", "core").await;
    let rhel = d.manage(&guid, "rhel-web-01", "low", "web").await;
    let primary_ws = d.workspace_id("slz-dal10-power-workspace").await;
    let dr_ws = d.workspace_id("slz-dal12-power-workspace").await;

    assert_eq!(d.active_site(&guid).await, "primary");
    let (status, body) = d.start(&guid, json!({"type": "failback"})).await;
    assert_eq!(status, 400, "nothing to fail back: {body}");
    assert_eq!(d.start(&guid, json!({"type": "move"})).await.0, 400);

    let (status, op) = d.start(&guid, json!({"type": "failover"})).await;
    assert_eq!(status, 202, "{op}");
    assert_eq!(op["type"], "failover");
    assert_eq!(op["status"], "running");
    assert!(op["started_at"].as_str().unwrap().ends_with('Z'));
    let order: Vec<&str> = op["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["priority"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["high", "medium", "low"]);
    for v in op["vms"].as_array().unwrap() {
        assert!(
            ["pending", "recovering"].contains(&v["status"].as_str().unwrap()),
            "{v}"
        );
        let lag = v["replication_lag_seconds"].as_u64().unwrap();
        assert!((2..=30).contains(&lag), "{v}");
        assert!(v.get("_phases").is_none(), "internal keys stay hidden");
    }
    let op_id = op["id"].as_str().unwrap().to_owned();
    let (status, busy) = d.start(&guid, json!({"type": "test"})).await;
    assert_eq!(status, 409, "{busy}");
    assert!(Dr::error(&busy).contains(&op_id));

    let done = d.finished(&guid, &op_id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(done["finished_at"].as_str().unwrap() >= done["started_at"].as_str().unwrap());
    let secs = |name: &str| vm(&done, name)["recovery_seconds"].as_u64().unwrap();
    assert!(secs("aix-app-01") < secs("ibmi-db-01"));
    assert!(secs("ibmi-db-01") < secs("rhel-web-01"));
    for name in ["aix-app-01", "ibmi-db-01", "rhel-web-01"] {
        assert_eq!(vm(&done, name)["status"], "recovered");
    }

    // The recovered VMs are real PowerVS VMs in the DR workspace; the primaries are stopped.
    let (status, dr_vms) = d.power_vms(&dr_ws).await;
    assert_eq!(status, 200);
    for name in ["aix-app-01", "ibmi-db-01", "rhel-web-01"] {
        let copy = dr_vms.iter().find(|v| v["serverName"] == name).unwrap();
        assert_eq!(copy["status"], "ACTIVE");
        assert!(
            copy["networks"][0]["ipAddress"]
                .as_str()
                .unwrap()
                .starts_with("10.61.0."),
            "{copy}"
        );
    }
    let aix_copy = dr_vms
        .iter()
        .find(|v| v["serverName"] == "aix-app-01")
        .unwrap();
    assert_eq!(
        aix_copy["networks"].as_array().unwrap().len(),
        2,
        "both NICs mapped"
    );
    let (_, primary_vms) = d.power_vms(&primary_ws).await;
    for id in [&aix, &ibmi, &rhel] {
        let v = primary_vms
            .iter()
            .find(|v| v["pvmInstanceID"] == **id)
            .unwrap();
        assert_eq!(v["status"], "SHUTOFF");
    }
    // Still managed: the registrations keep their primary ids.
    let (_, managed) = d
        .get(&format!("/dra/drautomation/v1/dr_managed_vms/{guid}"))
        .await;
    assert_eq!(managed["managed_vm_list"].as_object().unwrap().len(), 3);

    let (_, site) = d.get(&format!("/dra/orchestrator/v1/{guid}/site")).await;
    assert_eq!(site["active_site"], "dr");
    assert!(
        site["vms"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["site"] == "dr")
    );
    let (status, body) = d.start(&guid, json!({"type": "failover"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(Dr::error(&body).contains("already dr"));

    let (status, back) = d.start(&guid, json!({"type": "failback"})).await;
    assert_eq!(status, 202, "{back}");
    let back = d.finished(&guid, back["id"].as_str().unwrap()).await;
    assert_eq!(back["status"], "succeeded", "{back}");
    assert_eq!(d.active_site(&guid).await, "primary");
    let (_, dr_vms) = d.power_vms(&dr_ws).await;
    assert!(
        !dr_vms.iter().any(|v| v["serverName"] == "aix-app-01"),
        "DR copies removed after failback"
    );
    let (_, primary_vms) = d.power_vms(&primary_ws).await;
    for id in [&aix, &ibmi, &rhel] {
        let v = primary_vms
            .iter()
            .find(|v| v["pvmInstanceID"] == **id)
            .unwrap();
        assert_eq!(v["status"], "ACTIVE");
    }

    let (_, list) = d
        .get(&format!("/dra/orchestrator/v1/{guid}/operations"))
        .await;
    let kinds: Vec<&str> = list["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["failover", "failback"]);

    let events = d.events(&guid).await;
    let of = |action: &str| {
        events
            .iter()
            .filter(|e| e["action"] == action)
            .map(|e| e["message"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let failover = of("failover");
    assert!(failover.iter().any(|m| m.contains("started")));
    assert!(
        failover
            .iter()
            .any(|m| m.contains("aix-app-01 is active in slz-dal12"))
    );
    assert!(failover.iter().any(|m| m.contains("succeeded")));
    assert!(of("failback").iter().any(|m| m.contains("succeeded")));
    assert!(events.iter().all(|e| e["level"].is_string()));

    let metrics = d.metrics().await;
    assert!(metrics.contains(&format!(
        "dr_managed_vm_count{{deployment=\"dr-ops\",instance_id=\"{guid}\"}} 3"
    )));
    assert!(metrics.contains("dr_operation_total{type=\"failover\",status=\"succeeded\"} 1"));
    assert!(metrics.contains("dr_operation_total{type=\"failback\",status=\"succeeded\"} 1"));
    // /metrics is not an IBM API: not counted.
    let (_, counts) = common::get_json(&format!("{}/_sim/requests", d.sim.url())).await;
    assert!(
        !counts["by_route"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["route"] == "/metrics")
    );
}

#[tokio::test]
async fn a_subset_fails_over_and_unknown_vms_are_refused() {
    let d = Dr::new(1000.0).await;
    let guid = d.deployed("dr-subset", true, true).await;
    let aix = d.manage(&guid, "aix-app-01", "high", "payments").await;
    let rhel = d.manage(&guid, "rhel-web-01", "low", "web").await;
    let (status, body) = d
        .start(&guid, json!({"type": "failover", "vm_ids": ["not-a-vm"]}))
        .await;
    assert_eq!(status, 400);
    assert!(Dr::error(&body).contains("not-a-vm"));
    assert_eq!(
        d.start(&guid, json!({"type": "failover", "vm_ids": "x"}))
            .await
            .0,
        400
    );
    let (status, op) = d
        .start(&guid, json!({"type": "failover", "vm_ids": [aix]}))
        .await;
    assert_eq!(status, 202, "{op}");
    assert_eq!(op["vms"].as_array().unwrap().len(), 1);
    let done = d.finished(&guid, op["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "succeeded");
    let (_, site) = d.get(&format!("/dra/orchestrator/v1/{guid}/site")).await;
    assert_eq!(site["active_site"], "dr");
    let where_ = |id: &str| {
        site["vms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["pvm_instance_id"] == id)
            .unwrap()["site"]
            .clone()
    };
    assert_eq!(where_(&aix), "dr");
    assert_eq!(where_(&rhel), "primary");
    let (status, body) = d
        .start(&guid, json!({"type": "failback", "vm_ids": [rhel]}))
        .await;
    assert_eq!(status, 400, "rhel is not on the DR site: {body}");
    let (status, back) = d.start(&guid, json!({"type": "failback"})).await;
    assert_eq!(status, 202);
    assert_eq!(
        back["vms"].as_array().unwrap().len(),
        1,
        "only what is on DR"
    );
    d.finished(&guid, back["id"].as_str().unwrap()).await;
    assert_eq!(d.active_site(&guid).await, "primary");
}

#[tokio::test]
async fn a_dr_test_recovers_copies_in_isolation_and_cleans_up() {
    let d = Dr::new(1000.0).await;
    let guid = d.deployed("dr-drill", false, false).await;
    let (status, body) = d.start(&guid, json!({"type": "test"})).await;
    assert_eq!(status, 400, "no managed VM yet: {body}");
    d.manage(&guid, "aix-app-01", "high", "payments").await;
    d.manage(&guid, "rhel-web-01", "medium", "web").await;
    let (status, body) = d.start(&guid, json!({"type": "failover"})).await;
    assert_eq!(status, 400, "no standby: {body}");
    assert!(Dr::error(&body).contains("standby"));

    let (status, op) = d.start(&guid, json!({"type": "test"})).await;
    assert_eq!(status, 202, "{op}");
    let done = d.finished(&guid, op["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    for v in done["vms"].as_array().unwrap() {
        assert_eq!(v["status"], "done");
        assert!(v["recovery_seconds"].as_u64().unwrap() > 0);
    }
    // Nothing left behind, production untouched.
    let vms = d.collection("power", "pvm_instances").await;
    assert!(
        !vms.iter()
            .any(|v| v["serverName"].as_str().unwrap().ends_with("-drtest"))
    );
    assert!(
        !d.collection("power", "networks")
            .await
            .iter()
            .any(|n| n["name"].as_str().unwrap().starts_with("drtest-"))
    );
    let aix = vms
        .iter()
        .find(|v| v["serverName"] == "aix-app-01")
        .unwrap();
    assert_eq!(aix["status"], "ACTIVE");
    assert_eq!(d.active_site(&guid).await, "primary");

    let events = d.events(&guid).await;
    let tests: Vec<&str> = events
        .iter()
        .filter(|e| e["action"] == "test")
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        tests.iter().any(|m| m.contains("aix-app-01-drtest booted")),
        "{tests:?}"
    );
    assert!(tests.iter().any(|m| m.contains("succeeded")));

    let metrics = d.metrics().await;
    let recovery = vm(&done, "aix-app-01")["recovery_seconds"]
        .as_u64()
        .unwrap();
    assert!(
        metrics.contains(&format!(
            "dr_test_last_recovery_seconds{{deployment=\"dr-drill\",vm=\"aix-app-01\"}} {recovery}"
        )),
        "{metrics}"
    );
    assert!(metrics.contains("dr_test_last_success_timestamp_seconds{deployment=\"dr-drill\"} "));
    assert!(metrics.contains("dr_operation_total{type=\"test\",status=\"succeeded\"} 1"));
}

#[tokio::test]
async fn cancelling_rolls_back_to_a_consistent_state() {
    // Slow enough to catch the operations mid-way (one real-cloud second is 20 ms).
    let d = Dr::new(50.0).await;
    let guid = d.deployed("dr-cancel", true, true).await;
    let aix = d.manage(&guid, "aix-app-01", "high", "payments").await;
    d.manage(&guid, "rhel-web-01", "low", "web").await;
    let dr_ws = d.workspace_id("slz-dal12-power-workspace").await;

    let (status, op) = d.start(&guid, json!({"type": "failover"})).await;
    assert_eq!(status, 202);
    let op_id = op["id"].as_str().unwrap().to_owned();
    let path = format!("/dra/orchestrator/v1/{guid}/operations/{op_id}");
    d.until(&path, |o| vm(o, "aix-app-01")["status"] == "booting")
        .await;
    let (_, dr_vms) = d.power_vms(&dr_ws).await;
    let copy = dr_vms
        .iter()
        .find(|v| v["serverName"] == "aix-app-01")
        .unwrap();
    assert_eq!(copy["status"], "BUILD", "the DR copy is being built");
    let primary = d.collection("power", "pvm_instances").await;
    let original = primary.iter().find(|v| v["pvmInstanceID"] == aix).unwrap();
    assert_eq!(original["status"], "SHUTOFF");

    let (status, cancelled) = d.post(&format!("{path}/cancel"), json!({})).await;
    assert_eq!(status, 202, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["finished_at"].is_string());
    let (_, dr_vms) = d.power_vms(&dr_ws).await;
    assert!(!dr_vms.iter().any(|v| v["serverName"] == "aix-app-01"));
    let primary = d.collection("power", "pvm_instances").await;
    let original = primary.iter().find(|v| v["pvmInstanceID"] == aix).unwrap();
    assert_eq!(original["status"], "ACTIVE");
    assert_eq!(d.active_site(&guid).await, "primary");
    let (status, _) = d.post(&format!("{path}/cancel"), json!({})).await;
    assert_eq!(status, 409, "already finished");
    // It stays cancelled; time does not move it on.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(d.get(&path).await.1["status"], "cancelled");

    // A cancelled DR test removes its copies and its isolated network.
    let (status, test) = d.start(&guid, json!({"type": "test"})).await;
    assert_eq!(status, 202, "a new operation may start: {test}");
    let test_path = format!(
        "/dra/orchestrator/v1/{guid}/operations/{}",
        test["id"].as_str().unwrap()
    );
    d.until(&test_path, |o| vm(o, "aix-app-01")["status"] == "booting")
        .await;
    let networks = d.collection("power", "networks").await;
    let isolated = networks
        .iter()
        .find(|n| n["name"].as_str().unwrap().starts_with("drtest-isolated-"))
        .expect("isolated network");
    assert_eq!(isolated["cidr"], "192.168.200.0/24");
    assert_eq!(isolated["advertise"], "disable");
    let (_, dr_vms) = d.power_vms(&dr_ws).await;
    let test_copy = dr_vms
        .iter()
        .find(|v| v["serverName"] == "aix-app-01-drtest")
        .expect("test copy");
    assert!(
        test_copy["networks"][0]["ipAddress"]
            .as_str()
            .unwrap()
            .starts_with("192.168.200.")
    );
    let (status, _) = d.post(&format!("{test_path}/cancel"), json!({})).await;
    assert_eq!(status, 202);
    assert!(
        !d.collection("power", "networks")
            .await
            .iter()
            .any(|n| n["name"].as_str().unwrap().starts_with("drtest-"))
    );
    assert!(
        !d.collection("power", "pvm_instances")
            .await
            .iter()
            .any(|v| v["serverName"] == "aix-app-01-drtest")
    );
    let events = d.events(&guid).await;
    assert!(
        events.iter().any(
            |e| e["level"] == "warning" && e["message"].as_str().unwrap().contains("cancelled")
        )
    );
    assert!(
        d.metrics()
            .await
            .contains("dr_operation_total{type=\"failover\",status=\"cancelled\"} 1")
    );

    // Deleting the DR instance mid-test rolls the test back and forgets its operations.
    let (_, test) = d.start(&guid, json!({"type": "test"})).await;
    let test_path = format!(
        "/dra/orchestrator/v1/{guid}/operations/{}",
        test["id"].as_str().unwrap()
    );
    d.until(&test_path, |o| vm(o, "aix-app-01")["status"] == "booting")
        .await;
    assert_eq!(
        d.delete(&format!("/rc/v2/resource_instances/{guid}"))
            .await
            .0,
        202
    );
    assert!(
        !d.collection("power", "pvm_instances")
            .await
            .iter()
            .any(|v| v["serverName"] == "aix-app-01-drtest")
    );
    assert!(d.collection("dra", "operations").await.is_empty());
    assert!(d.collection("dra", "sites").await.is_empty());
}

#[tokio::test]
async fn an_injected_failure_names_the_vm_and_rolls_back() {
    let d = Dr::new(1000.0).await;
    let guid = d.deployed("dr-broken", true, true).await;
    let aix = d.manage(&guid, "aix-app-01", "high", "payments").await;
    d.manage(&guid, "ibmi-db-01", "medium", "core").await;
    d.sim_patch(
        &format!("dra/deployments/{guid}"),
        json!({"_fail_vm": "ibmi-db-01"}),
    )
    .await;
    let (status, op) = d.start(&guid, json!({"type": "failover"})).await;
    assert_eq!(status, 202);
    let failed = d.finished(&guid, op["id"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains("ibmi-db-01"), "{error}");
    assert_eq!(vm(&failed, "ibmi-db-01")["status"], "failed");
    // The high-priority VM had recovered; it was rolled back.
    assert_eq!(vm(&failed, "aix-app-01")["status"], "pending");
    let vms = d.collection("power", "pvm_instances").await;
    let original = vms.iter().find(|v| v["pvmInstanceID"] == aix).unwrap();
    assert_eq!(original["status"], "ACTIVE");
    assert_eq!(
        vms.iter()
            .filter(|v| v["serverName"] == "aix-app-01")
            .count(),
        1,
        "no DR copy left"
    );
    assert_eq!(d.active_site(&guid).await, "primary");
    let events = d.events(&guid).await;
    assert!(events.iter().any(|e| e["level"] == "error"
        && e["action"] == "failover"
        && e["message"].as_str().unwrap().contains("ibmi-db-01")));
    assert!(
        d.metrics()
            .await
            .contains("dr_operation_total{type=\"failover\",status=\"failed\"} 1")
    );

    // Clearing the fault lets the next run succeed; a custom message is used verbatim.
    d.sim_patch(
        &format!("dra/deployments/{guid}"),
        json!({"_fail_vm": "aix-app-01", "_fail_message": "boot disk checksum mismatch"}),
    )
    .await;
    let (_, op) = d.start(&guid, json!({"type": "test"})).await;
    let failed = d.finished(&guid, op["id"].as_str().unwrap()).await;
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("boot disk checksum mismatch")
    );
    assert!(
        !d.collection("power", "networks")
            .await
            .iter()
            .any(|n| n["name"].as_str().unwrap().starts_with("drtest-"))
    );
    d.sim_patch(
        &format!("dra/deployments/{guid}"),
        json!({"_fail_vm": null}),
    )
    .await;
    let (_, op) = d.start(&guid, json!({"type": "test"})).await;
    assert_eq!(
        d.finished(&guid, op["id"].as_str().unwrap()).await["status"],
        "succeeded"
    );
}

#[tokio::test]
async fn operations_need_an_active_orchestrator() {
    let d = Dr::new(1000.0).await;
    let groups = d.collection("rc", "resource_groups").await;
    let group = groups.iter().find(|g| g["default"] == true).unwrap()["id"].clone();
    let (_, body) = d
        .post(
            "/rc/v2/resource_instances",
            json!({"name": "dr-empty", "target": "global", "resource_group": group, "resource_plan_id": POWER_DR_AUTOMATION.plan_id}),
        )
        .await;
    let guid = body["guid"].as_str().unwrap().to_owned();
    d.until(&format!("/rc/v2/resource_instances/{guid}"), |i| {
        i["state"] == "active"
    })
    .await;
    let (status, body) = d.start(&guid, json!({"type": "test"})).await;
    assert_eq!(status, 400);
    assert!(Dr::error(&body).contains("not deployed"));
    assert_eq!(
        d.start(
            "00000000-0000-4000-8000-000000000000",
            json!({"type": "test"})
        )
        .await
        .0,
        404
    );
    assert_eq!(
        d.get(&format!("/dra/orchestrator/v1/{guid}/operations/nope"))
            .await
            .0,
        404
    );
    let resp = common::client()
        .post(format!(
            "{}/dra/orchestrator/v1/{guid}/operations",
            d.sim.url()
        ))
        .json(&json!({"type": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401, "a token is required");
}

#[tokio::test]
async fn test_schedules_validate_compute_next_runs_and_fire() {
    let d = Dr::new(1000.0).await;
    let guid = d.deployed("dr-sched", false, true).await;
    d.manage(&guid, "rhel-web-01", "high", "web").await;
    let base = format!("/dra/orchestrator/v1/{guid}/test_schedules");

    let (status, body) = d
        .post(&base, json!({"cron": "0 25 * * *", "time_zone": "UTC"}))
        .await;
    assert_eq!(status, 400);
    assert!(
        Dr::error(&body).contains("hour value 25 is out of range 0-23"),
        "{body}"
    );
    let (status, body) = d
        .post(
            &base,
            json!({"cron": "0 2 * * 0", "time_zone": "Mars/Olympus"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        Dr::error(&body).contains("America/Chicago"),
        "lists the zones: {body}"
    );
    assert_eq!(d.post(&base, json!({"time_zone": "UTC"})).await.0, 400);
    assert_eq!(
        d.post(&base, json!({"cron": "0 2 * * 0", "x": 1})).await.0,
        400
    );

    let (status, created) = d
        .post(
            &base,
            json!({"cron": "0 2 * * 0", "time_zone": "America/Chicago", "enabled": true}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["cron"], "0 2 * * 0");
    assert_eq!(created["time_zone"], "America/Chicago");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["last_result"], Value::Null);
    let next = created["next_run"].as_str().unwrap();
    // Sunday 02:00 in Chicago is 07:00 or 08:00 UTC.
    assert!(
        next.contains("T07:00:00") || next.contains("T08:00:00"),
        "{next}"
    );
    assert!(created.get("_time_scale").is_none());

    let (status, got) = d.get(&format!("{base}/{id}")).await;
    assert_eq!((status, &got), (200, &created));
    let (status, patched) = d
        .patch(
            &format!("{base}/{id}"),
            json!({"cron": "30 3 * * 1-5", "time_zone": "UTC"}),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert!(patched["next_run"].as_str().unwrap().contains("T03:30:00"));
    let (_, disabled) = d
        .patch(&format!("{base}/{id}"), json!({"enabled": false}))
        .await;
    assert_eq!(disabled["enabled"], false);
    assert_eq!(disabled["next_run"], Value::Null);
    assert_eq!(
        d.patch(&format!("{base}/{id}"), json!({"cron": "bad"}))
            .await
            .0,
        400
    );
    let (_, list) = d.get(&base).await;
    assert_eq!(list["test_schedules"].as_array().unwrap().len(), 1);

    // When the next run comes, a DR test starts and becomes the last result.
    d.patch(&format!("{base}/{id}"), json!({"enabled": true}))
        .await;
    d.sim_patch(
        &format!("dra/test_schedules/{id}"),
        json!({"_next_run_ms": 1}),
    )
    .await;
    let (_, fired) = d.get(&format!("{base}/{id}")).await;
    let op_id = fired["last_result"]["operation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(fired["last_result"]["status"], "running");
    let (_, op) = d
        .get(&format!("/dra/orchestrator/v1/{guid}/operations/{op_id}"))
        .await;
    assert_eq!(op["type"], "test");
    assert_eq!(op["schedule_id"], id.as_str());
    d.finished(&guid, &op_id).await;
    let (_, after) = d.get(&format!("{base}/{id}")).await;
    assert_eq!(after["last_result"]["status"], "succeeded", "{after}");
    assert!(after["last_result"]["finished_at"].is_string());
    assert!(after["next_run"].as_str().unwrap().contains("T03:30:00"));

    assert_eq!(d.delete(&format!("{base}/{id}")).await.0, 204);
    assert_eq!(d.get(&format!("{base}/{id}")).await.0, 404);
    assert_eq!(d.delete(&format!("{base}/{id}")).await.0, 404);
}
