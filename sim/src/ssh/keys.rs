//! Key material of the emulated SSH servers: deterministic host keys, the account's
//! registered public keys, and the salted hash that stands for the orchestrator password.
//!
//! Host keys are ed25519 keys whose seed is SHA-256 over a fixed label, `--seed` and the
//! host's identity (the jump host's label, or a KSYS host's VM id). The same seed therefore
//! gives the same keys after a restart from the state file, and every host has its own key,
//! so clients can pin them (`GET /_sim/ssh` publishes them in OpenSSH format).

use std::num::NonZeroU32;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ring::{digest, pbkdf2};
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{PrivateKey, PublicKey};

use crate::store::World;

/// The identity the jump host's key derives from.
pub const JUMP_IDENTITY: &str = "dr-cloudsim jump host";

const PBKDF2_ROUNDS: u32 = 4096;
const HASH_PREFIX: &str = "pbkdf2-sha256";

/// The host key of `identity` for this seed.
pub fn host_key(seed: u64, identity: &str) -> PrivateKey {
    let material = format!("dr-cloudsim ssh host key\0{seed}\0{identity}");
    let hash = digest::digest(&digest::SHA256, material.as_bytes());
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&hash.as_ref()[..32]);
    PrivateKey::from(Ed25519Keypair::from_seed(&bytes))
}

/// `ssh-ed25519 AAAA...`, the form of known_hosts and `authorized_keys` entries.
pub fn openssh_public(key: &PrivateKey) -> String {
    key.public_key().to_openssh().unwrap_or_default()
}

/// A PowerVS `sshKey` text as a public key, if it is one.
pub fn parse_public(text: &str) -> Option<PublicKey> {
    PublicKey::from_openssh(text.trim()).ok()
}

/// Whether `key` is registered as a PowerVS SSH key anywhere in the account.
pub fn is_account_key(world: &World, key: &PublicKey) -> bool {
    world
        .list("power", "ssh_keys")
        .filter_map(|k| k["sshKey"].as_str().and_then(parse_public))
        .any(|k| k.key_data() == key.key_data())
}

/// The PowerVS SSH key named `name` as the workspace sees it (its own or account-wide).
pub fn key_named(world: &World, workspace_guid: &str, name: &str) -> Option<PublicKey> {
    world
        .list("power", "ssh_keys")
        .filter(|k| {
            k["name"].as_str() == Some(name)
                && (k["_workspace"].as_str() == Some(workspace_guid)
                    || k["visibility"].as_str() == Some("account"))
        })
        .find_map(|k| k["sshKey"].as_str().and_then(parse_public))
}

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
    fn host_keys_are_stable_per_seed_and_identity() {
        let a = openssh_public(&host_key(7, "vm-1"));
        assert!(a.starts_with("ssh-ed25519 AAAA"), "{a}");
        assert_eq!(a, openssh_public(&host_key(7, "vm-1")));
        assert_ne!(a, openssh_public(&host_key(7, "vm-2")));
        assert_ne!(a, openssh_public(&host_key(8, "vm-1")));
        assert_eq!(
            parse_public(&a).map(|k| k.to_openssh().unwrap_or_default()),
            Some(a)
        );
    }

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
