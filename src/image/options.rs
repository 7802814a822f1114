//! Options of the image calls, named after docker-py's keywords.

use crate::{Credentials, Filters};

/// Options for [`Images::pull`](crate::Images::pull) and
/// [`Images::pull_stream`](crate::Images::pull_stream). The tag or digest
/// is part of the reference (`busybox:1.36`, `app@sha256:…`).
///
/// ```
/// use dockhand::{Credentials, PullOptions};
///
/// let options = PullOptions::new()
///     .platform("linux/arm64")
///     .credentials(Credentials::new("ci-bot", "token"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct PullOptions {
    pub(crate) platform: Option<String>,
    pub(crate) credentials: Option<Credentials>,
}

impl PullOptions {
    /// Defaults: the daemon's own platform, credentials from the docker config.
    pub fn new() -> Self {
        Self::default()
    }

    /// Pull the variant for this platform, `os[/arch[/variant]]`
    /// (`linux/arm64/v8`), instead of the daemon's own.
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        self.platform = Some(platform.into());
        self
    }

    /// Use these credentials instead of the docker config's
    /// (docker-py's `auth_config`).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }
}

/// Options for [`Images::push`](crate::Images::push) and
/// [`Images::push_stream`](crate::Images::push_stream).
#[derive(Clone, Debug, Default)]
pub struct PushOptions {
    pub(crate) credentials: Option<Credentials>,
}

impl PushOptions {
    /// Defaults: credentials from the docker config.
    pub fn new() -> Self {
        Self::default()
    }

    /// Use these credentials instead of the docker config's
    /// (docker-py's `auth_config`).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }
}

/// Options for [`Images::list`](crate::Images::list), as `docker images`
/// takes them.
#[derive(Clone, Debug, Default)]
pub struct ImageListOptions {
    pub(crate) all: bool,
    pub(crate) name: Option<String>,
    pub(crate) filters: Filters,
}

impl ImageListOptions {
    /// Defaults: every tagged or top-level image.
    pub fn new() -> Self {
        Self::default()
    }

    /// Include intermediate images too (`docker images --all`).
    pub fn all(mut self, all: bool) -> Self {
        self.all = all;
        self
    }

    /// Only images whose reference matches this, e.g. `busybox` or
    /// `localhost:5000/team/*:v1` (the `reference` filter).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Filters such as `label`, `dangling`, `before`, `since`, `reference`.
    pub fn filters(mut self, filters: Filters) -> Self {
        self.filters = filters;
        self
    }

    /// The `filters` query value, with `name` folded in.
    pub(crate) fn filters_query(&self) -> Option<String> {
        let mut filters = self.filters.clone();
        if let Some(name) = &self.name {
            filters = filters.add("reference", name.clone());
        }
        filters.to_query()
    }
}

/// Options for [`Images::remove`](crate::Images::remove) (`docker rmi`).
#[derive(Clone, Debug, Default)]
pub struct ImageRemoveOptions {
    pub(crate) force: bool,
    pub(crate) noprune: bool,
}

impl ImageRemoveOptions {
    /// Defaults: refuse to remove an image in use or with several tags by
    /// id; delete untagged parents.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remove the image even if containers use it or it has several tags.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Keep untagged parent images.
    pub fn noprune(mut self, noprune: bool) -> Self {
        self.noprune = noprune;
        self
    }
}

/// Options for [`Images::import`](crate::Images::import) (`docker import`).
///
/// ```
/// let options = dockhand::ImportOptions::new()
///     .repository("localhost:5000/team/rootfs")
///     .tag("v1")
///     .changes(["CMD [\"/bin/sh\"]", "ENV LANG=C.UTF-8"]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    pub(crate) repository: Option<String>,
    pub(crate) tag: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) changes: Vec<String>,
    pub(crate) platform: Option<String>,
}

impl ImportOptions {
    /// Defaults: an untagged image.
    pub fn new() -> Self {
        Self::default()
    }

    /// The repository to tag the image into (it may carry the tag too:
    /// `team/rootfs:v1`).
    pub fn repository(mut self, repository: impl Into<String>) -> Self {
        self.repository = Some(repository.into());
        self
    }

    /// The tag (default `latest` when a repository is given).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// The commit message recorded in the image's history.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Dockerfile instructions to apply (`CMD`, `ENV`, `WORKDIR`, …).
    pub fn changes<I, S>(mut self, changes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.changes = changes.into_iter().map(Into::into).collect();
        self
    }

    /// The platform to record, `os[/arch[/variant]]`.
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        self.platform = Some(platform.into());
        self
    }
}

/// One line of a removal's report (`docker rmi`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemovedImage {
    /// A tag or digest reference was removed from the image.
    Untagged(String),
    /// An image (or parent layer image) was deleted; its id.
    Deleted(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_name_becomes_the_reference_filter() {
        let options = ImageListOptions::new()
            .name("busybox")
            .filters(Filters::new().label("a=b"));
        assert_eq!(
            options.filters_query().as_deref(),
            Some(r#"{"label":["a=b"],"reference":["busybox"]}"#)
        );
        assert_eq!(ImageListOptions::new().filters_query(), None);
    }

    #[test]
    fn options_debug_does_not_leak_credentials() {
        let options = PullOptions::new().credentials(Credentials::new("u", "hunter2"));
        assert!(!format!("{options:?}").contains("hunter2"));
        let options = PushOptions::new().credentials(Credentials::identity_token("tok3n"));
        assert!(!format!("{options:?}").contains("tok3n"));
    }
}
