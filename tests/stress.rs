//! Many runs at once against the real daemon: every run's output and exit
//! arrive intact, removal leaves nothing behind, and the client gives its
//! connections back.

mod common;

use std::time::Duration;

use dockhand::{ContainerOptions, Error, RemoveOptions};
use futures_util::{stream, StreamExt};

/// The file descriptors this process holds.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// One test, so nothing else in this process opens descriptors while the
/// second part counts them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_runs_lose_nothing_and_give_their_connections_back() {
    sixty_instant_runs_keep_their_output_exit_codes_and_removal().await;
    concurrent_runs_give_their_connections_back().await;
}

async fn sixty_instant_runs_keep_their_output_exit_codes_and_removal() {
    const RUNS: usize = 60;
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = format!("{}={}", common::TEST_LABEL, common::unique_name("stress"));

    let results: Vec<(usize, dockhand::Result<Vec<u8>>)> = stream::iter(0..RUNS)
        .map(|i| {
            let docker = docker.clone();
            let label = label.clone();
            async move {
                let options = ContainerOptions::new()
                    .command(format!(
                        "sh -c 'echo out-{i}; echo err-{i} >&2; exit {}'",
                        i % 3
                    ))
                    .stderr(true)
                    .remove(i % 2 == 0)
                    .labels([label]);
                (i, docker.containers().run(image, &options).await)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;

    let mut lost = Vec::new();
    for (i, result) in &results {
        match (i % 3, result) {
            (0, Ok(output)) => {
                let text = String::from_utf8_lossy(output);
                if !(text.contains(&format!("out-{i}\n")) && text.contains(&format!("err-{i}\n"))) {
                    lost.push(format!("run {i}: output {text:?}"));
                }
            }
            (
                code,
                Err(Error::ContainerFailed {
                    exit_status,
                    stderr,
                    ..
                }),
            ) if code != 0 => {
                if *exit_status != code as i64 || !stderr.contains(&format!("err-{i}")) {
                    lost.push(format!("run {i}: exit {exit_status}, stderr {stderr:?}"));
                }
            }
            (_, other) => lost.push(format!("run {i}: {other:?}")),
        }
    }

    // The runs without removal remain, stopped; the others are gone.
    let remaining = common::labelled_containers(&docker, &label).await;
    let kept = remaining.len();
    for container in remaining {
        container
            .remove(&RemoveOptions::new().force(true))
            .await
            .unwrap();
    }
    let leftovers = common::labelled_containers(&docker, &label).await;

    eprintln!(
        "{RUNS} instant runs: {} lost, {kept} kept (without removal), {} left after clean-up",
        lost.len(),
        leftovers.len()
    );
    assert!(
        lost.is_empty(),
        "{} of {RUNS} runs lost something: {lost:#?}",
        lost.len()
    );
    assert_eq!(kept, RUNS / 2);
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

async fn concurrent_runs_give_their_connections_back() {
    const RUNS: usize = 24;
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = format!(
        "{}={}",
        common::TEST_LABEL,
        common::unique_name("stress-fds")
    );
    // One warm-up run, so lazily opened files (the image lookup) are counted.
    docker
        .containers()
        .run(
            image,
            &ContainerOptions::new()
                .command("true")
                .remove(true)
                .labels([label.clone()]),
        )
        .await
        .unwrap();
    let before = open_fds();

    let results: Vec<dockhand::Result<Vec<u8>>> = stream::iter(0..RUNS)
        .map(|i| {
            let docker = docker.clone();
            let options = ContainerOptions::new()
                .command(format!("echo run-{i}"))
                .remove(true)
                .labels([label.clone()]);
            async move { docker.containers().run(image, &options).await }
        })
        .buffer_unordered(RUNS)
        .collect()
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = open_fds();

    let failures: Vec<_> = results.iter().filter(|result| result.is_err()).collect();
    assert!(failures.is_empty(), "{failures:?}");
    // At most the pool's idle connections (8) stay open after the burst.
    assert!(
        after <= before + 8,
        "{before} descriptors before {RUNS} concurrent runs, {after} after"
    );
    // Dropping the last handle closes the pool's connections, the one kept
    // since the warm-up included.
    drop(docker);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let dropped = open_fds();
    eprintln!(
        "{RUNS} concurrent runs: {} failed; descriptors {before} before, {after} after, \
         {dropped} once the handle is dropped",
        failures.len()
    );
    assert!(
        dropped <= before,
        "{before} descriptors before, {dropped} after the handle was dropped"
    );
}
