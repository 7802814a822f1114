//! Changing a container's resource limits and restart policy in place
//! (`docker update`).

use crate::container::options::{invalid, limit_setters, reason, Limits};
use crate::models::ContainerUpdateBody;
use crate::options::RestartPolicy;
use crate::{Container, Result};

/// What [`Container::update`] changes, under docker-py's keyword names.
/// Unset options keep their current values.
///
/// These are the settings dockerd applies to an existing container; it
/// accepts but silently ignores the other resource fields of the request
/// (devices, ulimits, block IO throttles, swappiness, …), so they are not
/// offered here. For most limits, 0 also means "leave unchanged".
///
/// Setters never fail: a malformed byte size or restart policy is kept and
/// reported by [`Container::update`] as [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming
/// the keyword, before any request is sent.
///
/// ```
/// use dockhand::{options::RestartPolicy, UpdateOptions};
///
/// let options = UpdateOptions::new()
///     .mem_limit("256m")
///     .memswap_limit("512m")
///     .cpu_shares(512)
///     .restart_policy(RestartPolicy::UnlessStopped);
/// ```
#[derive(Clone, Debug, Default)]
pub struct UpdateOptions {
    limits: Limits,
    restart_policy: Option<std::result::Result<RestartPolicy, String>>,
}

impl UpdateOptions {
    limit_setters!(limits);

    /// Nothing changed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// When to restart the container: a [`RestartPolicy`] or its text form
    /// (`"always"`, `"on-failure:5"`, …). The daemon refuses any policy but
    /// `no` for a container created with `auto_remove`.
    pub fn restart_policy<P>(mut self, policy: P) -> Self
    where
        P: TryInto<RestartPolicy>,
        P::Error: Into<crate::Error>,
    {
        self.restart_policy = Some(policy.try_into().map_err(reason));
        self
    }

    /// Check every value and build the request body.
    fn to_body(&self) -> Result<ContainerUpdateBody> {
        // The update body is `Resources` plus the restart policy.
        let mut body: ContainerUpdateBody = self.limits.embedded()?;
        body.restart_policy = match &self.restart_policy {
            None => None,
            Some(Ok(policy)) => Some(policy.to_model()),
            Some(Err(why)) => return Err(invalid("restart_policy", why)),
        };
        Ok(body)
    }
}

impl Container {
    /// Change the container's resource limits and restart policy without
    /// recreating it (`docker update`); a running container gets the new
    /// limits at once. Returns the daemon's warnings (say, a limit the
    /// kernel cannot enforce and discarded).
    ///
    /// This handle keeps the old values in its attributes until
    /// [`Container::reload`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming the keyword for a malformed value,
    /// before any request; [`Error::NotFound`](crate::Error::NotFound) if the container is gone;
    /// [`Error::Api`](crate::Error::Api) or [`Error::Conflict`](crate::Error::Conflict) when the daemon refuses the
    /// combination (a memory limit above the swap limit, a CFS period with
    /// `nano_cpus` already set on the container, a restart policy with
    /// auto-removal, …). `nano_cpus` together with a CFS period or quota in
    /// the same options is an [`Error::InvalidArgument`](crate::Error::InvalidArgument),
    /// before any request.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use dockhand::UpdateOptions;
    /// let warnings = container
    ///     .update(&UpdateOptions::new().mem_limit("512m").memswap_limit("1g"))
    ///     .await?;
    /// for warning in warnings {
    ///     eprintln!("warning: {warning}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn update(&self, options: &UpdateOptions) -> Result<Vec<String>> {
        let body = options.to_body()?;
        let id = self.path_id()?;
        let response = self
            .docker
            .fetch("ContainerUpdate", |raw| raw.container_update(id, &body))
            .await?;
        Ok(response.warnings.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn error(options: &UpdateOptions, keyword: &str) -> String {
        let err = options.to_body().unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "{keyword}: {err:?}"
        );
        assert!(
            message.starts_with(&format!("invalid argument: {keyword}: ")),
            "{message}"
        );
        message
    }

    #[test]
    fn options_fill_the_request_under_the_api_names() {
        let body = UpdateOptions::new()
            .blkio_weight(300)
            .cpu_period(100_000)
            .cpu_quota(50_000)
            .cpu_rt_period(1_000_000)
            .cpu_rt_runtime(1000)
            .cpu_shares(512)
            .cpuset_cpus("0-1")
            .cpuset_mems("0")
            .mem_limit("64m")
            .mem_reservation("32m")
            .memswap_limit(-1)
            .nano_cpus(0)
            .pids_limit(100)
            .restart_policy("on-failure:3")
            .to_body()
            .unwrap();
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "BlkioWeight": 300,
                "CpuPeriod": 100_000,
                "CpuQuota": 50_000,
                "CpuRealtimePeriod": 1_000_000,
                "CpuRealtimeRuntime": 1000,
                "CpuShares": 512,
                "CpusetCpus": "0-1",
                "CpusetMems": "0",
                "Memory": 67_108_864,
                "MemoryReservation": 33_554_432,
                "MemorySwap": -1,
                "NanoCpus": 0,
                "PidsLimit": 100,
                "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
            })
        );
    }

    #[test]
    fn nothing_set_sends_an_empty_body() {
        let json = serde_json::to_value(UpdateOptions::new().to_body().unwrap()).unwrap();
        assert_eq!(json, serde_json::json!({}));
    }

    #[test]
    fn restart_policies_spell_like_the_api() {
        for (policy, name, count) in [
            (RestartPolicy::No, "no", None),
            (RestartPolicy::Always, "always", None),
            (RestartPolicy::UnlessStopped, "unless-stopped", None),
            (RestartPolicy::on_failure(0), "on-failure", Some(0)),
        ] {
            let model = policy.to_model();
            assert_eq!(model.name.as_deref(), Some(name));
            assert_eq!(model.maximum_retry_count, count);
        }
    }

    #[test]
    fn bad_values_name_the_keyword() {
        let message = error(&UpdateOptions::new().mem_limit("12x"), "mem_limit");
        assert!(message.contains("\"12x\""), "{message}");
        assert!(
            !message.contains("mem_limit: invalid argument"),
            "{message}"
        );
        error(&UpdateOptions::new().mem_limit(-1), "mem_limit");
        error(
            &UpdateOptions::new().mem_reservation("lots"),
            "mem_reservation",
        );
        error(&UpdateOptions::new().memswap_limit(-2), "memswap_limit");
        let message = error(
            &UpdateOptions::new().restart_policy("sometimes"),
            "restart_policy",
        );
        assert!(message.contains("\"sometimes\""), "{message}");
        assert!(
            !message.contains("restart_policy: invalid argument"),
            "{message}"
        );
        error(&UpdateOptions::new().blkio_weight(5), "blkio_weight");
        error(&UpdateOptions::new().cpu_shares(-1), "cpu_shares");
        error(&UpdateOptions::new().pids_limit(-2), "pids_limit");
        error(&UpdateOptions::new().cpuset_cpus("0-"), "cpuset_cpus");
        error(&UpdateOptions::new().cpuset_mems("a"), "cpuset_mems");
        let message = error(
            &UpdateOptions::new()
                .nano_cpus(500_000_000)
                .cpu_period(100_000),
            "nano_cpus",
        );
        assert!(message.contains("cpu_period"), "{message}");
    }

    #[test]
    #[allow(deprecated)]
    fn kernel_memory_is_rejected() {
        let message = error(&UpdateOptions::new().kernel_memory("64m"), "kernel_memory");
        assert!(message.contains("1.42"), "{message}");
    }
}
