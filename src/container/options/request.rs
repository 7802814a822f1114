//! Turning [`ContainerOptions`] into the create request for one API version.

use crate::models::{ContainerCreateBody, HostConfig};
use crate::{ApiVersion, Result};

use super::values;
use super::{invalid, ContainerOptions};

/// What the create is for, which decides the streams attached and the
/// removal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// [`Containers::create`](crate::Containers::create), as docker-py's
    /// `create`: the output streams attached unless the options say
    /// `detach`, stdin too when it is kept open.
    Create,
    /// [`Containers::run_detached`](crate::Containers::run_detached):
    /// nothing attached (nothing will read the streams), removed by the
    /// daemon on exit with `remove`.
    RunDetached,
    /// `run` and `run_stream`: the output streams attached, removed by the
    /// daemon on exit with `remove`.
    RunAttached,
}

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

impl CreateRequest {
    /// Whether the container gets a terminal, as sent (after any
    /// [`customize`](ContainerOptions::customize) hook): its output then
    /// comes unframed.
    pub fn tty(&self) -> bool {
        self.body.tty == Some(true)
    }

    /// Whether the daemon removes the container when it exits, as sent.
    pub fn auto_remove(&self) -> bool {
        self.body
            .host_config
            .as_ref()
            .is_some_and(|host| host.auto_remove == Some(true))
    }

    /// The command as sent (empty: the image's).
    pub fn command(&self) -> Vec<String> {
        self.body.cmd.clone().unwrap_or_default()
    }
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
    /// daemon speaking `api`, as [`Containers::create`](crate::Containers::create)
    /// sends it.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming the
    /// keyword for a malformed value, an invalid combination, or an option
    /// that `api` does not have.
    pub(crate) fn to_request(&self, image: &str, api: ApiVersion) -> Result<CreateRequest> {
        self.to_request_for(image, api, Purpose::Create)
    }

    /// As [`to_request`](Self::to_request), for `purpose`.
    pub(crate) fn to_request_for(
        &self,
        image: &str,
        api: ApiVersion,
        purpose: Purpose,
    ) -> Result<CreateRequest> {
        if image.trim().is_empty() {
            return Err(invalid("image", "must not be empty"));
        }
        let mut draft = Draft {
            api,
            body: ContainerCreateBody {
                image: Some(image.to_owned()),
                ..Default::default()
            },
            // `HostConfig` embeds `Resources`: the limits are its start.
            host: self.resources.limits.embedded()?,
        };
        // A fixed order, so the first error reported is always the same.
        self.process.apply(&mut draft)?;
        self.health.apply(&mut draft)?;
        self.network.apply(&mut draft)?;
        self.ports.apply(&mut draft)?;
        self.volumes.apply(&mut draft)?;
        self.mounts.apply(&mut draft)?;
        self.devices.apply(&mut draft)?;
        self.resources.apply(&mut draft)?;
        self.isolation.apply(&mut draft)?;
        self.restart.apply(&mut draft)?;
        self.logging.apply(&mut draft)?;
        let Draft { mut body, host, .. } = draft;
        body.host_config = Some(host);
        if let Some(customize) = &self.customize {
            customize.apply(&mut body);
        }
        self.attach_for(purpose, &mut body);
        values::check_values(&body)?;
        Ok(CreateRequest {
            name: self.query.checked_name()?,
            platform: self.query.checked_platform()?,
            body,
        })
    }

    /// Set the streams attached and the removal that `purpose` needs.
    fn attach_for(&self, purpose: Purpose, body: &mut ContainerCreateBody) {
        let run = self.run_settings();
        let attach_output = match purpose {
            Purpose::Create => !run.detach(),
            Purpose::RunDetached => false,
            Purpose::RunAttached => true,
        };
        let attach_stdin = attach_output && body.open_stdin == Some(true);
        if purpose == Purpose::RunDetached {
            body.attach_stdin = Some(false);
            body.attach_stdout = Some(false);
            body.attach_stderr = Some(false);
            body.stdin_once = None;
        } else if attach_output {
            body.attach_stdout = Some(true);
            body.attach_stderr = Some(true);
            if attach_stdin {
                body.attach_stdin = Some(true);
                body.stdin_once = Some(true);
            }
        }
        if purpose != Purpose::Create && run.remove() {
            body.host_config
                .get_or_insert_with(Default::default)
                .auto_remove = Some(true);
        }
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
    fn the_purpose_decides_the_streams_attached_and_the_removal() {
        let options = ContainerOptions::new().stdin_open(true).remove(true);
        let for_purpose = |options: &ContainerOptions, purpose| {
            let request = options.to_request_for("busybox", V141, purpose).unwrap();
            let body = &request.body;
            let flags = [body.attach_stdin, body.attach_stdout, body.attach_stderr];
            (flags, body.stdin_once, request.auto_remove())
        };
        let attached = [Some(true); 3];
        assert_eq!(
            for_purpose(&options, Purpose::Create),
            (attached, Some(true), false)
        );
        assert_eq!(
            for_purpose(&options, Purpose::RunAttached),
            (attached, Some(true), true)
        );
        assert_eq!(
            for_purpose(&options, Purpose::RunDetached),
            ([Some(false); 3], None, true)
        );
        let detached = options.clone().detach(true);
        assert_eq!(
            for_purpose(&detached, Purpose::Create),
            ([None; 3], None, false)
        );
        let plain = ContainerOptions::new().tty(true).command("sh -c 'echo hi'");
        let request = plain
            .to_request_for("busybox", V141, Purpose::RunAttached)
            .unwrap();
        assert!(request.tty());
        assert_eq!(request.command(), ["sh", "-c", "echo hi"]);
    }

    #[test]
    fn run_only_options_are_not_sent() {
        let options = ContainerOptions::new()
            .detach(true)
            .stdout(false)
            .stderr(true)
            .remove(true);
        let run = options.run_settings();
        assert!(run.detach() && !run.stdout() && run.stderr() && run.remove());
        let plain = *ContainerOptions::new().run_settings();
        assert!(!plain.detach() && plain.stdout() && !plain.stderr() && !plain.remove());
        let json = serde_json::to_value(request(options).body).unwrap();
        assert_eq!(json["HostConfig"], serde_json::json!({}));
    }
}
