//! `cargo xtask quickstart [--keep-daemon]`: installs dockerd and busybox when
//! missing, brings up a daemon when none answers (see `dockerd`), and runs
//! `examples/quickstart.rs` against it. A daemon it started is stopped
//! afterwards unless `--keep-daemon` asks to leave it running for more
//! experiments.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::dockerd;
use crate::packages::BUSYBOX;

pub fn run(args: &[String]) -> Result<()> {
    let keep_daemon = match args {
        [] => false,
        [flag] if flag == "--keep-daemon" => true,
        _ => bail!("usage: cargo xtask quickstart [--keep-daemon]"),
    };
    let root = dockerd::repo_root();
    let daemon = dockerd::ensure(&root, &[BUSYBOX])?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["run", "--example", "quickstart"]);
    daemon.configure(&mut cmd);
    let status = cmd
        .status()
        .context("could not run cargo run --example quickstart")?;
    if keep_daemon {
        daemon.keep()?;
    } else {
        drop(daemon);
    }
    if !status.success() {
        bail!("the quickstart example failed ({status})");
    }
    Ok(())
}
