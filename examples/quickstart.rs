//! Quickstart: connect the way the docker CLI does, make sure a small image
//! is there, run a container in it and print what it wrote.
//!
//! `cargo xtask quickstart` runs this with a daemon (starting one if none
//! answers); `cargo run --example quickstart` runs it against `DOCKER_HOST`.

#[path = "support/busybox_image.rs"]
mod busybox_image;

use std::path::Path;

use dockhand::models::{ContainerCreateBody, ContainerWaitCondition};
use dockhand::Docker;
use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let docker = Docker::from_env()?;
    let version = docker.version().await?;
    println!(
        "connected to Docker {} at {} (API {})",
        version.version.as_deref().unwrap_or("?"),
        docker.host(),
        docker.api_version().await?
    );

    let image = format!("{}:{}", busybox_image::REPOSITORY, busybox_image::TAG);
    let raw = docker.raw().await?;
    if raw.image_inspect(&image, None, None).await.is_err() {
        println!("importing {image} from {}", busybox_image::busybox_path());
        let tar = busybox_image::rootfs_tar(Path::new(&busybox_image::busybox_path()))?;
        let progress = raw
            .image_create(
                None,
                None,
                Some("-"),
                None,
                None,
                Some(busybox_image::REPOSITORY),
                Some(busybox_image::TAG),
                None,
                tar,
            )
            .await?;
        progress
            .into_inner()
            .into_inner()
            .try_for_each(|_| async { Ok(()) })
            .await?;
    }

    // A TTY makes the log a plain byte stream (no stdout/stderr framing).
    let body = ContainerCreateBody {
        image: Some(image.clone()),
        cmd: Some(vec![
            "sh".into(),
            "-c".into(),
            "echo hello from dockhand; uname -sm".into(),
        ]),
        tty: Some(true),
        ..Default::default()
    };
    let id = raw
        .container_create(None, None, &body)
        .await?
        .into_inner()
        .id;
    raw.container_start(&id, None).await?;
    let exit = raw
        .container_wait(&id, Some(ContainerWaitCondition::NotRunning))
        .await?
        .into_inner();
    let output: Vec<u8> = raw
        .container_logs(&id, None, None, None, Some(true), None, None, None)
        .await?
        .into_inner()
        .into_inner()
        .map_ok(|chunk| chunk.to_vec())
        .try_concat()
        .await?;
    raw.container_delete(&id, None, None, None).await?;

    print!("{}", String::from_utf8_lossy(&output));
    println!("container {} exited with {}", &id[..12], exit.status_code);
    Ok(())
}
