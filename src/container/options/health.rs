//! `healthcheck`: the test that tells whether the container is healthy.

use std::time::Duration;

use super::request::Draft;
use super::{invalid, parsed, ContainerOptions, Parsed};
use crate::models::HealthConfig;
use crate::{ApiVersion, Result};

/// A container healthcheck (`HEALTHCHECK` in a Dockerfile).
///
/// A string is a shell command (`CMD-SHELL`), as in docker-py; a list is
/// the test as the API takes it (`["CMD", "curl", "-f", "…"]`,
/// `["CMD-SHELL", "…"]`, `["NONE"]`, or empty to keep the image's test).
/// Durations must be zero (the daemon's default) or at least a millisecond.
///
/// ```
/// use std::time::Duration;
/// use dockhand::options::{ContainerOptions, Healthcheck};
///
/// let options = ContainerOptions::new().healthcheck(
///     Healthcheck::cmd(["wget", "-q", "-O-", "http://localhost/"])
///         .interval(Duration::from_secs(5))
///         .timeout(Duration::from_secs(2))
///         .retries(3)
///         .start_period(Duration::from_secs(30)),
/// );
/// let shell = ContainerOptions::new().healthcheck("test -f /tmp/ready");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Healthcheck {
    test: Parsed<Vec<String>>,
    interval: Option<Duration>,
    timeout: Option<Duration>,
    retries: Option<u32>,
    start_period: Option<Duration>,
    start_interval: Option<Duration>,
}

impl Healthcheck {
    fn with_test(test: Parsed<Vec<String>>) -> Self {
        Healthcheck {
            test,
            interval: None,
            timeout: None,
            retries: None,
            start_period: None,
            start_interval: None,
        }
    }

    /// Run `command` with the container's shell (`CMD-SHELL`); exit status
    /// 0 is healthy.
    pub fn shell(command: impl Into<String>) -> Self {
        Healthcheck::with_test(Ok(vec!["CMD-SHELL".to_owned(), command.into()]))
    }

    /// Run `args` directly, without a shell (`CMD`).
    pub fn cmd<I>(args: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let mut test = vec!["CMD".to_owned()];
        test.extend(args.into_iter().map(Into::into));
        Healthcheck::with_test(check_test(test))
    }

    /// Disable the image's healthcheck (`NONE`).
    pub fn none() -> Self {
        Healthcheck::with_test(Ok(vec!["NONE".to_owned()]))
    }

    /// Keep the image's test, changing only the timings set on this value.
    pub fn inherit() -> Self {
        Healthcheck::with_test(Ok(Vec::new()))
    }

    /// The time between checks.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = Some(interval);
        self
    }

    /// How long a check may run before it counts as failed.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How many consecutive failures make the container unhealthy.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = Some(retries);
        self
    }

    /// How long the container has to start before failures count.
    pub fn start_period(mut self, period: Duration) -> Self {
        self.start_period = Some(period);
        self
    }

    /// The time between checks during the start period (API 1.44).
    pub fn start_interval(mut self, interval: Duration) -> Self {
        self.start_interval = Some(interval);
        self
    }

    fn to_model(&self, draft: &Draft) -> Result<HealthConfig> {
        let test = parsed("healthcheck", &self.test)?;
        if self.start_interval.is_some() {
            draft.require("healthcheck start_interval", ApiVersion::new(1, 44))?;
        }
        Ok(HealthConfig {
            test: Some(test),
            interval: nanos("interval", self.interval)?,
            timeout: nanos("timeout", self.timeout)?,
            retries: self.retries.map(i64::from),
            start_period: nanos("start_period", self.start_period)?,
            start_interval: nanos("start_interval", self.start_interval)?,
        })
    }
}

/// A string is a shell command, as in docker-py.
impl From<&str> for Healthcheck {
    fn from(command: &str) -> Self {
        Healthcheck::shell(command)
    }
}

/// A string is a shell command, as in docker-py.
impl From<String> for Healthcheck {
    fn from(command: String) -> Self {
        Healthcheck::shell(command)
    }
}

/// The test as the API takes it: `["CMD", …]`, `["CMD-SHELL", "…"]`,
/// `["NONE"]` or empty.
impl<T: Into<String>> From<Vec<T>> for Healthcheck {
    fn from(test: Vec<T>) -> Self {
        Healthcheck::with_test(check_test(test.into_iter().map(Into::into).collect()))
    }
}

/// The test as the API takes it: `["CMD", …]`, `["CMD-SHELL", "…"]`,
/// `["NONE"]` or empty.
impl<T: Into<String>, const N: usize> From<[T; N]> for Healthcheck {
    fn from(test: [T; N]) -> Self {
        Healthcheck::from(Vec::from(test))
    }
}

/// Check the shape of a test list.
fn check_test(test: Vec<String>) -> Parsed<Vec<String>> {
    let ok = match test.first().map(String::as_str) {
        None => true,
        Some("NONE") => test.len() == 1,
        Some("CMD") => test.len() >= 2,
        Some("CMD-SHELL") => test.len() == 2,
        Some(_) => false,
    };
    if ok {
        Ok(test)
    } else {
        Err(format!(
            "test {test:?} must be [], [\"NONE\"], [\"CMD\", args…] or [\"CMD-SHELL\", command]"
        ))
    }
}

/// A duration in nanoseconds, if zero or at least a millisecond.
fn nanos(field: &str, duration: Option<Duration>) -> Result<Option<i64>> {
    let Some(duration) = duration else {
        return Ok(None);
    };
    let keyword = format!("healthcheck {field}");
    if !duration.is_zero() && duration < Duration::from_millis(1) {
        return Err(invalid(
            &keyword,
            format!("{duration:?} must be zero or at least 1ms"),
        ));
    }
    i64::try_from(duration.as_nanos())
        .map(Some)
        .map_err(|_| invalid(&keyword, format!("{duration:?} is too long")))
}

/// # Health
///
/// The health check the daemon runs in the container, in place of the
/// image's.
///
/// ```
/// use std::time::Duration;
/// use dockhand::options::{ContainerOptions, Healthcheck};
/// // docker run --health-cmd 'wget -q -O- localhost || exit 1' --health-interval 10s
/// let options = ContainerOptions::new().healthcheck(
///     Healthcheck::shell("wget -q -O- localhost || exit 1").interval(Duration::from_secs(10)),
/// );
/// ```
impl ContainerOptions {
    /// How the daemon checks that the container is healthy: a
    /// [`Healthcheck`], a shell command string (`CMD-SHELL`), or the test
    /// list as the API takes it.
    pub fn healthcheck(mut self, healthcheck: impl Into<Healthcheck>) -> Self {
        self.health.healthcheck = Some(healthcheck.into());
        self
    }
}

/// The health check as typed.
#[derive(Clone, Debug, Default)]
pub(super) struct HealthOptions {
    healthcheck: Option<Healthcheck>,
}

impl HealthOptions {
    /// Check these settings and write them into the request.
    pub(super) fn apply(&self, draft: &mut Draft) -> Result<()> {
        if let Some(healthcheck) = &self.healthcheck {
            draft.body.healthcheck = Some(healthcheck.to_model(draft)?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::request::tests::{error, request, LATEST};
    use super::*;

    fn health(healthcheck: impl Into<Healthcheck>) -> HealthConfig {
        request(ContainerOptions::new().healthcheck(healthcheck))
            .body
            .healthcheck
            .unwrap()
    }

    #[test]
    fn strings_are_shell_commands() {
        let config = health("curl -f http://localhost/ || exit 1");
        assert_eq!(
            config.test.unwrap(),
            ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]
        );
        assert_eq!(config.interval, None);
    }

    #[test]
    fn lists_and_constructors() {
        assert_eq!(health(["CMD", "true"]).test.unwrap(), ["CMD", "true"]);
        assert_eq!(
            health(Healthcheck::cmd(["true"])).test.unwrap(),
            ["CMD", "true"]
        );
        assert_eq!(health(Healthcheck::none()).test.unwrap(), ["NONE"]);
        assert_eq!(
            health(Healthcheck::inherit()).test.unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            health(Vec::<String>::new()).test.unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn durations_are_nanoseconds() {
        let config = health(
            Healthcheck::shell("true")
                .interval(Duration::from_secs(1))
                .timeout(Duration::from_millis(500))
                .retries(3)
                .start_period(Duration::ZERO),
        );
        assert_eq!(config.interval, Some(1_000_000_000));
        assert_eq!(config.timeout, Some(500_000_000));
        assert_eq!(config.retries, Some(3));
        assert_eq!(config.start_period, Some(0));
        assert_eq!(config.start_interval, None);
    }

    #[test]
    fn malformed_tests_and_durations_are_rejected() {
        for bad in [
            Healthcheck::from(["CMD"]),
            Healthcheck::from(["NONE", "x"]),
            Healthcheck::from(["CMD-SHELL", "a", "b"]),
            Healthcheck::from(["curl", "-f"]),
            Healthcheck::cmd(Vec::<String>::new()),
        ] {
            error(ContainerOptions::new().healthcheck(bad), "healthcheck");
        }
        let short = Healthcheck::shell("true").interval(Duration::from_micros(10));
        error(
            ContainerOptions::new().healthcheck(short),
            "healthcheck interval",
        );
    }

    #[test]
    fn start_interval_needs_api_1_44() {
        let check = Healthcheck::shell("true").start_interval(Duration::from_secs(1));
        let message = error(
            ContainerOptions::new().healthcheck(check.clone()),
            "healthcheck start_interval",
        );
        assert!(
            message.contains("requires API 1.44; the daemon speaks 1.41"),
            "{message}"
        );
        let config = ContainerOptions::new()
            .healthcheck(check)
            .to_request("busybox", LATEST)
            .unwrap()
            .body
            .healthcheck
            .unwrap();
        assert_eq!(config.start_interval, Some(1_000_000_000));
    }
}
