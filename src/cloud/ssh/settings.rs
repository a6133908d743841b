//! What the transport needs to reach the orchestrators, and the parsers that check it.
//!
//! The parsers are public because the provider runs the same checks offline, while
//! validating the `orchestrator_ssh` block, to put the error on the attribute that is wrong.
//! Their messages never quote a secret (key text, password).

use std::path::PathBuf;
use std::time::Duration;

use russh::keys::{PrivateKey, PublicKey};

use crate::cloud::redact::debug_hiding_secrets;

pub const DEFAULT_USER: &str = "root";
pub const DEFAULT_PORT: u16 = 22;
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How unknown and changed host keys are treated, with OpenSSH's meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StrictHostKeyChecking {
    /// Refuse unknown and changed keys.
    #[default]
    Yes,
    /// Record unknown keys in the known_hosts file; refuse changed ones.
    AcceptNew,
    /// Accept any key (a changed key is logged as a warning).
    No,
}

impl StrictHostKeyChecking {
    /// The spellings users write, as OpenSSH's `StrictHostKeyChecking`.
    pub const ALLOWED: [&'static str; 3] = ["yes", "accept-new", "no"];

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "yes" => Some(Self::Yes),
            "accept-new" => Some(Self::AcceptNew),
            "no" => Some(Self::No),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::AcceptNew => "accept-new",
            Self::No => "no",
        }
    }
}

/// Access to the orchestrator hosts (the provider's `orchestrator_ssh` block).
#[derive(Clone)]
pub struct SshSettings {
    pub user: String,
    /// OpenSSH or PEM private key text (ed25519, ecdsa, rsa), unencrypted.
    pub private_key: Option<String>,
    pub password: Option<String>,
    /// Pinned public keys, one OpenSSH line each (`ssh-ed25519 AAAA... comment`); the
    /// orchestrator's key must be one of them (primary and standby have different keys).
    pub host_keys: Vec<String>,
    /// An OpenSSH known_hosts file; `~/.ssh/known_hosts` when neither this nor `host_keys`
    /// is given.
    pub known_hosts_file: Option<PathBuf>,
    pub strict_host_key_checking: StrictHostKeyChecking,
    pub port: u16,
    pub jump_host: Option<JumpHostSettings>,
    /// Limit for TCP connect, handshake and login together, per hop.
    pub connect_timeout: Duration,
}

impl Default for SshSettings {
    fn default() -> Self {
        Self {
            user: DEFAULT_USER.to_string(),
            private_key: None,
            password: None,
            host_keys: Vec::new(),
            known_hosts_file: None,
            strict_host_key_checking: StrictHostKeyChecking::Yes,
            port: DEFAULT_PORT,
            jump_host: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

/// The bastion in front of the orchestrators' private subnets.
#[derive(Clone)]
pub struct JumpHostSettings {
    /// `host[:port]` (port 22 when absent; `[v6]:port` for IPv6).
    pub address: String,
    pub user: String,
    /// When the jump host has neither key nor password, the orchestrator's `private_key` is
    /// offered to it too, as `ssh -J` offers the same identities to both hops.
    pub private_key: Option<String>,
    pub password: Option<String>,
    pub host_keys: Vec<String>,
}

debug_hiding_secrets!(SshSettings {
    user,
    private_key: secret,
    password: secret,
    host_keys,
    known_hosts_file,
    strict_host_key_checking,
    port,
    jump_host,
    connect_timeout,
});

debug_hiding_secrets!(JumpHostSettings {
    address,
    user,
    private_key: secret,
    password: secret,
    host_keys,
});

/// Parses one pinned host key line: `<type> <base64> [comment]`.
pub fn parse_host_key(line: &str) -> Result<PublicKey, String> {
    let trimmed = line.trim();
    let mut fields = trimmed.split_whitespace();
    let (Some(kind), Some(data)) = (fields.next(), fields.next()) else {
        return Err(
            "is not an OpenSSH public key line such as \"ssh-ed25519 AAAAC3Nza... comment\" \
             (a line of the host's /etc/ssh/ssh_host_*_key.pub, or of ssh-keyscan's output \
             without the host name)"
                .to_string(),
        );
    };
    if !kind.starts_with("ssh-") && !kind.starts_with("ecdsa-") {
        return Err(format!(
            "starts with {kind:?}, not a key type; expected \"ssh-ed25519 AAAA...\", \
             \"ecdsa-sha2-nistp256 AAAA...\" or \"ssh-rsa AAAA...\" (without a host name in front)"
        ));
    }
    PublicKey::from_openssh(&format!("{kind} {data}")).map_err(|e| {
        format!(
            "is not a valid {kind} public key ({e}); copy the whole line of the host's \
             ssh_host_*_key.pub"
        )
    })
}

/// Parses a private key given as text (OpenSSH, PKCS#1, PKCS#8 or SEC1 PEM).
pub fn parse_private_key(text: &str) -> Result<PrivateKey, String> {
    let trimmed = text.trim();
    if !trimmed.starts_with("-----BEGIN ") {
        let hint = if std::path::Path::new(trimmed).is_absolute() || trimmed.starts_with('~') {
            " It looks like a path: pass the file's content, e.g. private_key = file(\"~/.ssh/id_ed25519\")."
        } else {
            ""
        };
        return Err(format!(
            "is not a private key: expected the text of an OpenSSH or PEM private key, starting with \
             \"-----BEGIN OPENSSH PRIVATE KEY-----\" or \"-----BEGIN RSA PRIVATE KEY-----\".{hint}"
        ));
    }
    if trimmed.contains("ENCRYPTED") || trimmed.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(encrypted_key_message());
    }
    match russh::keys::decode_secret_key(trimmed, None) {
        Ok(key) => Ok(key),
        Err(russh::keys::Error::KeyIsEncrypted) => Err(encrypted_key_message()),
        Err(e) => Err(format!(
            "cannot be read as an ed25519, ecdsa or rsa private key ({e})"
        )),
    }
}

fn encrypted_key_message() -> String {
    "is encrypted with a passphrase, which the provider cannot ask for; give it an unencrypted \
     copy (ssh-keygen -p -N \"\" -f COPY) and keep that copy's text in a sensitive variable"
        .to_string()
}

/// Splits `host[:port]`, `[v6]:port` or a bare IPv6 address into host and port.
pub fn parse_address(address: &str) -> Result<(String, u16), String> {
    let address = address.trim();
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err("has \"[\" without \"]\"; expected \"[IPv6]:port\"".to_string());
        };
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("has {after:?} after \"]\"; expected \":port\"")),
            },
        }
    } else if address.matches(':').count() == 1 {
        let (host, port) = address.split_once(':').unwrap_or((address, ""));
        (host, Some(port))
    } else {
        (address, None)
    };
    if host.is_empty() {
        return Err(
            "has no host; expected \"host\" or \"host:port\", e.g. \"203.0.113.10:22\"".to_string(),
        );
    }
    if host
        .chars()
        .any(|c| c.is_whitespace() || c == '/' || c == '@')
    {
        return Err(format!(
            "has host {host:?}, which is not a host name or IP address (no user@, scheme or path)"
        ));
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(text) => match text.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => {
                return Err(format!(
                    "has port {text:?}; a port is a whole number from 1 to 65535"
                ));
            }
        },
    };
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::ssh::test_keys::ED_A;

    #[test]
    fn host_key_lines_accept_comments_and_reject_host_prefixes() {
        assert!(parse_host_key(&format!("{ED_A} root@orchestrator")).is_ok());
        assert!(parse_host_key(&format!("  {ED_A}  ")).is_ok());
        let e = parse_host_key(&format!("10.51.0.23 {ED_A}")).unwrap_err();
        assert!(
            e.contains("\"10.51.0.23\"") && e.contains("without a host name"),
            "{e}"
        );
        let e = parse_host_key("ssh-ed25519").unwrap_err();
        assert!(e.contains("ssh-ed25519 AAAAC3Nza"), "{e}");
        let e = parse_host_key("ssh-ed25519 AAAAnotakey").unwrap_err();
        assert!(e.contains("not a valid ssh-ed25519 public key"), "{e}");
    }

    #[test]
    fn private_keys_are_recognised_without_quoting_them() {
        let key = PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(
            &[9; 32],
        ));
        let text = key
            .to_openssh(russh::keys::ssh_key::LineEnding::LF)
            .expect("encode");
        assert!(parse_private_key(&text).is_ok());
        let e = parse_private_key("~/.ssh/id_ed25519").unwrap_err();
        assert!(e.contains("file(") && !e.contains("id_ed25519\"."), "{e}");
        let garbled = text.replace('A', "!");
        let e = parse_private_key(&garbled).unwrap_err();
        assert!(!e.contains(&garbled[40..80]), "{e}");
        let encrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nxx\n-----END RSA PRIVATE KEY-----";
        assert!(
            parse_private_key(encrypted)
                .unwrap_err()
                .contains("passphrase")
        );
    }

    #[test]
    fn addresses_with_and_without_ports() {
        let ok = |a: &str| parse_address(a).expect(a);
        assert_eq!(ok("203.0.113.10"), ("203.0.113.10".into(), 22));
        assert_eq!(ok("203.0.113.10:2222"), ("203.0.113.10".into(), 2222));
        assert_eq!(ok("jump.example.com"), ("jump.example.com".into(), 22));
        assert_eq!(ok("[2001:db8::1]:2200"), ("2001:db8::1".into(), 2200));
        assert_eq!(ok("2001:db8::1"), ("2001:db8::1".into(), 22));
        for (bad, part) in [
            (":22", "no host"),
            ("", "no host"),
            ("host:0", "from 1 to 65535"),
            ("host:70000", "\"70000\""),
            ("host:", "\"\""),
            ("[::1", "without \"]\""),
            ("root@host", "no user@"),
        ] {
            let e = parse_address(bad).unwrap_err();
            assert!(e.contains(part), "{bad}: {e}");
        }
    }

    #[test]
    fn strictness_spellings() {
        for s in StrictHostKeyChecking::ALLOWED {
            assert_eq!(
                StrictHostKeyChecking::parse(s).map(StrictHostKeyChecking::as_str),
                Some(s)
            );
        }
        assert_eq!(StrictHostKeyChecking::parse("ask"), None);
    }

    #[test]
    fn debug_output_hides_secrets() {
        let settings = SshSettings {
            private_key: Some("-----BEGIN OPENSSH PRIVATE KEY-----secret".into()),
            password: Some("hunter2hunter2".into()),
            jump_host: Some(JumpHostSettings {
                address: "j".into(),
                user: "jump".into(),
                private_key: Some("jump-key-text".into()),
                password: None,
                host_keys: vec![],
            }),
            ..SshSettings::default()
        };
        let text = format!("{settings:?}");
        assert!(
            !text.contains("secret")
                && !text.contains("hunter2")
                && !text.contains("jump-key-text")
        );
        assert!(text.contains("(sensitive)"), "{text}");
    }
}
