//! API version negotiation against a scripted daemon on 127.0.0.1, to see
//! exactly which requests the client sends. (The real daemon is covered in
//! `system.rs`.)

use std::sync::{Arc, Mutex};

use dockhand::{ApiVersion, Docker, Error};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A fake daemon: answers `/_ping` with the given `Api-Version` (or none) and
/// any other path with a small version document; records request paths.
struct FakeDaemon {
    host: String,
    paths: Arc<Mutex<Vec<String>>>,
}

impl FakeDaemon {
    async fn start(api_version: Option<&'static str>) -> FakeDaemon {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = format!("tcp://{}", listener.local_addr().unwrap());
        let paths = Arc::new(Mutex::new(Vec::new()));
        let seen = paths.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    // One request per iteration: request line, headers, blank line.
                    while let Ok(Some(request_line)) = lines.next_line().await {
                        while let Ok(Some(header)) = lines.next_line().await {
                            if header.is_empty() {
                                break;
                            }
                        }
                        let path = request_line.split(' ').nth(1).unwrap_or("").to_owned();
                        seen.lock().unwrap().push(path.clone());
                        let (extra, body) = if path == "/_ping" {
                            let header = api_version
                                .map(|v| format!("Api-Version: {v}\r\n"))
                                .unwrap_or_default();
                            (header, "OK".to_owned())
                        } else {
                            (
                                String::new(),
                                r#"{"Version":"fake","Os":"linux"}"#.to_owned(),
                            )
                        };
                        let response = format!(
                            "HTTP/1.1 200 OK\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if write.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        FakeDaemon { host, paths }
    }

    fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn sixteen_concurrent_first_calls_ping_once() {
    let daemon = FakeDaemon::start(Some("1.43")).await;
    let docker = Docker::connect(&daemon.host).unwrap();
    let calls = (0..16).map(|_| {
        let docker = docker.clone();
        tokio::spawn(async move { docker.version().await.map(|v| v.version) })
    });
    for result in futures_util::future::join_all(calls).await {
        assert_eq!(result.unwrap().unwrap().as_deref(), Some("fake"));
    }
    let paths = daemon.paths();
    assert_eq!(
        paths.iter().filter(|p| *p == "/_ping").count(),
        1,
        "{paths:?}"
    );
    assert_eq!(
        paths.iter().filter(|p| *p == "/v1.43/version").count(),
        16,
        "{paths:?}"
    );
    assert_eq!(
        docker.negotiated_api_version(),
        Some(ApiVersion::new(1, 43))
    );
}

#[tokio::test]
async fn a_newer_daemon_is_spoken_to_in_our_latest_version() {
    let daemon = FakeDaemon::start(Some("1.99")).await;
    let docker = Docker::connect(&daemon.host).unwrap();
    assert_eq!(docker.api_version().await.unwrap(), ApiVersion::LATEST);
    docker.version().await.unwrap();
    assert_eq!(
        daemon.paths(),
        vec![
            "/_ping".to_owned(),
            format!("/v{}/version", ApiVersion::LATEST)
        ]
    );
}

#[tokio::test]
async fn a_daemon_below_the_minimum_is_a_clear_error() {
    for reported in [Some("1.40"), None] {
        let daemon = FakeDaemon::start(reported).await;
        let docker = Docker::connect(&daemon.host).unwrap();
        let err = docker.version().await.unwrap_err();
        match &err {
            Error::UnsupportedApiVersion { daemon, minimum } => {
                assert!(*daemon < ApiVersion::MINIMUM, "{reported:?}: {daemon}");
                assert_eq!(*minimum, ApiVersion::MINIMUM);
            }
            other => panic!("{reported:?}: {other:?}"),
        }
        assert!(err.to_string().contains("too old"), "{err}");
    }
}

#[tokio::test]
async fn a_pinned_version_skips_the_ping() {
    let daemon = FakeDaemon::start(Some("1.43")).await;
    let docker = Docker::builder()
        .host(&daemon.host)
        .api_version("1.42")
        .build()
        .unwrap();
    docker.version().await.unwrap();
    assert_eq!(daemon.paths(), vec!["/v1.42/version".to_owned()]);
}
