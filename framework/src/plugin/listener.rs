//! Where the server listens and how accepted connections reach tonic.
//!
//! go-plugin prefers a unix socket; we put it in a fresh directory of our own (mode 0700) so
//! that no other local user can even reach the socket, and remove the directory on exit. TCP
//! on loopback within `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT` is the fallback when unix sockets
//! are unavailable.
//!
//! tonic's built-in TLS does not apply to a custom incoming stream, so TLS is done here: an
//! accept loop hands each connection to its own task for the handshake, and only finished,
//! authenticated connections are passed on. A failed or slow handshake therefore never stalls
//! or ends the accept loop.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::PluginError;
use super::handshake::Address;

/// How long a client may take to finish the TLS handshake before we drop it.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// go-plugin's default port range for the TCP fallback.
const DEFAULT_MIN_PORT: u16 = 10000;
const DEFAULT_MAX_PORT: u16 = 25000;

/// A bound listener, plus whatever must live as long as it.
#[derive(Debug)]
pub enum BoundListener {
    /// Unix socket inside its private directory.
    Unix {
        /// The listener.
        listener: UnixListener,
        /// Socket path, as announced in the handshake.
        path: PathBuf,
        /// The private directory holding the socket; dropping it removes both.
        _dir: tempfile::TempDir,
    },
    /// Loopback TCP.
    Tcp {
        /// The listener.
        listener: TcpListener,
    },
}

impl BoundListener {
    /// The address to announce.
    pub fn address(&self) -> Result<Address, PluginError> {
        match self {
            BoundListener::Unix { path, .. } => Ok(Address::Unix(path.clone())),
            BoundListener::Tcp { listener } => Ok(Address::Tcp(
                listener.local_addr().map_err(PluginError::Listen)?,
            )),
        }
    }

    async fn accept(&self) -> io::Result<BoxedIo> {
        match self {
            BoundListener::Unix { listener, .. } => {
                let (stream, _) = listener.accept().await?;
                Ok(Box::new(stream))
            }
            BoundListener::Tcp { listener } => {
                let (stream, _) = listener.accept().await?;
                // gRPC is chatty with small frames; Nagle only adds latency.
                let _ = stream.set_nodelay(true);
                Ok(Box::new(stream))
            }
        }
    }
}

/// The socket directory of this process, for the panic hook: a crash exits without running
/// destructors, and the directory should not outlive the process.
static SOCKET_DIR_FOR_CRASH_CLEANUP: OnceLock<PathBuf> = OnceLock::new();

/// Removes this process's socket directory; used when exiting on a panic.
pub fn remove_socket_dir_after_crash() {
    if let Some(dir) = SOCKET_DIR_FOR_CRASH_CLEANUP.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Binds a unix socket in a fresh private directory; falls back to loopback TCP.
///
/// `socket_parent` is where the private directory is created (`PLUGIN_UNIX_SOCKET_DIR` if
/// set, else the system temp directory, which honours `TMPDIR`).
pub fn bind(
    socket_parent: Option<&Path>,
    port_range: (u16, u16),
    allow_tcp_fallback: bool,
) -> Result<BoundListener, PluginError> {
    match bind_unix(socket_parent) {
        Ok(bound) => Ok(bound),
        Err(unix_err) if allow_tcp_fallback => {
            tracing::debug!(error = %unix_err, "unix socket unavailable, falling back to TCP");
            bind_tcp(port_range)
        }
        Err(unix_err) => Err(unix_err),
    }
}

fn bind_unix(socket_parent: Option<&Path>) -> Result<BoundListener, PluginError> {
    let parent = socket_parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
    let dir = private_dir_builder()
        .tempdir_in(&parent)
        .map_err(PluginError::Listen)?;
    let _ = SOCKET_DIR_FOR_CRASH_CLEANUP.set(dir.path().to_path_buf());
    let path = dir.path().join("plugin.sock");
    let listener = UnixListener::bind(&path).map_err(PluginError::Listen)?;
    restrict_socket_permissions(&path)?;
    Ok(BoundListener::Unix {
        listener,
        path,
        _dir: dir,
    })
}

/// Owner-only from the moment of creation, so there is no window where others can look in.
fn private_dir_builder() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("tfplugin-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    builder
}

#[cfg(unix)]
fn restrict_socket_permissions(path: &Path) -> Result<(), PluginError> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(PluginError::Listen)
}

#[cfg(not(unix))]
fn restrict_socket_permissions(_path: &Path) -> Result<(), PluginError> {
    Ok(())
}

fn bind_tcp((min, max): (u16, u16)) -> Result<BoundListener, PluginError> {
    let mut last_err = io::Error::new(io::ErrorKind::AddrNotAvailable, "empty port range");
    for port in min..=max {
        match std::net::TcpListener::bind(("127.0.0.1", port)) {
            Ok(std_listener) => {
                std_listener
                    .set_nonblocking(true)
                    .map_err(PluginError::Listen)?;
                let listener = TcpListener::from_std(std_listener).map_err(PluginError::Listen)?;
                return Ok(BoundListener::Tcp { listener });
            }
            Err(e) => last_err = e,
        }
    }
    Err(PluginError::Listen(io::Error::new(
        last_err.kind(),
        format!("no free port on 127.0.0.1 in {min}..={max}: {last_err}"),
    )))
}

/// Reads `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT`, defaulting like go-plugin.
pub fn port_range(env: impl Fn(&str) -> Option<String>) -> (u16, u16) {
    let read = |key: &str, default: u16| {
        env(key)
            .and_then(|v| v.trim().parse::<u16>().ok())
            .unwrap_or(default)
    };
    (
        read("PLUGIN_MIN_PORT", DEFAULT_MIN_PORT),
        read("PLUGIN_MAX_PORT", DEFAULT_MAX_PORT),
    )
}

/// Something tonic can serve HTTP/2 over.
trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

type BoxedIo = Box<dyn Io>;

/// One accepted (and, with mTLS, authenticated) connection, whatever the transport.
pub struct Connection {
    io: BoxedIo,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

impl tonic::transport::server::Connected for Connection {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// Stream of ready connections for `serve_with_incoming_shutdown`.
pub type Incoming = ReceiverStream<io::Result<Connection>>;

/// Starts the accept loop on the current runtime and returns the stream of ready connections.
///
/// The loop ends when the returned stream is dropped (tonic drops it on shutdown).
pub fn incoming(listener: Arc<BoundListener>, tls: Option<Arc<rustls::ServerConfig>>) -> Incoming {
    let (tx, rx) = mpsc::channel::<io::Result<Connection>>(16);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = tx.closed() => return,
            };
            let io = match accepted {
                Ok(io) => io,
                Err(err) => {
                    // Typically EMFILE; back off instead of spinning, keep serving.
                    tracing::warn!(error = %err, "accepting a plugin connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            match &acceptor {
                None => {
                    if tx.send(Ok(Connection { io })).await.is_err() {
                        return;
                    }
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(io)).await
                        {
                            Ok(Ok(tls)) => {
                                let conn = Connection { io: Box::new(tls) };
                                let _ = tx.send(Ok(conn)).await;
                            }
                            Ok(Err(err)) => {
                                tracing::warn!(error = %err, "refused a plugin client: TLS handshake failed");
                            }
                            Err(_) => {
                                tracing::warn!("refused a plugin client: TLS handshake timed out");
                            }
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn port_range_defaults_and_overrides() {
        assert_eq!(port_range(|_| None), (10000, 25000));
        let env = |k: &str| match k {
            "PLUGIN_MIN_PORT" => Some("20000".to_owned()),
            "PLUGIN_MAX_PORT" => Some("bogus".to_owned()),
            _ => None,
        };
        assert_eq!(port_range(env), (20000, 25000));
    }

    #[tokio::test]
    async fn unix_socket_lives_in_private_dir_removed_on_drop() {
        use std::os::unix::fs::PermissionsExt as _;
        let parent = tempfile::tempdir().expect("parent");
        let bound = bind(Some(parent.path()), (0, 0), false).expect("bind");
        let BoundListener::Unix { path, .. } = &bound else {
            panic!("expected a unix listener");
        };
        let dir = path.parent().expect("socket dir");
        assert_eq!(dir.parent(), Some(parent.path()));
        let dir_mode = std::fs::metadata(dir).expect("dir").permissions().mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        let sock_mode = std::fs::metadata(path).expect("sock").permissions().mode();
        assert_eq!(
            sock_mode & 0o077,
            0,
            "socket must not be group/world accessible"
        );
        let dir_path = dir.to_path_buf();
        drop(bound);
        assert!(!dir_path.exists());
    }

    #[tokio::test]
    async fn tcp_fallback_binds_loopback_in_range() {
        let bound = bind_tcp((0, 0)).expect("bind");
        match bound.address().expect("addr") {
            Address::Tcp(addr) => assert!(addr.ip().is_loopback()),
            other => panic!("expected tcp, got {other:?}"),
        }
    }
}
