//! Running one command on a session channel.
//!
//! The channel belongs to a background task from the moment the command is sent until the
//! server closes it. The caller only listens to that task, so a caller that stops waiting
//! (timeout, cancellation, dropped future) never closes the channel: the task keeps draining
//! it until the command exits or the connection dies. Closing it from our side could hang up
//! a KSYS move half-way, which is worse than any wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use russh::ChannelMsg;
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tracing::Instrument;

use super::connection::SessionChannel;
use super::error::SshError;

/// SSH's extended-data code for stderr (RFC 4254 §5.2).
const STDERR: u32 = 1;
/// Exit status reported for a command killed by a signal, as OpenSSH's `ssh` reports it.
pub const SIGNALLED_EXIT_STATUS: u32 = 255;

/// One command to run.
#[derive(Clone, Copy)]
pub struct ExecRequest<'a> {
    /// The command line, run by the login shell of the user. It is logged (debug), so it must
    /// not hold a secret.
    pub command: &'a str,
    /// Sent to the command's standard input, followed by end-of-file. `None` sends only
    /// end-of-file, so a command that prompts reads EOF instead of hanging.
    pub stdin: Option<&'a [u8]>,
    /// Limit for the whole call (connecting included). When it runs out the command keeps
    /// running on the host and the result is [`SshError::Timeout`].
    pub timeout: Option<Duration>,
    /// Called with each complete stdout line (without its line end) as it arrives.
    pub on_stdout_line: Option<&'a (dyn Fn(&str) + Send + Sync)>,
}

impl<'a> ExecRequest<'a> {
    pub fn new(command: &'a str) -> Self {
        Self {
            command,
            stdin: None,
            timeout: None,
            on_stdout_line: None,
        }
    }

    pub fn stdin(mut self, stdin: &'a [u8]) -> Self {
        self.stdin = Some(stdin);
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    pub fn on_stdout_line(mut self, callback: &'a (dyn Fn(&str) + Send + Sync)) -> Self {
        self.on_stdout_line = Some(callback);
        self
    }
}

impl std::fmt::Debug for ExecRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecRequest")
            .field("command", &self.command)
            .field("stdin_bytes", &self.stdin.map(<[u8]>::len))
            .field("timeout", &self.timeout)
            .field("streams_lines", &self.on_stdout_line.is_some())
            .finish()
    }
}

/// What a finished command reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The command's exit status; [`SIGNALLED_EXIT_STATUS`] when it was killed by a signal.
    pub exit_status: u32,
    /// The signal that killed the command (`TERM`, `KILL`, ...), if one did.
    pub exit_signal: Option<String>,
    pub stdout: String,
    pub stderr: String,
}

impl ExecOutput {
    pub fn success(&self) -> bool {
        self.exit_status == 0 && self.exit_signal.is_none()
    }
}

/// What the channel task tells the waiting caller.
pub enum Event {
    Line(String),
    Finished(Result<ExecOutput, SshError>),
}

/// A command handed to its channel task.
pub struct Running {
    pub events: mpsc::UnboundedReceiver<Event>,
    sent: Arc<AtomicBool>,
}

impl Running {
    /// Whether the command may have reached the server (conservative: true once sending began).
    pub fn command_started(&self) -> bool {
        self.sent.load(Ordering::SeqCst)
    }
}

/// Hands `channel` to a task that runs `command` on it and drains it to the end.
pub fn start(
    channel: SessionChannel,
    permit: OwnedSemaphorePermit,
    host: String,
    command: String,
    stdin: Option<Vec<u8>>,
    stream_lines: bool,
    span: tracing::Span,
) -> Running {
    let (events, receiver) = mpsc::unbounded_channel();
    let sent = Arc::new(AtomicBool::new(false));
    let task_sent = sent.clone();
    tokio::spawn(
        async move {
            let result = drive(
                channel,
                &host,
                &command,
                stdin,
                stream_lines,
                &events,
                &task_sent,
            )
            .await;
            match &result {
                Ok(out) => tracing::debug!(
                    exit_status = out.exit_status,
                    stdout_bytes = out.stdout.len(),
                    stderr_bytes = out.stderr.len(),
                    "remote command finished"
                ),
                Err(e) => tracing::debug!(error = %e, "remote command failed"),
            }
            // The caller may be gone; the channel was drained either way.
            let _ = events.send(Event::Finished(result));
            drop(permit);
        }
        .instrument(span),
    );
    Running {
        events: receiver,
        sent,
    }
}

/// Splits complete lines off `buffer[*start..]` and sends them.
fn emit_lines(buffer: &[u8], start: &mut usize, events: &mpsc::UnboundedSender<Event>) {
    while let Some(offset) = buffer[*start..].iter().position(|b| *b == b'\n') {
        let line = &buffer[*start..*start + offset];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let _ = events.send(Event::Line(String::from_utf8_lossy(line).into_owned()));
        *start += offset + 1;
    }
}

async fn drive(
    channel: SessionChannel,
    host: &str,
    command: &str,
    stdin: Option<Vec<u8>>,
    stream_lines: bool,
    events: &mpsc::UnboundedSender<Event>,
    sent: &AtomicBool,
) -> Result<ExecOutput, SshError> {
    let (mut reader, writer) = channel.split();
    sent.store(true, Ordering::SeqCst);
    if writer.exec(true, command.as_bytes()).await.is_err() {
        // Nothing was queued: the session was already gone.
        return Err(SshError::ConnectionLost {
            host: host.to_string(),
            command_started: false,
        });
    }
    let feed = async {
        if let Some(data) = &stdin
            && writer.data(&data[..]).await.is_err()
        {
            return;
        }
        let _ = writer.eof().await;
    };
    tokio::pin!(feed);
    let mut fed = false;

    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut line_start = 0;
    let mut exit_status = None;
    let mut exit_signal = None;
    let mut accepted = false;
    let mut refused = false;
    let connection_lost = loop {
        let message = tokio::select! {
            () = &mut feed, if !fed => {
                fed = true;
                continue;
            }
            message = reader.wait() => message,
        };
        match message {
            Some(ChannelMsg::Data { data }) => {
                stdout.extend_from_slice(&data);
                if stream_lines {
                    emit_lines(&stdout, &mut line_start, events);
                }
            }
            Some(ChannelMsg::ExtendedData { data, ext }) if ext == STDERR => {
                stderr.extend_from_slice(&data);
            }
            Some(ChannelMsg::ExitStatus { exit_status: code }) => exit_status = Some(code),
            Some(ChannelMsg::ExitSignal {
                signal_name,
                error_message,
                ..
            }) => {
                let name = match signal_name {
                    russh::Sig::Custom(name) => name,
                    known => format!("{known:?}"),
                };
                tracing::debug!(signal = %name, message = %error_message, "remote command killed by a signal");
                exit_signal = Some(name);
            }
            Some(ChannelMsg::Success) => accepted = true,
            Some(ChannelMsg::Failure) if !accepted => refused = true,
            Some(ChannelMsg::Close) => break false,
            None => break true,
            Some(_) => {}
        }
    };
    if stream_lines && line_start < stdout.len() {
        let rest = &stdout[line_start..];
        let rest = rest.strip_suffix(b"\r").unwrap_or(rest);
        let _ = events.send(Event::Line(String::from_utf8_lossy(rest).into_owned()));
    }
    let output = |exit_status, exit_signal| ExecOutput {
        exit_status,
        exit_signal,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    match (exit_status, exit_signal) {
        (Some(code), signal) => Ok(output(code, signal)),
        (None, Some(signal)) => Ok(output(SIGNALLED_EXIT_STATUS, Some(signal))),
        (None, None) if refused => Err(SshError::Protocol {
            host: host.to_string(),
            message: "the server refused to run the command (exec request denied)".to_string(),
        }),
        (None, None) if connection_lost => Err(SshError::ConnectionLost {
            host: host.to_string(),
            command_started: true,
        }),
        (None, None) => Err(SshError::NoExitStatus {
            host: host.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_on_newlines_and_lose_carriage_returns() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut start = 0;
        let mut buffer = b"first\r\nsec".to_vec();
        emit_lines(&buffer, &mut start, &tx);
        buffer.extend_from_slice(b"ond\n\nthird");
        emit_lines(&buffer, &mut start, &tx);
        let mut lines = Vec::new();
        while let Ok(Event::Line(line)) = rx.try_recv() {
            lines.push(line);
        }
        assert_eq!(lines, vec!["first", "second", ""]);
        assert_eq!(&buffer[start..], b"third");
    }

    #[test]
    fn a_multibyte_character_split_across_packets_survives() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut start = 0;
        let text = "Zürich\n".as_bytes();
        let mut buffer = text[..2].to_vec();
        emit_lines(&buffer, &mut start, &tx);
        buffer.extend_from_slice(&text[2..]);
        emit_lines(&buffer, &mut start, &tx);
        assert!(matches!(rx.try_recv(), Ok(Event::Line(l)) if l == "Zürich"));
    }

    #[test]
    fn debug_of_a_request_shows_no_stdin() {
        let request = ExecRequest::new("crontab -").stdin(b"0 2 * * * secret-ish");
        let text = format!("{request:?}");
        assert!(
            text.contains("crontab -") && !text.contains("secret-ish"),
            "{text}"
        );
    }
}
