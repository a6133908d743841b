//! An emulated KSYS host (an orchestrator LPAR) as an SSH server: root logs in with the
//! deployment's orchestrator password or the key named by its `ssh_key_name` (the standby:
//! its own password and `standby_ssh_key_name` when the deployment gave them), and every
//! session channel runs one exec request through `services::ksys::exec`.
//!
//! Each channel is served by its own task, so several commands run at once on one
//! connection. A command's output lines are printed when their emulated time comes; the
//! exit status follows the last one. Closing the channel early does not stop the command:
//! its effects are in the World on deadlines. SSH fault rules can delay each line or drop
//! the connection (an SSH disconnect queued behind the lines already sent, so exactly those
//! lines reach the client first).

use std::sync::Arc;
use std::time::Duration;

use russh::server::{
    Auth, ChannelOpenHandle, Handle, Handler, Msg, PublicKeyOffer, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId, ChannelMsg, Disconnect};
use tokio::sync::mpsc;

use super::{HOST_METHODS, keys, verdict};
use crate::services::ksys::exec::{self, Input, Needs};
use crate::services::ksys::host::{Ctx, Env};
use crate::services::ksys::{self, Host};
use crate::sim::{DropPoint, ExecFault, Sim};
use crate::util;

/// The only user KSYS hosts accept (ksysmgr runs as root only).
pub const ROOT: &str = "root";

pub struct KsysHost {
    sim: Arc<Sim>,
    host: Host,
}

impl KsysHost {
    pub fn new(sim: Arc<Sim>, host: Host) -> Self {
        KsysHost { sim, host }
    }

    /// The deployment fields that hold this node's login secrets.
    fn secret_keys(&self) -> (&'static str, &'static str) {
        if self.host.role == "standby" {
            ("_standby_password_hash", "standby_ssh_key_name")
        } else {
            ("_password_hash", "ssh_key_name")
        }
    }

    async fn password_ok(&self, password: &str) -> bool {
        let (own, _) = self.secret_keys();
        let stored = {
            let world = self.sim.world().await;
            world
                .get("dra", "deployments", &self.host.cluster_id)
                .and_then(|d| d[own].as_str().or(d["_password_hash"].as_str()))
                .map(str::to_owned)
        };
        stored.is_some_and(|s| keys::verify_password(&s, password))
    }

    async fn key_ok(&self, key: &russh::keys::PublicKey) -> bool {
        let (_, own) = self.secret_keys();
        let world = self.sim.world().await;
        let Some(d) = world.get("dra", "deployments", &self.host.cluster_id) else {
            return false;
        };
        let Some(name) = d[own].as_str().or(d["ssh_key_name"].as_str()) else {
            return false;
        };
        let workspace = ksys::pvm(&world, &self.host.vm_id)
            .and_then(|v| v["_workspace"].as_str())
            .unwrap_or_default();
        keys::key_named(&world, workspace, name).is_some_and(|k| k.key_data() == key.key_data())
    }
}

impl Handler for KsysHost {
    type Error = russh::Error;

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        Ok(verdict(false, HOST_METHODS))
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(verdict(
            user == ROOT && self.password_ok(password).await,
            HOST_METHODS,
        ))
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(verdict(
            user == ROOT && self.key_ok(offer.public_key).await,
            HOST_METHODS,
        ))
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(verdict(
            user == ROOT && self.key_ok(key.public_key).await,
            HOST_METHODS,
        ))
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply.accept().await;
        let ctx = Ctx {
            cluster_id: self.host.cluster_id.clone(),
            hostname: self.host.hostname.clone(),
            vm_id: self.host.vm_id.clone(),
        };
        tokio::spawn(serve_channel(
            self.sim.clone(),
            ctx,
            self.host.address.clone(),
            channel,
            session.handle(),
        ));
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _variable_name: &str,
        _variable_value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Only exec requests: an interactive shell is not emulated.
        session.channel_failure(channel)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }
}

/// What the client sends on a channel after its exec request.
enum Incoming {
    Data(Vec<u8>),
    Eof,
}

/// Most stdin a command reads; the rest is discarded (a crontab is a few lines).
const MAX_STDIN: usize = crate::services::ksys::crontab::MAX_CRONTAB + 1;

/// Reads stdin until EOF, keeping at most [`MAX_STDIN`] bytes.
async fn read_all(rx: &mut mpsc::Receiver<Incoming>) -> String {
    let mut bytes = Vec::new();
    while let Some(Incoming::Data(d)) = rx.recv().await {
        let room = MAX_STDIN.saturating_sub(bytes.len());
        bytes.extend(d.into_iter().take(room));
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Reads one line of stdin, or `None` at EOF before any newline.
async fn read_line(rx: &mut mpsc::Receiver<Incoming>) -> Option<String> {
    let mut bytes = Vec::new();
    loop {
        match rx.recv().await {
            Some(Incoming::Data(d)) => {
                bytes.extend(d.into_iter().take(4096));
                if let Some(end) = bytes.iter().position(|b| *b == b'\n') {
                    return Some(String::from_utf8_lossy(&bytes[..end]).into_owned());
                }
            }
            Some(Incoming::Eof) | None => {
                return (!bytes.is_empty()).then(|| String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
}

async fn sleep_until(at_ms: u64) {
    let now = util::now_ms();
    if at_ms > now {
        tokio::time::sleep(Duration::from_millis(at_ms - now)).await;
    }
}

/// Serves one session channel: waits for its exec request, gathers what the command needs
/// from stdin, runs it and streams its output on the emulated clock.
async fn serve_channel(
    sim: Arc<Sim>,
    ctx: Ctx,
    address: String,
    channel: Channel<Msg>,
    handle: Handle,
) {
    let (mut read, write) = channel.split();
    let command = loop {
        match read.wait().await {
            Some(ChannelMsg::Exec { command, .. }) => {
                break String::from_utf8_lossy(&command).into_owned();
            }
            Some(ChannelMsg::Eof | ChannelMsg::Close) | None => return,
            Some(_) => {}
        }
    };
    // Stdin keeps flowing into a queue, so the session never blocks on this channel.
    let (tx, mut stdin) = mpsc::channel::<Incoming>(64);
    tokio::spawn(async move {
        while let Some(msg) = read.wait().await {
            let item = match msg {
                ChannelMsg::Data { data } => Incoming::Data(data.to_vec()),
                ChannelMsg::Eof | ChannelMsg::Close => Incoming::Eof,
                _ => continue,
            };
            let eof = matches!(item, Incoming::Eof);
            if tx.send(item).await.is_err() || eof {
                break;
            }
        }
    });

    sim.count_ssh_command(&command);
    let parsed = exec::parse(&command);
    let env = Env {
        now_ms: sim.now_ms(),
        time_scale: sim.config().time_scale,
    };
    if let Needs::Answer(_) = parsed.needs() {
        let refused = exec::precheck(&*sim.world().await, &ctx, &parsed, env);
        if let Some(output) = refused {
            stream(&sim, &write, &handle, &output, ExecFault::default()).await;
            return;
        }
    }
    let input = match parsed.needs() {
        Needs::Nothing => Input::None,
        Needs::Stdin => Input::Stdin(read_all(&mut stdin).await),
        Needs::Answer(prompt) => {
            for line in prompt {
                if write
                    .data_bytes(format!("{line}\n").into_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Input::Answer(read_line(&mut stdin).await)
        }
    };
    let fault = sim.ssh_exec_fault(&address, &command);
    // The command starts now, after whatever it waited for on stdin.
    let env = Env {
        now_ms: sim.now_ms(),
        ..env
    };
    let output = exec::execute_on(&sim, &ctx, &parsed, input, env).await;
    stream(&sim, &write, &handle, &output, fault).await;
}

/// Largest write: lines due together are sent in chunks of about this size.
const CHUNK: usize = 32 * 1024;

/// Prints the lines at their times, then the exit status, unless a fault drops the
/// connection first. Lines due at the same time on the same stream go out together, so a
/// 1,000-VM query is a few large writes rather than thousands of small ones. Where a test
/// hold stops the operation, the stream pauses too and goes on with the operation's times
/// once it is released.
async fn stream(
    sim: &Sim,
    write: &russh::ChannelWriteHalf<Msg>,
    handle: &Handle,
    output: &ksys::host::Output,
    fault: ExecFault,
) {
    let mut lines: std::borrow::Cow<'_, [ksys::host::Line]> =
        std::borrow::Cow::Borrowed(&output.lines);
    let mut finish_ms = output.finish_ms;
    let (operation, mut holds) = match &output.operation {
        Some((id, holds)) => (Some(id.as_str()), holds.clone()),
        None => (None, Vec::new()),
    };
    let mut i = 0;
    loop {
        // The next thing to send: a line, or the exit status.
        let next_at = lines.get(i).map_or(finish_ms, |l| l.at);
        if let (Some(id), Some(hold)) = (operation, holds.first())
            && next_at > hold.at
        {
            sleep_until(hold.at).await;
            let (l, f, h) = wait_while_held(sim, id).await;
            (lines, finish_ms, holds) = (std::borrow::Cow::Owned(l), f, h);
            continue;
        }
        if i >= lines.len() {
            break;
        }
        if fault.drop == Some(DropPoint::AfterLines(i)) {
            drop_connection(handle).await;
            return;
        }
        sleep_until(lines[i].at).await;
        if !fault.line_latency.is_zero() {
            tokio::time::sleep(fault.line_latency).await;
        }
        // Batch only when no fault counts or paces lines.
        let batch = fault.drop.is_none() && fault.line_latency.is_zero();
        let mut bytes = Vec::new();
        let first = &lines[i];
        loop {
            bytes.extend_from_slice(lines[i].text.as_bytes());
            bytes.push(b'\n');
            i += 1;
            let next = lines.get(i);
            let same = next.is_some_and(|n| n.at <= first.at && n.stderr == first.stderr);
            if !batch || !same || bytes.len() >= CHUNK {
                break;
            }
        }
        let sent = if first.stderr {
            write.extended_data_bytes(1, bytes).await
        } else {
            write.data_bytes(bytes).await
        };
        if sent.is_err() {
            // The client went away; the command carries on at the orchestrator.
            return;
        }
    }
    sleep_until(finish_ms).await;
    if matches!(
        fault.drop,
        Some(DropPoint::BeforeExitStatus | DropPoint::AfterLines(_))
    ) {
        drop_connection(handle).await;
        return;
    }
    let _ = write.exit_status(output.exit_code).await;
    let _ = write.eof().await;
    let _ = write.close().await;
}

/// Waits until no hold stops operation `id`; returns its lines, finish time and remaining
/// hold points as they stand then.
async fn wait_while_held(
    sim: &Sim,
    id: &str,
) -> (Vec<ksys::host::Line>, u64, Vec<ksys::host::HoldPoint>) {
    loop {
        // Subscribed before looking, so a release between the look and the wait is seen.
        let mut releases = sim.watch_hold_releases();
        let state = ksys::ops::stream_state(&*sim.world().await, id);
        match state {
            Some(state) => return state,
            None => {
                if releases.changed().await.is_err() {
                    return (Vec::new(), 0, Vec::new());
                }
            }
        }
    }
}

async fn drop_connection(handle: &Handle) {
    tracing::debug!("KSYS host connection dropped by a fault rule");
    let _ = handle
        .disconnect(
            Disconnect::ConnectionLost,
            "Connection lost (fault injected by dr-cloudsim)".into(),
            String::new(),
        )
        .await;
}
