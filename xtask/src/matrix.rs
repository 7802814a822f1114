//! The newer dockerds that `cargo xtask test` runs the integration tests
//! against besides the main one (bookworm's 20.10, see `dockerd`): Debian
//! trixie's `docker.io` (26.1, API 1.45) and sid's, the newest Debian has.
//!
//! Each is fetched as packages (`docker.io` and `containerd`) from the
//! Debian archive with `apt-get download`, through a sources list and lists
//! directory of its own under `<repo>/.dockhand/daemons/<name>/apt` (the
//! machine's apt sources and lists stay as they are), and unpacked with
//! `dpkg -x` into `<name>/root`, which later runs reuse. Its dockerd runs
//! from there with the containerd it unpacked, bookworm's own `runc` (sid's
//! needs a newer glibc) and a data root, exec root, pidfile and socket of its
//! own (see [`Paths::for_matrix`]).
//!
//! Each gets its own bridge, which this module creates and deletes, and runs
//! with `--bridge=<it> --iptables=false`: the main dockerd owns `docker0`
//! and the iptables rules. (`--bridge=none` would make the new dockerd
//! delete `docker0` from under the main one.) The returned [`MatrixDaemon`]
//! stops the dockerd and deletes the bridge when dropped, also when the
//! tests fail or the xtask panics.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};

use crate::dockerd::{self, Daemon, Paths};
use crate::packages;

/// The archive the packages come from (Debian's redirector, as the
/// machine's own sources use).
const ARCHIVE: &str = "http://deb.debian.org/debian";
/// The key ring that signs the archive's suites, trixie's and sid's keys
/// included (bookworm's `debian-archive-keyring`).
const KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";
/// The packages a matrix daemon runs from.
const PACKAGES: [&str; 2] = ["docker.io", "containerd"];
/// How long unpacked packages are used before they are fetched again, so
/// that sid's dockerd follows sid.
const REFRESH_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// One Debian suite whose dockerd the tests run against.
#[derive(Clone, Copy, Debug)]
pub struct Release {
    /// The suite, which also names the daemon's directory and namespace.
    pub name: &'static str,
    /// The bridge the daemon's default network uses.
    bridge: &'static str,
    /// The bridge's address, which sets the default network's subnet.
    address: &'static str,
    /// Where the daemon takes the subnets of networks the tests create, apart
    /// from the main daemon's (172.17.0.0/16 and up) and each other's.
    pool: &'static str,
    /// Whether a daemon that cannot start fails the run (trixie's), or only
    /// says so loudly and leaves the run to the others (sid's, whose newest
    /// build may one day need more than this machine has).
    pub gates: bool,
}

/// The matrix besides the main daemon, oldest first.
pub const RELEASES: [Release; 2] = [
    Release {
        name: "trixie",
        bridge: "dh-trixie",
        address: "172.31.21.1/24",
        pool: "172.31.64.0/20",
        gates: true,
    },
    Release {
        name: "sid",
        bridge: "dh-sid",
        address: "172.31.22.1/24",
        pool: "172.31.80.0/20",
        gates: false,
    },
];

/// A started matrix daemon. Dropping it stops the dockerd, then deletes
/// its bridge.
pub struct MatrixDaemon {
    pub release: Release,
    // Dropped in this order: the dockerd before the bridge it uses.
    pub daemon: Daemon,
    _bridge: Bridge,
}

/// The disposable daemon: bookworm's own dockerd (the main one's
/// binary), with a data root, bridge and containerd namespace of its own,
/// which the daemon-killed tests SIGKILL while streams are open.
pub const DISPOSABLE: Release = Release {
    name: "disposable",
    bridge: "dh-disposable",
    address: "172.31.23.1/24",
    pool: "172.31.96.0/20",
    gates: true,
};

/// Fetches (or reuses) the packages of `release` and starts its dockerd.
pub fn start(repo: &Path, release: Release) -> Result<MatrixDaemon> {
    let root = fetch(repo, release)?;
    launch(repo, release, &root)
}

/// Starts the [`DISPOSABLE`] dockerd from the machine's own packages.
pub fn start_disposable(repo: &Path) -> Result<MatrixDaemon> {
    launch(repo, DISPOSABLE, Path::new("/"))
}

/// Starts `release`'s dockerd from the packages unpacked at `root`.
fn launch(repo: &Path, release: Release, root: &Path) -> Result<MatrixDaemon> {
    let paths = Paths::for_matrix(repo, release.name);
    for dir in [&paths.state, &paths.run] {
        fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    }
    let lock = dockerd::lock(&paths.lock)?;
    if let Some(pid) = dockerd::running_dockerd(&paths) {
        eprintln!(
            "xtask: stopping the {} dockerd (pid {pid}) left running by an earlier run",
            release.name
        );
        dockerd::stop_process("dockerd", pid, || dockerd::pid_alive(pid));
    }
    dockerd::stop_leftover_containerd(&paths);
    dockerd::stop_leftover_shims(&paths);
    dockerd::clean_up(&paths);
    // Network state from an earlier start with other settings could name
    // `docker0` as this daemon's default bridge, and dockerd deletes the
    // interface of a default bridge it finds reconfigured: the main
    // daemon's. A fresh network store is always built from the flags.
    let _ = std::fs::remove_dir_all(paths.data.join("network"));
    let bridge = Bridge::create(release.bridge, release.address)?;

    let dockerd = root.join("usr/sbin/dockerd");
    let host = format!("unix://{}", paths.socket.display());
    let log = fs::File::create(&paths.log)
        .with_context(|| format!("could not create {}", paths.log.display()))?;
    eprintln!(
        "xtask: starting {}'s dockerd on bridge {} (data root {}, log {})",
        release.name,
        release.bridge,
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
        .arg(format!("--bridge={}", release.bridge))
        .args(["--iptables=false", "--ip6tables=false"])
        .arg("--default-address-pool")
        .arg(format!("base={},size=24", release.pool))
        .arg(format!("--containerd-namespace=dockhand-{}", release.name))
        .arg(format!(
            "--containerd-plugins-namespace=dockhand-{}-plugins",
            release.name
        ))
        .args(["--shutdown-timeout", "10"])
        // Its own containerd, shim and docker-proxy first; runc (and
        // docker-init) from bookworm.
        .env("PATH", search_path(root))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("could not start {}", dockerd.display()))?;
    let mut daemon = Daemon::spawned(host, child, paths, lock);
    // On failure `daemon` and `bridge` drop here: the process stops, the
    // bridge goes.
    daemon.wait_until_ready()?;
    Ok(MatrixDaemon {
        release,
        daemon,
        _bridge: bridge,
    })
}

/// `<root>/usr/sbin:<root>/usr/bin` before the machine's PATH (with sbin).
fn search_path(root: &Path) -> std::ffi::OsString {
    let system = dockerd::path_with_sbin();
    let dirs = [root.join("usr/sbin"), root.join("usr/bin")]
        .into_iter()
        .chain(std::env::split_paths(&system));
    std::env::join_paths(dirs).unwrap_or(system)
}

/// `<repo>/.dockhand/daemons/<name>/root` with the release's packages
/// unpacked, fetched when missing or older than [`REFRESH_AFTER`] (a failed
/// refresh keeps the old ones).
fn fetch(repo: &Path, release: Release) -> Result<PathBuf> {
    let dir = dockerd::state_dir(repo).join("daemons").join(release.name);
    let root = dir.join("root");
    let stamp = dir.join("packages");
    let cached = root.join("usr/sbin/dockerd").is_file()
        && root.join("usr/bin/containerd").is_file()
        && stamp.is_file();
    if cached {
        let age = fs::metadata(&stamp)
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|time| SystemTime::now().duration_since(time).ok());
        let names = fs::read_to_string(&stamp).unwrap_or_default();
        if age.is_some_and(|age| age < REFRESH_AFTER) {
            eprintln!(
                "xtask: using {}'s packages unpacked in {} ({})",
                release.name,
                root.display(),
                names.split_whitespace().collect::<Vec<_>>().join(", ")
            );
            return Ok(root);
        }
        match download(&dir, release) {
            Ok(()) => {}
            Err(err) => {
                eprintln!(
                    "xtask: could not refresh {}'s packages ({err:#}); using those from {}",
                    release.name,
                    root.display()
                );
                return Ok(root);
            }
        }
    } else {
        download(&dir, release)?;
    }
    Ok(root)
}

/// Downloads the release's packages into `<dir>/debs` and unpacks them
/// into `<dir>/root`, replacing what was there.
fn download(dir: &Path, release: Release) -> Result<()> {
    if !packages::is_root() {
        bail!(
            "fetching {}'s dockerd needs root (for apt-get and dpkg)",
            release.name
        );
    }
    for program in ["apt-get", "dpkg"] {
        if packages::find_program(program).is_none() {
            bail!("fetching {}'s dockerd needs {program}", release.name);
        }
    }
    let apt = dir.join("apt");
    let lists = apt.join("lists");
    let cache = apt.join("cache");
    for sub in [lists.join("partial"), cache.join("archives/partial")] {
        fs::create_dir_all(&sub).with_context(|| format!("could not create {}", sub.display()))?;
    }
    let sources = apt.join("sources.list");
    fs::write(
        &sources,
        format!(
            "# Written by dockhand's `cargo xtask test` (xtask/src/matrix.rs); used only\n\
             # through -o Dir::Etc::sourcelist, never by the machine's apt.\n\
             deb [signed-by={KEYRING}] {ARCHIVE} {} main\n",
            release.name
        ),
    )
    .with_context(|| format!("could not write {}", sources.display()))?;
    let options = private_apt_options(&sources, &lists, &cache);
    eprintln!(
        "xtask: fetching {} from {}'s package lists into {}",
        PACKAGES.join(" and "),
        release.name,
        dir.display()
    );
    apt_get(&options, &["update"], dir)?;
    let debs = dir.join("debs");
    let _ = fs::remove_dir_all(&debs);
    fs::create_dir_all(&debs).with_context(|| format!("could not create {}", debs.display()))?;
    let mut download = vec!["download"];
    download.extend(PACKAGES);
    apt_get(&options, &download, &debs)?;

    let unpacking = dir.join("root.new");
    let _ = fs::remove_dir_all(&unpacking);
    fs::create_dir_all(&unpacking)
        .with_context(|| format!("could not create {}", unpacking.display()))?;
    let mut names = Vec::new();
    for entry in fs::read_dir(&debs)? {
        let deb = entry?.path();
        if deb.extension().is_none_or(|ext| ext != "deb") {
            continue;
        }
        let status = Command::new("dpkg")
            .arg("-x")
            .arg(&deb)
            .arg(&unpacking)
            .status()
            .context("could not run dpkg")?;
        if !status.success() {
            bail!("`dpkg -x {}` failed ({status})", deb.display());
        }
        names.push(
            deb.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        );
    }
    if !unpacking.join("usr/sbin/dockerd").is_file() {
        bail!("{}'s docker.io has no usr/sbin/dockerd", release.name);
    }
    let root = dir.join("root");
    let _ = fs::remove_dir_all(&root);
    fs::rename(&unpacking, &root).with_context(|| {
        format!(
            "could not move {} to {}",
            unpacking.display(),
            root.display()
        )
    })?;
    names.sort();
    fs::write(dir.join("packages"), names.join("\n") + "\n")?;
    // The unpacked tree is what runs; the archives are not needed again.
    let _ = fs::remove_dir_all(&debs);
    Ok(())
}

/// The options that point apt-get at our sources list, lists and cache
/// alone, leaving the machine's apt state as it is.
fn private_apt_options(sources: &Path, lists: &Path, cache: &Path) -> Vec<String> {
    let set = |key: &str, value: &Path| format!("{key}={}", value.display());
    [
        set("Dir::Etc::sourcelist", sources),
        "Dir::Etc::sourceparts=/dev/null".to_owned(),
        set("Dir::State::Lists", lists),
        set("Dir::Cache", cache),
        // The files land in our directories, which the _apt user cannot
        // write to.
        "APT::Sandbox::User=root".to_owned(),
        "Acquire::Languages=none".to_owned(),
    ]
    .into_iter()
    .flat_map(|option| ["-o".to_owned(), option])
    .collect()
}

fn apt_get(options: &[String], args: &[&str], dir: &Path) -> Result<()> {
    let status = Command::new("apt-get")
        .args(options)
        .arg("-q")
        .args(args)
        .current_dir(dir)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .context("could not run apt-get")?;
    if !status.success() {
        bail!(
            "`apt-get {}` (private sources) failed ({status})",
            args.join(" ")
        );
    }
    Ok(())
}

/// A bridge this process created, deleted when dropped.
struct Bridge(&'static str);

impl Bridge {
    /// Creates bridge `name` with `address` and brings it up, first deleting
    /// one an interrupted run of ours left.
    fn create(name: &'static str, address: &str) -> Result<Bridge> {
        if ip(&["link", "show", name], true).is_ok() {
            eprintln!("xtask: deleting bridge {name}, left by an earlier run");
            ip(&["link", "delete", name], false)?;
        }
        ip(&["link", "add", name, "type", "bridge"], false)?;
        // The guard from here on, so a failure below still deletes it.
        let bridge = Bridge(name);
        ip(&["addr", "add", address, "dev", name], false)?;
        ip(&["link", "set", name, "up"], false)?;
        Ok(bridge)
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        match ip(&["link", "delete", self.0], false) {
            Ok(()) => eprintln!("xtask: deleted bridge {}", self.0),
            Err(err) => eprintln!("xtask: could not delete bridge {}: {err:#}", self.0),
        }
    }
}

fn ip(args: &[&str], quiet: bool) -> Result<()> {
    let program = packages::find_program("ip").context("the `ip` command (iproute2) is missing")?;
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::null());
    if quiet {
        cmd.stderr(Stdio::null());
    }
    let status = cmd.status().context("could not run ip")?;
    if !status.success() {
        bail!("`ip {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apt_reads_only_our_files() {
        let options = private_apt_options(
            Path::new("/r/apt/sources.list"),
            Path::new("/r/apt/lists"),
            Path::new("/r/apt/cache"),
        );
        let joined = options.join(" ");
        assert!(joined.contains("-o Dir::Etc::sourcelist=/r/apt/sources.list"));
        assert!(joined.contains("-o Dir::Etc::sourceparts=/dev/null"));
        assert!(joined.contains("-o Dir::State::Lists=/r/apt/lists"));
        assert!(joined.contains("-o Dir::Cache=/r/apt/cache"));
    }

    #[test]
    fn releases_keep_apart() {
        let all: Vec<Release> = RELEASES.into_iter().chain([DISPOSABLE]).collect();
        for (i, a) in all.iter().enumerate() {
            assert!(
                a.bridge.len() <= 15,
                "{} is too long for an interface",
                a.bridge
            );
            assert_ne!(a.bridge, "docker0");
            for b in &all[i + 1..] {
                assert_ne!(a.bridge, b.bridge);
                assert_ne!(a.address, b.address);
                assert_ne!(a.pool, b.pool);
            }
        }
    }

    #[test]
    fn matrix_sockets_fit() {
        let paths = Paths::for_matrix(Path::new("/work/main"), "trixie");
        assert!(paths
            .socket
            .starts_with("/work/main/.dockhand/daemons/trixie/run"));
        let long = PathBuf::from(format!("/home/ci/{}", "builds/".repeat(10)));
        let paths = Paths::for_matrix(&long, "trixie");
        assert!(paths.run.starts_with("/tmp"), "{:?}", paths.run);
        assert_ne!(
            paths.run,
            dockerd::runtime_dir(&long, &dockerd::state_dir(&long))
        );
    }
}
