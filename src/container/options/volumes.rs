//! `volumes` (bind strings and maps), `volume_driver`, `volumes_from`
//! and `tmpfs`.

use std::collections::{BTreeMap, HashMap};

use super::request::{empty_object, Draft};
use super::{invalid, strings, ContainerOptions, KeyValues, Propagation};
use crate::Result;

/// How one host path or named volume is mounted, as the value of a
/// [`volumes`](ContainerOptions::volumes) map (docker-py's
/// `{"bind": …, "mode": …}`).
///
/// ```
/// use std::collections::HashMap;
/// use dockhand::options::{ContainerOptions, Propagation, VolumeBind};
///
/// let options = ContainerOptions::new().volumes(HashMap::from([
///     ("/srv/data", VolumeBind::new("/data").read_only(true)),
///     ("/srv/logs", VolumeBind::new("/logs").propagation(Propagation::RShared)),
///     ("cache", VolumeBind::new("/cache")),
/// ]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeBind {
    target: String,
    mode: Option<String>,
    read_only: Option<bool>,
    propagation: Option<Propagation>,
}

impl VolumeBind {
    /// Mount at `target` inside the container, read-write.
    pub fn new(target: impl Into<String>) -> Self {
        VolumeBind {
            target: target.into(),
            mode: None,
            read_only: None,
            propagation: None,
        }
    }

    /// The mode as the API takes it: `rw`, `ro`, optionally with SELinux
    /// (`z`, `Z`), `nocopy` or propagation flags, comma-separated
    /// (`"ro,z"`). Not with [`read_only`](Self::read_only).
    pub fn mode(mut self, mode: impl Into<String>) -> Self {
        self.mode = Some(mode.into());
        self
    }

    /// Mount read-only (`true`) or read-write. Not with
    /// [`mode`](Self::mode).
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = Some(read_only);
        self
    }

    /// How mounts below the path propagate (bind mounts on Linux).
    pub fn propagation(mut self, propagation: Propagation) -> Self {
        self.propagation = Some(propagation);
        self
    }

    /// The bind string `source:target:mode`.
    fn to_bind(&self, source: &str) -> Result<String> {
        let mode = match (&self.mode, self.read_only) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "volumes",
                    format!("{source:?}: ro and mode cannot be used together"),
                ))
            }
            (Some(mode), None) => mode.clone(),
            (None, Some(true)) => "ro".to_owned(),
            (None, Some(false) | None) => "rw".to_owned(),
        };
        let mode = match self.propagation {
            Some(propagation) => format!("{mode},{propagation}"),
            None => mode,
        };
        let bind = format!("{source}:{}:{mode}", self.target);
        check_bind(&bind)?;
        Ok(bind)
    }
}

/// A bare string is the target path, mounted read-write.
impl From<&str> for VolumeBind {
    fn from(target: &str) -> Self {
        VolumeBind::new(target)
    }
}

/// A bare string is the target path, mounted read-write.
impl From<String> for VolumeBind {
    fn from(target: String) -> Self {
        VolumeBind::new(target)
    }
}

/// Volumes to mount: a list of bind strings (`"/host:/container:ro"`,
/// `"name:/container"`, `"/container"` for an anonymous volume) or a map of
/// host path or volume name → [`VolumeBind`] (or just the target path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volumes(Vec<Entry>);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    Bind(String),
    Map(String, VolumeBind),
}

impl Volumes {
    fn from_map<K: Into<String>, V: Into<VolumeBind>>(pairs: impl Iterator<Item = (K, V)>) -> Self {
        let mut entries: Vec<(String, VolumeBind)> =
            pairs.map(|(k, v)| (k.into(), v.into())).collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Volumes(entries.into_iter().map(|(k, v)| Entry::Map(k, v)).collect())
    }
}

impl<T: Into<String>> From<Vec<T>> for Volumes {
    fn from(binds: Vec<T>) -> Self {
        Volumes(binds.into_iter().map(|b| Entry::Bind(b.into())).collect())
    }
}

impl<T: Into<String>, const N: usize> From<[T; N]> for Volumes {
    fn from(binds: [T; N]) -> Self {
        Volumes::from(Vec::from(binds))
    }
}

impl<T: Into<String> + Clone> From<&[T]> for Volumes {
    fn from(binds: &[T]) -> Self {
        Volumes::from(binds.to_vec())
    }
}

impl<K: Into<String>, V: Into<VolumeBind>, S> From<HashMap<K, V, S>> for Volumes {
    fn from(map: HashMap<K, V, S>) -> Self {
        Volumes::from_map(map.into_iter())
    }
}

impl<K: Into<String>, V: Into<VolumeBind>> From<BTreeMap<K, V>> for Volumes {
    fn from(map: BTreeMap<K, V>) -> Self {
        Volumes::from_map(map.into_iter())
    }
}

/// The mode flags a bind may carry, by group; at most one of each group.
const MODE_GROUPS: &[&[&str]] = &[
    &["rw", "ro"],
    &["z", "Z"],
    &["nocopy"],
    &["consistent", "cached", "delegated"],
    &[
        "shared", "rshared", "slave", "rslave", "private", "rprivate",
    ],
];

/// Check a Linux bind string, `[source:]target[:mode]`, and return the
/// target.
fn check_bind(bind: &str) -> Result<&str> {
    let fail = |reason: &str| Err(invalid("volumes", format!("{bind:?}: {reason}")));
    let parts: Vec<&str> = bind.split(':').collect();
    let (source, target, mode) = match parts[..] {
        [target] => (None, target, None),
        [source, target] => (Some(source), target, None),
        [source, target, mode] => (Some(source), target, Some(mode)),
        _ => return fail("expected [source:]target[:mode]"),
    };
    if source.is_some_and(|source| source.trim().is_empty()) {
        return fail("the source is empty");
    }
    if !target.starts_with('/') {
        return fail("the container path must be absolute");
    }
    if let Some(mode) = mode {
        let mut seen = [false; MODE_GROUPS.len()];
        for flag in mode.split(',') {
            let Some(group) = MODE_GROUPS.iter().position(|group| group.contains(&flag)) else {
                return fail(&format!("unknown mode flag {flag:?}"));
            };
            if std::mem::replace(&mut seen[group], true) {
                return fail(&format!("conflicting mode flags in {mode:?}"));
            }
        }
    }
    Ok(target)
}

/// # Volumes
///
/// `docker run -v` binds and volumes, the volume driver, volumes of other
/// containers, tmpfs mounts.
///
/// ```
/// use dockhand::ContainerOptions;
/// // docker run -v /srv/data:/data:ro -v cache:/cache --tmpfs /run
/// let options = ContainerOptions::new()
///     .volumes(["/srv/data:/data:ro", "cache:/cache"])
///     .tmpfs([("/run", "")]);
/// ```
impl ContainerOptions {
    /// Volumes and bind mounts: a list of `"source:target[:mode]"` strings
    /// (`"/srv/www:/usr/share/nginx/html:ro"`, `"data:/var/lib/db"`,
    /// `"/scratch"` for an anonymous volume), or a map of host path or
    /// volume name → [`VolumeBind`] or target path.
    pub fn volumes(mut self, volumes: impl Into<Volumes>) -> Self {
        self.volumes.volumes = Some(volumes.into());
        self
    }

    /// The volume driver for the container's volumes.
    pub fn volume_driver(mut self, driver: impl Into<String>) -> Self {
        self.volumes.volume_driver = Some(driver.into());
        self
    }

    /// Mount the volumes of these containers (`"name"`, or `"name:ro"`).
    pub fn volumes_from<I>(mut self, containers: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.volumes.volumes_from = Some(strings(containers));
        self
    }

    /// Temporary filesystems: a map of container path → mount options
    /// (`{"/run": "size=64m,uid=1000"}`, `""` for none), or a list of
    /// `"path[:options]"` strings.
    pub fn tmpfs(mut self, mounts: impl Into<KeyValues>) -> Self {
        self.volumes.tmpfs = Some(mounts.into());
        self
    }
}

/// The volumes and tmpfs mounts as typed.
#[derive(Clone, Debug, Default)]
pub(super) struct VolumeOptions {
    volumes: Option<Volumes>,
    volume_driver: Option<String>,
    volumes_from: Option<Vec<String>>,
    tmpfs: Option<KeyValues>,
}

impl VolumeOptions {
    /// Check these settings and write them into the request.
    pub(super) fn apply(&self, draft: &mut Draft) -> Result<()> {
        if let Some(Volumes(entries)) = &self.volumes {
            let mut binds = Vec::with_capacity(entries.len());
            let mut targets = BTreeMap::new();
            for entry in entries {
                let bind = match entry {
                    Entry::Bind(bind) => bind.clone(),
                    Entry::Map(source, spec) => spec.to_bind(source)?,
                };
                let target = check_bind(&bind)?.to_owned();
                // An anonymous volume (a bare target) is a container volume
                // only, as `docker run -v /data` sends it: among the binds,
                // dockerd 28 leaves the volume's name out of inspect and
                // `volumes_from` that container fails.
                if target != bind {
                    binds.push(bind);
                }
                targets.insert(target, empty_object());
            }
            draft.host.binds = (!binds.is_empty()).then_some(binds);
            // As docker-py: the targets are the container's volumes too.
            draft.body.volumes = Some(targets.into_iter().collect());
        }
        draft.host.volume_driver = self.volume_driver.clone();
        draft.host.volumes_from = self.volumes_from.clone();
        if let Some(tmpfs) = &self.tmpfs {
            let mounts = tmpfs.to_map("tmpfs", ':', Some(""))?;
            if let Some(path) = mounts.keys().find(|path| !path.starts_with('/')) {
                return Err(invalid(
                    "tmpfs",
                    format!("{path:?} is not an absolute path"),
                ));
            }
            draft.host.tmpfs = Some(mounts.into_iter().collect());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::request::tests::{error, request};
    use super::*;

    fn volume_binds(volumes: impl Into<Volumes>) -> (Vec<String>, Vec<String>) {
        let body = request(ContainerOptions::new().volumes(volumes)).body;
        let mut targets: Vec<String> = body.volumes.unwrap().into_keys().collect();
        targets.sort();
        (body.host_config.unwrap().binds.unwrap(), targets)
    }

    #[test]
    fn bind_strings_pass_through() {
        let (binds, targets) =
            volume_binds(["/srv:/data:ro", "cache:/cache", "/scratch", "/a:/b:rw,z"]);
        assert_eq!(binds, ["/srv:/data:ro", "cache:/cache", "/a:/b:rw,z"]);
        assert_eq!(targets, ["/b", "/cache", "/data", "/scratch"]);
    }

    #[test]
    fn anonymous_volumes_are_container_volumes_only() {
        let body = request(ContainerOptions::new().volumes(["/data", "/cache"])).body;
        let mut targets: Vec<String> = body.volumes.unwrap().into_keys().collect();
        targets.sort();
        assert_eq!(targets, ["/cache", "/data"]);
        assert_eq!(body.host_config.unwrap_or_default().binds, None);
    }

    #[test]
    fn maps_become_bind_strings() {
        let (binds, targets) = volume_binds(HashMap::from([
            ("/home/user1/", VolumeBind::new("/mnt/vol2").mode("rw")),
            ("/var/www", VolumeBind::new("/mnt/vol1").mode("ro")),
            ("data", VolumeBind::new("/data").read_only(true)),
            ("logs", VolumeBind::new("/logs").read_only(false)),
            ("/tmp", "/host-tmp".into()),
        ]));
        assert_eq!(
            binds,
            [
                "/home/user1/:/mnt/vol2:rw",
                "/tmp:/host-tmp:rw",
                "/var/www:/mnt/vol1:ro",
                "data:/data:ro",
                "logs:/logs:rw",
            ]
        );
        assert_eq!(targets.len(), 5);
        let (binds, _) = volume_binds(BTreeMap::from([(
            "/srv",
            VolumeBind::new("/srv")
                .read_only(true)
                .propagation(Propagation::RSlave),
        )]));
        assert_eq!(binds, ["/srv:/srv:ro,rslave"]);
        let (binds, _) = volume_binds(HashMap::from([("/srv", "/srv")]));
        assert_eq!(binds, ["/srv:/srv:rw"]);
    }

    #[test]
    fn invalid_volumes_name_the_keyword() {
        for bad in [
            "",
            "relative",
            "/a:relative",
            ":/b",
            "/a:/b:rx",
            "/a:/b:ro,rw",
            "a:b:c:d",
        ] {
            let message = error(ContainerOptions::new().volumes([bad]), "volumes");
            assert!(message.contains(&format!("{bad:?}")), "{message}");
        }
        let message = error(
            ContainerOptions::new().volumes(HashMap::from([(
                "/a",
                VolumeBind::new("/b").mode("rw").read_only(true),
            )])),
            "volumes",
        );
        assert!(message.contains("ro and mode"), "{message}");
    }

    #[test]
    fn driver_volumes_from_and_tmpfs() {
        let host = request(
            ContainerOptions::new()
                .volume_driver("local")
                .volumes_from(["db:ro"])
                .tmpfs(HashMap::from([("/run", "size=64m"), ("/tmp", "")])),
        )
        .body
        .host_config
        .unwrap();
        assert_eq!(host.volume_driver.as_deref(), Some("local"));
        assert_eq!(host.volumes_from.unwrap(), ["db:ro"]);
        let tmpfs = host.tmpfs.unwrap();
        assert_eq!(tmpfs["/run"], "size=64m");
        assert_eq!(tmpfs["/tmp"], "");
        let host = request(ContainerOptions::new().tmpfs(["/run:size=1m,uid=1000", "/tmp"]))
            .body
            .host_config
            .unwrap();
        let tmpfs = host.tmpfs.unwrap();
        assert_eq!(tmpfs["/run"], "size=1m,uid=1000");
        assert_eq!(tmpfs["/tmp"], "");
        error(ContainerOptions::new().tmpfs(["run"]), "tmpfs");
    }
}
