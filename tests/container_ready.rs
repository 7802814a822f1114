//! Waiting until a container is ready, against real containers: a health
//! check that passes after a while and one that never does, log lines,
//! busybox's httpd behind a published port, an exec'd command, and a
//! container that exits while being waited for.

mod common;

use std::time::{Duration, Instant};

use dockhand::options::Healthcheck;
use dockhand::{
    Container, ContainerOptions, Error, HttpCheck, LogLine, LogSource, Ready, RemoveOptions,
};

const WAIT: Duration = Duration::from_secs(30);

async fn start(docker: &dockhand::Docker, what: &str, options: ContainerOptions) -> Container {
    let image = common::busybox(docker).await;
    let options = options.labels([format!(
        "{}={}",
        common::TEST_LABEL,
        common::unique_name(what)
    )]);
    docker
        .containers()
        .run_detached(image, &options)
        .await
        .unwrap()
}

async fn remove(container: Container) {
    container
        .remove(&RemoveOptions::new().force(true))
        .await
        .unwrap();
}

fn fast_check(test: &str) -> Healthcheck {
    Healthcheck::shell(test)
        .interval(Duration::from_millis(300))
        .timeout(Duration::from_secs(5))
        .retries(2)
}

#[tokio::test]
async fn healthy_after_a_few_checks_and_a_check_that_never_passes() {
    let docker = common::docker().await;
    let turns_healthy = start(
        &docker,
        "ready-healthy",
        ContainerOptions::new()
            .command("sh -c 'sleep 1; touch /tmp/ok; exec sleep 60'")
            .healthcheck(fast_check("test -f /tmp/ok")),
    )
    .await;
    let never = start(
        &docker,
        "ready-unhealthy",
        ContainerOptions::new()
            .command("sleep 60")
            .healthcheck(fast_check("echo still broken; exit 1")),
    )
    .await;
    let no_check = start(
        &docker,
        "ready-no-check",
        ContainerOptions::new().command("sleep 60"),
    )
    .await;

    let healthy = turns_healthy
        .wait_until_ready(&Ready::healthy(), WAIT)
        .await;
    let began = Instant::now();
    let unhealthy = never
        .wait_until_ready(&Ready::healthy(), Duration::from_secs(3))
        .await;
    let waited = began.elapsed();
    let without = no_check.wait_until_ready(&Ready::healthy(), WAIT).await;
    remove(turns_healthy).await;
    remove(never).await;
    remove(no_check).await;

    healthy.unwrap();
    match unhealthy {
        Err(Error::NotReady {
            condition,
            last_seen,
            exit_code,
            ..
        }) => {
            assert_eq!(condition, "healthy");
            assert!(last_seen.contains("still broken"), "{last_seen}");
            assert!(last_seen.contains("exited 1"), "{last_seen}");
            assert_eq!(exit_code, None);
        }
        other => panic!("expected NotReady, got {other:?}"),
    }
    assert!(waited >= Duration::from_secs(3), "{waited:?}");
    match without {
        Err(Error::NotReady { last_seen, .. }) => {
            assert!(last_seen.contains("no health check"), "{last_seen}")
        }
        other => panic!("expected NotReady, got {other:?}"),
    }
}

#[tokio::test]
async fn log_lines_by_stream_pattern_and_start() {
    let docker = common::docker().await;
    let container = start(
        &docker,
        "ready-logs",
        ContainerOptions::new().command(
            "sh -c 'echo booting; sleep 1; echo \"listening on port 8080\" >&2; exec sleep 60'",
        ),
    )
    .await;

    let on_stderr = container
        .wait_until_ready(
            &Ready::log(
                LogLine::matching(r"port \d+")
                    .unwrap()
                    .source(LogSource::Stderr),
            ),
            WAIT,
        )
        .await;
    // "booting" went to stdout, not stderr; and it was written before now.
    let wrong_stream = container
        .wait_until_ready(
            &Ready::log(LogLine::containing("booting").source(LogSource::Stderr)),
            Duration::from_secs(1),
        )
        .await;
    let from_start = container
        .wait_until_ready(&Ready::log(LogLine::containing("booting")), WAIT)
        .await;
    let from_now = container
        .wait_until_ready(
            &Ready::log(LogLine::containing("booting").from_now()),
            Duration::from_secs(1),
        )
        .await;
    remove(container).await;

    on_stderr.unwrap();
    from_start.unwrap();
    match wrong_stream {
        Err(Error::NotReady {
            condition,
            last_seen,
            ..
        }) => {
            assert_eq!(condition, "a stderr line containing \"booting\"");
            assert!(last_seen.contains("listening on port 8080"), "{last_seen}");
        }
        other => panic!("expected NotReady, got {other:?}"),
    }
    assert!(
        matches!(from_now, Err(Error::NotReady { .. })),
        "{from_now:?}"
    );
}

#[tokio::test]
async fn a_published_http_server_and_an_exec_check() {
    let docker = common::docker().await;
    let container = start(
        &docker,
        "ready-http",
        ContainerOptions::new()
            .command([
                "sh",
                "-c",
                "sleep 1; mkdir /www; echo up > /www/index.html; touch /tmp/ok; exec httpd -f -p 80 -h /www",
            ])
            .ports(vec![("80/tcp", dockhand::options::HostPorts::from("127.0.0.1"))]),
    )
    .await;

    let began = Instant::now();
    let ready = container
        .wait_until_ready(
            &Ready::all([
                Ready::port(80),
                Ready::http(HttpCheck::get(80)),
                Ready::http(HttpCheck::get(80).path("missing").status(404)),
                Ready::exec("test -f /tmp/ok"),
            ]),
            WAIT,
        )
        .await;
    let waited = began.elapsed();
    let wrong_status = container
        .wait_until_ready(
            &Ready::http(HttpCheck::get(80).path("/missing")),
            Duration::from_secs(1),
        )
        .await;
    let address = container.host_port(80);
    remove(container).await;

    ready.unwrap();
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    let address = address.unwrap();
    match wrong_status {
        Err(Error::NotReady { last_seen, .. }) => {
            assert_eq!(last_seen, format!("{address} answered 404"))
        }
        other => panic!("expected NotReady, got {other:?}"),
    }
}

#[tokio::test]
async fn a_container_that_exits_while_waited_for_fails_at_once() {
    let docker = common::docker().await;
    let container = start(
        &docker,
        "ready-exits",
        ContainerOptions::new().command("sh -c 'echo giving up; sleep 1; exit 3'"),
    )
    .await;
    let began = Instant::now();
    let result = container
        .wait_until_ready(&Ready::log(LogLine::containing("never printed")), WAIT)
        .await;
    let waited = began.elapsed();
    remove(container).await;

    match result {
        Err(Error::NotReady {
            exit_code,
            last_seen,
            ..
        }) => {
            assert_eq!(exit_code, Some(3));
            assert!(last_seen.contains("giving up"), "{last_seen}");
            assert!(last_seen.contains("status 3"), "{last_seen}");
        }
        other => panic!("expected NotReady, got {other:?}"),
    }
    assert!(waited < Duration::from_secs(15), "{waited:?}");
}
