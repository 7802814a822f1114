//! Running commands inside a running container (`docker exec`).

use std::time::Duration;

use futures_util::Stream;

use crate::options::{Command, KeyValues};
use crate::stream::{self, framing_from_headers, OutputChunk};
use crate::transport::path::check_name;
use crate::{models, AttachedProcess, Container, Docker, ProcessEnd, Result};

/// How long to keep asking for an exec's exit code after its output ended,
/// in case the daemon has not recorded it yet.
const EXIT_CODE_POLLS: u32 = 50;
const EXIT_CODE_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Options for the `exec_*` methods of [`Container`], as docker-py's
/// `exec_run` takes them.
///
/// ```
/// use dockhand::ExecOptions;
///
/// let options = ExecOptions::new()
///     .user("nobody")
///     .workdir("/tmp")
///     .environment(["GREETING=hi"])
///     .demux(true);
/// ```
#[derive(Clone, Debug)]
pub struct ExecOptions {
    stdout: bool,
    stderr: bool,
    stdin: bool,
    tty: bool,
    privileged: bool,
    user: Option<String>,
    environment: Option<KeyValues>,
    workdir: Option<String>,
    demux: bool,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            stdout: true,
            stderr: true,
            stdin: false,
            tty: false,
            privileged: false,
            user: None,
            environment: None,
            workdir: None,
            demux: false,
        }
    }
}

impl ExecOptions {
    /// Defaults: stdout and stderr, no stdin, no TTY, as the container's user.
    pub fn new() -> Self {
        Self::default()
    }

    /// Collect stdout (default true).
    pub fn stdout(mut self, stdout: bool) -> Self {
        self.stdout = stdout;
        self
    }

    /// Collect stderr (default true).
    pub fn stderr(mut self, stderr: bool) -> Self {
        self.stderr = stderr;
        self
    }

    /// Connect stdin (useful with [`Container::exec_socket`]).
    pub fn stdin(mut self, stdin: bool) -> Self {
        self.stdin = stdin;
        self
    }

    /// Allocate a pseudo-TTY (output is then one raw stream).
    pub fn tty(mut self, tty: bool) -> Self {
        self.tty = tty;
        self
    }

    /// Run with extended privileges.
    pub fn privileged(mut self, privileged: bool) -> Self {
        self.privileged = privileged;
        self
    }

    /// The user (`name`, `uid`, `name:group`, `uid:gid`) to run as, in
    /// the forms [`ContainerOptions::user`](crate::ContainerOptions::user)
    /// takes.
    pub fn user(mut self, user: impl Into<crate::container::User>) -> Self {
        self.user = Some(user.into().into_string());
        self
    }

    /// Environment variables: a map, or `KEY=value` strings.
    pub fn environment(mut self, environment: impl Into<KeyValues>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    /// The working directory for the command.
    pub fn workdir(mut self, workdir: impl Into<String>) -> Self {
        self.workdir = Some(workdir.into());
        self
    }

    /// Keep stdout and stderr apart in [`ExecResult::output`].
    pub fn demux(mut self, demux: bool) -> Self {
        self.demux = demux;
        self
    }

    /// The exec creation body for `command`.
    fn body(&self, command: &Command) -> Result<models::ContainerExecBody> {
        let env = self
            .environment
            .as_ref()
            .map(|environment| environment.to_list("environment", '='))
            .transpose()?;
        Ok(models::ContainerExecBody {
            cmd: Some(command.args()?),
            attach_stdout: Some(self.stdout),
            attach_stderr: Some(self.stderr),
            attach_stdin: Some(self.stdin),
            tty: Some(self.tty),
            privileged: Some(self.privileged),
            user: self.user.clone(),
            env,
            working_dir: self.workdir.clone(),
            ..Default::default()
        })
    }
}

/// The output of [`Container::exec_run`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecOutput {
    /// stdout and stderr interleaved as written (the default).
    Combined(Vec<u8>),
    /// stdout and stderr apart ([`ExecOptions::demux`]).
    Demuxed {
        /// What the command wrote to stdout.
        stdout: Vec<u8>,
        /// What the command wrote to stderr.
        stderr: Vec<u8>,
    },
}

impl ExecOutput {
    /// All the output: interleaved as written when combined, stdout then
    /// stderr when demuxed.
    ///
    /// ```
    /// use dockhand::ExecOutput;
    ///
    /// let output = ExecOutput::Demuxed { stdout: b"out\n".to_vec(), stderr: b"err\n".to_vec() };
    /// assert_eq!(&*output.bytes(), b"out\nerr\n");
    /// assert_eq!(output.stdout(), Some(&b"out\n"[..]));
    /// assert_eq!(output.stderr_text().as_deref(), Some("err\n"));
    /// assert_eq!(ExecOutput::Combined(b"both".to_vec()).stdout(), None);
    /// ```
    pub fn bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        match self {
            ExecOutput::Combined(bytes) => bytes.as_slice().into(),
            ExecOutput::Demuxed { stdout, stderr } => [&stdout[..], &stderr[..]].concat().into(),
        }
    }

    /// All the output as text (invalid UTF-8 replaced), as [`ExecOutput::bytes`].
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    /// What went to stdout, when the output was demuxed
    /// ([`ExecOptions::demux`]); `None` for combined output.
    pub fn stdout(&self) -> Option<&[u8]> {
        match self {
            ExecOutput::Combined(_) => None,
            ExecOutput::Demuxed { stdout, .. } => Some(stdout),
        }
    }

    /// What went to stderr, when the output was demuxed; `None` for
    /// combined output.
    pub fn stderr(&self) -> Option<&[u8]> {
        match self {
            ExecOutput::Combined(_) => None,
            ExecOutput::Demuxed { stderr, .. } => Some(stderr),
        }
    }

    /// [`ExecOutput::stdout`] as text (invalid UTF-8 replaced).
    pub fn stdout_text(&self) -> Option<String> {
        self.stdout()
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
    }

    /// [`ExecOutput::stderr`] as text (invalid UTF-8 replaced).
    pub fn stderr_text(&self) -> Option<String> {
        self.stderr()
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
    }
}

/// The exit code and output of a finished exec.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecResult {
    /// The command's exit code.
    pub exit_code: i64,
    /// What it wrote.
    pub output: ExecOutput,
}

impl ExecResult {
    /// True when the command exited 0.
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }
}

/// An exec instance: a command started in a container.
#[derive(Clone, Debug)]
pub struct Exec {
    docker: Docker,
    id: String,
}

impl Exec {
    /// The exec instance's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The client the exec belongs to.
    pub(crate) fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The id for a request path, checked: it came from the daemon.
    fn path_id(&self) -> Result<&str> {
        check_name("exec", &self.id)
    }

    /// The daemon's view of the exec (running, exit code, pid, …).
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) once the daemon forgot it.
    ///
    /// ```no_run
    /// # async fn demo(exec: dockhand::Exec) -> dockhand::Result<()> {
    /// let state = exec.inspect().await?;
    /// println!("running: {:?}, pid {:?}", state.running, state.pid);
    /// # Ok(()) }
    /// ```
    pub async fn inspect(&self) -> Result<models::ExecInspectResponse> {
        let id = self.path_id()?;
        self.docker
            .fetch("ExecInspect", |raw| raw.exec_inspect(id))
            .await
    }

    /// The exit code, or `None` while the command runs.
    ///
    /// # Errors
    /// As for [`Exec::inspect`].
    ///
    /// ```no_run
    /// # async fn demo(exec: dockhand::Exec) -> dockhand::Result<()> {
    /// if let Some(code) = exec.exit_code().await? {
    ///     println!("exited with {code}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn exit_code(&self) -> Result<Option<i64>> {
        let inspected = self.inspect().await?;
        Ok(match inspected.running {
            Some(true) => None,
            _ => inspected.exit_code,
        })
    }

    /// Resize the exec's TTY.
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api) if it has no TTY or has ended.
    ///
    /// ```no_run
    /// # async fn demo(exec: dockhand::Exec) -> dockhand::Result<()> {
    /// exec.resize(40, 120).await?;
    /// # Ok(()) }
    /// ```
    pub async fn resize(&self, height: u32, width: u32) -> Result<()> {
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        self.docker
            .call(
                "ExecResize",
                raw.exec_resize(id, height.into(), width.into()),
            )
            .await?;
        Ok(())
    }

    /// Start the exec over HTTP (not hijacked): the body carries its output,
    /// or nothing when `detach`.
    async fn start(
        &self,
        tty: bool,
        detach: bool,
    ) -> Result<progenitor_client::ResponseValue<progenitor_client::ByteStream>> {
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        let start = models::ExecStartBody {
            detach: Some(detach),
            tty: Some(tty),
            ..Default::default()
        };
        self.docker
            .call("ExecStart", raw.exec_start(id, &start))
            .await
    }

    /// The exit code once the command has ended: output end and exit-code
    /// bookkeeping can be a moment apart in the daemon.
    pub(crate) async fn final_exit_code(&self) -> Result<i64> {
        for _ in 0..EXIT_CODE_POLLS {
            if let Some(code) = self.exit_code().await? {
                return Ok(code);
            }
            tokio::time::sleep(EXIT_CODE_POLL_INTERVAL).await;
        }
        Ok(self.inspect().await?.exit_code.unwrap_or(-1))
    }
}

impl Container {
    /// Run a command in the running container and return its exit code and
    /// output (`docker exec`). A string command is split like a shell
    /// would; a list is used as it is.
    ///
    /// # Errors
    /// [`Error::Conflict`](crate::Error::Conflict) if the container is not
    /// running; [`Error::InvalidArgument`](crate::Error::InvalidArgument)
    /// for an unbalanced quote in the command.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use dockhand::{ExecOptions, ExecOutput};
    /// let result = container.exec_run("sh -c 'id -u'", &ExecOptions::new()).await?;
    /// assert_eq!(result.exit_code, 0);
    /// if let ExecOutput::Combined(output) = result.output {
    ///     println!("uid {}", String::from_utf8_lossy(&output).trim());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn exec_run(
        &self,
        command: impl Into<Command>,
        options: &ExecOptions,
    ) -> Result<ExecResult> {
        let (exec, output) = self.exec_stream(command, options).await?;
        let output = if options.demux {
            let collected = stream::collect_output(output, true, true).await?;
            ExecOutput::Demuxed {
                stdout: collected.stdout,
                stderr: collected.stderr,
            }
        } else {
            ExecOutput::Combined(crate::stream::concat_output(output).await?)
        };
        Ok(ExecResult {
            exit_code: exec.final_exit_code().await?,
            output,
        })
    }

    /// Run a command in the container and stream its output as it is
    /// written. The [`Exec`] gives the exit code once the stream has ended.
    ///
    /// # Errors
    /// As for [`Container::exec_run`].
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let (exec, mut output) = container
    ///     .exec_stream(["sh", "-c", "for i in 1 2 3; do echo $i; sleep 1; done"], &Default::default())
    ///     .await?;
    /// while let Some(chunk) = output.try_next().await? {
    ///     print!("{chunk}");
    /// }
    /// println!("exit code {:?}", exec.exit_code().await?);
    /// # Ok(()) }
    /// ```
    pub async fn exec_stream(
        &self,
        command: impl Into<Command>,
        options: &ExecOptions,
    ) -> Result<(
        Exec,
        impl Stream<Item = Result<OutputChunk>> + Send + Unpin + 'static,
    )> {
        const OPERATION: &str = "ExecStart";
        let exec = self.exec_create(command.into(), options).await?;
        let response = exec.start(options.tty, false).await?;
        let framing = framing_from_headers(response.headers(), options.tty);
        let output = stream::demux_body(
            response.into_inner().into_inner(),
            framing,
            OPERATION,
            self.docker.host().to_string(),
        );
        Ok((exec, output))
    }

    /// Run a command in the container attached: read its output (raw, or
    /// multiplexed unless [`ExecOptions::tty`]) and, with
    /// [`ExecOptions::stdin`], write its stdin; shutting down the write side
    /// closes stdin. The [`AttachedProcess`](crate::AttachedProcess) gives
    /// the exit code once the output has ended.
    ///
    /// # Errors
    /// As for [`Container::exec_run`].
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use dockhand::ExecOptions;
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// let (exec, mut socket) = container
    ///     .exec_socket("cat", &ExecOptions::new().stdin(true).tty(true))
    ///     .await?;
    /// socket.write_all(b"hello\n").await.ok();
    /// socket.shutdown().await.ok();
    /// let mut echoed = Vec::new();
    /// socket.read_to_end(&mut echoed).await.ok();
    /// # Ok(()) }
    /// ```
    pub async fn exec_socket(
        &self,
        command: impl Into<Command>,
        options: &ExecOptions,
    ) -> Result<(Exec, AttachedProcess)> {
        let exec = self.exec_create(command.into(), options).await?;
        let body = serde_json::to_vec(&models::ExecStartBody {
            detach: Some(false),
            tty: Some(options.tty),
            ..Default::default()
        })
        .expect("the exec start body serializes");
        let path = self
            .docker
            .path()
            .await?
            .literal("/exec/")
            .name("exec", &exec.id)?
            .literal("/start");
        const OPERATION: &str = "ExecStart";
        let connection = self.docker.hijack(OPERATION, &path, Some(body)).await?;
        let end = ProcessEnd::exec(exec.clone());
        let process = AttachedProcess::new(connection, options.tty, OPERATION, end);
        Ok((exec, process))
    }

    /// Start a command in the container without waiting for it (`docker
    /// exec --detach`).
    ///
    /// # Errors
    /// As for [`Container::exec_run`].
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// let exec = container
    ///     .exec_detach("sh -c 'sleep 5; echo done > /tmp/flag'", &Default::default())
    ///     .await?;
    /// println!("started exec {}", exec.id());
    /// # Ok(()) }
    /// ```
    pub async fn exec_detach(
        &self,
        command: impl Into<Command>,
        options: &ExecOptions,
    ) -> Result<Exec> {
        const OPERATION: &str = "ExecStart";
        let exec = self.exec_create(command.into(), options).await?;
        let response = exec.start(options.tty, true).await?;
        self.docker.drain(OPERATION, response).await?;
        Ok(exec)
    }

    /// Create the exec instance.
    async fn exec_create(&self, command: Command, options: &ExecOptions) -> Result<Exec> {
        let body = options.body(&command)?;
        let id = self.path_id()?;
        let created = self
            .docker
            .fetch("ContainerExec", |raw| raw.container_exec(id, &body))
            .await?;
        Ok(Exec {
            docker: self.docker.clone(),
            id: created.id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid<T>(result: Result<T>) -> bool {
        matches!(result, Err(crate::Error::InvalidArgument { .. }))
    }

    #[tokio::test]
    async fn hostile_exec_ids_in_daemon_answers_are_refused_before_any_request() {
        // No daemon listens here and the version is pinned.
        let docker = Docker::builder()
            .host("unix:///nonexistent/dockhand.sock")
            .api_version("1.41")
            .build()
            .unwrap();
        for id in [".", "..", "..\\containers\\victim", "a\0b", "a\nb"] {
            let exec = Exec {
                docker: docker.clone(),
                id: id.to_owned(),
            };
            assert!(invalid(exec.inspect().await), "{id:?}");
            assert!(invalid(exec.resize(24, 80).await), "{id:?}");
            assert!(invalid(exec.start(false, true).await), "{id:?}");
        }
    }
}
