//! The go-plugin startup contract: who may start us, which protocol we speak, and the one
//! stdout line that tells Terraform where to connect.
//!
//! Terraform's plugin client (hashicorp/go-plugin) passes everything through environment
//! variables and reads exactly one line from our stdout. Keeping the parsing here, as pure
//! functions over an environment lookup, lets unit tests cover every refusal without spawning
//! processes.

use std::fmt::Write as _;

use base64::Engine as _;

use super::PluginError;

/// Environment variable Terraform sets to prove it launched us.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The value Terraform (and OpenTofu) put in [`MAGIC_COOKIE_KEY`] for provider plugins.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The plugin protocol major version this crate implements (tfplugin6).
pub const PROTOCOL_VERSION: u32 = 6;
/// go-plugin's own core protocol version, the first handshake field.
const CORE_PROTOCOL_VERSION: u32 = 1;

/// Where the server listens, as announced in the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A unix socket path.
    Unix(std::path::PathBuf),
    /// A TCP address, always on loopback.
    Tcp(std::net::SocketAddr),
}

impl Address {
    /// go-plugin's network name for this address.
    pub fn network(&self) -> &'static str {
        match self {
            Address::Unix(_) => "unix",
            Address::Tcp(_) => "tcp",
        }
    }

    /// The address string as go-plugin's `net.Dial` expects it.
    pub fn to_dial_string(&self) -> String {
        match self {
            Address::Unix(path) => path.display().to_string(),
            Address::Tcp(addr) => addr.to_string(),
        }
    }
}

/// Refuses to run unless Terraform's magic cookie is present, the way go-plugin servers do,
/// so that a user who runs the binary by hand gets an explanation instead of a hung process.
pub fn check_magic_cookie(env: impl Fn(&str) -> Option<String>) -> Result<(), PluginError> {
    match env(MAGIC_COOKIE_KEY) {
        Some(value) if value == MAGIC_COOKIE_VALUE => Ok(()),
        _ => Err(PluginError::NotLaunchedByTerraform),
    }
}

/// Picks protocol 6 from the versions the host offers.
///
/// Terraform sends `PLUGIN_PROTOCOL_VERSIONS=5,6` (order not guaranteed). When the variable
/// is missing go-plugin falls back to the server's own version, so we do too. A host that
/// offers versions but not 6 (Terraform before 0.15) is refused with a clear message, rather
/// than answering 6 and leaving it to fail with a cryptic gRPC error.
pub fn negotiate_protocol(env: impl Fn(&str) -> Option<String>) -> Result<u32, PluginError> {
    let Some(offered) = env("PLUGIN_PROTOCOL_VERSIONS") else {
        return Ok(PROTOCOL_VERSION);
    };
    let offered = offered.trim();
    if offered.is_empty() {
        return Ok(PROTOCOL_VERSION);
    }
    let speaks_ours = offered
        .split(',')
        .filter_map(|v| v.trim().parse::<u32>().ok())
        .any(|v| v == PROTOCOL_VERSION);
    if speaks_ours {
        Ok(PROTOCOL_VERSION)
    } else {
        Err(PluginError::UnsupportedProtocol {
            offered: offered.to_owned(),
        })
    }
}

/// Formats the handshake line `1|6|<network>|<address>|grpc|<cert>` (without newline).
///
/// The certificate field is the DER of our server certificate in base64 *without padding*
/// (Go's `RawStdEncoding`); it is empty when serving plaintext.
pub fn handshake_line(protocol: u32, address: &Address, server_cert_der: Option<&[u8]>) -> String {
    let mut line = String::with_capacity(1024);
    // Writing into a String cannot fail.
    let _ = write!(
        line,
        "{CORE_PROTOCOL_VERSION}|{protocol}|{}|{}|grpc|",
        address.network(),
        address.to_dial_string()
    );
    if let Some(der) = server_cert_der {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode_string(der, &mut line);
    }
    line
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    #[test]
    fn cookie_must_match_exactly() {
        assert!(check_magic_cookie(env_of(&[(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)])).is_ok());
        assert!(matches!(
            check_magic_cookie(env_of(&[])),
            Err(PluginError::NotLaunchedByTerraform)
        ));
        assert!(matches!(
            check_magic_cookie(env_of(&[(MAGIC_COOKIE_KEY, "nope")])),
            Err(PluginError::NotLaunchedByTerraform)
        ));
    }

    #[test]
    fn negotiation_picks_six_in_any_order() {
        for offered in ["5,6", "6,5", "6", " 5 , 6 ", "4,5,6,7"] {
            let got = negotiate_protocol(env_of(&[("PLUGIN_PROTOCOL_VERSIONS", offered)]));
            assert_eq!(got.ok(), Some(6), "offered {offered}");
        }
    }

    #[test]
    fn negotiation_defaults_to_six_without_offer() {
        assert_eq!(negotiate_protocol(env_of(&[])).ok(), Some(6));
        assert_eq!(
            negotiate_protocol(env_of(&[("PLUGIN_PROTOCOL_VERSIONS", "")])).ok(),
            Some(6)
        );
    }

    #[test]
    fn negotiation_refuses_hosts_without_six() {
        let err = negotiate_protocol(env_of(&[("PLUGIN_PROTOCOL_VERSIONS", "4,5")]));
        match err {
            Err(PluginError::UnsupportedProtocol { offered }) => assert_eq!(offered, "4,5"),
            other => panic!("expected refusal, got {other:?}"),
        }
    }

    #[test]
    fn handshake_line_has_six_fields_and_unpadded_cert() {
        let addr = Address::Unix("/tmp/x/plugin.sock".into());
        // 4 bytes -> 6 base64 chars with no '=' padding.
        let line = handshake_line(6, &addr, Some(&[1, 2, 3, 4]));
        assert_eq!(line, "1|6|unix|/tmp/x/plugin.sock|grpc|AQIDBA");
        let plain = handshake_line(6, &Address::Tcp(([127, 0, 0, 1], 10000).into()), None);
        assert_eq!(plain, "1|6|tcp|127.0.0.1:10000|grpc|");
    }
}
