//! `cargo xtask regen --all-versions [DIR]`: convert every upstream
//! definition in `DIR` (default `../shared/engine-api/`) and compile the
//! generated client for each, so a maintainer sees at once which API
//! versions the pipeline handles.
//!
//! Each version's document is written into a scratch crate under
//! `target/regen-versions/` made of the repository's own `build.rs` and
//! `src/raw.rs` (the facade is written against the committed version, so it
//! is left out) and built there; nothing in `spec/` changes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::{generate, workspace_root, SPEC_FILE};

/// The scratch crate's manifest: the generated client's dependencies, as
/// the library declares them.
const MANIFEST: &str = r#"[package]
name = "regen-version-check"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
progenitor-client = "0.15.1"
reqwest = { version = "0.13.5", default-features = false, features = ["json", "query", "stream"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"

[build-dependencies]
progenitor = { version = "0.15.1", default-features = false }
openapiv3 = "2"
prettyplease = "0.2"
serde_json = "1"
syn = "2"
"#;

/// The scratch crate's root: the generated module and the hooks the build
/// expects (no-ops here; the library's add tracing).
const LIB: &str = "pub mod raw;\nimpl progenitor_client::ClientHooks for raw::Client {}\n";

/// Convert and compile every `v*.yaml` in `dir`; fail if any version fails.
pub fn check(dir: Option<&Path>) -> Result<()> {
    let root = workspace_root();
    let dir = dir.map_or_else(|| root.join("../shared/engine-api"), Path::to_path_buf);
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    inputs.sort_by_key(|path| version_key(path));
    if inputs.is_empty() {
        bail!("no upstream definitions (*.yaml) in {}", dir.display());
    }

    let scratch = root.join("target/regen-versions");
    let krate = scratch.join("crate");
    fs::create_dir_all(krate.join("src"))?;
    fs::create_dir_all(krate.join("spec"))?;
    fs::write(krate.join("Cargo.toml"), MANIFEST)?;
    fs::copy(root.join("Cargo.lock"), krate.join("Cargo.lock"))?;
    fs::copy(root.join("build.rs"), krate.join("build.rs"))?;
    fs::copy(root.join("src/raw.rs"), krate.join("src/raw.rs"))?;
    fs::write(krate.join("src/lib.rs"), LIB)?;

    let mut failed = Vec::new();
    for input in &inputs {
        let name = input
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let outcome = generate(input).and_then(|generated| {
            fs::write(krate.join("spec").join(SPEC_FILE), &generated.spec)?;
            build(&krate, &scratch.join("target"))
        });
        match outcome {
            Ok(lines) => println!("{name}: converts and compiles ({lines} generated lines)"),
            Err(err) => {
                println!("{name}: FAILED: {err:#}");
                failed.push(name);
            }
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} versions failed: {}",
            failed.len(),
            inputs.len(),
            failed.join(", ")
        );
    }
    Ok(())
}

/// Build the scratch crate; the number of generated lines on success.
fn build(krate: &Path, target: &Path) -> Result<usize> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["build", "--quiet", "--lib"])
        .current_dir(krate)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .context("running cargo build")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        bail!(
            "cargo build failed:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    newest_generated_lines(&target.join("debug/build"))
}

/// Lines in the newest generated client under `build_dir`.
fn newest_generated_lines(build_dir: &Path) -> Result<usize> {
    let newest = fs::read_dir(build_dir)?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path().join("out/engine_api.rs"))
        .filter(|path| path.exists())
        .max_by_key(|path| fs::metadata(path).and_then(|m| m.modified()).ok())
        .context("the build wrote no generated client")?;
    Ok(fs::read_to_string(newest)?.lines().count())
}

/// Sort key for `v1.9.yaml` before `v1.41.yaml`: the numeric version.
fn version_key(path: &Path) -> (u32, u32) {
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let numbers = stem.trim_start_matches('v');
    let (major, minor) = numbers.split_once('.').unwrap_or((numbers, "0"));
    (major.parse().unwrap_or(0), minor.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::version_key;
    use std::path::Path;

    #[test]
    fn versions_sort_numerically() {
        let mut names = ["v1.55.yaml", "v1.9.yaml", "v1.41.yaml"];
        names.sort_by_key(|name| version_key(Path::new(name)));
        assert_eq!(names, ["v1.9.yaml", "v1.41.yaml", "v1.55.yaml"]);
    }
}
