//! The provider block alone configures the provider: every argument family is driven through
//! real Terraform with every `IC_*` / `IBMCLOUD_*` variable blanked, so nothing comes from the
//! environment by accident.
//!
//! - `endpoints` block: each service at the emulator's prefix, a real apply and destroy.
//! - `endpoints_file_path`: IBM's JSON file, its `public` or `private` entries picked by
//!   `visibility` (the other half points at a closed port, so a wrong pick fails).
//! - `iam_token` + `iam_refresh_token`: an expired token is replaced through a refresh grant,
//!   seen in dr-cloudsim's IAM grant counters; no API key login happens.
//! - `visibility = "private"` with no overrides: every service resolves to its private host
//!   (the provider's DEBUG log of the resolved endpoints), and the calls really go there: a
//!   recording HTTPS proxy (the `HTTPS_PROXY` the provider honours) sees the CONNECTs and
//!   refuses them, so the test never leaves the machine.
//!
//! Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use acctests::WorkDir;
use acctests::fixtures::{PRIMARY, PROVIDER_HEADER, security_group_rule};
use acctests::sim::{API_KEY, Sim};
use serde_json::{Value, json};

/// Every environment variable the provider reads for its IBM Cloud settings.
const PROVIDER_ENV: &[&str] = &[
    "IC_API_KEY",
    "IBMCLOUD_API_KEY",
    "IC_IAM_TOKEN",
    "IC_IAM_REFRESH_TOKEN",
    "IC_REGION",
    "IBMCLOUD_REGION",
    "IC_ZONE",
    "IBMCLOUD_ZONE",
    "IC_VISIBILITY",
    "IBMCLOUD_VISIBILITY",
    "IC_ENDPOINTS_FILE_PATH",
    "IBMCLOUD_ENDPOINTS_FILE_PATH",
    "IBMCLOUD_IAM_API_ENDPOINT",
    "IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT",
    "IBMCLOUD_RESOURCE_CATALOG_API_ENDPOINT",
    "IBMCLOUD_RESOURCE_MANAGEMENT_API_ENDPOINT",
    "IBMCLOUD_PI_API_ENDPOINT",
    "IBMCLOUD_IS_NG_API_ENDPOINT",
    "IBMCLOUD_TG_API_ENDPOINT",
    "IBMCLOUD_DRA_API_ENDPOINT",
];

/// (`endpoints` block attribute, endpoints-file key, dr-cloudsim prefix) of every service.
const SERVICES: &[(&str, &str, &str)] = &[
    ("iam", "IBMCLOUD_IAM_API_ENDPOINT", "iam"),
    (
        "resource_controller",
        "IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT",
        "rc",
    ),
    (
        "global_catalog",
        "IBMCLOUD_RESOURCE_CATALOG_API_ENDPOINT",
        "gc",
    ),
    (
        "resource_manager",
        "IBMCLOUD_RESOURCE_MANAGEMENT_API_ENDPOINT",
        "rm",
    ),
    ("power", "IBMCLOUD_PI_API_ENDPOINT", "power"),
    ("vpc", "IBMCLOUD_IS_NG_API_ENDPOINT", "vpc"),
    ("transit_gateway", "IBMCLOUD_TG_API_ENDPOINT", "tg"),
    ("dr_automation", "IBMCLOUD_DRA_API_ENDPOINT", "dra"),
];

/// Nothing listens on port 9 (discard) here: a call sent there fails at once.
const CLOSED: &str = "http://127.0.0.1:9";

/// A working directory where every provider variable is blank (the provider ignores blank
/// ones), so only the provider block configures it.
fn block_only_workdir() -> WorkDir {
    PROVIDER_ENV
        .iter()
        .fold(WorkDir::new(), |wd, name| wd.env(name, ""))
}

/// Data sources that call Power (workspaces, subnets) and a rule that calls VPC.
fn resources(sim: &Sim) -> String {
    let sg = sim.id_by_name("vpc", "security_groups", "management-sg", "id");
    format!(
        r#"{rule}
data "dr_workspace_subnets" "primary" {{
  workspace_id = "{ws}"
}}

output "subnets" {{
  value = data.dr_workspace_subnets.primary.cidr_by_name
}}
"#,
        rule = security_group_rule("r", &sg, "10.71.0.0/24"),
        ws = sim.workspace_id(PRIMARY),
    )
}

/// Requests the emulator served under `/{prefix}/`, by any method.
fn served(sim: &Sim, prefix: &str) -> u64 {
    let prefix = format!("/{prefix}/");
    sim.count_requests(|_, route| route.starts_with(&prefix))
}

/// The subnets of the scenario's primary workspace (slz-dal10), name -> CIDR.
fn expected_subnets() -> Value {
    json!({"bkp_net": "10.52.0.0/24", "mgmt_net": "10.51.0.0/24"})
}

/// The rules of the scenario's `management-sg` with remote `cidr`.
fn rules_for(sim: &Sim, cidr: &str) -> usize {
    sim.objects("vpc", "security_groups")
        .iter()
        .filter(|g| g["name"] == "management-sg")
        .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["remote"]["cidr_block"] == cidr)
        .count()
}

/// Every workspace GUID of the scenario, sorted.
fn workspace_ids(sim: &Sim) -> Vec<String> {
    let mut ids: Vec<String> = sim
        .objects("power", "workspaces")
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// The `endpoints` block's arguments sending every service to the emulator.
fn endpoint_arguments(sim: &Sim) -> String {
    SERVICES
        .iter()
        .map(|(attribute, _, prefix)| format!("    {attribute} = \"{}/{prefix}\"\n", sim.url()))
        .collect()
}

/// The provider header and a `provider "dr"` block of `arguments` (indented lines), then `rest`.
fn config(arguments: &str, rest: &str) -> String {
    format!("{PROVIDER_HEADER}\nprovider \"dr\" {{\n{arguments}}}\n{rest}")
}

/// `arguments` followed by the `endpoints` block sending every service to the emulator.
fn with_endpoints(sim: &Sim, arguments: &str) -> String {
    let endpoints = endpoint_arguments(sim);
    format!("{arguments}  endpoints {{\n{endpoints}  }}\n")
}

fn output(wd: &WorkDir, name: &str) -> Value {
    let out = wd.run_ok(&["output", "-json", name]);
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn endpoints_block_alone_configures_every_service() {
    let sim = Sim::start(200.0);
    let wd = block_only_workdir();
    let arguments =
        format!("  ibmcloud_api_key = \"{API_KEY}\"\n  region           = \"us-south\"\n");
    wd.config(&config(&with_endpoints(&sim, &arguments), &resources(&sim)));
    sim.reset_requests();
    wd.apply();
    assert_eq!(output(&wd, "subnets"), expected_subnets());
    assert_eq!(
        rules_for(&sim, "10.71.0.0/24"),
        1,
        "the rule was created through the VPC endpoint"
    );
    // The API key was exchanged at the IAM endpoint of the block, once by each provider
    // process that called IBM Cloud: the plan's and the apply's.
    assert_eq!(sim.requests()["iam"]["grants"], json!({"apikey": 2}));
    assert!(served(&sim, "power") > 0 && served(&sim, "vpc") > 0);
    wd.destroy();
    assert_eq!(rules_for(&sim, "10.71.0.0/24"), 0);
}

/// An IBM endpoints file where `visibility`'s half points at the emulator and the other half
/// at a closed port.
fn endpoints_file(sim: &Sim, working: &str) -> String {
    let file: serde_json::Map<String, Value> = SERVICES
        .iter()
        .map(|(_, key, prefix)| {
            let good = format!("{}/{prefix}", sim.url());
            let bad = format!("{CLOSED}/{prefix}");
            let (public, private) = if working == "public" {
                (good, bad)
            } else {
                (bad, good)
            };
            (
                key.to_string(),
                json!({"public": {"us-south": public}, "private": {"us-south": private}}),
            )
        })
        .collect();
    serde_json::to_string_pretty(&Value::Object(file)).unwrap()
}

#[test]
fn endpoints_file_entries_are_picked_by_visibility() {
    let sim = Sim::start(200.0);
    let wd = block_only_workdir();
    for visibility in ["public", "private"] {
        wd.write("endpoints.json", &endpoints_file(&sim, visibility));
        let arguments = format!(
            r#"  ibmcloud_api_key    = "{API_KEY}"
  region              = "us-south"
  visibility          = "{visibility}"
  endpoints_file_path = "${{path.root}}/endpoints.json"
  max_retries         = 0
"#
        );
        wd.config(&config(
            &arguments,
            r#"
data "dr_workspaces" "all" {}

output "workspaces" {
  value = data.dr_workspaces.all.ids
}
"#,
        ));
        sim.reset_requests();
        let out = wd.apply();
        assert!(out.stdout.contains("Apply complete!"), "{}", out.stdout);
        let expected = workspace_ids(&sim);
        let mut listed: Vec<String> = serde_json::from_value(output(&wd, "workspaces")).unwrap();
        listed.sort();
        assert_eq!(listed, expected, "{visibility}");
        // Data sources only: the plan's provider process is the one that calls IBM Cloud.
        assert_eq!(
            sim.requests()["iam"]["grants"],
            json!({"apikey": 1}),
            "{visibility}: the token came from the file's {visibility} IAM entry"
        );
    }
}

/// `input` in unpadded base64url, as JWT segments are.
fn base64url(input: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let bytes = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// An access token of `iam_id` shaped as IAM's, issued `issued` and expiring `expires` seconds
/// from now (the provider reads its `exp`; it is never sent to IAM, so nobody checks its
/// signature).
fn access_token(iam_id: &str, issued: i64, expires: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = |offset: i64| now.checked_add_signed(offset).unwrap();
    let header = base64url(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = json!({"iam_id": iam_id, "iat": at(issued), "exp": at(expires)});
    let payload = base64url(claims.to_string().as_bytes());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

/// An access token that expired an hour ago.
fn expired_access_token() -> String {
    access_token("IBMid-expired", -7200, -3600)
}

/// A refresh token issued by the emulator's IAM for the scenario's API key.
fn refresh_token(sim: &Sim) -> String {
    sim.iam_token_grant()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn expired_iam_token_is_renewed_with_the_refresh_token() {
    let sim = Sim::start(200.0);
    let refresh = refresh_token(&sim);
    let wd = block_only_workdir();
    let arguments = format!(
        "  iam_token         = \"{token}\"\n  iam_refresh_token = \"{refresh}\"\n  region            = \"us-south\"\n",
        token = expired_access_token(),
    );
    wd.config(&config(
        &with_endpoints(&sim, &arguments),
        r#"
data "dr_workspaces" "all" {}

output "count" {
  value = length(data.dr_workspaces.all.ids)
}
"#,
    ));
    sim.reset_requests();
    wd.apply();
    assert_eq!(output(&wd, "count"), json!(workspace_ids(&sim).len()));
    // Only the plan's provider process calls IBM Cloud (the apply walk has nothing to do):
    // it renewed the expired token with one refresh grant and never logged in with a key.
    assert_eq!(sim.requests()["iam"]["grants"], json!({"refresh_token": 1}));
}

/// A proxy that records the target of every `CONNECT` and refuses it.
fn recording_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            if let Some(line) = head.lines().next() {
                record.lock().unwrap().push(line.to_string());
            }
            let _ = stream.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        }
    });
    (url, seen)
}

#[test]
fn private_visibility_sends_every_service_to_its_private_host() {
    let (proxy, seen) = recording_proxy();
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("terraform.log");
    // A valid-looking token for an hour, so no IAM call is needed before the services'.
    let token = access_token("IBMid-private", 0, 3600);
    let wd = block_only_workdir()
        .env("HTTPS_PROXY", &proxy)
        .env("https_proxy", &proxy)
        .env("NO_PROXY", "")
        .env("no_proxy", "")
        .env("TF_LOG", "DEBUG")
        .env("TF_LOG_PATH", log.to_str().unwrap());
    let arguments = format!(
        "  iam_token   = \"{token}\"\n  region      = \"us-south\"\n  visibility  = \"private\"\n  max_retries = 0\n"
    );
    wd.config(&config(
        &arguments,
        r#"
data "dr_workspaces" "all" {}

data "dr_events" "recent" {
  orchestrator_id = "00000000-0000-4000-8000-000000000001"
}
"#,
    ));
    let out = wd.run(&["plan", "-input=false", "-no-color"]);
    assert_ne!(out.code, 0, "nothing answers behind the proxy");
    let log = std::fs::read_to_string(&log).unwrap();
    let resolved = log
        .lines()
        .find(|l| l.contains("IBM Cloud endpoints"))
        .unwrap_or_else(|| panic!("no endpoints line in the DEBUG log:\n{log}"));
    for (attribute, url) in [
        ("iam", "https://private.iam.cloud.ibm.com"),
        (
            "resource_controller",
            "https://private.resource-controller.cloud.ibm.com",
        ),
        (
            "global_catalog",
            "https://private.globalcatalog.cloud.ibm.com",
        ),
        (
            "resource_manager",
            "https://private.resource-controller.cloud.ibm.com",
        ),
        ("power", "https://private.us-south.power-iaas.cloud.ibm.com"),
        ("vpc", "https://us-south.private.iaas.cloud.ibm.com"),
        ("transit_gateway", "https://private.transit.cloud.ibm.com"),
        ("dr_automation", "https://private.power-dra.cloud.ibm.com"),
    ] {
        assert!(
            resolved.contains(&format!("{attribute}={url}")),
            "{attribute} is not {url}: {resolved}"
        );
    }
    // The calls that went out went to private hosts: Power for the workspaces, DR Automation
    // for the events.
    let mut targets: Vec<String> = seen.lock().unwrap().clone();
    targets.sort();
    targets.dedup();
    assert_eq!(
        targets,
        [
            "CONNECT private.power-dra.cloud.ibm.com:443 HTTP/1.1",
            "CONNECT private.us-south.power-iaas.cloud.ibm.com:443 HTTP/1.1",
        ],
        "{}",
        out.combined()
    );
}
