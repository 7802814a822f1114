//! `containers().run` in its three forms against the real daemon, and the
//! lossless call order under many instantly-exiting runs.

mod common;

use dockhand::{ContainerOptions, ContainerStatus, Error, Filters, ListOptions};
use futures_util::{StreamExt, TryStreamExt};

/// Options for a test container: labelled with `label`, running `command`.
fn options(label: &str, command: &str) -> ContainerOptions {
    ContainerOptions::new()
        .command(["sh", "-c", command])
        .labels([format!("{}={label}", common::TEST_LABEL)])
}

/// How many containers carry this test's label (any state).
async fn leftover(docker: &dockhand::Docker, label: &str) -> usize {
    let label = format!("{}={label}", common::TEST_LABEL);
    common::labelled_containers(docker, &label).await.len()
}

/// Remove whatever this test left behind.
async fn cleanup(docker: &dockhand::Docker, label: &str) {
    let listed = docker
        .containers()
        .list(
            &ListOptions::new()
                .all(true)
                .sparse(true)
                .filters(Filters::new().label(format!("{}={label}", common::TEST_LABEL))),
        )
        .await
        .unwrap();
    for container in listed {
        container
            .remove(&dockhand::RemoveOptions::new().force(true))
            .await
            .ok();
    }
}

#[tokio::test]
async fn run_returns_stdout_and_removes_the_container() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = common::unique_name("run-rm");
    let output = docker
        .containers()
        .run(
            image,
            &options(&label, "echo to-stdout; echo to-stderr >&2").remove(true),
        )
        .await
        .unwrap();
    assert_eq!(output, b"to-stdout\n");
    assert_eq!(
        leftover(&docker, &label).await,
        0,
        "removed before returning"
    );
}

#[tokio::test]
async fn run_with_stderr_returns_both_streams() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = common::unique_name("run-stderr");
    let output = docker
        .containers()
        .run(
            image,
            &options(&label, "echo out; sleep 0.5; echo err >&2")
                .stderr(true)
                .remove(true),
        )
        .await
        .unwrap();
    assert_eq!(output, b"out\nerr\n");
}

#[tokio::test]
async fn a_failing_command_is_a_container_error_with_stderr() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = common::unique_name("run-fail");
    let err = docker
        .containers()
        .run(
            image,
            &options(&label, "echo partial; echo it broke >&2; exit 7").remove(true),
        )
        .await
        .unwrap_err();
    match err {
        Error::ContainerFailed {
            exit_status,
            stderr,
            command,
            image: failed_image,
            ..
        } => {
            assert_eq!(exit_status, 7);
            assert_eq!(stderr, "it broke\n");
            assert_eq!(command[0], "sh");
            assert_eq!(failed_image, image);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(leftover(&docker, &label).await, 0);
}

#[tokio::test]
async fn run_keeps_the_container_without_remove() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = common::unique_name("run-keep");
    let output = docker
        .containers()
        .run(image, &options(&label, "echo kept"))
        .await
        .unwrap();
    assert_eq!(output, b"kept\n");
    let kept = docker
        .containers()
        .list(
            &ListOptions::new()
                .all(true)
                .filters(Filters::new().label(format!("{}={label}", common::TEST_LABEL))),
        )
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].status(), ContainerStatus::Exited);
    cleanup(&docker, &label).await;
}

#[tokio::test]
async fn run_works_with_the_none_log_driver() {
    // docker-py reads run output through logs, which the `none` driver
    // does not keep; attaching does not depend on the log driver.
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = common::unique_name("run-nolog");
    let output = docker
        .containers()
        .run(
            image,
            &options(&label, "echo not logged")
                .log_config("none")
                .remove(true),
        )
        .await
        .unwrap();
    assert_eq!(output, b"not logged\n");
}

#[tokio::test]
async fn run_stream_yields_output_while_the_container_runs() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = common::unique_name("run-stream");
    let name = common::unique_name("run-stream");
    let mut output = docker
        .containers()
        .run_stream(
            image,
            &options(&label, "echo first; sleep 2; echo second")
                .name(&name)
                .remove(true),
        )
        .await
        .unwrap();
    let first = output.try_next().await.unwrap().expect("a first chunk");
    assert_eq!(first.as_bytes(), b"first\n");
    // The first line arrived while the container still runs.
    let running = docker.containers().get(&name).await.unwrap();
    assert_eq!(running.status(), ContainerStatus::Running);
    let rest: Vec<u8> = output
        .map_ok(|chunk| chunk.as_bytes().to_vec())
        .try_concat()
        .await
        .unwrap();
    assert_eq!(rest, b"second\n");
    assert_eq!(leftover(&docker, &label).await, 0);
}

#[tokio::test]
async fn run_stream_ends_with_the_container_error() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = common::unique_name("run-stream-fail");
    let items: Vec<_> = docker
        .containers()
        .run_stream(image, &options(&label, "echo out; exit 3").remove(true))
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap().as_bytes(), b"out\n");
    assert!(
        matches!(items[1], Err(Error::ContainerFailed { exit_status: 3, .. })),
        "{:?}",
        items[1]
    );
}

#[tokio::test]
async fn run_detached_returns_the_running_container() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = common::unique_name("run-detach");
    let container = docker
        .containers()
        .run_detached(image, &options(&label, "sleep 30"))
        .await
        .unwrap();
    assert_eq!(container.status(), ContainerStatus::Running);
    // As `docker run -d`: no stream is attached, `detach` given or not.
    let config = common::raw_inspect(&docker, container.id())
        .await
        .config
        .expect("Config");
    assert_eq!(config.attach_stdout, Some(false), "{config:?}");
    assert_eq!(config.attach_stderr, Some(false), "{config:?}");
    assert_eq!(config.attach_stdin, Some(false), "{config:?}");
    container
        .remove(&dockhand::RemoveOptions::new().force(true))
        .await
        .unwrap();
    assert_eq!(leftover(&docker, &label).await, 0);
}

#[tokio::test]
async fn dropping_a_run_stream_early_removes_a_silent_container_promptly() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = common::unique_name("run-stream-drop");
    let mut output = docker
        .containers()
        .run_stream(
            image,
            &options(&label, "echo started; exec sleep 300").remove(true),
        )
        .await
        .unwrap();
    let first = output.try_next().await.unwrap().expect("a first chunk");
    assert_eq!(first.as_bytes(), b"started\n");
    assert_eq!(leftover(&docker, &label).await, 1);
    // The container now writes nothing: the drop alone must set off the
    // removal.
    drop(output);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while leftover(&docker, &label).await != 0 {
        if std::time::Instant::now() > deadline {
            cleanup(&docker, &label).await;
            panic!("the container is still there 30 s after the drop");
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn two_hundred_instant_runs_lose_nothing() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = common::unique_name("run-200");
    let runs = futures_util::stream::iter(0..200)
        .map(|i| {
            let docker = docker.clone();
            let label = label.clone();
            async move {
                let code = i % 3;
                let command = format!("echo out-{i}; echo err-{i} >&2; exit {code}");
                // Half rely on auto-removal, half are removed afterwards.
                let auto_remove = i % 2 == 0;
                let result = docker
                    .containers()
                    .run(
                        image,
                        &options(&label, &command).stderr(true).remove(auto_remove),
                    )
                    .await;
                (i, code, result)
            }
        })
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await;
    let mut lost = Vec::new();
    for (i, code, result) in runs {
        match (code, result) {
            (0, Ok(output)) if output == format!("out-{i}\nerr-{i}\n").as_bytes() => {}
            (0, Ok(output)) if output == format!("err-{i}\nout-{i}\n").as_bytes() => {}
            (
                code,
                Err(Error::ContainerFailed {
                    exit_status,
                    stderr,
                    ..
                }),
            ) if code != 0 && exit_status == code && stderr == format!("err-{i}\n") => {}
            (code, other) => lost.push(format!("run {i} (exit {code}): {other:?}")),
        }
    }
    cleanup(&docker, &label).await;
    assert!(
        lost.is_empty(),
        "{} of 200 runs lost output: {lost:#?}",
        lost.len()
    );
}

#[tokio::test]
async fn run_sends_the_docker_clis_four_requests_after_negotiation() {
    let Some(upstream) = common::recording_proxy::upstream_socket() else {
        eprintln!("SKIPPED: the test daemon is not on a unix socket");
        return;
    };
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = common::unique_name("run-requests");
    let proxy = common::recording_proxy::RecordingProxy::start(&upstream);
    let through_proxy = dockhand::Docker::connect(proxy.host()).unwrap();
    through_proxy.api_version().await.unwrap();
    proxy.take();
    for remove in [false, true] {
        let output = through_proxy
            .containers()
            .run(image, &options(&label, "echo four").remove(remove))
            .await
            .unwrap();
        assert_eq!(output, b"four\n");
        let requests: Vec<String> = proxy
            .take()
            .iter()
            .map(|line| {
                // `POST /v1.41/containers/<id>/wait?condition=…` → `POST …/wait`
                let target = line.split('?').next().unwrap();
                let (method, path) = target.split_once(' ').unwrap();
                format!("{method} {}", path.rsplit('/').next().unwrap())
            })
            .collect();
        assert_eq!(
            requests,
            ["POST create", "POST attach", "POST wait", "POST start"],
            "remove({remove})"
        );
    }
    cleanup(&docker, &label).await;
}
