//! The HTTP core, IAM and waiting, against a scripted local stub server: retries and their
//! limits, Retry-After, the no-duplicate rule for POSTs, token single flight and expiry,
//! cancellation, the User-Agent, and that no secret reaches a log line.

// Tests may panic on a broken precondition; that is their failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use terraform_provider_dr::cloud::vpc::{RuleProtocol, RuleRemote, SecurityGroupRulePrototype};
use terraform_provider_dr::cloud::{
    ClientConfig, Clients, CloudError, Credentials, Endpoints, RetryPolicy, TokenManager,
};
use tokio_util::sync::CancellationToken;

const API_KEY: &str = "stub-api-key-0123456789";
const ACCOUNT: &str = "acct-stub-1";

#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
    delay: Duration,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body,
        delay: Duration::ZERO,
    }
}

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HeaderMap,
    body: String,
}

#[derive(Default)]
struct StubState {
    /// Replies used once each, in order, per "METHOD /path".
    scripted: HashMap<String, VecDeque<Reply>>,
    /// Reply when the script for a route is empty.
    fallback: HashMap<String, Reply>,
    seen: Vec<Seen>,
    token_lifetime: u64,
    token_delay: Duration,
    tokens_issued: u64,
}

#[derive(Clone)]
struct Stub {
    state: Arc<Mutex<StubState>>,
    addr: SocketAddr,
}

fn jwt(claims: &Value) -> String {
    let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.{}",
        enc(br#"{"alg":"none"}"#),
        enc(claims.to_string().as_bytes()),
        enc(b"sig")
    )
}

fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn handle(
    State(state): State<Arc<Mutex<StubState>>>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let key = format!("{method} {path}");
    let reply = {
        let mut s = state.lock().unwrap();
        s.seen.push(Seen {
            method: method.to_string(),
            path: path.clone(),
            headers: headers.clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let scripted = s.scripted.get_mut(&key).and_then(VecDeque::pop_front);
        if scripted.is_none() && key == "POST /iam/identity/token" {
            s.tokens_issued += 1;
            let n = s.tokens_issued;
            let lifetime = s.token_lifetime;
            let iat = now_s();
            let token = jwt(
                &json!({"account": {"bss": ACCOUNT}, "iat": iat, "exp": iat + lifetime, "n": n}),
            );
            let mut r = reply(
                200,
                json!({"access_token": token, "refresh_token": "stub-refresh-token-xyz",
                       "token_type": "Bearer", "expires_in": lifetime, "expiration": iat + lifetime}),
            );
            r.delay = s.token_delay;
            Some(r)
        } else {
            scripted.or_else(|| s.fallback.get(&key).cloned())
        }
    };
    let Some(reply) = reply else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(
                json!({"errors": [{"code": "not_found", "message": format!("no stub for {key}")}]}),
            ),
        )
            .into_response();
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = (
        StatusCode::from_u16(reply.status).unwrap(),
        axum::Json(reply.body),
    )
        .into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

impl Stub {
    async fn start() -> Stub {
        let state = Arc::new(Mutex::new(StubState {
            token_lifetime: 3600,
            ..StubState::default()
        }));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Stub { state, addr }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn script(&self, key: &str, replies: Vec<Reply>) {
        let mut s = self.state.lock().unwrap();
        s.scripted
            .entry(key.to_string())
            .or_default()
            .extend(replies);
    }

    fn fallback(&self, key: &str, r: Reply) {
        self.state
            .lock()
            .unwrap()
            .fallback
            .insert(key.to_string(), r);
    }

    fn count(&self, method: &str, path: &str) -> usize {
        let s = self.state.lock().unwrap();
        s.seen
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .count()
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }
}

fn fast_policy(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        min_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(5),
    }
}

fn clients_for(url: &str, credentials: Credentials, max_retries: u32) -> Clients {
    let mut config = ClientConfig::new(Endpoints::emulator(url), credentials);
    config.retry = fast_policy(max_retries);
    config.request_timeout = Duration::from_millis(800);
    config.terraform_version = Some("1.9.8".into());
    Clients::new(&config, CancellationToken::new()).unwrap()
}

fn api_key_clients(stub: &Stub, max_retries: u32) -> Clients {
    clients_for(
        &stub.url(),
        Credentials::ApiKey(API_KEY.into()),
        max_retries,
    )
}

const RULES_PATH: &str = "/vpc/v1/security_groups/sg-1/rules";

fn rule_json(id: &str) -> Value {
    json!({"id": id, "direction": "inbound", "protocol": "tcp", "port_min": 22, "port_max": 22,
           "remote": {"cidr_block": "10.51.0.0/24"}, "local": {"cidr_block": "0.0.0.0/0"}})
}

fn tcp22() -> SecurityGroupRulePrototype {
    SecurityGroupRulePrototype {
        direction: "inbound".into(),
        ip_version: None,
        name: None,
        remote: Some(RuleRemote::CidrBlock {
            cidr_block: "10.51.0.0/24".into(),
        }),
        local: None,
        protocol: RuleProtocol::Tcp {
            port_min: Some(22),
            port_max: Some(22),
        },
    }
}

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process-wide capture. A scoped (`set_default`) subscriber loses events when other tests
/// of this binary register the same callsites concurrently with no subscriber (tracing caches
/// their interest), so the capture is global; other tests' lines only add to what is checked.
fn global_capture() -> Captured {
    static CAPTURE: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .finish();
            tracing::subscriber::set_global_default(subscriber).unwrap();
            captured
        })
        .clone()
}

/// The `delay_ms` of every "retrying IBM Cloud request" debug line about `path`.
fn retry_delays(captured: &Captured, path: &str) -> Vec<u64> {
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    logs.lines()
        .filter(|l| l.contains("retrying IBM Cloud request") && l.contains(path))
        .map(|l| {
            let at = l.find("delay_ms=").expect("delay_ms in the retry line") + "delay_ms=".len();
            l[at..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|d| d.parse().ok())
                .expect("a number of milliseconds")
        })
        .collect()
}

#[tokio::test]
async fn retries_429_honouring_retry_after_then_succeeds() {
    let captured = global_capture();
    let stub = Stub::start().await;
    let path = "/vpc/v1/security_groups/sg-429/rules";
    let mut limited = reply(
        429,
        json!({"errors": [{"code": "rate_limited", "message": "slow down"}]}),
    );
    limited.headers.push(("retry-after", "1".into()));
    stub.script(&format!("GET {path}"), vec![limited]);
    stub.fallback(
        &format!("GET {path}"),
        reply(200, json!({"rules": [rule_json("r1")]})),
    );
    let clients = api_key_clients(&stub, 3);
    let rules = clients.vpc.list_rules("sg-429").await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(stub.count("GET", path), 2);
    // The one retry waited what the server asked (1 s) plus at most a tenth of it as spread,
    // not the policy's 10-100 ms backoff.
    let delays = retry_delays(&captured, path);
    assert_eq!(delays.len(), 1, "{delays:?}");
    assert!((1000..=1100).contains(&delays[0]), "{delays:?}");
    // version and generation ride on every VPC call.
    let query_ok = stub
        .seen()
        .iter()
        .all(|r| r.path != path || r.headers.get("user-agent").is_some());
    assert!(query_ok);
}

#[tokio::test]
async fn retries_5xx_but_not_501_and_gives_up_after_the_budget() {
    let stub = Stub::start().await;
    let key = format!("GET {RULES_PATH}");
    stub.script(
        &key,
        vec![
            reply(
                500,
                json!({"errors": [{"code": "internal", "message": "boom"}]}),
            ),
            reply(
                503,
                json!({"errors": [{"code": "unavailable", "message": "later"}]}),
            ),
            reply(502, json!({})),
        ],
    );
    stub.fallback(&key, reply(200, json!({"rules": []})));
    let clients = api_key_clients(&stub, 3);
    assert!(clients.vpc.list_rules("sg-1").await.unwrap().is_empty());
    assert_eq!(stub.count("GET", RULES_PATH), 4);

    let other = "/vpc/v1/security_groups/sg-2/rules";
    stub.fallback(
        &format!("GET {other}"),
        reply(
            501,
            json!({"errors": [{"code": "not_implemented", "message": "nope"}], "trace": "tr-501"}),
        ),
    );
    let error = clients.vpc.list_rules("sg-2").await.unwrap_err();
    assert_eq!(error.status(), Some(501));
    assert_eq!(stub.count("GET", other), 1, "501 must not be retried");
    let api = error.api_error().unwrap();
    assert_eq!(api.code.as_deref(), Some("not_implemented"));
    assert_eq!(api.trace.as_deref(), Some("tr-501"));

    let always = "/vpc/v1/security_groups/sg-3/rules";
    stub.fallback(
        &format!("GET {always}"),
        reply(503, json!({"errors": [{"message": "down"}]})),
    );
    let error = clients.vpc.list_rules("sg-3").await.unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(stub.count("GET", always), 4, "first attempt + max_retries");

    let limited = "/vpc/v1/security_groups/sg-4/rules";
    stub.fallback(
        &format!("GET {limited}"),
        reply(429, json!({"errors": [{"message": "busy"}]})),
    );
    let error = clients.vpc.list_rules("sg-4").await.unwrap_err();
    assert!(error.is_rate_limited(), "{error}");
}

#[tokio::test]
async fn errors_are_typed_by_status() {
    let stub = Stub::start().await;
    stub.fallback(
        "GET /power/v1/workspaces/missing",
        reply(404, json!({"code": 404, "description": "workspace does not exist, id: missing", "error": "workspace not found", "message": ""})),
    );
    stub.fallback(
        "GET /rc/v2/resource_instances/locked",
        reply(
            409,
            json!({"message": "Instance is locked", "status_code": 409}),
        ),
    );
    let clients = api_key_clients(&stub, 2);
    let error = clients.power.get_workspace("missing").await.unwrap_err();
    assert!(error.is_not_found());
    assert!(
        error
            .to_string()
            .contains("workspace not found: workspace does not exist, id: missing"),
        "{error}"
    );
    let error = clients
        .resource_controller
        .get_instance("locked")
        .await
        .unwrap_err();
    assert!(error.is_conflict(), "{error}");
    assert_eq!(stub.count("GET", "/rc/v2/resource_instances/locked"), 1);
}

#[tokio::test]
async fn a_post_with_unknown_outcome_is_checked_not_blindly_repeated() {
    // The first POST did create the rule but answered 500: the client must find it.
    let stub = Stub::start().await;
    stub.script(
        &format!("POST {RULES_PATH}"),
        vec![reply(
            500,
            json!({"errors": [{"message": "gateway error"}]}),
        )],
    );
    stub.fallback(
        &format!("GET {RULES_PATH}"),
        reply(200, json!({"rules": [rule_json("created-by-first-post")]})),
    );
    let clients = api_key_clients(&stub, 5);
    let rule = clients.vpc.create_rule("sg-1", &tcp22()).await.unwrap();
    assert_eq!(rule.id, "created-by-first-post");
    assert_eq!(
        stub.count("POST", RULES_PATH),
        1,
        "the POST was repeated blindly"
    );

    // Here the first POST did not create anything: the client checks, then repeats it.
    let stub = Stub::start().await;
    stub.script(
        &format!("POST {RULES_PATH}"),
        vec![reply(503, json!({"errors": [{"message": "unavailable"}]}))],
    );
    stub.fallback(
        &format!("POST {RULES_PATH}"),
        reply(201, rule_json("second-try")),
    );
    stub.fallback(&format!("GET {RULES_PATH}"), reply(200, json!({"rules": [rule_json("other").as_object().map(|o| { let mut o = o.clone(); o.insert("port_min".into(), json!(80)); o.insert("port_max".into(), json!(80)); Value::Object(o) }).unwrap()]})));
    let clients = api_key_clients(&stub, 5);
    let rule = clients.vpc.create_rule("sg-1", &tcp22()).await.unwrap();
    assert_eq!(rule.id, "second-try");
    assert_eq!(stub.count("POST", RULES_PATH), 2);
    assert_eq!(stub.count("GET", RULES_PATH), 1);

    // A 429 on a POST means it was not processed: repeated without a check.
    let stub = Stub::start().await;
    let mut limited = reply(429, json!({"errors": [{"message": "busy"}]}));
    limited.headers.push(("retry-after", "0".into()));
    stub.script(&format!("POST {RULES_PATH}"), vec![limited]);
    stub.fallback(
        &format!("POST {RULES_PATH}"),
        reply(201, rule_json("after-429")),
    );
    let clients = api_key_clients(&stub, 5);
    let rule = clients.vpc.create_rule("sg-1", &tcp22()).await.unwrap();
    assert_eq!(rule.id, "after-429");
    assert_eq!(stub.count("POST", RULES_PATH), 2);
    assert_eq!(stub.count("GET", RULES_PATH), 0);
}

#[tokio::test]
async fn timeouts_retry_reads_and_check_writes() {
    let stub = Stub::start().await;
    let mut slow = reply(200, json!({"rules": []}));
    slow.delay = Duration::from_secs(3);
    stub.script(&format!("GET {RULES_PATH}"), vec![slow]);
    stub.fallback(
        &format!("GET {RULES_PATH}"),
        reply(200, json!({"rules": [rule_json("r9")]})),
    );
    let mut slow_post = reply(201, rule_json("late"));
    slow_post.delay = Duration::from_secs(3);
    stub.script(&format!("POST {RULES_PATH}"), vec![slow_post]);
    let clients = api_key_clients(&stub, 3);
    // The first answer (no rules) comes after the 800 ms request timeout: the read is retried
    // and the second answer (one rule) is the one returned.
    assert_eq!(clients.vpc.list_rules("sg-1").await.unwrap().len(), 1);
    assert_eq!(stub.count("GET", RULES_PATH), 2);
    // The slow POST times out; the check finds an identical rule, so no second POST.
    let rule = clients.vpc.create_rule("sg-1", &tcp22()).await.unwrap();
    assert_eq!(rule.id, "r9");
    assert_eq!(stub.count("POST", RULES_PATH), 1);
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let clients = clients_for(&url, Credentials::ApiKey(API_KEY.into()), 2);
    let error = clients.tokens.token().await.unwrap_err();
    assert!(matches!(error, CloudError::Transport { .. }), "{error}");
    assert_eq!(
        clients.tokens.grants_issued(),
        1,
        "one grant, retried inside"
    );
}

#[tokio::test]
async fn concurrent_callers_share_one_token_grant() {
    let stub = Stub::start().await;
    stub.state.lock().unwrap().token_delay = Duration::from_millis(300);
    stub.fallback(
        &format!("GET {RULES_PATH}"),
        reply(200, json!({"rules": []})),
    );
    let clients = api_key_clients(&stub, 3);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let c = clients.clone();
        tasks.push(tokio::spawn(async move {
            c.vpc.list_rules("sg-1").await.map(|r| r.len())
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), 0);
    }
    assert_eq!(stub.count("POST", "/iam/identity/token"), 1);
    assert_eq!(clients.tokens.grants_issued(), 1);
    assert_eq!(clients.tokens.account_id().await.unwrap(), ACCOUNT);
    // The IAM request is a form with the documented grant.
    let grant = stub
        .seen()
        .into_iter()
        .find(|r| r.path == "/iam/identity/token")
        .unwrap();
    assert!(
        grant
            .body
            .contains("grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey")
    );
    assert!(grant.body.contains("response_type=cloud_iam"));
}

/// A token manager for the stub whose clock a test moves by hand (milliseconds in `offset`),
/// with no retries, so one failed grant is one failure.
fn token_manager_with_clock(stub: &Stub, offset: Arc<AtomicU64>) -> TokenManager {
    use terraform_provider_dr::cloud::http::{HttpCore, HttpSettings};
    use terraform_provider_dr::cloud::redact::Redactor;
    let core = HttpCore::new(
        HttpSettings {
            retry: fast_policy(0),
            request_timeout: Duration::from_secs(5),
            user_agent: "tests".into(),
        },
        Arc::new(Redactor::new()),
        CancellationToken::new(),
    )
    .unwrap();
    let start = Instant::now();
    TokenManager::new(
        Arc::new(core),
        &format!("{}/iam", stub.url()),
        Credentials::ApiKey(API_KEY.into()),
    )
    .unwrap()
    .with_clock(Arc::new(move || {
        start + Duration::from_millis(offset.load(Ordering::SeqCst))
    }))
}

#[tokio::test]
async fn tokens_are_refreshed_at_80_percent_of_their_life_and_replaced_once_expired() {
    let stub = Stub::start().await;
    stub.state.lock().unwrap().token_lifetime = 100;
    let offset = Arc::new(AtomicU64::new(0));
    let tokens = token_manager_with_clock(&stub, offset.clone());
    let at = |seconds: u64| offset.store(seconds * 1000, Ordering::SeqCst);
    let iam_fails = || {
        stub.script(
            "POST /iam/identity/token",
            vec![reply(500, json!({"errorMessage": "IAM is down"}))],
        );
    };

    let first = tokens.token().await.unwrap();
    at(79);
    assert_eq!(
        tokens.token().await.unwrap(),
        first,
        "79% of its life: kept"
    );
    assert_eq!(tokens.grants_issued(), 1);
    at(81);
    let second = tokens.token().await.unwrap();
    assert_ne!(second, first, "81% of its life: replaced while still valid");
    assert_eq!(tokens.grants_issued(), 2);

    // Due for refresh (the second token came at 81 s: due at 161 s, expired at 171 s) while IAM
    // fails: the still-valid token is used.
    iam_fails();
    at(165);
    assert_eq!(tokens.token().await.unwrap(), second);
    assert_eq!(tokens.grants_issued(), 3);
    // Expired: a token is needed before anything goes out; an IAM failure is now an error.
    at(172);
    iam_fails();
    let error = tokens.token().await.unwrap_err();
    assert!(error.to_string().contains("IAM is down"), "{error}");
    let third = tokens.token().await.unwrap();
    assert!(third != first && third != second);
    assert_eq!(tokens.grants_issued(), 5);
    assert_eq!(stub.count("POST", "/iam/identity/token"), 5);
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_repeats() {
    let stub = Stub::start().await;
    let path = "/tg/v1/transit_gateways/tg-1";
    stub.script(
        &format!("GET {path}"),
        vec![reply(
            401,
            json!({"errors": [{"code": "not_authorized", "message": "token expired"}]}),
        )],
    );
    stub.fallback(
        &format!("GET {path}"),
        reply(
            200,
            json!({"id": "tg-1", "name": "tg", "status": "available"}),
        ),
    );
    let clients = api_key_clients(&stub, 3);
    let gateway = clients.transit_gateway.get_gateway("tg-1").await.unwrap();
    assert_eq!(gateway.status.as_deref(), Some("available"));
    assert_eq!(stub.count("POST", "/iam/identity/token"), 2);
    let versions: Vec<String> = stub
        .seen()
        .iter()
        .filter(|r| r.path == path)
        .map(|r| {
            r.headers
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(versions.len(), 2);
    assert_ne!(
        versions[0], versions[1],
        "the repeat must use the new token"
    );

    // A service that keeps refusing is not retried forever.
    let denied = "/tg/v1/transit_gateways/tg-2";
    stub.fallback(
        &format!("GET {denied}"),
        reply(403, json!({"errors": [{"message": "forbidden"}]})),
    );
    let error = clients
        .transit_gateway
        .get_gateway("tg-2")
        .await
        .unwrap_err();
    assert!(error.is_unauthorized());
    assert_eq!(stub.count("GET", denied), 1);
}

#[tokio::test]
async fn external_tokens_work_until_they_expire_then_fail_clearly() {
    let stub = Stub::start().await;
    stub.fallback(
        "GET /power/v1/workspaces",
        reply(200, json!({"workspaces": []})),
    );
    let valid = jwt(&json!({"account": {"bss": "acct-ext"}, "iat": now_s(), "exp": now_s() + 600}));
    let clients = clients_for(
        &stub.url(),
        Credentials::IamToken {
            access_token: valid.clone(),
            refresh_token: None,
        },
        2,
    );
    assert!(clients.power.list_workspaces().await.unwrap().is_empty());
    assert_eq!(clients.tokens.account_id().await.unwrap(), "acct-ext");
    let auth = stub
        .seen()
        .last()
        .unwrap()
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(auth, format!("Bearer {valid}"));
    assert_eq!(stub.count("POST", "/iam/identity/token"), 0);

    let expired =
        jwt(&json!({"account": {"bss": "acct-ext"}, "iat": now_s() - 4000, "exp": now_s() - 400}));
    let clients = clients_for(
        &stub.url(),
        Credentials::IamToken {
            access_token: expired,
            refresh_token: None,
        },
        2,
    );
    let error = clients.power.list_workspaces().await.unwrap_err();
    assert!(matches!(error, CloudError::TokenExpired { .. }), "{error}");
    assert!(error.to_string().contains("iam_token"), "{error}");
    assert!(error.is_unauthorized());

    // With a refresh token, an expired token is renewed through IAM.
    let clients = clients_for(
        &stub.url(),
        Credentials::IamToken {
            access_token: jwt(
                &json!({"account": {"bss": ACCOUNT}, "iat": now_s() - 4000, "exp": now_s() - 400}),
            ),
            refresh_token: Some("outside-refresh-token".into()),
        },
        2,
    );
    assert!(clients.power.list_workspaces().await.unwrap().is_empty());
    let grant = stub
        .seen()
        .into_iter()
        .find(|r| r.path == "/iam/identity/token")
        .unwrap();
    assert!(grant.body.contains("grant_type=refresh_token"));
}

#[tokio::test]
async fn cancellation_interrupts_a_retry_wait() {
    let stub = Stub::start().await;
    let path = "/vpc/v1/security_groups/sg-cancel/rules";
    let mut limited = reply(429, json!({"errors": [{"message": "busy"}]}));
    limited.headers.push(("retry-after", "600".into()));
    stub.fallback(&format!("GET {path}"), limited);
    let mut config = ClientConfig::new(
        Endpoints::emulator(&stub.url()),
        Credentials::ApiKey(API_KEY.into()),
    );
    config.retry = RetryPolicy {
        max_retry_after: Duration::from_secs(3600),
        ..fast_policy(5)
    };
    let cancel = CancellationToken::new();
    let clients = Clients::new(&config, cancel.clone()).unwrap();
    let captured = global_capture();
    let call = tokio::spawn(async move { clients.vpc.list_rules("sg-cancel").await });
    // The core logs the retry right before it starts waiting: cancel then.
    while retry_delays(&captured, path).is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    cancel.cancel();
    // Without the cancellation the call would wait out Retry-After (10 minutes); the guard
    // only turns such a hang into a failure.
    let error = tokio::time::timeout(Duration::from_secs(120), call)
        .await
        .expect("the cancelled call returns")
        .unwrap()
        .unwrap_err();
    assert!(error.is_cancelled(), "{error}");
    assert!(error.to_string().contains("waiting to retry"), "{error}");
    assert_eq!(stub.count("GET", path), 1, "no second attempt");
}

#[tokio::test]
async fn requests_carry_user_agent_crn_and_version_parameters() {
    let stub = Stub::start().await;
    stub.fallback("GET /power/v1/workspaces/ws-1", reply(200, json!({"id": "ws-1", "name": "primary", "location": {"region": "dal10", "type": "data-center"}})));
    stub.fallback("GET /power/pcloud/v1/cloud-instances/ws-1/networks", reply(200, json!({"networks": [{"networkID": "n1", "name": "mgmt", "type": "vlan", "vlanID": 10, "href": "h"}]})));
    stub.fallback(
        "GET /tg/v1/transit_gateways",
        reply(
            200,
            json!({"transit_gateways": [], "first": {"href": "x"}, "limit": 50}),
        ),
    );
    let clients = api_key_clients(&stub, 2);
    let workspace = clients.power.workspace_by_guid("ws-1").await.unwrap();
    let networks = workspace.list_networks().await.unwrap();
    assert_eq!(networks[0].network_id, "n1");
    clients.transit_gateway.list_gateways().await.unwrap();
    let seen = stub.seen();
    let pcloud = seen
        .iter()
        .find(|r| r.path.starts_with("/power/pcloud"))
        .unwrap();
    assert_eq!(
        pcloud.headers.get("crn").unwrap().to_str().unwrap(),
        format!("crn:v1:bluemix:public:power-iaas:dal10:a/{ACCOUNT}:ws-1::")
    );
    let workspaces_call = seen
        .iter()
        .find(|r| r.path == "/power/v1/workspaces/ws-1")
        .unwrap();
    assert!(workspaces_call.headers.get("crn").is_none());
    let ua = pcloud.headers.get("user-agent").unwrap().to_str().unwrap();
    assert_eq!(
        ua,
        format!(
            "terraform-provider-dr/{} terraform/1.9.8",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[tokio::test]
async fn trace_logs_hold_no_secret() {
    let captured = global_capture();

    let stub = Stub::start().await;
    let instance = "inst-9";
    // The server echoes the password back in an error, as badly behaved APIs do.
    stub.script(
        &format!("POST /dra/drautomation/v1/manage_dr/{instance}"),
        vec![reply(400, json!({"errors": [{"code": "bad_request", "message": "password Sup3r-Secret-Pw rejected"}]}))],
    );
    stub.fallback(
        &format!("PUT /dra/drautomation/v1/apikey/{instance}"),
        reply(
            200,
            json!({"description": "Key is valid.", "status": "Active"}),
        ),
    );
    let clients = api_key_clients(&stub, 2);
    let body = terraform_provider_dr::cloud::dr_automation::CreateManageDr {
        location_id: "dal10".into(),
        machine_type: "s922".into(),
        orchestrator_location_type: "off-premises".into(),
        orchestrator_name: "admin".into(),
        orchestrator_password: "Sup3r-Secret-Pw".into(),
        orchestrator_workspace_id: "ws".into(),
        managed_apikey: Some("managed-key-secret-77".into()),
        ..Default::default()
    };
    let error = clients
        .dr_automation
        .create_manage_dr(instance, &body, Default::default())
        .await
        .unwrap_err();
    let update = clients
        .dr_automation
        .update_apikey(instance, "orchestrator-key-secret-88")
        .await
        .unwrap();
    assert_eq!(update.status.as_deref(), Some("Active"));
    let token = clients.tokens.token().await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("IBM Cloud request"), "nothing was logged");
    assert!(logs.contains("[REDACTED]"));
    for secret in [
        API_KEY,
        "Sup3r-Secret-Pw",
        "managed-key-secret-77",
        "orchestrator-key-secret-88",
        "stub-refresh-token-xyz",
        token.as_str(),
    ] {
        assert!(
            !logs.contains(secret),
            "secret {secret:?} leaked into the logs"
        );
    }
    // The error (which reaches diagnostics) is scrubbed too.
    let shown = error.to_string();
    assert!(!shown.contains("Sup3r-Secret-Pw"), "{shown}");
    // The request did carry the real values to the server.
    let sent = stub
        .seen()
        .into_iter()
        .find(|r| r.path.contains("manage_dr"))
        .unwrap();
    assert!(sent.body.contains("Sup3r-Secret-Pw"));
}
