//! IAM: `POST /iam/identity/token` with the API-key and refresh-token grants.
//!
//! Tokens are JWT-shaped (see [`crate::token`]) and carry the claims clients read:
//! `iam_id`, `sub`, `account.bss`, `iat`, `exp`. The lifetime is 3600 s unless
//! `/_sim/faults` sets `token_lifetime_seconds`, which lets tests watch a client refresh.
//! The API key itself lives in the emulator's configuration; the world only records that it
//! exists (`iam/api_keys`), so deleting that object out-of-band revokes it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::scenario::Scenario;
use crate::sim::Sim;
use crate::store::World;
use crate::token::{AccountClaim, Claims, RefreshClaims};
use crate::util;

pub const SERVICE: &str = "iam";
pub const API_KEYS: &str = "api_keys";

/// Refresh tokens outlive access tokens by far, as IAM's do (30 days).
const REFRESH_LIFETIME_SECONDS: u64 = 30 * 24 * 3600;

const GRANT_API_KEY: &str = "urn:ibm:params:oauth:grant-type:apikey";
const GRANT_REFRESH: &str = "refresh_token";

pub fn router() -> Router<Arc<Sim>> {
    Router::new().route("/identity/token", post(token))
}

/// Records the configured API key's identity (not its secret).
pub fn seed(world: &mut World, scenario: &Scenario, now_ms: u64) {
    let id = format!("ApiKey-{}", world.new_id());
    let object = json!({
        "id": id,
        "entity_tag": "1-sim",
        "crn": format!("crn:v1:bluemix:public:iam-identity::a/{}::apikey:{id}", scenario.account_id),
        "locked": false,
        "disabled": false,
        "created_at": util::rfc3339(now_ms),
        "modified_at": util::rfc3339(now_ms),
        "name": "dr-cloudsim API key",
        "description": "The key given with --api-key (default sim-api-key)",
        "iam_id": scenario.user.iam_id,
        "account_id": scenario.account_id,
        "_configured_key": true,
    });
    world.insert(SERVICE, API_KEYS, &id, object);
}

/// IAM's error body: `{errorCode, errorMessage, context}`.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let code = super::kit::fault_code(status, &[(429, "BXNIM0429E")], "BXNIM0500E", "BXNIM0400E");
    iam_error(status, code, message)
}

fn iam_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({
        "errorCode": code,
        "errorMessage": message,
        "context": {
            "requestId": format!("sim-{}", util::now_ms()),
            "requestType": "incoming.Identity_Token",
            "instanceId": "dr-cloudsim",
            "clusterName": "dr-cloudsim",
            "locale": "en_US",
        }
    });
    (status, Json(body)).into_response()
}

fn missing(property: &str) -> Response {
    iam_error(
        StatusCode::BAD_REQUEST,
        "BXNIM0109E",
        &format!("Property missing or empty. Property: {property}"),
    )
}

async fn token(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let form: HashMap<String, String> = match serde_urlencoded_parse(&body) {
        Some(form) => form,
        None => {
            return iam_error(
                StatusCode::BAD_REQUEST,
                "BXNIM0109E",
                "The request body must be application/x-www-form-urlencoded",
            );
        }
    };
    if let Some(response_type) = form.get("response_type")
        && response_type != "cloud_iam"
    {
        return iam_error(
            StatusCode::BAD_REQUEST,
            "BXNIM0106E",
            &format!(
                "Validation of property 'response_type' with value '{response_type}' failed. Valid values: 'cloud_iam'"
            ),
        );
    }
    let grant_type = match form.get("grant_type").filter(|g| !g.is_empty()) {
        Some(g) => g.as_str(),
        None => return missing("grant_type"),
    };
    let scenario = sim.scenario();
    let (iam_id, sub, account, grant) = match grant_type {
        GRANT_API_KEY => {
            let Some(apikey) = form.get("apikey").filter(|k| !k.is_empty()) else {
                return missing("apikey");
            };
            let world = sim.world().await;
            let key_record = world.find(SERVICE, API_KEYS, |k| k["_configured_key"] == true);
            let valid = *apikey == sim.config().api_key && key_record.is_some();
            let Some(record) = key_record.filter(|_| valid) else {
                return iam_error(
                    StatusCode::BAD_REQUEST,
                    "BXNIM0415E",
                    "Provided API key could not be found.",
                );
            };
            if record["locked"] == true || record["disabled"] == true {
                return iam_error(
                    StatusCode::BAD_REQUEST,
                    "BXNIM0416E",
                    "Provided API key is locked or disabled.",
                );
            }
            (
                scenario.user.iam_id.clone(),
                scenario.user.email.clone(),
                scenario.account_id.clone(),
                GRANT_API_KEY,
            )
        }
        GRANT_REFRESH => {
            let Some(refresh) = form.get("refresh_token").filter(|t| !t.is_empty()) else {
                return missing("refresh_token");
            };
            let claims = match sim.signer().verify_refresh(refresh) {
                Ok(c) if c.exp > util::now_ms() / 1000 => c,
                _ => {
                    return iam_error(
                        StatusCode::BAD_REQUEST,
                        "BXNIM0407E",
                        "Provided refresh token is not valid or has expired.",
                    );
                }
            };
            (claims.iam_id, claims.sub, claims.account, GRANT_REFRESH)
        }
        other => {
            return iam_error(
                StatusCode::BAD_REQUEST,
                "BXNIM0106E",
                &format!(
                    "Validation of property 'grant_type' with value '{other}' failed. Valid values: '{GRANT_API_KEY}', '{GRANT_REFRESH}'"
                ),
            );
        }
    };
    sim.count_iam_grant(if grant == GRANT_API_KEY {
        "apikey"
    } else {
        "refresh_token"
    });
    let now_s = util::now_ms() / 1000;
    let lifetime = sim.token_lifetime_seconds();
    let claims = Claims {
        iam_id: iam_id.clone(),
        id: iam_id.clone(),
        realmid: iam_id.split('-').next().unwrap_or("IBMid").to_owned(),
        sub: sub.clone(),
        sub_type: "user".to_owned(),
        account: AccountClaim {
            bss: account.clone(),
            valid: true,
        },
        iat: now_s,
        exp: now_s + lifetime,
        iss: "https://iam.cloud.ibm.com/identity".to_owned(),
        grant_type: grant.to_owned(),
        scope: "ibm openid".to_owned(),
        client_id: "default".to_owned(),
        acr: 1,
        amr: vec!["pwd".to_owned()],
    };
    let refresh = RefreshClaims {
        iam_id,
        sub,
        account,
        iat: now_s,
        exp: now_s + REFRESH_LIFETIME_SECONDS,
        kind: "refresh".to_owned(),
    };
    let body: Value = json!({
        "access_token": sim.signer().sign_access(&claims),
        "refresh_token": sim.signer().sign_refresh(&refresh),
        "token_type": "Bearer",
        "expires_in": lifetime,
        "expiration": now_s + lifetime,
        "scope": "ibm openid",
    });
    Json(body).into_response()
}

fn serde_urlencoded_parse(body: &[u8]) -> Option<HashMap<String, String>> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()
        .map(|pairs| pairs.into_iter().collect())
}
