//! `cargo xtask test [ARGS]`: installs what the tests need, brings up a
//! daemon when none answers (see `dockerd`), runs `cargo test --workspace
//! ARGS` against it, and stops the daemon if it started one.
//!
//! ARGS go to cargo as they are, so `cargo xtask test -- --nocapture` and
//! `cargo xtask test --test containers` work as with `cargo test`.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::dockerd;
use crate::packages::{BUSYBOX, HTPASSWD, REGISTRY};

pub fn run(args: &[String]) -> Result<()> {
    let root = dockerd::repo_root();
    let daemon = dockerd::ensure(&root, &[BUSYBOX, REGISTRY, HTPASSWD])?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["test", "--workspace"])
        .args(args);
    daemon.configure(&mut cmd);
    eprintln!("xtask: running cargo test --workspace {}", args.join(" "));
    let status = cmd.status().context("could not run cargo test")?;
    // Stop the daemon before reporting, so its lines come before the verdict.
    drop(daemon);
    if !status.success() {
        bail!("tests failed ({status})");
    }
    Ok(())
}
