//! docker CLI contexts, read as the CLI reads them: the context store under
//! the config directory (`DOCKER_CONFIG`, else `~/.docker`), with one
//! `contexts/meta/<sha256(name)>/meta.json` per context and its TLS
//! material in `contexts/tls/<sha256(name)>/docker/`.
//!
//! Which context applies: `DOCKER_CONTEXT`, else `currentContext` in
//! `config.json`; `default` is the default socket. `DOCKER_HOST`, when set,
//! wins over both (the client module decides that).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The name of the context that means "the default socket".
pub const DEFAULT_CONTEXT: &str = "default";

/// A docker CLI context, as `docker context ls` lists it.
///
/// ```no_run
/// for context in dockhand::Docker::contexts()? {
///     let marker = if context.current { "*" } else { " " };
///     println!("{marker} {} {}", context.name, context.host);
/// }
/// # Ok::<(), dockhand::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DockerContext {
    /// The context's name.
    pub name: String,
    /// Its Docker endpoint, in `DOCKER_HOST` form.
    pub host: String,
    /// Its description, if it has one.
    pub description: Option<String>,
    /// Whether it is the one in use (`DOCKER_CONTEXT` or `currentContext`).
    pub current: bool,
}

/// What a context says about reaching its daemon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ContextEndpoint {
    pub(crate) host: String,
    pub(crate) skip_tls_verify: bool,
    /// The context's TLS directory, when it has one.
    pub(crate) tls_dir: Option<PathBuf>,
}

/// The context store of one config directory.
#[derive(Clone, Debug)]
pub(crate) struct ContextStore {
    config_dir: PathBuf,
}

#[derive(Deserialize)]
struct ConfigFile {
    #[serde(rename = "currentContext", default)]
    current_context: Option<String>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Metadata", default)]
    metadata: Option<MetaData>,
    #[serde(rename = "Endpoints", default)]
    endpoints: std::collections::HashMap<String, MetaEndpoint>,
}

#[derive(Deserialize)]
struct MetaData {
    #[serde(rename = "Description", default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct MetaEndpoint {
    #[serde(rename = "Host", default)]
    host: Option<String>,
    #[serde(rename = "SkipTLSVerify", default)]
    skip_tls_verify: bool,
}

impl ContextStore {
    /// The store under `DOCKER_CONFIG`, else `$HOME/.docker`.
    pub(crate) fn from_vars(var: &impl Fn(&str) -> Option<String>) -> Option<ContextStore> {
        let config_dir = match var("DOCKER_CONFIG").filter(|dir| !dir.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(var("HOME")?).join(".docker"),
        };
        Some(ContextStore { config_dir })
    }

    /// The context chosen by `DOCKER_CONTEXT` or `config.json`, if any.
    pub(crate) fn selected(&self, var: &impl Fn(&str) -> Option<String>) -> Result<Option<String>> {
        if let Some(name) = var("DOCKER_CONTEXT").filter(|name| !name.is_empty()) {
            return Ok(Some(name));
        }
        let path = self.config_dir.join("config.json");
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => {
                return Err(Error::invalid(
                    "docker config",
                    format!("cannot read {}: {err}", path.display()),
                ))
            }
        };
        let config: ConfigFile = serde_json::from_slice(&text)
            .map_err(|e| Error::invalid("docker config", format!("{}: {e}", path.display())))?;
        Ok(config.current_context.filter(|name| !name.is_empty()))
    }

    /// The endpoint of the context `name` (not `default`).
    pub(crate) fn endpoint(&self, name: &str) -> Result<ContextEndpoint> {
        let meta_path = self.meta_dir().join(digest(name)).join("meta.json");
        let text = match std::fs::read(&meta_path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::ContextNotFound {
                    name: name.to_owned(),
                    store: self.config_dir.join("contexts"),
                })
            }
            Err(err) => {
                return Err(Error::invalid(
                    format!("context {name:?}"),
                    format!("cannot read {}: {err}", meta_path.display()),
                ))
            }
        };
        let meta = parse_meta(&meta_path, &text)?;
        let docker = meta.endpoints.get("docker");
        let host = docker
            .and_then(|endpoint| endpoint.host.clone())
            .filter(|host| !host.is_empty())
            .ok_or_else(|| {
                Error::invalid(
                    format!("context {name:?}"),
                    format!("{} has no docker endpoint host", meta_path.display()),
                )
            })?;
        let tls_dir = self.tls_dir().join(digest(name)).join("docker");
        Ok(ContextEndpoint {
            host,
            skip_tls_verify: docker.is_some_and(|endpoint| endpoint.skip_tls_verify),
            tls_dir: tls_dir.is_dir().then_some(tls_dir),
        })
    }

    /// Every context in the store, with `default` first, as
    /// `docker context ls` lists them.
    pub(crate) fn list(&self, current: Option<&str>) -> Result<Vec<DockerContext>> {
        let current = current.unwrap_or(DEFAULT_CONTEXT);
        let mut contexts = vec![DockerContext {
            name: DEFAULT_CONTEXT.to_owned(),
            host: format!("unix://{}", crate::DEFAULT_UNIX_SOCKET),
            description: Some("the default socket".to_owned()),
            current: current == DEFAULT_CONTEXT,
        }];
        let entries = match std::fs::read_dir(self.meta_dir()) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(contexts),
            Err(err) => {
                return Err(Error::invalid(
                    "context store",
                    format!("cannot read {}: {err}", self.meta_dir().display()),
                ))
            }
        };
        let mut named = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path().join("meta.json");
            let Ok(text) = std::fs::read(&path) else {
                continue;
            };
            let meta = parse_meta(&path, &text)?;
            let host = meta
                .endpoints
                .get("docker")
                .and_then(|endpoint| endpoint.host.clone())
                .unwrap_or_default();
            named.push(DockerContext {
                current: meta.name == current,
                description: meta
                    .metadata
                    .and_then(|metadata| metadata.description)
                    .filter(|text| !text.is_empty()),
                name: meta.name,
                host,
            });
        }
        named.sort_by(|a, b| a.name.cmp(&b.name));
        contexts.extend(named);
        Ok(contexts)
    }

    fn meta_dir(&self) -> PathBuf {
        self.config_dir.join("contexts").join("meta")
    }

    fn tls_dir(&self) -> PathBuf {
        self.config_dir.join("contexts").join("tls")
    }
}

fn parse_meta(path: &Path, text: &[u8]) -> Result<Meta> {
    serde_json::from_slice(text)
        .map_err(|e| Error::invalid("context", format!("{}: {e}", path.display())))
}

/// The store's directory name for a context: the hex SHA-256 of its name.
fn digest(name: &str) -> String {
    Sha256::digest(name.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Write a context into `config_dir` the way `docker context create` does.
    pub(crate) fn write_context(config_dir: &Path, name: &str, host: &str, skip_verify: bool) {
        let dir = config_dir.join("contexts/meta").join(digest(name));
        std::fs::create_dir_all(&dir).unwrap();
        let meta = serde_json::json!({
            "Name": name,
            "Metadata": {"Description": format!("{name} context")},
            "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": skip_verify}},
        });
        std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
    }

    fn store(dir: &Path) -> ContextStore {
        ContextStore {
            config_dir: dir.to_owned(),
        }
    }

    #[test]
    fn digests_match_the_docker_cli() {
        // `docker context create foo` stores it under this directory.
        assert_eq!(
            digest("foo"),
            "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
        );
    }

    #[test]
    fn a_context_is_read_with_its_tls_directory() {
        let dir = tempfile::tempdir().unwrap();
        write_context(dir.path(), "remote", "tcp://10.0.0.5:2376", true);
        let tls = dir
            .path()
            .join("contexts/tls")
            .join(digest("remote"))
            .join("docker");
        std::fs::create_dir_all(&tls).unwrap();
        let endpoint = store(dir.path()).endpoint("remote").unwrap();
        assert_eq!(
            endpoint,
            ContextEndpoint {
                host: "tcp://10.0.0.5:2376".into(),
                skip_tls_verify: true,
                tls_dir: Some(tls),
            }
        );
    }

    #[test]
    fn a_missing_context_is_a_typed_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = store(dir.path()).endpoint("nope").unwrap_err();
        assert!(
            matches!(&err, Error::ContextNotFound { name, .. } if name == "nope"),
            "{err:?}"
        );
        assert!(err.to_string().contains("\"nope\""), "{err}");
    }

    #[test]
    fn the_selected_context_is_docker_context_else_config_json() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let none = |_: &str| None;
        assert_eq!(store.selected(&none).unwrap(), None);
        std::fs::write(dir.path().join("config.json"), r#"{"currentContext":"ci"}"#).unwrap();
        assert_eq!(store.selected(&none).unwrap().as_deref(), Some("ci"));
        let env = |name: &str| (name == "DOCKER_CONTEXT").then(|| "other".to_owned());
        assert_eq!(store.selected(&env).unwrap().as_deref(), Some("other"));
    }

    #[test]
    fn listing_puts_default_first_and_marks_the_current() {
        let dir = tempfile::tempdir().unwrap();
        write_context(dir.path(), "b", "ssh://me@b", false);
        write_context(dir.path(), "a", "tcp://a:2376", false);
        let listed = store(dir.path()).list(Some("b")).unwrap();
        let names: Vec<(&str, bool)> = listed
            .iter()
            .map(|c| (c.name.as_str(), c.current))
            .collect();
        assert_eq!(names, [("default", false), ("a", false), ("b", true)]);
        assert_eq!(listed[1].host, "tcp://a:2376");
        assert_eq!(listed[1].description.as_deref(), Some("a context"));
    }
}
