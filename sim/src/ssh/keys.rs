//! Key material of the emulated SSH servers: deterministic host keys, the account's
//! registered public keys; the salted hash that stands for the orchestrator password is in
//! [`crate::password`].
//!
//! Host keys are ed25519 keys whose seed is SHA-256 over a fixed label, `--seed` and the
//! host's identity (the jump host's label, or a KSYS host's VM id). The same seed therefore
//! gives the same keys after a restart from the state file, and every host has its own key,
//! so clients can pin them (`GET /_sim/ssh` publishes them in OpenSSH format).

use ring::digest;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{PrivateKey, PublicKey};

pub use crate::password::{hash_password, verify_password};
use crate::store::World;

/// The identity the jump host's key derives from.
pub const JUMP_IDENTITY: &str = "dr-cloudsim jump host";

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
}
