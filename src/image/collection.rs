//! The image collection: looking images up, pulling, pushing, importing,
//! tagging, removing, pruning.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{future, Stream, StreamExt, TryStreamExt};
use tokio::io::AsyncRead;

use super::new_image_name::repository_and_tag;
use super::options::{
    ImageListOptions, ImageRemoveOptions, ImportOptions, PullOptions, PushOptions, RemovedImage,
};
use super::progress::{Message, PullProgress, PushProgress, PushResult};
use super::reference::{Reference, DEFAULT_TAG};
use super::Image;
use crate::auth::{CredentialSource, DockerConfig};
use crate::error::classify_registry_error;
use crate::transport::path::check_name;
use crate::{models, stream, Credentials, Docker, Error, Filters, PruneReport, Result};

/// How many images a list inspects at once (and so how many pooled
/// connections it may open).
const INSPECT_CONCURRENCY: usize = 8;

/// The daemon's images, from [`Docker::images`].
///
/// Calls that talk to a registry (pull, push) find credentials as the
/// docker CLI does (see [`DockerConfig`]) unless given some;
/// [`Images::with_docker_config`] points them at another config.
#[derive(Clone, Debug)]
pub struct Images {
    pub(super) docker: Docker,
    credentials: CredentialSource,
}

impl Docker {
    /// The image collection.
    pub fn images(&self) -> Images {
        Images {
            docker: self.clone(),
            credentials: CredentialSource::default(),
        }
    }
}

impl Images {
    /// Take registry credentials from `config` instead of reading
    /// `$DOCKER_CONFIG` / `~/.docker/config.json` on each call. Pass
    /// [`DockerConfig::new`] to use no stored credentials at all.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let config = dockhand::DockerConfig::from_dir("/run/secrets/docker")?
    ///     .helper_dir("/opt/helpers/bin");
    /// let images = docker.images().with_docker_config(config);
    /// # Ok(()) }
    /// ```
    pub fn with_docker_config(mut self, config: DockerConfig) -> Images {
        self.credentials = CredentialSource::Config(Arc::new(config));
        self
    }

    /// The image with this id, id prefix or reference.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is none; [`Error::InvalidArgument`],
    /// before any request, for a value that could address something else
    /// (empty, `.`, `..`, with a control character or `\`), here and in
    /// the other calls that take an image id or reference.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let busybox = docker.images().get("busybox:latest").await?;
    /// println!("{}", busybox.id());
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, name: &str) -> Result<Image> {
        let name = check_name("image", name)?;
        let attrs = self
            .docker
            .fetch("ImageInspect", |raw| raw.image_inspect(name, None, None))
            .await?;
        Ok(Image::from_inspect(self.docker.clone(), attrs))
    }

    /// Like [`Images::get`], but a missing image is `Ok(None)`.
    ///
    /// # Errors
    /// Any error of [`Images::get`] other than not found.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// if docker.images().get_opt("busybox").await?.is_none() {
    ///     println!("not pulled yet");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_opt(&self, name: &str) -> Result<Option<Image>> {
        crate::error::found(self.get(name).await)
    }

    /// List images (`docker images`), each inspected in full. Inspections
    /// run concurrently over a few pooled connections; an image removed
    /// between the list and its inspect is left out.
    ///
    /// # Errors
    /// [`Error::Transport`] or [`Error::Api`] when the daemon fails.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::ImageListOptions;
    /// for image in docker.images().list(&ImageListOptions::new().name("busybox")).await? {
    ///     println!("{} {:?}", image.short_id(), image.tags());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, options: &ImageListOptions) -> Result<Vec<Image>> {
        let raw = self.docker.raw().await?;
        let filters = options.filters_query();
        let summaries = self
            .docker
            .call(
                "ImageList",
                raw.image_list(
                    Some(options.all),
                    None,
                    filters.as_deref(),
                    None,
                    None,
                    None,
                ),
            )
            .await?
            .into_inner();
        let inspected: Vec<Option<Image>> = futures_util::stream::iter(summaries)
            .map(|summary| async move { self.get_opt(&summary.id).await })
            .buffered(INSPECT_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(inspected.into_iter().flatten().collect())
    }

    /// Pull an image (`docker pull`) and return it once the pull finished.
    /// The reference may name a tag (default `latest`) or a digest.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a malformed reference, before any
    /// request; [`Error::NotFound`] when the registry has no such
    /// repository, tag or digest; an error for which
    /// [`Error::is_unauthorized`] holds when the registry refuses the
    /// credentials; [`Error::Stream`] when the pull fails part-way.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::PullOptions;
    /// let image = docker.images().pull("localhost:5000/team/app:v1", &PullOptions::new()).await?;
    /// println!("pulled {}", image.short_id());
    /// # Ok(()) }
    /// ```
    pub async fn pull(&self, reference: &str, options: &PullOptions) -> Result<Image> {
        let parsed = Reference::parse(reference)?;
        let progress = self.pull_stream(reference, options).await?;
        progress.try_for_each(|_| future::ready(Ok(()))).await?;
        self.get(&parsed.local_name()).await
    }

    /// Start a pull and return its progress as it happens: per-layer
    /// download and extraction events, the digest, and the final status.
    /// The stream ends when the pull has finished; a failure the daemon
    /// reports part-way is an [`Error::Stream`] item, after which the
    /// stream ends.
    ///
    /// Dropping the stream closes the connection; the daemon may still
    /// finish the pull on its own.
    ///
    /// # Errors
    /// As for [`Images::pull`]: those the daemon reports before the first
    /// event come from this call, later ones from the stream.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::{PullOptions, PullProgress};
    /// use futures_util::TryStreamExt;
    ///
    /// let mut progress = docker.images().pull_stream("busybox:1.36", &PullOptions::new()).await?;
    /// while let Some(event) = progress.try_next().await? {
    ///     if let PullProgress::Layer(layer) = event {
    ///         println!("{}: {} {:?}/{:?}", layer.id, layer.phase, layer.current, layer.total);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn pull_stream(
        &self,
        reference: &str,
        options: &PullOptions,
    ) -> Result<impl Stream<Item = Result<PullProgress>> + Send + 'static> {
        const OPERATION: &str = "ImageCreate";
        let reference = Reference::parse(reference)?;
        let auth = self
            .credentials
            .resolve(options.credentials.as_ref(), reference.registry())
            .await?
            .map(|credentials| credentials.encode());
        tracing::debug!(%reference, authenticated = auth.is_some(), "pulling");
        let raw = self.docker.raw().await?;
        let response = self
            .docker
            .call(
                OPERATION,
                raw.image_create(
                    None,
                    Some(&reference.familiar_name()),
                    None,
                    None,
                    options.platform.as_deref(),
                    None,
                    Some(reference.pull_tag()),
                    auth.as_ref().map(|auth| auth.as_str()),
                    Vec::<u8>::new(),
                ),
            )
            .await
            .map_err(|err| classify_registry_error(err, reference.registry()))?;
        Ok(self
            .registry_messages(response.into_inner(), OPERATION, reference.registry())
            .try_filter_map(|message| future::ready(Ok(PullProgress::from_message(message)))))
    }

    /// Pull `image` unless the daemon already has it; true when it pulled.
    /// What `containers().run(...)` calls before creating the container.
    ///
    /// # Errors
    /// As for [`Images::pull`].
    pub(crate) async fn pull_if_missing(
        &self,
        image: &str,
        platform: Option<&str>,
        credentials: Option<Credentials>,
    ) -> Result<bool> {
        if self.get_opt(image).await?.is_some() {
            return Ok(false);
        }
        let mut options = PullOptions::new();
        options.platform = platform.map(str::to_owned);
        if let Some(credentials) = credentials {
            options = options.credentials(credentials);
        }
        self.pull(image, &options).await?;
        Ok(true)
    }

    /// Push an image to its registry (`docker push`) and return what the
    /// registry stored. The reference names the tag to push (default
    /// `latest`); tag the image first with [`Images::tag`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a malformed reference or one with a
    /// digest; [`Error::NotFound`] when there is no such local image; an
    /// error for which [`Error::is_unauthorized`] holds when the registry
    /// refuses the credentials; [`Error::Stream`] for other failures the
    /// daemon reports during the push.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::PushOptions;
    /// let pushed = docker.images().push("localhost:5000/team/app:v1", &PushOptions::new()).await?;
    /// println!("pushed {}", pushed.digest);
    /// # Ok(()) }
    /// ```
    pub async fn push(&self, reference: &str, options: &PushOptions) -> Result<PushResult> {
        const OPERATION: &str = "ImagePush";
        let progress = self.push_stream(reference, options).await?;
        let mut result = None;
        let mut text_result = None;
        futures_util::pin_mut!(progress);
        while let Some(event) = progress.try_next().await? {
            match event {
                PushProgress::Pushed(pushed) => result = Some(pushed),
                PushProgress::Other { id: None, status } => {
                    text_result = parse_push_summary(&status).or(text_result)
                }
                _ => {}
            }
        }
        result.or(text_result).ok_or_else(|| Error::Stream {
            operation: OPERATION,
            message: "the push ended without the registry's digest".to_owned(),
        })
    }

    /// Start a push and return its progress as it happens: per-layer
    /// events, then [`PushProgress::Pushed`] with the digest. A failure the
    /// daemon reports part-way (the registry refusing the credentials, say)
    /// is an [`Error::Stream`] item, after which the stream ends.
    ///
    /// # Errors
    /// As for [`Images::push`].
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::{PushOptions, PushProgress};
    /// use futures_util::TryStreamExt;
    ///
    /// let progress = docker.images().push_stream("localhost:5000/app:v1", &PushOptions::new()).await?;
    /// futures_util::pin_mut!(progress);
    /// while let Some(event) = progress.try_next().await? {
    ///     if let PushProgress::Pushed(result) = event {
    ///         println!("{} is {}", result.tag, result.digest);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn push_stream(
        &self,
        reference: &str,
        options: &PushOptions,
    ) -> Result<impl Stream<Item = Result<PushProgress>> + Send + 'static> {
        const OPERATION: &str = "ImagePush";
        let reference = Reference::parse(reference)?;
        if reference.digest().is_some() {
            return Err(Error::invalid(
                "image",
                format!("cannot push {reference}: push a tag, not a digest"),
            ));
        }
        let auth = self
            .credentials
            .header(options.credentials.as_ref(), reference.registry())
            .await?;
        tracing::debug!(%reference, "pushing");
        let raw = self.docker.raw().await?;
        let response = self
            .docker
            .call(
                OPERATION,
                raw.image_push(
                    &reference.familiar_name(),
                    None,
                    Some(reference.tag().unwrap_or(DEFAULT_TAG)),
                    auth.as_str(),
                ),
            )
            .await
            .map_err(|err| classify_registry_error(err, reference.registry()))?;
        Ok(self
            .registry_messages(response.into_inner(), OPERATION, reference.registry())
            .try_filter_map(|message| future::ready(Ok(PushProgress::from_message(message)))))
    }

    /// The progress messages of a pull or push, with refused credentials
    /// reported as [`Error::Unauthorized`] naming `registry`.
    fn registry_messages(
        &self,
        body: progenitor_client::ByteStream,
        operation: &'static str,
        registry: &str,
    ) -> impl Stream<Item = Result<Message>> + Send + 'static {
        let registry = registry.to_owned();
        stream::json_messages::<Message>(
            body.into_inner(),
            operation,
            self.docker.host().to_string(),
        )
        .map_err(move |err| classify_registry_error(err, &registry))
    }

    /// Tag image `source` (id or reference) as `target` (`repository[:tag]`,
    /// default tag `latest`), as `docker tag` does.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a malformed target or one with a
    /// digest; [`Error::NotFound`] when there is no image `source`.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// docker.images().tag("busybox:latest", "localhost:5000/tools/busybox:v1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn tag(&self, source: &str, target: &str) -> Result<()> {
        let source = check_name("image", source)?;
        let target = Reference::parse(target)?;
        if target.digest().is_some() {
            return Err(Error::invalid(
                "tag target",
                format!("cannot tag as {target}: a tag target has no digest"),
            ));
        }
        let raw = self.docker.raw().await?;
        self.docker
            .call(
                "ImageTag",
                raw.image_tag(
                    source,
                    Some(&target.familiar_name()),
                    Some(target.tag().unwrap_or(DEFAULT_TAG)),
                ),
            )
            .await?;
        Ok(())
    }

    /// Remove an image, or one of its tags (`docker rmi`), and report what
    /// was untagged and deleted.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such image; [`Error::Conflict`]
    /// when a container uses it or, by id, it has several tags (see
    /// [`ImageRemoveOptions::force`]).
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::ImageRemoveOptions;
    /// docker.images().remove("localhost:5000/app:v1", &ImageRemoveOptions::new()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn remove(
        &self,
        name: &str,
        options: &ImageRemoveOptions,
    ) -> Result<Vec<RemovedImage>> {
        let name = check_name("image", name)?;
        let raw = self.docker.raw().await?;
        let items = self
            .docker
            .call(
                "ImageDelete",
                raw.image_delete(name, Some(options.force), Some(options.noprune), None),
            )
            .await?
            .into_inner();
        Ok(items.into_iter().flat_map(removed).collect())
    }

    /// Import a root filesystem tarball as an image (`docker import`) and
    /// return it.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a malformed repository or tag;
    /// [`Error::Stream`] or [`Error::Api`] when the daemon cannot read the
    /// archive.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::ImportOptions;
    /// let tar = std::fs::read("rootfs.tar").expect("the archive");
    /// let image = docker
    ///     .images()
    ///     .import(tar, &ImportOptions::new().repository("team/rootfs").tag("v1"))
    ///     .await?;
    /// println!("imported {}", image.short_id());
    /// # Ok(()) }
    /// ```
    pub async fn import(&self, tar: impl Into<Bytes>, options: &ImportOptions) -> Result<Image> {
        let tar: Bytes = tar.into();
        self.import_body(reqwest::Body::from(tar), options).await
    }

    /// Like [`Images::import`], reading the tarball from `reader` as it is
    /// sent (a file, a pipe, a decompressor) instead of from memory.
    ///
    /// # Errors
    /// As for [`Images::import`]; a read error is [`Error::Transport`].
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::ImportOptions;
    /// let file = tokio::fs::File::open("rootfs.tar").await.expect("the archive");
    /// let image = docker
    ///     .images()
    ///     .import_reader(file, &ImportOptions::new().repository("team/rootfs:v1"))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn import_reader(
        &self,
        reader: impl AsyncRead + Send + 'static,
        options: &ImportOptions,
    ) -> Result<Image> {
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(reader));
        self.import_body(body, options).await
    }

    async fn import_body(&self, body: reqwest::Body, options: &ImportOptions) -> Result<Image> {
        const OPERATION: &str = "ImageCreate";
        let (repository, tag) = repository_and_tag(
            "import",
            options.repository.as_deref(),
            options.tag.as_deref(),
        )?;
        let raw = self.docker.raw().await?;
        let changes = (!options.changes.is_empty()).then_some(&options.changes);
        let response = self
            .docker
            .call(
                OPERATION,
                raw.image_create(
                    changes,
                    None,
                    Some("-"),
                    options.message.as_deref(),
                    options.platform.as_deref(),
                    repository.as_deref(),
                    tag.as_deref(),
                    None,
                    body,
                ),
            )
            .await?;
        // The daemon's last message is the new image's id.
        let id = stream::json_messages::<Message>(
            response.into_inner().into_inner(),
            OPERATION,
            self.docker.host().to_string(),
        )
        .try_fold(None, |id, message| {
            let status = message
                .status
                .filter(|status| status.starts_with("sha256:"));
            future::ready(Ok(status.or(id)))
        })
        .await?;
        let name = match (id, &repository) {
            (Some(id), _) => id,
            (None, Some(repository)) => {
                format!("{repository}:{}", tag.as_deref().unwrap_or(DEFAULT_TAG))
            }
            (None, None) => {
                return Err(Error::decode(
                    OPERATION,
                    b"",
                    "the import finished without the new image's id",
                ))
            }
        };
        Image::from_id(&self.docker, &name).await
    }

    /// The layer history of an image (`docker history`), newest first.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such image.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let history = docker.images().history("busybox:latest").await?;
    /// println!("{} layers", history.len());
    /// # Ok(()) }
    /// ```
    pub async fn history(&self, name: &str) -> Result<Vec<models::ImageHistoryResponseItem>> {
        let name = check_name("image", name)?;
        self.docker
            .fetch("ImageHistory", |raw| raw.image_history(name, None))
            .await
    }

    /// Remove unused images (`docker image prune`): by default only
    /// dangling (untagged) ones; `Filters::new().add("dangling", "false")`
    /// removes every image no container uses.
    ///
    /// # Errors
    /// [`Error::Conflict`] if a prune is already running.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let report = docker
    ///     .images()
    ///     .prune(&dockhand::Filters::new().label("job=nightly"))
    ///     .await?;
    /// println!("removed {} images, {} bytes", report.deleted.len(), report.space_reclaimed);
    /// # Ok(()) }
    /// ```
    pub async fn prune(&self, filters: &Filters) -> Result<PruneReport> {
        let query = filters.to_query();
        let response = self
            .docker
            .fetch("ImagePrune", |raw| raw.image_prune(query.as_deref()))
            .await?;
        Ok(PruneReport {
            deleted: response
                .images_deleted
                .unwrap_or_default()
                .into_iter()
                .filter_map(|item| item.deleted)
                .collect(),
            space_reclaimed: response
                .space_reclaimed
                .and_then(|bytes| u64::try_from(bytes).ok())
                .unwrap_or(0),
        })
    }
}

/// The lines of a removal report one daemon item holds.
fn removed(item: models::ImageDeleteResponseItem) -> impl Iterator<Item = RemovedImage> {
    let untagged = item.untagged.map(RemovedImage::Untagged);
    let deleted = item.deleted.map(RemovedImage::Deleted);
    untagged.into_iter().chain(deleted)
}

/// The registry's result from the text line `v1: digest: sha256:… size: 527`,
/// for daemons that send no `aux` result.
fn parse_push_summary(status: &str) -> Option<PushResult> {
    let (tag, rest) = status.split_once(": digest: ")?;
    let (digest, size) = rest.split_once(" size: ")?;
    Some(PushResult {
        tag: tag.to_owned(),
        digest: digest.to_owned(),
        size: size.trim().parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removal_reports_keep_both_kinds_in_order() {
        let items = vec![
            models::ImageDeleteResponseItem {
                untagged: Some("a:1".into()),
                deleted: None,
            },
            models::ImageDeleteResponseItem {
                untagged: None,
                deleted: Some("sha256:1".into()),
            },
        ];
        let report: Vec<_> = items.into_iter().flat_map(removed).collect();
        assert_eq!(
            report,
            [
                RemovedImage::Untagged("a:1".into()),
                RemovedImage::Deleted("sha256:1".into())
            ]
        );
    }

    #[test]
    fn push_summary_text_is_a_fallback_result() {
        assert_eq!(
            parse_push_summary("v1: digest: sha256:84d9 size: 527"),
            Some(PushResult {
                tag: "v1".into(),
                digest: "sha256:84d9".into(),
                size: 527
            })
        );
        assert_eq!(parse_push_summary("Preparing"), None);
    }

    #[tokio::test]
    async fn malformed_references_fail_before_any_request() {
        // No daemon listens here: reaching the network would be a transport error.
        let images = Docker::connect("unix:///nonexistent/dockhand.sock")
            .unwrap()
            .images()
            .with_docker_config(DockerConfig::new());
        let invalid = |err: Error| matches!(err, Error::InvalidArgument { .. });
        assert!(invalid(
            images
                .pull("Bad/Name:x", &PullOptions::new())
                .await
                .unwrap_err()
        ));
        assert!(invalid(
            images
                .pull_stream("a:", &PullOptions::new())
                .await
                .err()
                .unwrap()
        ));
        assert!(invalid(
            images.push("-a", &PushOptions::new()).await.unwrap_err()
        ));
        let digest = format!("a@sha256:{}", "0".repeat(64));
        assert!(invalid(
            images.push(&digest, &PushOptions::new()).await.unwrap_err()
        ));
        assert!(invalid(images.tag("a", "UPPER").await.unwrap_err()));
        assert!(invalid(images.tag("a", &digest).await.unwrap_err()));
        assert!(invalid(images.get("").await.unwrap_err()));
        // Values that would address another endpoint once in the path.
        for hostile in [".", "..", "..\\containers\\x", "a\0b", "a\nb"] {
            assert!(
                invalid(images.get(hostile).await.unwrap_err()),
                "{hostile:?}"
            );
            assert!(invalid(images.history(hostile).await.unwrap_err()));
            assert!(invalid(images.tag(hostile, "a:b").await.unwrap_err()));
            let removed = images.remove(hostile, &ImageRemoveOptions::new()).await;
            assert!(invalid(removed.unwrap_err()), "{hostile:?}");
        }
        assert!(invalid(
            images
                .import(Vec::new(), &ImportOptions::new().tag("x"))
                .await
                .unwrap_err()
        ));
    }
}
