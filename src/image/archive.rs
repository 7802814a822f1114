//! Images as tar archives: `save` (`docker save`) and `load` (`docker load`).

use bytes::Bytes;
use futures_util::{future, Stream, TryStreamExt};
use serde::Deserialize;

use super::Images;
use crate::transport::path::check_name;
use crate::{stream, ArchiveBody, Error, Result};

/// One message of a load's answer.
#[derive(Debug, Deserialize)]
struct LoadMessage {
    #[serde(default)]
    stream: Option<String>,
}

impl Images {
    /// Stream a tar archive of these images, with their tags, layers and
    /// history (`docker save`), for [`Images::load`] here or elsewhere.
    /// Dropping the stream closes the connection.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let archive: Vec<u8> = docker
    ///     .images()
    ///     .save(&["busybox:latest"])
    ///     .await?
    ///     .map_ok(|chunk| chunk.to_vec())
    ///     .try_concat()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no names or a malformed one, before any
    /// request; [`Error::NotFound`] when an image does not exist. Errors
    /// while reading come as stream items.
    pub async fn save(
        &self,
        names: &[&str],
    ) -> Result<impl Stream<Item = Result<Bytes>> + Send + Unpin + 'static> {
        const OPERATION: &str = "ImageGetAll";
        if names.is_empty() {
            return Err(Error::invalid(
                "names",
                "save needs at least one image name",
            ));
        }
        let names = names
            .iter()
            .map(|name| check_name("image", name).map(str::to_owned))
            .collect::<Result<Vec<_>>>()?;
        let raw = self.docker.raw().await?;
        let response = self
            .docker
            .call(OPERATION, raw.image_get_all(Some(&names), None))
            .await?;
        let host = self.docker.host().to_string();
        Ok(response
            .into_inner()
            .into_inner()
            .map_err(move |source| Error::transport(&host, OPERATION, source)))
    }

    /// Load the images of a tar archive made by [`Images::save`] or `docker
    /// save` (`docker load`), and return what the daemon loaded: the tags
    /// (`busybox:latest`) and, for untagged images, the ids.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let file = tokio::fs::File::open("images.tar").await.expect("the archive");
    /// let loaded = docker
    ///     .images()
    ///     .load(dockhand::ArchiveBody::from_reader(file))
    ///     .await?;
    /// println!("loaded {loaded:?}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Stream`] with the daemon's message when the archive is not
    /// an image archive.
    pub async fn load(&self, archive: impl Into<ArchiveBody>) -> Result<Vec<String>> {
        const OPERATION: &str = "ImageLoad";
        let raw = self.docker.raw().await?;
        let response = self
            .docker
            .call(
                OPERATION,
                raw.image_load(None, Some(true), archive.into().into_body()),
            )
            .await?;
        stream::json_messages::<LoadMessage>(
            response.into_inner().into_inner(),
            OPERATION,
            self.docker.host().to_string(),
        )
        .try_fold(Vec::new(), |mut loaded, message| {
            loaded.extend(message.stream.as_deref().and_then(loaded_name));
            future::ready(Ok(loaded))
        })
        .await
    }
}

/// The image a load message names: `Loaded image: busybox:latest` or
/// `Loaded image ID: sha256:…`.
fn loaded_name(line: &str) -> Option<String> {
    let line = line.trim();
    line.strip_prefix("Loaded image ID: ")
        .or_else(|| line.strip_prefix("Loaded image: "))
        .map(|name| name.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::loaded_name;

    #[test]
    fn load_messages_name_tags_and_ids() {
        assert_eq!(
            loaded_name("Loaded image: busybox:latest\n").as_deref(),
            Some("busybox:latest")
        );
        assert_eq!(
            loaded_name("Loaded image ID: sha256:abc\n").as_deref(),
            Some("sha256:abc")
        );
        assert_eq!(loaded_name("Loading layer 1/2"), None);
    }
}
