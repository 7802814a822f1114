//! Typed container states, tolerant of values this version does not know.

use std::fmt;

/// A container's lifecycle state (`State.Status` in inspect, `State` in a
/// list summary).
///
/// Daemons newer than the bundled spec, or other engines such as Podman,
/// may report states not listed here; they arrive as
/// [`ContainerStatus::Unknown`] instead of failing the call.
///
/// ```
/// use dockhand::ContainerStatus;
///
/// assert_eq!(ContainerStatus::from("running"), ContainerStatus::Running);
/// assert_eq!(ContainerStatus::from("stopping"), ContainerStatus::Unknown("stopping".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ContainerStatus {
    /// Created but never started.
    Created,
    /// Running.
    Running,
    /// Paused (its processes frozen).
    Paused,
    /// Being restarted by its restart policy.
    Restarting,
    /// Being removed.
    Removing,
    /// Exited.
    Exited,
    /// Dead: the daemon failed to remove or stop it cleanly.
    Dead,
    /// A state this version of dockhand does not know, as the daemon spelled it.
    Unknown(String),
}

impl From<&str> for ContainerStatus {
    fn from(value: &str) -> Self {
        match value {
            "created" => ContainerStatus::Created,
            "running" => ContainerStatus::Running,
            "paused" => ContainerStatus::Paused,
            "restarting" => ContainerStatus::Restarting,
            "removing" => ContainerStatus::Removing,
            "exited" => ContainerStatus::Exited,
            "dead" => ContainerStatus::Dead,
            other => ContainerStatus::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for ContainerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContainerStatus::Created => "created",
            ContainerStatus::Running => "running",
            ContainerStatus::Paused => "paused",
            ContainerStatus::Restarting => "restarting",
            ContainerStatus::Removing => "removing",
            ContainerStatus::Exited => "exited",
            ContainerStatus::Dead => "dead",
            ContainerStatus::Unknown(other) => other,
        })
    }
}

/// A container's health-check state (`State.Health.Status`).
///
/// ```
/// use dockhand::HealthStatus;
///
/// assert_eq!(HealthStatus::from("healthy"), HealthStatus::Healthy);
/// assert_eq!(HealthStatus::default(), HealthStatus::Unknown("unknown".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HealthStatus {
    /// The container has no health check (`none`).
    None,
    /// The health check has not passed yet.
    Starting,
    /// The last checks passed.
    Healthy,
    /// The last checks failed.
    Unhealthy,
    /// No health information was reported (`unknown`, as docker-py says), or
    /// a value this version does not know.
    Unknown(String),
}

impl Default for HealthStatus {
    fn default() -> Self {
        HealthStatus::Unknown("unknown".to_owned())
    }
}

impl From<&str> for HealthStatus {
    fn from(value: &str) -> Self {
        match value {
            "none" => HealthStatus::None,
            "starting" => HealthStatus::Starting,
            "healthy" => HealthStatus::Healthy,
            "unhealthy" => HealthStatus::Unhealthy,
            other => HealthStatus::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HealthStatus::None => "none",
            HealthStatus::Starting => "starting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unhealthy => "unhealthy",
            HealthStatus::Unknown(other) => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_status_round_trips() {
        for text in [
            "created",
            "running",
            "paused",
            "restarting",
            "removing",
            "exited",
            "dead",
        ] {
            let status = ContainerStatus::from(text);
            assert!(!matches!(status, ContainerStatus::Unknown(_)), "{text}");
            assert_eq!(status.to_string(), text);
        }
        for text in ["none", "starting", "healthy", "unhealthy"] {
            let health = HealthStatus::from(text);
            assert!(!matches!(health, HealthStatus::Unknown(_)), "{text}");
            assert_eq!(health.to_string(), text);
        }
    }

    #[test]
    fn unknown_values_are_kept() {
        assert_eq!(ContainerStatus::from("frozen").to_string(), "frozen");
        assert_eq!(HealthStatus::from("degraded").to_string(), "degraded");
    }
}
