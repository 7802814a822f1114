//! Turning [`ContainerOptions`] into the create request for one API version.

use crate::models::{ContainerCreateBody, HostConfig};
use crate::{ApiVersion, Result};

use super::values;
use super::{invalid, ContainerOptions};

/// What `POST /containers/create` needs: the query parameters and the body.
#[derive(Clone, Debug)]
pub(crate) struct CreateRequest {
    /// The `name` query parameter.
    pub name: Option<String>,
    /// The `platform` query parameter.
    pub platform: Option<String>,
    /// The container configuration, with its `HostConfig` and
    /// `NetworkingConfig`.
    pub body: ContainerCreateBody,
}

/// The request being filled in, and the version it is for.
pub(super) struct Draft {
    pub api: ApiVersion,
    pub body: ContainerCreateBody,
    pub host: HostConfig,
}

impl Draft {
    /// Fail unless the daemon speaks at least `minimum`, naming what needs it.
    pub fn require(&self, what: &str, minimum: ApiVersion) -> Result<()> {
        self.api.require(what, minimum)
    }
}

impl ContainerOptions {
    /// Validate the options and build the create request for `image` on a
    /// daemon speaking `api`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming the
    /// keyword for a malformed value, an invalid combination, or an option
    /// that `api` does not have.
    pub(crate) fn to_request(&self, image: &str, api: ApiVersion) -> Result<CreateRequest> {
        if image.trim().is_empty() {
            return Err(invalid("image", "must not be empty"));
        }
        let mut draft = Draft {
            api,
            body: ContainerCreateBody {
                image: Some(image.to_owned()),
                ..Default::default()
            },
            host: HostConfig::default(),
        };
        // A fixed order, so the first error reported is always the same.
        self.apply_process(&mut draft)?;
        self.apply_healthcheck(&mut draft)?;
        self.apply_network(&mut draft)?;
        self.apply_ports(&mut draft)?;
        self.apply_volumes(&mut draft)?;
        self.apply_mounts(&mut draft)?;
        self.apply_devices(&mut draft)?;
        self.apply_resources(&mut draft)?;
        self.apply_host(&mut draft)?;
        self.apply_restart_policy(&mut draft)?;
        self.apply_log_config(&mut draft)?;
        let Draft { mut body, host, .. } = draft;
        body.host_config = Some(host);
        values::check_values(&body)?;
        Ok(CreateRequest {
            name: self.checked_name()?,
            platform: self.checked_platform()?,
            body,
        })
    }

    /// The name, if valid: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, as the daemon
    /// requires (a leading `/` is allowed).
    fn checked_name(&self) -> Result<Option<String>> {
        let Some(name) = &self.name else {
            return Ok(None);
        };
        let bare = name.strip_prefix('/').unwrap_or(name);
        let mut chars = bare.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !first_ok || !rest_ok || bare.len() < 2 {
            return Err(invalid(
                "name",
                format!(
                    "{name:?} is not a valid container name (allowed: [a-zA-Z0-9][a-zA-Z0-9_.-]+)"
                ),
            ));
        }
        Ok(Some(name.clone()))
    }

    /// The platform, if well-formed: `os[/arch[/variant]]`.
    fn checked_platform(&self) -> Result<Option<String>> {
        let Some(platform) = &self.platform else {
            return Ok(None);
        };
        let parts: Vec<&str> = platform.split('/').collect();
        if parts.len() > 3 || parts.iter().any(|part| part.trim().is_empty()) {
            return Err(invalid(
                "platform",
                format!("{platform:?} is not os[/arch[/variant]]"),
            ));
        }
        Ok(Some(platform.clone()))
    }
}

/// An empty JSON object of a generated "object with no properties" type
/// (the values of `ExposedPorts` and `Volumes`).
pub(super) fn empty_object<T>() -> T
where
    T: TryFrom<serde_json::Map<String, serde_json::Value>>,
    T::Error: std::fmt::Debug,
{
    T::try_from(serde_json::Map::new()).expect("the generated type accepts an empty object")
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::Error;

    pub const V141: ApiVersion = ApiVersion::new(1, 41);
    pub const LATEST: ApiVersion = ApiVersion::LATEST;

    /// The request for `options` at API 1.41, which must be valid.
    pub fn request(options: ContainerOptions) -> CreateRequest {
        options.to_request("busybox", V141).unwrap()
    }

    /// The request's `HostConfig`.
    pub fn host(options: ContainerOptions) -> HostConfig {
        request(options).body.host_config.unwrap()
    }

    /// The error message for `options` at `api`, which must be an invalid
    /// argument naming `keyword`.
    pub fn error_at(options: ContainerOptions, api: ApiVersion, keyword: &str) -> String {
        let err = options.to_request("busybox", api).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{message}");
        assert!(message.contains(keyword), "{keyword:?} not in {message:?}");
        message
    }

    /// As [`error_at`], at API 1.41.
    pub fn error(options: ContainerOptions, keyword: &str) -> String {
        error_at(options, V141, keyword)
    }

    #[test]
    fn no_options_is_just_the_image() {
        let request = request(ContainerOptions::new());
        assert_eq!(request.name, None);
        assert_eq!(request.platform, None);
        assert_eq!(request.body.image.as_deref(), Some("busybox"));
        assert!(request.body.cmd.is_none());
        assert!(request.body.host_config.is_some());
        let json = serde_json::to_value(&request.body).unwrap();
        assert_eq!(json["HostConfig"], serde_json::json!({}));
    }

    #[test]
    fn names_and_platforms_are_checked() {
        let request = request(
            ContainerOptions::new()
                .name("web-1.a_b")
                .platform("linux/amd64"),
        );
        assert_eq!(request.name.as_deref(), Some("web-1.a_b"));
        assert_eq!(request.platform.as_deref(), Some("linux/amd64"));
        for bad in ["", "a", "-web", "web app", "wéb"] {
            error(ContainerOptions::new().name(bad), "name");
        }
        for bad in ["", "linux/", "a/b/c/d"] {
            error(ContainerOptions::new().platform(bad), "platform");
        }
        let err = ContainerOptions::new().to_request(" ", V141).unwrap_err();
        assert!(err.to_string().contains("image"), "{err}");
    }

    #[test]
    fn version_errors_name_both_versions() {
        let draft = Draft {
            api: V141,
            body: Default::default(),
            host: Default::default(),
        };
        let err = draft
            .require("healthcheck start_interval", ApiVersion::new(1, 44))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "invalid argument: healthcheck start_interval: requires API 1.44; the daemon speaks 1.41"
        );
    }

    #[test]
    fn run_only_options_are_not_sent() {
        let options = ContainerOptions::new()
            .detach(true)
            .stdout(false)
            .stderr(true)
            .remove(true);
        assert!(options.run_detach() && !options.run_stdout() && options.run_stderr());
        assert!(options.run_remove());
        let plain = ContainerOptions::new();
        assert!(!plain.run_detach() && plain.run_stdout() && !plain.run_stderr());
        let json = serde_json::to_value(request(options).body).unwrap();
        assert_eq!(json["HostConfig"], serde_json::json!({}));
    }
}
