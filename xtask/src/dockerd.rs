//! The Docker daemon that `cargo xtask test` and `cargo xtask quickstart` run
//! against.
//!
//! A daemon that already answers at `DOCKER_HOST` (or at the default socket
//! when that is unset) is used as it is and left running. Otherwise the xtask
//! starts its own dockerd with its data root and log under `<repo>/.dockhand/`
//! and its sockets, pidfile and exec root in a runtime directory (see
//! [`Paths`]), and the returned [`Daemon`] stops it when dropped: after the
//! tests, and also when they fail or the xtask panics.
//!
//! That dockerd also listens on `tcp://127.0.0.1:<free port>` with
//! `--tlsverify`, for the TLS transport tests, with certificates from
//! `tls_certs`. TLS applies to tcp listeners only: the unix socket stays
//! plain.
//!
//! An interrupted run can leave that daemon or its files behind; the next run
//! stops the daemon and clears the files before it starts a new one. A lock
//! file keeps two runs in one repository from doing that to each other.

use std::fs::{self, File, TryLockError};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::packages::{self, Package};
use crate::tls_certs::{self, TlsCerts};

/// Where clients look when `DOCKER_HOST` is unset.
const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";
/// dockerd's port for plain-HTTP tcp:// addresses that name none.
const DEFAULT_TCP_PORT: u16 = 2375;
const PING_TIMEOUT: Duration = Duration::from_secs(2);
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Lines of the daemon log shown when it fails to come up.
const LOG_TAIL_LINES: usize = 30;

/// The longest unix socket path the kernel accepts: `sun_path` has 108
/// bytes, the last one for the terminating NUL.
const SOCKET_PATH_MAX: usize = 107;
/// The longest socket path dockerd 20.10 creates below the runtime
/// directory: its managed containerd's ttrpc socket (the debug socket next to
/// it is as long). dockerd fails to start when this does not fit.
const LONGEST_SOCKET: &str = "exec/containerd/containerd.sock.ttrpc";

/// The repository root: the parent of the xtask package.
pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the xtask package sits inside the repository")
        .to_path_buf();
    root.canonicalize().unwrap_or(root)
}

/// A Docker daemon that answers, and the dockerd process to stop when this
/// is dropped if the xtask started it.
pub struct Daemon {
    /// The `DOCKER_HOST` value that reaches it.
    host: String,
    /// Whether the xtask chose this address rather than the user.
    ours: bool,
    /// The TLS listener of a dockerd the xtask started (now or in a kept
    /// run); none for the user's daemon.
    tls: Option<TlsListener>,
    owned: Option<Owned>,
}

/// Where dockerd takes TLS connections, and the certificates for them.
struct TlsListener {
    /// `tcp://127.0.0.1:<port>`.
    host: String,
    port: u16,
    /// `<repo>/.dockhand/tls` (see `tls_certs`).
    dir: PathBuf,
}

/// A dockerd this process started.
pub(crate) struct Owned {
    child: Child,
    paths: Paths,
    /// Held until the daemon is stopped or kept.
    _lock: File,
}

/// Returns a daemon that answers: the one `DOCKER_HOST` names if it does,
/// else a dockerd started for this repository. Installs `also_install` in
/// either case, and Debian's docker.io too when dockerd must be started, in
/// one apt-get run.
pub fn ensure(repo: &Path, also_install: &[Package]) -> Result<Daemon> {
    let host = match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.is_empty() => host,
        _ => DEFAULT_HOST.to_owned(),
    };
    let endpoint = Endpoint::parse(&host)?;
    if ping(&endpoint) {
        packages::ensure(also_install)?;
        eprintln!("xtask: using daemon at {host} (already running, so left running)");
        return Ok(Daemon {
            host,
            ours: false,
            tls: None,
            owned: None,
        });
    }
    eprintln!("xtask: no daemon answers at {host}");
    if !packages::is_root() {
        bail!(
            "starting a dockerd needs root: rerun as root, or start a Docker daemon \
             and point DOCKER_HOST at it"
        );
    }
    let mut needed = also_install.to_vec();
    needed.extend([packages::DOCKER, packages::OPENSSL]);
    packages::ensure(&needed)?;
    // Installing docker.io can start the system's daemon, where the machine's
    // own policy-rc.d allows it (see `packages::ensure`).
    if ping(&endpoint) {
        eprintln!("xtask: using daemon at {host} (started by the docker.io install; left running)");
        return Ok(Daemon {
            host,
            ours: false,
            tls: None,
            owned: None,
        });
    }
    start(Paths::for_repo(repo))
}

impl Daemon {
    /// A dockerd this process just spawned at `host` (a unix socket of
    /// `paths`), without a TLS listener: one of the extra daemons of the
    /// test matrix (see `matrix`). Stopped when dropped, like ours.
    pub(crate) fn spawned(host: String, child: Child, paths: Paths, lock: File) -> Daemon {
        Daemon {
            host,
            ours: true,
            tls: None,
            owned: Some(Owned {
                child,
                paths,
                _lock: lock,
            }),
        }
    }

    /// The `DOCKER_HOST` value that reaches it.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The pid of the dockerd this process started, if it did.
    pub fn pid(&self) -> Option<u32> {
        self.owned.as_ref().map(|owned| owned.child.id())
    }

    /// What the daemon says it is, for the test summary: `20.10.24 (API
    /// 1.41)`, or `unknown version` when `/version` does not answer.
    pub fn describe(&self) -> String {
        Endpoint::parse(&self.host)
            .ok()
            .and_then(|endpoint| version(&endpoint))
            .unwrap_or_else(|| "unknown version".to_owned())
    }

    /// Points `cmd` at this daemon the way the tests and examples expect:
    /// `DOCKER_HOST`, the busybox to import as the test image, and the flag
    /// that makes integration tests fail rather than skip without a daemon.
    ///
    /// For a dockerd of ours, also its TLS listener:
    /// `DOCKHAND_TEST_TLS_HOST` (`tcp://127.0.0.1:<port>`) and
    /// `DOCKHAND_TEST_TLS_DIR`, whose `client/` dockerd accepts and whose
    /// `other-ca/` it does not trust (see `tls_certs`). The user's daemon
    /// gets neither: we know nothing of its TLS.
    pub fn configure(&self, cmd: &mut Command) {
        cmd.env("DOCKER_HOST", &self.host)
            .env("DOCKHAND_TEST_BUSYBOX", packages::BUSYBOX_PATH)
            .env("DOCKHAND_REQUIRE_DAEMON", "1");
        if self.ours {
            // The user's TLS settings belong to the address they chose, not
            // to our plain unix socket.
            cmd.env_remove("DOCKER_TLS_VERIFY")
                .env_remove("DOCKER_CERT_PATH");
        }
        if let Some(tls) = &self.tls {
            cmd.env("DOCKHAND_TEST_TLS_HOST", &tls.host)
                .env("DOCKHAND_TEST_TLS_DIR", &tls.dir);
        }
    }

    /// The variables with which a docker CLI reaches this daemon the way the
    /// tests do: what the ssh tests' remote `docker system dial-stdio` needs.
    /// For the user's daemon that includes their TLS settings.
    pub fn client_env(&self) -> Vec<(&'static str, String)> {
        let mut vars = vec![("DOCKER_HOST", self.host.clone())];
        if !self.ours {
            for name in ["DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"] {
                if let Some(value) = std::env::var(name).ok().filter(|v| !v.is_empty()) {
                    vars.push((name, value));
                }
            }
        }
        vars
    }

    /// Leaves a dockerd that this process started running after it ends,
    /// and prints how to use and stop it. A later run that finds no other
    /// daemon uses it instead of starting another.
    pub fn keep(mut self) -> Result<()> {
        let Some(owned) = self.owned.take() else {
            return Ok(());
        };
        let paths = &owned.paths;
        fs::write(&paths.kept, owned.child.id().to_string())
            .with_context(|| format!("could not write {}", paths.kept.display()))?;
        eprintln!(
            "xtask: dockerd keeps running (pid {}); to use it:\n  export DOCKER_HOST={}\n\
             xtask: to stop it: kill $(cat {})",
            owned.child.id(),
            self.host,
            paths.pidfile.display()
        );
        if let Some(tls) = &self.tls {
            eprintln!(
                "xtask: or over TLS:\n  export DOCKER_HOST={} DOCKER_TLS_VERIFY=1 \
                 DOCKER_CERT_PATH={}",
                tls.host,
                tls.dir.join("client").display()
            );
        }
        Ok(())
    }

    /// Waits until the dockerd this process just started answers, or fails
    /// with the end of its log.
    pub(crate) fn wait_until_ready(&mut self) -> Result<()> {
        let owned = self
            .owned
            .as_mut()
            .expect("only a started daemon is waited for");
        let endpoint = Endpoint::Unix(owned.paths.socket.clone());
        let started = Instant::now();
        loop {
            if ping(&endpoint) {
                let secs = started.elapsed().as_secs_f64();
                eprintln!("xtask: daemon ready after {secs:.1} s");
                // dockerd serves all its listeners at once; this catches one
                // it could not open.
                if let Some(tls) = &self.tls {
                    if !listening(tls.port) {
                        bail!(
                            "dockerd answers on its unix socket but nothing listens on {}; \
                             the end of {}:\n{}",
                            tls.host,
                            owned.paths.log.display(),
                            log_tail(&owned.paths.log)
                        );
                    }
                }
                return Ok(());
            }
            let log = &owned.paths.log;
            if let Some(status) = owned.child.try_wait()? {
                bail!(
                    "dockerd exited ({status}) before it answered; the end of {}:\n{}",
                    log.display(),
                    log_tail(log)
                );
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "dockerd did not answer within {} s; the end of {}:\n{}",
                    READY_TIMEOUT.as_secs(),
                    log.display(),
                    log_tail(log)
                );
            }
            sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(owned) = self.owned.take() {
            owned.stop();
        }
    }
}

impl Owned {
    fn stop(mut self) {
        let pid = self.child.id();
        let child = &mut self.child;
        stop_process("dockerd", pid, || matches!(child.try_wait(), Ok(None)));
        // Reap it whatever happened; a dockerd that is gone cannot block this.
        let _ = self.child.try_wait();
        // A dockerd that had to be killed (or was, by the daemon-killed
        // tests) leaves its managed containerd behind, and the shims that
        // keep its containers running.
        stop_leftover_containerd(&self.paths);
        stop_leftover_shims(&self.paths);
        clean_up(&self.paths);
        eprintln!(
            "xtask: stopped dockerd; its data root stays at {} (cached images speed up reruns)",
            self.paths.data.display()
        );
    }
}

/// Starts a dockerd with the files of `paths`, after stopping or clearing
/// what an earlier run left there.
fn start(paths: Paths) -> Result<Daemon> {
    for dir in [&paths.state, &paths.run] {
        fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    }
    if !paths.run.starts_with(&paths.state) {
        eprintln!(
            "xtask: the repository path is too long for dockerd's unix sockets, \
             so they live in {}",
            paths.run.display()
        );
    }
    let lock = lock(&paths.lock)?;
    let host = format!("unix://{}", paths.socket.display());
    let certs = tls_certs::ensure(&paths.tls)?;

    if let Some(pid) = running_dockerd(&paths) {
        if let Some(tls_port) = reusable_kept_dockerd(&paths, pid, &certs) {
            eprintln!(
                "xtask: using the dockerd (pid {pid}) that `cargo xtask quickstart --keep-daemon` \
                 left running at {host}"
            );
            return Ok(Daemon {
                host,
                ours: true,
                tls: Some(TlsListener::new(tls_port, &certs)),
                owned: None,
            });
        }
        eprintln!("xtask: stopping dockerd (pid {pid}) left running by an earlier run");
        stop_process("dockerd", pid, || pid_alive(pid));
    }
    // Also there when dockerd itself was killed.
    stop_leftover_containerd(&paths);
    stop_leftover_shims(&paths);
    clean_up(&paths);

    let dockerd = packages::find_program("dockerd").context("dockerd is not installed")?;
    let tls = TlsListener::new(free_port()?, &certs);
    // For a later run that reuses this dockerd once it is kept.
    fs::write(&paths.tls_port, tls.port.to_string())
        .with_context(|| format!("could not write {}", paths.tls_port.display()))?;
    let log = File::create(&paths.log)
        .with_context(|| format!("could not create {}", paths.log.display()))?;
    eprintln!(
        "xtask: starting dockerd (data root {}, log {})",
        paths.data.display(),
        paths.log.display()
    );
    let child = Command::new(&dockerd)
        .arg("--data-root")
        .arg(&paths.data)
        .arg("--exec-root")
        .arg(&paths.exec)
        .arg("--pidfile")
        .arg(&paths.pidfile)
        .arg("-H")
        .arg(&host)
        .arg("-H")
        .arg(&tls.host)
        .arg("--tlsverify")
        .arg("--tlscacert")
        .arg(certs.ca())
        .arg("--tlscert")
        .arg(certs.server_cert())
        .arg("--tlskey")
        .arg(certs.server_key())
        // Kept apart from a system containerd, should dockerd find one and
        // use it rather than start its own.
        .args(["--containerd-namespace", "dockhand"])
        .args(["--containerd-plugins-namespace", "dockhand-plugins"])
        // Containers a test left running must stop well within the time we
        // give dockerd to exit.
        .args(["--shutdown-timeout", "10"])
        // dockerd runs containerd, runc and iptables from PATH.
        .env("PATH", path_with_sbin())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("could not start {}", dockerd.display()))?;
    let mut daemon = Daemon {
        host,
        ours: true,
        tls: Some(tls),
        owned: Some(Owned {
            child,
            paths,
            _lock: lock,
        }),
    };
    // On failure `daemon` drops here and stops the process.
    daemon.wait_until_ready()?;
    Ok(daemon)
}

impl TlsListener {
    fn new(port: u16, certs: &TlsCerts) -> TlsListener {
        TlsListener {
            host: format!("tcp://127.0.0.1:{port}"),
            port,
            dir: certs.dir.clone(),
        }
    }
}

/// The TLS port of the dockerd `pid`, if it is one that `--keep-daemon`
/// left and it can serve this run: it answers, and it listens for TLS with
/// the certificates that are on disk now (not older ones this run replaced,
/// nor none because an older xtask started it).
fn reusable_kept_dockerd(paths: &Paths, pid: u32, certs: &TlsCerts) -> Option<u16> {
    let kept = fs::read_to_string(&paths.kept).ok()?;
    if kept.trim() != pid.to_string() || certs.fresh {
        return None;
    }
    let port = fs::read_to_string(&paths.tls_port)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (ping(&Endpoint::Unix(paths.socket.clone())) && listening(port)).then_some(port)
}

/// A port on 127.0.0.1 that nothing listens on: the kernel picks it for a
/// listener that is dropped right away. Another process could take it before
/// our server binds it, which on a test machine is unlikely enough.
pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .context("could not bind 127.0.0.1:0 to find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Whether something accepts connections on 127.0.0.1:`port`.
pub(crate) fn listening(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, PING_TIMEOUT).is_ok()
}

/// The files of a dockerd that the xtask starts for one repository.
pub(crate) struct Paths {
    /// `<repo>/.dockhand`: data root, log and certificates, which may be long.
    pub(crate) state: PathBuf,
    pub(crate) data: PathBuf,
    pub(crate) log: PathBuf,
    pub(crate) tls: PathBuf,
    /// Sockets, pidfile and exec root, whose paths must stay short.
    pub(crate) run: PathBuf,
    pub(crate) exec: PathBuf,
    pub(crate) socket: PathBuf,
    pub(crate) pidfile: PathBuf,
    pub(crate) lock: PathBuf,
    /// Present, holding the pid, while a kept daemon runs.
    pub(crate) kept: PathBuf,
    /// The port of the TLS listener of the dockerd that runs.
    pub(crate) tls_port: PathBuf,
}

impl Paths {
    fn for_repo(repo: &Path) -> Paths {
        let state = state_dir(repo);
        let run = runtime_dir(repo, &state);
        Paths {
            data: state.join("data"),
            log: state.join("dockerd.log"),
            tls: state.join("tls"),
            exec: run.join("exec"),
            socket: run.join("docker.sock"),
            pidfile: run.join("dockerd.pid"),
            lock: run.join("lock"),
            kept: run.join("kept"),
            tls_port: run.join("tls-port"),
            state,
            run,
        }
    }

    /// The files of the matrix daemon `name` (see `matrix`): everything
    /// under `<repo>/.dockhand/daemons/<name>`, its sockets in a runtime
    /// directory of its own. It has no TLS listener: `tls` and `tls_port`
    /// are never written.
    pub(crate) fn for_matrix(repo: &Path, name: &str) -> Paths {
        let state = state_dir(repo).join("daemons").join(name);
        let run = short_dir(repo, state.join("run"), &format!("-{name}"));
        Paths {
            data: state.join("data"),
            log: state.join("dockerd.log"),
            tls: state.join("tls"),
            exec: run.join("exec"),
            socket: run.join("docker.sock"),
            pidfile: run.join("dockerd.pid"),
            lock: run.join("lock"),
            kept: run.join("kept"),
            tls_port: run.join("tls-port"),
            state,
            run,
        }
    }
}

/// `<repo>/.dockhand`, where the xtask keeps what it makes for the tests.
pub(crate) fn state_dir(repo: &Path) -> PathBuf {
    repo.join(".dockhand")
}

/// `<state>/run` when dockerd's sockets fit below it, else a short directory
/// in /tmp named after a hash of the repository path, so each checkout still
/// gets its own.
pub(crate) fn runtime_dir(repo: &Path, state: &Path) -> PathBuf {
    short_dir(repo, state.join("run"), "")
}

/// `local` when dockerd's sockets fit below it, else
/// `/tmp/dockhand-<hash of repo><suffix>`.
fn short_dir(repo: &Path, local: PathBuf, suffix: &str) -> PathBuf {
    if local.join(LONGEST_SOCKET).as_os_str().len() <= SOCKET_PATH_MAX {
        return local;
    }
    let hash = fnv1a(repo.as_os_str().as_encoded_bytes());
    PathBuf::from(format!("/tmp/dockhand-{hash:016x}{suffix}"))
}

/// FNV-1a: stable across Rust releases, unlike std's `DefaultHasher`, so a
/// repository keeps its runtime directory when the toolchain changes.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Takes the lock file at `path`, waiting while another run holds it.
pub(crate) fn lock(path: &Path) -> Result<File> {
    let file =
        File::create(path).with_context(|| format!("could not create {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            eprintln!(
                "xtask: another xtask run in this repository holds {}; waiting",
                path.display()
            );
            file.lock()
                .with_context(|| format!("could not lock {}", path.display()))?;
        }
        Err(TryLockError::Error(err)) => {
            return Err(err).with_context(|| format!("could not lock {}", path.display()));
        }
    }
    Ok(file)
}

/// The pid of a live dockerd that uses our pidfile, if any.
pub(crate) fn running_dockerd(paths: &Paths) -> Option<u32> {
    let pid = read_pid(&paths.pidfile)?;
    (pid_alive(pid) && cmdline_mentions(pid, &paths.pidfile)).then_some(pid)
}

/// Stops the containerd that a killed dockerd left running, found by the
/// pidfile dockerd keeps for it in the exec root.
pub(crate) fn stop_leftover_containerd(paths: &Paths) {
    let pidfile = paths.exec.join("containerd/containerd.pid");
    if let Some(pid) = read_pid(&pidfile) {
        if pid_alive(pid) && cmdline_mentions(pid, &paths.exec) {
            stop_process("containerd", pid, || pid_alive(pid));
        }
    }
}

/// Kills the containerd shims of a dockerd that ended without stopping its
/// containers (they name its exec root in their `-address`), and the
/// container processes below them: nothing else would ever end them.
pub(crate) fn stop_leftover_shims(paths: &Paths) {
    let pids = all_pids();
    for shim in processes_named("containerd-shim", &paths.exec) {
        // Its children are the containers' first processes; killing those
        // ends their containers (a pid namespace ends with its init).
        for &pid in &pids {
            if parent_pid(pid) == Some(shim) {
                signal(pid, "KILL");
            }
        }
        stop_process("containerd shim", shim, || pid_alive(shim));
    }
}

/// Every process id in `/proc`.
fn all_pids() -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// The processes whose name (`comm`) starts with `name` and whose command
/// line has an argument below `path`: ours, not another checkout's.
pub(crate) fn processes_named(name: &str, path: &Path) -> Vec<u32> {
    all_pids()
        .into_iter()
        .filter(|&pid| {
            fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.starts_with(name))
                && cmdline_mentions(pid, path)
        })
        .collect()
}

/// The parent of `pid`, from `/proc/<pid>/stat`.
fn parent_pid(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let parent = stat_fields(&stat).nth(1)?.parse().ok();
    parent
}

/// SIGTERM, up to [`STOP_TIMEOUT`] for the process to end, then SIGKILL.
pub(crate) fn stop_process(name: &str, pid: u32, mut alive: impl FnMut() -> bool) {
    if !alive() {
        return;
    }
    signal(pid, "TERM");
    if wait_while(STOP_TIMEOUT, &mut alive) {
        return;
    }
    eprintln!(
        "xtask: {name} (pid {pid}) did not stop within {} s; killing it",
        STOP_TIMEOUT.as_secs()
    );
    signal(pid, "KILL");
    if !wait_while(Duration::from_secs(5), &mut alive) {
        eprintln!("xtask: {name} (pid {pid}) survived SIGKILL");
    }
}

/// Polls until `alive` turns false (true) or `timeout` passes (false).
pub(crate) fn wait_while(timeout: Duration, alive: &mut impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while alive() {
        if Instant::now() > deadline {
            return false;
        }
        sleep(POLL_INTERVAL);
    }
    true
}

pub(crate) fn signal(pid: u32, signal: &str) {
    // The shell's builtin kill: std sends only SIGKILL, and only to its own
    // children, while procps' kill binary is missing from minimal systems.
    let _ = Command::new("sh")
        .args(["-c", r#"kill -s "$1" "$2""#, "sh", signal, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

pub(crate) fn read_pid(path: &Path) -> Option<u32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Whether `pid` runs: it exists and is no zombie (a zombie that is not our
/// child is reaped by its parent; ours are reaped through `Child`).
pub(crate) fn pid_alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| process_state(&stat))
        .is_some_and(|state| !matches!(state, 'Z' | 'X' | 'x'))
}

/// The state letter of a `/proc/<pid>/stat` line, which follows the command
/// name in parentheses (itself free to hold spaces and parentheses).
fn process_state(stat: &str) -> Option<char> {
    stat_fields(stat).next()?.chars().next()
}

/// The fields of a `/proc/<pid>/stat` line after the command name (which
/// is in parentheses and may itself hold spaces and parentheses): state,
/// parent pid, ….
fn stat_fields(stat: &str) -> impl Iterator<Item = &str> {
    stat.rsplit_once(')')
        .map_or("", |(_, after_name)| after_name)
        .split_whitespace()
}

/// Whether one of the process's arguments is `path` or lies below it.
fn cmdline_mentions(pid: u32, path: &Path) -> bool {
    fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
        let path = path.as_os_str().as_encoded_bytes();
        cmdline.split(|&b| b == 0).any(|arg| arg.starts_with(path))
    })
}

/// Clears what a dockerd leaves behind when it ends, even by SIGKILL: the
/// socket, pidfile, keep marker and TLS port file, the mounts below its roots
/// (dockerd bind-mounts its data root onto itself, network namespaces and
/// container filesystems), and the exec root. The data root stays: its images make the
/// next start faster. Best effort: the next start clears again.
pub(crate) fn clean_up(paths: &Paths) {
    for file in [&paths.socket, &paths.pidfile, &paths.kept, &paths.tls_port] {
        let _ = fs::remove_file(file);
    }
    let roots = [paths.exec.as_path(), paths.data.as_path()];
    for mount in mounts_below(&roots) {
        let _ = Command::new("umount")
            .arg("--lazy")
            .arg(&mount)
            .stderr(Stdio::null())
            .status();
    }
    // Never delete through a mount that refused to go.
    if mounts_below(&[paths.exec.as_path()]).is_empty() {
        let _ = fs::remove_dir_all(&paths.exec);
    }
}

/// The mount points at or below any of `roots`, deepest first.
fn mounts_below(roots: &[&Path]) -> Vec<PathBuf> {
    let Ok(mountinfo) = fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut mounts: Vec<PathBuf> = mountinfo
        .lines()
        .filter_map(mount_point)
        .filter(|mount| roots.iter().any(|root| mount.starts_with(root)))
        .collect();
    mounts.sort_by_key(|mount| std::cmp::Reverse(mount.as_os_str().len()));
    mounts.dedup();
    mounts
}

/// The mount point of a `/proc/self/mountinfo` line: its fifth field, with
/// space, tab, newline and backslash written as octal escapes.
fn mount_point(line: &str) -> Option<PathBuf> {
    let field = line.split(' ').nth(4)?;
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 4)
            .filter(|digits| bytes[i] == b'\\' && digits.iter().all(|d| (b'0'..=b'7').contains(d)))
            .and_then(|digits| u8::from_str_radix(std::str::from_utf8(digits).ok()?, 8).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

/// PATH plus the sbin directories, where dockerd finds iptables.
pub(crate) fn path_with_sbin() -> std::ffi::OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    for sbin in ["/usr/local/sbin", "/usr/sbin", "/sbin"] {
        if !dirs.iter().any(|dir| dir == Path::new(sbin)) {
            dirs.push(sbin.into());
        }
    }
    std::env::join_paths(dirs).unwrap_or(path)
}

pub(crate) fn log_tail(path: &Path) -> String {
    match fs::read(path) {
        Ok(bytes) => last_lines(&String::from_utf8_lossy(&bytes), LOG_TAIL_LINES),
        Err(err) => format!("(could not read it: {err})"),
    }
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

/// A daemon address from `DOCKER_HOST`.
#[derive(Debug, PartialEq)]
enum Endpoint {
    Unix(PathBuf),
    /// `host:port`, for `ToSocketAddrs`.
    Tcp(String),
}

impl Endpoint {
    fn parse(host: &str) -> Result<Endpoint> {
        if let Some(path) = host.strip_prefix("unix://") {
            if path.is_empty() {
                bail!("DOCKER_HOST={host} names no socket path");
            }
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        for scheme in ["tcp://", "http://"] {
            if let Some(rest) = host.strip_prefix(scheme) {
                let authority = rest.split('/').next().unwrap_or_default();
                if authority.is_empty() {
                    bail!("DOCKER_HOST={host} names no host");
                }
                let has_port = authority.rsplit_once(':').is_some_and(|(_, port)| {
                    !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                });
                return Ok(Endpoint::Tcp(if has_port {
                    authority.to_owned()
                } else {
                    format!("{authority}:{DEFAULT_TCP_PORT}")
                }));
            }
        }
        bail!("DOCKER_HOST={host}: the tests need a unix:// or tcp:// address")
    }
}

/// `Version (API ApiVersion)` from the daemon's `GET /version`.
fn version(endpoint: &Endpoint) -> Option<String> {
    let Endpoint::Unix(path) = endpoint else {
        return None;
    };
    let mut stream = std::os::unix::net::UnixStream::connect(path).ok()?;
    stream.set_read_timeout(Some(PING_TIMEOUT)).ok()?;
    // HTTP/1.0, so that the answer is not chunked and ends with the
    // connection.
    stream
        .write_all(b"GET /version HTTP/1.0\r\nHost: docker\r\n\r\n")
        .ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let start = answer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let body: serde_json::Value = serde_json::from_slice(&answer[start..]).ok()?;
    Some(format!(
        "{} (API {})",
        body["Version"].as_str()?,
        body["ApiVersion"].as_str()?
    ))
}

/// Whether a daemon answers `GET /_ping` with 200 at `endpoint`.
fn ping(endpoint: &Endpoint) -> bool {
    match endpoint {
        Endpoint::Unix(path) => ping_unix(path),
        Endpoint::Tcp(addr) => addr.to_socket_addrs().is_ok_and(|mut addrs| {
            addrs.any(|addr| {
                TcpStream::connect_timeout(&addr, PING_TIMEOUT)
                    .and_then(|stream| {
                        stream.set_read_timeout(Some(PING_TIMEOUT))?;
                        stream.set_write_timeout(Some(PING_TIMEOUT))?;
                        ping_over(stream)
                    })
                    .unwrap_or(false)
            })
        }),
    }
}

#[cfg(unix)]
fn ping_unix(path: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(path)
        .and_then(|stream| {
            stream.set_read_timeout(Some(PING_TIMEOUT))?;
            stream.set_write_timeout(Some(PING_TIMEOUT))?;
            ping_over(stream)
        })
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn ping_unix(_path: &Path) -> bool {
    false
}

fn ping_over(mut stream: impl Read + Write) -> io::Result<bool> {
    stream.write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")?;
    // The status line is all we need; stop at its end.
    let mut head = Vec::new();
    let mut buf = [0u8; 128];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 256 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(is_ok_status(&head))
}

/// Whether an HTTP response starts with a `200` status line.
fn is_ok_status(head: &[u8]) -> bool {
    let Some(line) = head.split(|&b| b == b'\n').next() else {
        return false;
    };
    let line = String::from_utf8_lossy(line);
    let mut parts = line.trim_end().splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    version.starts_with("HTTP/1.") && parts.next() == Some("200")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn short_repo_keeps_its_runtime_dir_inside() {
        let repo = Path::new("/work/main");
        let run = runtime_dir(repo, &repo.join(".dockhand"));
        assert_eq!(run, Path::new("/work/main/.dockhand/run"));
    }

    #[test]
    fn long_repo_falls_back_to_a_short_dir_per_repo() {
        let long = PathBuf::from(format!("/home/ci/{}", "builds/".repeat(10)));
        let run = runtime_dir(&long, &long.join(".dockhand"));
        assert!(run.starts_with("/tmp"), "{run:?}");
        assert!(run.join(LONGEST_SOCKET).as_os_str().len() <= SOCKET_PATH_MAX);
        let other = long.join("x");
        assert_ne!(run, runtime_dir(&other, &other.join(".dockhand")));
        assert_eq!(run, runtime_dir(&long, &long.join(".dockhand")));
    }

    #[test]
    fn runtime_dir_switches_at_the_socket_limit() {
        // `/<n × a>/.dockhand/run/` + LONGEST_SOCKET is n + 53 bytes.
        let fits = PathBuf::from(format!("/{}", "a".repeat(SOCKET_PATH_MAX - 53)));
        let run = runtime_dir(&fits, &fits.join(".dockhand"));
        assert_eq!(run.join(LONGEST_SOCKET).as_os_str().len(), SOCKET_PATH_MAX);
        let too_long = PathBuf::from(format!("/{}", "a".repeat(SOCKET_PATH_MAX - 52)));
        assert!(runtime_dir(&too_long, &too_long.join(".dockhand")).starts_with("/tmp"));
    }

    #[test]
    fn daemon_socket_is_shorter_than_the_longest() {
        let paths = Paths::for_repo(Path::new("/r"));
        assert!(paths.socket.as_os_str().len() < paths.run.join(LONGEST_SOCKET).as_os_str().len());
    }

    #[test]
    fn free_ports_are_free() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        assert!(!listening(port));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
        assert!(listening(port));
        drop(listener);
    }

    #[test]
    fn fnv1a_matches_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn parses_docker_host_forms() {
        assert_eq!(
            Endpoint::parse("unix:///var/run/docker.sock").unwrap(),
            Endpoint::Unix("/var/run/docker.sock".into())
        );
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:2376").unwrap(),
            Endpoint::Tcp("127.0.0.1:2376".into())
        );
        assert_eq!(
            Endpoint::parse("tcp://docker").unwrap(),
            Endpoint::Tcp("docker:2375".into())
        );
        assert_eq!(
            Endpoint::parse("http://[::1]/").unwrap(),
            Endpoint::Tcp("[::1]:2375".into())
        );
        assert_eq!(
            Endpoint::parse("tcp://[::1]:1234").unwrap(),
            Endpoint::Tcp("[::1]:1234".into())
        );
        for bad in ["unix://", "tcp://", "ssh://me@host", "/var/run/docker.sock"] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_status_lines() {
        assert!(is_ok_status(
            b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n\r\nOK"
        ));
        assert!(is_ok_status(b"HTTP/1.0 200 OK\r\n"));
        assert!(is_ok_status(b"HTTP/1.1 200\r\n"));
        assert!(!is_ok_status(b"HTTP/1.1 404 Not Found\r\n"));
        assert!(!is_ok_status(b"HTTP/1.1 2000 Odd\r\n"));
        assert!(!is_ok_status(b"HTTP/1.1 20"));
        assert!(!is_ok_status(b"SSH-2.0-OpenSSH\r\n"));
        assert!(!is_ok_status(b""));
    }

    /// A unix socket in a fresh temp dir whose one connection gets `reply`.
    fn serve_once(reply: &'static [u8]) -> PathBuf {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "xtask-ping-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = [0u8; 512];
            let _ = conn.read(&mut request);
            let _ = conn.write_all(reply);
        });
        path
    }

    #[test]
    fn pings_over_a_unix_socket() {
        let ok = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
        assert!(ping(&Endpoint::Unix(ok.clone())));
        let failing = serve_once(b"HTTP/1.1 500 Internal Server Error\r\n\r\n");
        assert!(!ping(&Endpoint::Unix(failing.clone())));
        let silent = serve_once(b"");
        assert!(!ping(&Endpoint::Unix(silent.clone())));
        for path in [ok, failing, silent] {
            let _ = fs::remove_dir_all(path.parent().unwrap());
        }
        assert!(!ping(&Endpoint::Unix("/nonexistent/docker.sock".into())));
    }

    #[test]
    fn reads_mount_points() {
        let line = "36 35 98:0 /mnt1 /mnt/my\\040dir rw,noatime master:1 - ext3 /dev/root rw";
        assert_eq!(mount_point(line), Some(PathBuf::from("/mnt/my dir")));
        let line = "1 0 0:1 / /a\\134b\\x rw - tmpfs tmpfs rw";
        assert_eq!(mount_point(line), Some(PathBuf::from("/a\\b\\x")));
        assert_eq!(mount_point("too short"), None);
    }

    #[test]
    fn reads_process_state_past_odd_names() {
        assert_eq!(process_state("42 (dockerd) S 1 42"), Some('S'));
        assert_eq!(process_state("42 (a) (b) Z 1 42"), Some('Z'));
        assert_eq!(process_state("garbage"), None);
    }

    #[test]
    fn tails_logs() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("a", 5), "a");
        assert_eq!(last_lines("", 5), "");
    }

    #[test]
    fn stops_a_process_and_sees_it_gone() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id();
        assert!(pid_alive(pid));
        // The new command line shows a moment after spawn returns.
        assert!(wait_while(Duration::from_secs(5), &mut || {
            !cmdline_mentions(pid, Path::new("30"))
        }));
        assert!(!cmdline_mentions(pid, Path::new("/nonexistent")));
        // Our own child turns zombie until reaped, which counts as gone.
        stop_process("sleep", pid, || pid_alive(pid));
        assert!(child.try_wait().unwrap().is_some());
    }
}
