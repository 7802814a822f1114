//! A dedicated connection for long response bodies (logs), driven by the
//! task that reads the body.
//!
//! Through the pooled client, hyper's connection task runs wherever the
//! runtime puts it, and on a multi-thread runtime every small write of the
//! daemon (one per log line) wakes the reader on another thread: a log of
//! short lines then reads at a third of the socket's rate. Here the
//! connection is polled inside the body stream itself, so the bytes are read
//! where they are consumed, as on a current-thread runtime. The connection
//! is closed when the body is dropped.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use http_body_util::Empty;
use hyper::body::{Body, Incoming};
use hyper::client::conn::http1::{self, Connection};
use hyper_util::rt::TokioIo;
use progenitor_client::Error as RawError;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};

use crate::error::from_raw;
use crate::{DockerHost, Error, Result};

/// The byte stream a daemon connection is, whatever its transport.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type BoxedIo = TokioIo<Box<dyn Io>>;

/// A response body read over its own connection.
pub(crate) struct DirectBody {
    connection: Connection<BoxedIo, Empty<Bytes>>,
    connection_done: bool,
    body: Incoming,
}

impl std::fmt::Debug for DirectBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectBody").finish_non_exhaustive()
    }
}

impl Stream for DirectBody {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if !this.connection_done {
                match Pin::new(&mut this.connection).poll(cx) {
                    Poll::Ready(Ok(())) => this.connection_done = true,
                    Poll::Ready(Err(err)) => {
                        this.connection_done = true;
                        return Poll::Ready(Some(Err(io::Error::other(err))));
                    }
                    Poll::Pending => {}
                }
            }
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if data.is_empty() => continue,
                    Ok(data) => return Poll::Ready(Some(Ok(data))),
                    // Trailers: nothing to pass on.
                    Err(_) => continue,
                },
                Poll::Ready(Some(Err(err))) => {
                    return Poll::Ready(Some(Err(io::Error::other(err))))
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// `GET path_and_query` (a full path, version prefix included) on a new
/// connection to `host`; the answer's headers and its body, or the mapped
/// error for a non-success status.
pub(crate) async fn get(
    host: &DockerHost,
    path_and_query: &str,
    operation: &'static str,
) -> Result<(http::HeaderMap, DirectBody)> {
    let host_text = host.to_string();
    let transport_error = |source: Box<dyn std::error::Error + Send + Sync>| Error::Transport {
        host: host_text.clone(),
        operation,
        source,
    };
    let (io, authority, prefix): (Box<dyn Io>, String, &str) = match host {
        DockerHost::Unix { path } => (
            Box::new(
                UnixStream::connect(path)
                    .await
                    .map_err(|e| transport_error(e.into()))?,
            ),
            "localhost".to_owned(),
            "",
        ),
        DockerHost::Tcp {
            host: name,
            port,
            tls: false,
            path_prefix,
        } => (
            Box::new(
                TcpStream::connect((name.as_str(), *port))
                    .await
                    .map_err(|e| transport_error(e.into()))?,
            ),
            format!("{name}:{port}"),
            path_prefix.as_str(),
        ),
        DockerHost::Tcp { tls: true, .. } => {
            return Err(Error::invalid(format!(
                "{host}: TLS connections are not supported yet"
            )))
        }
    };
    let (mut sender, mut connection) = http1::handshake::<_, Empty<Bytes>>(TokioIo::new(io))
        .await
        .map_err(|e| transport_error(e.into()))?;
    let request = http::Request::get(format!("{prefix}{path_and_query}"))
        .header(http::header::HOST, authority)
        .body(Empty::new())
        .map_err(|e| Error::invalid(format!("{operation}: {e}")))?;
    // Drive the connection while the request goes out and the head comes back.
    let mut sending = std::pin::pin!(sender.send_request(request));
    let response = std::future::poll_fn(|cx| {
        if let Poll::Ready(result) = sending.as_mut().poll(cx) {
            return Poll::Ready(result.map_err(|e| transport_error(e.into())));
        }
        match Pin::new(&mut connection).poll(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Err(transport_error(
                "the daemon closed the connection before answering".into(),
            ))),
            Poll::Ready(Err(e)) => Poll::Ready(Err(transport_error(e.into()))),
            Poll::Pending => Poll::Pending,
        }
    })
    .await?;
    let (parts, body) = response.into_parts();
    let mut direct = DirectBody {
        connection,
        connection_done: false,
        body,
    };
    if !parts.status.is_success() {
        let mut text = Vec::new();
        while let Some(chunk) = futures_util::StreamExt::next(&mut direct).await {
            text.extend_from_slice(&chunk.map_err(|e| transport_error(e.into()))?);
        }
        let answer = http::Response::from_parts(parts, text);
        let raw = RawError::<()>::UnexpectedResponse(reqwest::Response::from(answer));
        return Err(from_raw(raw, operation, &host_text).await);
    }
    Ok((parts.headers, direct))
}
