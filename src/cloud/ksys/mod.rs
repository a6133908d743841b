//! The DR orchestrator's own interface: KSYS `ksysmgr`, run as root over SSH.
//!
//! IBM publishes no REST call for what only the orchestrator can do (managing VMs, workgroup
//! priorities, discovery, site moves, DR tests and their cleanup); it documents the `ksysmgr`
//! command of the KSYS LPAR it deploys, and its own UI drives the same thing. This client runs
//! those commands through a [`Shell`] (the SSH pool in production, a scripted fake in unit
//! tests), turns exit codes into [`KsysError`]s, and parses the output as IBM prints it.
//!
//! An orchestrator is reached at the addresses DR Automation reports for it: the primary's IP
//! first, then the standby's when the deployment is HA and the primary does not answer. A
//! command is only repeated on another host when the first could not be reached at all; once a
//! command may have started, its outcome is the caller's to establish by reading state again.
//!
//! Layout: [`command`] (command lines), [`parse`] (query output), [`crontab`] (DR test
//! schedules in root's crontab).

pub mod command;
pub mod crontab;
pub mod parse;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use command::{Class, KsysCommand, Verb};
use parse::{Cluster, KsysVm, Priority, Site, Workgroup};

/// One command for a [`Shell`].
pub struct ShellRequest<'a> {
    pub command: &'a str,
    pub stdin: Option<&'a [u8]>,
    pub timeout: Option<Duration>,
    /// Gets each complete stdout line as it arrives (progress of long commands).
    pub on_stdout_line: Option<&'a (dyn Fn(&str) + Send + Sync)>,
}

/// What a command printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShellOutput {
    pub exit_status: u32,
    pub stdout: String,
    pub stderr: String,
}

/// Why a command could not be run or finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellErrorKind {
    /// No connection could be made to the host (nothing was run): another host may be tried.
    Unreachable,
    /// The host's key is not the expected one (nothing was run).
    HostKey,
    /// The host refused the credentials (nothing was run).
    Auth,
    /// The connection broke; when `command_started`, the command may have taken effect.
    ConnectionLost {
        command_started: bool,
    },
    Timeout,
    Cancelled,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellError {
    pub kind: ShellErrorKind,
    /// Already free of secrets.
    pub message: String,
}

/// Runs commands on orchestrator hosts. The SSH pool is the real one.
#[async_trait]
pub trait Shell: Send + Sync + fmt::Debug {
    async fn exec(&self, host: &str, request: ShellRequest<'_>) -> Result<ShellOutput, ShellError>;
}

/// Errors of the orchestrator layer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KsysError {
    #[error(
        "the orchestrator is reached over SSH, and the provider has no orchestrator_ssh \
         configuration (block orchestrator_ssh, or DR_ORCHESTRATOR_SSH_* variables)"
    )]
    NotConfigured,
    #[error("DR Automation reports no IP address for the orchestrator of {instance_id} yet")]
    NoAddress { instance_id: String },
    #[error(
        "{word:?} cannot be sent to ksysmgr: names and values may only hold letters, digits and \
         _ - . : , (KSYS refuses spaces)"
    )]
    BadWord { word: String },
    #[error("cannot reach the orchestrator at {hosts}: {message}")]
    Unreachable { hosts: String, message: String },
    #[error("refused to talk to the orchestrator at {host}: {message}")]
    HostKey { host: String, message: String },
    #[error("the orchestrator at {host} refused the login: {message}")]
    Auth { host: String, message: String },
    #[error(
        "the connection to the orchestrator at {host} broke while `{command}` ran, so its \
         outcome is unknown: {message}"
    )]
    OutcomeUnknown {
        host: String,
        command: String,
        message: String,
    },
    #[error("`{command}` on the orchestrator at {host} did not finish in time: {message}")]
    Timeout {
        host: String,
        command: String,
        message: String,
    },
    #[error("stopped waiting for `{command}`")]
    Cancelled { command: String },
    /// ksysmgr exit 2 (RC_NOT_FOUND).
    #[error("`{command}` found nothing (exit 2): {message}")]
    NotFound { command: String, message: String },
    /// Any other non-zero exit: KSYS's own message.
    #[error("`{command}` failed (exit {exit_status}): {message}")]
    Failed {
        command: String,
        exit_status: u32,
        message: String,
    },
    #[error("unexpected output of `{command}`: {message}")]
    Unexpected { command: String, message: String },
}

impl KsysError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, KsysError::NotFound { .. })
    }

    /// The command may or may not have taken effect.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            KsysError::OutcomeUnknown { .. } | KsysError::Timeout { .. }
        )
    }

    /// Nothing was run: the same command can be tried again.
    pub fn nothing_ran(&self) -> bool {
        matches!(
            self,
            KsysError::Unreachable { .. }
                | KsysError::HostKey { .. }
                | KsysError::Auth { .. }
                | KsysError::NotConfigured
                | KsysError::NoAddress { .. }
                | KsysError::BadWord { .. }
        )
    }
}

/// Where one orchestrator (one DR deployment's KSYS cluster) answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orchestrator {
    /// The DR Automation service instance GUID.
    pub instance_id: String,
    /// The primary's address first, then the standby's.
    pub hosts: Vec<String>,
}

/// The `ksysmgr` client shared by every resource of one provider process.
#[derive(Clone)]
pub struct KsysClient {
    shell: Arc<dyn Shell>,
    /// Per orchestrator: the host that answered last (tried first next time), and the lock
    /// that keeps `unmanage` one at a time (IBM: parallel unmanage can crash the system).
    preferred: Arc<Mutex<HashMap<String, String>>>,
    unmanage_locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl fmt::Debug for KsysClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KsysClient")
            .field("shell", &self.shell)
            .finish_non_exhaustive()
    }
}

/// How long a quick command (a query, a modify) may take before it counts as hung.
const QUICK: Duration = Duration::from_secs(120);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl KsysClient {
    pub fn new(shell: Arc<dyn Shell>) -> Self {
        Self {
            shell,
            preferred: Arc::default(),
            unmanage_locks: Arc::default(),
        }
    }

    /// The hosts to try, the one that answered last first.
    fn hosts_in_order(&self, orchestrator: &Orchestrator) -> Vec<String> {
        let mut hosts = orchestrator.hosts.clone();
        if let Some(preferred) = lock(&self.preferred).get(&orchestrator.instance_id)
            && let Some(i) = hosts.iter().position(|h| h == preferred)
        {
            let host = hosts.remove(i);
            hosts.insert(0, host);
        }
        hosts
    }

    /// Runs one command line; fails over to the next host only when a host cannot be reached.
    pub async fn exec(
        &self,
        orchestrator: &Orchestrator,
        line: &str,
        shown: &str,
        stdin: Option<&[u8]>,
        timeout: Option<Duration>,
        on_stdout_line: Option<&(dyn Fn(&str) + Send + Sync)>,
    ) -> Result<ShellOutput, KsysError> {
        let hosts = self.hosts_in_order(orchestrator);
        if hosts.is_empty() {
            return Err(KsysError::NoAddress {
                instance_id: orchestrator.instance_id.clone(),
            });
        }
        let mut unreachable = Vec::new();
        for host in &hosts {
            let request = ShellRequest {
                command: line,
                stdin,
                timeout,
                on_stdout_line,
            };
            match self.shell.exec(host, request).await {
                Ok(output) => {
                    lock(&self.preferred).insert(orchestrator.instance_id.clone(), host.clone());
                    return Ok(output);
                }
                Err(e) => match e.kind {
                    ShellErrorKind::Unreachable => {
                        unreachable.push(format!("{host}: {}", e.message))
                    }
                    ShellErrorKind::HostKey => {
                        return Err(KsysError::HostKey {
                            host: host.clone(),
                            message: e.message,
                        });
                    }
                    ShellErrorKind::Auth => {
                        return Err(KsysError::Auth {
                            host: host.clone(),
                            message: e.message,
                        });
                    }
                    ShellErrorKind::ConnectionLost {
                        command_started: false,
                    } => unreachable.push(format!("{host}: {}", e.message)),
                    ShellErrorKind::ConnectionLost {
                        command_started: true,
                    }
                    | ShellErrorKind::Other => {
                        return Err(KsysError::OutcomeUnknown {
                            host: host.clone(),
                            command: shown.to_string(),
                            message: e.message,
                        });
                    }
                    ShellErrorKind::Timeout => {
                        return Err(KsysError::Timeout {
                            host: host.clone(),
                            command: shown.to_string(),
                            message: e.message,
                        });
                    }
                    ShellErrorKind::Cancelled => {
                        return Err(KsysError::Cancelled {
                            command: shown.to_string(),
                        });
                    }
                },
            }
        }
        Err(KsysError::Unreachable {
            hosts: hosts.join(", "),
            message: unreachable.join("; "),
        })
    }

    /// Runs a `ksysmgr` command; a non-zero exit becomes an error with KSYS's own words.
    pub async fn run(
        &self,
        orchestrator: &Orchestrator,
        command: &KsysCommand,
        timeout: Option<Duration>,
        progress: Option<&(dyn Fn(&str) + Send + Sync)>,
    ) -> Result<String, KsysError> {
        let line = command.line()?;
        let shown = command.to_string();
        let output = self
            .exec(
                orchestrator,
                &line,
                &shown,
                None,
                Some(timeout.unwrap_or(QUICK)),
                progress,
            )
            .await?;
        let message = || parse::error_message(&output.stdout, &output.stderr);
        match output.exit_status {
            0 => Ok(output.stdout),
            2 => Err(KsysError::NotFound {
                command: shown,
                message: message(),
            }),
            127 => Err(KsysError::Failed {
                command: shown,
                exit_status: 127,
                message: format!(
                    "{} (ksysmgr is not at {} on this host; is it a DR orchestrator?)",
                    message(),
                    command::KSYSMGR
                ),
            }),
            exit_status => Err(KsysError::Failed {
                command: shown,
                exit_status,
                message: message(),
            }),
        }
    }

    /// A quick command: the short default timeout, no progress lines.
    async fn run_quick(&self, o: &Orchestrator, command: KsysCommand) -> Result<String, KsysError> {
        self.run(o, &command, None, None).await
    }

    /// A long command whose output does not matter: its own timeout, progress lines to
    /// `progress`.
    async fn run_to_end(
        &self,
        o: &Orchestrator,
        command: KsysCommand,
        timeout: Duration,
        progress: Option<&(dyn Fn(&str) + Send + Sync)>,
    ) -> Result<(), KsysError> {
        self.run(o, &command, Some(timeout), progress)
            .await
            .map(drop)
    }

    /// `query vm state=manage`: every managed VM with its backup and rehearsal VMs.
    pub async fn managed_vms(&self, o: &Orchestrator) -> Result<Vec<KsysVm>, KsysError> {
        let command = KsysCommand::new(Verb::Query, Class::Vm).attr("state", "manage");
        Ok(parse::vms(&self.run_quick(o, command).await?))
    }

    /// `query vm <uuid>`: one VM, `None` when KSYS does not know it.
    pub async fn vm(&self, o: &Orchestrator, uuid: &str) -> Result<Option<KsysVm>, KsysError> {
        let command = KsysCommand::new(Verb::Query, Class::Vm).name(uuid);
        match self.run_quick(o, command).await {
            Ok(out) => Ok(parse::vms(&out).into_iter().next()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn workgroups(&self, o: &Orchestrator) -> Result<Vec<Workgroup>, KsysError> {
        let command = KsysCommand::new(Verb::Query, Class::Workgroup);
        Ok(parse::workgroups(&self.run_quick(o, command).await?))
    }

    pub async fn sites(&self, o: &Orchestrator) -> Result<Vec<Site>, KsysError> {
        let command = KsysCommand::new(Verb::Query, Class::Site);
        Ok(parse::sites(&self.run_quick(o, command).await?))
    }

    /// `add site <name> region=<region>`; returns the partner GRS regions KSYS names.
    pub async fn add_site(
        &self,
        o: &Orchestrator,
        name: &str,
        region: &str,
        timeout: Duration,
    ) -> Result<Vec<String>, KsysError> {
        let out = self
            .run(
                o,
                &KsysCommand::new(Verb::Add, Class::Site)
                    .name(name)
                    .attr("region", region),
                Some(timeout),
                None,
            )
            .await?;
        Ok(parse::partner_regions(&out))
    }

    /// `manage vm vmuuid=<uuid> [workgroup=<wg>] [target_workspace=<ws>]`.
    pub async fn manage_vm(
        &self,
        o: &Orchestrator,
        uuid: &str,
        workgroup: Option<&str>,
        target_workspace: Option<&str>,
        timeout: Duration,
    ) -> Result<(), KsysError> {
        let mut command = KsysCommand::new(Verb::Manage, Class::Vm).attr("vmuuid", uuid);
        if let Some(wg) = workgroup {
            command = command.attr("workgroup", wg);
        }
        if let Some(ws) = target_workspace {
            command = command.attr("target_workspace", ws);
        }
        self.run_to_end(o, command, timeout, None).await
    }

    /// `modify workgroup <wg> priority=<High|Medium|Low>`.
    pub async fn set_priority(
        &self,
        o: &Orchestrator,
        workgroup: &str,
        priority: Priority,
    ) -> Result<(), KsysError> {
        let command = KsysCommand::new(Verb::Modify, Class::Workgroup)
            .name(workgroup)
            .attr("priority", priority.ksys());
        self.run_quick(o, command).await.map(drop)
    }

    /// `discover workgroup <wg>`: creates the backup VMs; minutes per VM.
    pub async fn discover_workgroup(
        &self,
        o: &Orchestrator,
        workgroup: &str,
        timeout: Duration,
        progress: Option<&(dyn Fn(&str) + Send + Sync)>,
    ) -> Result<(), KsysError> {
        let command = KsysCommand::new(Verb::Discover, Class::Workgroup).name(workgroup);
        self.run_to_end(o, command, timeout, progress).await
    }

    /// `unmanage vm vmuuid=<uuid>`, never two at once on one orchestrator.
    pub async fn unmanage_vm(
        &self,
        o: &Orchestrator,
        uuid: &str,
        timeout: Duration,
        progress: Option<&(dyn Fn(&str) + Send + Sync)>,
    ) -> Result<(), KsysError> {
        let gate = lock(&self.unmanage_locks)
            .entry(o.instance_id.clone())
            .or_default()
            .clone();
        let _one_at_a_time = gate.lock().await;
        let command = KsysCommand::new(Verb::Unmanage, Class::Vm).attr("vmuuid", uuid);
        self.run_to_end(o, command, timeout, progress).await
    }

    /// `query ksyscluster`.
    pub async fn cluster(&self, o: &Orchestrator) -> Result<Cluster, KsysError> {
        let command = KsysCommand::new(Verb::Query, Class::KsysCluster);
        let out = self.run(o, &command, None, None).await?;
        parse::cluster(&out).ok_or_else(|| KsysError::Unexpected {
            command: command.to_string(),
            message: "no cluster in the output".into(),
        })
    }

    /// `crontab -l` (root's crontab; empty when there is none).
    pub async fn crontab(&self, o: &Orchestrator) -> Result<String, KsysError> {
        let output = self
            .exec(o, "crontab -l", "crontab -l", None, Some(QUICK), None)
            .await?;
        match output.exit_status {
            0 => Ok(output.stdout),
            // "no crontab for root" is an empty crontab, not a failure.
            _ if output.stderr.contains("no crontab") => Ok(String::new()),
            exit_status => Err(KsysError::Failed {
                command: "crontab -l".into(),
                exit_status,
                message: parse::error_message(&output.stdout, &output.stderr),
            }),
        }
    }

    /// `crontab -` with `text` on stdin: replaces root's crontab.
    pub async fn install_crontab(&self, o: &Orchestrator, text: &str) -> Result<(), KsysError> {
        let output = self
            .exec(
                o,
                "crontab -",
                "crontab -",
                Some(text.as_bytes()),
                Some(QUICK),
                None,
            )
            .await?;
        match output.exit_status {
            0 => Ok(()),
            exit_status => Err(KsysError::Failed {
                command: "crontab -".into(),
                exit_status,
                message: parse::error_message(&output.stdout, &output.stderr),
            }),
        }
    }

    /// The orchestrator's clock, as `date -u` prints it in RFC 3339.
    pub async fn now(&self, o: &Orchestrator) -> Result<String, KsysError> {
        let line = "date -u +%Y-%m-%dT%H:%M:%SZ";
        let output = self.exec(o, line, line, None, Some(QUICK), None).await?;
        let text = output.stdout.trim().to_string();
        if output.exit_status != 0 || text.len() != 20 {
            return Err(KsysError::Unexpected {
                command: line.into(),
                message: format!("{text:?}"),
            });
        }
        Ok(text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
pub(crate) mod fake {
    //! A scripted [`Shell`] for unit tests: answers by command line, records what ran.
    use super::*;

    /// (host or `*`, command line, answer).
    type Answer = (String, String, Result<ShellOutput, ShellError>);

    #[derive(Debug, Default)]
    pub struct FakeShell {
        pub answers: Mutex<Vec<Answer>>,
        pub ran: Mutex<Vec<(String, String)>>,
    }

    /// A client whose commands the returned fake shell answers.
    pub fn fake_client() -> (Arc<FakeShell>, KsysClient) {
        let shell = Arc::new(FakeShell::default());
        (shell.clone(), KsysClient::new(shell))
    }

    /// An orchestrator of instance `guid-1` reached at `hosts` (primary first).
    pub fn orchestrator(hosts: &[&str]) -> Orchestrator {
        Orchestrator {
            instance_id: "guid-1".into(),
            hosts: hosts.iter().map(|host| host.to_string()).collect(),
        }
    }

    impl FakeShell {
        /// Answers `command` on `host` (`*` = any host) with `output`, once.
        pub fn answer(&self, host: &str, command: &str, output: Result<ShellOutput, ShellError>) {
            lock(&self.answers).push((host.into(), command.into(), output));
        }

        pub fn ok(&self, command: &str, stdout: &str) {
            self.answer(
                "*",
                command,
                Ok(ShellOutput {
                    exit_status: 0,
                    stdout: stdout.into(),
                    stderr: String::new(),
                }),
            );
        }

        pub fn ran(&self) -> Vec<(String, String)> {
            lock(&self.ran).clone()
        }
    }

    #[async_trait]
    impl Shell for FakeShell {
        async fn exec(
            &self,
            host: &str,
            request: ShellRequest<'_>,
        ) -> Result<ShellOutput, ShellError> {
            lock(&self.ran).push((host.into(), request.command.into()));
            let mut answers = lock(&self.answers);
            let i = answers
                .iter()
                .position(|(h, c, _)| (h == "*" || h == host) && c == request.command)
                .unwrap_or_else(|| panic!("unexpected command on {host}: {}", request.command));
            let (_, _, answer) = answers.remove(i);
            if let (Ok(out), Some(callback)) = (&answer, request.on_stdout_line) {
                out.stdout.lines().for_each(callback);
            }
            answer
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::fake::fake_client;
    use super::*;

    fn orchestrator() -> Orchestrator {
        super::fake::orchestrator(&["10.51.0.5", "10.61.0.7"])
    }

    /// A command that never gave an exit status.
    fn failure(kind: ShellErrorKind, message: &str) -> Result<ShellOutput, ShellError> {
        Err(ShellError {
            kind,
            message: message.into(),
        })
    }

    fn exit(code: u32, stderr: &str) -> Result<ShellOutput, ShellError> {
        Ok(ShellOutput {
            exit_status: code,
            stdout: String::new(),
            stderr: stderr.into(),
        })
    }

    #[tokio::test]
    async fn an_unreachable_primary_fails_over_to_the_standby_and_is_remembered() {
        let (shell, client) = fake_client();
        let line = "/opt/IBM/ksys/ksysmgr -f query workgroup";
        shell.answer(
            "10.51.0.5",
            line,
            failure(ShellErrorKind::Unreachable, "connection refused"),
        );
        shell.answer("10.61.0.7", line, Ok(ShellOutput::default()));
        shell.answer("10.61.0.7", line, Ok(ShellOutput::default()));
        client.workgroups(&orchestrator()).await.unwrap();
        client.workgroups(&orchestrator()).await.unwrap();
        let hosts: Vec<String> = shell.ran().into_iter().map(|(h, _)| h).collect();
        assert_eq!(hosts, vec!["10.51.0.5", "10.61.0.7", "10.61.0.7"]);
    }

    #[tokio::test]
    async fn a_lost_connection_after_the_command_started_is_not_repeated_elsewhere() {
        let (shell, client) = fake_client();
        shell.answer(
            "10.51.0.5",
            "/opt/IBM/ksys/ksysmgr -f manage vm vmuuid=u-1",
            failure(
                ShellErrorKind::ConnectionLost {
                    command_started: true,
                },
                "connection reset",
            ),
        );
        let err = client
            .manage_vm(&orchestrator(), "u-1", None, None, QUICK)
            .await
            .unwrap_err();
        assert!(err.outcome_unknown(), "{err}");
        assert_eq!(shell.ran().len(), 1);
    }

    #[tokio::test]
    async fn exit_codes_become_errors_with_ksys_own_words() {
        let (shell, client) = fake_client();
        shell.answer(
            "*",
            "/opt/IBM/ksys/ksysmgr -f query vm u-9",
            exit(2, "ERROR: VM u-9 not found.\n"),
        );
        assert_eq!(client.vm(&orchestrator(), "u-9").await.unwrap(), None);
        shell.answer(
            "*",
            "/opt/IBM/ksys/ksysmgr -f unmanage vm vmuuid=u-1",
            exit(1, "ERROR: Another unmanage operation is in progress.\n"),
        );
        let err = client
            .unmanage_vm(&orchestrator(), "u-1", QUICK, None)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`ksysmgr -f unmanage vm vmuuid=u-1` failed (exit 1): ERROR: Another unmanage operation is in progress."
        );
        shell.answer("*", "crontab -l", exit(1, "no crontab for root\n"));
        assert_eq!(client.crontab(&orchestrator()).await.unwrap(), "");
    }

    #[tokio::test]
    async fn a_changed_host_key_stops_everything() {
        let (shell, client) = fake_client();
        shell.answer(
            "10.51.0.5",
            "/opt/IBM/ksys/ksysmgr -f query site",
            failure(ShellErrorKind::HostKey, "host key changed"),
        );
        let err = client.sites(&orchestrator()).await.unwrap_err();
        assert!(matches!(err, KsysError::HostKey { .. }), "{err}");
        assert_eq!(shell.ran().len(), 1, "the standby is not tried");
    }
}

/// The SSH pool is the production [`Shell`]: its errors become the orchestrator layer's kinds.
#[async_trait]
impl Shell for super::ssh::SshPool {
    async fn exec(&self, host: &str, request: ShellRequest<'_>) -> Result<ShellOutput, ShellError> {
        let mut ssh_request = super::ssh::ExecRequest::new(request.command);
        if let Some(stdin) = request.stdin {
            ssh_request = ssh_request.stdin(stdin);
        }
        if let Some(timeout) = request.timeout {
            ssh_request = ssh_request.timeout(timeout);
        }
        if let Some(callback) = request.on_stdout_line {
            ssh_request = ssh_request.on_stdout_line(callback);
        }
        match super::ssh::SshPool::exec(self, host, ssh_request).await {
            Ok(out) => Ok(ShellOutput {
                exit_status: out.exit_status,
                stdout: out.stdout,
                stderr: out.stderr,
            }),
            Err(e) => Err(ShellError {
                kind: shell_error_kind(&e),
                message: e.to_string(),
            }),
        }
    }
}

fn shell_error_kind(e: &super::ssh::SshError) -> ShellErrorKind {
    use super::ssh::SshError as E;
    match e {
        E::JumpHost { source, .. } => match shell_error_kind(source) {
            // The jump host's own key or login failing is as final as the orchestrator's.
            kind @ (ShellErrorKind::HostKey | ShellErrorKind::Auth) => kind,
            _ => ShellErrorKind::Unreachable,
        },
        E::Connect { .. } | E::JumpRefused { .. } => ShellErrorKind::Unreachable,
        E::HostKeyMismatch { .. } | E::HostKeyRevoked { .. } | E::HostKeyUnknown { .. } => {
            ShellErrorKind::HostKey
        }
        E::Auth { .. } => ShellErrorKind::Auth,
        E::ConnectionLost {
            command_started, ..
        } => ShellErrorKind::ConnectionLost {
            command_started: *command_started,
        },
        E::NoExitStatus { .. } => ShellErrorKind::ConnectionLost {
            command_started: true,
        },
        E::Timeout {
            command_started: false,
            ..
        } => ShellErrorKind::Unreachable,
        E::Timeout { .. } => ShellErrorKind::Timeout,
        E::Cancelled { .. } => ShellErrorKind::Cancelled,
        E::Protocol { .. } | E::Config(_) => ShellErrorKind::Other,
    }
}
