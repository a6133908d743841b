//! SSH to the DR orchestrator LPARs, where KSYS's `ksysmgr` runs.
//!
//! IBM publishes no REST call for managed VMs, workgroups, moves or DR tests; the documented
//! interface is `ksysmgr`, run as root on the orchestrator. So the provider speaks SSH
//! itself (pure Rust, `russh`): no `ssh` binary is needed where Terraform runs (IBM
//! Schematics included), and no ssh_config of the user's changes what the provider does.
//!
//! Shape, and why:
//! - One connection per orchestrator host per provider process ([`SshPool`]), commands
//!   multiplexed as channels: a refresh of hundreds of VMs costs one handshake, and the
//!   orchestrator's sshd sees one login, not hundreds.
//! - An optional jump host (the landing zone's bastion): one connection to it per pool,
//!   a `direct-tcpip` channel per orchestrator, and an SSH session over that channel.
//!   Both hops check host keys ([`host_keys`], [`known_hosts`]) before sending anything.
//! - A command's channel is never closed from our side: a caller that stops waiting leaves
//!   it to a task that drains it until the command exits ([`exec`]), because closing it
//!   could hang up a KSYS move half-way.
//! - Errors say whether the command may have run ([`SshError::outcome_unknown`]), so callers
//!   re-read the orchestrator's state instead of repeating a move.
//!
//! Layout: `settings` (what the provider block gives, and its parsers), `known_hosts`
//! (OpenSSH file format), `host_keys` (trust decisions), `connection` (handshake, login),
//! `exec` (one command on one channel), `pool` (connections per host, reconnects),
//! `error`.

pub mod connection;
pub mod error;
pub mod exec;
pub mod host_keys;
pub mod known_hosts;
pub mod pool;
pub mod settings;

pub use error::SshError;
pub use exec::{ExecOutput, ExecRequest};
pub use pool::SshPool;
pub use settings::{JumpHostSettings, SshSettings, StrictHostKeyChecking};

/// Two ed25519 public key lines, for the tests of SSH trust and of the provider block.
#[cfg(test)]
pub(crate) mod test_keys {
    pub const ED_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMqXgRLKG73K+sIxs5oj3E2nhu/4FHxOcrmAd4Wv7ki7";
    pub const ED_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID4j6BYAOVlKM4lPZWThsTSLvXoAiNQsSstz7q7VnACd";
}
