//! Decoding the streams the daemon answers with.
//!
//! Two encodings cover every streaming endpoint:
//!
//! - the stdout/stderr output of attach, logs and exec, either raw (a TTY
//!   container) or multiplexed into 8-byte-headed frames — see [`frames`];
//! - the JSON-lines streams of stats, events and the progress of pull, push,
//!   build, import and load — see [`mod@json_lines`].
//!
//! Both are [`tokio_util::codec::Decoder`]s, so one decoder serves a hijacked
//! connection (`FramedRead::new(reader, decoder)`) and an HTTP body alike.
//! The helpers here wrap a reqwest body or an [`AsyncRead`] into a stream of
//! [`crate::Result`] items that ends after its first error.

// The endpoints built on this module (logs, attach, exec, stats, pull, …)
// land after it; until they all do, some helpers have no caller yet (this
// and the `unused_imports` allowances below can go once they do).

mod frames;
mod json_lines;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io;

use bytes::Bytes;
use futures_util::{future, Stream, StreamExt, TryStreamExt};
use tokio::io::AsyncRead;
use tokio_util::codec::{Decoder, FramedRead};
use tokio_util::io::StreamReader;

use crate::{BoxError, Error, Result};

pub(crate) use frames::{
    collect_output, concat_output, demux_body, demux_reader, framing, framing_from_headers, Framing,
};
#[cfg(test)]
pub(crate) use frames::{FrameDecoder, MAX_PIECE};
#[cfg(test)]
pub(crate) use json_lines::JsonLinesDecoder;
pub(crate) use json_lines::{json_lines, json_messages};

/// Which of a container's standard streams a piece of output was written to.
///
/// ```
/// use dockhand::StreamKind;
///
/// assert_eq!(StreamKind::Stderr.to_string(), "stderr");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Standard input. The daemon does not send input back in practice;
    /// treat it like [`StreamKind::Stdout`], as the docker CLI does.
    Stdin,
    /// Standard output. All of a TTY container's output is reported as
    /// stdout, since a terminal merges the two streams.
    Stdout,
    /// Standard error.
    Stderr,
}

impl StreamKind {
    /// The kind for a frame header's stream-type byte; `None` for the
    /// system-error type (3) and for unknown types.
    fn from_header_byte(byte: u8) -> Option<StreamKind> {
        match byte {
            0 => Some(StreamKind::Stdin),
            1 => Some(StreamKind::Stdout),
            2 => Some(StreamKind::Stderr),
            _ => None,
        }
    }

    /// The stream's conventional name: `stdin`, `stdout` or `stderr`.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::Stdin => "stdin",
            StreamKind::Stdout => "stdout",
            StreamKind::Stderr => "stderr",
        }
    }
}

impl fmt::Display for StreamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A piece of a container's output, tagged with the stream it came from.
///
/// Pieces follow the order in which the daemon sent them, but their
/// boundaries are those of the transport, not of lines or of the writes the
/// container made: a line (or a multi-byte UTF-8 character) may be split
/// across two pieces, and one piece holds at most 64 KiB.
///
/// ```
/// use dockhand::{OutputChunk, StreamKind};
///
/// let chunk = OutputChunk::new(StreamKind::Stderr, "oops\n");
/// assert!(chunk.is_stderr());
/// assert_eq!(chunk.as_bytes(), b"oops\n");
/// // Display prints the bytes as (lossy) UTF-8 text.
/// assert_eq!(chunk.to_string(), "oops\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputChunk {
    /// The stream the bytes were written to.
    pub kind: StreamKind,
    /// The bytes, exactly as written (not necessarily valid UTF-8).
    pub bytes: Bytes,
}

impl OutputChunk {
    /// A chunk of `bytes` written to `kind`.
    pub fn new(kind: StreamKind, bytes: impl Into<Bytes>) -> Self {
        OutputChunk {
            kind,
            bytes: bytes.into(),
        }
    }

    /// True when the bytes were written to stdout (or, for a TTY container,
    /// to the terminal).
    pub fn is_stdout(&self) -> bool {
        self.kind == StreamKind::Stdout
    }

    /// True when the bytes were written to stderr.
    pub fn is_stderr(&self) -> bool {
        self.kind == StreamKind::Stderr
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes, without copying them.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }
}

impl AsRef<[u8]> for OutputChunk {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl fmt::Display for OutputChunk {
    /// The bytes as UTF-8, with invalid sequences replaced by `U+FFFD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.bytes))
    }
}

/// Why a decoder stopped, before the operation and host are known.
///
/// A [`Decoder`]'s error must come from [`io::Error`], which [`Error`] cannot
/// (it needs the operation and host), so the decoders report this and
/// [`StreamError::into_error`] finishes the job.
#[derive(Debug)]
pub(crate) enum StreamError {
    /// Reading failed: the connection broke or the HTTP body errored.
    Io(io::Error),
    /// The daemon reported an error inside the stream.
    Daemon(String),
    /// The bytes do not follow the encoding.
    Malformed {
        /// The start of the bytes that failed (the error keeps a few hundred).
        snippet: Vec<u8>,
        /// What is wrong with them.
        reason: BoxError,
    },
}

impl StreamError {
    /// A [`StreamError::Malformed`] keeping only the start of `bytes`.
    pub(crate) fn malformed(bytes: &[u8], reason: impl Into<BoxError>) -> Self {
        // `Error::decode` cuts its snippet shorter; keep a little more so it
        // can tell that it cut.
        const KEEP: usize = 256;
        StreamError::Malformed {
            snippet: bytes[..bytes.len().min(KEEP)].to_vec(),
            reason: reason.into(),
        }
    }

    /// The crate error for this failure in `operation` against `host`.
    pub(crate) fn into_error(self, operation: &'static str, host: &str) -> Error {
        match self {
            StreamError::Io(err) => Error::transport(host, operation, transport_source(err)),
            StreamError::Daemon(message) => Error::Stream { operation, message },
            StreamError::Malformed { snippet, reason } => {
                Error::decode(operation, &snippet, reason)
            }
        }
    }
}

impl From<io::Error> for StreamError {
    fn from(err: io::Error) -> Self {
        StreamError::Io(err)
    }
}

/// The cause to report for a failed read: the reqwest error itself when the
/// body's error was wrapped to pass through [`StreamReader`], else the I/O
/// error (which keeps the OS error code of a broken socket).
fn transport_source(err: io::Error) -> BoxError {
    match err.downcast::<reqwest::Error>() {
        Ok(reqwest) => Box::new(reqwest),
        Err(err) => Box::new(err),
    }
}

/// An [`AsyncRead`] over an HTTP body, for a [`FramedRead`].
fn body_reader(
    body: impl Stream<Item = reqwest::Result<Bytes>> + Send + 'static,
) -> impl AsyncRead + Send + 'static {
    StreamReader::new(body.map_err(io::Error::other))
}

/// Decode `reader` with `decoder` into a stream of crate results that ends
/// after the first error (a [`FramedRead`] alone would try to read on).
fn decode_stream<R, D>(
    reader: R,
    decoder: D,
    operation: &'static str,
    host: String,
) -> impl Stream<Item = Result<D::Item>> + Send
where
    R: AsyncRead + Send + 'static,
    D: Decoder<Error = StreamError> + Send + 'static,
    D::Item: Send,
{
    FramedRead::new(reader, decoder)
        .map(move |item| item.map_err(|err| err.into_error(operation, &host)))
        .scan(false, |failed, item| {
            if *failed {
                return future::ready(None);
            }
            *failed = item.is_err();
            future::ready(Some(item))
        })
}
