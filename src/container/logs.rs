//! A container's output: `logs` (what the log driver kept) and `attach`
//! (what it writes from now on).

use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::Stream;

use tokio_util::io::StreamReader;

use crate::container::ContainerStatus;
use crate::stream::{self, framing_from_headers, OutputChunk};
use crate::{AttachedProcess, Container, ContainerAttrs, HijackedConnection, ProcessEnd, Result};

/// A point in time for [`LogsOptions::since`] and [`LogsOptions::until`]:
/// a [`SystemTime`] or seconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogTime(i64);

impl From<SystemTime> for LogTime {
    fn from(time: SystemTime) -> Self {
        let seconds = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        };
        LogTime(seconds)
    }
}

impl LogTime {
    /// Seconds since the Unix epoch, as the API's `since`/`until` take them.
    pub(crate) fn epoch_seconds(self) -> i64 {
        self.0
    }
}

impl From<i64> for LogTime {
    /// Seconds since the Unix epoch.
    fn from(epoch_seconds: i64) -> Self {
        LogTime(epoch_seconds)
    }
}

/// Options for [`Container::logs`] and [`Container::logs_stream`], as
/// `docker logs` takes them.
#[derive(Clone, Debug)]
pub struct LogsOptions {
    stdout: bool,
    stderr: bool,
    timestamps: bool,
    follow: bool,
    tail: Option<u64>,
    since: Option<LogTime>,
    until: Option<LogTime>,
}

impl Default for LogsOptions {
    fn default() -> Self {
        LogsOptions {
            stdout: true,
            stderr: true,
            timestamps: false,
            follow: false,
            tail: None,
            since: None,
            until: None,
        }
    }
}

impl LogsOptions {
    /// The query parameters of a logs request.
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = vec![
            ("stdout", self.stdout.to_string()),
            ("stderr", self.stderr.to_string()),
            ("follow", self.follow.to_string()),
            ("timestamps", self.timestamps.to_string()),
        ];
        if let Some(lines) = self.tail {
            query.push(("tail", lines.to_string()));
        }
        if let Some(since) = self.since {
            query.push(("since", since.0.to_string()));
        }
        if let Some(until) = self.until {
            query.push(("until", until.0.to_string()));
        }
        query
    }

    /// Defaults: stdout and stderr, everything kept, no timestamps, no follow.
    pub fn new() -> Self {
        Self::default()
    }

    /// Include stdout (default true).
    pub fn stdout(mut self, stdout: bool) -> Self {
        self.stdout = stdout;
        self
    }

    /// Include stderr (default true).
    pub fn stderr(mut self, stderr: bool) -> Self {
        self.stderr = stderr;
        self
    }

    /// Prefix each line with its RFC 3339 timestamp.
    pub fn timestamps(mut self, timestamps: bool) -> Self {
        self.timestamps = timestamps;
        self
    }

    /// Keep following the output until the container stops.
    pub fn follow(mut self, follow: bool) -> Self {
        self.follow = follow;
        self
    }

    /// Only the last `lines` lines (default: all).
    pub fn tail(mut self, lines: u64) -> Self {
        self.tail = Some(lines);
        self
    }

    /// Only output written at or after this time.
    pub fn since(mut self, time: impl Into<LogTime>) -> Self {
        self.since = Some(time.into());
        self
    }

    /// Only output written before this time.
    pub fn until(mut self, time: impl Into<LogTime>) -> Self {
        self.until = Some(time.into());
        self
    }
}

/// Options for [`Container::attach`], [`Container::attach_stream`] and
/// [`Container::attach_socket`].
#[derive(Clone, Debug)]
pub struct AttachOptions {
    pub(crate) stdout: bool,
    pub(crate) stderr: bool,
    pub(crate) stdin: bool,
    pub(crate) logs: bool,
    /// Whether to stay attached for output written from now on (`stream=1`);
    /// off only for the logs of a container that is not running.
    pub(crate) stream: bool,
}

impl Default for AttachOptions {
    fn default() -> Self {
        AttachOptions {
            stdout: true,
            stderr: true,
            stdin: false,
            logs: false,
            stream: true,
        }
    }
}

impl AttachOptions {
    /// Defaults: stdout and stderr from now on, no stdin, no earlier output.
    pub fn new() -> Self {
        Self::default()
    }

    /// Include stdout (default true).
    pub fn stdout(mut self, stdout: bool) -> Self {
        self.stdout = stdout;
        self
    }

    /// Include stderr (default true).
    pub fn stderr(mut self, stderr: bool) -> Self {
        self.stderr = stderr;
        self
    }

    /// Connect stdin (for [`Container::attach_socket`]; the container needs
    /// `stdin_open`).
    pub fn stdin(mut self, stdin: bool) -> Self {
        self.stdin = stdin;
        self
    }

    /// Replay the output written before attaching first.
    pub fn logs(mut self, logs: bool) -> Self {
        self.logs = logs;
        self
    }

    /// The attach query parameters.
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let flag = |value: bool| if value { "1" } else { "0" }.to_owned();
        vec![
            ("stream", flag(self.stream)),
            ("stdout", flag(self.stdout)),
            ("stderr", flag(self.stderr)),
            ("stdin", flag(self.stdin)),
            ("logs", flag(self.logs)),
        ]
    }
}

/// The operation attaching is, in errors.
pub(crate) const ATTACH: &str = "ContainerAttach";

impl Container {
    /// The container's log output, stdout and stderr interleaved as written
    /// (`docker logs`). With `follow`, waits until the container stops.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) if the container is gone;
    /// [`Error::Api`](crate::Error::Api) if its log driver keeps no logs
    /// (`none`).
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// let last_lines = container.logs(&dockhand::LogsOptions::new().tail(10)).await?;
    /// print!("{}", String::from_utf8_lossy(&last_lines));
    /// # Ok(()) }
    /// ```
    pub async fn logs(&self, options: &LogsOptions) -> Result<Vec<u8>> {
        let output = self.logs_stream(options).await?;
        stream::concat_output(output).await
    }

    /// The container's log output as a live stream of chunks, each saying
    /// whether it came from stdout or stderr. With `follow`, the stream ends
    /// when the container stops. Memory stays bounded whatever the log size.
    ///
    /// Dropping the stream closes the connection.
    ///
    /// # Errors
    /// As for [`Container::logs`]; errors while reading come as stream items.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let mut lines = container.logs_stream(&dockhand::LogsOptions::new().follow(true)).await?;
    /// while let Some(chunk) = lines.try_next().await? {
    ///     print!("{}: {}", chunk.kind, String::from_utf8_lossy(chunk.as_bytes()));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn logs_stream(
        &self,
        options: &LogsOptions,
    ) -> Result<impl Stream<Item = Result<OutputChunk>> + Send + 'static> {
        const OPERATION: &str = "ContainerLogs";
        let path = self.endpoint("/logs").await?.queries(options.query());
        let tty = self.tty().await?;
        // Logs can be long and come in small writes: the body drives its
        // connection where it is read (see `transport::body`).
        let response = self
            .docker
            .request(OPERATION, http::Method::GET, &path, None)
            .await?;
        let framing = framing_from_headers(response.headers(), tty);
        Ok(stream::demux_reader(
            StreamReader::new(response.into_body()),
            framing,
            OPERATION,
            self.docker.host().to_string(),
        ))
    }

    /// Attach to the running container and collect its output until it
    /// stops, stdout and stderr interleaved. With [`AttachOptions::logs`]
    /// the output written before comes first; on a container that is not
    /// running that is all there is, and this returns it at once.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) if the container is gone.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// let output = container.attach(&dockhand::AttachOptions::new().logs(true)).await?;
    /// print!("{}", String::from_utf8_lossy(&output));
    /// # Ok(()) }
    /// ```
    pub async fn attach(&self, options: &AttachOptions) -> Result<Vec<u8>> {
        stream::concat_output(self.attach_stream(options).await?).await
    }

    /// Attach to the container and stream its output as it is written. The
    /// stream ends when the container stops; dropping it detaches. With
    /// [`AttachOptions::logs`] on a container that is not running, the
    /// stream is its earlier output and ends after it (as docker-py's
    /// `attach(logs=True, stream=False)`).
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) if the container is gone.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let mut output = container.attach_stream(&dockhand::AttachOptions::new()).await?;
    /// while let Some(chunk) = output.try_next().await? {
    ///     println!("{} bytes on {}", chunk.as_bytes().len(), chunk.kind);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn attach_stream(
        &self,
        options: &AttachOptions,
    ) -> Result<impl Stream<Item = Result<OutputChunk>> + Send + 'static> {
        let mut options = options.clone();
        let tty = if options.logs {
            // The state now, not the cached one: with `stream=1` the daemon
            // holds the attach of a stopped container open forever after the
            // logs, so a container that is not running gets the logs alone.
            let fresh = self.docker.containers().get(&self.id).await?;
            options.stream = matches!(
                fresh.status(),
                ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Restarting
            );
            fresh.tty().await?
        } else {
            self.tty().await?
        };
        let connection = self.attach_connection(&options).await?;
        let (output, _end) = self.attached(connection, tty).output();
        Ok(output)
    }

    /// Attach to the container: read its output (multiplexed unless it
    /// has a TTY) and, with [`AttachOptions::stdin`], write its stdin.
    /// Output that arrives with the daemon's answer is kept for the first
    /// reads. The [`AttachedProcess`](crate::AttachedProcess) gives the
    /// exit status once the output has ended.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) if the container is gone.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use tokio::io::AsyncWriteExt;
    /// let mut process = container
    ///     .attach_socket(&dockhand::AttachOptions::new().stdin(true))
    ///     .await?;
    /// process.write_all(b"echo hi\n").await.ok();
    /// process.shutdown().await.ok(); // closes the container's stdin
    /// let (_output, end) = process.output();
    /// println!("exit status {}", end.wait().await?.status_code);
    /// # Ok(()) }
    /// ```
    pub async fn attach_socket(&self, options: &AttachOptions) -> Result<AttachedProcess> {
        let tty = self.tty().await?;
        let connection = self.attach_connection(options).await?;
        Ok(self.attached(connection, tty))
    }

    /// The hijacked connection of an attach.
    pub(crate) async fn attach_connection(
        &self,
        options: &AttachOptions,
    ) -> Result<HijackedConnection> {
        let path = self.endpoint("/attach").await?.queries(options.query());
        self.docker.hijack(ATTACH, &path, None).await
    }

    /// The container's process on an attach `connection`.
    pub(crate) fn attached(&self, connection: HijackedConnection, tty: bool) -> AttachedProcess {
        let end = ProcessEnd::container(self.id_only());
        AttachedProcess::new(connection, tty, ATTACH, end)
    }

    /// Whether the container has a TTY (which decides how its output is
    /// framed on daemons that do not say); from the cached attributes when
    /// they are complete, else from a fresh inspect.
    pub(crate) async fn tty(&self) -> Result<bool> {
        let fresh;
        let inspected = match &self.attrs {
            ContainerAttrs::Inspected(inspected) => inspected,
            ContainerAttrs::Summary(_) => {
                fresh = self.docker.containers().get(&self.id).await?;
                fresh.inspected("tty")?
            }
        };
        Ok(inspected
            .config
            .as_ref()
            .and_then(|config| config.tty)
            .unwrap_or(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_carries_every_option() {
        let joined = |options: &LogsOptions| {
            let pairs: Vec<String> = options
                .query()
                .into_iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect();
            pairs.join("&")
        };
        assert_eq!(
            joined(&LogsOptions::new()),
            "stdout=true&stderr=true&follow=false&timestamps=false"
        );
        let options = LogsOptions::new()
            .stderr(false)
            .follow(true)
            .timestamps(true)
            .tail(5)
            .since(10_i64)
            .until(UNIX_EPOCH + std::time::Duration::from_secs(20));
        assert_eq!(
            joined(&options),
            "stdout=true&stderr=false&follow=true&timestamps=true&tail=5&since=10&until=20"
        );
    }
}
