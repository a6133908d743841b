//! The SSH side of dr-cloudsim: a jump host, and behind it every orchestrator VM as an
//! emulated KSYS host (see `docs/guides/dr-cloudsim.md`, "The orchestrators over SSH").
//!
//! Users reach private PowerVS subnets through the landing zone's jump VSI; the emulator
//! stands one up on `--ssh-listen` (user `jump`, public-key auth with any key registered as
//! a PowerVS SSH key of the account). It forwards `direct-tcpip` only to
//! `<orchestrator or standby private IP>:22` and refuses everything else. No packet ever
//! goes to that private address: a forwarded channel is served in process by a KSYS host's
//! own SSH server session ([`host`]) running over the channel's byte stream, so clients
//! negotiate, authenticate (root, by password or key) and verify host keys end to end, as
//! they would through a real jump host. Everything is russh (no `ssh` binary).

pub mod host;
pub mod jump;
pub mod keys;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use russh::MethodKind;
use russh::server::Config;

use crate::sim::Sim;

/// How long an idle connection stays open.
const INACTIVITY: Duration = Duration::from_secs(3600);
/// Rejections wait this long (OpenSSH-like pacing without slowing tests down).
const REJECTION_DELAY: Duration = Duration::from_millis(50);

/// How the jump host lets users in.
const JUMP_METHODS: &[MethodKind] = &[MethodKind::PublicKey];
/// How a KSYS host lets root in.
const HOST_METHODS: &[MethodKind] = &[MethodKind::PublicKey, MethodKind::Password];

/// An authentication's answer: accepted, or rejected offering `methods` to try next.
fn verdict(accepted: bool, methods: &[MethodKind]) -> russh::server::Auth {
    if accepted {
        russh::server::Auth::Accept
    } else {
        russh::server::Auth::Reject {
            proceed_with_methods: Some(methods.into()),
            partial_success: false,
        }
    }
}

fn config(key_identity: &str, seed: u64, methods: &[MethodKind], server_id: &str) -> Config {
    Config {
        server_id: russh::SshId::Standard(server_id.to_owned().into()),
        methods: methods.into(),
        auth_rejection_time: REJECTION_DELAY,
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![keys::host_key(seed, key_identity)],
        inactivity_timeout: Some(INACTIVITY),
        nodelay: true,
        ..Config::default()
    }
}

/// The jump host's server configuration.
pub fn jump_config(seed: u64) -> Arc<Config> {
    Arc::new(config(
        keys::JUMP_IDENTITY,
        seed,
        JUMP_METHODS,
        "SSH-2.0-dr-cloudsim_jump",
    ))
}

/// A KSYS host's server configuration: its own key, root by password or key.
pub fn host_config(seed: u64, vm_id: &str) -> Arc<Config> {
    Arc::new(config(
        vm_id,
        seed,
        HOST_METHODS,
        "SSH-2.0-dr-cloudsim_ksys",
    ))
}

/// A running SSH listener.
#[derive(Debug)]
pub struct SshServer {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl SshServer {
    /// Stops accepting connections (open sessions end when their clients leave).
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Binds `listen` and serves the jump host.
pub async fn start(sim: Arc<Sim>, listen: SocketAddr) -> std::io::Result<SshServer> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    sim.set_ssh_addr(addr);
    let config = jump_config(sim.config().seed);
    let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut rx => break,
                accepted = listener.accept() => {
                    let (socket, peer) = match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            tracing::warn!(error = %e, "ssh accept failed");
                            continue;
                        }
                    };
                    if sim.ssh_refuses_jump() {
                        tracing::debug!(%peer, "jump host connection refused by a fault rule");
                        drop(socket);
                        continue;
                    }
                    let _ = socket.set_nodelay(true);
                    sim.count_ssh_connection();
                    let handler = jump::JumpHost::new(sim.clone());
                    let config = config.clone();
                    tokio::spawn(async move {
                        match russh::server::run_stream(config, socket, handler).await {
                            Ok(session) => {
                                if let Err(e) = session.await {
                                    tracing::debug!(%peer, error = %e, "jump host session ended");
                                }
                            }
                            Err(e) => tracing::debug!(%peer, error = %e, "jump host handshake failed"),
                        }
                    });
                }
            }
        }
    });
    Ok(SshServer {
        addr,
        shutdown: Some(tx),
        task,
    })
}
