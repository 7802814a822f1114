//! The network collection (`docker network …`): creating, looking up,
//! listing and pruning networks, and connecting containers to them.

use std::collections::HashMap;
use std::net::IpAddr;

use futures_util::{StreamExt, TryStreamExt};

use crate::container::container_segment;
use crate::options::EndpointConfig;
use crate::transport::path::check_name;
use crate::{models, Container, Docker, Error, Filters, Result};

/// How many networks a list inspects at once (and so how many pooled
/// connections it may open).
const INSPECT_CONCURRENCY: usize = 8;

/// The daemon's networks, from [`Docker::networks`].
#[derive(Clone, Debug)]
pub struct Networks {
    docker: Docker,
}

impl Docker {
    /// The network collection (docker-py's `client.networks`).
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let network = docker.networks().get("bridge").await?;
    /// println!("{} uses {:?}", network.name(), network.driver());
    /// # Ok(()) }
    /// ```
    pub fn networks(&self) -> Networks {
        Networks {
            docker: self.clone(),
        }
    }
}

impl Networks {
    /// Create a network (`docker network create`) and return it, inspected.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`], before any request, for an unusable
    /// name or malformed IPAM addresses (see [`NetworkCreateOptions`]);
    /// [`Error::Conflict`] when the name is taken (daemons from API 1.44);
    /// [`Error::Api`] when the daemon refuses the configuration (a subnet
    /// overlapping another network, an unknown driver, …).
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::{IpamPool, NetworkCreateOptions};
    /// let options = NetworkCreateOptions::new()
    ///     .driver("bridge")
    ///     .ipam_pool(IpamPool::new("10.99.0.0/24").gateway("10.99.0.1"))
    ///     .labels([("team", "web")]);
    /// let network = docker.networks().create("backend", &options).await?;
    /// println!("created {}", network.id());
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, name: &str, options: &NetworkCreateOptions) -> Result<Network> {
        let body = options.to_request(name)?;
        let created = self
            .docker
            .fetch("NetworkCreate", |raw| raw.network_create(&body))
            .await?;
        if !created.warning.is_empty() {
            tracing::warn!(network = name, warning = %created.warning, "network created with a warning");
        }
        self.get(&created.id).await
    }

    /// The network with this id, id prefix or name.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is none; [`Error::InvalidArgument`],
    /// before any request, for a value that could address something else
    /// (empty, `.`, `..`, with a control character or `\`).
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let network = docker.networks().get("backend").await?;
    /// println!("{} containers attached", network.containers().len());
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, id_or_name: &str) -> Result<Network> {
        let id = check_name("network", id_or_name)?;
        let attrs = self
            .docker
            .fetch("NetworkInspect", |raw| raw.network_inspect(id, None, None))
            .await?;
        Ok(Network {
            docker: self.docker.clone(),
            attrs,
        })
    }

    /// Like [`Networks::get`], but a missing network is `Ok(None)`.
    ///
    /// # Errors
    /// Any error of [`Networks::get`] other than not found.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// if docker.networks().get_opt("backend").await?.is_none() {
    ///     println!("no backend network yet");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_opt(&self, id_or_name: &str) -> Result<Option<Network>> {
        crate::error::found(self.get(id_or_name).await)
    }

    /// List networks (`docker network ls`) matching `filters` (`name`,
    /// `id`, `label`, `driver`, `scope`, `type`, `dangling`), each
    /// inspected in full so that [`Network::containers`] is filled in.
    /// A network removed between the list and its inspect is left out.
    ///
    /// # Errors
    /// [`Error::Transport`] or [`Error::Api`] when the daemon fails.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::Filters;
    /// for network in docker.networks().list(&Filters::new().label("team=web")).await? {
    ///     println!("{} {}", network.short_id(), network.name());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, filters: &Filters) -> Result<Vec<Network>> {
        let query = filters.to_query();
        let summaries = self
            .docker
            .fetch("NetworkList", |raw| raw.network_list(query.as_deref()))
            .await?;
        let inspected: Vec<Option<Network>> = futures_util::stream::iter(summaries)
            .filter_map(|summary| async move { summary.0.id })
            .map(|id| async move { self.get_opt(&id).await })
            .buffered(INSPECT_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(inspected.into_iter().flatten().collect())
    }

    /// Remove the networks no container uses (`docker network prune`)
    /// among those matching `filters` (`label`, `label!`, `until`), and
    /// return the names of those removed.
    ///
    /// # Errors
    /// [`Error::Conflict`] when another prune is running; [`Error::Api`]
    /// for a filter the daemon does not know.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let removed = docker
    ///     .networks()
    ///     .prune(&dockhand::Filters::new().label("job=nightly"))
    ///     .await?;
    /// println!("removed {removed:?}");
    /// # Ok(()) }
    /// ```
    pub async fn prune(&self, filters: &Filters) -> Result<Vec<String>> {
        let query = filters.to_query();
        let response = self
            .docker
            .fetch("NetworkPrune", |raw| raw.network_prune(query.as_deref()))
            .await?;
        Ok(response.networks_deleted.unwrap_or_default())
    }
}

/// One IPAM address pool of a network: a subnet, optionally with its
/// gateway and the range containers get addresses from (docker-py's
/// `IPAMPool`).
///
/// ```
/// use dockhand::IpamPool;
/// let pool = IpamPool::new("10.99.0.0/16")
///     .gateway("10.99.0.1")
///     .ip_range("10.99.5.0/24");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpamPool {
    subnet: String,
    gateway: Option<String>,
    ip_range: Option<String>,
    aux_addresses: Vec<(String, String)>,
}

impl IpamPool {
    /// A pool for `subnet`, in CIDR notation (`10.99.0.0/24`,
    /// `fd00:99::/64`).
    pub fn new(subnet: impl Into<String>) -> Self {
        IpamPool {
            subnet: subnet.into(),
            ..Default::default()
        }
    }

    /// The gateway address, inside the subnet.
    pub fn gateway(mut self, gateway: impl Into<String>) -> Self {
        self.gateway = Some(gateway.into());
        self
    }

    /// The sub-range, in CIDR notation, that containers get addresses
    /// from.
    pub fn ip_range(mut self, ip_range: impl Into<String>) -> Self {
        self.ip_range = Some(ip_range.into());
        self
    }

    /// Reserve `address` under `name` (docker-py's `aux_addresses`), so
    /// the daemon gives it to no container. Repeatable.
    pub fn aux_address(mut self, name: impl Into<String>, address: impl Into<String>) -> Self {
        self.aux_addresses.push((name.into(), address.into()));
        self
    }

    /// Check the addresses and build the API's form.
    fn to_config(&self) -> Result<models::IpamConfig> {
        let (network, prefix) = parse_cidr("subnet", &self.subnet)?;
        let inside = |what: &str, address: IpAddr| -> Result<()> {
            if in_subnet(address, network, prefix) {
                Ok(())
            } else {
                Err(Error::invalid(
                    format!("IPAM {what}"),
                    format!("{address} is not inside subnet {}", self.subnet),
                ))
            }
        };
        if let Some(gateway) = &self.gateway {
            inside("gateway", parse_ip("gateway", gateway)?)?;
        }
        if let Some(range) = &self.ip_range {
            let (start, range_prefix) = parse_cidr("ip_range", range)?;
            inside("ip_range", start)?;
            if range_prefix < prefix {
                return Err(Error::invalid(
                    "IPAM ip_range",
                    format!("{range} is larger than subnet {}", self.subnet),
                ));
            }
        }
        for (name, address) in &self.aux_addresses {
            inside("aux_address", parse_ip("aux_address", address)?)?;
            if name.is_empty() {
                return Err(Error::invalid(
                    "IPAM aux_address",
                    "names must not be empty",
                ));
            }
        }
        Ok(models::IpamConfig {
            subnet: Some(self.subnet.clone()),
            gateway: self.gateway.clone(),
            ip_range: self.ip_range.clone(),
            auxiliary_addresses: (!self.aux_addresses.is_empty())
                .then(|| self.aux_addresses.iter().cloned().collect()),
        })
    }
}

/// The optional settings of [`Networks::create`], named after docker-py's
/// `networks.create` keywords.
///
/// ```
/// use dockhand::{IpamPool, NetworkCreateOptions};
/// let options = NetworkCreateOptions::new()
///     .driver("bridge")
///     .options([("com.docker.network.bridge.enable_icc", "false")])
///     .ipam_pool(IpamPool::new("10.99.0.0/24"))
///     .internal(true)
///     .attachable(true)
///     .labels([("team", "web")]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct NetworkCreateOptions {
    driver: Option<String>,
    options: HashMap<String, String>,
    ipam_driver: Option<String>,
    ipam_options: HashMap<String, String>,
    ipam_pools: Vec<IpamPool>,
    internal: Option<bool>,
    attachable: Option<bool>,
    enable_ipv6: Option<bool>,
    labels: HashMap<String, String>,
}

impl NetworkCreateOptions {
    /// No options: a `bridge` network with addresses the daemon picks.
    pub fn new() -> Self {
        Self::default()
    }

    /// The network driver (`bridge`, `overlay`, `macvlan`, a plugin, …).
    pub fn driver(mut self, driver: impl Into<String>) -> Self {
        self.driver = Some(driver.into());
        self
    }

    /// Driver-specific options, added to those given before.
    pub fn options<K, V>(mut self, options: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.options
            .extend(options.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The IPAM driver (default `default`).
    pub fn ipam_driver(mut self, driver: impl Into<String>) -> Self {
        self.ipam_driver = Some(driver.into());
        self
    }

    /// IPAM driver options, added to those given before.
    pub fn ipam_options<K, V>(mut self, options: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.ipam_options
            .extend(options.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Add an address pool (subnet, gateway, range). Repeatable, e.g. for
    /// one IPv4 and one IPv6 pool.
    pub fn ipam_pool(mut self, pool: IpamPool) -> Self {
        self.ipam_pools.push(pool);
        self
    }

    /// Restrict external access to the network.
    pub fn internal(mut self, internal: bool) -> Self {
        self.internal = Some(internal);
        self
    }

    /// Let standalone containers attach to a swarm-scoped network.
    pub fn attachable(mut self, attachable: bool) -> Self {
        self.attachable = Some(attachable);
        self
    }

    /// Enable IPv6 on the network.
    pub fn enable_ipv6(mut self, enable: bool) -> Self {
        self.enable_ipv6 = Some(enable);
        self
    }

    /// Labels, added to those given before.
    pub fn labels<K, V>(mut self, labels: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.labels
            .extend(labels.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The request body, after checking the name and addresses.
    fn to_request(&self, name: &str) -> Result<models::NetworkCreateBody> {
        check_name("network", name)?;
        if let Some(driver) = &self.driver {
            if driver.is_empty() {
                return Err(Error::invalid(
                    "driver",
                    "a network driver must not be empty",
                ));
            }
        }
        let pools = self
            .ipam_pools
            .iter()
            .map(IpamPool::to_config)
            .collect::<Result<Vec<_>>>()?;
        let ipam =
            (self.ipam_driver.is_some() || !self.ipam_options.is_empty() || !pools.is_empty())
                .then(|| models::Ipam {
                    driver: self.ipam_driver.clone(),
                    config: (!pools.is_empty()).then_some(pools),
                    options: (!self.ipam_options.is_empty()).then(|| self.ipam_options.clone()),
                });
        let map = |map: &HashMap<String, String>| (!map.is_empty()).then(|| map.clone());
        Ok(models::NetworkCreateBody {
            attachable: self.attachable,
            config_from: None,
            config_only: None,
            driver: self.driver.clone(),
            enable_i_pv4: None,
            enable_i_pv6: self.enable_ipv6,
            ingress: None,
            internal: self.internal,
            ipam,
            labels: map(&self.labels),
            name: name.to_owned(),
            options: map(&self.options),
            scope: None,
        })
    }
}

/// A container to connect to or disconnect from a network: its id or
/// name, or a [`Container`] handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerRef<'a>(&'a str);

impl<'a> From<&'a str> for ContainerRef<'a> {
    fn from(id_or_name: &'a str) -> Self {
        ContainerRef(id_or_name)
    }
}

impl<'a> From<&'a String> for ContainerRef<'a> {
    fn from(id_or_name: &'a String) -> Self {
        ContainerRef(id_or_name)
    }
}

impl<'a> From<&'a Container> for ContainerRef<'a> {
    fn from(container: &'a Container) -> Self {
        ContainerRef(container.id())
    }
}

/// A network handle names its network by id, so that
/// [`ContainerOptions::network`](crate::ContainerOptions::network) takes it.
impl From<&Network> for String {
    fn from(network: &Network) -> Self {
        network.id().to_owned()
    }
}

/// A network: its id, the client, and its attributes as last inspected.
#[derive(Clone, Debug)]
pub struct Network {
    docker: Docker,
    attrs: models::NetworkInspect,
}

impl Network {
    /// The full id.
    pub fn id(&self) -> &str {
        self.attrs.id.as_deref().unwrap_or_default()
    }

    /// The first 12 characters of the id, as `docker network ls` shows.
    pub fn short_id(&self) -> &str {
        let id = self.id();
        id.get(..12).unwrap_or(id)
    }

    /// The name.
    pub fn name(&self) -> &str {
        self.attrs.name.as_deref().unwrap_or_default()
    }

    /// The driver (`bridge`, `host`, `overlay`, …).
    pub fn driver(&self) -> Option<&str> {
        self.attrs.driver.as_deref()
    }

    /// The labels.
    pub fn labels(&self) -> HashMap<String, String> {
        self.attrs.labels.clone().unwrap_or_default()
    }

    /// Everything the daemon reported (`docker network inspect`).
    pub fn attrs(&self) -> &models::NetworkInspect {
        &self.attrs
    }

    /// The client this handle uses.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The ids of the containers attached when last inspected (see
    /// [`Network::reload`]); the endpoint details are in
    /// [`attrs`](Self::attrs)`().containers`.
    pub fn containers(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .attrs
            .containers
            .iter()
            .flat_map(|map| map.keys().map(String::as_str))
            .collect();
        ids.sort_unstable();
        ids
    }

    /// The id to put in a request path, refused when it could address
    /// anything but this network.
    fn segment(&self) -> Result<&str> {
        check_name("network", self.id())
    }

    /// Connect a container (`docker network connect`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`], before any request, for a malformed
    /// address; [`Error::NotFound`] when the network or container is gone;
    /// [`Error::Api`] when the daemon refuses (an address outside the
    /// subnets or in use, a container already connected, …).
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::options::EndpointConfig;
    /// let network = docker.networks().get("backend").await?;
    /// network
    ///     .connect("web", &EndpointConfig::new().aliases(["api"]))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect<'a>(
        &self,
        container: impl Into<ContainerRef<'a>>,
        endpoint: &EndpointConfig,
    ) -> Result<()> {
        let container = container_segment(container.into().0)?;
        let id = self.segment()?;
        let api = self.docker.api_version().await?;
        let body = models::NetworkConnectRequest {
            container: container.to_owned(),
            endpoint_config: Some(endpoint.to_model("endpoint", api)?),
        };
        let raw = self.docker.raw().await?;
        self.docker
            .call("NetworkConnect", raw.network_connect(id, &body))
            .await?;
        Ok(())
    }

    /// Disconnect a container (`docker network disconnect`); `force`
    /// disconnects it even when it is not running any more.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the network or container is gone;
    /// [`Error::Api`] when the container is not connected.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let network = docker.networks().get("backend").await?;
    /// network.disconnect("web", false).await?;
    /// # Ok(()) }
    /// ```
    pub async fn disconnect<'a>(
        &self,
        container: impl Into<ContainerRef<'a>>,
        force: bool,
    ) -> Result<()> {
        let container = container_segment(container.into().0)?;
        let id = self.segment()?;
        let body = models::NetworkDisconnectRequest {
            container: container.to_owned(),
            force: Some(force),
        };
        let raw = self.docker.raw().await?;
        self.docker
            .call("NetworkDisconnect", raw.network_disconnect(id, &body))
            .await?;
        Ok(())
    }

    /// Remove the network (`docker network rm`).
    ///
    /// # Errors
    /// [`Error::NotFound`] when it is gone already; [`Error::Api`] or
    /// [`Error::Conflict`] while containers are still attached.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// docker.networks().get("backend").await?.remove().await?;
    /// # Ok(()) }
    /// ```
    pub async fn remove(&self) -> Result<()> {
        let id = self.segment()?;
        let raw = self.docker.raw().await?;
        self.docker
            .call("NetworkDelete", raw.network_delete(id))
            .await?;
        Ok(())
    }

    /// Inspect the network again, refreshing [`attrs`](Self::attrs) and
    /// [`containers`](Self::containers).
    ///
    /// # Errors
    /// [`Error::NotFound`] if the network is gone.
    ///
    /// ```no_run
    /// # async fn demo(mut network: dockhand::Network) -> dockhand::Result<()> {
    /// network.reload().await?;
    /// # Ok(()) }
    /// ```
    pub async fn reload(&mut self) -> Result<()> {
        let id = self.segment()?.to_owned();
        let fresh = self.docker.networks().get(&id).await?;
        self.attrs = fresh.attrs;
        Ok(())
    }
}

impl PartialEq for Network {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Network {}

/// An IP address, or an [`Error::InvalidArgument`] naming `what`.
fn parse_ip(what: &str, text: &str) -> Result<IpAddr> {
    text.parse().map_err(|_| {
        Error::invalid(
            format!("IPAM {what}"),
            format!("{text:?} is not an IP address"),
        )
    })
}

/// An address and prefix length in CIDR notation (`10.0.0.0/24`).
fn parse_cidr(what: &str, text: &str) -> Result<(IpAddr, u8)> {
    let bad = || {
        Error::invalid(
            format!("IPAM {what}"),
            format!("{text:?} is not in CIDR notation (e.g. 10.10.0.0/24)"),
        )
    };
    let (address, prefix) = text.split_once('/').ok_or_else(bad)?;
    let address: IpAddr = address.parse().map_err(|_| bad())?;
    let prefix: u8 = prefix.parse().map_err(|_| bad())?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    if prefix > max {
        return Err(bad());
    }
    Ok((address, prefix))
}

/// Whether `address` lies in `network/prefix` (same family, same leading
/// `prefix` bits).
fn in_subnet(address: IpAddr, network: IpAddr, prefix: u8) -> bool {
    let mask = |bits: u32| u128::MAX.checked_shl(bits - u32::from(prefix)).unwrap_or(0);
    match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = mask(32) as u32;
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = mask(128);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid<T: std::fmt::Debug>(result: Result<T>) -> String {
        match result {
            Err(err @ Error::InvalidArgument { .. }) => err.to_string(),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn options_map_to_the_create_body() {
        let body = NetworkCreateOptions::new()
            .driver("bridge")
            .options([("com.docker.network.bridge.enable_icc", "false")])
            .ipam_pool(
                IpamPool::new("10.99.0.0/16")
                    .gateway("10.99.0.1")
                    .ip_range("10.99.5.0/24")
                    .aux_address("router", "10.99.0.2"),
            )
            .internal(true)
            .attachable(true)
            .enable_ipv6(false)
            .labels([("team", "web")])
            .to_request("backend")
            .unwrap();
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "Name": "backend",
                "Driver": "bridge",
                "Options": {"com.docker.network.bridge.enable_icc": "false"},
                "IPAM": {"Config": [{
                    "Subnet": "10.99.0.0/16",
                    "Gateway": "10.99.0.1",
                    "IPRange": "10.99.5.0/24",
                    "AuxiliaryAddresses": {"router": "10.99.0.2"},
                }]},
                "Internal": true,
                "Attachable": true,
                "EnableIPv6": false,
                "Labels": {"team": "web"},
            })
        );
    }

    #[test]
    fn no_options_send_only_the_name() {
        let body = NetworkCreateOptions::new().to_request("n").unwrap();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"Name": "n"})
        );
    }

    #[test]
    fn bad_addresses_and_names_are_refused() {
        let create = |pool: IpamPool| NetworkCreateOptions::new().ipam_pool(pool).to_request("n");
        assert!(invalid(create(IpamPool::new("10.0.0.0"))).contains("CIDR"));
        assert!(invalid(create(IpamPool::new("10.0.0.300/24"))).contains("CIDR"));
        assert!(invalid(create(IpamPool::new("10.0.0.0/33"))).contains("CIDR"));
        assert!(
            invalid(create(IpamPool::new("10.0.0.0/24").gateway("10.0.1.1")))
                .contains("not inside")
        );
        assert!(invalid(create(IpamPool::new("10.0.0.0/24").gateway("gw"))).contains("gateway"));
        assert!(
            invalid(create(IpamPool::new("10.0.0.0/24").gateway("fd00::1"))).contains("not inside")
        );
        assert!(
            invalid(create(IpamPool::new("10.0.0.0/24").ip_range("10.0.0.0/16")))
                .contains("larger")
        );
        assert!(create(IpamPool::new("fd00:99::/64").gateway("fd00:99::1")).is_ok());
        assert!(create(IpamPool::new("0.0.0.0/0").gateway("1.2.3.4")).is_ok());
        for name in ["", ".", "..", "a\nb", "a\\b"] {
            invalid(NetworkCreateOptions::new().to_request(name));
        }
    }

    #[test]
    fn connect_options_map_to_endpoint_settings() {
        let to_model =
            |endpoint: EndpointConfig| endpoint.to_model("endpoint", crate::ApiVersion::LATEST);
        let endpoint = to_model(
            EndpointConfig::new()
                .aliases(["db"])
                .ipv4_address("10.99.0.10"),
        )
        .unwrap();
        let json = serde_json::to_value(&endpoint).unwrap();
        assert_eq!(json["Aliases"], serde_json::json!(["db"]));
        assert_eq!(json["IPAMConfig"]["IPv4Address"], "10.99.0.10");
        assert!(json["IPAMConfig"].get("IPv6Address").is_none());
        invalid(to_model(EndpointConfig::new().ipv4_address("fd00::1")));
        invalid(to_model(EndpointConfig::new().ipv6_address("10.0.0.1")));
    }

    #[tokio::test]
    async fn hostile_ids_are_refused_before_any_request() {
        // No daemon listens here and the version is pinned: any request
        // would be a transport error.
        let docker = Docker::builder()
            .host("unix:///nonexistent/dockhand.sock")
            .api_version("1.41")
            .build()
            .unwrap();
        for id in ["", ".", "..", "a\0b"] {
            invalid(docker.networks().get(id).await);
            let mut network = Network {
                docker: docker.clone(),
                attrs: models::NetworkInspect {
                    id: Some(id.to_owned()),
                    ..Default::default()
                },
            };
            invalid(network.remove().await);
            invalid(network.connect("web", &EndpointConfig::new()).await);
            invalid(network.disconnect("web", true).await);
            invalid(network.reload().await);
        }
        let network = Network {
            docker: docker.clone(),
            attrs: models::NetworkInspect {
                id: Some("abc".to_owned()),
                ..Default::default()
            },
        };
        invalid(network.connect("..", &EndpointConfig::new()).await);
    }
}
