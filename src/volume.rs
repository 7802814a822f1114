//! The volume collection (`docker volume …`): creating, looking up,
//! listing, removing and pruning volumes.

use std::collections::HashMap;

use crate::transport::path::check_name;
use crate::{models, Docker, Error, Filters, PruneReport, Result};

/// The daemon's volumes, from [`Docker::volumes`].
#[derive(Clone, Debug)]
pub struct Volumes {
    docker: Docker,
}

impl Docker {
    /// The volume collection (docker-py's `client.volumes`).
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// for volume in docker.volumes().list(&dockhand::Filters::new()).await? {
    ///     println!("{} at {}", volume.name(), volume.mountpoint());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn volumes(&self) -> Volumes {
        Volumes {
            docker: self.clone(),
        }
    }
}

impl Volumes {
    /// Create a volume (`docker volume create`) and return it. Without a
    /// [`name`](VolumeCreateOptions::name) the daemon picks one; creating
    /// a name that exists returns the existing volume, as dockerd does.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`], before any request, for an unusable
    /// name; [`Error::Api`] when the daemon refuses (an unknown driver,
    /// options the driver rejects, …).
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::VolumeCreateOptions;
    /// let volume = docker
    ///     .volumes()
    ///     .create(&VolumeCreateOptions::new().name("pgdata").labels([("team", "db")]))
    ///     .await?;
    /// println!("{} at {}", volume.name(), volume.mountpoint());
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, options: &VolumeCreateOptions) -> Result<Volume> {
        let body = options.to_request()?;
        let attrs = self
            .docker
            .fetch("VolumeCreate", |raw| raw.volume_create(&body))
            .await?;
        Ok(Volume {
            docker: self.docker.clone(),
            attrs,
        })
    }

    /// The volume with this name.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is none; [`Error::InvalidArgument`],
    /// before any request, for a value that could address something else
    /// (empty, `.`, `..`, with a control character or `\`).
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let volume = docker.volumes().get("pgdata").await?;
    /// println!("driver {}", volume.driver());
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, name: &str) -> Result<Volume> {
        let name = check_name("volume", name)?;
        let attrs = self
            .docker
            .fetch("VolumeInspect", |raw| raw.volume_inspect(name))
            .await?;
        Ok(Volume {
            docker: self.docker.clone(),
            attrs,
        })
    }

    /// Like [`Volumes::get`], but a missing volume is `Ok(None)`.
    ///
    /// # Errors
    /// Any error of [`Volumes::get`] other than not found.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// if docker.volumes().get_opt("pgdata").await?.is_none() {
    ///     println!("no data yet");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_opt(&self, name: &str) -> Result<Option<Volume>> {
        crate::error::found(self.get(name).await)
    }

    /// List volumes (`docker volume ls`) matching `filters` (`name`,
    /// `label`, `driver`, `dangling`).
    ///
    /// # Errors
    /// [`Error::Transport`] or [`Error::Api`] when the daemon fails.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::Filters;
    /// let volumes = docker.volumes().list(&Filters::new().label("team=db")).await?;
    /// println!("{} volumes", volumes.len());
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, filters: &Filters) -> Result<Vec<Volume>> {
        let query = filters.to_query();
        let response = self
            .docker
            .fetch("VolumeList", |raw| raw.volume_list(query.as_deref()))
            .await?;
        for warning in response.warnings.iter().flatten() {
            tracing::warn!(%warning, "volume list warning");
        }
        Ok(response
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|attrs| Volume {
                docker: self.docker.clone(),
                attrs,
            })
            .collect())
    }

    /// Remove the volumes no container uses (`docker volume prune`) among
    /// those matching `filters` (`label`, `label!`, and from API 1.42
    /// `all`), and report their names and the space freed.
    ///
    /// From API 1.42 the daemon prunes only anonymous volumes unless the
    /// filters hold `all=true`; add it (`Filters::new().add("all", "true")`)
    /// to prune named ones too. API 1.41 daemons refuse that filter.
    ///
    /// # Errors
    /// [`Error::Conflict`] when another prune is running; [`Error::Api`]
    /// for a filter the daemon does not know.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let report = docker
    ///     .volumes()
    ///     .prune(&dockhand::Filters::new().label("job=nightly"))
    ///     .await?;
    /// println!("removed {:?}, {} bytes", report.deleted, report.space_reclaimed);
    /// # Ok(()) }
    /// ```
    pub async fn prune(&self, filters: &Filters) -> Result<PruneReport> {
        let query = filters.to_query();
        let response = self
            .docker
            .fetch("VolumePrune", |raw| raw.volume_prune(query.as_deref()))
            .await?;
        Ok(PruneReport {
            deleted: response.volumes_deleted.unwrap_or_default(),
            space_reclaimed: response
                .space_reclaimed
                .and_then(|bytes| u64::try_from(bytes).ok())
                .unwrap_or(0),
        })
    }
}

/// The settings of [`Volumes::create`], named after docker-py's
/// `volumes.create` keywords.
///
/// ```
/// use dockhand::VolumeCreateOptions;
/// let options = VolumeCreateOptions::new()
///     .name("scratch")
///     .driver("local")
///     .driver_opts([("type", "tmpfs"), ("device", "tmpfs"), ("o", "size=16m")])
///     .labels([("team", "db")]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolumeCreateOptions {
    name: Option<String>,
    driver: Option<String>,
    driver_opts: HashMap<String, String>,
    labels: HashMap<String, String>,
}

impl VolumeCreateOptions {
    /// No options: an anonymous volume of the `local` driver.
    pub fn new() -> Self {
        Self::default()
    }

    /// The volume's name; without one the daemon makes one up.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The volume driver (default `local`).
    pub fn driver(mut self, driver: impl Into<String>) -> Self {
        self.driver = Some(driver.into());
        self
    }

    /// Driver options (for `local`: `type`, `device`, `o`, as `mount`
    /// takes them), added to those given before.
    pub fn driver_opts<K, V>(mut self, options: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.driver_opts
            .extend(options.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Labels, added to those given before.
    pub fn labels<K, V>(mut self, labels: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.labels
            .extend(labels.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The request body, after checking the name.
    fn to_request(&self) -> Result<models::VolumeCreateRequest> {
        if let Some(name) = &self.name {
            check_name("volume", name)?;
            if name.contains('/') {
                return Err(Error::invalid(
                    "name",
                    format!("volume {name:?} must not contain `/`"),
                ));
            }
        }
        if self.driver.as_deref() == Some("") {
            return Err(Error::invalid(
                "driver",
                "a volume driver must not be empty",
            ));
        }
        let map = |map: &HashMap<String, String>| (!map.is_empty()).then(|| map.clone());
        Ok(models::VolumeCreateRequest {
            name: self.name.clone(),
            driver: self.driver.clone(),
            driver_opts: map(&self.driver_opts),
            labels: map(&self.labels),
            ..Default::default()
        })
    }
}

/// A volume: its name, the client, and its attributes as last inspected.
#[derive(Clone, Debug)]
pub struct Volume {
    docker: Docker,
    attrs: models::Volume,
}

impl Volume {
    /// The bind that mounts this volume at `target` in a container
    /// (`-v name:target`), for [`ContainerOptions::volumes`](crate::ContainerOptions::volumes).
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker, volume: dockhand::Volume) -> dockhand::Result<()> {
    /// use dockhand::ContainerOptions;
    /// let options = ContainerOptions::new().volumes([volume.bind("/data")]);
    /// # Ok(()) }
    /// ```
    pub fn bind(&self, target: &str) -> String {
        format!("{}:{target}", self.name())
    }

    /// The name (volumes have no separate id).
    pub fn name(&self) -> &str {
        &self.attrs.name
    }

    /// The driver (`local`, a plugin, …).
    pub fn driver(&self) -> &str {
        &self.attrs.driver
    }

    /// Where the volume lives on the daemon's host.
    pub fn mountpoint(&self) -> &str {
        &self.attrs.mountpoint
    }

    /// The labels.
    pub fn labels(&self) -> HashMap<String, String> {
        self.attrs.labels.clone().unwrap_or_default()
    }

    /// The driver options it was created with.
    pub fn driver_opts(&self) -> HashMap<String, String> {
        self.attrs.options.clone().unwrap_or_default()
    }

    /// Everything the daemon reported (`docker volume inspect`).
    pub fn attrs(&self) -> &models::Volume {
        &self.attrs
    }

    /// The client this handle uses.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Remove the volume (`docker volume rm`); `force` also removes it
    /// from the daemon's records when its driver fails to.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it is gone already; [`Error::Conflict`]
    /// while a container uses it.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// docker.volumes().get("scratch").await?.remove(false).await?;
    /// # Ok(()) }
    /// ```
    pub async fn remove(&self, force: bool) -> Result<()> {
        let name = check_name("volume", self.name())?;
        let raw = self.docker.raw().await?;
        self.docker
            .call("VolumeDelete", raw.volume_delete(name, Some(force)))
            .await?;
        Ok(())
    }

    /// Inspect the volume again, refreshing [`attrs`](Self::attrs).
    ///
    /// # Errors
    /// [`Error::NotFound`] if the volume is gone.
    ///
    /// ```no_run
    /// # async fn demo(mut volume: dockhand::Volume) -> dockhand::Result<()> {
    /// volume.reload().await?;
    /// # Ok(()) }
    /// ```
    pub async fn reload(&mut self) -> Result<()> {
        let fresh = self.docker.volumes().get(&self.attrs.name).await?;
        self.attrs = fresh.attrs;
        Ok(())
    }
}

impl PartialEq for Volume {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Volume {}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid<T: std::fmt::Debug>(result: Result<T>) -> bool {
        matches!(result, Err(Error::InvalidArgument { .. }))
    }

    #[test]
    fn options_map_to_the_create_body() {
        let body = VolumeCreateOptions::new()
            .name("scratch")
            .driver("local")
            .driver_opts([("type", "tmpfs"), ("device", "tmpfs")])
            .labels([("team", "db")])
            .to_request()
            .unwrap();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({
                "Name": "scratch",
                "Driver": "local",
                "DriverOpts": {"type": "tmpfs", "device": "tmpfs"},
                "Labels": {"team": "db"},
            })
        );
        let anonymous = VolumeCreateOptions::new().to_request().unwrap();
        assert_eq!(
            serde_json::to_value(&anonymous).unwrap(),
            serde_json::json!({})
        );
    }

    #[test]
    fn bad_names_are_refused() {
        for name in ["", ".", "..", "a/b", "a\0b", "a\\b"] {
            assert!(
                invalid(VolumeCreateOptions::new().name(name).to_request()),
                "{name:?}"
            );
        }
        assert!(invalid(VolumeCreateOptions::new().driver("").to_request()));
    }

    #[tokio::test]
    async fn hostile_names_are_refused_before_any_request() {
        let docker = Docker::builder()
            .host("unix:///nonexistent/dockhand.sock")
            .api_version("1.41")
            .build()
            .unwrap();
        for name in ["", ".", "..", "a\nb"] {
            assert!(invalid(docker.volumes().get(name).await));
            let mut volume = Volume {
                docker: docker.clone(),
                attrs: serde_json::from_value(serde_json::json!({
                    "Name": name,
                    "Driver": "local",
                    "Mountpoint": "",
                    "Scope": "local",
                    "Labels": {},
                    "Options": {},
                }))
                .unwrap(),
            };
            assert!(invalid(volume.remove(true).await));
            assert!(invalid(volume.reload().await));
        }
    }
}
