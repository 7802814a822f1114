//! The container methods beyond the lifecycle, against the real daemon:
//! archives in and out, export, diff, top, stats, commit, update, image.

mod common;

use std::io::Read;
use std::time::Duration;

use bytes::Bytes;
use dockhand::options::RestartPolicy;
use dockhand::{
    ArchiveBody, ChangeKind, CommitOptions, Container, ContainerOptions, Docker, Error,
    ImageRemoveOptions, RemoveOptions, TopOptions, UpdateOptions,
};
use futures_util::{Stream, StreamExt, TryStreamExt};

/// The test's labelled objects, removed when it ends.
struct Cleanup(common::cleanup::LabelCleanup);

impl Cleanup {
    fn new(what: &str) -> Cleanup {
        Cleanup(common::cleanup::LabelCleanup::new(what))
    }

    /// Container options carrying the label, running `command`.
    fn options(&self, command: &str) -> ContainerOptions {
        ContainerOptions::new()
            .command(["sh", "-c", command])
            .labels(self.0.pair())
    }
}

/// A running busybox container that sleeps, labelled for `cleanup`.
async fn sleeper(docker: &Docker, cleanup: &Cleanup) -> Container {
    let image = common::busybox(docker).await;
    docker
        .containers()
        .run_detached(image, &cleanup.options("sleep 60"))
        .await
        .expect("the sleeper starts")
}

/// A tar holding one regular file.
fn tar_with(name: &str, contents: &[u8], mode: u32) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    header.set_size(contents.len() as u64);
    header.set_mode(mode);
    header.set_mtime(1_700_000_000);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append_data(&mut header, name, contents)
        .expect("tar entry");
    builder.into_inner().expect("tar")
}

/// Collect a byte stream.
async fn collect(stream: impl Stream<Item = dockhand::Result<Bytes>>) -> Vec<u8> {
    stream
        .map_ok(|chunk| chunk.to_vec())
        .try_concat()
        .await
        .expect("the stream reads to its end")
}

/// The (path, contents) of each regular file in a tar.
fn tar_files(tar: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(tar);
    let mut files = Vec::new();
    for entry in archive.entries().expect("a tar") {
        let mut entry = entry.expect("a tar entry");
        if entry.header().entry_type().is_file() {
            let path = entry.path().expect("a path").display().to_string();
            let mut contents = Vec::new();
            entry.read_to_end(&mut contents).expect("contents");
            files.push((path, contents));
        }
    }
    files
}

#[tokio::test]
async fn put_then_get_archive_round_trips_a_file() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("archive");
    let container = sleeper(&docker, &cleanup).await;
    let contents = b"hello from dockhand\n";

    container
        .put_archive("/tmp", tar_with("hello.txt", contents, 0o640))
        .await
        .expect("the archive is extracted");

    let (stat, tar) = container.get_archive("/tmp/hello.txt").await.unwrap();
    assert_eq!(stat.name, "hello.txt");
    assert_eq!(stat.size, contents.len() as i64);
    assert!(stat.is_file(), "{stat:?}");
    assert_eq!(stat.permissions(), 0o640);
    assert_eq!(stat.link_target, None);
    let files = tar_files(&collect(tar).await);
    assert_eq!(files, [("hello.txt".to_owned(), contents.to_vec())]);

    // The HEAD form describes the same path without a transfer.
    assert_eq!(
        container.archive_stat("/tmp/hello.txt").await.unwrap(),
        stat
    );
    let dir = container.archive_stat("/tmp").await.unwrap();
    assert!(dir.is_dir(), "{dir:?}");
}

#[tokio::test]
async fn put_archive_streams_a_body_in_chunks() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("archive-stream");
    let container = sleeper(&docker, &cleanup).await;
    let contents: Vec<u8> = (0..200_000_u32).map(|i| (i % 251) as u8).collect();
    let tar = tar_with("big.bin", &contents, 0o600);
    let chunks: Vec<Result<Bytes, std::io::Error>> = tar
        .chunks(7_000)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect();

    container
        .put_archive(
            "/tmp",
            ArchiveBody::from_stream(futures_util::stream::iter(chunks)),
        )
        .await
        .expect("the streamed archive is extracted");

    let (stat, tar) = container.get_archive("/tmp/big.bin").await.unwrap();
    assert_eq!(stat.size, contents.len() as i64);
    assert_eq!(
        tar_files(&collect(tar).await),
        [("big.bin".to_owned(), contents)]
    );
}

#[tokio::test]
async fn missing_paths_are_not_found() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("archive-missing");
    let container = sleeper(&docker, &cleanup).await;

    let err = container.get_archive("/no/such/path").await.err().unwrap();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("/no/such/path"), "{err}");
    let err = container.archive_stat("/no/such/path").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = container
        .put_archive("/no/such/dir", tar_with("f", b"x", 0o644))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn export_is_a_tar_of_the_filesystem() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("export");
    let image = common::busybox(&docker).await;
    let container = docker
        .containers()
        .create(image, &cleanup.options("true"))
        .await
        .unwrap();

    let tar = collect(container.export().await.unwrap()).await;
    let files = tar_files(&tar);
    let busybox = files
        .iter()
        .find(|(path, _)| path == "bin/busybox")
        .unwrap_or_else(|| panic!("no bin/busybox among {} files", files.len()));
    assert!(
        busybox.1.starts_with(b"\x7fELF"),
        "bin/busybox is the binary"
    );
}

#[tokio::test]
async fn diff_reports_added_and_modified_paths() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("diff");
    let container = sleeper(&docker, &cleanup).await;
    // `null` from the daemon: nothing changed yet.
    assert_eq!(container.diff().await.unwrap(), []);

    container
        .put_archive("/tmp", tar_with("added.txt", b"new\n", 0o644))
        .await
        .unwrap();
    let changes = container.diff().await.unwrap();
    let kind = |path: &str| {
        changes
            .iter()
            .find(|change| change.path == path)
            .map(|change| change.kind)
    };
    assert_eq!(
        kind("/tmp/added.txt"),
        Some(ChangeKind::Added),
        "{changes:?}"
    );
    assert_eq!(kind("/tmp"), Some(ChangeKind::Modified), "{changes:?}");
}

#[tokio::test]
async fn top_lists_the_processes() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("top");
    let container = sleeper(&docker, &cleanup).await;

    let top = container.top(&TopOptions::new()).await.unwrap();
    assert!(top.titles.iter().any(|title| title == "PID"), "{top:?}");
    let commands = top.column("CMD").expect("a CMD column");
    assert!(
        commands.iter().any(|command| command.contains("sleep 60")),
        "{top:?}"
    );

    // `ps` runs on the host, so it takes the host's arguments.
    let top = container
        .top(&TopOptions::new().ps_args("-o pid,comm"))
        .await
        .unwrap();
    assert_eq!(top.titles, ["PID", "COMMAND"]);
    assert_eq!(top.column("COMMAND").unwrap(), ["sleep"]);

    let stopped = docker
        .containers()
        .create(common::busybox(&docker).await, &cleanup.options("true"))
        .await
        .unwrap();
    let err = stopped.top(&TopOptions::new()).await.unwrap_err();
    assert!(
        err.is_conflict() && err.to_string().contains("not running"),
        "{err:?}"
    );
}

#[tokio::test]
async fn stats_once_samples_cpu_and_memory() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("stats-once");
    let container = sleeper(&docker, &cleanup).await;

    let stats = container.stats_once().await.unwrap();
    // Daemons from 26 on leave both out of one-shot samples.
    assert_eq!(stats.id.as_deref(), Some(container.id()));
    let name = format!("/{}", container.name());
    assert_eq!(stats.name.as_deref(), Some(name.as_str()));
    let memory = stats.memory_stats.expect("memory_stats");
    assert!(memory.usage.unwrap_or(0) > 0, "{memory:?}");
    assert!(memory.limit.unwrap_or(0) > 0, "{memory:?}");
    // CPU and pids readings are nullable in the spec: `Option`s inside.
    let cpu = stats.cpu_stats.and_then(|cpu| cpu.0).expect("cpu_stats");
    let usage = cpu.cpu_usage.and_then(|usage| usage.0).expect("cpu_usage");
    assert!(usage.total_usage.unwrap_or(0) > 0, "{usage:?}");
    let pids = stats
        .pids_stats
        .and_then(|pids| pids.0)
        .expect("pids_stats");
    assert!(pids.current.unwrap_or(0) >= 1, "{pids:?}");
}

#[tokio::test]
async fn stats_stream_yields_samples_until_dropped() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("stats-stream");
    let container = sleeper(&docker, &cleanup).await;

    let samples = container.stats_stream().await.unwrap();
    let first_two: Vec<_> = tokio::time::timeout(
        Duration::from_secs(30),
        samples.take(2).try_collect::<Vec<_>>(),
    )
    .await
    .expect("two samples within 30 s")
    .unwrap();
    assert_eq!(first_two.len(), 2);
    for sample in &first_two {
        assert_eq!(sample.id.as_deref(), Some(container.id()));
        assert!(sample.memory_stats.is_some() && sample.cpu_stats.is_some());
    }
    // The second sample carries the first reading as its `precpu_stats`.
    let precpu = first_two[1]
        .precpu_stats
        .as_ref()
        .and_then(|cpu| cpu.as_ref())
        .and_then(|cpu| cpu.cpu_usage.as_ref())
        .and_then(|usage| usage.as_ref())
        .and_then(|usage| usage.total_usage);
    assert!(precpu.unwrap_or(0) > 0, "{:?}", first_two[1].precpu_stats);
}

#[tokio::test]
async fn commit_makes_an_image_that_runs_the_committed_file() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("commit");
    let container = sleeper(&docker, &cleanup).await;
    container
        .put_archive("/tmp", tar_with("marker", b"committed\n", 0o644))
        .await
        .unwrap();
    let repository = common::unique_name("commit");

    let image = container
        .commit(
            &CommitOptions::new()
                .repository(&repository)
                .tag("v1")
                .message("a test snapshot")
                .author("dockhand tests")
                .changes([
                    "ENV COMMITTED=yes",
                    "CMD [\"sh\", \"-c\", \"cat /tmp/marker; echo $COMMITTED\"]",
                ]),
        )
        .await
        .unwrap();
    let reference = format!("{repository}:v1");
    assert_eq!(image.tags(), [reference.as_str()]);
    assert_eq!(image.attrs().comment.as_deref(), Some("a test snapshot"));
    assert_eq!(image.attrs().author.as_deref(), Some("dockhand tests"));

    // No command: the image's CMD from the changes runs.
    let output = docker
        .containers()
        .run(
            &reference,
            &ContainerOptions::new()
                .labels([(common::TEST_LABEL, cleanup.0.label())])
                .remove(true),
        )
        .await
        .unwrap();
    assert_eq!(output, b"committed\nyes\n");

    docker
        .images()
        .remove(&reference, &ImageRemoveOptions::new())
        .await
        .unwrap();
    assert!(docker.images().get_opt(&reference).await.unwrap().is_none());
}

#[tokio::test]
async fn update_changes_limits_and_restart_policy() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("update");
    let mut container = sleeper(&docker, &cleanup).await;

    let warnings = container
        .update(
            &UpdateOptions::new()
                .mem_limit("64m")
                .memswap_limit("128m")
                .cpu_shares(512)
                .pids_limit(50)
                .restart_policy(RestartPolicy::on_failure(2)),
        )
        .await
        .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");

    container.reload().await.unwrap();
    let dockhand::ContainerAttrs::Inspected(attrs) = container.attrs() else {
        panic!("reload inspects");
    };
    let host = attrs.host_config.as_ref().expect("host config");
    assert_eq!(host.memory, Some(67_108_864));
    assert_eq!(host.memory_swap, Some(134_217_728));
    assert_eq!(host.cpu_shares, Some(512));
    assert_eq!(host.pids_limit, Some(50));
    let policy = host.restart_policy.as_ref().expect("restart policy");
    assert_eq!(policy.name.as_deref(), Some("on-failure"));
    assert_eq!(policy.maximum_retry_count, Some(2));

    // The new memory limit is the one the kernel enforces.
    let stats = container.stats_once().await.unwrap();
    assert_eq!(
        stats.memory_stats.and_then(|memory| memory.limit),
        Some(67_108_864)
    );
}

#[tokio::test]
async fn update_refuses_bad_values_before_any_request() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("update-invalid");
    let container = sleeper(&docker, &cleanup).await;
    // Remove the container: a request would now answer "not found", so an
    // invalid-argument error shows that none was sent.
    container
        .remove(&RemoveOptions::new().force(true))
        .await
        .unwrap();

    let err = container
        .update(&UpdateOptions::new().cpu_shares(512).mem_limit("64q"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("mem_limit") && message.contains("\"64q\""),
        "{message}"
    );

    let err = container
        .update(&UpdateOptions::new().restart_policy("sometimes"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");

    let err = container
        .update(
            &UpdateOptions::new()
                .nano_cpus(500_000_000)
                .cpu_quota(50_000),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(err.to_string().contains("cpu_quota"), "{err}");

    let err = container
        .update(&UpdateOptions::new().cpu_shares(512))
        .await
        .unwrap_err();
    assert!(
        err.is_not_found(),
        "a valid update does reach the daemon: {err:?}"
    );
}

#[tokio::test]
async fn image_is_the_one_the_container_was_created_from() {
    let docker = common::docker().await;
    let cleanup = Cleanup::new("image");
    let image = common::busybox(&docker).await;
    let container = docker
        .containers()
        .create(image, &cleanup.options("true"))
        .await
        .unwrap();

    let from_container = container.image().await.unwrap();
    let busybox = docker.images().get(image).await.unwrap();
    assert_eq!(from_container.id(), busybox.id());
    assert!(
        from_container.tags().contains(&image),
        "{:?}",
        from_container.tags()
    );
}
