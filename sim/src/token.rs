//! IAM tokens: JWT-shaped access tokens signed with HMAC-SHA256, and opaque refresh tokens.
//!
//! Real IAM signs with RS256 and publishes its keys; nothing in the provider verifies the
//! signature (clients only decode `exp` and `account.bss`), so a symmetric key derived from
//! the seed is enough and keeps tokens valid across a restart with the same seed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use serde::{Deserialize, Serialize};

/// The `account` claim of an IAM access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccountClaim {
    pub bss: String,
    #[serde(default)]
    pub valid: bool,
}

/// Claims of an access token, with the names IAM uses.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub iam_id: String,
    pub id: String,
    pub realmid: String,
    pub sub: String,
    pub sub_type: String,
    pub account: AccountClaim,
    pub iat: u64,
    pub exp: u64,
    pub iss: String,
    pub grant_type: String,
    pub scope: String,
    pub client_id: String,
    pub acr: u32,
    pub amr: Vec<String>,
}

/// What a refresh token carries: enough to mint the next access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefreshClaims {
    pub iam_id: String,
    pub sub: String,
    pub account: String,
    pub iat: u64,
    pub exp: u64,
    /// Distinguishes a refresh token from an access token with the same signature key.
    pub kind: String,
}

/// Why a bearer token was refused. Every variant means HTTP 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no Authorization header with a Bearer token was sent")]
    Missing,
    #[error("the bearer token is not a well-formed IAM access token")]
    Malformed,
    #[error("the bearer token's signature is not valid")]
    BadSignature,
    #[error("the bearer token has expired")]
    Expired,
}

/// Signs and checks tokens with one key.
#[derive(Debug)]
pub struct TokenSigner {
    key: hmac::Key,
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT","kid":"dr-cloudsim-1"}"#;

impl TokenSigner {
    pub fn new(seed: u64) -> Self {
        let material = format!("dr-cloudsim token key {seed}");
        TokenSigner {
            key: hmac::Key::new(hmac::HMAC_SHA256, material.as_bytes()),
        }
    }

    /// `header.payload.signature`, each part base64url without padding.
    pub fn sign_access(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(HEADER),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let sig = hmac::sign(&self.key, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }

    /// Checks the signature and decodes the claims; expiry is the caller's business because
    /// the emulator may shorten lifetimes after issue.
    pub fn verify_access(&self, token: &str) -> Result<Claims, AuthError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed);
        };
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| AuthError::Malformed)?;
        let signing_input = format!("{header}.{payload}");
        hmac::verify(&self.key, signing_input.as_bytes(), &sig)
            .map_err(|_| AuthError::BadSignature)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| AuthError::Malformed)?;
        serde_json::from_slice(&payload).map_err(|_| AuthError::Malformed)
    }

    /// An opaque `payload.signature` string (IAM refresh tokens are not JWTs).
    pub fn sign_refresh(&self, claims: &RefreshClaims) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let sig = hmac::sign(&self.key, payload.as_bytes());
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }

    pub fn verify_refresh(&self, token: &str) -> Result<RefreshClaims, AuthError> {
        let (payload, sig) = token.split_once('.').ok_or(AuthError::Malformed)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| AuthError::Malformed)?;
        hmac::verify(&self.key, payload.as_bytes(), &sig).map_err(|_| AuthError::BadSignature)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| AuthError::Malformed)?;
        let claims: RefreshClaims =
            serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed)?;
        if claims.kind != "refresh" {
            return Err(AuthError::Malformed);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            iam_id: "IBMid-1".into(),
            id: "IBMid-1".into(),
            realmid: "IBMid".into(),
            sub: "a@b".into(),
            sub_type: "user".into(),
            account: AccountClaim {
                bss: "acc".into(),
                valid: true,
            },
            iat: 10,
            exp: 20,
            iss: "x".into(),
            grant_type: "g".into(),
            scope: "ibm openid".into(),
            client_id: "default".into(),
            acr: 1,
            amr: vec!["pwd".into()],
        }
    }

    #[test]
    fn access_tokens_round_trip_and_reject_tampering() {
        let signer = TokenSigner::new(1);
        let token = signer.sign_access(&claims());
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(signer.verify_access(&token), Ok(claims()));
        assert_eq!(
            TokenSigner::new(2).verify_access(&token),
            Err(AuthError::BadSignature)
        );
        assert_eq!(signer.verify_access("abc"), Err(AuthError::Malformed));
    }

    #[test]
    fn refresh_tokens_are_not_access_tokens() {
        let signer = TokenSigner::new(1);
        let refresh = signer.sign_refresh(&RefreshClaims {
            iam_id: "i".into(),
            sub: "s".into(),
            account: "a".into(),
            iat: 1,
            exp: 2,
            kind: "refresh".into(),
        });
        assert!(signer.verify_refresh(&refresh).is_ok());
        assert!(signer.verify_access(&refresh).is_err());
        let access = signer.sign_access(&claims());
        assert!(signer.verify_refresh(&access).is_err());
    }
}
