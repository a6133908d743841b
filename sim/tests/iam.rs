//! IAM: token grants, JWT claims, IAM's error body, lifetimes and revocation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

async fn grant(url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = common::client()
        .post(format!("{url}/iam/identity/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

const API_KEY_GRANT: &str = "urn:ibm:params:oauth:grant-type:apikey";

#[tokio::test]
async fn api_key_grant_issues_a_jwt_with_account_and_lifetime() {
    let sim = common::start().await;
    let (status, body) = grant(
        &sim.url(),
        &[
            ("grant_type", API_KEY_GRANT),
            ("apikey", "sim-api-key"),
            ("response_type", "cloud_iam"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3);
    let c = claims(token);
    assert_eq!(c["account"]["bss"], json!(sim.sim.account_id()));
    assert_eq!(
        c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(),
        3600
    );
    assert_eq!(body["expiration"], c["exp"]);
    assert!(c["iam_id"].as_str().unwrap().starts_with("IBMid-"));
    assert!(c["sub"].is_string());
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn errors_use_the_iam_body() {
    let sim = common::start().await;
    let (status, body) = grant(
        &sim.url(),
        &[("grant_type", API_KEY_GRANT), ("apikey", "wrong")],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errorCode"], "BXNIM0415E");
    assert_eq!(body["errorMessage"], "Provided API key could not be found.");
    assert!(body["context"]["requestId"].is_string());

    let (status, body) = grant(&sim.url(), &[("apikey", "sim-api-key")]).await;
    assert_eq!(status, 400);
    assert_eq!(body["errorCode"], "BXNIM0109E");

    let (status, body) = grant(&sim.url(), &[("grant_type", "password")]).await;
    assert_eq!(status, 400);
    assert_eq!(body["errorCode"], "BXNIM0106E");

    let (status, body) = grant(
        &sim.url(),
        &[
            ("grant_type", API_KEY_GRANT),
            ("apikey", "sim-api-key"),
            ("response_type", "uaa"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errorCode"], "BXNIM0106E");
    sim.shutdown().await;
}

#[tokio::test]
async fn refresh_grant_issues_a_new_token_and_rejects_garbage() {
    let sim = common::start().await;
    let (_, first) = grant(
        &sim.url(),
        &[("grant_type", API_KEY_GRANT), ("apikey", "sim-api-key")],
    )
    .await;
    let refresh = first["refresh_token"].as_str().unwrap();
    let (status, second) = grant(
        &sim.url(),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(status, 200, "{second}");
    let c = claims(second["access_token"].as_str().unwrap());
    assert_eq!(c["account"]["bss"], json!(sim.sim.account_id()));
    assert_eq!(c["grant_type"], "refresh_token");

    let (status, body) = grant(
        &sim.url(),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "abc.def"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errorCode"], "BXNIM0407E");
    // An access token is not a refresh token.
    let access = first["access_token"].as_str().unwrap();
    let (status, _) = grant(
        &sim.url(),
        &[("grant_type", "refresh_token"), ("refresh_token", access)],
    )
    .await;
    assert_eq!(status, 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn custom_api_key_is_the_only_accepted_key() {
    let sim = common::start_with(dr_cloudsim::SimConfig {
        api_key: "other-key".into(),
        ..Default::default()
    })
    .await;
    let (status, _) = grant(
        &sim.url(),
        &[("grant_type", API_KEY_GRANT), ("apikey", "sim-api-key")],
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = grant(
        &sim.url(),
        &[("grant_type", API_KEY_GRANT), ("apikey", "other-key")],
    )
    .await;
    assert_eq!(status, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn deleting_the_key_out_of_band_revokes_it() {
    let sim = common::start().await;
    let keys = common::state_collection(&sim, "iam", "api_keys").await;
    let id = keys[0]["id"].as_str().unwrap();
    let r = common::plain_delete(format!("{}/_sim/objects/iam/api_keys/{id}", sim.url())).await;
    assert_eq!(r.status(), 204);
    let (status, body) = grant(
        &sim.url(),
        &[("grant_type", API_KEY_GRANT), ("apikey", "sim-api-key")],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errorCode"], "BXNIM0415E");
    sim.shutdown().await;
}

#[tokio::test]
async fn token_lifetime_fault_shortens_new_and_existing_tokens() {
    let sim = common::start().await;
    let old = common::token(&sim).await;
    let url = format!("{}/rc/v2/resource_instances", sim.url());
    assert_eq!(common::authed_get(&url, &old).await.status(), 200);

    let r = common::plain_post(
        format!("{}/_sim/faults", sim.url()),
        json!({"rules": [], "token_lifetime_seconds": 1}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let (_, body) = grant(
        &sim.url(),
        &[("grant_type", API_KEY_GRANT), ("apikey", "sim-api-key")],
    )
    .await;
    assert_eq!(body["expires_in"], 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for token in [old.as_str(), body["access_token"].as_str().unwrap()] {
        let r = common::authed_get(&url, token).await;
        assert_eq!(r.status(), 401);
        let err: Value = r.json().await.unwrap();
        assert_eq!(err["status_code"], 401);
        assert!(
            err["message"].as_str().unwrap().contains("expired"),
            "{err}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn tampered_and_missing_tokens_are_refused() {
    let sim = common::start().await;
    let token = common::token(&sim).await;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut c = claims(&token);
    c["account"]["bss"] = json!("someone-else");
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
    let forged = parts.join(".");
    let url = format!("{}/rc/v2/resource_instances", sim.url());
    assert_eq!(common::authed_get(&url, &forged).await.status(), 401);
    assert_eq!(common::plain_get(&url).await.status(), 401);
    sim.shutdown().await;
}
