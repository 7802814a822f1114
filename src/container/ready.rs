//! Waiting until a container is ready: healthy, a log line seen, a port or
//! an HTTP endpoint answering, a command succeeding — or all of these.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures_util::future::join_all;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Command, ContainerPort, ContainerStatus, ExecOptions, HealthStatus, LogsOptions};
use crate::{Container, Error, Result, StreamKind};

/// How often polled conditions (health, ports, HTTP, exec) look again.
const POLL_EVERY: Duration = Duration::from_millis(200);

/// How long one connection attempt of a port or HTTP condition may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a port must stay open after connecting to count as answering:
/// docker-proxy accepts every connection and closes it at once while
/// nothing listens in the container.
const SETTLE: Duration = Duration::from_millis(250);

/// The longest log line kept while looking for a match; longer lines are
/// matched on their first this-many bytes.
const MAX_LINE: usize = 64 * 1024;

/// What "ready" means for a container: one or more conditions that must all
/// hold, for [`Container::wait_until_ready`].
///
/// ```no_run
/// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
/// use std::time::Duration;
/// use dockhand::{HttpCheck, LogLine, Ready};
///
/// let ready = Ready::log(LogLine::containing("listening"))
///     .and(Ready::http(HttpCheck::get(80).path("/health").status(200)));
/// container.wait_until_ready(&ready, Duration::from_secs(30)).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Ready {
    conditions: Vec<Condition>,
}

#[derive(Clone, Debug)]
enum Condition {
    Healthy,
    Log(LogLine),
    Port(ContainerPort),
    Http(HttpCheck),
    Exec(Command),
}

impl Ready {
    /// Refuse malformed conditions (a bad port, an unsplittable command)
    /// before any wait.
    fn check_inputs(&self) -> Result<()> {
        for condition in &self.conditions {
            match condition {
                Condition::Port(port) | Condition::Http(HttpCheck { port, .. }) => {
                    port.value()?;
                }
                Condition::Exec(command) => {
                    command.args()?;
                }
                Condition::Healthy | Condition::Log(_) => {}
            }
        }
        Ok(())
    }

    /// The health check reports `healthy` (`HEALTHCHECK`, or
    /// [`ContainerOptions::healthcheck`](crate::ContainerOptions::healthcheck)).
    /// A container without a health check is refused at once.
    pub fn healthy() -> Self {
        Ready::one(Condition::Healthy)
    }

    /// A log line matches.
    pub fn log(line: LogLine) -> Self {
        Ready::one(Condition::Log(line))
    }

    /// A TCP connection to the port's published host address (see
    /// [`Container::host_port`]) opens and stays open: a server listens.
    pub fn port(port: impl Into<ContainerPort>) -> Self {
        Ready::one(Condition::Port(port.into()))
    }

    /// An HTTP request to the port's published host address answers with
    /// the expected status.
    pub fn http(check: HttpCheck) -> Self {
        Ready::one(Condition::Http(check))
    }

    /// A command run in the container (as [`Container::exec_run`]) exits 0.
    pub fn exec(command: impl Into<Command>) -> Self {
        Ready::one(Condition::Exec(command.into()))
    }

    /// These conditions and `other`'s, all of which must hold.
    pub fn and(mut self, other: Ready) -> Self {
        self.conditions.extend(other.conditions);
        self
    }

    /// All of `conditions`.
    pub fn all(conditions: impl IntoIterator<Item = Ready>) -> Self {
        conditions.into_iter().fold(Ready::default(), Ready::and)
    }

    fn one(condition: Condition) -> Self {
        Ready {
            conditions: vec![condition],
        }
    }
}

/// Which of a container's streams a [`LogLine`] looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogSource {
    /// stdout or stderr (the default).
    #[default]
    Either,
    /// stdout only.
    Stdout,
    /// stderr only.
    Stderr,
}

/// A log line a container writes when it is ready: one containing a text
/// or matching a regular expression, on stdout, stderr or either, counted
/// from the container's start (the default) or from when the wait began.
///
/// ```
/// use dockhand::{LogLine, LogSource};
///
/// let line = LogLine::matching(r"listening on port \d+")?
///     .source(LogSource::Stderr)
///     .times(2)
///     .from_now();
/// # Ok::<(), dockhand::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LogLine {
    pattern: Pattern,
    source: LogSource,
    from_now: bool,
    times: usize,
}

#[derive(Clone, Debug)]
enum Pattern {
    Text(String),
    Regex(regex_lite::Regex),
}

impl LogLine {
    /// A line containing `text`.
    pub fn containing(text: impl Into<String>) -> Self {
        LogLine::with(Pattern::Text(text.into()))
    }

    /// A line matching the regular expression `pattern` (the syntax of the
    /// `regex` crate, without Unicode classes).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the pattern when it does not parse.
    pub fn matching(pattern: &str) -> Result<Self> {
        regex_lite::Regex::new(pattern)
            .map(|regex| LogLine::with(Pattern::Regex(regex)))
            .map_err(|err| Error::invalid("log pattern", format!("{pattern:?}: {err}")))
    }

    /// Which stream to look at (default: either).
    pub fn source(mut self, source: LogSource) -> Self {
        self.source = source;
        self
    }

    /// Count only lines written after the wait began, not the log so far.
    pub fn from_now(mut self) -> Self {
        self.from_now = true;
        self
    }

    /// Wait for this many matching lines (default 1).
    pub fn times(mut self, times: usize) -> Self {
        self.times = times.max(1);
        self
    }

    fn with(pattern: Pattern) -> Self {
        LogLine {
            pattern,
            source: LogSource::Either,
            from_now: false,
            times: 1,
        }
    }

    fn matches(&self, line: &str) -> bool {
        match &self.pattern {
            Pattern::Text(text) => line.contains(text.as_str()),
            Pattern::Regex(regex) => regex.is_match(line),
        }
    }
}

/// An HTTP GET whose answer says a container is ready; plain HTTP/1.1 to
/// the port's published host address.
///
/// ```
/// use dockhand::HttpCheck;
///
/// let check = HttpCheck::get(8080).path("/health").status(204);
/// ```
#[derive(Clone, Debug)]
pub struct HttpCheck {
    port: ContainerPort,
    path: String,
    status: u16,
}

impl HttpCheck {
    /// `GET /` on the container's `port`, expecting `200`.
    pub fn get(port: impl Into<ContainerPort>) -> Self {
        HttpCheck {
            port: port.into(),
            path: "/".to_owned(),
            status: 200,
        }
    }

    /// The path (and query) to request; a missing leading `/` is added.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        self
    }

    /// The status that means ready (default 200).
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Healthy => f.write_str("healthy"),
            Condition::Log(line) => {
                let source = match line.source {
                    LogSource::Either => "a log line",
                    LogSource::Stdout => "a stdout line",
                    LogSource::Stderr => "a stderr line",
                };
                match &line.pattern {
                    Pattern::Text(text) => write!(f, "{source} containing {text:?}")?,
                    Pattern::Regex(regex) => write!(f, "{source} matching /{}/", regex.as_str())?,
                }
                if line.times > 1 {
                    write!(f, " {} times", line.times)?;
                }
                Ok(())
            }
            Condition::Port(port) => write!(f, "port {} answering", port_name(port)),
            Condition::Http(check) => write!(
                f,
                "GET {} on port {} answering {}",
                check.path,
                port_name(&check.port),
                check.status
            ),
            Condition::Exec(command) => match command.args() {
                Ok(args) => write!(f, "{args:?} exiting 0"),
                Err(err) => write!(f, "{err}"),
            },
        }
    }
}

fn port_name(port: &ContainerPort) -> String {
    match port.value() {
        Ok((port, protocol)) => format!("{port}/{protocol}"),
        Err(err) => err.to_string(),
    }
}

/// What a condition saw last, for the timeout error.
type LastSeen = Arc<Mutex<String>>;

/// How far each condition of a wait has got: what it last saw, and
/// whether it is met.
struct Progress {
    seen: Vec<LastSeen>,
    done: Vec<Arc<Mutex<bool>>>,
}

impl Progress {
    fn new(conditions: usize) -> Progress {
        Progress {
            seen: (0..conditions).map(|_| LastSeen::default()).collect(),
            done: (0..conditions).map(|_| Default::default()).collect(),
        }
    }

    /// The first condition not met yet, with what it last saw.
    fn pending<'c>(&self, conditions: &'c [Condition]) -> Option<(&'c Condition, String)> {
        conditions
            .iter()
            .zip(&self.seen)
            .zip(&self.done)
            .find(|(_, done)| !*done.lock().unwrap_or_else(|e| e.into_inner()))
            .map(|((condition, last_seen), _)| {
                let text = last_seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
                (condition, text)
            })
    }
}

fn note(last_seen: &LastSeen, text: impl Into<String>) {
    *last_seen.lock().unwrap_or_else(|e| e.into_inner()) = text.into();
}

impl Container {
    /// Wait until the container is ready by every condition of `ready`,
    /// for at most `timeout`.
    ///
    /// The conditions are checked side by side; the container must be
    /// running (or restarting) throughout.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use std::time::Duration;
    /// use dockhand::Ready;
    ///
    /// container.wait_until_ready(&Ready::port(80), Duration::from_secs(30)).await?;
    /// let address = container.host_port(80)?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::NotReady`] when the time runs out, the container stops, or
    /// a condition cannot hold (a health wait on a container without a
    /// health check); it names the condition and what it saw last (the
    /// last health-check output, log line, connection error or exit code).
    /// [`Error::InvalidArgument`] for a malformed port or command.
    pub async fn wait_until_ready(&self, ready: &Ready, timeout: Duration) -> Result<()> {
        ready.check_inputs()?;
        let started = SystemTime::now();
        let progress = Progress::new(ready.conditions.len());
        let checks = ready
            .conditions
            .iter()
            .zip(&progress.seen)
            .zip(&progress.done)
            .map(|((condition, last_seen), done)| async move {
                self.check(condition, last_seen, started).await?;
                *done.lock().unwrap_or_else(|e| e.into_inner()) = true;
                Ok::<(), Error>(())
            });
        let all = async {
            for result in join_all(checks).await {
                result?;
            }
            Ok(())
        };
        let not_ready = |condition: &Condition, last_seen: String, exit_code| Error::NotReady {
            container: self.name().to_owned(),
            condition: condition.to_string(),
            waited: started.elapsed().unwrap_or_default(),
            last_seen,
            exit_code,
        };
        let pending = || progress.pending(&ready.conditions);
        tokio::select! {
            result = all => result,
            exit = self.stopped() => {
                let exit = exit?;
                let (condition, mut seen) = pending().unwrap_or((&Condition::Healthy, String::new()));
                if seen.is_empty() {
                    seen = format!("the container stopped with status {exit}");
                } else {
                    seen = format!("{seen}; then the container stopped with status {exit}");
                }
                Err(not_ready(condition, seen, Some(exit)))
            }
            () = tokio::time::sleep(timeout) => {
                let (condition, seen) = pending().unwrap_or((&Condition::Healthy, String::new()));
                let seen = if seen.is_empty() { "nothing yet".to_owned() } else { seen };
                Err(not_ready(condition, seen, None))
            }
        }
    }

    /// Poll until the container is neither running nor restarting; its
    /// exit code.
    async fn stopped(&self) -> Result<i64> {
        loop {
            let fresh = self.docker.containers().get(&self.id).await?;
            match fresh.status() {
                ContainerStatus::Running
                | ContainerStatus::Restarting
                | ContainerStatus::Paused
                | ContainerStatus::Created => {}
                _ => {
                    let code = fresh
                        .inspected("exit code")
                        .ok()
                        .and_then(|attrs| attrs.state.as_ref()?.as_ref()?.exit_code)
                        .unwrap_or(-1);
                    return Ok(code);
                }
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Resolve once `condition` holds; record what it sees meanwhile.
    async fn check(
        &self,
        condition: &Condition,
        last_seen: &LastSeen,
        started: SystemTime,
    ) -> Result<()> {
        match condition {
            Condition::Healthy => self.until_healthy(condition, last_seen).await,
            Condition::Log(line) => self.until_log_line(line, last_seen, started).await,
            Condition::Port(port) => loop {
                match self.fresh_host_port(port).await {
                    Ok(address) => match port_answers(address).await {
                        Ok(()) => return Ok(()),
                        Err(why) => note(last_seen, format!("{address}: {why}")),
                    },
                    Err(err) => note(last_seen, err.to_string()),
                }
                tokio::time::sleep(POLL_EVERY).await;
            },
            Condition::Http(check) => loop {
                match self.fresh_host_port(&check.port).await {
                    Ok(address) => match http_status(address, &check.path).await {
                        Ok(status) if status == check.status => return Ok(()),
                        Ok(status) => note(last_seen, format!("{address} answered {status}")),
                        Err(why) => note(last_seen, format!("{address}: {why}")),
                    },
                    Err(err) => note(last_seen, err.to_string()),
                }
                tokio::time::sleep(POLL_EVERY).await;
            },
            Condition::Exec(command) => loop {
                match self.exec_run(command.clone(), &ExecOptions::new()).await {
                    Ok(result) if result.success() => return Ok(()),
                    Ok(result) => note(
                        last_seen,
                        format!("exit {}: {}", result.exit_code, result.output.text().trim()),
                    ),
                    Err(err) if err.is_conflict() => note(last_seen, err.to_string()),
                    Err(err) => return Err(err),
                }
                tokio::time::sleep(POLL_EVERY).await;
            },
        }
    }

    async fn until_healthy(&self, condition: &Condition, last_seen: &LastSeen) -> Result<()> {
        loop {
            let fresh = self.docker.containers().get(&self.id).await?;
            let health = fresh
                .inspected("health")?
                .state
                .as_ref()
                .and_then(|state| state.as_ref())
                .and_then(|state| state.health.as_ref())
                .and_then(|health| health.as_ref());
            let last_output = health
                .and_then(|health| health.log.as_ref()?.last()?.0.clone())
                .map(|check| {
                    format!(
                        "; last check exited {}: {}",
                        check.exit_code.unwrap_or(-1),
                        check.output.unwrap_or_default().trim()
                    )
                })
                .unwrap_or_default();
            let status = fresh.health()?;
            if health.is_none() || status == HealthStatus::None {
                return Err(Error::NotReady {
                    container: self.name().to_owned(),
                    condition: condition.to_string(),
                    waited: Duration::ZERO,
                    last_seen: "the container has no health check".to_owned(),
                    exit_code: None,
                });
            }
            if status == HealthStatus::Healthy {
                return Ok(());
            }
            note(last_seen, format!("health {status}{last_output}"));
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    async fn until_log_line(
        &self,
        line: &LogLine,
        last_seen: &LastSeen,
        started: SystemTime,
    ) -> Result<()> {
        let mut options = LogsOptions::new()
            .follow(true)
            .stdout(line.source != LogSource::Stderr)
            .stderr(line.source != LogSource::Stdout);
        if line.from_now {
            options = options.since(started);
        }
        let mut chunks = Box::pin(self.logs_stream(&options).await?);
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut seen = 0;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            let buffer = match chunk.kind {
                StreamKind::Stderr => &mut stderr,
                _ => &mut stdout,
            };
            buffer.extend_from_slice(&chunk.bytes);
            while let Some(end) = buffer.iter().position(|byte| *byte == b'\n') {
                let text = String::from_utf8_lossy(&buffer[..end])
                    .trim_end_matches('\r')
                    .to_owned();
                buffer.drain(..=end);
                if line.matches(&text) {
                    seen += 1;
                    if seen >= line.times {
                        return Ok(());
                    }
                }
                note(last_seen, format!("last line: {text:?}"));
            }
            if buffer.len() > MAX_LINE {
                let text = String::from_utf8_lossy(buffer).into_owned();
                buffer.clear();
                if line.matches(&text) {
                    seen += 1;
                    if seen >= line.times {
                        return Ok(());
                    }
                }
            }
        }
        // The log ended: the container stopped, which `stopped` reports.
        std::future::pending().await
    }

    /// The published address of `port`, read from a fresh inspect (ports
    /// are bound at start, after the handle may have been made).
    async fn fresh_host_port(&self, port: &ContainerPort) -> Result<std::net::SocketAddr> {
        let fresh = self.docker.containers().get(&self.id).await?;
        fresh.host_port(port.clone())
    }
}

/// Connect and check the connection stays open (or the server speaks).
async fn port_answers(address: std::net::SocketAddr) -> std::result::Result<(), String> {
    let mut stream = connect(address).await?;
    let mut byte = [0u8; 1];
    match tokio::time::timeout(SETTLE, stream.read(&mut byte)).await {
        Err(_) | Ok(Ok(1..)) => Ok(()),
        Ok(Ok(0)) => Err("the connection closed at once (nothing listening yet)".to_owned()),
        Ok(Err(err)) => Err(err.to_string()),
    }
}

/// The status code of `GET path` on `address`.
async fn http_status(
    address: std::net::SocketAddr,
    path: &str,
) -> std::result::Result<u16, String> {
    let mut stream = connect(address).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let exchange = async {
        stream.write_all(request.as_bytes()).await?;
        let mut head = Vec::new();
        let mut buffer = [0u8; 512];
        while !head.windows(2).any(|pair| pair == b"\r\n") && head.len() < 4096 {
            match stream.read(&mut buffer).await? {
                0 => break,
                n => head.extend_from_slice(&buffer[..n]),
            }
        }
        std::io::Result::Ok(head)
    };
    let head = tokio::time::timeout(CONNECT_TIMEOUT, exchange)
        .await
        .map_err(|_| "no answer in time".to_owned())?
        .map_err(|err| err.to_string())?;
    let status_line = String::from_utf8_lossy(&head);
    let status_line = status_line.lines().next().unwrap_or_default();
    status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            if status_line.is_empty() {
                "the connection closed without an answer".to_owned()
            } else {
                format!("not an HTTP answer: {status_line:?}")
            }
        })
}

async fn connect(address: std::net::SocketAddr) -> std::result::Result<TcpStream, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err("connecting timed out".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_describe_themselves() {
        let ready = Ready::healthy()
            .and(Ready::log(
                LogLine::containing("up").source(LogSource::Stderr).times(2),
            ))
            .and(Ready::log(LogLine::matching(r"port \d+").unwrap()))
            .and(Ready::port(80))
            .and(Ready::http(
                HttpCheck::get("8080/tcp").path("health").status(204),
            ));
        let described: Vec<String> = ready.conditions.iter().map(ToString::to_string).collect();
        assert_eq!(
            described,
            [
                "healthy",
                "a stderr line containing \"up\" 2 times",
                "a log line matching /port \\d+/",
                "port 80/tcp answering",
                "GET /health on port 8080/tcp answering 204",
            ]
        );
    }

    #[test]
    fn a_bad_pattern_is_an_invalid_argument_naming_it() {
        let err = LogLine::matching("(unclosed").unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
        assert!(err.to_string().contains("(unclosed"), "{err}");
    }

    #[tokio::test]
    async fn http_status_reads_the_status_line() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            for answer in ["HTTP/1.1 503 Service Unavailable\r\n\r\n", "garbage\r\n"] {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut request = [0u8; 256];
                let _ = socket.read(&mut request).await.unwrap();
                socket.write_all(answer.as_bytes()).await.unwrap();
            }
        });
        assert_eq!(http_status(address, "/").await, Ok(503));
        let garbage = http_status(address, "/").await.unwrap_err();
        assert!(garbage.contains("not an HTTP answer"), "{garbage}");
        server.await.unwrap();
    }

    #[tokio::test]
    async fn a_port_closed_at_once_is_not_answering() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            drop(socket);
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(SETTLE * 2).await;
            drop(socket);
        });
        assert!(port_answers(address).await.is_err());
        assert_eq!(port_answers(address).await, Ok(()));
        server.await.unwrap();
    }
}
