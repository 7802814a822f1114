//! Containers: the collection ([`Containers`]) and the handle ([`Container`]).

mod collection;

pub use collection::Containers;

use crate::{models, Docker};

/// The length of the id prefix docker shows (`docker ps`).
const SHORT_ID_LEN: usize = 12;

/// One container: its id, the attributes read when the handle was made, and
/// the client it came from.
///
/// Cloning is cheap in the sense of sharing the client; equality is by id.
///
/// ```no_run
/// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
/// let container = docker.containers().get("web").await?;
/// println!("{} is {}", container.name(), container.short_id());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Container {
    docker: Docker,
    id: String,
    attrs: models::ContainerInspectResponse,
}

impl Container {
    /// The full container id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The first 12 characters of the id, as `docker ps` shows it.
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(SHORT_ID_LEN)]
    }

    /// The container's name, without the leading `/` the API adds.
    pub fn name(&self) -> &str {
        let name = self.attrs.name.as_deref().unwrap_or_default();
        name.strip_prefix('/').unwrap_or(name)
    }

    /// The attributes as the daemon reported them when this handle was made
    /// (`docker inspect`).
    pub fn attrs(&self) -> &models::ContainerInspectResponse {
        &self.attrs
    }

    /// The client this handle uses.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }
}

impl PartialEq for Container {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Container {}
