//! `mounts`: the structured alternative to `volumes` (docker-py's
//! `docker.types.Mount`).

use std::fmt::{self, Display};
use std::str::FromStr;

use super::request::Draft;
use super::{invalid, parsed, ByteSize, ContainerOptions, KeyValues};
use crate::models::{
    Mount as RawMount, MountBindOptions, MountImageOptions, MountTmpfsOptions, MountType,
    MountVolumeOptions, MountVolumeOptionsDriverConfig,
};
use crate::{ApiVersion, Error, Result};

/// How mounts below a bind mount propagate between host and container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Propagation {
    /// `private`: no propagation.
    Private,
    /// `rprivate`: no propagation, recursively (the default).
    RPrivate,
    /// `shared`: both ways.
    Shared,
    /// `rshared`: both ways, recursively.
    RShared,
    /// `slave`: from the host into the container.
    Slave,
    /// `rslave`: from the host into the container, recursively.
    RSlave,
}

impl Propagation {
    /// The name the API uses, e.g. `rshared`.
    pub fn as_str(self) -> &'static str {
        match self {
            Propagation::Private => "private",
            Propagation::RPrivate => "rprivate",
            Propagation::Shared => "shared",
            Propagation::RShared => "rshared",
            Propagation::Slave => "slave",
            Propagation::RSlave => "rslave",
        }
    }
}

impl Display for Propagation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Propagation {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        [
            Propagation::Private,
            Propagation::RPrivate,
            Propagation::Shared,
            Propagation::RShared,
            Propagation::Slave,
            Propagation::RSlave,
        ]
        .into_iter()
        .find(|p| p.as_str() == text)
        .ok_or_else(|| {
            Error::invalid(
                "propagation",
                format!("{text:?}: expected [r]private, [r]shared or [r]slave"),
            )
        })
    }
}

/// The kinds of mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Bind,
    Volume,
    Tmpfs,
    Npipe,
    Image,
}

/// One mount (`docker run --mount`): a bind mount, a volume, a tmpfs, a
/// named pipe or an image.
///
/// Options that do not belong to the mount's kind (a propagation on a
/// volume, a size on a bind mount, …) are reported when the container is
/// created, as are options newer than the daemon's API.
///
/// ```
/// use dockhand::options::{ContainerOptions, Mount, Propagation};
///
/// let options = ContainerOptions::new().mounts([
///     Mount::bind("/srv/config", "/etc/app").read_only(true),
///     Mount::volume("app-data", "/var/lib/app").no_copy(true),
///     Mount::tmpfs("/run").tmpfs_size("64m").tmpfs_mode(0o1777),
///     Mount::from("/var/log:/logs:ro"),
/// ]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    kind: Kind,
    source: Option<String>,
    target: String,
    malformed: Option<String>,
    read_only: Option<bool>,
    consistency: Option<String>,
    // bind
    propagation: Option<Propagation>,
    non_recursive: Option<bool>,
    create_mountpoint: Option<bool>,
    read_only_non_recursive: Option<bool>,
    read_only_force_recursive: Option<bool>,
    // volume
    no_copy: Option<bool>,
    labels: Option<KeyValues>,
    driver: Option<(String, Option<KeyValues>)>,
    // volume and image
    subpath: Option<String>,
    // tmpfs
    tmpfs_size: Option<ByteSize>,
    tmpfs_mode: Option<u32>,
    tmpfs_options: Option<KeyValues>,
}

impl Mount {
    fn new(kind: Kind, source: Option<String>, target: String) -> Self {
        Mount {
            kind,
            source,
            target,
            malformed: None,
            read_only: None,
            consistency: None,
            propagation: None,
            non_recursive: None,
            create_mountpoint: None,
            read_only_non_recursive: None,
            read_only_force_recursive: None,
            no_copy: None,
            labels: None,
            driver: None,
            subpath: None,
            tmpfs_size: None,
            tmpfs_mode: None,
            tmpfs_options: None,
        }
    }

    /// Bind-mount the host path `source` at `target`.
    pub fn bind(source: impl Into<String>, target: impl Into<String>) -> Self {
        Mount::new(Kind::Bind, Some(source.into()), target.into())
    }

    /// Mount the volume named `source` at `target` (an empty name makes an
    /// anonymous volume).
    pub fn volume(source: impl Into<String>, target: impl Into<String>) -> Self {
        Mount::new(Kind::Volume, Some(source.into()), target.into())
    }

    /// A tmpfs at `target`.
    pub fn tmpfs(target: impl Into<String>) -> Self {
        Mount::new(Kind::Tmpfs, None, target.into())
    }

    /// Mount the named pipe `source` at `target` (Windows).
    pub fn npipe(source: impl Into<String>, target: impl Into<String>) -> Self {
        Mount::new(Kind::Npipe, Some(source.into()), target.into())
    }

    /// Mount the filesystem of the image `source` at `target` (API 1.48).
    pub fn image(source: impl Into<String>, target: impl Into<String>) -> Self {
        Mount::new(Kind::Image, Some(source.into()), target.into())
    }

    /// Mount read-only.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = Some(read_only);
        self
    }

    /// The consistency requirement: `default`, `consistent`, `cached` or
    /// `delegated` (Docker Desktop).
    pub fn consistency(mut self, consistency: impl Into<String>) -> Self {
        self.consistency = Some(consistency.into());
        self
    }

    /// Bind mounts: how mounts below the path propagate.
    pub fn propagation(mut self, propagation: Propagation) -> Self {
        self.propagation = Some(propagation);
        self
    }

    /// Bind mounts: do not bind the submounts of the source.
    pub fn non_recursive(mut self, non_recursive: bool) -> Self {
        self.non_recursive = Some(non_recursive);
        self
    }

    /// Bind mounts: create the source path on the host if it is missing
    /// (API 1.42).
    pub fn create_mountpoint(mut self, create: bool) -> Self {
        self.create_mountpoint = Some(create);
        self
    }

    /// Bind mounts: make only the top of a read-only mount read-only
    /// (API 1.44).
    pub fn read_only_non_recursive(mut self, non_recursive: bool) -> Self {
        self.read_only_non_recursive = Some(non_recursive);
        self
    }

    /// Bind mounts: fail unless the mount can be read-only recursively
    /// (API 1.44).
    pub fn read_only_force_recursive(mut self, force: bool) -> Self {
        self.read_only_force_recursive = Some(force);
        self
    }

    /// Volumes: do not copy the image's files at the target into a new
    /// volume.
    pub fn no_copy(mut self, no_copy: bool) -> Self {
        self.no_copy = Some(no_copy);
        self
    }

    /// Volumes: labels for a volume the mount creates.
    pub fn labels(mut self, labels: impl Into<KeyValues>) -> Self {
        self.labels = Some(labels.into());
        self
    }

    /// Volumes: the driver that creates the volume, and its options.
    pub fn driver_config(mut self, name: impl Into<String>, options: impl Into<KeyValues>) -> Self {
        self.driver = Some((name.into(), Some(options.into())));
        self
    }

    /// Volumes and images: mount this path inside the volume (API 1.45)
    /// or image (API 1.48) instead of its root.
    pub fn subpath(mut self, path: impl Into<String>) -> Self {
        self.subpath = Some(path.into());
        self
    }

    /// Tmpfs: its size (`"64m"` or bytes).
    pub fn tmpfs_size(mut self, size: impl Into<ByteSize>) -> Self {
        self.tmpfs_size = Some(size.into());
        self
    }

    /// Tmpfs: its permission bits (`0o1777`).
    pub fn tmpfs_mode(mut self, mode: u32) -> Self {
        self.tmpfs_mode = Some(mode);
        self
    }

    /// Tmpfs: further mount options, as flags or `key=value` (`"noexec"`,
    /// `("nr_inodes", "1k")`) (API 1.46).
    pub fn tmpfs_options(mut self, options: impl Into<KeyValues>) -> Self {
        self.tmpfs_options = Some(options.into());
        self
    }

    /// The options set that do not belong to this kind of mount.
    fn foreign_options(&self) -> Vec<&'static str> {
        let bind = [
            ("propagation", self.propagation.is_some()),
            ("non_recursive", self.non_recursive.is_some()),
            ("create_mountpoint", self.create_mountpoint.is_some()),
            (
                "read_only_non_recursive",
                self.read_only_non_recursive.is_some(),
            ),
            (
                "read_only_force_recursive",
                self.read_only_force_recursive.is_some(),
            ),
        ];
        let volume = [
            ("no_copy", self.no_copy.is_some()),
            ("labels", self.labels.is_some()),
            ("driver_config", self.driver.is_some()),
        ];
        let tmpfs = [
            ("tmpfs_size", self.tmpfs_size.is_some()),
            ("tmpfs_mode", self.tmpfs_mode.is_some()),
            ("tmpfs_options", self.tmpfs_options.is_some()),
        ];
        let subpath = [("subpath", self.subpath.is_some())];
        let mut foreign = Vec::new();
        let mut reject = |group: &[(&'static str, bool)], allowed: bool| {
            if !allowed {
                foreign.extend(group.iter().filter(|(_, set)| *set).map(|(name, _)| *name));
            }
        };
        reject(&bind, self.kind == Kind::Bind);
        reject(&volume, self.kind == Kind::Volume);
        reject(&tmpfs, self.kind == Kind::Tmpfs);
        reject(&subpath, matches!(self.kind, Kind::Volume | Kind::Image));
        foreign
    }

    fn to_model(&self, keyword: &str, draft: &Draft) -> Result<RawMount> {
        self.check(keyword)?;
        self.require_versions(keyword, draft)?;
        let (type_, bind_options, volume_options, tmpfs_options, image_options) = match self.kind {
            Kind::Bind => ("bind", self.bind_options(), None, None, None),
            Kind::Volume => ("volume", None, self.volume_options(keyword)?, None, None),
            Kind::Tmpfs => ("tmpfs", None, None, self.tmpfs_model(keyword)?, None),
            Kind::Npipe => ("npipe", None, None, None, None),
            Kind::Image => (
                "image",
                None,
                None,
                None,
                self.subpath.clone().map(|subpath| MountImageOptions {
                    subpath: Some(subpath),
                }),
            ),
        };
        Ok(RawMount {
            type_: Some(MountType(type_.to_owned())),
            source: self.source.clone(),
            target: Some(self.target.clone()),
            read_only: self.read_only,
            consistency: self.consistency.clone(),
            bind_options,
            volume_options,
            tmpfs_options,
            image_options,
        })
    }

    /// Refuse a malformed spec, options of another kind of mount, a
    /// relative target, a missing source and an unknown consistency.
    fn check(&self, keyword: &str) -> Result<()> {
        if let Some(reason) = &self.malformed {
            return Err(invalid(keyword, reason));
        }
        let foreign = self.foreign_options();
        if !foreign.is_empty() {
            return Err(invalid(
                keyword,
                format!(
                    "{} cannot be used with a {:?} mount",
                    foreign.join(", "),
                    self.kind
                ),
            ));
        }
        let absolute = self.target.starts_with('/') || self.kind == Kind::Npipe;
        if !absolute {
            return Err(invalid(
                keyword,
                format!("target {:?} is not an absolute path", self.target),
            ));
        }
        let needs_source = matches!(self.kind, Kind::Bind | Kind::Npipe | Kind::Image);
        if needs_source && self.source.as_deref().is_none_or(|s| s.trim().is_empty()) {
            return Err(invalid(
                keyword,
                format!("a {:?} mount needs a source", self.kind),
            ));
        }
        if let Some(consistency) = &self.consistency {
            if !["default", "consistent", "cached", "delegated"].contains(&consistency.as_str()) {
                return Err(invalid(
                    keyword,
                    format!("consistency {consistency:?}: expected default, consistent, cached or delegated"),
                ));
            }
        }
        Ok(())
    }

    /// Refuse the options the daemon's API version does not have.
    fn require_versions(&self, keyword: &str, draft: &Draft) -> Result<()> {
        let versioned = [
            (
                "create_mountpoint",
                self.create_mountpoint.is_some(),
                (1, 42),
            ),
            (
                "read_only_non_recursive",
                self.read_only_non_recursive.is_some(),
                (1, 44),
            ),
            (
                "read_only_force_recursive",
                self.read_only_force_recursive.is_some(),
                (1, 44),
            ),
            (
                "subpath",
                self.subpath.is_some() && self.kind == Kind::Volume,
                (1, 45),
            ),
            ("tmpfs_options", self.tmpfs_options.is_some(), (1, 46)),
            ("image mounts", self.kind == Kind::Image, (1, 48)),
        ];
        for (option, set, (major, minor)) in versioned {
            if set {
                draft.require(
                    &format!("{keyword} {option}"),
                    ApiVersion::new(major, minor),
                )?;
            }
        }
        Ok(())
    }

    fn bind_options(&self) -> Option<MountBindOptions> {
        let options = MountBindOptions {
            propagation: self.propagation.map(|p| p.as_str().to_owned()),
            non_recursive: self.non_recursive,
            create_mountpoint: self.create_mountpoint,
            read_only_non_recursive: self.read_only_non_recursive,
            read_only_force_recursive: self.read_only_force_recursive,
        };
        let any = options.propagation.is_some()
            || options.non_recursive.is_some()
            || options.create_mountpoint.is_some()
            || options.read_only_non_recursive.is_some()
            || options.read_only_force_recursive.is_some();
        any.then_some(options)
    }

    fn volume_options(&self, keyword: &str) -> Result<Option<MountVolumeOptions>> {
        if self.no_copy.is_none()
            && self.labels.is_none()
            && self.driver.is_none()
            && self.subpath.is_none()
        {
            return Ok(None);
        }
        let labels = match &self.labels {
            Some(labels) => Some(labels.to_map(&format!("{keyword} labels"), '=', Some(""))?),
            None => None,
        };
        let driver_config = match &self.driver {
            Some((name, options)) => Some(MountVolumeOptionsDriverConfig {
                name: Some(name.clone()),
                options: match options {
                    Some(options) => Some(
                        options
                            .to_map(&format!("{keyword} driver_config"), '=', None)?
                            .into_iter()
                            .collect(),
                    ),
                    None => None,
                },
            }),
            None => None,
        };
        Ok(Some(MountVolumeOptions {
            no_copy: self.no_copy,
            labels: labels.map(|labels| labels.into_iter().collect()),
            driver_config,
            subpath: self.subpath.clone(),
        }))
    }

    fn tmpfs_model(&self, keyword: &str) -> Result<Option<MountTmpfsOptions>> {
        if self.tmpfs_size.is_none() && self.tmpfs_mode.is_none() && self.tmpfs_options.is_none() {
            return Ok(None);
        }
        let size = match &self.tmpfs_size {
            Some(size) => {
                let bytes = parsed(&format!("{keyword} tmpfs_size"), size.parsed())?;
                if bytes < 0 {
                    return Err(invalid(keyword, format!("tmpfs_size {bytes} is negative")));
                }
                Some(bytes)
            }
            None => None,
        };
        let options = match &self.tmpfs_options {
            Some(options) => Some(
                options
                    .to_pairs(&format!("{keyword} tmpfs_options"), '=')?
                    .into_iter()
                    .map(|(key, value)| std::iter::once(key).chain(value).collect())
                    .collect(),
            ),
            None => None,
        };
        Ok(Some(MountTmpfsOptions {
            size_bytes: size,
            mode: self.tmpfs_mode.map(i64::from),
            options,
        }))
    }
}

/// docker-py's mount string: `target` (an anonymous volume) or
/// `source:target[:ro|rw]` — a bind mount when the source is an absolute
/// path, else a named volume.
impl From<&str> for Mount {
    fn from(spec: &str) -> Self {
        let by_source = |source: &str, target: &str| {
            if source.starts_with('/') {
                Mount::bind(source, target)
            } else {
                Mount::volume(source, target)
            }
        };
        match spec.split(':').collect::<Vec<_>>()[..] {
            [target] => Mount::volume("", target),
            [source, target] | [source, target, "rw"] => by_source(source, target).read_only(false),
            [source, target, "ro"] => by_source(source, target).read_only(true),
            _ => Mount {
                malformed: Some(format!("{spec:?} is not [source:]target[:ro|rw]")),
                ..Mount::volume("", spec)
            },
        }
    }
}

impl From<String> for Mount {
    fn from(spec: String) -> Self {
        Mount::from(spec.as_str())
    }
}

/// # Mounts
///
/// `docker run --mount`: binds, volumes, tmpfs and images as typed
/// [`Mount`]s, with every option the API has.
///
/// ```
/// use dockhand::options::{ContainerOptions, Mount};
/// // docker run --mount type=bind,src=/srv/www,dst=/www,readonly
/// let options = ContainerOptions::new()
///     .mounts([Mount::bind("/srv/www", "/www").read_only(true)]);
/// ```
impl ContainerOptions {
    /// Mounts, the structured alternative to `volumes`: [`Mount`]s, or
    /// mount strings (`"/host:/container:ro"`).
    pub fn mounts<I>(mut self, mounts: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Mount>,
    {
        self.mounts.mounts = Some(mounts.into_iter().map(Into::into).collect());
        self
    }
}

/// The mounts as typed.
#[derive(Clone, Debug, Default)]
pub(super) struct MountOptions {
    mounts: Option<Vec<Mount>>,
}

impl MountOptions {
    /// Check these settings and write them into the request.
    pub(super) fn apply(&self, draft: &mut Draft) -> Result<()> {
        let Some(mounts) = &self.mounts else {
            return Ok(());
        };
        let models = mounts
            .iter()
            .enumerate()
            .map(|(index, mount)| mount.to_model(&format!("mounts[{index}]"), draft))
            .collect::<Result<Vec<_>>>()?;
        draft.host.mounts = Some(models);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::request::tests::{error, host, LATEST};
    use super::*;

    fn kind(mount: &RawMount) -> &str {
        mount.type_.as_ref().map_or("", |t| t.0.as_str())
    }

    fn mounts(mounts: impl IntoIterator<Item = Mount>) -> Vec<RawMount> {
        host(ContainerOptions::new().mounts(mounts)).mounts.unwrap()
    }

    #[test]
    fn each_kind_fills_its_options() {
        let raw = mounts([
            Mount::bind("/srv", "/data")
                .read_only(true)
                .propagation(Propagation::RShared)
                .non_recursive(true),
            Mount::volume("vol", "/vol")
                .no_copy(true)
                .labels([("a", "1")])
                .driver_config("local", [("type", "tmpfs")]),
            Mount::tmpfs("/run").tmpfs_size("1m").tmpfs_mode(0o700),
            Mount::volume("", "/anon"),
        ]);
        assert_eq!(kind(&raw[0]), "bind");
        assert_eq!(raw[0].source.as_deref(), Some("/srv"));
        assert_eq!(raw[0].target.as_deref(), Some("/data"));
        assert_eq!(raw[0].read_only, Some(true));
        let bind = raw[0].bind_options.as_ref().unwrap();
        assert_eq!(bind.propagation.as_deref(), Some("rshared"));
        assert_eq!(bind.non_recursive, Some(true));
        let volume = raw[1].volume_options.as_ref().unwrap();
        assert_eq!(volume.no_copy, Some(true));
        assert_eq!(volume.labels.as_ref().unwrap()["a"], "1");
        let driver = volume.driver_config.as_ref().unwrap();
        assert_eq!(driver.name.as_deref(), Some("local"));
        assert_eq!(driver.options.as_ref().unwrap()["type"], "tmpfs");
        let tmpfs = raw[2].tmpfs_options.as_ref().unwrap();
        assert_eq!(tmpfs.size_bytes, Some(1_048_576));
        assert_eq!(tmpfs.mode, Some(0o700));
        assert_eq!(raw[2].source, None);
        assert!(raw[3].volume_options.is_none());
    }

    #[test]
    fn mount_strings_like_docker_py() {
        let raw = mounts([
            Mount::from("/host:/c:ro"),
            Mount::from("name:/v"),
            Mount::from("/anon"),
        ]);
        assert_eq!((kind(&raw[0]), raw[0].read_only), ("bind", Some(true)));
        assert_eq!((kind(&raw[1]), raw[1].read_only), ("volume", Some(false)));
        assert_eq!(raw[2].source.as_deref(), Some(""));
        for bad in ["/a:/b:rx", "/a:/b:ro:x"] {
            error(ContainerOptions::new().mounts([bad]), "mounts[0]");
        }
    }

    #[test]
    fn options_of_another_kind_are_rejected() {
        for (mount, option) in [
            (
                Mount::volume("v", "/v").propagation(Propagation::Shared),
                "propagation",
            ),
            (Mount::bind("/a", "/b").tmpfs_size(1), "tmpfs_size"),
            (Mount::tmpfs("/t").no_copy(true), "no_copy"),
            (Mount::bind("/a", "/b").subpath("x"), "subpath"),
            (Mount::tmpfs("/t").labels(["a"]), "labels"),
        ] {
            let message = error(ContainerOptions::new().mounts([mount]), "mounts[0]");
            assert!(message.contains(option), "{message}");
        }
        error(
            ContainerOptions::new().mounts([Mount::bind("", "/b")]),
            "needs a source",
        );
        error(
            ContainerOptions::new().mounts([Mount::tmpfs("rel")]),
            "absolute",
        );
        error(
            ContainerOptions::new().mounts([Mount::tmpfs("/t").tmpfs_size("1x")]),
            "tmpfs_size",
        );
        error(
            ContainerOptions::new().mounts([Mount::bind("/a", "/b").consistency("eventually")]),
            "consistency",
        );
    }

    #[test]
    fn newer_options_need_newer_apis() {
        for (mount, version) in [
            (Mount::bind("/a", "/b").create_mountpoint(true), "1.42"),
            (
                Mount::bind("/a", "/b").read_only_non_recursive(true),
                "1.44",
            ),
            (
                Mount::bind("/a", "/b").read_only_force_recursive(true),
                "1.44",
            ),
            (Mount::volume("v", "/b").subpath("x"), "1.45"),
            (Mount::tmpfs("/t").tmpfs_options(["noexec"]), "1.46"),
            (Mount::image("busybox", "/img"), "1.48"),
        ] {
            let message = error(ContainerOptions::new().mounts([mount.clone()]), "mounts[0]");
            assert!(
                message.contains(&format!("requires API {version}")),
                "{message}"
            );
            let raw = ContainerOptions::new()
                .mounts([mount])
                .to_request("busybox", LATEST)
                .unwrap();
            assert!(raw.body.host_config.unwrap().mounts.is_some());
        }
    }

    #[test]
    fn tmpfs_options_and_image_subpaths() {
        let raw = ContainerOptions::new()
            .mounts([
                Mount::tmpfs("/t").tmpfs_options(vec![("noexec", None), ("nr_inodes", Some("1k"))]),
                Mount::image("busybox", "/img").subpath("bin"),
            ])
            .to_request("busybox", LATEST)
            .unwrap()
            .body
            .host_config
            .unwrap()
            .mounts
            .unwrap();
        let options = raw[0]
            .tmpfs_options
            .as_ref()
            .unwrap()
            .options
            .clone()
            .unwrap();
        assert_eq!(
            options,
            vec![
                vec!["noexec".to_owned()],
                vec!["nr_inodes".into(), "1k".into()]
            ]
        );
        assert_eq!(kind(&raw[1]), "image");
        assert_eq!(
            raw[1].image_options.as_ref().unwrap().subpath.as_deref(),
            Some("bin")
        );
    }

    #[test]
    fn propagation_parses() {
        assert_eq!(
            "rslave".parse::<Propagation>().unwrap(),
            Propagation::RSlave
        );
        assert!("slaves".parse::<Propagation>().is_err());
    }
}
