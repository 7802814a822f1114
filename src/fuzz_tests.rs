//! Property tests over every parser of user or daemon text: arbitrary
//! input gives a value or a typed error, never a panic, and a parsed value
//! prints back to what parses the same. Each target runs
//! `DOCKHAND_FUZZ_CASES` cases (default [`DEFAULT_CASES`], what every test
//! run, CI's included, spends), so a slow run can search longer:
//! `DOCKHAND_FUZZ_CASES=100000 cargo test --release fuzz_tests`.

use bytes::BytesMut;
use proptest::prelude::*;
use tokio_util::codec::Decoder;

use crate::container::ContainerOptions;
use crate::context::ContextStore;
use crate::stream::{FrameDecoder, Framing, JsonLinesDecoder};
use crate::{ApiVersion, DockerHost, Reference};

/// Feed `bytes` to `decoder` in pieces of `split` bytes, then at the end;
/// errors are fine, panics are not.
fn feed<D: Decoder>(mut decoder: D, bytes: &[u8], split: usize) {
    let mut buf = BytesMut::new();
    for piece in bytes.chunks(split.max(1)) {
        buf.extend_from_slice(piece);
        while let Ok(Some(_)) = decoder.decode(&mut buf) {}
    }
    let _ = decoder.decode_eof(&mut buf);
}

/// Build the create request of options carrying `text` in one field.
fn request(options: ContainerOptions) {
    let _ = options.to_request("busybox", ApiVersion::LATEST);
}

/// Text that looks like what users type, and arbitrary text.
fn option_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9/:.@_=,-]{0,40}",
        "[0-9]{1,6}(:[0-9]{1,6})?(/(tcp|udp|sctp))?",
        "(/[a-z]{1,5}){1,3}(:(/[a-z]{1,5}){1,3})?(:(ro|rw|z|Z|rshared|nocopy)(,[a-z]+)?)?",
        "(type=(bind|volume|tmpfs),)?(source|src)=[a-z/]{0,8},(target|dst)=[a-z/]{0,8}(,readonly)?(,[a-z-]+=[a-z0-9]*)?",
        "[0-9]{0,12}(\\.[0-9]{0,3})?[kKmMgGtT]?[iI]?[bB]?",
        ".{0,40}",
    ]
}

/// The cases each target runs when `DOCKHAND_FUZZ_CASES` does not say.
const DEFAULT_CASES: u32 = 2000;

fn cases() -> u32 {
    std::env::var("DOCKHAND_FUZZ_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn frame_demuxer_survives_any_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        split in 1usize..64,
        tty in any::<bool>(),
    ) {
        let framing = if tty { Framing::Raw } else { Framing::Multiplexed };
        feed(FrameDecoder::new(framing), &bytes, split);
    }

    #[test]
    fn frame_demuxer_survives_hostile_headers(
        kind in any::<u8>(),
        length in any::<u32>(),
        tail in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut bytes = vec![kind, 0, 0, 0];
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(&tail);
        feed(FrameDecoder::new(Framing::Multiplexed), &bytes, 7);
    }

    #[test]
    fn json_lines_splitter_survives_any_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        split in 1usize..64,
    ) {
        feed(JsonLinesDecoder::<serde_json::Value>::with_daemon_errors(), &bytes, split);
    }

    #[test]
    fn json_lines_splitter_survives_json_like_text(
        text in "([{}\\[\\]\":,a-z0-9 \\n]|\\\\u[0-9a-f]{4}|\"error\"){0,200}",
        split in 1usize..32,
    ) {
        feed(JsonLinesDecoder::<serde_json::Value>::with_daemon_errors(), text.as_bytes(), split);
    }

    #[test]
    fn docker_host_parses_or_refuses_and_round_trips(
        text in prop_oneof![
            "(unix|tcp|http|https|ssh|npipe|fd)?(://)?([a-z0-9@.:\\[\\]-]{0,20})(:[0-9]{0,6})?(/[a-z]{0,5})?",
            ".{0,40}",
        ],
    ) {
        if let Ok(host) = text.parse::<DockerHost>() {
            let printed = host.to_string();
            prop_assert_eq!(printed.parse::<DockerHost>().unwrap(), host, "{}", printed);
        }
    }

    #[test]
    fn context_files_parse_or_refuse(
        meta in prop_oneof![
            "\\{\"Name\":\"[a-z]{0,5}\",\"Endpoints\":\\{\"docker\":\\{\"Host\":\"[a-z:/0-9.]{0,20}\"(,\"SkipTLSVerify\":(true|false|1|\"x\"))?\\}\\}\\}",
            ".{0,60}",
        ],
        config in prop_oneof!["\\{\"currentContext\":\"[a-z]{0,5}\"\\}", ".{0,30}"],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let config_dir = dir.path().display().to_string();
        let var = |name: &str| (name == "DOCKER_CONFIG").then(|| config_dir.clone());
        let store = ContextStore::from_vars(&var).unwrap();
        std::fs::write(dir.path().join("config.json"), &config).unwrap();
        let _ = store.selected(&|_: &str| None);
        let meta_dir = dir.path().join("contexts/meta/x");
        std::fs::create_dir_all(&meta_dir).unwrap();
        std::fs::write(meta_dir.join("meta.json"), &meta).unwrap();
        let _ = store.list(None);
    }

    #[test]
    fn image_references_parse_or_refuse_and_round_trip(
        text in prop_oneof![
            "([a-z0-9.-]{1,10}(:[0-9]{1,5})?/)?[a-z0-9._/-]{1,20}(:[A-Za-z0-9._-]{1,10})?(@sha256:[0-9a-f]{0,64})?",
            ".{0,60}",
        ],
    ) {
        if let Ok(reference) = text.parse::<Reference>() {
            let printed = reference.to_string();
            prop_assert_eq!(printed.parse::<Reference>().unwrap(), reference, "{}", printed);
        }
    }

    #[test]
    fn byte_sizes_ports_volumes_and_mounts_never_panic(text in option_text()) {
        request(ContainerOptions::new().mem_limit(text.as_str()));
        request(ContainerOptions::new().ports([(text.as_str(), 8080)]));
        request(ContainerOptions::new().volumes([text.as_str()]));
        request(ContainerOptions::new().mounts([text.as_str()]));
        request(ContainerOptions::new().devices([text.as_str()]));
        request(ContainerOptions::new().ulimits([text.as_str()]));
        request(ContainerOptions::new().restart_policy(text.as_str()));
        request(ContainerOptions::new().environment([text.as_str()]));
        let _ = text.parse::<ApiVersion>();
    }
}
