//! The setters every run needs first: the container's name and platform,
//! and what [`Containers::run`](crate::Containers::run) does with it —
//! which output it returns, whether it removes the container — which is
//! read by `run` and not sent as such.

use super::{invalid, ContainerOptions};
use crate::stream::StreamKind;
use crate::Result;

/// # The container and the run
///
/// Its name, its platform, and what `run` does: return stdout and/or
/// stderr, remove the container when it exits, or refuse to run one meant
/// to be detached. Then, below, what it runs ([`command`](Self::command),
/// [`environment`](Self::environment), [`labels`](Self::labels), …),
/// [`ports`](Self::ports) and networks, storage, resources, restart and
/// health, security and devices, logging.
///
/// ```no_run
/// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
/// use dockhand::ContainerOptions;
/// // docker run --rm --name hello busybox echo hi
/// let output = docker
///     .containers()
///     .run(
///         "busybox",
///         &ContainerOptions::new().name("hello").command("echo hi").remove(true),
///     )
///     .await?;
/// # Ok(()) }
/// ```
impl ContainerOptions {
    /// No options: the image's defaults, on the default network.
    pub fn new() -> Self {
        Self::default()
    }

    /// The container's name (`docker run --name`). Without one the daemon
    /// picks a random name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.query.name = Some(name.into());
        self
    }

    /// The platform of the image, `os[/arch[/variant]]` (e.g.
    /// `linux/arm64`), for daemons with multi-platform images.
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        self.query.platform = Some(platform.into());
        self
    }

    /// Create the container to run detached, as docker-py's `create`
    /// does: its stdout and stderr are not marked attached. Run it with
    /// [`Containers::run_detached`](crate::Containers::run_detached); `run`
    /// and `run_stream`, which read the output, refuse it.
    pub fn detach(mut self, detach: bool) -> Self {
        self.run.detach = detach;
        self
    }

    /// `run` only: include standard output in the returned output (default
    /// `true`).
    pub fn stdout(mut self, stdout: bool) -> Self {
        self.run.stdout = Some(stdout);
        self
    }

    /// `run` only: include standard error in the returned output (default
    /// `false`).
    pub fn stderr(mut self, stderr: bool) -> Self {
        self.run.stderr = stderr;
        self
    }

    /// `run` only: remove the container once it has exited; `run` returns
    /// after the removal. Implemented as `auto_remove`, so the daemon
    /// removes it even if the client goes away.
    pub fn remove(mut self, remove: bool) -> Self {
        self.run.remove = remove;
        self
    }

    /// What `run` does beyond what it sends.
    pub(crate) fn run_settings(&self) -> &RunSettings {
        &self.run
    }
}

/// The create request's query parameters as typed.
#[derive(Clone, Debug, Default)]
pub(super) struct CreateQuery {
    name: Option<String>,
    platform: Option<String>,
}

impl CreateQuery {
    /// The name, if valid: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, as the daemon
    /// requires (a leading `/` is allowed).
    pub(super) fn checked_name(&self) -> Result<Option<String>> {
        let Some(name) = &self.name else {
            return Ok(None);
        };
        let bare = name.strip_prefix('/').unwrap_or(name);
        let mut chars = bare.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !first_ok || !rest_ok || bare.len() < 2 {
            return Err(invalid(
                "name",
                format!(
                    "{name:?} is not a valid container name (allowed: [a-zA-Z0-9][a-zA-Z0-9_.-]+)"
                ),
            ));
        }
        Ok(Some(name.clone()))
    }

    /// The platform, if well-formed: `os[/arch[/variant]]`.
    pub(super) fn checked_platform(&self) -> Result<Option<String>> {
        let Some(platform) = &self.platform else {
            return Ok(None);
        };
        let parts: Vec<&str> = platform.split('/').collect();
        if parts.len() > 3 || parts.iter().any(|part| part.trim().is_empty()) {
            return Err(invalid(
                "platform",
                format!("{platform:?} is not os[/arch[/variant]]"),
            ));
        }
        Ok(Some(platform.clone()))
    }
}

/// What [`Containers::run`](crate::Containers::run) does with the
/// container, read by `run` and never sent as such.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RunSettings {
    detach: bool,
    stdout: Option<bool>,
    stderr: bool,
    remove: bool,
}

impl RunSettings {
    /// Whether the options ask for a detached container (`detach`).
    pub(crate) fn detach(&self) -> bool {
        self.detach
    }

    /// Whether `run` returns standard output (`stdout`, default `true`).
    pub(crate) fn stdout(&self) -> bool {
        self.stdout.unwrap_or(true)
    }

    /// Whether `run` returns standard error (`stderr`, default `false`).
    pub(crate) fn stderr(&self) -> bool {
        self.stderr
    }

    /// Whether `run` removes the container afterwards (`remove`).
    pub(crate) fn remove(&self) -> bool {
        self.remove
    }

    /// Whether `run` returns output of `kind`.
    pub(crate) fn wants(&self, kind: StreamKind) -> bool {
        match kind {
            StreamKind::Stderr => self.stderr(),
            _ => self.stdout(),
        }
    }
}
