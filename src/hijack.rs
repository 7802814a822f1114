//! Hijacked connections: the endpoints (attach, exec start) where the daemon
//! answers `101 Switching Protocols` and the HTTP connection becomes a raw,
//! two-way byte stream.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::{HeaderValue, CONNECTION, CONTENT_TYPE, UPGRADE};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{from_status, location};
use crate::transport::path::ApiPath;
use crate::transport::RequestBody;
use crate::{Docker, Error, Result};

/// A connection the daemon has handed over for raw I/O: reads return the
/// container's output, writes go to its stdin. Shutting down the write side
/// (`AsyncWriteExt::shutdown`) closes the container's stdin.
///
/// Any bytes the daemon sent together with its `101` answer are kept and
/// returned by the first reads. Split it with `tokio::io::split` to read and
/// write from different tasks.
///
/// Dropping it closes the connection (cancel-safe: nothing else is held).
pub struct HijackedConnection {
    io: TokioIo<hyper::upgrade::Upgraded>,
    content_type: Option<String>,
}

impl std::fmt::Debug for HijackedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HijackedConnection")
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl HijackedConnection {
    /// The `Content-Type` of the daemon's `101` answer
    /// (`application/vnd.docker.multiplexed-stream` or `…raw-stream`).
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }
}

impl AsyncRead for HijackedConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for HijackedConnection {
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
}

impl Docker {
    /// POST to a hijacking endpoint (`path`, with an optional JSON body) and
    /// return the upgraded connection.
    pub(crate) async fn hijack(
        &self,
        operation: &'static str,
        path: &ApiPath,
        json_body: Option<Vec<u8>>,
    ) -> Result<HijackedConnection> {
        let mut request = http::Request::post(path.as_str())
            .header(CONNECTION, HeaderValue::from_static("Upgrade"))
            .header(UPGRADE, HeaderValue::from_static("tcp"));
        if json_body.is_some() {
            request = request.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let request = request
            .body(RequestBody::from(json_body.unwrap_or_default()))
            .map_err(|e| Error::invalid(operation, e.to_string()))?;
        let mut response = self
            .within_limit(operation, self.transport().upgrade(operation, request))
            .await?;
        if response.status() != http::StatusCode::SWITCHING_PROTOCOLS {
            return Err(from_status(
                operation,
                response.status().as_u16(),
                location(response.headers()).as_deref(),
                response.body(),
            ));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let io = hyper::upgrade::on(&mut response)
            .await
            .map_err(|source| Error::transport(self.transport().host(), operation, source))?;
        Ok(HijackedConnection {
            io: TokioIo::new(io),
            content_type,
        })
    }
}
