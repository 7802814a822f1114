//! Finding a local daemon when nothing is configured (no `DOCKER_HOST`, no
//! context): the sockets Docker Engine, rootless Docker, Docker Desktop,
//! colima, OrbStack and Podman listen on, in this order, the first that
//! accepts a connection winning. The docker CLI does not probe (it uses
//! `/var/run/docker.sock`); testcontainers and similar tools do, and a
//! laptop user expects it.
//!
//! 1. `/var/run/docker.sock` (Docker Engine)
//! 2. `$XDG_RUNTIME_DIR/docker.sock` (rootless Docker)
//! 3. `~/.docker/run/docker.sock` (Docker Desktop)
//! 4. `~/.docker/desktop/docker.sock` (Docker Desktop, older)
//! 5. `~/.colima/default/docker.sock` (colima)
//! 6. `~/.orbstack/run/docker.sock` (OrbStack)
//! 7. `$XDG_RUNTIME_DIR/podman/podman.sock` (rootless Podman)
//! 8. `/run/podman/podman.sock` (Podman)

use std::path::PathBuf;

/// The sockets to try, in order, for the given environment.
pub(crate) fn candidates(var: &impl Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let non_empty = |name: &str| {
        var(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    let runtime = non_empty("XDG_RUNTIME_DIR");
    let home = non_empty("HOME");
    let mut sockets = vec![PathBuf::from(crate::DEFAULT_UNIX_SOCKET)];
    if let Some(runtime) = &runtime {
        sockets.push(runtime.join("docker.sock"));
    }
    if let Some(home) = &home {
        for below in [
            ".docker/run/docker.sock",
            ".docker/desktop/docker.sock",
            ".colima/default/docker.sock",
            ".orbstack/run/docker.sock",
        ] {
            sockets.push(home.join(below));
        }
    }
    if let Some(runtime) = &runtime {
        sockets.push(runtime.join("podman/podman.sock"));
    }
    sockets.push(PathBuf::from("/run/podman/podman.sock"));
    sockets
}

/// What probing found: the first socket that accepted a connection, or
/// every place tried and why each failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Probed {
    Found(PathBuf),
    NoneAnswered(String),
}

/// Try each socket in order. A Unix connect answers at once, so this costs
/// a few system calls and is done when the client is built.
pub(crate) fn probe(sockets: &[PathBuf]) -> Probed {
    let mut tried = Vec::new();
    for socket in sockets {
        match std::os::unix::net::UnixStream::connect(socket) {
            Ok(_) => return Probed::Found(socket.clone()),
            Err(err) => tried.push(format!("{} ({err})", socket.display())),
        }
    }
    Probed::NoneAnswered(format!(
        "no daemon answered at any of the places tried: {}",
        tried.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_follow_the_documented_order() {
        let var = |name: &str| match name {
            "HOME" => Some("/home/u".to_owned()),
            "XDG_RUNTIME_DIR" => Some("/run/user/1000".to_owned()),
            _ => None,
        };
        let listed: Vec<String> = candidates(&var)
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        assert_eq!(
            listed,
            [
                "/var/run/docker.sock",
                "/run/user/1000/docker.sock",
                "/home/u/.docker/run/docker.sock",
                "/home/u/.docker/desktop/docker.sock",
                "/home/u/.colima/default/docker.sock",
                "/home/u/.orbstack/run/docker.sock",
                "/run/user/1000/podman/podman.sock",
                "/run/podman/podman.sock",
            ]
        );
        let bare = candidates(&|_: &str| None);
        assert_eq!(bare.len(), 2);
    }

    #[test]
    fn the_first_listening_socket_wins_and_failures_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.sock");
        let stale = dir.path().join("stale.sock");
        drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
        let live = dir.path().join("live.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&live).unwrap();
        let later = dir.path().join("later.sock");
        let _later = std::os::unix::net::UnixListener::bind(&later).unwrap();
        assert_eq!(
            probe(&[missing.clone(), stale.clone(), live.clone(), later]),
            Probed::Found(live)
        );
        let Probed::NoneAnswered(why) = probe(&[missing.clone(), stale.clone()]) else {
            panic!("nothing listens there");
        };
        assert!(why.contains(&missing.display().to_string()), "{why}");
        assert!(why.contains(&stale.display().to_string()), "{why}");
        assert!(why.contains("Connection refused"), "{why}");
    }
}
