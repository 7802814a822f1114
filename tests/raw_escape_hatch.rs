//! The raw client used with the facade's errors and stream decoders,
//! against the real daemon.

mod common;

use dockhand::{models, ContainerOptions, Error, RemoveOptions, StreamKind, WaitOptions};
use futures_util::TryStreamExt;

#[tokio::test]
async fn raw_errors_become_typed_errors() {
    let docker = common::docker().await;
    let raw = docker.raw().await.unwrap();
    let missing = common::unique_name("raw-missing-volume");
    let error = match raw.volume_inspect(&missing).await {
        Ok(volume) => panic!("a volume that was never made: {volume:?}"),
        Err(raw) => docker.raw_error(raw, "VolumeInspect").await,
    };
    assert!(error.is_not_found(), "{error:?}");
    match &error {
        Error::NotFound {
            operation,
            resource,
            message,
            ..
        } => {
            assert_eq!(*operation, "VolumeInspect");
            assert_eq!(*resource, dockhand::Resource::Volume);
            assert!(message.contains(&missing), "{message}");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn raw_logs_and_events_decode_with_the_facade_decoders() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = common::unique_name("raw-streams");
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 1;
    let container = docker
        .containers()
        .create(
            image,
            &ContainerOptions::new()
                .command("sh -c 'echo to-stdout; echo to-stderr >&2'")
                .labels([format!("{}={label}", common::TEST_LABEL)]),
        )
        .await
        .unwrap();
    container.start().await.unwrap();
    container.wait(&WaitOptions::new()).await.unwrap();
    let raw = docker.raw().await.unwrap();

    let logs = raw
        .container_logs(
            container.id(),
            None,
            None,
            Some(true),
            Some(true),
            None,
            None,
            None,
        )
        .await
        .map_err(|_| "logs call failed")
        .unwrap();
    let chunks: Vec<_> = docker
        .raw_output(logs, false, "ContainerLogs")
        .try_collect()
        .await
        .unwrap();

    let filters = serde_json::json!({
        "label": [format!("{}={label}", common::TEST_LABEL)],
        "type": ["container"],
    })
    .to_string();
    let since_text = since.to_string();
    let events = raw
        .system_events(Some(&filters), Some(&since_text), None)
        .await
        .map_err(|_| "events call failed")
        .unwrap();
    // An open-ended stream: read until this container's "die" arrives.
    let mut events =
        Box::pin(docker.raw_json_lines::<models::EventMessage>(events, "SystemEvents"));
    let mut actions = Vec::new();
    while let Some(event) =
        tokio::time::timeout(std::time::Duration::from_secs(20), events.try_next())
            .await
            .expect("events within 20 s")
            .unwrap()
    {
        let action = event.action.unwrap_or_default();
        let done = action == "die";
        actions.push(action);
        if done {
            break;
        }
    }
    container
        .remove(&RemoveOptions::new().force(true))
        .await
        .unwrap();

    let text = |kind: StreamKind| -> String {
        chunks
            .iter()
            .filter(|chunk| chunk.kind == kind)
            .map(|chunk| String::from_utf8_lossy(&chunk.bytes).into_owned())
            .collect()
    };
    assert_eq!(text(StreamKind::Stdout), "to-stdout\n");
    assert_eq!(text(StreamKind::Stderr), "to-stderr\n");
    for expected in ["create", "start", "die"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} not in {actions:?}"
        );
    }
}
