//! Registry credentials: what a pull or push sends as `X-Registry-Auth`, and
//! where it comes from.
//!
//! For each call the credentials are, in order of precedence:
//!
//! 1. the [`Credentials`] given on the call (e.g. `PullOptions::credentials`);
//! 2. else the docker CLI's config (`$DOCKER_CONFIG/config.json`, default
//!    `~/.docker/config.json`; see [`DockerConfig`]), which is asked the way
//!    the CLI asks it: the registry's `credHelpers` entry, else the
//!    `credsStore`, by running `docker-credential-<name> get`; and the
//!    `auths` entry when no helper is configured or the helper has nothing
//!    for the registry;
//! 3. else none: the registry is used anonymously.
//!
//! Docker Hub is keyed as the CLI keys it, `https://index.docker.io/v1/`;
//! every other registry by its host and port (`localhost:5000`).
//!
//! Secrets never leave this module in readable form except inside the
//! encoded header: [`Credentials`] and [`DockerConfig`] redact them in
//! `Debug`, and errors name the registry and helper, never a secret.

mod config_file;
mod helper;

pub use config_file::DockerConfig;

use std::fmt;

use base64::Engine as _;
use serde::Serialize;

use crate::image::reference::DOCKER_HUB;
use crate::Result;

/// The key under which the docker CLI stores Docker Hub's credentials, and
/// the server address it asks credential helpers for.
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// Credentials for one registry.
///
/// `Debug` shows the user name and which kind of secret is set, never the
/// secret itself.
///
/// ```
/// use dockhand::Credentials;
///
/// let credentials = Credentials::new("ci-bot", "s3cret");
/// assert!(!format!("{credentials:?}").contains("s3cret"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    username: Option<String>,
    password: Option<String>,
    identity_token: Option<String>,
    registry_token: Option<String>,
    server_address: Option<String>,
}

impl Credentials {
    /// A user name and password (or access token used as a password).
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: Some(username.into()),
            password: Some(password.into()),
            ..Credentials::default()
        }
    }

    /// An identity token (an OAuth refresh token, as `docker login` stores
    /// for some registries), exchanged by the daemon for access.
    pub fn identity_token(token: impl Into<String>) -> Self {
        Credentials {
            identity_token: Some(token.into()),
            ..Credentials::default()
        }
    }

    /// A bearer token the daemon sends to the registry as it is.
    pub fn registry_token(token: impl Into<String>) -> Self {
        Credentials {
            registry_token: Some(token.into()),
            ..Credentials::default()
        }
    }

    /// Set the registry these credentials are for (the header's
    /// `serveraddress`). Calls fill it in from the image reference when it
    /// is not set.
    pub fn server_address(mut self, address: impl Into<String>) -> Self {
        self.server_address = Some(address.into());
        self
    }

    /// The user name, if these are user-name credentials.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The registry these credentials are for, if set.
    pub fn registry(&self) -> Option<&str> {
        self.server_address.as_deref()
    }

    /// True when nothing is set: an anonymous request.
    pub fn is_empty(&self) -> bool {
        self.username.is_none()
            && self.password.is_none()
            && self.identity_token.is_none()
            && self.registry_token.is_none()
    }

    /// The `X-Registry-Auth` value: URL-safe base64 of the JSON the daemon
    /// reads.
    pub(crate) fn encode(&self) -> EncodedAuth {
        #[derive(Serialize)]
        struct Wire<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            username: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            password: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            serveraddress: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            identitytoken: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            registrytoken: Option<&'a str>,
        }
        let json = serde_json::to_vec(&Wire {
            username: self.username.as_deref(),
            password: self.password.as_deref(),
            serveraddress: self.server_address.as_deref(),
            identitytoken: self.identity_token.as_deref(),
            registrytoken: self.registry_token.as_deref(),
        })
        .expect("strings serialize");
        EncodedAuth(base64::engine::general_purpose::URL_SAFE.encode(json))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &secret(&self.password))
            .field("identity_token", &secret(&self.identity_token))
            .field("registry_token", &secret(&self.registry_token))
            .field("server_address", &self.server_address)
            .finish()
    }
}

/// An encoded `X-Registry-Auth` header value. `Debug` hides it: base64 is
/// not encryption.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct EncodedAuth(String);

impl EncodedAuth {
    /// The header value for an anonymous request: `{}` encoded.
    pub(crate) fn anonymous() -> Self {
        Credentials::default().encode()
    }

    /// The header value.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for EncodedAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncodedAuth(<redacted>)")
    }
}

/// Where a collection finds credentials that calls do not give.
#[derive(Clone, Debug, Default)]
pub(crate) enum CredentialSource {
    /// Read the docker CLI's config afresh on each call, from
    /// `$DOCKER_CONFIG` or `~/.docker`, as the CLI does on each command.
    #[default]
    Environment,
    /// A config the caller loaded (or built empty).
    Config(std::sync::Arc<DockerConfig>),
}

impl CredentialSource {
    /// The credentials for `registry` (a reference's registry, e.g.
    /// `docker.io` or `localhost:5000`): `explicit` when given, else what
    /// the config holds, each with its server address filled in.
    ///
    /// # Errors
    /// From the config: a credential helper that fails. A config file that
    /// cannot be read is only logged here, as the CLI only warns about it:
    /// the call then goes out anonymously.
    pub(crate) async fn resolve(
        &self,
        explicit: Option<&Credentials>,
        registry: &str,
    ) -> Result<Option<Credentials>> {
        let key = server_key(registry);
        if let Some(explicit) = explicit {
            let mut credentials = explicit.clone();
            credentials
                .server_address
                .get_or_insert_with(|| key.to_owned());
            return Ok(Some(credentials));
        }
        let found = match self {
            CredentialSource::Config(config) => config.credentials(registry).await?,
            CredentialSource::Environment => match DockerConfig::from_env() {
                Ok(config) => config.credentials(registry).await?,
                Err(err) => {
                    tracing::warn!(%err, "ignoring the docker config file");
                    None
                }
            },
        };
        Ok(found)
    }

    /// The header for `registry`: resolved credentials, else anonymous.
    pub(crate) async fn header(
        &self,
        explicit: Option<&Credentials>,
        registry: &str,
    ) -> Result<EncodedAuth> {
        Ok(self
            .resolve(explicit, registry)
            .await?
            .map(|credentials| credentials.encode())
            .unwrap_or_else(EncodedAuth::anonymous))
    }
}

/// The key the docker CLI stores a registry's credentials under: Docker
/// Hub's legacy index URL, else the registry as given (`localhost:5000`).
pub(crate) fn server_key(registry: &str) -> &str {
    if is_docker_hub(&hostname(registry)) {
        DOCKER_HUB_AUTH_KEY
    } else {
        registry
    }
}

/// The host (and port) of a config key, which may be a bare host or a URL
/// (`https://index.docker.io/v1/`), lowercased.
pub(crate) fn hostname(key: &str) -> String {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    key.split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The names under which Docker Hub appears in config keys.
pub(crate) fn is_docker_hub(host: &str) -> bool {
    matches!(
        host,
        DOCKER_HUB | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(encoded: &EncodedAuth) -> serde_json::Value {
        let json = base64::engine::general_purpose::URL_SAFE
            .decode(encoded.as_str())
            .expect("URL-safe base64");
        serde_json::from_slice(&json).expect("JSON")
    }

    #[test]
    fn header_is_url_safe_base64_json_with_the_daemon_field_names() {
        let encoded = Credentials::new("user", "p?ss>>word~~")
            .server_address("localhost:5000")
            .encode();
        assert!(
            encoded
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_=".contains(&b)),
            "{}",
            encoded.as_str()
        );
        assert_eq!(
            decode(&encoded),
            serde_json::json!({
                "username": "user",
                "password": "p?ss>>word~~",
                "serveraddress": "localhost:5000",
            })
        );
        let token = Credentials::identity_token("refresh").encode();
        assert_eq!(
            decode(&token),
            serde_json::json!({"identitytoken": "refresh"})
        );
        let bearer = Credentials::registry_token("bearer").encode();
        assert_eq!(
            decode(&bearer),
            serde_json::json!({"registrytoken": "bearer"})
        );
    }

    #[test]
    fn anonymous_header_is_an_empty_object() {
        assert_eq!(EncodedAuth::anonymous().as_str(), "e30=");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let credentials = Credentials::new("user", "hunter2").server_address("r:5000");
        let shown = format!("{credentials:?} {:#?}", credentials.encode());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains(credentials.encode().as_str()), "{shown}");
        assert!(
            shown.contains("user") && shown.contains("<redacted>"),
            "{shown}"
        );
        let token = format!("{:?}", Credentials::identity_token("tok-en"));
        assert!(!token.contains("tok-en"), "{token}");
    }

    #[test]
    fn docker_hub_is_keyed_by_the_legacy_index_url() {
        for hub in [
            "docker.io",
            "index.docker.io",
            "registry-1.docker.io",
            "https://index.docker.io/v1/",
        ] {
            assert_eq!(server_key(hub), DOCKER_HUB_AUTH_KEY, "{hub}");
        }
        assert_eq!(server_key("localhost:5000"), "localhost:5000");
        assert_eq!(server_key("ghcr.io"), "ghcr.io");
    }

    #[test]
    fn hostnames_of_config_keys() {
        assert_eq!(hostname("https://index.docker.io/v1/"), "index.docker.io");
        assert_eq!(hostname("http://localhost:5000"), "localhost:5000");
        assert_eq!(hostname("Registry.Example.com/v2/"), "registry.example.com");
        assert_eq!(hostname("127.0.0.1:5000"), "127.0.0.1:5000");
    }

    #[tokio::test]
    async fn explicit_credentials_win_and_get_the_server_address() {
        let config = DockerConfig::from_json(
            r#"{"auths":{"localhost:5000":{"auth":"Y29uZmlnOmNvbmZpZw=="}}}"#,
        )
        .unwrap();
        let source = CredentialSource::Config(std::sync::Arc::new(config));
        let explicit = Credentials::new("call", "call");
        let chosen = source
            .resolve(Some(&explicit), "localhost:5000")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(chosen.username(), Some("call"));
        assert_eq!(chosen.registry(), Some("localhost:5000"));
        let from_config = source
            .resolve(None, "localhost:5000")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(from_config.username(), Some("config"));
        let hub = source
            .resolve(Some(&Credentials::new("u", "p")), "docker.io")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hub.registry(), Some(DOCKER_HUB_AUTH_KEY));
        assert_eq!(source.resolve(None, "elsewhere:1").await.unwrap(), None);
    }
}
