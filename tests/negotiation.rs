//! API version negotiation against a scripted daemon on 127.0.0.1, to see
//! exactly which requests the client sends. (The real daemon is covered in
//! `system.rs`.)

use dockhand::{ApiVersion, Docker, Error};

mod common;

use common::fake_daemon::{Answer, FakeDaemon};

/// A daemon whose `/_ping` reports `api_version` (or nothing) and whose
/// other paths answer a small version document.
async fn daemon(api_version: Option<&'static str>) -> FakeDaemon {
    FakeDaemon::start(move |path| {
        if path == "/_ping" {
            let answer = Answer::json("OK");
            match api_version {
                Some(version) => answer.header("Api-Version", version),
                None => answer,
            }
        } else {
            Answer::json(r#"{"Version":"fake","Os":"linux"}"#)
        }
    })
    .await
}

#[tokio::test]
async fn sixteen_concurrent_first_calls_ping_once() {
    let daemon = daemon(Some("1.43")).await;
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
    let daemon = daemon(Some("1.99")).await;
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
        let daemon = daemon(reported).await;
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
    let daemon = daemon(Some("1.43")).await;
    let docker = Docker::builder()
        .host(&daemon.host)
        .api_version("1.42")
        .build()
        .unwrap();
    docker.version().await.unwrap();
    assert_eq!(daemon.paths(), vec!["/v1.42/version".to_owned()]);
}
