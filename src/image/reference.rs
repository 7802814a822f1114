//! Image references — `registry:5000/team/app:1.2@sha256:…` — read the way
//! the docker CLI reads them, so that a string means the same image here as
//! on the command line.
//!
//! The grammar, in short:
//!
//! - `[registry/]path[:tag][@digest]`;
//! - the first `/`-separated part is a registry when it contains a `.` or a
//!   `:`, is `localhost`, or has an uppercase letter (path parts never do);
//!   otherwise the registry is Docker Hub (`docker.io`), and a one-part path
//!   on Docker Hub gets the `library/` namespace of the official images;
//! - a registry is a host name, an IPv4 address or a bracketed IPv6
//!   address, with an optional port;
//! - path parts are lowercase letters and digits, separated inside a part by
//!   `.`, `_`, `__` or a run of `-`;
//! - a tag is up to 128 letters, digits, `_`, `.` and `-`, not starting with
//!   `.` or `-`;
//! - a digest is `sha256:`, `sha384:` or `sha512:` and the lowercase hex of
//!   that length;
//! - the full name (registry and path) is at most 255 characters.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// The registry of references that name none.
pub(crate) const DOCKER_HUB: &str = "docker.io";
/// Docker Hub's old name, which references may still use.
const LEGACY_DOCKER_HUB: &str = "index.docker.io";
/// The namespace of Docker Hub's official images (`busybox` is `library/busybox`).
const OFFICIAL_NAMESPACE: &str = "library/";
/// The tag of a reference that names neither tag nor digest.
pub(crate) const DEFAULT_TAG: &str = "latest";
/// The longest full name (registry and path) the CLI accepts.
const NAME_MAX: usize = 255;
/// The longest tag.
const TAG_MAX: usize = 128;

/// A parsed image reference: registry, repository path, and optionally a
/// tag and a digest.
///
/// Parsing normalises the way the docker CLI does: `busybox` is
/// `docker.io/library/busybox`, `index.docker.io/x/y` is `docker.io/x/y`.
/// [`Display`](fmt::Display) gives the short ("familiar") form users type,
/// [`Reference::canonical`] the full one. A malformed reference is
/// [`Error::InvalidArgument`], and so is rejected before any request.
///
/// ```
/// use dockhand::Reference;
///
/// let busybox: Reference = "busybox".parse()?;
/// assert_eq!(busybox.registry(), "docker.io");
/// assert_eq!(busybox.repository(), "library/busybox");
/// assert_eq!(busybox.tag(), None);
/// assert_eq!(busybox.canonical(), "docker.io/library/busybox");
///
/// let pinned = Reference::parse("localhost:5000/team/app:1.2")?;
/// assert_eq!(pinned.registry(), "localhost:5000");
/// assert_eq!(pinned.repository(), "team/app");
/// assert_eq!(pinned.tag(), Some("1.2"));
/// assert_eq!(pinned.to_string(), "localhost:5000/team/app:1.2");
///
/// assert!(Reference::parse("Busybox").is_err());
/// # Ok::<(), dockhand::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl Reference {
    /// Parse a reference as the docker CLI does.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] saying what is wrong with `reference`.
    pub fn parse(reference: &str) -> Result<Reference> {
        parse(reference)
            .map_err(|reason| Error::invalid("image reference", format!("{reference:?}: {reason}")))
    }

    /// The registry: `docker.io` for Docker Hub, else the host with its
    /// port, e.g. `localhost:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path inside the registry, e.g. `library/busybox`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if the reference names one.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest (`sha256:…`), if the reference names one.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// True when the image lives on Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB
    }

    /// The full name without tag or digest: `docker.io/library/busybox`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The name as the docker CLI shows it: without `docker.io/`, and
    /// without `library/` for official images (`busybox`, `team/app`,
    /// `localhost:5000/app`).
    pub fn familiar_name(&self) -> String {
        if !self.is_docker_hub() {
            return self.name();
        }
        match self.repository.strip_prefix(OFFICIAL_NAMESPACE) {
            Some(official) if !official.contains('/') => official.to_owned(),
            _ => self.repository.clone(),
        }
    }

    /// The full form: `docker.io/library/busybox:latest`.
    pub fn canonical(&self) -> String {
        self.with_suffix(self.name())
    }

    /// The same repository with `tag` (and no digest).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `tag` is not a valid tag.
    ///
    /// ```
    /// let app = dockhand::Reference::parse("localhost:5000/app")?.with_tag("v2")?;
    /// assert_eq!(app.to_string(), "localhost:5000/app:v2");
    /// # Ok::<(), dockhand::Error>(())
    /// ```
    pub fn with_tag(&self, tag: &str) -> Result<Reference> {
        check_tag(tag).map_err(|reason| Error::invalid("tag", format!("{tag:?}: {reason}")))?;
        Ok(Reference {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: Some(tag.to_owned()),
            digest: None,
        })
    }

    /// What the API's `tag` parameter takes for a pull: the digest if there
    /// is one, else the tag, else `latest` — as the CLI sends it.
    pub(crate) fn pull_tag(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or(DEFAULT_TAG)
    }

    /// The familiar form with the tag the daemon will have stored: the
    /// digest form if there is a digest, else `name:tag` (default `latest`).
    /// Inspecting this finds the image a pull just fetched.
    pub(crate) fn local_name(&self) -> String {
        match &self.digest {
            Some(digest) => format!("{}@{digest}", self.familiar_name()),
            None => format!(
                "{}:{}",
                self.familiar_name(),
                self.tag.as_deref().unwrap_or(DEFAULT_TAG)
            ),
        }
    }

    fn with_suffix(&self, mut text: String) -> String {
        if let Some(tag) = &self.tag {
            text.push(':');
            text.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            text.push('@');
            text.push_str(digest);
        }
        text
    }
}

impl fmt::Display for Reference {
    /// The familiar form with the tag and digest as given:
    /// `busybox:1.36`, `localhost:5000/app@sha256:…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.with_suffix(self.familiar_name()))
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reference({:?})", self.canonical())
    }
}

impl FromStr for Reference {
    type Err = Error;

    fn from_str(reference: &str) -> Result<Reference> {
        Reference::parse(reference)
    }
}

/// Parse `input`, or say why it is not a reference.
fn parse(input: &str) -> std::result::Result<Reference, String> {
    if input.is_empty() {
        return Err("it is empty".into());
    }
    if input.len() == 64 && input.bytes().all(is_lower_hex) {
        return Err("a 64-character hexadecimal string is an image id, not a repository".into());
    }
    let (rest, digest) = match input.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (input, None),
    };
    if let Some(digest) = digest {
        check_digest(digest).map_err(|reason| format!("bad digest: {reason}"))?;
    }
    // A `:` after the last `/` starts the tag; one before it is a port.
    let (name, tag) = match rest.rfind(':') {
        Some(colon) if rest[colon..].find('/').is_none() => {
            (&rest[..colon], Some(&rest[colon + 1..]))
        }
        _ => (rest, None),
    };
    if let Some(tag) = tag {
        check_tag(tag).map_err(|reason| format!("bad tag {tag:?}: {reason}"))?;
    }
    if name.is_empty() {
        return Err("the repository name is empty".into());
    }
    let (registry, path) = split_registry(name);
    let registry = match registry {
        Some(registry) => {
            check_registry(registry)
                .map_err(|reason| format!("bad registry {registry:?}: {reason}"))?;
            if registry == LEGACY_DOCKER_HUB {
                DOCKER_HUB
            } else {
                registry
            }
        }
        None => DOCKER_HUB,
    };
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("the repository name must be lowercase".into());
    }
    check_path(path)?;
    let repository = if registry == DOCKER_HUB && !path.contains('/') {
        format!("{OFFICIAL_NAMESPACE}{path}")
    } else {
        path.to_owned()
    };
    let full = registry.len() + 1 + repository.len();
    if full > NAME_MAX {
        return Err(format!(
            "the full name is {full} characters long, more than the {NAME_MAX} allowed"
        ));
    }
    Ok(Reference {
        registry: registry.to_owned(),
        repository,
        tag: tag.map(str::to_owned),
        digest: digest.map(str::to_owned),
    })
}

/// Split off the registry when the first part names one (see the module docs).
fn split_registry(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

/// `host[:port]`, where host is a DNS name, an IPv4 address or `[IPv6]`.
fn check_registry(registry: &str) -> std::result::Result<(), &'static str> {
    let (host, port) = if let Some(inner) = registry.strip_prefix('[') {
        let (address, after) = inner
            .split_once(']')
            .ok_or("unclosed '[' in an IPv6 address")?;
        if address.is_empty() || !address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err("an IPv6 address has only hex digits and ':'");
        }
        match after {
            "" => (None, None),
            _ => (
                None,
                Some(
                    after
                        .strip_prefix(':')
                        .ok_or("junk after the IPv6 address")?,
                ),
            ),
        }
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(registry), None),
        }
    };
    if let Some(host) = host {
        let label_ok = |label: &str| {
            let bytes = label.as_bytes();
            !bytes.is_empty()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
                && bytes[0] != b'-'
                && bytes[bytes.len() - 1] != b'-'
        };
        if !host.split('.').all(label_ok) {
            return Err("host names are letters, digits and inner '-', in '.'-separated parts");
        }
    }
    if let Some(port) = port {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err("the port must be a number");
        }
    }
    Ok(())
}

/// `/`-separated parts of lowercase letters and digits joined by `.`, `_`,
/// `__` or a run of `-`.
fn check_path(path: &str) -> std::result::Result<(), String> {
    for part in path.split('/') {
        check_path_part(part)
            .map_err(|reason| format!("bad repository path part {part:?}: {reason}"))?;
    }
    Ok(())
}

fn check_path_part(part: &str) -> std::result::Result<(), &'static str> {
    let bytes = part.as_bytes();
    if bytes.is_empty() {
        return Err("it is empty");
    }
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut i = 0;
    loop {
        // One run of letters and digits …
        let start = i;
        while i < bytes.len() && alnum(bytes[i]) {
            i += 1;
        }
        if i == start {
            return Err("it must start and end with a letter or digit, with one separator between");
        }
        if i == bytes.len() {
            return Ok(());
        }
        // … then one separator.
        let start = i;
        while i < bytes.len() && matches!(bytes[i], b'.' | b'_' | b'-') {
            i += 1;
        }
        let separator = &part[start..i];
        let allowed = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if separator.is_empty() {
            return Err("only lowercase letters, digits, '.', '_' and '-' are allowed");
        }
        if !allowed {
            return Err("separators are '.', '_', '__' or a run of '-'");
        }
    }
}

/// Up to 128 of `[A-Za-z0-9_.-]`, not starting with `.` or `-`.
pub(crate) fn check_tag(tag: &str) -> std::result::Result<(), &'static str> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    match tag.as_bytes() {
        [] => Err("it is empty"),
        _ if tag.len() > TAG_MAX => Err("it is longer than 128 characters"),
        [first, ..] if !word(*first) => Err("it must start with a letter, digit or '_'"),
        bytes if !bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-') => {
            Err("only letters, digits, '_', '.' and '-' are allowed")
        }
        _ => Ok(()),
    }
}

/// `algorithm:hex` for the algorithms registries use.
fn check_digest(digest: &str) -> std::result::Result<(), &'static str> {
    let (algorithm, hex) = digest
        .split_once(':')
        .ok_or("expected algorithm:hex, e.g. sha256:…")?;
    let length = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err("the algorithm must be sha256, sha384 or sha512"),
    };
    if hex.len() != length || !hex.bytes().all(is_lower_hex) {
        return Err("the hash must be lowercase hex of the algorithm's length");
    }
    Ok(())
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "sha256:e9b73092a7d2b4ec43aa20371e7656eb202ec481b9934a2dc63c92f9b2419edc";

    /// (input, registry, repository, tag, digest)
    fn ok(input: &str) -> (String, String, Option<String>, Option<String>) {
        let r = Reference::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        (r.registry, r.repository, r.tag, r.digest)
    }

    fn parts(
        registry: &str,
        repository: &str,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> (String, String, Option<String>, Option<String>) {
        (
            registry.into(),
            repository.into(),
            tag.map(Into::into),
            digest.map(Into::into),
        )
    }

    #[test]
    fn docker_hub_names_are_normalised() {
        assert_eq!(
            ok("busybox"),
            parts("docker.io", "library/busybox", None, None)
        );
        assert_eq!(
            ok("busybox:1.36"),
            parts("docker.io", "library/busybox", Some("1.36"), None)
        );
        assert_eq!(
            ok("library/busybox"),
            parts("docker.io", "library/busybox", None, None)
        );
        assert_eq!(
            ok("docker.io/busybox"),
            parts("docker.io", "library/busybox", None, None)
        );
        assert_eq!(
            ok("index.docker.io/busybox"),
            parts("docker.io", "library/busybox", None, None)
        );
        assert_eq!(
            ok("docker.io/team/app"),
            parts("docker.io", "team/app", None, None)
        );
        assert_eq!(
            ok("team/app:v1"),
            parts("docker.io", "team/app", Some("v1"), None)
        );
        assert_eq!(ok("a/b/c/d"), parts("docker.io", "a/b/c/d", None, None));
    }

    #[test]
    fn registries_with_ports_hosts_and_addresses() {
        assert_eq!(ok("localhost/app"), parts("localhost", "app", None, None));
        assert_eq!(
            ok("localhost:5000/app:v1"),
            parts("localhost:5000", "app", Some("v1"), None)
        );
        assert_eq!(
            ok("127.0.0.1:35001/exp/u:v1"),
            parts("127.0.0.1:35001", "exp/u", Some("v1"), None)
        );
        assert_eq!(
            ok("registry.example.com/a/b"),
            parts("registry.example.com", "a/b", None, None)
        );
        assert_eq!(
            ok("my-registry:443/x"),
            parts("my-registry:443", "x", None, None)
        );
        assert_eq!(ok("[::1]:5000/app"), parts("[::1]:5000", "app", None, None));
        assert_eq!(
            ok("[fe80::1]/app:tag"),
            parts("[fe80::1]", "app", Some("tag"), None)
        );
        // A registry does not get the `library/` namespace.
        assert_eq!(
            ok("quay.io/busybox"),
            parts("quay.io", "busybox", None, None)
        );
        // An uppercase first part can only be a registry host.
        assert_eq!(ok("Registry/app"), parts("Registry", "app", None, None));
    }

    #[test]
    fn a_port_alone_is_a_tag() {
        // As in the CLI: without a `/`, `localhost:5000` is image `localhost`, tag `5000`.
        assert_eq!(
            ok("localhost:5000"),
            parts("docker.io", "library/localhost", Some("5000"), None)
        );
    }

    #[test]
    fn digests_with_and_without_tags() {
        assert_eq!(
            ok(&format!("busybox@{SHA}")),
            parts("docker.io", "library/busybox", None, Some(SHA))
        );
        assert_eq!(
            ok(&format!("localhost:5000/app:v1@{SHA}")),
            parts("localhost:5000", "app", Some("v1"), Some(SHA))
        );
        let sha512 = format!("sha512:{}", "ab".repeat(64));
        assert_eq!(
            ok(&format!("a@{sha512}")).3.as_deref(),
            Some(sha512.as_str())
        );
    }

    #[test]
    fn separators_in_path_parts() {
        for good in [
            "a.b", "a_b", "a__b", "a-b", "a---b", "a.b_c-d", "0", "a1/b2.c3",
        ] {
            ok(good);
        }
    }

    #[test]
    fn tags_allow_upper_case_dots_and_dashes() {
        assert_eq!(ok("app:V1.2-rc_3").2.as_deref(), Some("V1.2-rc_3"));
        assert_eq!(ok("app:_x").2.as_deref(), Some("_x"));
        ok(&format!("app:{}", "t".repeat(128)));
    }

    #[test]
    fn malformed_references_are_invalid_arguments() {
        let long_tag = format!("app:{}", "t".repeat(129));
        let long_name = format!("{}/{}", "a".repeat(200), "b".repeat(60));
        let id = "e9b73092a7d2b4ec43aa20371e7656eb202ec481b9934a2dc63c92f9b2419edc";
        let short_digest = "app@sha256:abc".to_owned();
        let upper_digest = format!("app@sha256:{}", "A".repeat(64));
        for bad in [
            "",
            ":tag",
            "@sha256:abc",
            "app:",
            "app@",
            "Busybox",
            "team/App",
            "localhost:5000/App",
            "app:.tag",
            "app:-tag",
            "app:t@g",
            long_tag.as_str(),
            "a//b",
            "/app",
            "app/",
            "-app",
            "app-",
            "a..b",
            "a.-b",
            "a___b",
            "a b",
            "a$b",
            "app:tag:more",
            "localhost:port/app",
            "localhost:/app",
            "my_registry.com/app",
            "-bad.com/app",
            "[::1/app",
            "[zz::1]/app",
            "[::1]x/app",
            "app@md5:0123456789abcdef0123456789abcdef",
            short_digest.as_str(),
            upper_digest.as_str(),
            id,
            long_name.as_str(),
        ] {
            match Reference::parse(bad) {
                Err(Error::InvalidArgument { argument, reason }) => {
                    assert_eq!(argument, "image reference", "{bad}: {reason}")
                }
                other => panic!("{bad:?} should be invalid, got {other:?}"),
            }
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let err = Reference::parse("team/App").unwrap_err().to_string();
        assert!(err.contains("lowercase"), "{err}");
        let err = Reference::parse("app:-x").unwrap_err().to_string();
        assert!(err.contains("bad tag"), "{err}");
        let err = Reference::parse("app@sha1:00").unwrap_err().to_string();
        assert!(err.contains("bad digest"), "{err}");
    }

    #[test]
    fn familiar_and_canonical_forms_round_trip() {
        for (input, familiar, canonical) in [
            ("busybox", "busybox", "docker.io/library/busybox"),
            (
                "docker.io/library/busybox:1",
                "busybox:1",
                "docker.io/library/busybox:1",
            ),
            ("index.docker.io/team/app", "team/app", "docker.io/team/app"),
            ("library/a/b", "library/a/b", "docker.io/library/a/b"),
            (
                "localhost:5000/app:v1",
                "localhost:5000/app:v1",
                "localhost:5000/app:v1",
            ),
        ] {
            let reference = Reference::parse(input).unwrap();
            assert_eq!(reference.to_string(), familiar, "{input}");
            assert_eq!(reference.canonical(), canonical, "{input}");
            assert_eq!(Reference::parse(familiar).unwrap(), reference);
            assert_eq!(Reference::parse(canonical).unwrap(), reference);
        }
    }

    #[test]
    fn what_a_pull_sends_and_inspects() {
        let plain = Reference::parse("busybox").unwrap();
        assert_eq!(plain.pull_tag(), "latest");
        assert_eq!(plain.local_name(), "busybox:latest");
        let tagged = Reference::parse("localhost:5000/app:v1").unwrap();
        assert_eq!(tagged.pull_tag(), "v1");
        assert_eq!(tagged.local_name(), "localhost:5000/app:v1");
        let both = Reference::parse(&format!("app:v1@{SHA}")).unwrap();
        assert_eq!(both.pull_tag(), SHA);
        assert_eq!(both.local_name(), format!("app@{SHA}"));
    }

    #[test]
    fn with_tag_replaces_tag_and_digest() {
        let reference = Reference::parse(&format!("app:v1@{SHA}")).unwrap();
        let retagged = reference.with_tag("v2").unwrap();
        assert_eq!(retagged.to_string(), "app:v2");
        assert!(reference.with_tag("no good").is_err());
    }

    #[test]
    fn debug_shows_the_canonical_form() {
        let reference = Reference::parse("busybox:1").unwrap();
        assert_eq!(
            format!("{reference:?}"),
            r#"Reference("docker.io/library/busybox:1")"#
        );
    }
}
