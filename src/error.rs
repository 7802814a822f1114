//! The one error type of dockhand.
//!
//! Every fallible call returns [`Result<T>`](Result), whose error is
//! [`Error`]. Its variants are the questions callers ask of a failure —
//! "was it missing?", "did it conflict?", "what did the daemon say?",
//! "was my input bad?", "could we reach the daemon at all?" — so callers
//! match on a variant (or use a helper such as [`Error::is_not_found`])
//! instead of parsing messages.

mod classify;
mod from_raw;

pub(crate) use classify::classify_registry_error;
pub use classify::Resource;
pub use from_raw::DaemonMessage;
pub(crate) use from_raw::{
    error_message, from_raw, from_status, location, FailedExchange, ERROR_BODY_LIMIT,
};

use crate::ApiVersion;

/// Shorthand for `std::result::Result<T, dockhand::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The boxed cause carried by [`Error::Transport`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong when talking to a Docker daemon.
///
/// # Example
///
/// ```no_run
/// # async fn demo() -> dockhand::Result<()> {
/// let docker = dockhand::Docker::from_env()?;
/// match docker.containers().get("no-such-container").await {
///     Ok(container) => println!("found {}", container.id()),
///     Err(err) if err.is_not_found() => println!("no such container"),
///     Err(err) => return Err(err),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The daemon answered 404: the object (container, image, …) does not exist.
    #[error("{operation}: {resource} not found: {message}")]
    NotFound {
        /// The operation that was attempted, e.g. `ContainerInspect`.
        operation: &'static str,
        /// Which kind of object is missing: a `ContainerCreate` answers 404
        /// for a missing image and for a missing network alike.
        resource: Resource,
        /// The daemon's message, e.g. `No such container: web`.
        message: String,
    },

    /// The daemon answered 409: the request conflicts with the object's state
    /// (a name in use, removing a running container, …).
    #[error("{operation}: conflict: {message}")]
    Conflict {
        /// The operation that was attempted.
        operation: &'static str,
        /// The daemon's message.
        message: String,
    },

    /// The daemon answered 304: the object was already in the requested state
    /// (starting a running container, stopping a stopped one).
    #[error("{operation}: not modified (already in the requested state)")]
    NotModified {
        /// The operation that was attempted.
        operation: &'static str,
    },

    /// Any other error status from the daemon, with its message.
    #[error("{operation}: daemon answered {status}: {message}")]
    Api {
        /// The operation that was attempted.
        operation: &'static str,
        /// The HTTP status code.
        status: u16,
        /// The daemon's message (its JSON `message`, or the body text).
        message: String,
    },

    /// The caller's input was rejected before any request was sent.
    #[error("invalid argument: {argument}: {reason}")]
    InvalidArgument {
        /// The option, parameter or setting that was wrong, e.g. `mem_limit`
        /// or `DOCKER_HOST`.
        argument: String,
        /// What is wrong with it, naming the value, e.g. `"64q" is not a byte size`.
        reason: String,
    },

    /// A docker CLI context that does not exist was asked for
    /// (`DOCKER_CONTEXT`, `currentContext` in `config.json`, or
    /// [`Docker::from_context`](crate::Docker::from_context)).
    #[error("context {name:?} not found (no such context in {})", store.display())]
    ContextNotFound {
        /// The context's name.
        name: String,
        /// The context store searched (`<config dir>/contexts`).
        store: std::path::PathBuf,
    },

    /// The daemon speaks an API version older than dockhand supports.
    #[error("daemon API version {daemon} is too old: dockhand needs at least {minimum}")]
    UnsupportedApiVersion {
        /// The version the daemon reported.
        daemon: ApiVersion,
        /// The oldest version dockhand supports.
        minimum: ApiVersion,
    },

    /// The daemon could not be reached, or the connection failed mid-request.
    /// The message ends with what the OS, TLS or ssh said (no such file,
    /// connection refused, certificate unknown, …).
    #[error("cannot talk to the Docker daemon at {host} ({operation}): {}", causes(.source.as_ref()))]
    Transport {
        /// The daemon address that was tried, e.g. `unix:///var/run/docker.sock`.
        host: String,
        /// The operation that was attempted.
        operation: &'static str,
        /// The underlying I/O or HTTP error.
        #[source]
        source: BoxError,
    },

    /// The daemon reported an error inside a stream it had already started
    /// with a success status: a system-error frame in a multiplexed stream,
    /// or an `error`/`errorDetail` item in a JSON-lines stream (a failed pull).
    #[error("{operation}: the daemon reported an error mid-stream: {message}")]
    Stream {
        /// The operation whose stream carried the error.
        operation: &'static str,
        /// The daemon's message.
        message: String,
    },

    /// The registry refused the credentials sent for a pull or push (or
    /// none were sent and it wants some).
    #[error("{operation}: registry {registry} refused the credentials: {message}")]
    Unauthorized {
        /// The operation that was attempted.
        operation: &'static str,
        /// The registry that refused, e.g. `docker.io` or `127.0.0.1:5000`.
        registry: String,
        /// The daemon's message, relaying the registry's answer.
        message: String,
    },

    /// A container ran to completion with a non-zero exit status.
    #[error(
        "container {id} ({image}) exited with status {exit_status} running {command:?}: {stderr}"
    )]
    ContainerFailed {
        /// The container's id.
        id: String,
        /// The image it ran.
        image: String,
        /// The command it ran, as a list of arguments.
        command: Vec<String>,
        /// Its exit status.
        exit_status: i64,
        /// What it wrote to stderr (lossy UTF-8).
        stderr: String,
    },

    /// A call given a time limit did not finish within it.
    #[error("{operation}: gave up after {after:?}")]
    Timeout {
        /// The operation that was attempted.
        operation: &'static str,
        /// The time limit.
        after: std::time::Duration,
    },

    /// A success answer that should be one document (an inspect, a list)
    /// was longer than the limit
    /// ([`DockerBuilder::max_response_size`](crate::DockerBuilder::max_response_size)).
    #[error("{operation}: the daemon's answer is longer than the {limit}-byte limit")]
    ResponseTooLarge {
        /// The operation that was attempted.
        operation: &'static str,
        /// The limit, in bytes.
        limit: usize,
    },

    /// A build failed ([`Images::build`](crate::Images::build)): a RUN
    /// exited non-zero, a Dockerfile line is wrong, a base image is missing.
    #[error("build failed{}: {message}", step.as_ref().map(|step| format!(" at {step:?}")).unwrap_or_default())]
    BuildFailed {
        /// The instruction that was running, e.g. `RUN make`, when one was.
        step: Option<String>,
        /// The daemon's message.
        message: String,
    },

    /// A container did not become ready
    /// ([`Container::wait_until_ready`](crate::Container::wait_until_ready)):
    /// the time ran out, the container stopped, or a condition could not hold.
    #[error("container {container} not ready after {waited:?}: waiting for {condition}; last seen: {last_seen}")]
    NotReady {
        /// The container's name.
        container: String,
        /// The first condition that did not hold, e.g. `port 80/tcp answering`.
        condition: String,
        /// How long the wait lasted.
        waited: std::time::Duration,
        /// What that condition saw last: the last health-check output, log
        /// line, connection error or exec result.
        last_seen: String,
        /// The container's exit code, when it stopped during the wait.
        exit_code: Option<i64>,
    },

    /// A container port has no binding on the host (not published, or the
    /// container is not running).
    #[error("container {container}: port {port} is not published on the host")]
    PortNotPublished {
        /// The container's name.
        container: String,
        /// The port, e.g. `8080/tcp`.
        port: String,
    },

    /// A property needs the full attributes of an object that was listed
    /// in summary form (`list(sparse)`).
    #[error("{property} is not part of a list summary; call reload() for the full attributes")]
    SparseAttributes {
        /// The property that was asked for.
        property: &'static str,
    },

    /// The daemon's answer could not be decoded.
    #[error("{operation}: cannot decode the daemon's response: {snippet}")]
    Decode {
        /// The operation that was attempted.
        operation: &'static str,
        /// The start of the body that failed to decode (at most a few hundred bytes).
        snippet: String,
        /// The decoder's error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// True for [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// True for [`Error::Conflict`].
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict { .. })
    }

    /// True for [`Error::Transport`]: the daemon could not be reached.
    pub fn is_transport(&self) -> bool {
        matches!(self, Error::Transport { .. })
    }

    /// True for [`Error::InvalidArgument`]: nothing was sent.
    pub fn is_invalid_argument(&self) -> bool {
        matches!(self, Error::InvalidArgument { .. })
    }

    /// True for [`Error::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// The kind of object an [`Error::NotFound`] says is missing.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::Resource;
    /// match docker.containers().get("web").await {
    ///     Err(err) if err.missing() == Some(Resource::Container) => println!("no container web"),
    ///     other => { other?; }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn missing(&self) -> Option<Resource> {
        match self {
            Error::NotFound { resource, .. } => Some(*resource),
            _ => None,
        }
    }

    /// The HTTP status the daemon answered with, if the error came from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::NotFound { .. } => Some(404),
            Error::Conflict { .. } => Some(409),
            Error::NotModified { .. } => Some(304),
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Build an [`Error::Transport`].
    pub(crate) fn transport(
        host: &str,
        operation: &'static str,
        source: impl Into<BoxError>,
    ) -> Self {
        Error::Transport {
            host: host.to_owned(),
            operation,
            source: source.into(),
        }
    }

    /// The error with `operation` as the operation it names, where it names
    /// one the transport set (the generated client's operation id) rather
    /// than the facade's.
    pub(crate) fn with_operation(mut self, operation: &'static str) -> Self {
        if let Error::Transport {
            operation: named, ..
        } = &mut self
        {
            *named = operation;
        }
        self
    }

    /// Build an [`Error::InvalidArgument`]: `argument` names what was
    /// wrong, `reason` says why.
    pub(crate) fn invalid(argument: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            argument: argument.into(),
            reason: reason.into(),
        }
    }

    /// Build an [`Error::NotFound`], naming the kind of object from the
    /// daemon's message or the operation.
    pub(crate) fn not_found(operation: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        Error::NotFound {
            operation,
            resource: Resource::of(operation, &message),
            message,
        }
    }

    /// Build an [`Error::Decode`] keeping only the start of `body`.
    pub(crate) fn decode(
        operation: &'static str,
        body: &[u8],
        source: impl Into<BoxError>,
    ) -> Self {
        Error::Decode {
            operation,
            snippet: snippet(body),
            source: source.into(),
        }
    }
}

/// A lookup's answer with "not found" as `None`: the `get_opt` of every
/// collection.
pub(crate) fn found<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}

/// For conversions that cannot fail (`TryFrom` of a type to itself).
impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// The messages of an error and its sources, each once: hyper and reqwest
/// wrap an OS error in layers that say "connection error" before the layer
/// that says "connection refused".
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = String::new();
    let mut next = Some(error);
    while let Some(error) = next {
        let message = error.to_string();
        if !message.is_empty() && !text.contains(&message) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&message);
        }
        next = error.source();
    }
    text
}

/// The longest body excerpt an error carries.
const SNIPPET_LIMIT: usize = 200;

/// The start of a body as lossy UTF-8, cut at [`SNIPPET_LIMIT`] bytes.
fn snippet(body: &[u8]) -> String {
    let cut = body.len().min(SNIPPET_LIMIT);
    let mut text = String::from_utf8_lossy(&body[..cut]).into_owned();
    if body.len() > SNIPPET_LIMIT {
        text.push('…');
    }
    text
}
