//! `use_config_proxy`: the docker CLI's proxy settings as environment
//! variables.

use std::path::PathBuf;

use serde_json::Value;

/// The proxy variables from the CLI configuration, or none when there is no
/// configuration (or it cannot be read: proxies are a convenience, and the
/// docker CLI's own settings are not dockhand's to validate).
pub(super) fn environment() -> Vec<String> {
    let Some(path) = config_path() else {
        return Vec::new();
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => from_config(&text),
        Err(err) => {
            tracing::debug!(path = %path.display(), %err, "no docker CLI configuration");
            Vec::new()
        }
    }
}

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
fn config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|dir| !dir.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    let home = std::env::var_os("HOME").filter(|home| !home.is_empty())?;
    Some(PathBuf::from(home).join(".docker").join("config.json"))
}

/// The variables for `proxies.default` in a CLI configuration file: each
/// setting in lower and upper case, as the CLI sets them.
fn from_config(text: &str) -> Vec<String> {
    let config: Value = match serde_json::from_str(text) {
        Ok(config) => config,
        Err(err) => {
            tracing::warn!(%err, "ignoring a malformed docker CLI configuration");
            return Vec::new();
        }
    };
    let proxies = &config["proxies"]["default"];
    let mut env = Vec::new();
    for (key, variable) in [
        ("httpProxy", "http_proxy"),
        ("httpsProxy", "https_proxy"),
        ("ftpProxy", "ftp_proxy"),
        ("noProxy", "no_proxy"),
    ] {
        if let Some(value) = proxies[key].as_str().filter(|value| !value.is_empty()) {
            env.push(format!("{variable}={value}"));
            env.push(format!("{}={value}", variable.to_ascii_uppercase()));
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_default_proxies() {
        let env = from_config(
            r#"{"proxies": {"default": {"httpProxy": "http://p:3128", "noProxy": "localhost"},
                            "tcp://other:2376": {"httpProxy": "http://q"}}}"#,
        );
        assert_eq!(
            env,
            [
                "http_proxy=http://p:3128",
                "HTTP_PROXY=http://p:3128",
                "no_proxy=localhost",
                "NO_PROXY=localhost",
            ]
        );
    }

    #[test]
    fn no_or_bad_configuration_means_no_variables() {
        assert!(from_config("{}").is_empty());
        assert!(from_config(r#"{"auths": {}}"#).is_empty());
        assert!(from_config("not json").is_empty());
    }
}
