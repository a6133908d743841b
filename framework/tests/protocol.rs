//! End-to-end tests of the go-plugin transport: each test starts the real
//! `tf-framework-echo-provider` binary the way Terraform does (environment, stdout handshake,
//! unix socket, AutoMTLS) and talks gRPC to it over the announced socket.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tf_framework::proto::plugin::Empty;
use tf_framework::proto::plugin::grpc_controller_client::GrpcControllerClient;
use tf_framework::proto::tfplugin6 as pb;
use tf_framework::proto::tfplugin6::provider_client::ProviderClient;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::UnixStream;
use tokio::process::{Child, Command};
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use support::{BIN, COOKIE, IoStream, client_identity, plugin_command, tls_client_config};

/// How long a test waits for something that takes milliseconds before it gives up: a guard
/// against hangs, generous so that a loaded machine never trips it.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const EXIT_GUARD: Duration = Duration::from_secs(30);

/// A started provider process and what its handshake announced.
struct Plugin {
    child: Child,
    fields: Vec<String>,
    stderr: StderrLog,
    stdout_after_handshake: Arc<Mutex<String>>,
    tmpdir: tempfile::TempDir,
}

/// Everything the provider writes to stderr, read by a task as it comes.
struct StderrLog {
    text: Arc<Mutex<String>>,
    /// Ticks after every chunk read, so a test can wait for a line without sleeping.
    grew: tokio::sync::watch::Receiver<usize>,
    reader: Option<tokio::task::JoinHandle<()>>,
}

impl StderrLog {
    fn snapshot(&self) -> String {
        self.text.lock().expect("lock").clone()
    }

    /// Waits until stderr contains `needle` (or ends without it: then panics).
    async fn wait_for(&mut self, needle: &str) {
        loop {
            if self.snapshot().contains(needle) {
                return;
            }
            if self.grew.changed().await.is_err() {
                panic!("stderr ended without {needle:?}: {}", self.snapshot());
            }
        }
    }

    /// All of stderr, once the reader has seen its end (the process has exited and closed
    /// the pipe): nothing written before the exit can be missing.
    async fn complete(&mut self) -> String {
        if let Some(reader) = self.reader.take() {
            tokio::time::timeout(Duration::from_secs(30), reader)
                .await
                .expect("stderr closes once the process has exited")
                .expect("stderr reader");
        }
        self.snapshot()
    }
}

impl Plugin {
    fn socket(&self) -> PathBuf {
        PathBuf::from(&self.fields[3])
    }

    fn server_cert(&self) -> Option<Vec<u8>> {
        use base64::Engine as _;
        let field = &self.fields[5];
        (!field.is_empty()).then(|| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(field)
                .expect("cert field is unpadded standard base64")
        })
    }

    fn stderr(&self) -> String {
        self.stderr.snapshot()
    }

    async fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        tokio::time::timeout(within, self.child.wait())
            .await
            .expect("provider did not exit in time")
            .expect("wait")
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().expect("running").to_string();
        let status = std::process::Command::new("kill")
            .args([format!("-{name}"), pid])
            .status()
            .expect("kill");
        assert!(status.success());
    }
}

fn base_command(tmpdir: &Path, extra_env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = plugin_command(BIN, tmpdir, extra_env, Stdio::piped());
    cmd.args(args);
    cmd
}

/// Starts the provider and reads the handshake line.
async fn start(extra_env: &[(&str, &str)]) -> Plugin {
    let tmpdir = tempfile::tempdir().expect("tmpdir");
    let mut env = vec![COOKIE, ("PLUGIN_PROTOCOL_VERSIONS", "5,6")];
    env.extend_from_slice(extra_env);
    let mut child = base_command(tmpdir.path(), &env, &[])
        .spawn()
        .expect("spawn provider");
    let stderr = collect_stderr(&mut child);
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(STARTUP_TIMEOUT, lines.next_line())
        .await
        .expect("handshake within timeout")
        .expect("read stdout")
        .unwrap_or_else(|| panic!("no handshake; stderr: {}", stderr.snapshot()));
    let fields: Vec<String> = line.split('|').map(str::to_owned).collect();
    // Keep draining stdout like go-plugin does, remembering anything written after the handshake.
    let stdout_after_handshake = Arc::new(Mutex::new(String::new()));
    let sink = stdout_after_handshake.clone();
    tokio::spawn(async move {
        while let Ok(Some(extra)) = lines.next_line().await {
            sink.lock().expect("lock").push_str(&extra);
        }
    });
    Plugin {
        child,
        fields,
        stderr,
        stdout_after_handshake,
        tmpdir,
    }
}

fn collect_stderr(child: &mut Child) -> StderrLog {
    let text = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().expect("stderr");
    let sink = text.clone();
    let (tick, grew) = tokio::sync::watch::channel(0usize);
    let reader = tokio::spawn(async move {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            sink.lock()
                .expect("lock")
                .push_str(&String::from_utf8_lossy(&chunk[..n]));
            tick.send_modify(|t| *t += 1);
        }
    });
    StderrLog {
        text,
        grew,
        reader: Some(reader),
    }
}

/// A gRPC channel over the plugin's unix socket, TLS if a client config is given.
async fn connect(
    socket: PathBuf,
    tls: Option<rustls::ClientConfig>,
) -> Result<Channel, tonic::transport::Error> {
    let endpoint = Endpoint::from_static("http://localhost");
    let dial = |socket: PathBuf| async move {
        Ok(Box::new(UnixStream::connect(&socket).await?) as Box<dyn IoStream>)
    };
    support::grpc_channel(endpoint, socket, dial, tls).await
}

async fn health(channel: Channel) -> Result<i32, tonic::Status> {
    let resp = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "plugin".to_owned(),
        })
        .await?;
    Ok(resp.into_inner().status)
}

/// Starts a provider with AutoMTLS and returns it with a connected, authenticated channel.
async fn start_mtls() -> (Plugin, Channel) {
    start_mtls_with(&[]).await
}

/// [`start_mtls`] with more environment for the provider.
async fn start_mtls_with(extra_env: &[(&str, &str)]) -> (Plugin, Channel) {
    let client = client_identity();
    let mut env = vec![("PLUGIN_CLIENT_CERT", client.pem.as_str())];
    env.extend_from_slice(extra_env);
    let plugin = start(&env).await;
    let cert = plugin.server_cert().expect("TLS handshake carries a cert");
    let channel = connect(
        plugin.socket(),
        Some(tls_client_config(&cert, Some(&client))),
    )
    .await
    .expect("mTLS connect");
    (plugin, channel)
}

#[tokio::test]
async fn handshake_line_announces_unix_grpc_and_a_p256_cert() {
    let client = client_identity();
    let plugin = start(&[("PLUGIN_CLIENT_CERT", client.pem.as_str())]).await;
    assert_eq!(plugin.fields.len(), 6, "fields: {:?}", plugin.fields);
    assert_eq!(plugin.fields[0], "1");
    assert_eq!(plugin.fields[1], "6");
    assert_eq!(plugin.fields[2], "unix");
    assert!(plugin.socket().is_absolute());
    assert_eq!(plugin.fields[4], "grpc");
    assert!(
        !plugin.fields[5].ends_with('='),
        "cert must be unpadded base64"
    );
    let der = plugin.server_cert().expect("cert");
    // A DER certificate is one SEQUENCE whose long-form length covers the whole buffer.
    assert_eq!(der[0], 0x30);
    let len_bytes = usize::from(der[1] & 0x7f);
    let body_len = der[2..2 + len_bytes]
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    assert_eq!(2 + len_bytes + body_len, der.len());
    let prime256v1 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    assert!(
        der.windows(prime256v1.len()).any(|w| w == prime256v1),
        "not a P-256 key"
    );
    assert!(der.windows(9).any(|w| w == b"localhost"));
}

#[tokio::test]
async fn socket_directory_is_private_and_removed_on_shutdown() {
    use std::os::unix::fs::PermissionsExt as _;
    let (mut plugin, channel) = start_mtls().await;
    let socket = plugin.socket();
    let dir = socket.parent().expect("dir").to_path_buf();
    let mode = std::fs::metadata(&dir).expect("dir").permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "socket dir mode {mode:o}");
    let sock_mode = std::fs::metadata(&socket)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(sock_mode & 0o077, 0, "socket mode {sock_mode:o}");
    assert!(
        dir.starts_with(plugin.tmpdir.path()),
        "socket dir honours TMPDIR"
    );

    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("shutdown rpc");
    let status = plugin.wait_exit(EXIT_GUARD).await;
    assert_eq!(status.code(), Some(0), "stderr: {}", plugin.stderr());
    assert!(!dir.exists(), "socket directory left behind");
    assert_eq!(*plugin.stdout_after_handshake.lock().expect("lock"), "");
}

#[tokio::test]
async fn mtls_client_with_announced_cert_gets_health_and_schema() {
    let (_plugin, channel) = start_mtls().await;
    assert_eq!(
        health(channel.clone()).await.expect("health"),
        ServingStatus::Serving as i32
    );
    let schema = ProviderClient::new(channel)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("schema")
        .into_inner();
    assert!(schema.resource_schemas.contains_key("echo_thing"));
    assert!(schema.server_capabilities.expect("caps").plan_destroy);
}

#[tokio::test]
async fn clients_without_the_announced_cert_are_refused() {
    let (plugin, good) = start_mtls().await;
    let cert = plugin.server_cert().expect("cert");

    let stranger = client_identity();
    for (what, cfg) in [
        ("no client cert", tls_client_config(&cert, None)),
        (
            "another P-521 cert",
            tls_client_config(&cert, Some(&stranger)),
        ),
    ] {
        let refused = match connect(plugin.socket(), Some(cfg)).await {
            Err(_) => true,
            Ok(channel) => health(channel).await.is_err(),
        };
        assert!(refused, "{what} was let in");
    }
    let plaintext = match connect(plugin.socket(), None).await {
        Err(_) => true,
        Ok(channel) => health(channel).await.is_err(),
    };
    assert!(plaintext, "plaintext client was let in");

    // Refusals must not break the accept loop.
    assert_eq!(
        health(good).await.expect("health"),
        ServingStatus::Serving as i32
    );
}

#[tokio::test]
async fn without_client_cert_serves_plaintext_with_empty_cert_field() {
    let plugin = start(&[]).await;
    assert_eq!(plugin.fields.len(), 6);
    assert_eq!(plugin.fields[5], "");
    let channel = connect(plugin.socket(), None)
        .await
        .expect("plaintext connect");
    assert_eq!(
        health(channel).await.expect("health"),
        ServingStatus::Serving as i32
    );
}

#[tokio::test]
async fn messages_above_tonic_default_limit_are_accepted() {
    let (_plugin, channel) = start_mtls().await;
    let big = pb::DynamicValue {
        msgpack: vec![0xc0; 8 << 20],
        json: Vec::new(),
    };
    ProviderClient::new(channel)
        .max_encoding_message_size(64 << 20)
        .validate_provider_config(pb::validate_provider_config::Request { config: Some(big) })
        .await
        .expect("8 MiB request accepted");
}

#[tokio::test]
async fn running_without_cookie_prints_refusal_and_exits_1() {
    let tmpdir = tempfile::tempdir().expect("tmpdir");
    let out = base_command(tmpdir.path(), &[], &[])
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "stdout: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let flat = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "This binary is a plugin. These are not meant to be executed directly. Please \
             execute the program that consumes these plugins, which will load any plugins \
             automatically"
        ),
        "stderr: {stderr}"
    );
}

#[tokio::test]
async fn host_without_protocol_6_is_refused() {
    let tmpdir = tempfile::tempdir().expect("tmpdir");
    let out = base_command(
        tmpdir.path(),
        &[COOKIE, ("PLUGIN_PROTOCOL_VERSIONS", "4,5")],
        &[],
    )
    .output()
    .await
    .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("protocol 6") && stderr.contains("4,5"),
        "stderr: {stderr}"
    );
}

#[tokio::test]
async fn sigint_is_ignored_and_sigterm_stops_cleanly() {
    // With debug logs the provider says when it has handled (and ignored) the SIGINT, so the
    // health check below runs after the signal was handled, not merely after it was sent.
    let (mut plugin, channel) = start_mtls_with(&[("TF_LOG_PROVIDER_ECHO", "DEBUG")]).await;
    let dir = plugin.socket().parent().expect("dir").to_path_buf();
    plugin.signal("INT");
    plugin.stderr.wait_for("ignoring SIGINT").await;
    assert_eq!(
        health(channel).await.expect("still serving"),
        ServingStatus::Serving as i32
    );
    plugin.signal("TERM");
    let status = plugin.wait_exit(EXIT_GUARD).await;
    assert_eq!(status.code(), Some(0), "stderr: {}", plugin.stderr());
    assert!(!dir.exists());
}

#[tokio::test]
async fn panic_in_a_handler_is_reported_like_go_and_exits_2() {
    let (mut plugin, channel) = start_mtls().await;
    let dir = plugin.socket().parent().expect("dir").to_path_buf();
    let _ = ProviderClient::new(channel)
        .call_function(pb::call_function::Request {
            name: "panic".to_owned(),
            arguments: Vec::new(),
        })
        .await;
    let status = plugin.wait_exit(EXIT_GUARD).await;
    assert_eq!(status.code(), Some(2));
    let stderr = plugin.stderr.complete().await;
    let first = stderr
        .lines()
        .find(|l| l.starts_with("panic: "))
        .unwrap_or_else(|| panic!("no panic line in: {stderr}"));
    assert_eq!(first, "panic: echo provider asked to panic");
    assert!(!dir.exists(), "socket directory left behind after a crash");
    assert!(
        stderr.contains("tf-framework-echo-provider.rs:"),
        "location missing: {stderr}"
    );
}

#[tokio::test]
async fn logs_are_hclog_json_on_stderr_when_enabled() {
    let client = client_identity();
    let mut plugin = start(&[
        ("PLUGIN_CLIENT_CERT", client.pem.as_str()),
        ("TF_LOG_PROVIDER_ECHO", "DEBUG"),
    ])
    .await;
    plugin.signal("TERM");
    plugin.wait_exit(EXIT_GUARD).await;
    let stderr = plugin.stderr.complete().await;
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let listening = lines
        .iter()
        .find(|l| l["@message"] == "plugin server listening")
        .unwrap_or_else(|| panic!("no listening line in {stderr}"));
    assert_eq!(listening["@level"], "debug");
    assert_eq!(listening["@module"], "provider.tf-framework-echo-provider");
    assert_eq!(listening["network"], "unix");
    let ts = listening["@timestamp"].as_str().expect("timestamp");
    // 2006-01-02T15:04:05.000000Z07:00 with UTC => 27 chars ending in Z.
    assert_eq!(ts.len(), 27, "{ts}");
    assert!(
        ts.ends_with('Z') && &ts[10..11] == "T" && &ts[19..20] == ".",
        "{ts}"
    );
}

#[tokio::test]
async fn logging_is_silent_without_a_level() {
    let mut plugin = start(&[]).await;
    plugin.signal("TERM");
    plugin.wait_exit(EXIT_GUARD).await;
    assert_eq!(plugin.stderr.complete().await, "");
}

#[tokio::test]
async fn debug_mode_prints_reattach_config_and_serves_plaintext() {
    let tmpdir = tempfile::tempdir().expect("tmpdir");
    // No cookie, but a client cert: debug mode must ignore both.
    let client = client_identity();
    let mut child = base_command(
        tmpdir.path(),
        &[("PLUGIN_CLIENT_CERT", client.pem.as_str())],
        &["--debug"],
    )
    .spawn()
    .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let reattach = tokio::time::timeout(STARTUP_TIMEOUT, async {
        while let Some(line) = lines.next_line().await.expect("read") {
            if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
                return rest.trim_end_matches('\'').to_owned();
            }
        }
        panic!("no TF_REATTACH_PROVIDERS line");
    })
    .await
    .expect("reattach line in time");
    let json: serde_json::Value = serde_json::from_str(&reattach).expect("json");
    let entry = &json["registry.terraform.io/tf-framework/echo"];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["Pid"], u64::from(child.id().expect("pid")));
    assert_eq!(entry["Addr"]["Network"], "unix");
    let socket = PathBuf::from(entry["Addr"]["String"].as_str().expect("addr"));
    let channel = connect(socket, None).await.expect("plaintext connect");
    assert_eq!(
        health(channel).await.expect("health"),
        ServingStatus::Serving as i32
    );

    let pid = child.id().expect("pid").to_string();
    std::process::Command::new("kill")
        .args(["-INT", pid.as_str()])
        .status()
        .expect("kill");
    let status = tokio::time::timeout(EXIT_GUARD, child.wait())
        .await
        .expect("exit on Ctrl-C in debug mode")
        .expect("wait");
    assert_eq!(status.code(), Some(0));
}

/// Whether process `pid` has ended (gone, or a zombie nobody has reaped yet).
fn has_ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the command name, which is in parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

#[tokio::test]
async fn provider_stops_when_terraform_is_killed() {
    let tmpdir = tempfile::tempdir().expect("tmpdir");
    // A shell stands in for Terraform: it starts the provider in the background, prints its
    // pid, and is then killed with SIGKILL, as an interrupted CI job kills Terraform.
    let env = [COOKIE, ("PLUGIN_PROTOCOL_VERSIONS", "6")];
    let mut parent = plugin_command("sh", tmpdir.path(), &env, Stdio::null())
        .args(["-c", "\"$0\" & echo \"pid $!\"; wait", BIN])
        .spawn()
        .expect("spawn sh");
    let mut lines = BufReader::new(parent.stdout.take().expect("stdout")).lines();
    let (mut pid, mut handshake) = (None, false);
    while pid.is_none() || !handshake {
        let line = tokio::time::timeout(STARTUP_TIMEOUT, lines.next_line())
            .await
            .expect("pid and handshake within timeout")
            .expect("read")
            .expect("a line");
        match line.strip_prefix("pid ") {
            Some(p) => pid = Some(p.parse::<u32>().expect("pid")),
            None => handshake = line.starts_with("1|6|"),
        }
    }
    let pid = pid.expect("pid");
    assert!(!has_ended(pid), "the provider should be serving");

    parent
        .start_kill()
        .expect("SIGKILL the stand-in for Terraform");
    parent.wait().await.expect("reap sh");
    // The provider notices within a second (it checks its parent every second); the guard
    // only stops a hang.
    let started = std::time::Instant::now();
    while !has_ended(pid) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "provider {pid} still runs a minute after its parent was killed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
