//! Creating and running containers: `create`, and `run` in its three forms
//! (collect the output, stream it, or detach).
//!
//! `run` orders its calls like the docker CLI, not docker-py: create →
//! attach (a hijacked connection, open before anything can be written) →
//! register the wait (`next-exit`, or `removed` for auto-removal) → start →
//! read the output to its end → take the exit status from the wait. No
//! output is lost however quickly the container exits, it works with every
//! log driver (it never reads logs), and with removal the container is gone
//! when `run` returns.
//!
//! Podman (4.3 at least) answers a `removed` wait with exit status 0
//! whatever the command returned, so on Podman an auto-removed run waits
//! for `next-exit` and removes the container itself once the status is in.

use futures_util::future::{self, Either};
use futures_util::{Stream, StreamExt};

use crate::container::options::{ContainerOptions, CreateRequest, Purpose};
use crate::container::params::{RemoveOptions, WaitCondition};
use crate::container::reports::ContainerExit;
use crate::models::{self, ContainerWaitResponse};
use crate::stream::{self, OutputChunk, StreamKind};
use crate::transport::ResponseBody;
use crate::{
    AttachOptions, Container, Containers, Docker, Error, HijackedConnection, Resource, Result,
};

impl Containers {
    /// Create a container from `image` (`docker create`), pulling the image
    /// first if the daemon does not have it.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for invalid options (before any request);
    /// [`Error::NotFound`] when the image is neither local nor pullable;
    /// [`Error::Conflict`] when the name is taken.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::ContainerOptions;
    /// let container = docker
    ///     .containers()
    ///     .create("busybox", &ContainerOptions::new().command("sleep 60").mem_limit("64m"))
    ///     .await?;
    /// container.start().await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, image: &str, options: &ContainerOptions) -> Result<Container> {
        let api = self.docker.api_version().await?;
        let request = options.to_request(image, api)?;
        self.create_from(image, &request).await
    }

    /// Send a prepared create request, pulling the image on "no such image".
    async fn create_from(&self, image: &str, request: &CreateRequest) -> Result<Container> {
        let id = self.create_id(image, request).await?;
        self.get(&id).await
    }

    /// Create the container (pulling the image if the daemon lacks it) and
    /// return its id, without the inspect that a full handle needs.
    async fn create_id(&self, image: &str, request: &CreateRequest) -> Result<String> {
        let raw = self.docker.raw().await?;
        let create = || {
            self.docker.call(
                "ContainerCreate",
                raw.container_create(
                    request.name.as_deref(),
                    request.platform.as_deref(),
                    &request.body,
                ),
            )
        };
        let created = match create().await {
            Err(err) if err.missing() == Some(Resource::Image) => {
                self.pulls
                    .pull_if_missing(
                        image,
                        request.platform.as_deref(),
                        self.pull_credentials.clone(),
                    )
                    .await?;
                create().await?
            }
            other => other?,
        };
        Ok(created.into_inner().id)
    }

    /// Run a command in a new container and return its output once it exits
    /// (`docker run`): standard output by default, standard error too with
    /// [`ContainerOptions::stderr`], interleaved as written. With
    /// [`ContainerOptions::remove`] the container is removed before this
    /// returns.
    ///
    /// # Errors
    /// [`Error::ContainerFailed`] with the exit status, command, image and
    /// stderr when the command exits non-zero; otherwise as for
    /// [`Containers::create`] and [`Container::start`].
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::ContainerOptions;
    /// let output = docker
    ///     .containers()
    ///     .run("busybox", &ContainerOptions::new().command("echo hello").remove(true))
    ///     .await?;
    /// assert_eq!(output, b"hello\n");
    /// # Ok(()) }
    /// ```
    pub async fn run(&self, image: &str, options: &ContainerOptions) -> Result<Vec<u8>> {
        let (launched, chunks) = self.launch(image, options).await?;
        let (want_stdout, want_stderr) = (
            options.run_settings().stdout(),
            options.run_settings().stderr(),
        );
        let mut output = Vec::new();
        let mut stderr = Vec::new();
        let mut chunks = chunks;
        let mut read_error = None;
        while let Some(chunk) = chunks.next().await {
            match chunk {
                Ok(chunk) => {
                    let is_stderr = chunk.kind == StreamKind::Stderr;
                    if is_stderr {
                        stderr.extend_from_slice(chunk.as_bytes());
                    }
                    if (is_stderr && want_stderr) || (!is_stderr && want_stdout) {
                        output.extend_from_slice(chunk.as_bytes());
                    }
                }
                Err(err) => {
                    read_error = Some(err);
                    break;
                }
            }
        }
        drop(chunks);
        let exit = launched.finish().await;
        if let Some(err) = read_error {
            return Err(err);
        }
        launched.check(exit?, &stderr)?;
        Ok(output)
    }

    /// Run a command in a new container and stream its output while it
    /// runs. The stream ends when the container exits; a non-zero exit
    /// arrives as a last [`Error::ContainerFailed`] item (with the stderr
    /// seen), and with [`ContainerOptions::remove`] the container is gone
    /// by the time the stream ends.
    ///
    /// Dropping the stream early stops reading; a container to be removed
    /// is then force-removed in the background at once, even while it
    /// writes nothing.
    ///
    /// # Errors
    /// As for [`Containers::run`], before the first item.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::ContainerOptions;
    /// use futures_util::TryStreamExt;
    /// let options = ContainerOptions::new()
    ///     .command(["sh", "-c", "for i in 1 2 3; do echo $i; sleep 1; done"])
    ///     .remove(true);
    /// let mut output = docker.containers().run_stream("busybox", &options).await?;
    /// while let Some(chunk) = output.try_next().await? {
    ///     print!("{}", String::from_utf8_lossy(chunk.as_bytes()));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn run_stream(
        &self,
        image: &str,
        options: &ContainerOptions,
    ) -> Result<impl Stream<Item = Result<OutputChunk>> + Send + Unpin + 'static> {
        let (launched, chunks) = self.launch(image, options).await?;
        let (want_stdout, want_stderr) = (
            options.run_settings().stdout(),
            options.run_settings().stderr(),
        );
        // A task pumps the output through a small channel: the caller sees
        // chunks as they arrive, memory stays bounded by the channel, and the
        // wait and removal still complete if the caller stops reading.
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<OutputChunk>>(16);
        tokio::spawn(async move {
            let mut stderr = Vec::new();
            let mut chunks = Box::pin(chunks);
            let mut receiver_gone = false;
            loop {
                // Watch for the caller dropping the stream while the
                // container is silent too, not only at the next send: a
                // container to be removed must go promptly.
                let next = {
                    let closed = std::pin::pin!(sender.closed());
                    match future::select(chunks.next(), closed).await {
                        Either::Left((next, _)) => next,
                        Either::Right(((), _)) => {
                            receiver_gone = true;
                            break;
                        }
                    }
                };
                let Some(chunk) = next else {
                    break;
                };
                let chunk = match chunk {
                    Ok(chunk) => chunk,
                    Err(err) => {
                        let _ = sender.send(Err(err)).await;
                        break;
                    }
                };
                let is_stderr = chunk.kind == StreamKind::Stderr;
                if is_stderr {
                    stderr.extend_from_slice(chunk.as_bytes());
                }
                let wanted = (is_stderr && want_stderr) || (!is_stderr && want_stdout);
                if wanted && sender.send(Ok(chunk)).await.is_err() {
                    receiver_gone = true;
                    break;
                }
            }
            drop(chunks);
            if receiver_gone {
                launched.abandon().await;
                return;
            }
            let outcome = match launched.finish().await {
                Ok(exit) => launched.check(exit, &stderr),
                Err(err) => Err(err),
            };
            if let Err(err) = outcome {
                let _ = sender.send(Err(err)).await;
            }
        });
        // The receiving end as a stream (`Unpin`, so callers can use
        // `try_next` on it directly).
        Ok(futures_util::stream::poll_fn(move |cx| {
            receiver.poll_recv(cx)
        }))
    }

    /// Start a command in a new container and return at once with the
    /// running [`Container`] (`docker run --detach`). With
    /// [`ContainerOptions::remove`] the daemon removes it when it exits.
    ///
    /// # Errors
    /// As for [`Containers::create`] and [`Container::start`].
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::options::{ContainerOptions, HostPort};
    /// // docker run -d --name web -p 8080:80 nginx
    /// let options = ContainerOptions::new().name("web").ports([(80, HostPort::port(8080))]);
    /// let web = docker
    ///     .containers()
    ///     .run_detached("nginx", &options)
    ///     .await?;
    /// println!("started {}", web.short_id());
    /// # Ok(()) }
    /// ```
    pub async fn run_detached(&self, image: &str, options: &ContainerOptions) -> Result<Container> {
        let api = self.docker.api_version().await?;
        // Detached whether or not the options say `detach`, as `docker run
        // -d` and docker-py's `run(detach=True)`: nothing will read the
        // streams, so none is attached.
        let request = options.to_request_for(image, api, Purpose::RunDetached)?;
        let mut container = self.create_from(image, &request).await?;
        if let Err(err) = container.start().await {
            remove_quietly(&container).await;
            return Err(err);
        }
        // The handle should say "running", not the "created" of before the start.
        match container.reload().await {
            Ok(()) => Ok(container),
            // Auto-removed already (a command that exits at once): the
            // handle from create is all there is.
            Err(err) if err.is_not_found() => Ok(container),
            Err(err) => Err(err),
        }
    }

    /// Create, attach, register the wait and start: everything before the
    /// output is read.
    async fn launch(
        &self,
        image: &str,
        options: &ContainerOptions,
    ) -> Result<(
        Launched,
        impl Stream<Item = Result<OutputChunk>> + Send + 'static,
    )> {
        if options.run_settings().detach() {
            return Err(Error::invalid(
                "detach",
                "run and run_stream read the output; use run_detached",
            ));
        }
        let api = self.docker.api_version().await?;
        let request = options.to_request_for(image, api, Purpose::RunAttached)?;
        let auto_remove = request.auto_remove();
        // Asked only for auto-removal, where the answer matters; it was
        // remembered from negotiation, so Docker sees no extra request.
        let remove_after_exit = auto_remove && self.docker.is_podman().await?;
        let (tty, command) = (request.tty(), request.command());
        // The docker CLI's four requests: create, attach, wait, start. The
        // run needs only the id, so no inspect follows the create.
        let id = self.create_id(image, &request).await?;
        let container = Container::from_summary(
            self.docker.clone(),
            models::ContainerSummary {
                id: Some(id),
                image: Some(image.to_owned()),
                ..Default::default()
            },
        );
        let condition = if auto_remove && !remove_after_exit {
            WaitCondition::Removed
        } else {
            WaitCondition::NextExit
        };
        let prepared = prepare(&container, condition).await;
        let (connection, wait) = match prepared {
            Ok(prepared) => prepared,
            Err(err) => {
                remove_quietly(&container).await;
                return Err(err);
            }
        };
        if let Err(err) = container.start().await {
            remove_quietly(&container).await;
            return Err(err);
        }
        let launched = Launched {
            container,
            wait,
            tty,
            auto_remove,
            remove_after_exit,
            image: image.to_owned(),
            command,
        };
        let output = launched.output(connection);
        Ok((launched, output))
    }
}

/// Attach and register the wait for `condition`, in that order, before the
/// start.
async fn prepare(
    container: &Container,
    condition: WaitCondition,
) -> Result<(HijackedConnection, PendingExit)> {
    let connection = container.attach_socket(&AttachOptions::new()).await?;
    let wait = PendingExit::register(container.docker(), container.id(), condition).await?;
    Ok((connection, wait))
}

/// A started container whose output and exit are still to be read.
struct Launched {
    container: Container,
    wait: PendingExit,
    tty: bool,
    auto_remove: bool,
    /// Podman's auto-removal: the wait is for `next-exit`, and the
    /// container is removed here once its status is read.
    remove_after_exit: bool,
    image: String,
    command: Vec<String>,
}

impl Launched {
    /// The container's output, read from the attached connection to its end.
    fn output(
        &self,
        connection: HijackedConnection,
    ) -> impl Stream<Item = Result<OutputChunk>> + Send + Unpin + 'static {
        let framing = stream::framing(connection.content_type(), self.tty);
        stream::demux_reader(
            connection,
            framing,
            "ContainerAttach",
            self.container.docker().host().to_string(),
        )
    }

    /// Take the exit status. With auto-removal the `removed` wait already
    /// saw the container go; on Podman it is removed here, after the
    /// `next-exit` wait answered.
    async fn finish(&self) -> Result<ContainerExit> {
        let exit = self.wait.exit().await;
        if self.remove_after_exit {
            let removed = self
                .container
                .remove(&RemoveOptions::new().force(true).v(true))
                .await;
            match removed {
                // The daemon's own auto-removal may have won the race.
                Err(err) if err.is_not_found() => {}
                // A failed wait is the error to report; the removal is
                // then best effort, as on the other error paths.
                Err(err) if exit.is_ok() => return Err(err),
                Err(_) | Ok(()) => {}
            }
        }
        exit
    }

    /// Turn a non-zero exit into [`Error::ContainerFailed`].
    fn check(&self, exit: ContainerExit, stderr: &[u8]) -> Result<()> {
        if exit.status_code == 0 {
            return Ok(());
        }
        Err(Error::ContainerFailed {
            id: self.container.id().to_owned(),
            image: self.image.clone(),
            command: self.command.clone(),
            exit_status: exit.status_code,
            stderr: String::from_utf8_lossy(stderr).into_owned(),
        })
    }

    /// The reader went away: make sure a container meant to be removed goes.
    async fn abandon(&self) {
        if self.auto_remove {
            remove_quietly(&self.container).await;
        }
    }
}

/// Force-remove a container we created, ignoring failures: used on error
/// paths, where the original error is the one to report.
async fn remove_quietly(container: &Container) {
    let removed = container
        .remove(&RemoveOptions::new().force(true).v(true))
        .await;
    if let Err(err) = removed {
        if !err.is_not_found() {
            tracing::debug!(%err, id = container.id(), "cleanup after a failed run");
        }
    }
}

/// A wait request the daemon has acknowledged (its response headers
/// arrived, so the wait is registered) but not yet answered.
struct PendingExit {
    body: tokio::sync::Mutex<Option<ResponseBody>>,
    host: String,
}

impl PendingExit {
    const OPERATION: &'static str = "ContainerWait";

    /// Send the wait and return once the daemon has registered it.
    async fn register(docker: &Docker, id: &str, condition: WaitCondition) -> Result<PendingExit> {
        let path = docker
            .path()
            .await?
            .literal("/containers/")
            .name("container", id)?
            .literal("/wait")
            .query("condition", condition.as_str());
        let response = docker
            .request(Self::OPERATION, http::Method::POST, &path, None)
            .await?;
        Ok(PendingExit {
            body: tokio::sync::Mutex::new(Some(response.into_body())),
            host: docker.host().to_string(),
        })
    }

    /// Read the daemon's answer: the exit status.
    async fn exit(&self) -> Result<ContainerExit> {
        let body = self.body.lock().await.take();
        let Some(body) = body else {
            return Err(Error::invalid("exit", "the exit status is read once"));
        };
        let (body, _) = body
            .read_up_to(WAIT_ANSWER_LIMIT)
            .await
            .map_err(|source| Error::transport(&self.host, Self::OPERATION, source))?;
        let answer: ContainerWaitResponse = serde_json::from_slice(&body)
            .map_err(|source| Error::decode(Self::OPERATION, &body, source))?;
        Ok(ContainerExit::from(answer))
    }
}

/// The most of a wait answer read (it is a small JSON object).
const WAIT_ANSWER_LIMIT: usize = 64 * 1024;
