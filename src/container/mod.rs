//! Containers: the collection ([`Containers`]) and the handle ([`Container`]).

mod collection;
mod exec;
mod lifecycle;
mod logs;
mod options;
pub use options::{
    ByteSize, Command, ContainerOptions, ContainerPort, Device, DeviceRequest, EndpointConfig,
    Healthcheck, HostPort, HostPorts, KeyValue, KeyValues, LogConfig, MapValue, Mount, NetworkMode,
    Ports, Propagation, Protocol, RestartPolicy, Ulimit, VolumeBind, Volumes,
};
mod params;
mod run;
mod state;

pub use collection::Containers;
pub use exec::{Exec, ExecOptions, ExecOutput, ExecResult};
pub use logs::{AttachOptions, LogTime, LogsOptions};
pub use params::{
    ContainerExit, KillOptions, ListOptions, PruneReport, RemoveOptions, Signal, StopOptions,
    WaitCondition, WaitOptions,
};
pub use state::{ContainerStatus, HealthStatus};

mod archive;
pub use archive::{ArchiveBody, PathStat};
mod introspect;
pub use introspect::{ChangeKind, CommitOptions, FilesystemChange, ProcessList, TopOptions};
mod update;
pub use update::UpdateOptions;

use std::collections::HashMap;

use crate::{models, Docker, Error, Result};

/// The length of the id prefix docker shows (`docker ps`).
const SHORT_ID_LEN: usize = 12;

/// A container's attributes as the daemon last reported them.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ContainerAttrs {
    /// The full attributes, from inspect (`docker inspect`).
    Inspected(Box<models::ContainerInspectResponse>),
    /// The summary a list returns (`docker ps`), from `list` with `sparse`.
    Summary(Box<models::ContainerSummary>),
}

/// One container: its id, the attributes read when the handle was made, and
/// the client it came from.
///
/// Attributes are a snapshot: call [`Container::reload`] to refresh them.
/// Equality is by id.
///
/// ```no_run
/// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
/// let container = docker.containers().get("web").await?;
/// println!("{} ({}) is {}", container.name(), container.short_id(), container.status());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Container {
    docker: Docker,
    id: String,
    attrs: ContainerAttrs,
}

impl Container {
    /// A handle from full inspect attributes.
    pub(crate) fn from_inspect(docker: Docker, attrs: models::ContainerInspectResponse) -> Self {
        Container {
            docker,
            id: attrs.id.clone().unwrap_or_default(),
            attrs: ContainerAttrs::Inspected(Box::new(attrs)),
        }
    }

    /// A handle from a list summary.
    pub(crate) fn from_summary(docker: Docker, summary: models::ContainerSummary) -> Self {
        Container {
            docker,
            id: summary.id.clone().unwrap_or_default(),
            attrs: ContainerAttrs::Summary(Box::new(summary)),
        }
    }

    /// The full container id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The first 12 characters of the id, as `docker ps` shows it.
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(SHORT_ID_LEN)]
    }

    /// The attributes as last read from the daemon.
    pub fn attrs(&self) -> &ContainerAttrs {
        &self.attrs
    }

    /// The full inspect attributes, or [`Error::SparseAttributes`] naming
    /// `property` when this handle holds only a list summary.
    fn inspected(&self, property: &'static str) -> Result<&models::ContainerInspectResponse> {
        match &self.attrs {
            ContainerAttrs::Inspected(attrs) => Ok(attrs),
            ContainerAttrs::Summary(_) => Err(Error::SparseAttributes { property }),
        }
    }

    /// The client this handle uses.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The container's name, without the leading `/` the API adds.
    pub fn name(&self) -> &str {
        let name = match &self.attrs {
            ContainerAttrs::Inspected(attrs) => attrs.name.as_deref(),
            ContainerAttrs::Summary(summary) => summary
                .names
                .as_ref()
                .and_then(|names| names.first())
                .map(String::as_str),
        };
        let name = name.unwrap_or_default();
        name.strip_prefix('/').unwrap_or(name)
    }

    /// The id of the image the container was created from (`sha256:…`).
    pub fn image_id(&self) -> Option<&str> {
        match &self.attrs {
            ContainerAttrs::Inspected(attrs) => attrs.image.as_deref(),
            ContainerAttrs::Summary(summary) => summary.image_id.as_deref(),
        }
    }

    /// The container's labels (empty when it has none).
    pub fn labels(&self) -> HashMap<String, String> {
        let labels = match &self.attrs {
            ContainerAttrs::Inspected(attrs) => attrs
                .config
                .as_ref()
                .and_then(|config| config.labels.clone()),
            ContainerAttrs::Summary(summary) => summary.labels.clone(),
        };
        labels.unwrap_or_default()
    }

    /// The lifecycle state: created, running, paused, exited, …
    pub fn status(&self) -> ContainerStatus {
        let text = match &self.attrs {
            ContainerAttrs::Inspected(attrs) => attrs
                .state
                .as_ref()
                .and_then(|state| state.as_ref())
                .and_then(|state| state.status.as_deref()),
            ContainerAttrs::Summary(summary) => summary.state.as_deref(),
        };
        ContainerStatus::from(text.unwrap_or(""))
    }

    /// The health-check state; [`HealthStatus::default`] (`unknown`) when
    /// the container reports none.
    ///
    /// # Errors
    /// [`Error::SparseAttributes`] on a list summary from a daemon that does
    /// not put health in summaries.
    pub fn health(&self) -> Result<HealthStatus> {
        let text = match &self.attrs {
            ContainerAttrs::Summary(summary) => match &summary.health {
                Some(health) => health.status.as_deref(),
                None => return Err(Error::SparseAttributes { property: "health" }),
            },
            ContainerAttrs::Inspected(attrs) => attrs
                .state
                .as_ref()
                .and_then(|state| state.as_ref())
                .and_then(|state| state.health.as_ref())
                .and_then(|health| health.as_ref())
                .and_then(|health| health.status.as_deref()),
        };
        Ok(text.map(HealthStatus::from).unwrap_or_default())
    }

    /// The published ports: `"80/tcp"` → the host bindings (`None` for an
    /// exposed port that is not published).
    ///
    /// # Errors
    /// [`Error::SparseAttributes`] on a list summary.
    pub fn ports(&self) -> Result<HashMap<String, Option<Vec<models::PortBinding>>>> {
        let attrs = self.inspected("ports")?;
        Ok(attrs
            .network_settings
            .as_ref()
            .and_then(|settings| settings.ports.as_ref())
            .map(|ports| ports.0.clone())
            .unwrap_or_default())
    }

    /// Read the attributes again from the daemon.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the container is gone.
    ///
    /// ```no_run
    /// # async fn demo(mut container: dockhand::Container) -> dockhand::Result<()> {
    /// container.reload().await?;
    /// # Ok(()) }
    /// ```
    pub async fn reload(&mut self) -> Result<()> {
        let fresh = self.docker.containers().get(&self.id).await?;
        self.attrs = fresh.attrs;
        Ok(())
    }
}

impl PartialEq for Container {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Container {}
