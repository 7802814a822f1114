//! dockhand: a typed, async client for the Docker Engine API.
//!
//! ```no_run
//! # async fn demo() -> dockhand::Result<()> {
//! // Connect like the docker CLI: DOCKER_HOST, DOCKER_API_VERSION, …
//! let docker = dockhand::Docker::from_env()?;
//!
//! // The API version is negotiated with the daemon on the first request.
//! let version = docker.version().await?;
//! println!("Docker {:?}, API {}", version.version, docker.api_version().await?);
//!
//! // Look a container up; a missing one is a typed error.
//! match docker.containers().get_opt("web").await? {
//!     Some(container) => println!("web is {}", container.id()),
//!     None => println!("no container named web"),
//! }
//! # Ok(()) }
//! ```
//!
//! The crate has two layers:
//!
//! - the facade — [`Docker`], [`Containers`], [`Container`] and [`Error`] —
//!   written by hand for everyday use;
//! - [`raw`], the complete client generated from the Engine API definition in
//!   `spec/`, reachable through [`Docker::raw`] for anything the facade does
//!   not cover yet. Its model types are re-exported as [`models`].
//!
//! # Options
//!
//! Every call that has settings takes them one way: an options builder
//! (`XOptions::new()` and chained setters, which take their values by
//! value: strings as `impl Into<String>`, richer values as `impl Into<T>`
//! of a type that says what it holds, such as [`options::User`]), passed
//! **by reference**, so one set of options serves many calls. Filters are
//! passed the same way.
//!
//! ```no_run
//! # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
//! use dockhand::{ContainerOptions, Filters, ListOptions, LogsOptions};
//! let options = ContainerOptions::new().command("echo hi").user(1000);
//! for _ in 0..3 {
//!     docker.containers().run("busybox", &options).await?;
//! }
//! let mine = ListOptions::new().all(true).filters(Filters::new().label("app=web"));
//! for container in docker.containers().list(&mine).await? {
//!     let tail = container.logs(&LogsOptions::new().tail(10)).await?;
//!     println!("{}: {}", container.name(), String::from_utf8_lossy(&tail));
//! }
//! docker.containers().prune(&Filters::new().label("app=web")).await?;
//! # Ok(()) }
//! ```

mod auth;
mod builder;
mod client;
mod container;
mod context;
mod discovery;
mod error;
mod events;
mod filters;
#[cfg(test)]
mod fuzz_tests;
mod hijack;
mod hooks;
mod host;
mod image;
mod network;
pub mod raw;
mod raw_streams;
mod stream;
mod system;
mod transport;
mod version;
mod volume;

pub use auth::{Credentials, DockerConfig, DOCKER_HUB_AUTH_KEY};
pub use builder::{
    DockerBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUT,
};
pub use client::Docker;
pub use container::{
    ArchiveBody, AttachOptions, AttachedProcess, ChangeKind, CommitOptions, Container,
    ContainerAttrs, ContainerExit, ContainerOptions, ContainerStatus, Containers, Exec,
    ExecOptions, ExecOutput, ExecResult, FilesystemChange, HealthStatus, HttpCheck, KillOptions,
    ListOptions, LogLine, LogSource, LogTime, LogsOptions, PathStat, ProcessEnd, ProcessList,
    PruneReport, PublishedPort, Ready, RemoveOptions, Signal, StopOptions, TopOptions,
    UpdateOptions, WaitCondition, WaitOptions,
};
pub use context::{DockerContext, DEFAULT_CONTEXT};
pub use error::{BoxError, Error, Resource, Result};
pub use events::{Event, EventAction, EventType, EventsOptions};
pub use filters::Filters;
pub use hijack::HijackedConnection;
pub use host::{DockerHost, DEFAULT_UNIX_SOCKET};
pub use image::{
    BuildContext, BuildOptions, BuildProgress, Image, ImageListOptions, ImageRemoveOptions, Images,
    ImportOptions, LayerPhase, LayerProgress, PullOptions, PullProgress, PushOptions, PushProgress,
    PushResult, Reference, RemovedImage,
};
pub use network::{ContainerRef, IpamPool, Network, NetworkCreateOptions, Networks};
pub use stream::{OutputChunk, StreamKind};
pub use system::Ping;
pub use version::ApiVersion;
pub use volume::{Volume, VolumeCreateOptions, Volumes};

/// The value types [`ContainerOptions`] and [`UpdateOptions`] take: byte
/// sizes, commands, ports, volumes, mounts, devices, restart policies, …,
/// each accepting the forms users type (`"128m"`, `"8080/udp"`,
/// `"/src:/dst:ro"`).
pub mod options {
    pub use crate::container::{
        ByteSize, Command, ContainerOptions, ContainerPort, Device, DeviceRequest, EndpointConfig,
        Healthcheck, HostPort, HostPorts, KeyValue, KeyValues, LogConfig, MapValue, Mount,
        NetworkMode, Ports, Propagation, Protocol, RestartPolicy, Ulimit, User, VolumeBind,
        Volumes,
    };
}

/// The Engine API's model types (container, image, system info, …), as
/// generated from the spec.
pub use raw::types as models;
