//! Listing while containers come and go: `containers().list` inspects each
//! listed container, and one removed between the list and its inspect is a
//! typed `NotFound` naming it, or skipped with `ignore_removed` (docker-py's
//! `list(ignore_removed=True)`).

mod common;

use common::recording_proxy::{self, RecordingProxy, Scripted};
use dockhand::{ContainerOptions, Docker, Error, Filters, ListOptions, RemoveOptions};

/// A created (never started) container with the test label `label`.
async fn created(docker: &Docker, label: &str) -> dockhand::Container {
    let image = common::busybox(docker).await;
    let options = ContainerOptions::new()
        .command("true")
        .labels([label.to_owned()]);
    docker
        .containers()
        .create(image, &options)
        .await
        .expect("a container to list")
}

#[tokio::test]
async fn a_container_removed_between_list_and_inspect_is_not_found_or_skipped() {
    let Some(upstream) = recording_proxy::upstream_socket() else {
        eprintln!("skipped: the test daemon is not on a unix socket");
        return;
    };
    let docker = common::docker().await;
    let label = format!("{}={}", common::TEST_LABEL, common::unique_name("midlist"));
    let kept = created(&docker, &label).await;
    let removed = created(&docker, &label).await;
    let removed_id = removed.id().to_owned();
    removed
        .remove(&RemoveOptions::new())
        .await
        .expect("removing the second container");

    // The daemon's list as it was a moment before the removal.
    let proxy = RecordingProxy::start(&upstream);
    let through_proxy = Docker::connect(proxy.host()).unwrap();
    let prefix = format!("/v{}", through_proxy.api_version().await.unwrap());
    let listed = serde_json::json!([{"Id": kept.id()}, {"Id": removed_id}]);
    proxy.script(
        "GET",
        &format!("{prefix}/containers/json"),
        Scripted::json(200, listed.to_string()),
    );
    let containers = through_proxy.containers();

    match containers.list(&ListOptions::new().all(true)).await {
        Err(Error::NotFound {
            operation,
            resource,
            message,
            ..
        }) => {
            assert_eq!(operation, "ContainerInspect");
            assert_eq!(resource, dockhand::Resource::Container);
            assert!(message.contains(&removed_id), "{message}");
        }
        other => panic!("a list naming a removed container gave {other:?}"),
    }
    let skipping = containers
        .list(&ListOptions::new().all(true).ignore_removed(true))
        .await
        .expect("a list that skips removed containers");
    let ids: Vec<&str> = skipping.iter().map(|c| c.id()).collect();
    assert_eq!(ids, [kept.id()]);
    // Summaries need no inspect: both are there, as the daemon listed them.
    let sparse = containers
        .list(&ListOptions::new().all(true).sparse(true))
        .await
        .expect("a sparse list");
    assert_eq!(sparse.len(), 2);

    kept.remove(&RemoveOptions::new()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_during_removals_succeed_with_ignore_removed() {
    const ROUNDS: usize = 15;
    let docker = common::docker().await;
    let label = format!("{}={}", common::TEST_LABEL, common::unique_name("churn"));
    let filters = || Filters::new().label(label.as_str());
    for _ in 0..ROUNDS {
        created(&docker, &label).await;
    }

    // Remove them one by one while listing them over and over.
    let removing = tokio::spawn({
        let docker = docker.clone();
        let filters = filters();
        async move {
            let all = docker
                .containers()
                .list(&ListOptions::new().all(true).sparse(true).filters(filters))
                .await
                .unwrap();
            for container in all {
                container.remove(&RemoveOptions::new()).await.unwrap();
            }
        }
    });
    let mut lists = 0;
    let mut not_found = 0;
    while !removing.is_finished() {
        let skipping = ListOptions::new()
            .all(true)
            .ignore_removed(true)
            .filters(filters());
        let listed = docker
            .containers()
            .list(&skipping)
            .await
            .expect("a list that skips removed containers never fails on them");
        for container in &listed {
            assert!(container.labels().contains_key(common::TEST_LABEL));
        }
        match docker
            .containers()
            .list(&ListOptions::new().all(true).filters(filters()))
            .await
        {
            Ok(_) => {}
            Err(err) if err.is_not_found() => not_found += 1,
            Err(err) => panic!("a list during removals failed otherwise: {err:?}"),
        }
        lists += 2;
    }
    removing.await.expect("the removals");
    eprintln!("{lists} lists during {ROUNDS} removals; {not_found} met a removed container");
    let left = docker
        .containers()
        .list(&ListOptions::new().all(true).filters(filters()))
        .await
        .unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
}
