//! The stdout/stderr output of attach, logs and exec.
//!
//! A container without a TTY has two output streams, so the daemon
//! multiplexes them: each write becomes a frame with an 8-byte header —
//! byte 0 the stream type (0 stdin, 1 stdout, 2 stderr, 3 system error),
//! bytes 1–3 padding, bytes 4–7 the payload length as a big-endian `u32` —
//! followed by the payload. A TTY container's output is one raw stream.
//!
//! [`FrameDecoder`] hands a frame's payload on in pieces as it arrives rather
//! than waiting for the whole frame, so its memory stays bounded by the read
//! buffer whatever the frame sizes (the length field allows 4 GiB).
//!
//! End of input: at a frame boundary it is the normal end; inside a header
//! or a payload it is [`Error::Decode`](crate::Error::Decode) ("truncated
//! frame"), reported after the payload bytes that did arrive. The daemon
//! writes whole frames, so a cut frame means the connection broke.

use std::mem;
use std::pin::pin;

use bytes::{Buf, BytesMut};
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncRead;
use tokio_util::codec::Decoder;

use super::{body_reader, decode_stream, OutputChunk, StreamError, StreamKind};
use crate::Result;

/// The largest piece of output one [`OutputChunk`] carries.
pub(crate) const MAX_PIECE: usize = 64 * 1024;

/// The most of a system-error frame's message that is kept; the rest is
/// dropped (the daemon's messages are one line).
pub(crate) const MAX_SYSTEM_ERROR: usize = 64 * 1024;

/// The length of a frame header.
const HEADER_LEN: usize = 8;

/// The stream-type byte of a system-error frame.
const SYSTEM_ERROR: u8 = 3;

/// The media type of multiplexed output (API 1.42 and later say so).
const MULTIPLEXED_STREAM: &str = "application/vnd.docker.multiplexed-stream";

/// How a response carries a container's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Frames with 8-byte headers separating stdout and stderr.
    Multiplexed,
    /// The bytes as the terminal produced them, all stdout.
    Raw,
}

/// The framing of a response, from its `Content-Type` and the TTY flag of the
/// container (or exec instance) whose output it carries.
///
/// `application/vnd.docker.multiplexed-stream` is always multiplexed. Daemons
/// speaking API 1.41 and older label multiplexed output
/// `application/vnd.docker.raw-stream` too, so that label — like a missing
/// or any other content type — is decided by the TTY flag.
pub(crate) fn framing(content_type: Option<&str>, tty: bool) -> Framing {
    let media_type = content_type.map(|value| value.split(';').next().unwrap_or_default().trim());
    match media_type {
        Some(media_type) if media_type.eq_ignore_ascii_case(MULTIPLEXED_STREAM) => {
            Framing::Multiplexed
        }
        _ if tty => Framing::Raw,
        _ => Framing::Multiplexed,
    }
}

/// [`framing`] for a response's headers.
pub(crate) fn framing_from_headers(headers: &reqwest::header::HeaderMap, tty: bool) -> Framing {
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    framing(content_type, tty)
}

/// Where the decoder is in a multiplexed stream.
#[derive(Debug)]
enum State {
    /// Between frames: the next bytes are a header.
    Header,
    /// Inside a data frame with `remaining` payload bytes still to come.
    Payload { kind: StreamKind, remaining: usize },
    /// Inside a system-error frame, collecting its message.
    SystemError { message: Vec<u8>, remaining: usize },
}

/// A [`Decoder`] of container output into [`OutputChunk`]s of at most
/// [`MAX_PIECE`] bytes.
///
/// A system-error frame ends the stream with [`StreamError::Daemon`]; an
/// unknown stream type or a truncated frame with [`StreamError::Malformed`].
#[derive(Debug)]
pub(crate) struct FrameDecoder {
    framing: Framing,
    state: State,
}

impl FrameDecoder {
    /// A decoder for output in `framing`.
    pub(crate) fn new(framing: Framing) -> Self {
        FrameDecoder {
            framing,
            state: State::Header,
        }
    }
}

impl Decoder for FrameDecoder {
    type Item = OutputChunk;
    type Error = StreamError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<OutputChunk>, StreamError> {
        if self.framing == Framing::Raw {
            if buf.is_empty() {
                return Ok(None);
            }
            let len = buf.len().min(MAX_PIECE);
            return Ok(Some(OutputChunk::new(
                StreamKind::Stdout,
                buf.split_to(len).freeze(),
            )));
        }
        loop {
            match &mut self.state {
                State::Header => {
                    let Some(header) = buf.first_chunk::<HEADER_LEN>() else {
                        return Ok(None);
                    };
                    let [kind, _, _, _, len @ ..] = *header;
                    let len = u32::from_be_bytes(len) as usize;
                    self.state = match StreamKind::from_header_byte(kind) {
                        Some(kind) => State::Payload {
                            kind,
                            remaining: len,
                        },
                        None if kind == SYSTEM_ERROR => State::SystemError {
                            message: Vec::with_capacity(len.min(MAX_SYSTEM_ERROR)),
                            remaining: len,
                        },
                        None => {
                            return Err(StreamError::malformed(
                                buf,
                                format!("unknown stream type {kind} in a frame header"),
                            ))
                        }
                    };
                    buf.advance(HEADER_LEN);
                }
                State::Payload { kind, remaining } => {
                    // An empty frame carries nothing; go on to the next header.
                    if *remaining > 0 {
                        if buf.is_empty() {
                            return Ok(None);
                        }
                        let len = buf.len().min(*remaining).min(MAX_PIECE);
                        let kind = *kind;
                        *remaining -= len;
                        if *remaining == 0 {
                            self.state = State::Header;
                        }
                        return Ok(Some(OutputChunk::new(kind, buf.split_to(len).freeze())));
                    }
                    self.state = State::Header;
                }
                State::SystemError { message, remaining } => {
                    let len = buf.len().min(*remaining);
                    let keep = len.min(MAX_SYSTEM_ERROR - message.len());
                    message.extend_from_slice(&buf[..keep]);
                    buf.advance(len);
                    *remaining -= len;
                    if *remaining > 0 {
                        return Ok(None);
                    }
                    let message = mem::take(message);
                    self.state = State::Header;
                    return Err(StreamError::Daemon(system_error_text(&message, false)));
                }
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<OutputChunk>, StreamError> {
        if let Some(chunk) = self.decode(buf)? {
            return Ok(Some(chunk));
        }
        // `decode` consumed every payload byte, so a leftover is a partial header.
        match &self.state {
            State::Header if buf.is_empty() => Ok(None),
            State::Header => Err(StreamError::malformed(
                buf,
                format!(
                    "truncated frame: the stream ended {} bytes into an {HEADER_LEN}-byte header",
                    buf.len()
                ),
            )),
            State::Payload { kind, remaining } => Err(StreamError::malformed(
                &[],
                format!("truncated frame: the stream ended with {remaining} bytes of a {kind} frame missing"),
            )),
            State::SystemError { message, .. } => {
                Err(StreamError::Daemon(system_error_text(message, true)))
            }
        }
    }
}

/// The daemon's message from a system-error frame's payload.
fn system_error_text(payload: &[u8], truncated: bool) -> String {
    let mut text = String::from_utf8_lossy(payload).trim_end().to_owned();
    if text.is_empty() {
        text.push_str("(no message)");
    }
    if truncated {
        text.push_str(" (the stream ended inside the error frame)");
    }
    text
}

/// Demultiplex an HTTP body (logs, or attach/exec answered without an
/// upgrade) into output chunks. Body errors become
/// [`Error::Transport`](crate::Error::Transport) naming `host`; the stream
/// ends after its first error.
pub(crate) fn demux_body(
    body: impl Stream<Item = reqwest::Result<bytes::Bytes>> + Send + 'static,
    framing: Framing,
    operation: &'static str,
    host: String,
) -> impl Stream<Item = Result<OutputChunk>> + Send {
    demux_reader(body_reader(body), framing, operation, host)
}

/// Demultiplex the output side of a hijacked connection (attach, exec start).
/// The stream ends after its first error.
pub(crate) fn demux_reader(
    reader: impl AsyncRead + Send + 'static,
    framing: Framing,
    operation: &'static str,
    host: String,
) -> impl Stream<Item = Result<OutputChunk>> + Send {
    decode_stream(reader, FrameDecoder::new(framing), operation, host)
}

/// Collect a chunk stream into one buffer, the streams interleaved as
/// written (`logs`, `attach`, and an exec's combined output).
///
/// # Errors
/// The first error the stream yields.
pub(crate) async fn concat_output(
    output: impl Stream<Item = Result<OutputChunk>>,
) -> Result<Vec<u8>> {
    let mut output = pin!(output);
    let mut all = Vec::new();
    while let Some(chunk) = output.next().await {
        all.extend_from_slice(chunk?.as_bytes());
    }
    Ok(all)
}

/// A container's output, collected per stream.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct CollectedOutput {
    /// Everything written to stdout (and stdin-typed frames, which the docker
    /// CLI also treats as stdout).
    pub(crate) stdout: Vec<u8>,
    /// Everything written to stderr.
    pub(crate) stderr: Vec<u8>,
}

/// Read `output` to its end, keeping the streams asked for; memory grows with
/// the output kept and nothing else.
///
/// # Errors
/// The first error the stream yields.
pub(crate) async fn collect_output(
    output: impl Stream<Item = Result<OutputChunk>>,
    want_stdout: bool,
    want_stderr: bool,
) -> Result<CollectedOutput> {
    let mut output = pin!(output);
    let mut collected = CollectedOutput::default();
    while let Some(chunk) = output.next().await {
        let chunk = chunk?;
        match chunk.kind {
            StreamKind::Stdin | StreamKind::Stdout if want_stdout => {
                collected.stdout.extend_from_slice(&chunk.bytes)
            }
            StreamKind::Stderr if want_stderr => collected.stderr.extend_from_slice(&chunk.bytes),
            _ => {}
        }
    }
    Ok(collected)
}

#[cfg(test)]
mod tests {
    use super::*;

    use bytes::Bytes;

    /// A frame of `payload` on stream type `kind`.
    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut frame = vec![kind, 0, 0, 0];
        frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        frame.extend_from_slice(payload);
        frame
    }

    /// What a decoder for `framing` produces from `chunks`.
    fn run(framing: Framing, chunks: &[&[u8]]) -> (Vec<OutputChunk>, Option<StreamError>) {
        crate::stream::tests::feed(FrameDecoder::new(framing), chunks)
    }

    /// The per-stream concatenation of `pieces`: (stdout, stderr).
    fn streams(pieces: &[OutputChunk]) -> (Vec<u8>, Vec<u8>) {
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        for piece in pieces {
            assert!(!piece.bytes.is_empty(), "empty piece");
            match piece.kind {
                StreamKind::Stderr => stderr.extend_from_slice(&piece.bytes),
                _ => stdout.extend_from_slice(&piece.bytes),
            }
        }
        (stdout, stderr)
    }

    /// Several frames of both kinds, an empty one among them.
    fn sample() -> Vec<u8> {
        [
            frame(1, b"hello "),
            frame(2, b"warning: disk\n"),
            frame(1, b""),
            frame(1, b"world\n"),
            frame(0, b"in"),
            frame(2, b"x"),
        ]
        .concat()
    }

    #[test]
    fn framing_by_content_type_and_tty() {
        let multiplexed = Some("application/vnd.docker.multiplexed-stream");
        let raw = Some("application/vnd.docker.raw-stream");
        assert_eq!(framing(multiplexed, false), Framing::Multiplexed);
        assert_eq!(framing(multiplexed, true), Framing::Multiplexed);
        // API <= 1.41 labels both kinds raw-stream.
        assert_eq!(framing(raw, false), Framing::Multiplexed);
        assert_eq!(framing(raw, true), Framing::Raw);
        assert_eq!(framing(None, false), Framing::Multiplexed);
        assert_eq!(framing(None, true), Framing::Raw);
        assert_eq!(framing(Some("text/plain"), true), Framing::Raw);
        assert_eq!(
            framing(Some("Application/VND.docker.multiplexed-stream; x=y"), true),
            Framing::Multiplexed
        );
    }

    #[test]
    fn framing_reads_the_content_type_header() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(framing_from_headers(&headers, true), Framing::Raw);
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            "application/vnd.docker.multiplexed-stream".parse().unwrap(),
        );
        assert_eq!(framing_from_headers(&headers, true), Framing::Multiplexed);
    }

    #[test]
    fn whole_body_in_one_chunk() {
        let (pieces, err) = run(Framing::Multiplexed, &[&sample()]);
        assert!(err.is_none(), "{err:?}");
        let kinds: Vec<_> = pieces.iter().map(|piece| piece.kind).collect();
        use StreamKind::*;
        assert_eq!(kinds, [Stdout, Stderr, Stdout, Stdin, Stderr]);
        assert_eq!(
            streams(&pieces),
            (b"hello world\nin".to_vec(), b"warning: disk\nx".to_vec())
        );
    }

    #[test]
    fn split_at_every_byte_boundary() {
        let body = sample();
        let expected = streams(&run(Framing::Multiplexed, &[&body]).0);
        for cut in 0..=body.len() {
            let (pieces, err) = run(Framing::Multiplexed, &[&body[..cut], &body[cut..]]);
            assert!(err.is_none(), "cut at {cut}: {err:?}");
            assert_eq!(streams(&pieces), expected, "cut at {cut}");
        }
    }

    #[test]
    fn split_at_every_pair_of_boundaries() {
        let body = sample();
        let expected = streams(&run(Framing::Multiplexed, &[&body]).0);
        for first in 0..=body.len() {
            for second in first..=body.len() {
                let chunks = [&body[..first], &body[first..second], &body[second..]];
                let (pieces, err) = run(Framing::Multiplexed, &chunks);
                assert!(err.is_none(), "cuts at {first}, {second}: {err:?}");
                assert_eq!(streams(&pieces), expected, "cuts at {first}, {second}");
            }
        }
    }

    #[test]
    fn byte_by_byte() {
        let body = sample();
        let chunks: Vec<&[u8]> = body.chunks(1).collect();
        let (pieces, err) = run(Framing::Multiplexed, &chunks);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(
            streams(&pieces),
            (b"hello world\nin".to_vec(), b"warning: disk\nx".to_vec())
        );
    }

    #[test]
    fn raw_framing_is_all_stdout() {
        let body = b"\x01\x00\x00\x00 not a header, a TTY's bytes\r\n";
        for cut in 0..=body.len() {
            let (pieces, err) = run(Framing::Raw, &[&body[..cut], &body[cut..]]);
            assert!(err.is_none());
            assert!(pieces.iter().all(OutputChunk::is_stdout));
            assert_eq!(streams(&pieces), (body.to_vec(), Vec::new()));
        }
    }

    #[test]
    fn raw_framing_caps_pieces() {
        let body = vec![b'x'; 3 * MAX_PIECE + 1];
        let (pieces, err) = run(Framing::Raw, &[&body]);
        assert!(err.is_none());
        let sizes: Vec<_> = pieces.iter().map(|piece| piece.bytes.len()).collect();
        assert_eq!(sizes, [MAX_PIECE, MAX_PIECE, MAX_PIECE, 1]);
    }

    #[test]
    fn empty_body_is_empty_output() {
        for framing in [Framing::Multiplexed, Framing::Raw] {
            let (pieces, err) = run(framing, &[]);
            assert!(pieces.is_empty() && err.is_none());
        }
    }

    #[test]
    fn zero_length_frames_are_skipped() {
        let body = [frame(1, b""), frame(2, b""), frame(1, b"a"), frame(2, b"")].concat();
        let (pieces, err) = run(Framing::Multiplexed, &[&body]);
        assert!(err.is_none());
        assert_eq!(pieces, [OutputChunk::new(StreamKind::Stdout, "a")]);
    }

    #[test]
    fn system_error_frame_is_a_daemon_error() {
        let body = [
            frame(1, b"partial output"),
            frame(3, b"error from daemon: container gone\n"),
            frame(1, b"never seen"),
        ]
        .concat();
        for cut in 0..=body.len() {
            let (pieces, err) = run(Framing::Multiplexed, &[&body[..cut], &body[cut..]]);
            assert_eq!(streams(&pieces).0, b"partial output", "cut at {cut}");
            match err {
                Some(StreamError::Daemon(message)) => {
                    assert_eq!(message, "error from daemon: container gone")
                }
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn system_error_becomes_error_stream() {
        let err = StreamError::Daemon("boom".into()).into_error("ContainerLogs", "unix:///x");
        match err {
            crate::Error::Stream { operation, message } => {
                assert_eq!((operation, message.as_str()), ("ContainerLogs", "boom"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn huge_system_error_is_capped() {
        let body = frame(3, &vec![b'e'; MAX_SYSTEM_ERROR * 2]);
        let (_, err) = run(Framing::Multiplexed, &[&body]);
        match err {
            Some(StreamError::Daemon(message)) => assert_eq!(message.len(), MAX_SYSTEM_ERROR),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn system_error_cut_short_keeps_its_message() {
        let body = frame(3, b"no such container");
        let (_, err) = run(Framing::Multiplexed, &[&body[..body.len() - 4]]);
        match err {
            Some(StreamError::Daemon(message)) => assert!(message.starts_with("no such cont")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_stream_type_is_malformed() {
        let body = [frame(1, b"ok"), frame(7, b"??")].concat();
        let (pieces, err) = run(Framing::Multiplexed, &[&body]);
        assert_eq!(pieces, [OutputChunk::new(StreamKind::Stdout, "ok")]);
        let err = err
            .expect("an error")
            .into_error("ContainerAttach", "unix:///x");
        let crate::Error::Decode {
            operation, source, ..
        } = err
        else {
            panic!("{err:?}")
        };
        assert_eq!(operation, "ContainerAttach");
        assert!(
            source.to_string().contains("unknown stream type 7"),
            "{source}"
        );
    }

    #[test]
    fn plain_text_read_as_frames_is_malformed() {
        // What a TTY's output looks like if mistaken for multiplexed output.
        let (_, err) = run(
            Framing::Multiplexed,
            &[b"total 0\ndrwxr-xr-x 2 root root\n"],
        );
        let err = err
            .expect("an error")
            .into_error("ContainerLogs", "unix:///x");
        let crate::Error::Decode { snippet, .. } = err else {
            panic!("{err:?}")
        };
        assert!(snippet.starts_with("total 0"), "{snippet}");
    }

    #[test]
    fn truncated_header_is_malformed() {
        let body = [frame(1, b"ok"), vec![1, 0, 0]].concat();
        let (pieces, err) = run(Framing::Multiplexed, &[&body]);
        assert_eq!(pieces.len(), 1);
        let Some(StreamError::Malformed { reason, .. }) = err else {
            panic!("{err:?}")
        };
        assert!(
            reason.to_string().contains("3 bytes into an 8-byte header"),
            "{reason}"
        );
    }

    #[test]
    fn truncated_payload_is_malformed_after_the_bytes_that_came() {
        let body = frame(2, b"0123456789");
        let (pieces, err) = run(Framing::Multiplexed, &[&body[..body.len() - 3]]);
        assert_eq!(streams(&pieces).1, b"0123456");
        let Some(StreamError::Malformed { reason, .. }) = err else {
            panic!("{err:?}")
        };
        assert!(
            reason
                .to_string()
                .contains("3 bytes of a stderr frame missing"),
            "{reason}"
        );
    }

    #[test]
    fn large_frame_is_streamed_in_bounded_pieces() {
        // A 10 MiB frame fed in 4 KiB reads: pieces come as the bytes arrive,
        // and the decoder never holds more than one read.
        const SIZE: usize = 10 * 1024 * 1024;
        let payload: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
        let body = frame(1, &payload);
        let mut decoder = FrameDecoder::new(Framing::Multiplexed);
        let mut buf = BytesMut::new();
        let mut out = Vec::with_capacity(SIZE);
        for chunk in body.chunks(4096) {
            buf.extend_from_slice(chunk);
            while let Some(piece) = decoder.decode(&mut buf).unwrap() {
                assert!(piece.bytes.len() <= MAX_PIECE);
                out.extend_from_slice(&piece.bytes);
            }
            assert!(buf.is_empty(), "the decoder kept {} bytes", buf.len());
        }
        assert!(decoder.decode_eof(&mut buf).unwrap().is_none());
        assert!(out == payload);
    }

    #[tokio::test]
    async fn large_frame_through_framed_read_keeps_a_small_buffer() {
        const SIZE: usize = 10 * 1024 * 1024;
        let body = frame(2, &vec![7; SIZE]);
        let chunks: Vec<std::io::Result<Bytes>> = body
            .chunks(4096)
            .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
            .collect();
        let reader = tokio_util::io::StreamReader::new(futures_util::stream::iter(chunks));
        let mut framed =
            tokio_util::codec::FramedRead::new(reader, FrameDecoder::new(Framing::Multiplexed));
        let mut total = 0;
        while let Some(piece) = framed.next().await {
            let piece = piece.unwrap();
            assert!(piece.is_stderr() && piece.bytes.len() <= MAX_PIECE);
            total += piece.bytes.len();
            let capacity = framed.read_buffer().capacity();
            assert!(capacity <= 64 * 1024, "read buffer grew to {capacity}");
        }
        assert_eq!(total, SIZE);
    }

    #[test]
    fn streams_over_unpin_bodies_are_unpin() {
        // Progenitor's bodies are boxed, so the facade can hand these streams
        // out without pinning them again.
        fn assert_unpin<T: Unpin>(_: &T) {}
        let body: std::pin::Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>> =
            Box::pin(futures_util::stream::empty());
        let stream = demux_body(body, Framing::Raw, "ContainerLogs", "h".into());
        assert_unpin(&stream);
    }

    #[tokio::test]
    async fn demux_body_yields_chunks_then_ends() {
        let body = sample();
        let chunks: Vec<reqwest::Result<Bytes>> = body
            .chunks(5)
            .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
            .collect();
        let stream = demux_body(
            futures_util::stream::iter(chunks),
            Framing::Multiplexed,
            "ContainerLogs",
            "unix:///x".into(),
        );
        let collected = collect_output(stream, true, true).await.unwrap();
        assert_eq!(collected.stdout, b"hello world\nin");
        assert_eq!(collected.stderr, b"warning: disk\nx");
    }

    #[tokio::test]
    async fn collect_output_keeps_only_the_streams_asked_for() {
        let body = std::io::Cursor::new(sample());
        let only_stderr = collect_output(
            demux_reader(body, Framing::Multiplexed, "ContainerLogs", "h".into()),
            false,
            true,
        )
        .await
        .unwrap();
        assert_eq!(
            only_stderr,
            CollectedOutput {
                stdout: Vec::new(),
                stderr: b"warning: disk\nx".to_vec()
            }
        );
    }

    #[tokio::test]
    async fn concat_output_interleaves_as_written_and_stops_at_an_error() {
        let demux = |bytes: Vec<u8>| {
            demux_reader(
                std::io::Cursor::new(bytes),
                Framing::Multiplexed,
                "ContainerLogs",
                "h".into(),
            )
        };
        let body = [frame(1, b"out1 "), frame(2, b"err "), frame(1, b"out2")].concat();
        assert_eq!(concat_output(demux(body)).await.unwrap(), b"out1 err out2");
        let failing = [frame(1, b"a"), frame(3, b"boom")].concat();
        assert!(concat_output(demux(failing)).await.is_err());
    }

    #[tokio::test]
    async fn stream_ends_after_the_first_error() {
        let body = [frame(1, b"a"), frame(3, b"boom"), frame(1, b"b")].concat();
        let items: Vec<_> = demux_reader(
            std::io::Cursor::new(body),
            Framing::Multiplexed,
            "ContainerAttach",
            "unix:///x".into(),
        )
        .collect()
        .await;
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        assert!(matches!(
            &items[1],
            Err(crate::Error::Stream { message, .. }) if message == "boom"
        ));
    }

    #[tokio::test]
    async fn read_errors_are_transport_errors_naming_the_host() {
        let chunks = vec![
            Ok(Bytes::from(frame(1, b"a"))),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "reset",
            )),
        ];
        let reader = tokio_util::io::StreamReader::new(futures_util::stream::iter(chunks));
        let items: Vec<_> = demux_reader(
            reader,
            Framing::Multiplexed,
            "ContainerAttach",
            "tcp://10.0.0.1:2375".into(),
        )
        .collect()
        .await;
        assert_eq!(items.len(), 2);
        let Err(err) = &items[1] else { panic!() };
        assert!(err.is_transport());
        assert!(err.to_string().contains("tcp://10.0.0.1:2375"), "{err}");
        let source = std::error::Error::source(err).unwrap();
        assert_eq!(source.to_string(), "reset");
    }

    #[test]
    fn reqwest_errors_stay_reqwest_errors() {
        let reqwest_err = reqwest::Client::new()
            .get("not a url")
            .build()
            .expect_err("a relative URL does not build");
        let wrapped = std::io::Error::other(reqwest_err);
        let err = StreamError::Io(wrapped).into_error("ContainerLogs", "unix:///x");
        let crate::Error::Transport { source, .. } = err else {
            panic!("{err:?}")
        };
        assert!(source.is::<reqwest::Error>());
    }
}
