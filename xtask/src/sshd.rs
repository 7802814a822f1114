//! The OpenSSH server that `cargo xtask test` runs for the tests of
//! dockhand's `ssh://` transport, and stops when the returned [`Sshd`] drops:
//! after the tests, and also when they fail or the xtask panics.
//!
//! It listens on 127.0.0.1 at a free port and lets in the user the xtask runs
//! as, with a client key made for the tests alone. The transport runs
//! `docker system dial-stdio` on the remote side; sshd's `SetEnv` hands that
//! the variables that reach the test daemon, whichever daemon that is.
//!
//! Keys, `authorized_keys`, `known_hosts` and `sshd_config` live in
//! `<repo>/.dockhand/ssh/`, the log in `.dockhand/sshd.log`, and the pidfile
//! and lock in the runtime directory next to dockerd's. The keys are made once
//! and reused; the rest is rewritten on each run, as the port changes.

use std::fs::{self, File};
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::dockerd;
use crate::packages;

const READY_TIMEOUT: Duration = Duration::from_secs(15);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// sshd's privilege separation directory, which must exist when it runs as
/// root. Debian's service creates it at boot; without the service nobody did.
const PRIVSEP_DIR: &str = "/run/sshd";

/// An sshd this process started.
pub struct Sshd {
    child: Child,
    port: u16,
    user: String,
    files: Files,
    /// Held until sshd is stopped, so a second run in this repository waits
    /// rather than rewrite the files under it.
    _lock: File,
}

/// The files of the tests' sshd in one repository.
struct Files {
    /// `<repo>/.dockhand/ssh`.
    dir: PathBuf,
    host_key: PathBuf,
    /// The key the tests log in with (`DOCKHAND_TEST_SSH_KEY`).
    client_key: PathBuf,
    authorized_keys: PathBuf,
    /// The host key at our address (`DOCKHAND_TEST_SSH_KNOWN_HOSTS`).
    known_hosts: PathBuf,
    config: PathBuf,
    log: PathBuf,
    /// In the runtime directory, with dockerd's.
    run: PathBuf,
    pidfile: PathBuf,
    lock: PathBuf,
}

impl Files {
    fn for_repo(repo: &Path) -> Files {
        let state = dockerd::state_dir(repo);
        let run = dockerd::runtime_dir(repo, &state);
        let dir = state.join("ssh");
        Files {
            host_key: dir.join("host_ed25519_key"),
            client_key: dir.join("client_ed25519_key"),
            authorized_keys: dir.join("authorized_keys"),
            known_hosts: dir.join("known_hosts"),
            config: dir.join("sshd_config"),
            log: state.join("sshd.log"),
            pidfile: run.join("sshd.pid"),
            lock: run.join("sshd.lock"),
            dir,
            run,
        }
    }
}

/// Starts an sshd whose sessions get `client_env` (see
/// `Daemon::client_env`), and waits until it greets.
pub fn start(repo: &Path, client_env: &[(&str, String)]) -> Result<Sshd> {
    let files = Files::for_repo(repo);
    for dir in [&files.dir, &files.run] {
        fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    }
    let lock = dockerd::lock(&files.lock)?;
    stop_leftover(&files);

    let sshd = packages::find_program("sshd")
        .context("sshd is not installed (Debian package openssh-server)")?;
    // sshd re-executes itself for each connection and insists on an absolute
    // path for that.
    let sshd = sshd.canonicalize().unwrap_or(sshd);
    ensure_key(&files.host_key, "dockhand test sshd")?;
    ensure_key(&files.client_key, "dockhand test client")?;
    let port = dockerd::free_port()?;
    let user = current_user()?;

    let client_public = read(&public_key(&files.client_key))?;
    write(&files.authorized_keys, &client_public)?;
    let host_public = read(&public_key(&files.host_key))?;
    write(&files.known_hosts, &known_hosts_line(port, &host_public)?)?;
    let config = sshd_config(&Settings {
        port,
        host_key: &files.host_key,
        authorized_keys: &files.authorized_keys,
        pidfile: &files.pidfile,
        env: client_env,
    })?;
    write(&files.config, &config)?;
    if packages::is_root() {
        fs::create_dir_all(PRIVSEP_DIR)
            .with_context(|| format!("could not create {PRIVSEP_DIR}"))?;
    }

    let log = File::create(&files.log)
        .with_context(|| format!("could not create {}", files.log.display()))?;
    eprintln!(
        "xtask: starting sshd on 127.0.0.1:{port} (config {}, log {})",
        files.config.display(),
        files.log.display()
    );
    // -D: stay in the foreground, our child; -e: log to stderr, our log file.
    let child = Command::new(&sshd)
        .args(["-D", "-e", "-f"])
        .arg(&files.config)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("could not start {}", sshd.display()))?;
    let mut sshd = Sshd {
        child,
        port,
        user,
        files,
        _lock: lock,
    };
    // On failure `sshd` drops here and stops the process.
    sshd.wait_until_ready()?;
    Ok(sshd)
}

impl Sshd {
    /// Tells the tests where to connect and with what:
    /// `DOCKHAND_TEST_SSH_HOST` (`ssh://<user>@127.0.0.1:<port>`),
    /// `DOCKHAND_TEST_SSH_KEY` (the client's private key) and
    /// `DOCKHAND_TEST_SSH_KNOWN_HOSTS` (a known_hosts file that holds the
    /// server's key, for strict host key checking).
    pub fn configure(&self, cmd: &mut Command) {
        cmd.env(
            "DOCKHAND_TEST_SSH_HOST",
            format!("ssh://{}@127.0.0.1:{}", self.user, self.port),
        )
        .env("DOCKHAND_TEST_SSH_KEY", &self.files.client_key)
        .env("DOCKHAND_TEST_SSH_KNOWN_HOSTS", &self.files.known_hosts);
    }

    /// Waits until sshd sends its banner, or fails with the end of its log.
    fn wait_until_ready(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            if greets(self.port) {
                let secs = started.elapsed().as_secs_f64();
                eprintln!("xtask: sshd ready after {secs:.1} s");
                return Ok(());
            }
            let log = &self.files.log;
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "sshd exited ({status}) before it answered; the end of {}:\n{}",
                    log.display(),
                    dockerd::log_tail(log)
                );
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "sshd did not answer on 127.0.0.1:{} within {} s; the end of {}:\n{}",
                    self.port,
                    READY_TIMEOUT.as_secs(),
                    log.display(),
                    dockerd::log_tail(log)
                );
            }
            sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let pid = self.child.id();
        let child = &mut self.child;
        let mut alive = || matches!(child.try_wait(), Ok(None));
        if alive() {
            dockerd::stop_process("sshd", pid, alive);
            eprintln!("xtask: stopped sshd");
        }
        let _ = self.child.try_wait();
        let _ = fs::remove_file(&self.files.pidfile);
    }
}

/// Stops the sshd that an interrupted run left, found by its pidfile. Its
/// command line names our config, but inside the title sshd gives itself
/// (`sshd: /usr/sbin/sshd -D -e -f <config> [listener] …`), not as an
/// argument of its own.
fn stop_leftover(files: &Files) {
    let Some(pid) = dockerd::read_pid(&files.pidfile) else {
        return;
    };
    let config = files.config.as_os_str().as_encoded_bytes();
    let ours = fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|cmdline| cmdline.windows(config.len()).any(|w| w == config));
    if ours && dockerd::pid_alive(pid) {
        eprintln!("xtask: stopping sshd (pid {pid}) left running by an interrupted run");
        dockerd::stop_process("sshd", pid, || dockerd::pid_alive(pid));
    }
    let _ = fs::remove_file(&files.pidfile);
}

/// Whether an SSH server greets on 127.0.0.1:`port`.
fn greets(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, PROBE_TIMEOUT) else {
        return false;
    };
    if stream.set_read_timeout(Some(PROBE_TIMEOUT)).is_err() {
        return false;
    }
    let mut banner = Vec::new();
    let mut buf = [0u8; 64];
    while !banner.contains(&b'\n') && banner.len() < 256 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => banner.extend_from_slice(&buf[..n]),
        }
    }
    is_ssh_banner(&banner)
}

/// Whether a server's first line is an SSH 2 identification string.
fn is_ssh_banner(line: &[u8]) -> bool {
    line.starts_with(b"SSH-2.0-")
}

/// Makes an ed25519 key pair at `key` and `key.pub` unless both are there,
/// and leaves the private key readable by its owner only: sshd ignores a
/// host key that others can read, StrictModes or not, and ssh a client key.
fn ensure_key(key: &Path, comment: &str) -> Result<()> {
    let public = public_key(key);
    if key.is_file() && public.is_file() {
        return owner_only(key);
    }
    // ssh-keygen would ask before overwriting half a pair.
    for path in [key, public.as_path()] {
        let _ = fs::remove_file(path);
    }
    let output = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(key)
        .stdin(Stdio::null())
        .output()
        .context("could not run ssh-keygen")?;
    if !output.status.success() {
        bail!(
            "ssh-keygen could not make {} ({}): {}",
            key.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    owner_only(key)
}

#[cfg(unix)]
fn owner_only(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .with_context(|| format!("could not restrict {} to its owner", path.display()))
}

#[cfg(not(unix))]
fn owner_only(_path: &Path) -> Result<()> {
    Ok(())
}

fn public_key(key: &Path) -> PathBuf {
    let mut name = key.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// The user the xtask runs as, whom sshd (running as that user too) lets in.
fn current_user() -> Result<String> {
    let from_passwd = packages::effective_uid().and_then(|uid| {
        let passwd = fs::read_to_string("/etc/passwd").ok()?;
        user_name(&passwd, uid)
    });
    from_passwd
        .or_else(|| std::env::var("USER").ok().filter(|user| !user.is_empty()))
        .context("could not tell which user this runs as (not in /etc/passwd, no USER)")
}

/// The name of `uid` in an `/etc/passwd` text.
fn user_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?;
        (id.parse() == Ok(uid) && !name.is_empty()).then(|| name.to_owned())
    })
}

/// The known_hosts line for the host key `public` (a `.pub` file's text) at
/// 127.0.0.1:`port`, in the form ssh looks up: `[host]:port` for a port
/// other than 22.
fn known_hosts_line(port: u16, public: &str) -> Result<String> {
    let mut fields = public.split_whitespace();
    let (Some(kind), Some(key)) = (fields.next(), fields.next()) else {
        bail!("not an OpenSSH public key: {public:?}");
    };
    let host = if port == 22 {
        "127.0.0.1".to_owned()
    } else {
        format!("[127.0.0.1]:{port}")
    };
    Ok(format!("{host} {kind} {key}\n"))
}

/// What [`sshd_config`] fills in.
struct Settings<'a> {
    port: u16,
    host_key: &'a Path,
    authorized_keys: &'a Path,
    pidfile: &'a Path,
    /// For the sessions, so that their docker CLI reaches the test daemon.
    env: &'a [(&'a str, String)],
}

/// The sshd_config text: only 127.0.0.1, only public key logins with our
/// files wherever the repository lies and whatever its permissions.
fn sshd_config(settings: &Settings) -> Result<String> {
    let path = |path: &Path| quote(path_text(path)?);
    // AuthorizedKeysFile expands %-tokens (%h, %u); a literal % is %%.
    let authorized_keys = quote(&path_text(settings.authorized_keys)?.replace('%', "%%"))?;
    let mut env = Vec::new();
    for (name, value) in settings.env {
        env.push(quote(&format!("{name}={value}"))?);
    }
    let mut text = format!(
        "\
# Written by `cargo xtask test` (xtask/src/sshd.rs) on each run, for the ssh
# transport tests.
ListenAddress 127.0.0.1
Port {port}
HostKey {host_key}
AuthorizedKeysFile {authorized_keys}
PidFile {pidfile}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# Our files live in the repository, whatever its owner and permissions.
StrictModes no
# Tests connect many times at once; past 10 connections that have not logged
# in yet, the default (10:30:100) drops some at random.
MaxStartups 100
PrintMotd no
PrintLastLog no
X11Forwarding no
# Logs which key each login offered, for failing tests.
LogLevel VERBOSE
",
        port = settings.port,
        host_key = path(settings.host_key)?,
        pidfile = path(settings.pidfile)?,
    );
    if !env.is_empty() {
        text.push_str("# For the remote `docker system dial-stdio`: the test daemon.\n");
        text.push_str(&format!("SetEnv {}\n", env.join(" ")));
    }
    Ok(text)
}

fn path_text(path: &Path) -> Result<&str> {
    path.to_str()
        .with_context(|| format!("sshd_config cannot hold the path {}", path.display()))
}

/// One sshd_config argument in double quotes, in which sshd reads `\"` and
/// `\\` as `"` and `\`. A line cannot hold control characters.
fn quote(arg: &str) -> Result<String> {
    if arg.chars().any(char::is_control) {
        bail!("sshd_config cannot hold {arg:?}");
    }
    Ok(format!(
        "\"{}\"",
        arg.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).with_context(|| format!("could not write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings_text(env: &[(&str, String)], keys: &str) -> String {
        sshd_config(&Settings {
            port: 40022,
            host_key: Path::new("/r/.dockhand/ssh/host_ed25519_key"),
            authorized_keys: Path::new(keys),
            pidfile: Path::new("/r/.dockhand/run/sshd.pid"),
            env,
        })
        .unwrap()
    }

    #[test]
    fn config_listens_on_loopback_with_our_files() {
        let env = [(
            "DOCKER_HOST",
            "unix:///r/.dockhand/run/docker.sock".to_owned(),
        )];
        let text = settings_text(&env, "/r/.dockhand/ssh/authorized_keys");
        let lines: Vec<&str> = text.lines().collect();
        for expected in [
            "ListenAddress 127.0.0.1",
            "Port 40022",
            "HostKey \"/r/.dockhand/ssh/host_ed25519_key\"",
            "AuthorizedKeysFile \"/r/.dockhand/ssh/authorized_keys\"",
            "PidFile \"/r/.dockhand/run/sshd.pid\"",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "SetEnv \"DOCKER_HOST=unix:///r/.dockhand/run/docker.sock\"",
        ] {
            assert!(lines.contains(&expected), "{expected:?} not in\n{text}");
        }
        // No other address, and no second Port that would add one.
        assert_eq!(text.matches("ListenAddress").count(), 1);
        assert_eq!(lines.iter().filter(|l| l.starts_with("Port ")).count(), 1);
    }

    #[test]
    fn config_passes_tls_settings_and_escapes_odd_paths() {
        let env = [
            ("DOCKER_HOST", "tcp://d:2376".to_owned()),
            ("DOCKER_TLS_VERIFY", "1".to_owned()),
            ("DOCKER_CERT_PATH", "/my \"certs\"".to_owned()),
        ];
        let text = settings_text(&env, "/a b/100%/keys");
        assert!(text.contains(
            "\nSetEnv \"DOCKER_HOST=tcp://d:2376\" \"DOCKER_TLS_VERIFY=1\" \
             \"DOCKER_CERT_PATH=/my \\\"certs\\\"\"\n"
        ));
        assert!(
            text.contains("\nAuthorizedKeysFile \"/a b/100%%/keys\"\n"),
            "{text}"
        );
        assert!(!settings_text(&[], "/k").contains("SetEnv"));
    }

    #[test]
    fn quotes_arguments() {
        assert_eq!(quote("/plain").unwrap(), "\"/plain\"");
        assert_eq!(quote("a\\b\"c").unwrap(), "\"a\\\\b\\\"c\"");
        assert!(quote("two\nlines").is_err());
    }

    #[test]
    fn known_hosts_names_the_port() {
        let public = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOm dockhand test sshd\n";
        assert_eq!(
            known_hosts_line(40022, public).unwrap(),
            "[127.0.0.1]:40022 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOm\n"
        );
        assert_eq!(
            known_hosts_line(22, public).unwrap(),
            "127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOm\n"
        );
        assert!(known_hosts_line(40022, "garbage").is_err());
    }

    #[test]
    fn finds_user_names() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n\
                      broken\n\
                      ci:x:1000:1000:CI:/home/ci:/bin/sh\n";
        assert_eq!(user_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(user_name(passwd, 1000).as_deref(), Some("ci"));
        assert_eq!(user_name(passwd, 4242), None);
    }

    #[test]
    fn recognises_banners() {
        assert!(is_ssh_banner(
            b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n"
        ));
        assert!(!is_ssh_banner(b"SSH-1.5-Old\r\n"));
        assert!(!is_ssh_banner(b"HTTP/1.1 400 Bad Request\r\n"));
        assert!(!is_ssh_banner(b""));
    }

    #[test]
    fn public_key_is_next_to_the_private_one() {
        assert_eq!(public_key(Path::new("/k/id")), Path::new("/k/id.pub"));
    }

    #[test]
    fn makes_a_key_pair_once() {
        if packages::find_program("ssh-keygen").is_none() {
            eprintln!("skipped: ssh-keygen is not installed");
            return;
        }
        let dir = std::env::temp_dir().join(format!("xtask-sshkey-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let key = dir.join("id");
        ensure_key(&key, "test").unwrap();
        let public = fs::read_to_string(public_key(&key)).unwrap();
        assert!(public.starts_with("ssh-ed25519 "), "{public}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        }
        ensure_key(&key, "test").unwrap();
        assert_eq!(fs::read_to_string(public_key(&key)).unwrap(), public);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Half a pair is made whole again, with a new key.
        fs::remove_file(public_key(&key)).unwrap();
        ensure_key(&key, "test").unwrap();
        assert_ne!(fs::read_to_string(public_key(&key)).unwrap(), public);
        let _ = fs::remove_dir_all(&dir);
    }
}
