//! Idle kept-alive connections to one daemon, for the next request.
//!
//! A connection is a hyper HTTP/1 handle and its driver; nobody polls it
//! while it waits here. Before reuse it is polled once, so one the daemon
//! closed meanwhile is found and dropped. At most [`MAX_IDLE`] wait, none
//! longer than [`IDLE_TIMEOUT`]: a burst of concurrent calls does not leave
//! hundreds of sockets open.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hyper::client::conn::http1::{Connection, SendRequest};

use super::connector::BoxedIo;

/// The request body type every connection sends.
pub(crate) type RequestBody = reqwest::Body;

/// The most idle connections kept per daemon.
pub(crate) const MAX_IDLE: usize = 8;
/// How long an idle connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// One HTTP/1 connection: the handle requests go through and the state
/// machine that reads and writes the socket.
pub(crate) struct Conn {
    pub(crate) sender: SendRequest<RequestBody>,
    pub(crate) connection: Connection<BoxedIo, RequestBody>,
}

impl Conn {
    /// Whether the connection can take another request: poll it once
    /// without a waker to see whether the daemon closed it.
    fn is_usable(&mut self) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        match Pin::new(&mut self.connection).poll(&mut cx) {
            Poll::Ready(_) => false,
            Poll::Pending => !self.sender.is_closed(),
        }
    }
}

/// The idle connections of one daemon.
#[derive(Default)]
pub(crate) struct Pool {
    idle: Mutex<Vec<(Conn, Instant)>>,
}

impl Pool {
    /// The most recently used idle connection that is still usable.
    pub(crate) fn take(&self) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((mut conn, since)) = idle.pop() {
            if since.elapsed() < IDLE_TIMEOUT && conn.is_usable() {
                return Some(conn);
            }
        }
        None
    }

    /// Keep `conn` for a later request, dropping the oldest over the cap and
    /// any that waited too long.
    pub(crate) fn put(&self, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.retain(|(_, since)| since.elapsed() < IDLE_TIMEOUT);
        if idle.len() >= MAX_IDLE {
            idle.remove(0);
        }
        idle.push((conn, Instant::now()));
    }

    /// How many connections wait idle now.
    #[cfg(test)]
    pub(crate) fn idle_count(&self) -> usize {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}
