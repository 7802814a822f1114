//! `exec_run` and its stream, socket and detached forms against the real daemon.

mod common;

use dockhand::{Container, ContainerOptions, Error, ExecOptions, ExecOutput, RemoveOptions};
use futures_util::TryStreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A running, labelled container to exec in; removed by the caller.
async fn sleeper(docker: &dockhand::Docker, what: &str) -> Container {
    let image = common::busybox(docker).await;
    docker
        .containers()
        .run_detached(
            image,
            &ContainerOptions::new()
                .command("sleep 120")
                .labels([format!(
                    "{}={}",
                    common::TEST_LABEL,
                    common::unique_name(what)
                )]),
        )
        .await
        .unwrap()
}

async fn remove(container: Container) {
    container
        .remove(&RemoveOptions::new().force(true))
        .await
        .unwrap();
}

fn combined(output: ExecOutput) -> Vec<u8> {
    match output {
        ExecOutput::Combined(bytes) => bytes,
        other => panic!("expected combined output, got {other:?}"),
    }
}

#[tokio::test]
async fn exec_run_returns_exit_code_and_output() {
    let docker = common::docker().await;
    let container = sleeper(&docker, "exec-run").await;
    let ok = container
        .exec_run("sh -c 'echo hello; echo oops >&2'", &ExecOptions::new())
        .await;
    let failed = container
        .exec_run(["sh", "-c", "exit 42"], &ExecOptions::new())
        .await;
    let quiet = container
        .exec_run(
            "sh -c 'echo out; echo err >&2'",
            &ExecOptions::new().stderr(false),
        )
        .await;
    remove(container).await;
    let ok = ok.unwrap();
    assert_eq!(ok.exit_code, 0);
    let output = combined(ok.output);
    assert!(
        output == b"hello\noops\n" || output == b"oops\nhello\n",
        "{output:?}"
    );
    assert_eq!(failed.unwrap().exit_code, 42);
    assert_eq!(combined(quiet.unwrap().output), b"out\n");
}

#[tokio::test]
async fn exec_run_demux_env_workdir_user_and_tty() {
    let docker = common::docker().await;
    let container = sleeper(&docker, "exec-opts").await;
    let demuxed = container
        .exec_run(
            "sh -c 'echo $GREETING; pwd; id -u; echo e >&2'",
            &ExecOptions::new()
                .environment(["GREETING=hi there"])
                .workdir("/tmp")
                .user("1234")
                .demux(true),
        )
        .await;
    let tty = container
        .exec_run("sh -c 'echo via-tty >&2'", &ExecOptions::new().tty(true))
        .await;
    remove(container).await;
    match demuxed.unwrap().output {
        ExecOutput::Demuxed { stdout, stderr } => {
            assert_eq!(stdout, b"hi there\n/tmp\n1234\n");
            assert_eq!(stderr, b"e\n");
        }
        other => panic!("{other:?}"),
    }
    // With a TTY both streams are one, and the terminal adds \r.
    assert_eq!(combined(tty.unwrap().output), b"via-tty\r\n");
}

#[tokio::test]
async fn exec_stream_and_detach() {
    let docker = common::docker().await;
    let container = sleeper(&docker, "exec-stream").await;
    let streamed = async {
        let (exec, output) = container
            .exec_stream(
                "sh -c 'echo one; sleep 0.2; echo two; exit 3'",
                &ExecOptions::new(),
            )
            .await?;
        let chunks: Vec<Vec<u8>> = output
            .map_ok(|c| c.as_bytes().to_vec())
            .try_collect()
            .await?;
        // The daemon records the exit code a moment after the output ends.
        let mut code = None;
        for _ in 0..50 {
            code = exec.exit_code().await?;
            if code.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Ok::<_, Error>((chunks.concat(), code))
    }
    .await;
    let detached = container
        .exec_detach("sh -c 'echo x > /tmp/detached-ran'", &ExecOptions::new())
        .await;
    // The detached command runs on its own: look for its file a few times.
    let mut check = container
        .exec_run("cat /tmp/detached-ran", &ExecOptions::new())
        .await;
    for _ in 0..50 {
        if matches!(&check, Ok(result) if result.exit_code == 0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        check = container
            .exec_run("cat /tmp/detached-ran", &ExecOptions::new())
            .await;
    }
    remove(container).await;
    let (output, code) = streamed.unwrap();
    assert_eq!(output, b"one\ntwo\n");
    assert_eq!(code, Some(3));
    assert!(!detached.unwrap().id().is_empty());
    assert_eq!(combined(check.unwrap().output), b"x\n");
}

#[tokio::test]
async fn exec_socket_writes_stdin_and_reads_output() {
    let docker = common::docker().await;
    let container = sleeper(&docker, "exec-socket").await;
    let result = async {
        let (exec, mut socket) = container
            .exec_socket("cat", &ExecOptions::new().stdin(true).tty(true))
            .await?;
        socket.write_all(b"through the socket\n").await.unwrap();
        // A TTY echoes input; cat writes it back: read until both arrived.
        let mut seen = Vec::new();
        let mut buffer = [0u8; 1024];
        while seen
            .windows(18)
            .filter(|w| w == b"through the socket")
            .count()
            < 2
        {
            let n = socket.read(&mut buffer).await.unwrap();
            assert!(n > 0, "connection closed early: {seen:?}");
            seen.extend_from_slice(&buffer[..n]);
        }
        socket.write_all(&[4]).await.unwrap(); // ^D ends cat on a TTY
        let mut rest = Vec::new();
        socket.read_to_end(&mut rest).await.ok();
        Ok::<_, Error>((exec, seen))
    }
    .await;
    remove(container).await;
    let (_exec, seen) = result.unwrap();
    assert!(String::from_utf8_lossy(&seen).contains("through the socket"));
}

#[tokio::test]
async fn exec_in_a_stopped_container_is_a_conflict() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let container = docker
        .containers()
        .create(
            image,
            &ContainerOptions::new().command("true").labels([format!(
                "{}={}",
                common::TEST_LABEL,
                common::unique_name("exec-stopped")
            )]),
        )
        .await
        .unwrap();
    let err = container.exec_run("true", &ExecOptions::new()).await;
    remove(container).await;
    let err = err.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
}

#[tokio::test]
async fn an_unbalanced_quote_is_an_invalid_argument_before_any_request() {
    let docker = common::docker().await;
    let container = sleeper(&docker, "exec-quote").await;
    let err = container
        .exec_run("sh -c 'echo unterminated", &ExecOptions::new())
        .await;
    remove(container).await;
    assert!(matches!(err, Err(Error::InvalidArgument { .. })), "{err:?}");
}

#[tokio::test]
async fn exec_output_accessors_give_each_stream_and_text() {
    let docker = common::docker().await;
    let container = sleeper(&docker, "exec-accessors").await;
    let demuxed = container
        .exec_run(
            "sh -c 'echo out; echo err >&2; exit 3'",
            &ExecOptions::new().demux(true),
        )
        .await;
    let combined = container
        .exec_run("sh -c 'echo one; echo two >&2'", &ExecOptions::new())
        .await;
    remove(container).await;

    let demuxed = demuxed.unwrap();
    assert!(!demuxed.success());
    assert_eq!(demuxed.exit_code, 3);
    assert_eq!(demuxed.output.stdout(), Some(&b"out\n"[..]));
    assert_eq!(demuxed.output.stderr_text().as_deref(), Some("err\n"));
    assert_eq!(demuxed.output.text(), "out\nerr\n");
    let combined = combined.unwrap();
    assert!(combined.success());
    assert_eq!(combined.output.stdout(), None);
    let text = combined.output.text();
    assert!(text.contains("one\n") && text.contains("two\n"), "{text:?}");
}
