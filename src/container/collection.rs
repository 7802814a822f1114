//! The container collection: looking containers up.

use crate::{Container, Docker, Error, Result};

/// The daemon's containers, from [`Docker::containers`].
#[derive(Clone, Debug)]
pub struct Containers {
    docker: Docker,
}

impl Docker {
    /// The container collection.
    pub fn containers(&self) -> Containers {
        Containers {
            docker: self.clone(),
        }
    }
}

impl Containers {
    /// The container with this id, id prefix or name.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is none.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let web = docker.containers().get("web").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, id_or_name: &str) -> Result<Container> {
        if id_or_name.is_empty() {
            return Err(Error::invalid("container id or name must not be empty"));
        }
        let raw = self.docker.raw().await?;
        let attrs = self
            .docker
            .call("ContainerInspect", raw.container_inspect(id_or_name, None))
            .await?
            .into_inner();
        let id = attrs.id.clone().unwrap_or_default();
        Ok(Container {
            docker: self.docker.clone(),
            id,
            attrs,
        })
    }

    /// Like [`Containers::get`], but a missing container is `Ok(None)`.
    ///
    /// # Errors
    /// Any error of [`Containers::get`] other than not found.
    pub async fn get_opt(&self, id_or_name: &str) -> Result<Option<Container>> {
        match self.get(id_or_name).await {
            Ok(container) => Ok(Some(container)),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(err),
        }
    }
}
