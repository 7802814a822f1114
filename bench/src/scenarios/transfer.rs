//! Scenarios that move bulk data: logs (demultiplexed stdout) and archives.

use std::cell::Cell;

use bytes::Bytes;
use dockhand::{Docker, LogsOptions, StreamKind};
use futures_util::TryStreamExt;
use serde_json::json;

use crate::fixtures;
use crate::measure::{time_rate, Reporter, Unit};
use crate::Res;

/// Read all stdout of a log-producer fixture: `stream` counts the bytes of
/// `logs_stream`'s chunks as they arrive (memory stays flat), `collect`
/// takes `logs`' one buffer. The handle comes from one `containers().get`
/// before timing, as an application would hold it.
pub async fn logs(
    docker: &Docker,
    report: &Reporter,
    n: usize,
    w: usize,
    id_var: &str,
    bytes_var: &str,
) -> Res<()> {
    let scenario = if id_var == "BENCH_LOGS_ID" {
        "logs"
    } else {
        "logs_lines"
    };
    let container = docker
        .containers()
        .get(&fixtures::required(id_var)?)
        .await?;
    let expect = fixtures::required_usize(bytes_var)?;
    let stdout_only = || LogsOptions::new().stdout(true).stderr(false);

    for variant in ["stream", "collect"] {
        // Warm-up reads only the tail, as the other peers do.
        for _ in 0..w {
            container.logs(&stdout_only().tail(100)).await?;
        }
        let (bytes, chunks) = (Cell::new(0usize), Cell::new(0usize));
        let measured = time_rate(n, 0, || async {
            let (mut total, mut pieces) = (0usize, 0usize);
            if variant == "stream" {
                let mut output = std::pin::pin!(container.logs_stream(&stdout_only()).await?);
                while let Some(chunk) = output.try_next().await? {
                    if chunk.kind == StreamKind::Stdout {
                        total += chunk.bytes.len();
                        pieces += 1;
                    }
                }
            } else {
                total = container.logs(&stdout_only()).await?.len();
            }
            bytes.set(total);
            chunks.set(pieces);
            Ok((total, total == expect))
        })
        .await?;
        let mut extra = json!({"bytes": bytes.get(), "expect_bytes": expect});
        if variant == "stream" {
            // Chunks, not frames: a chunk is at most 64 KiB of one frame.
            extra["chunks"] = json!(chunks.get());
        }
        report.emit(scenario, variant, Unit::MbPerS, w, &measured, extra);
    }
    Ok(())
}

/// Upload the fixture tar into the sleeper (`put`: `put_archive` of the
/// tar in memory) and download the file back (`get`: `get_archive`, the
/// tar stream's bytes counted as they arrive, the path's size checked).
pub async fn archive(docker: &Docker, report: &Reporter, n: usize, w: usize) -> Res<()> {
    let container = docker
        .containers()
        .get(&fixtures::required("BENCH_SLEEPER_ID")?)
        .await?;
    let tar = Bytes::from(std::fs::read(fixtures::required("BENCH_ARCHIVE_TAR")?)?);
    let size = fixtures::required_usize("BENCH_ARCHIVE_BYTES")?;
    let dir = fixtures::optional("BENCH_ARCHIVE_DIR").unwrap_or_else(|| "/".to_owned());
    let path = format!("{}/blob.bin", dir.trim_end_matches('/'));

    let measured = time_rate(n, w, || async {
        // Bytes: the clone shares the buffer, so nothing is copied per put.
        container.put_archive(&dir, tar.clone()).await?;
        Ok((tar.len(), true))
    })
    .await?;
    report.emit(
        "archive",
        "put",
        Unit::MbPerS,
        w,
        &measured,
        json!({"bytes": tar.len()}),
    );

    let got = Cell::new(0usize);
    let measured = time_rate(n, w, || async {
        let (stat, mut stream) = container.get_archive(&path).await?;
        let mut bytes = 0usize;
        while let Some(chunk) = stream.try_next().await? {
            bytes += chunk.len();
        }
        got.set(bytes);
        Ok((
            bytes,
            usize::try_from(stat.size) == Ok(size) && bytes >= size,
        ))
    })
    .await?;
    report.emit(
        "archive",
        "get",
        Unit::MbPerS,
        w,
        &measured,
        json!({"bytes": got.get()}),
    );
    Ok(())
}
