//! Daemon-wide calls: ping, version, info.

use reqwest::header::HeaderMap;

use crate::{models, ApiVersion, Docker, Result};

/// What the daemon's `/_ping` endpoint reports in its headers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ping {
    /// The newest API version the daemon speaks (`Api-Version`).
    pub api_version: Option<ApiVersion>,
    /// The daemon's operating system, e.g. `linux` (`OSType`).
    pub os_type: Option<String>,
    /// Whether experimental features are on (`Docker-Experimental`).
    pub experimental: bool,
    /// The default builder, e.g. `2` for BuildKit (`Builder-Version`).
    pub builder_version: Option<String>,
    /// The node's swarm state, e.g. `inactive` (`Swarm`; API 1.44+).
    pub swarm: Option<String>,
    /// Podman's own API version (`Libpod-Api-Version`), when the daemon is
    /// Podman serving the Docker API.
    pub libpod_api_version: Option<String>,
}

impl Ping {
    /// Read the ping headers.
    fn from_headers(headers: &HeaderMap) -> Ping {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        Ping {
            api_version: text("api-version").and_then(|v| v.parse().ok()),
            os_type: text("ostype"),
            experimental: text("docker-experimental").is_some_and(|v| v == "true"),
            builder_version: text("builder-version"),
            swarm: text("swarm"),
            libpod_api_version: text("libpod-api-version").or_else(|| {
                // Older Podman names itself only in the `Server` header.
                text("server")
                    .filter(|server| server.starts_with("Libpod"))
                    .map(|server| server.trim_start_matches("Libpod/").to_owned())
            }),
        }
    }

    /// Whether the daemon is Podman (its compatibility API differs from
    /// Docker's in places dockhand works around; see the README).
    pub fn is_podman(&self) -> bool {
        self.libpod_api_version.is_some()
    }
}

impl Docker {
    /// Check that the daemon answers, and read what it reports about itself.
    ///
    /// This is the one call made without an API version prefix, so it works
    /// before (and is used for) version negotiation.
    ///
    /// # Errors
    /// [`Error::Transport`](crate::Error::Transport) when the daemon cannot be reached.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let ping = docker.ping().await?;
    /// println!("daemon speaks API up to {:?}", ping.api_version);
    /// # Ok(()) }
    /// ```
    pub async fn ping(&self) -> Result<Ping> {
        const OPERATION: &str = "SystemPing";
        let response = self
            .call(OPERATION, self.unversioned().system_ping())
            .await?;
        let ping = Ping::from_headers(response.headers());
        self.drain(OPERATION, response).await?;
        Ok(ping)
    }

    /// The daemon's version information (`docker version`).
    ///
    /// # Errors
    /// [`Error::Transport`](crate::Error::Transport) when the daemon cannot be reached, [`Error::Api`](crate::Error::Api)
    /// when it rejects the request (e.g. a pinned API version it does not speak).
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let version = docker.version().await?;
    /// println!("{:?} on {:?}", version.version, version.os);
    /// # Ok(()) }
    /// ```
    pub async fn version(&self) -> Result<models::SystemVersion> {
        let raw = self.raw().await?;
        Ok(self
            .call("SystemVersion", raw.system_version())
            .await?
            .into_inner())
    }

    /// System-wide information (`docker info`).
    ///
    /// # Errors
    /// As for [`Docker::version`].
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let info = docker.info().await?;
    /// println!("{:?} containers", info.containers);
    /// # Ok(()) }
    /// ```
    pub async fn info(&self) -> Result<models::SystemInfo> {
        let raw = self.raw().await?;
        Ok(self
            .call("SystemInfo", raw.system_info())
            .await?
            .into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn ping_headers_are_read_case_insensitively() {
        let mut headers = HeaderMap::new();
        headers.insert("Api-Version", HeaderValue::from_static("1.41"));
        headers.insert("OSType", HeaderValue::from_static("linux"));
        headers.insert("Docker-Experimental", HeaderValue::from_static("false"));
        headers.insert("Builder-Version", HeaderValue::from_static(""));
        let ping = Ping::from_headers(&headers);
        assert_eq!(ping.api_version, Some(ApiVersion::new(1, 41)));
        assert_eq!(ping.os_type.as_deref(), Some("linux"));
        assert!(!ping.experimental);
        assert_eq!(ping.builder_version, None);
        assert_eq!(ping.swarm, None);
        assert!(!ping.is_podman());
    }

    #[test]
    fn podman_is_recognised_by_its_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("Libpod-Api-Version", HeaderValue::from_static("4.3.1"));
        assert!(Ping::from_headers(&headers).is_podman());
        let mut headers = HeaderMap::new();
        headers.insert("Server", HeaderValue::from_static("Libpod/4.3.1 (linux)"));
        assert!(Ping::from_headers(&headers).is_podman());
        headers.insert(
            "Server",
            HeaderValue::from_static("Docker/20.10.24 (linux)"),
        );
        assert!(!Ping::from_headers(&headers).is_podman());
    }
}
