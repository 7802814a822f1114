//! A daemon that reports values the bundled spec does not list (a newer
//! engine, Podman) must not fail a call. Recorded dockerd responses, edited
//! to carry unknown enum values and fields, served by a scripted daemon.

mod common;

use common::fake_daemon::{Answer, FakeDaemon};
use dockhand::{ContainerStatus, Docker, HealthStatus, ListOptions};

const INSPECT: &str = include_str!("fixtures/inspect-unknown-values.json");
const LIST: &str = include_str!("fixtures/list-unknown-values.json");

async fn daemon() -> FakeDaemon {
    FakeDaemon::start(|path| {
        if path == "/_ping" {
            Answer::json("OK").header("Api-Version", "1.41")
        } else if path.starts_with("/v1.41/containers/json") {
            Answer::json(LIST)
        } else {
            Answer::json(INSPECT)
        }
    })
    .await
}

#[tokio::test]
async fn inspect_with_unknown_enum_values_and_fields_decodes() {
    let daemon = daemon().await;
    let docker = Docker::connect(&daemon.host).unwrap();
    let container = docker.containers().get("fixture-rec").await.unwrap();
    assert_eq!(container.name(), "fixture-rec");
    assert_eq!(
        container.status(),
        ContainerStatus::Unknown("frozen".into())
    );
    assert_eq!(
        container.health().unwrap(),
        HealthStatus::Unknown("degraded".into())
    );
    assert_eq!(
        container.labels().get("app").map(String::as_str),
        Some("fixture")
    );
    let dockhand::ContainerAttrs::Inspected(attrs) = container.attrs() else {
        panic!("inspect gives full attributes");
    };
    let mounts = attrs.mounts.as_ref().unwrap();
    assert_eq!(mounts[0].type_.as_ref().map(|t| t.as_str()), Some("image"));
}

#[tokio::test]
async fn list_with_unknown_states_decodes() {
    let daemon = daemon().await;
    let docker = Docker::connect(&daemon.host).unwrap();
    let containers = docker
        .containers()
        .list(&ListOptions::new().all(true).sparse(true))
        .await
        .unwrap();
    let statuses: Vec<ContainerStatus> = containers.iter().map(|c| c.status()).collect();
    assert_eq!(
        statuses,
        vec![
            ContainerStatus::Unknown("frozen".into()),
            ContainerStatus::Unknown("checkpointed".into())
        ]
    );
    assert_eq!(containers[1].name(), "second");
    // Summaries from API 1.41 carry no health: asking says so instead of guessing.
    let err = containers[0].health().unwrap_err();
    assert!(
        matches!(
            err,
            dockhand::Error::SparseAttributes { property: "health" }
        ),
        "{err:?}"
    );
}
