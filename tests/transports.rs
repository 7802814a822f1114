//! The TLS and ssh transports against real servers: the test dockerd's
//! `--tlsverify` listener on 127.0.0.1 and an OpenSSH server in front of
//! it, both started by `cargo xtask test` (which passes their addresses in
//! `DOCKHAND_TEST_TLS_*` / `DOCKHAND_TEST_SSH_*`). Without them (a daemon
//! the xtask did not start has no TLS listener) these tests say so and pass.

mod common;

use std::path::PathBuf;

use futures_util::TryStreamExt;

use dockhand::{
    AttachOptions, ContainerOptions, Docker, Error, ExecOptions, ExecOutput, LogsOptions,
    RemoveOptions,
};

/// The TLS listener and its certificate directory, if the setup made one.
fn tls_setup() -> Option<(String, PathBuf)> {
    let host = std::env::var("DOCKHAND_TEST_TLS_HOST").ok()?;
    let dir = std::env::var("DOCKHAND_TEST_TLS_DIR").ok()?;
    Some((host, PathBuf::from(dir)))
}

/// The ssh address and the options that log in to it.
fn ssh_setup() -> Option<(String, Vec<String>)> {
    let host = std::env::var("DOCKHAND_TEST_SSH_HOST").ok()?;
    let key = std::env::var("DOCKHAND_TEST_SSH_KEY").ok()?;
    let known_hosts = std::env::var("DOCKHAND_TEST_SSH_KNOWN_HOSTS").ok()?;
    let options = [
        "-i",
        &key,
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        &format!("UserKnownHostsFile={known_hosts}"),
        "-o",
        "StrictHostKeyChecking=yes",
    ]
    .map(str::to_owned)
    .to_vec();
    Some((host, options))
}

fn skipped(what: &str) {
    eprintln!("SKIPPED: no {what} server in this setup (run the tests with `cargo xtask test`)");
}

fn read(path: PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Run `echo` in a labelled container through `docker` and return its output.
async fn echo_through(docker: &Docker, word: &str) -> String {
    let local = common::docker().await;
    let image = common::busybox(&local).await;
    let output = docker
        .containers()
        .run(
            image,
            &ContainerOptions::new()
                .command(["echo", word])
                .labels([format!("{}=transports", common::TEST_LABEL)])
                .remove(true),
        )
        .await
        .expect("the run succeeds");
    String::from_utf8_lossy(&output).into_owned()
}

/// The transport error's text; panics on any other outcome.
async fn transport_error(docker: &Docker) -> String {
    match docker.ping().await {
        Err(err @ Error::Transport { .. }) => err.to_string(),
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[tokio::test]
async fn tls_with_the_right_certificates_runs_a_container() {
    let Some((host, dir)) = tls_setup() else {
        return skipped("TLS");
    };
    // As DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=… would configure it.
    let docker = Docker::builder()
        .host(&host)
        .tls_verify(true)
        .cert_path(dir.join("client"))
        .build()
        .unwrap();
    assert!(docker.host().to_string().starts_with("https://127.0.0.1:"));
    docker.ping().await.expect("ping over TLS");
    assert_eq!(echo_through(&docker, "over-tls").await, "over-tls\n");

    // The same material handed over as PEM in code.
    let client = dir.join("client");
    let from_pem = Docker::builder()
        .host(&host)
        .ca_pem(read(client.join("ca.pem")))
        .client_identity_pem(read(client.join("cert.pem")), read(client.join("key.pem")))
        .build()
        .unwrap();
    let version = from_pem.version().await.expect("version over TLS");
    assert!(version.api_version.is_some());
}

#[tokio::test]
async fn tls_without_a_client_certificate_is_refused_by_the_daemon() {
    let Some((host, dir)) = tls_setup() else {
        return skipped("TLS");
    };
    let docker = Docker::builder()
        .host(&host)
        .ca_pem(read(dir.join("client/ca.pem")))
        .build()
        .unwrap();
    let text = transport_error(&docker).await;
    assert!(text.contains(&host.replace("tcp://", "https://")), "{text}");
    assert!(
        text.contains("CertificateRequired") || text.contains("BadCertificate"),
        "the error says the daemon wanted a certificate: {text}"
    );
}

#[tokio::test]
async fn tls_with_a_wrong_ca_refuses_the_daemon() {
    let Some((host, dir)) = tls_setup() else {
        return skipped("TLS");
    };
    let client = dir.join("client");
    let docker = Docker::builder()
        .host(&host)
        .ca_pem(read(dir.join("other-ca/ca.pem")))
        .client_identity_pem(read(client.join("cert.pem")), read(client.join("key.pem")))
        .build()
        .unwrap();
    let text = transport_error(&docker).await;
    assert!(text.contains("certificate was refused"), "{text}");
    assert!(text.contains("UnknownIssuer"), "{text}");
}

#[tokio::test]
async fn tls_with_a_client_certificate_from_another_ca_is_refused() {
    let Some((host, dir)) = tls_setup() else {
        return skipped("TLS");
    };
    let other = dir.join("other-ca");
    let docker = Docker::builder()
        .host(&host)
        .ca_pem(read(dir.join("client/ca.pem")))
        .client_identity_pem(read(other.join("cert.pem")), read(other.join("key.pem")))
        .build()
        .unwrap();
    let text = transport_error(&docker).await;
    assert!(text.contains("alert"), "{text}");
}

#[tokio::test]
async fn tls_to_a_name_the_certificate_lacks_is_refused_unless_verification_is_off() {
    let Some((host, dir)) = tls_setup() else {
        return skipped("TLS");
    };
    // The server certificate names only IP:127.0.0.1.
    let by_name = host.replace("127.0.0.1", "localhost");
    let client = dir.join("client");
    let docker = Docker::builder()
        .host(&by_name)
        .tls_verify(true)
        .cert_path(&client)
        .build()
        .unwrap();
    let text = transport_error(&docker).await;
    assert!(text.contains("NotValidForName"), "{text}");

    // DOCKER_TLS without DOCKER_TLS_VERIFY: encrypted, not verified.
    let unverified = Docker::builder()
        .host(&by_name)
        .tls(true)
        .tls_verify(false)
        .cert_path(&client)
        .build()
        .unwrap();
    unverified.ping().await.expect("unverified TLS connects");
}

#[tokio::test]
async fn tls_files_that_are_missing_are_named_before_any_request() {
    let Some((host, _)) = tls_setup() else {
        return skipped("TLS");
    };
    let empty = tempfile::tempdir().unwrap();
    let err = Docker::builder()
        .host(&host)
        .tls_verify(true)
        .cert_path(empty.path())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(err.to_string().contains("ca.pem"), "{err}");
}

/// A client for the ssh server in front of the test daemon.
fn ssh_docker() -> Option<Docker> {
    let (host, options) = ssh_setup()?;
    Some(
        Docker::builder()
            .host(host)
            .ssh_options(options)
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn ssh_runs_logs_execs_and_attaches() {
    let Some(docker) = ssh_docker() else {
        return skipped("ssh");
    };
    docker.ping().await.expect("ping over ssh");
    assert_eq!(echo_through(&docker, "over-ssh").await, "over-ssh\n");

    let local = common::docker().await;
    let image = common::busybox(&local).await;
    let container = docker
        .containers()
        .run_detached(
            image,
            &ContainerOptions::new()
                .command(["sh", "-c", "echo started; sleep 60"])
                .labels([format!("{}=transports", common::TEST_LABEL)])
                .detach(true),
        )
        .await
        .expect("a detached run over ssh");
    let exec = container
        .exec_run(["echo", "from-exec"], &ExecOptions::new())
        .await
        .expect("exec over ssh");
    assert_eq!(exec.exit_code, 0);
    let ExecOutput::Combined(exec_output) = &exec.output else {
        panic!("combined output by default: {exec:?}");
    };
    assert_eq!(exec_output, b"from-exec\n");
    let mut logs = String::new();
    for _ in 0..50 {
        logs = String::from_utf8_lossy(&container.logs(&LogsOptions::new()).await.unwrap())
            .into_owned();
        if logs.contains("started") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(logs, "started\n");
    // Attach with the logs so far, then read to the container's end.
    let attached = container
        .attach_stream(&AttachOptions::new().logs(true))
        .await
        .expect("attach over ssh");
    container
        .kill(&dockhand::KillOptions::new())
        .await
        .expect("kill over ssh");
    let chunks: Vec<_> = attached.try_collect().await.expect("the attached output");
    let output: Vec<u8> = chunks
        .iter()
        .flat_map(|chunk| chunk.as_bytes().to_vec())
        .collect();
    assert_eq!(String::from_utf8_lossy(&output), "started\n");
    container
        .remove(&RemoveOptions::new().force(true))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_refused_ssh_login_is_a_transport_error_with_sshs_message() {
    let Some((host, mut options)) = ssh_setup() else {
        return skipped("ssh");
    };
    // A key the server does not know.
    let dir = tempfile::tempdir().unwrap();
    let stranger = dir.path().join("stranger");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&stranger)
        .status()
        .unwrap();
    assert!(made.success());
    options[1] = stranger.display().to_string();
    let docker = Docker::builder()
        .host(&host)
        .ssh_options(options)
        .build()
        .unwrap();
    let text = transport_error(&docker).await;
    assert!(text.contains(&host), "{text}");
    assert!(text.contains("ssh: "), "{text}");
    assert!(text.contains("Permission denied"), "{text}");
}

#[tokio::test]
async fn ssh_to_a_closed_port_says_so() {
    let Some((_, options)) = ssh_setup() else {
        return skipped("ssh");
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let docker = Docker::builder()
        .host(format!("ssh://root@127.0.0.1:{port}"))
        .ssh_options(options)
        .build()
        .unwrap();
    let text = transport_error(&docker).await;
    assert!(text.contains("Connection refused"), "{text}");
}
