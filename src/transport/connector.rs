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
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};

use super::ssh::{SshCommand, SshStream};
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
    /// TLS over TCP, verified (or not) as the configuration says; connected
    /// and handshaken within `timeout` each.
    Tls {
        host: String,
        port: u16,
        timeout: Duration,
        server_name: ServerName<'static>,
        config: Arc<rustls::ClientConfig>,
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
                server_name,
                config,
            } => {
                let tcp = tcp(host, *port, *timeout).await?;
                let handshake = tokio_rustls::TlsConnector::from(Arc::clone(config))
                    .connect(server_name.clone(), tcp);
                let tls = tokio::time::timeout(*timeout, handshake)
                    .await
                    .map_err(|_| timed_out("the TLS handshake", host, *port, *timeout))?
                    .map_err(|e| tls_error(e, host, *port))?;
                Box::new(tls)
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

fn timed_out(what: &str, host: &str, port: u16, limit: Duration) -> BoxError {
    format!("{what} to {host}:{port} took longer than {limit:?}").into()
}

/// An I/O error with what was being done, keeping its kind.
fn with_context(error: io::Error, doing: &str) -> BoxError {
    Box::new(io::Error::new(error.kind(), format!("{doing}: {error}")))
}

/// A failed TLS handshake, saying which side refused and why: rustls' own
/// message names the reason (unknown issuer, name mismatch, a certificate
/// the server required, …).
fn tls_error(error: io::Error, host: &str, port: u16) -> BoxError {
    let detail = match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(reason)) => {
            format!("the daemon's certificate was refused: {reason:?}")
        }
        Some(rustls::Error::AlertReceived(alert)) => {
            format!("the daemon refused the handshake ({alert:?}): does it want a client certificate this client lacks, or one signed by another CA?")
        }
        Some(other) => other.to_string(),
        None if error.kind() == io::ErrorKind::UnexpectedEof => {
            "the daemon closed the connection during the TLS handshake (is it speaking TLS, and does it accept this client certificate?)".to_owned()
        }
        None => error.to_string(),
    };
    format!("TLS handshake with {host}:{port}: {detail}").into()
}
