//! Property tests of the decoders: whatever the frame sizes, stream types and
//! read boundaries, decoding gives back what was encoded; whatever the bytes,
//! decoding ends without a panic.

use bytes::BytesMut;
use proptest::collection::vec;
use proptest::prelude::*;
use serde::Deserialize;
use tokio_util::codec::Decoder;

use super::{FrameDecoder, Framing, JsonLinesDecoder, StreamError, StreamKind, MAX_PIECE};

/// Feed `body` to `decoder` cut at `cuts` (sorted offsets), the way
/// `FramedRead` does, collecting items until the end or the first error.
fn run<D: Decoder<Error = StreamError>>(
    decoder: D,
    body: &[u8],
    cuts: &[usize],
) -> (Vec<D::Item>, Option<StreamError>) {
    let mut chunks = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain([&body.len()]) {
        chunks.push(&body[start..cut]);
        start = cut;
    }
    feed(decoder, &chunks)
}

/// What a decoder produces from `chunks` fed the way `FramedRead` does:
/// after each chunk, decode until it wants more; at the end, `decode_eof`
/// until it is done. Stops at the first error.
pub(super) fn feed<D: Decoder<Error = StreamError>>(
    mut decoder: D,
    chunks: &[&[u8]],
) -> (Vec<D::Item>, Option<StreamError>) {
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => break,
                Err(err) => return (items, Some(err)),
            }
        }
    }
    loop {
        match decoder.decode_eof(&mut buf) {
            Ok(Some(item)) => items.push(item),
            Ok(None) => return (items, None),
            Err(err) => return (items, Some(err)),
        }
    }
}

/// Sorted cut points into a body of `len` bytes, from raw random offsets.
fn cuts(len: usize, raw: &[usize]) -> Vec<usize> {
    let mut cuts: Vec<usize> = raw.iter().map(|offset| offset % (len + 1)).collect();
    cuts.sort_unstable();
    cuts
}

fn stream_type() -> impl Strategy<Value = u8> {
    prop_oneof![Just(1u8), Just(2u8)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn frames_round_trip(
        frames in vec((stream_type(), vec(any::<u8>(), 0..300)), 0..12),
        raw_cuts in vec(any::<usize>(), 0..8),
    ) {
        let mut body = Vec::new();
        let mut expected = (Vec::new(), Vec::new());
        for (kind, payload) in &frames {
            body.push(*kind);
            body.extend_from_slice(&[0, 0, 0]);
            body.extend_from_slice(&(payload.len() as u32).to_be_bytes());
            body.extend_from_slice(payload);
            let sink = if *kind == 1 { &mut expected.0 } else { &mut expected.1 };
            sink.extend_from_slice(payload);
        }
        let cuts = cuts(body.len(), &raw_cuts);
        let (pieces, err) = run(FrameDecoder::new(Framing::Multiplexed), &body, &cuts);
        prop_assert!(err.is_none(), "{:?}", err);
        let mut actual = (Vec::new(), Vec::new());
        for piece in pieces {
            prop_assert!(!piece.bytes.is_empty() && piece.bytes.len() <= MAX_PIECE);
            match piece.kind {
                StreamKind::Stdout => actual.0.extend_from_slice(&piece.bytes),
                StreamKind::Stderr => actual.1.extend_from_slice(&piece.bytes),
                StreamKind::Stdin => prop_assert!(false, "no stdin frame was encoded"),
            }
        }
        prop_assert_eq!(actual, expected);
    }

    #[test]
    fn raw_output_round_trips(body in vec(any::<u8>(), 0..2000), raw_cuts in vec(any::<usize>(), 0..8)) {
        let cuts = cuts(body.len(), &raw_cuts);
        let (pieces, err) = run(FrameDecoder::new(Framing::Raw), &body, &cuts);
        prop_assert!(err.is_none());
        let actual: Vec<u8> = pieces.iter().flat_map(|piece| piece.bytes.iter().copied()).collect();
        prop_assert_eq!(actual, body);
    }

    #[test]
    fn random_bytes_never_panic_the_frame_decoder(
        body in vec(any::<u8>(), 0..600),
        raw_cuts in vec(any::<usize>(), 0..8),
    ) {
        let cuts = cuts(body.len(), &raw_cuts);
        let (pieces, _) = run(FrameDecoder::new(Framing::Multiplexed), &body, &cuts);
        let total: usize = pieces.iter().map(|piece| piece.bytes.len()).sum();
        prop_assert!(total <= body.len());
    }

    #[test]
    fn json_lines_round_trip(
        items in vec((any::<u32>(), ".{0,20}"), 0..10),
        separators in vec(prop_oneof![Just("\n"), Just("\r\n"), Just("\n\n"), Just(" ")], 10),
        unterminated in any::<bool>(),
        raw_cuts in vec(any::<usize>(), 0..8),
    ) {
        #[derive(Debug, PartialEq, Deserialize, serde::Serialize)]
        struct Item { n: u32, text: String }
        let expected: Vec<Item> = items.into_iter().map(|(n, text)| Item { n, text }).collect();
        let mut body = Vec::new();
        for (item, separator) in expected.iter().zip(&separators) {
            body.extend_from_slice(&serde_json::to_vec(item).unwrap());
            body.extend_from_slice(separator.as_bytes());
        }
        if unterminated {
            while body.last().is_some_and(u8::is_ascii_whitespace) {
                body.pop();
            }
        }
        let cuts = cuts(body.len(), &raw_cuts);
        let (actual, err) = run(JsonLinesDecoder::<Item>::new(), &body, &cuts);
        prop_assert!(err.is_none(), "{:?}", err);
        prop_assert_eq!(actual, expected);
    }

    #[test]
    fn random_bytes_never_panic_the_json_decoder(
        body in vec(prop_oneof![any::<u8>(), Just(b'\n'), Just(b'{'), Just(b'"')], 0..400),
        raw_cuts in vec(any::<usize>(), 0..8),
    ) {
        let cuts = cuts(body.len(), &raw_cuts);
        let _ = run(JsonLinesDecoder::<serde_json::Value>::with_daemon_errors().max_line(64), &body, &cuts);
    }
}
