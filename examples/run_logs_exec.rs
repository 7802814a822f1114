//! Run a container in the background, follow its logs while it works, run a
//! command inside it, then stop and remove it.
//!
//! `cargo run --example run_logs_exec [IMAGE]` (default: the quickstart's
//! `dockhand-test/busybox:latest`) against `DOCKER_HOST`.

use std::time::Duration;

use dockhand::{ContainerOptions, Docker, ExecOptions, ExecOutput, LogsOptions, StopOptions};
use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> dockhand::Result<()> {
    let image = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "dockhand-test/busybox:latest".to_owned());
    let docker = Docker::from_env()?;

    let worker = docker
        .containers()
        .run_detached(
            &image,
            &ContainerOptions::new()
                .command([
                    "sh",
                    "-c",
                    "for i in 1 2 3 4 5; do echo tick $i; sleep 0.3; done; sleep 60",
                ])
                .environment(["GREETING=hello"])
                .mem_limit("64m")
                .remove(true),
        )
        .await?;
    println!("started {} ({})", worker.name(), worker.short_id());

    // Follow the log until five ticks arrived.
    let mut logs = worker.logs_stream(&LogsOptions::new().follow(true)).await?;
    let mut ticks = 0;
    while let Some(chunk) = logs.try_next().await? {
        print!("log: {chunk}");
        ticks += chunk
            .as_bytes()
            .iter()
            .filter(|byte| **byte == b'\n')
            .count();
        if ticks >= 5 {
            break;
        }
    }
    drop(logs);

    let result = worker
        .exec_run(
            "sh -c 'echo $GREETING from $(hostname)'",
            &ExecOptions::new(),
        )
        .await?;
    if let ExecOutput::Combined(output) = &result.output {
        print!(
            "exec (exit {}): {}",
            result.exit_code,
            String::from_utf8_lossy(output)
        );
    }

    // Auto-removal takes the container away once it stops.
    worker
        .stop(&StopOptions::new().timeout(Duration::from_secs(1)))
        .await?;
    println!("stopped and removed");
    Ok(())
}
