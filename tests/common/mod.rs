//! Helpers shared by the integration tests, which run against the real
//! dockerd that `cargo xtask test` starts (or the one `DOCKER_HOST` names).

#![allow(dead_code)] // each test binary uses a different subset

#[path = "../../examples/support/busybox_image.rs"]
mod busybox_image;
pub mod cleanup;
pub mod fake_daemon;
pub mod recording_proxy;
pub mod registry;

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use dockhand::{Docker, ImportOptions};
use tokio::sync::OnceCell;

/// The label every container a test creates carries, so cleanup can find
/// exactly the test's own objects.
pub const TEST_LABEL: &str = "dockhand.test";

/// A client for the test daemon. Fails the test, with the way to start one,
/// when no daemon answers.
pub async fn docker() -> Docker {
    let docker = Docker::from_env().expect("DOCKER_HOST is valid");
    if let Err(err) = docker.ping().await {
        panic!(
            "no Docker daemon answers at {}: {err}\n\
             run the tests with `cargo xtask test`, which starts one",
            docker.host()
        );
    }
    docker
}

/// A name no other test (or earlier run) uses: `dockhand-<what>-<pid>-<n>`.
pub fn unique_name(what: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("dockhand-{what}-{}-{n}-{nanos:x}", std::process::id())
}

/// The busybox test image (`dockhand-test/busybox:latest`), imported through
/// dockhand from the static busybox on first use.
pub async fn busybox(docker: &Docker) -> &'static str {
    static READY: OnceCell<String> = OnceCell::const_new();
    READY.get_or_init(|| import_busybox(docker)).await
}

/// Imports the busybox test image into `docker`'s daemon unless it is
/// there, and returns its reference: for a daemon other than the test
/// daemon, which [`busybox`] serves once per process.
pub async fn import_busybox(docker: &Docker) -> String {
    let reference = format!("{}:{}", busybox_image::REPOSITORY, busybox_image::TAG);
    let images = docker.images();
    if images
        .get_opt(&reference)
        .await
        .expect("image lookup")
        .is_none()
    {
        let busybox = busybox_image::busybox_path();
        let tar = busybox_image::rootfs_tar(Path::new(&busybox)).unwrap_or_else(|e| {
            panic!("building the image from {busybox}: {e} (install busybox-static)")
        });
        images
            .import(
                tar,
                &ImportOptions::new()
                    .repository(busybox_image::REPOSITORY)
                    .tag(busybox_image::TAG),
            )
            .await
            .expect("importing the busybox test image");
    }
    reference
}

/// Every container (any state) with the label filter `label`
/// (`key=value`), as summaries: what a test left on the daemon.
pub async fn labelled_containers(docker: &Docker, label: &str) -> Vec<dockhand::Container> {
    docker
        .containers()
        .list(
            &dockhand::ListOptions::new()
                .all(true)
                .sparse(true)
                .filters(dockhand::Filters::new().label(label)),
        )
        .await
        .expect("listing the test's containers")
}

/// The daemon's full inspect of container `id`, through the raw client.
pub async fn raw_inspect(docker: &Docker, id: &str) -> dockhand::models::ContainerInspectResponse {
    docker
        .raw()
        .await
        .unwrap()
        .container_inspect(id, None)
        .await
        .unwrap_or_else(|err| panic!("inspecting {id}: {err}"))
        .into_inner()
}
