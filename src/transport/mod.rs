//! The one place a request leaves the process.
//!
//! Every request — the generated client's operations (through the hook in
//! `hooks.rs`), hijacked upgrades (attach, exec start) and long bodies
//! (logs, archives, export, pull/push progress) — goes through
//! [`Transport::send`] or [`Transport::upgrade`]. They own:
//!
//! - the connection ([`connector`]: Unix socket, TCP, TLS, ssh);
//! - its reuse ([`pool`]): kept-alive HTTP/1 connections, driven in the task
//!   that awaits the answer and reads the body ([`body`]), so no wake-up
//!   crosses threads on a multi-thread runtime;
//! - the request target: the daemon's path prefix and the `Host` header;
//! - the tracing span, named after the operation.
//!
//! Redirects are never followed: hyper does not follow them, and a 3xx
//! answer is an error to the caller. Errors are returned as the cause
//! (what the OS, TLS or ssh said); the caller names host and operation.

mod body;
mod connector;
pub(crate) mod path;
mod pool;
pub(crate) mod ssh;
pub(crate) mod tls;
#[cfg(feature = "tls")]
mod tls_client;

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use http::header::{HeaderValue, HOST};
use http::{Request, Response, StatusCode, Uri};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use tracing::Instrument;

pub(crate) use body::{BodyTooLarge, ResponseBody};
pub(crate) use pool::RequestBody;

use crate::{BoxError, DockerHost, Error, Result};
use connector::Connector;
use pool::{Conn, Pool};
use ssh::SshCommand;
use tls::TlsSettings;

/// The header progenitor puts on every generated request, carrying the
/// spec's version rather than the negotiated one; the daemon ignores it
/// and the version travels in the path, so it is not sent.
const GENERATED_VERSION_HEADER: &str = "api-version";

/// The most of a non-101 answer to an upgrade request that is kept.
const UPGRADE_ERROR_BODY_LIMIT: usize = 64 * 1024;

/// How to reach the daemon beyond its address: TLS material and ssh options.
#[derive(Clone, Debug)]
pub(crate) struct TransportSettings {
    /// TLS for a TCP host; `None` for plain TCP.
    pub(crate) tls: Option<TlsSettings>,
    /// Extra arguments for `ssh` (before the destination).
    pub(crate) ssh_options: Vec<String>,
    /// How long a TCP connect (with its TLS handshake) or ssh's may take.
    pub(crate) connect_timeout: std::time::Duration,
    /// Added to a failed connect's error: where else the daemon was
    /// looked for (discovery found none).
    pub(crate) unreachable_hint: Option<String>,
    /// The most a non-streamed success answer may hold.
    pub(crate) max_response_size: usize,
}

/// Connections to one daemon. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub(crate) struct Transport {
    shared: Arc<Shared>,
}

struct Shared {
    host: String,
    connector: Connector,
    /// The `Host` header: the daemon's address, or `docker` where there is
    /// none (Unix socket, ssh).
    authority: HeaderValue,
    /// A path every request goes under (`tcp://host:port/prefix`).
    path_prefix: String,
    pool: Arc<Pool>,
    unreachable_hint: Option<String>,
    max_response_size: usize,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("host", &self.shared.host)
            .field("connector", &self.shared.connector)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// The transport for `host`. TLS material is read and checked here, so
    /// a bad file is an error before any request.
    pub(crate) fn new(host: &DockerHost, settings: &TransportSettings) -> Result<Transport> {
        let (connector, authority, path_prefix) = match host {
            DockerHost::Unix { path } => (Connector::Unix(path.clone()), "docker".to_owned(), ""),
            DockerHost::Tcp {
                host: name,
                port,
                path_prefix,
                ..
            } => {
                let authority = if name.contains(':') {
                    format!("[{name}]:{port}")
                } else {
                    format!("{name}:{port}")
                };
                let connector = match &settings.tls {
                    None => Connector::Tcp {
                        host: name.clone(),
                        port: *port,
                        timeout: settings.connect_timeout,
                    },
                    Some(tls) => Connector::Tls {
                        host: name.clone(),
                        port: *port,
                        timeout: settings.connect_timeout,
                        client: tls::TlsClient::new(name, tls)?,
                    },
                };
                (connector, authority, path_prefix.as_str())
            }
            DockerHost::Ssh { user, host, port } => (
                Connector::Ssh(Arc::new(SshCommand {
                    program: "ssh".to_owned(),
                    connect_timeout: settings.connect_timeout,
                    options: settings.ssh_options.clone(),
                    user: user.clone(),
                    host: host.clone(),
                    port: *port,
                })),
                "docker".to_owned(),
                "",
            ),
        };
        let authority = HeaderValue::from_str(&authority)
            .map_err(|_| Error::invalid("DOCKER_HOST", format!("{host}: not a valid HTTP host")))?;
        Ok(Transport {
            shared: Arc::new(Shared {
                host: host.to_string(),
                connector,
                authority,
                path_prefix: path_prefix.to_owned(),
                pool: Arc::default(),
                unreachable_hint: settings.unreachable_hint.clone(),
                max_response_size: settings.max_response_size,
            }),
        })
    }

    /// The daemon address, as errors name it.
    pub(crate) fn host(&self) -> &str {
        &self.shared.host
    }

    /// The most a non-streamed success answer may hold.
    pub(crate) fn max_response_size(&self) -> usize {
        self.shared.max_response_size
    }

    /// Send `request` (its URI a path, or an absolute URL whose path is
    /// used) and return the answer, whatever its status, once its head has
    /// arrived. Reading the body drives the connection.
    pub(crate) async fn send(
        &self,
        operation: &'static str,
        request: Request<RequestBody>,
    ) -> Result<Response<ResponseBody>> {
        let span = tracing::debug_span!(
            "docker",
            operation,
            method = %request.method(),
            path = request.uri().path(),
        );
        async {
            let request = self.prepare(request, operation)?;
            let result = self.round_trip(request).await;
            log_outcome(result.as_ref().map(Response::status));
            result.map_err(|source| Error::transport(self.host(), operation, source))
        }
        .instrument(span)
        .await
    }

    /// Send a request that asks to upgrade the connection (attach, exec
    /// start) on a connection of its own. On `101` the answer carries the
    /// upgrade (`hyper::upgrade::on`); any other answer comes with (the
    /// start of) its body.
    pub(crate) async fn upgrade(
        &self,
        operation: &'static str,
        request: Request<RequestBody>,
    ) -> Result<Response<Bytes>> {
        let span = tracing::debug_span!(
            "docker",
            operation,
            method = %request.method(),
            path = request.uri().path(),
            upgrade = true,
        );
        async {
            let request = self.prepare(request, operation)?;
            let result = self.upgrade_round_trip(request).await;
            log_outcome(result.as_ref().map(Response::status));
            result.map_err(|source| Error::transport(self.host(), operation, source))
        }
        .instrument(span)
        .await
    }

    /// The request as it goes on the wire: origin-form target under the
    /// daemon's path prefix, the `Host` header, no generated version header.
    fn prepare(
        &self,
        mut request: Request<RequestBody>,
        operation: &'static str,
    ) -> Result<Request<RequestBody>> {
        let target = request
            .uri()
            .path_and_query()
            .map_or("/", |target| target.as_str());
        let uri: Uri = format!("{}{target}", self.shared.path_prefix)
            .parse()
            .map_err(|e| Error::invalid(operation, format!("request target: {e}")))?;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.remove(GENERATED_VERSION_HEADER);
        headers.insert(HOST, self.shared.authority.clone());
        Ok(request)
    }

    /// One request on a pooled connection, or on a new one when none is
    /// idle. A pooled connection found closed before the request was
    /// written is dropped and the request retried: it never reached the
    /// daemon, so even a POST is safe to resend.
    async fn round_trip(
        &self,
        mut request: Request<RequestBody>,
    ) -> std::result::Result<Response<ResponseBody>, BoxError> {
        while let Some(conn) = self.shared.pool.take() {
            match self.exchange(conn, request).await {
                Exchanged::Answered(response) => return Ok(response),
                Exchanged::NotSent(returned, _) => request = returned,
                Exchanged::Failed(error) => return Err(error),
            }
        }
        let conn = self.dial().await?;
        match self.exchange(conn, request).await {
            Exchanged::Answered(response) => Ok(response),
            Exchanged::NotSent(_, error) | Exchanged::Failed(error) => Err(error),
        }
    }

    /// A new connection, handshaken.
    async fn dial(&self) -> std::result::Result<Conn, BoxError> {
        let io = self.connect().await?;
        let (sender, connection) = http1::handshake(io).await?;
        Ok(Conn { sender, connection })
    }

    /// A new byte stream to the daemon; a failure says where else the
    /// daemon was looked for, if discovery looked.
    async fn connect(&self) -> std::result::Result<connector::BoxedIo, BoxError> {
        self.shared
            .connector
            .connect()
            .await
            .map_err(|error| match &self.shared.unreachable_hint {
                Some(hint) => format!("{error}; {hint}").into(),
                None => error,
            })
    }

    /// Send on `conn`, driving it here until the answer's head arrives.
    async fn exchange(&self, mut conn: Conn, request: Request<RequestBody>) -> Exchanged {
        // A reused connection may still be finishing its last answer.
        let ready = std::future::poll_fn(|cx| {
            if let Poll::Ready(result) = Pin::new(&mut conn.connection).poll(cx) {
                let error: BoxError = match result {
                    Ok(()) => "the daemon closed the connection".into(),
                    Err(error) => error.into(),
                };
                return Poll::Ready(Err(error));
            }
            conn.sender.poll_ready(cx).map_err(BoxError::from)
        })
        .await;
        if let Err(error) = ready {
            return Exchanged::NotSent(request, error);
        }
        let mut connection_done = false;
        let mut sending = pin!(conn.sender.try_send_request(request));
        let answer = std::future::poll_fn(|cx| {
            if let Poll::Ready(result) = sending.as_mut().poll(cx) {
                return Poll::Ready(result);
            }
            if !connection_done {
                // A closed or failed connection also fails the send, which
                // then says why; keep polling that.
                if Pin::new(&mut conn.connection).poll(cx).is_ready() {
                    connection_done = true;
                    return sending.as_mut().poll(cx);
                }
            }
            Poll::Pending
        })
        .await;
        match answer {
            Ok(response) => {
                let (parts, incoming) = response.into_parts();
                let body = ResponseBody::new(
                    conn,
                    connection_done,
                    incoming,
                    Arc::clone(&self.shared.pool),
                );
                Exchanged::Answered(Response::from_parts(parts, body))
            }
            Err(mut error) => match error.take_message() {
                Some(request) => Exchanged::NotSent(request, error.into_error().into()),
                None => Exchanged::Failed(error.into_error().into()),
            },
        }
    }

    /// An upgrade on a fresh connection: driven until the daemon switches
    /// protocols (hyper then hands the socket to the answer's upgrade), or
    /// until a refusal's body is read.
    async fn upgrade_round_trip(
        &self,
        request: Request<RequestBody>,
    ) -> std::result::Result<Response<Bytes>, BoxError> {
        let io = self.connect().await?;
        let (mut sender, connection) = http1::handshake(io).await?;
        let mut connection = connection.with_upgrades();
        let mut connection_done = false;
        let mut sending = pin!(sender.send_request(request));
        let response: Response<Incoming> = std::future::poll_fn(|cx| {
            if let Poll::Ready(result) = sending.as_mut().poll(cx) {
                return Poll::Ready(result.map_err(BoxError::from));
            }
            if !connection_done {
                if let Poll::Ready(result) = Pin::new(&mut connection).poll(cx) {
                    connection_done = true;
                    if let Err(error) = result {
                        return Poll::Ready(Err(error.into()));
                    }
                    return sending.as_mut().poll(cx).map_err(BoxError::from);
                }
            }
            Poll::Pending
        })
        .await?;
        let (parts, mut incoming) = response.into_parts();
        if parts.status == StatusCode::SWITCHING_PROTOCOLS {
            // The driver ends by handing the socket over to the upgrade.
            if !connection_done {
                Pin::new(&mut connection).await?;
            }
            return Ok(Response::from_parts(parts, Bytes::new()));
        }
        // A refusal: read (the start of) its message while driving the
        // connection, for the error.
        let mut text = Vec::new();
        let mut body = pin!(std::future::poll_fn(|cx| {
            loop {
                if !connection_done {
                    if let Poll::Ready(result) = Pin::new(&mut connection).poll(cx) {
                        connection_done = true;
                        result?;
                    }
                }
                match hyper::body::Body::poll_frame(Pin::new(&mut incoming), cx) {
                    Poll::Ready(Some(Ok(frame))) => {
                        if let Ok(data) = frame.into_data() {
                            let room = UPGRADE_ERROR_BODY_LIMIT - text.len();
                            text.extend_from_slice(&data[..data.len().min(room)]);
                            if text.len() == UPGRADE_ERROR_BODY_LIMIT {
                                return Poll::Ready(Ok::<(), hyper::Error>(()));
                            }
                        }
                    }
                    Poll::Ready(Some(Err(error))) => return Poll::Ready(Err(error)),
                    Poll::Ready(None) => return Poll::Ready(Ok(())),
                    Poll::Pending => return Poll::Pending,
                }
            }
        }));
        body.as_mut().await?;
        Ok(Response::from_parts(parts, Bytes::from(text)))
    }
}

/// What became of a request on one connection.
// Short-lived: built and matched at once, so its size does not matter.
#[allow(clippy::large_enum_variant)]
enum Exchanged {
    Answered(Response<ResponseBody>),
    /// The connection failed before the request was written; here it is back.
    NotSent(Request<RequestBody>, BoxError),
    Failed(BoxError),
}

fn log_outcome(outcome: std::result::Result<StatusCode, &BoxError>) {
    match outcome {
        Ok(status) => tracing::debug!(status = status.as_u16(), "response"),
        Err(error) => tracing::debug!(%error, "request failed"),
    }
}

#[cfg(test)]
mod tests;
