//! Quickstart: connect the way the docker CLI does, make sure a small image
//! is there, run a container in it and print what it wrote.
//!
//! `cargo xtask quickstart` runs this with a daemon (starting one if none
//! answers); `cargo run --example quickstart` runs it against `DOCKER_HOST`.

#[path = "support/busybox_image.rs"]
mod busybox_image;

use std::path::Path;

use dockhand::{ContainerOptions, Docker, ImportOptions};

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

    // No registry is needed: the image is made from the local static busybox.
    let image = format!("{}:{}", busybox_image::REPOSITORY, busybox_image::TAG);
    if docker.images().get_opt(&image).await?.is_none() {
        println!("importing {image} from {}", busybox_image::busybox_path());
        let tar = busybox_image::rootfs_tar(Path::new(&busybox_image::busybox_path()))?;
        let options = ImportOptions::new()
            .repository(busybox_image::REPOSITORY)
            .tag(busybox_image::TAG);
        docker.images().import(tar, &options).await?;
    }

    let options = ContainerOptions::new()
        .command("sh -c 'echo hello from dockhand; uname -sm'")
        .remove(true);
    let output = docker.containers().run(&image, &options).await?;
    print!("{}", String::from_utf8_lossy(&output));
    Ok(())
}
