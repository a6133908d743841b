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
use rustls::pki_types::{CertificateDer, ServerName};
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

/// A client config that pins `server_cert`, offers ALPN h2 and presents `client`, when given.
pub fn tls_client_config(
    server_cert: &[u8],
    client: Option<&ClientIdentity>,
) -> rustls::ClientConfig {
    tf_framework::plugin::pinned_client_config(
        server_cert,
        client.map(|id| (&id.cert, id.key.as_slice())),
    )
    .expect("client config")
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
