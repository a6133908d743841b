//! Deciding whether to trust the key a host presents, before anything is sent to it.
//!
//! The trusted keys of a hop are its pinned keys plus the known_hosts entries for the host.
//! The decision follows OpenSSH: a key that is trusted is accepted; a key revoked in
//! known_hosts is refused whatever the strictness; a host with trusted keys that presents
//! another key has *changed* (refused unless `no`); a host with no trusted key is *unknown*
//! (refused under `yes`, recorded under `accept-new`, accepted under `no`). Unlike OpenSSH a
//! key of another type than the recorded ones counts as changed, not new: the client asks the
//! server for the recorded types first (as OpenSSH orders its host key algorithms), so a
//! server that no longer offers them is treated as the suspicious case it is.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use russh::keys::ssh_key::public::KeyData;
use russh::keys::{Algorithm, HashAlg, PublicKey};

use super::error::SshError;
use super::known_hosts::{self, KnownHosts};
use super::settings::StrictHostKeyChecking;

/// What the caller should do with the presented key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Accept,
    /// Unknown host under `accept-new`: accept and record it.
    AcceptAndRecord,
    /// Changed or unknown key accepted because strict checking is `no`.
    AcceptUnchecked,
    RefuseChanged,
    RefuseUnknown,
    RefuseRevoked,
}

/// The decision table, as a pure function of what is trusted, what is revoked and the mode.
pub fn decide(
    presented: &KeyData,
    trusted: &[&KeyData],
    revoked: &[&KeyData],
    strict: StrictHostKeyChecking,
) -> Decision {
    if revoked.contains(&presented) {
        return Decision::RefuseRevoked;
    }
    if trusted.contains(&presented) {
        return Decision::Accept;
    }
    match (trusted.is_empty(), strict) {
        (_, StrictHostKeyChecking::No) => Decision::AcceptUnchecked,
        (false, _) => Decision::RefuseChanged,
        (true, StrictHostKeyChecking::Yes) => Decision::RefuseUnknown,
        (true, StrictHostKeyChecking::AcceptNew) => Decision::AcceptAndRecord,
    }
}

/// `SHA256:...`, as `ssh-keygen -l` prints it.
pub fn fingerprint(key: &KeyData) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// How one hop (the jump host, or the orchestrators) is verified.
#[derive(Debug, Clone)]
pub struct HostKeyPolicy {
    pinned: Vec<KeyData>,
    /// The provider argument holding the pinned keys, for messages.
    pinned_setting: &'static str,
    known_hosts_file: Option<PathBuf>,
    strict: StrictHostKeyChecking,
    /// Serializes appends to known_hosts files within this process.
    record_lock: Arc<Mutex<()>>,
}

impl HostKeyPolicy {
    /// With no pinned key and no file, the hop uses `~/.ssh/known_hosts`, as OpenSSH does.
    pub fn new(
        pinned: Vec<PublicKey>,
        pinned_setting: &'static str,
        known_hosts_file: Option<PathBuf>,
        strict: StrictHostKeyChecking,
        record_lock: Arc<Mutex<()>>,
    ) -> Self {
        let known_hosts_file = known_hosts_file.or_else(|| {
            if pinned.is_empty() {
                known_hosts::default_path()
            } else {
                None
            }
        });
        Self {
            pinned: pinned.iter().map(|k| k.key_data().clone()).collect(),
            pinned_setting,
            known_hosts_file,
            strict,
            record_lock,
        }
    }

    fn load(&self, host: &str, port: u16) -> Result<known_hosts::HostEntries, SshError> {
        match &self.known_hosts_file {
            None => Ok(known_hosts::HostEntries::default()),
            Some(path) => KnownHosts::load(path)
                .map(|file| file.lookup(host, port))
                .map_err(|e| {
                    SshError::Config(format!(
                        "cannot read the known_hosts file {}: {e}",
                        path.display()
                    ))
                }),
        }
    }

    /// Host key algorithms to offer, the types this hop already trusts first.
    pub fn preferred_algorithms(&self, host: &str, port: u16) -> Vec<Algorithm> {
        let defaults = russh::Preferred::DEFAULT.key.to_vec();
        let mut trusted: Vec<KeyData> = self.pinned.clone();
        if let Ok(entries) = self.load(host, port) {
            trusted.extend(entries.trusted.into_iter().map(|k| k.key));
        }
        let same_family = |a: &Algorithm, k: &KeyData| match (a, k.algorithm()) {
            (Algorithm::Rsa { .. }, Algorithm::Rsa { .. }) => true,
            (a, b) => *a == b,
        };
        let (mut first, rest): (Vec<Algorithm>, Vec<Algorithm>) = defaults
            .into_iter()
            .partition(|a| trusted.iter().any(|k| same_family(a, k)));
        first.extend(rest);
        first
    }

    /// Checks `presented` for `host` on `port`; records it when `accept-new` applies.
    pub fn verify(&self, host: &str, port: u16, presented: &PublicKey) -> Result<(), SshError> {
        let entries = self.load(host, port)?;
        let presented_data = presented.key_data();
        let trusted: Vec<&KeyData> = self
            .pinned
            .iter()
            .chain(entries.trusted.iter().map(|k| &k.key))
            .collect();
        let revoked: Vec<&KeyData> = entries.revoked.iter().map(|k| &k.key).collect();
        let label = known_hosts::lookup_name(host, port);
        let file_name = || {
            self.known_hosts_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        match decide(presented_data, &trusted, &revoked, self.strict) {
            Decision::Accept => Ok(()),
            Decision::AcceptUnchecked => {
                if !trusted.is_empty() {
                    tracing::warn!(
                        host = %label,
                        presented = %fingerprint(presented_data),
                        "SSH host key differs from the trusted ones; accepted because strict_host_key_checking is \"no\""
                    );
                }
                Ok(())
            }
            Decision::AcceptAndRecord => {
                let Some(path) = &self.known_hosts_file else {
                    return Err(SshError::Config(format!(
                        "strict_host_key_checking = \"accept-new\" needs a known_hosts file to record \
                         the key of {label} in; set known_hosts_file (HOME is not set)"
                    )));
                };
                let _guard = self
                    .record_lock
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                known_hosts::record(path, host, port, presented).map_err(|e| {
                    SshError::Config(format!(
                        "cannot record the host key of {label} in {}: {e}",
                        path.display()
                    ))
                })?;
                tracing::info!(
                    host = %label,
                    fingerprint = %fingerprint(presented_data),
                    file = %path.display(),
                    "recorded a new SSH host key (accept-new)"
                );
                Ok(())
            }
            Decision::RefuseRevoked => Err(SshError::HostKeyRevoked {
                host: label,
                fingerprint: fingerprint(presented_data),
                file: file_name(),
            }),
            Decision::RefuseChanged => {
                let mut expected: Vec<String> = self
                    .pinned
                    .iter()
                    .map(|k| format!("{} ({})", fingerprint(k), self.pinned_setting))
                    .collect();
                expected.extend(
                    entries
                        .trusted
                        .iter()
                        .map(|k| format!("{} ({}:{})", fingerprint(&k.key), file_name(), k.line)),
                );
                let remedy = match (self.pinned.is_empty(), entries.trusted.is_empty()) {
                    (false, true) => self.pinned_setting.to_string(),
                    (true, _) => format!("the known_hosts file {}", file_name()),
                    (false, false) => format!(
                        "{} and the known_hosts file {}",
                        self.pinned_setting,
                        file_name()
                    ),
                };
                Err(SshError::HostKeyMismatch {
                    host: label,
                    presented_fingerprint: fingerprint(presented_data),
                    expected,
                    remedy,
                })
            }
            Decision::RefuseUnknown => {
                let line = presented
                    .to_openssh()
                    .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
                    .unwrap_or_default();
                let file_hint = match &self.known_hosts_file {
                    Some(path) => format!(" or to the known_hosts file {}", path.display()),
                    None => String::new(),
                };
                Err(SshError::HostKeyUnknown {
                    host: label,
                    fingerprint: fingerprint(presented_data),
                    hint: format!(
                        "after checking it out of band (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the \
                         host), add \"{line}\" to {}{file_hint}, or set strict_host_key_checking = \"accept-new\". \
                         Nothing was run.",
                        self.pinned_setting
                    ),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use StrictHostKeyChecking::{AcceptNew, No, Yes};

    fn key(seed: u8) -> PublicKey {
        let pair = russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&[seed; 32]);
        russh::keys::PrivateKey::from(pair).public_key().clone()
    }

    type Case<'a> = (
        &'a KeyData,
        &'a [&'a KeyData],
        &'a [&'a KeyData],
        StrictHostKeyChecking,
        Decision,
    );

    #[test]
    fn the_decision_table() {
        let (a, b, c) = (key(1), key(2), key(3));
        let (a, b, c) = (a.key_data(), b.key_data(), c.key_data());
        let cases: [Case; 12] = [
            (a, &[a], &[], Yes, Decision::Accept),
            (a, &[b, a], &[], AcceptNew, Decision::Accept),
            (a, &[a], &[], No, Decision::Accept),
            (a, &[b], &[], Yes, Decision::RefuseChanged),
            (a, &[b], &[], AcceptNew, Decision::RefuseChanged),
            (a, &[b], &[], No, Decision::AcceptUnchecked),
            (a, &[], &[], Yes, Decision::RefuseUnknown),
            (a, &[], &[], AcceptNew, Decision::AcceptAndRecord),
            (a, &[], &[], No, Decision::AcceptUnchecked),
            (a, &[a], &[a], Yes, Decision::RefuseRevoked),
            (a, &[], &[a], No, Decision::RefuseRevoked),
            (a, &[b], &[c], AcceptNew, Decision::RefuseChanged),
        ];
        for (i, (presented, trusted, revoked, strict, want)) in cases.into_iter().enumerate() {
            assert_eq!(
                decide(presented, trusted, revoked, strict),
                want,
                "case {i}"
            );
        }
    }

    fn policy(
        pinned: Vec<PublicKey>,
        file: Option<PathBuf>,
        strict: StrictHostKeyChecking,
    ) -> HostKeyPolicy {
        HostKeyPolicy::new(
            pinned,
            "orchestrator_ssh.host_keys",
            file,
            strict,
            Arc::new(Mutex::new(())),
        )
    }

    fn line(k: &PublicKey) -> String {
        k.to_openssh().expect("openssh")
    }

    #[test]
    fn a_changed_key_names_both_sources_of_trust() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, format!("# x\n10.51.0.23 {}\n", line(&key(2)))).expect("write");
        let err = policy(vec![key(3)], Some(path.clone()), AcceptNew)
            .verify("10.51.0.23", 22, &key(1))
            .unwrap_err();
        let SshError::HostKeyMismatch {
            host,
            presented_fingerprint,
            expected,
            remedy,
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(host, "10.51.0.23");
        assert_eq!(presented_fingerprint, &fingerprint(key(1).key_data()));
        assert_eq!(
            expected,
            &vec![
                format!(
                    "{} (orchestrator_ssh.host_keys)",
                    fingerprint(key(3).key_data())
                ),
                format!("{} ({}:2)", fingerprint(key(2).key_data()), path.display()),
            ]
        );
        assert!(remedy.contains("orchestrator_ssh.host_keys") && remedy.contains("known_hosts"));
        assert!(presented_fingerprint.starts_with("SHA256:"));
    }

    #[test]
    fn accept_new_records_then_trusts_and_refuses_a_later_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("known_hosts");
        let p = policy(vec![], Some(path.clone()), AcceptNew);
        p.verify("10.51.0.23", 22, &key(1)).expect("recorded");
        p.verify("10.51.0.23", 22, &key(1)).expect("now trusted");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(matches!(
            p.verify("10.51.0.23", 22, &key(2)),
            Err(SshError::HostKeyMismatch { .. })
        ));
        // Another port is another host.
        p.verify("10.51.0.23", 2222, &key(2)).expect("recorded");
    }

    #[test]
    fn unknown_under_yes_gives_the_line_to_pin() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = policy(vec![], Some(dir.path().join("kh")), Yes)
            .verify("h", 22, &key(1))
            .unwrap_err();
        let text = err.to_string();
        let pin = line(&key(1));
        assert!(
            text.contains(&pin[..40]) && text.contains("accept-new"),
            "{text}"
        );
        assert!(!dir.path().join("kh").exists(), "yes never writes");
    }

    #[test]
    fn revoked_keys_are_refused_even_under_no() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, format!("@revoked * {}\n", line(&key(1)))).expect("write");
        assert!(matches!(
            policy(vec![], Some(path), No).verify("h", 22, &key(1)),
            Err(SshError::HostKeyRevoked { .. })
        ));
    }

    #[test]
    fn trusted_key_types_are_asked_for_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("known_hosts");
        let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7";
        std::fs::write(&path, format!("h {rsa}\n")).expect("write");
        // An unparsable RSA line is skipped, so the defaults stay in order.
        let order = policy(vec![], Some(path.clone()), Yes).preferred_algorithms("h", 22);
        assert_eq!(order, russh::Preferred::DEFAULT.key.to_vec());
        let ecdsa = russh::keys::PrivateKey::from(
            russh::keys::ssh_key::private::EcdsaKeypair::random(
                &mut FixedRng(7),
                russh::keys::EcdsaCurve::NistP256,
            )
            .expect("ecdsa"),
        );
        std::fs::write(&path, format!("h {}\n", line(ecdsa.public_key()))).expect("write");
        let order = policy(vec![], Some(path), Yes).preferred_algorithms("h", 22);
        assert_eq!(
            order[0],
            Algorithm::Ecdsa {
                curve: russh::keys::EcdsaCurve::NistP256
            }
        );
        assert_eq!(order.len(), russh::Preferred::DEFAULT.key.len());
    }

    /// A deterministic byte source for test keys (never for real keys).
    struct FixedRng(u8);
    impl russh::keys::ssh_key::rand_core::TryRng for FixedRng {
        type Error = std::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(u32::from(self.next()))
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(u64::from(self.next()))
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Self::Error> {
            dest.iter_mut().for_each(|b| *b = self.next());
            Ok(())
        }
    }
    impl russh::keys::ssh_key::rand_core::TryCryptoRng for FixedRng {}
    impl FixedRng {
        fn next(&mut self) -> u8 {
            self.0 = self.0.wrapping_mul(31).wrapping_add(17);
            self.0
        }
    }
}
