//! ping / version / info and API version negotiation against the real daemon.

mod common;

use dockhand::{ApiVersion, Docker, Error};

#[tokio::test]
async fn ping_reports_the_daemon_api_version() {
    let docker = common::docker().await;
    let ping = docker.ping().await.unwrap();
    let daemon = ping.api_version.expect("dockerd sends Api-Version");
    assert!(daemon >= ApiVersion::MINIMUM, "{daemon}");
    assert_eq!(ping.os_type.as_deref(), Some("linux"));
}

#[tokio::test]
async fn negotiation_takes_the_older_of_daemon_and_client() {
    let docker = common::docker().await;
    assert_eq!(docker.negotiated_api_version(), None, "negotiation is lazy");
    let daemon = docker.ping().await.unwrap().api_version.unwrap();
    let version = docker.version().await.unwrap();
    let negotiated = docker
        .negotiated_api_version()
        .expect("settled by version()");
    assert_eq!(negotiated, daemon.min(ApiVersion::LATEST));
    assert_eq!(
        version.api_version.as_deref(),
        Some(daemon.to_string().as_str())
    );
    // Debian 12's docker.io is dockerd 20.10, which speaks 1.41.
    if version
        .version
        .as_deref()
        .is_some_and(|v| v.starts_with("20.10."))
    {
        assert_eq!(negotiated, ApiVersion::new(1, 41));
    }
}

#[tokio::test]
async fn concurrent_first_requests_share_one_negotiation() {
    let docker = common::docker().await;
    let calls = (0..16).map(|_| {
        let docker = docker.clone();
        tokio::spawn(async move { docker.api_version().await.unwrap() })
    });
    let versions: Vec<ApiVersion> = futures_util::future::try_join_all(calls).await.unwrap();
    assert!(
        versions.windows(2).all(|pair| pair[0] == pair[1]),
        "{versions:?}"
    );
}

#[tokio::test]
async fn version_and_info_decode_from_the_daemon() {
    let docker = common::docker().await;
    let version = docker.version().await.unwrap();
    assert_eq!(version.os.as_deref(), Some("linux"));
    assert!(version.version.is_some());
    let info = docker.info().await.unwrap();
    assert!(info.containers.is_some());
    assert!(info.id.is_some() || info.name.is_some());
}

#[tokio::test]
async fn a_pinned_version_the_daemon_lacks_is_the_daemons_error() {
    let host = common::docker().await.host().to_string();
    let docker = Docker::builder()
        .host(host)
        .api_version("1.99")
        .build()
        .unwrap();
    assert_eq!(
        docker.negotiated_api_version(),
        Some(ApiVersion::new(1, 99))
    );
    let err = docker.version().await.unwrap_err();
    match &err {
        Error::Api {
            status, message, ..
        } => {
            assert_eq!(*status, 400, "{err}");
            assert!(message.contains("1.99"), "{message}");
            assert!(message.contains("too new"), "{message}");
        }
        other => panic!("expected the daemon's API error, got {other:?}"),
    }
}
