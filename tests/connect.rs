//! Finding the daemon and never hanging: docker CLI contexts written by the
//! tests (unix, tcp and TLS endpoints), and time limits against a server on
//! 127.0.0.1 that accepts connections and never answers.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dockhand::{Docker, DockerBuilder, Error, LogsOptions};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The store directory name of a context: the hex SHA-256 of its name,
/// computed by the system's `sha256sum` so the test does not share the
/// library's code.
fn context_digest(name: &str) -> String {
    let output = std::process::Command::new("sh")
        .args(["-c", "printf %s \"$1\" | sha256sum", "sh", name])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()[..64].to_owned()
}

/// Write the context `name` into the config directory `config`, as
/// `docker context create` does; with `tls`, copy that directory's PEM files.
fn write_context(config: &Path, name: &str, host: &str, tls: Option<&Path>) {
    let digest = context_digest(name);
    let meta = config.join("contexts/meta").join(&digest);
    std::fs::create_dir_all(&meta).unwrap();
    let json = serde_json::json!({
        "Name": name,
        "Metadata": {},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}},
    });
    std::fs::write(meta.join("meta.json"), json.to_string()).unwrap();
    if let Some(source) = tls {
        let target = config.join("contexts/tls").join(&digest).join("docker");
        std::fs::create_dir_all(&target).unwrap();
        for file in ["ca.pem", "cert.pem", "key.pem"] {
            std::fs::copy(source.join(file), target.join(file)).unwrap();
        }
    }
}

/// A builder reading only `vars`, as if they were the whole environment.
fn with_vars(vars: &[(&str, String)]) -> dockhand::Result<DockerBuilder> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    DockerBuilder::from_vars(move |name| {
        vars.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    })
}

#[tokio::test]
async fn contexts_reach_unix_tcp_and_tls_endpoints() {
    let local = common::docker().await;
    let config = tempfile::tempdir().unwrap();
    let config_var = ("DOCKER_CONFIG", config.path().display().to_string());

    // A unix endpoint: the test daemon itself.
    write_context(config.path(), "local", &local.host().to_string(), None);
    let docker = with_vars(&[config_var.clone(), ("DOCKER_CONTEXT", "local".into())])
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(docker.host(), local.host());
    docker.ping().await.expect("ping through the unix context");

    // A tcp endpoint, chosen by config.json's currentContext.
    let fake = common::fake_daemon::FakeDaemon::start(|_| {
        common::fake_daemon::Answer::json("OK").header("Api-Version", "1.43")
    })
    .await;
    write_context(config.path(), "remote", &fake.host, None);
    std::fs::write(
        config.path().join("config.json"),
        r#"{"currentContext": "remote"}"#,
    )
    .unwrap();
    let docker = with_vars(std::slice::from_ref(&config_var))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(docker.host().to_string(), fake.host);
    assert_eq!(docker.api_version().await.unwrap().to_string(), "1.43");

    // DOCKER_HOST wins over every context.
    let docker = with_vars(&[
        config_var.clone(),
        ("DOCKER_HOST", "tcp://10.9.9.9:2375".into()),
    ])
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(docker.host().to_string(), "tcp://10.9.9.9:2375");

    // `default` is the default socket, whatever config.json says.
    let docker = with_vars(&[config_var.clone(), ("DOCKER_CONTEXT", "default".into())])
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(docker.host().to_string(), "unix:///var/run/docker.sock");

    // A context that does not exist is an error naming it.
    let err = with_vars(&[config_var.clone(), ("DOCKER_CONTEXT", "nowhere".into())])
        .unwrap()
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::ContextNotFound { name, .. } if name == "nowhere"),
        "{err:?}"
    );

    // A TLS endpoint with the context's certificates.
    if let (Ok(host), Ok(dir)) = (
        std::env::var("DOCKHAND_TEST_TLS_HOST"),
        std::env::var("DOCKHAND_TEST_TLS_DIR"),
    ) {
        write_context(
            config.path(),
            "secure",
            &host,
            Some(&PathBuf::from(dir).join("client")),
        );
        let docker = with_vars(&[config_var, ("DOCKER_CONTEXT", "secure".into())])
            .unwrap()
            .build()
            .unwrap();
        assert!(
            docker.host().to_string().starts_with("https://"),
            "{}",
            docker.host()
        );
        docker.ping().await.expect("ping through the TLS context");
    } else {
        eprintln!("SKIPPED (TLS part): no TLS daemon in this setup");
    }
}

/// A server on 127.0.0.1 that answers `/_ping` and the inspect of
/// container `c1`, and accepts every other request without ever answering.
async fn stalling_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("tcp://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let body = if line.starts_with("GET /_ping") {
                        "OK".to_owned()
                    } else if line.starts_with("GET /v1.41/containers/c1/json") {
                        r#"{"Id":"c1","Config":{"Tty":false},"State":{"Status":"running"}}"#
                            .to_owned()
                    } else if line.contains(" HTTP/1.1") {
                        // Stall: keep the connection, never answer.
                        std::future::pending::<()>().await;
                        unreachable!()
                    } else {
                        continue;
                    };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if write.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    host
}

/// `call` ends with `Error::Timeout` within `limit` + 1 s.
async fn times_out<T>(
    what: &str,
    limit: Duration,
    call: impl std::future::Future<Output = dockhand::Result<T>>,
) {
    let started = Instant::now();
    let outcome = tokio::time::timeout(limit + Duration::from_secs(5), call)
        .await
        .unwrap_or_else(|_| panic!("{what}: still waiting long after its limit"));
    let elapsed = started.elapsed();
    match outcome {
        Err(Error::Timeout { after, .. }) => assert_eq!(after, limit, "{what}"),
        Err(other) => panic!("{what}: expected a timeout, got {other:?}"),
        Ok(_) => panic!("{what}: expected a timeout, got an answer"),
    }
    assert!(
        elapsed < limit + Duration::from_secs(1),
        "{what} took {elapsed:?}"
    );
}

#[tokio::test]
async fn every_call_kind_times_out_against_a_server_that_never_answers() {
    let host = stalling_server().await;
    let limit = Duration::from_millis(700);
    // Negotiation stalls too when the ping does: point a client at a
    // server that never answers anything.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_host = format!("tcp://{}", silent.local_addr().unwrap());
    let never = Docker::builder()
        .host(&silent_host)
        .timeout(limit)
        .build()
        .unwrap();
    times_out("ping", limit, never.ping()).await;
    times_out("the first call's negotiation", limit, never.version()).await;

    let docker = Docker::builder()
        .host(&host)
        .timeout(limit)
        .build()
        .unwrap();
    let container = docker
        .containers()
        .get("c1")
        .await
        .expect("the scripted inspect");
    times_out(
        "a prompt call (stop)",
        limit,
        container.stop(&dockhand::StopOptions::new()),
    )
    .await;

    // Open-ended calls have no limit by default…
    let waited =
        tokio::time::timeout(limit * 3, container.wait(&dockhand::WaitOptions::new())).await;
    assert!(waited.is_err(), "wait should still be waiting: {waited:?}");
    // …but take one from `with_timeout`.
    let quick = docker.with_timeout(limit);
    let container = quick.containers().get("c1").await.unwrap();
    times_out("wait", limit, container.wait(&dockhand::WaitOptions::new())).await;
    times_out(
        "logs_stream",
        limit,
        container.logs_stream(&LogsOptions::new().follow(true)),
    )
    .await;
    times_out(
        "exec_run",
        limit,
        container.exec_run("true", &Default::default()),
    )
    .await;
    times_out(
        "attach",
        limit,
        container.attach_socket(&dockhand::AttachOptions::new()),
    )
    .await;
}
