//! The docker CLI's config file (`config.json`): its `auths`, `credsStore`
//! and `credHelpers`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;

use super::{helper, hostname, is_docker_hub, server_key, Credentials};
use crate::{Error, Result};

/// The file name inside the config directory.
const CONFIG_FILE: &str = "config.json";

/// The registry credentials of a docker CLI configuration: the `auths`,
/// `credsStore` and `credHelpers` of its `config.json`.
///
/// Calls that talk to a registry read the config from the environment on
/// each call, as the CLI does on each command; load one yourself to use
/// another directory or to run credential helpers from a directory of your
/// choice, and hand it to
/// [`Images::with_docker_config`](crate::Images::with_docker_config).
///
/// `Debug` lists the registries and helper names, never a secret.
///
/// ```no_run
/// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
/// use dockhand::DockerConfig;
///
/// let config = DockerConfig::from_dir("/etc/ci/docker")?;
/// let images = docker.images().with_docker_config(config);
/// images.pull("registry.example.com/team/app:1.0", &dockhand::PullOptions::new()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct DockerConfig {
    /// `auths`, keyed as in the file, with `auth` already decoded.
    auths: BTreeMap<String, Credentials>,
    /// `credsStore`: the helper for every registry without its own.
    creds_store: Option<String>,
    /// `credHelpers`: registry key → helper name.
    cred_helpers: BTreeMap<String, String>,
    /// Where helpers are looked up instead of `PATH`.
    helper_dir: Option<PathBuf>,
    /// The file this was read from, for messages.
    path: Option<PathBuf>,
}

/// The parts of `config.json` that concern registries.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfigFile {
    auths: BTreeMap<String, AuthEntry>,
    #[serde(rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
}

/// One `auths` entry. `auth` is base64 of `user:password`; the CLI writes
/// that (or an identity token) and reads `username`/`password` too.
#[derive(Deserialize, Default)]
#[serde(default)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
    registrytoken: Option<String>,
}

impl DockerConfig {
    /// An empty configuration: no credentials for any registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The configuration the docker CLI would use: `config.json` in
    /// `$DOCKER_CONFIG`, else in `~/.docker`. A missing file is an empty
    /// configuration.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the file when it cannot be read or
    /// is not a valid config.
    pub fn from_env() -> Result<Self> {
        match config_dir(|name| std::env::var_os(name)) {
            Some(dir) => Self::from_dir(dir),
            None => Ok(Self::default()),
        }
    }

    /// The configuration in `dir/config.json`, as with `docker --config dir`.
    /// A missing file is an empty configuration.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the file when it cannot be read or
    /// is not a valid config.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let path = dir.as_ref().join(CONFIG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(DockerConfig {
                    path: Some(path),
                    ..Self::default()
                })
            }
            Err(err) => {
                return Err(Error::invalid(
                    "docker config",
                    format!("cannot read {}: {err}", path.display()),
                ))
            }
        };
        let mut config = Self::parse(&text).map_err(|reason| {
            Error::invalid("docker config", format!("{}: {reason}", path.display()))
        })?;
        config.path = Some(path);
        Ok(config)
    }

    /// A configuration from the text of a `config.json`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when it is not a valid config (bad JSON,
    /// or an `auth` that is not base64 of `user:password`).
    ///
    /// ```
    /// let config = dockhand::DockerConfig::from_json(
    ///     r#"{"auths": {"localhost:5000": {"auth": "dXNlcjpwYXNz"}}}"#,
    /// )?;
    /// assert_eq!(config.registries(), ["localhost:5000"]);
    /// # Ok::<(), dockhand::Error>(())
    /// ```
    pub fn from_json(json: &str) -> Result<Self> {
        Self::parse(json).map_err(|reason| Error::invalid("docker config", reason))
    }

    /// Run credential helpers (`docker-credential-<name>`) from `dir`
    /// instead of looking them up on `PATH`.
    pub fn helper_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.helper_dir = Some(dir.into());
        self
    }

    /// The file this configuration was read from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The registries with an `auths` entry, as keyed in the file.
    pub fn registries(&self) -> Vec<&str> {
        self.auths.keys().map(String::as_str).collect()
    }

    /// The credentials for `registry` (`docker.io`, `localhost:5000`, …),
    /// found as the docker CLI finds them: the registry's `credHelpers`
    /// entry, else `credsStore`, by running the helper; and the `auths`
    /// entry when there is no helper or it has nothing for the registry.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the helper when one is configured
    /// but cannot be run or fails.
    ///
    /// ```no_run
    /// # async fn demo() -> dockhand::Result<()> {
    /// let config = dockhand::DockerConfig::from_env()?;
    /// if let Some(credentials) = config.credentials("docker.io").await? {
    ///     println!("logged in to Docker Hub as {:?}", credentials.username());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn credentials(&self, registry: &str) -> Result<Option<Credentials>> {
        let key = server_key(registry);
        if let Some(helper) = self.helper_for(key) {
            let found = helper::get(helper, key, self.helper_dir.as_deref())
                .await
                .map_err(|reason| {
                    let source = match &self.path {
                        Some(path) => format!(" (configured in {})", path.display()),
                        None => String::new(),
                    };
                    Error::invalid(
                        format!("credential helper docker-credential-{helper}"),
                        format!("for {key}{source}: {reason}"),
                    )
                })?;
            if let Some(credentials) = found {
                return Ok(Some(credentials));
            }
        }
        Ok(self.auths_entry(key).map(|credentials| {
            let mut credentials = credentials.clone();
            credentials.server_address = Some(key.to_owned());
            credentials
        }))
    }

    /// The helper configured for `key`: its `credHelpers` entry (by key or
    /// by host), else `credsStore`.
    fn helper_for(&self, key: &str) -> Option<&str> {
        let host = canonical_host(key);
        self.cred_helpers
            .get(key)
            .or_else(|| {
                self.cred_helpers
                    .iter()
                    .find(|(entry, _)| canonical_host(entry) == host)
                    .map(|(_, helper)| helper)
            })
            .or(self.creds_store.as_ref())
            .map(String::as_str)
            .filter(|helper| !helper.is_empty())
    }

    /// The non-empty `auths` entry for `key`: by exact key, else by host
    /// (keys may be URLs: `https://localhost:5000/v2/`).
    fn auths_entry(&self, key: &str) -> Option<&Credentials> {
        let host = canonical_host(key);
        self.auths
            .get(key)
            .filter(|credentials| !credentials.is_empty())
            .or_else(|| {
                self.auths
                    .iter()
                    .filter(|(_, credentials)| !credentials.is_empty())
                    .find(|(entry, _)| canonical_host(entry) == host)
                    .map(|(_, credentials)| credentials)
            })
    }

    fn parse(json: &str) -> std::result::Result<Self, String> {
        let file: ConfigFile =
            serde_json::from_str(json).map_err(|err| format!("not a valid config: {err}"))?;
        let mut auths = BTreeMap::new();
        for (key, entry) in file.auths {
            let credentials = entry
                .into_credentials()
                .map_err(|reason| format!("the auths entry for {key:?}: {reason}"))?;
            auths.insert(key, credentials);
        }
        Ok(DockerConfig {
            auths,
            creds_store: file.creds_store,
            cred_helpers: file.cred_helpers,
            helper_dir: None,
            path: None,
        })
    }
}

impl AuthEntry {
    fn into_credentials(self) -> std::result::Result<Credentials, &'static str> {
        let (mut username, mut password) = (self.username, self.password);
        if let Some(auth) = self.auth.filter(|auth| !auth.is_empty()) {
            let (user, pass) = decode_auth(&auth)?;
            username = Some(user);
            password = Some(pass);
        }
        Ok(Credentials {
            username,
            password,
            identity_token: self.identitytoken.filter(|token| !token.is_empty()),
            registry_token: self.registrytoken.filter(|token| !token.is_empty()),
            server_address: None,
        })
    }
}

/// `auth` is base64 (padded or not) of `user:password`.
fn decode_auth(auth: &str) -> std::result::Result<(String, String), &'static str> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    let auth = auth.trim();
    let bytes = STANDARD
        .decode(auth)
        .or_else(|_| STANDARD_NO_PAD.decode(auth))
        .map_err(|_| "`auth` is not base64")?;
    let text = String::from_utf8(bytes).map_err(|_| "`auth` is not UTF-8 text")?;
    let (user, pass) = text
        .split_once(':')
        .ok_or("`auth` is not of the form user:password")?;
    Ok((user.to_owned(), pass.to_owned()))
}

/// A key's host, with Docker Hub's aliases made one.
fn canonical_host(key: &str) -> String {
    let host = hostname(key);
    if is_docker_hub(&host) {
        "docker.io".to_owned()
    } else {
        host
    }
}

/// The config directory the docker CLI uses: `$DOCKER_CONFIG`, else
/// `.docker` in the home directory (`$HOME`, or `%USERPROFILE%`).
fn config_dir(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |name: &str| var(name).filter(|value| !value.is_empty());
    if let Some(dir) = set("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir));
    }
    set("HOME")
        .or_else(|| set("USERPROFILE"))
        .map(|home| PathBuf::from(home).join(".docker"))
}

impl fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DockerConfig")
            .field("path", &self.path)
            .field("auths", &self.registries())
            .field("creds_store", &self.creds_store)
            .field("cred_helpers", &self.cred_helpers)
            .field("helper_dir", &self.helper_dir)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::DOCKER_HUB_AUTH_KEY;

    /// base64 of `user:pass`.
    const USER_PASS: &str = "dXNlcjpwYXNz";

    fn config(json: &str) -> DockerConfig {
        DockerConfig::from_json(json).unwrap()
    }

    async fn username(config: &DockerConfig, registry: &str) -> Option<String> {
        config
            .credentials(registry)
            .await
            .unwrap()
            .and_then(|credentials| credentials.username().map(str::to_owned))
    }

    #[tokio::test]
    async fn auths_entries_decode_user_and_password() {
        let config = config(&format!(
            r#"{{"auths": {{"localhost:5000": {{"auth": "{USER_PASS}", "email": "x@y"}}}}}}"#
        ));
        let found = config.credentials("localhost:5000").await.unwrap().unwrap();
        assert_eq!(found.username(), Some("user"));
        assert_eq!(found.password.as_deref(), Some("pass"));
        assert_eq!(found.registry(), Some("localhost:5000"));
    }

    #[test]
    fn passwords_may_contain_colons_and_auth_may_lack_padding() {
        // base64 of `user:pa:ss`, without its `=` padding.
        let (user, pass) = decode_auth("dXNlcjpwYTpzcw").unwrap();
        assert_eq!((user.as_str(), pass.as_str()), ("user", "pa:ss"));
    }

    #[tokio::test]
    async fn identity_tokens_and_plain_fields_are_read() {
        let config = config(
            r#"{"auths": {
                "token.example.com": {"identitytoken": "refresh-token"},
                "plain.example.com": {"username": "u", "password": "p"}
            }}"#,
        );
        let token = config
            .credentials("token.example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(token.identity_token.as_deref(), Some("refresh-token"));
        assert_eq!(token.username(), None);
        assert_eq!(
            username(&config, "plain.example.com").await.as_deref(),
            Some("u")
        );
    }

    #[tokio::test]
    async fn docker_hub_is_found_under_the_cli_key_and_its_aliases() {
        for key in [
            DOCKER_HUB_AUTH_KEY,
            "index.docker.io",
            "docker.io",
            "https://index.docker.io/v1",
        ] {
            let config = config(&format!(
                r#"{{"auths": {{"{key}": {{"auth": "{USER_PASS}"}}}}}}"#
            ));
            let found = config.credentials("docker.io").await.unwrap();
            let found = found.unwrap_or_else(|| panic!("{key}"));
            assert_eq!(found.registry(), Some(DOCKER_HUB_AUTH_KEY), "{key}");
            assert_eq!(username(&config, "localhost:5000").await, None, "{key}");
        }
    }

    #[tokio::test]
    async fn url_keys_match_by_host() {
        let config = config(&format!(
            r#"{{"auths": {{"https://registry.example.com/v2/": {{"auth": "{USER_PASS}"}}}}}}"#
        ));
        assert_eq!(
            username(&config, "registry.example.com").await.as_deref(),
            Some("user")
        );
        assert_eq!(username(&config, "registry.example.com:5000").await, None);
    }

    #[tokio::test]
    async fn empty_entries_are_no_credentials() {
        let config = config(r#"{"auths": {"localhost:5000": {}}}"#);
        assert_eq!(config.credentials("localhost:5000").await.unwrap(), None);
    }

    #[test]
    fn malformed_configs_name_the_problem_not_the_secret() {
        for (json, expected) in [
            ("{not json", "not a valid config"),
            (r#"{"auths": {"r": {"auth": "!!!"}}}"#, "not base64"),
            (
                r#"{"auths": {"r": {"auth": "bm9jb2xvbg=="}}}"#,
                "user:password",
            ),
            (r#"{"auths": []}"#, "not a valid config"),
        ] {
            let err = DockerConfig::from_json(json).unwrap_err();
            let message = err.to_string();
            assert!(matches!(err, Error::InvalidArgument { .. }), "{json}");
            assert!(message.contains(expected), "{json}: {message}");
        }
        // `bm9jb2xvbg==` is `nocolon`; the message must not show it decoded.
        let message = DockerConfig::from_json(r#"{"auths": {"r": {"auth": "bm9jb2xvbg=="}}}"#)
            .unwrap_err()
            .to_string();
        assert!(!message.contains("nocolon"), "{message}");
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let config = config(
            r#"{"auths": {}, "HttpHeaders": {"User-Agent": "x"}, "psFormat": "table", "credsStore": "desktop"}"#,
        );
        assert_eq!(config.creds_store.as_deref(), Some("desktop"));
    }

    #[test]
    fn helpers_are_chosen_per_registry_then_store() {
        let config = config(
            r#"{"credsStore": "store",
                "credHelpers": {"gcr.io": "gcloud", "https://index.docker.io/v1/": "hub",
                                "https://registry.example.com": "example"}}"#,
        );
        assert_eq!(config.helper_for("gcr.io"), Some("gcloud"));
        assert_eq!(config.helper_for(DOCKER_HUB_AUTH_KEY), Some("hub"));
        assert_eq!(config.helper_for("registry.example.com"), Some("example"));
        assert_eq!(config.helper_for("localhost:5000"), Some("store"));
        let no_store = DockerConfig::from_json(r#"{"credHelpers": {"gcr.io": "gcloud"}}"#).unwrap();
        assert_eq!(no_store.helper_for("localhost:5000"), None);
        let blank = DockerConfig::from_json(r#"{"credsStore": ""}"#).unwrap();
        assert_eq!(blank.helper_for("localhost:5000"), None);
    }

    #[test]
    fn config_dir_follows_docker_config_then_home() {
        let lookup = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| OsString::from(value))
            }
        };
        assert_eq!(
            config_dir(lookup(&[("DOCKER_CONFIG", "/etc/dk"), ("HOME", "/home/u")])),
            Some(PathBuf::from("/etc/dk"))
        );
        assert_eq!(
            config_dir(lookup(&[("DOCKER_CONFIG", ""), ("HOME", "/home/u")])),
            Some(PathBuf::from("/home/u/.docker"))
        );
        assert_eq!(
            config_dir(lookup(&[("USERPROFILE", "C:/Users/u")])),
            Some(PathBuf::from("C:/Users/u/.docker"))
        );
        assert_eq!(config_dir(lookup(&[])), None);
    }

    #[test]
    fn from_dir_reads_config_json_and_tolerates_its_absence() {
        let dir = tempfile::tempdir().unwrap();
        let empty = DockerConfig::from_dir(dir.path()).unwrap();
        assert!(empty.registries().is_empty());
        assert_eq!(empty.path(), Some(dir.path().join("config.json").as_path()));
        std::fs::write(
            dir.path().join("config.json"),
            format!(r#"{{"auths": {{"r:1": {{"auth": "{USER_PASS}"}}}}}}"#),
        )
        .unwrap();
        assert_eq!(
            DockerConfig::from_dir(dir.path()).unwrap().registries(),
            ["r:1"]
        );
        std::fs::write(dir.path().join("config.json"), "{").unwrap();
        let err = DockerConfig::from_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("config.json"), "{err}");
    }

    /// A `docker-credential-<name>` in `dir` that knows only `known`, and
    /// answers with the server it was asked for as the user name.
    #[cfg(unix)]
    fn helper(dir: &Path, name: &str, known: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(format!("docker-credential-{name}"));
        let script = format!(
            "#!/bin/sh\nread -r server\n\
             if [ \"$server\" = '{known}' ]; then\n\
               printf '{{\"Username\":\"helper:%s\",\"Secret\":\"x\"}}' \"$server\"\n\
             else\n  echo 'credentials not found in native keychain'; exit 1\nfi\n"
        );
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn helpers_come_before_auths_which_remain_the_fallback() {
        let dir = tempfile::tempdir().unwrap();
        helper(dir.path(), "store", "a.example.com");
        helper(dir.path(), "hub", DOCKER_HUB_AUTH_KEY);
        let config = config(&format!(
            r#"{{"credsStore": "store",
                "credHelpers": {{"docker.io": "hub"}},
                "auths": {{"a.example.com": {{"auth": "{USER_PASS}"}},
                           "b.example.com": {{"auth": "{USER_PASS}"}}}}}}"#
        ))
        .helper_dir(dir.path());
        // The store knows a: it wins over the auths entry.
        assert_eq!(
            username(&config, "a.example.com").await.as_deref(),
            Some("helper:a.example.com")
        );
        // The store does not know b: the auths entry is used.
        assert_eq!(
            username(&config, "b.example.com").await.as_deref(),
            Some("user")
        );
        // Neither knows c.
        assert_eq!(username(&config, "c.example.com").await, None);
        // Docker Hub's helper is asked for the CLI's key.
        assert_eq!(
            username(&config, "docker.io").await.as_deref(),
            Some(format!("helper:{DOCKER_HUB_AUTH_KEY}").as_str())
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_broken_helper_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(&format!(
            r#"{{"credsStore": "absent", "auths": {{"a": {{"auth": "{USER_PASS}"}}}}}}"#
        ))
        .helper_dir(dir.path());
        let err = config.credentials("a").await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("docker-credential-absent"), "{message}");
        assert!(!message.contains(USER_PASS), "{message}");
    }

    #[test]
    fn debug_lists_registries_not_secrets() {
        let config = config(&format!(
            r#"{{"auths": {{"r:1": {{"auth": "{USER_PASS}"}}, "t": {{"identitytoken": "tok"}}}}}}"#
        ));
        let shown = format!("{config:?}");
        assert!(shown.contains("r:1"), "{shown}");
        for secret in ["pass", USER_PASS, "tok\""] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}
