//! A response body that drives its own connection.
//!
//! The connection is polled inside the body stream, so the bytes are read in
//! the task that consumes them: on a multi-thread runtime no wake-up crosses
//! threads between a connection task and the reader. When the body has been
//! read to its end, the connection goes back to the pool for the next
//! request; a body dropped early takes its connection with it (closed).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use hyper::body::{Body as _, Incoming};

use super::pool::{Conn, Pool};

/// A success answer longer than the limit for non-streamed answers
/// ([`DockerBuilder::max_response_size`](crate::DockerBuilder::max_response_size)).
#[derive(Debug)]
pub(crate) struct BodyTooLarge {
    pub(crate) limit: usize,
}

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the answer is longer than the {}-byte limit", self.limit)
    }
}

impl std::error::Error for BodyTooLarge {}

/// The body of a response from [`Transport::send`](super::Transport::send).
pub(crate) struct ResponseBody {
    /// The connection, while the body is being read over it.
    conn: Option<Conn>,
    connection_done: bool,
    body: Incoming,
    pool: Arc<Pool>,
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseBody").finish_non_exhaustive()
    }
}

impl ResponseBody {
    pub(super) fn new(conn: Conn, connection_done: bool, body: Incoming, pool: Arc<Pool>) -> Self {
        let mut response_body = ResponseBody {
            conn: Some(conn),
            connection_done,
            body,
            pool,
        };
        // An empty body (204, 304, HEAD, `Content-Length: 0`) may never be
        // read; its connection is free at once.
        if response_body.body.is_end_stream() {
            response_body.finish();
        }
        response_body
    }

    /// The body as reqwest's body type, for the generated client.
    pub(crate) fn into_reqwest(self) -> reqwest::Body {
        reqwest::Body::wrap_stream(self)
    }

    /// The body as reqwest's body type, failing with [`BodyTooLarge`] once
    /// more than `limit` bytes arrive: an answer that should be a JSON
    /// document cannot fill the memory by never ending.
    pub(crate) fn into_reqwest_limited(self, limit: usize) -> reqwest::Body {
        let mut seen = 0usize;
        reqwest::Body::wrap_stream(self.map(move |chunk| -> Result<Bytes, crate::BoxError> {
            let chunk = chunk?;
            seen = seen.saturating_add(chunk.len());
            if seen > limit {
                // Boxed as itself (not inside an io::Error, whose `source`
                // skips it), so the error mapping can find it.
                return Err(Box::new(BodyTooLarge { limit }));
            }
            Ok(chunk)
        }))
    }

    /// Read the body up to `limit` bytes; what is beyond is left unread
    /// (and the connection closed), so an endless answer costs at most
    /// `limit`. Returns the bytes and whether the body ended within it.
    pub(crate) async fn read_up_to(mut self, limit: usize) -> io::Result<(Bytes, bool)> {
        let mut collected = BytesMut::new();
        while let Some(chunk) = self.next().await {
            let chunk = chunk?;
            let room = limit - collected.len();
            if chunk.len() > room {
                collected.extend_from_slice(&chunk[..room]);
                return Ok((collected.freeze(), false));
            }
            collected.extend_from_slice(&chunk);
        }
        Ok((collected.freeze(), true))
    }

    /// The body has ended: keep the connection for the next request if it
    /// can take one.
    fn finish(&mut self) {
        if let Some(conn) = self.conn.take() {
            if !self.connection_done {
                self.pool.put(conn);
            }
        }
    }
}

impl Stream for ResponseBody {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let (Some(conn), false) = (this.conn.as_mut(), this.connection_done) {
                match Pin::new(&mut conn.connection).poll(cx) {
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
                Poll::Ready(None) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
