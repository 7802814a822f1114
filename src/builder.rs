//! [`DockerBuilder`]: where the daemon is and how to reach it, from the
//! environment the way the docker CLI reads it, or from code.
//!
//! How the daemon is found, first match wins:
//! 1. `DOCKER_HOST` (or [`DockerBuilder::host`]);
//! 2. the context `DOCKER_CONTEXT` names (or [`DockerBuilder::context`]);
//! 3. the `currentContext` of `config.json` (under `DOCKER_CONFIG`, else
//!    `~/.docker`); the context `default` is the default socket;
//! 4. with nothing configured, the first local socket that accepts a
//!    connection, in this order: `/var/run/docker.sock` (Docker Engine),
//!    `$XDG_RUNTIME_DIR/docker.sock` (rootless), `~/.docker/run/docker.sock`
//!    and `~/.docker/desktop/docker.sock` (Docker Desktop),
//!    `~/.colima/default/docker.sock` (colima), `~/.orbstack/run/docker.sock`
//!    (OrbStack), `$XDG_RUNTIME_DIR/podman/podman.sock` and
//!    `/run/podman/podman.sock` (Podman); when none answers,
//!    `/var/run/docker.sock`, and the first request's error lists every
//!    place tried.

use std::path::PathBuf;
use std::time::Duration;

use crate::client::DockerParts;
use crate::context::{ContextStore, DEFAULT_CONTEXT};
use crate::discovery::{self, Probed};
use crate::transport::tls::{self, Pem, TlsSettings};
use crate::transport::{Transport, TransportSettings};
use crate::{ApiVersion, Docker, DockerHost, Result};

/// How long a call that should answer promptly may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// The most a success answer that is not a stream (an inspect, a list)
/// may hold by default: 64 MiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 64 * 1024 * 1024;
/// How long establishing a TCP connection (and its TLS handshake) may take
/// by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Configuration for a [`Docker`] client.
///
/// ```no_run
/// use std::time::Duration;
///
/// let docker = dockhand::Docker::builder()
///     .host("tcp://127.0.0.1:2375")
///     .api_version("1.41")
///     .timeout(Duration::from_secs(30))
///     .build()?;
/// # Ok::<(), dockhand::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct DockerBuilder {
    host: Option<String>,
    context: Option<String>,
    /// Where contexts live; the process's `DOCKER_CONFIG` / `HOME` when unset.
    store: Option<ContextStore>,
    /// The sockets to probe when nothing else names the daemon.
    discover: Option<Vec<PathBuf>>,
    api_version: Option<String>,
    tls: bool,
    tls_verify: Option<bool>,
    cert_path: Option<PathBuf>,
    ca_pem: Option<Vec<u8>>,
    identity_pem: Option<(Vec<u8>, Vec<u8>)>,
    ssh_options: Vec<String>,
    timeout: Option<Duration>,
    connect_timeout: Duration,
    max_response_size: usize,
}

impl Default for DockerBuilder {
    fn default() -> Self {
        DockerBuilder {
            host: None,
            context: None,
            store: None,
            discover: None,
            api_version: None,
            tls: false,
            tls_verify: None,
            cert_path: None,
            ca_pem: None,
            identity_pem: None,
            ssh_options: Vec::new(),
            timeout: Some(DEFAULT_TIMEOUT),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
        }
    }
}

impl DockerBuilder {
    /// Start from the process environment, as [`Docker::from_env`] does,
    /// to adjust it further in code.
    ///
    /// # Errors
    /// As for [`DockerBuilder::from_vars`].
    pub fn from_env() -> Result<DockerBuilder> {
        DockerBuilder::from_vars(|name| std::env::var(name).ok())
    }

    /// Start from the variables `var` looks up, read as the docker CLI reads
    /// the environment (`DOCKER_HOST`, `DOCKER_CONTEXT`, `DOCKER_CONFIG`,
    /// `HOME`, `XDG_RUNTIME_DIR`, `DOCKER_API_VERSION`, `DOCKER_TLS`,
    /// `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`); for embedding dockhand
    /// where the environment comes from elsewhere, and for tests.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for an
    /// unreadable `config.json`.
    ///
    /// ```
    /// let builder = dockhand::DockerBuilder::from_vars(|name| match name {
    ///     "DOCKER_HOST" => Some("tcp://10.0.0.5:2375".to_owned()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(builder.build()?.host().to_string(), "tcp://10.0.0.5:2375");
    /// # Ok::<(), dockhand::Error>(())
    /// ```
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<DockerBuilder> {
        let non_empty = |name: &str| var(name).filter(|value| !value.is_empty());
        let verify = non_empty("DOCKER_TLS_VERIFY").is_some();
        let tls = non_empty("DOCKER_TLS").is_some();
        let store = ContextStore::from_vars(&var);
        let mut builder = DockerBuilder {
            host: non_empty("DOCKER_HOST"),
            api_version: non_empty("DOCKER_API_VERSION"),
            tls: tls || verify,
            // As the docker CLI: `DOCKER_TLS` alone is TLS without verification.
            tls_verify: (tls || verify).then_some(verify),
            cert_path: non_empty("DOCKER_CERT_PATH").map(PathBuf::from),
            store: store.clone(),
            ..DockerBuilder::default()
        };
        if builder.host.is_none() {
            builder.context = match &store {
                Some(store) => store.selected(&var)?,
                None => None,
            };
            if builder.context.is_none() {
                builder.discover = Some(discovery::candidates(&var));
            }
        }
        Ok(builder)
    }

    /// The daemon address, in any form `DOCKER_HOST` accepts.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Use the docker CLI context `name` (its endpoint and TLS material);
    /// `default` is the default socket. An explicit [`DockerBuilder::host`]
    /// wins, as `DOCKER_HOST` wins over `DOCKER_CONTEXT`.
    pub fn context(mut self, name: impl Into<String>) -> Self {
        self.context = Some(name.into());
        self
    }

    /// Pin the API version (e.g. `"1.41"`) instead of negotiating it.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// The limit for calls that should answer promptly (inspect, list,
    /// create, start, stop, remove, …; default [`DEFAULT_TIMEOUT`]). Calls
    /// that last as long as their work (wait, pull, push, import, exec,
    /// logs, attach, archives, stats streams) have none unless given one
    /// with [`Docker::with_timeout`]. Over it, a call is
    /// [`Error::Timeout`](crate::Error::Timeout) naming the operation.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// No default limit for prompt calls either.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// How long connecting to a TCP daemon (and the TLS handshake, or ssh's
    /// connect) may take; default [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = limit;
        self
    }

    /// The most a success answer that is not a stream may hold (default
    /// [`DEFAULT_MAX_RESPONSE_SIZE`]); a longer one is
    /// [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge). Streams
    /// (logs, archives, progress) are not limited; error answers are read
    /// up to 64 KiB whatever this says.
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
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

    /// Validate the configuration and build the client. No request is made
    /// yet; when nothing names the daemon, the local sockets are probed
    /// (a Unix connect each).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming a
    /// malformed host or version, or a TLS file that is missing, unreadable
    /// or not valid PEM; [`Error::ContextNotFound`](crate::Error::ContextNotFound)
    /// naming a context that does not exist.
    pub fn build(mut self) -> Result<Docker> {
        let mut unreachable_hint = None;
        let mut context_tls = None;
        let host_text = match (&self.host, &self.context, &self.discover) {
            (Some(host), _, _) => host.clone(),
            (None, Some(name), _) if name == DEFAULT_CONTEXT => String::new(),
            (None, Some(name), _) => {
                let store = match &self.store {
                    Some(store) => store.clone(),
                    None => ContextStore::from_vars(&|name: &str| std::env::var(name).ok())
                        .ok_or_else(|| {
                            crate::Error::invalid(
                                "context",
                                "contexts need HOME or DOCKER_CONFIG to be set",
                            )
                        })?,
                };
                let endpoint = store.endpoint(name)?;
                if let Some(dir) = endpoint.tls_dir {
                    context_tls = Some(dir);
                    self.tls = true;
                    self.tls_verify = Some(!endpoint.skip_tls_verify);
                }
                endpoint.host
            }
            (None, None, Some(sockets)) => match discovery::probe(sockets) {
                Probed::Found(socket) => format!("unix://{}", socket.display()),
                Probed::NoneAnswered(why) => {
                    unreachable_hint = Some(why);
                    String::new()
                }
            },
            (None, None, None) => String::new(),
        };
        let mut host: DockerHost = host_text.parse()?;
        let tls = self.tls_settings(&mut host, context_tls)?;
        let pinned = self
            .api_version
            .as_deref()
            .map(str::parse::<ApiVersion>)
            .transpose()?;
        let settings = TransportSettings {
            tls,
            ssh_options: self.ssh_options,
            connect_timeout: self.connect_timeout,
            unreachable_hint,
            max_response_size: self.max_response_size,
        };
        let transport = Transport::new(&host, &settings)?;
        Ok(Docker::from_parts(DockerParts {
            host,
            transport,
            pinned,
            timeout: self.timeout,
        }))
    }

    /// The TLS settings for a TCP `host` (marking it as TLS), or `None` when
    /// it is plain. TLS settings do not apply to Unix sockets and ssh, as
    /// with the docker CLI. `context_tls` is a context's TLS directory.
    fn tls_settings(
        &self,
        host: &mut DockerHost,
        context_tls: Option<PathBuf>,
    ) -> Result<Option<TlsSettings>> {
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
        match (&self.cert_path, context_tls.or_else(tls::default_cert_dir)) {
            (Some(dir), _) => settings.load_dir(dir, true)?,
            (None, Some(dir)) => settings.load_dir(&dir, false)?,
            (None, None) => {}
        }
        Ok(Some(settings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use std::collections::HashMap;

    fn from_vars(vars: &[(&str, &str)]) -> Result<Docker> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        DockerBuilder::from_vars(|name| vars.get(name).cloned())?.build()
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

    #[cfg(feature = "tls")] // It builds the TLS client.
    #[test]
    fn docker_tls_alone_is_tls_without_verification() {
        let builder =
            DockerBuilder::from_vars(|name| (name == "DOCKER_TLS").then(|| "1".into())).unwrap();
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
