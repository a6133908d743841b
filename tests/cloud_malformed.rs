//! Malformed answers from the cloud — truncated JSON, wrong types, missing fields, HTML pages
//! from a proxy or load balancer, empty and non-UTF-8 bodies — give a typed error whose text
//! names the service, the call and what was wrong, never a panic and never a wall of HTML.
//!
//! A tiny local stub answers each route with raw bytes chosen by the test; IAM answers with a
//! proper token unless a case replaces it. The last case is an ambiguous answer (a 500 on a
//! POST) whose check must not mistake an existing deployment for the standby it asked for.

// Tests may panic on a broken precondition; that is their failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;
use terraform_provider_dr::cloud::{
    ClientConfig, Clients, CloudError, Credentials, Endpoints, RetryPolicy,
};
use tokio_util::sync::CancellationToken;

const API_KEY: &str = "stub-api-key-malformed-0001";
const WORKSPACE: &str = "7a0c43f2-34c5-4f1e-9d3c-1e2f3a4b5c6d";
const INSTANCE: &str = "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70";

/// An HTML error page like the ones proxies and load balancers send.
const HTML_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body>\
    <center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center>\n<script>var x = \
    'lots of markup that nobody wants to read in a Terraform error';</script>\n</body></html>\n";

#[derive(Clone)]
struct Canned {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

fn canned(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Canned {
    Canned {
        status,
        content_type,
        body: body.into(),
    }
}

/// A 200 answer with `body` as JSON, well-formed or not.
fn json_ok(body: impl Into<Vec<u8>>) -> Canned {
    canned(200, "application/json", body)
}

type Routes = Arc<Mutex<HashMap<String, Canned>>>;
type Hits = Arc<Mutex<HashMap<String, usize>>>;

fn token() -> String {
    let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"account": {"bss": "acct-stub"}, "iat": now, "exp": now + 3600});
    format!(
        "{}.{}.{}",
        enc(br#"{"alg":"none"}"#),
        enc(claims.to_string().as_bytes()),
        enc(b"sig")
    )
}

async fn handle(
    State((routes, hits)): State<(Routes, Hits)>,
    method: Method,
    uri: axum::http::Uri,
) -> Response {
    let key = format!("{method} {}", uri.path());
    *hits.lock().unwrap().entry(key.clone()).or_default() += 1;
    let found = routes.lock().unwrap().get(&key).cloned();
    let reply = match found {
        Some(reply) => reply,
        None if key == "POST /iam/identity/token" => json_ok(json!({"access_token": token(), "refresh_token": "stub-refresh", "token_type": "Bearer",
                   "expires_in": 3600, "expiration": 4_102_444_800u64})
            .to_string(),
        ),
        None => canned(404, "application/json", r#"{"errors":[{"code":"not_found","message":"no stub"}]}"#),
    };
    (
        StatusCode::from_u16(reply.status).unwrap(),
        [(header::CONTENT_TYPE, reply.content_type)],
        reply.body,
    )
        .into_response()
}

struct Stub {
    routes: Routes,
    hits: Hits,
    addr: SocketAddr,
}

impl Stub {
    async fn start() -> Stub {
        let routes: Routes = Arc::default();
        let hits: Hits = Arc::default();
        let app = Router::new()
            .fallback(handle)
            .with_state((routes.clone(), hits.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Stub { routes, hits, addr }
    }

    fn hits(&self, route: &str) -> usize {
        self.hits.lock().unwrap().get(route).copied().unwrap_or(0)
    }

    fn answer(&self, route: &str, reply: Canned) {
        self.routes.lock().unwrap().insert(route.to_string(), reply);
    }

    /// Answers `route` with 200 and `body` as JSON, well-formed or not.
    fn answer_json(&self, route: &str, body: &str) {
        self.answer(route, json_ok(body));
    }

    /// The error of reading the security group behind `SG_ROUTE`.
    async fn security_group_error(&self) -> CloudError {
        self.clients()
            .vpc
            .get_security_group("sg-1")
            .await
            .unwrap_err()
    }

    /// The error of reading the security group when `SG_ROUTE` answers `reply`.
    async fn security_group_error_for(&self, reply: Canned) -> CloudError {
        self.answer(SG_ROUTE, reply);
        self.security_group_error().await
    }

    fn clients(&self) -> Clients {
        let mut config = ClientConfig::new(
            Endpoints::emulator(&format!("http://{}", self.addr)),
            Credentials::ApiKey(API_KEY.into()),
        );
        config.retry = RetryPolicy {
            max_retries: 2,
            min_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(1),
        };
        config.request_timeout = Duration::from_secs(2);
        Clients::new(&config, CancellationToken::new()).unwrap()
    }
}

/// The error text a user would read; it must name the service and be short and readable.
fn assert_clear(err: &CloudError, service: &str, mentions: &[&str]) {
    let text = err.to_string();
    assert!(text.contains(service), "{text:?} does not name {service}");
    for m in mentions {
        assert!(text.contains(m), "{text:?} does not mention {m:?}");
    }
    assert!(
        !text.contains("<script") && !text.contains("<!DOCTYPE") && !text.contains("<html"),
        "raw HTML in the error: {text}"
    );
    assert!(
        text.len() < 600,
        "error is {} characters: {text}",
        text.len()
    );
    assert!(!text.contains(API_KEY), "secret in the error: {text}");
}

/// A decode error (not an API error) whose text reads clearly ([`assert_clear`]).
#[track_caller]
fn assert_decode_error(err: &CloudError, service: &str, mentions: &[&str]) {
    assert!(matches!(err, CloudError::Decode { .. }), "{err:?}");
    assert_clear(err, service, mentions);
}

const SG_ROUTE: &str = "GET /vpc/v1/security_groups/sg-1";

#[tokio::test]
async fn truncated_json_is_a_decode_error_naming_the_call() {
    let stub = Stub::start().await;
    let err = stub
        .security_group_error_for(json_ok(
            r#"{"id": "sg-1", "name": "management-sg", "rules": [{"id": "r-1", "dire"#,
        ))
        .await;
    assert_decode_error(&err, "vpc", &["security_groups", "EOF"]);
}

#[tokio::test]
async fn wrong_types_are_a_decode_error_naming_the_field() {
    let stub = Stub::start().await;
    let err = stub
        .security_group_error_for(json_ok(
            r#"{"id": 42, "name": ["management-sg"], "rules": "none"}"#,
        ))
        .await;
    assert_decode_error(&err, "vpc", &["invalid type"]);

    let route = format!("GET /power/v1/workspaces/{WORKSPACE}");
    stub.answer_json(
        &route,
        r#"{"id": "x", "name": 7, "status": true, "location": "dal10"}"#,
    );
    let err = stub
        .clients()
        .power
        .get_workspace(WORKSPACE)
        .await
        .unwrap_err();
    assert_decode_error(&err, "power", &["invalid type"]);
}

#[tokio::test]
async fn missing_fields_are_a_decode_error() {
    let stub = Stub::start().await;
    // A security group without its id: nothing can be done with it.
    let err = stub
        .security_group_error_for(json_ok(r#"{"name": "management-sg"}"#))
        .await;
    assert_decode_error(&err, "vpc", &["missing field"]);

    // A DR status that is not even an object.
    let route = format!("GET /dra/drautomation/v1/last_operation/{INSTANCE}");
    stub.answer_json(&route, "[1, 2, 3]");
    let err = stub
        .clients()
        .dr_automation
        .get_last_operation(INSTANCE)
        .await
        .unwrap_err();
    assert_decode_error(&err, "dr", &["last_operation"]);
}

#[tokio::test]
async fn html_error_pages_become_short_api_errors_with_the_status() {
    let stub = Stub::start().await;
    let err = stub
        .security_group_error_for(canned(502, "text/html", HTML_PAGE))
        .await;
    assert!(matches!(err, CloudError::Api(_)), "{err:?}");
    assert_clear(&err, "vpc", &["502"]);

    let err = stub
        .security_group_error_for(canned(403, "text/html", HTML_PAGE))
        .await;
    assert!(err.is_unauthorized(), "{err:?}");
    assert_clear(&err, "vpc", &["403"]);
}

#[tokio::test]
async fn html_with_a_success_status_is_a_decode_error_not_raw_markup() {
    let stub = Stub::start().await;
    // A captive portal or a misconfigured endpoint answering 200 with a web page.
    let err = stub
        .security_group_error_for(canned(200, "text/html", HTML_PAGE))
        .await;
    assert_decode_error(&err, "vpc", &["security_groups"]);
}

#[tokio::test]
async fn empty_and_non_utf8_bodies_are_decode_errors() {
    let stub = Stub::start().await;
    for body in [
        Vec::new(),
        vec![0xff, 0xfe, 0x00, 0x7b, 0x80, 0x81],
        b"null".to_vec(),
    ] {
        let err = stub.security_group_error_for(json_ok(body.clone())).await;
        assert!(
            matches!(err, CloudError::Decode { .. }),
            "{body:?}: {err:?}"
        );
        assert_clear(&err, "vpc", &[]);
    }
}

#[tokio::test]
async fn malformed_iam_answers_fail_clearly_without_leaking_the_key() {
    let stub = Stub::start().await;
    for reply in [
        canned(200, "text/html", HTML_PAGE),
        json_ok(r#"{"token_type": "Bearer", "expires_in": 3600}"#),
        json_ok(r#"{"access_token": 12345, "expires_in": "soon"}"#),
        canned(502, "text/html", HTML_PAGE),
        canned(
            400,
            "application/json",
            r#"{"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found"}"#,
        ),
    ] {
        stub.answer("POST /iam/identity/token", reply.clone());
        let err = stub.security_group_error().await;
        assert_clear(&err, "iam", &[]);
        if reply.status == 400 {
            assert!(err.to_string().contains("BXNIM0415E"), "{err}");
        }
    }
}

#[tokio::test]
async fn error_bodies_of_unexpected_shape_still_give_the_status() {
    let stub = Stub::start().await;
    for body in [
        r#"{"errors": "not a list"}"#,
        r#"{"errors": [{"code": 5, "message": ["x"]}]}"#,
        r#"{"message": {"nested": true}}"#,
        "not json at all",
        "",
    ] {
        let err = stub
            .security_group_error_for(canned(400, "application/json", body))
            .await;
        assert!(matches!(err, CloudError::Api(_)), "{body}: {err:?}");
        assert_clear(&err, "vpc", &["400"]);
    }
}

#[tokio::test]
async fn a_failed_standby_request_is_not_mistaken_for_the_existing_deployment() {
    use terraform_provider_dr::cloud::dr_automation::{CreateManageDr, ManageDrOptions};
    let stub = Stub::start().await;
    let route = format!("/dra/drautomation/v1/manage_dr/{INSTANCE}");
    // The primary deployment exists (same orchestrator name, a dashboard); no standby yet.
    let deployment = json!({"orchestrator_name": "admin", "dashboard_url": "https://dashboard",
                            "orchestrator_ha": false});
    stub.answer_json(&format!("GET {route}"), &deployment.to_string());
    stub.answer(
        &format!("POST {route}"),
        canned(
            500,
            "application/json",
            r#"{"errors":[{"message":"internal error"}]}"#,
        ),
    );
    let body = CreateManageDr {
        orchestrator_name: "admin".into(),
        orchestrator_ha: Some(true),
        standby_orchestrator_workspace_id: Some(WORKSPACE.into()),
        ..CreateManageDr::default()
    };
    let result = stub
        .clients()
        .dr_automation
        .create_manage_dr(
            INSTANCE,
            &body,
            ManageDrOptions {
                stand_by_redeploy: Some(true),
                accepts_incomplete: Some(true),
            },
        )
        .await;
    assert!(result.is_err(), "the standby request was taken as done");
    assert!(
        stub.hits(&format!("POST {route}")) > 1,
        "the POST was not repeated after the check found no standby"
    );

    // Once the deployment records the standby, the same check accepts it.
    let deployment = json!({"orchestrator_name": "admin", "dashboard_url": "https://dashboard",
                            "orchestrator_ha": true,
                            "standby_orchestrator_workspace_id": format!("crn:v1:bluemix:public:power-iaas:dal12:a/acct:{WORKSPACE}::")});
    stub.answer_json(&format!("GET {route}"), &deployment.to_string());
    let done = stub
        .clients()
        .dr_automation
        .create_manage_dr(INSTANCE, &body, ManageDrOptions::default())
        .await
        .unwrap();
    assert_eq!(done.orchestrator_ha, Some(true));
}
