//! The daemon's event stream (`docker events`), typed.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{Stream, StreamExt};

use crate::{models, stream, Docker, Filters, LogTime, Result};

/// Options for [`Docker::events`], as `docker events` takes them.
///
/// ```
/// use dockhand::{EventsOptions, Filters};
///
/// let options = EventsOptions::new()
///     .since(std::time::SystemTime::now())
///     .filters(Filters::new().add("type", "container").label("app=web"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct EventsOptions {
    since: Option<LogTime>,
    until: Option<LogTime>,
    filters: Filters,
}

impl EventsOptions {
    /// Every event from now on, unfiltered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replay the events since this time first (the daemon keeps the last
    /// thousand or so).
    pub fn since(mut self, time: impl Into<LogTime>) -> Self {
        self.since = Some(time.into());
        self
    }

    /// End the stream at this time (it ends at once when the time has
    /// passed, after replaying).
    pub fn until(mut self, time: impl Into<LogTime>) -> Self {
        self.until = Some(time.into());
        self
    }

    /// Only events these filters match: `type`, `event` (the action),
    /// `container`, `image`, `label`, `network`, `volume`, `daemon`, …
    pub fn filters(mut self, filters: Filters) -> Self {
        self.filters = filters;
        self
    }
}

/// What kind of object an event is about. Open: a kind this version does
/// not know is [`EventType::Other`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventType {
    /// A container.
    Container,
    /// An image.
    Image,
    /// A network.
    Network,
    /// A volume.
    Volume,
    /// The daemon itself (configuration reloads).
    Daemon,
    /// A plugin.
    Plugin,
    /// A swarm service.
    Service,
    /// A swarm node.
    Node,
    /// A swarm secret.
    Secret,
    /// A swarm config.
    Config,
    /// The builder (build cache pruning).
    Builder,
    /// Any other kind, as the daemon named it.
    Other(String),
}

impl From<&str> for EventType {
    fn from(text: &str) -> Self {
        match text {
            "container" => EventType::Container,
            "image" => EventType::Image,
            "network" => EventType::Network,
            "volume" => EventType::Volume,
            "daemon" => EventType::Daemon,
            "plugin" => EventType::Plugin,
            "service" => EventType::Service,
            "node" => EventType::Node,
            "secret" => EventType::Secret,
            "config" => EventType::Config,
            "builder" => EventType::Builder,
            other => EventType::Other(other.to_owned()),
        }
    }
}

/// What happened. Open: an action this version does not know is
/// [`EventAction::Other`]. Actions with a detail (`exec_start: sh`,
/// `health_status: healthy`) keep it in [`Event::detail`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventAction {
    /// Created.
    Create,
    /// Started.
    Start,
    /// Restarted.
    Restart,
    /// A container's main process ended (`exitCode` in the attributes).
    Die,
    /// A container was stopped.
    Stop,
    /// A signal was sent (`signal` in the attributes).
    Kill,
    /// The OOM killer struck.
    Oom,
    /// Paused.
    Pause,
    /// Unpaused.
    Unpause,
    /// Renamed (`oldName` in the attributes).
    Rename,
    /// Resized.
    Resize,
    /// Updated.
    Update,
    /// Attached to.
    Attach,
    /// Detached from.
    Detach,
    /// Committed to an image.
    Commit,
    /// Copied from (an archive read).
    ArchivePath,
    /// Copied into (an archive written).
    ExtractToDir,
    /// Exported.
    Export,
    /// An exec instance was created.
    ExecCreate,
    /// An exec instance started.
    ExecStart,
    /// An exec instance ended.
    ExecDie,
    /// A health check changed status.
    HealthStatus,
    /// A container was removed.
    Destroy,
    /// An image was pulled.
    Pull,
    /// An image was pushed.
    Push,
    /// An image was tagged.
    Tag,
    /// A tag was removed.
    Untag,
    /// An image was deleted.
    Delete,
    /// An image was imported.
    Import,
    /// An image was loaded.
    Load,
    /// An image was saved.
    Save,
    /// A container joined a network.
    Connect,
    /// A container left a network.
    Disconnect,
    /// Removed (networks, volumes).
    Remove,
    /// A volume was mounted.
    Mount,
    /// A volume was unmounted.
    Unmount,
    /// Pruned.
    Prune,
    /// The daemon reloaded its configuration.
    Reload,
    /// Any other action, as the daemon named it.
    Other(String),
}

impl From<&str> for EventAction {
    fn from(text: &str) -> Self {
        use EventAction::*;
        match text {
            "create" => Create,
            "start" => Start,
            "restart" => Restart,
            "die" => Die,
            "stop" => Stop,
            "kill" => Kill,
            "oom" => Oom,
            "pause" => Pause,
            "unpause" => Unpause,
            "rename" => Rename,
            "resize" => Resize,
            "update" => Update,
            "attach" => Attach,
            "detach" => Detach,
            "commit" => Commit,
            "archive-path" => ArchivePath,
            "extract-to-dir" => ExtractToDir,
            "export" => Export,
            "exec_create" => ExecCreate,
            "exec_start" => ExecStart,
            "exec_die" => ExecDie,
            "health_status" => HealthStatus,
            "destroy" => Destroy,
            "pull" => Pull,
            "push" => Push,
            "tag" => Tag,
            "untag" => Untag,
            "delete" => Delete,
            "import" => Import,
            "load" => Load,
            "save" => Save,
            "connect" => Connect,
            "disconnect" => Disconnect,
            "remove" => Remove,
            "mount" => Mount,
            "unmount" => Unmount,
            "prune" => Prune,
            "reload" => Reload,
            other => Other(other.to_owned()),
        }
    }
}

/// One event from [`Docker::events`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// The kind of object.
    pub kind: EventType,
    /// What happened.
    pub action: EventAction,
    /// The part of the action after `": "`, e.g. `healthy` for
    /// `health_status: healthy` or the command of `exec_start: sh -c …`.
    pub detail: Option<String>,
    /// The object's id (a container id, an image reference, a network id, …).
    pub actor_id: String,
    /// The object's attributes: a container's `name`, `image` and labels,
    /// a die's `exitCode`, a network event's `container`, …
    pub attributes: HashMap<String, String>,
    /// `local` or `swarm` (empty from daemons that do not say).
    pub scope: String,
    /// When it happened.
    pub time: SystemTime,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {:?} {}", self.kind, self.action, self.actor_id)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl From<models::EventMessage> for Event {
    fn from(message: models::EventMessage) -> Self {
        let text = message.action.unwrap_or_default();
        let (action, detail) = match text.split_once(": ") {
            Some((action, detail)) => (action, Some(detail.to_owned())),
            None => (text.as_str(), None),
        };
        let actor = message.actor.unwrap_or_default();
        let time = match (message.time_nano, message.time) {
            (Some(nanos), _) if nanos > 0 => UNIX_EPOCH + Duration::from_nanos(nanos as u64),
            (_, Some(seconds)) if seconds > 0 => UNIX_EPOCH + Duration::from_secs(seconds as u64),
            _ => UNIX_EPOCH,
        };
        Event {
            kind: EventType::from(message.type_.as_deref().unwrap_or_default()),
            action: EventAction::from(action),
            detail,
            actor_id: actor.id.unwrap_or_default(),
            attributes: actor.attributes.unwrap_or_default(),
            scope: message.scope.unwrap_or_default(),
            time,
        }
    }
}

impl Docker {
    /// The daemon's events as they happen (`docker events`): an open-ended
    /// stream, without a time limit, that ends at `until` or when dropped.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use dockhand::{EventAction, EventsOptions, Filters};
    /// use futures_util::StreamExt;
    ///
    /// let options = EventsOptions::new().filters(Filters::new().add("type", "container"));
    /// let mut events = docker.events(&options).await?;
    /// while let Some(event) = events.next().await {
    ///     let event = event?;
    ///     if event.action == EventAction::Die {
    ///         println!("{} exited {:?}", event.actor_id, event.attributes.get("exitCode"));
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api) for an answer the daemon refuses
    /// (some daemons ignore unknown filter keys instead); on the stream, [`Error::Transport`](crate::Error::Transport) when the
    /// connection breaks and [`Error::Decode`](crate::Error::Decode) for an
    /// event that is not JSON.
    pub async fn events(
        &self,
        options: &EventsOptions,
    ) -> Result<impl Stream<Item = Result<Event>> + Send + Unpin + 'static> {
        const OPERATION: &str = "SystemEvents";
        let since = options.since.map(|time| time.epoch_seconds().to_string());
        let until = options.until.map(|time| time.epoch_seconds().to_string());
        let filters = options.filters.to_query();
        let raw = self.raw().await?;
        let response = self
            .call(
                OPERATION,
                raw.system_events(filters.as_deref(), since.as_deref(), until.as_deref()),
            )
            .await?;
        let messages = stream::json_lines::<models::EventMessage>(
            response.into_inner().into_inner(),
            OPERATION,
            self.host().to_string(),
        );
        Ok(Box::pin(messages.map(|message| message.map(Event::from))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_become_typed_events_with_details_and_nanosecond_times() {
        let message: models::EventMessage = serde_json::from_str(
            r#"{"Type":"container","Action":"health_status: healthy","Actor":{"ID":"abc","Attributes":{"name":"web"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789}"#,
        )
        .unwrap();
        let event = Event::from(message);
        assert_eq!(event.kind, EventType::Container);
        assert_eq!(event.action, EventAction::HealthStatus);
        assert_eq!(event.detail.as_deref(), Some("healthy"));
        assert_eq!(event.actor_id, "abc");
        assert_eq!(event.attributes["name"], "web");
        assert_eq!(
            event.time,
            UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789)
        );
        let unknown = Event::from(
            serde_json::from_str::<models::EventMessage>(r#"{"Type":"widget","Action":"spin"}"#)
                .unwrap(),
        );
        assert_eq!(unknown.kind, EventType::Other("widget".into()));
        assert_eq!(unknown.action, EventAction::Other("spin".into()));
        assert_eq!(unknown.time, UNIX_EPOCH);
    }
}
