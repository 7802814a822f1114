//! Networking: `network`, `network_mode`, `networking_config`,
//! `mac_address`, DNS, extra hosts and links.

use std::collections::BTreeMap;
use std::fmt::{self, Display};
use std::net::IpAddr;

use super::request::Draft;
use super::{invalid, strings, ContainerOptions, KeyValues};
use crate::models::{
    EndpointIpamConfig, EndpointIpamConfigInner, EndpointSettings, NetworkingConfig,
};
use crate::{ApiVersion, Result};

/// The API version from which `POST /containers/create` takes an
/// endpoint's MAC address, and more than one network.
const ENDPOINTS_API: ApiVersion = ApiVersion::new(1, 44);

/// How a container is networked (`docker run --network`).
///
/// From text: `default`, `bridge`, `host`, `none`, `container:<name|id>`,
/// or the name of a user-defined network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NetworkMode {
    /// The daemon's default (the `bridge` network on Linux).
    Default,
    /// The default bridge network.
    Bridge,
    /// The host's network stack, unisolated.
    Host,
    /// No networking but loopback.
    None,
    /// The network stack of another container.
    Container(String),
    /// A user-defined network, by name or id.
    Network(String),
}

impl Display for NetworkMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetworkMode::Default => f.write_str("default"),
            NetworkMode::Bridge => f.write_str("bridge"),
            NetworkMode::Host => f.write_str("host"),
            NetworkMode::None => f.write_str("none"),
            NetworkMode::Container(id) => write!(f, "container:{id}"),
            NetworkMode::Network(name) => f.write_str(name),
        }
    }
}

impl From<&str> for NetworkMode {
    fn from(text: &str) -> Self {
        match text {
            "default" => NetworkMode::Default,
            "bridge" => NetworkMode::Bridge,
            "host" => NetworkMode::Host,
            "none" => NetworkMode::None,
            _ => match text.strip_prefix("container:") {
                Some(id) => NetworkMode::Container(id.to_owned()),
                None => NetworkMode::Network(text.to_owned()),
            },
        }
    }
}

impl From<String> for NetworkMode {
    fn from(text: String) -> Self {
        NetworkMode::from(text.as_str())
    }
}

/// How the container joins one network (docker-py's `EndpointConfig`):
/// aliases, fixed addresses, links, driver options.
///
/// ```
/// use dockhand::options::{ContainerOptions, EndpointConfig};
///
/// let options = ContainerOptions::new().network("backend").networking_config([(
///     "backend",
///     EndpointConfig::new().aliases(["db"]).ipv4_address("172.28.0.10"),
/// )]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointConfig {
    aliases: Option<Vec<String>>,
    links: Option<KeyValues>,
    ipv4_address: Option<String>,
    ipv6_address: Option<String>,
    link_local_ips: Option<Vec<String>>,
    driver_opt: Option<KeyValues>,
    mac_address: Option<String>,
    gw_priority: Option<i64>,
}

impl EndpointConfig {
    /// Nothing but the network.
    pub fn new() -> Self {
        Self::default()
    }

    /// Other names the container has on this network.
    pub fn aliases<I>(mut self, aliases: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.aliases = Some(strings(aliases));
        self
    }

    /// Links to other containers on this network, as for
    /// [`ContainerOptions::links`].
    pub fn links(mut self, links: impl Into<KeyValues>) -> Self {
        self.links = Some(links.into());
        self
    }

    /// A fixed IPv4 address.
    pub fn ipv4_address(mut self, address: impl Into<String>) -> Self {
        self.ipv4_address = Some(address.into());
        self
    }

    /// A fixed IPv6 address.
    pub fn ipv6_address(mut self, address: impl Into<String>) -> Self {
        self.ipv6_address = Some(address.into());
        self
    }

    /// Link-local addresses.
    pub fn link_local_ips<I>(mut self, addresses: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.link_local_ips = Some(strings(addresses));
        self
    }

    /// Options for the network driver: a map or `"key=value"` list.
    pub fn driver_opt(mut self, options: impl Into<KeyValues>) -> Self {
        self.driver_opt = Some(options.into());
        self
    }

    /// The MAC address on this network (API 1.44).
    pub fn mac_address(mut self, address: impl Into<String>) -> Self {
        self.mac_address = Some(address.into());
        self
    }

    /// The priority of this network's gateway as the default route; the
    /// highest wins (API 1.48).
    pub fn gw_priority(mut self, priority: i64) -> Self {
        self.gw_priority = Some(priority);
        self
    }

    /// Check the settings and build the API's form for a daemon speaking
    /// `api`; errors name the setting under `keyword`.
    pub(crate) fn to_model(&self, keyword: &str, api: ApiVersion) -> Result<EndpointSettings> {
        for (label, address, v6) in [
            ("ipv4_address", &self.ipv4_address, false),
            ("ipv6_address", &self.ipv6_address, true),
        ] {
            if let Some(address) = address {
                let setting = format!("{keyword} {label}");
                if check_ip(&setting, address)?.is_ipv6() != v6 {
                    let family = if v6 { "IPv6" } else { "IPv4" };
                    return Err(invalid(
                        &setting,
                        format!("{address:?} is not an {family} address"),
                    ));
                }
            }
        }
        for address in self.link_local_ips.iter().flatten() {
            check_ip(&format!("{keyword} link_local_ips"), address)?;
        }
        if self.mac_address.is_some() {
            api.require(&format!("{keyword} mac_address"), ENDPOINTS_API)?;
        }
        if self.gw_priority.is_some() {
            api.require(&format!("{keyword} gw_priority"), ApiVersion::new(1, 48))?;
        }
        let ipam = (self.ipv4_address.is_some()
            || self.ipv6_address.is_some()
            || self.link_local_ips.is_some())
        .then(|| EndpointIpamConfigInner {
            i_pv4_address: self.ipv4_address.clone(),
            i_pv6_address: self.ipv6_address.clone(),
            link_local_i_ps: self.link_local_ips.clone(),
        });
        Ok(EndpointSettings {
            aliases: self.aliases.clone(),
            links: match &self.links {
                Some(links) => Some(link_list(&format!("{keyword} links"), links)?),
                None => None,
            },
            ipam_config: ipam.map(|inner| EndpointIpamConfig(Some(inner))),
            driver_opts: match &self.driver_opt {
                Some(options) => Some(
                    options
                        .to_map(&format!("{keyword} driver_opt"), '=', None)?
                        .into_iter()
                        .collect(),
                ),
                None => None,
            },
            mac_address: self.mac_address.clone(),
            gw_priority: self.gw_priority,
            ..Default::default()
        })
    }
}

fn check_ip(keyword: &str, address: &str) -> Result<IpAddr> {
    address
        .parse::<IpAddr>()
        .map_err(|_| invalid(keyword, format!("{address:?} is not an IP address")))
}

/// Links as the API takes them: `name:alias`, or `name` alone.
fn link_list(keyword: &str, links: &KeyValues) -> Result<Vec<String>> {
    let list = links.to_list(keyword, ':')?;
    // An empty alias (docker-py's `{"db": ""}`) is the name alone.
    Ok(list
        .into_iter()
        .map(|link| match link.strip_suffix(':') {
            Some(name) => name.to_owned(),
            None => link,
        })
        .collect())
}

/// # Networks and names
///
/// Which network the container joins (by name, or a mode such as `host`),
/// its settings there, and DNS and `/etc/hosts` entries.
///
/// ```
/// use dockhand::options::{ContainerOptions, EndpointConfig};
/// // docker network connect --alias db backend …, at create
/// let options = ContainerOptions::new()
///     .network("backend")
///     .networking_config([("backend", EndpointConfig::new().aliases(["db"]))])
///     .dns(["10.0.0.2"]);
/// ```
impl ContainerOptions {
    /// Connect the container to this network when it is created (a
    /// network name or id, or a [`Network`](crate::Network); further networks come with
    /// [`networking_config`](Self::networking_config) or later connects).
    /// Not with `network_mode`.
    pub fn network(mut self, network: impl Into<String>) -> Self {
        self.network.network = Some(network.into());
        self
    }

    /// The network mode: a [`NetworkMode`] or its text (`"host"`,
    /// `"none"`, `"container:db"`, a network name). Not with `network`;
    /// `host` is not with `ports`.
    pub fn network_mode(mut self, mode: impl Into<NetworkMode>) -> Self {
        self.network.network_mode = Some(mode.into());
        self
    }

    /// Endpoint settings per network, keyed by network name; it must have
    /// an entry for [`network`](Self::network), which it requires. Several
    /// networks at creation need API 1.44.
    pub fn networking_config<I, K>(mut self, endpoints: I) -> Self
    where
        I: IntoIterator<Item = (K, EndpointConfig)>,
        K: Into<String>,
    {
        let mut endpoints: Vec<(String, EndpointConfig)> = endpoints
            .into_iter()
            .map(|(name, config)| (name.into(), config))
            .collect();
        endpoints.sort_by(|a, b| a.0.cmp(&b.0));
        self.network.networking_config = Some(endpoints);
        self
    }

    /// Disable networking altogether.
    pub fn network_disabled(mut self, disabled: bool) -> Self {
        self.network.network_disabled = Some(disabled);
        self
    }

    /// The container's MAC address. From API 1.44 it is set on the
    /// endpoint of `network` (or of the network mode); to older daemons it
    /// goes container-wide (`Config.MacAddress`), as the docker CLI sends
    /// it there.
    pub fn mac_address(mut self, address: impl Into<String>) -> Self {
        self.network.mac_address = Some(address.into());
        self
    }

    /// DNS servers (IP addresses).
    pub fn dns<I>(mut self, servers: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.network.dns = Some(strings(servers));
        self
    }

    /// Options for the container's `resolv.conf` (`"ndots:2"`, …).
    pub fn dns_opt<I>(mut self, options: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.network.dns_opt = Some(strings(options));
        self
    }

    /// DNS search domains.
    pub fn dns_search<I>(mut self, domains: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.network.dns_search = Some(strings(domains));
        self
    }

    /// Extra `/etc/hosts` entries: a map of hostname → IP address (or
    /// `host-gateway`), or a list of `"host:ip"` strings.
    pub fn extra_hosts(mut self, hosts: impl Into<KeyValues>) -> Self {
        self.network.extra_hosts = Some(hosts.into());
        self
    }

    /// Legacy links to other containers: a map of container → alias (a
    /// `None` or empty alias links by name), or a list of `"name:alias"`
    /// strings.
    pub fn links(mut self, links: impl Into<KeyValues>) -> Self {
        self.network.links = Some(links.into());
        self
    }
}

/// The network settings as typed: the mode, the endpoints, names and DNS.
#[derive(Clone, Debug, Default)]
pub(super) struct NetworkOptions {
    network: Option<String>,
    network_mode: Option<NetworkMode>,
    networking_config: Option<Vec<(String, EndpointConfig)>>,
    network_disabled: Option<bool>,
    mac_address: Option<String>,
    dns: Option<Vec<String>>,
    dns_opt: Option<Vec<String>>,
    dns_search: Option<Vec<String>>,
    extra_hosts: Option<KeyValues>,
    links: Option<KeyValues>,
}

impl NetworkOptions {
    /// The network mode the options amount to: `network_mode`, or the one
    /// that `network` sets.
    fn effective_network_mode(&self) -> Option<NetworkMode> {
        self.network_mode
            .clone()
            .or_else(|| self.network.as_deref().map(NetworkMode::from))
    }

    /// Check these settings and write them into the request.
    pub(super) fn apply(&self, draft: &mut Draft) -> Result<()> {
        let mode = self.checked_network_mode()?;
        if let Some(mode) = &mode {
            draft.host.network_mode = Some(mode.to_string());
        }
        let mut endpoints = self.endpoints(draft)?;
        self.apply_mac_address(draft, &mode, &mut endpoints)?;
        if !endpoints.is_empty() {
            draft.body.networking_config = Some(NetworkingConfig {
                endpoints_config: Some(endpoints.into_iter().collect()),
            });
        }
        draft.body.network_disabled = self.network_disabled;
        let host = &mut draft.host;
        if let Some(servers) = &self.dns {
            for server in servers {
                check_ip("dns", server)?;
            }
            host.dns = Some(servers.clone());
        }
        host.dns_options = self.dns_opt.clone();
        host.dns_search = self.dns_search.clone();
        if let Some(hosts) = &self.extra_hosts {
            host.extra_hosts = Some(extra_host_list(hosts)?);
        }
        if let Some(links) = &self.links {
            host.links = Some(link_list("links", links)?);
        }
        Ok(())
    }

    /// The network mode to send, refusing `network` with `network_mode`
    /// and empty names.
    fn checked_network_mode(&self) -> Result<Option<NetworkMode>> {
        Ok(match (&self.network, &self.network_mode) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "network",
                    "cannot be used together with network_mode",
                ))
            }
            (Some(network), None) if network.trim().is_empty() => {
                return Err(invalid("network", "must not be empty"))
            }
            (None, Some(NetworkMode::Container(id) | NetworkMode::Network(id)))
                if id.trim().is_empty() =>
            {
                return Err(invalid("network_mode", "names no container or network"))
            }
            _ => self.effective_network_mode(),
        })
    }

    /// `mac_address`: the container's before API 1.44, else its endpoint's
    /// on the network it joins.
    fn apply_mac_address(
        &self,
        draft: &mut Draft,
        mode: &Option<NetworkMode>,
        endpoints: &mut BTreeMap<String, EndpointSettings>,
    ) -> Result<()> {
        if let (Some(address), true) = (&self.mac_address, draft.api < ENDPOINTS_API) {
            // Before API 1.44 the address is the container's
            // (`Config.MacAddress`, as the docker CLI sends it to such
            // daemons, which take one network at most).
            if let Some(
                other @ (NetworkMode::Host | NetworkMode::None | NetworkMode::Container(_)),
            ) = mode
            {
                return Err(invalid(
                    "mac_address",
                    format!("cannot be used with network_mode {other}"),
                ));
            }
            draft.body.mac_address = Some(address.clone());
        } else if let Some(address) = &self.mac_address {
            // The endpoint the daemon itself moves an old-style address to.
            let network = match (&self.network, mode) {
                (Some(network), _) => network.clone(),
                (None, None | Some(NetworkMode::Default)) => "default".to_owned(),
                (None, Some(NetworkMode::Bridge)) => "bridge".to_owned(),
                (None, Some(NetworkMode::Network(name))) => name.clone(),
                (None, Some(other)) => {
                    return Err(invalid(
                        "mac_address",
                        format!("cannot be used with network_mode {other}"),
                    ))
                }
            };
            let endpoint = endpoints.entry(network.clone()).or_default();
            match &endpoint.mac_address {
                Some(other) if other != address => {
                    return Err(invalid(
                        "mac_address",
                        format!(
                        "{address:?} conflicts with {other:?} in networking_config[{network:?}]"
                    ),
                    ))
                }
                _ => endpoint.mac_address = Some(address.clone()),
            }
        }
        Ok(())
    }

    /// The endpoints of `network` and `networking_config`.
    fn endpoints(&self, draft: &Draft) -> Result<BTreeMap<String, EndpointSettings>> {
        let mut endpoints = BTreeMap::new();
        let Some(network) = &self.network else {
            if self.networking_config.is_some() {
                return Err(invalid("networking_config", "requires network"));
            }
            return Ok(endpoints);
        };
        let Some(configs) = &self.networking_config else {
            endpoints.insert(network.clone(), EndpointSettings::default());
            return Ok(endpoints);
        };
        if !configs.iter().any(|(name, _)| name == network) {
            return Err(invalid(
                "networking_config",
                format!("has no entry for network {network:?}"),
            ));
        }
        if configs.len() > 1 {
            draft.require(
                "networking_config with more than one network",
                ENDPOINTS_API,
            )?;
        }
        for (name, config) in configs {
            let keyword = format!("networking_config[{name:?}]");
            endpoints.insert(name.clone(), config.to_model(&keyword, draft.api)?);
        }
        Ok(endpoints)
    }
}

/// Extra hosts as the API takes them: `host:ip`.
fn extra_host_list(hosts: &KeyValues) -> Result<Vec<String>> {
    let list = hosts.to_list("extra_hosts", ':')?;
    for entry in &list {
        let ip = entry.split_once(':').map(|(_, ip)| ip);
        let valid = ip.is_some_and(|ip| ip == "host-gateway" || ip.parse::<IpAddr>().is_ok());
        if !valid {
            return Err(invalid(
                "extra_hosts",
                format!("{entry:?} is not host:ip (the ip an address or host-gateway)"),
            ));
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::request::tests::{error, error_at, host, request, LATEST};
    use super::*;

    fn endpoints(options: ContainerOptions, api: ApiVersion) -> HashMap<String, EndpointSettings> {
        options
            .to_request("busybox", api)
            .unwrap()
            .body
            .networking_config
            .unwrap()
            .endpoints_config
            .unwrap()
    }

    #[test]
    fn network_modes_round_trip() {
        for text in [
            "default",
            "bridge",
            "host",
            "none",
            "container:db",
            "backend",
        ] {
            assert_eq!(NetworkMode::from(text).to_string(), text);
        }
        assert_eq!(
            NetworkMode::from("container:db"),
            NetworkMode::Container("db".into())
        );
        assert_eq!(
            NetworkMode::from("backend"),
            NetworkMode::Network("backend".into())
        );
        let host = host(ContainerOptions::new().network_mode(NetworkMode::None));
        assert_eq!(host.network_mode.as_deref(), Some("none"));
    }

    #[test]
    fn network_sets_the_mode_and_an_endpoint() {
        let request = request(ContainerOptions::new().network("backend"));
        let host = request.body.host_config.unwrap();
        assert_eq!(host.network_mode.as_deref(), Some("backend"));
        let endpoints = request
            .body
            .networking_config
            .unwrap()
            .endpoints_config
            .unwrap();
        assert_eq!(endpoints.keys().collect::<Vec<_>>(), ["backend"]);
    }

    #[test]
    fn networking_config_fills_the_endpoint() {
        let options = ContainerOptions::new()
            .network("backend")
            .networking_config([(
                "backend",
                EndpointConfig::new()
                    .aliases(["db"])
                    .links([("cache", "c")])
                    .ipv4_address("172.28.0.10")
                    .ipv6_address("fd00::10")
                    .link_local_ips(["169.254.1.1"])
                    .driver_opt([("com.example.opt", "1")]),
            )]);
        let endpoint = endpoints(options, ApiVersion::MINIMUM)
            .remove("backend")
            .unwrap();
        assert_eq!(endpoint.aliases.unwrap(), ["db"]);
        assert_eq!(endpoint.links.unwrap(), ["cache:c"]);
        let ipam = endpoint.ipam_config.unwrap().0.unwrap();
        assert_eq!(ipam.i_pv4_address.as_deref(), Some("172.28.0.10"));
        assert_eq!(ipam.i_pv6_address.as_deref(), Some("fd00::10"));
        assert_eq!(ipam.link_local_i_ps.unwrap(), ["169.254.1.1"]);
        assert_eq!(endpoint.driver_opts.unwrap()["com.example.opt"], "1");
    }

    #[test]
    fn invalid_combinations() {
        let message = error(
            ContainerOptions::new().network("a").network_mode("host"),
            "network",
        );
        assert!(message.contains("network_mode"), "{message}");
        error(
            ContainerOptions::new().networking_config([("a", EndpointConfig::new())]),
            "networking_config",
        );
        error(
            ContainerOptions::new()
                .network("a")
                .networking_config([("b", EndpointConfig::new())]),
            "networking_config",
        );
        error(
            ContainerOptions::new().network_mode("container:"),
            "network_mode",
        );
        error(ContainerOptions::new().network(""), "network");
        error(
            ContainerOptions::new()
                .network("a")
                .networking_config([("a", EndpointConfig::new().ipv4_address("not-an-ip"))]),
            "ipv4_address",
        );
    }

    #[test]
    fn several_networks_need_api_1_44() {
        let options = ContainerOptions::new().network("a").networking_config([
            ("a", EndpointConfig::new()),
            ("b", EndpointConfig::new().aliases(["x"])),
        ]);
        let message = error(options.clone(), "more than one network");
        assert!(message.contains("requires API 1.44"), "{message}");
        assert_eq!(endpoints(options, LATEST).len(), 2);
    }

    #[test]
    fn mac_address_goes_to_the_container_before_api_1_44_and_the_endpoint_after() {
        let old = request(ContainerOptions::new().mac_address("02:42:ac:11:00:02"));
        assert_eq!(old.body.mac_address.as_deref(), Some("02:42:ac:11:00:02"));
        assert!(old.body.networking_config.is_none());
        error(
            ContainerOptions::new()
                .network_mode("host")
                .mac_address("02:42:ac:11:00:02"),
            "mac_address",
        );
        let options = ContainerOptions::new().mac_address("02:42:ac:11:00:02");
        let endpoint = endpoints(options, LATEST).remove("default").unwrap();
        assert_eq!(endpoint.mac_address.as_deref(), Some("02:42:ac:11:00:02"));
        let options = ContainerOptions::new()
            .network("backend")
            .mac_address("02:42:ac:11:00:02");
        assert!(endpoints(options, LATEST).contains_key("backend"));
        let options = ContainerOptions::new()
            .network_mode("bridge")
            .mac_address("02:42:ac:11:00:02");
        assert!(endpoints(options, LATEST).contains_key("bridge"));
        error_at(
            ContainerOptions::new()
                .network_mode("host")
                .mac_address("02:42:ac:11:00:02"),
            LATEST,
            "mac_address",
        );
        error_at(
            ContainerOptions::new()
                .network("a")
                .networking_config([("a", EndpointConfig::new().mac_address("02:00:00:00:00:01"))])
                .mac_address("02:00:00:00:00:02"),
            LATEST,
            "mac_address",
        );
        error(
            ContainerOptions::new()
                .network("a")
                .networking_config([("a", EndpointConfig::new().mac_address("02:00:00:00:00:01"))]),
            "mac_address",
        );
        error_at(
            ContainerOptions::new()
                .network("a")
                .networking_config([("a", EndpointConfig::new().gw_priority(10))]),
            ApiVersion::new(1, 47),
            "gw_priority",
        );
    }

    #[test]
    fn dns_extra_hosts_and_links() {
        let host = host(
            ContainerOptions::new()
                .dns(["8.8.8.8"])
                .dns_opt(["ndots:2"])
                .dns_search(["example.test"])
                .extra_hosts(HashMap::from([("db", "10.0.0.2"), ("api", "::1")]))
                .links(HashMap::from([("web", Some("w")), ("db", None)]))
                .network_disabled(true),
        );
        assert_eq!(host.dns.unwrap(), ["8.8.8.8"]);
        assert_eq!(host.dns_options.unwrap(), ["ndots:2"]);
        assert_eq!(host.dns_search.unwrap(), ["example.test"]);
        assert_eq!(host.extra_hosts.unwrap(), ["api:::1", "db:10.0.0.2"]);
        assert_eq!(host.links.unwrap(), ["db", "web:w"]);
        let host = super::super::request::tests::host(
            ContainerOptions::new()
                .extra_hosts(["gw:host-gateway"])
                .links(["a:b", "c"])
                .links([("web", "")]),
        );
        assert_eq!(host.extra_hosts.unwrap(), ["gw:host-gateway"]);
        assert_eq!(host.links.unwrap(), ["web"]);
        error(ContainerOptions::new().dns(["dns.example"]), "dns");
        error(ContainerOptions::new().extra_hosts(["db"]), "extra_hosts");
        error(
            ContainerOptions::new().extra_hosts([("db", "x.y")]),
            "extra_hosts",
        );
    }
}
