//! The emulator's core: start-up, control routes, counters, faults, drift edits, reset.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use serde_json::{Value, json};

#[tokio::test]
async fn health_and_endpoints_document() {
    let sim = common::start().await;
    let (status, body) = common::get_json(&format!("{}/healthz", sim.url())).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    let (status, doc) = common::get_json(&format!("{}/endpoints.json", sim.url())).await;
    assert_eq!(status, 200);
    assert_eq!(
        doc["IBMCLOUD_IAM_API_ENDPOINT"]["public"]["us-south"],
        json!(format!("{}/iam", sim.url()))
    );
    for variable in [
        "IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT",
        "IBMCLOUD_RESOURCE_CATALOG_API_ENDPOINT",
        "IBMCLOUD_RESOURCE_MANAGEMENT_API_ENDPOINT",
        "IBMCLOUD_PI_API_ENDPOINT",
        "IBMCLOUD_IS_NG_API_ENDPOINT",
        "IBMCLOUD_TG_API_ENDPOINT",
        "IBMCLOUD_DRA_API_ENDPOINT",
    ] {
        let url = doc[variable]["private"]["us-south"]
            .as_str()
            .unwrap_or_default();
        assert!(url.starts_with(&sim.url()), "{variable}: {url}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_are_counted_in_one_bucket() {
    let sim = common::start().await;
    for i in 0..3 {
        let r = common::plain_get(format!("{}/nope/{i}", sim.url())).await;
        assert_eq!(r.status(), 404);
    }
    let (_, counts) = common::get_json(&format!("{}/_sim/requests", sim.url())).await;
    assert_eq!(counts["total"], 3);
    let routes: Vec<Value> = counts["by_route"].as_array().cloned().unwrap_or_default();
    assert_eq!(routes.len(), 1, "{counts}");
    assert_eq!(routes[0]["route"], "(unmatched)");
    let r = common::plain_get(format!("{}/power/pcloud/v9/x", sim.url())).await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], 404, "PowerVS body under /power");
    sim.shutdown().await;
}

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dr_cloudsim::{RunningSim, SimConfig};

async fn post_json(url: &str, body: Value) -> (u16, Value) {
    let r = common::plain_post(url, body).await;
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// The primary workspace's GUID and CRN.
async fn primary(sim: &RunningSim) -> (String, String) {
    let instances = common::state_collection(sim, "rc", "resource_instances").await;
    let ws = instances
        .iter()
        .find(|i| i["name"] == "slz-dal10-power-workspace")
        .unwrap();
    (
        ws["guid"].as_str().unwrap().to_owned(),
        ws["crn"].as_str().unwrap().to_owned(),
    )
}

async fn power_get(sim: &RunningSim, token: &str, path: &str) -> reqwest::Response {
    let (guid, crn) = primary(sim).await;
    common::client()
        .get(format!(
            "{}/power/pcloud/v1/cloud-instances/{guid}{path}",
            sim.url()
        ))
        .bearer_auth(token)
        .header("CRN", crn)
        .send()
        .await
        .unwrap()
}

fn route_count(counts: &Value, method: &str, route: &str, status: u16) -> u64 {
    counts["by_route"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["method"] == method && r["route"] == route && r["status"] == status)
        .and_then(|r| r["count"].as_u64())
        .unwrap_or(0)
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_status() {
    let sim = common::start().await;
    let token = common::token(&sim).await;
    for _ in 0..2 {
        assert_eq!(power_get(&sim, &token, "/networks").await.status(), 200);
    }
    let r = common::plain_get(format!("{}/rc/v2/resource_instances", sim.url())).await;
    assert_eq!(r.status(), 401);
    let (_, counts) = common::get_json(&format!("{}/_sim/requests", sim.url())).await;
    let networks = "/power/pcloud/v1/cloud-instances/{cloud_instance_id}/networks";
    assert_eq!(route_count(&counts, "GET", networks, 200), 2, "{counts}");
    assert_eq!(
        route_count(&counts, "GET", "/rc/v2/resource_instances", 401),
        1
    );
    assert_eq!(route_count(&counts, "POST", "/iam/identity/token", 200), 1);
    assert_eq!(
        counts["iam"]["grants"],
        serde_json::json!({"apikey": 1}),
        "{counts}"
    );
    assert_eq!(
        counts["total"], 4,
        "control routes are not counted: {counts}"
    );
    let r = common::plain_delete(format!("{}/_sim/requests", sim.url())).await;
    assert_eq!(r.status(), 204);
    let (_, counts) = common::get_json(&format!("{}/_sim/requests", sim.url())).await;
    assert_eq!(counts["total"], 0);
    assert_eq!(counts["by_route"], json!([]));
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_fail_requests_in_each_service_body_with_retry_after() {
    let sim = common::start().await;
    let token = common::token(&sim).await;
    let (status, _) = post_json(
        &format!("{}/_sim/faults", sim.url()),
        json!({"rules": [
            {"path_prefix": "/power", "methods": ["GET"], "rate": 1.0, "status": 429, "retry_after_seconds": 3},
            {"path_prefix": "/rc", "status": 503},
            {"path_prefix": "/iam", "methods": ["POST"], "status": 500},
        ]}),
    )
    .await;
    assert_eq!(status, 200);
    let r = power_get(&sim, &token, "/networks").await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "3");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], 429);
    assert!(body["description"].is_string() && body["error"].is_string());

    let r = common::authed_get(format!("{}/rc/v2/resource_instances", sim.url()), &token).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_none());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status_code"], 503);
    assert!(body["error_code"].is_string());

    let r = common::client()
        .post(format!("{}/iam/identity/token", sim.url()))
        .form(&[
            ("grant_type", "urn:ibm:params:oauth:grant-type:apikey"),
            ("apikey", "sim-api-key"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let body: Value = r.json().await.unwrap();
    assert!(body["errorCode"].is_string() && body["errorMessage"].is_string());

    // Control routes are never faulted; injected failures are counted.
    let (_, counts) = common::get_json(&format!("{}/_sim/requests", sim.url())).await;
    let networks = "/power/pcloud/v1/cloud-instances/{cloud_instance_id}/networks";
    assert_eq!(route_count(&counts, "GET", networks, 429), 1, "{counts}");

    let r = common::plain_delete(format!("{}/_sim/faults", sim.url())).await;
    assert_eq!(r.status(), 204);
    assert_eq!(power_get(&sim, &token, "/networks").await.status(), 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn fault_draws_are_repeatable_for_a_seed_and_latency_is_added() {
    let sim = common::start_with(SimConfig {
        seed: 42,
        ..Default::default()
    })
    .await;
    let token = common::token(&sim).await;
    let rules = json!({"rules": [{"path_prefix": "/rm", "rate": 0.5, "status": 500}]});
    let mut runs = Vec::new();
    for _ in 0..2 {
        let (status, _) = post_json(&format!("{}/_sim/faults", sim.url()), rules.clone()).await;
        assert_eq!(status, 200);
        let mut statuses = Vec::new();
        for _ in 0..30 {
            let r =
                common::authed_get(format!("{}/rm/v2/resource_groups", sim.url()), &token).await;
            statuses.push(r.status().as_u16());
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1], "same rules and seed, same failures");
    let failures = runs[0].iter().filter(|s| **s == 500).count();
    assert!((5..=25).contains(&failures), "about half fail: {failures}");

    let (status, _) = post_json(
        &format!("{}/_sim/faults", sim.url()),
        json!({"rules": [{"path_prefix": "/rm", "latency_ms": 150}]}),
    )
    .await;
    assert_eq!(status, 200);
    let started = Instant::now();
    let r = common::authed_get(format!("{}/rm/v2/resource_groups", sim.url()), &token).await;
    assert_eq!(r.status(), 200, "a latency-only rule does not fail");
    assert!(started.elapsed() >= Duration::from_millis(150));

    for bad in [
        json!({"rules": [{"path_prefix": "/rm", "rate": 2.0, "status": 500}]}),
        json!({"rules": [{"path_prefix": "rm", "status": 500}]}),
        json!({"rules": [{"path_prefix": "/rm", "status": 1000}]}),
        json!({"token_lifetime_seconds": 0}),
        json!({"rules": "nope"}),
    ] {
        let (status, body) = post_json(&format!("{}/_sim/faults", sim.url()), bad.clone()).await;
        assert_eq!(status, 400, "{bad}");
        assert!(body["error"].is_string());
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn objects_can_be_edited_and_deleted_out_of_band_and_reset_restores_the_scenario() {
    let sim = common::start().await;
    let token = common::token(&sim).await;
    let ids = |state: &Value| -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (service, collections) in state.as_object().unwrap() {
            for (collection, objects) in collections.as_object().unwrap() {
                for o in objects.as_array().unwrap() {
                    let id = ["id", "guid", "networkID", "pvmInstanceID", "imageID"]
                        .iter()
                        .find_map(|k| o[*k].as_str())
                        .unwrap_or_default();
                    out.insert(format!("{service}/{collection}/{id}"));
                }
            }
        }
        out
    };
    let (_, initial) = common::get_json(&format!("{}/_sim/state", sim.url())).await;
    for service in ["iam", "rc", "power", "vpc", "tg"] {
        assert!(initial[service].is_object(), "{service} is seeded");
    }
    assert!(
        initial.to_string().find("\"_").is_none(),
        "internal keys never show in /_sim/state"
    );

    let nets = common::state_collection(&sim, "power", "networks").await;
    let net_id = nets[0]["networkID"].as_str().unwrap();
    let object_url = format!("{}/_sim/objects/power/networks/{net_id}", sim.url());
    let r = common::plain_patch(
        &object_url,
        json!({"name": "renamed", "dnsServers": ["1.1.1.1"], "mtu": null}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let (status, raw) = common::get_json(&object_url).await;
    assert_eq!(status, 200);
    assert_eq!(raw["name"], "renamed");
    assert!(raw.get("mtu").is_none(), "null removes a key");
    assert!(
        raw["_workspace"].is_string(),
        "the control view shows internals"
    );
    let r = power_get(&sim, &token, &format!("/networks/{net_id}")).await;
    let api: Value = r.json().await.unwrap();
    assert_eq!(api["dnsServers"], json!(["1.1.1.1"]));

    let r = common::plain_delete(&object_url).await;
    assert_eq!(r.status(), 204);
    let r = common::plain_delete(&object_url).await;
    assert_eq!(r.status(), 404);
    let r = common::plain_patch(
        format!("{}/_sim/objects/power/networks/none", sim.url()),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        power_get(&sim, &token, &format!("/networks/{net_id}"))
            .await
            .status(),
        404
    );

    let (status, _) = post_json(&format!("{}/_sim/reset", sim.url()), json!({})).await;
    assert_eq!(status, 200);
    let (_, after) = common::get_json(&format!("{}/_sim/state", sim.url())).await;
    assert_eq!(
        ids(&after),
        ids(&initial),
        "reset brings back the same objects and ids"
    );
    assert_eq!(
        power_get(&sim, &token, &format!("/networks/{net_id}"))
            .await
            .status(),
        200
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_scenario_file_replaces_the_default_account() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.json");
    std::fs::write(
        &path,
        json!({
            "account_id": "feedfacefeedfacefeedfacefeedface",
            "workspaces": [{"name": "only-ws", "zone": "mad02", "networks": [{"name": "n1", "type": "vlan", "cidr": "192.168.10.0/24"}]}],
            "transit_gateway": null,
            "vpc": null
        })
        .to_string(),
    )
    .unwrap();
    let sim = common::start_with(SimConfig {
        scenario: Some(path),
        ..Default::default()
    })
    .await;
    let workspaces = common::state_collection(&sim, "power", "workspaces").await;
    assert_eq!(workspaces.len(), 1);
    assert_eq!(workspaces[0]["location"]["region"], "mad02");
    assert!(
        workspaces[0]["details"]["crn"]
            .as_str()
            .unwrap()
            .contains("a/feedfacefeedfacefeedfacefeedface:")
    );
    sim.shutdown().await;

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    let err = dr_cloudsim::start(SimConfig {
        scenario: Some(bad),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("not valid"), "{err}");
    let err = dr_cloudsim::start(SimConfig {
        time_scale: 0.0,
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("time-scale"), "{err}");
}

async fn create_key(sim_url: &str, token: &str, crn: &str, name: &str) -> u16 {
    common::client()
        .post(format!("{sim_url}/power/v1/ssh-keys"))
        .bearer_auth(token)
        .header("CRN", crn)
        .json(&json!({"name": name, "sshKey": format!("ssh-rsa AAAA {name}")}))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test]
async fn state_file_survives_a_restart_and_ids_do_not_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let config = SimConfig {
        state_file: Some(state.clone()),
        ..Default::default()
    };
    let sim = common::start_with(config.clone()).await;
    let token = common::token(&sim).await;
    let (_, crn) = primary(&sim).await;
    assert_eq!(
        create_key(&sim.url(), &token, &crn, "before-restart").await,
        201
    );
    let keys_before = common::state_collection(&sim, "power", "ssh_keys").await;
    sim.shutdown().await;
    assert!(state.exists());

    let sim = common::start_with(config).await;
    let keys = common::state_collection(&sim, "power", "ssh_keys").await;
    assert_eq!(keys, keys_before);
    // Tokens stay valid across a restart with the same seed.
    assert_eq!(
        create_key(&sim.url(), &token, &crn, "after-restart").await,
        201
    );
    let keys = common::state_collection(&sim, "power", "ssh_keys").await;
    let ids: BTreeSet<&str> = keys.iter().filter_map(|k| k["id"].as_str()).collect();
    assert_eq!(ids.len(), keys.len(), "no id is handed out twice");
    sim.shutdown().await;

    std::fs::write(&state, "{\"torn").unwrap();
    let err = dr_cloudsim::start(SimConfig {
        state_file: Some(state),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("state file"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_clients_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let config = SimConfig {
        state_file: Some(dir.path().join("state.json")),
        ..Default::default()
    };
    let sim = common::start_with(config.clone()).await;
    let token = common::token(&sim).await;
    let (guid, crn) = primary(&sim).await;
    let base = sim.url();
    let nets = common::state_collection(&sim, "power", "networks").await;
    let bkp = nets
        .iter()
        .find(|n| n["name"] == "bkp_net" && n["crn"].as_str().unwrap().contains(&guid))
        .unwrap()["networkID"]
        .as_str()
        .unwrap()
        .to_owned();
    let images = common::state_collection(&sim, "power", "images").await;
    let aix = images
        .iter()
        .find(|i| i["name"] == "7300-02-01" && i["crn"].as_str().unwrap().contains(&guid))
        .unwrap()["imageID"]
        .clone();
    // Every client reads-allocates-writes an IP address on the same network.
    let tasks: Vec<_> = (0..64)
        .map(|n| {
            let (base, token, crn, guid, bkp, aix) =
                (base.clone(), token.clone(), crn.clone(), guid.clone(), bkp.clone(), aix.clone());
            tokio::spawn(async move {
                let r = common::client()
                    .post(format!("{base}/power/pcloud/v1/cloud-instances/{guid}/pvm-instances"))
                    .bearer_auth(token)
                    .header("CRN", crn)
                    .json(&json!({"serverName": format!("load-{n}"), "imageID": aix, "processors": 0.25,
                        "memory": 2, "procType": "shared", "networks": [{"networkID": bkp}]}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 202);
                let body: Value = r.json().await.unwrap();
                body[0]["networks"][0]["ipAddress"].as_str().unwrap().to_owned()
            })
        })
        .collect();
    let mut addresses = BTreeSet::new();
    for task in tasks {
        addresses.insert(task.await.unwrap());
    }
    assert_eq!(addresses.len(), 64, "every client got its own address");
    let vms = common::state_collection(&sim, "power", "pvm_instances").await;
    let load = vms
        .iter()
        .filter(|v| v["serverName"].as_str().unwrap().starts_with("load-"))
        .count();
    assert_eq!(load, 64);
    sim.shutdown().await;

    let sim = common::start_with(config).await;
    let vms = common::state_collection(&sim, "power", "pvm_instances").await;
    let load = vms
        .iter()
        .filter(|v| v["serverName"].as_str().unwrap().starts_with("load-"))
        .count();
    assert_eq!(load, 64, "every acknowledged create is in the state file");
    sim.shutdown().await;
}

/// The emulator binary, started like a user would, with its URL read from stdout.
struct Binary {
    child: Child,
    url: String,
}

impl Binary {
    fn spawn(state: &std::path::Path) -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dr-cloudsim"))
            .args(["serve", "--listen", "127.0.0.1:0", "--state"])
            .arg(state)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim_end()
            .strip_prefix("dr-cloudsim listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Binary { child, url }
    }

    /// SIGKILL: no chance to flush anything.
    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

async fn binary_token(url: &str) -> String {
    let body: Value = common::client()
        .post(format!("{url}/iam/identity/token"))
        .form(&[
            ("grant_type", "urn:ibm:params:oauth:grant-type:apikey"),
            ("apikey", "sim-api-key"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn binary_primary_crn(url: &str, token: &str) -> String {
    let body: Value = common::authed_get(format!("{url}/power/v1/workspaces"), token)
        .await
        .json()
        .await
        .unwrap();
    common::find_by(&body["workspaces"], "name", "slz-dal10-power-workspace")
        .unwrap()["details"]["crn"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_loses_no_acknowledged_write_and_never_corrupts_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut acknowledged: BTreeSet<String> = BTreeSet::new();
    for round in 0..3 {
        let binary = Binary::spawn(&state);
        let token = binary_token(&binary.url).await;
        let crn = binary_primary_crn(&binary.url, &token).await;
        // Everything acknowledged before is still there after the previous kill.
        let body: Value = common::client()
            .get(format!("{}/power/v1/ssh-keys", binary.url))
            .bearer_auth(&token)
            .header("CRN", &crn)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let present: BTreeSet<String> = body["sshKeys"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|k| k["name"].as_str().map(str::to_owned))
            .collect();
        assert!(
            acknowledged.is_subset(&present),
            "round {round}: lost {:?}",
            acknowledged.difference(&present)
        );

        // Eight writers race while the process is killed under them.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let (url, token, crn, tx) =
                    (binary.url.clone(), token.clone(), crn.clone(), tx.clone());
                tokio::spawn(async move {
                    for i in 0.. {
                        let name = format!("r{round}-w{w}-{i}");
                        match create_key(&url, &token, &crn, &name).await {
                            201 => {
                                let _ = tx.send(name);
                            }
                            _ => break,
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        tokio::time::sleep(Duration::from_millis(150 + 100 * round)).await;
        binary.kill9();
        for w in writers {
            w.await.unwrap();
        }
        while let Some(name) = rx.recv().await {
            acknowledged.insert(name);
        }
        let text = std::fs::read_to_string(&state).unwrap();
        assert!(
            serde_json::from_str::<Value>(&text).is_ok(),
            "the state file is always whole"
        );
    }
    assert!(
        acknowledged.len() > 8,
        "writes happened: {}",
        acknowledged.len()
    );
    let binary = Binary::spawn(&state);
    let token = binary_token(&binary.url).await;
    let crn = binary_primary_crn(&binary.url, &token).await;
    let body: Value = common::client()
        .get(format!("{}/power/v1/ssh-keys", binary.url))
        .bearer_auth(&token)
        .header("CRN", &crn)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let present: BTreeSet<String> = body["sshKeys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["name"].as_str().map(str::to_owned))
        .collect();
    assert!(acknowledged.is_subset(&present));
    binary.kill9();
}
