//! dockhand's peer for the Docker client benchmark in `shared/bench/`: the
//! harness's scenarios through dockhand's public facade, one JSON line per
//! scenario variant on stdout (see `bench/README.md`).
//!
//! ```text
//! dockhand-bench --scenario NAME [--n N] [--warmup W] [--concurrency C]
//!                [--peer NAME] [--runtime multi_thread|current_thread]
//! ```
//!
//! Fixtures come from the `BENCH_*` environment the harness writes. The
//! runtime flavour is `--runtime` or `BENCH_TOKIO` (as for the bollard
//! peer); the peer name is `--peer`, else `BENCH_PEER`, else `dockhand` or
//! `dockhand-ct` by flavour.

mod fixtures;
mod measure;
mod scenarios;

use dockhand::Docker;
use serde_json::json;

use crate::measure::Reporter;
use crate::scenarios::{Job, SCENARIOS};

/// The error type of the scenarios: anything, reported on stderr.
type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const USAGE: &str = "usage: dockhand-bench --scenario NAME [--n N] [--warmup W] [--concurrency C] \
                     [--peer NAME] [--runtime multi_thread|current_thread]";

/// The command line.
struct Args {
    job: Job,
    peer: Option<String>,
    runtime: Option<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut scenario, mut n, mut warmup, mut concurrency, mut peer, mut runtime) =
        (None, None, None, None, None, None);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |text: String| {
            text.parse::<usize>()
                .map_err(|err| format!("{flag} {text:?}: {err}"))
        };
        match flag.as_str() {
            "--scenario" => scenario = Some(value()?),
            "--n" => n = Some(number(value()?)?),
            "--warmup" => warmup = Some(number(value()?)?),
            "--concurrency" => concurrency = Some(number(value()?)?),
            "--peer" => peer = Some(value()?),
            "--runtime" => runtime = Some(value()?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let scenario = scenario.ok_or("--scenario is required")?;
    let &(_, default_n, default_warmup) =
        SCENARIOS
            .iter()
            .find(|(name, _, _)| *name == scenario)
            .ok_or_else(|| format!("unknown scenario {scenario:?}"))?;
    let concurrency = match concurrency {
        Some(c) => c,
        None => match fixtures::optional("BENCH_CONCURRENCY") {
            Some(text) => text
                .parse()
                .map_err(|err| format!("BENCH_CONCURRENCY {text:?}: {err}"))?,
            None => 16,
        },
    };
    Ok(Args {
        job: Job {
            scenario,
            n: n.unwrap_or(default_n),
            warmup: warmup.unwrap_or(default_warmup),
            concurrency,
        },
        peer,
        runtime,
    })
}

/// dockhand's version, from the library's manifest (this crate's own
/// version says nothing about the client measured).
fn client() -> String {
    let manifest = include_str!("../../Cargo.toml");
    let version = manifest
        .split("\n[")
        .find(|section| section.starts_with("package]"))
        .and_then(|package| {
            package
                .lines()
                .find_map(|line| line.strip_prefix("version = "))
        })
        .map(|quoted| quoted.trim().trim_matches('"'))
        .unwrap_or("?");
    format!("dockhand {version}")
}

/// Connect, settle the API version before anything is timed, and run.
async fn bench(args: Args, flavour: &str) -> Res<()> {
    let socket =
        fixtures::optional("BENCH_SOCKET").unwrap_or_else(|| "/var/run/docker.sock".into());
    let host = format!("unix://{socket}");
    // The harness pins its own requests to BENCH_API_VERSION; do the same
    // unless asked to negotiate as `Docker::connect` does by default. Either
    // way the version is settled here, outside the timings.
    let pinned = fixtures::optional("BENCH_API_VERSION")
        .filter(|_| fixtures::optional("BENCH_DOCKHAND_NEGOTIATE").is_none());
    let docker = match &pinned {
        Some(version) => Docker::builder().host(&host).api_version(version).build()?,
        None => Docker::connect(&host)?,
    };
    let api_version = docker.api_version().await?;
    docker.ping().await?;

    let peer = args
        .peer
        .or_else(|| fixtures::optional("BENCH_PEER"))
        .unwrap_or_else(|| {
            if flavour == "current_thread" {
                "dockhand-ct"
            } else {
                "dockhand"
            }
            .to_owned()
        });
    let report = Reporter {
        peer,
        client: client(),
        common_extra: json!({
            "api_version": api_version.to_string(),
            "api": if pinned.is_some() { "pinned (BENCH_API_VERSION)" } else { "negotiated" },
            "tokio": flavour,
        }),
    };
    scenarios::run(&docker, &report, &args.job).await
}

fn main() {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("dockhand-bench: {message}\n{USAGE}");
            std::process::exit(2);
        }
    };
    // The multi-threaded runtime is what `#[tokio::main]` gives an
    // application; the current-thread one avoids cross-thread wake-ups,
    // which matters on a 2-core machine (see the bollard vs bollard-ct rows).
    let flavour = args
        .runtime
        .clone()
        .or_else(|| fixtures::optional("BENCH_TOKIO"))
        .unwrap_or_else(|| "multi_thread".to_owned());
    let runtime = match flavour.as_str() {
        "current_thread" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        "multi_thread" => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        other => {
            eprintln!("dockhand-bench: unknown runtime {other:?}\n{USAGE}");
            std::process::exit(2);
        }
    }
    .expect("a tokio runtime");
    let scenario = args.job.scenario.clone();
    if let Err(err) = runtime.block_on(bench(args, &flavour)) {
        eprintln!("dockhand-bench {scenario}: {err}");
        let mut source = err.source();
        while let Some(cause) = source {
            eprintln!("  caused by: {cause}");
            source = cause.source();
        }
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Args, String> {
        parse_args(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn harness_arguments_are_read() {
        let parsed = args("--scenario exec --n 5 --warmup 0 --concurrency 4 --peer x").unwrap();
        assert_eq!(
            (
                parsed.job.scenario.as_str(),
                parsed.job.n,
                parsed.job.warmup,
                parsed.job.concurrency
            ),
            ("exec", 5, 0, 4)
        );
        assert_eq!(parsed.peer.as_deref(), Some("x"));
    }

    #[test]
    fn counts_default_to_the_harness_table() {
        let parsed = args("--scenario ping --concurrency 1").unwrap();
        assert_eq!((parsed.job.n, parsed.job.warmup), (200, 20));
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert!(args("--n 3").is_err());
        assert!(args("--scenario nope").is_err());
        assert!(args("--scenario ping --n x").is_err());
        assert!(args("--scenario ping --bogus 1").is_err());
    }

    #[test]
    fn the_client_is_named_with_the_library_version() {
        let client = client();
        assert!(
            client.starts_with("dockhand ") && !client.ends_with('?'),
            "{client}"
        );
    }
}
