//! A container's life through the generated client, and the facade's
//! not-found error.

mod common;

use dockhand::models::{ContainerCreateBody, ContainerWaitCondition};
use futures_util::TryStreamExt;
use std::collections::HashMap;

#[tokio::test]
async fn create_start_wait_logs_remove() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let name = common::unique_name("roundtrip");
    let raw = docker.raw().await.unwrap();

    let body = ContainerCreateBody {
        image: Some(image.to_owned()),
        cmd: Some(vec![
            "sh".into(),
            "-c".into(),
            "echo out-line; echo err-line >&2; exit 3".into(),
        ]),
        labels: Some(HashMap::from([(
            common::TEST_LABEL.to_owned(),
            name.clone(),
        )])),
        ..Default::default()
    };
    let created = raw
        .container_create(Some(&name), None, &body)
        .await
        .unwrap()
        .into_inner();
    let id = created.id.clone();
    assert_eq!(id.len(), 64, "{id}");

    let container = docker.containers().get(&name).await.unwrap();
    assert_eq!(container.id(), id);
    assert_eq!(container.name(), name);
    assert_eq!(container.short_id(), &id[..12]);

    raw.container_start(&id, None).await.unwrap();
    let exit = raw
        .container_wait(&id, Some(ContainerWaitCondition::NotRunning))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(exit.status_code, 3);

    let logs: Vec<u8> = raw
        .container_logs(&id, None, None, Some(true), Some(true), None, None, None)
        .await
        .unwrap()
        .into_inner()
        .into_inner()
        .map_ok(|chunk| chunk.to_vec())
        .try_concat()
        .await
        .unwrap();
    // Without a TTY the log stream is multiplexed: 8-byte frame headers
    // (stream 1 = stdout, 2 = stderr, then a big-endian length).
    // stdout and stderr are separate pipes: the daemon may log either first.
    let mut frames = split_frames(&logs);
    frames.sort();
    assert_eq!(
        frames,
        vec![(1, b"out-line\n".to_vec()), (2, b"err-line\n".to_vec())]
    );

    raw.container_delete(&id, None, None, Some(true))
        .await
        .unwrap();
    let gone = docker.containers().get_opt(&id).await.unwrap();
    assert!(gone.is_none());
}

#[tokio::test]
async fn a_missing_container_is_not_found() {
    let docker = common::docker().await;
    let name = common::unique_name("missing");
    let err = docker.containers().get(&name).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.status(), Some(404));
    assert!(err.to_string().contains(&name), "{err}");
    assert!(docker.containers().get_opt(&name).await.unwrap().is_none());
}

/// Split a multiplexed log body into (stream, payload) frames.
fn split_frames(mut body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while body.len() >= 8 {
        let len = u32::from_be_bytes([body[4], body[5], body[6], body[7]]) as usize;
        frames.push((body[0], body[8..8 + len].to_vec()));
        body = &body[8 + len..];
    }
    assert!(body.is_empty(), "trailing partial frame");
    frames
}
