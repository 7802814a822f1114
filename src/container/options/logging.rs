//! `log_config`: the logging driver and its options.

use super::request::Draft;
use super::{invalid, ContainerOptions, KeyValues};
use crate::models::HostConfigLogConfig;
use crate::Result;

/// A logging driver and its options (`docker run --log-driver --log-opt`).
///
/// The driver is a built-in one (`json-file`, `local`, `syslog`,
/// `journald`, `gelf`, `fluentd`, `awslogs`, `splunk`, `etwlogs`, `none`)
/// or a logging plugin, by name. Options are a map or `"key=value"` list.
///
/// ```
/// use dockhand::options::{ContainerOptions, LogConfig};
///
/// let options = ContainerOptions::new()
///     .log_config(LogConfig::new("json-file").config([("max-size", "10m"), ("max-file", "3")]));
/// let plain = ContainerOptions::new().log_config("none");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LogConfig {
    driver: String,
    config: Option<KeyValues>,
}

impl LogConfig {
    /// The driver, by name (`"json-file"`, `"local"`, a plugin's name).
    pub fn new(driver: impl Into<String>) -> Self {
        LogConfig {
            driver: driver.into(),
            config: None,
        }
    }

    /// The driver's options (`--log-opt`): a map or a `"key=value"` list.
    pub fn config(mut self, config: impl Into<KeyValues>) -> Self {
        self.config = Some(config.into());
        self
    }

    fn to_model(&self) -> Result<HostConfigLogConfig> {
        if self.driver.trim().is_empty() {
            return Err(invalid("log_config", "the driver name is empty"));
        }
        let config = match &self.config {
            Some(config) => Some(
                config
                    .to_map("log_config", '=', None)?
                    .into_iter()
                    .collect(),
            ),
            None => None,
        };
        Ok(HostConfigLogConfig {
            type_: Some(self.driver.clone()),
            config,
        })
    }
}

/// A driver name, without options.
impl From<&str> for LogConfig {
    fn from(driver: &str) -> Self {
        LogConfig::new(driver)
    }
}

/// A driver name, without options.
impl From<String> for LogConfig {
    fn from(driver: String) -> Self {
        LogConfig::new(driver)
    }
}

/// # Logging
///
/// The log driver and its options.
///
/// ```
/// use dockhand::options::{ContainerOptions, LogConfig};
/// // docker run --log-driver json-file --log-opt max-size=10m
/// let options = ContainerOptions::new()
///     .log_config(LogConfig::new("json-file").config([("max-size", "10m")]));
/// ```
impl ContainerOptions {
    /// The logging driver and its options: a [`LogConfig`] or a driver name.
    pub fn log_config(mut self, config: impl Into<LogConfig>) -> Self {
        self.logging.log_config = Some(config.into());
        self
    }
}

/// The logging driver as typed.
#[derive(Clone, Debug, Default)]
pub(super) struct LoggingOptions {
    log_config: Option<LogConfig>,
}

impl LoggingOptions {
    /// Check these settings and write them into the request.
    pub(super) fn apply(&self, draft: &mut Draft) -> Result<()> {
        if let Some(config) = &self.log_config {
            draft.host.log_config = Some(config.to_model()?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::request::tests::{error, host};
    use super::*;

    #[test]
    fn driver_and_options() {
        let config =
            host(ContainerOptions::new().log_config(
                LogConfig::new("json-file").config(HashMap::from([("max-size", "1m")])),
            ))
            .log_config
            .unwrap();
        assert_eq!(config.type_.as_deref(), Some("json-file"));
        assert_eq!(
            config.config.unwrap(),
            HashMap::from([("max-size".to_owned(), "1m".to_owned())])
        );
        let config = host(ContainerOptions::new().log_config("loki"))
            .log_config
            .unwrap();
        assert_eq!(config.type_.as_deref(), Some("loki"));
        assert_eq!(config.config, None);
    }

    #[test]
    fn empty_drivers_and_bare_options_are_errors() {
        error(ContainerOptions::new().log_config(""), "log_config");
        error(
            ContainerOptions::new().log_config(LogConfig::new("local").config(["max-size"])),
            "log_config",
        );
    }
}
