//! Published ports read back as socket addresses, and a client reaching the
//! container through them, against the real daemon.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dockhand::options::Protocol;
use dockhand::{Container, ContainerOptions, Error, ListOptions, RemoveOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A busybox httpd serving `hello from httpd` on port 80, published on any
/// free host port, and UDP port 53 on any free port of 127.0.0.1.
async fn web_server(docker: &dockhand::Docker, label: &str) -> Container {
    let image = common::busybox(docker).await;
    let options = ContainerOptions::new()
        .command([
            "sh",
            "-c",
            "mkdir /www && echo hello from httpd > /www/index.html && exec httpd -f -p 80 -h /www",
        ])
        .ports(vec![
            ("80/tcp", dockhand::options::HostPorts::from(None)),
            ("53/udp", dockhand::options::HostPorts::from("127.0.0.1")),
        ])
        .labels([format!("{}={label}", common::TEST_LABEL)]);
    docker
        .containers()
        .run_detached(image, &options)
        .await
        .unwrap()
}

/// GET / from `address`, retrying while httpd is not yet listening.
async fn http_get(address: SocketAddr) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let attempt = async {
            let mut stream = tokio::net::TcpStream::connect(address).await?;
            stream
                .write_all(b"GET / HTTP/1.0\r\nHost: test\r\n\r\n")
                .await?;
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await?;
            std::io::Result::Ok(answer)
        };
        match attempt.await {
            Ok(answer) if answer.contains("hello from httpd") => return answer,
            result if Instant::now() > deadline => panic!("no answer from {address}: {result:?}"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

#[tokio::test]
async fn host_port_reaches_the_published_server() {
    let docker = common::docker().await;
    let label = common::unique_name("ports-http");
    let container = web_server(&docker, &label).await;

    let address = container.host_port(80);
    let udp = container.host_port("53/udp");
    let unpublished = container.host_port(9000);
    let ports = container.ports().unwrap();
    let answer = match &address {
        Ok(address) => Some(http_get(*address).await),
        Err(_) => None,
    };
    let listed = docker
        .containers()
        .list(
            &ListOptions::new()
                .sparse(true)
                .filters(dockhand::Filters::new().label(format!("{}={label}", common::TEST_LABEL))),
        )
        .await
        .unwrap();
    container
        .remove(&RemoveOptions::new().force(true))
        .await
        .unwrap();

    let address = address.unwrap();
    assert!(address.ip().is_loopback(), "{address}");
    assert_ne!(address.port(), 0);
    assert!(answer.unwrap().starts_with("HTTP/1."));
    let udp = udp.unwrap();
    assert_eq!(udp.ip().to_string(), "127.0.0.1");
    assert_ne!(udp.port(), 0);
    match unpublished {
        Err(Error::PortNotPublished { port, .. }) => assert_eq!(port, "9000/tcp"),
        other => panic!("expected PortNotPublished, got {other:?}"),
    }
    let summary: Vec<_> = ports
        .iter()
        .map(|port| (port.port, port.protocol, port.host.is_empty()))
        .collect();
    assert_eq!(
        summary,
        [(53, Protocol::Udp, false), (80, Protocol::Tcp, false)]
    );
    // A list summary knows the same published ports.
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].host_port(80).unwrap().port(), address.port());
}
