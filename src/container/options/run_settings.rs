//! The setters every run needs first: the container's name and platform,
//! and what [`Containers::run`](crate::Containers::run) does with it —
//! which output it returns, whether it removes the container — which is
//! read by `run` and not sent as such.

use super::ContainerOptions;

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
        self.name = Some(name.into());
        self
    }

    /// The platform of the image, `os[/arch[/variant]]` (e.g.
    /// `linux/arm64`), for daemons with multi-platform images.
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        self.platform = Some(platform.into());
        self
    }

    /// Create the container to run detached, as docker-py's `create`
    /// does: its stdout and stderr are not marked attached. Run it with
    /// [`Containers::run_detached`](crate::Containers::run_detached); `run`
    /// and `run_stream`, which read the output, refuse it.
    pub fn detach(mut self, detach: bool) -> Self {
        self.detach = detach;
        self
    }

    /// `run` only: include standard output in the returned output (default
    /// `true`).
    pub fn stdout(mut self, stdout: bool) -> Self {
        self.stdout = Some(stdout);
        self
    }

    /// `run` only: include standard error in the returned output (default
    /// `false`).
    pub fn stderr(mut self, stderr: bool) -> Self {
        self.stderr = stderr;
        self
    }

    /// `run` only: remove the container once it has exited; `run` returns
    /// after the removal. Implemented as `auto_remove`, so the daemon
    /// removes it even if the client goes away.
    pub fn remove(mut self, remove: bool) -> Self {
        self.remove = remove;
        self
    }

    /// Whether the options ask for a detached container (`detach`).
    pub(crate) fn run_detach(&self) -> bool {
        self.detach
    }

    /// Whether `run` returns standard output (`stdout`, default `true`).
    pub(crate) fn run_stdout(&self) -> bool {
        self.stdout.unwrap_or(true)
    }

    /// Whether `run` returns standard error (`stderr`, default `false`).
    pub(crate) fn run_stderr(&self) -> bool {
        self.stderr
    }

    /// Whether `run` removes the container afterwards (`remove`).
    pub(crate) fn run_remove(&self) -> bool {
        self.remove
    }
}
