//! The go-plugin transport: everything between "Terraform starts the binary" and "a gRPC call
//! reaches the provider".
//!
//! Terraform does not link providers; it runs them as child processes through
//! hashicorp/go-plugin and expects them to behave exactly like a Go plugin server. [`serve`]
//! reproduces that contract so the rest of the framework only implements
//! `tfplugin6.Provider`:
//!
//! 1. refuse to run without Terraform's magic cookie, and negotiate protocol 6;
//! 2. listen on a unix socket in a private directory (loopback TCP as a fallback);
//! 3. with `PLUGIN_CLIENT_CERT`, serve mutual TLS that admits only Terraform's certificate;
//! 4. print the handshake line as the first and only stdout line;
//! 5. serve the provider plus go-plugin's health, controller and stdio services until
//!    `Shutdown`, SIGTERM, or (debug mode only) SIGINT.
//!
//! `--debug` mode is for attaching a debugger: the process is started by hand, serves
//! plaintext and prints a `TF_REATTACH_PROVIDERS` value to paste into the shell that runs
//! Terraform.
//!
//! Startup is on Terraform's critical path (one process per graph walk), so nothing slow
//! happens before the handshake: one P-256 key generation, one socket bind. The first random
//! draw in aws-lc costs ~20 ms when it seeds from CPU-jitter entropy; building with
//! `AWS_LC_SYS_NO_JITTER_ENTROPY=1` (OS entropy instead) gives 1.5–2 ms to the handshake line.

mod handshake;
mod listener;
mod logging;
mod services;
mod tls;

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tonic::transport::Server;

use crate::proto::plugin::grpc_controller_server::GrpcControllerServer;
use crate::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use crate::proto::tfplugin6::provider_server::{Provider, ProviderServer};

pub use handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, PROTOCOL_VERSION};
pub use logging::hclog_timestamp_now;
#[doc(hidden)]
pub use tls::pinned_client_config;

use handshake::Address;
use services::{Controller, ShutdownSignal, Stdio, StopReason};

/// Largest gRPC message accepted or sent. Terraform's client allows up to 2 GiB; tonic's
/// 4 MiB default is too small for big schemas and states. Same limit as terraform-plugin-go.
pub const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// How long in-flight calls get to finish after a stop request. Terraform kills the process
/// 2 s after `Shutdown`, so waiting longer would gain nothing.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);

/// Why [`serve`] could not start or keep serving. Every variant means exit status 1.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The magic cookie is missing or wrong: a person ran the binary directly.
    /// The message is go-plugin's standard wording.
    #[error(
        "This binary is a plugin. These are not meant to be executed directly.\n\
         Please execute the program that consumes these plugins, which will\n\
         load any plugins automatically"
    )]
    NotLaunchedByTerraform,
    /// The host offered plugin protocol versions, none of them 6.
    #[error(
        "this provider speaks plugin protocol 6 only, but the host offered \
         PLUGIN_PROTOCOL_VERSIONS={offered}; use Terraform v1.0 or later (or OpenTofu)"
    )]
    UnsupportedProtocol {
        /// The raw `PLUGIN_PROTOCOL_VERSIONS` value.
        offered: String,
    },
    /// `PLUGIN_CLIENT_CERT` is not a usable PEM certificate.
    #[error("PLUGIN_CLIENT_CERT does not hold a usable PEM certificate: {0}")]
    InvalidClientCert(String),
    /// Generating the server certificate or building the TLS configuration failed.
    #[error("cannot set up plugin TLS: {0}")]
    Tls(String),
    /// Neither a unix socket nor a loopback TCP port could be bound.
    #[error("cannot listen for Terraform: {0}")]
    Listen(#[source] std::io::Error),
    /// The handshake line could not be written to stdout.
    #[error("cannot write the plugin handshake to stdout: {0}")]
    Handshake(#[source] std::io::Error),
    /// Signal handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signals(#[source] std::io::Error),
    /// The gRPC server failed.
    #[error("plugin gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

impl PluginError {
    /// The process exit status for this error (always 1, like go-plugin).
    pub fn exit_code(&self) -> i32 {
        1
    }
}

/// How to serve the provider.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The provider's full source address, e.g. `registry.terraform.io/powervs/dr`; used as the
    /// key of `TF_REATTACH_PROVIDERS` in debug mode.
    pub address: String,
    /// Debug mode: no cookie check, plaintext, print reattach settings, serve until killed.
    pub debug: bool,
    /// Suffix of the provider-specific log level variable: `Some("DR")` reads
    /// `TF_LOG_PROVIDER_DR` before `TF_LOG_PROVIDER` and `TF_LOG`. Defaults to the address's
    /// last segment, upper-cased.
    pub log_env_suffix: Option<String>,
    /// `@module` of every log line. Defaults to `provider.<executable name>`.
    pub log_module: Option<String>,
}

impl ServeOptions {
    /// Options for a provider with this source address, managed (non-debug) mode.
    pub fn new(address: impl Into<String>) -> Self {
        let address = address.into();
        let log_env_suffix = address
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .map(|s| s.replace('-', "_").to_ascii_uppercase());
        Self {
            address,
            debug: false,
            log_env_suffix,
            log_module: None,
        }
    }

    /// Sets debug mode (typically from a `--debug` flag).
    #[must_use]
    pub fn with_debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }

    /// Overrides the `TF_LOG_PROVIDER_<suffix>` suffix.
    #[must_use]
    pub fn with_log_env_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.log_env_suffix = Some(suffix.into());
        self
    }

    /// Overrides the `@module` of log lines.
    #[must_use]
    pub fn with_log_module(mut self, module: impl Into<String>) -> Self {
        self.log_module = Some(module.into());
        self
    }
}

/// Serves `provider` to Terraform over go-plugin until Terraform (or a signal) stops it.
///
/// Returns `Ok(())` on an orderly stop (the process should exit 0). On error, print the error
/// (its `Display` is the user-facing message) to stderr and exit with
/// [`PluginError::exit_code`]. Also installs a panic hook that reports panics the way
/// Terraform expects and exits with status 2.
pub async fn serve<P: Provider>(provider: P, opts: ServeOptions) -> Result<(), PluginError> {
    let env = |key: &str| std::env::var(key).ok();
    logging::install_panic_hook();
    let level = logging::level_from_env(env, opts.log_env_suffix.as_deref());
    logging::init(level, &log_module(&opts));

    let protocol = if opts.debug {
        PROTOCOL_VERSION
    } else {
        handshake::check_magic_cookie(env)?;
        handshake::negotiate_protocol(env)?
    };

    // Debug mode is attached without AutoMTLS (Terraform dials reattached providers in
    // plaintext), so a client certificate is only honoured for managed starts.
    let client_cert_pem =
        env("PLUGIN_CLIENT_CERT").filter(|pem| !opts.debug && !pem.trim().is_empty());
    let tls = match &client_cert_pem {
        Some(pem) => {
            let identity = tls::generate_server_identity()?;
            let config = tls::server_config(&identity, pem)?;
            Some((identity, config))
        }
        None => None,
    };

    let socket_parent = env("PLUGIN_UNIX_SOCKET_DIR").map(PathBuf::from);
    let bound = Arc::new(listener::bind(
        socket_parent.as_deref(),
        listener::port_range(env),
        true,
    )?);
    let address = bound.address()?;

    let shutdown = ShutdownSignal::new();
    watch_signals(&shutdown, opts.debug)?;
    if !opts.debug {
        watch_parent(&shutdown);
    }

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let incoming = listener::incoming(bound.clone(), tls.as_ref().map(|(_, cfg)| cfg.clone()));
    let router = Server::builder()
        .add_service(health_service)
        .add_service(
            ProviderServer::new(provider)
                .max_decoding_message_size(MAX_MESSAGE_SIZE)
                .max_encoding_message_size(MAX_MESSAGE_SIZE),
        )
        .add_service(GrpcControllerServer::new(Controller {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcStdioServer::new(Stdio {
            shutdown: shutdown.clone(),
        }));

    if opts.debug {
        print_reattach_instructions(&opts.address, &address)?;
    } else {
        let cert = tls.as_ref().map(|(identity, _)| identity.cert_der.as_ref());
        announce(&handshake::handshake_line(protocol, &address, cert))?;
    }
    tracing::debug!(
        network = address.network(),
        address = %address.to_dial_string(),
        tls = tls.is_some(),
        "plugin server listening"
    );

    let stop = shutdown.clone();
    let server = router.serve_with_incoming_shutdown(incoming, async move {
        stop.fired().await;
    });
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result?,
        reason = shutdown.fired() => {
            tracing::debug!(?reason, "stopping plugin server");
            match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
                Ok(result) => result?,
                Err(_) => tracing::warn!("in-flight calls did not finish in time; stopping anyway"),
            }
        }
    }
    // Dropping `bound` removes the socket directory.
    drop(bound);
    Ok(())
}

fn log_module(opts: &ServeOptions) -> String {
    if let Some(module) = &opts.log_module {
        return module.clone();
    }
    let exe = std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "terraform-provider".to_owned());
    format!("provider.{exe}")
}

/// Writes the handshake as the first stdout line and flushes it, so Terraform sees it now.
fn announce(line: &str) -> Result<(), PluginError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(line.as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush())
        .map_err(PluginError::Handshake)
}

/// The value of `TF_REATTACH_PROVIDERS` that points Terraform at this process.
pub fn reattach_json(provider_address: &str, pid: u32, network: &str, addr: &str) -> String {
    let mut entry = serde_json::Map::new();
    entry.insert(
        provider_address.to_owned(),
        serde_json::json!({
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": network, "String": addr },
        }),
    );
    serde_json::Value::Object(entry).to_string()
}

fn print_reattach_instructions(
    provider_address: &str,
    address: &Address,
) -> Result<(), PluginError> {
    let json = reattach_json(
        provider_address,
        std::process::id(),
        address.network(),
        &address.to_dial_string(),
    );
    let text = format!(
        "Provider {provider_address} is running in debug mode (pid {pid}).\n\
         Terraform will use this process instead of starting the provider itself once you set,\n\
         in the shell where you run Terraform:\n\n\
         \tTF_REATTACH_PROVIDERS='{json}'\n\n\
         Stop it with Ctrl-C; it keeps serving between Terraform runs until then.\n",
        pid = std::process::id()
    );
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(PluginError::Handshake)
}

/// SIGTERM stops gracefully. SIGINT is ignored in managed mode, as go-plugin servers do:
/// Ctrl-C reaches the whole process group, and Terraform answers it with `StopProvider`
/// followed by an orderly shutdown. In debug mode Ctrl-C is how the user stops us.
fn watch_signals(shutdown: &ShutdownSignal, debug: bool) -> Result<(), PluginError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(PluginError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(PluginError::Signals)?;
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(()) = term.recv() => {
                    shutdown.trigger(StopReason::Signal);
                    return;
                }
                Some(()) = int.recv() => {
                    if debug {
                        shutdown.trigger(StopReason::Signal);
                        return;
                    }
                    tracing::debug!("ignoring SIGINT; Terraform stops providers via StopProvider");
                }
                else => return,
            }
        }
    });
    Ok(())
}

/// How often a managed provider checks that Terraform is still there.
const PARENT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Stops the server when Terraform dies without shutting us down (SIGKILL, a crash): we are
/// then re-parented, and nobody will ever call us again. Go providers keep running in that
/// case until killed; on CI machines that run interrupted-apply tests, those linger.
/// (`PR_SET_PDEATHSIG` is not used: it fires when the parent's *thread* ends, and Go may end
/// the thread that started us while Terraform lives on.)
fn watch_parent(shutdown: &ShutdownSignal) {
    let parent = std::os::unix::process::parent_id();
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PARENT_CHECK_INTERVAL);
        loop {
            tokio::select! {
                _ = ticks.tick() => {
                    if std::os::unix::process::parent_id() != parent {
                        tracing::warn!(parent, "Terraform (the parent process) is gone; stopping");
                        shutdown.trigger(StopReason::ParentGone);
                        return;
                    }
                }
                _ = shutdown.fired() => return,
            }
        }
    });
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reattach_json_has_terraform_shape() {
        let json = reattach_json(
            "registry.terraform.io/powervs/dr",
            42,
            "unix",
            "/tmp/a/plugin.sock",
        );
        let value: serde_json::Value = serde_json::from_str(&json).expect("json");
        let entry = &value["registry.terraform.io/powervs/dr"];
        assert_eq!(entry["Protocol"], "grpc");
        assert_eq!(entry["ProtocolVersion"], 6);
        assert_eq!(entry["Pid"], 42);
        assert_eq!(entry["Test"], true);
        assert_eq!(entry["Addr"]["Network"], "unix");
        assert_eq!(entry["Addr"]["String"], "/tmp/a/plugin.sock");
    }

    #[test]
    fn options_derive_log_suffix_from_address() {
        let opts = ServeOptions::new("registry.terraform.io/powervs/dr");
        assert_eq!(opts.log_env_suffix.as_deref(), Some("DR"));
        assert!(!opts.debug);
        let opts = ServeOptions::new("example.com/acme/my-cloud").with_debug(true);
        assert_eq!(opts.log_env_suffix.as_deref(), Some("MY_CLOUD"));
        assert!(opts.debug);
    }

    #[test]
    fn refusal_message_is_go_plugins() {
        let text = PluginError::NotLaunchedByTerraform.to_string();
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(
            flat,
            "This binary is a plugin. These are not meant to be executed directly. \
             Please execute the program that consumes these plugins, which will load any \
             plugins automatically"
        );
        assert_eq!(PluginError::NotLaunchedByTerraform.exit_code(), 1);
    }
}
