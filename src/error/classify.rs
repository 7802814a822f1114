//! What a daemon's answer is about, where only its text says so: which
//! kind of object a 404 names, and whether a registry refused credentials.
//! The daemon's wording is matched here and nowhere else.

use std::fmt;

use super::Error;

/// The kind of object an [`Error::NotFound`] says is missing.
///
/// ```no_run
/// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
/// use dockhand::{ContainerOptions, Error, Resource};
/// match docker.containers().create("app:latest", &ContainerOptions::new()).await {
///     Err(Error::NotFound { resource: Resource::Network, message, .. }) => {
///         eprintln!("create the network first: {message}")
///     }
///     other => { other?; }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Resource {
    /// A container (`No such container: web`).
    Container,
    /// An image, tag, manifest or repository, locally or in a registry.
    Image,
    /// An exec instance.
    Exec,
    /// A network.
    Network,
    /// A volume.
    Volume,
    /// A path inside a container (the archive endpoints).
    Path,
    /// Anything else (a plugin, a swarm object, an endpoint the daemon lacks).
    Other,
}

impl Resource {
    /// What a 404 answer to `operation` with `message` is about: the
    /// daemon's message when it names the kind (a create answers 404 for a
    /// missing image and for a missing network alike), else the kind the
    /// operation addresses.
    pub(crate) fn of(operation: &str, message: &str) -> Resource {
        let message = message.to_ascii_lowercase();
        if names_missing_image(&message) {
            Resource::Image
        } else if message.contains("no such container") {
            Resource::Container
        } else if message.contains("no such exec") {
            Resource::Exec
        } else if message.contains("no such volume") {
            Resource::Volume
        } else if message.contains("network") && message.contains("not found") {
            Resource::Network
        } else if ["could not find the file", "no such file", "no path "]
            .iter()
            .any(|needle| message.contains(needle))
        {
            Resource::Path
        } else {
            Resource::addressed_by(operation)
        }
    }

    /// The kind of object an operation addresses, by its operation id.
    fn addressed_by(operation: &str) -> Resource {
        match operation {
            // The create's documented 404 is "no such image".
            "ContainerCreate" => Resource::Image,
            "ContainerArchive" | "ContainerArchiveInfo" | "PutContainerArchive" => Resource::Path,
            "DistributionInspect" => Resource::Image,
            _ if operation.starts_with("Container") => Resource::Container,
            _ if operation.starts_with("Image") => Resource::Image,
            _ if operation.starts_with("Exec") => Resource::Exec,
            _ if operation.starts_with("Network") => Resource::Network,
            _ if operation.starts_with("Volume") => Resource::Volume,
            _ => Resource::Other,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Container => "container",
            Resource::Image => "image",
            Resource::Exec => "exec instance",
            Resource::Network => "network",
            Resource::Volume => "volume",
            Resource::Path => "path",
            Resource::Other => "object",
        })
    }
}

impl Error {
    /// True when a registry refused the request's credentials, or asked for
    /// some and got none: a pull answered with `unauthorized: authentication
    /// required` or `no basic auth credentials`, a push whose stream ended
    /// with such an error, or an HTTP 401.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::PullOptions;
    /// match docker.images().pull("registry.example.com/private/app", &PullOptions::new()).await {
    ///     Err(err) if err.is_unauthorized() => eprintln!("run `docker login registry.example.com`"),
    ///     other => { other?; }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_unauthorized(&self) -> bool {
        match self {
            Error::Unauthorized { .. } | Error::Api { status: 401, .. } => true,
            Error::Api { message, .. } | Error::Stream { message, .. } => {
                looks_unauthorized(message)
            }
            _ => false,
        }
    }
}

/// Turn a pull or push failure that reports refused credentials into
/// [`Error::Unauthorized`] naming the registry, and one that the daemon
/// reports inside the progress stream but answers with 404 elsewhere into
/// [`Error::NotFound`]; other errors pass through.
pub(crate) fn classify_registry_error(err: Error, registry: &str) -> Error {
    match err {
        Error::Stream { operation, message }
            if !looks_unauthorized(&message) && looks_not_found(&message) =>
        {
            Error::not_found(operation, message)
        }
        Error::Api {
            operation, message, ..
        }
        | Error::Stream { operation, message }
            if looks_unauthorized(&message) =>
        {
            Error::Unauthorized {
                operation,
                registry: registry.to_owned(),
                message,
            }
        }
        Error::Api {
            operation,
            status: 401,
            message,
        } => Error::Unauthorized {
            operation,
            registry: registry.to_owned(),
            message,
        },
        other => other,
    }
}

/// Whether a message the daemon sent mid-stream reports what it answers
/// with 404 when it can say so before streaming: a push of a tag that is
/// not local (every version streams that one), a missing repository, tag
/// or digest, and a pulled image whose platform is not the one asked for
/// (26.1 reports that mid-stream; the same mismatch on create is a 404).
fn looks_not_found(message: &str) -> bool {
    names_missing_image(&message.to_ascii_lowercase())
}

/// Whether a (lowercased) daemon message says an image, tag, manifest or
/// repository is missing, or exists only for another platform.
fn names_missing_image(message: &str) -> bool {
    [
        "image not known",
        "does not exist locally",
        "manifest unknown",
        "not found: manifest unknown",
        "no such image",
        "no matching manifest for",
        "does not match the specified platform",
    ]
    .iter()
    .any(|needle| message.contains(needle))
        || (message.contains("repository") && message.contains("not found"))
}

/// Whether a daemon message reports a registry authentication failure. The
/// daemon (20.10 and later) answers these with a 500 and the registry's
/// error text, so the text is all there is to go on.
fn looks_unauthorized(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "unauthorized",
        "no basic auth credentials",
        "authentication required",
        "denied: requested access to the resource is denied",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_404_names_the_kind_its_message_or_operation_says() {
        for (operation, message, kind) in [
            (
                "ContainerInspect",
                "No such container: web",
                Resource::Container,
            ),
            (
                "ContainerCreate",
                "No such image: busybox:nope",
                Resource::Image,
            ),
            (
                "ContainerCreate",
                "network dh-missing not found",
                Resource::Network,
            ),
            ("ContainerCreate", "unexpected words", Resource::Image),
            (
                "ContainerCreate",
                "busybox:nope: image not known",
                Resource::Image,
            ),
            (
                "ContainerArchiveInfo",
                "Could not find the file /nope in container x",
                Resource::Path,
            ),
            (
                "ContainerArchive",
                "No such container: x",
                Resource::Container,
            ),
            ("ExecInspect", "No such exec instance: 12ab", Resource::Exec),
            ("VolumeInspect", "get v: no such volume", Resource::Volume),
            ("NetworkInspect", "network n not found", Resource::Network),
            (
                "ImagePush",
                "An image does not exist locally with the tag: x",
                Resource::Image,
            ),
            ("SwarmInspect", "page not found", Resource::Other),
        ] {
            assert_eq!(
                Resource::of(operation, message),
                kind,
                "{operation}: {message}"
            );
        }
    }

    #[test]
    fn not_found_says_which_kind() {
        let err = Error::not_found("ContainerCreate", "network dh-missing not found");
        assert!(matches!(
            err,
            Error::NotFound {
                resource: Resource::Network,
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "ContainerCreate: network not found: network dh-missing not found"
        );
    }

    #[test]
    fn unauthorized_errors_are_recognised() {
        let api = |status, message: &str| Error::Api {
            operation: "ImageCreate",
            status,
            message: message.into(),
        };
        assert!(api(500, "unauthorized: authentication required").is_unauthorized());
        assert!(api(
            500,
            "Head \"http://127.0.0.1:1/v2/x/manifests/v1\": no basic auth credentials"
        )
        .is_unauthorized());
        assert!(api(401, "").is_unauthorized());
        assert!(Error::Stream {
            operation: "ImagePush",
            message: "unauthorized: authentication required".into()
        }
        .is_unauthorized());
        assert!(!api(500, "manifest unknown").is_unauthorized());
        let stream = |message: &str| {
            classify_registry_error(
                Error::Stream {
                    operation: "ImagePush",
                    message: message.into(),
                },
                "localhost:5000",
            )
        };
        for missing in [
            "An image does not exist locally with the tag: localhost:5000/x",
            "image with reference localhost:5000/x:v1 was found but does not match the \
             specified platform: wanted linux/arm64, actual: linux/amd64",
            "manifest for localhost:5000/x:v2 not found: manifest unknown: manifest unknown",
            "no matching manifest for linux/arm64/v8 in the manifest list entries",
            "repository localhost:5000/x not found: name unknown",
        ] {
            assert!(stream(missing).is_not_found(), "{missing}");
        }
        for other in [
            "unauthorized: authentication required",
            "blob upload unknown",
            "received unexpected HTTP status: 500 Internal Server Error",
        ] {
            assert!(!stream(other).is_not_found(), "{other}");
        }
        assert!(!Error::not_found("ImageCreate", "manifest unknown").is_unauthorized());
    }
}
