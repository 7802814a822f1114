//! `ports`: publishing container ports on the host.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Display};
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use super::request::{empty_object, Draft};
use super::{invalid, parsed, ContainerOptions, NetworkMode, Parsed};
use crate::models::{PortBinding, PortMap};
use crate::{Error, Result};

/// A transport protocol of a port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// TCP (the default).
    #[default]
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

impl Protocol {
    /// The name the API uses: `tcp`, `udp` or `sctp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

impl Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Protocol {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text.to_ascii_lowercase().as_str() {
            "tcp" => Ok(Protocol::Tcp),
            "udp" => Ok(Protocol::Udp),
            "sctp" => Ok(Protocol::Sctp),
            _ => Err(Error::invalid(
                "protocol",
                format!("{text:?}: expected tcp, udp or sctp"),
            )),
        }
    }
}

/// A port inside the container: `8080` (TCP), `"2222/udp"`, or
/// `(53, Protocol::Udp)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerPort(Parsed<(u16, Protocol)>);

impl ContainerPort {
    /// The port and protocol, or the reason the value was refused.
    pub(crate) fn value(&self) -> Result<(u16, Protocol)> {
        self.0
            .clone()
            .map_err(|reason| Error::invalid("port", reason))
    }

    /// The API's key for the port, e.g. `8080/tcp`.
    fn key(&self) -> Parsed<String> {
        self.0
            .as_ref()
            .map(|(port, protocol)| format!("{port}/{protocol}"))
            .map_err(Clone::clone)
    }
}

impl From<u16> for ContainerPort {
    fn from(port: u16) -> Self {
        ContainerPort::from((port, Protocol::Tcp))
    }
}

impl From<(u16, Protocol)> for ContainerPort {
    fn from((port, protocol): (u16, Protocol)) -> Self {
        if port == 0 {
            return ContainerPort(Err("container port 0 is not a port".to_owned()));
        }
        ContainerPort(Ok((port, protocol)))
    }
}

impl From<&str> for ContainerPort {
    fn from(text: &str) -> Self {
        let fail = || format!("container port {text:?} is not PORT[/tcp|udp|sctp]");
        let (port, protocol) = match text.trim().split_once('/') {
            Some((port, protocol)) => match protocol.parse() {
                Ok(protocol) => (port, protocol),
                Err(_) => return ContainerPort(Err(fail())),
            },
            None => (text.trim(), Protocol::Tcp),
        };
        match port.parse::<u16>() {
            Ok(port) if port > 0 => ContainerPort(Ok((port, protocol))),
            _ => ContainerPort(Err(fail())),
        }
    }
}

impl From<String> for ContainerPort {
    fn from(text: String) -> Self {
        ContainerPort::from(text.as_str())
    }
}

impl From<&String> for ContainerPort {
    fn from(text: &String) -> Self {
        ContainerPort::from(text.as_str())
    }
}

/// Where on the host a container port is published: a port, an address
/// and port, an address alone (any free port on it), or any free port.
///
/// From a port number (`8080`), `None` (any free port), an `(ip, port)`
/// pair, or text: `"8080"`, `"8000-8010"` (a free port in the range),
/// `"127.0.0.1:8080"`, `"[::1]:8080"`, `"127.0.0.1"` or `"127.0.0.1:"`
/// (any port on that address), `""` (any port).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort(Parsed<Binding>);

/// A host binding as the API spells it: empty strings mean "any".
#[derive(Clone, Debug, PartialEq, Eq)]
struct Binding {
    ip: String,
    port: String,
}

impl HostPort {
    /// Any free port, on every address.
    pub fn random() -> Self {
        HostPort(Ok(Binding {
            ip: String::new(),
            port: String::new(),
        }))
    }

    /// `port` on every address.
    pub fn port(port: u16) -> Self {
        HostPort(Ok(Binding {
            ip: String::new(),
            port: port.to_string(),
        }))
    }

    /// Any free port on the address `ip`.
    pub fn ip(ip: impl Into<String>) -> Self {
        HostPort::with_port(ip.into(), String::new())
    }

    /// `port` on the address `ip`.
    pub fn ip_port(ip: impl Into<String>, port: u16) -> Self {
        HostPort::with_port(ip.into(), port.to_string())
    }

    fn with_port(ip: String, port: String) -> Self {
        let bare = ip.trim_start_matches('[').trim_end_matches(']');
        if !bare.is_empty() && bare.parse::<IpAddr>().is_err() {
            return HostPort(Err(format!("host address {ip:?} is not an IP address")));
        }
        HostPort(Ok(Binding {
            ip: bare.to_owned(),
            port,
        }))
    }

    fn to_model(&self) -> Parsed<PortBinding> {
        let binding = self.0.clone()?;
        Ok(PortBinding {
            host_ip: Some(binding.ip),
            host_port: Some(binding.port),
        })
    }
}

/// Check a host port or `START-END` range, as text.
fn check_port_text(text: &str) -> Parsed<String> {
    let valid = |p: &str| p.parse::<u16>().is_ok();
    let ok = match text.split_once('-') {
        Some((start, end)) => {
            valid(start) && valid(end) && start.parse::<u16>().ok() <= end.parse::<u16>().ok()
        }
        None => text.is_empty() || valid(text),
    };
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "host port {text:?} is not a port or START-END range"
        ))
    }
}

impl From<&str> for HostPort {
    fn from(text: &str) -> Self {
        match HostPort::parse(text.trim()).0 {
            Err(reason) if !reason.contains(&format!("{text:?}")) => {
                HostPort(Err(format!("host binding {text:?}: {reason}")))
            }
            parsed => HostPort(parsed),
        }
    }
}

impl HostPort {
    fn parse(text: &str) -> Self {
        if text.parse::<IpAddr>().is_ok() {
            return HostPort::ip(text);
        }
        let (ip, port) = match text.strip_prefix('[') {
            // `[v6]`, `[v6]:`, `[v6]:port`
            Some(rest) => match rest.split_once(']') {
                Some((ip, port)) if port.is_empty() || port.starts_with(':') => {
                    (ip, port.strip_prefix(':').unwrap_or(port))
                }
                _ => return HostPort(Err(format!("host binding {text:?} is malformed"))),
            },
            None => text.rsplit_once(':').unwrap_or(("", text)),
        };
        if ip.parse::<Ipv6Addr>().is_ok() && !text.starts_with('[') {
            // An IPv6 address followed by a port needs brackets to be read.
            return HostPort(Err(format!(
                "host binding {text:?}: write IPv6 addresses in brackets, e.g. [::1]:8080"
            )));
        }
        match check_port_text(port) {
            Ok(port) => HostPort::with_port(ip.to_owned(), port),
            Err(reason) => HostPort(Err(reason)),
        }
    }
}

impl From<String> for HostPort {
    fn from(text: String) -> Self {
        HostPort::from(text.as_str())
    }
}

impl From<u16> for HostPort {
    fn from(port: u16) -> Self {
        HostPort::port(port)
    }
}

/// `None` is any free port.
impl From<Option<u16>> for HostPort {
    fn from(port: Option<u16>) -> Self {
        port.map_or_else(HostPort::random, HostPort::port)
    }
}

impl From<(&str, u16)> for HostPort {
    fn from((ip, port): (&str, u16)) -> Self {
        HostPort::ip_port(ip, port)
    }
}

impl From<(String, u16)> for HostPort {
    fn from((ip, port): (String, u16)) -> Self {
        HostPort::ip_port(ip, port)
    }
}

impl From<(IpAddr, u16)> for HostPort {
    fn from((ip, port): (IpAddr, u16)) -> Self {
        HostPort::ip_port(ip.to_string(), port)
    }
}

/// One or more host bindings for one container port: anything a
/// [`HostPort`] is made from, or a list of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPorts(Vec<HostPort>);

macro_rules! host_ports_from_one {
    ($($ty:ty),*) => {$(
        impl From<$ty> for HostPorts {
            fn from(one: $ty) -> Self {
                HostPorts(vec![HostPort::from(one)])
            }
        }
    )*};
}

host_ports_from_one!(
    u16,
    Option<u16>,
    &str,
    String,
    (&str, u16),
    (String, u16),
    (IpAddr, u16)
);

impl From<HostPort> for HostPorts {
    fn from(one: HostPort) -> Self {
        HostPorts(vec![one])
    }
}

impl<T: Into<HostPort>> From<Vec<T>> for HostPorts {
    fn from(many: Vec<T>) -> Self {
        HostPorts(many.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<HostPort>, const N: usize> From<[T; N]> for HostPorts {
    fn from(many: [T; N]) -> Self {
        HostPorts(many.into_iter().map(Into::into).collect())
    }
}

/// Container ports and where each is published on the host: a map or a
/// list of `(container port, host ports)` pairs — the container's port
/// first, so `docker run -p 8080:80` is `(80, HostPort::port(8080))`.
///
/// ```
/// use std::collections::HashMap;
/// use dockhand::options::{ContainerOptions, HostPort, HostPorts};
///
/// let options = ContainerOptions::new().ports([
///     ("80/tcp", HostPorts::from(HostPort::port(8080))),       // -p 8080:80
///     ("53/udp", HostPorts::from(HostPort::ip_port("127.0.0.1", 5353))), // -p 127.0.0.1:5353:53/udp
///     ("22", HostPorts::from([2222, 2223])),                    // -p 2222:22 -p 2223:22
///     ("9000", HostPorts::from(HostPort::random())),           // -p 9000
/// ]);
/// // A map reads the same way: container port → host port.
/// let simple = ContainerOptions::new().ports(HashMap::from([(80, HostPort::port(8080))]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ports(Vec<(ContainerPort, HostPorts)>);

impl Ports {
    fn from_pairs<K, V>(pairs: impl Iterator<Item = (K, V)>, sort: bool) -> Self
    where
        K: Into<ContainerPort>,
        V: Into<HostPorts>,
    {
        let mut pairs: Vec<(ContainerPort, HostPorts)> =
            pairs.map(|(k, v)| (k.into(), v.into())).collect();
        if sort {
            // A map's order is arbitrary; keep the request the same each run.
            pairs.sort_by_key(|(port, _)| port.key().unwrap_or_else(|reason| reason));
        }
        Ports(pairs)
    }
}

impl<K: Into<ContainerPort>, V: Into<HostPorts>, S> From<HashMap<K, V, S>> for Ports {
    fn from(map: HashMap<K, V, S>) -> Self {
        Ports::from_pairs(map.into_iter(), true)
    }
}

impl<K: Into<ContainerPort>, V: Into<HostPorts>> From<BTreeMap<K, V>> for Ports {
    fn from(map: BTreeMap<K, V>) -> Self {
        Ports::from_pairs(map.into_iter(), true)
    }
}

impl<K: Into<ContainerPort>, V: Into<HostPorts>> From<Vec<(K, V)>> for Ports {
    fn from(pairs: Vec<(K, V)>) -> Self {
        Ports::from_pairs(pairs.into_iter(), false)
    }
}

impl<K: Into<ContainerPort>, V: Into<HostPorts>, const N: usize> From<[(K, V); N]> for Ports {
    fn from(pairs: [(K, V); N]) -> Self {
        Ports::from_pairs(pairs.into_iter(), false)
    }
}

/// # Ports
///
/// Container ports published on the host, keyed by the container's port:
/// `docker run -p 8080:80` (host 8080, container 80) is
/// `ports([(80, HostPort::port(8080))])`.
///
/// ```
/// use dockhand::options::{ContainerOptions, HostPort};
/// // docker run -p 8080:80 -p 127.0.0.1:5353:53/udp -p 9000
/// let options = ContainerOptions::new().ports([
///     ("80/tcp", HostPort::port(8080)),
///     ("53/udp", HostPort::ip_port("127.0.0.1", 5353)),
///     ("9000/tcp", HostPort::random()),
/// ]);
/// ```
impl ContainerOptions {
    /// Publish container ports on the host (`docker run -p`): a map or list
    /// of container port → host port(s). Keys are `8080` or `"2222/udp"`;
    /// values a port, `None` for any free port, `(ip, port)`, text such as
    /// `"127.0.0.1:8080"`, or a list of these. The ports are exposed too.
    /// Not with host networking.
    pub fn ports(mut self, ports: impl Into<Ports>) -> Self {
        self.ports.ports = Some(ports.into());
        self
    }

    /// Publish every port the image exposes on a free host port
    /// (`docker run -P`).
    pub fn publish_all_ports(mut self, publish: bool) -> Self {
        self.ports.publish_all_ports = Some(publish);
        self
    }
}

/// The published ports as typed.
#[derive(Clone, Debug, Default)]
pub(super) struct PortOptions {
    ports: Option<Ports>,
    publish_all_ports: Option<bool>,
}

impl PortOptions {
    /// Check these settings and write them into the request.
    pub(super) fn apply(&self, draft: &mut Draft) -> Result<()> {
        draft.host.publish_all_ports = self.publish_all_ports;
        let Some(Ports(ports)) = &self.ports else {
            return Ok(());
        };
        // The network family, applied before, has set the mode.
        let mode = draft.host.network_mode.as_deref().map(NetworkMode::from);
        if let Some(mode @ (NetworkMode::Host | NetworkMode::Container(_))) = mode {
            return Err(invalid(
                "ports",
                format!("cannot publish ports with network_mode {mode}"),
            ));
        }
        let mut bindings: BTreeMap<String, Vec<PortBinding>> = BTreeMap::new();
        for (port, hosts) in ports {
            let key = parsed("ports", &port.key())?;
            let entry = bindings.entry(key).or_default();
            for host in &hosts.0 {
                entry.push(parsed("ports", &host.to_model())?);
            }
        }
        let exposed = bindings
            .keys()
            .map(|key| (key.clone(), empty_object()))
            .collect();
        draft.body.exposed_ports = Some(exposed);
        draft.host.port_bindings = Some(PortMap(
            bindings
                .into_iter()
                .map(|(key, list)| (key, Some(list)))
                .collect(),
        ));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::request::tests::{error, request};
    use super::*;

    /// The bindings as `key → [(ip, port)]`, sorted.
    fn bindings(ports: impl Into<Ports>) -> Vec<(String, Vec<(String, String)>)> {
        let body = request(ContainerOptions::new().ports(ports)).body;
        let map = body.host_config.unwrap().port_bindings.unwrap().0;
        let exposed: Vec<String> = {
            let mut keys: Vec<String> = body.exposed_ports.unwrap().into_keys().collect();
            keys.sort();
            keys
        };
        let mut out: Vec<(String, Vec<(String, String)>)> = map
            .into_iter()
            .map(|(key, list)| {
                let list = list
                    .unwrap()
                    .into_iter()
                    .map(|b| (b.host_ip.unwrap(), b.host_port.unwrap()))
                    .collect();
                (key, list)
            })
            .collect();
        out.sort();
        assert_eq!(
            exposed,
            out.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>()
        );
        out
    }

    fn one(key: &str, ip: &str, port: &str) -> Vec<(String, Vec<(String, String)>)> {
        vec![(key.to_owned(), vec![(ip.to_owned(), port.to_owned())])]
    }

    #[test]
    fn the_forms_docker_py_accepts() {
        assert_eq!(bindings([(2222, 3333)]), one("2222/tcp", "", "3333"));
        assert_eq!(bindings([("2222/udp", 3333)]), one("2222/udp", "", "3333"));
        assert_eq!(bindings([("2222/tcp", None)]), one("2222/tcp", "", ""));
        assert_eq!(
            bindings([("1111/tcp", ("127.0.0.1", 1111))]),
            one("1111/tcp", "127.0.0.1", "1111")
        );
        assert_eq!(
            bindings([("1111/tcp", [1234, 4567])]),
            vec![(
                "1111/tcp".to_owned(),
                vec![
                    (String::new(), "1234".to_owned()),
                    (String::new(), "4567".to_owned())
                ]
            )]
        );
        assert_eq!(
            bindings(HashMap::from([(80, 8080), (443, 8443)])),
            [one("443/tcp", "", "8443"), one("80/tcp", "", "8080")].concat()
        );
        assert_eq!(
            bindings([((53, Protocol::Sctp), HostPort::random())]),
            one("53/sctp", "", "")
        );
    }

    #[test]
    fn host_text_forms() {
        assert_eq!(bindings([(80, "8080")]), one("80/tcp", "", "8080"));
        assert_eq!(
            bindings([(80, "8000-8010")]),
            one("80/tcp", "", "8000-8010")
        );
        assert_eq!(
            bindings([(80, "127.0.0.1:8080")]),
            one("80/tcp", "127.0.0.1", "8080")
        );
        assert_eq!(
            bindings([(80, "127.0.0.1")]),
            one("80/tcp", "127.0.0.1", "")
        );
        assert_eq!(
            bindings([(80, "127.0.0.1:")]),
            one("80/tcp", "127.0.0.1", "")
        );
        assert_eq!(bindings([(80, "[::1]:8080")]), one("80/tcp", "::1", "8080"));
        assert_eq!(bindings([(80, "::1")]), one("80/tcp", "::1", ""));
        assert_eq!(bindings([(80, "")]), one("80/tcp", "", ""));
        assert_eq!(
            bindings([(80, HostPort::ip_port("[::1]", 80))]),
            one("80/tcp", "::1", "80")
        );
    }

    #[test]
    fn repeated_keys_merge() {
        assert_eq!(
            bindings(vec![("80", 8080), ("80/tcp", 8081)]),
            vec![(
                "80/tcp".to_owned(),
                vec![
                    (String::new(), "8080".to_owned()),
                    (String::new(), "8081".to_owned())
                ]
            )]
        );
    }

    #[test]
    fn malformed_ports_name_the_keyword() {
        for bad in ["http", "80/icmp", "0", "70000", "-1", ""] {
            error(ContainerOptions::new().ports([(bad, 80)]), "ports");
        }
        for bad in [
            "localhost:80",
            "1.2.3.4:http",
            "10-5",
            "fe80::1:zz",
            "[::1",
            "[::1]8080",
            "1.2.3.4:99999",
        ] {
            let message = error(ContainerOptions::new().ports([(80, bad)]), "ports");
            assert!(message.contains(&format!("{bad:?}")), "{message}");
        }
        error(
            ContainerOptions::new().ports([(80, ("example.com", 80))]),
            "ports",
        );
    }

    #[test]
    fn not_with_host_or_container_networking() {
        let message = error(
            ContainerOptions::new()
                .network_mode("host")
                .ports([(80, 80)]),
            "ports",
        );
        assert!(message.contains("network_mode host"), "{message}");
        error(
            ContainerOptions::new().network("host").ports([(80, 80)]),
            "ports",
        );
        error(
            ContainerOptions::new()
                .network_mode("container:db")
                .ports([(80, 80)]),
            "ports",
        );
        request(
            ContainerOptions::new()
                .network_mode("bridge")
                .ports([(80, 80)]),
        );
    }

    #[test]
    fn publish_all() {
        let host = request(ContainerOptions::new().publish_all_ports(true))
            .body
            .host_config
            .unwrap();
        assert_eq!(host.publish_all_ports, Some(true));
        assert!(host.port_bindings.is_none());
    }

    #[test]
    fn protocols_parse() {
        assert_eq!("UDP".parse::<Protocol>().unwrap(), Protocol::Udp);
        assert!("icmp".parse::<Protocol>().is_err());
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in ".*") {
            let _ = HostPort::from(text.as_str());
            let _ = ContainerPort::from(text.as_str());
        }

        #[test]
        fn ip_and_port_round_trip(a in 0_u8.., b in 0_u8.., port in 1_u16..) {
            let binding = HostPort::from(format!("10.{a}.{b}.1:{port}")).to_model().unwrap();
            proptest::prop_assert_eq!(binding.host_ip, Some(format!("10.{a}.{b}.1")));
            proptest::prop_assert_eq!(binding.host_port, Some(port.to_string()));
        }
    }
}
