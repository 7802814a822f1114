//! A container's life and its properties, against the real daemon: state
//! transitions, signals, wait conditions, rename, logs, attach, list, prune.

mod common;

use std::time::Duration;

use dockhand::{
    AttachOptions, Container, ContainerOptions, ContainerStatus, Filters, HealthStatus,
    KillOptions, ListOptions, LogsOptions, RemoveOptions, StopOptions, WaitCondition, WaitOptions,
};
use futures_util::TryStreamExt;
use tokio::io::AsyncWriteExt;

fn labelled(label: &str) -> ContainerOptions {
    ContainerOptions::new().labels([format!("{}={label}", common::TEST_LABEL)])
}

fn label_filter(label: &str) -> Filters {
    Filters::new().label(format!("{}={label}", common::TEST_LABEL))
}

/// Remove every container carrying this test's label.
async fn cleanup(docker: &dockhand::Docker, label: &str) {
    let listed = docker
        .containers()
        .list(
            &ListOptions::new()
                .all(true)
                .sparse(true)
                .filters(label_filter(label)),
        )
        .await
        .unwrap();
    for container in listed {
        container
            .remove(&RemoveOptions::new().force(true))
            .await
            .ok();
    }
}

async fn create(docker: &dockhand::Docker, label: &str, options: ContainerOptions) -> Container {
    let image = common::busybox(docker).await;
    docker
        .containers()
        .create(image, &options)
        .await
        .unwrap_or_else(|err| panic!("{label}: {err}"))
}

#[tokio::test]
async fn status_goes_created_running_paused_running_exited() {
    let docker = common::docker().await;
    let label = common::unique_name("states");
    let mut container = create(&docker, &label, labelled(&label).command("sleep 60")).await;
    let mut seen = vec![container.status()];
    container.start().await.unwrap();
    container.start().await.unwrap(); // already running: not an error
    container.reload().await.unwrap();
    seen.push(container.status());
    container.pause().await.unwrap();
    container.reload().await.unwrap();
    seen.push(container.status());
    let double_pause = container.pause().await;
    container.unpause().await.unwrap();
    container.reload().await.unwrap();
    seen.push(container.status());
    container
        .stop(&StopOptions::new().timeout(Duration::from_secs(1)))
        .await
        .unwrap();
    container.stop(&StopOptions::new()).await.unwrap(); // already stopped: not an error
    container.reload().await.unwrap();
    seen.push(container.status());
    cleanup(&docker, &label).await;
    assert_eq!(
        seen,
        [
            ContainerStatus::Created,
            ContainerStatus::Running,
            ContainerStatus::Paused,
            ContainerStatus::Running,
            ContainerStatus::Exited
        ]
    );
    assert!(double_pause.unwrap_err().is_conflict());
}

#[tokio::test]
async fn kill_sends_the_named_or_numbered_signal() {
    let docker = common::docker().await;
    let label = common::unique_name("kill");
    // The shell traps HUP and exits 11; TERM and KILL by number end it too.
    let script = "trap 'exit 11' HUP; echo ready; while true; do sleep 0.1; done";
    let by_name = create(
        &docker,
        &label,
        labelled(&label).command(["sh", "-c", script]),
    )
    .await;
    by_name.start().await.unwrap();
    // Signal only once the trap is set: the script says so.
    for _ in 0..100 {
        if by_name.logs(&LogsOptions::new()).await.unwrap() == b"ready\n" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    by_name
        .kill(&KillOptions::new().signal("SIGHUP"))
        .await
        .unwrap();
    let hup = by_name.wait(&WaitOptions::new()).await.unwrap();

    let by_number = create(&docker, &label, labelled(&label).command("sleep 60")).await;
    by_number.start().await.unwrap();
    by_number.kill(&KillOptions::new().signal(9)).await.unwrap();
    let killed = by_number.wait(&WaitOptions::new()).await.unwrap();
    let not_running = by_number.kill(&KillOptions::new()).await;
    let bad_signal = {
        let victim = create(&docker, &label, labelled(&label).command("sleep 60")).await;
        victim.start().await.unwrap();
        victim.kill(&KillOptions::new().signal("SIGNOPE")).await
    };
    cleanup(&docker, &label).await;
    assert_eq!(hup.status_code, 11);
    assert_eq!(killed.status_code, 137);
    assert!(not_running.unwrap_err().is_conflict());
    assert!(bad_signal.is_err());
}

#[tokio::test]
async fn wait_conditions_and_timeout() {
    let docker = common::docker().await;
    let label = common::unique_name("wait");
    let container = create(&docker, &label, labelled(&label).command("sh -c 'exit 5'")).await;
    // Registered before the start, next-exit sees this run's exit.
    let next_exit = {
        let container = container.clone();
        tokio::spawn(async move {
            container
                .wait(&WaitOptions::new().condition(WaitCondition::NextExit))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    container.start().await.unwrap();
    let exit = next_exit.await.unwrap().unwrap();
    // Not running already: returns at once with the last exit.
    let again = container.wait(&WaitOptions::new()).await.unwrap();

    let sleeper = create(&docker, &label, labelled(&label).command("sleep 60")).await;
    sleeper.start().await.unwrap();
    let timed_out = sleeper
        .wait(&WaitOptions::new().timeout(Duration::from_millis(200)))
        .await;
    let removed = {
        let sleeper = sleeper.clone();
        tokio::spawn(async move {
            sleeper
                .wait(&WaitOptions::new().condition(WaitCondition::Removed))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    sleeper
        .remove(&RemoveOptions::new().force(true))
        .await
        .unwrap();
    let removed = removed.await.unwrap();
    cleanup(&docker, &label).await;
    assert_eq!(exit.status_code, 5);
    assert!(!exit.success());
    assert_eq!(again.status_code, 5);
    assert!(
        matches!(timed_out, Err(dockhand::Error::Timeout { .. })),
        "{timed_out:?}"
    );
    assert_eq!(removed.unwrap().status_code, 137);
}

#[tokio::test]
async fn rename_resize_restart_and_properties() {
    let docker = common::docker().await;
    let label = common::unique_name("props");
    let name = common::unique_name("props-name");
    let options = labelled(&label)
        .name(&name)
        .command("sleep 60")
        .tty(true)
        .labels([
            format!("{}={label}", common::TEST_LABEL),
            "extra=yes".to_owned(),
        ]);
    let mut container = create(&docker, &label, options).await;
    assert_eq!(container.name(), name);
    assert_eq!(container.short_id().len(), 12);
    assert_eq!(
        container.labels().get("extra").map(String::as_str),
        Some("yes")
    );
    assert_eq!(container.health().unwrap(), HealthStatus::default());
    assert!(container.ports().unwrap().is_empty());
    assert!(container.image_id().unwrap().starts_with("sha256:"));

    container.start().await.unwrap();
    container.resize(40, 100).await.unwrap();
    let renamed = format!("{name}-renamed");
    container.rename(&renamed).await.unwrap();
    assert_eq!(
        container.name(),
        name,
        "attributes are a snapshot until reload"
    );
    container.reload().await.unwrap();
    assert_eq!(container.name(), renamed);
    let taken = container.rename(&renamed).await;
    container
        .restart(&StopOptions::new().timeout(Duration::from_secs(1)))
        .await
        .unwrap();
    container.reload().await.unwrap();
    let same = docker.containers().get(&renamed).await.unwrap();
    cleanup(&docker, &label).await;
    assert!(taken.is_err());
    assert_eq!(container.status(), ContainerStatus::Running);
    assert_eq!(same, container, "equality is by id");
}

#[tokio::test]
async fn logs_options_select_streams_tail_timestamps_and_time() {
    let docker = common::docker().await;
    let label = common::unique_name("logs");
    let container = create(
        &docker,
        &label,
        // stderr goes first, well before the rest: the daemon logs the two
        // pipes independently, so only lines of one pipe keep their order.
        labelled(&label).command("sh -c 'echo err >&2; sleep 0.3; echo one; echo two; echo three'"),
    )
    .await;
    container.start().await.unwrap();
    container.wait(&WaitOptions::new()).await.unwrap();
    let all = container.logs(&LogsOptions::new()).await.unwrap();
    let stdout = container
        .logs(&LogsOptions::new().stderr(false))
        .await
        .unwrap();
    let stderr = container
        .logs(&LogsOptions::new().stdout(false))
        .await
        .unwrap();
    let tail = container.logs(&LogsOptions::new().tail(2)).await.unwrap();
    let stamped = container
        .logs(&LogsOptions::new().timestamps(true).tail(1))
        .await
        .unwrap();
    let future = std::time::SystemTime::now() + Duration::from_secs(3600);
    let since_future = container
        .logs(&LogsOptions::new().since(future))
        .await
        .unwrap();
    let until_epoch = container
        .logs(&LogsOptions::new().until(1_i64))
        .await
        .unwrap();
    // A handle from a sparse list reads its TTY flag with an inspect first.
    let from_summary = docker
        .containers()
        .list(
            &ListOptions::new()
                .all(true)
                .sparse(true)
                .filters(label_filter(&label)),
        )
        .await
        .unwrap()
        .remove(0)
        .logs(&LogsOptions::new().stderr(false))
        .await
        .unwrap();
    let kinds: Vec<dockhand::StreamKind> = container
        .logs_stream(&LogsOptions::new())
        .await
        .unwrap()
        .map_ok(|chunk| chunk.kind)
        .try_collect()
        .await
        .unwrap();
    cleanup(&docker, &label).await;
    assert_eq!(all.len(), "one\ntwo\nthree\nerr\n".len());
    assert_eq!(stdout, b"one\ntwo\nthree\n");
    assert_eq!(from_summary, stdout);
    assert_eq!(stderr, b"err\n");
    assert_eq!(tail, b"two\nthree\n");
    let stamped = String::from_utf8(stamped).unwrap();
    assert!(
        stamped.starts_with("20") && stamped.contains('T'),
        "{stamped}"
    );
    assert!(since_future.is_empty());
    assert!(until_epoch.is_empty());
    assert!(kinds.contains(&dockhand::StreamKind::Stderr));
    assert!(kinds.contains(&dockhand::StreamKind::Stdout));
}

#[tokio::test]
async fn logs_follow_streams_until_exit() {
    let docker = common::docker().await;
    let label = common::unique_name("follow");
    let container = create(
        &docker,
        &label,
        labelled(&label).command("sh -c 'for i in 1 2 3; do echo $i; sleep 0.2; done'"),
    )
    .await;
    container.start().await.unwrap();
    let followed: Vec<u8> = container
        .logs_stream(&LogsOptions::new().follow(true))
        .await
        .unwrap()
        .map_ok(|chunk| chunk.as_bytes().to_vec())
        .try_concat()
        .await
        .unwrap();
    cleanup(&docker, &label).await;
    assert_eq!(followed, b"1\n2\n3\n");
}

#[tokio::test]
async fn attach_stream_and_socket_with_stdin() {
    let docker = common::docker().await;
    let label = common::unique_name("attach");
    // stdin_open keeps stdin connected; `cat` echoes what the socket writes.
    let echo = create(
        &docker,
        &label,
        labelled(&label).command("cat").stdin_open(true),
    )
    .await;
    echo.start().await.unwrap();
    let mut socket = echo
        .attach_socket(&AttachOptions::new().stdin(true))
        .await
        .unwrap();
    socket.write_all(b"ping over stdin\n").await.unwrap();
    socket.shutdown().await.unwrap(); // closes stdin: cat exits
    let mut raw = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut socket, &mut raw)
        .await
        .unwrap();
    let exit = echo.wait(&WaitOptions::new()).await.unwrap();

    let talker = create(
        &docker,
        &label,
        labelled(&label).command("sh -c 'sleep 0.5; echo out; echo err >&2'"),
    )
    .await;
    talker.start().await.unwrap();
    let attached = talker.attach(&AttachOptions::new()).await.unwrap();
    cleanup(&docker, &label).await;
    // Without a TTY the raw socket carries multiplexed frames: header
    // (stream 1, length 16) then the payload.
    assert_eq!(&raw[..8], &[1, 0, 0, 0, 0, 0, 0, 16]);
    assert_eq!(&raw[8..], b"ping over stdin\n");
    assert_eq!(exit.status_code, 0);
    assert!(
        attached == b"out\nerr\n" || attached == b"err\nout\n",
        "{attached:?}"
    );
}

#[tokio::test]
async fn attach_with_logs_to_an_exited_container_returns_its_output() {
    let docker = common::docker().await;
    let label = common::unique_name("attach-logs");
    let container = create(
        &docker,
        &label,
        labelled(&label).command("sh -c 'echo out; echo err >&2'"),
    )
    .await;
    container.start().await.unwrap();
    container.wait(&WaitOptions::new()).await.unwrap();
    let attached = tokio::time::timeout(
        Duration::from_secs(30),
        container.attach(&AttachOptions::new().logs(true)),
    )
    .await;
    cleanup(&docker, &label).await;
    let attached = attached
        .expect("attach with logs to an exited container ends")
        .unwrap();
    assert!(
        attached == b"out\nerr\n" || attached == b"err\nout\n",
        "{attached:?}"
    );
}

#[tokio::test]
async fn remove_with_link_removes_the_link_by_its_name() {
    let docker = common::docker().await;
    let label = common::unique_name("link");
    let target_name = common::unique_name("link-target");
    let parent_name = common::unique_name("link-parent");
    let target = create(
        &docker,
        &label,
        labelled(&label).name(&target_name).command("sleep 60"),
    )
    .await;
    target.start().await.unwrap();
    let parent = create(
        &docker,
        &label,
        labelled(&label)
            .name(&parent_name)
            .links([(target_name.as_str(), "alias")])
            .command("sleep 60"),
    )
    .await;
    let link = format!("/{parent_name}/alias");
    // The link's name resolves to the linked container.
    let linked = docker.containers().get(&link).await.unwrap();
    assert_eq!(linked.id(), target.id());

    let removed = linked.remove(&RemoveOptions::new().link(true)).await;
    let gone = docker.containers().get_opt(&link).await;
    let target_left = docker.containers().get_opt(target.id()).await;
    let parent_left = docker.containers().get_opt(parent.id()).await;
    cleanup(&docker, &label).await;
    removed.unwrap();
    assert!(gone.unwrap().is_none(), "the link is still there");
    assert!(target_left.unwrap().is_some(), "the linked container went");
    assert!(parent_left.unwrap().is_some(), "the parent went");
}

#[tokio::test]
async fn output_sent_with_the_attach_answer_is_not_lost() {
    // With `logs`, the daemon writes the earlier output right after its
    // `101` answer, typically in the same read: those bytes must reach us.
    let docker = common::docker().await;
    let label = common::unique_name("attach-early");
    let talker = create(
        &docker,
        &label,
        labelled(&label).command("sh -c 'echo early-bird; sleep 30'"),
    )
    .await;
    talker.start().await.unwrap();
    let mut logged = Vec::new();
    for _ in 0..100 {
        logged = talker.logs(&LogsOptions::new()).await.unwrap();
        if !logged.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut socket = talker
        .attach_socket(&AttachOptions::new().logs(true))
        .await
        .unwrap();
    let mut first = [0u8; 8 + 11];
    let read = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::AsyncReadExt::read_exact(&mut socket, &mut first),
    )
    .await;
    drop(socket);
    cleanup(&docker, &label).await;
    assert_eq!(logged, b"early-bird\n");
    read.expect("the replayed output arrives").unwrap();
    assert_eq!(&first[..8], &[1, 0, 0, 0, 0, 0, 0, 11]);
    assert_eq!(&first[8..], b"early-bird\n");
}

#[tokio::test]
async fn list_filters_and_prune_by_label() {
    let docker = common::docker().await;
    let label = common::unique_name("list");
    let running = create(&docker, &label, labelled(&label).command("sleep 60")).await;
    running.start().await.unwrap();
    let exited = create(&docker, &label, labelled(&label).command("sh -c 'exit 4'")).await;
    exited.start().await.unwrap();
    exited.wait(&WaitOptions::new()).await.unwrap();
    let fresh = create(&docker, &label, labelled(&label).command("true")).await;

    let containers = docker.containers();
    let only_running = containers
        .list(&ListOptions::new().filters(label_filter(&label)))
        .await
        .unwrap();
    let everything = containers
        .list(&ListOptions::new().all(true).filters(label_filter(&label)))
        .await
        .unwrap();
    let by_exit = containers
        .list(
            &ListOptions::new()
                .all(true)
                .filters(label_filter(&label).exited(4)),
        )
        .await
        .unwrap();
    let by_status = containers
        .list(
            &ListOptions::new()
                .all(true)
                .filters(label_filter(&label).status("created")),
        )
        .await
        .unwrap();
    let limited = containers
        .list(&ListOptions::new().limit(1).filters(label_filter(&label)))
        .await
        .unwrap();
    let before_fresh = containers
        .list(
            &ListOptions::new()
                .before(fresh.id())
                .filters(label_filter(&label)),
        )
        .await
        .unwrap();
    let sparse = containers
        .list(
            &ListOptions::new()
                .all(true)
                .sparse(true)
                .filters(label_filter(&label)),
        )
        .await
        .unwrap();
    let by_id = containers
        .list(
            &ListOptions::new()
                .all(true)
                .filters(Filters::new().id(running.id())),
        )
        .await
        .unwrap();
    let by_ancestor = containers
        .list(
            &ListOptions::new()
                .all(true)
                .filters(label_filter(&label).ancestor(common::busybox(&docker).await)),
        )
        .await
        .unwrap();

    let report = containers.prune(&label_filter(&label)).await.unwrap();
    let after_prune = containers
        .list(&ListOptions::new().all(true).filters(label_filter(&label)))
        .await
        .unwrap();
    cleanup(&docker, &label).await;

    assert_eq!(only_running, vec![running.clone()]);
    assert_eq!(everything.len(), 3);
    assert_eq!(by_exit, vec![exited.clone()]);
    assert_eq!(by_status, vec![fresh.clone()]);
    assert_eq!(limited, vec![fresh.clone()], "limit picks the newest");
    assert_eq!(before_fresh.len(), 2);
    assert_eq!(sparse.len(), 3);
    assert!(matches!(
        sparse[0].attrs(),
        dockhand::ContainerAttrs::Summary(_)
    ));
    assert_eq!(by_id, vec![running.clone()]);
    assert_eq!(by_ancestor.len(), 3);
    let mut pruned = report.deleted.clone();
    pruned.sort();
    let mut expected = vec![exited.id().to_owned(), fresh.id().to_owned()];
    expected.sort();
    assert_eq!(pruned, expected, "prune removes the stopped ones only");
    assert_eq!(after_prune, vec![running]);
}

#[tokio::test]
async fn stop_with_a_signal_reaches_the_process_or_names_the_api() {
    let docker = common::docker().await;
    let label = common::unique_name("stop-signal");
    let trapping = "trap 'echo got-usr1; exit 7' USR1; while true; do sleep 0.1; done";
    let container = create(
        &docker,
        &label,
        labelled(&label).command(vec!["sh", "-c", trapping]),
    )
    .await;
    container.start().await.unwrap();
    // The trap is set once the shell runs its loop.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let options = StopOptions::new()
        .signal("SIGUSR1")
        .timeout(Duration::from_secs(20));
    let api = docker.api_version().await.unwrap();
    let stopped = container.stop(&options).await;
    if api < dockhand::ApiVersion::new(1, 42) {
        let err = stopped.expect_err("a stop signal on a daemon before API 1.42");
        assert_eq!(
            err.to_string(),
            format!("invalid argument: stop signal: requires API 1.42; the daemon speaks {api}")
        );
        let mut container = container;
        container.reload().await.unwrap();
        assert_eq!(
            container.status(),
            ContainerStatus::Running,
            "no request was sent"
        );
    } else {
        stopped.expect("a stop with SIGUSR1");
        let exit = container.wait(&WaitOptions::new()).await.unwrap();
        assert_eq!(exit.status_code, 7, "the trap's exit, not SIGKILL's");
        let logs = container.logs(&LogsOptions::new()).await.unwrap();
        assert_eq!(String::from_utf8_lossy(&logs), "got-usr1\n");
    }
    cleanup(&docker, &label).await;
}
