//! The HTTP connection to a daemon: one pooled `reqwest` client per
//! [`DockerHost`], and the base URL requests are made against.
//!
//! Each transport is one arm of [`connect`]; TLS and ssh slot in as further
//! arms when they land.

pub(crate) mod direct;

use std::time::Duration;

use crate::{DockerHost, Error, Result};

/// The authority used in request URLs on a Unix socket; the daemon ignores it.
const UNIX_AUTHORITY: &str = "http://localhost";

/// How long establishing a TCP connection may take before it is an error.
const TCP_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection pool to one daemon and the URL that requests go under.
#[derive(Clone, Debug)]
pub(crate) struct Transport {
    /// The pooled HTTP client; cloning it shares the pool.
    pub(crate) http: reqwest::Client,
    /// The URL prefix without API version, e.g. `http://localhost`.
    pub(crate) base_url: String,
}

/// Build the transport for `host`.
pub(crate) fn connect(host: &DockerHost) -> Result<Transport> {
    let builder = reqwest::Client::builder()
        .no_proxy()
        .pool_idle_timeout(Duration::from_secs(60));
    let (builder, base_url) = match host {
        DockerHost::Unix { path } => (builder.unix_socket(path.clone()), UNIX_AUTHORITY.to_owned()),
        DockerHost::Tcp { tls: true, .. } => {
            return Err(Error::invalid(format!(
                "{host}: TLS connections are not supported yet; use a unix:// or plain tcp:// host"
            )))
        }
        DockerHost::Tcp {
            host: name,
            port,
            path_prefix,
            ..
        } => {
            let authority = if name.contains(':') {
                format!("[{name}]:{port}")
            } else {
                format!("{name}:{port}")
            };
            (
                builder.connect_timeout(TCP_CONNECT_TIMEOUT),
                format!("http://{authority}{path_prefix}"),
            )
        }
    };
    let http = builder.build().map_err(|source| Error::Transport {
        host: host.to_string(),
        operation: "connect",
        source: Box::new(source),
    })?;
    Ok(Transport { http, base_url })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let unix = connect(&"unix:///tmp/x.sock".parse().unwrap()).unwrap();
        assert_eq!(unix.base_url, "http://localhost");
        let tcp = connect(&"tcp://[::1]:2375/api".parse().unwrap()).unwrap();
        assert_eq!(tcp.base_url, "http://[::1]:2375/api");
    }

    #[test]
    fn tls_is_refused_until_supported() {
        let err = connect(&"https://h:2376".parse().unwrap()).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    }
}
