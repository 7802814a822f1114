//! Hijacked connections: the endpoints (attach, exec start) where the daemon
//! answers `101 Switching Protocols` and the HTTP connection becomes a raw,
//! two-way byte stream.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use reqwest::header::{HeaderValue, CONNECTION, CONTENT_TYPE, UPGRADE};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tracing::Instrument;

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
    io: reqwest::Upgraded,
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
    /// POST to a hijacking endpoint (`path` under the version prefix, with
    /// `query`, and an optional JSON body) and return the upgraded connection.
    pub(crate) async fn hijack(
        &self,
        operation: &'static str,
        path: &str,
        query: &[(&str, String)],
        json_body: Option<Vec<u8>>,
    ) -> Result<HijackedConnection> {
        let (http, base_url) = self.versioned_http().await?;
        let mut request = http
            .post(format!("{base_url}{path}"))
            .query(query)
            .header(CONNECTION, HeaderValue::from_static("Upgrade"))
            .header(UPGRADE, HeaderValue::from_static("tcp"));
        if let Some(body) = json_body {
            request = request
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body);
        }
        let span = tracing::debug_span!("docker", operation, method = "POST", path);
        let host = self.host().to_string();
        async {
            let response = self
                .send_checked(operation, request, |status| {
                    status == reqwest::StatusCode::SWITCHING_PROTOCOLS
                })
                .await?;
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let io = response
                .upgrade()
                .await
                .map_err(|source| Error::Transport {
                    host: host.clone(),
                    operation,
                    source: Box::new(source),
                })?;
            Ok(HijackedConnection { io, content_type })
        }
        .instrument(span)
        .await
    }
}
