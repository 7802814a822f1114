//! The [`Docker`] handle: where the daemon is, which API version to speak,
//! and the negotiation that decides it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{Error as RawError, ResponseValue};
use tokio::sync::OnceCell;

use crate::context::{ContextStore, DockerContext};
use crate::error::{from_raw, from_status, location, DaemonMessage, ERROR_BODY_LIMIT};
use crate::transport::path::ApiPath;
use crate::transport::{RequestBody, ResponseBody, Transport};
use crate::{raw, ApiVersion, DockerBuilder, DockerHost, Error, Result};

/// The operations that last as long as their work (a wait, a transfer, a
/// command, a stream): no default time limit, only one given with
/// [`Docker::with_timeout`].
const OPEN_ENDED_OPERATIONS: [&str; 16] = [
    "ContainerWait",
    "ImageGetAll",
    "SystemEvents",
    "ContainerAttach",
    "ContainerLogs",
    "ContainerExport",
    "ContainerArchive",
    "PutContainerArchive",
    "ContainerStats",
    "ExecStart",
    "ImageCreate",
    "ImagePush",
    "ImageCommit",
    "ImageLoad",
    "ImageGet",
    "ImageBuild",
];

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
    /// The limit [`Docker::with_timeout`] set for every call of this handle.
    timeout: Option<Duration>,
}

/// What the builder hands over to make a [`Docker`].
pub(crate) struct DockerParts {
    pub(crate) host: DockerHost,
    pub(crate) transport: Transport,
    pub(crate) pinned: Option<ApiVersion>,
    /// The default limit of prompt calls.
    pub(crate) timeout: Option<Duration>,
}

/// What every clone of a [`Docker`] shares.
struct Shared {
    host: DockerHost,
    transport: Transport,
    /// The version fixed by the caller, if any.
    pinned: Option<ApiVersion>,
    /// The default limit of prompt calls.
    default_timeout: Option<Duration>,
    /// Set once, by the first request: the version and a client bound to it.
    versioned: OnceCell<Versioned>,
    /// Whether the daemon is Podman: from the negotiation's ping, or a ping
    /// of its own when the version is pinned.
    podman: OnceCell<bool>,
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
    /// `DOCKER_HOST`, else the context `DOCKER_CONTEXT` or `config.json`
    /// names, else the first local socket that answers (Docker Engine,
    /// rootless, Docker Desktop, colima, OrbStack, Podman; see
    /// [`DockerBuilder`] for the order); `DOCKER_API_VERSION` (pins the
    /// version), `DOCKER_TLS_VERIFY`, `DOCKER_TLS` and `DOCKER_CERT_PATH`.
    ///
    /// No request is made yet; the first request connects.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the value when a variable is
    /// malformed; [`Error::ContextNotFound`] for a context that does not exist.
    ///
    /// ```no_run
    /// let docker = dockhand::Docker::from_env()?;
    /// # Ok::<(), dockhand::Error>(())
    /// ```
    pub fn from_env() -> Result<Docker> {
        DockerBuilder::from_env()?.build()
    }

    /// Connect through the docker CLI context `name` (`docker context use`),
    /// whatever the environment selects; `default` is the default socket.
    ///
    /// # Errors
    /// [`Error::ContextNotFound`] naming the context when it does not exist;
    /// as for [`Docker::from_env`] otherwise.
    ///
    /// ```no_run
    /// let docker = dockhand::Docker::from_context("build-server")?;
    /// # Ok::<(), dockhand::Error>(())
    /// ```
    pub fn from_context(name: &str) -> Result<Docker> {
        let builder = DockerBuilder::from_vars(|var| match var {
            // The named context, not whatever the environment picks.
            "DOCKER_HOST" | "DOCKER_CONTEXT" => None,
            _ => std::env::var(var).ok(),
        })?;
        builder.context(name).build()
    }

    /// The docker CLI contexts (`docker context ls`): `default` first, the
    /// one in use marked.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the context store cannot be read.
    pub fn contexts() -> Result<Vec<DockerContext>> {
        let var = |name: &str| std::env::var(name).ok();
        let Some(store) = ContextStore::from_vars(&var) else {
            return Ok(Vec::new());
        };
        let current = store.selected(&var)?;
        store.list(current.as_deref())
    }

    /// This client with `limit` on every call it makes, streams (until
    /// they start), waits and transfers included; a call over it is
    /// [`Error::Timeout`] naming the operation. Cheap: it shares the
    /// connections and the negotiated version.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use std::time::Duration;
    /// let container = docker.containers().get("web").await?;
    /// let quick = docker.with_timeout(Duration::from_secs(5));
    /// quick.containers().get(container.id()).await?.wait(&dockhand::WaitOptions::new()).await?;
    /// # Ok(()) }
    /// ```
    pub fn with_timeout(&self, limit: Duration) -> Docker {
        Docker {
            shared: Arc::clone(&self.shared),
            timeout: Some(limit),
        }
    }

    /// The client the builder configured.
    pub(crate) fn from_parts(parts: DockerParts) -> Docker {
        let unversioned = generated_client(&parts.transport, GENERATED_BASE_URL);
        Docker {
            shared: Arc::new(Shared {
                host: parts.host,
                transport: parts.transport,
                pinned: parts.pinned,
                default_timeout: parts.timeout,
                versioned: OnceCell::new(),
                podman: OnceCell::new(),
                unversioned,
            }),
            timeout: None,
        }
    }

    /// The time limit for `operation`: this handle's, else none for
    /// open-ended operations and the default for the others.
    fn limit_for(&self, operation: &'static str) -> Option<Duration> {
        self.timeout.or_else(|| {
            if OPEN_ENDED_OPERATIONS.contains(&operation) {
                None
            } else {
                self.shared.default_timeout
            }
        })
    }

    /// Await `future` within the time limit for `operation`.
    pub(crate) async fn within_limit<T>(
        &self,
        operation: &'static str,
        future: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        // Boxed: a call's future holds the generated request's, and the
        // first call nests negotiation inside it; on the stack that
        // overflows a debug build's 2 MiB test threads.
        let future = Box::pin(future);
        match self.limit_for(operation) {
            None => future.await,
            Some(after) => tokio::time::timeout(after, future)
                .await
                .unwrap_or(Err(Error::Timeout { operation, after })),
        }
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
            .map_err(|e| Error::invalid(operation, e.to_string()))?;
        let response = self
            .within_limit(operation, self.shared.transport.send(operation, request))
            .await?;
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
        self.within_limit(operation, async {
            match request.await {
                Ok(response) => Ok(response),
                Err(raw) => Err(from_raw(raw, operation, self.shared.transport.host()).await),
            }
        })
        .await
    }

    /// Send one operation of the generated client bound to the negotiated
    /// version and take its answer's body: `request` makes the call, e.g.
    /// `|raw| raw.volume_inspect(name)`.
    pub(crate) async fn fetch<'a, T, E, Answer>(
        &'a self,
        operation: &'static str,
        request: impl FnOnce(&'a raw::Client) -> Answer,
    ) -> Result<T>
    where
        E: DaemonMessage,
        Answer: Future<Output = std::result::Result<ResponseValue<T>, RawError<E>>>,
    {
        let raw = self.raw().await?;
        Ok(self.call(operation, request(raw)).await?.into_inner())
    }

    /// Read a short answer's body to its end, so that the connection goes
    /// back to the pool.
    pub(crate) async fn drain(
        &self,
        operation: &'static str,
        response: ResponseValue<progenitor_client::ByteStream>,
    ) -> Result<()> {
        use futures_util::TryStreamExt as _;
        response
            .into_inner()
            .into_inner()
            .try_for_each(|_| async { Ok(()) })
            .await
            .map_err(|source| Error::transport(self.shared.transport.host(), operation, source))
    }

    /// The settled version and its client; the first caller negotiates and
    /// concurrent callers wait for that one negotiation.
    async fn versioned(&self) -> Result<&Versioned> {
        self.shared
            .versioned
            .get_or_try_init(|| async {
                let version = match self.shared.pinned {
                    Some(version) => version,
                    None => Box::pin(self.negotiate()).await?,
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

    /// Whether the daemon is Podman serving the Docker API (its `/_ping`
    /// says so); asked once and remembered.
    ///
    /// # Errors
    /// [`Error::Transport`] when the daemon cannot be reached.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// if docker.is_podman().await? {
    ///     println!("talking to Podman");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn is_podman(&self) -> Result<bool> {
        self.shared
            .podman
            .get_or_try_init(|| async { Ok(self.ping().await?.is_podman()) })
            .await
            .copied()
    }

    /// Ask the daemon which version it speaks and pick the one to use.
    async fn negotiate(&self) -> Result<ApiVersion> {
        let ping = self.ping().await?;
        let _ = self.shared.podman.set(ping.is_podman());
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

/// The generated client on `base_url`, sending through `transport`.
fn generated_client(transport: &Transport, base_url: &str) -> raw::Client {
    // Only builds requests; `hooks.rs` hands them to the transport.
    static REQUEST_BUILDER: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let builder = REQUEST_BUILDER.get_or_init(reqwest::Client::new);
    raw::Client::new_with_client(base_url, builder.clone(), transport.clone())
}
