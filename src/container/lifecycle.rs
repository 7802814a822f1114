//! Changing a container's state: start, stop, restart, kill, pause,
//! unpause, remove, rename, resize, wait.

use crate::container::container_segment;
use crate::container::params::{KillOptions, RemoveOptions, StopOptions, WaitOptions};
use crate::container::reports::ContainerExit;
use crate::{Container, Error, Result};

impl Container {
    /// Start the container (`docker start`). Starting a running container
    /// is not an error, as with the docker CLI.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the container is gone; [`Error::Api`] when the
    /// daemon cannot start it (e.g. its command does not exist).
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// container.start().await?;
    /// # Ok(()) }
    /// ```
    pub async fn start(&self) -> Result<()> {
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        let result = self
            .docker
            .call("ContainerStart", raw.container_start(id, None))
            .await;
        already_done_is_ok(result)
    }

    /// Stop the container (`docker stop`): the stop signal, then `SIGKILL`
    /// after the timeout. Stopping a stopped container is not an error.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the container is gone;
    /// [`Error::InvalidArgument`] for a [`StopOptions::signal`] on a daemon
    /// before API 1.42.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use std::time::Duration;
    /// container.stop(&dockhand::StopOptions::new().timeout(Duration::from_secs(1))).await?;
    /// # Ok(()) }
    /// ```
    pub async fn stop(&self, options: &StopOptions) -> Result<()> {
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        let signal = options.signal_for(self.docker.api_version().await?)?;
        let result = self
            .docker
            .call(
                "ContainerStop",
                raw.container_stop(id, signal, options.seconds()),
            )
            .await;
        already_done_is_ok(result)
    }

    /// Restart the container (`docker restart`).
    ///
    /// # Errors
    /// [`Error::NotFound`] if the container is gone.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// container.restart(&dockhand::StopOptions::new()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn restart(&self, options: &StopOptions) -> Result<()> {
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        let signal = options.signal_for(self.docker.api_version().await?)?;
        self.docker
            .call(
                "ContainerRestart",
                raw.container_restart(id, signal, options.seconds()),
            )
            .await?;
        Ok(())
    }

    /// Send a signal (`SIGKILL` unless told otherwise) to the container's
    /// main process (`docker kill`).
    ///
    /// # Errors
    /// [`Error::Conflict`] if the container is not running;
    /// [`Error::Api`] (400) for an unknown signal.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// container.kill(&dockhand::KillOptions::new().signal("SIGHUP")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn kill(&self, options: &KillOptions) -> Result<()> {
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        let signal = options.signal.as_ref().map(|signal| signal.as_str());
        self.docker
            .call("ContainerKill", raw.container_kill(id, signal))
            .await?;
        Ok(())
    }

    /// Freeze the container's processes (`docker pause`).
    ///
    /// # Errors
    /// [`Error::Conflict`] if the container is not running or already paused.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// container.pause().await?;
    /// container.unpause().await?;
    /// # Ok(()) }
    /// ```
    pub async fn pause(&self) -> Result<()> {
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        self.docker
            .call("ContainerPause", raw.container_pause(id))
            .await?;
        Ok(())
    }

    /// Thaw a paused container (`docker unpause`).
    ///
    /// # Errors
    /// [`Error::Conflict`] if the container is not paused.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// container.unpause().await?;
    /// # Ok(()) }
    /// ```
    pub async fn unpause(&self) -> Result<()> {
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        self.docker
            .call("ContainerUnpause", raw.container_unpause(id))
            .await?;
        Ok(())
    }

    /// Remove the container (`docker rm`), or with
    /// [`RemoveOptions::link`] the link this handle was looked up by
    /// (`docker rm --link /parent/alias`: get the handle with
    /// `containers().get("/parent/alias")`; the link's name, not the linked
    /// container's id, is what is removed).
    ///
    /// # Errors
    /// [`Error::Conflict`] if it is running and `force` is not set;
    /// [`Error::NotFound`] if it is already gone.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// container.remove(&dockhand::RemoveOptions::new().force(true).v(true)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn remove(&self, options: &RemoveOptions) -> Result<()> {
        let id = match (&self.given, options.link) {
            (Some(given), true) => container_segment(given)?,
            _ => self.path_id()?,
        };
        let raw = self.docker.raw().await?;
        self.docker
            .call(
                "ContainerDelete",
                raw.container_delete(id, Some(options.force), Some(options.link), Some(options.v)),
            )
            .await?;
        Ok(())
    }

    /// Rename the container (`docker rename`). This handle keeps the old
    /// name in its attributes until [`Container::reload`].
    ///
    /// # Errors
    /// [`Error::Conflict`] if the name is taken; [`Error::InvalidArgument`]
    /// for an empty name.
    ///
    /// ```no_run
    /// # async fn demo(mut container: dockhand::Container) -> dockhand::Result<()> {
    /// container.rename("web-old").await?;
    /// container.reload().await?;
    /// assert_eq!(container.name(), "web-old");
    /// # Ok(()) }
    /// ```
    pub async fn rename(&self, name: &str) -> Result<()> {
        if name.is_empty() {
            return Err(Error::invalid("rename", "the new name must not be empty"));
        }
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        self.docker
            .call("ContainerRename", raw.container_rename(id, name))
            .await?;
        Ok(())
    }

    /// Resize the container's TTY (`height` rows by `width` columns).
    ///
    /// # Errors
    /// [`Error::Api`] if the container has no TTY or is not running.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// container.resize(50, 160).await?;
    /// # Ok(()) }
    /// ```
    pub async fn resize(&self, height: u32, width: u32) -> Result<()> {
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        let response = self
            .docker
            .call(
                "ContainerResize",
                raw.container_resize(id, height.into(), width.into()),
            )
            .await?;
        drop(response);
        Ok(())
    }

    /// Wait for the container to stop (or for another
    /// [`WaitCondition`](crate::WaitCondition)) and return its exit status.
    ///
    /// # Errors
    /// [`Error::Timeout`] when the options' time limit passes first;
    /// [`Error::NotFound`] if the container is gone.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// let exit = container.wait(&dockhand::WaitOptions::new()).await?;
    /// println!("exited with {}", exit.status_code);
    /// # Ok(()) }
    /// ```
    pub async fn wait(&self, options: &WaitOptions) -> Result<ContainerExit> {
        const OPERATION: &str = "ContainerWait";
        let id = self.path_id()?;
        let raw = self.docker.raw().await?;
        let request = self.docker.call(
            OPERATION,
            raw.container_wait(id, Some(options.condition.to_raw())),
        );
        let response = match options.timeout {
            None => request.await?,
            Some(after) => {
                tokio::time::timeout(after, request)
                    .await
                    .map_err(|_| Error::Timeout {
                        operation: OPERATION,
                        after,
                    })??
            }
        };
        Ok(ContainerExit::from(response.into_inner()))
    }
}

/// Starting a running container or stopping a stopped one answers 304;
/// like the docker CLI, treat it as success.
fn already_done_is_ok<T>(result: Result<T>) -> Result<()> {
    match result {
        Ok(_) | Err(Error::NotModified { .. }) => Ok(()),
        Err(err) => Err(err),
    }
}
