//! Helpers shared by the integration tests, which run against the real
//! dockerd that `cargo xtask test` starts (or the one `DOCKER_HOST` names).

#![allow(dead_code)] // each test binary uses a different subset

#[path = "../../examples/support/busybox_image.rs"]
mod busybox_image;

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use dockhand::Docker;
use futures_util::TryStreamExt;
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
    READY
        .get_or_init(|| async {
            let reference = format!("{}:{}", busybox_image::REPOSITORY, busybox_image::TAG);
            let raw = docker.raw().await.expect("client");
            if raw.image_inspect(&reference, None, None).await.is_err() {
                import_busybox(docker).await;
            }
            reference
        })
        .await
}

/// Import the busybox rootfs tar as the test image through `ImageCreate`.
async fn import_busybox(docker: &Docker) {
    let busybox = busybox_image::busybox_path();
    let tar = busybox_image::rootfs_tar(Path::new(&busybox)).unwrap_or_else(|e| {
        panic!("building the image from {busybox}: {e} (install busybox-static)")
    });
    let raw = docker.raw().await.expect("client");
    let response = raw
        .image_create(
            None,
            None,
            Some("-"),
            None,
            None,
            Some(busybox_image::REPOSITORY),
            Some(busybox_image::TAG),
            None,
            tar,
        )
        .await
        .expect("ImageCreate accepted the import");
    let progress: Vec<u8> = response
        .into_inner()
        .into_inner()
        .map_ok(|chunk| chunk.to_vec())
        .try_concat()
        .await
        .expect("import progress stream");
    let progress = String::from_utf8_lossy(&progress);
    assert!(!progress.contains("\"error\""), "import failed: {progress}");
}
