//! The salted hash that stands for an orchestrator's root password: DR Automation stores it
//! at `manage_dr` and the KSYS hosts check SSH logins against it, so no state ever holds the
//! password. A module of its own, so that neither the services nor the SSH servers reach into
//! each other for it.

use std::num::NonZeroU32;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ring::pbkdf2;

const PBKDF2_ROUNDS: u32 = 4096;
const HASH_PREFIX: &str = "pbkdf2-sha256";

/// `pbkdf2-sha256$<rounds>$<salt>$<hash>` of a password with a fresh random salt.
pub fn hash_password(password: &str) -> String {
    let salt: [u8; 16] = rand::random();
    let mut out = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(PBKDF2_ROUNDS).unwrap_or(NonZeroU32::MIN),
        &salt,
        password.as_bytes(),
        &mut out,
    );
    format!(
        "{HASH_PREFIX}${PBKDF2_ROUNDS}${}${}",
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(out)
    )
}

/// Whether `password` is the one `stored` was made from (constant time).
pub fn verify_password(stored: &str, password: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let [HASH_PREFIX, rounds, salt, hash] = parts[..] else {
        return false;
    };
    let (Some(rounds), Ok(salt), Ok(hash)) = (
        rounds.parse::<u32>().ok().and_then(NonZeroU32::new),
        STANDARD_NO_PAD.decode(salt),
        STANDARD_NO_PAD.decode(hash),
    ) else {
        return false;
    };
    pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA256,
        rounds,
        &salt,
        password.as_bytes(),
        &hash,
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let stored = hash_password("Orch-Passw0rd");
        assert!(stored.starts_with("pbkdf2-sha256$4096$"));
        assert!(!stored.contains("Orch-Passw0rd"));
        assert!(verify_password(&stored, "Orch-Passw0rd"));
        assert!(!verify_password(&stored, "orch-passw0rd"));
        assert!(!verify_password("garbage", "x"));
        assert_ne!(stored, hash_password("Orch-Passw0rd"), "salted");
    }
}
