//! The pool: one connection per orchestrator host (and one to the jump host) per provider
//! process, shared by every command.
//!
//! Each host has a slot guarded by an async mutex, so concurrent first calls make one
//! connection, not one each. A connection found dead is replaced once per call: when that
//! happens before the command was sent, running it on the new connection is safe.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::connection::{Connection, Credentials, OpenError, Target, describe_open_failure};
use super::error::SshError;
use super::exec::{self, Event, ExecOutput, ExecRequest};
use super::host_keys::HostKeyPolicy;
use super::settings::{SshSettings, parse_address, parse_host_key, parse_private_key};
use crate::cloud::redact::Redactor;

type Slot = Arc<tokio::sync::Mutex<Option<Arc<Connection>>>>;

/// Connections to the orchestrators; cheap to clone.
#[derive(Clone)]
pub struct SshPool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SshPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshPool")
            .field("user", &self.inner.user)
            .field("port", &self.inner.port)
            .field(
                "jump_host",
                &self.inner.jump.as_ref().map(|j| j.target.label()),
            )
            .finish()
    }
}

struct Jump {
    target: Target,
    /// `address` as configured, for messages.
    address: String,
    slot: Slot,
}

struct Inner {
    user: String,
    credentials: Credentials,
    port: u16,
    policy: HostKeyPolicy,
    jump: Option<Jump>,
    connect_timeout: Duration,
    hosts: Mutex<HashMap<String, Slot>>,
    cancel: CancellationToken,
    redactor: Arc<Redactor>,
    connections_opened: AtomicU64,
}

fn credentials(
    private_key: Option<&str>,
    password: Option<&str>,
    setting: &str,
    redactor: &Redactor,
) -> Result<Credentials, SshError> {
    let key = match private_key.filter(|k| !k.trim().is_empty()) {
        Some(text) => {
            redactor.pin(text.trim());
            // Single lines of the key body are hidden too, should one ever be echoed.
            text.lines()
                .filter(|l| !l.starts_with("-----"))
                .for_each(|l| redactor.pin(l.trim()));
            Some(Arc::new(parse_private_key(text).map_err(|reason| {
                SshError::Config(format!("{setting}.private_key {reason}"))
            })?))
        }
        None => None,
    };
    let password = password.filter(|p| !p.is_empty()).map(str::to_string);
    if let Some(password) = &password {
        redactor.pin(password);
    }
    Ok(Credentials { key, password })
}

fn pinned_keys(lines: &[String], setting: &str) -> Result<Vec<russh::keys::PublicKey>, SshError> {
    lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            parse_host_key(line)
                .map_err(|reason| SshError::Config(format!("{setting}[{i}] {reason}")))
        })
        .collect()
}

impl SshPool {
    /// Checks the settings (keys parse, addresses are valid) and registers every secret with
    /// `redactor`. No connection is made until the first [`SshPool::exec`].
    pub fn new(
        settings: SshSettings,
        cancel: CancellationToken,
        redactor: Arc<Redactor>,
    ) -> Result<Self, SshError> {
        let record_lock = Arc::new(Mutex::new(()));
        let credentials_of_target = credentials(
            settings.private_key.as_deref(),
            settings.password.as_deref(),
            "orchestrator_ssh",
            &redactor,
        )?;
        let policy = HostKeyPolicy::new(
            pinned_keys(&settings.host_keys, "orchestrator_ssh.host_keys")?,
            "orchestrator_ssh.host_keys",
            settings.known_hosts_file.clone(),
            settings.strict_host_key_checking,
            record_lock.clone(),
        );
        let jump = match &settings.jump_host {
            None => None,
            Some(jump) => {
                let (host, port) = parse_address(&jump.address).map_err(|reason| {
                    SshError::Config(format!(
                        "orchestrator_ssh.jump_host.address {:?} {reason}",
                        jump.address
                    ))
                })?;
                let mut jump_credentials = credentials(
                    jump.private_key.as_deref(),
                    jump.password.as_deref(),
                    "orchestrator_ssh.jump_host",
                    &redactor,
                )?;
                // As `ssh -J`: the same identity for both hops unless the jump host has its own.
                if jump_credentials.key.is_none() && jump_credentials.password.is_none() {
                    jump_credentials.key = credentials_of_target.key.clone();
                }
                let policy = HostKeyPolicy::new(
                    pinned_keys(&jump.host_keys, "orchestrator_ssh.jump_host.host_keys")?,
                    "orchestrator_ssh.jump_host.host_keys",
                    settings.known_hosts_file.clone(),
                    settings.strict_host_key_checking,
                    record_lock,
                );
                Some(Jump {
                    target: Target {
                        host,
                        port,
                        user: jump.user.clone(),
                        credentials: jump_credentials,
                        policy,
                    },
                    address: jump.address.trim().to_string(),
                    slot: Slot::default(),
                })
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                user: settings.user,
                credentials: credentials_of_target,
                port: settings.port,
                policy,
                jump,
                connect_timeout: settings.connect_timeout,
                hosts: Mutex::new(HashMap::new()),
                cancel,
                redactor,
                connections_opened: AtomicU64::new(0),
            }),
        })
    }

    /// SSH connections opened so far (jump host included): a measure of reuse.
    pub fn connections_opened(&self) -> u64 {
        self.inner.connections_opened.load(Ordering::SeqCst)
    }

    /// Runs `request.command` on `host` (an IP or name; port from the settings), through the
    /// jump host when one is configured, on the pooled connection to that host.
    pub async fn exec(&self, host: &str, request: ExecRequest<'_>) -> Result<ExecOutput, SshError> {
        let span = tracing::debug_span!("ssh_exec", host = %host, command = %request.command);
        let deadline = request.timeout.map(|t| Instant::now() + t);
        let timed_out = |command_started| SshError::Timeout {
            host: host.to_string(),
            what: if command_started {
                "waiting for the command".to_string()
            } else {
                "before the command could be started".to_string()
            },
            after: request.timeout.unwrap_or_default(),
            command_started,
        };
        let start = async {
            tokio::select! {
                biased;
                () = self.inner.cancel.cancelled() => Err(SshError::Cancelled { command_started: false }),
                () = sleep_until(deadline) => Err(timed_out(false)),
                started = self.start(host, &request, span.clone()) => started,
            }
        };
        let mut running = tracing::Instrument::instrument(start, span.clone()).await?;
        loop {
            let event = tokio::select! {
                biased;
                event = running.events.recv() => event,
                () = self.inner.cancel.cancelled() => {
                    return Err(SshError::Cancelled { command_started: running.command_started() });
                }
                () = sleep_until(deadline) => return Err(timed_out(running.command_started())),
            };
            match event {
                Some(Event::Line(line)) => {
                    if let Some(callback) = request.on_stdout_line {
                        callback(&line);
                    }
                }
                Some(Event::Finished(result)) => return result,
                // The task ended without a word: it can only have panicked.
                None => {
                    return Err(SshError::ConnectionLost {
                        host: host.to_string(),
                        command_started: true,
                    });
                }
            }
        }
    }

    /// Opens a channel on a live connection and hands the command to it; replaces a dead
    /// connection once.
    async fn start(
        &self,
        host: &str,
        request: &ExecRequest<'_>,
        span: tracing::Span,
    ) -> Result<exec::Running, SshError> {
        let mut replaced = false;
        loop {
            let (connection, fresh) = self.connection(host).await?;
            match connection.open_session().await {
                Ok((channel, permit)) => {
                    return Ok(exec::start(
                        channel,
                        permit,
                        connection.label().to_string(),
                        request.command.to_string(),
                        request.stdin.map(<[u8]>::to_vec),
                        request.on_stdout_line.is_some(),
                        span,
                    ));
                }
                Err(OpenError::Refused(reason)) => {
                    return Err(SshError::Protocol {
                        host: connection.label().to_string(),
                        message: format!(
                            "the server refused a session channel: {}",
                            describe_open_failure(&reason)
                        ),
                    });
                }
                Err(OpenError::Dead) => {
                    self.forget(host, &connection).await;
                    if fresh || replaced {
                        return Err(SshError::ConnectionLost {
                            host: connection.label().to_string(),
                            command_started: false,
                        });
                    }
                    tracing::debug!(host, "pooled SSH connection is dead; reconnecting");
                    replaced = true;
                }
            }
        }
    }

    fn slot(&self, host: &str) -> Slot {
        let mut hosts = self
            .inner
            .hosts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        hosts.entry(host.to_string()).or_default().clone()
    }

    /// Drops `connection` from its slot unless it was already replaced.
    async fn forget(&self, host: &str, connection: &Arc<Connection>) {
        let slot = self.slot(host);
        let mut current = slot.lock().await;
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, connection)) {
            *current = None;
        }
    }

    /// The pooled connection to `host`, and whether it was just made.
    async fn connection(&self, host: &str) -> Result<(Arc<Connection>, bool), SshError> {
        let slot = self.slot(host);
        let mut current = slot.lock().await;
        if let Some(connection) = current.as_ref().filter(|c| !c.is_closed()) {
            return Ok((connection.clone(), false));
        }
        let target = Target {
            host: host.to_string(),
            port: self.inner.port,
            user: self.inner.user.clone(),
            credentials: self.inner.credentials.clone(),
            policy: self.inner.policy.clone(),
        };
        let connection = Arc::new(self.connect_target(&target).await?);
        *current = Some(connection.clone());
        Ok((connection, true))
    }

    fn scrubber(&self) -> impl Fn(&str) -> String + Send + Sync + use<> {
        let redactor = self.inner.redactor.clone();
        move |text: &str| redactor.scrub(text)
    }

    /// Connects to an orchestrator host, directly or through the jump host.
    async fn connect_target(&self, target: &Target) -> Result<Connection, SshError> {
        let Some(jump) = &self.inner.jump else {
            return self.connect_direct(target).await;
        };
        let mut replaced = false;
        loop {
            let (via, fresh) = self.jump_connection(jump).await?;
            let tunnel = via.open_tunnel(&target.host, target.port).await;
            match tunnel {
                Ok(stream) => {
                    let scrub = self.scrubber();
                    let connection = self
                        .with_connect_timeout(target, Connection::establish(stream, target, &scrub))
                        .await?;
                    self.inner.connections_opened.fetch_add(1, Ordering::SeqCst);
                    tracing::debug!(host = %target.label(), via = %jump.address, "SSH connection established");
                    return Ok(connection);
                }
                Err(OpenError::Refused(reason)) => {
                    return Err(SshError::JumpRefused {
                        address: jump.address.clone(),
                        target: target.label(),
                        reason: describe_open_failure(&reason),
                        transient: matches!(reason, russh::ChannelOpenFailure::ConnectFailed),
                    });
                }
                Err(OpenError::Dead) => {
                    let mut current = jump.slot.lock().await;
                    if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, &via)) {
                        *current = None;
                    }
                    if fresh || replaced {
                        return Err(SshError::JumpHost {
                            address: jump.address.clone(),
                            source: Box::new(SshError::ConnectionLost {
                                host: jump.target.label(),
                                command_started: false,
                            }),
                        });
                    }
                    replaced = true;
                }
            }
        }
    }

    async fn jump_connection(&self, jump: &Jump) -> Result<(Arc<Connection>, bool), SshError> {
        let mut current = jump.slot.lock().await;
        if let Some(connection) = current.as_ref().filter(|c| !c.is_closed()) {
            return Ok((connection.clone(), false));
        }
        let connection =
            self.connect_direct(&jump.target)
                .await
                .map_err(|source| SshError::JumpHost {
                    address: jump.address.clone(),
                    source: Box::new(source),
                })?;
        let connection = Arc::new(connection);
        *current = Some(connection.clone());
        Ok((connection, true))
    }

    async fn connect_direct(&self, target: &Target) -> Result<Connection, SshError> {
        let scrub = self.scrubber();
        let connect = async {
            let stream = TcpStream::connect((target.host.as_str(), target.port))
                .await
                .map_err(|e| SshError::Connect {
                    host: target.label(),
                    cause: scrub(&e.to_string()),
                })?;
            // Commands are small request/response exchanges: Nagle's algorithm would hold
            // each one back for a delayed ACK (about 40 ms on Linux).
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot disable Nagle's algorithm");
            }
            Connection::establish(stream, target, &scrub).await
        };
        let connection = self.with_connect_timeout(target, connect).await?;
        self.inner.connections_opened.fetch_add(1, Ordering::SeqCst);
        tracing::debug!(host = %target.label(), "SSH connection established");
        Ok(connection)
    }

    async fn with_connect_timeout<F>(
        &self,
        target: &Target,
        connect: F,
    ) -> Result<Connection, SshError>
    where
        F: Future<Output = Result<Connection, SshError>>,
    {
        let limit = self.inner.connect_timeout;
        tokio::select! {
            biased;
            () = self.inner.cancel.cancelled() => Err(SshError::Cancelled { command_started: false }),
            result = tokio::time::timeout(limit, connect) => result.unwrap_or_else(|_| Err(SshError::Timeout {
                host: target.label(),
                what: "connecting".to_string(),
                after: limit,
                command_started: false,
            })),
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
