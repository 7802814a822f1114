//! Option builders for the container methods that take optional arguments
//! (what they report back is in `reports`).
//! (Creating and running containers takes the larger
//! [`ContainerOptions`](crate::ContainerOptions).)

use std::time::Duration;

use crate::models::ContainerWaitCondition;
use crate::{ApiVersion, Filters};

/// A signal, by name (`"SIGTERM"`, `"TERM"`) or number (`15`), as `docker
/// kill --signal` accepts it.
///
/// ```
/// use dockhand::Signal;
///
/// assert_eq!(Signal::from("SIGHUP").as_str(), "SIGHUP");
/// assert_eq!(Signal::from(9).as_str(), "9");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signal(String);

impl Signal {
    /// The signal as sent to the daemon.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Signal {
    fn from(name: &str) -> Self {
        Signal(name.to_owned())
    }
}

impl From<String> for Signal {
    fn from(name: String) -> Self {
        Signal(name)
    }
}

impl From<i32> for Signal {
    fn from(number: i32) -> Self {
        Signal(number.to_string())
    }
}

/// Options for [`Container::kill`](crate::Container::kill).
#[derive(Clone, Debug, Default)]
pub struct KillOptions {
    pub(crate) signal: Option<Signal>,
}

impl KillOptions {
    /// Defaults: the daemon sends `SIGKILL`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The signal to send instead of `SIGKILL`.
    pub fn signal(mut self, signal: impl Into<Signal>) -> Self {
        self.signal = Some(signal.into());
        self
    }
}

/// Options for [`Container::stop`](crate::Container::stop) and
/// [`Container::restart`](crate::Container::restart).
#[derive(Clone, Debug, Default)]
pub struct StopOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) signal: Option<Signal>,
}

impl StopOptions {
    /// Defaults: the container's own stop timeout (10 s unless set).
    pub fn new() -> Self {
        Self::default()
    }

    /// How long to wait after the stop signal before killing (whole seconds;
    /// rounded down).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The signal to stop with instead of the container's stop signal
    /// (`docker stop --signal`; API 1.42, so an older daemon gets an
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming the
    /// version, before any request).
    pub fn signal(mut self, signal: impl Into<Signal>) -> Self {
        self.signal = Some(signal.into());
        self
    }

    /// The signal as the `signal` query parameter for a daemon of `api`.
    pub(crate) fn signal_for(&self, api: ApiVersion) -> crate::Result<Option<&str>> {
        const SIGNAL_API: ApiVersion = ApiVersion::new(1, 42);
        if self.signal.is_some() {
            api.require("stop signal", SIGNAL_API)?;
        }
        Ok(self.signal.as_ref().map(Signal::as_str))
    }

    /// The timeout as the `t` query parameter.
    pub(crate) fn seconds(&self) -> Option<i64> {
        self.timeout
            .map(|timeout| i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX))
    }
}

/// Options for [`Container::remove`](crate::Container::remove).
#[derive(Clone, Debug, Default)]
pub struct RemoveOptions {
    pub(crate) v: bool,
    pub(crate) link: bool,
    pub(crate) force: bool,
}

impl RemoveOptions {
    /// Defaults: keep volumes, remove the container itself, refuse if running.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also remove the anonymous volumes associated with the container.
    pub fn v(mut self, v: bool) -> Self {
        self.v = v;
        self
    }

    /// Remove the named link instead of the container.
    pub fn link(mut self, link: bool) -> Self {
        self.link = link;
        self
    }

    /// Kill the container first if it is running.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }
}

/// What [`Container::wait`](crate::Container::wait) waits for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WaitCondition {
    /// Until the container is not running (returns at once if it is not).
    #[default]
    NotRunning,
    /// Until the container next exits.
    NextExit,
    /// Until the container is removed.
    Removed,
}

impl WaitCondition {
    /// The generated client's spelling.
    pub(crate) fn to_raw(self) -> ContainerWaitCondition {
        match self {
            WaitCondition::NotRunning => ContainerWaitCondition::NotRunning,
            WaitCondition::NextExit => ContainerWaitCondition::NextExit,
            WaitCondition::Removed => ContainerWaitCondition::Removed,
        }
    }

    /// The query parameter value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            WaitCondition::NotRunning => "not-running",
            WaitCondition::NextExit => "next-exit",
            WaitCondition::Removed => "removed",
        }
    }
}

/// Options for [`Container::wait`](crate::Container::wait).
#[derive(Clone, Debug, Default)]
pub struct WaitOptions {
    pub(crate) condition: WaitCondition,
    pub(crate) timeout: Option<Duration>,
}

impl WaitOptions {
    /// Defaults: wait until not running, without a time limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// What to wait for.
    pub fn condition(mut self, condition: WaitCondition) -> Self {
        self.condition = condition;
        self
    }

    /// Give up after this long with [`Error::Timeout`](crate::Error::Timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

/// Options for [`Containers::list`](crate::Containers::list), as `docker ps`
/// takes them.
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    pub(crate) all: bool,
    pub(crate) limit: Option<i64>,
    pub(crate) before: Option<String>,
    pub(crate) since: Option<String>,
    pub(crate) filters: Filters,
    pub(crate) sparse: bool,
    pub(crate) ignore_removed: bool,
}

impl ListOptions {
    /// Defaults: running containers only, each inspected in full.
    pub fn new() -> Self {
        Self::default()
    }

    /// Include stopped containers too.
    pub fn all(mut self, all: bool) -> Self {
        self.all = all;
        self
    }

    /// Only the `limit` most recently created containers (any state).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit.into());
        self
    }

    /// Only containers created before this one (id or name; any state).
    pub fn before(mut self, id_or_name: impl Into<String>) -> Self {
        self.before = Some(id_or_name.into());
        self
    }

    /// Only containers created after this one (id or name; any state).
    pub fn since(mut self, id_or_name: impl Into<String>) -> Self {
        self.since = Some(id_or_name.into());
        self
    }

    /// Filters such as `label`, `status`, `exited`, `id`, `name`, `ancestor`.
    pub fn filters(mut self, filters: Filters) -> Self {
        self.filters = filters;
        self
    }

    /// Return the list summaries without inspecting each container: one
    /// request, but properties such as [`health`](crate::Container::health)
    /// need a [`reload`](crate::Container::reload).
    pub fn sparse(mut self, sparse: bool) -> Self {
        self.sparse = sparse;
        self
    }

    /// Skip containers removed between the list and their inspect instead of
    /// failing with [`Error::NotFound`](crate::Error::NotFound).
    pub fn ignore_removed(mut self, ignore: bool) -> Self {
        self.ignore_removed = ignore;
        self
    }

    /// The `filters` query value, with `before`/`since` folded in as the
    /// API expects them.
    pub(crate) fn filters_query(&self) -> Option<String> {
        let mut filters = self.filters.clone();
        if let Some(before) = &self.before {
            filters = filters.add("before", before.clone());
        }
        if let Some(since) = &self.since {
            filters = filters.add("since", since.clone());
        }
        filters.to_query()
    }

    /// `before`, `since` and `limit` imply stopped containers, as in docker-py.
    pub(crate) fn include_stopped(&self) -> bool {
        self.all || self.before.is_some() || self.since.is_some() || self.limit.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_timeout_is_whole_seconds() {
        let options = StopOptions::new().timeout(Duration::from_millis(2500));
        assert_eq!(options.seconds(), Some(2));
        assert_eq!(StopOptions::new().seconds(), None);
    }

    #[test]
    fn wait_conditions_spell_like_the_api() {
        assert_eq!(WaitCondition::default().as_str(), "not-running");
        assert_eq!(WaitCondition::NextExit.as_str(), "next-exit");
        assert_eq!(WaitCondition::Removed.as_str(), "removed");
    }

    #[test]
    fn before_and_since_become_filters_and_include_stopped() {
        let options = ListOptions::new()
            .before("a")
            .filters(Filters::new().label("x"));
        assert_eq!(
            options.filters_query().as_deref(),
            Some(r#"{"before":["a"],"label":["x"]}"#)
        );
        assert!(options.include_stopped());
        assert!(!ListOptions::new().include_stopped());
    }
}
