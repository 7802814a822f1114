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

mod client;
mod container;
mod error;
mod hooks;
mod host;
pub mod raw;
mod system;
mod transport;
mod version;

pub use client::{Docker, DockerBuilder};
pub use container::{Container, Containers};
pub use error::{BoxError, Error, Result};
pub use host::{DockerHost, DEFAULT_UNIX_SOCKET};
pub use system::Ping;
pub use version::ApiVersion;

/// The Engine API's model types (container, image, system info, …), as
/// generated from the spec.
pub use raw::types as models;
