//! Looking into a container — its filesystem changes (`diff`), processes
//! (`top`) and resource usage (`stats`) — and turning it into an image
//! (`commit`), or finding the image it came from (`image`).

use futures_util::{Stream, TryStreamExt};

use crate::image::new_image_name::repository_and_tag;
use crate::image::Image;
use crate::{models, stream, Container, Error, Result};

/// How a path changed in a container's filesystem, relative to its image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// The path was changed (for a directory: something inside it was).
    Modified,
    /// The path was created.
    Added,
    /// The path was removed.
    Deleted,
    /// A kind this version of dockhand does not know, with the daemon's code.
    Unknown(i64),
}

impl ChangeKind {
    /// The kind for the API's numeric code (0 modified, 1 added, 2 deleted).
    fn from_code(code: i64) -> Self {
        match code {
            0 => ChangeKind::Modified,
            1 => ChangeKind::Added,
            2 => ChangeKind::Deleted,
            other => ChangeKind::Unknown(other),
        }
    }
}

/// One changed path, from [`Container::diff`] (`docker diff`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FilesystemChange {
    /// The absolute path in the container.
    pub path: String,
    /// What happened to it.
    pub kind: ChangeKind,
}

/// Options for [`Container::top`].
#[derive(Clone, Debug, Default)]
pub struct TopOptions {
    ps_args: Option<String>,
}

impl TopOptions {
    /// Defaults: the daemon's `ps -ef` columns.
    pub fn new() -> Self {
        Self::default()
    }

    /// Arguments for the `ps` the daemon runs on the host (`"aux"`,
    /// `"-o pid,comm"`), in place of `-ef`.
    pub fn ps_args(mut self, args: impl Into<String>) -> Self {
        self.ps_args = Some(args.into());
        self
    }
}

/// The processes running in a container, from [`Container::top`]: a table
/// with a row per process and the columns `ps` printed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessList {
    /// The column titles (`UID`, `PID`, …, `CMD` by default).
    pub titles: Vec<String>,
    /// One row per process, one value per title.
    pub processes: Vec<Vec<String>>,
}

impl ProcessList {
    /// Every process's value in the column titled `title`, or `None` when
    /// there is no such column.
    ///
    /// ```
    /// # fn demo(list: dockhand::ProcessList) {
    /// if let Some(pids) = list.column("PID") {
    ///     println!("pids: {}", pids.join(" "));
    /// }
    /// # }
    /// ```
    pub fn column(&self, title: &str) -> Option<Vec<&str>> {
        let index = self.titles.iter().position(|t| t == title)?;
        Some(
            self.processes
                .iter()
                .map(|row| row.get(index).map_or("", String::as_str))
                .collect(),
        )
    }
}

/// Options for [`Container::commit`] (`docker commit`).
///
/// ```
/// use dockhand::CommitOptions;
///
/// let options = CommitOptions::new()
///     .repository("team/snapshot")
///     .tag("v1")
///     .message("after setup")
///     .changes(["ENV MODE=snapshot", "CMD [\"/bin/sh\"]"]);
/// ```
#[derive(Clone, Debug)]
pub struct CommitOptions {
    repository: Option<String>,
    tag: Option<String>,
    message: Option<String>,
    author: Option<String>,
    pause: bool,
    changes: Vec<String>,
    conf: Option<models::ContainerConfig>,
}

impl Default for CommitOptions {
    fn default() -> Self {
        CommitOptions {
            repository: None,
            tag: None,
            message: None,
            author: None,
            pause: true,
            changes: Vec::new(),
            conf: None,
        }
    }
}

impl CommitOptions {
    /// Defaults: an untagged image, the container paused while committing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The repository to tag the image into; it may carry the tag too
    /// (`team/snapshot:v1`).
    pub fn repository(mut self, repository: impl Into<String>) -> Self {
        self.repository = Some(repository.into());
        self
    }

    /// The tag (default `latest` when a repository is given).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// The commit message recorded in the image's history.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// The author recorded in the image (`"Jane <jane@example.com>"`).
    pub fn author(mut self, author: impl Into<String>) -> Self {
        self.author = Some(author.into());
        self
    }

    /// Pause the container while committing (default true, as with
    /// `docker commit`), so the snapshot is consistent.
    pub fn pause(mut self, pause: bool) -> Self {
        self.pause = pause;
        self
    }

    /// Dockerfile instructions to apply to the image's configuration
    /// (`CMD`, `ENTRYPOINT`, `ENV`, `EXPOSE`, `LABEL`, `USER`, `VOLUME`,
    /// `WORKDIR`, …), as `docker commit --change` takes them.
    pub fn changes<I, S>(mut self, changes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.changes = changes.into_iter().map(Into::into).collect();
        self
    }

    /// A configuration for the image, merged over the container's: its set
    /// fields win.
    pub fn conf(mut self, conf: models::ContainerConfig) -> Self {
        self.conf = Some(conf);
        self
    }

    /// The `repo` and `tag` query values: the repository in its familiar
    /// form and the tag, split and checked before any request.
    fn target(&self) -> Result<(Option<String>, Option<String>)> {
        repository_and_tag("commit", self.repository.as_deref(), self.tag.as_deref())
    }

    /// The `changes` query value. The daemon joins repeated values with
    /// newlines and reads the result as a Dockerfile, so one newline-joined
    /// value means the same.
    fn changes_query(&self) -> Option<String> {
        (!self.changes.is_empty()).then(|| self.changes.join("\n"))
    }
}

impl Container {
    /// The paths changed in the container's filesystem since it was
    /// created from its image (`docker diff`).
    ///
    /// # Errors
    /// [`Error::NotFound`] if the container is gone.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// for change in container.diff().await? {
    ///     println!("{:?} {}", change.kind, change.path);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn diff(&self) -> Result<Vec<FilesystemChange>> {
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        // The daemon answers `null` for a container without changes.
        let changes = self
            .docker
            .call("ContainerChanges", raw.container_changes(id))
            .await?
            .into_inner()
            .unwrap_or_default();
        Ok(changes
            .into_iter()
            .map(|change| FilesystemChange {
                path: change.path,
                kind: ChangeKind::from_code(i64::from(change.kind.0)),
            })
            .collect())
    }

    /// The processes running in the container, as `ps` on the daemon's
    /// host lists them (`docker top`).
    ///
    /// # Errors
    /// [`Error::Conflict`] when the container is not running;
    /// [`Error::Api`] when `ps` rejects the arguments; [`Error::NotFound`]
    /// if the container is gone.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use dockhand::TopOptions;
    /// let top = container.top(&TopOptions::new().ps_args("-o pid,comm")).await?;
    /// for process in &top.processes {
    ///     println!("{}", process.join("\t"));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn top(&self, options: &TopOptions) -> Result<ProcessList> {
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        let top = self
            .docker
            .call(
                "ContainerTop",
                raw.container_top(id, options.ps_args.as_deref()),
            )
            .await?
            .into_inner();
        Ok(ProcessList {
            titles: top.titles.unwrap_or_default(),
            processes: top.processes.unwrap_or_default(),
        })
    }

    /// One sample of the container's resource usage (`docker stats
    /// --no-stream`): CPU, memory, network, block IO, pids.
    ///
    /// The sample is taken at once (`one-shot`), so `precpu_stats` is
    /// empty: to compute a CPU percentage, take two samples or use
    /// [`Container::stats_stream`], whose items after the first carry the
    /// previous reading. A container that is not running reports zeros.
    /// `id` and `name` (as the API spells it, `/web`) are the container's
    /// on every daemon, also those that leave them out of a one-shot sample
    /// (26 and later); `name` stays empty only when this handle does not
    /// know it.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the container is gone; [`Error::Decode`] if
    /// the sample is malformed.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// let stats = container.stats_once().await?;
    /// let memory = stats.memory_stats.and_then(|memory| memory.usage);
    /// println!("memory in use: {memory:?} bytes");
    /// # Ok(()) }
    /// ```
    pub async fn stats_once(&self) -> Result<models::ContainerStatsResponse> {
        const OPERATION: &str = "ContainerStats";
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        // `one-shot` needs API 1.41, which is dockhand's minimum.
        let response = self
            .docker
            .call(OPERATION, raw.container_stats(id, Some(true), Some(false)))
            .await?;
        let mut samples = std::pin::pin!(stream::json_lines::<models::ContainerStatsResponse>(
            response.into_inner().into_inner(),
            OPERATION,
            self.docker.host().to_string(),
        ));
        match samples.try_next().await? {
            Some(mut sample) => {
                // Daemons from 26 on leave both out of a one-shot sample; the
                // handle knows them.
                sample.id.get_or_insert_with(|| self.id.clone());
                if sample.name.is_none() && !self.name().is_empty() {
                    sample.name = Some(format!("/{}", self.name()));
                }
                Ok(sample)
            }
            None => Err(Error::decode(
                OPERATION,
                b"",
                "the daemon answered without a sample",
            )),
        }
    }

    /// The container's resource usage as a live stream, one sample a
    /// second (`docker stats`). Each sample after the first carries the
    /// previous reading in `precpu_stats`, for CPU percentages.
    ///
    /// The stream runs until it is dropped (which closes the connection)
    /// or the container is removed.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the container is gone; errors while reading
    /// come as stream items, after which the stream ends.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let mut samples = container.stats_stream().await?;
    /// while let Some(sample) = samples.try_next().await? {
    ///     let memory = sample.memory_stats.and_then(|memory| memory.usage);
    ///     println!("memory in use: {memory:?} bytes");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn stats_stream(
        &self,
    ) -> Result<impl Stream<Item = Result<models::ContainerStatsResponse>> + Send + Unpin + 'static>
    {
        const OPERATION: &str = "ContainerStats";
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        let response = self
            .docker
            .call(OPERATION, raw.container_stats(id, None, Some(true)))
            .await?;
        Ok(Box::pin(stream::json_lines(
            response.into_inner().into_inner(),
            OPERATION,
            self.docker.host().to_string(),
        )))
    }

    /// Make an image of the container's filesystem and configuration
    /// (`docker commit`) and return it.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a malformed repository or tag (before
    /// any request); [`Error::NotFound`] if the container is gone;
    /// [`Error::Api`] when the daemon rejects a change instruction.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use dockhand::CommitOptions;
    /// let image = container
    ///     .commit(&CommitOptions::new().repository("team/snapshot:v1").changes(["CMD [\"sh\"]"]))
    ///     .await?;
    /// println!("committed {}", image.short_id());
    /// # Ok(()) }
    /// ```
    pub async fn commit(&self, options: &CommitOptions) -> Result<Image> {
        let (repository, tag) = options.target()?;
        let changes = options.changes_query();
        let conf = options.conf.clone().unwrap_or_default();
        let raw = self.docker.raw().await?;
        let created = self
            .docker
            .call(
                "ImageCommit",
                raw.image_commit(
                    options.author.as_deref(),
                    changes.as_deref(),
                    options.message.as_deref(),
                    Some(&self.id),
                    Some(options.pause),
                    repository.as_deref(),
                    tag.as_deref(),
                    &conf,
                ),
            )
            .await?
            .into_inner();
        Image::from_id(&self.docker, &created.id).await
    }

    /// The image the container was created from.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the image has been removed since (by id:
    /// a re-tagged name does not count).
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// let image = container.image().await?;
    /// println!("{} runs {:?}", container.name(), image.tags());
    /// # Ok(()) }
    /// ```
    pub async fn image(&self) -> Result<Image> {
        let id = match self.image_id() {
            Some(id) => id.to_owned(),
            None => {
                let fresh = self.docker.containers().get(&self.id).await?;
                fresh.image_id().map(str::to_owned).ok_or_else(|| {
                    Error::decode(
                        "ContainerInspect",
                        b"",
                        "the daemon reported no image for the container",
                    )
                })?
            }
        };
        Image::from_id(&self.docker, &id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_kinds_follow_the_api_codes() {
        assert_eq!(ChangeKind::from_code(0), ChangeKind::Modified);
        assert_eq!(ChangeKind::from_code(1), ChangeKind::Added);
        assert_eq!(ChangeKind::from_code(2), ChangeKind::Deleted);
        assert_eq!(ChangeKind::from_code(7), ChangeKind::Unknown(7));
    }

    #[test]
    fn process_columns_by_title() {
        let list = ProcessList {
            titles: vec!["PID".into(), "CMD".into()],
            processes: vec![
                vec!["1".into(), "sleep 60".into()],
                vec!["7".into()], // a short row yields an empty value
            ],
        };
        assert_eq!(list.column("CMD"), Some(vec!["sleep 60", ""]));
        assert_eq!(list.column("PID"), Some(vec!["1", "7"]));
        assert_eq!(list.column("USER"), None);
    }

    #[test]
    fn commit_pauses_by_default() {
        assert!(&CommitOptions::new().pause);
        assert!(!CommitOptions::new().pause(false).pause);
    }

    #[test]
    fn changes_go_as_one_dockerfile() {
        assert_eq!(CommitOptions::new().changes_query(), None);
        let options = CommitOptions::new().changes(["ENV A=1", "CMD [\"sh\"]"]);
        assert_eq!(
            options.changes_query().as_deref(),
            Some("ENV A=1\nCMD [\"sh\"]")
        );
    }
}
