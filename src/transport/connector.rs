//! Opening a byte stream to the daemon, one arm per transport: a Unix
//! socket, TCP, TLS over TCP, or an ssh process running
//! `docker system dial-stdio` on the remote host.
//!
//! Everything above this file sees only a [`BoxedIo`]; a new transport is a
//! new arm here and nothing else.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};

use super::ssh::{SshCommand, SshStream};
use super::tls::TlsClient;
use crate::BoxError;

/// The byte stream a daemon connection is, whatever its transport.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// A connection as hyper drives it.
pub(crate) type BoxedIo = TokioIo<Box<dyn Io>>;

/// How to reach one daemon.
#[derive(Clone)]
pub(crate) enum Connector {
    /// A Unix domain socket.
    Unix(PathBuf),
    /// Plain TCP to `host:port`, connected within `timeout`.
    Tcp {
        host: String,
        port: u16,
        timeout: Duration,
    },
    /// TLS over TCP, verified (or not) as the client's settings say;
    /// connected and handshaken within `timeout` each.
    Tls {
        host: String,
        port: u16,
        timeout: Duration,
        client: TlsClient,
    },
    /// `ssh … docker system dial-stdio`.
    Ssh(Arc<SshCommand>),
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Connector::Unix(path) => write!(f, "Unix({})", path.display()),
            Connector::Tcp { host, port, .. } => write!(f, "Tcp({host}:{port})"),
            Connector::Tls { host, port, .. } => write!(f, "Tls({host}:{port})"),
            Connector::Ssh(command) => write!(f, "Ssh({command:?})"),
        }
    }
}

impl Connector {
    /// Open a new connection. The error is what the OS, the TLS library or
    /// ssh said, ready to be the source of a transport error.
    pub(crate) async fn connect(&self) -> Result<BoxedIo, BoxError> {
        let io: Box<dyn Io> = match self {
            Connector::Unix(path) => Box::new(
                UnixStream::connect(path)
                    .await
                    .map_err(|e| with_context(e, &format!("connecting to {}", path.display())))?,
            ),
            Connector::Tcp {
                host,
                port,
                timeout,
            } => Box::new(tcp(host, *port, *timeout).await?),
            Connector::Tls {
                host,
                port,
                timeout,
                client,
            } => {
                let tcp = tcp(host, *port, *timeout).await?;
                client.handshake(tcp, host, *port, *timeout).await?
            }
            Connector::Ssh(command) => Box::new(SshStream::spawn(command)?),
        };
        Ok(TokioIo::new(io))
    }
}

/// Connect over TCP within `limit`, with Nagle off (requests are small and
/// answered at once).
async fn tcp(host: &str, port: u16, limit: Duration) -> Result<TcpStream, BoxError> {
    let stream = tokio::time::timeout(limit, TcpStream::connect((host, port)))
        .await
        .map_err(|_| timed_out("connecting", host, port, limit))?
        .map_err(|e| with_context(e, &format!("connecting to {host}:{port}")))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

pub(super) fn timed_out(what: &str, host: &str, port: u16, limit: Duration) -> BoxError {
    format!("{what} to {host}:{port} took longer than {limit:?}").into()
}

/// An I/O error with what was being done, keeping its kind.
fn with_context(error: io::Error, doing: &str) -> BoxError {
    Box::new(io::Error::new(error.kind(), format!("{doing}: {error}")))
}
