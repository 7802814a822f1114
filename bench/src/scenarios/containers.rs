//! Scenarios that make containers or processes: run, exec, concurrency.

use std::time::Instant;

use dockhand::{ContainerOptions, Docker, ExecOptions, ListOptions, RemoveOptions, WaitOptions};
use serde_json::json;

use crate::fixtures;
use crate::measure::{time_ms, Measured, Meter, Reporter, Unit};
use crate::Res;

/// `run IMAGE true` with removal, through the facade's `run`: create
/// (+ inspect for the handle), attach, register a `removed` wait, start,
/// read the output to its end, take the exit status. The order that loses
/// no output; the container is gone when it returns.
async fn run_true(docker: &Docker, scenario: &str) -> Res<bool> {
    let options = ContainerOptions::new()
        .command("true")
        .labels(fixtures::labels(scenario))
        .remove(true);
    // A non-zero exit is an Error::ContainerFailed, so Ok means exit 0.
    let output = docker
        .containers()
        .run(&fixtures::image(), &options)
        .await?;
    Ok(output.is_empty())
}

/// The same work as separate facade calls, the sequence bollard and
/// docker-py's low-level API time: create (which also inspects, to fill
/// the handle), start, wait, remove.
async fn create_start_wait_remove(docker: &Docker, scenario: &str) -> Res<bool> {
    let options = ContainerOptions::new()
        .command("true")
        .labels(fixtures::labels(scenario));
    let container = docker
        .containers()
        .create(&fixtures::image(), &options)
        .await?;
    container.start().await?;
    let exit = container.wait(&WaitOptions::new()).await?;
    container.remove(&RemoveOptions::new()).await?;
    Ok(exit.success())
}

/// How many of this scenario's containers are still there (should be none).
async fn left_behind(docker: &Docker, scenario: &str) -> Res<usize> {
    let options = ListOptions::new()
        .all(true)
        .sparse(true)
        .filters(fixtures::own_containers(scenario));
    Ok(docker.containers().list(&options).await?.len())
}

pub async fn run(docker: &Docker, report: &Reporter, n: usize, w: usize) -> Res<()> {
    let mut measured = time_ms(n, w, || run_true(docker, "run")).await?;
    let left = left_behind(docker, "run").await?;
    measured.ok &= left == 0;
    report.emit(
        "run",
        "containers.run(remove=True)",
        Unit::Ms,
        w,
        &measured,
        json!({"calls_per_run": "create,inspect,attach,wait(removed),start,read attach", "left_behind": left}),
    );

    let scenario = "run-calls";
    let mut measured = time_ms(n, w, || create_start_wait_remove(docker, scenario)).await?;
    let left = left_behind(docker, scenario).await?;
    measured.ok &= left == 0;
    report.emit(
        "run",
        "create(+inspect)/start/wait/remove",
        Unit::Ms,
        w,
        &measured,
        json!({"calls_per_run": "create,inspect,start,wait,remove", "left_behind": left}),
    );
    Ok(())
}

/// exec `true` in the sleeper: `exec_run` creates the exec, starts it
/// attached, reads the output to its end and inspects the exit code.
pub async fn exec(docker: &Docker, report: &Reporter, n: usize, w: usize) -> Res<()> {
    let container = docker
        .containers()
        .get(&fixtures::required("BENCH_SLEEPER_ID")?)
        .await?;
    let options = ExecOptions::new();
    let measured = time_ms(n, w, || async {
        Ok(container.exec_run("true", &options).await?.exit_code == 0)
    })
    .await?;
    report.emit("exec", "exec_run", Unit::Ms, w, &measured, json!({}));
    Ok(())
}

/// `concurrency` runs at once, each a tokio task on one shared client;
/// one sample is the wall time until the last has finished.
pub async fn concurrency(
    docker: &Docker,
    report: &Reporter,
    n: usize,
    w: usize,
    concurrency: usize,
) -> Res<()> {
    let scenario = "concurrency";
    for _ in 0..w {
        run_true(docker, scenario).await?;
    }
    let meter = Meter::start();
    let mut samples = Vec::with_capacity(n);
    let mut ok = true;
    for _ in 0..n {
        let started = Instant::now();
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let docker = docker.clone();
                tokio::spawn(async move { run_true(&docker, scenario).await })
            })
            .collect();
        for task in tasks {
            ok &= task.await??;
        }
        samples.push(started.elapsed().as_secs_f64());
    }
    let left = left_behind(docker, scenario).await?;
    let best = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let measured = Measured {
        samples,
        ok: ok && left == 0,
        meter,
    };
    report.emit(
        "concurrency",
        &format!("{concurrency}x containers.run(remove=True), tokio tasks"),
        Unit::Seconds,
        w,
        &measured,
        json!({"concurrency": concurrency,
               "per_run_ms": (best * 1e4 / concurrency as f64).round() / 10.0,
               "left_behind": left}),
    );
    Ok(())
}
