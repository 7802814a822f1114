//! [`AttachedProcess`]: a process dockhand is attached to — a container's
//! main process or an exec — as its output, its stdin and its end, the one
//! shape `run`, `attach_socket` and `exec_socket` share.

use futures_util::Stream;
use tokio::io::WriteHalf;

use crate::container::params::{RemoveOptions, WaitCondition};
use crate::container::reports::ContainerExit;
use crate::hijack::delegate_async_io;
use crate::models::ContainerWaitResponse;
use crate::stream::{self, Framing, OutputChunk};
use crate::transport::ResponseBody;
use crate::{Container, Docker, Error, Exec, HijackedConnection, Result, WaitOptions};

/// A process the client is attached to over a hijacked connection: read
/// its output, write its stdin, then learn how it ended.
///
/// Read and write it directly as the raw connection — output multiplexed
/// into frames unless the process has a TTY, writes to its stdin, a
/// shutdown of the write side closing stdin — or take it apart:
/// [`output`](Self::output) demultiplexes the output into chunks,
/// [`split`](Self::split) gives a stdin writer beside them, and either
/// hands back the [`ProcessEnd`] to await when the output is done.
///
/// ```no_run
/// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
/// use dockhand::{AttachOptions, ExecOptions};
/// use futures_util::TryStreamExt;
/// use tokio::io::AsyncWriteExt;
/// let (_exec, process) = container
///     .exec_socket("cat", &ExecOptions::new().stdin(true))
///     .await?;
/// let (mut output, mut stdin, end) = process.split();
/// stdin.write_all(b"hello\n").await.ok();
/// stdin.shutdown().await.ok(); // cat sees the end of its input
/// while let Some(chunk) = output.try_next().await? {
///     print!("{chunk}");
/// }
/// assert!(end.wait().await?.success());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct AttachedProcess {
    connection: HijackedConnection,
    framing: Framing,
    operation: &'static str,
    end: ProcessEnd,
}

impl AttachedProcess {
    /// The process on `connection`, framed as its content type (or, where
    /// the daemon does not say, its `tty`) decides, ending as `end` says.
    pub(crate) fn new(
        connection: HijackedConnection,
        tty: bool,
        operation: &'static str,
        end: ProcessEnd,
    ) -> Self {
        let framing = stream::framing(connection.content_type(), tty);
        AttachedProcess {
            connection,
            framing,
            operation,
            end,
        }
    }

    /// Whether the output comes as it was written (a TTY) rather than in
    /// multiplexed frames.
    pub fn is_raw(&self) -> bool {
        self.framing == Framing::Raw
    }

    /// The output demultiplexed into chunks until the process closes it,
    /// and its end. Dropping the stream closes the connection (and with
    /// it the process's stdin).
    pub fn output(
        self,
    ) -> (
        impl Stream<Item = Result<OutputChunk>> + Send + Unpin + 'static,
        ProcessEnd,
    ) {
        let host = self.end.docker().host().to_string();
        let output = stream::demux_reader(self.connection, self.framing, self.operation, host);
        (output, self.end)
    }

    /// As [`output`](Self::output), with the process's stdin as a writer
    /// beside it: shutting the writer down closes stdin.
    pub fn split(
        self,
    ) -> (
        impl Stream<Item = Result<OutputChunk>> + Send + Unpin + 'static,
        WriteHalf<HijackedConnection>,
        ProcessEnd,
    ) {
        let host = self.end.docker().host().to_string();
        let (reader, writer) = tokio::io::split(self.connection);
        let output = stream::demux_reader(reader, self.framing, self.operation, host);
        (output, writer, self.end)
    }

    /// The raw connection and the end, taken apart.
    pub fn into_parts(self) -> (HijackedConnection, ProcessEnd) {
        (self.connection, self.end)
    }
}

delegate_async_io!(AttachedProcess, connection);

/// How an [`AttachedProcess`] ends, to be awaited once its output is read.
#[derive(Debug)]
pub struct ProcessEnd(End);

#[derive(Debug)]
enum End {
    /// A container attached to: its wait is sent when awaited.
    Container(Container),
    /// A container `run` started: the wait was registered before the
    /// start; `remove` is the removal still to do once it answers
    /// (Podman's auto-removal).
    Registered {
        wait: Box<PendingExit>,
        remove: Option<Container>,
    },
    /// An exec: its exit code is read from its inspect.
    Exec(Exec),
}

impl ProcessEnd {
    /// A container's end, its wait sent when awaited.
    pub(crate) fn container(container: Container) -> Self {
        ProcessEnd(End::Container(container))
    }

    /// A container's end through a wait registered before its start, and
    /// the container to remove once it answers.
    pub(crate) fn registered(wait: PendingExit, remove: Option<Container>) -> Self {
        ProcessEnd(End::Registered {
            wait: Box::new(wait),
            remove,
        })
    }

    /// An exec's end.
    pub(crate) fn exec(exec: Exec) -> Self {
        ProcessEnd(End::Exec(exec))
    }

    fn docker(&self) -> &Docker {
        match &self.0 {
            End::Container(container) => container.docker(),
            End::Registered { wait, .. } => &wait.docker,
            End::Exec(exec) => exec.docker(),
        }
    }

    /// Wait for the process to end: a container's exit status (after its
    /// removal, where `run` removes it), an exec's exit code.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) if a container attached
    /// to is removed before its wait is sent; transport errors.
    pub async fn wait(self) -> Result<ContainerExit> {
        match self.0 {
            End::Container(container) => container.wait(&WaitOptions::new()).await,
            End::Registered { wait, remove } => {
                let exit = wait.exit().await;
                let Some(container) = remove else {
                    return exit;
                };
                let removed = container
                    .remove(&RemoveOptions::new().force(true).v(true))
                    .await;
                match removed {
                    // The daemon's own auto-removal may have won the race.
                    Err(err) if err.is_not_found() => exit,
                    // A failed wait is the error to report; the removal is
                    // then best effort, as on the other error paths.
                    Err(err) if exit.is_ok() => Err(err),
                    Err(_) | Ok(()) => exit,
                }
            }
            End::Exec(exec) => Ok(ContainerExit {
                status_code: exec.final_exit_code().await?,
                error: None,
            }),
        }
    }
}

/// A wait request the daemon has acknowledged (its response headers
/// arrived, so the wait is registered) but not yet answered.
#[derive(Debug)]
pub(crate) struct PendingExit {
    docker: Docker,
    body: ResponseBody,
}

impl PendingExit {
    const OPERATION: &'static str = "ContainerWait";

    /// Send the wait for `condition` and return once the daemon has
    /// registered it.
    pub(crate) async fn register(
        container: &Container,
        condition: WaitCondition,
    ) -> Result<PendingExit> {
        let docker = container.docker();
        let path = container
            .endpoint("/wait")
            .await?
            .query("condition", condition.as_str());
        let response = docker
            .request(Self::OPERATION, http::Method::POST, &path, None)
            .await?;
        Ok(PendingExit {
            docker: docker.clone(),
            body: response.into_body(),
        })
    }

    /// Read the daemon's answer: the exit status.
    async fn exit(self) -> Result<ContainerExit> {
        let host = self.docker.host().to_string();
        let (body, _) = self
            .body
            .read_up_to(WAIT_ANSWER_LIMIT)
            .await
            .map_err(|source| Error::transport(&host, Self::OPERATION, source))?;
        let answer: ContainerWaitResponse = serde_json::from_slice(&body)
            .map_err(|source| Error::decode(Self::OPERATION, &body, source))?;
        Ok(ContainerExit::from(answer))
    }
}

/// The most of a wait answer read (it is a small JSON object).
const WAIT_ANSWER_LIMIT: usize = 64 * 1024;
