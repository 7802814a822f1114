//! The typed event stream against the real daemon: a container's life as
//! events, filtered by the test's own label.

mod common;

use std::time::{Duration, SystemTime};

use dockhand::{
    ContainerOptions, EventAction, EventType, EventsOptions, Filters, RemoveOptions, WaitOptions,
};
use futures_util::TryStreamExt;

#[tokio::test]
async fn a_containers_life_arrives_as_typed_events() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let label = format!("{}={}", common::TEST_LABEL, common::unique_name("events"));
    let since = SystemTime::now() - Duration::from_secs(1);
    let mut events = docker
        .events(
            &EventsOptions::new()
                .since(since)
                .filters(Filters::new().add("type", "container").label(label.clone())),
        )
        .await
        .unwrap();

    let container = docker
        .containers()
        .create(
            image,
            &ContainerOptions::new()
                .command("sh -c 'exit 7'")
                .labels([label.clone()]),
        )
        .await
        .unwrap();
    container.start().await.unwrap();
    container.wait(&WaitOptions::new()).await.unwrap();
    container
        .remove(&RemoveOptions::new().force(true))
        .await
        .unwrap();

    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), events.try_next())
            .await
            .expect("the next event within 20 s")
            .unwrap()
            .expect("the stream stays open");
        assert_eq!(event.kind, EventType::Container);
        assert_eq!(event.actor_id, container.id());
        assert!(event.time >= since - Duration::from_secs(1), "{event:?}");
        let done = event.action == EventAction::Destroy;
        if event.action == EventAction::Die {
            assert_eq!(
                event.attributes.get("exitCode").map(String::as_str),
                Some("7")
            );
        }
        seen.push(event.action);
        if done {
            break;
        }
    }
    for action in [
        EventAction::Create,
        EventAction::Start,
        EventAction::Die,
        EventAction::Destroy,
    ] {
        assert!(seen.contains(&action), "{action:?} not in {seen:?}");
    }
}

#[tokio::test]
async fn an_until_in_the_past_ends_the_stream_after_replaying() {
    let docker = common::docker().await;
    let now = SystemTime::now();
    let events: Vec<_> = docker
        .events(
            &EventsOptions::new()
                .since(now - Duration::from_secs(2))
                .until(now - Duration::from_secs(1))
                .filters(Filters::new().label(format!(
                    "{}={}",
                    common::TEST_LABEL,
                    common::unique_name("events-none")
                ))),
        )
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(events.is_empty(), "{events:?}");
}
