//! dr-cloudsim: a faithful local emulator of the IBM Cloud APIs that terraform-provider-dr
//! calls (IAM, Resource Controller + Global Catalog + Resource Manager, PowerVS, VPC,
//! Transit Gateway, DR Automation), so the provider can be developed, demonstrated and
//! tested with no IBM Cloud account. `docs/guides/dr-cloudsim.md` describes it from the
//! outside; this is the inside contract, which every service module keeps.
//!
//! # Core contract for service modules
//!
//! - **Starting**: [`start`]`(`[`SimConfig`]`)` binds the HTTP and SSH listeners (port 0
//!   picks one) and returns a [`RunningSim`] with `addr`, `ssh_addr`, `url()`
//!   (`http://127.0.0.1:PORT`) and `shutdown()`.
//!   [`app`]`(Arc<Sim>)` is the whole `axum::Router`, for in-process use.
//! - **State** ([`store::World`]): `services[service][collection][id] = serde_json::Value`,
//!   services `iam rc power vpc tg dra ksys`. Objects are stored exactly as the API shows them;
//!   keys starting with `_` are internal (owner, deadlines, secrets) and
//!   [`store::public_view`] strips them from answers and `/_sim/state`. Helpers: `get`,
//!   `get_mut`, `insert`, `remove`, `list`, `find`, `ids_where`, `has_room`, and
//!   `new_id()` (uuid-v4-shaped, reproducible per seed, never reused after a restart).
//! - **Locking**: `sim.world().await` locks the ONE world mutex after running every
//!   service's `advance(world, now_ms)`; hold the guard for the whole read-decide-write of a
//!   request (linearizable, no lost updates) and do no slow work under it.
//! - **Time**: asynchronous transitions store absolute deadlines (epoch ms) computed with
//!   `sim.deadline_after(real_duration)` (divides by `--time-scale`), and the service's
//!   `advance` applies every transition whose deadline has passed. Compute all deadlines of
//!   a chain up front, because `advance` does not see the time scale. `sim.now_ms()`,
//!   `sim.now_rfc3339()`, [`util::rfc3339`].
//! - **Persistence**: after every POST/PUT/PATCH/DELETE the middleware writes the world to
//!   `--state` atomically before the response leaves; handlers do nothing for it.
//! - **Auth**: `sim.authenticate(&headers) -> Result<token::Claims, token::AuthError>`
//!   (signature, expiry incl. the faults' `token_lifetime_seconds`); each service turns an
//!   `AuthError` into its own 401 body.
//! - **Helpers**: [`util::crn`] (`crn:v1:bluemix:public:<svc>:<loc>:a/<account>:<guid>::`),
//!   [`util::guid_of_crn`], `sim.account_id()`, `sim.scenario()` ([`scenario::Scenario`]).
//! - **Service module shape** (`services/<name>.rs` or `services/<name>/mod.rs`, one row of
//!   [`services::SERVICES`]): `pub fn router() -> Router<Arc<Sim>>`
//!   (paths below its prefix: `/iam /rc /gc /rm /power /vpc /tg /dra`),
//!   `pub fn advance(world: &mut World, now_ms: u64)`,
//!   `pub fn seed(world: &mut World, scenario: &Scenario, now_ms: u64)` (order: iam, rc,
//!   power, vpc, tg, dra; later seeds may read earlier ones' objects), and
//!   `pub fn error_response(status: StatusCode, message: &str) -> Response` in the service's
//!   own error body ([`services::kit::IbmError`] with the service's style), used for injected
//!   faults.
//! - **Cross-service hooks**: a service that changes what others hold announces it with
//!   [`services::notify`] and a [`services::WorldEvent`]; every service with an `on_event` in
//!   the table follows. Deleting a `power-iaas` instance through RC removes the workspace
//!   (`power`) and detaches its gateway connections (`tg`); deleting a DR Automation instance
//!   removes its deployment, orchestrator VMs and KSYS cluster (`dra`).
//!   `power::create_instance(world, sim, workspace_guid, &spec) -> Result<Value, PowerError>`
//!   creates a VM from a PVMInstanceCreate body (used by the DR deployment for orchestrator
//!   VMs); it honours the faults' `pvm_build_errors`.
//! - **Faults** (`POST /_sim/faults`, [`sim::FaultSet`]): `rules` (path prefix, methods,
//!   rate, status, Retry-After, latency), `token_lifetime_seconds`, `pvm_build_errors`
//!   (`[{server_name_prefix, message}]`: matching new PowerVS VMs end in `ERROR`) and
//!   `ssh_rules` (refused connections, dropped connections, slow output; see [`ssh`]).
//! - **SSH** ([`ssh`]): a jump host on `--ssh-listen`, and every orchestrator VM of a
//!   deployed DR instance as a KSYS host behind it, running `ksysmgr` against the KSYS
//!   service ([`services::ksys`]) of the same World. Commands that change the world write the
//!   state file before their exit status is sent.
//! - **Middleware** (all routes): request counters by (method, `MatchedPath`, status) for
//!   `/_sim/requests`; faults from `/_sim/faults`; persistence. `/_sim/*`, `/healthz` and
//!   `/endpoints.json` are neither counted nor faulted.

pub mod control;
pub mod holds;
pub mod password;
pub mod persist;
pub mod scenario;
pub mod services;
pub mod sim;
pub mod ssh;
pub mod store;
pub mod token;
pub mod util;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;

pub use crate::scenario::Scenario;
pub use crate::sim::Sim;
pub use crate::store::World;

/// How to run the emulator (the `serve` flags).
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub listen: SocketAddr,
    /// `--ssh-listen`: where the SSH jump host listens (port 0 picks one).
    pub ssh_listen: SocketAddr,
    /// `--state FILE`: load it when present, write every change to it.
    pub state_file: Option<PathBuf>,
    /// `--scenario FILE` (JSON); the default scenario (`docs/guides/dr-cloudsim.md`) otherwise.
    pub scenario: Option<PathBuf>,
    pub api_key: String,
    /// Factor applied to the speed of every asynchronous transition (2.0 = twice as fast).
    pub time_scale: f64,
    /// Seeds ids and the fault generator.
    pub seed: u64,
}

/// The API key the default configuration accepts.
pub const DEFAULT_API_KEY: &str = "sim-api-key";

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ssh_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_file: None,
            scenario: None,
            api_key: DEFAULT_API_KEY.to_owned(),
            time_scale: 1.0,
            seed: 1,
        }
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Scenario(#[from] scenario::ScenarioError),
    #[error(transparent)]
    State(#[from] persist::PersistError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The whole HTTP surface: every service under its prefix, the control routes, and the
/// middleware (counters outermost, then faults, then persistence next to the handler).
pub fn app(sim: Arc<Sim>) -> Router {
    services::router()
        .merge(control::router())
        .fallback(control::unknown_route)
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            control::persist_writes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            control::inject_faults,
        ))
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            control::count_requests,
        ))
        .with_state(sim)
}

/// A started emulator.
#[derive(Debug)]
pub struct RunningSim {
    pub addr: SocketAddr,
    /// Where the SSH jump host listens.
    pub ssh_addr: SocketAddr,
    pub sim: Arc<Sim>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    ssh: Option<ssh::SshServer>,
}

impl RunningSim {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(ssh) = self.ssh.take() {
            ssh.shutdown().await;
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Builds the emulator (loading `--state` or seeding the scenario) and starts serving.
pub async fn start(config: SimConfig) -> Result<RunningSim, SimError> {
    let listen = config.listen;
    let sim = Arc::new(Sim::new(config, services::WORLD_RULES)?);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        addr: listen,
        source,
    })?;
    let ssh_listen = sim.config().ssh_listen;
    let ssh = ssh::start(sim.clone(), ssh_listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: ssh_listen,
            source,
        })?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let router = app(sim.clone());
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "dr-cloudsim server stopped");
        }
    });
    Ok(RunningSim {
        addr,
        ssh_addr: ssh.addr,
        sim,
        shutdown: Some(tx),
        task,
        ssh: Some(ssh),
    })
}
