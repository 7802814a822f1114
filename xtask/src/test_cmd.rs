//! `cargo xtask test [ARGS]`: installs what the tests need, brings up a
//! daemon when none answers (see `dockerd`) and an sshd in front of it for
//! the ssh transport tests (see `sshd`), runs `cargo test --workspace ARGS`
//! against them, and then the integration tests again against each newer
//! dockerd of the matrix (see `matrix`), and stops all it started. The
//! first run also gets a Podman serving the Docker API, for
//! `tests/podman.rs` (see `podman`).
//!
//! ARGS go to cargo as they are, so `cargo xtask test -- --nocapture` and
//! `cargo xtask test --test containers` work as with `cargo test`. The
//! matrix daemons run `cargo test --workspace --test '*' ARGS` (the
//! integration tests, which talk to a daemon; the unit tests and doc tests
//! do not, and ran once already), or `cargo test --workspace ARGS` when ARGS
//! choose test targets themselves. Cargo reuses the binaries it built for
//! the first run.
//!
//! The matrix daemons get no TLS listener and no sshd: the transport tests
//! skip there, as they were run against the main daemon. Set
//! `DOCKHAND_MATRIX=0` to test against the main daemon alone. A full run
//! (no `--test` in ARGS) ends with the library's unit tests built without
//! its default features (no TLS).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::dockerd;
use crate::matrix::{self, MatrixDaemon};
use crate::packages::{
    self, BUSYBOX, DOCKER_CLI, HTPASSWD, OPENSSH_CLIENT, OPENSSH_SERVER, REGISTRY,
};
use crate::podman;
use crate::sshd;

/// What one daemon's test run counted.
struct Outcome {
    label: String,
    counts: Counts,
    success: bool,
    gates: bool,
}

pub fn run(args: &[String]) -> Result<()> {
    let started = Instant::now();
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
    // None when left out (not root, DOCKHAND_PODMAN=0); stopped on drop.
    let podman = podman::start(&root)?;
    // Started before the long first run, so that a daemon that cannot start
    // shows at once. Each drops (stops, deletes its bridge) on failure.
    let (extras, unavailable) = start_matrix(&root)?;
    let disposable = start_disposable(&root)?;

    let mut outcomes = Vec::new();
    let mut cmd = cargo();
    // Every feature, so the raw operations gated behind `swarm` and
    // `plugins` are compiled and their tests run too.
    cmd.current_dir(&root)
        .args(["test", "--workspace", "--all-features"]);
    no_fail_fast(&mut cmd, args);
    cmd.args(args);
    daemon.configure(&mut cmd);
    sshd.configure(&mut cmd);
    if let Some(disposable) = &disposable {
        configure_disposable(disposable, &mut cmd);
    }
    if let Some(podman) = &podman {
        podman.configure(&mut cmd);
    }
    let label = format!("dockerd {} (main)", daemon.describe());
    eprintln!(
        "xtask: running cargo test --workspace --all-features {} against {label}",
        args.join(" ")
    );
    outcomes.push(run_counted(cmd, label, true)?);
    // The sshd only serves the main daemon's ssh tests; the disposable
    // daemon (killed by them) and Podman only the main run.
    drop(sshd);
    drop(disposable);
    drop(podman);

    for extra in &extras {
        let mut cmd = cargo();
        // `--workspace --all-features` as in the first run: the same
        // feature unification, so cargo builds nothing new.
        cmd.current_dir(&root)
            .args(["test", "--workspace", "--all-features"]);
        no_fail_fast(&mut cmd, args);
        if !args.iter().any(|arg| arg.starts_with("--test")) {
            cmd.args(["--test", "*"]);
        }
        cmd.args(args);
        extra.daemon.configure(&mut cmd);
        // What the main run's transport tests were given must not reach
        // these: they would test the main daemon again, or fail.
        for var in [
            "DOCKHAND_TEST_TLS_HOST",
            "DOCKHAND_TEST_TLS_DIR",
            "DOCKHAND_TEST_SSH_HOST",
            "DOCKHAND_TEST_SSH_KEY",
            "DOCKHAND_TEST_SSH_KNOWN_HOSTS",
            "DOCKHAND_TEST_DISPOSABLE_HOST",
            "DOCKHAND_TEST_DISPOSABLE_PID",
            "DOCKHAND_TEST_PODMAN_HOST",
            "DOCKER_TLS_VERIFY",
            "DOCKER_TLS",
            "DOCKER_CERT_PATH",
            "DOCKER_API_VERSION",
        ] {
            cmd.env_remove(var);
        }
        let label = format!(
            "dockerd {} ({})",
            extra.daemon.describe(),
            extra.release.name
        );
        eprintln!("xtask: running the integration tests against {label}");
        // A daemon that started gates the run, sid's too.
        outcomes.push(run_counted(cmd, label, true)?);
    }
    // The library without its default features (no TLS, no rustls): its
    // unit tests, so that build keeps compiling and says what it lacks.
    // `--workspace --lib` (the library is the workspace's only one) keeps
    // the other members' features in the graph, so only the library
    // itself is compiled again.
    if !args.iter().any(|arg| arg.starts_with("--test")) {
        let mut cmd = cargo();
        cmd.current_dir(&root)
            .args(["test", "--workspace", "--lib", "--no-default-features"]);
        let label = "the unit tests without default features (no TLS)".to_owned();
        eprintln!("xtask: running {label}");
        outcomes.push(run_counted(cmd, label, true)?);
    }
    // Stop them before reporting, so their lines come before the verdict.
    drop(extras);
    drop(daemon);

    report(&outcomes, &unavailable, started.elapsed().as_secs());
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|outcome| outcome.gates && !outcome.success)
        .map(|outcome| outcome.label.as_str())
        .collect();
    if !failed.is_empty() {
        bail!("tests failed against {}", failed.join(", "));
    }
    Ok(())
}

/// Every test binary runs even when one fails, so the counts are complete
/// (unless ARGS already say so).
fn no_fail_fast(cmd: &mut Command, args: &[String]) {
    if !args.iter().any(|arg| arg == "--no-fail-fast") {
        cmd.arg("--no-fail-fast");
    }
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Starts the matrix daemons that can run here. A gating release that
/// cannot start fails the run; another is reported (returned with the
/// reason) and left out.
fn start_matrix(root: &std::path::Path) -> Result<(Vec<MatrixDaemon>, Vec<String>)> {
    let mut extras = Vec::new();
    let mut unavailable = Vec::new();
    if std::env::var("DOCKHAND_MATRIX").is_ok_and(|value| value == "0") {
        eprintln!("xtask: DOCKHAND_MATRIX=0: testing against the main daemon only");
        return Ok((extras, unavailable));
    }
    if !packages::is_root() {
        eprintln!(
            "xtask: not root, so the newer dockerds of the matrix ({}) are not started; \
             the tests run against the main daemon only",
            matrix::RELEASES.map(|release| release.name).join(", ")
        );
        return Ok((extras, unavailable));
    }
    for release in matrix::RELEASES {
        match matrix::start(root, release) {
            Ok(extra) => extras.push(extra),
            Err(err) if !release.gates => {
                let line = "!".repeat(72);
                eprintln!(
                    "{line}\nxtask: WARNING: {}'s dockerd CANNOT START ON THIS MACHINE, so the \
                     tests do not run against it:\n{err:#}\n{line}",
                    release.name
                );
                unavailable.push(format!("{}: {err:#}", release.name));
            }
            Err(err) => {
                return Err(err.context(format!("could not start {}'s dockerd", release.name)))
            }
        }
    }
    Ok((extras, unavailable))
}

/// Starts the disposable dockerd that the daemon-killed tests SIGKILL
/// (see `matrix::DISPOSABLE`), when this process may (as root). Without
/// it those tests skip.
fn start_disposable(root: &std::path::Path) -> Result<Option<MatrixDaemon>> {
    if !packages::is_root() {
        eprintln!("xtask: not root, so no disposable dockerd; the daemon-killed tests skip");
        return Ok(None);
    }
    matrix::start_disposable(root)
        .map(Some)
        .context("could not start the disposable dockerd")
}

/// Points the tests at the disposable dockerd:
/// `DOCKHAND_TEST_DISPOSABLE_HOST` reaches it and
/// `DOCKHAND_TEST_DISPOSABLE_PID` is the process to kill.
fn configure_disposable(disposable: &MatrixDaemon, cmd: &mut Command) {
    let Some(pid) = disposable.daemon.pid() else {
        return;
    };
    cmd.env("DOCKHAND_TEST_DISPOSABLE_HOST", disposable.daemon.host())
        .env("DOCKHAND_TEST_DISPOSABLE_PID", pid.to_string());
}

/// Runs `cmd`, passing its output through, and counts the test results it
/// prints.
fn run_counted(mut cmd: Command, label: String, gates: bool) -> Result<Outcome> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .context("could not run cargo test")?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut counts = Counts::default();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("could not read cargo test's output")?;
        println!("{line}");
        counts.add_line(&line);
    }
    let status = child.wait().context("could not wait for cargo test")?;
    Ok(Outcome {
        label,
        counts,
        success: status.success(),
        gates,
    })
}

/// The passed/failed/ignored counts of libtest's `test result:` lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Counts {
    /// Adds the counts of `line` if it is a `test result: ok. 3 passed; 0
    /// failed; 1 ignored; …` line.
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(what), Some(count)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(count) = count.parse::<u64>() else {
                continue;
            };
            match what {
                "passed" => self.passed += count,
                "failed" => self.failed += count,
                "ignored" => self.ignored += count,
                _ => {}
            }
        }
    }
}

fn report(outcomes: &[Outcome], unavailable: &[String], seconds: u64) {
    eprintln!("xtask: test summary per daemon ({seconds} s in all):");
    let mut total = Counts::default();
    for outcome in outcomes {
        let Counts {
            passed,
            failed,
            ignored,
        } = outcome.counts;
        let verdict = match (outcome.success, outcome.gates) {
            (true, _) => "ok",
            (false, true) => "FAILED",
            (false, false) => "FAILED (does not gate)",
        };
        eprintln!(
            "xtask:   {}: {passed} passed, {failed} failed, {ignored} ignored: {verdict}",
            outcome.label
        );
        total.passed += passed;
        total.failed += failed;
        total.ignored += ignored;
    }
    for reason in unavailable {
        eprintln!("xtask:   NOT TESTED (could not start) {reason}");
    }
    // The plain closing line CI readers look for.
    println!(
        "matrix: {} passed, {} failed, {} skipped",
        total.passed, total.failed, total.ignored
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_libtest_result_lines() {
        let mut counts = Counts::default();
        for line in [
            "running 3 tests",
            "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.52s",
            "test foo ... ok",
            "test result: FAILED. 10 passed; 2 failed; 0 ignored; 0 measured; 5 filtered out; finished in 1.00s",
            "   Doc-tests dockhand",
        ] {
            counts.add_line(line);
        }
        assert_eq!(
            counts,
            Counts {
                passed: 13,
                failed: 2,
                ignored: 1
            }
        );
    }
}
