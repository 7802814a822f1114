//! Maintainer and developer tasks for dockhand, run as `cargo xtask <task>`.
//!
//! - `regen [--check] [UPSTREAM.yaml]`: convert an upstream Engine API
//!   definition (Swagger 2.0) into `spec/` (see `regen/`);
//!   `regen --all-versions [DIR]` converts and compiles every upstream version.
//! - `test [-- CARGO_TEST_ARGS]`: install what the tests need, bring up a
//!   dockerd (with a TLS listener) when none answers, an sshd and a Podman
//!   (see `podman`), run every test against them and the integration tests
//!   against newer dockerds from Debian (see `matrix`), tear them down.
//! - `quickstart`: the same daemon handling, then the quickstart example.

use anyhow::{bail, Result};

mod dockerd;
mod matrix;
mod packages;
mod podman;
mod quickstart;
mod regen;
mod sshd;
mod test_cmd;
mod tls_certs;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next();
    let rest: Vec<String> = args.collect();
    match task.as_deref() {
        Some("regen") => regen::run(&rest),
        Some("test") => test_cmd::run(&rest),
        Some("quickstart") => quickstart::run(&rest),
        _ => bail!(
            "usage: cargo xtask <regen [--check] [--out DIR] [UPSTREAM.yaml] | regen --all-versions [DIR] | test [-- ARGS] | quickstart>"
        ),
    }
}
