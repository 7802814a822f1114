//! What a user sees when the daemon address is wrong: typed errors, at once.

use std::time::Duration;

use dockhand::{Docker, Error};

#[test]
fn a_malformed_docker_host_is_an_invalid_argument_naming_it() {
    for host in [
        "tcp://no-port-here",
        "fd://",
        "gopher://x:70",
        "tcp://h:notaport",
    ] {
        let err = Docker::connect(host).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "{host}: {err:?}"
        );
        assert!(err.to_string().contains(host), "{err}");
    }
}

#[tokio::test]
async fn a_dead_socket_is_a_transport_error_naming_the_host() {
    let dir = std::env::temp_dir().join(format!("dockhand-dead-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A socket file with no listener behind it: connection refused.
    let path = dir.join("dead.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    for socket in [path.clone(), dir.join("missing.sock")] {
        let host = format!("unix://{}", socket.display());
        let docker = Docker::connect(&host).unwrap();
        // A hang would be a bug; the bound only keeps a broken build from
        // stalling the suite.
        let err = tokio::time::timeout(Duration::from_secs(30), docker.version())
            .await
            .expect("a dead socket fails at once")
            .unwrap_err();
        assert!(err.is_transport(), "{err:?}");
        assert!(err.to_string().contains(&host), "{err}");
        assert!(std::error::Error::source(&err).is_some());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_closed_tcp_port_is_a_transport_error() {
    // Bind then drop to find a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let docker = Docker::connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    let err = tokio::time::timeout(Duration::from_secs(30), docker.ping())
        .await
        .expect("a closed port fails at once")
        .unwrap_err();
    assert!(err.is_transport(), "{err:?}");
}
