//! Parsing of daemon addresses in the forms `DOCKER_HOST` accepts.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::{Error, Result};

/// The socket the docker CLI uses when `DOCKER_HOST` is unset or empty.
pub const DEFAULT_UNIX_SOCKET: &str = "/var/run/docker.sock";

/// The host a `tcp://:port` or `:port` address means.
const DEFAULT_TCP_HOST: &str = "127.0.0.1";

/// Where a Docker daemon listens, parsed from a `DOCKER_HOST`-style string.
///
/// Accepted forms, as the docker CLI and docker-py accept them:
/// `unix:///path/docker.sock`, `tcp://host:port`, `http://host:port`,
/// `https://host:port`, `host:port`, `:port` (127.0.0.1), `[::1]:port`,
/// `ssh://[user@]host[:port]`, and the empty string (the default Unix
/// socket). A TCP address must name its port.
///
/// ```
/// use dockhand::DockerHost;
///
/// let host: DockerHost = "tcp://10.0.0.5:2375".parse()?;
/// assert_eq!(host.to_string(), "tcp://10.0.0.5:2375");
/// let local: DockerHost = "".parse()?;
/// assert_eq!(local.to_string(), "unix:///var/run/docker.sock");
/// # Ok::<(), dockhand::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DockerHost {
    /// A Unix domain socket.
    Unix {
        /// The socket's path.
        path: PathBuf,
    },
    /// A TCP address (`tcp://`, `http://`, `https://` or a bare `host:port`).
    Tcp {
        /// Host name or IP address (IPv6 without brackets).
        host: String,
        /// The port.
        port: u16,
        /// True for `https://` addresses: the connection must use TLS.
        tls: bool,
        /// A path prefix every request goes under (empty for none).
        path_prefix: String,
    },
    /// A remote daemon reached through the system `ssh`, which runs
    /// `docker system dial-stdio` on the remote host (as the docker CLI does).
    Ssh {
        /// The remote user; ssh's default (its config, or the local user) when `None`.
        user: Option<String>,
        /// The remote host (IPv6 without brackets).
        host: String,
        /// The remote port; ssh's default when `None`.
        port: Option<u16>,
    },
}

impl DockerHost {
    /// The default Unix socket address.
    pub fn default_unix() -> Self {
        DockerHost::Unix {
            path: PathBuf::from(DEFAULT_UNIX_SOCKET),
        }
    }
}

impl Default for DockerHost {
    fn default() -> Self {
        Self::default_unix()
    }
}

impl FromStr for DockerHost {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self> {
        parse(value)
    }
}

impl fmt::Display for DockerHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DockerHost::Unix { path } => write!(f, "unix://{}", path.display()),
            DockerHost::Tcp {
                host,
                port,
                tls,
                path_prefix,
            } => {
                let scheme = if *tls { "https" } else { "tcp" };
                if host.contains(':') {
                    write!(f, "{scheme}://[{host}]:{port}{path_prefix}")
                } else {
                    write!(f, "{scheme}://{host}:{port}{path_prefix}")
                }
            }
            DockerHost::Ssh { user, host, port } => {
                f.write_str("ssh://")?;
                if let Some(user) = user {
                    write!(f, "{user}@")?;
                }
                if host.contains(':') {
                    write!(f, "[{host}]")?;
                } else {
                    f.write_str(host)?;
                }
                if let Some(port) = port {
                    write!(f, ":{port}")?;
                }
                Ok(())
            }
        }
    }
}

/// Parse one `DOCKER_HOST` value; see [`DockerHost`] for the forms.
fn parse(value: &str) -> Result<DockerHost> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(DockerHost::default_unix());
    }
    let invalid = |why: &str| Error::invalid("DOCKER_HOST", format!("{value:?}: {why}"));
    let (scheme, rest) = match trimmed.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("tcp".to_owned(), trimmed),
    };
    match scheme.as_str() {
        "unix" => {
            let path = if rest.is_empty() {
                DEFAULT_UNIX_SOCKET
            } else {
                rest
            };
            if !path.starts_with('/') {
                return Err(invalid("a unix socket path must be absolute"));
            }
            Ok(DockerHost::Unix {
                path: PathBuf::from(path),
            })
        }
        "tcp" | "http" | "https" => parse_tcp(rest, scheme == "https").map_err(|why| invalid(&why)),
        "fd" => Err(invalid(
            "fd:// sockets are handed over by systemd to dockerd; clients cannot connect to them",
        )),
        "ssh" => parse_ssh(rest).map_err(|why| invalid(&why)),
        "npipe" => Err(invalid("named pipes exist only on Windows")),
        other => Err(invalid(&format!(
            "unknown scheme {other:?} (expected unix, tcp, http or https)"
        ))),
    }
}

/// Parse the `host:port[/path]` part of a TCP address.
fn parse_tcp(rest: &str, tls: bool) -> std::result::Result<DockerHost, String> {
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let (host, port, bracketed) = split_host_port(authority)?;
    let host = if host.is_empty() {
        DEFAULT_TCP_HOST
    } else {
        check_host(host, bracketed)?
    };
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|port| *port != 0)
        .ok_or_else(|| format!("invalid port {port:?}"))?;
    Ok(DockerHost::Tcp {
        host: host.to_owned(),
        port,
        tls,
        path_prefix: path.trim_end_matches('/').to_owned(),
    })
}

/// Parse the `[user@]host[:port]` part of an ssh address. A path or query
/// is refused, as the docker CLI refuses it.
fn parse_ssh(rest: &str) -> std::result::Result<DockerHost, String> {
    if rest.contains(['/', '?', '#']) {
        return Err("an ssh address takes no path, e.g. ssh://user@host:22".to_owned());
    }
    let (user, authority) = match rest.rsplit_once('@') {
        Some((user, authority)) => (Some(user), authority),
        None => (None, rest),
    };
    if user.is_some_and(|user| {
        user.is_empty()
            || user.contains(':')
            || user.starts_with('-')
            || user.chars().any(|c| c.is_whitespace() || c.is_control())
    }) {
        return Err(
            "the ssh user must be non-empty, without a password, spaces or a leading '-'"
                .to_owned(),
        );
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or("unclosed '[' in an IPv6 address")?;
        let host = check_host(host, true)?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or("junk after ']'")?)),
        }
    } else {
        match authority.split_once(':') {
            Some((_, port)) if port.contains(':') => {
                return Err("put an IPv6 address in brackets, e.g. ssh://[::1]:22".to_owned())
            }
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = port
        .map(|port| {
            port.parse::<u16>()
                .ok()
                .filter(|port| *port != 0)
                .ok_or_else(|| format!("invalid port {port:?}"))
        })
        .transpose()?;
    if host.is_empty() {
        return Err("an ssh address needs a host, e.g. ssh://user@host".to_owned());
    }
    let host = check_host(host, authority.starts_with('['))?;
    Ok(DockerHost::Ssh {
        user: user.map(str::to_owned),
        host: host.to_owned(),
        port,
    })
}

/// Split `host:port` or `[v6]:port`; the port is required. The flag says
/// whether the host was in brackets.
fn split_host_port(authority: &str) -> std::result::Result<(&str, &str, bool), String> {
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or("unclosed '[' in an IPv6 address")?;
        let port = after
            .strip_prefix(':')
            .ok_or("a tcp address needs a port, e.g. tcp://[::1]:2375")?;
        return Ok((host, port, true));
    }
    match authority.rsplit_once(':') {
        Some((host, _)) if host.contains(':') => {
            Err("put an IPv6 address in brackets, e.g. tcp://[::1]:2375".to_owned())
        }
        Some((host, port)) => Ok((host, port, false)),
        None => Err("a tcp address needs a port, e.g. tcp://localhost:2375".to_owned()),
    }
}

/// Check a host part: in brackets an IPv6 address (with an optional
/// `%zone`), otherwise a name or IPv4 address of letters, digits, `.`,
/// `-` and `_` that does not start with `-`.
fn check_host(host: &str, bracketed: bool) -> std::result::Result<&str, String> {
    if bracketed {
        let (address, zone) = host.split_once('%').unwrap_or((host, "a"));
        let zone_ok = !zone.is_empty()
            && zone
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        return match address.parse::<std::net::Ipv6Addr>() {
            Ok(_) if zone_ok => Ok(host),
            _ => Err(format!("{host:?} in brackets is not an IPv6 address")),
        };
    }
    let name_ok = !host.is_empty()
        && !host.starts_with('-')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if name_ok {
        Ok(host)
    } else {
        Err(format!(
            "{host:?} is not a host name or IP address (letters, digits, '.', '-', '_')"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(host: &str, port: u16) -> DockerHost {
        DockerHost::Tcp {
            host: host.into(),
            port,
            tls: false,
            path_prefix: String::new(),
        }
    }

    fn unix(path: &str) -> DockerHost {
        DockerHost::Unix { path: path.into() }
    }

    #[test]
    fn accepted_forms() {
        let cases = [
            ("", unix("/var/run/docker.sock")),
            ("  ", unix("/var/run/docker.sock")),
            ("unix:///var/run/docker.sock", unix("/var/run/docker.sock")),
            ("unix:///tmp/d.sock", unix("/tmp/d.sock")),
            ("unix://", unix("/var/run/docker.sock")),
            ("tcp://10.0.0.5:2375", tcp("10.0.0.5", 2375)),
            ("TCP://example.com:2376", tcp("example.com", 2376)),
            ("http://localhost:2375", tcp("localhost", 2375)),
            ("localhost:2375", tcp("localhost", 2375)),
            (":2375", tcp("127.0.0.1", 2375)),
            ("tcp://:2375", tcp("127.0.0.1", 2375)),
            ("tcp://[::1]:2375", tcp("::1", 2375)),
            ("tcp://[fe80::1%eth0]:2375", tcp("fe80::1%eth0", 2375)),
            ("tcp://my_host.local:2375", tcp("my_host.local", 2375)),
            ("tcp://host:2375/", tcp("host", 2375)),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<DockerHost>().unwrap(), expected, "{input:?}");
        }
    }

    #[test]
    fn https_means_tls_and_a_path_is_kept() {
        let host: DockerHost = "https://docker.example:2376/prefix/".parse().unwrap();
        assert_eq!(
            host,
            DockerHost::Tcp {
                host: "docker.example".into(),
                port: 2376,
                tls: true,
                path_prefix: "/prefix".into(),
            }
        );
        assert_eq!(host.to_string(), "https://docker.example:2376/prefix");
    }

    #[test]
    fn malformed_values_are_invalid_arguments_naming_the_value() {
        for input in [
            "tcp://host",
            "host",
            "tcp://host:",
            "tcp://host:0",
            "tcp://host:99999",
            "tcp://host:abc",
            "tcp://[::1",
            "tcp://::1:2375",
            "fd://",
            "ftp://host:21",
            "ssh://",
            "ssh://user@",
            "ssh://@host",
            "ssh://host/path",
            "ssh://user:pw@host",
            "ssh://host:0",
            "ssh://-oProxyCommand=x",
            "ssh://-oProxyCommand=x@host",
            "ssh://[not-v6]",
            "tcp://[[3dp0a]:201/s",
            "tcp://[3dp0a]:201",
            "tcp://a@b:2375",
            "tcp://a b:2375",
            "npipe:////./pipe/docker_engine",
            "unix://relative.sock",
        ] {
            let err = input.parse::<DockerHost>().unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument { .. }),
                "{input:?}: {err:?}"
            );
            assert!(
                err.to_string().contains(&format!("{input:?}")),
                "{input:?}: {err}"
            );
        }
    }

    #[test]
    fn ssh_addresses() {
        let ssh = |user: Option<&str>, host: &str, port: Option<u16>| DockerHost::Ssh {
            user: user.map(str::to_owned),
            host: host.to_owned(),
            port,
        };
        let cases = [
            (
                "ssh://me@build.example",
                ssh(Some("me"), "build.example", None),
            ),
            (
                "ssh://me@build.example:2222",
                ssh(Some("me"), "build.example", Some(2222)),
            ),
            ("ssh://build.example", ssh(None, "build.example", None)),
            (
                "ssh://root@127.0.0.1:22",
                ssh(Some("root"), "127.0.0.1", Some(22)),
            ),
            ("ssh://me@[::1]:2222", ssh(Some("me"), "::1", Some(2222))),
            ("ssh://me@[::1]", ssh(Some("me"), "::1", None)),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<DockerHost>().unwrap(), expected, "{input:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for input in [
            "unix:///var/run/docker.sock",
            "tcp://10.0.0.5:2375",
            "tcp://[::1]:2375",
            "ssh://me@build.example:2222",
            "ssh://build.example",
            "ssh://me@[::1]:22",
        ] {
            let host: DockerHost = input.parse().unwrap();
            assert_eq!(host.to_string(), input);
        }
    }
}
