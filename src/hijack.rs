//! Hijacked connections: the endpoints (attach, exec start) where the daemon
//! answers `101 Switching Protocols` and the HTTP connection becomes a raw,
//! two-way byte stream.

use http::header::{HeaderValue, CONNECTION, CONTENT_TYPE, UPGRADE};
use hyper_util::rt::TokioIo;

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

/// `AsyncRead` and `AsyncWrite` for `$type` by those of its field
/// `$field`: for the types that wrap a connection and add to it.
macro_rules! delegate_async_io {
    ($type:ty, $field:ident) => {
        impl tokio::io::AsyncRead for $type {
            fn poll_read(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.$field).poll_read(cx, buf)
            }
        }

        impl tokio::io::AsyncWrite for $type {
            fn poll_write(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut self.$field).poll_write(cx, buf)
            }

            fn poll_flush(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.$field).poll_flush(cx)
            }

            fn poll_shutdown(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.$field).poll_shutdown(cx)
            }
        }
    };
}

pub(crate) use delegate_async_io;

delegate_async_io!(HijackedConnection, io);

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
