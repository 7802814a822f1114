//! A recording proxy in front of the test daemon's unix socket.
//!
//! Every connection is forwarded to the daemon byte for byte, and the proxy
//! records the request line (`METHOD target`) of each request it carries.
//! It reads request heads properly and steps over bodies by their
//! `Content-Length` or chunked framing, so a body (a tar upload, say) is never
//! taken for a request; after an upgrade (attach, exec start) the bytes are
//! only forwarded. The proxy can also answer chosen requests itself
//! ([`RecordingProxy::script`]): a redirect, or a doctored daemon answer.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};

/// The client side of one connection, shared by the copy back from the
/// daemon and the scripted answers.
type ClientWriter = Arc<tokio::sync::Mutex<OwnedWriteHalf>>;

/// An answer the proxy gives itself instead of asking the daemon.
#[derive(Clone, Debug)]
pub struct Scripted {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Scripted {
    /// A JSON answer with this status.
    pub fn json(status: u16, body: impl Into<String>) -> Scripted {
        Scripted {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    /// A redirect (`301`, `307`, …) to `location`.
    pub fn redirect(status: u16, location: &str) -> Scripted {
        let mut answer = Scripted::json(status, r#"{"message":"moved"}"#);
        answer.headers.push(("Location".into(), location.into()));
        answer
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} Scripted\r\n", self.status);
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        head.push_str(&self.body);
        head.into_bytes()
    }
}

/// The daemon socket `DOCKER_HOST` names (the default socket when it is
/// unset), or `None` when the test daemon is not on a unix socket.
pub fn upstream_socket() -> Option<PathBuf> {
    match std::env::var("DOCKER_HOST") {
        Err(_) => Some(PathBuf::from(dockhand::DEFAULT_UNIX_SOCKET)),
        Ok(host) => host.strip_prefix("unix://").map(PathBuf::from),
    }
}

/// The proxy: listening on a socket in its own temporary directory until
/// dropped.
pub struct RecordingProxy {
    host: String,
    log: Arc<Mutex<Vec<String>>>,
    scripts: Arc<Mutex<HashMap<String, Scripted>>>,
    accept: tokio::task::JoinHandle<()>,
    _dir: Option<tempfile::TempDir>,
}

impl RecordingProxy {
    /// Listen in front of the daemon socket `upstream`.
    pub fn start(upstream: &Path) -> RecordingProxy {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut proxy = RecordingProxy::start_at(upstream, &dir.path().join("proxy.sock"));
        proxy._dir = Some(dir);
        proxy
    }

    /// Listen at `socket` (its directory must exist) in front of `upstream`.
    pub fn start_at(upstream: &Path, socket: &Path) -> RecordingProxy {
        let listener = UnixListener::bind(socket).expect("the proxy socket");
        let log = Arc::new(Mutex::new(Vec::new()));
        let scripts = Arc::new(Mutex::new(HashMap::new()));
        let (upstream, seen, scripted) = (upstream.to_owned(), log.clone(), scripts.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let connection = Connection {
                    log: seen.clone(),
                    scripts: scripted.clone(),
                };
                let upstream = upstream.clone();
                tokio::spawn(async move { connection.serve(client, &upstream).await.ok() });
            }
        });
        RecordingProxy {
            host: format!("unix://{}", socket.display()),
            log,
            scripts,
            accept,
            _dir: None,
        }
    }

    /// The `unix://…` host to give `Docker::connect`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Answer requests for `method` and `path` (without the query) with
    /// `answer`, without asking the daemon; replaces an earlier script.
    pub fn script(&self, method: &str, path: &str, answer: Scripted) {
        let key = format!("{method} {path}");
        self.scripts.lock().unwrap().insert(key, answer);
    }

    /// The request lines (`GET /v1.41/…`) recorded since the last call;
    /// those the proxy answered itself end in ` (scripted)`.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// What every connection of one proxy shares.
struct Connection {
    log: Arc<Mutex<Vec<String>>>,
    scripts: Arc<Mutex<HashMap<String, Scripted>>>,
}

impl Connection {
    /// Carry one client connection to the daemon and the answers back.
    async fn serve(self, client: UnixStream, upstream: &Path) -> io::Result<()> {
        let (client_read, client_write) = client.into_split();
        let (upstream_read, mut upstream_write) = UnixStream::connect(upstream).await?.into_split();
        let client_write: ClientWriter = Arc::new(tokio::sync::Mutex::new(client_write));
        let back = tokio::spawn(copy_back(upstream_read, client_write.clone()));
        let mut client_read = BufReader::new(client_read);
        let forwarded = self
            .forward(&mut client_read, &mut upstream_write, &client_write)
            .await;
        // The client is done sending (or hung up): let the daemon finish.
        upstream_write.shutdown().await.ok();
        back.await.ok();
        forwarded
    }

    /// Forward requests one at a time, recording each request line.
    async fn forward(
        &self,
        client: &mut BufReader<OwnedReadHalf>,
        upstream: &mut OwnedWriteHalf,
        client_write: &ClientWriter,
    ) -> io::Result<()> {
        loop {
            let Some(head) = read_head(client).await? else {
                return Ok(());
            };
            let Head {
                method,
                target,
                chunked,
                length,
                upgrade,
            } = Head::parse(&head);
            let path = target.split('?').next().unwrap_or_default();
            let key = format!("{method} {path}");
            let scripted = self.scripts.lock().unwrap().get(&key).cloned();
            let mark = scripted.as_ref().map_or("", |_| " (scripted)");
            let line = format!("{method} {target}{mark}");
            self.log.lock().unwrap().push(line);
            if let Some(answer) = scripted {
                copy_body(client, &mut tokio::io::sink(), chunked, length).await?;
                client_write
                    .lock()
                    .await
                    .write_all(&answer.to_bytes())
                    .await?;
                continue;
            }
            upstream.write_all(&head).await?;
            copy_body(client, upstream, chunked, length).await?;
            if upgrade {
                // Past the upgrade the stream is the container's: just carry it.
                tokio::io::copy(client, upstream).await?;
                return Ok(());
            }
        }
    }
}

/// What the proxy reads from a request head.
struct Head {
    method: String,
    target: String,
    /// `Transfer-Encoding: chunked`.
    chunked: bool,
    /// `Content-Length`.
    length: Option<u64>,
    /// An `Upgrade` header: past this request the connection is a raw stream.
    upgrade: bool,
}

impl Head {
    fn parse(head: &[u8]) -> Head {
        let text = String::from_utf8_lossy(head);
        let mut lines = text.lines();
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_owned();
        let target = request_line.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| {
                (
                    name.trim().to_ascii_lowercase(),
                    value.trim().to_ascii_lowercase(),
                )
            })
            .collect();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        Head {
            chunked: header("transfer-encoding").is_some_and(|te| te.contains("chunked")),
            length: header("content-length").and_then(|n| n.parse().ok()),
            upgrade: header("upgrade").is_some(),
            method,
            target,
        }
    }
}

/// The next request head, up to and including its blank line; `None` at
/// the end of the connection.
async fn read_head(client: &mut BufReader<OwnedReadHalf>) -> io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    loop {
        let start = head.len();
        if client.read_until(b'\n', &mut head).await? == 0 {
            return Ok(None);
        }
        let line = &head[start..];
        if line == b"\r\n" || line == b"\n" {
            if start == 0 {
                head.clear(); // blank lines between requests
                continue;
            }
            return Ok(Some(head));
        }
    }
}

/// Copy one request body: chunked (through the last chunk and trailers),
/// `length` bytes, or none.
async fn copy_body<W: tokio::io::AsyncWrite + Unpin>(
    client: &mut BufReader<OwnedReadHalf>,
    to: &mut W,
    chunked: bool,
    length: Option<u64>,
) -> io::Result<()> {
    if !chunked {
        return copy_exact(client, to, length.unwrap_or(0)).await;
    }
    loop {
        let mut line = Vec::new();
        client.read_until(b'\n', &mut line).await?;
        to.write_all(&line).await?;
        let size = String::from_utf8_lossy(&line);
        let size = size.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        if size == 0 {
            break;
        }
        copy_exact(client, to, size + 2).await?; // the chunk and its CRLF
    }
    loop {
        let mut trailer = Vec::new();
        let read = client.read_until(b'\n', &mut trailer).await?;
        to.write_all(&trailer).await?;
        if read == 0 || trailer == b"\r\n" || trailer == b"\n" {
            return Ok(());
        }
    }
}

/// Copy exactly `n` bytes.
async fn copy_exact<R, W>(from: &mut R, to: &mut W, n: u64) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let copied = tokio::io::copy(&mut from.take(n), to).await?;
    if copied < n {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// Carry the daemon's answers back to the client until either side ends.
async fn copy_back(mut upstream: OwnedReadHalf, client: ClientWriter) {
    let mut buffer = vec![0; 16 * 1024];
    while let Ok(read @ 1..) = upstream.read(&mut buffer).await {
        if client
            .lock()
            .await
            .write_all(&buffer[..read])
            .await
            .is_err()
        {
            return;
        }
    }
    client.lock().await.shutdown().await.ok();
}
