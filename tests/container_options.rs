//! `ContainerOptions` against the real daemon: each family of options is
//! created into a container and read back with inspect, so the request
//! dockhand builds is the one the daemon understands.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use dockhand::models::{ContainerInspectResponse, HostConfig, NetworkCreateBody};
use dockhand::options::{
    EndpointConfig, Healthcheck, LogConfig, Mount, RestartPolicy, Ulimit, VolumeBind,
};
use dockhand::{
    ApiVersion, ContainerOptions, Docker, Error, LogsOptions, RemoveOptions, WaitOptions,
};

/// Removes the containers (with their anonymous volumes), then the
/// networks, a test made, when the test ends — passing or failing.
#[derive(Default)]
struct Cleanup {
    containers: Vec<String>,
    networks: Vec<String>,
}

impl Cleanup {
    /// A unique container name, to be removed at the end.
    fn container(&mut self, what: &str) -> String {
        let name = common::unique_name(what);
        self.containers.push(name.clone());
        name
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let containers = std::mem::take(&mut self.containers);
        let networks = std::mem::take(&mut self.networks);
        common::cleanup::on_own_runtime(None, move |docker| async move {
            for name in containers {
                if let Ok(Some(container)) = docker.containers().get_opt(&name).await {
                    let _ = container
                        .remove(&RemoveOptions::new().force(true).v(true))
                        .await;
                }
            }
            let raw = docker.raw().await.expect("client");
            for network in networks {
                let _ = raw.network_delete(&network).await;
            }
        });
    }
}

/// The test label every container carries.
fn labelled(name: &str) -> ContainerOptions {
    ContainerOptions::new()
        .name(name)
        .labels([(common::TEST_LABEL, name)])
        .command("true")
}

/// Create a container from `options` and inspect it.
async fn create(docker: &Docker, options: &ContainerOptions) -> ContainerInspectResponse {
    let image = common::busybox(docker).await;
    let container = docker
        .containers()
        .create(image, options)
        .await
        .expect("the daemon accepts the options");
    common::raw_inspect(docker, container.id()).await
}

/// The error creating a container `name` from `options` is, checking that
/// none was created.
async fn refused(docker: &Docker, image: &str, options: &ContainerOptions, name: &str) -> String {
    let err = docker
        .containers()
        .create(image, options)
        .await
        .unwrap_err();
    assert!(docker.containers().get_opt(name).await.unwrap().is_none());
    err.to_string()
}

fn host_config(inspect: &ContainerInspectResponse) -> &HostConfig {
    inspect.host_config.as_ref().expect("HostConfig")
}

#[tokio::test]
async fn process_options_reach_the_config() {
    let docker = common::docker().await;
    let mut cleanup = Cleanup::default();
    let name = cleanup.container("opt-process");
    let options = labelled(&name)
        .command("sh -c 'echo \"$MODE\"; exit 0'")
        .entrypoint(["/bin/env", "--"])
        .environment(HashMap::from([("MODE", "test"), ("TZ", "UTC")]))
        .labels(HashMap::from([
            (common::TEST_LABEL, name.as_str()),
            ("team", "web"),
        ]))
        .working_dir("/tmp")
        .user("1000:1000")
        .hostname("optbox")
        .domainname("example.test")
        .stop_signal("SIGINT")
        .stop_timeout(Duration::from_secs(7))
        .tty(true)
        .stdin_open(true);
    let inspect = create(&docker, &options).await;
    assert_eq!(inspect.name.as_deref(), Some(format!("/{name}").as_str()));
    let config = inspect.config.as_ref().unwrap();
    assert_eq!(
        config.cmd.as_deref().unwrap(),
        ["sh", "-c", "echo \"$MODE\"; exit 0"]
    );
    assert_eq!(config.entrypoint.as_deref().unwrap(), ["/bin/env", "--"]);
    let env = config.env.as_deref().unwrap();
    assert!(
        env.contains(&"MODE=test".to_owned()) && env.contains(&"TZ=UTC".to_owned()),
        "{env:?}"
    );
    let labels = config.labels.as_ref().unwrap();
    assert_eq!(labels["team"], "web");
    assert_eq!(labels[common::TEST_LABEL], name);
    assert_eq!(config.working_dir.as_deref(), Some("/tmp"));
    assert_eq!(config.user.as_deref(), Some("1000:1000"));
    assert_eq!(config.hostname.as_deref(), Some("optbox"));
    assert_eq!(config.domainname.as_deref(), Some("example.test"));
    assert_eq!(config.stop_signal.as_deref(), Some("SIGINT"));
    assert_eq!(config.stop_timeout, Some(7));
    assert_eq!(config.tty, Some(true));
    assert_eq!(config.open_stdin, Some(true));
}

#[tokio::test]
async fn resources_are_limited() {
    let docker = common::docker().await;
    let mut cleanup = Cleanup::default();
    let name = cleanup.container("opt-resources");
    let options = labelled(&name)
        .mem_limit("128m")
        .mem_reservation("64m")
        .memswap_limit("256m")
        .shm_size("1.5m")
        .cpu_shares(512)
        .cpu_period(100_000)
        .cpu_quota(50_000)
        .cpuset_cpus("0")
        .pids_limit(64)
        .oom_score_adj(100)
        .ulimits([Ulimit::new("nofile", 1024, 2048), Ulimit::from("nproc=512")]);
    let inspect = create(&docker, &options).await;
    let host = host_config(&inspect);
    assert_eq!(host.memory, Some(134_217_728));
    assert_eq!(host.memory_reservation, Some(67_108_864));
    assert_eq!(host.memory_swap, Some(268_435_456));
    assert_eq!(host.shm_size, Some(1_572_864));
    assert_eq!(host.cpu_shares, Some(512));
    assert_eq!(host.cpu_period, Some(100_000));
    assert_eq!(host.cpu_quota, Some(50_000));
    assert_eq!(host.cpuset_cpus.as_deref(), Some("0"));
    assert_eq!(host.pids_limit, Some(64));
    assert_eq!(host.oom_score_adj, Some(100));
    let ulimits: Vec<_> = host
        .ulimits
        .iter()
        .flatten()
        .map(|u| (u.name.clone().unwrap(), u.soft.unwrap(), u.hard.unwrap()))
        .collect();
    assert_eq!(
        ulimits,
        [
            ("nofile".to_owned(), 1024, 2048),
            ("nproc".to_owned(), 512, 512)
        ]
    );

    let name = cleanup.container("opt-nanocpus");
    let inspect = create(&docker, &labelled(&name).nano_cpus(500_000_000)).await;
    assert_eq!(host_config(&inspect).nano_cpus, Some(500_000_000));
}

#[tokio::test]
async fn ports_are_published() {
    let docker = common::docker().await;
    let mut cleanup = Cleanup::default();
    let name = cleanup.container("opt-ports");
    let options = labelled(&name).ports(vec![
        ("80/tcp", dockhand::options::HostPorts::from(18080)),
        (
            "53/udp",
            dockhand::options::HostPorts::from(("127.0.0.1", 15353)),
        ),
        ("22", dockhand::options::HostPorts::from(None)),
        ("443", dockhand::options::HostPorts::from([18443, 18444])),
    ]);
    let inspect = create(&docker, &options).await;
    let bindings = &host_config(&inspect).port_bindings.as_ref().unwrap().0;
    let pairs = |key: &str| -> Vec<(String, String)> {
        bindings[key]
            .iter()
            .flatten()
            .map(|b| {
                (
                    b.host_ip.clone().unwrap_or_default(),
                    b.host_port.clone().unwrap_or_default(),
                )
            })
            .collect()
    };
    assert_eq!(pairs("80/tcp"), [(String::new(), "18080".to_owned())]);
    assert_eq!(
        pairs("53/udp"),
        [("127.0.0.1".to_owned(), "15353".to_owned())]
    );
    assert_eq!(pairs("22/tcp"), [(String::new(), String::new())]);
    assert_eq!(
        pairs("443/tcp"),
        [
            (String::new(), "18443".to_owned()),
            (String::new(), "18444".to_owned())
        ]
    );
    let exposed = inspect
        .config
        .as_ref()
        .unwrap()
        .exposed_ports
        .as_ref()
        .unwrap();
    for key in ["80/tcp", "53/udp", "22/tcp", "443/tcp"] {
        assert!(exposed.contains_key(key), "{key} not exposed: {exposed:?}");
    }
}

#[tokio::test]
async fn volumes_mounts_and_tmpfs() {
    let docker = common::docker().await;
    let mut cleanup = Cleanup::default();
    let name = cleanup.container("opt-volumes");
    let host_dir = std::env::temp_dir();
    let host_dir = host_dir.to_str().unwrap();
    let options = labelled(&name)
        .volumes(HashMap::from([(
            host_dir,
            VolumeBind::new("/host").read_only(true),
        )]))
        .mounts([
            Mount::bind(host_dir, "/bound").read_only(true),
            Mount::tmpfs("/cache").tmpfs_size("1m"),
            Mount::volume("", "/scratch"),
        ])
        .tmpfs(["/run:size=2m"]);
    let inspect = create(&docker, &options).await;
    let host = host_config(&inspect);
    assert_eq!(
        host.binds.as_deref().unwrap(),
        [format!("{host_dir}:/host:ro")]
    );
    let mounts = host.mounts.as_deref().unwrap();
    assert_eq!(mounts.len(), 3);
    assert_eq!(mounts[0].target.as_deref(), Some("/bound"));
    assert_eq!(mounts[0].read_only, Some(true));
    let tmpfs = mounts[1].tmpfs_options.as_ref().unwrap();
    assert_eq!(tmpfs.size_bytes, Some(1_048_576));
    assert_eq!(host.tmpfs.as_ref().unwrap()["/run"], "size=2m");
    let targets: Vec<_> = inspect
        .mounts
        .iter()
        .flatten()
        .filter_map(|m| m.destination.clone())
        .collect();
    for target in ["/host", "/bound", "/scratch"] {
        assert!(
            targets.iter().any(|t| t == target),
            "{target} not in {targets:?}"
        );
    }
}

#[tokio::test]
async fn an_anonymous_volume_is_named_and_shared_through_volumes_from() {
    let docker = common::docker().await;
    let mut cleanup = Cleanup::default();
    let image = common::busybox(&docker).await;
    let name = cleanup.container("opt-anon");
    let options =
        labelled(&name)
            .volumes(["/data"])
            .command(["sh", "-c", "echo kept > /data/file"]);
    let inspect = create(&docker, &options).await;
    // As `docker run -v /data`: a container volume, not a bind.
    assert_eq!(host_config(&inspect).binds, None);
    let volume = inspect
        .mounts
        .iter()
        .flatten()
        .find(|m| m.destination.as_deref() == Some("/data"))
        .expect("/data is mounted");
    assert!(
        volume.name.as_deref().is_some_and(|n| !n.is_empty()),
        "{volume:?}"
    );
    let writer = docker.containers().get(&name).await.unwrap();
    writer.start().await.unwrap();
    writer.wait(&WaitOptions::new()).await.unwrap();

    let reader = cleanup.container("opt-anon-from");
    let output = docker
        .containers()
        .run(
            image,
            &labelled(&reader)
                .volumes_from([name.as_str()])
                .command("cat /data/file"),
        )
        .await
        .unwrap();
    assert_eq!(output, b"kept\n");
}

#[tokio::test]
async fn restart_health_and_logging() {
    let docker = common::docker().await;
    let mut cleanup = Cleanup::default();
    let name = cleanup.container("opt-health");
    let options = labelled(&name)
        .restart_policy("on-failure:3")
        .healthcheck(
            Healthcheck::shell("test -e /tmp")
                .interval(Duration::from_secs(2))
                .timeout(Duration::from_secs(1))
                .retries(2)
                .start_period(Duration::from_millis(500)),
        )
        .log_config(LogConfig::new("json-file").config([("max-size", "1m"), ("max-file", "2")]));
    let inspect = create(&docker, &options).await;
    let host = host_config(&inspect);
    let policy = host.restart_policy.as_ref().unwrap();
    assert_eq!(policy.name.as_deref(), Some("on-failure"));
    assert_eq!(policy.maximum_retry_count, Some(3));
    let log = host.log_config.as_ref().unwrap();
    assert_eq!(log.type_.as_deref(), Some("json-file"));
    assert_eq!(log.config.as_ref().unwrap()["max-file"], "2");
    let health = inspect
        .config
        .as_ref()
        .unwrap()
        .healthcheck
        .as_ref()
        .unwrap();
    assert_eq!(
        health.test.as_deref().unwrap(),
        ["CMD-SHELL", "test -e /tmp"]
    );
    assert_eq!(health.interval, Some(2_000_000_000));
    assert_eq!(health.timeout, Some(1_000_000_000));
    assert_eq!(health.retries, Some(2));
    assert_eq!(health.start_period, Some(500_000_000));

    let name = cleanup.container("opt-restart");
    let inspect = create(
        &docker,
        &labelled(&name).restart_policy(RestartPolicy::UnlessStopped),
    )
    .await;
    let policy = host_config(&inspect).restart_policy.clone().unwrap();
    assert_eq!(policy.name.as_deref(), Some("unless-stopped"));
}

#[tokio::test]
async fn host_options_reach_the_host_config() {
    let docker = common::docker().await;
    let mut cleanup = Cleanup::default();
    let name = cleanup.container("opt-host");
    let options = labelled(&name)
        .sysctls(HashMap::from([("net.core.somaxconn", 1024)]))
        .extra_hosts(HashMap::from([("db", "10.0.0.2")]))
        .dns(["10.0.0.53"])
        .dns_search(["example.test"])
        .dns_opt(["ndots:2"])
        .devices(["/dev/null:/dev/mynull:rw"])
        .cap_add(["NET_ADMIN"])
        .cap_drop(["MKNOD"])
        .security_opt(["no-new-privileges"])
        .read_only(true)
        .init(true)
        .group_add([1000])
        .ipc_mode("private")
        .cgroup_parent("dockhand-test")
        .auto_remove(false);
    let inspect = create(&docker, &options).await;
    let host = host_config(&inspect);
    assert_eq!(host.sysctls.as_ref().unwrap()["net.core.somaxconn"], "1024");
    assert_eq!(host.extra_hosts.as_deref().unwrap(), ["db:10.0.0.2"]);
    assert_eq!(host.dns.as_deref().unwrap(), ["10.0.0.53"]);
    assert_eq!(host.dns_search.as_deref().unwrap(), ["example.test"]);
    assert_eq!(host.dns_options.as_deref().unwrap(), ["ndots:2"]);
    let device = &host.devices.as_deref().unwrap()[0];
    assert_eq!(device.path_on_host.as_deref(), Some("/dev/null"));
    assert_eq!(device.path_in_container.as_deref(), Some("/dev/mynull"));
    assert_eq!(device.cgroup_permissions.as_deref(), Some("rw"));
    assert_eq!(host.cap_add.as_deref().unwrap(), ["NET_ADMIN"]);
    assert_eq!(host.cap_drop.as_deref().unwrap(), ["MKNOD"]);
    assert_eq!(host.security_opt.as_deref().unwrap(), ["no-new-privileges"]);
    assert_eq!(host.readonly_rootfs, Some(true));
    assert_eq!(host.init, Some(true));
    assert_eq!(host.group_add.as_deref().unwrap(), ["1000"]);
    assert_eq!(host.ipc_mode.as_deref(), Some("private"));
    assert_eq!(host.cgroup_parent.as_deref(), Some("dockhand-test"));
}

#[tokio::test]
async fn customize_reaches_fields_without_a_setter() {
    let docker = common::docker().await;
    let mut cleanup = Cleanup::default();
    let name = cleanup.container("opt-customize");
    let options = labelled(&name).mem_limit("64m").customize(|body| {
        body.shell = Some(vec!["/bin/sh".into(), "-ec".into()]);
        let host = body.host_config.get_or_insert_with(Default::default);
        host.masked_paths = Some(vec!["/proc/kcore".into()]);
    });
    let inspect = create(&docker, &options).await;
    let config = inspect.config.as_ref().expect("Config");
    assert_eq!(config.shell.as_deref().unwrap(), ["/bin/sh", "-ec"]);
    // What the setters filled is kept beside what the function set.
    assert_eq!(config.cmd.as_deref().unwrap(), ["true"]);
    let host = host_config(&inspect);
    let masked = host.masked_paths.as_deref().unwrap_or_default();
    assert!(
        masked.iter().any(|path| path == "/proc/kcore"),
        "{masked:?}"
    );
    assert_eq!(host.memory, Some(64 * 1024 * 1024));
}

#[tokio::test]
async fn networks_and_network_modes() {
    let docker = common::docker().await;
    let mut cleanup = Cleanup::default();
    let network = common::unique_name("opt-net");
    let raw = docker.raw().await.unwrap();
    let body: NetworkCreateBody = serde_json::from_value(serde_json::json!({
        "Name": network,
        "Labels": {common::TEST_LABEL: network},
    }))
    .unwrap();
    raw.network_create(&body).await.expect("network created");
    cleanup.networks.push(network.clone());

    let name = cleanup.container("opt-network");
    let options = labelled(&name).network(&network).networking_config([(
        network.as_str(),
        EndpointConfig::new().aliases(["db", "primary"]),
    )]);
    let inspect = create(&docker, &options).await;
    assert_eq!(
        host_config(&inspect).network_mode.as_deref(),
        Some(network.as_str())
    );
    let endpoints = inspect
        .network_settings
        .as_ref()
        .unwrap()
        .networks
        .as_ref()
        .unwrap();
    let aliases = endpoints[&network].aliases.clone().unwrap_or_default();
    assert!(aliases.contains(&"db".to_owned()), "{aliases:?}");

    let name = cleanup.container("opt-none");
    let inspect = create(&docker, &labelled(&name).network_mode("none")).await;
    assert_eq!(host_config(&inspect).network_mode.as_deref(), Some("none"));

    let name = cleanup.container("opt-hostnet");
    let inspect = create(&docker, &labelled(&name).network_mode("host")).await;
    assert_eq!(host_config(&inspect).network_mode.as_deref(), Some("host"));
}

#[tokio::test]
async fn the_process_sees_its_options() {
    let docker = common::docker().await;
    let mut cleanup = Cleanup::default();
    let name = cleanup.container("opt-run");
    let script = "echo \"mode=$MODE\"; echo \"pwd=$(pwd)\"; echo \"uid=$(id -u)\"; \
                  echo \"host=$(hostname)\"; echo \"files=$(ulimit -n)\"; \
                  echo \"conn=$(cat /proc/sys/net/core/somaxconn)\"; \
                  grep -q db /etc/hosts && echo hosts=ok";
    let options = labelled(&name)
        .command(vec!["sh", "-c", script])
        .environment(["MODE=run"])
        .working_dir("/tmp")
        .user(4321)
        .hostname("runbox")
        .ulimits([("nofile", 777)])
        .sysctls(["net.core.somaxconn=512"])
        .extra_hosts(["db:10.0.0.2"]);
    let image = common::busybox(&docker).await;
    let container = docker.containers().create(image, &options).await.unwrap();
    container.start().await.unwrap();
    let exit = container.wait(&WaitOptions::new()).await.unwrap();
    let output = container.logs(&LogsOptions::new()).await.unwrap();
    let output = String::from_utf8_lossy(&output);
    assert!(exit.success(), "{exit:?}: {output}");
    for line in [
        "mode=run",
        "pwd=/tmp",
        "uid=4321",
        "host=runbox",
        "files=777",
        "conn=512",
        "hosts=ok",
    ] {
        assert!(
            output.lines().any(|l| l == line),
            "{line:?} not in {output:?}"
        );
    }
}

#[tokio::test]
async fn invalid_options_fail_before_any_request() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let mut cleanup = Cleanup::default();
    for (options, keyword) in [
        (ContainerOptions::new().mem_limit("12x"), "mem_limit"),
        (
            ContainerOptions::new().ports([(80, "localhost:80")]),
            "ports",
        ),
        (
            ContainerOptions::new()
                .network("bridge")
                .network_mode("host"),
            "network",
        ),
        (
            ContainerOptions::new()
                .network_mode("host")
                .ports([(80, 8080)]),
            "ports",
        ),
        (
            ContainerOptions::new().volumes(HashMap::from([(
                "/srv",
                VolumeBind::new("/srv").read_only(true).mode("rw"),
            )])),
            "volumes",
        ),
        (ContainerOptions::new().command("echo 'unclosed"), "command"),
        (
            // dockerd refuses this pair; dockhand says so first.
            ContainerOptions::new()
                .nano_cpus(500_000_000)
                .cpu_period(100_000),
            "nano_cpus",
        ),
    ] {
        let name = cleanup.container("opt-invalid");
        let err = docker
            .containers()
            .create(image, &options.name(&name))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
        assert!(err.to_string().contains(keyword), "{keyword}: {err}");
        assert!(docker.containers().get_opt(&name).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn options_newer_than_the_daemon_name_the_version() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let api = docker.api_version().await.unwrap();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container("opt-version");
    let options = labelled(&name)
        .healthcheck(Healthcheck::shell("true").start_interval(Duration::from_secs(1)));
    if api >= ApiVersion::new(1, 44) {
        // A daemon new enough takes it.
        let inspect = create(&docker, &options).await;
        let health = inspect
            .config
            .and_then(|c| c.healthcheck)
            .expect("Healthcheck");
        assert_eq!(health.start_interval, Some(1_000_000_000));
        return;
    }
    assert_eq!(
        refused(&docker, image, &options, &name).await,
        format!(
            "invalid argument: healthcheck start_interval: requires API 1.44; the daemon speaks {api}"
        )
    );
}

#[tokio::test]
async fn a_console_size_reaches_daemons_from_api_1_42() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let api = docker.api_version().await.unwrap();
    let mut cleanup = Cleanup::default();
    let name = cleanup.container("opt-console");
    let options = labelled(&name).tty(true).console_size(40, 120);
    if api >= ApiVersion::new(1, 42) {
        let inspect = create(&docker, &options).await;
        assert_eq!(host_config(&inspect).console_size, Some([40, 120]));
        return;
    }
    assert_eq!(
        refused(&docker, image, &options, &name).await,
        format!("invalid argument: console_size: requires API 1.42; the daemon speaks {api}")
    );
}

#[tokio::test]
async fn a_mac_address_reaches_the_container_on_every_api() {
    // Container-wide before API 1.44, on the endpoint from 1.44: the daemon
    // gives the container the address either way.
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    let mut cleanup = Cleanup::default();
    let name = cleanup.container("opt-mac");
    let address = "02:42:ac:11:00:99";
    let options = labelled(&name).command("sleep 30").mac_address(address);
    let container = docker
        .containers()
        .run_detached(image, &options)
        .await
        .expect("a container with a MAC address");
    let inspect = common::raw_inspect(&docker, container.id()).await;
    let networks = inspect
        .network_settings
        .and_then(|settings| settings.networks)
        .expect("the container's networks");
    let bridge = networks.get("bridge").expect("the default bridge endpoint");
    assert_eq!(bridge.mac_address.as_deref(), Some(address));
}
