//! The Podman that `cargo xtask test` runs for `tests/podman.rs`: Debian's
//! `podman` serving the Docker API (`podman system service`) on a unix
//! socket, with storage, configuration and network of its own, and stopped
//! when the returned [`Podman`] drops: after the tests, and also when they
//! fail or the xtask panics.
//!
//! What it keeps lives in `<repo>/.dockhand/podman/`: the
//! `containers.conf`, `storage.conf` and `registries.conf` it is started
//! with (named by `CONTAINERS_CONF`, `CONTAINERS_STORAGE_CONF` and
//! `CONTAINERS_REGISTRIES_CONF`, so the machine's files in /etc/containers
//! play no part), its CNI network definition, its images (`storage/`, kept
//! between runs like dockerd's data root), its log and its events. Its
//! socket, run root and libpod state lie in `podman/` of the runtime
//! directory next to dockerd's, and are cleared at each start, as a reboot
//! clears /run: libpod then resets what an interrupted run left in its
//! database.
//!
//! What this machine (Debian bookworm, root, no systemd) needs from the
//! configuration: the cgroupfs cgroup manager and a file for events (no
//! systemd, no journald), k8s-file container logs, file locks in the libpod
//! state (rather than the machine-wide `/dev/shm/libpod_lock`), ulimits no
//! higher than Podman's own (without CAP_SYS_RESOURCE nothing can raise a
//! hard limit, and Podman's default of 1048576 cannot start a container),
//! catatonit for `init`, and a CNI bridge without masquerading, gateway or
//! port mapping, so that no firewall rule and no sysctl of the host changes.
//!
//! Root only; `DOCKHAND_PODMAN=0` leaves Podman out.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::dockerd;
use crate::packages::{self, CATATONIT, PODMAN};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// The bridge of Podman's network: named for us, so it is told apart from
/// dockerd's and from a system Podman's `cni-podman0`.
const BRIDGE: &str = "dh-podman0";
/// The addresses of that network, away from Docker's and Podman's defaults
/// (172.17.0.0/16, 10.88.0.0/16) and from the matrix daemons' 172.31.x.
const SUBNET: &str = "10.89.231.0/24";
/// The most open files Podman gives a container by default, and gives
/// itself at start when the hard limit allows.
const PODMAN_NOFILE: u64 = 1_048_576;

/// A Podman service this process started.
pub struct Podman {
    child: Child,
    files: Files,
    /// Held until Podman is stopped, so a second run in this repository
    /// waits rather than clear the state under it.
    _lock: File,
}

/// The files of the tests' Podman in one repository.
struct Files {
    /// `<repo>/.dockhand/podman`.
    dir: PathBuf,
    containers_conf: PathBuf,
    storage_conf: PathBuf,
    registries_conf: PathBuf,
    /// CNI network definitions (`network_config_dir`).
    networks: PathBuf,
    /// Images, containers and the libpod database (`--root`).
    graph_root: PathBuf,
    /// Temporary files of image imports and copies (TMPDIR).
    scratch: PathBuf,
    log: PathBuf,
    events: PathBuf,
    /// `<runtime dir>/podman`: short paths, cleared at each start.
    run: PathBuf,
    socket: PathBuf,
    /// c/storage's run root (`--runroot`).
    run_root: PathBuf,
    /// libpod's `tmp_dir`: container state, conmon sockets, locks.
    libpod: PathBuf,
    /// The CNI address allocations.
    ipam: PathBuf,
    pidfile: PathBuf,
    lock: PathBuf,
}

impl Files {
    fn for_repo(repo: &Path) -> Files {
        let state = dockerd::state_dir(repo);
        let run = dockerd::runtime_dir(repo, &state).join("podman");
        let dir = state.join("podman");
        Files {
            containers_conf: dir.join("containers.conf"),
            storage_conf: dir.join("storage.conf"),
            registries_conf: dir.join("registries.conf"),
            networks: dir.join("networks"),
            graph_root: dir.join("storage"),
            scratch: dir.join("tmp"),
            log: dir.join("podman.log"),
            events: dir.join("events.log"),
            dir,
            socket: run.join("podman.sock"),
            run_root: run.join("storage"),
            libpod: run.join("libpod"),
            ipam: run.join("ipam"),
            pidfile: run.join("podman.pid"),
            lock: run.join("lock"),
            run,
        }
    }

    /// `podman` with our configuration and storage, for the service and
    /// for the commands that clean up after it.
    fn podman(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.arg("--root")
            .arg(&self.graph_root)
            .arg("--runroot")
            .arg(&self.run_root)
            .arg("--tmpdir")
            .arg(&self.libpod)
            .env("CONTAINERS_CONF", &self.containers_conf)
            .env("CONTAINERS_STORAGE_CONF", &self.storage_conf)
            .env("CONTAINERS_REGISTRIES_CONF", &self.registries_conf)
            .env("TMPDIR", &self.scratch)
            // Either would send the cleanup commands to another Podman.
            .env_remove("CONTAINER_HOST")
            .env_remove("CONTAINER_CONNECTION")
            // runc, conmon and the CNI plugins' `ip` live in sbin.
            .env("PATH", dockerd::path_with_sbin())
            .stdin(Stdio::null());
        cmd
    }
}

/// Starts Podman's Docker API service and waits until it answers, or says
/// why it is left out (`DOCKHAND_PODMAN=0`, not root) and returns `None`.
/// Installs Debian's `podman` and `catatonit` when missing.
pub fn start(repo: &Path) -> Result<Option<Podman>> {
    if std::env::var("DOCKHAND_PODMAN").is_ok_and(|value| value == "0") {
        eprintln!("xtask: DOCKHAND_PODMAN=0: Podman is not started; tests/podman.rs skips");
        return Ok(None);
    }
    if !packages::is_root() {
        eprintln!(
            "xtask: not root, so Podman is not started (its configuration here is rootful); \
             tests/podman.rs skips"
        );
        return Ok(None);
    }
    packages::ensure(&[PODMAN, CATATONIT])?;
    let podman = packages::find_program("podman").context("podman is not installed")?;
    let files = Files::for_repo(repo);
    for dir in [&files.dir, &files.networks, &files.scratch, &files.run] {
        fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    }
    let lock = dockerd::lock(&files.lock)?;
    clear_leftovers(&files, &podman)?;
    for dir in [&files.run_root, &files.libpod, &files.ipam] {
        fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    }

    let settings = Settings::for_machine(&files)?;
    write(&files.containers_conf, &containers_conf(&settings)?)?;
    write(&files.storage_conf, &storage_conf(&files)?)?;
    write(&files.registries_conf, REGISTRIES_CONF)?;
    write(
        &files.networks.join("podman.conflist"),
        &network_conflist(&files.ipam)?,
    )?;

    let log = File::create(&files.log)
        .with_context(|| format!("could not create {}", files.log.display()))?;
    let host = format!("unix://{}", files.socket.display());
    eprintln!(
        "xtask: starting podman system service at {host} (config {}, log {})",
        files.containers_conf.display(),
        files.log.display()
    );
    let started = Instant::now();
    let child = files
        .podman(&podman)
        .args(["--log-level", "info", "system", "service", "--time=0"])
        .arg(&host)
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("could not start {}", podman.display()))?;
    write(&files.pidfile, &child.id().to_string())?;
    let mut service = Podman {
        child,
        files,
        _lock: lock,
    };
    // On failure `service` drops here and stops the process.
    service.wait_until_ready(started)?;
    Ok(Some(service))
}

impl Podman {
    /// Tells the tests where Podman is: `DOCKHAND_TEST_PODMAN_HOST`
    /// (`unix://…/podman.sock`).
    pub fn configure(&self, cmd: &mut Command) {
        cmd.env(
            "DOCKHAND_TEST_PODMAN_HOST",
            format!("unix://{}", self.files.socket.display()),
        );
    }

    /// What Podman says it is, for the log: `4.3.1 (API 1.41)`.
    pub fn describe(&self) -> String {
        get(&self.files.socket, "/version")
            .filter(|(status, _)| *status == 200)
            .and_then(|(_, body)| serde_json::from_slice::<serde_json::Value>(&body).ok())
            .and_then(|version| {
                Some(format!(
                    "{} (API {})",
                    version["Version"].as_str()?,
                    version["ApiVersion"].as_str()?
                ))
            })
            .unwrap_or_else(|| "unknown version".to_owned())
    }

    /// Waits until the service answers `/_ping`, or fails with the end of
    /// its log.
    fn wait_until_ready(&mut self, started: Instant) -> Result<()> {
        let log = &self.files.log;
        loop {
            if get(&self.files.socket, "/_ping").is_some_and(|(status, _)| status == 200) {
                let secs = started.elapsed().as_secs_f64();
                eprintln!("xtask: podman {} ready after {secs:.1} s", self.describe());
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "podman system service exited ({status}) before it answered; \
                     the end of {}:\n{}",
                    log.display(),
                    dockerd::log_tail(log)
                );
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "podman system service did not answer at {} within {} s; the end of {}:\n{}",
                    self.files.socket.display(),
                    READY_TIMEOUT.as_secs(),
                    log.display(),
                    dockerd::log_tail(log)
                );
            }
            sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let pid = self.child.id();
        let child = &mut self.child;
        dockerd::stop_process("podman", pid, || matches!(child.try_wait(), Ok(None)));
        let _ = self.child.try_wait();
        // Containers outlive the service (each has its conmon): remove what
        // a failed test left, so no process or mount stays behind.
        if let Some(podman) = packages::find_program("podman") {
            remove_containers(&self.files, &podman);
        }
        stop_conmons(&self.files);
        // c/storage mounts its overlay directory onto itself and leaves it
        // mounted when the service ends; nothing of ours stays mounted.
        unmount_storage(&self.files);
        delete_bridge();
        for file in [&self.files.pidfile, &self.files.socket] {
            let _ = fs::remove_file(file);
        }
        eprintln!(
            "xtask: stopped podman; its images stay in {} (reruns import nothing)",
            self.files.graph_root.display()
        );
    }
}

/// Stops a service an interrupted run left, removes its containers while
/// their state is still there to find them, and clears the run state.
fn clear_leftovers(files: &Files, podman: &Path) -> Result<()> {
    if let Some(pid) = dockerd::read_pid(&files.pidfile) {
        let socket = files.socket.as_os_str().as_encoded_bytes();
        let ours = fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|cmdline| cmdline.windows(socket.len()).any(|w| w == socket));
        if ours && dockerd::pid_alive(pid) {
            eprintln!("xtask: stopping podman (pid {pid}) left running by an interrupted run");
            dockerd::stop_process("podman", pid, || dockerd::pid_alive(pid));
        }
    }
    if files.libpod.exists() {
        remove_containers(files, podman);
    }
    let run_roots = [files.run_root.as_path(), files.libpod.as_path()];
    stop_conmons(files);
    unmount_storage(files);
    // Never delete through a mount that refused to go.
    if !mounts_below(&run_roots).is_empty() {
        bail!(
            "mounts left below {} by an earlier Podman could not be removed; \
             unmount them and rerun",
            files.run.display()
        );
    }
    for dir in [&files.run_root, &files.libpod, &files.ipam] {
        if dir.exists() {
            fs::remove_dir_all(dir)
                .with_context(|| format!("could not clear {}", dir.display()))?;
        }
    }
    for file in [&files.socket, &files.pidfile, &files.events] {
        let _ = fs::remove_file(file);
    }
    Ok(())
}

/// Kills the conmons left in our storage. An exec session's conmon outlives
/// its container by its `--exit-delay` (300 s) and then runs `podman
/// container cleanup`, which mounts the storage again: minutes after the
/// run, and even after the checkout's next run started. Killed, it runs
/// nothing.
fn stop_conmons(files: &Files) {
    for pid in dockerd::processes_named("conmon", &files.graph_root) {
        dockerd::signal(pid, "KILL");
        dockerd::wait_while(Duration::from_secs(5), &mut || dockerd::pid_alive(pid));
    }
}

/// Lazily unmounts whatever is mounted below our storage and run roots.
fn unmount_storage(files: &Files) {
    for mount in mounts_below(&[&files.run_root, &files.libpod, &files.graph_root]) {
        let _ = Command::new("umount")
            .arg("--lazy")
            .arg(&mount)
            .stderr(Stdio::null())
            .status();
    }
}

/// `podman rm --all --force` in our storage; best effort.
fn remove_containers(files: &Files, podman: &Path) {
    let removed = files
        .podman(podman)
        .args(["rm", "--all", "--force", "--time", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    match removed {
        Ok(output) if output.status.success() => {}
        Ok(output) => eprintln!(
            "xtask: podman rm --all failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(err) => eprintln!("xtask: could not run podman rm --all: {err}"),
    }
}

/// Deletes the bridge that the CNI plugin made for our network; best
/// effort. The next run makes it again.
fn delete_bridge() {
    if Path::new("/sys/class/net").join(BRIDGE).exists() {
        let _ = Command::new("ip")
            .args(["link", "delete", BRIDGE])
            .env("PATH", dockerd::path_with_sbin())
            .stderr(Stdio::null())
            .status();
    }
}

/// What the configuration takes from this machine.
struct Settings<'a> {
    files: &'a Files,
    /// catatonit, Podman's `init`.
    init: PathBuf,
    /// The OCI runtime's name and path: runc (which docker.io brings), else
    /// crun.
    runtime: (&'static str, PathBuf),
    nofile: u64,
    nproc: u64,
}

impl<'a> Settings<'a> {
    fn for_machine(files: &'a Files) -> Result<Settings<'a>> {
        let init = packages::find_program("catatonit")
            .context("catatonit is not installed (Debian package catatonit)")?;
        let runtime = ["runc", "crun"]
            .into_iter()
            .find_map(|name| Some((name, packages::find_program(name)?)))
            .context("neither runc nor crun is installed (Podman needs one)")?;
        let limits =
            fs::read_to_string("/proc/self/limits").context("could not read /proc/self/limits")?;
        let pid_max = fs::read_to_string("/proc/sys/kernel/pid_max")
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(u64::MAX);
        let (nofile, nproc) = default_ulimits(&limits, pid_max)?;
        Ok(Settings {
            files,
            init,
            runtime,
            nofile,
            nproc,
        })
    }
}

/// The open-file and process limits a container gets by default: the
/// values Podman gives itself at start, which it can hand down. It raises
/// its open files to the hard limit (at most 1048576) and sets its process
/// limit to the smaller of the hard limit and `kernel.pid_max`.
fn default_ulimits(proc_limits: &str, pid_max: u64) -> Result<(u64, u64)> {
    let nofile = hard_limit(proc_limits, "Max open files")
        .context("no open-file limit in /proc/self/limits")?;
    let nproc = hard_limit(proc_limits, "Max processes")
        .context("no process limit in /proc/self/limits")?;
    Ok((nofile.min(PODMAN_NOFILE), nproc.min(pid_max)))
}

/// The hard limit on the `/proc/<pid>/limits` line named `name`
/// (`unlimited` as `u64::MAX`).
fn hard_limit(proc_limits: &str, name: &str) -> Option<u64> {
    let line = proc_limits
        .lines()
        .find_map(|line| line.strip_prefix(name))?;
    let hard = line.split_whitespace().nth(1)?;
    if hard == "unlimited" {
        return Some(u64::MAX);
    }
    hard.parse().ok()
}

/// The `containers.conf` text.
fn containers_conf(settings: &Settings) -> Result<String> {
    let files = settings.files;
    let (runtime, runtime_path) = &settings.runtime;
    Ok(format!(
        "\
# Written by `cargo xtask test` (xtask/src/podman.rs) on each run, for the
# Podman the tests run against; see there for why each setting is needed.

[containers]
init_path = {init}
# Podman's own limits, which it can hand down (without CAP_SYS_RESOURCE a
# container cannot get more).
default_ulimits = [\"nofile={nofile}:{nofile}\", \"nproc={nproc}:{nproc}\"]
log_driver = \"k8s-file\"

[network]
network_backend = \"cni\"
cni_plugin_dirs = [\"/usr/lib/cni\"]
network_config_dir = {networks}
default_network = \"podman\"

[engine]
cgroup_manager = \"cgroupfs\"
events_logger = \"file\"
events_logfile_path = {events}
tmp_dir = {libpod}
lock_type = \"file\"
image_copy_tmp_dir = {scratch}
runtime = \"{runtime}\"

[engine.runtimes]
{runtime} = [{runtime_path}]
",
        init = toml_string(&settings.init)?,
        nofile = settings.nofile,
        nproc = settings.nproc,
        networks = toml_string(&files.networks)?,
        events = toml_string(&files.events)?,
        libpod = toml_string(&files.libpod)?,
        scratch = toml_string(&files.scratch)?,
        runtime_path = toml_string(runtime_path)?,
    ))
}

/// The `storage.conf` text: the kernel's overlay, as dockerd's overlay2
/// uses here.
fn storage_conf(files: &Files) -> Result<String> {
    Ok(format!(
        "\
# Written by `cargo xtask test` (xtask/src/podman.rs) on each run.
[storage]
driver = \"overlay\"
graphroot = {graph_root}
runroot = {run_root}

[storage.options.overlay]
mountopt = \"nodev\"
",
        graph_root = toml_string(&files.graph_root)?,
        run_root = toml_string(&files.run_root)?,
    ))
}

/// The registries Podman may use: only the tests' own, on 127.0.0.1 and
/// without TLS. No search registries, so a short name never reaches out to
/// the internet. (A location without a port matches every port of the host
/// in c/image's prefix matching.)
const REGISTRIES_CONF: &str = "\
# Written by `cargo xtask test` (xtask/src/podman.rs) on each run.
unqualified-search-registries = []

[[registry]]
location = \"127.0.0.1\"
insecure = true

[[registry]]
location = \"localhost\"
insecure = true
";

/// The CNI definition of Podman's default network `podman`: a bridge of
/// its own, without masquerading, gateway or port mapping (the plugins that
/// would write firewall rules or turn on forwarding), addresses allocated
/// in `ipam`.
fn network_conflist(ipam: &Path) -> Result<String> {
    let ipam = ipam
        .to_str()
        .with_context(|| format!("the CNI configuration cannot hold {}", ipam.display()))?;
    let conflist = serde_json::json!({
        "cniVersion": "0.4.0",
        "name": "podman",
        "plugins": [{
            "type": "bridge",
            "bridge": BRIDGE,
            "isGateway": false,
            "ipMasq": false,
            "hairpinMode": true,
            "ipam": {
                "type": "host-local",
                "dataDir": ipam,
                "routes": [],
                "ranges": [[{ "subnet": SUBNET }]],
            },
        }],
    });
    Ok(serde_json::to_string_pretty(&conflist)? + "\n")
}

/// A TOML basic string holding `path`.
fn toml_string(path: &Path) -> Result<String> {
    let text = path
        .to_str()
        .with_context(|| format!("a TOML file cannot hold the path {}", path.display()))?;
    if text.chars().any(char::is_control) {
        bail!("a TOML file cannot hold the path {text:?}");
    }
    Ok(format!(
        "\"{}\"",
        text.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

/// `GET path` over the unix socket, as HTTP/1.0 so the answer ends with the
/// connection: the status and the body.
fn get(socket: &Path, path: &str) -> Option<(u16, Vec<u8>)> {
    let mut stream = UnixStream::connect(socket).ok()?;
    stream.set_read_timeout(Some(PROBE_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(PROBE_TIMEOUT)).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: podman\r\n\r\n").ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    parse_answer(&answer)
}

/// The status and body of an HTTP/1.x answer without chunking.
fn parse_answer(answer: &[u8]) -> Option<(u16, Vec<u8>)> {
    let head_end = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let status_line = answer[..head_end].split(|&b| b == b'\n').next()?;
    let mut parts = std::str::from_utf8(status_line).ok()?.split_whitespace();
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status = parts.next()?.parse().ok()?;
    Some((status, answer[head_end + 4..].to_vec()))
}

/// The mount points at or below any of `roots`, deepest first.
fn mounts_below(roots: &[&Path]) -> Vec<PathBuf> {
    let Ok(mountinfo) = fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut mounts: Vec<PathBuf> = mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|field| PathBuf::from(unescape_mount_point(field)))
        .filter(|mount| roots.iter().any(|root| mount.starts_with(root)))
        .collect();
    mounts.sort_by_key(|mount| std::cmp::Reverse(mount.as_os_str().len()));
    mounts.dedup();
    mounts
}

/// A mountinfo mount point, whose space, tab, newline and backslash are
/// written as three-digit octal escapes.
fn unescape_mount_point(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let digits = rest.get(at + 1..at + 4);
        match digits.and_then(|digits| u8::from_str_radix(digits, 8).ok()) {
            Some(byte) => {
                out.push(char::from(byte));
                rest = &rest[at + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).with_context(|| format!("could not write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: &str = "\
Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max processes             96364                96364                processes 
Max open files            1024                 20000                files     
Max locked memory         8388608              8388608              bytes     
";

    #[test]
    fn ulimits_are_what_podman_gives_itself() {
        // The hard open-file limit, and pid_max when it is the lower.
        assert_eq!(default_ulimits(LIMITS, 32768).unwrap(), (20000, 32768));
        assert_eq!(default_ulimits(LIMITS, 4_194_304).unwrap(), (20000, 96364));
        let generous = LIMITS
            .replace(
                "96364                96364",
                "unlimited            unlimited",
            )
            .replace("20000", "4000000");
        assert_eq!(
            default_ulimits(&generous, 4_194_304).unwrap(),
            (PODMAN_NOFILE, 4_194_304)
        );
        assert!(default_ulimits("Limit Soft Hard\n", 32768).is_err());
    }

    fn files() -> Files {
        Files::for_repo(Path::new("/r"))
    }

    #[test]
    fn paths_are_project_local_and_sockets_short() {
        let files = files();
        assert_eq!(files.dir, Path::new("/r/.dockhand/podman"));
        assert_eq!(files.graph_root, Path::new("/r/.dockhand/podman/storage"));
        assert_eq!(
            files.socket,
            Path::new("/r/.dockhand/run/podman/podman.sock")
        );
        assert!(files.run_root.starts_with(&files.run));
        assert!(files.libpod.starts_with(&files.run));
    }

    #[test]
    fn containers_conf_holds_what_this_machine_needs() {
        let files = files();
        let settings = Settings {
            files: &files,
            init: "/usr/bin/catatonit".into(),
            runtime: ("runc", "/usr/sbin/runc".into()),
            nofile: 20000,
            nproc: 32768,
        };
        let text = containers_conf(&settings).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for expected in [
            "init_path = \"/usr/bin/catatonit\"",
            "default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]",
            "network_backend = \"cni\"",
            "network_config_dir = \"/r/.dockhand/podman/networks\"",
            "cgroup_manager = \"cgroupfs\"",
            "events_logger = \"file\"",
            "events_logfile_path = \"/r/.dockhand/podman/events.log\"",
            "tmp_dir = \"/r/.dockhand/run/podman/libpod\"",
            "lock_type = \"file\"",
            "runtime = \"runc\"",
            "runc = [\"/usr/sbin/runc\"]",
        ] {
            assert!(lines.contains(&expected), "{expected:?} not in\n{text}");
        }
        let storage = storage_conf(&files).unwrap();
        assert!(storage.contains("\ngraphroot = \"/r/.dockhand/podman/storage\"\n"));
        assert!(storage.contains("\nrunroot = \"/r/.dockhand/run/podman/storage\"\n"));
    }

    #[test]
    fn network_touches_no_firewall() {
        let text = network_conflist(Path::new("/r/.dockhand/run/podman/ipam")).unwrap();
        let conflist: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(conflist["name"], "podman");
        let plugins = conflist["plugins"].as_array().unwrap();
        assert_eq!(plugins.len(), 1, "only the bridge: no firewall, no portmap");
        let bridge = &plugins[0];
        assert_eq!(bridge["bridge"], BRIDGE);
        assert_eq!(bridge["ipMasq"], false);
        assert_eq!(bridge["isGateway"], false);
        assert_eq!(bridge["ipam"]["dataDir"], "/r/.dockhand/run/podman/ipam");
        assert!(BRIDGE.len() <= 15, "an interface name has at most 15 bytes");
    }

    #[test]
    fn registries_are_local_only() {
        assert!(REGISTRIES_CONF.contains("unqualified-search-registries = []"));
        assert_eq!(REGISTRIES_CONF.matches("insecure = true").count(), 2);
    }

    #[test]
    fn toml_strings_escape() {
        assert_eq!(toml_string(Path::new("/a b")).unwrap(), "\"/a b\"");
        assert_eq!(
            toml_string(Path::new("/a\"b\\c")).unwrap(),
            "\"/a\\\"b\\\\c\""
        );
        assert!(toml_string(Path::new("/a\nb")).is_err());
    }

    #[test]
    fn reads_http_answers() {
        assert_eq!(
            parse_answer(b"HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\n\r\nOK"),
            Some((200, b"OK".to_vec()))
        );
        assert_eq!(
            parse_answer(b"HTTP/1.1 404 Not Found\r\n\r\n"),
            Some((404, Vec::new()))
        );
        assert_eq!(parse_answer(b"SSH-2.0-OpenSSH\r\n\r\n"), None);
        assert_eq!(parse_answer(b"HTTP/1.1 200 OK\r\n"), None);
    }

    #[test]
    fn unescapes_mount_points() {
        assert_eq!(unescape_mount_point("/mnt/my\\040dir"), "/mnt/my dir");
        assert_eq!(unescape_mount_point("/a\\134b"), "/a\\b");
        assert_eq!(unescape_mount_point("/odd\\x"), "/odd\\x");
    }
}
