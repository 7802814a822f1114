//! The network and volume collections against the real daemon: create,
//! get, list, connect/disconnect, mount, remove and prune, each test on
//! objects carrying its own `dockhand.test=<unique>` label only.

mod common;

use std::collections::HashMap;

use dockhand::options::{EndpointConfig, VolumeBind};
use dockhand::{
    ApiVersion, ContainerAttrs, ContainerOptions, Error, ExecOptions, IpamPool,
    NetworkCreateOptions, RemoveOptions, VolumeCreateOptions,
};

use common::cleanup::LabelCleanup as Cleanup;

/// A /24 unlikely to clash with other networks or concurrent runs:
/// `10.213.<n>.0/24`, `n` from the process id.
fn test_subnet() -> (String, u32) {
    let n = std::process::id() % 250 + 1;
    (format!("10.213.{n}.0/24"), n)
}

#[tokio::test]
async fn network_create_get_list_connect_disconnect_remove() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let cleanup = Cleanup::new("net");
    let networks = docker.networks();
    let name = common::unique_name("net");
    let (subnet, n) = test_subnet();
    let gateway = format!("10.213.{n}.1");
    let fixed = format!("10.213.{n}.77");

    let options = NetworkCreateOptions::new()
        .driver("bridge")
        .ipam_pool(IpamPool::new(&subnet).gateway(&gateway))
        .labels(cleanup.pair())
        .labels([("purpose", "networks_volumes")]);
    let network = networks.create(&name, &options).await.expect("created");
    assert_eq!(network.name(), name);
    assert_eq!(network.driver(), Some("bridge"));
    assert_eq!(network.labels()[common::TEST_LABEL], cleanup.label());
    assert_eq!(network.labels()["purpose"], "networks_volumes");
    let pools = network
        .attrs()
        .ipam
        .as_ref()
        .and_then(|ipam| ipam.config.clone())
        .unwrap_or_default();
    assert_eq!(pools.len(), 1, "{pools:?}");
    assert_eq!(pools[0].subnet.as_deref(), Some(subnet.as_str()));
    assert_eq!(pools[0].gateway.as_deref(), Some(gateway.as_str()));
    assert!(network.containers().is_empty());

    // get by name, by id and by id prefix; list by label.
    assert_eq!(networks.get(&name).await.unwrap(), network);
    assert_eq!(networks.get(network.id()).await.unwrap().name(), name);
    assert_eq!(networks.get(network.short_id()).await.unwrap(), network);
    let listed = networks.list(&cleanup.filters()).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0], network);
    assert_eq!(listed[0].name(), name);

    // Connect a running container with an alias and a fixed address.
    let mut container = docker
        .containers()
        .run_detached(
            image,
            &ContainerOptions::new()
                .command("sleep 60")
                .labels(cleanup.pair()),
        )
        .await
        .expect("container runs");
    let mut network = network;
    network
        .connect(
            &container,
            &EndpointConfig::new().aliases(["db"]).ipv4_address(&fixed),
        )
        .await
        .expect("connected");

    container.reload().await.unwrap();
    let ContainerAttrs::Inspected(attrs) = container.attrs() else {
        panic!("reload inspects");
    };
    let endpoints = attrs
        .network_settings
        .as_ref()
        .and_then(|settings| settings.networks.clone())
        .unwrap_or_default();
    let endpoint = endpoints
        .get(&name)
        .unwrap_or_else(|| panic!("on {name}: {endpoints:?}"));
    assert_eq!(endpoint.ip_address.as_deref(), Some(fixed.as_str()));
    assert_eq!(endpoint.network_id.as_deref(), Some(network.id()));
    let aliases = endpoint.aliases.clone().unwrap_or_default();
    assert!(aliases.contains(&"db".to_owned()), "{aliases:?}");

    network.reload().await.unwrap();
    assert_eq!(network.containers(), vec![container.id()]);

    // The alias resolves from inside the network.
    let result = container
        .exec_run("nslookup db", &ExecOptions::new())
        .await
        .expect("exec");
    let text = String::from_utf8_lossy(&result.output.bytes()).into_owned();
    assert!(text.contains(&fixed), "{text}");

    // Removing a network in use is refused.
    let err = network.remove().await.expect_err("in use");
    assert!(
        matches!(err, Error::Api { .. } | Error::Conflict { .. }),
        "{err:?}"
    );

    network
        .disconnect(&container, false)
        .await
        .expect("disconnected");
    network.reload().await.unwrap();
    assert!(network.containers().is_empty());
    container.reload().await.unwrap();
    let ContainerAttrs::Inspected(attrs) = container.attrs() else {
        panic!("reload inspects");
    };
    let endpoints = attrs
        .network_settings
        .as_ref()
        .and_then(|settings| settings.networks.clone())
        .unwrap_or_default();
    assert!(!endpoints.contains_key(&name), "{endpoints:?}");
    let err = network
        .disconnect(container.id(), false)
        .await
        .expect_err("not connected any more");
    assert!(!err.is_transport(), "{err:?}");

    container
        .remove(&RemoveOptions::new().force(true))
        .await
        .unwrap();

    // A container created on the network by handle is attached from the start.
    let on_network = docker
        .containers()
        .create(
            image,
            &ContainerOptions::new()
                .command("sleep 60")
                .network(&network)
                .labels(cleanup.pair()),
        )
        .await
        .expect("created on the network");
    network.reload().await.unwrap();
    let ContainerAttrs::Inspected(attrs) = on_network.attrs() else {
        panic!("create inspects");
    };
    let endpoints = attrs
        .network_settings
        .as_ref()
        .and_then(|settings| settings.networks.clone())
        .unwrap_or_default();
    assert!(endpoints.contains_key(&name), "{endpoints:?}");
    on_network
        .remove(&RemoveOptions::new().force(true))
        .await
        .unwrap();
    network.remove().await.expect("removed");
    assert!(networks.get_opt(&name).await.unwrap().is_none());
    assert!(network.remove().await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn missing_networks_and_bad_options() {
    let docker = common::docker().await;
    let networks = docker.networks();
    let missing = common::unique_name("no-such-net");
    assert!(networks.get_opt(&missing).await.unwrap().is_none());
    let err = networks.get(&missing).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    // Refused before any request: nothing is created.
    let name = common::unique_name("bad-net");
    for pool in [
        IpamPool::new("10.213.0.0"),
        IpamPool::new("10.213.300.0/24"),
        IpamPool::new("10.213.0.0/24").gateway("10.214.0.1"),
        IpamPool::new("10.213.0.0/24").ip_range("10.0.0.0/8"),
    ] {
        let options = NetworkCreateOptions::new().ipam_pool(pool);
        let err = networks.create(&name, &options).await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    }
    assert!(networks.get_opt(&name).await.unwrap().is_none());
    let err = networks
        .create("..", &NetworkCreateOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
}

#[tokio::test]
async fn network_prune_removes_only_labelled_unused_networks() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("net-prune");
    let networks = docker.networks();
    let options = NetworkCreateOptions::new().labels(cleanup.pair());
    let first = common::unique_name("net-prune");
    let second = common::unique_name("net-prune");
    networks.create(&first, &options).await.unwrap();
    networks.create(&second, &options).await.unwrap();

    let mut pruned = networks.prune(&cleanup.filters()).await.expect("pruned");
    pruned.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(pruned, expected);
    assert!(networks.list(&cleanup.filters()).await.unwrap().is_empty());
}

#[tokio::test]
async fn volume_create_get_list_mount_remove() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let cleanup = Cleanup::new("vol");
    let volumes = docker.volumes();
    let name = common::unique_name("vol");

    let options = VolumeCreateOptions::new()
        .name(&name)
        .driver("local")
        .driver_opts([("type", "tmpfs"), ("device", "tmpfs"), ("o", "size=4m")])
        .labels(cleanup.pair());
    let volume = volumes.create(&options).await.expect("created");
    assert_eq!(volume.name(), name);
    assert_eq!(volume.driver(), "local");
    assert!(!volume.mountpoint().is_empty());
    assert_eq!(volume.labels()[common::TEST_LABEL], cleanup.label());
    assert_eq!(volume.driver_opts()["type"], "tmpfs");
    assert_eq!(volume.driver_opts()["o"], "size=4m");

    assert_eq!(volumes.get(&name).await.unwrap(), volume);
    let listed = volumes.list(&cleanup.filters()).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0], volume);
    assert_eq!(listed[0].labels()[common::TEST_LABEL], cleanup.label());

    // One container writes, another reads it back. A tmpfs volume keeps
    // its content while mounted only, so the writer stays up meanwhile.
    let binds = HashMap::from([(name.as_str(), VolumeBind::new("/data"))]);
    // The handle's own bind says the same.
    assert_eq!(volume.bind("/data"), format!("{name}:/data"));
    let writer = docker
        .containers()
        .run_detached(
            image,
            &ContainerOptions::new()
                .command([
                    "sh",
                    "-c",
                    "echo shared-through-volume > /data/note && sleep 60",
                ])
                .volumes(binds.clone())
                .labels(cleanup.pair()),
        )
        .await
        .expect("writer runs");
    let mut read = Vec::new();
    for _ in 0..50 {
        read = docker
            .containers()
            .run(
                image,
                &ContainerOptions::new()
                    .command(["sh", "-c", "cat /data/note 2>/dev/null || true"])
                    .volumes([volume.bind("/data")])
                    .labels(cleanup.pair())
                    .remove(true),
            )
            .await
            .expect("reader runs");
        if !read.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(String::from_utf8_lossy(&read), "shared-through-volume\n");

    // In use: refused with a conflict.
    let err = volume.remove(false).await.expect_err("in use");
    assert!(err.is_conflict(), "{err:?}");
    writer
        .remove(&RemoveOptions::new().force(true))
        .await
        .unwrap();

    volume.remove(false).await.expect("removed");
    assert!(volumes.get_opt(&name).await.unwrap().is_none());
    assert!(volume.remove(false).await.unwrap_err().is_not_found());
    assert!(volumes.list(&cleanup.filters()).await.unwrap().is_empty());
}

#[tokio::test]
async fn volume_prune_by_label_reports_names() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("vol-prune");
    let volumes = docker.volumes();
    let named = common::unique_name("vol-prune");
    volumes
        .create(
            &VolumeCreateOptions::new()
                .name(&named)
                .labels(cleanup.pair()),
        )
        .await
        .unwrap();
    let anonymous = volumes
        .create(&VolumeCreateOptions::new().labels(cleanup.pair()))
        .await
        .unwrap();
    assert_ne!(anonymous.name(), named);

    // From API 1.42 prune leaves named volumes alone unless asked for all.
    let mut filters = cleanup.filters();
    if docker.api_version().await.unwrap() >= ApiVersion::new(1, 42) {
        filters = filters.add("all", "true");
    }
    let report = volumes.prune(&filters).await.expect("pruned");
    let mut pruned = report.deleted.clone();
    pruned.sort();
    let mut expected = vec![named.clone(), anonymous.name().to_owned()];
    expected.sort();
    assert_eq!(pruned, expected, "{report:?}");
    assert!(volumes.list(&cleanup.filters()).await.unwrap().is_empty());
    assert!(volumes.get_opt(&named).await.unwrap().is_none());
}
