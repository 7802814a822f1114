//! `cargo xtask regen [--check] [--out DIR] [UPSTREAM.yaml]`, and
//! `cargo xtask regen --all-versions [DIR]` ([`all_versions`]).
//!
//! Converts an upstream Engine API definition (Swagger 2.0 YAML, kept
//! outside the repository in `../shared/engine-api/`) into the OpenAPI 3.0
//! document that `build.rs` feeds to progenitor, plus a provenance file:
//!
//! 1. parse the YAML into `serde_json::Value`;
//! 2. convert Swagger 2.0 to OpenAPI 3.0, keeping structure only
//!    ([`convert`]);
//! 3. fold in the properties earlier versions (down to 1.41) send that this
//!    one no longer lists, from the definitions beside the input
//!    ([`fold`]);
//! 4. apply the Docker-specific patches ([`patches`]);
//! 5. check the result parses as OpenAPI and meets progenitor's limits;
//! 6. write sorted, pretty JSON, and report the API difference from the
//!    document it replaces ([`diff`]).
//!
//! `--check` regenerates in memory and fails when `spec/` differs; the
//! `spec_is_fresh` test runs the same check under `cargo test`.

mod all_versions;
mod convert;
mod diff;
mod fold;
mod patches;
#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The committed OpenAPI document, relative to the workspace root.
const SPEC_FILE: &str = "engine-api.json";
/// Where the document came from and which patches shaped it.
const PROVENANCE_FILE: &str = "provenance.json";
/// The upstream definition the committed spec is generated from, relative
/// to the workspace root.
const DEFAULT_INPUT: &str = "../shared/engine-api/v1.55.yaml";

/// Entry point for `cargo xtask regen`.
pub fn run(args: &[String]) -> Result<()> {
    if args.first().map(String::as_str) == Some("--all-versions") {
        return all_versions::check(args.get(1).map(Path::new));
    }
    let mut check = false;
    let mut out_dir = None;
    let mut input = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--out" => out_dir = Some(PathBuf::from(args.next().context("--out needs a DIR")?)),
            flag if flag.starts_with('-') => {
                bail!("unknown option `{flag}`; usage: regen [--check] [--out DIR] [UPSTREAM.yaml] | regen --all-versions [DIR]")
            }
            path if input.is_none() => input = Some(PathBuf::from(path)),
            extra => bail!("unexpected argument `{extra}`"),
        }
    }
    let input = input.unwrap_or_else(default_input);
    let out_dir = out_dir.unwrap_or_else(spec_dir);

    let generated = generate(&input)?;
    if check {
        return check_dir(&generated, &out_dir);
    }

    let spec_path = out_dir.join(SPEC_FILE);
    match fs::read_to_string(&spec_path) {
        Ok(old) => match serde_json::from_str::<Value>(&old) {
            Ok(old) => {
                let report = diff::report(&old, &generated.document);
                if report.is_empty() {
                    println!("API unchanged from {}", spec_path.display());
                } else {
                    println!("API changes from {}:\n{report}", spec_path.display());
                }
            }
            Err(e) => println!(
                "previous {} is not JSON ({e}); no diff",
                spec_path.display()
            ),
        },
        Err(_) => println!("no previous {}; no diff", spec_path.display()),
    }
    fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    fs::write(&spec_path, &generated.spec)
        .with_context(|| format!("writing {}", spec_path.display()))?;
    let provenance_path = out_dir.join(PROVENANCE_FILE);
    fs::write(&provenance_path, &generated.provenance)
        .with_context(|| format!("writing {}", provenance_path.display()))?;
    if !generated.folded.is_empty() {
        println!(
            "folded in {} properties and schemas that earlier versions send:",
            generated.folded.len()
        );
        for (at, (major, minor)) in &generated.folded {
            println!("  {at} (until {major}.{minor})");
        }
    }
    println!("patches applied:");
    for (name, sites) in &generated.patch_log {
        match sites {
            Some(n) => println!("  {name}: {n} sites"),
            None => println!("  {name}: not applicable to this version"),
        }
    }
    println!(
        "wrote {} and {}",
        spec_path.display(),
        provenance_path.display()
    );
    Ok(())
}

/// The workspace root: the parent of the xtask crate.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

fn default_input() -> PathBuf {
    workspace_root().join(DEFAULT_INPUT)
}

fn spec_dir() -> PathBuf {
    workspace_root().join("spec")
}

/// The output of one regeneration, in memory.
pub struct Generated {
    /// The OpenAPI document, as written.
    pub spec: String,
    /// The provenance file, as written.
    pub provenance: String,
    /// The same document, parsed, for the difference report.
    pub document: Value,
    /// Which patches applied, and to how many sites.
    pub patch_log: Vec<patches::LogEntry>,
    /// What was folded in from earlier versions.
    pub folded: fold::Folded,
}

/// Runs the whole conversion for one upstream file without writing.
pub fn generate(input: &Path) -> Result<Generated> {
    let bytes = fs::read(input).with_context(|| {
        format!(
            "reading the upstream Engine API definition {} (the default expects \
             `shared/engine-api/` beside the repository)",
            input.display()
        )
    })?;
    let input_name = input
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let swagger = parse_upstream(&bytes)?;
    let version = parse_version(&upstream_version(&swagger)?)?;
    let earlier = fold::earlier_beside(input, version)?;
    generate_with(&bytes, swagger, &input_name, &earlier)
}

fn parse_upstream(bytes: &[u8]) -> Result<Value> {
    serde_norway::from_slice(bytes).context("parsing the upstream definition as YAML")
}

/// The `info.version` of an upstream definition.
fn upstream_version(swagger: &Value) -> Result<String> {
    Ok(swagger
        .pointer("/info/version")
        .and_then(Value::as_str)
        .context("upstream has no `info.version`")?
        .to_owned())
}

/// [`generate`] over the parsed input, with the earlier definitions to
/// fold in.
fn generate_with(
    bytes: &[u8],
    swagger: Value,
    input_name: &str,
    earlier: &[fold::Earlier],
) -> Result<Generated> {
    let version_str = upstream_version(&swagger)?;
    let version = parse_version(&version_str)?;

    let mut document =
        convert::convert(&swagger).context("converting Swagger 2.0 to OpenAPI 3.0")?;
    let folded = fold::fold(&mut document, version, earlier)?;
    let patch_log = patches::apply_all(&mut document, &swagger, version)?;
    validate(&document)?;
    let document = sorted(document);

    let mut spec = serde_json::to_string_pretty(&document)?;
    spec.push('\n');

    let patch_json: Map<String, Value> = patch_log
        .iter()
        .map(|(name, sites)| {
            let v = sites.map_or(json!("not applicable"), |n| json!(n));
            ((*name).to_owned(), v)
        })
        .collect();
    let folded_from: Map<String, Value> = earlier
        .iter()
        .map(|old| (old.name.clone(), json!(old.sha256)))
        .collect();
    let provenance = json!({
        "api_version": version_str,
        "folded_from_sha256": folded_from,
        "folded_properties": folded.len(),
        "generator": "cargo xtask regen",
        "input": input_name,
        "input_sha256": hex(&Sha256::digest(bytes)),
        "patches": patch_json,
    });
    let mut provenance = serde_json::to_string_pretty(&provenance)?;
    provenance.push('\n');

    Ok(Generated {
        spec,
        provenance,
        document,
        patch_log,
        folded,
    })
}

/// Compares a regeneration with the files in `dir`.
fn check_dir(generated: &Generated, dir: &Path) -> Result<()> {
    for (file, want) in [
        (SPEC_FILE, &generated.spec),
        (PROVENANCE_FILE, &generated.provenance),
    ] {
        let path = dir.join(file);
        let have = fs::read_to_string(&path).unwrap_or_default();
        if &have != want {
            bail!(
                "{} is stale or missing: run `cargo xtask regen`",
                path.display()
            );
        }
    }
    Ok(())
}

/// Regenerates from the default input and compares with `spec/`.
#[cfg(test)]
pub fn check_committed() -> Result<()> {
    check_dir(&generate(&default_input())?, &spec_dir())
}

/// `"1.55"` → `(1, 55)`.
fn parse_version(version: &str) -> Result<patches::ApiVersion> {
    let (major, minor) = version
        .split_once('.')
        .with_context(|| format!("API version `{version}` is not MAJOR.MINOR"))?;
    Ok((major.parse()?, minor.parse()?))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sorts every object's keys, for output that does not depend on upstream
/// ordering.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Checks that the document parses as OpenAPI 3.0 and stays within what
/// progenitor 0.15 accepts (it would otherwise panic inside `build.rs`): one
/// request-body media type it can encode, and one kind of success and of
/// error response per operation.
fn validate(document: &Value) -> Result<()> {
    serde_json::from_value::<openapiv3::OpenAPI>(document.clone())
        .context("the converted document is not valid OpenAPI 3.0")?;
    let paths = document
        .get("paths")
        .and_then(Value::as_object)
        .context("no paths")?;
    for item in paths.values().filter_map(Value::as_object) {
        for op in item.values() {
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or("?");
            if let Some(content) = op
                .pointer("/requestBody/content")
                .and_then(Value::as_object)
            {
                let media: Vec<&String> = content.keys().collect();
                let ok = matches!(
                    media.as_slice(),
                    [m] if *m == "application/json" || *m == "application/octet-stream"
                );
                if !ok {
                    bail!("{id}: request body media types {media:?}; progenitor takes one of json/octet-stream");
                }
            }
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .with_context(|| format!("{id}: no responses"))?;
            for (class, filter) in [
                (
                    "success",
                    (|s: &str| s == "101" || s.starts_with('2')) as fn(&str) -> bool,
                ),
                ("error", |s: &str| s.starts_with('4') || s.starts_with('5')),
            ] {
                let mut kinds: Vec<&str> = responses
                    .iter()
                    .filter(|(s, _)| filter(s))
                    .map(|(s, r)| response_kind(s, r))
                    .collect();
                kinds.sort_unstable();
                kinds.dedup();
                if kinds.len() > 1 {
                    bail!("{id}: {class} responses mix kinds {kinds:?}; progenitor takes one");
                }
            }
        }
    }
    Ok(())
}

/// How progenitor reads a response: typed JSON, upgrade, raw bytes, or none.
fn response_kind(status: &str, response: &Value) -> &'static str {
    let content = response.get("content").and_then(Value::as_object);
    match content {
        Some(c) if c.contains_key("application/json") => "json",
        _ if status == "101" => "upgrade",
        Some(c) if !c.is_empty() => "stream",
        _ => "none",
    }
}
