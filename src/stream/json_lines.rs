//! JSON-lines streams: stats, events, and the progress messages of pull,
//! push, build, import and load.
//!
//! The daemon writes one JSON document per line. [`JsonLinesDecoder`] yields
//! one item per document as soon as its line is complete, and tolerates what
//! a lenient reader should: blank lines and `\r\n` endings, several documents
//! on one line, and a last line without its `\n`. A line longer than
//! [`MAX_LINE`] is an error rather than a reason to buffer without bound.
//!
//! # Daemon errors inside the stream
//!
//! Pull, push, build, import and load answer 200 and then report a failure as
//! an item, `{"error": "…", "errorDetail": {"message": "…"}}`.
//! [`json_messages`] turns such an item into
//! [`Error::Stream`](crate::Error::Stream) whatever the item type, so each
//! endpoint's item type need not model the error fields.
//!
//! It does so without decoding each line twice: only a line containing the
//! bytes `"error` (the start of both keys) is probed, with a struct that
//! reads those two fields and skips the rest, and then decoded as the item.
//! Measured on pull-progress lines (release build, about 0.7 µs a line):
//! lines without that text — nearly all of them — cost the same as a plain
//! decode within noise, lines with it about a quarter more. dockerd writes
//! keys unescaped, so the text test cannot miss an error item.

use std::marker::PhantomData;

use bytes::{Buf, BytesMut};
use futures_util::Stream;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio_util::codec::Decoder;

use super::{body_reader, decode_stream, StreamError};
use crate::Result;

/// The longest line accepted: far above any document the daemon writes
/// (stats and progress lines are well under 4 KiB), low enough to bound
/// memory.
pub(crate) const MAX_LINE: usize = 16 * 1024 * 1024;

/// A [`Decoder`] of newline-delimited JSON into `T`s.
#[derive(Debug)]
pub(crate) struct JsonLinesDecoder<T> {
    /// How many bytes at the start of the buffer are known to hold no `\n`,
    /// so a long line arriving in many reads is scanned once.
    scanned: usize,
    max_line: usize,
    /// Whether `{"error": …}` items are errors (see the module docs).
    daemon_errors: bool,
    item: PhantomData<fn() -> T>,
}

impl<T> JsonLinesDecoder<T> {
    /// A decoder that yields every document as a `T`.
    pub(crate) fn new() -> Self {
        JsonLinesDecoder {
            scanned: 0,
            max_line: MAX_LINE,
            daemon_errors: false,
            item: PhantomData,
        }
    }

    /// A decoder that reports `{"error": …}` items as
    /// [`StreamError::Daemon`] and yields the other documents as `T`s.
    pub(crate) fn with_daemon_errors() -> Self {
        JsonLinesDecoder {
            daemon_errors: true,
            ..Self::new()
        }
    }

    /// Change the longest line accepted.
    #[cfg(test)]
    pub(crate) fn max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// Drop `len` bytes from the front of `buf`.
    fn consume(&mut self, buf: &mut BytesMut, len: usize) {
        buf.advance(len);
        self.scanned = self.scanned.saturating_sub(len);
    }

    fn too_long(&self, line: &[u8]) -> StreamError {
        StreamError::malformed(
            line,
            format!("a line is longer than the {} bytes allowed", self.max_line),
        )
    }
}

impl<T: DeserializeOwned> JsonLinesDecoder<T> {
    /// The next document in `buf`; at `eof`, an unterminated last line too.
    fn next_item(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<T>, StreamError> {
        // Blank lines, line endings and the spaces between documents.
        let blank = buf
            .iter()
            .position(|byte| !byte.is_ascii_whitespace())
            .unwrap_or(buf.len());
        self.consume(buf, blank);
        if buf.is_empty() {
            return Ok(None);
        }
        let end = match buf[self.scanned..].iter().position(|&byte| byte == b'\n') {
            Some(offset) => self.scanned + offset,
            None if eof => buf.len(),
            None => {
                self.scanned = buf.len();
                if buf.len() > self.max_line {
                    return Err(self.too_long(buf));
                }
                return Ok(None);
            }
        };
        let line = &buf[..end];
        if line.len() > self.max_line {
            return Err(self.too_long(line));
        }
        if self.daemon_errors {
            if let Some(message) = daemon_error(line) {
                return Err(StreamError::Daemon(message));
            }
        }
        // Decode the first document of the line and leave the rest of the
        // line (usually just its `\n`) for the next call.
        let mut documents = serde_json::Deserializer::from_slice(line).into_iter::<T>();
        match documents.next() {
            Some(Ok(item)) => {
                let used = documents.byte_offset();
                self.consume(buf, used);
                Ok(Some(item))
            }
            Some(Err(err)) => Err(StreamError::malformed(line, err)),
            // Not reached: the line starts with a non-whitespace byte.
            None => {
                self.consume(buf, end);
                Ok(None)
            }
        }
    }
}

impl<T: DeserializeOwned> Decoder for JsonLinesDecoder<T> {
    type Item = T;
    type Error = StreamError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<T>, StreamError> {
        self.next_item(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<T>, StreamError> {
        self.next_item(buf, true)
    }
}

/// The two fields of dockerd's progress messages that carry a failure; every
/// other field is skipped unread.
#[derive(Deserialize)]
struct ErrorProbe {
    #[serde(default)]
    error: Option<String>,
    #[serde(default, rename = "errorDetail")]
    error_detail: Option<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: Option<String>,
}

/// The daemon's message if the first document on `line` reports an error.
fn daemon_error(line: &[u8]) -> Option<String> {
    const KEY_START: &[u8] = b"\"error";
    if !line
        .windows(KEY_START.len())
        .any(|window| window == KEY_START)
    {
        return None;
    }
    // A line that does not probe cleanly (say an `error` that is not a
    // string) is left to the item decoder.
    let probe: ErrorProbe = serde_json::Deserializer::from_slice(line)
        .into_iter()
        .next()?
        .ok()?;
    let detail = probe
        .error_detail
        .map(|detail| detail.message.unwrap_or_default());
    match (detail, probe.error) {
        (Some(message), _) if !message.is_empty() => Some(message),
        (_, Some(message)) if !message.is_empty() => Some(message),
        (Some(_), _) => Some("(no message)".to_owned()),
        _ => None,
    }
}

/// Decode an HTTP body of JSON lines into `T`s (stats, events). Body errors
/// become [`Error::Transport`](crate::Error::Transport) naming `host`; a
/// document that is not a `T` becomes [`Error::Decode`](crate::Error::Decode)
/// with the line; the stream ends after its first error.
pub(crate) fn json_lines<T>(
    body: impl Stream<Item = reqwest::Result<bytes::Bytes>> + Send + 'static,
    operation: &'static str,
    host: String,
) -> impl Stream<Item = Result<T>> + Send
where
    T: DeserializeOwned + Send + 'static,
{
    decode_stream(body_reader(body), JsonLinesDecoder::new(), operation, host)
}

/// [`json_lines`] for dockerd's progress messages (pull, push, build, import,
/// load): an `{"error": …}` item becomes
/// [`Error::Stream`](crate::Error::Stream) with the daemon's message.
pub(crate) fn json_messages<T>(
    body: impl Stream<Item = reqwest::Result<bytes::Bytes>> + Send + 'static,
    operation: &'static str,
    host: String,
) -> impl Stream<Item = Result<T>> + Send
where
    T: DeserializeOwned + Send + 'static,
{
    decode_stream(
        body_reader(body),
        JsonLinesDecoder::with_daemon_errors(),
        operation,
        host,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use bytes::Bytes;
    use futures_util::StreamExt;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Progress {
        status: String,
        #[serde(default)]
        id: Option<String>,
    }

    fn progress(status: &str, id: Option<&str>) -> Progress {
        Progress {
            status: status.into(),
            id: id.map(Into::into),
        }
    }

    /// What `decoder` produces from `chunks`.
    fn run<T: DeserializeOwned>(
        decoder: JsonLinesDecoder<T>,
        chunks: &[&[u8]],
    ) -> (Vec<T>, Option<StreamError>) {
        crate::stream::tests::feed(decoder, chunks)
    }

    const PULL: &[u8] = b"{\"status\":\"Pulling from library/alpine\",\"id\":\"latest\"}\n\
        {\"status\":\"Downloading\",\"progressDetail\":{\"current\":1,\"total\":2},\"id\":\"a1\"}\r\n\
        \n\
        {\"status\":\"Digest: sha256:\xc3\xa9\"}\n";

    fn pull_items() -> Vec<Progress> {
        vec![
            progress("Pulling from library/alpine", Some("latest")),
            progress("Downloading", Some("a1")),
            progress("Digest: sha256:é", None),
        ]
    }

    #[test]
    fn one_item_per_line() {
        let (items, err) = run(JsonLinesDecoder::<Progress>::new(), &[PULL]);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(items, pull_items());
    }

    #[test]
    fn split_at_every_byte_boundary() {
        for cut in 0..=PULL.len() {
            let (items, err) = run(
                JsonLinesDecoder::<Progress>::new(),
                &[&PULL[..cut], &PULL[cut..]],
            );
            assert!(err.is_none(), "cut at {cut}: {err:?}");
            assert_eq!(items, pull_items(), "cut at {cut}");
        }
    }

    #[test]
    fn split_at_every_pair_of_boundaries() {
        for first in 0..=PULL.len() {
            for second in first..=PULL.len() {
                let chunks = [&PULL[..first], &PULL[first..second], &PULL[second..]];
                let (items, err) = run(JsonLinesDecoder::<Progress>::new(), &chunks);
                assert!(err.is_none(), "cuts at {first}, {second}: {err:?}");
                assert_eq!(items, pull_items(), "cuts at {first}, {second}");
            }
        }
    }

    #[test]
    fn blank_lines_and_whitespace_are_skipped() {
        let body = b"\n\n  \r\n{\"status\":\"a\"}\n \n\t\n{\"status\":\"b\"}\n\n";
        let (items, err) = run(JsonLinesDecoder::<Progress>::new(), &[body]);
        assert!(err.is_none());
        assert_eq!(items, [progress("a", None), progress("b", None)]);
        let (items, err) = run(JsonLinesDecoder::<Progress>::new(), &[b"\n \r\n"]);
        assert!(items.is_empty() && err.is_none());
    }

    #[test]
    fn last_line_without_newline_is_decoded() {
        let body = b"{\"status\":\"a\"}\n{\"status\":\"b\"}";
        let (items, err) = run(JsonLinesDecoder::<Progress>::new(), &[body]);
        assert!(err.is_none());
        assert_eq!(items, [progress("a", None), progress("b", None)]);
    }

    #[test]
    fn several_documents_on_one_line() {
        let body = b"{\"status\":\"a\"}{\"status\":\"b\"} {\"status\":\"c\"}\n";
        for cut in 0..=body.len() {
            let (items, err) = run(
                JsonLinesDecoder::<Progress>::new(),
                &[&body[..cut], &body[cut..]],
            );
            assert!(err.is_none(), "cut at {cut}: {err:?}");
            assert_eq!(
                items,
                [
                    progress("a", None),
                    progress("b", None),
                    progress("c", None)
                ]
            );
        }
    }

    #[test]
    fn garbage_is_malformed_with_a_snippet() {
        let body = b"{\"status\":\"a\"}\nHTTP/1.1 502 Bad Gateway\n{\"status\":\"b\"}\n";
        let (items, err) = run(JsonLinesDecoder::<Progress>::new(), &[body]);
        assert_eq!(items, [progress("a", None)]);
        let err = err
            .expect("an error")
            .into_error("ImageCreate", "unix:///x");
        let crate::Error::Decode {
            operation, snippet, ..
        } = err
        else {
            panic!("{err:?}")
        };
        assert_eq!(operation, "ImageCreate");
        assert_eq!(snippet, "HTTP/1.1 502 Bad Gateway");
    }

    #[test]
    fn wrong_shape_is_malformed() {
        let (_, err) = run(JsonLinesDecoder::<Progress>::new(), &[b"{\"id\":\"x\"}\n"]);
        let Some(StreamError::Malformed { snippet, reason }) = err else {
            panic!("{err:?}")
        };
        assert_eq!(snippet, b"{\"id\":\"x\"}");
        assert!(reason.to_string().contains("status"), "{reason}");
    }

    #[test]
    fn trailing_garbage_on_a_line_is_malformed() {
        let (items, err) = run(
            JsonLinesDecoder::<Progress>::new(),
            &[b"{\"status\":\"a\"} x\n"],
        );
        assert_eq!(items, [progress("a", None)]);
        assert!(matches!(err, Some(StreamError::Malformed { .. })));
    }

    #[test]
    fn truncated_last_document_is_malformed() {
        let (items, err) = run(
            JsonLinesDecoder::<Progress>::new(),
            &[b"{\"status\":\"a\"}\n{\"sta"],
        );
        assert_eq!(items, [progress("a", None)]);
        assert!(matches!(err, Some(StreamError::Malformed { .. })));
    }

    #[test]
    fn error_item_is_a_daemon_error() {
        let body = b"{\"status\":\"Pulling\"}\n\
            {\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\n\
            {\"status\":\"never\"}\n";
        for cut in 0..=body.len() {
            let (items, err) = run(
                JsonLinesDecoder::<Progress>::with_daemon_errors(),
                &[&body[..cut], &body[cut..]],
            );
            assert_eq!(items, [progress("Pulling", None)], "cut at {cut}");
            match err {
                Some(StreamError::Daemon(message)) => assert_eq!(message, "manifest unknown"),
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn error_fields_alone_are_enough() {
        for (line, expected) in [
            (
                &b"{\"error\":\"old daemons send only this\"}"[..],
                "old daemons send only this",
            ),
            (
                b"{\"errorDetail\":{\"message\":\"only detail\"}}",
                "only detail",
            ),
            (b"{\"errorDetail\":{\"code\":1}}", "(no message)"),
        ] {
            let (items, err) = run(JsonLinesDecoder::<Progress>::with_daemon_errors(), &[line]);
            assert!(items.is_empty());
            match err {
                Some(StreamError::Daemon(message)) => assert_eq!(message, expected),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_word_error_in_a_value_is_data() {
        let body =
            b"{\"status\":\"retrying after \\\"error\\\"\"}\n{\"status\":\"x\",\"error\":\"\"}\n";
        let (items, err) = run(JsonLinesDecoder::<Progress>::with_daemon_errors(), &[body]);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn error_items_are_data_without_detection() {
        #[derive(Debug, Deserialize)]
        struct Loose {
            error: Option<String>,
        }
        let (items, err) = run(
            JsonLinesDecoder::<Loose>::new(),
            &[b"{\"error\":\"boom\"}\n"],
        );
        assert!(err.is_none());
        assert_eq!(items[0].error.as_deref(), Some("boom"));
    }

    #[test]
    fn overlong_line_is_malformed_without_buffering_more() {
        let decoder = JsonLinesDecoder::<Progress>::new().max_line(1024);
        let body = vec![b' '; 1]
            .into_iter()
            .chain(std::iter::repeat_n(b'x', 4096))
            .collect::<Vec<_>>();
        let chunks: Vec<&[u8]> = body.chunks(100).collect();
        let mut buf = BytesMut::new();
        let mut decoder = decoder;
        let mut failed = false;
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            match decoder.decode(&mut buf) {
                Ok(None) => assert!(buf.len() <= 1024 + 100),
                Ok(Some(_)) => panic!("an item from garbage"),
                Err(StreamError::Malformed { reason, .. }) => {
                    assert!(reason.to_string().contains("longer than the 1024 bytes"));
                    failed = true;
                    break;
                }
                Err(other) => panic!("{other:?}"),
            }
        }
        assert!(failed);
        // A complete line that arrives at once is held to the same limit.
        let line = [vec![b'"'; 2000], b"\n".to_vec()].concat();
        let (_, err) = run(JsonLinesDecoder::<Progress>::new().max_line(1024), &[&line]);
        assert!(matches!(err, Some(StreamError::Malformed { .. })));
    }

    #[test]
    fn long_line_in_many_reads_is_scanned_once() {
        // 1 MiB document in 1 KiB reads: quadratic rescanning would show as a
        // slow test; correctness is what is asserted.
        let status = "s".repeat(1 << 20);
        let body = format!("{{\"status\":\"{status}\"}}\n");
        let chunks: Vec<&[u8]> = body.as_bytes().chunks(1024).collect();
        let (items, err) = run(JsonLinesDecoder::<Progress>::new(), &chunks);
        assert!(err.is_none());
        assert_eq!(items[0].status.len(), 1 << 20);
    }

    #[tokio::test]
    async fn json_messages_over_a_body() {
        let chunks: Vec<reqwest::Result<Bytes>> = PULL
            .chunks(7)
            .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
            .collect();
        let items: Vec<_> = json_messages::<Progress>(
            futures_util::stream::iter(chunks),
            "ImageCreate",
            "unix:///x".into(),
        )
        .collect()
        .await;
        let items: Vec<_> = items.into_iter().map(|item| item.unwrap()).collect();
        assert_eq!(items, pull_items());
    }

    #[tokio::test]
    async fn json_messages_end_at_the_daemon_error() {
        let body =
            Bytes::from_static(b"{\"status\":\"a\"}\n{\"error\":\"denied\"}\n{\"status\":\"b\"}\n");
        let items: Vec<_> = json_messages::<Progress>(
            futures_util::stream::iter([Ok(body)]),
            "ImagePush",
            "unix:///x".into(),
        )
        .collect()
        .await;
        assert_eq!(items.len(), 2);
        assert!(matches!(
            &items[1],
            Err(crate::Error::Stream { operation: "ImagePush", message }) if message == "denied"
        ));
    }

    #[tokio::test]
    async fn json_lines_decode_values() {
        let body = Bytes::from_static(b"{\"a\":1}\n{\"a\":2}");
        let items: Vec<_> = json_lines::<serde_json::Value>(
            futures_util::stream::iter([Ok(body)]),
            "ContainerStats",
            "unix:///x".into(),
        )
        .collect()
        .await;
        let values: Vec<_> = items
            .into_iter()
            .map(|item| item.unwrap()["a"].clone())
            .collect();
        assert_eq!(values, [1, 2]);
    }
}
