//! The [`Docker`] handle: where the daemon is, which API version to speak,
//! and the negotiation that decides it.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use progenitor_client::{Error as RawError, ResponseValue};
use tokio::sync::OnceCell;

use crate::error::{from_raw, DaemonMessage};
use crate::transport::{self, Transport};
use crate::{raw, ApiVersion, DockerHost, Error, Result};

/// A handle to one Docker daemon.
///
/// Cheap to clone: clones share the connection pool and the negotiated API
/// version. The API version is settled lazily, on the first request, the way
/// the docker CLI does it: the daemon's `/_ping` reports the newest version
/// it speaks and dockhand uses the older of that and [`ApiVersion::LATEST`].
/// Concurrent first requests wait for one shared negotiation. Pinning a
/// version (`DOCKER_API_VERSION` or [`DockerBuilder::api_version`]) skips it.
///
/// ```no_run
/// # async fn demo() -> dockhand::Result<()> {
/// let docker = dockhand::Docker::from_env()?;
/// let version = docker.version().await?;
/// println!("daemon {:?} speaking API {}", version.version, docker.api_version().await?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Docker {
    shared: Arc<Shared>,
}

/// What every clone of a [`Docker`] shares.
struct Shared {
    host: DockerHost,
    transport: Transport,
    /// The version fixed by the caller, if any.
    pinned: Option<ApiVersion>,
    /// Set once, by the first request: the version and a client bound to it.
    versioned: OnceCell<Versioned>,
    /// A client for the unversioned endpoints (`/_ping`).
    unversioned: raw::Client,
}

/// The generated client bound to the `/vX.Y` prefix of the settled version.
struct Versioned {
    version: ApiVersion,
    raw: raw::Client,
}

impl std::fmt::Debug for Docker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Docker")
            .field("host", &self.shared.host.to_string())
            .field("api_version", &self.negotiated_api_version())
            .finish()
    }
}

impl Docker {
    /// Connect the way the docker CLI does, from the environment:
    /// `DOCKER_HOST` (default `unix:///var/run/docker.sock`),
    /// `DOCKER_API_VERSION` (pins the version), `DOCKER_TLS_VERIFY` and
    /// `DOCKER_CERT_PATH`.
    ///
    /// No connection is made yet; the first request connects.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the value when a variable is malformed.
    ///
    /// ```no_run
    /// let docker = dockhand::Docker::from_env()?;
    /// # Ok::<(), dockhand::Error>(())
    /// ```
    pub fn from_env() -> Result<Docker> {
        DockerBuilder::from_env_vars(|name| std::env::var(name).ok()).build()
    }

    /// Connect to `host`, given in any form `DOCKER_HOST` accepts, negotiating
    /// the API version.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `host` is malformed.
    ///
    /// ```no_run
    /// let docker = dockhand::Docker::connect("unix:///var/run/docker.sock")?;
    /// # Ok::<(), dockhand::Error>(())
    /// ```
    pub fn connect(host: &str) -> Result<Docker> {
        Docker::builder().host(host).build()
    }

    /// A builder for a client configured in code rather than by the environment.
    pub fn builder() -> DockerBuilder {
        DockerBuilder::default()
    }

    /// The daemon address this client talks to.
    pub fn host(&self) -> &DockerHost {
        &self.shared.host
    }

    /// The API version in use, negotiating it first if no request has yet.
    ///
    /// # Errors
    /// [`Error::Transport`] when the daemon cannot be reached,
    /// [`Error::UnsupportedApiVersion`] when it is older than
    /// [`ApiVersion::MINIMUM`].
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// println!("speaking API {}", docker.api_version().await?);
    /// # Ok(()) }
    /// ```
    pub async fn api_version(&self) -> Result<ApiVersion> {
        Ok(self.versioned().await?.version)
    }

    /// The API version in use if it is already settled (pinned, or negotiated
    /// by an earlier request), without contacting the daemon.
    pub fn negotiated_api_version(&self) -> Option<ApiVersion> {
        self.shared
            .versioned
            .get()
            .map(|versioned| versioned.version)
            .or(self.shared.pinned)
    }

    /// The generated client, bound to the settled API version: the escape
    /// hatch for endpoints the facade does not cover yet.
    ///
    /// # Errors
    /// As for [`Docker::api_version`].
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// // Endpoints the facade does not cover yet, e.g. the volume list.
    /// let volumes = docker.raw().await?.volume_list(None).await;
    /// # Ok(()) }
    /// ```
    pub async fn raw(&self) -> Result<&raw::Client> {
        Ok(&self.versioned().await?.raw)
    }

    /// The pooled HTTP client and the versioned base URL, for the few
    /// requests the generated client cannot make (hijacked connections).
    pub(crate) async fn versioned_http(&self) -> Result<(&reqwest::Client, String)> {
        let versioned = self.versioned().await?;
        Ok((
            &self.shared.transport.http,
            format!(
                "{}{}",
                self.shared.transport.base_url,
                versioned.version.path_prefix()
            ),
        ))
    }

    /// Send a request built on [`Docker::versioned_http`] and return the
    /// response if `expected` accepts its status; a send failure or any other
    /// status becomes the [`Error`] the generated calls would give.
    pub(crate) async fn send_checked(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
        expected: impl Fn(reqwest::StatusCode) -> bool,
    ) -> Result<reqwest::Response> {
        let host = self.shared.host.to_string();
        let response = match request.send().await {
            Ok(response) => response,
            Err(source) => {
                return Err(
                    from_raw::<()>(RawError::CommunicationError(source), operation, &host).await,
                )
            }
        };
        tracing::debug!(operation, status = response.status().as_u16(), "response");
        if expected(response.status()) {
            Ok(response)
        } else {
            Err(from_raw::<()>(RawError::UnexpectedResponse(response), operation, &host).await)
        }
    }

    /// The generated client for endpoints that take no version prefix.
    pub(crate) fn unversioned(&self) -> &raw::Client {
        &self.shared.unversioned
    }

    /// Await a generated-client call, mapping its error to [`Error`].
    pub(crate) async fn call<T, E: DaemonMessage>(
        &self,
        operation: &'static str,
        request: impl Future<Output = std::result::Result<ResponseValue<T>, RawError<E>>>,
    ) -> Result<ResponseValue<T>> {
        match request.await {
            Ok(response) => Ok(response),
            Err(raw) => Err(from_raw(raw, operation, &self.shared.host.to_string()).await),
        }
    }

    /// The settled version and its client; the first caller negotiates and
    /// concurrent callers wait for that one negotiation.
    async fn versioned(&self) -> Result<&Versioned> {
        self.shared
            .versioned
            .get_or_try_init(|| async {
                let version = match self.shared.pinned {
                    Some(version) => version,
                    None => self.negotiate().await?,
                };
                let base_url = format!(
                    "{}{}",
                    self.shared.transport.base_url,
                    version.path_prefix()
                );
                let raw =
                    raw::Client::new_with_client(&base_url, self.shared.transport.http.clone());
                tracing::debug!(%version, "API version settled");
                Ok(Versioned { version, raw })
            })
            .await
    }

    /// Ask the daemon which version it speaks and pick the one to use.
    async fn negotiate(&self) -> Result<ApiVersion> {
        let ping = self.ping().await?;
        // A daemon that does not say predates version reporting (API 1.24 and
        // older, as the docker CLI assumes), so it is below our minimum.
        let daemon = ping.api_version.unwrap_or(ApiVersion::new(1, 24));
        if daemon < ApiVersion::MINIMUM {
            return Err(Error::UnsupportedApiVersion {
                daemon,
                minimum: ApiVersion::MINIMUM,
            });
        }
        Ok(daemon.min(ApiVersion::LATEST))
    }
}

/// Configuration for a [`Docker`] client.
///
/// ```no_run
/// let docker = dockhand::Docker::builder()
///     .host("tcp://127.0.0.1:2375")
///     .api_version("1.41")
///     .build()?;
/// # Ok::<(), dockhand::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct DockerBuilder {
    host: Option<String>,
    api_version: Option<String>,
    tls_verify: bool,
    cert_path: Option<PathBuf>,
}

impl DockerBuilder {
    /// Start from the environment variables the docker CLI reads.
    fn from_env_vars(var: impl Fn(&str) -> Option<String>) -> DockerBuilder {
        let non_empty = |name: &str| var(name).filter(|value| !value.is_empty());
        DockerBuilder {
            host: non_empty("DOCKER_HOST"),
            api_version: non_empty("DOCKER_API_VERSION"),
            tls_verify: non_empty("DOCKER_TLS_VERIFY").is_some(),
            cert_path: non_empty("DOCKER_CERT_PATH").map(PathBuf::from),
        }
    }

    /// The daemon address, in any form `DOCKER_HOST` accepts.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Pin the API version (e.g. `"1.41"`) instead of negotiating it.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// Require TLS with certificate verification, as `DOCKER_TLS_VERIFY` does.
    pub fn tls_verify(mut self, verify: bool) -> Self {
        self.tls_verify = verify;
        self
    }

    /// The directory holding `ca.pem`, `cert.pem` and `key.pem`, as
    /// `DOCKER_CERT_PATH` names it.
    pub fn cert_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.cert_path = Some(path.into());
        self
    }

    /// Validate the configuration and build the client. No connection is
    /// made yet.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming a malformed host or version, or a
    /// TLS request (not supported yet).
    pub fn build(self) -> Result<Docker> {
        let mut host: DockerHost = self.host.as_deref().unwrap_or("").parse()?;
        if self.tls_verify || self.cert_path.is_some() {
            match &mut host {
                DockerHost::Tcp { tls, .. } => *tls = true,
                DockerHost::Unix { .. } => {}
            }
        }
        let pinned = self
            .api_version
            .as_deref()
            .map(str::parse::<ApiVersion>)
            .transpose()?;
        let transport = transport::connect(&host)?;
        let unversioned = raw::Client::new_with_client(&transport.base_url, transport.http.clone());
        Ok(Docker {
            shared: Arc::new(Shared {
                host,
                transport,
                pinned,
                versioned: OnceCell::new(),
                unversioned,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from_vars(vars: &[(&str, &str)]) -> Result<Docker> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        DockerBuilder::from_env_vars(|name| vars.get(name).cloned()).build()
    }

    #[test]
    fn empty_environment_means_the_default_socket_and_negotiation() {
        let docker = from_vars(&[]).unwrap();
        assert_eq!(docker.host(), &DockerHost::default_unix());
        assert_eq!(docker.negotiated_api_version(), None);
    }

    #[test]
    fn empty_values_count_as_unset() {
        let docker = from_vars(&[("DOCKER_HOST", ""), ("DOCKER_API_VERSION", "")]).unwrap();
        assert_eq!(docker.host(), &DockerHost::default_unix());
        assert_eq!(docker.negotiated_api_version(), None);
    }

    #[test]
    fn docker_api_version_pins_the_version() {
        let docker = from_vars(&[("DOCKER_API_VERSION", "1.43")]).unwrap();
        assert_eq!(
            docker.negotiated_api_version(),
            Some(ApiVersion::new(1, 43))
        );
    }

    #[test]
    fn malformed_variables_are_invalid_arguments() {
        for vars in [
            [("DOCKER_HOST", "tcp://nohost")],
            [("DOCKER_HOST", "fd://")],
            [("DOCKER_API_VERSION", "latest")],
        ] {
            let err = from_vars(&vars).unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument { .. }),
                "{vars:?}: {err:?}"
            );
        }
    }

    #[test]
    fn tls_verify_on_a_tcp_host_is_refused_until_supported() {
        let err =
            from_vars(&[("DOCKER_HOST", "tcp://h:2376"), ("DOCKER_TLS_VERIFY", "1")]).unwrap_err();
        assert!(err.to_string().contains("TLS"), "{err}");
    }
}
