//! [`ContainerOptions`]: everything optional about a new container, as
//! docker-py's `run`/`create` keywords.
//!
//! The builder only collects what the caller typed; [`request`] checks it
//! against the negotiated API version and turns it into the create request.
//! One file per family of options holds its setters, its value types and
//! how it fills the request.

// The families of setters, one file each (the struct's documentation
// lists them by task; rustdoc and rustfmt sort them by name).
mod customize;
mod devices;
mod health;
mod isolation;
mod logging;
mod mounts;
mod network;
mod ports;
mod process;
mod resources;
mod restart;
mod run_settings;
mod volumes;

// Value types and the request they fill.
mod bytes;
mod command;
mod kv;
mod limits;
mod proxy;
mod request;
mod user;
mod values;

pub(crate) use limits::{limit_setters, Limits};

pub use bytes::ByteSize;
pub use command::Command;
pub use devices::{Device, DeviceRequest};
pub use health::Healthcheck;
pub use kv::{KeyValue, KeyValues, MapValue};
pub use logging::LogConfig;
pub use mounts::{Mount, Propagation};
pub use network::{EndpointConfig, NetworkMode};
pub use ports::{ContainerPort, HostPort, HostPorts, Ports, Protocol};
pub use resources::Ulimit;
pub use restart::RestartPolicy;
pub use user::User;
pub use volumes::{VolumeBind, Volumes};

pub(crate) use request::{CreateRequest, Purpose};
pub(crate) use run_settings::RunSettings;

use crate::Error;

/// A value parsed from what the caller typed, or why it could not be (the
/// reason names the input; the option's keyword is added when reported).
pub(crate) type Parsed<T> = std::result::Result<T, String>;

/// An [`Error::InvalidArgument`] naming the option.
pub(crate) fn invalid(keyword: &str, detail: impl std::fmt::Display) -> Error {
    Error::invalid(keyword, detail.to_string())
}

/// Why a conversion failed: the argument it names and its reason, to be
/// reported under the option's keyword.
pub(crate) fn reason(err: impl Into<Error>) -> String {
    match err.into() {
        Error::InvalidArgument { argument, reason } => format!("{argument}: {reason}"),
        other => other.to_string(),
    }
}

/// The value of a parsed input, or the error naming the option.
fn parsed<T: Clone>(keyword: &str, value: &Parsed<T>) -> crate::Result<T> {
    value.clone().map_err(|reason| invalid(keyword, reason))
}

/// Everything optional about a new container: docker-py's `run`/`create`
/// keywords as chained setters, under the same names.
///
/// Setters accept the forms people type — byte sizes as `"128m"` or
/// numbers, ports as `8080` or `"2222/udp"`, environments as maps or
/// `"K=V"` lists, commands as strings (split like a shell) or lists — and
/// never fail or panic: a malformed value is kept and reported when the
/// container is created, as [`Error::InvalidArgument`] naming the keyword,
/// before any request is sent. So are invalid combinations (`network` with
/// `network_mode`, ports with host networking, …) and options that the
/// daemon's API version does not have, which name the version they need.
///
/// Calling a setter again replaces the earlier value.
///
/// **The common dozen:** [`name`](Self::name), [`command`](Self::command),
/// [`entrypoint`](Self::entrypoint), [`environment`](Self::environment),
/// [`labels`](Self::labels), [`user`](Self::user),
/// [`working_dir`](Self::working_dir), [`ports`](Self::ports),
/// [`volumes`](Self::volumes), [`network`](Self::network),
/// [`restart_policy`](Self::restart_policy) and [`remove`](Self::remove).
///
/// **The setters by task**, each group below with an example beside the
/// `docker run` flags it stands for:
/// [the container and the run](#the-container-and-the-run) (name, platform,
/// what `run` returns and removes) ·
/// [what runs](#what-runs) (command, environment, user, labels, …) ·
/// [ports](#ports) · [networks and names](#networks-and-names) ·
/// [volumes](#volumes) · [mounts](#mounts) · [resources](#resources) ·
/// [restart](#restart) · [health](#health) ·
/// [security and isolation](#security-and-isolation) ·
/// [devices](#devices) · [logging](#logging) ·
/// [fields the builder lacks](#fields-the-builder-lacks) (`customize`).
///
/// ```no_run
/// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
/// use std::time::Duration;
/// use dockhand::options::{ContainerOptions, Healthcheck, HostPort, RestartPolicy};
///
/// let options = ContainerOptions::new()
///     .name("web")
///     .command("nginx -g 'daemon off;'")
///     .environment(["MODE=production", "TZ=UTC"])
///     .labels([("team", "web")])
///     .ports([("80/tcp", HostPort::port(8080))]) // -p 8080:80
///     .volumes(["/srv/www:/usr/share/nginx/html:ro"])
///     .mem_limit("256m")
///     .restart_policy(RestartPolicy::on_failure(3))
///     .healthcheck(
///         Healthcheck::shell("wget -q -O- localhost || exit 1")
///             .interval(Duration::from_secs(10))
///             .retries(3),
///     );
/// let web = docker.containers().create("nginx:alpine", &options).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ContainerOptions {
    // One family of settings per field, each kept, checked and applied
    // to the request in its own file.
    query: run_settings::CreateQuery,
    run: run_settings::RunSettings,
    process: process::ProcessOptions,
    health: health::HealthOptions,
    network: network::NetworkOptions,
    ports: ports::PortOptions,
    volumes: volumes::VolumeOptions,
    mounts: mounts::MountOptions,
    devices: devices::DeviceOptions,
    resources: resources::ResourceOptions,
    isolation: isolation::IsolationOptions,
    restart: restart::RestartOptions,
    logging: logging::LoggingOptions,
    customize: Option<customize::Customize>,
}

/// Collect a list option's items as strings.
fn strings<I>(items: I) -> Vec<String>
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    items.into_iter().map(Into::into).collect()
}
