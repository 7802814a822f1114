//! Real registries for the tests: Debian's `docker-registry` (distribution
//! 2.8) serving on 127.0.0.1 at a free port, with its own storage and
//! config in a temporary directory, optionally behind htpasswd basic auth.
//! dockerd treats 127.0.0.0/8 registries as insecure, so no TLS is needed.
//!
//! Each [`Registry`] is one process, killed and cleaned up on drop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dockhand::{Docker, ImageRemoveOptions, ImportOptions};

/// How long a registry may take to answer its first `GET /v2/`.
const STARTUP: Duration = Duration::from_secs(20);

/// The user name and password of [`Registry::with_auth`].
pub const USER: &str = "dockhand";
/// The password of [`Registry::with_auth`].
pub const PASSWORD: &str = "s3cret-pass";

/// A running registry.
pub struct Registry {
    child: Child,
    host: String,
    dir: tempfile::TempDir,
}

impl Registry {
    /// An open registry: anyone may push and pull.
    pub fn open() -> Registry {
        Registry::start(false)
    }

    /// A registry that takes only [`USER`] / [`PASSWORD`] (bcrypt htpasswd).
    pub fn with_auth() -> Registry {
        Registry::start(true)
    }

    /// `127.0.0.1:<port>`: the registry part of its image references.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// A repository no other test uses: `<host>/dockhand-test/<what>-…`.
    pub fn repository(&self, what: &str) -> String {
        format!("{}/dockhand-test/{}", self.host, super::unique_name(what))
    }

    /// The registry's scratch directory (config, storage, password file).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn start(auth: bool) -> Registry {
        let program =
            std::env::var("DOCKHAND_TEST_REGISTRY").unwrap_or_else(|_| "docker-registry".into());
        // The free port is found by binding and releasing it; another
        // process may take it in between, so a failed start is retried.
        let mut last_log = String::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let port = free_port();
            let host = format!("127.0.0.1:{port}");
            std::fs::write(
                dir.path().join("config.yml"),
                config(dir.path(), &host, auth),
            )
            .expect("writing the registry config");
            if auth {
                write_htpasswd(&dir.path().join("htpasswd"));
            }
            let log = std::fs::File::create(dir.path().join("registry.log")).expect("log file");
            let child = Command::new(&program)
                .arg("serve")
                .arg(dir.path().join("config.yml"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log file"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|err| {
                    panic!(
                        "cannot run {program}: {err}\n\
                         install Debian's docker-registry (`cargo xtask test` does)"
                    )
                });
            let mut registry = Registry { child, host, dir };
            if registry.wait_until_ready() {
                return registry;
            }
            last_log = std::fs::read_to_string(registry.dir.path().join("registry.log"))
                .unwrap_or_default();
        }
        panic!("the test registry did not start:\n{last_log}");
    }

    /// Poll `GET /v2/` until the registry answers (200, or 401 with auth);
    /// false if the process exits or time runs out.
    fn wait_until_ready(&mut self) -> bool {
        let deadline = Instant::now() + STARTUP;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Some(status) = get_v2(&self.host) {
                if status == 200 || status == 401 {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The registry's configuration: this address only, storage in `dir`.
fn config(dir: &Path, host: &str, auth: bool) -> String {
    let mut config = format!(
        "version: 0.1\n\
         log:\n  level: error\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n\
         http:\n  addr: {host}\n  secret: {secret}\n",
        storage = dir.join("storage").display(),
        secret = super::unique_name("secret"),
    );
    if auth {
        config.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: dockhand-test\n    path: {}\n",
            dir.join("htpasswd").display()
        ));
    }
    config
}

/// `htpasswd -Bbn USER PASSWORD` into `path`.
fn write_htpasswd(path: &Path) {
    let output = Command::new("htpasswd")
        .args(["-Bbn", USER, PASSWORD])
        .output()
        .unwrap_or_else(|err| {
            panic!("cannot run htpasswd: {err}\ninstall apache2-utils (`cargo xtask test` does)")
        });
    assert!(output.status.success(), "htpasswd failed: {output:?}");
    std::fs::write(path, output.stdout).expect("writing the password file");
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port on 127.0.0.1")
}

/// The status of `GET /v2/`, if the registry answers at all.
fn get_v2(host: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET /v2/ HTTP/1.0\r\nHost: {host}\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    // `HTTP/1.1 200`
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// A small image no other test (or run) has: one file of pseudo-random
/// bytes, so its layer is new to both the daemon and the registry and a
/// pull of it downloads. Imported as `reference`; returns its id.
pub async fn unique_image(docker: &Docker, reference: &str) -> String {
    let tar = unique_layer_tar(256 * 1024);
    let image = docker
        .images()
        .import(
            tar,
            &ImportOptions::new().repository(reference).changes([format!(
                "LABEL {}={}",
                super::TEST_LABEL,
                reference.replace(':', "_")
            )]),
        )
        .await
        .expect("importing the unique test image");
    image.id().to_owned()
}

/// A tar holding `data.bin` with `size` bytes no earlier call produced.
pub fn unique_layer_tar(size: usize) -> Vec<u8> {
    let seed = super::unique_name("seed");
    // xorshift64, seeded from the unique name: cheap, and incompressible
    // enough that the pushed layer is about `size` bytes.
    let mut state = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    }) | 1;
    let mut data = Vec::with_capacity(size);
    while data.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.extend_from_slice(&state.to_le_bytes());
    }
    data.truncate(size);
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    tar.append_data(&mut header, "data.bin", data.as_slice())
        .expect("a tar in memory");
    tar.append_data(&mut tar_header(seed.len()), "seed.txt", seed.as_bytes())
        .expect("a tar in memory");
    tar.into_inner().expect("a tar in memory")
}

fn tar_header(size: usize) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size as u64);
    header.set_mode(0o644);
    header
}

/// Removes the listed images (by reference or id) when dropped, even when
/// the test panics: only what the test made.
pub struct ImageCleanup {
    docker: Docker,
    names: Vec<String>,
}

impl ImageCleanup {
    /// Nothing to remove yet.
    pub fn new(docker: &Docker) -> Self {
        ImageCleanup {
            docker: docker.clone(),
            names: Vec::new(),
        }
    }

    /// Remove `name` (a reference or an id) at the end.
    pub fn add(&mut self, name: impl Into<String>) {
        self.names.push(name.into());
    }
}

impl Drop for ImageCleanup {
    fn drop(&mut self) {
        let names = std::mem::take(&mut self.names);
        let host = Some(self.docker.host().to_string());
        super::cleanup::on_own_runtime(host, move |docker| async move {
            for name in names {
                let _ = docker
                    .images()
                    .remove(&name, &ImageRemoveOptions::new().force(true))
                    .await;
            }
        });
    }
}
