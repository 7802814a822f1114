//! The harness's scenarios, each through dockhand's public facade. Variant
//! names follow the peers: bollard's where the operation is the same
//! (`stream`, `collect`, `put`, `get`), docker-py's where dockhand's facade
//! mirrors docker-py's (`containers.get`, `containers.run(remove=True)`,
//! `exec_run`, `containers.list`).

mod containers;
mod transfer;

use dockhand::{Container, ContainerAttrs, Docker, ListOptions};
use serde_json::json;

use crate::fixtures;
use crate::measure::{time_ms, Reporter, Unit};
use crate::Res;

/// What one peer process is asked to do.
pub struct Job {
    pub scenario: String,
    pub n: usize,
    pub warmup: usize,
    pub concurrency: usize,
}

/// The scenario names, with the harness's default repetitions and warm-up.
pub const SCENARIOS: &[(&str, usize, usize)] = &[
    ("ping", 200, 20),
    ("inspect", 200, 20),
    ("run", 20, 2),
    ("exec", 50, 3),
    ("list", 5, 1),
    ("logs", 2, 1),
    ("logs_lines", 2, 1),
    ("archive", 3, 1),
    ("concurrency", 2, 1),
];

/// Run one scenario and print its lines.
pub async fn run(docker: &Docker, report: &Reporter, job: &Job) -> Res<()> {
    let (n, w) = (job.n, job.warmup);
    match job.scenario.as_str() {
        "ping" => ping(docker, report, n, w).await,
        "inspect" => inspect(docker, report, n, w).await,
        "list" => list(docker, report, n, w).await,
        "run" => containers::run(docker, report, n, w).await,
        "exec" => containers::exec(docker, report, n, w).await,
        "concurrency" => containers::concurrency(docker, report, n, w, job.concurrency).await,
        "logs" => transfer::logs(docker, report, n, w, "BENCH_LOGS_ID", "BENCH_LOGS_BYTES").await,
        "logs_lines" => {
            let (id, bytes) = ("BENCH_LOGS_LINES_ID", "BENCH_LOGS_LINES_BYTES");
            transfer::logs(docker, report, n, w, id, bytes).await
        }
        "archive" => transfer::archive(docker, report, n, w).await,
        other => Err(format!("unknown scenario {other:?}").into()),
    }
}

/// `GET /_ping`, headers decoded into [`dockhand::Ping`].
async fn ping(docker: &Docker, report: &Reporter, n: usize, w: usize) -> Res<()> {
    let measured = time_ms(n, w, || async {
        Ok(docker.ping().await?.api_version.is_some())
    })
    .await?;
    report.emit("ping", "", Unit::Ms, w, &measured, json!({}));
    Ok(())
}

/// Inspect the running sleeper: `containers().get`, the decoded attributes.
async fn inspect(docker: &Docker, report: &Reporter, n: usize, w: usize) -> Res<()> {
    let id = fixtures::required("BENCH_SLEEPER_ID")?;
    let measured = time_ms(n, w, || async {
        let container = docker.containers().get(&id).await?;
        Ok(container.id() == id)
    })
    .await?;
    report.emit(
        "inspect",
        "containers.get",
        Unit::Ms,
        w,
        &measured,
        json!({}),
    );
    Ok(())
}

/// List the created-never-started fixture containers: in full (one inspect
/// per container, the facade's default, like docker-py's `containers.list`)
/// and `sparse` (the list call alone).
async fn list(docker: &Docker, report: &Reporter, n: usize, w: usize) -> Res<()> {
    let filters = fixtures::list_filter()?;
    let expect = fixtures::required_usize("BENCH_LIST_COUNT")?;
    for (variant, sparse) in [
        ("containers.list", false),
        ("containers.list(sparse=True)", true),
    ] {
        let options = || {
            ListOptions::new()
                .all(true)
                .filters(filters.clone())
                .sparse(sparse)
        };
        let complete = |listed: &[Container]| {
            listed.len() == expect
                && listed.iter().all(|container| {
                    sparse || matches!(container.attrs(), ContainerAttrs::Inspected(_))
                })
        };
        // The first call counts as a warm-up, as in the other peers.
        let got = docker.containers().list(&options()).await?.len();
        let measured = time_ms(n, w.saturating_sub(1), || async {
            Ok(complete(&docker.containers().list(&options()).await?))
        })
        .await?;
        report.emit(
            "list",
            variant,
            Unit::Ms,
            w,
            &measured,
            json!({"containers": got, "expect": expect,
                   "requests_per_list": if sparse { "1" } else { "1 + 1 inspect per container (8 at a time)" }}),
        );
    }
    Ok(())
}
