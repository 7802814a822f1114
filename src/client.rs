//! The [`Docker`] handle: where the daemon is, which API version to speak,
//! and the negotiation that decides it.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use progenitor_client::{Error as RawError, ResponseValue};
use tokio::sync::OnceCell;

use crate::error::{from_raw, from_status, location, DaemonMessage, ERROR_BODY_LIMIT};
use crate::transport::path::ApiPath;
use crate::transport::tls::{self, Pem, TlsSettings};
use crate::transport::{RequestBody, ResponseBody, Transport, TransportSettings};
use crate::{raw, ApiVersion, DockerHost, Error, Result};

/// The base URL the generated client builds request URLs on; only their
/// path and query are sent (the transport sets the `Host`).
const GENERATED_BASE_URL: &str = "http://docker";

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

    /// A path under the settled version's prefix, to build a request the
    /// generated client cannot make (hijacks, long bodies, HEAD).
    pub(crate) async fn path(&self) -> Result<ApiPath> {
        Ok(ApiPath::new(self.api_version().await?))
    }

    /// The transport every request goes through.
    pub(crate) fn transport(&self) -> &Transport {
        &self.shared.transport
    }

    /// Send `method path` (with a body and its content type, if any) and
    /// return the answer if its status is a success; any other status
    /// becomes the [`Error`] the generated calls would give (the daemon's
    /// message read from at most [`ERROR_BODY_LIMIT`] bytes).
    pub(crate) async fn request(
        &self,
        operation: &'static str,
        method: http::Method,
        path: &ApiPath,
        body: Option<(&'static str, RequestBody)>,
    ) -> Result<http::Response<ResponseBody>> {
        let mut request = http::Request::builder().method(method).uri(path.as_str());
        let body = match body {
            Some((content_type, body)) => {
                request = request.header(http::header::CONTENT_TYPE, content_type);
                body
            }
            None => RequestBody::from(Vec::new()),
        };
        let request = request
            .body(body)
            .map_err(|e| Error::invalid(format!("{operation}: {e}")))?;
        let response = self.shared.transport.send(operation, request).await?;
        if response.status().is_success() {
            return Ok(response);
        }
        let (parts, body) = response.into_parts();
        let (text, _) = body
            .read_up_to(ERROR_BODY_LIMIT)
            .await
            .map_err(|source| Error::transport(self.shared.transport.host(), operation, source))?;
        Err(from_status(
            operation,
            parts.status.as_u16(),
            location(&parts.headers).as_deref(),
            &text,
        ))
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
            Err(raw) => Err(from_raw(raw, operation, self.shared.transport.host()).await),
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
                let raw = generated_client(
                    &self.shared.transport,
                    &format!("{GENERATED_BASE_URL}{}", version.path_prefix()),
                );
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
    tls: bool,
    tls_verify: Option<bool>,
    cert_path: Option<PathBuf>,
    ca_pem: Option<Vec<u8>>,
    identity_pem: Option<(Vec<u8>, Vec<u8>)>,
    ssh_options: Vec<String>,
}

impl DockerBuilder {
    /// Start from the environment variables the docker CLI reads.
    fn from_env_vars(var: impl Fn(&str) -> Option<String>) -> DockerBuilder {
        let non_empty = |name: &str| var(name).filter(|value| !value.is_empty());
        let verify = non_empty("DOCKER_TLS_VERIFY").is_some();
        let tls = non_empty("DOCKER_TLS").is_some();
        DockerBuilder {
            host: non_empty("DOCKER_HOST"),
            api_version: non_empty("DOCKER_API_VERSION"),
            tls: tls || verify,
            // As the docker CLI: `DOCKER_TLS` alone is TLS without verification.
            tls_verify: (tls || verify).then_some(verify),
            cert_path: non_empty("DOCKER_CERT_PATH").map(PathBuf::from),
            ..DockerBuilder::default()
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

    /// Use TLS to a `tcp://` host (as `DOCKER_TLS` does). Verification stays
    /// on unless [`DockerBuilder::tls_verify`] turns it off.
    pub fn tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// `true`: use TLS and verify the daemon's certificate and name against
    /// the CA (as `DOCKER_TLS_VERIFY` does). `false`: accept any certificate
    /// (the docker CLI's `--tls` without `--tlsverify`); only for daemons
    /// reached over a network you trust.
    pub fn tls_verify(mut self, verify: bool) -> Self {
        self.tls |= verify;
        self.tls_verify = Some(verify);
        self
    }

    /// The directory holding `ca.pem`, `cert.pem` and `key.pem`, as
    /// `DOCKER_CERT_PATH` names it; implies TLS. Files given as PEM in code
    /// take precedence over the directory's.
    pub fn cert_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.cert_path = Some(path.into());
        self
    }

    /// The CA certificate(s) to verify the daemon against, as PEM; implies TLS.
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// The client certificate (chain) and private key, as PEM, for daemons
    /// started with `--tlsverify`; implies TLS.
    pub fn client_identity_pem(
        mut self,
        cert: impl Into<Vec<u8>>,
        key: impl Into<Vec<u8>>,
    ) -> Self {
        self.identity_pem = Some((cert.into(), key.into()));
        self
    }

    /// Options for the `ssh` that reaches an `ssh://` host, placed before
    /// the destination (e.g. `["-i", "/path/key", "-o", "StrictHostKeyChecking=yes"]`).
    pub fn ssh_options<I, S>(mut self, options: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ssh_options = options.into_iter().map(Into::into).collect();
        self
    }

    /// Validate the configuration and build the client. No connection is
    /// made yet.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming a malformed host or version, or a
    /// TLS file that is missing, unreadable or not valid PEM.
    pub fn build(self) -> Result<Docker> {
        let mut host: DockerHost = self.host.as_deref().unwrap_or("").parse()?;
        let tls = self.tls_settings(&mut host)?;
        let pinned = self
            .api_version
            .as_deref()
            .map(str::parse::<ApiVersion>)
            .transpose()?;
        let settings = TransportSettings {
            tls,
            ssh_options: self.ssh_options,
        };
        let transport = Transport::new(&host, &settings)?;
        let unversioned = generated_client(&transport, GENERATED_BASE_URL);
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

    /// The TLS settings for a TCP `host` (marking it as TLS), or `None` when
    /// it is plain. TLS settings do not apply to Unix sockets and ssh, as
    /// with the docker CLI.
    fn tls_settings(&self, host: &mut DockerHost) -> Result<Option<TlsSettings>> {
        let DockerHost::Tcp { tls: host_tls, .. } = host else {
            return Ok(None);
        };
        let wanted = *host_tls
            || self.tls
            || self.cert_path.is_some()
            || self.ca_pem.is_some()
            || self.identity_pem.is_some();
        if !wanted {
            return Ok(None);
        }
        *host_tls = true;
        let mut settings = TlsSettings {
            verify: self.tls_verify.unwrap_or(true),
            ca: self.ca_pem.clone().map(|pem| Pem::given("CA", pem)),
            identity: self.identity_pem.clone().map(|(cert, key)| {
                (
                    Pem::given("client certificate", cert),
                    Pem::given("client key", key),
                )
            }),
        };
        match &self.cert_path {
            Some(dir) => settings.load_dir(dir, true)?,
            None => {
                if let Some(dir) = tls::default_cert_dir() {
                    settings.load_dir(&dir, false)?;
                }
            }
        }
        Ok(Some(settings))
    }
}

/// The generated client on `base_url`, sending through `transport`.
fn generated_client(transport: &Transport, base_url: &str) -> raw::Client {
    // Only builds requests; `hooks.rs` hands them to the transport.
    static REQUEST_BUILDER: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let builder = REQUEST_BUILDER.get_or_init(reqwest::Client::new);
    raw::Client::new_with_client(base_url, builder.clone(), transport.clone())
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
    fn tls_verify_with_a_cert_path_lacking_files_names_the_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = from_vars(&[
            ("DOCKER_HOST", "tcp://h:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", dir.path().to_str().unwrap()),
        ])
        .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
        assert!(err.to_string().contains("ca.pem"), "{err}");
    }

    #[test]
    fn docker_tls_alone_is_tls_without_verification() {
        let builder =
            DockerBuilder::from_env_vars(|name| (name == "DOCKER_TLS").then(|| "1".into()));
        assert!(builder.tls);
        assert_eq!(builder.tls_verify, Some(false));
        let docker = DockerBuilder {
            host: Some("tcp://h:2376".into()),
            ..builder
        }
        .build()
        .unwrap();
        assert_eq!(docker.host().to_string(), "https://h:2376");
    }

    #[test]
    fn tls_settings_do_not_apply_to_unix_sockets() {
        let docker = from_vars(&[
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/nonexistent"),
        ])
        .unwrap();
        assert_eq!(docker.host(), &DockerHost::default_unix());
    }
}
