//! The SSH transport against real SSH servers: an in-test jump host and orchestrator hosts
//! behind it (russh servers on 127.0.0.1).
//!
//! The jump host forwards `direct-tcpip` to the private addresses it knows (10.51.0.23:22 ->
//! the target's loopback port) and refuses everything else, as the landing zone's bastion
//! would. Target hosts run a tiny command language (see `TestHost::run`) that lets each
//! test order events through the protocol itself: a command that waits for the test, a
//! command that waits for every other one, a command that drops the connection. No test
//! sleeps to order events or asserts on elapsed time.

// Tests may panic on a broken precondition; that is their failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{PrivateKey, PublicKey};
use russh::server::{Auth, Msg, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, ChannelMsg, ChannelOpenFailure, MethodKind, MethodSet};
use terraform_provider_dr::cloud::redact::Redactor;
use terraform_provider_dr::cloud::ssh::connection::MAX_CHANNELS_PER_CONNECTION;
use terraform_provider_dr::cloud::ssh::{
    ExecRequest, JumpHostSettings, SshError, SshPool, SshSettings, StrictHostKeyChecking,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_util::sync::CancellationToken;

const TARGET: &str = "10.51.0.23";
const STANDBY: &str = "10.61.0.5";
const ROOT_PASSWORD: &str = "Orchestrator-Passw0rd!";
/// Concurrent commands in the gate tests.
const CONCURRENT: usize = 20;

fn ed25519(seed: u8) -> PrivateKey {
    PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
}

fn openssh_text(key: &PrivateKey) -> String {
    key.to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .expect("encode key")
        .to_string()
}

fn public_line(key: &PrivateKey) -> String {
    key.public_key().to_openssh().expect("public key line")
}

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ssh")
        .join(name);
    std::fs::read_to_string(&path).expect("fixture key")
}

fn server_config(host_key: PrivateKey, methods: &[MethodKind]) -> Arc<russh::server::Config> {
    Arc::new(russh::server::Config {
        keys: vec![host_key],
        methods: MethodSet::from(methods),
        // The default 1 s delay after a refused login only slows the tests down.
        auth_rejection_time: Duration::from_millis(1),
        auth_rejection_time_initial: Some(Duration::ZERO),
        inactivity_timeout: None,
        ..Default::default()
    })
}

/// What a target host saw, for assertions.
#[derive(Default)]
struct HostLog {
    connections: AtomicUsize,
    logins: AtomicUsize,
    execs: AtomicUsize,
    running: AtomicUsize,
    max_running: AtomicUsize,
    closed_early: AtomicUsize,
    /// Session channels refused because `session_limit` were open.
    refused_sessions: AtomicUsize,
}

/// How a host behaves beyond the command language.
#[derive(Clone, Copy)]
struct HostOptions {
    /// Like sshd's `MaxSessions`: session channels beyond this many are refused.
    session_limit: Option<usize>,
    /// `gate` commands pass in generations of this many (the last may be smaller)...
    gate_width: usize,
    /// ...out of this many in all.
    gate_total: usize,
    /// Ask for the password only through keyboard-interactive, as many sshd setups do.
    password_by_keyboard_interactive: bool,
}

impl Default for HostOptions {
    fn default() -> Self {
        Self {
            session_limit: None,
            gate_width: MAX_CHANNELS_PER_CONNECTION,
            gate_total: CONCURRENT,
            password_by_keyboard_interactive: false,
        }
    }
}

/// An orchestrator host: root logs in with `authorized` keys or `ROOT_PASSWORD`.
struct TestHost {
    addr: SocketAddr,
    host_key: PrivateKey,
    log: Arc<HostLog>,
    /// `started:<cmd>` / `completed:<cmd>` notes, in order.
    notes: tokio::sync::Mutex<mpsc::UnboundedReceiver<String>>,
    /// Permits for `hold` and `stream` commands to go on.
    release: Arc<Semaphore>,
    /// Connections that have ended.
    ended: Arc<watch::Sender<usize>>,
}

#[derive(Clone)]
struct HostShared {
    authorized: Vec<PublicKey>,
    log: Arc<HostLog>,
    notes: mpsc::UnboundedSender<String>,
    release: Arc<Semaphore>,
    options: HostOptions,
    /// `gate` arrivals so far.
    gate: Arc<watch::Sender<usize>>,
    open_sessions: Arc<AtomicUsize>,
}

struct HostConnection {
    shared: HostShared,
    channels: HashMap<ChannelId, Channel<Msg>>,
}

impl russh::server::Handler for HostConnection {
    type Error = russh::Error;

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let known = self
            .shared
            .authorized
            .iter()
            .any(|k| k.key_data() == key.public_key.key_data());
        Ok(if user == "root" && known {
            self.shared.log.logins.fetch_add(1, Ordering::SeqCst);
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        if self.shared.options.password_by_keyboard_interactive {
            return Ok(Auth::Reject {
                proceed_with_methods: Some(MethodSet::from(
                    &[MethodKind::PublicKey, MethodKind::KeyboardInteractive][..],
                )),
                partial_success: false,
            });
        }
        Ok(if user == "root" && password == ROOT_PASSWORD {
            self.shared.log.logins.fetch_add(1, Ordering::SeqCst);
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        if !self.shared.options.password_by_keyboard_interactive || user != "root" {
            return Ok(Auth::reject());
        }
        Ok(match response {
            None => Auth::Partial {
                name: "".into(),
                instructions: "".into(),
                prompts: vec![("Password: ".into(), false)].into(),
            },
            Some(mut answers) => {
                if answers.next().as_deref() == Some(ROOT_PASSWORD.as_bytes()) {
                    self.shared.log.logins.fetch_add(1, Ordering::SeqCst);
                    Auth::Accept
                } else {
                    Auth::reject()
                }
            }
        })
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let open = self.shared.open_sessions.fetch_add(1, Ordering::SeqCst);
        if self
            .shared
            .options
            .session_limit
            .is_some_and(|limit| open >= limit)
        {
            self.shared.open_sessions.fetch_sub(1, Ordering::SeqCst);
            self.shared
                .log
                .refused_sessions
                .fetch_add(1, Ordering::SeqCst);
            // What sshd answers past MaxSessions.
            reply.reject(ChannelOpenFailure::ConnectFailed).await;
            return Ok(());
        }
        self.channels.insert(channel.id(), channel);
        reply.accept().await;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(channel_handle) = self.channels.remove(&channel) else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        session.channel_success(channel)?;
        self.shared.log.execs.fetch_add(1, Ordering::SeqCst);
        let command = String::from_utf8_lossy(data).into_owned();
        tokio::spawn(run(
            self.shared.clone(),
            channel_handle,
            session.handle(),
            command,
        ));
        Ok(())
    }
}

/// Writes `text` to stdout.
async fn say(channel: &Channel<Msg>, text: &str) {
    let _ = channel.data(text.as_bytes()).await;
}

/// The target's command language:
/// - `echo-lines N`: prints `line 1` .. `line N`, exit 0
/// - `exit N`: prints `failing` to stderr, exit N
/// - `cat`: prints stdin back once it ends
/// - `gate`: waits until its generation of `gate_width` commands is complete, prints `through`
/// - `hold`: notes `started:hold`, waits for a release, prints `done`, notes `completed:hold`
/// - `stream N`: prints `step k` and waits for a release before each next step
/// - `drop`: prints `partial` and drops the whole connection
async fn run(
    shared: HostShared,
    mut channel: Channel<Msg>,
    session: russh::server::Handle,
    command: String,
) {
    let mut words = command.split_whitespace();
    let name = words.next().unwrap_or_default().to_string();
    let arg: usize = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    let running = shared.log.running.fetch_add(1, Ordering::SeqCst) + 1;
    shared.log.max_running.fetch_max(running, Ordering::SeqCst);
    let mut code = 0;
    match name.as_str() {
        "echo-lines" => {
            for n in 1..=arg {
                say(&channel, &format!("line {n}\n")).await;
            }
        }
        "exit" => {
            let _ = channel.extended_data(1, &b"failing\n"[..]).await;
            code = u32::try_from(arg).unwrap_or(1);
        }
        "cat" => {
            let mut input = Vec::new();
            while let Some(message) = channel.wait().await {
                match message {
                    ChannelMsg::Data { data } => input.extend_from_slice(&data),
                    ChannelMsg::Eof => break,
                    _ => {}
                }
            }
            let _ = channel.data(&input[..]).await;
        }
        "gate" => {
            let mut index = 0;
            shared.gate.send_modify(|arrived| {
                index = *arrived;
                *arrived += 1;
            });
            let width = shared.options.gate_width;
            let generation_end = ((index / width + 1) * width).min(shared.options.gate_total);
            let _ = shared
                .gate
                .subscribe()
                .wait_for(|arrived| *arrived >= generation_end)
                .await;
            say(&channel, "through\n").await;
        }
        "hold" => {
            let _ = shared.notes.send("started:hold".to_string());
            // Watch for a close from the client while waiting: it must never come.
            let release = shared.release.clone();
            let wait_release = release.acquire_owned();
            tokio::pin!(wait_release);
            let mut channel_open = true;
            loop {
                tokio::select! {
                    permit = &mut wait_release => {
                        if let Ok(permit) = permit {
                            permit.forget();
                        }
                        break;
                    }
                    message = channel.wait(), if channel_open => match message {
                        Some(ChannelMsg::Close) | None => {
                            shared.log.closed_early.fetch_add(1, Ordering::SeqCst);
                            channel_open = false;
                        }
                        _ => {}
                    },
                }
            }
            say(&channel, "done\n").await;
        }
        "stream" => {
            for n in 1..=arg {
                if n > 1 {
                    match shared.release.acquire().await {
                        Ok(permit) => permit.forget(),
                        Err(_) => return,
                    }
                }
                say(&channel, &format!("step {n}\n")).await;
            }
        }
        "drop" => {
            say(&channel, "partial\n").await;
            let _ = session
                .disconnect(
                    russh::Disconnect::ByApplication,
                    "dropped by the test".to_string(),
                    "en".to_string(),
                )
                .await;
            shared.log.running.fetch_sub(1, Ordering::SeqCst);
            shared.open_sessions.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        other => {
            let _ = channel
                .extended_data(1, format!("ksh: {other}: not found\n").as_bytes())
                .await;
            code = 127;
        }
    }
    shared.log.running.fetch_sub(1, Ordering::SeqCst);
    // Freed before the end is reported, so a client that opens a channel as soon as it sees
    // one close is never refused (sshd frees it a moment later; the client's margin of one
    // session below MaxSessions covers that).
    shared.open_sessions.fetch_sub(1, Ordering::SeqCst);
    let _ = channel.exit_status(code).await;
    let _ = channel.eof().await;
    let _ = channel.close().await;
    let _ = shared.notes.send(format!("completed:{name}"));
}

impl TestHost {
    async fn start(host_key: PrivateKey, authorized: Vec<PublicKey>, options: HostOptions) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let log = Arc::new(HostLog::default());
        let (notes_tx, notes_rx) = mpsc::unbounded_channel();
        let release = Arc::new(Semaphore::new(0));
        let shared = HostShared {
            authorized,
            log: log.clone(),
            notes: notes_tx,
            release: release.clone(),
            options,
            gate: Arc::new(watch::Sender::new(0)),
            open_sessions: Arc::new(AtomicUsize::new(0)),
        };
        let methods: &[MethodKind] = if options.password_by_keyboard_interactive {
            &[MethodKind::PublicKey, MethodKind::KeyboardInteractive]
        } else {
            &[MethodKind::PublicKey, MethodKind::Password]
        };
        let config = server_config(host_key.clone(), methods);
        let ended = Arc::new(watch::Sender::new(0));
        let ended_count = ended.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                shared.log.connections.fetch_add(1, Ordering::SeqCst);
                let handler = HostConnection {
                    shared: shared.clone(),
                    channels: HashMap::new(),
                };
                let config = config.clone();
                let ended = ended_count.clone();
                tokio::spawn(async move {
                    if let Ok(session) = russh::server::run_stream(config, socket, handler).await {
                        let _ = session.await;
                    }
                    ended.send_modify(|n| *n += 1);
                });
            }
        });
        Self {
            addr,
            host_key,
            log,
            notes: tokio::sync::Mutex::new(notes_rx),
            release,
            ended,
        }
    }

    /// Returns once `count` connections have ended.
    async fn connections_ended(&self, count: usize) {
        let _ = self.ended.subscribe().wait_for(|n| *n >= count).await;
    }

    async fn next_note(&self) -> String {
        self.notes.lock().await.recv().await.expect("host note")
    }

    fn connections(&self) -> usize {
        self.log.connections.load(Ordering::SeqCst)
    }

    fn execs(&self) -> usize {
        self.log.execs.load(Ordering::SeqCst)
    }
}

/// The bastion: user `jump` with its key; forwards only to the routes it knows.
struct TestJump {
    addr: SocketAddr,
    host_key: PrivateKey,
    connections: Arc<AtomicUsize>,
    sessions: Arc<StdMutex<Vec<russh::server::Handle>>>,
}

#[derive(Clone)]
struct JumpShared {
    authorized: PublicKey,
    routes: Arc<HashMap<(String, u32), SocketAddr>>,
}

struct JumpConnection {
    shared: JumpShared,
}

impl russh::server::Handler for JumpConnection {
    type Error = russh::Error;

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(
            if user == "jump" && key.public_key.key_data() == self.shared.authorized.key_data() {
                Auth::Accept
            } else {
                Auth::reject()
            },
        )
    }

    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply
            .reject(ChannelOpenFailure::AdministrativelyProhibited)
            .await;
        Ok(())
    }

    async fn channel_open_direct_tcpip(
        &mut self,
        channel: Channel<Msg>,
        host_to_connect: &str,
        port_to_connect: u32,
        _originator_address: &str,
        _originator_port: u32,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(route) = self
            .shared
            .routes
            .get(&(host_to_connect.to_string(), port_to_connect))
            .copied()
        else {
            reply
                .reject(ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        };
        let Ok(mut upstream) = TcpStream::connect(route).await else {
            reply.reject(ChannelOpenFailure::ConnectFailed).await;
            return Ok(());
        };
        reply.accept().await;
        tokio::spawn(async move {
            let mut stream = channel.into_stream();
            let _ = tokio::io::copy_bidirectional(&mut stream, &mut upstream).await;
        });
        Ok(())
    }
}

impl TestJump {
    async fn start(authorized: PublicKey, routes: HashMap<(String, u32), SocketAddr>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let host_key = ed25519(200);
        let connections = Arc::new(AtomicUsize::new(0));
        let shared = JumpShared {
            authorized,
            routes: Arc::new(routes),
        };
        let config = server_config(host_key.clone(), &[MethodKind::PublicKey]);
        let count = connections.clone();
        let sessions = Arc::new(StdMutex::new(Vec::new()));
        let handles = sessions.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let handler = JumpConnection {
                    shared: shared.clone(),
                };
                let config = config.clone();
                let handles = handles.clone();
                tokio::spawn(async move {
                    if let Ok(session) = russh::server::run_stream(config, socket, handler).await {
                        handles.lock().expect("sessions").push(session.handle());
                        let _ = session.await;
                    }
                });
            }
        });
        Self {
            addr,
            host_key,
            connections,
            sessions,
        }
    }

    /// Drops every client connection, as a rebooted bastion would.
    async fn drop_connections(&self) {
        let handles: Vec<russh::server::Handle> =
            self.sessions.lock().expect("sessions").drain(..).collect();
        for handle in handles {
            let _ = handle
                .disconnect(
                    russh::Disconnect::ByApplication,
                    "jump host restarting".to_string(),
                    "en".to_string(),
                )
                .await;
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A jump host in front of a primary and a standby orchestrator.
struct Lab {
    jump: TestJump,
    primary: TestHost,
    standby: TestHost,
    root_key: PrivateKey,
    jump_key: PrivateKey,
}

impl Lab {
    async fn start() -> Self {
        Self::with(ed25519(1), vec![], HostOptions::default()).await
    }

    async fn with_root_keys(root_key: PrivateKey, extra_authorized: Vec<PublicKey>) -> Self {
        Self::with(root_key, extra_authorized, HostOptions::default()).await
    }

    async fn with(
        root_key: PrivateKey,
        extra_authorized: Vec<PublicKey>,
        options: HostOptions,
    ) -> Self {
        let jump_key = ed25519(2);
        let mut authorized = vec![root_key.public_key().clone()];
        authorized.extend(extra_authorized);
        let primary = TestHost::start(ed25519(100), authorized.clone(), options).await;
        let standby = TestHost::start(ed25519(101), authorized, options).await;
        let routes = HashMap::from([
            ((TARGET.to_string(), 22), primary.addr),
            ((STANDBY.to_string(), 22), standby.addr),
        ]);
        let jump = TestJump::start(jump_key.public_key().clone(), routes).await;
        Self {
            jump,
            primary,
            standby,
            root_key,
            jump_key,
        }
    }

    /// Key login on both hops, every host key pinned.
    fn settings(&self) -> SshSettings {
        SshSettings {
            private_key: Some(openssh_text(&self.root_key)),
            host_keys: vec![
                public_line(&self.primary.host_key),
                public_line(&self.standby.host_key),
            ],
            jump_host: Some(JumpHostSettings {
                address: self.jump.addr.to_string(),
                user: "jump".to_string(),
                private_key: Some(openssh_text(&self.jump_key)),
                password: None,
                host_keys: vec![public_line(&self.jump.host_key)],
            }),
            ..SshSettings::default()
        }
    }
}

fn try_pool(settings: SshSettings) -> Result<SshPool, SshError> {
    SshPool::new(
        settings,
        CancellationToken::new(),
        Arc::new(Redactor::new()),
    )
}

fn pool(settings: SshSettings) -> SshPool {
    try_pool(settings).expect("pool")
}

/// `echo-lines 1` on `host` with `settings` runs and prints its one line.
async fn assert_echoes(settings: SshSettings, host: &str) {
    assert_eq!(
        run_ok(&pool(settings), host, "echo-lines 1").await,
        "line 1\n"
    );
}

/// The error of running `echo-lines 1` on `host` with `settings`.
async fn echo_refused(settings: SshSettings, host: &str) -> SshError {
    pool(settings)
        .exec(host, ExecRequest::new("echo-lines 1"))
        .await
        .unwrap_err()
}

/// A known_hosts file (in a directory that lives as long as the guard) trusting `host_key` at
/// the loopback port of `addr`.
fn known_hosts_trusting(addr: SocketAddr, host_key: &PrivateKey) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!("[127.0.0.1]:{} {}\n", addr.port(), public_line(host_key)),
    )
    .expect("write");
    (dir, known_hosts)
}

/// The error's message contains `text`.
#[track_caller]
fn assert_mentions(err: &SshError, text: &str) {
    assert!(err.to_string().contains(text), "{err}");
}

async fn run_ok(pool: &SshPool, host: &str, command: &str) -> String {
    let out = pool
        .exec(host, ExecRequest::new(command))
        .await
        .unwrap_or_else(|e| panic!("{command} on {host}: {e}"));
    assert_eq!(out.exit_status, 0, "{command}: {out:?}");
    out.stdout
}

#[tokio::test]
async fn key_login_through_the_jump_host_runs_commands_and_reports_exit_codes() {
    let lab = Lab::start().await;
    let pool = pool(lab.settings());
    assert_eq!(
        run_ok(&pool, TARGET, "echo-lines 3").await,
        "line 1\nline 2\nline 3\n"
    );
    let failed = pool
        .exec(TARGET, ExecRequest::new("exit 3"))
        .await
        .expect("exec");
    assert_eq!(failed.exit_status, 3);
    assert_eq!(failed.stderr, "failing\n");
    assert!(!failed.success());
    let missing = pool
        .exec(TARGET, ExecRequest::new("rm -rf /"))
        .await
        .expect("exec");
    assert_eq!(missing.exit_status, 127);
    assert_eq!(missing.stderr, "ksh: rm: not found\n");
    // The standby is reached through the same jump connection, on its own connection.
    assert_eq!(run_ok(&pool, STANDBY, "echo-lines 1").await, "line 1\n");
    assert_eq!(lab.jump.connections(), 1);
    assert_eq!(lab.primary.connections(), 1);
    assert_eq!(lab.standby.connections(), 1);
    assert_eq!(pool.connections_opened(), 3);
}

#[tokio::test]
async fn password_login_works_and_a_wrong_password_is_refused_without_echoing_it() {
    let lab = Lab::start().await;
    let settings = SshSettings {
        private_key: None,
        password: Some(ROOT_PASSWORD.to_string()),
        ..lab.settings()
    };
    assert_echoes(settings.clone(), TARGET).await;

    let wrong = "Wrong-Passw0rd-Value";
    let err = echo_refused(
        SshSettings {
            password: Some(wrong.to_string()),
            ..settings
        },
        TARGET,
    )
    .await;
    assert!(
        matches!(&err, SshError::Auth { user, .. } if user == "root"),
        "{err:?}"
    );
    let text = format!("{err} {err:?}");
    assert!(text.contains(TARGET) && text.contains("password"), "{text}");
    assert!(!text.contains(wrong), "{text}");
    assert!(!err.is_retryable() && !err.outcome_unknown());
    assert_eq!(lab.primary.execs(), 1, "only the first pool ran something");
}

#[tokio::test]
async fn a_password_is_also_answered_to_a_keyboard_interactive_prompt() {
    let options = HostOptions {
        password_by_keyboard_interactive: true,
        ..HostOptions::default()
    };
    let lab = Lab::with(ed25519(1), vec![], options).await;
    let settings = SshSettings {
        private_key: None,
        password: Some(ROOT_PASSWORD.to_string()),
        ..lab.settings()
    };
    assert_echoes(settings.clone(), TARGET).await;
    let err = echo_refused(
        SshSettings {
            password: Some("Wrong-Passw0rd-Value".to_string()),
            ..settings
        },
        TARGET,
    )
    .await;
    assert!(matches!(err, SshError::Auth { .. }), "{err:?}");
}

#[tokio::test]
async fn rsa_pem_and_ecdsa_keys_log_in() {
    let rsa = fixture("test_rsa_pem");
    let ecdsa = fixture("test_ecdsa");
    let rsa_public = PublicKey::from_openssh(&fixture("test_rsa_pem.pub")).expect("rsa pub");
    let ecdsa_public = PublicKey::from_openssh(&fixture("test_ecdsa.pub")).expect("ecdsa pub");
    let lab = Lab::with_root_keys(ed25519(1), vec![rsa_public, ecdsa_public]).await;
    for key in [rsa, ecdsa] {
        let settings = SshSettings {
            private_key: Some(key),
            ..lab.settings()
        };
        assert_echoes(settings, TARGET).await;
    }
}

#[tokio::test]
async fn a_key_refused_before_a_password_falls_back_to_the_password() {
    let lab = Lab::start().await;
    let settings = SshSettings {
        private_key: Some(openssh_text(&ed25519(77))),
        password: Some(ROOT_PASSWORD.to_string()),
        ..lab.settings()
    };
    assert_echoes(settings, TARGET).await;
}

#[tokio::test]
async fn a_changed_orchestrator_key_is_refused_and_nothing_runs() {
    let lab = Lab::start().await;
    let imposter = ed25519(150);
    let settings = SshSettings {
        host_keys: vec![public_line(&imposter)],
        ..lab.settings()
    };
    let err = echo_refused(settings, TARGET).await;
    let SshError::HostKeyMismatch {
        host,
        presented_fingerprint,
        expected,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(host, TARGET);
    assert_eq!(
        presented_fingerprint,
        &lab.primary
            .host_key
            .public_key()
            .fingerprint(russh::keys::HashAlg::Sha256)
            .to_string()
    );
    assert!(
        expected[0].contains("orchestrator_ssh.host_keys"),
        "{expected:?}"
    );
    assert_mentions(&err, "Nothing was run");
    assert!(!err.is_retryable() && !err.outcome_unknown());
    assert_eq!(
        lab.primary.log.logins.load(Ordering::SeqCst),
        0,
        "no login was even tried"
    );
    assert_eq!(lab.primary.execs(), 0);
}

#[tokio::test]
async fn a_changed_jump_host_key_is_refused_before_any_forwarding() {
    let lab = Lab::start().await;
    let mut settings = lab.settings();
    if let Some(jump) = settings.jump_host.as_mut() {
        jump.host_keys = vec![public_line(&ed25519(151))];
    }
    let err = echo_refused(settings, TARGET).await;
    assert!(
        matches!(&err, SshError::JumpHost { source, .. } if matches!(**source, SshError::HostKeyMismatch { .. })),
        "{err:?}"
    );
    assert!(err.is_host_key_error());
    assert_eq!(lab.primary.connections(), 0);
}

#[tokio::test]
async fn accept_new_records_unknown_keys_and_then_trusts_them() {
    let lab = Lab::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let known_hosts = dir.path().join("ssh").join("known_hosts");
    let mut settings = SshSettings {
        host_keys: vec![],
        known_hosts_file: Some(known_hosts.clone()),
        strict_host_key_checking: StrictHostKeyChecking::AcceptNew,
        ..lab.settings()
    };
    if let Some(jump) = settings.jump_host.as_mut() {
        jump.host_keys = vec![];
    }
    assert_echoes(settings.clone(), TARGET).await;
    let text = std::fs::read_to_string(&known_hosts).expect("known_hosts written");
    let primary_key = public_line(&lab.primary.host_key);
    let jump_key = public_line(&lab.jump.host_key);
    assert!(text.contains(&format!("{TARGET} {primary_key}")), "{text}");
    assert!(
        text.contains(&format!("[127.0.0.1]:{} {jump_key}", lab.jump.addr.port())),
        "{text}"
    );
    // Now the keys are known, strict checking lets the same hosts in.
    let strict = SshSettings {
        strict_host_key_checking: StrictHostKeyChecking::Yes,
        ..settings.clone()
    };
    assert_echoes(strict, TARGET).await;
    // A key that changes after being recorded is refused even under accept-new.
    std::fs::write(
        &known_hosts,
        text.replace(&primary_key, &public_line(&ed25519(152))),
    )
    .expect("rewrite");
    let err = echo_refused(settings, TARGET).await;
    assert!(matches!(err, SshError::HostKeyMismatch { .. }), "{err:?}");
    assert_eq!(lab.primary.execs(), 2);
}

#[tokio::test]
async fn strict_yes_refuses_an_unknown_host_and_no_accepts_anything() {
    let lab = Lab::start().await;
    let (_dir, known_hosts) = known_hosts_trusting(lab.jump.addr, &lab.jump.host_key);
    let settings = SshSettings {
        host_keys: vec![],
        known_hosts_file: Some(known_hosts.clone()),
        ..lab.settings()
    };
    let err = echo_refused(settings.clone(), TARGET).await;
    assert!(
        matches!(&err, SshError::HostKeyUnknown { host, .. } if host == TARGET),
        "{err:?}"
    );
    assert_mentions(&err, "accept-new");
    assert_eq!(lab.primary.execs(), 0);
    let unchanged = std::fs::read_to_string(&known_hosts).expect("read");
    assert_eq!(unchanged.lines().count(), 1, "yes never writes");

    let anything = SshSettings {
        host_keys: vec![public_line(&ed25519(153))],
        strict_host_key_checking: StrictHostKeyChecking::No,
        ..settings
    };
    assert_echoes(anything, TARGET).await;
}

#[tokio::test]
async fn the_jump_host_refusing_a_target_is_reported_with_the_target() {
    let lab = Lab::start().await;
    let err = echo_refused(lab.settings(), "10.99.0.1").await;
    let SshError::JumpRefused {
        target, transient, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(target, "10.99.0.1");
    assert!(!transient && !err.is_retryable());
    assert_mentions(&err, "administratively prohibited");
}

#[tokio::test]
async fn twenty_concurrent_commands_share_one_connection() {
    let lab = Lab::start().await;
    let pool = pool(lab.settings());
    let runs = (0..CONCURRENT).map(|_| pool.exec(TARGET, ExecRequest::new("gate")));
    let results = futures::future::join_all(runs).await;
    for result in results {
        assert_eq!(result.expect("gate").stdout, "through\n");
    }
    assert_eq!(lab.jump.connections(), 1);
    assert_eq!(lab.primary.connections(), 1);
    assert_eq!(lab.primary.execs(), CONCURRENT);
    // A gate opens only when its whole generation is inside at once.
    assert_eq!(
        lab.primary.log.max_running.load(Ordering::SeqCst),
        MAX_CHANNELS_PER_CONNECTION
    );
}

#[tokio::test]
async fn a_server_that_allows_fewer_sessions_is_learnt_from_its_refusals() {
    let limit = 4;
    let options = HostOptions {
        session_limit: Some(limit),
        gate_width: limit,
        ..HostOptions::default()
    };
    let lab = Lab::with(ed25519(1), vec![], options).await;
    let pool = pool(lab.settings());
    let runs = (0..CONCURRENT).map(|_| pool.exec(TARGET, ExecRequest::new("gate")));
    for result in futures::future::join_all(runs).await {
        assert_eq!(result.expect("gate").stdout, "through\n");
    }
    assert!(lab.primary.log.refused_sessions.load(Ordering::SeqCst) >= 1);
    assert_eq!(lab.primary.log.max_running.load(Ordering::SeqCst), limit);
    assert_eq!(lab.primary.connections(), 1);
}

#[tokio::test]
async fn stdout_lines_reach_the_callback_while_the_command_runs() {
    let lab = Lab::start().await;
    let pool = pool(lab.settings());
    let seen = StdMutex::new(Vec::new());
    let release = lab.primary.release.clone();
    // The host prints the next step only after this callback saw the previous one.
    let on_line = |line: &str| {
        seen.lock().expect("lines").push(line.to_string());
        release.add_permits(1);
    };
    let out = pool
        .exec(
            TARGET,
            ExecRequest::new("stream 4").on_stdout_line(&on_line),
        )
        .await
        .expect("stream");
    assert_eq!(out.stdout, "step 1\nstep 2\nstep 3\nstep 4\n");
    assert_eq!(
        *seen.lock().expect("lines"),
        vec!["step 1", "step 2", "step 3", "step 4"]
    );
}

#[tokio::test]
async fn stdin_is_delivered_and_ended() {
    let lab = Lab::start().await;
    let pool = pool(lab.settings());
    let crontab = "# dr-test-schedule id=abc\n0 2 * * 6 /opt/IBM/ksys/ksysmgr -f move site\n";
    let out = pool
        .exec(TARGET, ExecRequest::new("cat").stdin(crontab.as_bytes()))
        .await
        .expect("cat");
    assert_eq!(out.stdout, crontab);
    // More than one SSH window's worth goes through too.
    let big: String = (0..60_000).map(|i| format!("{i:07}\n")).collect();
    let out = pool
        .exec(TARGET, ExecRequest::new("cat").stdin(big.as_bytes()))
        .await
        .expect("cat big");
    assert_eq!(out.stdout.len(), big.len());
    assert!(out.stdout == big);
    // Without stdin the command reads end-of-file at once instead of hanging.
    assert_eq!(run_ok(&pool, TARGET, "cat").await, "");
}

#[tokio::test]
async fn a_connection_dropped_mid_command_is_an_unknown_outcome_and_the_next_call_reconnects() {
    let lab = Lab::start().await;
    let pool = pool(lab.settings());
    assert_eq!(run_ok(&pool, TARGET, "echo-lines 1").await, "line 1\n");
    let err = pool
        .exec(TARGET, ExecRequest::new("drop"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SshError::ConnectionLost { host, command_started: true } if host == TARGET),
        "{err:?}"
    );
    assert!(err.outcome_unknown() && !err.is_retryable());
    assert_eq!(
        run_ok(&pool, TARGET, "echo-lines 2").await,
        "line 1\nline 2\n"
    );
    assert_eq!(lab.primary.connections(), 2);
    assert_eq!(lab.jump.connections(), 1, "the jump connection survived");
}

#[tokio::test]
async fn a_lost_jump_connection_is_replaced_with_the_orchestrator_connection_behind_it() {
    let lab = Lab::start().await;
    let pool = pool(lab.settings());
    assert_eq!(run_ok(&pool, TARGET, "echo-lines 1").await, "line 1\n");
    lab.jump.drop_connections().await;
    lab.primary.connections_ended(1).await;
    // Whether the client has noticed yet or not, the next call gets through on new ones.
    assert_eq!(
        run_ok(&pool, TARGET, "echo-lines 2").await,
        "line 1\nline 2\n"
    );
    assert_eq!(lab.jump.connections(), 2);
    assert_eq!(lab.primary.connections(), 2);
    assert_eq!(pool.connections_opened(), 4);
}

#[tokio::test]
async fn a_caller_that_stops_waiting_leaves_the_command_to_finish() {
    let lab = Lab::start().await;
    let pool = pool(lab.settings());
    let caller = tokio::spawn({
        let pool = pool.clone();
        async move { pool.exec(TARGET, ExecRequest::new("hold")).await }
    });
    assert_eq!(lab.primary.next_note().await, "started:hold");
    caller.abort();
    assert!(caller.await.is_err_and(|e| e.is_cancelled()));
    // Anything the client sent when the caller went away reached the host before this
    // later command on the same connection.
    assert_eq!(run_ok(&pool, TARGET, "echo-lines 1").await, "line 1\n");
    assert_eq!(lab.primary.next_note().await, "completed:echo-lines");
    lab.primary.release.add_permits(1);
    assert_eq!(lab.primary.next_note().await, "completed:hold");
    assert_eq!(lab.primary.log.closed_early.load(Ordering::SeqCst), 0);
    assert_eq!(lab.primary.connections(), 1);
}

#[tokio::test]
async fn a_timeout_stops_the_wait_not_the_command() {
    let lab = Lab::start().await;
    let pool = pool(lab.settings());
    // Connect first: the limit is meant to run out while the command runs, not while the
    // handshake of a debug build does.
    assert_eq!(run_ok(&pool, TARGET, "echo-lines 1").await, "line 1\n");
    assert_eq!(lab.primary.next_note().await, "completed:echo-lines");
    let err = pool
        .exec(
            TARGET,
            ExecRequest::new("hold").timeout(Duration::from_secs(2)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            SshError::Timeout {
                command_started: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.outcome_unknown());
    assert_eq!(lab.primary.next_note().await, "started:hold");
    assert_eq!(run_ok(&pool, TARGET, "echo-lines 1").await, "line 1\n");
    assert_eq!(lab.primary.next_note().await, "completed:echo-lines");
    lab.primary.release.add_permits(1);
    assert_eq!(lab.primary.next_note().await, "completed:hold");
    assert_eq!(lab.primary.log.closed_early.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn cancelling_the_provider_ends_the_wait_and_later_calls() {
    let lab = Lab::start().await;
    let cancel = CancellationToken::new();
    let pool =
        SshPool::new(lab.settings(), cancel.clone(), Arc::new(Redactor::new())).expect("pool");
    let waiting = tokio::spawn({
        let pool = pool.clone();
        async move { pool.exec(TARGET, ExecRequest::new("hold")).await }
    });
    assert_eq!(lab.primary.next_note().await, "started:hold");
    cancel.cancel();
    let err = waiting.await.expect("join").unwrap_err();
    assert_eq!(
        err,
        SshError::Cancelled {
            command_started: true
        }
    );
    assert!(err.outcome_unknown());
    let later = pool
        .exec(TARGET, ExecRequest::new("echo-lines 1"))
        .await
        .unwrap_err();
    assert_eq!(
        later,
        SshError::Cancelled {
            command_started: false
        }
    );
    lab.primary.release.add_permits(1);
    assert_eq!(lab.primary.next_note().await, "completed:hold");
    assert_eq!(lab.primary.log.closed_early.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_host_without_a_jump_host_is_reached_directly() {
    let lab = Lab::start().await;
    let (_dir, known_hosts) = known_hosts_trusting(lab.primary.addr, &lab.primary.host_key);
    let settings = SshSettings {
        host_keys: vec![],
        known_hosts_file: Some(known_hosts),
        port: lab.primary.addr.port(),
        jump_host: None,
        ..lab.settings()
    };
    assert_echoes(settings, "127.0.0.1").await;
    assert_eq!(lab.jump.connections(), 0);
}

#[tokio::test]
async fn a_refused_connection_is_retryable_and_names_the_host() {
    let lab = Lab::start().await;
    let closed_port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let settings = SshSettings {
        port: closed_port,
        jump_host: None,
        ..lab.settings()
    };
    let err = echo_refused(settings, "127.0.0.1").await;
    assert!(
        matches!(&err, SshError::Connect { host, .. } if host == &format!("127.0.0.1:{closed_port}")),
        "{err:?}"
    );
    assert!(err.is_retryable() && !err.outcome_unknown());

    let mut through_dead_jump = lab.settings();
    if let Some(jump) = through_dead_jump.jump_host.as_mut() {
        jump.address = format!("127.0.0.1:{closed_port}");
    }
    let err = echo_refused(through_dead_jump, TARGET).await;
    assert!(matches!(err, SshError::JumpHost { .. }), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn bad_settings_are_refused_up_front_without_quoting_secrets() {
    let lab = Lab::start().await;
    let broken_key = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1ib2R5LXRleHQ=\n-----END OPENSSH PRIVATE KEY-----\n";
    let err = try_pool(SshSettings {
        private_key: Some(broken_key.to_string()),
        ..lab.settings()
    })
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("orchestrator_ssh.private_key"), "{text}");
    assert!(!text.contains("c2VjcmV0LWtleS1ib2R5LXRleHQ"), "{text}");
    let err = try_pool(SshSettings {
        host_keys: vec!["not a key".to_string()],
        ..lab.settings()
    })
    .unwrap_err();
    assert_mentions(&err, "orchestrator_ssh.host_keys[0]");
}

#[tokio::test]
async fn the_redactor_learns_the_ssh_secrets() {
    let lab = Lab::start().await;
    let redactor = Arc::new(Redactor::new());
    let settings = SshSettings {
        password: Some(ROOT_PASSWORD.to_string()),
        ..lab.settings()
    };
    let key_text = settings.private_key.clone().expect("key");
    let _pool = SshPool::new(settings, CancellationToken::new(), redactor.clone()).expect("pool");
    let body_line = key_text.lines().nth(1).expect("key body line");
    let scrubbed = redactor.scrub(&format!("echoed {ROOT_PASSWORD} and {body_line}"));
    assert!(
        !scrubbed.contains(ROOT_PASSWORD) && !scrubbed.contains(body_line),
        "{scrubbed}"
    );
}
