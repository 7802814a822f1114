//! A container's ports and where they are published on the host, read
//! from inspect's `NetworkSettings.Ports` or a list summary's `Ports`.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::Protocol;
use crate::models;

/// One port of a container and the host addresses it is published on
/// (`docker port`).
///
/// `host` is empty for a port that is exposed but not published. An
/// address the daemon binds on every interface reads `0.0.0.0` (or `::`);
/// [`PublishedPort::local_address`] gives a connectable one.
///
/// ```no_run
/// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
/// for port in container.ports()? {
///     println!("{}/{} -> {:?}", port.port, port.protocol, port.host);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublishedPort {
    /// The port inside the container.
    pub port: u16,
    /// Its protocol.
    pub protocol: Protocol,
    /// The host addresses it is published on, IPv4 first.
    pub host: Vec<SocketAddr>,
}

impl PublishedPort {
    /// The first host address, IPv4 preferred, with an every-interface
    /// address (`0.0.0.0`, `::`) replaced by the loopback address of its
    /// family: what a client on the daemon's machine connects to.
    pub fn local_address(&self) -> Option<SocketAddr> {
        self.host.first().map(|address| {
            let ip = match address.ip() {
                IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
                ip => ip,
            };
            SocketAddr::new(ip, address.port())
        })
    }
}

/// The ports of inspect's port map (`"80/tcp"` → bindings), sorted by port
/// and protocol. Keys or bindings the daemon could not have meant (a bad
/// port, an address that is not an IP) are skipped.
pub(crate) fn from_port_map(map: &models::PortMap) -> Vec<PublishedPort> {
    let mut ports = BTreeMap::new();
    for (key, bindings) in &map.0 {
        let Some((port, protocol)) = parse_key(key) else {
            continue;
        };
        let host = bindings
            .iter()
            .flatten()
            .filter_map(|binding| {
                socket_address(binding.host_ip.as_deref(), binding.host_port.as_deref()?)
            })
            .collect();
        ports.insert((port, protocol), host);
    }
    into_sorted(ports)
}

/// The ports of a list summary: one entry per port, its bindings gathered.
pub(crate) fn from_summary(summaries: &[models::PortSummary]) -> Vec<PublishedPort> {
    let mut ports: BTreeMap<(u16, Protocol), Vec<SocketAddr>> = BTreeMap::new();
    for summary in summaries {
        let Ok(protocol) = summary.type_.parse::<Protocol>() else {
            continue;
        };
        let host = ports.entry((summary.private_port, protocol)).or_default();
        if let Some(public) = summary.public_port {
            if let Some(address) = socket_address(summary.ip.as_deref(), &public.to_string()) {
                host.push(address);
            }
        }
    }
    into_sorted(ports)
}

fn into_sorted(ports: BTreeMap<(u16, Protocol), Vec<SocketAddr>>) -> Vec<PublishedPort> {
    ports
        .into_iter()
        .map(|((port, protocol), mut host)| {
            host.sort_by_key(|address| (address.is_ipv6(), *address));
            host.dedup();
            PublishedPort {
                port,
                protocol,
                host,
            }
        })
        .collect()
}

/// `"80/tcp"` (or `"80"`, TCP) as port and protocol.
fn parse_key(key: &str) -> Option<(u16, Protocol)> {
    let (port, protocol) = match key.split_once('/') {
        Some((port, protocol)) => (port, protocol.parse().ok()?),
        None => (key, Protocol::Tcp),
    };
    Some((port.parse().ok()?, protocol))
}

/// A binding's address; an empty host IP means every IPv4 interface.
fn socket_address(ip: Option<&str>, port: &str) -> Option<SocketAddr> {
    let port = port.parse::<u16>().ok().filter(|port| *port != 0)?;
    let ip = match ip.unwrap_or("") {
        "" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        text => text.parse().ok()?,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn binding(ip: &str, port: &str) -> models::PortBinding {
        models::PortBinding {
            host_ip: Some(ip.to_owned()),
            host_port: Some(port.to_owned()),
        }
    }

    #[test]
    fn inspect_port_maps_become_sorted_socket_addresses() {
        let map = models::PortMap(HashMap::from([
            (
                "80/tcp".to_owned(),
                Some(vec![binding("::", "49154"), binding("0.0.0.0", "49153")]),
            ),
            (
                "53/udp".to_owned(),
                Some(vec![binding("127.0.0.1", "5353")]),
            ),
            ("22/tcp".to_owned(), None),
            ("junk".to_owned(), Some(vec![binding("0.0.0.0", "1")])),
        ]));
        let ports = from_port_map(&map);
        let summary: Vec<_> = ports
            .iter()
            .map(|p| (p.port, p.protocol, p.host.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                (22, Protocol::Tcp, vec![]),
                (53, Protocol::Udp, vec!["127.0.0.1:5353".parse().unwrap()]),
                (
                    80,
                    Protocol::Tcp,
                    vec![
                        "0.0.0.0:49153".parse().unwrap(),
                        "[::]:49154".parse().unwrap()
                    ]
                ),
            ]
        );
        assert_eq!(
            ports[2].local_address(),
            Some("127.0.0.1:49153".parse().unwrap())
        );
        assert_eq!(ports[0].local_address(), None);
    }

    #[test]
    fn list_summaries_gather_bindings_per_port() {
        let summary =
            |ip: Option<&str>, private, public: Option<u16>, kind: &str| models::PortSummary {
                ip: ip.map(str::to_owned),
                private_port: private,
                public_port: public,
                type_: kind.to_owned(),
            };
        let ports = from_summary(&[
            summary(Some("::"), 80, Some(8080), "tcp"),
            summary(Some("0.0.0.0"), 80, Some(8080), "tcp"),
            summary(None, 9000, None, "udp"),
        ]);
        assert_eq!(ports.len(), 2);
        assert_eq!(ports[0].port, 80);
        assert_eq!(
            ports[0].host,
            vec![
                "0.0.0.0:8080".parse::<SocketAddr>().unwrap(),
                "[::]:8080".parse().unwrap()
            ]
        );
        assert_eq!((ports[1].port, ports[1].protocol), (9000, Protocol::Udp));
        assert!(ports[1].host.is_empty());
    }
}
