//! Resource limits: memory, CPU, block IO, pids and ulimits.

use super::limits::{at_least, blkio_weight, bytes, in_range, limit_setters, Limits};
use super::request::Draft;
use super::{invalid, parsed, ByteSize, ContainerOptions, Parsed};
use crate::models::{HostConfigBlkioWeightDeviceItem, HostConfigUlimitsItem, ThrottleDevice};
use crate::Result;

/// A resource limit inside the container (`docker run --ulimit`).
///
/// From `Ulimit::new(name, soft, hard)`, a `(name, limit)` or
/// `(name, soft, hard)` tuple, or the CLI's text `"nofile=1024:2048"`
/// (`"nofile=1024"` sets both limits). `-1` is unlimited.
///
/// ```
/// use dockhand::options::{ContainerOptions, Ulimit};
///
/// let options = ContainerOptions::new().ulimits([
///     Ulimit::new("nofile", 1024, 2048),
///     Ulimit::from(("nproc", 512)),
///     Ulimit::from("core=0"),
/// ]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ulimit(Parsed<(String, i64, i64)>);

impl Ulimit {
    /// The limit `name` (`nofile`, `nproc`, `core`, …) with its soft and
    /// hard values.
    pub fn new(name: impl Into<String>, soft: i64, hard: i64) -> Self {
        let name = name.into();
        let unlimited_or_positive = |n: i64| n >= -1;
        let reason = if name.trim().is_empty() {
            Some("the name is empty".to_owned())
        } else if !unlimited_or_positive(soft) || !unlimited_or_positive(hard) {
            Some("limits must be -1 (unlimited) or more".to_owned())
        } else if hard != -1 && (soft == -1 || soft > hard) {
            Some(format!(
                "the soft limit {soft} is above the hard limit {hard}"
            ))
        } else {
            None
        };
        match reason {
            Some(reason) => Ulimit(Err(format!("{name}={soft}:{hard}: {reason}"))),
            None => Ulimit(Ok((name, soft, hard))),
        }
    }
}

impl From<&str> for Ulimit {
    fn from(text: &str) -> Self {
        let parsed = text.split_once('=').and_then(|(name, limits)| {
            let (soft, hard) = limits.split_once(':').unwrap_or((limits, limits));
            Some((name, soft.parse().ok()?, hard.parse().ok()?))
        });
        match parsed {
            Some((name, soft, hard)) => Ulimit::new(name, soft, hard),
            None => Ulimit(Err(format!("{text:?} is not NAME=SOFT[:HARD]"))),
        }
    }
}

impl From<String> for Ulimit {
    fn from(text: String) -> Self {
        Ulimit::from(text.as_str())
    }
}

/// One value for both the soft and the hard limit.
impl<N: Into<String>> From<(N, i64)> for Ulimit {
    fn from((name, limit): (N, i64)) -> Self {
        Ulimit::new(name, limit, limit)
    }
}

impl<N: Into<String>> From<(N, i64, i64)> for Ulimit {
    fn from((name, soft, hard): (N, i64, i64)) -> Self {
        Ulimit::new(name, soft, hard)
    }
}

/// `(path, value)` pairs as a list.
fn device_list<P: Into<String>, V>(items: impl IntoIterator<Item = (P, V)>) -> Vec<(String, V)> {
    items.into_iter().map(|(p, v)| (p.into(), v)).collect()
}

/// # Resources
///
/// Memory, CPU, block I/O and process limits; the same setters serve
/// [`Container::update`](crate::Container::update) through
/// [`UpdateOptions`](crate::UpdateOptions).
///
/// ```
/// use dockhand::ContainerOptions;
/// // docker run --memory 256m --cpus 1.5 --pids-limit 100 --ulimit nofile=1024:2048
/// let options = ContainerOptions::new()
///     .mem_limit("256m")
///     .nano_cpus(1_500_000_000)
///     .pids_limit(100)
///     .ulimits(["nofile=1024:2048"]);
/// ```
impl ContainerOptions {
    limit_setters!(resources.limits);

    /// The size of `/dev/shm` (`"1g"` or bytes).
    pub fn shm_size(mut self, size: impl Into<ByteSize>) -> Self {
        self.resources.shm_size = Some(size.into());
        self
    }

    /// How readily the kernel swaps the container's pages, 0 to 100 (`-1`:
    /// the host's setting).
    pub fn mem_swappiness(mut self, swappiness: i64) -> Self {
        self.resources.mem_swappiness = Some(swappiness);
        self
    }

    /// Never let the OOM killer kill the container's processes.
    pub fn oom_kill_disable(mut self, disable: bool) -> Self {
        self.resources.oom_kill_disable = Some(disable);
        self
    }

    /// The OOM killer's preference, -1000 (never) to 1000 (first).
    pub fn oom_score_adj(mut self, adjustment: i64) -> Self {
        self.resources.oom_score_adj = Some(adjustment);
        self
    }

    /// Number of usable CPUs (Windows).
    pub fn cpu_count(mut self, count: i64) -> Self {
        self.resources.cpu_count = Some(count);
        self
    }

    /// Usable percentage of the CPUs (Windows).
    pub fn cpu_percent(mut self, percent: i64) -> Self {
        self.resources.cpu_percent = Some(percent);
        self
    }

    /// Block IO weights per device: `(device path, weight)` pairs.
    pub fn blkio_weight_device<I, P, W>(mut self, weights: I) -> Self
    where
        I: IntoIterator<Item = (P, W)>,
        P: Into<String>,
        W: Into<i64>,
    {
        self.resources.blkio_weight_device = Some(
            device_list(weights)
                .into_iter()
                .map(|(p, w)| (p, w.into()))
                .collect(),
        );
        self
    }

    /// Read rate limits per device: `(device path, bytes per second)`
    /// pairs, the rate as for [`ByteSize`] (`"1mb"`).
    pub fn device_read_bps<I, P, R>(mut self, rates: I) -> Self
    where
        I: IntoIterator<Item = (P, R)>,
        P: Into<String>,
        R: Into<ByteSize>,
    {
        self.resources.device_read_bps = Some(rate_list(rates));
        self
    }

    /// Write rate limits per device: `(device path, bytes per second)`.
    pub fn device_write_bps<I, P, R>(mut self, rates: I) -> Self
    where
        I: IntoIterator<Item = (P, R)>,
        P: Into<String>,
        R: Into<ByteSize>,
    {
        self.resources.device_write_bps = Some(rate_list(rates));
        self
    }

    /// Read limits per device: `(device path, operations per second)`.
    pub fn device_read_iops<I, P, N>(mut self, rates: I) -> Self
    where
        I: IntoIterator<Item = (P, N)>,
        P: Into<String>,
        N: Into<i64>,
    {
        self.resources.device_read_iops = Some(iops_list(rates));
        self
    }

    /// Write limits per device: `(device path, operations per second)`.
    pub fn device_write_iops<I, P, N>(mut self, rates: I) -> Self
    where
        I: IntoIterator<Item = (P, N)>,
        P: Into<String>,
        N: Into<i64>,
    {
        self.resources.device_write_iops = Some(iops_list(rates));
        self
    }

    /// Resource limits (`nofile`, `nproc`, …): [`Ulimit`]s, tuples or
    /// `"name=soft:hard"` strings.
    pub fn ulimits<I>(mut self, ulimits: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Ulimit>,
    {
        self.resources.ulimits = Some(ulimits.into_iter().map(Into::into).collect());
        self
    }
}

/// The resource settings as typed: the [`Limits`] that
/// [`UpdateOptions`](crate::UpdateOptions) can change too, and those fixed
/// at creation.
#[derive(Clone, Debug, Default)]
pub(super) struct ResourceOptions {
    pub(super) limits: Limits,
    shm_size: Option<ByteSize>,
    mem_swappiness: Option<i64>,
    oom_kill_disable: Option<bool>,
    oom_score_adj: Option<i64>,
    cpu_count: Option<i64>,
    cpu_percent: Option<i64>,
    blkio_weight_device: Option<Vec<(String, i64)>>,
    device_read_bps: Option<Vec<(String, ByteSize)>>,
    device_write_bps: Option<Vec<(String, ByteSize)>>,
    device_read_iops: Option<Vec<(String, i64)>>,
    device_write_iops: Option<Vec<(String, i64)>>,
    ulimits: Option<Vec<Ulimit>>,
}

impl ResourceOptions {
    /// Fill the `HostConfig`'s resources beyond the [`Limits`] (which
    /// the request starts from).
    pub(super) fn apply(&self, draft: &mut Draft) -> Result<()> {
        let host = &mut draft.host;
        host.shm_size = bytes("shm_size", &self.shm_size, 0)?;
        host.memory_swappiness = in_range("mem_swappiness", self.mem_swappiness, -1, 100)?;
        host.oom_kill_disable = self.oom_kill_disable;
        host.oom_score_adj = in_range("oom_score_adj", self.oom_score_adj, -1000, 1000)?;
        host.cpu_count = at_least("cpu_count", self.cpu_count, 0)?;
        host.cpu_percent = in_range("cpu_percent", self.cpu_percent, 0, 100)?;
        if let Some(weights) = &self.blkio_weight_device {
            let mut items = Vec::new();
            for (path, weight) in weights {
                let weight = blkio_weight("blkio_weight_device", Some(*weight))?.unwrap_or(0);
                items.push(HostConfigBlkioWeightDeviceItem {
                    path: Some(device_path("blkio_weight_device", path)?),
                    weight: u64::try_from(weight).ok(),
                });
            }
            host.blkio_weight_device = Some(items);
        }
        host.blkio_device_read_bps = throttle_bytes("device_read_bps", &self.device_read_bps)?;
        host.blkio_device_write_bps = throttle_bytes("device_write_bps", &self.device_write_bps)?;
        host.blkio_device_read_i_ops = throttle_iops("device_read_iops", &self.device_read_iops)?;
        host.blkio_device_write_i_ops =
            throttle_iops("device_write_iops", &self.device_write_iops)?;
        if let Some(ulimits) = &self.ulimits {
            host.ulimits = Some(
                ulimits
                    .iter()
                    .map(|ulimit| {
                        let (name, soft, hard) = parsed("ulimits", &ulimit.0)?;
                        Ok(HostConfigUlimitsItem {
                            name: Some(name),
                            soft: Some(soft),
                            hard: Some(hard),
                        })
                    })
                    .collect::<Result<_>>()?,
            );
        }
        Ok(())
    }
}

fn rate_list<P: Into<String>, R: Into<ByteSize>>(
    rates: impl IntoIterator<Item = (P, R)>,
) -> Vec<(String, ByteSize)> {
    device_list(rates)
        .into_iter()
        .map(|(p, r)| (p, r.into()))
        .collect()
}

fn iops_list<P: Into<String>, N: Into<i64>>(
    rates: impl IntoIterator<Item = (P, N)>,
) -> Vec<(String, i64)> {
    device_list(rates)
        .into_iter()
        .map(|(p, n)| (p, n.into()))
        .collect()
}

fn device_path(keyword: &str, path: &str) -> Result<String> {
    if path.trim().is_empty() {
        return Err(invalid(keyword, "a device path is empty"));
    }
    Ok(path.to_owned())
}

fn throttle_bytes(
    keyword: &str,
    rates: &Option<Vec<(String, ByteSize)>>,
) -> Result<Option<Vec<ThrottleDevice>>> {
    let Some(rates) = rates else {
        return Ok(None);
    };
    rates
        .iter()
        .map(|(path, rate)| {
            Ok(ThrottleDevice {
                path: Some(device_path(keyword, path)?),
                rate: bytes(keyword, &Some(rate.clone()), 0)?,
            })
        })
        .collect::<Result<_>>()
        .map(Some)
}

fn throttle_iops(
    keyword: &str,
    rates: &Option<Vec<(String, i64)>>,
) -> Result<Option<Vec<ThrottleDevice>>> {
    let Some(rates) = rates else {
        return Ok(None);
    };
    rates
        .iter()
        .map(|(path, rate)| {
            Ok(ThrottleDevice {
                path: Some(device_path(keyword, path)?),
                rate: in_range(keyword, Some(*rate), 0, i64::MAX)?,
            })
        })
        .collect::<Result<_>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::super::request::tests::{error, host};
    use super::*;

    #[test]
    fn memory_sizes_parse() {
        let host = host(
            ContainerOptions::new()
                .mem_limit("128m")
                .mem_reservation("64m")
                .memswap_limit(-1)
                .shm_size("1g")
                .mem_swappiness(10)
                .oom_kill_disable(true)
                .oom_score_adj(-500)
                .pids_limit(100),
        );
        assert_eq!(host.memory, Some(134_217_728));
        assert_eq!(host.memory_reservation, Some(67_108_864));
        assert_eq!(host.memory_swap, Some(-1));
        assert_eq!(host.shm_size, Some(1_073_741_824));
        assert_eq!(host.memory_swappiness, Some(10));
        assert_eq!(host.oom_kill_disable, Some(true));
        assert_eq!(host.oom_score_adj, Some(-500));
        assert_eq!(host.pids_limit, Some(100));
    }

    #[test]
    fn bad_sizes_name_the_keyword_and_value() {
        let message = error(ContainerOptions::new().mem_limit("12x"), "mem_limit");
        assert!(message.contains("\"12x\""), "{message}");
        error(ContainerOptions::new().mem_limit(-1), "mem_limit");
        error(ContainerOptions::new().memswap_limit(-2), "memswap_limit");
        error(ContainerOptions::new().shm_size("lots"), "shm_size");
        error(
            ContainerOptions::new().mem_swappiness(101),
            "mem_swappiness",
        );
        error(ContainerOptions::new().oom_score_adj(1001), "oom_score_adj");
    }

    #[test]
    #[allow(deprecated)]
    fn kernel_memory_is_rejected() {
        let message = error(
            ContainerOptions::new().kernel_memory("64m"),
            "kernel_memory",
        );
        assert!(message.contains("1.42"), "{message}");
    }

    #[test]
    fn cpu_options() {
        let host = host(
            ContainerOptions::new()
                .cpu_period(100_000)
                .cpu_quota(50_000)
                .cpu_shares(512)
                .cpuset_cpus("0-1,3")
                .cpuset_mems("0")
                .cpu_rt_period(1_000_000)
                .cpu_rt_runtime(950_000)
                .cpu_count(2)
                .cpu_percent(50),
        );
        assert_eq!(host.cpu_period, Some(100_000));
        assert_eq!(host.cpu_quota, Some(50_000));
        assert_eq!(host.cpu_shares, Some(512));
        assert_eq!(host.cpuset_cpus.as_deref(), Some("0-1,3"));
        assert_eq!(host.cpuset_mems.as_deref(), Some("0"));
        assert_eq!(host.cpu_realtime_period, Some(1_000_000));
        assert_eq!(host.cpu_realtime_runtime, Some(950_000));
        assert_eq!(host.cpu_count, Some(2));
        assert_eq!(host.cpu_percent, Some(50));
        error(ContainerOptions::new().cpuset_cpus("0-"), "cpuset_cpus");
        error(ContainerOptions::new().cpuset_mems("a"), "cpuset_mems");
        error(ContainerOptions::new().cpu_percent(150), "cpu_percent");
        error(ContainerOptions::new().nano_cpus(-1), "nano_cpus");
        let nano = super::super::request::tests::host(
            ContainerOptions::new()
                .nano_cpus(1_500_000_000)
                .cpu_shares(512),
        );
        assert_eq!(nano.nano_cpus, Some(1_500_000_000));
    }

    #[test]
    fn nano_cpus_and_a_cfs_period_or_quota_are_refused() {
        let message = error(
            ContainerOptions::new()
                .nano_cpus(1_500_000_000)
                .cpu_period(100_000),
            "nano_cpus",
        );
        assert!(message.contains("cpu_period"), "{message}");
        let message = error(
            ContainerOptions::new().nano_cpus(1).cpu_quota(50_000),
            "nano_cpus",
        );
        assert!(message.contains("cpu_quota"), "{message}");
        // Zero is "unset" to dockerd, and combines with anything.
        host(ContainerOptions::new().nano_cpus(0).cpu_period(100_000));
        host(ContainerOptions::new().nano_cpus(1).cpu_quota(-1));
    }

    #[test]
    fn block_io() {
        let host = host(
            ContainerOptions::new()
                .blkio_weight(300)
                .blkio_weight_device([("/dev/sda", 200)])
                .device_read_bps([("/dev/sda", "1mb")])
                .device_write_bps([("/dev/sda", 4096)])
                .device_read_iops([("/dev/sda", 100)])
                .device_write_iops([("/dev/sdb", 50)]),
        );
        assert_eq!(host.blkio_weight, Some(300));
        let weight = &host.blkio_weight_device.unwrap()[0];
        assert_eq!(
            (weight.path.as_deref(), weight.weight),
            (Some("/dev/sda"), Some(200))
        );
        let read = &host.blkio_device_read_bps.unwrap()[0];
        assert_eq!(
            (read.path.as_deref(), read.rate),
            (Some("/dev/sda"), Some(1_048_576))
        );
        assert_eq!(host.blkio_device_write_bps.unwrap()[0].rate, Some(4096));
        assert_eq!(host.blkio_device_read_i_ops.unwrap()[0].rate, Some(100));
        assert_eq!(
            host.blkio_device_write_i_ops.unwrap()[0].path.as_deref(),
            Some("/dev/sdb")
        );
        error(ContainerOptions::new().blkio_weight(5), "blkio_weight");
        error(
            ContainerOptions::new().blkio_weight_device([("/dev/sda", 5000)]),
            "blkio_weight_device",
        );
        error(
            ContainerOptions::new().device_read_bps([("/dev/sda", "fast")]),
            "device_read_bps",
        );
        error(
            ContainerOptions::new().device_read_iops([("", 1)]),
            "device_read_iops",
        );
    }

    #[test]
    fn ulimits_in_every_form() {
        let limits: Vec<_> = host(ContainerOptions::new().ulimits([
            Ulimit::new("nofile", 1024, 2048),
            Ulimit::from(("nproc", 512)),
            Ulimit::from(("core", 0, -1)),
            Ulimit::from("memlock=-1"),
            Ulimit::from("stack=8192:16384"),
        ]))
        .ulimits
        .unwrap()
        .into_iter()
        .map(|u| (u.name.unwrap(), u.soft.unwrap(), u.hard.unwrap()))
        .collect();
        assert_eq!(
            limits,
            [
                ("nofile".to_owned(), 1024, 2048),
                ("nproc".to_owned(), 512, 512),
                ("core".to_owned(), 0, -1),
                ("memlock".to_owned(), -1, -1),
                ("stack".to_owned(), 8192, 16384),
            ]
        );
        for bad in [
            Ulimit::new("", 1, 1),
            Ulimit::new("nofile", 10, 5),
            Ulimit::new("nofile", -2, 5),
            Ulimit::from("nofile"),
            Ulimit::from("nofile=a:b"),
        ] {
            error(ContainerOptions::new().ulimits([bad]), "ulimits");
        }
    }
}
