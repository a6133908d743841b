//! What a command on an emulated KSYS host runs with and what it prints: the vocabulary the
//! shell ([`super::exec`]), `ksysmgr`'s commands and the long operations ([`super::ops`])
//! share. It sits below all of them so that none of them has to reach up into another.

use serde::{Deserialize, Serialize};

/// The host a command runs on.
#[derive(Debug, Clone, PartialEq)]
pub struct Ctx {
    /// The KSYS cluster (= DR instance GUID).
    pub cluster_id: String,
    pub hostname: String,
    /// The orchestrator VM's PowerVS id.
    pub vm_id: String,
}

/// What a command runs with: the time it starts and the time scale of its deadlines.
#[derive(Debug, Clone, Copy)]
pub struct Env {
    pub now_ms: u64,
    pub time_scale: f64,
}

/// One output line and when it is printed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Line {
    pub at: u64,
    pub text: String,
    #[serde(default)]
    pub stderr: bool,
}

/// What a command prints and how it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub lines: Vec<Line>,
    pub exit_code: u32,
    /// When the exit status is sent (after the last line).
    pub finish_ms: u64,
    /// The long operation printing these lines and its hold points (see [`crate::holds`]):
    /// a stream pauses where the operation is held.
    pub operation: Option<(String, Vec<HoldPoint>)>,
}

impl Output {
    /// Lines printed at once.
    pub fn now(env: Env, stdout: Vec<String>, stderr: Vec<String>, exit_code: u32) -> Output {
        let mut lines: Vec<Line> = stdout
            .into_iter()
            .map(|text| Line {
                at: env.now_ms,
                text,
                stderr: false,
            })
            .collect();
        lines.extend(stderr.into_iter().map(|text| Line {
            at: env.now_ms,
            text,
            stderr: true,
        }));
        Output {
            lines,
            exit_code,
            finish_ms: env.now_ms,
            operation: None,
        }
    }

    pub fn ok(env: Env, stdout: Vec<String>) -> Output {
        Output::now(env, stdout, Vec::new(), 0)
    }

    /// One `ERROR: ...` line on stderr.
    pub fn error(env: Env, exit_code: u32, message: impl AsRef<str>) -> Output {
        Output::now(
            env,
            Vec::new(),
            vec![format!("ERROR: {}", message.as_ref())],
            exit_code,
        )
    }

    /// Lines on stderr as given (no `ERROR:` prefix added).
    pub fn stderr(env: Env, lines: Vec<String>, exit_code: u32) -> Output {
        Output::now(env, Vec::new(), lines, exit_code)
    }

    /// The same output ending with another exit status.
    pub fn with_code(mut self, code: u32) -> Output {
        self.exit_code = code;
        self
    }
}

/// A named point of an operation's timeline where a test hold can stop it: nothing after
/// `at` happens while the hold stops the operation there.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HoldPoint {
    pub point: String,
    pub at: u64,
}
