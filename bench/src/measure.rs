//! Timing, statistics, memory and CPU, and the JSON line each measured
//! variant is reported as (the contract in `shared/bench/README.md`).

use std::future::Future;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::Res;

/// Brackets the measured repetitions of one variant: the peak RSS since
/// the start (VmHWM, reset through `clear_refs`) and the process CPU time.
pub struct Meter {
    rss_start_kb: Option<u64>,
    cpu_start: f64,
}

impl Meter {
    /// Reset the peak-RSS watermark and note RSS and CPU now; call it right
    /// before the measured repetitions, after the warm-up.
    pub fn start() -> Meter {
        // Writing 5 resets VmHWM to the current RSS (Linux 4.0+); without
        // it the peak would include the warm-up and earlier variants.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        Meter {
            rss_start_kb: status_kb("VmRSS"),
            cpu_start: cpu_seconds(),
        }
    }

    fn reading(&self) -> MeterReading {
        MeterReading {
            rss_start_kb: self.rss_start_kb,
            rss_peak_kb: status_kb("VmHWM"),
            cpu_s: round4(cpu_seconds() - self.cpu_start),
        }
    }
}

/// What a [`Meter`] saw, as the JSON line's fields.
#[derive(Serialize)]
struct MeterReading {
    rss_start_kb: Option<u64>,
    rss_peak_kb: Option<u64>,
    cpu_s: f64,
}

/// A field of `/proc/self/status` in kB, e.g. `VmRSS`.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}

/// User + system CPU of the whole process (all threads), in seconds.
fn cpu_seconds() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// The unit of a variant's samples, which also says which way is better.
#[derive(Clone, Copy)]
pub enum Unit {
    /// Milliseconds per operation.
    Ms,
    /// Seconds per repetition (concurrency: total wall).
    Seconds,
    /// 10^6 bytes of payload per second.
    MbPerS,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Ms => "ms",
            Unit::Seconds => "s",
            Unit::MbPerS => "MB/s",
        }
    }

    fn better(self) -> &'static str {
        match self {
            Unit::MbPerS => "higher",
            Unit::Ms | Unit::Seconds => "lower",
        }
    }
}

/// Summary statistics over the measured samples; p90 is nearest-rank.
#[derive(Serialize)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
    mean: f64,
    p90: f64,
}

impl Stats {
    fn of(samples: &[f64]) -> Option<Stats> {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let (first, last) = (*sorted.first()?, *sorted.last()?);
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        let p90_rank = ((0.9 * n as f64).ceil() as usize).max(1);
        Some(Stats {
            median: round4(median),
            min: round4(first),
            max: round4(last),
            mean: round4(sorted.iter().sum::<f64>() / n as f64),
            p90: round4(sorted[p90_rank - 1]),
        })
    }
}

/// One JSON line, fields in the order the harness README lists them.
#[derive(Serialize)]
struct Record<'a> {
    schema: u32,
    peer: &'a str,
    client: &'a str,
    scenario: &'a str,
    variant: &'a str,
    unit: &'static str,
    better: &'static str,
    n: usize,
    warmup: usize,
    #[serde(flatten)]
    stats: Option<Stats>,
    #[serde(flatten)]
    meter: MeterReading,
    ok: bool,
    extra: Value,
}

/// Who is reporting: the peer name in the table and the client version.
pub struct Reporter {
    pub peer: String,
    pub client: String,
    /// Added to every line's `extra` (API version and how it was settled,
    /// the runtime flavour).
    pub common_extra: Value,
}

/// The measured samples of one variant, and whether every repetition was
/// verified.
pub struct Measured {
    pub samples: Vec<f64>,
    pub ok: bool,
    pub meter: Meter,
}

impl Reporter {
    /// Print one variant's line on stdout.
    pub fn emit(
        &self,
        scenario: &str,
        variant: &str,
        unit: Unit,
        warmup: usize,
        measured: &Measured,
        extra: Value,
    ) {
        let mut extra = extra;
        if let (Value::Object(extra), Value::Object(common)) = (&mut extra, &self.common_extra) {
            for (key, value) in common {
                extra.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        let record = Record {
            schema: 1,
            peer: &self.peer,
            client: &self.client,
            scenario,
            variant,
            unit: unit.name(),
            better: unit.better(),
            n: measured.samples.len(),
            warmup,
            stats: Stats::of(&measured.samples),
            meter: measured.meter.reading(),
            ok: measured.ok,
            extra,
        };
        println!(
            "{}",
            serde_json::to_string(&record).expect("a record serializes")
        );
    }
}

/// Run `op` `warmup` times unmeasured, then `n` times timed one by one in
/// milliseconds. `op` answers whether its work checked out (exit code,
/// count, …); an error aborts the scenario.
pub async fn time_ms<F, Fut>(n: usize, warmup: usize, mut op: F) -> Res<Measured>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Res<bool>>,
{
    for _ in 0..warmup {
        op().await?;
    }
    let meter = Meter::start();
    let mut samples = Vec::with_capacity(n);
    let mut ok = true;
    for _ in 0..n {
        let started = Instant::now();
        ok &= op().await?;
        samples.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok(Measured { samples, ok, meter })
}

/// Like [`time_ms`] for transfers: `op` returns the payload bytes it moved
/// (or `None` when they did not check out) and each sample is in MB/s.
pub async fn time_rate<F, Fut>(n: usize, warmup: usize, mut op: F) -> Res<Measured>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Res<(usize, bool)>>,
{
    for _ in 0..warmup {
        op().await?;
    }
    let meter = Meter::start();
    let mut samples = Vec::with_capacity(n);
    let mut ok = true;
    for _ in 0..n {
        let started = Instant::now();
        let (bytes, verified) = op().await?;
        samples.push(bytes as f64 / started.elapsed().as_secs_f64() / 1e6);
        ok &= verified;
    }
    Ok(Measured { samples, ok, meter })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_match_the_harness_definitions() {
        let s = Stats::of(&[5.0, 1.0, 3.0, 2.0, 4.0, 6.0, 7.0, 8.0, 9.0, 10.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.mean), (5.5, 1.0, 10.0, 5.5));
        // nearest rank: ceil(0.9 * 10) = 9th smallest
        assert_eq!(s.p90, 9.0);
        assert_eq!(Stats::of(&[2.0]).unwrap().p90, 2.0);
        assert!(Stats::of(&[]).is_none());
    }

    #[test]
    fn status_fields_are_read() {
        assert!(status_kb("VmRSS").unwrap() > 0);
        assert!(status_kb("NoSuchField").is_none());
    }
}
