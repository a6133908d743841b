//! A russh client for the tests: the jump host, a KSYS host through it, exec requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect};

/// A deterministic ed25519 key for tests (`n` tells keys apart).
pub fn test_key(n: u8) -> PrivateKey {
    PrivateKey::from(Ed25519Keypair::from_seed(&[n; 32]))
}

pub fn public_openssh(key: &PrivateKey) -> String {
    key.public_key().to_openssh().unwrap()
}

/// Accepts the server key when it is the pinned one (or any key when none is pinned), and
/// remembers what it saw.
pub struct Checker {
    pinned: Option<PublicKey>,
    pub seen: Arc<std::sync::Mutex<Option<String>>>,
}

impl client::Handler for Checker {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = server_public_key else {
            return Ok(false);
        };
        *self.seen.lock().unwrap() = key.to_openssh().ok();
        Ok(self
            .pinned
            .as_ref()
            .is_none_or(|p| p.key_data() == key.key_data()))
    }
}

fn config() -> Arc<client::Config> {
    Arc::new(client::Config {
        inactivity_timeout: Some(Duration::from_secs(120)),
        ..client::Config::default()
    })
}

fn checker(pinned: Option<&str>) -> Checker {
    Checker {
        pinned: pinned.map(|p| PublicKey::from_openssh(p).unwrap()),
        seen: Arc::default(),
    }
}

/// How a client logs in.
pub enum Login<'a> {
    Key(&'a PrivateKey),
    Password(&'a str),
}

async fn authenticate(
    handle: &mut Handle<Checker>,
    user: &str,
    login: Login<'_>,
) -> Result<bool, russh::Error> {
    let result = match login {
        Login::Key(key) => {
            handle
                .authenticate_publickey(
                    user,
                    PrivateKeyWithHashAlg::new(Arc::new(key.clone()), None),
                )
                .await?
        }
        Login::Password(p) => handle.authenticate_password(user, p).await?,
    };
    Ok(result.success())
}

/// Connects to the jump host; `Ok(None)` when authentication is refused.
pub async fn jump(
    addr: SocketAddr,
    user: &str,
    login: Login<'_>,
    pinned: Option<&str>,
) -> Result<Option<Handle<Checker>>, russh::Error> {
    let mut handle = client::connect(config(), addr, checker(pinned)).await?;
    Ok(authenticate(&mut handle, user, login)
        .await?
        .then_some(handle))
}

/// Opens a KSYS host session through the jump host; `Ok(None)` when login is refused.
pub async fn host(
    jump: &Handle<Checker>,
    address: &str,
    user: &str,
    login: Login<'_>,
    pinned: Option<&str>,
) -> Result<Option<Handle<Checker>>, russh::Error> {
    let channel = jump
        .channel_open_direct_tcpip(address, 22, "127.0.0.1", 50000)
        .await?;
    let mut handle =
        client::connect_stream(config(), channel.into_stream(), checker(pinned)).await?;
    Ok(authenticate(&mut handle, user, login)
        .await?
        .then_some(handle))
}

/// What one exec request produced.
#[derive(Debug, Default, Clone)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    /// `None` when the connection dropped before the exit status.
    pub code: Option<u32>,
    /// stdout lines in arrival order.
    pub lines: Vec<String>,
}

/// Runs `command`, feeding `stdin` when given, then EOF (as `ssh host cmd </dev/null`).
pub async fn exec(session: &Handle<Checker>, command: &str, stdin: Option<&str>) -> Run {
    let mut channel = session.channel_open_session().await.unwrap();
    channel.exec(true, command).await.unwrap();
    if let Some(input) = stdin {
        channel.data_bytes(input.as_bytes().to_vec()).await.unwrap();
    }
    channel.eof().await.unwrap();
    let mut run = Run::default();
    while let Some(msg) = channel.wait().await {
        match msg {
            ChannelMsg::Data { data } => run.stdout.push_str(&String::from_utf8_lossy(&data)),
            ChannelMsg::ExtendedData { data, .. } => {
                run.stderr.push_str(&String::from_utf8_lossy(&data));
            }
            ChannelMsg::ExitStatus { exit_status } => run.code = Some(exit_status),
            _ => {}
        }
    }
    run.lines = run.stdout.lines().map(str::to_owned).collect();
    run
}

pub async fn close(session: Handle<Checker>) {
    let _ = session
        .disconnect(Disconnect::ByApplication, "", "en")
        .await;
}
