//! The order of `run`'s and `exec`'s requests and what they make of the
//! answers, on a scripted daemon that records every request: attach and
//! wait registered before the start, the removal waited for, the exit
//! status and stderr in the error, an attached process's end. (The same
//! calls run against the real dockerd in `container_run` and
//! `container_exec`.)

mod common;

use common::fake_daemon::{frame, Answer, FakeDaemon, Request};
use dockhand::{AttachOptions, ContainerOptions, Docker, Error, ExecOptions};
use futures_util::TryStreamExt;
use tokio::io::AsyncWriteExt;

const MULTIPLEXED: &str = "application/vnd.docker.multiplexed-stream";

/// What the scripted daemon says about the container and its exec.
#[derive(Clone, Copy)]
struct Script {
    podman: bool,
    exit_status: i64,
}

impl Script {
    fn answer(self, request: &Request) -> Answer {
        match (request.method.as_str(), unversioned(request)) {
            ("GET", "/_ping") => {
                let ping = Answer::json("OK").header("Api-Version", "1.41");
                match self.podman {
                    true => ping.header("Libpod-Api-Version", "4.3.1"),
                    false => ping,
                }
            }
            ("POST", "/containers/create") => Answer::status(201, r#"{"Id":"c1","Warnings":[]}"#),
            ("POST", "/containers/c1/attach") => {
                let mut stream = frame(1, b"hello\n");
                stream.extend(frame(2, b"oops\n"));
                Answer::upgrade(MULTIPLEXED, stream)
            }
            ("POST", "/containers/c1/wait") => Answer::json(format!(
                r#"{{"StatusCode":{},"Error":null}}"#,
                self.exit_status
            )),
            ("POST", "/containers/c1/start") => Answer::status(204, ""),
            ("DELETE", "/containers/c1") => Answer::status(204, ""),
            ("GET", "/containers/c1/json") => Answer::json(
                r#"{"Id":"c1","Name":"/c1","Config":{"Tty":false},"State":{"Status":"running","Running":true}}"#,
            ),
            ("POST", "/containers/c1/exec") => Answer::status(201, r#"{"Id":"e1"}"#),
            ("POST", "/exec/e1/start") => {
                let mut output = frame(1, b"out\n");
                output.extend(frame(2, b"err\n"));
                // exec_socket hijacks the connection; exec_run reads a body.
                match request.header("Upgrade") {
                    Some("tcp") => Answer::upgrade(MULTIPLEXED, output),
                    _ => Answer {
                        body: String::from_utf8(output).unwrap(),
                        ..Answer::json("").header("Content-Type", MULTIPLEXED)
                    },
                }
            }
            ("GET", "/exec/e1/json") => Answer::json(format!(
                r#"{{"ID":"e1","Running":false,"ExitCode":{}}}"#,
                self.exit_status
            )),
            _ => Answer::status(404, r#"{"message":"not scripted"}"#),
        }
    }
}

async fn daemon(script: Script) -> (FakeDaemon, Docker) {
    let daemon = FakeDaemon::serve(move |request| script.answer(request)).await;
    let docker = Docker::connect(&daemon.host).unwrap();
    (daemon, docker)
}

/// The requests after the version ping, as `"METHOD /route"` lines
/// (without the version prefix and the query).
fn calls(daemon: &FakeDaemon) -> Vec<String> {
    daemon
        .requests()
        .iter()
        .filter(|request| request.route() != "/_ping")
        .map(|request| format!("{} {}", request.method, unversioned(request)))
        .collect()
}

/// The request's path without the API version prefix and the query.
fn unversioned(request: &Request) -> &str {
    request.route().trim_start_matches("/v1.41")
}

/// The query of the first request to `route`.
fn query_of(daemon: &FakeDaemon, route: &str) -> String {
    let request = daemon
        .requests()
        .into_iter()
        .find(|request| request.route().ends_with(route))
        .unwrap_or_else(|| panic!("no request to {route}"));
    request
        .path
        .split_once('?')
        .map(|(_, q)| q.to_owned())
        .unwrap_or_default()
}

const RUN_ORDER: [&str; 4] = [
    "POST /containers/create",
    "POST /containers/c1/attach",
    "POST /containers/c1/wait",
    "POST /containers/c1/start",
];

#[tokio::test]
async fn run_attaches_and_registers_the_wait_before_the_start() {
    let (daemon, docker) = daemon(Script {
        podman: false,
        exit_status: 0,
    })
    .await;
    let output = docker
        .containers()
        .run("busybox", &ContainerOptions::new().command("echo hello"))
        .await
        .unwrap();
    assert_eq!(output, b"hello\n");
    assert_eq!(calls(&daemon), RUN_ORDER);
    assert_eq!(query_of(&daemon, "/wait"), "condition=next-exit");
    let create = &daemon.requests()[1];
    assert_eq!(create.json()["Cmd"], serde_json::json!(["echo", "hello"]));
    assert_eq!(create.json()["AttachStdout"], true);
}

#[tokio::test]
async fn a_failing_run_carries_its_exit_status_and_stderr() {
    let (_daemon, docker) = daemon(Script {
        podman: false,
        exit_status: 3,
    })
    .await;
    let err = docker
        .containers()
        .run("busybox", &ContainerOptions::new().command("false"))
        .await
        .unwrap_err();
    match err {
        Error::ContainerFailed {
            exit_status,
            stderr,
            command,
            ..
        } => {
            assert_eq!(exit_status, 3);
            assert_eq!(stderr, "oops\n");
            assert_eq!(command, ["false"]);
        }
        other => panic!("expected ContainerFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_removed_run_waits_for_the_removal() {
    let (daemon, docker) = daemon(Script {
        podman: false,
        exit_status: 0,
    })
    .await;
    let options = ContainerOptions::new().stderr(true).remove(true);
    let output = docker.containers().run("busybox", &options).await.unwrap();
    assert_eq!(output, b"hello\noops\n");
    // The daemon removes it: the wait is for `removed`, and nothing else
    // is asked after the start.
    assert_eq!(calls(&daemon), RUN_ORDER);
    assert_eq!(query_of(&daemon, "/wait"), "condition=removed");
    assert_eq!(
        daemon.requests()[1].json()["HostConfig"]["AutoRemove"],
        true
    );
}

#[tokio::test]
async fn on_podman_a_removed_run_removes_after_the_exit() {
    let (daemon, docker) = daemon(Script {
        podman: true,
        exit_status: 0,
    })
    .await;
    let options = ContainerOptions::new().remove(true);
    docker.containers().run("busybox", &options).await.unwrap();
    // Podman's `removed` wait reports 0 whatever the status: dockhand
    // waits for the exit, then removes, and returns after the removal.
    let mut expected = RUN_ORDER.to_vec();
    expected.push("DELETE /containers/c1");
    assert_eq!(calls(&daemon), expected);
    assert_eq!(query_of(&daemon, "/wait"), "condition=next-exit");
    assert_eq!(
        query_of(&daemon, "/containers/c1"),
        "force=true&link=false&v=true"
    );
}

#[tokio::test]
async fn run_stream_ends_with_the_failure_after_the_output() {
    let (daemon, docker) = daemon(Script {
        podman: false,
        exit_status: 5,
    })
    .await;
    let options = ContainerOptions::new().stderr(true);
    let stream = docker
        .containers()
        .run_stream("busybox", &options)
        .await
        .unwrap();
    let items: Vec<_> = futures_util::StreamExt::collect(stream).await;
    assert_eq!(items[0].as_ref().unwrap().as_bytes(), b"hello\n");
    assert_eq!(items[1].as_ref().unwrap().as_bytes(), b"oops\n");
    assert!(
        matches!(items[2], Err(Error::ContainerFailed { exit_status: 5, .. })),
        "{:?}",
        items[2]
    );
    assert_eq!(items.len(), 3);
    assert_eq!(calls(&daemon), RUN_ORDER);
}

#[tokio::test]
async fn exec_run_creates_starts_then_reads_the_exit_code() {
    let (daemon, docker) = daemon(Script {
        podman: false,
        exit_status: 2,
    })
    .await;
    let container = docker.containers().get("c1").await.unwrap();
    let result = container
        .exec_run(
            "sh -c 'echo out; echo err >&2; exit 2'",
            &ExecOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(result.exit_code, 2);
    assert_eq!(result.output.bytes().as_ref(), b"out\nerr\n");
    assert_eq!(
        calls(&daemon),
        [
            "GET /containers/c1/json",
            "POST /containers/c1/exec",
            "POST /exec/e1/start",
            "GET /exec/e1/json",
        ]
    );
}

#[tokio::test]
async fn attached_processes_give_their_output_then_their_end() {
    let (daemon, docker) = daemon(Script {
        podman: false,
        exit_status: 7,
    })
    .await;
    let container = docker.containers().get("c1").await.unwrap();

    // An exec: the end is its exit code, read after the output.
    let (_exec, process) = container
        .exec_socket("cat", &ExecOptions::new().stdin(true).tty(true))
        .await
        .unwrap();
    let (output, mut stdin, end) = process.split();
    stdin.shutdown().await.ok();
    let chunks: Vec<_> = output.try_collect().await.unwrap();
    // The daemon said multiplexed, so the frames are taken apart even with
    // a TTY asked for.
    assert_eq!(chunks.len(), 2);
    assert_eq!(end.wait().await.unwrap().status_code, 7);

    // A container attached to: its wait is sent when the end is awaited.
    let process = container
        .attach_socket(&AttachOptions::new())
        .await
        .unwrap();
    assert!(!process.is_raw());
    let (output, end) = process.output();
    let text: Vec<u8> = output
        .map_ok(|chunk| chunk.into_bytes().to_vec())
        .try_concat()
        .await
        .unwrap();
    assert_eq!(text, b"hello\noops\n");
    let before_wait = calls(&daemon);
    assert!(!before_wait.contains(&"POST /containers/c1/wait".to_owned()));
    assert_eq!(end.wait().await.unwrap().status_code, 7);
    assert_eq!(query_of(&daemon, "/wait"), "condition=not-running");
}
