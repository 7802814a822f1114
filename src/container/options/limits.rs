//! The limits a container is created with and
//! [`Container::update`](crate::Container::update) changes — memory, CPU
//! time and sets, pids, block IO weight — kept, set and checked in one
//! place for [`ContainerOptions`](super::ContainerOptions) and
//! [`UpdateOptions`](crate::UpdateOptions), and the range checks the other
//! numeric options use too.

use serde::de::DeserializeOwned;

use super::{invalid, parsed, ByteSize};
use crate::models::Resources;
use crate::Result;

/// The limits as typed, one field per setter of [`limit_setters`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Limits {
    pub(crate) mem_limit: Option<ByteSize>,
    pub(crate) mem_reservation: Option<ByteSize>,
    pub(crate) memswap_limit: Option<ByteSize>,
    pub(crate) kernel_memory: Option<ByteSize>,
    pub(crate) pids_limit: Option<i64>,
    pub(crate) cpu_period: Option<i64>,
    pub(crate) cpu_quota: Option<i64>,
    pub(crate) cpu_rt_period: Option<i64>,
    pub(crate) cpu_rt_runtime: Option<i64>,
    pub(crate) cpu_shares: Option<i64>,
    pub(crate) nano_cpus: Option<i64>,
    pub(crate) cpuset_cpus: Option<String>,
    pub(crate) cpuset_mems: Option<String>,
    pub(crate) blkio_weight: Option<i64>,
}

impl Limits {
    /// Check every limit and make the request part that holds them and
    /// nothing else: a `HostConfig` or an update body. Both are generated
    /// from the API definition as `Resources` plus fields of their own, so
    /// the JSON of the one is a valid value of the others.
    pub(crate) fn embedded<T: DeserializeOwned>(&self) -> Result<T> {
        // Through bytes rather than a `serde_json::Value`: the models'
        // (de)serializers for byte buffers are in the binary anyway.
        let json = serde_json::to_vec(&self.to_resources()?).expect("generated models serialize");
        Ok(serde_json::from_slice(&json).expect("the request model embeds Resources"))
    }

    /// Check every limit and fill `Resources` with them.
    fn to_resources(&self) -> Result<Resources> {
        refuse_kernel_memory(&self.kernel_memory)?;
        nano_cpus_alone(self.nano_cpus, self.cpu_period, self.cpu_quota)?;
        Ok(Resources {
            memory: bytes("mem_limit", &self.mem_limit, 0)?,
            memory_reservation: bytes("mem_reservation", &self.mem_reservation, 0)?,
            memory_swap: bytes("memswap_limit", &self.memswap_limit, -1)?,
            pids_limit: at_least("pids_limit", self.pids_limit, -1)?,
            cpu_period: at_least("cpu_period", self.cpu_period, 0)?,
            cpu_quota: at_least("cpu_quota", self.cpu_quota, -1)?,
            cpu_realtime_period: at_least("cpu_rt_period", self.cpu_rt_period, 0)?,
            cpu_realtime_runtime: at_least("cpu_rt_runtime", self.cpu_rt_runtime, -1)?,
            cpu_shares: at_least("cpu_shares", self.cpu_shares, 0)?,
            nano_cpus: at_least("nano_cpus", self.nano_cpus, 0)?,
            cpuset_cpus: cpu_set("cpuset_cpus", &self.cpuset_cpus)?,
            cpuset_mems: cpu_set("cpuset_mems", &self.cpuset_mems)?,
            blkio_weight: blkio_weight("blkio_weight", self.blkio_weight)?,
            ..Resources::default()
        })
    }
}

/// The setters of [`Limits`], for a builder that keeps them at the field
/// path given: [`ContainerOptions`](super::ContainerOptions) and
/// [`UpdateOptions`](crate::UpdateOptions) take the same limits in the
/// same forms.
macro_rules! limit_setters {
    ($($limits:ident).+) => {
        /// The memory limit: bytes, or a size such as `"128m"` or `"1.5g"`.
        pub fn mem_limit(mut self, limit: impl Into<$crate::options::ByteSize>) -> Self {
            self.$($limits).+.mem_limit = Some(limit.into());
            self
        }

        /// The memory soft limit.
        pub fn mem_reservation(
            mut self,
            reservation: impl Into<$crate::options::ByteSize>,
        ) -> Self {
            self.$($limits).+.mem_reservation = Some(reservation.into());
            self
        }

        /// The limit of memory plus swap (not below the memory limit); `-1`
        /// for unlimited swap.
        pub fn memswap_limit(mut self, limit: impl Into<$crate::options::ByteSize>) -> Self {
            self.$($limits).+.memswap_limit = Some(limit.into());
            self
        }

        /// The kernel memory limit — which the Engine API dropped in 1.42
        /// (`KernelMemory`); dockhand's request models have no field for
        /// it, so setting it is reported as an invalid argument.
        #[deprecated(note = "the Engine API removed KernelMemory in 1.42; this is rejected")]
        pub fn kernel_memory(mut self, limit: impl Into<$crate::options::ByteSize>) -> Self {
            self.$($limits).+.kernel_memory = Some(limit.into());
            self
        }

        /// The most processes the container may run; `-1` for no limit.
        pub fn pids_limit(mut self, limit: i64) -> Self {
            self.$($limits).+.pids_limit = Some(limit);
            self
        }

        /// The CFS period, in microseconds. Not with `nano_cpus`.
        pub fn cpu_period(mut self, period: i64) -> Self {
            self.$($limits).+.cpu_period = Some(period);
            self
        }

        /// The CPU time per CFS period, in microseconds. Not with `nano_cpus`.
        pub fn cpu_quota(mut self, quota: i64) -> Self {
            self.$($limits).+.cpu_quota = Some(quota);
            self
        }

        /// The real-time scheduler period, in microseconds.
        pub fn cpu_rt_period(mut self, period: i64) -> Self {
            self.$($limits).+.cpu_rt_period = Some(period);
            self
        }

        /// The real-time scheduler runtime, in microseconds.
        pub fn cpu_rt_runtime(mut self, runtime: i64) -> Self {
            self.$($limits).+.cpu_rt_runtime = Some(runtime);
            self
        }

        /// The relative CPU weight (1024 is the default).
        pub fn cpu_shares(mut self, shares: i64) -> Self {
            self.$($limits).+.cpu_shares = Some(shares);
            self
        }

        /// The CPU quota in units of 10⁻⁹ CPUs (`1_500_000_000` is 1.5 CPUs,
        /// `--cpus 1.5`). Not with a CFS period or quota.
        pub fn nano_cpus(mut self, nano_cpus: i64) -> Self {
            self.$($limits).+.nano_cpus = Some(nano_cpus);
            self
        }

        /// The CPUs the container may use (`"0-3"`, `"0,1"`).
        pub fn cpuset_cpus(mut self, cpus: impl Into<String>) -> Self {
            self.$($limits).+.cpuset_cpus = Some(cpus.into());
            self
        }

        /// The memory nodes the container may use (`"0-3"`, `"0,1"`).
        pub fn cpuset_mems(mut self, mems: impl Into<String>) -> Self {
            self.$($limits).+.cpuset_mems = Some(mems.into());
            self
        }

        /// The relative block IO weight, 10 to 1000 (the daemon discards it,
        /// with a warning, where the kernel lacks block IO weights).
        pub fn blkio_weight(mut self, weight: i64) -> Self {
            self.$($limits).+.blkio_weight = Some(weight);
            self
        }
    };
}

pub(crate) use limit_setters;

/// A byte size of at least `minimum`.
pub(super) fn bytes(keyword: &str, size: &Option<ByteSize>, minimum: i64) -> Result<Option<i64>> {
    let Some(size) = size else {
        return Ok(None);
    };
    let bytes = parsed(keyword, size.parsed())?;
    if bytes < minimum {
        return Err(invalid(
            keyword,
            format!("{bytes} must be at least {minimum}"),
        ));
    }
    Ok(Some(bytes))
}

/// `value` unless it is below `low`, which is an invalid argument naming
/// `keyword`.
pub(super) fn at_least(keyword: &str, value: Option<i64>, low: i64) -> Result<Option<i64>> {
    in_range(keyword, value, low, i64::MAX)
}

/// The refusal of a kernel memory limit, for create and update alike:
/// the Engine API dropped it in 1.42 and the request models follow 1.55.
pub(super) fn refuse_kernel_memory(limit: &Option<ByteSize>) -> Result<()> {
    match limit {
        Some(_) => Err(invalid(
            "kernel_memory",
            "the Engine API removed KernelMemory in 1.42 (kernels no longer enforce it), \
             so dockhand does not send it",
        )),
        None => Ok(()),
    }
}

/// `value` unless it lies outside `low..=high` (`high` of `i64::MAX`: no
/// upper bound), which is an invalid argument naming `keyword`.
pub(super) fn in_range(
    keyword: &str,
    value: Option<i64>,
    low: i64,
    high: i64,
) -> Result<Option<i64>> {
    match value {
        Some(n) if n < low || n > high => {
            let range = match high {
                i64::MAX => format!("at least {low}"),
                _ => format!("from {low} to {high}"),
            };
            Err(invalid(keyword, format!("{n} must be {range}")))
        }
        _ => Ok(value),
    }
}

/// Refuses a positive `nano_cpus` together with a positive CFS period or
/// quota, which dockerd refuses too ("Conflicting options: Nano CPUs and
/// CPU Period cannot both be set"), before any request.
pub(super) fn nano_cpus_alone(
    nano_cpus: Option<i64>,
    cpu_period: Option<i64>,
    cpu_quota: Option<i64>,
) -> Result<()> {
    // As dockerd judges it: zero means unset.
    let set = |value: Option<i64>| value.is_some_and(|value| value > 0);
    if !set(nano_cpus) {
        return Ok(());
    }
    let conflicting = match (set(cpu_period), set(cpu_quota)) {
        (true, _) => "cpu_period",
        (false, true) => "cpu_quota",
        (false, false) => return Ok(()),
    };
    Err(invalid(
        "nano_cpus",
        format!("cannot be set together with {conflicting}: choose one way to limit CPU time"),
    ))
}

/// A block IO weight: 10 to 1000, or 0 for the default (on update: unchanged).
pub(super) fn blkio_weight(keyword: &str, weight: Option<i64>) -> Result<Option<i64>> {
    match weight {
        Some(w) if w != 0 && !(10..=1000).contains(&w) => Err(invalid(
            keyword,
            format!("weight {w} must be from 10 to 1000"),
        )),
        _ => Ok(weight),
    }
}

/// A CPU or memory-node list such as `0-3,5`.
pub(super) fn cpu_set(keyword: &str, set: &Option<String>) -> Result<Option<String>> {
    let Some(set) = set else {
        return Ok(None);
    };
    let number = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    let valid = set.split(',').all(|part| match part.split_once('-') {
        Some((start, end)) => number(start) && number(end),
        None => number(part),
    });
    if !valid {
        return Err(invalid(
            keyword,
            format!("{set:?} is not a list like 0-3,5"),
        ));
    }
    Ok(Some(set.clone()))
}
