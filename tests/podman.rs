//! The core suite against Podman's Docker API: `podman system service`,
//! which `cargo xtask test` starts as root with storage and configuration
//! of its own and names in `DOCKHAND_TEST_PODMAN_HOST`. Without it the
//! tests say so and skip.
//!
//! Where Podman differs from dockerd the tests pin what a user sees
//! (the README's Podman table lists the differences).

mod common;

use dockhand::{ContainerOptions, Docker, Error, ExecOptions, LogsOptions, RemoveOptions};

/// A client for the tests' Podman, or `None` (and why) when there is none.
async fn podman() -> Option<Docker> {
    let Ok(host) = std::env::var("DOCKHAND_TEST_PODMAN_HOST") else {
        eprintln!(
            "skipped: no Podman (DOCKHAND_TEST_PODMAN_HOST; `cargo xtask test` as root starts one)"
        );
        return None;
    };
    let docker = Docker::connect(&host).expect("the Podman host");
    docker.ping().await.expect("Podman answers /_ping");
    Some(docker)
}

/// Options for a container of this test, labelled so that clean-up finds
/// only its own.
fn labelled(label: &str, command: &str) -> ContainerOptions {
    ContainerOptions::new()
        .command(command)
        .labels([label.to_owned()])
}

#[tokio::test]
async fn podman_is_detected_and_negotiated() {
    let Some(docker) = podman().await else {
        return;
    };
    assert!(docker.is_podman().await.unwrap(), "Podman not detected");
    let version = docker.version().await.unwrap();
    let api = docker.api_version().await.unwrap();
    eprintln!(
        "Podman {:?}, API {api} (it says {:?})",
        version.version, version.api_version
    );
    assert_eq!(Some(api.to_string()), version.api_version);
    // The test daemon is dockerd, never taken for Podman.
    let dockerd = common::docker().await;
    assert!(!dockerd.is_podman().await.unwrap());
}

#[tokio::test]
async fn run_gives_output_and_exit_status_with_and_without_removal() {
    let Some(docker) = podman().await else {
        return;
    };
    let image = common::import_busybox(&docker).await;
    let label = format!(
        "{}={}",
        common::TEST_LABEL,
        common::unique_name("podman-run")
    );
    let containers = docker.containers();

    let output = containers
        .run(
            &image,
            &labelled(&label, "sh -c 'echo out; echo err >&2'")
                .stderr(true)
                .remove(true),
        )
        .await
        .expect("a run with output");
    let text = String::from_utf8_lossy(&output);
    assert!(text.contains("out\n") && text.contains("err\n"), "{text:?}");

    // Podman answers a `removed` wait with 0 whatever the exit; run still
    // reports the command's status.
    for remove in [true, false] {
        let failed = containers
            .run(
                &image,
                &labelled(&label, "sh -c 'echo boom >&2; exit 3'").remove(remove),
            )
            .await;
        match failed {
            Err(Error::ContainerFailed {
                exit_status,
                stderr,
                ..
            }) => {
                assert_eq!(exit_status, 3, "remove({remove})");
                assert!(stderr.contains("boom"), "remove({remove}): {stderr:?}");
            }
            other => panic!("a failing run (remove({remove})) gave {other:?}"),
        }
    }
    // Only the run without removal is left.
    let left = common::labelled_containers(&docker, &label).await;
    assert_eq!(left.len(), 1, "{left:?}");
    for container in left {
        container
            .remove(&RemoveOptions::new().force(true))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_detached_container_logs_execs_lists_and_is_removed() {
    let Some(docker) = podman().await else {
        return;
    };
    let image = common::import_busybox(&docker).await;
    let label = format!(
        "{}={}",
        common::TEST_LABEL,
        common::unique_name("podman-core")
    );
    let name = common::unique_name("podman-core");
    let options = labelled(&label, "sh -c 'echo ready; exec sleep 60'").name(&name);
    let container = docker
        .containers()
        .run_detached(&image, &options)
        .await
        .expect("a detached container");

    let found = docker
        .containers()
        .get(&name)
        .await
        .expect("inspect by name");
    assert_eq!(found.id(), container.id());
    assert_eq!(found.name(), name);
    assert_eq!(
        found.labels().get(common::TEST_LABEL).map(String::as_str),
        label.split_once('=').map(|(_, v)| v)
    );
    let listed = common::labelled_containers(&docker, &label).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id(), container.id());

    let mut logs = Vec::new();
    for _ in 0..50 {
        logs = container.logs(&LogsOptions::new()).await.expect("logs");
        if !logs.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(String::from_utf8_lossy(&logs), "ready\n");

    let exec = container
        .exec_run("sh -c 'echo in-exec; exit 4'", &ExecOptions::new())
        .await
        .expect("exec_run");
    assert_eq!(exec.exit_code, 4);
    assert_eq!(exec.output.text(), "in-exec\n");

    // Removing a running container without force: dockerd answers 409,
    // Podman 500; either is a typed error carrying the status.
    let refused = container
        .remove(&RemoveOptions::new())
        .await
        .expect_err("removing a running container without force");
    eprintln!("remove of a running container on Podman: {refused:?}");
    assert!(
        refused.is_conflict() || refused.status() == Some(500),
        "{refused:?}"
    );

    container
        .remove(&RemoveOptions::new().force(true))
        .await
        .expect("a forced removal");
    assert!(docker.containers().get_opt(&name).await.unwrap().is_none());
}

// The raw swarm operations are generated with the `swarm` feature, which
// `cargo xtask test` turns on (`--all-features`).
#[cfg(feature = "swarm")]
#[tokio::test]
async fn an_endpoint_podman_lacks_is_a_typed_error_with_its_status() {
    let Some(docker) = podman().await else {
        return;
    };
    // Podman serves no swarm; its answer is not a Docker JSON error.
    let raw = docker.raw().await.unwrap();
    let err = match raw.swarm_inspect().await {
        Ok(answer) => panic!("Podman answered a swarm inspect: {:?}", answer.into_inner()),
        Err(raw) => docker.raw_error(raw, "SwarmInspect").await,
    };
    eprintln!("swarm inspect on Podman: {err:?}");
    assert!(err.status().is_some_and(|status| status >= 400), "{err:?}");
    assert!(!matches!(err, Error::Decode { .. }), "{err:?}");
}
