//! One authenticated SSH connection: the handshake (host key checked before anything is
//! sent), the login, and the channel budget that keeps us under the server's `MaxSessions`.
//!
//! A connection runs over any byte stream, so the same code serves a TCP socket to the host
//! and a `direct-tcpip` channel through the jump host (`russh::client::connect_stream`).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use russh::MethodKind;
use russh::client::{self, AuthResult, Handle, KeyboardInteractiveAuthResponse};
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;

use super::error::SshError;
use super::host_keys::{HostKeyPolicy, fingerprint};

/// Session channels open at once on one connection; further commands wait for a free one.
/// One less than OpenSSH's default `MaxSessions` (10): sshd reports a command's end before it
/// frees the session, so a channel opened right after another closed would otherwise be
/// refused. A server that allows fewer is learnt from its refusals (see `open_session`).
pub const MAX_CHANNELS_PER_CONNECTION: usize = 9;

/// With no traffic for this long, a keepalive asks the server whether it is still there.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);
/// Unanswered keepalives before the connection counts as dead.
const KEEPALIVE_MAX: usize = 4;

/// A login: a key, a password, or both (the key is tried first).
#[derive(Clone, Default)]
pub struct Credentials {
    pub key: Option<Arc<PrivateKey>>,
    pub password: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("key", &self.key.as_ref().map(|k| k.algorithm().to_string()))
            .field("password", &self.password.as_ref().map(|_| "(sensitive)"))
            .finish()
    }
}

/// Who to log in as where, and how to check the host.
#[derive(Debug, Clone)]
pub struct Target {
    /// The host name or address as the caller gave it (known_hosts name, messages).
    pub host: String,
    pub port: u16,
    pub user: String,
    pub credentials: Credentials,
    pub policy: HostKeyPolicy,
}

impl Target {
    /// `host` on port 22, `host:port` otherwise: how messages name the host.
    pub fn label(&self) -> String {
        if self.port == 22 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// russh's per-connection callbacks: only the host key check matters to us.
struct Client {
    host: String,
    port: u16,
    policy: HostKeyPolicy,
}

/// Errors out of the russh session: its own, or our refusal of the host key.
#[derive(Debug)]
enum ClientError {
    Ssh(russh::Error),
    Refused(SshError),
}

impl From<russh::Error> for ClientError {
    fn from(e: russh::Error) -> Self {
        ClientError::Ssh(e)
    }
}

impl client::Handler for Client {
    type Error = ClientError;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => self
                .policy
                .verify(&self.host, self.port, key)
                .map(|()| true)
                .map_err(ClientError::Refused),
            // We never advertise certificate algorithms, so a certificate is a protocol error.
            PublicKeyOrCertificate::Certificate(_) => {
                Err(ClientError::Refused(SshError::Protocol {
                    host: self.host.clone(),
                    message: "the server presented a host certificate although none was asked for"
                        .to_string(),
                }))
            }
        }
    }
}

/// An open, authenticated connection.
pub struct Connection {
    handle: Handle<Client>,
    label: String,
    /// One permit per open channel.
    channels: Arc<Semaphore>,
    /// Permits the semaphore was made with, less those given up after refusals.
    capacity: AtomicUsize,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.label)
            .field("closed", &self.handle.is_closed())
            .finish()
    }
}

/// Why a channel could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The connection is gone; a new one may work.
    Dead,
    /// The server refused the channel.
    Refused(russh::ChannelOpenFailure),
}

pub type SessionChannel = russh::Channel<client::Msg>;

impl Connection {
    /// Handshake and login over `stream` (a TCP socket or a tunnel through the jump host).
    pub async fn establish<S>(
        stream: S,
        target: &Target,
        scrub: &(dyn Fn(&str) -> String + Send + Sync),
    ) -> Result<Self, SshError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let label = target.label();
        let preferred = russh::Preferred {
            key: target
                .policy
                .preferred_algorithms(&target.host, target.port)
                .into(),
            ..russh::Preferred::default()
        };
        let config = Arc::new(client::Config {
            preferred,
            keepalive_interval: Some(KEEPALIVE_INTERVAL),
            keepalive_max: KEEPALIVE_MAX,
            ..client::Config::default()
        });
        let handler = Client {
            host: target.host.clone(),
            port: target.port,
            policy: target.policy.clone(),
        };
        let mut handle = client::connect_stream(config, stream, handler)
            .await
            .map_err(|e| match e {
                ClientError::Refused(refusal) => refusal,
                ClientError::Ssh(e) => SshError::Connect {
                    host: label.clone(),
                    cause: scrub(&describe(&e)),
                },
            })?;
        authenticate(&mut handle, target, &label, scrub).await?;
        Ok(Self {
            handle,
            label,
            channels: Arc::new(Semaphore::new(MAX_CHANNELS_PER_CONNECTION)),
            capacity: AtomicUsize::new(MAX_CHANNELS_PER_CONNECTION),
        })
    }

    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// A session channel and the permit that must live as long as it does.
    ///
    /// A refusal while other channels of ours are open means the server allows fewer
    /// sessions than we assumed (`MaxSessions`): the permit is given up for good and the
    /// open is tried again once one of the others has finished. A refusal with nothing else
    /// open is final.
    pub async fn open_session(
        &self,
    ) -> Result<(SessionChannel, tokio::sync::OwnedSemaphorePermit), OpenError> {
        loop {
            let permit = self
                .channels
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| OpenError::Dead)?;
            match self.handle.channel_open_session().await {
                Ok(channel) => return Ok((channel, permit)),
                Err(russh::Error::ChannelOpenFailure(reason)) => {
                    let capacity = self.capacity.load(Ordering::SeqCst);
                    let others = capacity
                        .saturating_sub(self.channels.available_permits())
                        .saturating_sub(1);
                    if others == 0 {
                        return Err(OpenError::Refused(reason));
                    }
                    permit.forget();
                    self.capacity.fetch_sub(1, Ordering::SeqCst);
                    tracing::debug!(
                        host = %self.label,
                        open_channels = others,
                        "the server refused another session channel; using at most {} from now on",
                        capacity - 1
                    );
                }
                Err(_) => return Err(OpenError::Dead),
            }
        }
    }

    /// A `direct-tcpip` channel to `host:port`, as a byte stream (this is the jump host).
    pub async fn open_tunnel(
        &self,
        host: &str,
        port: u16,
    ) -> Result<russh::ChannelStream<client::Msg>, OpenError> {
        match self
            .handle
            .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0)
            .await
        {
            Ok(channel) => Ok(channel.into_stream()),
            Err(russh::Error::ChannelOpenFailure(reason)) => Err(OpenError::Refused(reason)),
            Err(_) => Err(OpenError::Dead),
        }
    }
}

/// A russh error in words a user can act on.
pub fn describe(e: &russh::Error) -> String {
    match e {
        russh::Error::IO(io) => io.to_string(),
        russh::Error::Disconnect | russh::Error::HUP => {
            "the server closed the connection during the handshake".to_string()
        }
        russh::Error::NoCommonAlgo { kind, .. } => format!(
            "no {kind:?} algorithm in common with the server (it may be too old or too restricted)"
        ),
        other => other.to_string(),
    }
}

pub fn describe_open_failure(reason: &russh::ChannelOpenFailure) -> String {
    match reason {
        russh::ChannelOpenFailure::AdministrativelyProhibited => {
            "administratively prohibited".to_string()
        }
        russh::ChannelOpenFailure::ConnectFailed => "the connection failed".to_string(),
        russh::ChannelOpenFailure::UnknownChannelType => "unknown channel type".to_string(),
        russh::ChannelOpenFailure::ResourceShortage => "resource shortage".to_string(),
        russh::ChannelOpenFailure::Other { code, reason } => format!("code {code}: {reason}"),
    }
}

/// Logs in with the key first, then the password (also answered to a keyboard-interactive
/// password prompt, which is how many sshd configurations ask for it).
async fn authenticate(
    handle: &mut Handle<Client>,
    target: &Target,
    label: &str,
    scrub: &(dyn Fn(&str) -> String + Send + Sync),
) -> Result<(), SshError> {
    let lost = |e: russh::Error| SshError::Connect {
        host: label.to_string(),
        cause: scrub(&format!("during login: {}", describe(&e))),
    };
    let user = target.user.as_str();
    let mut tried = Vec::new();
    let mut server_offers_keyboard_interactive = false;
    if let Some(key) = &target.credentials.key {
        let hashes: Vec<Option<HashAlg>> = if key.algorithm().is_rsa() {
            match handle.best_supported_rsa_hash().await.map_err(lost)? {
                Some(best) => vec![best],
                // No server-sig-algs: try SHA-256 first, then the legacy SHA-1 signature.
                None => vec![Some(HashAlg::Sha256), None],
            }
        } else {
            vec![None]
        };
        for hash in hashes {
            let attempt = PrivateKeyWithHashAlg::new(key.clone(), hash);
            let result = handle
                .authenticate_publickey(user, attempt)
                .await
                .map_err(lost)?;
            if logged_in(result, &mut server_offers_keyboard_interactive) {
                return Ok(());
            }
        }
        tried.push(format!(
            "public key {} {}",
            key.algorithm(),
            fingerprint(key.public_key().key_data())
        ));
    }
    if let Some(password) = &target.credentials.password {
        let result = handle
            .authenticate_password(user, password.clone())
            .await
            .map_err(lost)?;
        if logged_in(result, &mut server_offers_keyboard_interactive) {
            return Ok(());
        }
        tried.push("password".to_string());
        if server_offers_keyboard_interactive
            && keyboard_interactive(handle, user, password)
                .await
                .map_err(lost)?
        {
            return Ok(());
        }
    }
    if tried.is_empty() {
        tried.push("no method: neither private_key nor password is set".to_string());
    }
    Err(SshError::Auth {
        host: label.to_string(),
        user: user.to_string(),
        tried: tried.join(", "),
    })
}

/// Whether the server let us in. A refusal that still offers keyboard-interactive is noted,
/// because a password can be answered that way too.
fn logged_in(result: AuthResult, offers_keyboard_interactive: &mut bool) -> bool {
    match result {
        AuthResult::Success => true,
        AuthResult::Failure {
            remaining_methods, ..
        } => {
            *offers_keyboard_interactive |=
                remaining_methods.contains(&MethodKind::KeyboardInteractive);
            false
        }
    }
}

/// Answers a keyboard-interactive exchange whose prompts are all hidden (password) prompts.
async fn keyboard_interactive(
    handle: &mut Handle<Client>,
    user: &str,
    password: &str,
) -> Result<bool, russh::Error> {
    let mut reply = handle
        .authenticate_keyboard_interactive_start(user, None::<String>)
        .await?;
    // A server may send a few info requests (an empty one first is common); give up on loops.
    for _ in 0..4 {
        match reply {
            KeyboardInteractiveAuthResponse::Success => return Ok(true),
            KeyboardInteractiveAuthResponse::Failure { .. } => return Ok(false),
            KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                if prompts.iter().any(|p| p.echo) {
                    return Ok(false);
                }
                let answers = prompts.iter().map(|_| password.to_string()).collect();
                reply = handle
                    .authenticate_keyboard_interactive_respond(answers)
                    .await?;
            }
        }
    }
    Ok(false)
}
