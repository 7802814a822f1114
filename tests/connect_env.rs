//! `Docker::from_env`, `from_context` and `contexts` with the process
//! environment the tests set: a temporary HOME and XDG_RUNTIME_DIR, no
//! DOCKER_HOST. One test in its own binary, since it changes the
//! environment of the whole process.

mod common;

use dockhand::{Docker, Error};

#[tokio::test]
async fn from_env_finds_contexts_and_local_sockets_in_a_users_home() {
    let Some(upstream) = common::recording_proxy::upstream_socket() else {
        eprintln!("SKIPPED: the test daemon is not on a unix socket");
        return;
    };
    // The ping checks the daemon before the environment changes.
    let local = common::docker().await;
    let system_sockets = ["/var/run/docker.sock", "/run/podman/podman.sock"];
    if system_sockets
        .iter()
        .any(|socket| std::path::Path::new(socket).exists())
    {
        eprintln!("SKIPPED: this machine has a system socket, which discovery prefers");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    for name in [
        "DOCKER_HOST",
        "DOCKER_CONTEXT",
        "DOCKER_CONFIG",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("HOME", home.path());
    std::env::set_var("XDG_RUNTIME_DIR", runtime.path());

    // Nothing anywhere: the error lists every place tried.
    let docker = Docker::from_env().unwrap();
    assert_eq!(docker.host().to_string(), "unix:///var/run/docker.sock");
    let text = docker.ping().await.unwrap_err().to_string();
    for tried in [
        "/var/run/docker.sock".to_owned(),
        runtime.path().join("docker.sock").display().to_string(),
        home.path()
            .join(".docker/run/docker.sock")
            .display()
            .to_string(),
        home.path()
            .join(".colima/default/docker.sock")
            .display()
            .to_string(),
        home.path()
            .join(".orbstack/run/docker.sock")
            .display()
            .to_string(),
        runtime
            .path()
            .join("podman/podman.sock")
            .display()
            .to_string(),
    ] {
        assert!(text.contains(&tried), "{tried} missing from: {text}");
    }

    // A Docker Desktop socket (here: a forwarder to the test daemon).
    let desktop = home.path().join(".docker/run");
    std::fs::create_dir_all(&desktop).unwrap();
    let desktop_socket = desktop.join("docker.sock");
    let _desktop = common::recording_proxy::RecordingProxy::start_at(&upstream, &desktop_socket);
    let docker = Docker::from_env().unwrap();
    assert_eq!(
        docker.host().to_string(),
        format!("unix://{}", desktop_socket.display())
    );
    docker.ping().await.expect("the discovered socket answers");

    // A rootless socket comes before it.
    let rootless_socket = runtime.path().join("docker.sock");
    let _rootless = common::recording_proxy::RecordingProxy::start_at(&upstream, &rootless_socket);
    let docker = Docker::from_env().unwrap();
    assert_eq!(
        docker.host().to_string(),
        format!("unix://{}", rootless_socket.display())
    );

    // A context in ~/.docker, made current by config.json, wins over discovery.
    let digest = {
        let out = std::process::Command::new("sh")
            .args(["-c", "printf %s ci | sha256sum"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()[..64].to_owned()
    };
    let meta = home.path().join(".docker/contexts/meta").join(digest);
    std::fs::create_dir_all(&meta).unwrap();
    let context = serde_json::json!({
        "Name": "ci",
        "Metadata": {"Description": "the test daemon"},
        "Endpoints": {"docker": {"Host": local.host().to_string()}},
    });
    std::fs::write(meta.join("meta.json"), context.to_string()).unwrap();
    std::fs::write(
        home.path().join(".docker/config.json"),
        r#"{"currentContext":"ci"}"#,
    )
    .unwrap();
    let docker = Docker::from_env().unwrap();
    assert_eq!(docker.host(), local.host());
    docker.ping().await.expect("the current context answers");

    let contexts = Docker::contexts().unwrap();
    let listed: Vec<(&str, bool)> = contexts
        .iter()
        .map(|c| (c.name.as_str(), c.current))
        .collect();
    assert_eq!(listed, [("default", false), ("ci", true)]);
    assert_eq!(contexts[1].description.as_deref(), Some("the test daemon"));

    let docker = Docker::from_context("default").unwrap();
    assert_eq!(docker.host().to_string(), "unix:///var/run/docker.sock");
    let err = Docker::from_context("nowhere").unwrap_err();
    assert!(
        matches!(&err, Error::ContextNotFound { name, .. } if name == "nowhere"),
        "{err:?}"
    );
    std::env::set_var("DOCKER_CONTEXT", "nowhere");
    assert!(matches!(
        Docker::from_env(),
        Err(Error::ContextNotFound { .. })
    ));
}
