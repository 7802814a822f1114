//! The program testcontainers users write: start a server with a published
//! port, wait until it is ready, copy a file in, talk to it, run a command
//! in it, read its log, then stop and remove it.
//!
//! `cargo run --example ready_wait [IMAGE]` (default: the quickstart's
//! `dockhand-test/busybox:latest`, whose `httpd` serves the file) against
//! `DOCKER_HOST`.

use std::time::Duration;

use dockhand::options::HostPorts;
use dockhand::{ContainerOptions, Docker, HttpCheck, LogLine, LogsOptions, Ready, RemoveOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::main]
async fn main() -> dockhand::Result<()> {
    let image = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "dockhand-test/busybox:latest".to_owned());
    let docker = Docker::from_env()?;

    // -p 127.0.0.1::80 — any free port on the loopback address.
    let server = docker
        .containers()
        .run_detached(
            &image,
            &ContainerOptions::new()
                .command([
                    "sh",
                    "-c",
                    "mkdir -p /www; echo server starting; sleep 1; echo serving; exec httpd -f -v -p 80 -h /www",
                ])
                .ports(vec![("80/tcp", HostPorts::from("127.0.0.1"))]),
        )
        .await?;
    println!("started {} ({})", server.name(), server.short_id());

    // Ready when it said so and answers HTTP on its published port.
    let ready = Ready::log(LogLine::containing("serving")).and(Ready::port(80));
    server
        .wait_until_ready(&ready, Duration::from_secs(30))
        .await?;
    let address = server.host_port(80)?;
    println!("ready at http://{address}/");

    // Copy a page in: a tar archive extracted under /www.
    let page = b"hello from dockhand\n";
    let mut archive = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(page.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    archive
        .append_data(&mut header, "index.html", &page[..])
        .expect("an in-memory tar");
    server
        .put_archive("/www", archive.into_inner().expect("an in-memory tar"))
        .await?;
    server
        .wait_until_ready(&Ready::http(HttpCheck::get(80)), Duration::from_secs(10))
        .await?;

    // Talk to it.
    let mut connection = tokio::net::TcpStream::connect(address)
        .await
        .expect("the server answers");
    connection
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .await
        .expect("a request");
    let mut answer = String::new();
    connection
        .read_to_string(&mut answer)
        .await
        .expect("an answer");
    println!("GET / -> {}", answer.lines().last().unwrap_or_default());

    // Run a command inside.
    let listing = server.exec_run("ls -l /www", &Default::default()).await?;
    print!(
        "ls -l /www (exit {}):\n{}",
        listing.exit_code,
        listing.output.text()
    );

    // Its log so far, then stop and remove it.
    let log = server.logs(&LogsOptions::new()).await?;
    print!("log:\n{}", String::from_utf8_lossy(&log));
    server.remove(&RemoveOptions::new().force(true)).await?;
    println!("removed {}", server.name());
    Ok(())
}
