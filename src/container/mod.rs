//! Containers: the collection ([`Containers`]) and the handle ([`Container`]).

mod attached;
pub use attached::{AttachedProcess, ProcessEnd};
mod collection;
mod exec;
mod lifecycle;
mod logs;
mod options;
pub use options::{
    ByteSize, Command, ContainerOptions, ContainerPort, Device, DeviceRequest, EndpointConfig,
    Healthcheck, HostPort, HostPorts, KeyValue, KeyValues, LogConfig, MapValue, Mount, NetworkMode,
    Ports, Propagation, Protocol, RestartPolicy, Ulimit, User, VolumeBind, Volumes,
};
mod params;
mod ports;
mod reports;
pub use ports::PublishedPort;
mod ready;
pub use ready::{HttpCheck, LogLine, LogSource, Ready};
mod run;
mod state;

pub use collection::Containers;
pub use exec::{Exec, ExecOptions, ExecOutput, ExecResult};
pub use logs::{AttachOptions, LogTime, LogsOptions};
pub use params::{
    KillOptions, ListOptions, RemoveOptions, Signal, StopOptions, WaitCondition, WaitOptions,
};
pub use reports::{ContainerExit, PruneReport};
pub use state::{ContainerStatus, HealthStatus};

mod archive;
pub use archive::{ArchiveBody, PathStat};
mod introspect;
pub use introspect::{ChangeKind, CommitOptions, FilesystemChange, ProcessList, TopOptions};
mod update;
pub use update::UpdateOptions;

use std::collections::HashMap;

use crate::transport::path::{check_name, ApiPath};
use crate::{models, Docker, Error, Result};

/// The length of the id prefix docker shows (`docker ps`).
const SHORT_ID_LEN: usize = 12;

/// A container id or name as its path segment: without the leading `/` of
/// the API's name form (`/web` is `web`; dockerd would answer the `//` in
/// its path with a redirect), and refused by [`check_name`] when it could
/// address anything but one container.
pub(crate) fn container_segment(id_or_name: &str) -> Result<&str> {
    let name = id_or_name.strip_prefix('/').unwrap_or(id_or_name);
    check_name("container", name)
}

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
    /// The id or name this handle was looked up by (see
    /// [`Containers::get`]): what [`Container::remove`] with `link` removes,
    /// as a link's name (`/parent/alias`) resolves to the linked container.
    given: Option<String>,
}

impl Container {
    /// A handle from full inspect attributes.
    pub(crate) fn from_inspect(docker: Docker, attrs: models::ContainerInspectResponse) -> Self {
        Container {
            docker,
            id: attrs.id.clone().unwrap_or_default(),
            attrs: ContainerAttrs::Inspected(Box::new(attrs)),
            given: None,
        }
    }

    /// A handle to the same container carrying its id alone, for work kept
    /// for later that needs nothing else (waiting for its exit), without a
    /// copy of the attributes.
    pub(crate) fn id_only(&self) -> Container {
        let summary = models::ContainerSummary {
            id: Some(self.id.clone()),
            ..Default::default()
        };
        Container::from_summary(self.docker.clone(), summary)
    }

    /// Remember the id or name the handle was looked up by.
    pub(crate) fn looked_up_as(mut self, id_or_name: &str) -> Self {
        self.given = Some(id_or_name.to_owned());
        self
    }

    /// A handle from a list summary.
    pub(crate) fn from_summary(docker: Docker, summary: models::ContainerSummary) -> Self {
        Container {
            docker,
            id: summary.id.clone().unwrap_or_default(),
            attrs: ContainerAttrs::Summary(Box::new(summary)),
            given: None,
        }
    }

    /// The full container id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The id for a request path, checked: it came from the daemon.
    fn path_id(&self) -> Result<&str> {
        container_segment(&self.id)
    }

    /// `/containers/{id}{action}` on the negotiated API version, for the
    /// endpoints the generated client cannot serve (streams, upgrades).
    pub(crate) async fn endpoint(&self, action: &'static str) -> Result<ApiPath> {
        let id = self.path_id()?;
        Ok(self
            .docker
            .path()
            .await?
            .literal("/containers/")
            .name("container", id)?
            .literal(action))
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

    /// The container's ports and the host addresses each is published on
    /// (`docker port`), sorted by port. Works on list summaries too.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// for port in container.ports()? {
    ///     println!("{}/{} -> {:?}", port.port, port.protocol, port.host);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// None today; a `Result` so that a summary without ports can say so.
    pub fn ports(&self) -> Result<Vec<PublishedPort>> {
        Ok(match &self.attrs {
            ContainerAttrs::Inspected(attrs) => attrs
                .network_settings
                .as_ref()
                .and_then(|settings| settings.ports.as_ref())
                .map(ports::from_port_map)
                .unwrap_or_default(),
            ContainerAttrs::Summary(summary) => summary
                .ports
                .as_deref()
                .map(ports::from_summary)
                .unwrap_or_default(),
        })
    }

    /// The host address a container port is published on, ready to connect
    /// to from the daemon's machine: IPv4 preferred, `0.0.0.0` read as
    /// `127.0.0.1` ([`PublishedPort::local_address`]). A bare number is a
    /// TCP port; `"53/udp"` or `(53, Protocol::Udp)` name another protocol.
    ///
    /// The attributes are those the handle holds: `run_detached` reads them
    /// after the start; after [`Container::start`] call
    /// [`Container::reload`] first, since ports are bound at start.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// let address = container.host_port(80)?;
    /// println!("http://{address}/");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::PortNotPublished`] when the port has no host binding;
    /// [`Error::InvalidArgument`] for a malformed port.
    pub fn host_port(&self, port: impl Into<ContainerPort>) -> Result<std::net::SocketAddr> {
        let (port, protocol) = port.into().value()?;
        self.ports()?
            .iter()
            .find(|published| published.port == port && published.protocol == protocol)
            .and_then(PublishedPort::local_address)
            .ok_or_else(|| Error::PortNotPublished {
                container: self.name().to_owned(),
                port: format!("{port}/{protocol}"),
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid<T>(result: Result<T>) -> bool {
        matches!(result, Err(Error::InvalidArgument { .. }))
    }

    #[test]
    fn container_segments_drop_the_name_slash_and_refuse_other_paths() {
        let id = "738770f847d1e6b66a6317e2f5db508026e17687ff8c93371d7876261291e67f";
        for (given, segment) in [
            ("web", "web"),
            ("/web", "web"),
            ("a.b_c-d", "a.b_c-d"),
            (id, id),
        ] {
            assert_eq!(container_segment(given).unwrap(), segment);
        }
        // Not refused, but encoded into one segment by the path builders.
        for kept in ["x/../../images/json?", "a b", "a%2Fb", "//web"] {
            assert!(container_segment(kept).is_ok(), "{kept:?}");
        }
        for bad in ["", "/", ".", "..", "/..", "..\\..\\images", "a\0b", "a\nb"] {
            assert!(invalid(container_segment(bad)), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn hostile_ids_in_daemon_answers_are_refused_before_any_request() {
        // No daemon listens here and the version is pinned: any request
        // would be a transport error.
        let docker = Docker::builder()
            .host("unix:///nonexistent/dockhand.sock")
            .api_version("1.41")
            .build()
            .unwrap();
        for id in ["", ".", "..", "..\\containers\\victim", "a\0b", "a\nb"] {
            let attrs = models::ContainerInspectResponse {
                id: Some(id.to_owned()),
                ..Default::default()
            };
            let c = Container::from_inspect(docker.clone(), attrs);
            let refused = [
                invalid(c.start().await),
                invalid(c.stop(&StopOptions::new()).await),
                invalid(c.restart(&StopOptions::new()).await),
                invalid(c.kill(&KillOptions::new()).await),
                invalid(c.pause().await),
                invalid(c.unpause().await),
                invalid(c.remove(&RemoveOptions::new().force(true)).await),
                invalid(c.rename("new").await),
                invalid(c.resize(24, 80).await),
                invalid(c.wait(&WaitOptions::new()).await),
                invalid(c.logs(&LogsOptions::new()).await),
                invalid(c.attach_socket(&AttachOptions::new()).await),
                invalid(c.export().await),
                invalid(c.archive_stat("/").await),
                invalid(c.get_archive("/").await),
                invalid(c.put_archive("/", &b""[..]).await),
                invalid(c.diff().await),
                invalid(c.top(&TopOptions::new()).await),
                invalid(c.stats_once().await),
                invalid(c.stats_stream().await),
                invalid(c.update(&UpdateOptions::new()).await),
                invalid(c.exec_run("true", &ExecOptions::new()).await),
                invalid(c.clone().reload().await),
            ];
            let sent: Vec<usize> = (0..refused.len()).filter(|&i| !refused[i]).collect();
            assert!(sent.is_empty(), "{id:?}: calls {sent:?} were not refused");
        }
    }
}
