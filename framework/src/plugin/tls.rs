//! AutoMTLS as go-plugin does it: a throw-away server certificate per process, and only the
//! one client whose certificate Terraform put in `PLUGIN_CLIENT_CERT` may connect.
//!
//! Terraform's client certificate is ECDSA P-521 with SHA-512 (go-plugin's choice); `ring`
//! cannot verify P-521, so everything here runs on rustls' aws-lc-rs provider. Our own server
//! certificate is ECDSA P-256: go-plugin trusts whatever certificate the handshake line
//! announces, and P-256 is cheaper on both sides (Go has assembly for P-256 only; here it took
//! 0.45 ms off every start, see docs/performance.md).
//!
//! The client certificate is verified by *pinning* (byte-for-byte equality with the PEM from
//! the environment) plus rustls' check of the handshake signature, which proves the peer holds
//! the matching private key. Ordinary WebPKI path building cannot be used: go-plugin's client
//! certificate is self-signed with `IsCA: true`, and webpki refuses a CA certificate presented
//! as an end entity (`CaUsedAsEndEntity`). Pinning is also strictly narrower than Go's "signed
//! by this pool of one" check, which is what we want for a one-to-one channel.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName as TlsDn, SignatureScheme};

use super::PluginError;

/// The server's self-signed certificate and key, generated fresh at every start.
pub struct ServerIdentity {
    /// DER of the certificate, also sent (base64) in the handshake line.
    pub cert_der: CertificateDer<'static>,
    key_der: PrivatePkcs8KeyDer<'static>,
}

impl std::fmt::Debug for ServerIdentity {
    // The private key is deliberately left out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("cert_der_len", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

/// Generates a P-256/SHA-256 self-signed certificate for `localhost`, marked as a CA (the
/// client uses it as its only root) and valid for both server and client auth, like
/// go-plugin's `generateCert`.
pub fn generate_server_identity() -> Result<ServerIdentity, PluginError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(tls_setup)?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "localhost");
    name.push(
        DnType::OrganizationName,
        "terraform-provider (tf-framework)",
    );
    params.distinguished_name = name;
    params.subject_alt_names = vec![SanType::DnsName("localhost".try_into().map_err(tls_setup)?)];
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    // Back-date a day to tolerate clock skew; expire in ~30 years like go-plugin.
    let (year, month, day) = civil_date_days_ago(1);
    params.not_before = rcgen::date_time_ymd(year, month, day);
    params.not_after = rcgen::date_time_ymd(year + 30, month, day.min(28));
    let cert = params.self_signed(&key).map_err(tls_setup)?;
    Ok(ServerIdentity {
        cert_der: cert.der().clone(),
        key_der: PrivatePkcs8KeyDer::from(key.serialize_der()),
    })
}

/// Builds the rustls server configuration that requires the pinned client certificate.
pub fn server_config(
    identity: &ServerIdentity,
    client_cert_pem: &str,
) -> Result<Arc<rustls::ServerConfig>, PluginError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = PinnedClientCert::from_pem(client_cert_pem, provider.clone())?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(tls_setup)?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(
            vec![identity.cert_der.clone()],
            PrivateKeyDer::Pkcs8(identity.key_der.clone_key()),
        )
        .map_err(tls_setup)?;
    // grpc-go (1.67+) refuses a TLS server that does not negotiate h2 via ALPN.
    config.alpn_protocols = vec![b"h2".to_vec()];
    // One process serves one connection, so a session ticket could never be used.
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

/// The handshake-signature half of a verifier, the same in both directions: rustls checks the
/// peer holds the pinned certificate's key with the provider's algorithms.
macro_rules! handshake_signature_checks {
    () => {
        // Each trait method has a rustls function of the same name.
        handshake_signature_checks!(verify_tls12_signature, verify_tls13_signature);

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    };
    ($($verify:ident),+) => {
        $(fn $verify(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            let algorithms = &self.provider.signature_verification_algorithms;
            rustls::crypto::$verify(message, cert, dss, algorithms)
        })+
    };
}

/// Accepts exactly one client certificate: the one Terraform announced.
#[derive(Debug)]
pub struct PinnedClientCert {
    expected: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl PinnedClientCert {
    /// Parses the first certificate of a PEM document.
    pub fn from_pem(pem: &str, provider: Arc<CryptoProvider>) -> Result<Self, PluginError> {
        let expected = CertificateDer::pem_slice_iter(pem.as_bytes())
            .next()
            .ok_or_else(|| {
                PluginError::InvalidClientCert("no CERTIFICATE block in PEM".to_owned())
            })?
            .map_err(|e| PluginError::InvalidClientCert(e.to_string()))?;
        Ok(Self { expected, provider })
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[TlsDn] {
        // An empty hint list lets Go's client offer its certificate unconditionally.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    handshake_signature_checks!();
}

/// The client side of the same pinning, for tests that talk to the plugin the way Terraform's
/// go-plugin does: trusts only `server_cert` (the one the handshake line announced; webpki would
/// refuse it as a CA used as end entity), offers ALPN h2 and presents `client` (certificate DER,
/// PKCS#8 key DER) when given.
#[doc(hidden)]
pub fn pinned_client_config(
    server_cert: &[u8],
    client: Option<(&CertificateDer<'static>, &[u8])>,
) -> Result<rustls::ClientConfig, PluginError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(tls_setup)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServerCert {
            expected: server_cert.to_vec(),
            provider,
        }));
    let mut config = match client {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![cert.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.to_vec())),
            )
            .map_err(tls_setup)?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// Accepts exactly one server certificate (see [`pinned_client_config`]).
#[derive(Debug)]
struct PinnedServerCert {
    expected: Vec<u8>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("unexpected server cert".into()))
        }
    }

    handshake_signature_checks!();
}

fn tls_setup(err: impl std::fmt::Display) -> PluginError {
    PluginError::Tls(err.to_string())
}

/// Today's UTC civil date minus `days_back` days, from the system clock.
fn civil_date_days_ago(days_back: i64) -> (i32, u8, u8) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0) - days_back;
    super::logging::civil_from_days(days)
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn server_identity_is_a_p256_localhost_ca() {
        let identity = generate_server_identity().expect("generate");
        let der = identity.cert_der.as_ref();
        // OID 1.2.840.10045.3.1.7 (prime256v1) and ecdsa-with-SHA256 (1.2.840.10045.4.3.2).
        let prime256v1 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        let ecdsa_sha256 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
        assert!(der.windows(prime256v1.len()).any(|w| w == prime256v1));
        assert!(der.windows(ecdsa_sha256.len()).any(|w| w == ecdsa_sha256));
        assert!(der.windows(9).any(|w| w == b"localhost"));
    }

    #[test]
    fn pinned_verifier_accepts_only_the_announced_cert() {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let client = generate_server_identity().expect("client");
        let other = generate_server_identity().expect("other");
        let pem = pem_encode(client.cert_der.as_ref());
        let verifier = PinnedClientCert::from_pem(&pem, provider).expect("pem");
        let now = UnixTime::now();
        assert!(
            verifier
                .verify_client_cert(&client.cert_der, &[], now)
                .is_ok()
        );
        assert!(
            verifier
                .verify_client_cert(&other.cert_der, &[], now)
                .is_err()
        );
        assert!(
            verifier
                .supported_verify_schemes()
                .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
        );
    }

    #[test]
    fn garbage_client_pem_is_rejected() {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        assert!(matches!(
            PinnedClientCert::from_pem("not a pem", provider),
            Err(PluginError::InvalidClientCert(_))
        ));
    }

    fn pem_encode(der: &[u8]) -> String {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).expect("ascii"));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }
}
