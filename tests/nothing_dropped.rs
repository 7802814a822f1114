//! Nothing a daemon sends is lost in the raw models: the answers of the
//! read endpoints, fetched as bytes from the daemon under test (each
//! daemon of the matrix in turn), decode into `dockhand::models` and encode
//! back with every key the daemon sent. The models are API 1.55's; what
//! earlier versions send and 1.55 no longer lists comes from the regen's
//! fold step (`xtask/src/regen/fold.rs`).

mod common;

use std::path::PathBuf;

use dockhand::models;
use dockhand::{ContainerOptions, ExecOptions, RemoveOptions};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The keys of `sent` (at `path`) that `kept` lacks, recursively. A null,
/// empty list or empty map the daemon sent counts as absent: the models
/// leave those out when they encode.
fn dropped(sent: &Value, kept: &Value, path: &str, out: &mut Vec<String>) {
    match (sent, kept) {
        (Value::Object(sent), Value::Object(kept)) => {
            for (key, value) in sent {
                let at = format!("{path}.{key}");
                match kept.get(key) {
                    Some(kept) => dropped(value, kept, &at, out),
                    None if is_empty(value) => {}
                    None => out.push(at),
                }
            }
        }
        (Value::Array(sent), Value::Array(kept)) => {
            for (i, (sent, kept)) in sent.iter().zip(kept).enumerate() {
                dropped(sent, kept, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// GETs `target` from the daemon's unix socket over HTTP/1.0 (so the
/// answer is the bytes until the daemon closes) and returns the body of a
/// 200.
async fn get(socket: &PathBuf, target: &str) -> Vec<u8> {
    let mut stream = tokio::net::UnixStream::connect(socket)
        .await
        .unwrap_or_else(|e| panic!("connecting to {}: {e}", socket.display()));
    let request = format!("GET {target} HTTP/1.0\r\nHost: docker\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{target}: no header end"));
    let head = String::from_utf8_lossy(&answer[..split]);
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{target}: {head}"
    );
    answer[split + 4..].to_vec()
}

/// Decodes `body` as `T`, encodes it back and returns what went missing.
fn round_trip<T: DeserializeOwned + Serialize>(what: &str, body: &[u8]) -> Vec<String> {
    let sent: Value = serde_json::from_slice(body).unwrap_or_else(|e| panic!("{what}: {e}"));
    let decoded: T = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{what} does not decode into its model: {e}"));
    let kept = serde_json::to_value(&decoded).unwrap();
    let mut out = Vec::new();
    dropped(&sent, &kept, what, &mut out);
    out
}

#[tokio::test]
async fn every_key_of_the_read_answers_survives_the_models() {
    let Some(socket) = common::recording_proxy::upstream_socket() else {
        eprintln!("skipped: the test daemon is not on a unix socket");
        return;
    };
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let api = docker.api_version().await.unwrap();
    let v = format!("/v{api}");
    let label = format!("{}={}", common::TEST_LABEL, common::unique_name("dropped"));
    // A running container with a healthcheck, a mount and a published
    // port, so inspect, stats and the summaries carry their fields.
    let options = ContainerOptions::new()
        .command("sleep 60")
        .labels([label])
        .volumes(["/data"])
        .ports(vec![(
            "80/tcp",
            dockhand::options::HostPorts::from("127.0.0.1"),
        )])
        .healthcheck(dockhand::options::Healthcheck::shell("true"));
    let container = docker
        .containers()
        .run_detached(image, &options)
        .await
        .unwrap();
    let id = container.id().to_owned();
    let exec = container
        .exec_detach("true", &ExecOptions::new())
        .await
        .unwrap();
    let image_id = docker.images().get(image).await.unwrap().id().to_owned();
    let volume = docker
        .volumes()
        .create(
            &dockhand::VolumeCreateOptions::new()
                .name(common::unique_name("dropped"))
                .labels([(common::TEST_LABEL, "nothing_dropped")]),
        )
        .await
        .unwrap();
    let volume_name = volume.name().to_owned();

    let mut missing = Vec::new();
    macro_rules! check {
        ($ty:ty, $target:expr) => {{
            let target: String = $target;
            let body = get(&socket, &target).await;
            missing.extend(round_trip::<$ty>(&target, &body));
        }};
    }
    check!(models::SystemVersion, format!("{v}/version"));
    check!(models::SystemInfo, format!("{v}/info"));
    check!(models::SystemDataUsageResponse, format!("{v}/system/df"));
    check!(
        Vec<models::ContainerSummary>,
        format!("{v}/containers/json?all=1")
    );
    check!(
        models::ContainerInspectResponse,
        format!("{v}/containers/{id}/json")
    );
    check!(
        models::ContainerTopResponse,
        format!("{v}/containers/{id}/top")
    );
    check!(
        Option<Vec<models::FilesystemChange>>,
        format!("{v}/containers/{id}/changes")
    );
    check!(
        models::ContainerStatsResponse,
        format!("{v}/containers/{id}/stats?stream=false")
    );
    check!(
        models::ExecInspectResponse,
        format!("{v}/exec/{}/json", exec.id())
    );
    check!(Vec<models::ImageSummary>, format!("{v}/images/json"));
    check!(models::ImageInspect, format!("{v}/images/{image_id}/json"));
    check!(
        Vec<models::ImageHistoryResponseItem>,
        format!("{v}/images/{image_id}/history")
    );
    check!(Vec<models::NetworkSummary>, format!("{v}/networks"));
    check!(models::NetworkInspect, format!("{v}/networks/bridge"));
    check!(models::VolumeListResponse, format!("{v}/volumes"));
    check!(models::Volume, format!("{v}/volumes/{volume_name}"));

    container
        .remove(&RemoveOptions::new().force(true).v(true))
        .await
        .unwrap();
    volume.remove(false).await.unwrap();
    assert!(
        missing.is_empty(),
        "API {api}: the models drop what the daemon sent:\n{}",
        missing.join("\n")
    );
}
