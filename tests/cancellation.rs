//! Dropping a stream or a hijacked connection cancels its request and
//! closes its connection: the process's open file descriptors return to
//! their level. One test in its own binary, since it counts the process's
//! descriptors.

mod common;

use dockhand::{
    AttachOptions, ContainerOptions, LogsOptions, RemoveOptions, TopOptions, WaitOptions,
};
use futures_util::StreamExt;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[tokio::test]
async fn dropping_a_follow_and_an_attach_releases_their_connections() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let container = docker
        .containers()
        .run_detached(
            image,
            &ContainerOptions::new()
                .command(["sh", "-c", "while true; do echo tick; sleep 0.1; done"])
                .labels([format!("{}=cancellation", common::TEST_LABEL)])
                .detach(true),
        )
        .await
        .unwrap();
    // Settle the pool: one kept-alive connection after a prompt call.
    container.top(&TopOptions::new()).await.unwrap();
    let before = open_fds();
    for _ in 0..5 {
        let mut follow = container
            .logs_stream(&LogsOptions::new().follow(true))
            .await
            .unwrap();
        assert!(follow.next().await.unwrap().is_ok());
        let mut attached = container
            .attach_stream(&AttachOptions::new())
            .await
            .unwrap();
        assert!(attached.next().await.unwrap().is_ok());
        assert!(open_fds() > before, "the streams hold connections");
        drop(follow);
        drop(attached);
    }
    // The streams took the pooled connection with them; one prompt call
    // pools one again.
    container.top(&TopOptions::new()).await.unwrap();
    assert_eq!(open_fds(), before, "descriptors back to their level");
    // A pending future dropped mid-request releases its connection too.
    for _ in 0..5 {
        let until_exit = WaitOptions::new();
        let pending = container.wait(&until_exit);
        let _ = tokio::time::timeout(std::time::Duration::from_millis(100), pending).await;
    }
    container.top(&TopOptions::new()).await.unwrap();
    assert_eq!(open_fds(), before, "dropped waits leave nothing open");
    container
        .remove(&RemoveOptions::new().force(true))
        .await
        .unwrap();
}
