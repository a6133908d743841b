//! Who may connect to a plugin, checked from outside the process the way an attacker on the
//! same machine would try. tests/protocol.rs covers the happy handshake, the private socket
//! directory and refusal of strangers on the unix socket; this file adds what is left:
//!
//! - nothing listens on TCP while the plugin serves on its unix socket, and in the TCP fallback
//!   (unix sockets unavailable) it listens on loopback only, inside `PLUGIN_MIN_PORT..MAX_PORT`,
//!   read from `/proc/<pid>/net/tcp{,6}` and the process's own socket inodes;
//! - the fallback still demands Terraform's AutoMTLS client certificate: no certificate, another
//!   certificate (even one shaped exactly like go-plugin's) and plaintext are refused;
//! - clients that stall in the TLS handshake or send garbage neither block nor crash it;
//! - each start has a fresh server certificate and a fresh socket directory, so nothing from
//!   one run lets anyone into the next.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;
mod support;

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpStream, UnixStream};
use tokio::process::Child;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use support::{BIN, COOKIE, IoStream, client_identity, plugin_command, tls_client_config};

/// Where the plugin said it listens.
#[derive(Debug, Clone)]
enum Addr {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

struct Plugin {
    child: Child,
    addr: Addr,
    server_cert: Vec<u8>,
    _tmpdir: tempfile::TempDir,
}

impl Plugin {
    fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }
}

async fn start(extra_env: &[(&str, &str)]) -> Plugin {
    use base64::Engine as _;
    let tmpdir = tempfile::tempdir().expect("tmpdir");
    let env = [COOKIE, ("PLUGIN_PROTOCOL_VERSIONS", "5,6")];
    let mut child = plugin_command(BIN, tmpdir.path(), &env, Stdio::null())
        .envs(extra_env.iter().copied())
        .spawn()
        .expect("spawn provider");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("handshake in time")
        .expect("stdout")
        .expect("a handshake line");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(fields.len(), 6, "{line}");
    let addr = match fields[2] {
        "unix" => Addr::Unix(PathBuf::from(fields[3])),
        "tcp" => Addr::Tcp(fields[3].parse().expect("ip:port")),
        other => panic!("network {other}"),
    };
    let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .expect("cert");
    Plugin {
        child,
        addr,
        server_cert,
        _tmpdir: tmpdir,
    }
}

async fn dial(addr: &Addr) -> io::Result<Box<dyn IoStream>> {
    Ok(match addr {
        Addr::Unix(path) => Box::new(UnixStream::connect(path).await?),
        Addr::Tcp(sock) => Box::new(TcpStream::connect(sock).await?),
    })
}

async fn connect(
    addr: Addr,
    tls: Option<rustls::ClientConfig>,
) -> Result<Channel, tonic::transport::Error> {
    let endpoint = Endpoint::from_static("http://localhost").timeout(Duration::from_secs(5));
    support::grpc_channel(endpoint, addr, |addr| async move { dial(&addr).await }, tls).await
}

/// Whether a client with this TLS configuration (or plaintext) gets a health answer.
async fn is_let_in(addr: &Addr, tls: Option<rustls::ClientConfig>) -> bool {
    match connect(addr.clone(), tls).await {
        Err(_) => false,
        Ok(channel) => HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: "plugin".to_owned(),
            })
            .await
            .is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32),
    }
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The process's socket inodes (from its fd table).
fn socket_inodes(pid: u32) -> BTreeSet<u64> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fd table")
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            target
                .to_string_lossy()
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse().ok())
        })
        .collect()
}

/// Decodes a `/proc/net/tcp{,6}` local address (`0100007F:1F90`) into an IP and port.
fn decode_proc_addr(hex: &str) -> (std::net::IpAddr, u16) {
    let (ip, port) = hex.split_once(':').expect("ip:port");
    let port = u16::from_str_radix(port, 16).expect("port");
    // The kernel prints each 32-bit word in host (little-endian) order.
    let words: Vec<u32> = (0..ip.len() / 8)
        .map(|i| {
            u32::from_str_radix(&ip[i * 8..i * 8 + 8], 16)
                .expect("hex")
                .swap_bytes()
        })
        .collect();
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    let ip = match bytes.len() {
        4 => std::net::IpAddr::from(<[u8; 4]>::try_from(bytes).expect("4 bytes")),
        _ => std::net::IpAddr::from(<[u8; 16]>::try_from(bytes).expect("16 bytes")),
    };
    (ip, port)
}

/// TCP sockets the process listens on.
fn tcp_listeners(pid: u32) -> Vec<(std::net::IpAddr, u16)> {
    let inodes = socket_inodes(pid);
    let mut listeners = Vec::new();
    for table in ["tcp", "tcp6"] {
        for line in read(format!("/proc/{pid}/net/{table}")).lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let listening = f.get(3) == Some(&"0A");
            let ours = f
                .get(9)
                .and_then(|i| i.parse::<u64>().ok())
                .is_some_and(|i| inodes.contains(&i));
            if listening && ours {
                listeners.push(decode_proc_addr(f[1]));
            }
        }
    }
    listeners
}

#[test]
fn proc_addresses_decode() {
    assert_eq!(
        decode_proc_addr("0100007F:1F90"),
        ("127.0.0.1".parse().unwrap(), 8080)
    );
    assert_eq!(
        decode_proc_addr("00000000000000000000000001000000:0016"),
        ("::1".parse().unwrap(), 22)
    );
}

#[tokio::test]
async fn serving_on_the_unix_socket_listens_on_no_tcp_port() {
    let client = client_identity();
    let plugin = start(&[("PLUGIN_CLIENT_CERT", client.pem.as_str())]).await;
    assert!(matches!(plugin.addr, Addr::Unix(_)), "{:?}", plugin.addr);
    // Serving for real: an authenticated call succeeds, then look at the sockets.
    assert!(
        is_let_in(
            &plugin.addr,
            Some(tls_client_config(&plugin.server_cert, Some(&client)))
        )
        .await
    );
    assert!(!socket_inodes(plugin.pid()).is_empty());
    assert_eq!(tcp_listeners(plugin.pid()), vec![]);
}

#[tokio::test]
async fn tcp_fallback_listens_on_loopback_only_and_still_requires_the_client_cert() {
    let client = client_identity();
    let plugin = start(&[
        ("PLUGIN_CLIENT_CERT", client.pem.as_str()),
        // No unix socket can be made here, so the plugin falls back to TCP.
        ("PLUGIN_UNIX_SOCKET_DIR", "/nonexistent/plugin-sockets"),
        ("PLUGIN_MIN_PORT", "21000"),
        ("PLUGIN_MAX_PORT", "21999"),
    ])
    .await;
    let Addr::Tcp(announced) = plugin.addr else {
        panic!("expected the TCP fallback, got {:?}", plugin.addr);
    };
    assert!(announced.ip().is_loopback(), "{announced}");
    assert!((21000..=21999).contains(&announced.port()), "{announced}");

    let ok = tls_client_config(&plugin.server_cert, Some(&client));
    assert!(
        is_let_in(&plugin.addr, Some(ok)).await,
        "the right client was refused"
    );
    let listeners = tcp_listeners(plugin.pid());
    assert_eq!(
        listeners,
        vec![(announced.ip(), announced.port())],
        "exactly the announced loopback port"
    );

    let stranger = client_identity();
    for (what, config) in [
        (
            "no client certificate",
            Some(tls_client_config(&plugin.server_cert, None)),
        ),
        (
            "another go-plugin-shaped certificate",
            Some(tls_client_config(&plugin.server_cert, Some(&stranger))),
        ),
        ("plaintext", None),
    ] {
        assert!(
            !is_let_in(&plugin.addr, config).await,
            "{what} was let in over TCP"
        );
    }
    assert!(
        is_let_in(
            &plugin.addr,
            Some(tls_client_config(&plugin.server_cert, Some(&client)))
        )
        .await,
        "refusals broke the server"
    );
}

#[tokio::test]
async fn stalled_and_garbage_clients_neither_block_nor_crash_the_plugin() {
    let client = client_identity();
    let mut plugin = start(&[("PLUGIN_CLIENT_CERT", client.pem.as_str())]).await;
    // Connections that never finish a TLS handshake...
    let mut stalled = Vec::new();
    for _ in 0..20 {
        stalled.push(dial(&plugin.addr).await.expect("connect"));
    }
    // ...and ones that send junk: HTTP/1.1, a bare HTTP/2 preface, random bytes, a TLS
    // ClientHello cut short.
    let junk: [&[u8]; 4] = [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        &[0xff; 512],
        &[
            0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
        ],
    ];
    for bytes in junk {
        let mut stream = dial(&plugin.addr).await.expect("connect");
        let _ = stream.write_all(bytes).await;
        let _ = stream.shutdown().await;
    }
    // The real client still gets in promptly.
    let served = tokio::time::timeout(
        Duration::from_secs(5),
        is_let_in(
            &plugin.addr,
            Some(tls_client_config(&plugin.server_cert, Some(&client))),
        ),
    )
    .await
    .expect("the real client was blocked by stalled ones");
    assert!(served);
    assert!(
        plugin.child.try_wait().expect("status").is_none(),
        "the plugin exited"
    );
    drop(stalled);
}

#[tokio::test]
async fn each_start_has_a_fresh_certificate_and_socket_directory() {
    let client = client_identity();
    let first = start(&[("PLUGIN_CLIENT_CERT", client.pem.as_str())]).await;
    let second = start(&[("PLUGIN_CLIENT_CERT", client.pem.as_str())]).await;
    assert_ne!(first.server_cert, second.server_cert);
    let (Addr::Unix(a), Addr::Unix(b)) = (&first.addr, &second.addr) else {
        panic!("unix sockets expected");
    };
    assert_ne!(a.parent(), b.parent());
    // A client pinned to one run's certificate cannot talk to the other run.
    assert!(
        !is_let_in(
            &second.addr,
            Some(tls_client_config(&first.server_cert, Some(&client)))
        )
        .await,
        "a client pinned to another run's server certificate got in"
    );
}
