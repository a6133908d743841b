//! The one error type of the SSH transport.
//!
//! What a caller must decide after a failed `exec` is whether running the command again is
//! safe. So every variant answers two questions: [`SshError::is_retryable`] (the command
//! certainly did not start and the cause may pass) and [`SshError::outcome_unknown`] (the
//! command may have run, fully or in part: re-read the orchestrator's state before deciding).
//! Messages never hold a secret: the pool scrubs every text that comes from outside.

use std::time::Duration;

/// A failed connection or command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshError {
    /// The TCP connection or the SSH handshake to `host` failed.
    #[error("cannot connect to {host} over SSH: {cause}")]
    Connect { host: String, cause: String },

    /// The jump host itself failed (connect, host key, login); `source` says how.
    #[error("through jump host {address}: {source}")]
    JumpHost {
        address: String,
        #[source]
        source: Box<SshError>,
    },

    /// The jump host would not forward to `target` (`direct-tcpip` refused).
    #[error("jump host {address} refused to forward to {target}: {reason}")]
    JumpRefused {
        address: String,
        target: String,
        reason: String,
        /// Whether the jump host said it could not reach the target (transient), rather than
        /// that forwarding there is not allowed.
        transient: bool,
    },

    /// The host presented a key other than the one(s) expected: nothing was sent to it.
    #[error(
        "the SSH host key of {host} has changed (or this is not {host}): it presented {presented_fingerprint}, \
         expected {}. Nothing was run. If the host was rebuilt on purpose, update {remedy}.",
        expected.join(" or ")
    )]
    HostKeyMismatch {
        host: String,
        presented_fingerprint: String,
        /// Fingerprints trusted for this host, each with where it came from.
        expected: Vec<String>,
        /// What to update: the pinned host_keys or the known_hosts file.
        remedy: String,
    },

    /// The host key is listed as revoked in the known_hosts file.
    #[error(
        "the SSH host key {fingerprint} of {host} is marked @revoked in {file}; refusing to connect"
    )]
    HostKeyRevoked {
        host: String,
        fingerprint: String,
        file: String,
    },

    /// Nothing vouches for the host's key and strict checking is on: nothing was sent to it.
    #[error("the SSH host key of {host} is not known ({fingerprint}); {hint}")]
    HostKeyUnknown {
        host: String,
        fingerprint: String,
        hint: String,
    },

    /// Every configured login method was refused.
    #[error("SSH login as {user} on {host} was refused (tried {tried})")]
    Auth {
        host: String,
        user: String,
        tried: String,
    },

    /// The connection broke. With `command_started` the command may have run in part or in full.
    #[error("{}", connection_lost_message(host, *command_started))]
    ConnectionLost { host: String, command_started: bool },

    /// The server closed the command's channel without an exit status.
    #[error(
        "{host} closed the command's channel without reporting an exit status; its outcome is unknown"
    )]
    NoExitStatus { host: String },

    /// The connect timeout or the command's timeout ran out.
    #[error("{}", timeout_message(host, what, *after, *command_started))]
    Timeout {
        host: String,
        /// What was waited for: `connecting` or `the command`.
        what: String,
        after: Duration,
        command_started: bool,
    },

    /// The provider was asked to stop.
    #[error("{}", if *command_started {
        "stopped waiting for the remote command (it keeps running on the host; its outcome is unknown)"
    } else {
        "cancelled before the remote command was started"
    })]
    Cancelled { command_started: bool },

    /// The server broke the protocol or refused a request it should accept.
    #[error("SSH protocol error with {host}: {message}")]
    Protocol { host: String, message: String },

    /// The settings cannot be used (bad key text, bad address, unwritable known_hosts file).
    #[error("invalid SSH settings: {0}")]
    Config(String),
}

fn connection_lost_message(host: &str, command_started: bool) -> String {
    if command_started {
        format!(
            "the SSH connection to {host} was lost while the command ran; whether it completed is unknown"
        )
    } else {
        format!("the SSH connection to {host} was lost before the command was started")
    }
}

fn timeout_message(host: &str, what: &str, after: Duration, command_started: bool) -> String {
    let tail = if command_started {
        " (the command keeps running on the host; its outcome is unknown)"
    } else {
        ""
    };
    format!("timed out after {after:?} {what} on {host}{tail}")
}

impl SshError {
    /// True when the command certainly did not run and trying again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            SshError::Connect { .. } => true,
            SshError::JumpHost { source, .. } => source.is_retryable(),
            SshError::JumpRefused { transient, .. } => *transient,
            SshError::ConnectionLost {
                command_started, ..
            }
            | SshError::Timeout {
                command_started, ..
            } => !command_started,
            SshError::HostKeyMismatch { .. }
            | SshError::HostKeyRevoked { .. }
            | SshError::HostKeyUnknown { .. }
            | SshError::Auth { .. }
            | SshError::NoExitStatus { .. }
            | SshError::Cancelled { .. }
            | SshError::Protocol { .. }
            | SshError::Config(_) => false,
        }
    }

    /// True when the command may have run: the caller must re-read state before acting again.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            SshError::ConnectionLost {
                command_started, ..
            }
            | SshError::Timeout {
                command_started, ..
            }
            | SshError::Cancelled { command_started } => *command_started,
            SshError::NoExitStatus { .. } => true,
            _ => false,
        }
    }

    /// True for every refusal of a host key (changed, revoked, unknown), at either hop.
    pub fn is_host_key_error(&self) -> bool {
        match self {
            SshError::HostKeyMismatch { .. }
            | SshError::HostKeyRevoked { .. }
            | SshError::HostKeyUnknown { .. } => true,
            SshError::JumpHost { source, .. } => source.is_host_key_error(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_and_outcome_follow_whether_the_command_started() {
        let lost = |started| SshError::ConnectionLost {
            host: "10.0.0.1".into(),
            command_started: started,
        };
        assert!(lost(false).is_retryable() && !lost(false).outcome_unknown());
        assert!(!lost(true).is_retryable() && lost(true).outcome_unknown());
        let refused = SshError::Connect {
            host: "h".into(),
            cause: "connection refused".into(),
        };
        let through_jump = SshError::JumpHost {
            address: "j:22".into(),
            source: Box::new(refused.clone()),
        };
        assert!(refused.is_retryable() && through_jump.is_retryable());
        let changed = SshError::HostKeyMismatch {
            host: "h".into(),
            presented_fingerprint: "SHA256:x".into(),
            expected: vec!["SHA256:y (host_keys)".into()],
            remedy: "orchestrator_ssh.host_keys".into(),
        };
        assert!(!changed.is_retryable() && !changed.outcome_unknown());
        assert!(changed.is_host_key_error());
        assert!(
            SshError::Cancelled {
                command_started: true
            }
            .outcome_unknown()
        );
    }

    #[test]
    fn a_changed_key_message_names_host_presented_and_expected() {
        let text = SshError::HostKeyMismatch {
            host: "10.51.0.23".into(),
            presented_fingerprint: "SHA256:presented".into(),
            expected: vec!["SHA256:a (host_keys)".into(), "SHA256:b (known:3)".into()],
            remedy: "orchestrator_ssh.host_keys".into(),
        }
        .to_string();
        for part in [
            "10.51.0.23",
            "SHA256:presented",
            "SHA256:a (host_keys) or SHA256:b (known:3)",
            "Nothing was run",
        ] {
            assert!(text.contains(part), "{text}");
        }
    }
}
