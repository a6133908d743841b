//! What the test binaries that start the echo provider share: how to start it the way
//! Terraform does (its path, go-plugin's magic cookie) and how to talk TLS and gRPC to it the way
//! Terraform's go-plugin does.

use std::future::Future;
use std::io;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::process::Command;
use tonic::transport::{Channel, Endpoint, Uri};

/// The provider binary the tests start.
pub const BIN: &str = env!("CARGO_BIN_EXE_tf-framework-echo-provider");
/// go-plugin's magic cookie, without which the provider refuses to serve.
pub const COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);

/// A command that starts `program` the way Terraform starts a plugin: an environment holding
/// only `TMPDIR` and `env`, no stdin, stdout piped for the handshake line, `stderr` as given,
/// and killed when the test drops it.
pub fn plugin_command(
    program: &str,
    tmpdir: &Path,
    env: &[(&str, &str)],
    stderr: Stdio,
) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("TMPDIR", tmpdir)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true);
    cmd
}

/// Pins the server certificate announced in the handshake (webpki would refuse it as a CA used
/// as end entity, exactly like go-plugin's own certificates).
#[derive(Debug)]
struct PinnedServer {
    expected: Vec<u8>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for PinnedServer {
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
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client config that pins `server_cert`, offers ALPN h2 and presents `client` (certificate
/// DER, PKCS#8 key DER) when given.
pub fn pinned_client_config(
    server_cert: &[u8],
    client: Option<(&CertificateDer<'static>, &[u8])>,
) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer {
            expected: server_cert.to_vec(),
            provider,
        }));
    let mut config = match client {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![cert.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.to_vec())),
            )
            .expect("client auth"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    config
}

/// A client certificate shaped like go-plugin's throw-away one (P-521, self-signed CA, valid
/// for client and server auth), with its key and the PEM Terraform puts in PLUGIN_CLIENT_CERT.
pub struct ClientIdentity {
    pub cert: CertificateDer<'static>,
    pub key: Vec<u8>,
    pub pem: String,
}

pub fn client_identity() -> ClientIdentity {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("key");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
    ];
    let cert = params.self_signed(&key).expect("cert");
    ClientIdentity {
        cert: cert.der().clone(),
        key: key.serialize_der(),
        pem: cert.pem(),
    }
}

/// A client config that pins `server_cert` and presents `client`, when given.
pub fn tls_client_config(
    server_cert: &[u8],
    client: Option<&ClientIdentity>,
) -> rustls::ClientConfig {
    pinned_client_config(server_cert, client.map(|id| (&id.cert, id.key.as_slice())))
}

/// A byte stream to the plugin: a socket, or TLS over one.
pub trait IoStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> IoStream for T {}

/// A gRPC channel from `endpoint` over the streams `dial` opens to `target` (a socket path,
/// an address), TLS if a client config is given. The connection attempt is bounded, so a
/// plugin that never answers fails the test.
pub async fn grpc_channel<T, F>(
    endpoint: Endpoint,
    target: T,
    dial: fn(T) -> F,
    tls: Option<rustls::ClientConfig>,
) -> Result<Channel, tonic::transport::Error>
where
    T: Clone + Send + 'static,
    F: Future<Output = io::Result<Box<dyn IoStream>>> + Send + 'static,
{
    let tls = tls.map(|cfg| tokio_rustls::TlsConnector::from(Arc::new(cfg)));
    endpoint
        .connect_timeout(Duration::from_secs(5))
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let (target, tls) = (target.clone(), tls.clone());
            async move {
                let stream = dial(target).await?;
                match tls {
                    None => Ok::<_, io::Error>(TokioIo::new(stream)),
                    Some(tls) => {
                        let name = ServerName::try_from("localhost").expect("name");
                        let stream = tls.connect(name, stream).await?;
                        Ok(TokioIo::new(Box::new(stream) as Box<dyn IoStream>))
                    }
                }
            }
        }))
        .await
}
