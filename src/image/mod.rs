//! Images: the collection ([`Images`]), the handle ([`Image`]), references
//! ([`Reference`]) and pull/push progress.

mod archive;
mod build;
pub use build::{BuildContext, BuildOptions, BuildProgress};
mod collection;
mod dockerignore;
pub(crate) mod new_image_name;
mod options;
mod progress;
pub(crate) mod reference;

pub use collection::Images;
pub use options::{
    ImageListOptions, ImageRemoveOptions, ImportOptions, PullOptions, PushOptions, RemovedImage,
};
pub use progress::{LayerPhase, LayerProgress, PullProgress, PushProgress, PushResult};
pub use reference::Reference;

use std::collections::HashMap;

use crate::{models, Docker, Result};

/// How many hex digits of the id `docker images` shows.
const SHORT_ID_LEN: usize = 12;

/// The placeholder the daemon lists for an untagged image.
const NO_TAG: &str = "<none>:<none>";

/// One image: its id, the attributes read when the handle was made, and the
/// client it came from.
///
/// Attributes are a snapshot: call [`Image::reload`] to refresh them.
/// Equality is by id.
///
/// ```no_run
/// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
/// let image = docker.images().get("busybox:latest").await?;
/// println!("{} {:?}", image.short_id(), image.tags());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Image {
    docker: Docker,
    id: String,
    attrs: Box<models::ImageInspect>,
}

impl Image {
    /// Inspect the image with this id (or reference) and make a handle: what
    /// calls that produce an image by id (commit, import, build) return.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) when there is no such image.
    pub(crate) async fn from_id(docker: &Docker, id: &str) -> Result<Image> {
        docker.images().get(id).await
    }

    /// A handle from inspect attributes.
    pub(crate) fn from_inspect(docker: Docker, attrs: models::ImageInspect) -> Image {
        Image {
            docker,
            id: attrs.id.clone().unwrap_or_default(),
            attrs: Box::new(attrs),
        }
    }

    /// The full image id, `sha256:…`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The first 12 hex digits of the id, as `docker images` shows it.
    pub fn short_id(&self) -> &str {
        let hex = self.id.strip_prefix("sha256:").unwrap_or(&self.id);
        &hex[..hex.len().min(SHORT_ID_LEN)]
    }

    /// The image's tags (`busybox:latest`, `localhost:5000/app:v1`); empty
    /// for an untagged image.
    pub fn tags(&self) -> Vec<&str> {
        self.attrs
            .repo_tags
            .iter()
            .flatten()
            .map(String::as_str)
            .filter(|tag| *tag != NO_TAG)
            .collect()
    }

    /// The image's labels (empty when it has none).
    pub fn labels(&self) -> HashMap<String, String> {
        self.attrs
            .config
            .as_ref()
            .and_then(|config| config.labels.clone())
            .unwrap_or_default()
    }

    /// The attributes as last read from the daemon (`docker image inspect`).
    pub fn attrs(&self) -> &models::ImageInspect {
        &self.attrs
    }

    /// The client this handle uses.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Read the attributes again from the daemon.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) if the image is gone.
    ///
    /// ```no_run
    /// # async fn demo(mut image: dockhand::Image) -> dockhand::Result<()> {
    /// image.reload().await?;
    /// # Ok(()) }
    /// ```
    pub async fn reload(&mut self) -> Result<()> {
        let fresh = self.docker.images().get(&self.id).await?;
        self.attrs = fresh.attrs;
        Ok(())
    }

    /// Tag the image as `target` (`repository[:tag]`, default tag `latest`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a
    /// malformed target, [`Error::NotFound`](crate::Error::NotFound) if the
    /// image is gone.
    ///
    /// ```no_run
    /// # async fn demo(image: dockhand::Image) -> dockhand::Result<()> {
    /// image.tag("localhost:5000/team/app:v1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn tag(&self, target: &str) -> Result<()> {
        self.docker.images().tag(&self.id, target).await
    }

    /// The image's layer history (`docker history`), newest first.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) if the image is gone.
    ///
    /// ```no_run
    /// # async fn demo(image: dockhand::Image) -> dockhand::Result<()> {
    /// for layer in image.history().await? {
    ///     println!("{} {}", layer.size, layer.created_by);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn history(&self) -> Result<Vec<models::ImageHistoryResponseItem>> {
        self.docker.images().history(&self.id).await
    }
}

impl PartialEq for Image {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Image {}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str, tags: Option<Vec<&str>>) -> Image {
        let attrs = models::ImageInspect {
            id: Some(id.to_owned()),
            repo_tags: tags.map(|tags| tags.into_iter().map(str::to_owned).collect()),
            ..Default::default()
        };
        Image::from_inspect(Docker::connect("unix:///nonexistent.sock").unwrap(), attrs)
    }

    #[test]
    fn short_id_drops_the_algorithm() {
        let long = image(
            "sha256:bfaf370aa44c17aa7c8abc67a14da8d1a0156842547a0856de122adea89f722d",
            None,
        );
        assert_eq!(long.short_id(), "bfaf370aa44c");
        assert_eq!(image("abc", None).short_id(), "abc");
    }

    #[test]
    fn tags_skip_the_untagged_placeholder() {
        let tagged = image("sha256:1", Some(vec!["a:1", "<none>:<none>", "b:2"]));
        assert_eq!(tagged.tags(), ["a:1", "b:2"]);
        assert!(image("sha256:1", None).tags().is_empty());
        assert!(image("sha256:1", None).labels().is_empty());
    }
}
