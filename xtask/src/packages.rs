//! The Debian packages the tests and the quickstart need, installed with
//! apt-get when missing.
//!
//! A package counts as present when what the tasks use from it is there, not
//! when dpkg says so: a machine with Docker's own `docker-ce` has a `dockerd`
//! that serves as well, and installing `docker.io` over it would replace it.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// The static busybox the tests import as their image.
pub const BUSYBOX_PATH: &str = "/bin/busybox";

/// A Debian package and the check that tells whether what we use from it is
/// already on this machine.
#[derive(Clone, Copy)]
pub struct Package {
    pub name: &'static str,
    present: fn() -> bool,
}

/// dockerd itself (20.10 in Debian 12, API 1.41).
pub const DOCKER: Package = Package {
    name: "docker.io",
    present: || find_program("dockerd").is_some(),
};

/// A statically linked busybox: a dynamically linked one (Debian's `busybox`)
/// would not run inside an image that holds nothing else.
pub const BUSYBOX: Package = Package {
    name: "busybox-static",
    present: || is_static_elf(Path::new(BUSYBOX_PATH)),
};

/// The registry the registry tests push to and pull from.
pub const REGISTRY: Package = Package {
    name: "docker-registry",
    present: || find_program("docker-registry").is_some(),
};

/// htpasswd, which writes the registry's basic-auth password file.
pub const HTPASSWD: Package = Package {
    name: "apache2-utils",
    present: || find_program("htpasswd").is_some(),
};

/// The docker CLI, which the ssh tests' remote side runs as `docker system
/// dial-stdio`. Debian ships it in the same package as dockerd.
pub const DOCKER_CLI: Package = Package {
    name: "docker.io",
    present: || find_program("docker").is_some(),
};

/// openssl, which makes the certificates of dockerd's TLS listener.
pub const OPENSSL: Package = Package {
    name: "openssl",
    present: || find_program("openssl").is_some(),
};

/// The sshd the ssh transport tests connect to. Its install must not start
/// the system's sshd: see [`block_service_starts`].
pub const OPENSSH_SERVER: Package = Package {
    name: "openssh-server",
    present: || find_program("sshd").is_some(),
};

/// ssh-keygen for the sshd's keys, and the ssh that the transport runs.
pub const OPENSSH_CLIENT: Package = Package {
    name: "openssh-client",
    present: || find_program("ssh").is_some() && find_program("ssh-keygen").is_some(),
};

/// Podman, serving the Docker API for the Podman tests (4.3 in Debian 12).
/// Its runtime comes as a dependency (crun or runc, which dockerd's
/// docker.io brings), as do conmon and the CNI plugins.
pub const PODMAN: Package = Package {
    name: "podman",
    present: || find_program("podman").is_some() && find_program("conmon").is_some(),
};

/// The init that Podman runs as a container's pid 1 for `init: true`
/// (Podman only recommends it).
pub const CATATONIT: Package = Package {
    name: "catatonit",
    present: || find_program("catatonit").is_some(),
};

/// Where invoke-rc.d and deb-systemd-invoke ask whether a package's
/// maintainer script may start its service.
const POLICY_RC_D: &str = "/usr/sbin/policy-rc.d";

/// The policy we put there while apt-get runs: no service starts. The
/// comment tells whoever finds it after an interrupted run where it came
/// from, and lets the next run recognise it as ours.
const DENY_ALL_POLICY: &str = "#!/bin/sh
# Put here by dockhand's `cargo xtask` (xtask/src/packages.rs) while it runs
# apt-get, and removed afterwards: the packages it installs must not start
# system services (openssh-server's would start an sshd on port 22).
exit 101
";

/// Installs those of `packages` that are missing, or fails saying what to
/// install when this process cannot.
pub fn ensure(packages: &[Package]) -> Result<()> {
    let missing = missing_names(packages);
    if missing.is_empty() {
        return Ok(());
    }
    let names = missing.join(" ");
    if find_program("apt-get").is_none() {
        bail!("missing: {names} (Debian package names); install their equivalents and rerun");
    }
    if !is_root() {
        bail!(
            "missing Debian packages: {names}; install them with \
             `sudo apt-get install -y --no-install-recommends {names}`, or rerun as root"
        );
    }
    eprintln!("xtask: installing {names}");
    apt_get(&["update"])?;
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend(&missing);
    {
        let _blocked = block_service_starts(Path::new(POLICY_RC_D))?;
        apt_get(&install)?;
    }
    let still = missing_names(packages);
    if !still.is_empty() {
        bail!(
            "apt-get installed {names}, but this is still missing what the tasks use: {}",
            still.join(" ")
        );
    }
    Ok(())
}

/// The names of the packages whose check fails, each once: several checks
/// can name one package (docker.io has dockerd and docker).
fn missing_names(packages: &[Package]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for package in packages {
        if !names.contains(&package.name) && !(package.present)() {
            names.push(package.name);
        }
    }
    names
}

/// Keeps the maintainer scripts of what apt-get installs from starting
/// services until the returned guard drops: openssh-server's postinst would
/// otherwise leave the system's sshd listening on port 22 (and docker.io's
/// the system dockerd). Both invoke-rc.d and deb-systemd-invoke skip a start
/// that `policy` (`/usr/sbin/policy-rc.d`) answers with 101.
///
/// The policy is written only when there is none (or one an interrupted run
/// of ours left behind), and removed by the guard. A policy the machine
/// already has is its administrator's choice and stays as it is; Debian's
/// container images ship one that denies every start.
fn block_service_starts(policy: &Path) -> Result<Option<PolicyGuard>> {
    let created = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(policy);
    match created {
        Ok(mut file) => {
            // The guard first, so that a failed write still removes the file.
            let guard = PolicyGuard(policy.to_path_buf());
            file.write_all(DENY_ALL_POLICY.as_bytes())
                .with_context(|| format!("could not write {}", policy.display()))?;
            drop(file);
            make_executable(policy)?;
            Ok(Some(guard))
        }
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            let ours = fs::read_to_string(policy).is_ok_and(|text| text == DENY_ALL_POLICY);
            Ok(ours.then(|| PolicyGuard(policy.to_path_buf())))
        }
        Err(err) => Err(err).with_context(|| format!("could not create {}", policy.display())),
    }
}

/// Removes the policy file that [`block_service_starts`] wrote.
struct PolicyGuard(PathBuf);

impl Drop for PolicyGuard {
    fn drop(&mut self) {
        if let Err(err) = fs::remove_file(&self.0) {
            eprintln!(
                "xtask: could not remove {} ({err}); remove it by hand, or services \
                 that packages install will not start",
                self.0.display()
            );
        }
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .with_context(|| format!("could not make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}

fn apt_get(args: &[&str]) -> Result<()> {
    // CI has no stdin, and a package's configuration prompt must not wait on it.
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .status()
        .context("could not run apt-get")?;
    if !status.success() {
        bail!("`apt-get {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    effective_uid() == Some(0)
}

/// The user id this process acts as.
pub fn effective_uid() -> Option<u32> {
    // std has no getuid; /proc says it without libc. Its `Uid:` line holds
    // the real, effective, saved and filesystem ids: the effective one counts.
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Looks `name` up in PATH and then in the sbin directories, which a non-root
/// PATH often leaves out although dockerd lives there.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn is_static_elf(path: &Path) -> bool {
    fs::read(path).is_ok_and(|bytes| elf_is_static(&bytes) == Some(true))
}

/// Whether an ELF image has no program interpreter (no `PT_INTERP` program
/// header), i.e. runs without a dynamic loader. `None` when it is no ELF
/// image this understands (little-endian, 32 or 64 bits).
fn elf_is_static(bytes: &[u8]) -> Option<bool> {
    const PT_INTERP: u32 = 3;
    if bytes.get(..4)? != b"\x7fELF" || *bytes.get(5)? != 1 {
        return None;
    }
    let u16_at = |at: usize| Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?));
    let (phoff, phentsize, phnum) = match bytes.get(4)? {
        1 => (u64::from(u32_at(0x1c)?), u16_at(0x2a)?, u16_at(0x2c)?),
        2 => (u64_at(0x20)?, u16_at(0x36)?, u16_at(0x38)?),
        _ => return None,
    };
    let phoff = usize::try_from(phoff).ok()?;
    for i in 0..usize::from(phnum) {
        if u32_at(phoff + i * usize::from(phentsize))? == PT_INTERP {
            return Some(false);
        }
    }
    Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64-bit little-endian ELF header with program headers of the given
    /// types right after it.
    fn elf64(types: &[u32]) -> Vec<u8> {
        let mut bytes = vec![0u8; 64];
        bytes[..4].copy_from_slice(b"\x7fELF");
        bytes[4] = 2;
        bytes[5] = 1;
        bytes[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        bytes[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        bytes[0x38..0x3a].copy_from_slice(&(types.len() as u16).to_le_bytes());
        for ty in types {
            let mut header = vec![0u8; 56];
            header[..4].copy_from_slice(&ty.to_le_bytes());
            bytes.extend(header);
        }
        bytes
    }

    #[test]
    fn elf_without_interpreter_is_static() {
        assert_eq!(elf_is_static(&elf64(&[1, 1, 4])), Some(true));
    }

    #[test]
    fn elf_with_interpreter_is_dynamic() {
        assert_eq!(elf_is_static(&elf64(&[6, 3, 1])), Some(false));
    }

    #[test]
    fn non_elf_and_truncated_images_are_not_judged() {
        assert_eq!(elf_is_static(b"#!/bin/sh\n"), None);
        let mut truncated = elf64(&[1, 3]);
        truncated.truncate(100);
        assert_eq!(elf_is_static(&truncated), None);
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-pkg-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn blocks_service_starts_while_the_guard_lives() {
        let dir = scratch("policy");
        let policy = dir.join("policy-rc.d");
        let guard = block_service_starts(&policy).unwrap();
        assert!(guard.is_some());
        assert_eq!(fs::read_to_string(&policy).unwrap(), DENY_ALL_POLICY);
        // Through sh: executing a file just written can fail with ETXTBSY
        // while another test's child briefly holds it open.
        let status = Command::new("sh")
            .arg(&policy)
            .args(["ssh", "start"])
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(101));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&policy).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o755);
        }
        drop(guard);
        assert!(!policy.exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn leaves_a_policy_it_did_not_write() {
        let dir = scratch("foreign");
        let policy = dir.join("policy-rc.d");
        fs::write(&policy, "#!/bin/sh\nexit 0\n").unwrap();
        assert!(block_service_starts(&policy).unwrap().is_none());
        assert_eq!(fs::read_to_string(&policy).unwrap(), "#!/bin/sh\nexit 0\n");
        // What an interrupted run of ours left is taken over and removed.
        fs::write(&policy, DENY_ALL_POLICY).unwrap();
        drop(block_service_starts(&policy).unwrap().expect("ours"));
        assert!(!policy.exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn names_each_missing_package_once() {
        let absent = || false;
        let here = || true;
        let a = Package {
            name: "a",
            present: absent,
        };
        let a_too = Package {
            name: "a",
            present: absent,
        };
        let b = Package {
            name: "b",
            present: here,
        };
        let c = Package {
            name: "c",
            present: absent,
        };
        assert_eq!(missing_names(&[a, b, a_too, c]), ["a", "c"]);
        assert!(missing_names(&[b]).is_empty());
    }

    #[test]
    fn this_test_binary_is_judged() {
        // Whatever the linking, a real ELF file must parse.
        let exe = std::env::current_exe().unwrap();
        assert!(elf_is_static(&fs::read(exe).unwrap()).is_some());
    }
}
