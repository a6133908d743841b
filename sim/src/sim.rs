//! The shared emulator state every handler receives: the world behind one lock, the clock,
//! token checking, fault rules and request counters.
//!
//! One `tokio::sync::Mutex` around the whole [`World`] makes every request linearizable: a
//! handler that reads, decides and writes cannot interleave with another, so 64 concurrent
//! clients lose no update. Requests are short (no I/O under the lock except the state-file
//! write), so the single lock is not a throughput problem at emulator scale.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::HeaderMap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, MutexGuard};

use crate::persist::{self, PersistError};
use crate::scenario::Scenario;
use crate::store::World;
use crate::token::{AuthError, Claims, TokenSigner};
use crate::{SimConfig, SimError, util};

/// Default lifetime of an access token, as IAM's `expires_in`.
pub const DEFAULT_TOKEN_LIFETIME_SECONDS: u64 = 3600;

/// One fault rule of `POST /_sim/faults`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FaultRule {
    /// Applies to request paths starting with this (e.g. `/dra` or `/power/pcloud/v1`).
    pub path_prefix: String,
    /// Upper-case methods; empty means every method.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Probability in [0, 1] that a matching request fails with `status`.
    #[serde(default = "one")]
    pub rate: f64,
    /// HTTP status of the injected failure; absent means the rule only adds latency.
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub retry_after_seconds: Option<u64>,
    /// Delay added to every matching request, failing or not.
    #[serde(default)]
    pub latency_ms: u64,
    /// Handle the request (keeping whatever it wrote) before the failure replaces its answer:
    /// a write whose response is lost on the way back, as behind a gateway that times out.
    #[serde(default)]
    pub after_handler: bool,
}

fn one() -> f64 {
    1.0
}

/// The whole fault configuration, replaced as one by `POST /_sim/faults`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct FaultSet {
    #[serde(default)]
    pub rules: Vec<FaultRule>,
    /// Lifetime of tokens, also applied to tokens already issued (measured from their `iat`).
    #[serde(default)]
    pub token_lifetime_seconds: Option<u64>,
    /// PowerVS instances created while a rule matches end in `ERROR` with this fault.
    #[serde(default)]
    pub pvm_build_errors: Vec<PvmBuildError>,
    /// Faults of the SSH jump host and the KSYS hosts behind it.
    #[serde(default)]
    pub ssh_rules: Vec<SshFaultRule>,
}

/// What an SSH fault does.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SshFaultKind {
    /// The jump host closes a new TCP connection at once, or refuses to forward to a KSYS
    /// host (`connect failed: Connection refused`, as a jump host says).
    Refuse,
    /// The KSYS host's connection drops during a command: after `after_lines` output lines,
    /// or (without it) after the command has taken effect and before its exit status.
    Drop,
    /// Each output line of a command is delayed by `latency_ms`.
    Slow,
}

/// Which SSH server a fault applies to.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum SshTarget {
    Jump,
    #[default]
    Host,
}

/// One rule of `ssh_rules`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SshFaultRule {
    pub kind: SshFaultKind,
    #[serde(default)]
    pub target: SshTarget,
    /// A KSYS host's private IP; empty matches every host.
    #[serde(default)]
    pub host: String,
    /// Commands starting with this (drop, slow); empty matches every command.
    #[serde(default)]
    pub command_prefix: String,
    /// drop: the number of output lines sent before the connection drops.
    #[serde(default)]
    pub after_lines: Option<usize>,
    /// slow: delay before each output line.
    #[serde(default)]
    pub latency_ms: u64,
    #[serde(default = "one")]
    pub rate: f64,
    /// How many more times the rule may fire; absent means always.
    #[serde(default)]
    pub count: Option<u64>,
}

/// When a command's connection drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropPoint {
    AfterLines(usize),
    BeforeExitStatus,
}

/// The SSH faults drawn for one exec request.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ExecFault {
    pub drop: Option<DropPoint>,
    pub line_latency: Duration,
}

/// Makes new PowerVS instances fail their build (`status: ERROR`, `fault.message`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct PvmBuildError {
    /// Applies to instances whose `serverName` starts with this; empty matches all.
    #[serde(default)]
    pub server_name_prefix: String,
    /// `fault.message` of the failed instance.
    #[serde(default)]
    pub message: String,
}

impl FaultSet {
    /// Checks ranges so that a typo in a test shows up as a 400, not as odd behaviour.
    pub fn validate(&self) -> Result<(), String> {
        for (i, rule) in self.rules.iter().enumerate() {
            if !(0.0..=1.0).contains(&rule.rate) {
                return Err(format!(
                    "rules[{i}].rate must be within 0..1, got {}",
                    rule.rate
                ));
            }
            if let Some(status) = rule.status
                && !(100..=599).contains(&status)
            {
                return Err(format!(
                    "rules[{i}].status must be an HTTP status, got {status}"
                ));
            }
            if !rule.path_prefix.starts_with('/') {
                return Err(format!("rules[{i}].path_prefix must start with '/'"));
            }
            if rule.latency_ms > 60_000 {
                return Err(format!("rules[{i}].latency_ms must be at most 60000"));
            }
        }
        for (i, rule) in self.ssh_rules.iter().enumerate() {
            if !(0.0..=1.0).contains(&rule.rate) {
                return Err(format!(
                    "ssh_rules[{i}].rate must be within 0..1, got {}",
                    rule.rate
                ));
            }
            if rule.latency_ms > 60_000 {
                return Err(format!("ssh_rules[{i}].latency_ms must be at most 60000"));
            }
            if rule.target == SshTarget::Jump && rule.kind != SshFaultKind::Refuse {
                return Err(format!(
                    "ssh_rules[{i}]: the jump host supports kind refuse only; drop and slow apply to target host"
                ));
            }
            if rule.kind == SshFaultKind::Slow && rule.latency_ms == 0 {
                return Err(format!("ssh_rules[{i}]: kind slow needs latency_ms"));
            }
        }
        if self.token_lifetime_seconds == Some(0) {
            return Err("token_lifetime_seconds must be at least 1".into());
        }
        Ok(())
    }
}

/// What the fault middleware decided for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultDecision {
    pub latency: Duration,
    /// Status and Retry-After of an injected failure.
    pub failure: Option<(u16, Option<u64>)>,
    /// The failure replaces the answer of a request that was handled (see
    /// [`FaultRule::after_handler`]).
    pub after_handler: bool,
}

struct Faults {
    set: FaultSet,
    rng: ChaCha8Rng,
}

/// Count of requests per (method, route template, status); bounded by the number of routes.
#[derive(Default)]
struct Counters {
    total: u64,
    by_route: BTreeMap<(String, String, u16), u64>,
    /// SSH: connections to the jump host, forwarded sessions per KSYS host, and commands run
    /// (by their first words: `ksysmgr query vm`, `crontab -l`), so tests and benchmarks can
    /// see how many a refresh costs.
    ssh_connections: u64,
    ssh_sessions: BTreeMap<String, u64>,
    ssh_commands: BTreeMap<String, u64>,
    /// Tokens IAM issued, by grant (`apikey`, `refresh_token`), so a test can tell a refresh
    /// from a new login.
    iam_grants: BTreeMap<String, u64>,
    /// Secrets received, by `<service>.<field>` (`dra.managed_apikey`): never their values,
    /// only that a client sent one, so a test can see an argument reach the API.
    secrets_received: BTreeMap<String, u64>,
}

/// The first words of a command that name what it does: `ksysmgr -f query vm state=manage`
/// counts as `ksysmgr query vm` (the path and flags dropped).
pub fn command_label(command: &str) -> String {
    let mut words = command.split_whitespace();
    let Some(first) = words.next() else {
        return String::new();
    };
    let program = first.rsplit('/').next().unwrap_or(first);
    if program != "ksysmgr" {
        return std::iter::once(program)
            .chain(words.take(1))
            .collect::<Vec<_>>()
            .join(" ");
    }
    let rest: Vec<&str> = words
        .filter(|w| !w.starts_with('-') && !w.contains('='))
        .take(2)
        .collect();
    std::iter::once("ksysmgr")
        .chain(rest)
        .collect::<Vec<_>>()
        .join(" ")
}

/// How the world is seeded from a scenario and moved on in time. The service table provides it
/// (`services::WORLD_RULES`) and whoever builds the `Sim` hands it in, so the world depends on
/// no service.
#[derive(Clone, Copy)]
pub struct WorldRules {
    pub seed: fn(&mut World, &Scenario, u64),
    /// Applies every asynchronous transition due at the given time.
    pub advance: fn(&mut World, u64),
}

/// The running emulator's shared state.
pub struct Sim {
    config: SimConfig,
    rules: WorldRules,
    scenario: Scenario,
    world: Mutex<World>,
    signer: TokenSigner,
    faults: std::sync::Mutex<Faults>,
    counters: std::sync::Mutex<Counters>,
    /// Serialises state-file writes; holds the mutation generation last written.
    persisted_gen: Mutex<u64>,
    mutation_gen: AtomicU64,
    /// Where the SSH jump host listens, once it does.
    ssh_addr: std::sync::OnceLock<std::net::SocketAddr>,
    /// Bumped whenever a hold is released, so SSH streams paused at a hold wake up.
    hold_releases: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Loads the state file when it exists, else seeds the scenario.
    pub fn new(config: SimConfig, rules: WorldRules) -> Result<Sim, SimError> {
        if !(config.time_scale.is_finite() && config.time_scale > 0.0) {
            return Err(SimError::Config(format!(
                "--time-scale must be a positive number, got {}",
                config.time_scale
            )));
        }
        let scenario = match &config.scenario {
            Some(path) => Scenario::load(path)?,
            None => Scenario::default(),
        };
        let loaded = match &config.state_file {
            Some(path) => persist::load(path)?,
            None => None,
        };
        let world = match loaded {
            Some(world) => world,
            None => Self::seeded_world(rules, &scenario, config.seed),
        };
        let sim = Sim {
            signer: TokenSigner::new(config.seed),
            faults: std::sync::Mutex::new(Faults {
                set: FaultSet::default(),
                rng: ChaCha8Rng::seed_from_u64(config.seed),
            }),
            counters: std::sync::Mutex::new(Counters::default()),
            persisted_gen: Mutex::new(0),
            mutation_gen: AtomicU64::new(0),
            ssh_addr: std::sync::OnceLock::new(),
            hold_releases: tokio::sync::watch::Sender::new(0),
            world: Mutex::new(world),
            scenario,
            config,
            rules,
        };
        Ok(sim)
    }

    fn seeded_world(rules: WorldRules, scenario: &Scenario, seed: u64) -> World {
        let mut world = World::new(seed);
        (rules.seed)(&mut world, scenario, util::now_ms());
        world
    }

    /// The world, locked, with every due asynchronous transition applied.
    pub async fn world(&self) -> MutexGuard<'_, World> {
        let mut world = self.world.lock().await;
        (self.rules.advance)(&mut world, util::now_ms());
        world
    }

    /// Puts the world back to the scenario's initial state (`POST /_sim/reset`).
    pub async fn reset(&self) {
        let fresh = Self::seeded_world(self.rules, &self.scenario, self.config.seed);
        *self.world.lock().await = fresh;
        // The fresh world has no holds: whatever waited on one goes on.
        self.holds_released();
    }

    /// Tells everything paused at a hold that some hold was released (or all were dropped).
    pub fn holds_released(&self) {
        self.hold_releases.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every later [`Sim::holds_released`]; subscribe before checking
    /// whether a hold still applies, so no release is missed.
    pub fn watch_hold_releases(&self) -> tokio::sync::watch::Receiver<u64> {
        self.hold_releases.subscribe()
    }

    /// Records where the SSH jump host listens (once, at start).
    pub fn set_ssh_addr(&self, addr: std::net::SocketAddr) {
        let _ = self.ssh_addr.set(addr);
    }

    /// Where the SSH jump host listens, if it was started.
    pub fn ssh_addr(&self) -> Option<std::net::SocketAddr> {
        self.ssh_addr.get().copied()
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The account every object belongs to.
    pub fn account_id(&self) -> &str {
        &self.scenario.account_id
    }

    pub fn now_ms(&self) -> u64 {
        util::now_ms()
    }

    pub fn now_rfc3339(&self) -> String {
        util::rfc3339(util::now_ms())
    }

    /// The absolute deadline (epoch ms) of a transition that takes `real_duration` in the real
    /// cloud, shortened or stretched by `--time-scale`.
    pub fn deadline_after(&self, real_duration: Duration) -> u64 {
        let scaled = real_duration.as_secs_f64() * 1000.0 / self.config.time_scale;
        util::now_ms().saturating_add(scaled.max(0.0).round() as u64)
    }

    pub fn signer(&self) -> &TokenSigner {
        &self.signer
    }

    /// Lifetime given to new tokens (the faults' `token_lifetime_seconds`, else 3600).
    pub fn token_lifetime_seconds(&self) -> u64 {
        self.with_faults(|f| f.set.token_lifetime_seconds)
            .unwrap_or(DEFAULT_TOKEN_LIFETIME_SECONDS)
    }

    /// Checks `Authorization: Bearer <token>`: issued by this emulator and not expired.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Claims, AuthError> {
        let value = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AuthError::Missing)?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing)?;
        let claims = self.signer.verify_access(token)?;
        let now_s = util::now_ms() / 1000;
        let mut expiry = claims.exp;
        if let Some(lifetime) = self.with_faults(|f| f.set.token_lifetime_seconds) {
            expiry = expiry.min(claims.iat.saturating_add(lifetime));
        }
        if now_s >= expiry {
            return Err(AuthError::Expired);
        }
        Ok(claims)
    }

    fn with_faults<T>(&self, f: impl FnOnce(&mut Faults) -> T) -> T {
        with_locked(&self.faults, f)
    }

    /// Replaces the fault set and reseeds its generator, so the same rules and seed give the
    /// same sequence of failures.
    pub fn set_faults(&self, set: FaultSet) {
        let seed = self.config.seed;
        self.with_faults(|f| {
            f.set = set;
            f.rng = ChaCha8Rng::seed_from_u64(seed);
        });
    }

    pub fn faults(&self) -> FaultSet {
        self.with_faults(|f| f.set.clone())
    }

    /// Draws the fault outcome for one request.
    pub fn decide_fault(&self, method: &str, path: &str) -> FaultDecision {
        self.with_faults(|f| {
            let mut decision = FaultDecision::default();
            let Faults { set, rng } = f;
            for rule in &set.rules {
                let method_matches = rule.methods.is_empty()
                    || rule.methods.iter().any(|m| m.eq_ignore_ascii_case(method));
                if !method_matches || !path.starts_with(&rule.path_prefix) {
                    continue;
                }
                decision.latency += Duration::from_millis(rule.latency_ms);
                if let Some(status) = rule.status
                    && decision.failure.is_none()
                    && rule.rate > 0.0
                    && rng.random::<f64>() < rule.rate
                {
                    decision.failure = Some((status, rule.retry_after_seconds));
                    decision.after_handler = rule.after_handler;
                }
            }
            decision
        })
    }

    /// Draws the SSH rules that match `applies`: each fires with its rate while its count
    /// lasts, and firing uses one of its count.
    fn draw_ssh(&self, applies: impl Fn(&SshFaultRule) -> bool) -> Vec<SshFaultRule> {
        self.with_faults(|f| {
            let Faults { set, rng } = f;
            let mut fired = Vec::new();
            for rule in &mut set.ssh_rules {
                if !applies(rule) || rule.count == Some(0) || rule.rate <= 0.0 {
                    continue;
                }
                if rng.random::<f64>() < rule.rate {
                    if let Some(count) = rule.count.as_mut() {
                        *count -= 1;
                    }
                    fired.push(rule.clone());
                }
            }
            fired
        })
    }

    /// Whether the jump host refuses a new TCP connection.
    pub fn ssh_refuses_jump(&self) -> bool {
        !self
            .draw_ssh(|r| r.kind == SshFaultKind::Refuse && r.target == SshTarget::Jump)
            .is_empty()
    }

    /// Whether the jump host refuses to forward to the KSYS host at `address`.
    pub fn ssh_refuses_host(&self, address: &str) -> bool {
        !self
            .draw_ssh(|r| {
                r.kind == SshFaultKind::Refuse
                    && r.target == SshTarget::Host
                    && (r.host.is_empty() || r.host == address)
            })
            .is_empty()
    }

    /// The drop and slow faults of one command on the KSYS host at `address`.
    pub fn ssh_exec_fault(&self, address: &str, command: &str) -> ExecFault {
        let fired = self.draw_ssh(|r| {
            matches!(r.kind, SshFaultKind::Drop | SshFaultKind::Slow)
                && r.target == SshTarget::Host
                && (r.host.is_empty() || r.host == address)
                && command.trim_start().starts_with(r.command_prefix.as_str())
        });
        let mut fault = ExecFault::default();
        for rule in fired {
            match rule.kind {
                SshFaultKind::Drop if fault.drop.is_none() => {
                    fault.drop = Some(match rule.after_lines {
                        Some(n) => DropPoint::AfterLines(n),
                        None => DropPoint::BeforeExitStatus,
                    });
                }
                SshFaultKind::Slow => {
                    fault.line_latency += Duration::from_millis(rule.latency_ms);
                }
                _ => {}
            }
        }
        fault
    }

    fn with_counters<T>(&self, f: impl FnOnce(&mut Counters) -> T) -> T {
        with_locked(&self.counters, f)
    }

    pub fn count_request(&self, method: &str, route: &str, status: u16) {
        self.with_counters(|c| {
            c.total += 1;
            *c.by_route
                .entry((method.to_owned(), route.to_owned(), status))
                .or_insert(0) += 1;
        });
    }

    /// `{"total": N, "by_route": [{method, route, status, count}]}`.
    pub fn request_counts(&self) -> serde_json::Value {
        self.with_counters(|c| {
            let by_route: Vec<serde_json::Value> = c
                .by_route
                .iter()
                .map(|((method, route, status), count)| {
                    serde_json::json!({"method": method, "route": route, "status": status, "count": count})
                })
                .collect();
            let commands: Vec<serde_json::Value> = c
                .ssh_commands
                .iter()
                .map(|(command, count)| serde_json::json!({"command": command, "count": count}))
                .collect();
            let sessions: Vec<serde_json::Value> = c
                .ssh_sessions
                .iter()
                .map(|(host, count)| serde_json::json!({"host": host, "count": count}))
                .collect();
            serde_json::json!({
                "total": c.total,
                "by_route": by_route,
                "ssh": {
                    "connections": c.ssh_connections,
                    "sessions": sessions,
                    "commands": commands,
                },
                "iam": {"grants": c.iam_grants},
                "secrets_received": c.secrets_received,
            })
        })
    }

    /// Counts a token IAM issued with the grant `kind` (`apikey`, `refresh_token`).
    pub fn count_iam_grant(&self, kind: &str) {
        self.with_counters(|c| *c.iam_grants.entry(kind.to_string()).or_default() += 1);
    }

    /// Counts a secret field (`dra.managed_apikey`) a client sent; the value is not kept.
    pub fn count_secret_received(&self, field: &str) {
        self.with_counters(|c| *c.secrets_received.entry(field.to_string()).or_default() += 1);
    }

    /// Counts a connection to the jump host.
    pub fn count_ssh_connection(&self) {
        self.with_counters(|c| c.ssh_connections += 1);
    }

    /// Counts a session forwarded to the KSYS host at `address`.
    pub fn count_ssh_session(&self, address: &str) {
        self.with_counters(|c| *c.ssh_sessions.entry(address.to_string()).or_default() += 1);
    }

    /// Counts a command run on a KSYS host.
    pub fn count_ssh_command(&self, command: &str) {
        let label = command_label(command);
        self.with_counters(|c| *c.ssh_commands.entry(label).or_default() += 1);
    }

    pub fn clear_request_counts(&self) {
        self.with_counters(|c| *c = Counters::default());
    }

    /// Called after a request that may have changed the world: returns once a state file
    /// containing that change is on disk (no-op without `--state`). Concurrent callers share
    /// one write when a single snapshot already covers their change.
    pub async fn persist_after_mutation(&self) -> Result<(), PersistError> {
        let Some(path) = self.config.state_file.clone() else {
            return Ok(());
        };
        let my_gen = self.mutation_gen.fetch_add(1, Ordering::SeqCst) + 1;
        let mut persisted = self.persisted_gen.lock().await;
        if *persisted >= my_gen {
            return Ok(());
        }
        // Read the generation before the snapshot: every change counted so far is in it.
        let covered = self.mutation_gen.load(Ordering::SeqCst);
        let bytes = persist::encode(&*self.world.lock().await);
        write_in_background(path, bytes).await?;
        *persisted = covered;
        Ok(())
    }
}

async fn write_in_background(path: PathBuf, bytes: Vec<u8>) -> Result<(), PersistError> {
    let target = path.clone();
    match tokio::task::spawn_blocking(move || persist::write_atomic(&target, &bytes)).await {
        Ok(result) => result,
        Err(join) => Err(PersistError::Write {
            path,
            source: std::io::Error::other(join.to_string()),
        }),
    }
}

/// Runs `f` on what `mutex` guards; a panic elsewhere does not make the data unusable (faults
/// and counters are plain settings and tallies).
fn with_locked<D, T>(mutex: &std::sync::Mutex<D>, f: impl FnOnce(&mut D) -> T) -> T {
    let mut guard = mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut guard)
}

#[cfg(test)]
mod tests {
    use super::command_label;

    #[test]
    fn commands_are_counted_by_what_they_do() {
        assert_eq!(
            command_label("/opt/IBM/ksys/ksysmgr -f query vm state=manage"),
            "ksysmgr query vm"
        );
        assert_eq!(
            command_label("ksysmgr -f move site from=a to=b"),
            "ksysmgr move site"
        );
        assert_eq!(command_label("crontab -l"), "crontab -l");
        assert_eq!(command_label("date -u +%Y"), "date -u");
    }
}
