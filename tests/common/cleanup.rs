//! Removing what a test made when it ends, passing or failing. Drop cannot
//! await, and runs while the test's runtime may be unwinding, so the
//! removals run on a thread and runtime of their own, with a client of
//! their own (the test's pooled connections belong to the test's runtime).

use std::future::Future;

use dockhand::{Docker, Filters, ImageListOptions, ImageRemoveOptions, ListOptions, RemoveOptions};

/// Run `work` with a fresh client for `host` (else `DOCKER_HOST`) on a
/// thread and a runtime of its own, and wait for it.
pub fn on_own_runtime<W, F>(host: Option<String>, work: W)
where
    W: FnOnce(Docker) -> F + Send + 'static,
    F: Future<Output = ()>,
{
    let thread = std::thread::spawn(move || {
        let docker = match host {
            Some(host) => Docker::connect(&host),
            None => Docker::from_env(),
        };
        let Ok(docker) = docker else {
            return;
        };
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a cleanup runtime")
            .block_on(work(docker));
    });
    let _ = thread.join();
}

/// Removes, when dropped, every container (with its anonymous volumes),
/// then every network, volume and image carrying `dockhand.test=<label>`
/// — a committed image inherits the label from its container.
pub struct LabelCleanup {
    label: String,
}

impl LabelCleanup {
    /// A unique label for the test's objects.
    pub fn new(what: &str) -> LabelCleanup {
        LabelCleanup {
            label: super::unique_name(what),
        }
    }

    /// The label's value.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The `key=value` label filter for the test's objects.
    pub fn filters(&self) -> Filters {
        Filters::new().label(format!("{}={}", super::TEST_LABEL, self.label))
    }

    /// The label pair to put on objects.
    pub fn pair(&self) -> [(&'static str, String); 1] {
        [(super::TEST_LABEL, self.label.clone())]
    }
}

impl Drop for LabelCleanup {
    fn drop(&mut self) {
        let filters = self.filters();
        on_own_runtime(None, move |docker| async move {
            let listed = ListOptions::new()
                .all(true)
                .sparse(true)
                .filters(filters.clone());
            for container in docker.containers().list(&listed).await.unwrap_or_default() {
                let _ = container
                    .remove(&RemoveOptions::new().force(true).v(true))
                    .await;
            }
            for network in docker.networks().list(&filters).await.unwrap_or_default() {
                let _ = network.remove().await;
            }
            for volume in docker.volumes().list(&filters).await.unwrap_or_default() {
                let _ = volume.remove(true).await;
            }
            let images = ImageListOptions::new().filters(filters);
            for image in docker.images().list(&images).await.unwrap_or_default() {
                let _ = docker
                    .images()
                    .remove(image.id(), &ImageRemoveOptions::new().force(true))
                    .await;
            }
        });
    }
}
