//! The fixtures the harness creates once per run (`lib/fixtures.py`) and
//! hands over in `BENCH_*` environment variables, and the labels every
//! container made here carries so that the harness's cleanup finds it.

use dockhand::options::KeyValues;
use dockhand::Filters;

use crate::Res;

/// A fixture variable that must be set.
pub fn required(name: &str) -> Res<String> {
    optional(name).ok_or_else(|| {
        format!(
            "missing fixture env var {name} (run shared/bench/run-all.sh, or source the file \
             `lib/fixtures.py setup --out FILE` wrote)"
        )
        .into()
    })
}

/// A fixture variable that must be a number.
pub fn required_usize(name: &str) -> Res<usize> {
    let value = required(name)?;
    value
        .parse()
        .map_err(|err| format!("{name}={value:?}: {err}").into())
}

/// A variable that may be unset; empty counts as unset.
pub fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// The image every container is created from.
pub fn image() -> String {
    optional("BENCH_IMAGE").unwrap_or_else(|| "busybox:local".to_owned())
}

/// The run id the harness labels this run's containers with.
fn run_id() -> String {
    optional("BENCH_RUN_ID").unwrap_or_else(|| "adhoc".to_owned())
}

/// The labels of a container created in `scenario`: the harness's own
/// (`bench=peers`, `bench.run`), which its cleanup removes by, plus ours,
/// which let a scenario check that its containers are gone afterwards.
pub fn labels(scenario: &str) -> KeyValues {
    KeyValues::from([
        ("bench", "peers".to_owned()),
        ("bench.run", run_id()),
        ("bench.client", "dockhand".to_owned()),
        ("bench.scenario", scenario.to_owned()),
    ])
}

/// Filters that find the containers [`labels`] marked for `scenario`.
pub fn own_containers(scenario: &str) -> Filters {
    Filters::new()
        .label(format!("bench.run={}", run_id()))
        .label("bench.client=dockhand")
        .label(format!("bench.scenario={scenario}"))
}

/// `BENCH_LIST_FILTER`: the JSON filter object (`{"label": [...]}`).
pub fn list_filter() -> Res<Filters> {
    let text = required("BENCH_LIST_FILTER")?;
    let map: std::collections::BTreeMap<String, Vec<String>> =
        serde_json::from_str(&text).map_err(|err| format!("BENCH_LIST_FILTER={text:?}: {err}"))?;
    Ok(map
        .into_iter()
        .flat_map(|(key, values)| values.into_iter().map(move |value| (key.clone(), value)))
        .collect())
}
