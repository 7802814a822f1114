//! A daemon that dies under open streams: `cargo xtask test` starts a
//! disposable dockerd (its own data root and bridge) and hands its address
//! and pid to this test, which SIGKILLs it while a logs follow, an attach,
//! a stats stream, an events stream and a wait are open. Each must end
//! promptly, the HTTP ones with an error, none with a panic; later calls
//! fail with a transport error rather than hang.
//!
//! Without the disposable daemon (not run by the xtask as root, or in the
//! matrix runs) the test says so and skips.

mod common;

use std::time::{Duration, Instant};

use dockhand::{
    AttachOptions, ContainerOptions, Docker, Error, EventsOptions, Filters, LogsOptions,
    WaitOptions,
};
use futures_util::{Stream, StreamExt};
use tokio::time::timeout;

/// How long a stream may take to end after the kill: generous for a slow
/// CI machine, far below any hang.
const ENDS_WITHIN: Duration = Duration::from_secs(10);

/// How a stream ended after the kill.
#[derive(Debug)]
struct Ending {
    /// Items it still gave after the kill.
    items: usize,
    /// The error it ended with, or `None` for a plain end.
    error: Option<Error>,
    /// How long after the kill it ended.
    after: Duration,
}

/// Reads `stream` until it ends or fails; panics if that takes longer than
/// [`ENDS_WITHIN`].
async fn ending<T>(
    what: &str,
    stream: impl Stream<Item = dockhand::Result<T>>,
    killed: Instant,
) -> Ending {
    let drained = async {
        let mut stream = std::pin::pin!(stream);
        let mut items = 0;
        while let Some(item) = stream.next().await {
            match item {
                Ok(_) => items += 1,
                Err(error) => return (items, Some(error)),
            }
        }
        (items, None)
    };
    let (items, error) = timeout(ENDS_WITHIN, drained)
        .await
        .unwrap_or_else(|_| panic!("{what} was still open {ENDS_WITHIN:?} after the kill"));
    let after = killed.elapsed();
    eprintln!("{what}: ended {after:?} after the kill, {items} items, error {error:?}");
    Ending {
        items,
        error,
        after,
    }
}

/// Waits for the first item of a stream that is expected to give one
/// before the kill: proof that it is open and flowing.
async fn first_item<S, T>(what: &str, stream: &mut S)
where
    S: Stream<Item = dockhand::Result<T>> + Unpin,
{
    match timeout(Duration::from_secs(20), stream.next()).await {
        Ok(Some(Ok(_))) => {}
        other => panic!(
            "{what} gave no first item before the kill: {:?}",
            other.map(|o| o.map(|r| r.err()))
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_daemon_ends_every_open_stream_promptly() {
    let (Ok(host), Ok(pid)) = (
        std::env::var("DOCKHAND_TEST_DISPOSABLE_HOST"),
        std::env::var("DOCKHAND_TEST_DISPOSABLE_PID"),
    ) else {
        eprintln!(
            "skipped: no disposable dockerd (DOCKHAND_TEST_DISPOSABLE_HOST/_PID; \
             `cargo xtask test` as root starts one)"
        );
        return;
    };
    let docker = Docker::connect(&host).expect("the disposable daemon's host");
    docker.ping().await.expect("the disposable daemon answers");
    let image = common::import_busybox(&docker).await;
    let label = format!("{}={}", common::TEST_LABEL, common::unique_name("killed"));
    // Ticks for a minute at most, so that nothing outlives the test long
    // even if the xtask's clean-up of a killed daemon missed it.
    let options = ContainerOptions::new()
        .command("sh -c 'i=0; while [ $i -lt 300 ]; do echo tick $i; i=$((i+1)); sleep 0.2; done'")
        .labels([label.clone()]);
    let container = docker
        .containers()
        .run_detached(&image, &options)
        .await
        .expect("a ticking container on the disposable daemon");

    let mut logs = Box::pin(
        container
            .logs_stream(&LogsOptions::new().stdout(true).follow(true))
            .await
            .expect("logs follow opens"),
    );
    first_item("logs follow", &mut logs).await;
    let mut attach = Box::pin(
        container
            .attach_stream(&AttachOptions::new().stdout(true).stderr(true))
            .await
            .expect("attach opens"),
    );
    first_item("attach", &mut attach).await;
    let mut stats = container.stats_stream().await.expect("stats opens");
    first_item("stats", &mut stats).await;
    let mut events = docker
        .events(&EventsOptions::new().filters(Filters::new().label(label.as_str())))
        .await
        .expect("events open");
    // An event of its own, so the stream is known to flow.
    container.pause().await.expect("pause");
    first_item("events", &mut events).await;
    container.unpause().await.expect("unpause");
    let waiting = tokio::spawn({
        let container = container.clone();
        async move { container.wait(&WaitOptions::new()).await }
    });
    // The wait's request reaches the daemon and blocks there.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "the wait ended before the kill");

    let status = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("running kill");
    assert!(status.success(), "kill -KILL {pid} failed");
    let killed = Instant::now();

    let logs = ending("logs follow", logs, killed).await;
    let stats = ending("stats", stats, killed).await;
    let events = ending("events", events, killed).await;
    // A hijacked connection has no framing that a dying daemon could leave
    // unfinished: its end looks like the daemon closing it after the
    // container's exit, so an end without error is right too.
    let attach = ending("attach", attach, killed).await;
    let waited = timeout(ENDS_WITHIN, waiting)
        .await
        .expect("the wait was still open 10 s after the kill")
        .expect("the wait's task did not panic");
    eprintln!(
        "wait: ended {:?} after the kill: {waited:?}",
        killed.elapsed()
    );

    for (what, ending) in [
        ("logs follow", &logs),
        ("stats", &stats),
        ("events", &events),
    ] {
        let error = ending
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("{what} ended without an error: {ending:?}"));
        assert!(
            error.is_transport(),
            "{what} ended with {error:?}, not a transport error"
        );
    }
    assert!(
        attach.error.as_ref().is_none_or(Error::is_transport),
        "attach ended with {attach:?}"
    );
    let waited = waited.expect_err("a wait on a killed daemon reports no exit");
    assert!(waited.is_transport(), "the wait ended with {waited:?}");
    let slowest = [logs.after, stats.after, events.after, attach.after]
        .into_iter()
        .max()
        .unwrap_or_default();
    eprintln!(
        "every stream ended within {slowest:?} of the kill; attach gave {} more items",
        attach.items
    );

    // Later calls fail at once with a transport error: nothing listens.
    let started = Instant::now();
    let mut container = container;
    let later = timeout(ENDS_WITHIN, container.reload())
        .await
        .expect("a call after the kill hung");
    let later = later.expect_err("an inspect on a killed daemon");
    assert!(
        later.is_transport(),
        "an inspect after the kill gave {later:?}"
    );
    eprintln!("inspect after the kill: {later} in {:?}", started.elapsed());
}
