//! A minimal image made from a statically linked busybox: `/bin/busybox`
//! plus one symlink per applet (`sh`, `echo`, `cat`, `sleep`, …), and the
//! empty directories programs expect. The quickstart and the integration
//! tests import it through dockhand, since no public registry is reachable.

use std::io;
use std::path::Path;
use std::process::Command;

/// The repository the image is imported as.
pub const REPOSITORY: &str = "dockhand-test/busybox";
/// The tag the image is imported as.
pub const TAG: &str = "latest";

/// Where the static busybox comes from: `DOCKHAND_TEST_BUSYBOX`, else the
/// path Debian's `busybox-static` installs.
pub fn busybox_path() -> String {
    std::env::var("DOCKHAND_TEST_BUSYBOX").unwrap_or_else(|_| "/bin/busybox".to_owned())
}

/// The image's root filesystem as an uncompressed tar.
pub fn rootfs_tar(busybox: &Path) -> io::Result<Vec<u8>> {
    let listing = Command::new(busybox).arg("--list").output()?;
    if !listing.status.success() {
        return Err(io::Error::other(format!(
            "{} --list failed: is it busybox?",
            busybox.display()
        )));
    }
    let applets = String::from_utf8_lossy(&listing.stdout).into_owned();
    let mut tar = tar::Builder::new(Vec::new());
    for (dir, mode) in [
        ("bin", 0o755),
        ("etc", 0o755),
        ("root", 0o700),
        ("tmp", 0o1777),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(mode);
        header.set_size(0);
        tar.append_data(&mut header, format!("{dir}/"), io::empty())?;
    }
    tar.append_path_with_name(busybox, "bin/busybox")?;
    for applet in applets.lines().map(str::trim) {
        if applet.is_empty() || applet == "busybox" || applet.contains('/') {
            continue;
        }
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_mode(0o777);
        header.set_size(0);
        tar.append_link(&mut header, format!("bin/{applet}"), "busybox")?;
    }
    tar.into_inner()
}
