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

use crate::container::attached::PendingExit;
use crate::container::logs::ATTACH;
use crate::container::options::{ContainerOptions, CreateRequest, Purpose, RunSettings};
use crate::container::params::{RemoveOptions, WaitCondition};
use crate::container::reports::ContainerExit;
use crate::models;
use crate::stream::{OutputChunk, StreamKind};
use crate::{
    AttachOptions, AttachedProcess, Container, Containers, Error, HijackedConnection, ProcessEnd,
    Resource, Result,
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
        let (mut launched, process) = self.launch(image, options).await?;
        let (mut chunks, end) = process.output();
        let mut output = Vec::new();
        let mut read_error = None;
        while let Some(chunk) = chunks.next().await {
            match chunk {
                Ok(chunk) => {
                    if let Some(wanted) = launched.sift(chunk) {
                        output.extend_from_slice(wanted.as_bytes());
                    }
                }
                Err(err) => {
                    read_error = Some(err);
                    break;
                }
            }
        }
        drop(chunks);
        let exit = end.wait().await;
        if let Some(err) = read_error {
            return Err(err);
        }
        launched.check(exit?)?;
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
        let (mut launched, process) = self.launch(image, options).await?;
        let (chunks, end) = process.output();
        // A task pumps the output through a small channel: the caller sees
        // chunks as they arrive, memory stays bounded by the channel, and the
        // wait and removal still complete if the caller stops reading.
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<OutputChunk>>(16);
        tokio::spawn(async move {
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
                let Some(wanted) = launched.sift(chunk) else {
                    continue;
                };
                if sender.send(Ok(wanted)).await.is_err() {
                    receiver_gone = true;
                    break;
                }
            }
            drop(chunks);
            if receiver_gone {
                launched.abandon().await;
                return;
            }
            let outcome = match end.wait().await {
                Ok(exit) => launched.check(exit),
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
    ) -> Result<(Launched, AttachedProcess)> {
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
        let removal = remove_after_exit.then(|| container.clone());
        let end = ProcessEnd::registered(wait, removal);
        let process = AttachedProcess::new(connection, request.tty(), ATTACH, end);
        let launched = Launched {
            container,
            auto_remove,
            image: image.to_owned(),
            command: request.command(),
            run: *options.run_settings(),
            stderr: Vec::new(),
        };
        Ok((launched, process))
    }
}

/// Attach and register the wait for `condition`, in that order, before the
/// start.
async fn prepare(
    container: &Container,
    condition: WaitCondition,
) -> Result<(HijackedConnection, PendingExit)> {
    let connection = container.attach_connection(&AttachOptions::new()).await?;
    let wait = PendingExit::register(container, condition).await?;
    Ok((connection, wait))
}

/// A started container: what `run` needs besides its output and its end.
struct Launched {
    container: Container,
    auto_remove: bool,
    image: String,
    command: Vec<String>,
    /// Which output the run returns.
    run: RunSettings,
    /// The stderr seen, for the error of a failed command.
    stderr: Vec<u8>,
}

impl Launched {
    /// Keep what the error of a failed command needs of `chunk`, and
    /// return it if the run returns its stream.
    fn sift(&mut self, chunk: OutputChunk) -> Option<OutputChunk> {
        if chunk.kind == StreamKind::Stderr {
            self.stderr.extend_from_slice(chunk.as_bytes());
        }
        self.run.wants(chunk.kind).then_some(chunk)
    }

    /// Turn a non-zero exit into [`Error::ContainerFailed`].
    fn check(&self, exit: ContainerExit) -> Result<()> {
        if exit.status_code == 0 {
            return Ok(());
        }
        Err(Error::ContainerFailed {
            id: self.container.id().to_owned(),
            image: self.image.clone(),
            command: self.command.clone(),
            exit_status: exit.status_code,
            stderr: String::from_utf8_lossy(&self.stderr).into_owned(),
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
