//! `cargo xtask test [ARGS]`: installs what the tests need, brings up a
//! daemon when none answers (see `dockerd`) and an sshd in front of it for
//! the ssh transport tests (see `sshd`), runs `cargo test --workspace ARGS`
//! against them, and stops the sshd, and the daemon if it started one.
//!
//! ARGS go to cargo as they are, so `cargo xtask test -- --nocapture` and
//! `cargo xtask test --test containers` work as with `cargo test`.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::packages::{BUSYBOX, DOCKER_CLI, HTPASSWD, OPENSSH_CLIENT, OPENSSH_SERVER, REGISTRY};
use crate::{dockerd, sshd};

pub fn run(args: &[String]) -> Result<()> {
    let root = dockerd::repo_root();
    // openssl, for the TLS listener's certificates, comes with dockerd: it is
    // needed only when the xtask starts one.
    let daemon = dockerd::ensure(
        &root,
        &[
            BUSYBOX,
            REGISTRY,
            HTPASSWD,
            OPENSSH_SERVER,
            OPENSSH_CLIENT,
            DOCKER_CLI,
        ],
    )?;
    // On failure `daemon` drops and stops a dockerd it started.
    let sshd = sshd::start(&root, &daemon.client_env())?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["test", "--workspace"])
        .args(args);
    daemon.configure(&mut cmd);
    sshd.configure(&mut cmd);
    eprintln!("xtask: running cargo test --workspace {}", args.join(" "));
    let status = cmd.status().context("could not run cargo test")?;
    // Stop them before reporting, so their lines come before the verdict.
    drop(sshd);
    drop(daemon);
    if !status.success() {
        bail!("tests failed ({status})");
    }
    Ok(())
}
