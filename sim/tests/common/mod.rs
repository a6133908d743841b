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

/// A request without a token (a `/_sim` control call, or one the API must refuse), with an
/// optional JSON body.
pub async fn plain(
    method: reqwest::Method,
    url: impl AsRef<str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = client().request(method, url.as_ref());
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

pub async fn plain_get(url: impl AsRef<str>) -> reqwest::Response {
    plain(reqwest::Method::GET, url, None).await
}

pub async fn plain_delete(url: impl AsRef<str>) -> reqwest::Response {
    plain(reqwest::Method::DELETE, url, None).await
}

pub async fn plain_post(url: impl AsRef<str>, body: Value) -> reqwest::Response {
    plain(reqwest::Method::POST, url, Some(body)).await
}

pub async fn plain_patch(url: impl AsRef<str>, body: Value) -> reqwest::Response {
    plain(reqwest::Method::PATCH, url, Some(body)).await
}

/// A request with the bearer `token` and an optional JSON body, nothing else (no query or
/// header an [`Api`] would add).
pub async fn authed(
    method: reqwest::Method,
    url: impl AsRef<str>,
    token: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = client().request(method, url.as_ref()).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("request")
}

pub async fn authed_get(url: impl AsRef<str>, token: &str) -> reqwest::Response {
    authed(reqwest::Method::GET, url, token, None).await
}

pub async fn authed_delete(url: impl AsRef<str>, token: &str) -> reqwest::Response {
    authed(reqwest::Method::DELETE, url, token, None).await
}

pub async fn authed_post(url: impl AsRef<str>, token: &str, body: &Value) -> reqwest::Response {
    authed(reqwest::Method::POST, url, token, Some(body)).await
}

/// Whether an object shows none of the emulator's internal (`_`-prefixed) keys.
pub fn no_internal_keys(object: &Value) -> bool {
    object
        .as_object()
        .expect("a JSON object")
        .keys()
        .all(|k| !k.starts_with('_'))
}

/// What `probe` finds, asked up to `tries` times `pause` apart; a panic saying `never` if it
/// finds nothing.
pub async fn poll<T, F>(
    tries: usize,
    pause: std::time::Duration,
    never: &str,
    mut probe: impl FnMut() -> F,
) -> T
where
    F: std::future::Future<Output = Option<T>>,
{
    for _ in 0..tries {
        if let Some(found) = probe().await {
            return found;
        }
        tokio::time::sleep(pause).await;
    }
    panic!("{never}");
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

/// GET a text document (state dump, metrics), expecting it to be there.
pub async fn get_text(url: &str) -> String {
    let response = client().get(url).send().await.expect("request");
    response.text().await.expect("a text body")
}

/// The first element of a JSON array whose string `field` is `value` (a list's entry by name).
pub fn find_by<'a>(array: &'a Value, field: &str, value: &str) -> Option<&'a Value> {
    array
        .as_array()
        .expect("a JSON array")
        .iter()
        .find(|element| element[field] == value)
}

/// A client of one emulated IBM API with the default key's token: every path goes after
/// `base` and carries `query` (VPC's and Transit Gateway's `version`).
pub struct Api {
    pub sim: RunningSim,
    pub token: String,
    base: &'static str,
    query: &'static str,
}

impl Api {
    pub async fn start(config: SimConfig, base: &'static str, query: &'static str) -> Api {
        let sim = start_with(config).await;
        let token = token(&sim).await;
        Api {
            sim,
            token,
            base,
            query,
        }
    }

    pub fn url(&self, path: &str) -> String {
        with_query(format!("{}{}{path}", self.sim.url(), self.base), self.query)
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        call(method, &self.url(path), &self.token, &[], body).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }
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
