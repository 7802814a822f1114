//! `restart_policy`: whether the daemon restarts the container when it exits.

use std::fmt::{self, Display};
use std::str::FromStr;

use super::request::Draft;
use super::{invalid, parsed, reason, ContainerOptions, Parsed};
use crate::models::RestartPolicy as RawRestartPolicy;
use crate::{Error, Result};

/// When the daemon restarts a container that exits (`docker run --restart`).
///
/// Parsed from the CLI's forms: `no`, `always`, `unless-stopped`,
/// `on-failure` or `on-failure:N`.
///
/// ```
/// use dockhand::options::RestartPolicy;
///
/// assert_eq!("on-failure:5".parse::<RestartPolicy>()?, RestartPolicy::on_failure(5));
/// assert_eq!(RestartPolicy::UnlessStopped.to_string(), "unless-stopped");
/// # Ok::<(), dockhand::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RestartPolicy {
    /// Never restart (the default).
    No,
    /// Always restart, also when the daemon starts.
    Always,
    /// Always restart, unless the container was stopped by hand.
    UnlessStopped,
    /// Restart when the exit status is not zero.
    OnFailure {
        /// Give up after this many restarts (0: never give up).
        maximum_retry_count: u32,
    },
}

impl RestartPolicy {
    /// Restart on a non-zero exit status, at most `maximum_retry_count`
    /// times (0: without limit).
    pub fn on_failure(maximum_retry_count: u32) -> Self {
        RestartPolicy::OnFailure {
            maximum_retry_count,
        }
    }

    /// The policy's name as the API spells it.
    fn name(self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::Always => "always",
            RestartPolicy::UnlessStopped => "unless-stopped",
            RestartPolicy::OnFailure { .. } => "on-failure",
        }
    }

    /// The request's spelling: create's `HostConfig` and update's body.
    pub(crate) fn to_model(self) -> RawRestartPolicy {
        let count = match self {
            RestartPolicy::OnFailure {
                maximum_retry_count,
            } => Some(i64::from(maximum_retry_count)),
            _ => None,
        };
        RawRestartPolicy {
            name: Some(self.name().to_owned()),
            maximum_retry_count: count,
        }
    }
}

impl Display for RestartPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestartPolicy::OnFailure {
                maximum_retry_count,
            } if *maximum_retry_count > 0 => write!(f, "on-failure:{maximum_retry_count}"),
            _ => f.write_str(self.name()),
        }
    }
}

impl FromStr for RestartPolicy {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let (name, count) = match text.split_once(':') {
            Some((name, count)) => (name, Some(count)),
            None => (text, None),
        };
        let policy = match (name, count) {
            ("no", None) => RestartPolicy::No,
            ("always", None) => RestartPolicy::Always,
            ("unless-stopped", None) => RestartPolicy::UnlessStopped,
            ("on-failure", None) => RestartPolicy::on_failure(0),
            ("on-failure", Some(count)) => match count.parse() {
                Ok(count) => RestartPolicy::on_failure(count),
                Err(_) => {
                    return Err(Error::invalid(
                        "restart policy",
                        format!("{text:?}: the retry count must be a non-negative integer"),
                    ))
                }
            },
            _ => {
                return Err(Error::invalid(
                    "restart policy",
                    format!("{text:?}: expected no, always, unless-stopped or on-failure[:N]"),
                ))
            }
        };
        Ok(policy)
    }
}

impl TryFrom<&str> for RestartPolicy {
    type Error = Error;

    fn try_from(text: &str) -> Result<Self> {
        text.parse()
    }
}

impl TryFrom<String> for RestartPolicy {
    type Error = Error;

    fn try_from(text: String) -> Result<Self> {
        text.parse()
    }
}

/// # Restart
///
/// Whether the daemon restarts the container when it exits.
///
/// ```
/// use dockhand::options::{ContainerOptions, RestartPolicy};
/// // docker run --restart on-failure:3
/// let options = ContainerOptions::new().restart_policy(RestartPolicy::on_failure(3));
/// ```
impl ContainerOptions {
    /// Restart the container when it exits: a [`RestartPolicy`] or its
    /// text form (`"always"`, `"on-failure:5"`, …). A malformed string is
    /// reported when the container is created.
    pub fn restart_policy<P>(mut self, policy: P) -> Self
    where
        P: TryInto<RestartPolicy>,
        P::Error: Into<crate::Error>,
    {
        self.restart.restart_policy = Some(policy.try_into().map_err(reason));
        self
    }
}

/// The restart policy as typed.
#[derive(Clone, Debug, Default)]
pub(super) struct RestartOptions {
    restart_policy: Option<Parsed<RestartPolicy>>,
}

impl RestartOptions {
    /// Check these settings and write them into the request.
    pub(super) fn apply(&self, draft: &mut Draft) -> Result<()> {
        let Some(policy) = &self.restart_policy else {
            return Ok(());
        };
        let policy = parsed("restart_policy", policy)?;
        // The isolation family, applied before, has set `AutoRemove`.
        if draft.host.auto_remove == Some(true) && policy != RestartPolicy::No {
            return Err(invalid(
                "restart_policy",
                format!("{policy} cannot be used with auto_remove"),
            ));
        }
        draft.host.restart_policy = Some(policy.to_model());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::request::tests::{error, host};
    use super::*;

    #[test]
    fn parses_and_prints_the_cli_forms() {
        for (text, policy) in [
            ("no", RestartPolicy::No),
            ("always", RestartPolicy::Always),
            ("unless-stopped", RestartPolicy::UnlessStopped),
            ("on-failure", RestartPolicy::on_failure(0)),
            ("on-failure:5", RestartPolicy::on_failure(5)),
        ] {
            assert_eq!(text.parse::<RestartPolicy>().unwrap(), policy);
            assert_eq!(policy.to_string(), text);
        }
        for bad in ["", "sometimes", "always:3", "on-failure:-1", "on-failure:x"] {
            assert!(bad.parse::<RestartPolicy>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fills_the_host_config() {
        let policy = host(ContainerOptions::new().restart_policy(RestartPolicy::on_failure(3)))
            .restart_policy
            .unwrap();
        assert_eq!(policy.name.as_deref(), Some("on-failure"));
        assert_eq!(policy.maximum_retry_count, Some(3));
        let policy = host(ContainerOptions::new().restart_policy("always"))
            .restart_policy
            .unwrap();
        assert_eq!(policy.name.as_deref(), Some("always"));
        assert_eq!(policy.maximum_retry_count, None);
    }

    #[test]
    fn bad_strings_and_auto_remove_conflicts_are_errors() {
        let message = error(
            ContainerOptions::new().restart_policy("sometimes"),
            "restart_policy",
        );
        assert!(message.contains("\"sometimes\""), "{message}");
        assert!(!message.contains("invalid argument: restart_policy: invalid argument"));
        error(
            ContainerOptions::new()
                .auto_remove(true)
                .restart_policy(RestartPolicy::Always),
            "auto_remove",
        );
        host(
            ContainerOptions::new()
                .auto_remove(true)
                .restart_policy(RestartPolicy::No),
        );
    }
}
