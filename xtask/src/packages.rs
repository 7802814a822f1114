//! The Debian packages the tests and the quickstart need, installed with
//! apt-get when missing.
//!
//! A package counts as present when what the tasks use from it is there, not
//! when dpkg says so: a machine with Docker's own `docker-ce` has a `dockerd`
//! that serves as well, and installing `docker.io` over it would replace it.

use std::fs;
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

/// Installs those of `packages` that are missing, or fails saying what to
/// install when this process cannot.
pub fn ensure(packages: &[Package]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|p| !(p.present)())
        .map(|p| p.name)
        .collect();
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
    apt_get(&install)?;
    let still: Vec<&str> = packages
        .iter()
        .filter(|p| !(p.present)())
        .map(|p| p.name)
        .collect();
    if !still.is_empty() {
        bail!(
            "apt-get installed {names}, but this is still missing what the tasks use: {}",
            still.join(" ")
        );
    }
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
    // std has no getuid; /proc says it without libc. Its `Uid:` line holds
    // the real, effective, saved and filesystem ids: the effective one counts.
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Uid:"))?;
            line.split_whitespace().nth(2).map(|uid| uid == "0")
        })
        .unwrap_or(false)
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

    #[test]
    fn this_test_binary_is_judged() {
        // Whatever the linking, a real ELF file must parse.
        let exe = std::env::current_exe().unwrap();
        assert!(elf_is_static(&fs::read(exe).unwrap()).is_some());
    }
}
