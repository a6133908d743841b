//! Helpers shared by the integration tests: an in-process emulator on port 0 and a client.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use dr_cloudsim::{RunningSim, SimConfig};
use serde_json::Value;

/// An emulator with the default scenario and configuration, on a free port.
pub async fn start() -> RunningSim {
    start_with(SimConfig::default()).await
}

pub async fn start_with(config: SimConfig) -> RunningSim {
    dr_cloudsim::start(config).await.expect("emulator starts")
}

/// One client per test binary: building one (TLS roots) is slow in debug builds.
pub fn client() -> reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new).clone()
}

/// An access token for the default API key.
pub async fn token(sim: &RunningSim) -> String {
    let body: Value = client()
        .post(format!("{}/iam/identity/token", sim.url()))
        .form(&[
            ("grant_type", "urn:ibm:params:oauth:grant-type:apikey"),
            ("apikey", dr_cloudsim::DEFAULT_API_KEY),
            ("response_type", "cloud_iam"),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token body");
    body["access_token"]
        .as_str()
        .expect("access_token present")
        .to_owned()
}

/// The one way the tests call an emulated IBM API: the bearer token, extra headers (PowerVS's
/// `CRN`) and an optional JSON body; returns the status and the JSON body (`null` if none).
pub async fn call(
    method: reqwest::Method,
    url: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client().request(method, url).bearer_auth(token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `url` with the query parameters a regional API needs on every call (VPC's and Transit
/// Gateway's `version`).
pub fn with_query(url: String, query: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}")
}

/// GET a JSON document with a status check.
pub async fn get_json(url: &str) -> (u16, Value) {
    let response = client().get(url).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The public state's collection `service/collection`.
pub async fn state_collection(sim: &RunningSim, service: &str, collection: &str) -> Vec<Value> {
    let (_, state) = get_json(&format!("{}/_sim/state", sim.url())).await;
    state[service][collection]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The string `field` of each element of a JSON array (a list's names, ids, messages).
pub fn texts<'a>(array: &'a Value, field: &str) -> Vec<&'a str> {
    array
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|element| element[field].as_str().expect("a string field"))
        .collect()
}

pub mod dr;
pub mod ssh;
