//! PowerVS: workspaces, CRN checks, networks, images, SSH keys and the PVM lifecycle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use dr_cloudsim::{RunningSim, SimConfig};
use serde_json::{Value, json};

struct Ctx {
    sim: RunningSim,
    token: String,
    /// The primary workspace (dal10).
    guid: String,
    crn: String,
}

impl Ctx {
    async fn new(time_scale: f64) -> Ctx {
        let sim = common::start_with(SimConfig {
            time_scale,
            ..Default::default()
        })
        .await;
        let token = common::token(&sim).await;
        let (guid, crn) = workspace(&sim, &token, "slz-dal10-power-workspace").await;
        Ctx {
            sim,
            token,
            guid,
            crn,
        }
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/power/pcloud/v1/cloud-instances/{}{path}",
            self.sim.url(),
            self.guid
        )
    }

    async fn send(&self, method: reqwest::Method, url: &str, body: Option<Value>) -> (u16, Value) {
        common::call(
            method,
            url,
            &self.token,
            &[("CRN", self.crn.as_str())],
            body,
        )
        .await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, &self.url(path), None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, &self.url(path), Some(body))
            .await
    }

    async fn network_id(&self, name: &str) -> String {
        let (_, list) = self.get("/networks").await;
        common::find_by(&list["networks"], "name", name).unwrap()["networkID"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn image_id(&self, name: &str) -> String {
        let (_, list) = self.get("/images").await;
        common::find_by(&list["images"], "name", name).unwrap()["imageID"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn vm_spec(&self, name: &str) -> Value {
        json!({
            "serverName": name,
            "imageID": self.image_id("7300-02-01").await,
            "processors": 0.5,
            "memory": 4,
            "procType": "shared",
            "sysType": "s922",
            "storageType": "tier1",
            "keyPairName": "slz-ssh-key",
            "networks": [{"networkID": self.network_id("mgmt_net").await}],
        })
    }

    /// Polls the instance until `done` holds.
    async fn wait_vm(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..400 {
            let (status, vm) = self.get(&format!("/pvm-instances/{id}")).await;
            if done(&vm) {
                return vm;
            }
            assert!(status == 200 || status == 404, "{status}: {vm}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("pvm-instance {id} never reached the expected state");
    }
}

async fn workspace(sim: &RunningSim, token: &str, name: &str) -> (String, String) {
    let r = common::authed_get(format!("{}/power/v1/workspaces", sim.url()), token).await;
    let body: Value = r.json().await.unwrap();
    let ws = common::find_by(&body["workspaces"], "name", name).unwrap();
    (
        ws["id"].as_str().unwrap().to_owned(),
        ws["details"]["crn"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn workspaces_have_the_v1_shape() {
    let ctx = Ctx::new(1.0).await;
    let r = common::authed_get(format!("{}/power/v1/workspaces", ctx.sim.url()), &ctx.token).await;
    let body: Value = r.json().await.unwrap();
    let list = body["workspaces"].as_array().unwrap();
    assert_eq!(
        list.len(),
        4,
        "dal10, dal12, wdc07 (the DR backup site) and dal13"
    );
    let primary = list.iter().find(|w| w["id"] == ctx.guid.as_str()).unwrap();
    assert_eq!(primary["status"], "active");
    assert_eq!(primary["type"], "off-premises");
    assert_eq!(primary["location"]["region"], "dal10");
    assert_eq!(primary["location"]["type"], "data-center");
    assert_eq!(
        primary["location"]["url"],
        "https://dal.power-iaas.cloud.ibm.com"
    );
    assert_eq!(
        ctx.crn,
        format!(
            "crn:v1:bluemix:public:power-iaas:dal10:a/{}:{}::",
            ctx.sim.sim.account_id(),
            ctx.guid
        )
    );
    assert!(primary["details"]["creationDate"].is_string());
    assert!(common::no_internal_keys(primary));
    let (status, ci) = ctx.get("").await;
    assert_eq!(status, 200);
    assert_eq!(ci["cloudInstanceID"], json!(ctx.guid));
    assert_eq!(ci["pvmInstances"].as_array().unwrap().len(), 4);
    ctx.sim.shutdown().await;
}

#[tokio::test]
async fn requests_need_a_token_and_the_matching_crn_header() {
    let ctx = Ctx::new(1.0).await;
    let c = common::client();
    let r = c
        .get(ctx.url("/networks"))
        .header("CRN", &ctx.crn)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["code"], 401);
    assert!(
        err["description"].is_string() && err["error"].is_string() && err["message"].is_string()
    );

    let r = common::authed_get(ctx.url("/networks"), &ctx.token).await;
    assert_eq!(r.status(), 400);

    let (_, other_crn) = workspace(&ctx.sim, &ctx.token, "slz-dal12-power-workspace").await;
    let r = c
        .get(ctx.url("/networks"))
        .bearer_auth(&ctx.token)
        .header("CRN", other_crn)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["code"], 403);
    assert!(err["description"].as_str().unwrap().contains(&ctx.guid));

    let foreign = ctx.crn.replace(ctx.sim.sim.account_id(), "0000");
    let r = c
        .get(ctx.url("/networks"))
        .bearer_auth(&ctx.token)
        .header("CRN", foreign)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    ctx.sim.shutdown().await;
}

#[tokio::test]
async fn networks_have_cidr_gateway_ranges_and_validation() {
    let ctx = Ctx::new(1.0).await;
    let (status, list) = ctx.get("/networks").await;
    assert_eq!(status, 200);
    assert_eq!(list["networks"].as_array().unwrap().len(), 2);
    let mgmt = ctx.network_id("mgmt_net").await;
    let (_, net) = ctx.get(&format!("/networks/{mgmt}")).await;
    assert_eq!(net["type"], "vlan");
    assert_eq!(net["cidr"], "10.51.0.0/24");
    assert_eq!(net["gateway"], "10.51.0.1");
    assert_eq!(
        net["ipAddressRanges"],
        json!([{"startingIPAddress": "10.51.0.2", "endingIPAddress": "10.51.0.254"}])
    );
    assert!(net["vlanID"].is_number());
    assert_eq!(net["ipAddressMetrics"]["total"], 253);
    assert_eq!(
        net["ipAddressMetrics"]["used"], 4,
        "four seeded VMs sit on mgmt_net"
    );
    // By name as well as by id.
    let (status, _) = ctx.get("/networks/bkp_net").await;
    assert_eq!(status, 200);

    let (status, created) = ctx
        .post("/networks", json!({"type": "vlan", "name": "dr_net", "cidr": "10.71.0.0/24", "gateway": "10.71.0.1",
            "ipAddressRanges": [{"startingIPAddress": "10.71.0.10", "endingIPAddress": "10.71.0.20"}]}))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["ipAddressMetrics"]["total"], 11);
    let bad = [
        json!({"type": "vlan", "name": "x1"}),
        json!({"type": "dhcp-vlan", "name": "x2", "cidr": "10.72.0.0/24"}),
        json!({"type": "vlan", "name": "x3", "cidr": "10.51.0.0/25"}),
        json!({"type": "vlan", "name": "x4", "cidr": "10.73.0.0/24", "gateway": "10.74.0.1"}),
        json!({"type": "vlan", "name": "x5", "cidr": "8.8.8.0/24"}),
        json!({"type": "vlan", "name": "x6", "cidr": "10.75.0.1/24"}),
    ];
    for body in bad {
        let (status, err) = ctx.post("/networks", body.clone()).await;
        assert_eq!(status, 400, "{body} -> {err}");
        assert_eq!(err["code"], 400);
    }
    let (status, _) = ctx
        .post(
            "/networks",
            json!({"type": "vlan", "name": "dr_net", "cidr": "10.76.0.0/24"}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, public) = ctx
        .post("/networks", json!({"type": "pub-vlan", "name": "pub"}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(public["type"], "pub-vlan");
    assert_eq!(public["dnsServers"], json!(["9.9.9.9"]));

    let id = created["networkID"].as_str().unwrap();
    let (status, renamed) = ctx
        .send(
            reqwest::Method::PUT,
            &ctx.url(&format!("/networks/{id}")),
            Some(json!({"name": "dr_net2"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(renamed["name"], "dr_net2");
    assert_eq!(renamed["vlanID"], created["vlanID"]);

    let (status, err) = ctx
        .send(
            reqwest::Method::DELETE,
            &ctx.url(&format!("/networks/{mgmt}")),
            None,
        )
        .await;
    assert_eq!(status, 409, "a network with VMs cannot go: {err}");
    let (status, _) = ctx
        .send(
            reqwest::Method::DELETE,
            &ctx.url(&format!("/networks/{id}")),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, err) = ctx.get(&format!("/networks/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(err["error"], "network not found");
    ctx.sim.shutdown().await;
}

#[tokio::test]
async fn images_and_ssh_keys() {
    let ctx = Ctx::new(1.0).await;
    let (_, stock) = ctx.get("/stock-images").await;
    let aix = common::find_by(&stock["images"], "name", "7300-02-01")
        .unwrap()
        .clone();
    assert_eq!(aix["specifications"]["operatingSystem"], "aix");
    assert_eq!(aix["state"], "active");
    let names: Vec<&str> = stock["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    for wanted in ["IBMi-75-03-2924-1", "RHEL9-SP2", "SLES15-SP5"] {
        assert!(names.contains(&wanted), "{names:?}");
    }
    let (status, one) = ctx
        .get(&format!(
            "/stock-images/{}",
            aix["imageID"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["name"], "7300-02-01");

    let (_, own) = ctx.get("/images").await;
    assert_eq!(own["images"].as_array().unwrap().len(), 4);
    let (status, _) = ctx
        .post(
            "/images",
            json!({"source": "root-project", "imageID": aix["imageID"]}),
        )
        .await;
    assert_eq!(status, 409, "already copied");
    let older = common::find_by(&stock["images"], "name", "7200-05-06").unwrap();
    let (status, copy) = ctx
        .post(
            "/images",
            json!({"source": "root-project", "imageID": older["imageID"]}),
        )
        .await;
    assert_eq!(status, 201);
    assert_ne!(copy["imageID"], older["imageID"]);
    let path = format!("/images/{}", copy["imageID"].as_str().unwrap());
    let (status, _) = ctx
        .send(reqwest::Method::DELETE, &ctx.url(&path), None)
        .await;
    assert_eq!(status, 200);

    let keys_url = format!("{}/power/v1/ssh-keys", ctx.sim.url());
    let (status, keys) = ctx.send(reqwest::Method::GET, &keys_url, None).await;
    assert_eq!(status, 200);
    assert_eq!(keys["sshKeys"][0]["name"], "slz-ssh-key");
    let key = json!({"name": "dr-key", "sshKey": "ssh-rsa AAAAB3Nza dr"});
    let (status, created) = ctx
        .send(reqwest::Method::POST, &keys_url, Some(key.clone()))
        .await;
    assert_eq!(status, 201);
    let (status, _) = ctx.send(reqwest::Method::POST, &keys_url, Some(key)).await;
    assert_eq!(status, 409);
    let (status, _) = ctx
        .send(
            reqwest::Method::POST,
            &keys_url,
            Some(json!({"name": "k", "sshKey": "nope"})),
        )
        .await;
    assert_eq!(status, 400);
    let tenant = format!(
        "{}/power/pcloud/v1/tenants/{}/sshkeys",
        ctx.sim.url(),
        ctx.sim.sim.account_id()
    );
    let (status, legacy) = ctx.send(reqwest::Method::GET, &tenant, None).await;
    assert_eq!(status, 200);
    assert_eq!(legacy["sshKeys"].as_array().unwrap().len(), 2);
    let one = format!("{keys_url}/{}", created["id"].as_str().unwrap());
    let (status, _) = ctx.send(reqwest::Method::DELETE, &one, None).await;
    assert_eq!(status, 204);
    let (status, _) = ctx.send(reqwest::Method::GET, &one, None).await;
    assert_eq!(status, 404);
    ctx.sim.shutdown().await;
}

#[tokio::test]
async fn pvm_instance_builds_warns_then_is_ok_and_can_be_resized_and_deleted() {
    // 300 s build -> 300 ms; 300 s of WARNING -> 300 ms: wide enough to observe each.
    let ctx = Ctx::new(1_000.0).await;
    let (status, created) = ctx
        .post("/pvm-instances", ctx.vm_spec("app-02").await)
        .await;
    assert_eq!(status, 202, "{created}");
    let array = created.as_array().expect("create answers an array");
    assert_eq!(array.len(), 1);
    let vm = &array[0];
    assert_eq!(vm["status"], "BUILD");
    assert_eq!(vm["serverName"], "app-02");
    assert_eq!(vm["osType"], "aix");
    assert_eq!(vm["processors"], 0.5);
    assert_eq!(vm["memory"], 4.0);
    let ip = vm["networks"][0]["ipAddress"].as_str().unwrap();
    assert!(ip.starts_with("10.51.0."), "{ip}");
    assert_eq!(
        ip, "10.51.0.6",
        "the next free address after the four seeded VMs"
    );
    assert!(
        vm["networks"][0]["macAddress"]
            .as_str()
            .unwrap()
            .starts_with("fa:16:3e:")
    );
    assert!(vm["crn"].as_str().unwrap().ends_with(&format!(
        ":pvm-instance:{}",
        vm["pvmInstanceID"].as_str().unwrap()
    )));
    let id = vm["pvmInstanceID"].as_str().unwrap().to_owned();

    let mut saw_warning = false;
    for _ in 0..400 {
        let (_, now) = ctx.get(&format!("/pvm-instances/{id}")).await;
        if now["status"] == "ACTIVE" && now["health"]["status"] == "WARNING" {
            saw_warning = true;
        }
        if now["health"]["status"] == "OK" {
            assert_eq!(now["status"], "ACTIVE");
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let (_, vm) = ctx.get(&format!("/pvm-instances/{id}")).await;
    assert_eq!(vm["health"]["status"], "OK");
    assert!(saw_warning, "ACTIVE with WARNING health comes before OK");

    let vm_url = ctx.url(&format!("/pvm-instances/{id}"));
    let put = |body: Value| ctx.send(reqwest::Method::PUT, &vm_url, Some(body));
    let (status, err) = put(json!({"processors": 0.3})).await;
    assert_eq!(status, 400, "{err}");
    let (status, err) = put(json!({"memory": 1})).await;
    assert_eq!(status, 400, "{err}");
    let (status, accepted) = put(json!({"processors": 1.0, "memory": 8})).await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["processors"], 1.0);
    let resized = ctx.wait_vm(&id, |v| v["status"] == "ACTIVE").await;
    assert_eq!(resized["processors"], 1.0);
    assert_eq!(resized["memory"], 8.0);

    let (status, _) = ctx
        .send(
            reqwest::Method::DELETE,
            &ctx.url(&format!("/pvm-instances/{id}")),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let gone = ctx.wait_vm(&id, |v| v["code"] == 404).await;
    assert_eq!(gone["error"], "pvm-instance not found");
    ctx.sim.shutdown().await;
}

#[tokio::test]
async fn injected_build_fault_ends_in_error_with_the_message() {
    let ctx = Ctx::new(10_000.0).await;
    let r = common::plain_post(format!("{}/_sim/faults", ctx.sim.url()), json!({"pvm_build_errors": [{"server_name_prefix": "doomed", "message": "No valid host was found"}]})).await;
    assert_eq!(r.status(), 200);
    let (_, created) = ctx
        .post("/pvm-instances", ctx.vm_spec("doomed-1").await)
        .await;
    let id = created[0]["pvmInstanceID"].as_str().unwrap().to_owned();
    let failed = ctx.wait_vm(&id, |v| v["status"] == "ERROR").await;
    assert_eq!(failed["fault"]["message"], "No valid host was found");
    assert_eq!(failed["health"]["status"], "CRITICAL");
    // Other names are unaffected.
    let (_, fine) = ctx
        .post("/pvm-instances", ctx.vm_spec("fine-1").await)
        .await;
    let id = fine[0]["pvmInstanceID"].as_str().unwrap().to_owned();
    ctx.wait_vm(&id, |v| v["status"] == "ACTIVE").await;
    ctx.sim.shutdown().await;
}

#[tokio::test]
async fn create_validates_like_powervs_and_supports_replicants() {
    let ctx = Ctx::new(1.0).await;
    let spec = ctx.vm_spec("v1").await;
    let variants: Vec<(Value, u16)> = vec![
        (json!({"imageID": "nope"}), 404),
        (json!({"networks": [{"networkID": "nope"}]}), 404),
        (json!({"networks": []}), 400),
        (json!({"sysType": "e1180"}), 400),
        (json!({"procType": "turbo"}), 400),
        (json!({"procType": "dedicated", "processors": 0.5}), 400),
        (json!({"storageType": "tier2"}), 400),
        (json!({"keyPairName": "missing-key"}), 404),
        (json!({"serverName": "aix-app-01"}), 409),
        (
            json!({"networks": [{"networkID": ctx.network_id("mgmt_net").await, "ipAddress": "10.51.0.2"}]}),
            409,
        ),
        (
            json!({"networks": [{"networkID": ctx.network_id("mgmt_net").await, "ipAddress": "10.52.0.9"}]}),
            400,
        ),
    ];
    for (change, expected) in variants {
        let mut body = spec.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, err) = ctx.post("/pvm-instances", body).await;
        assert_eq!(status, expected, "{change} -> {err}");
        assert_eq!(err["code"], expected);
    }
    let mut body = spec.clone();
    body["replicants"] = json!(2);
    body["serverName"] = json!("web");
    let (status, created) = ctx.post("/pvm-instances", body).await;
    assert_eq!(status, 202);
    let names: Vec<&str> = created
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["serverName"].as_str())
        .collect();
    assert_eq!(names, vec!["web-1", "web-2"]);
    assert_ne!(
        created[0]["networks"][0]["ipAddress"],
        created[1]["networks"][0]["ipAddress"]
    );
    // Requested address is honoured.
    let mut body = spec.clone();
    body["serverName"] = json!("fixed-ip");
    body["networks"] =
        json!([{"networkID": ctx.network_id("bkp_net").await, "ipAddress": "10.52.0.77"}]);
    let (status, created) = ctx.post("/pvm-instances", body).await;
    assert_eq!(status, 202);
    assert_eq!(created[0]["networks"][0]["ipAddress"], "10.52.0.77");
    ctx.sim.shutdown().await;
}

#[tokio::test]
async fn actions_and_out_of_band_drift() {
    let ctx = Ctx::new(1.0).await;
    let (_, list) = ctx.get("/pvm-instances").await;
    let vms = list["pvmInstances"].as_array().unwrap();
    let names: Vec<&str> = vms
        .iter()
        .filter_map(|v| v["serverName"].as_str())
        .collect();
    assert_eq!(
        names,
        vec!["aix-app-01", "ibmi-db-01", "rhel-web-01", "sles-util-01"]
    );
    let os: Vec<&str> = vms.iter().filter_map(|v| v["osType"].as_str()).collect();
    assert_eq!(os, vec!["aix", "ibmi", "rhel", "sles"]);
    let id = vms[0]["pvmInstanceID"].as_str().unwrap().to_owned();
    assert_eq!(vms[0]["status"], "ACTIVE");
    assert_eq!(vms[0]["health"]["status"], "OK");

    let (status, _) = ctx
        .post(
            &format!("/pvm-instances/{id}/action"),
            json!({"action": "stop"}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, vm) = ctx.get(&format!("/pvm-instances/{id}")).await;
    assert_eq!(vm["status"], "SHUTOFF");
    let (status, _) = ctx
        .post(
            &format!("/pvm-instances/{id}/action"),
            json!({"action": "stop"}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = ctx
        .post(
            &format!("/pvm-instances/{id}/action"),
            json!({"action": "fly"}),
        )
        .await;
    assert_eq!(status, 400);

    let patch = common::plain_patch(
        format!("{}/_sim/objects/power/pvm_instances/{id}", ctx.sim.url()),
        json!({"status": "ERROR", "fault": {"message": "host failure"}}),
    )
    .await;
    assert_eq!(patch.status(), 200);
    let (_, vm) = ctx.get(&format!("/pvm-instances/{id}")).await;
    assert_eq!(vm["status"], "ERROR");
    assert_eq!(vm["fault"]["message"], "host failure");
    let (status, _) = ctx
        .post(
            &format!("/pvm-instances/{id}/action"),
            json!({"action": "reset-state"}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, vm) = ctx.get(&format!("/pvm-instances/{id}")).await;
    assert_eq!(vm["status"], "ACTIVE");
    assert!(vm["fault"].is_null());

    // Deletion is asynchronous: at time scale 1 the VM stays readable for a minute.
    let rhel = vms[2]["pvmInstanceID"].as_str().unwrap().to_owned();
    let rhel_url = ctx.url(&format!("/pvm-instances/{rhel}"));
    let (status, _) = ctx.send(reqwest::Method::DELETE, &rhel_url, None).await;
    assert_eq!(status, 200);
    let (status, deleting) = ctx.get(&format!("/pvm-instances/{rhel}")).await;
    assert_eq!(status, 200);
    assert_eq!(deleting["taskState"], "deleting");
    let (status, _) = ctx.send(reqwest::Method::DELETE, &rhel_url, None).await;
    assert_eq!(status, 200, "a repeated delete is accepted");
    // Pulling the internal deadline forward (a drift edit) completes it.
    let patch = common::plain_patch(
        format!("{}/_sim/objects/power/pvm_instances/{rhel}", ctx.sim.url()),
        json!({"_delete_at": 1}),
    )
    .await;
    assert_eq!(patch.status(), 200);
    let (status, _) = ctx.get(&format!("/pvm-instances/{rhel}")).await;
    assert_eq!(status, 404);

    let del = common::plain_delete(format!(
        "{}/_sim/objects/power/pvm_instances/{id}",
        ctx.sim.url()
    ))
    .await;
    assert_eq!(del.status(), 204);
    let (status, _) = ctx.get(&format!("/pvm-instances/{id}")).await;
    assert_eq!(status, 404);
    ctx.sim.shutdown().await;
}

#[tokio::test]
async fn networks_attach_to_and_detach_from_an_instance_in_place() {
    let ctx = Ctx::new(1_000.0).await;
    let (_, list) = ctx.get("/pvm-instances").await;
    let vm = common::find_by(&list["pvmInstances"], "serverName", "aix-app-01")
        .unwrap()
        .clone();
    let id = vm["pvmInstanceID"].as_str().unwrap().to_owned();
    let nets = format!("/pvm-instances/{id}/networks");
    let (status, before) = ctx.get(&nets).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(
        before["networks"], vm["networks"],
        "the same NICs as the instance shows"
    );

    // A public network, as a user creates it in the console, then attached by hand.
    let (status, public) = ctx
        .post(
            "/networks",
            json!({"type": "pub-vlan", "name": "public-net"}),
        )
        .await;
    assert_eq!(status, 201, "{public}");
    let public_id = public["networkID"].as_str().unwrap().to_owned();
    let (status, nic) = ctx.post(&nets, json!({"networkID": public_id})).await;
    assert_eq!(status, 201, "{nic}");
    assert_eq!(nic["networkID"], public_id.as_str());
    assert_eq!(nic["networkName"], "public-net");
    assert_eq!(
        nic["externalIP"], nic["ipAddress"],
        "a public NIC shows its address"
    );
    assert!(nic["macAddress"].as_str().unwrap().starts_with("fa:16:3e:"));
    let (_, after) = ctx.get(&format!("/pvm-instances/{id}")).await;
    let attached: Vec<&str> = common::texts(&after["networks"], "networkID");
    let had = before["networks"].as_array().unwrap().len();
    assert_eq!(attached.len(), had + 1);
    assert_eq!(attached[had], public_id);
    let (status, one) = ctx.get(&format!("{nets}/{public_id}")).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["networks"].as_array().unwrap().len(), 1);

    // What PowerVS refuses.
    let (status, err) = ctx.post(&nets, json!({"networkID": public_id})).await;
    assert_eq!(status, 409, "attached twice: {err}");
    let (status, err) = ctx.post(&nets, json!({})).await;
    assert_eq!(status, 400, "{err}");
    assert!(
        err["description"]
            .as_str()
            .unwrap()
            .contains("networkID is required")
    );
    let (status, err) = ctx.post(&nets, json!({"networkID": "no-such-net"})).await;
    assert_eq!(status, 400, "{err}");
    let (status, _) = ctx
        .post(
            "/pvm-instances/no-such-vm/networks",
            json!({"networkID": public_id}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, err) = ctx
        .send(
            reqwest::Method::DELETE,
            &ctx.url(&format!("/networks/{public_id}")),
            None,
        )
        .await;
    assert_eq!(status, 409, "a network with a NIC cannot be deleted: {err}");

    // Detach: by network, or one NIC by its MAC address.
    let nic_url = ctx.url(&format!("{nets}/{public_id}"));
    let detach = |body: Option<Value>| ctx.send(reqwest::Method::DELETE, &nic_url, body);
    let (status, err) = detach(Some(json!({"macAddress": "fa:16:3e:00:00:00"}))).await;
    assert_eq!(status, 404, "no NIC with that MAC: {err}");
    let (status, done) = detach(None).await;
    assert_eq!((status, done), (200, json!({})));
    let (_, now) = ctx.get(&nets).await;
    assert_eq!(now["networks"], before["networks"]);
    let (status, _) = detach(None).await;
    assert_eq!(status, 404, "already detached");
    let (status, _) = ctx.get(&format!("{nets}/{public_id}")).await;
    assert_eq!(status, 404);

    // A VM that is not ACTIVE or SHUTOFF cannot change its networks.
    let patched = common::plain_patch(
        format!("{}/_sim/objects/power/pvm_instances/{id}", ctx.sim.url()),
        json!({"status": "ERROR"}),
    )
    .await;
    assert_eq!(patched.status(), 200);
    let (status, err) = ctx.post(&nets, json!({"networkID": public_id})).await;
    assert_eq!(status, 409, "{err}");
    ctx.sim.shutdown().await;
}
