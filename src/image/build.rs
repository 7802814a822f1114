//! `docker build` with the classic builder: a context from a directory
//! (with its `.dockerignore`) or a ready tar, options as docker-py takes
//! them, and the daemon's messages as a typed progress stream.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures_util::{Stream, StreamExt, TryStreamExt};
use serde::Deserialize;

use super::dockerignore::DockerIgnore;
use super::{Image, Images};
use crate::options::ByteSize;
use crate::{stream, ArchiveBody, Error, Result};

/// What to build from: a directory on this machine, tarred here with its
/// `.dockerignore` honoured, or a tar archive of a context.
#[derive(Debug)]
pub enum BuildContext {
    /// A directory; its `.dockerignore` says what to leave out.
    Directory(PathBuf),
    /// A tar archive of the context (the Dockerfile included).
    Tar(ArchiveBody),
}

impl BuildContext {
    /// The context of a directory.
    pub fn directory(path: impl Into<PathBuf>) -> Self {
        BuildContext::Directory(path.into())
    }

    /// A tar archive as the context.
    pub fn tar(archive: impl Into<ArchiveBody>) -> Self {
        BuildContext::Tar(archive.into())
    }
}

/// Options for [`Images::build`], named after docker-py's.
///
/// ```
/// use dockhand::BuildOptions;
///
/// let options = BuildOptions::new()
///     .tag("team/app:v1")
///     .build_arg("VERSION", "1.2")
///     .label("team", "infra")
///     .target("runtime")
///     .no_cache(true);
/// ```
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    dockerfile: Option<String>,
    tags: Vec<String>,
    build_args: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
    target: Option<String>,
    no_cache: bool,
    pull: bool,
    keep_intermediate: bool,
    force_rm: bool,
    network_mode: Option<String>,
    platform: Option<String>,
    extra_hosts: Vec<String>,
    cache_from: Vec<String>,
    shm_size: Option<ByteSize>,
}

impl BuildOptions {
    /// Defaults: `Dockerfile` at the context root, no tag, intermediate
    /// containers removed after a successful build (docker's `rm`).
    pub fn new() -> Self {
        Self::default()
    }

    /// The Dockerfile's path inside the context (default `Dockerfile`).
    pub fn dockerfile(mut self, path: impl Into<String>) -> Self {
        self.dockerfile = Some(path.into());
        self
    }

    /// Tag the image (`-t`); repeatable.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// A build argument (`--build-arg NAME=VALUE`).
    pub fn build_arg(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.build_args.insert(name.into(), value.into());
        self
    }

    /// A label on the image (`--label`).
    pub fn label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(name.into(), value.into());
        self
    }

    /// Build up to this stage (`--target`).
    pub fn target(mut self, stage: impl Into<String>) -> Self {
        self.target = Some(stage.into());
        self
    }

    /// Use no cached layers (`--no-cache`).
    pub fn no_cache(mut self, no_cache: bool) -> Self {
        self.no_cache = no_cache;
        self
    }

    /// Pull newer versions of the base images (`--pull`).
    pub fn pull(mut self, pull: bool) -> Self {
        self.pull = pull;
        self
    }

    /// Keep the intermediate containers of a successful build (docker-py's
    /// `rm=False`).
    pub fn keep_intermediate_containers(mut self, keep: bool) -> Self {
        self.keep_intermediate = keep;
        self
    }

    /// Remove the intermediate containers even when the build fails
    /// (`--force-rm`).
    pub fn force_rm(mut self, force_rm: bool) -> Self {
        self.force_rm = force_rm;
        self
    }

    /// The network of the RUN steps (`--network`).
    pub fn network_mode(mut self, mode: impl Into<String>) -> Self {
        self.network_mode = Some(mode.into());
        self
    }

    /// The platform to build for (`--platform`).
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        self.platform = Some(platform.into());
        self
    }

    /// An `/etc/hosts` entry for the RUN steps (`--add-host HOST:IP`).
    pub fn extra_host(mut self, host: impl Into<String>, ip: impl Into<String>) -> Self {
        self.extra_hosts
            .push(format!("{}:{}", host.into(), ip.into()));
        self
    }

    /// An image to take cached layers from (`--cache-from`); repeatable.
    pub fn cache_from(mut self, image: impl Into<String>) -> Self {
        self.cache_from.push(image.into());
        self
    }

    /// The size of `/dev/shm` for the RUN steps (`--shm-size`).
    pub fn shm_size(mut self, size: impl Into<ByteSize>) -> Self {
        self.shm_size = Some(size.into());
        self
    }
}

/// One step of a build's progress, from [`Images::build_stream`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildProgress {
    /// A Dockerfile instruction begins, e.g. `Step 2/3 : RUN make`.
    Step {
        /// The step's number, from 1.
        number: u32,
        /// How many steps the build has.
        total: u32,
        /// The instruction, e.g. `RUN make`.
        instruction: String,
    },
    /// Output of a step: what a RUN wrote, or the builder's own lines.
    Output(String),
    /// The image was built; its id.
    Built {
        /// The image id, `sha256:…`.
        id: String,
    },
}

#[derive(Debug, Deserialize)]
struct Message {
    #[serde(default)]
    stream: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default, rename = "errorDetail")]
    error_detail: Option<ErrorDetail>,
    #[serde(default)]
    aux: Option<Aux>,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Aux {
    #[serde(default, rename = "ID")]
    id: Option<String>,
}

impl Images {
    /// Build an image (`docker build`) and return it, tagged as asked.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::{BuildContext, BuildOptions};
    /// let image = docker
    ///     .images()
    ///     .build(BuildContext::directory("./app"), &BuildOptions::new().tag("app:dev"))
    ///     .await?;
    /// println!("built {}", image.id());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::BuildFailed`] naming the failing step and the daemon's
    /// message; [`Error::InvalidArgument`] for an unreadable context
    /// directory or a malformed `.dockerignore`, before any request.
    pub async fn build(&self, context: BuildContext, options: &BuildOptions) -> Result<Image> {
        let mut progress = std::pin::pin!(self.build_stream(context, options).await?);
        let mut built = None;
        while let Some(step) = progress.try_next().await? {
            if let BuildProgress::Built { id } = step {
                built = Some(id);
            }
        }
        let id = built.ok_or_else(|| {
            Error::decode("ImageBuild", b"", "the build finished without an image id")
        })?;
        Image::from_id(&self.docker, &id).await
    }

    /// [`Images::build`] as a stream of its progress: steps, output, and
    /// [`BuildProgress::Built`] once the image exists (the builder's
    /// "Successfully tagged" lines follow it); a failure ends the stream
    /// with [`Error::BuildFailed`].
    ///
    /// # Errors
    /// As for [`Images::build`].
    pub async fn build_stream(
        &self,
        context: BuildContext,
        options: &BuildOptions,
    ) -> Result<impl Stream<Item = Result<BuildProgress>> + Send + 'static> {
        const OPERATION: &str = "ImageBuild";
        let dockerfile = options.dockerfile.as_deref().unwrap_or("Dockerfile");
        let body = context.into_archive(dockerfile).await?;
        let query = options.query()?;
        let tag = options.tags.first();
        let raw = self.docker.raw().await?;
        let response = self
            .docker
            .call(
                OPERATION,
                raw.image_build(
                    query.build_args.as_deref(),
                    query.cache_from.as_deref(),
                    None,
                    None,
                    None,
                    None,
                    Some(dockerfile),
                    query.extra_hosts.as_deref(),
                    options.force_rm.then_some(true),
                    query.labels.as_deref(),
                    None,
                    None,
                    options.network_mode.as_deref(),
                    options.no_cache.then_some(true),
                    None,
                    options.platform.as_deref(),
                    options.pull.then_some("1"),
                    None,
                    None,
                    Some(!options.keep_intermediate),
                    query.shm_size,
                    None,
                    tag.map(String::as_str),
                    options.target.as_deref(),
                    None,
                    None,
                    None,
                    body.into_body(),
                ),
            )
            .await?;
        let messages = stream::json_lines::<Message>(
            response.into_inner().into_inner(),
            OPERATION,
            self.docker.host().to_string(),
        );
        let mut last_step: Option<String> = None;
        let progress = messages
            .map(move |message| progress_of(message?, &mut last_step))
            .map_ok(|items| futures_util::stream::iter(items.into_iter().map(Ok)))
            .try_flatten();
        Ok(self.tag_when_built(progress, options.tags.iter().skip(1).cloned().collect()))
    }

    /// Pass `progress` on, tagging the image with `extra_tags` (the tags
    /// after the first, which the build request cannot carry) once it is
    /// built.
    fn tag_when_built(
        &self,
        progress: impl Stream<Item = Result<BuildProgress>> + Send + 'static,
        extra_tags: Vec<String>,
    ) -> impl Stream<Item = Result<BuildProgress>> + Send + 'static {
        let images = self.clone();
        progress.and_then(move |progress| {
            let images = images.clone();
            let extra_tags = extra_tags.clone();
            async move {
                if let BuildProgress::Built { id } = &progress {
                    for tag in &extra_tags {
                        images.tag(id, tag).await?;
                    }
                }
                Ok(progress)
            }
        })
    }
}

/// The build's query parameters that need encoding, as the API takes them.
struct BuildQuery {
    build_args: Option<String>,
    labels: Option<String>,
    cache_from: Option<String>,
    extra_hosts: Option<String>,
    shm_size: Option<i64>,
}

impl BuildOptions {
    /// Encode the maps and lists as JSON (or the comma list `extrahosts`
    /// is) and check the shm size.
    fn query(&self) -> Result<BuildQuery> {
        let json = |map: &BTreeMap<String, String>| {
            (!map.is_empty()).then(|| serde_json::to_string(map).expect("strings serialize"))
        };
        Ok(BuildQuery {
            build_args: json(&self.build_args),
            labels: json(&self.labels),
            cache_from: (!self.cache_from.is_empty())
                .then(|| serde_json::to_string(&self.cache_from).expect("strings serialize")),
            extra_hosts: (!self.extra_hosts.is_empty()).then(|| self.extra_hosts.join(",")),
            shm_size: self.shm_size.as_ref().map(ByteSize::bytes).transpose()?,
        })
    }
}

impl BuildContext {
    /// The context as the tar archive the daemon reads (a directory is
    /// tarred on a blocking thread, minus what `.dockerignore` excludes).
    async fn into_archive(self, dockerfile: &str) -> Result<ArchiveBody> {
        match self {
            BuildContext::Tar(archive) => Ok(archive),
            BuildContext::Directory(dir) => {
                let dockerfile = dockerfile.to_owned();
                let tar = tokio::task::spawn_blocking(move || tar_context(&dir, &dockerfile))
                    .await
                    .map_err(|err| {
                        Error::invalid("build context", format!("tarring it: {err}"))
                    })??;
                Ok(ArchiveBody::from(tar))
            }
        }
    }
}

/// What one message of the build's stream reports: its steps, output and
/// the built image, or the failure, naming the last step seen.
fn progress_of(message: Message, last_step: &mut Option<String>) -> Result<Vec<BuildProgress>> {
    if let Some(error) = message.error {
        let message = message
            .error_detail
            .and_then(|detail| detail.message)
            .unwrap_or(error);
        return Err(Error::BuildFailed {
            step: last_step.clone(),
            message,
        });
    }
    let mut items = Vec::new();
    if let Some(text) = message.stream.or(message.status) {
        match parse_step(&text) {
            Some(step) => {
                if let BuildProgress::Step { instruction, .. } = &step {
                    *last_step = Some(instruction.clone());
                }
                items.push(step);
            }
            None if !text.trim().is_empty() => items.push(BuildProgress::Output(text)),
            None => {}
        }
    }
    if let Some(id) = message.aux.and_then(|aux| aux.id) {
        items.push(BuildProgress::Built { id });
    }
    Ok(items)
}

/// `Step 2/3 : RUN make` as a step.
fn parse_step(text: &str) -> Option<BuildProgress> {
    let rest = text.trim().strip_prefix("Step ")?;
    let (counts, instruction) = rest.split_once(" : ")?;
    let (number, total) = counts.split_once('/')?;
    Some(BuildProgress::Step {
        number: number.parse().ok()?,
        total: total.parse().ok()?,
        instruction: instruction.trim().to_owned(),
    })
}

/// Tar `dir` as a build context: what its `.dockerignore` leaves in, plus
/// the Dockerfile and `.dockerignore` themselves (the daemon needs them).
fn tar_context(dir: &Path, dockerfile: &str) -> Result<Vec<u8>> {
    let unreadable = |path: &Path, err: std::io::Error| {
        Error::invalid("build context", format!("{}: {err}", path.display()))
    };
    let ignore = match std::fs::read_to_string(dir.join(".dockerignore")) {
        Ok(text) => DockerIgnore::parse(&text)?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => DockerIgnore::default(),
        Err(err) => return Err(unreadable(&dir.join(".dockerignore"), err)),
    };
    let mut archive = tar::Builder::new(Vec::new());
    archive.follow_symlinks(false);
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let full = dir.join(&relative);
        let mut entries = std::fs::read_dir(&full)
            .map_err(|err| unreadable(&full, err))?
            .map(|entry| entry.map(|entry| entry.file_name()))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|err| unreadable(&full, err))?;
        entries.sort();
        for name in entries {
            let path = relative.join(&name);
            let text = path.to_string_lossy().replace('\\', "/");
            let always = text == dockerfile || text == ".dockerignore";
            let file_type = std::fs::symlink_metadata(dir.join(&path))
                .map_err(|err| unreadable(&dir.join(&path), err))?
                .file_type();
            if file_type.is_dir() {
                // An excluded directory may still hold an exception, so its
                // files are each looked at.
                if !ignore.excludes(&text) {
                    archive
                        .append_dir(&path, dir.join(&path))
                        .map_err(|err| unreadable(&dir.join(&path), err))?;
                }
                pending.push(path);
                continue;
            }
            if ignore.excludes(&text) && !always {
                continue;
            }
            archive
                .append_path_with_name(dir.join(&path), &path)
                .map_err(|err| unreadable(&dir.join(&path), err))?;
        }
    }
    archive.into_inner().map_err(|err| unreadable(dir, err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lines_are_steps() {
        assert_eq!(
            parse_step("Step 2/3 : RUN make\n"),
            Some(BuildProgress::Step {
                number: 2,
                total: 3,
                instruction: "RUN make".into()
            })
        );
        assert_eq!(parse_step(" ---> Running in abc\n"), None);
    }

    #[test]
    fn a_context_leaves_out_what_dockerignore_says_but_keeps_the_dockerfile() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(
            dir.path().join(".dockerignore"),
            "secret\n*.log\nDockerfile\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/app.log"), "x").unwrap();
        std::fs::write(dir.path().join("src/main.c"), "x").unwrap();
        std::fs::write(dir.path().join("debug.log"), "x").unwrap();
        let tar = tar_context(dir.path(), "Dockerfile").unwrap();
        let mut names: Vec<String> = tar::Archive::new(&tar[..])
            .entries()
            .unwrap()
            .map(|entry| entry.unwrap())
            .filter(|entry| entry.header().entry_type().is_file())
            .map(|entry| entry.path().unwrap().display().to_string())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [".dockerignore", "Dockerfile", "src/app.log", "src/main.c"]
        );
    }
}
