//! The container collection: looking containers up, listing, pruning.

use futures_util::{StreamExt, TryStreamExt};

use crate::container::container_segment;
use crate::container::params::ListOptions;
use crate::container::reports::PruneReport;
use crate::{Container, Credentials, Docker, DockerConfig, Filters, Images, Result};

/// How many containers a full list inspects at once (and so how many
/// pooled connections it may open).
const INSPECT_CONCURRENCY: usize = 8;

/// The daemon's containers, from [`Docker::containers`].
///
/// `create` and `run` pull a missing image with the credentials the docker
/// CLI would use; [`Containers::with_docker_config`] and
/// [`Containers::with_pull_credentials`] say otherwise.
#[derive(Clone, Debug)]
pub struct Containers {
    pub(super) docker: Docker,
    /// The collection the implicit pulls of create and run go through.
    pub(super) pulls: Images,
    /// Credentials given for those pulls, ahead of any config.
    pub(super) pull_credentials: Option<Credentials>,
}

impl Docker {
    /// The container collection.
    pub fn containers(&self) -> Containers {
        Containers {
            docker: self.clone(),
            pulls: self.images(),
            pull_credentials: None,
        }
    }
}

impl Containers {
    /// Take the credentials for the pulls `create` and `run` make from
    /// `config` (as [`Images::with_docker_config`]).
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let config = dockhand::DockerConfig::from_dir("/run/secrets/docker")?;
    /// let containers = docker.containers().with_docker_config(config);
    /// # Ok(()) }
    /// ```
    pub fn with_docker_config(mut self, config: DockerConfig) -> Containers {
        self.pulls = self.pulls.with_docker_config(config);
        self
    }

    /// Pull a missing image with these credentials, whatever the config
    /// holds for its registry.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::{ContainerOptions, Credentials};
    /// let output = docker
    ///     .containers()
    ///     .with_pull_credentials(Credentials::new("ci", "token"))
    ///     .run("registry.example:5000/tools:1", &ContainerOptions::new().remove(true))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn with_pull_credentials(mut self, credentials: Credentials) -> Containers {
        self.pull_credentials = Some(credentials);
        self
    }
}

impl Containers {
    /// The container with this id, id prefix or name (`web` or `/web`).
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) when there is none; [`Error::InvalidArgument`](crate::Error::InvalidArgument),
    /// before any request, for a value that could address something else
    /// (empty, `.`, `..`, with a control character or `\`).
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let web = docker.containers().get("web").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, id_or_name: &str) -> Result<Container> {
        let id_or_name = container_segment(id_or_name)?;
        let attrs = self
            .docker
            .fetch("ContainerInspect", |raw| {
                raw.container_inspect(id_or_name, None)
            })
            .await?;
        Ok(Container::from_inspect(self.docker.clone(), attrs).looked_up_as(id_or_name))
    }

    /// Like [`Containers::get`], but a missing container is `Ok(None)`.
    ///
    /// # Errors
    /// Any error of [`Containers::get`] other than not found.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// if docker.containers().get_opt("web").await?.is_none() {
    ///     println!("no container named web");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_opt(&self, id_or_name: &str) -> Result<Option<Container>> {
        crate::error::found(self.get(id_or_name).await)
    }

    /// List containers (`docker ps`), each inspected in full unless the
    /// options ask for `sparse` summaries. Inspections run concurrently over
    /// a few pooled connections; the order is the daemon's (newest first).
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) if a listed container disappears before its
    /// inspect (unless `ignore_removed`).
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::{Filters, ListOptions};
    /// let web = docker
    ///     .containers()
    ///     .list(&ListOptions::new().all(true).filters(Filters::new().label("app=web")))
    ///     .await?;
    /// for container in web {
    ///     println!("{} {}", container.short_id(), container.status());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, options: &ListOptions) -> Result<Vec<Container>> {
        let raw = self.docker.raw().await?;
        let filters = options.filters_query();
        let summaries = self
            .docker
            .call(
                "ContainerList",
                raw.container_list(
                    Some(options.include_stopped()),
                    filters.as_deref(),
                    options.limit,
                    None,
                ),
            )
            .await?
            .into_inner();
        if options.sparse {
            return Ok(summaries
                .into_iter()
                .map(|summary| Container::from_summary(self.docker.clone(), summary))
                .collect());
        }
        let ids = summaries.into_iter().filter_map(|summary| summary.id);
        let inspected: Vec<Option<Container>> = futures_util::stream::iter(ids)
            .map(|id| async move {
                match self.get(&id).await {
                    Ok(container) => Ok(Some(container)),
                    Err(err) if err.is_not_found() && options.ignore_removed => Ok(None),
                    Err(err) => Err(err),
                }
            })
            .buffered(INSPECT_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(inspected.into_iter().flatten().collect())
    }

    /// Remove all stopped containers that match the filters (`docker
    /// container prune`), e.g. only those with a label.
    ///
    /// # Errors
    /// [`Error::Conflict`](crate::Error::Conflict) if a prune is already running.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let report = docker
    ///     .containers()
    ///     .prune(&dockhand::Filters::new().label("job=nightly"))
    ///     .await?;
    /// println!("removed {} containers, {} bytes", report.deleted.len(), report.space_reclaimed);
    /// # Ok(()) }
    /// ```
    pub async fn prune(&self, filters: &Filters) -> Result<PruneReport> {
        let query = filters.to_query();
        let response = self
            .docker
            .fetch("ContainerPrune", |raw| {
                raw.container_prune(query.as_deref())
            })
            .await?;
        Ok(PruneReport {
            deleted: response.containers_deleted.unwrap_or_default(),
            space_reclaimed: response
                .space_reclaimed
                .and_then(|bytes| u64::try_from(bytes).ok())
                .unwrap_or(0),
        })
    }
}
