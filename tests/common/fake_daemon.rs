//! A scripted daemon on 127.0.0.1 for tests that need exact responses
//! (recorded bodies, chosen versions) or must see exactly which requests the
//! client sends, in which order. Real behaviour is tested against the real
//! dockerd.
//!
//! It reads each request whole (its `Content-Length` body too), answers
//! what the script says, and for an upgrade answer (`101`, as attach and
//! exec start give) writes the scripted stream bytes after the headers and
//! closes the connection.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One request as the daemon received it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The path with its query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The path without its query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// The value of the header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON request body")
    }
}

/// One scripted answer: status, extra headers, body (JSON unless a header
/// says otherwise), and for an upgrade the bytes of the hijacked stream.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub upgraded: Option<Vec<u8>>,
}

impl Answer {
    /// A 200 with a JSON body.
    pub fn json(body: impl Into<String>) -> Answer {
        Answer::status(200, body)
    }

    /// A JSON body with `status`.
    pub fn status(status: u16, body: impl Into<String>) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: body.into(),
            upgraded: None,
        }
    }

    /// A `101` switching to a raw stream of `content_type` that carries
    /// `stream` and then ends.
    pub fn upgrade(content_type: &str, stream: impl Into<Vec<u8>>) -> Answer {
        Answer {
            status: 101,
            headers: vec![
                ("Connection".into(), "Upgrade".into()),
                ("Upgrade".into(), "tcp".into()),
                ("Content-Type".into(), content_type.into()),
            ],
            body: String::new(),
            upgraded: Some(stream.into()),
        }
    }

    /// Add a response header.
    pub fn header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A multiplexed-stream frame: `payload` on stream 1 (stdout) or 2 (stderr).
pub fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![stream, 0, 0, 0];
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

/// The scripted daemon: `tcp://127.0.0.1:<port>` and the requests seen.
pub struct FakeDaemon {
    pub host: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

type Script = dyn Fn(&Request) -> Answer + Send + Sync;

impl FakeDaemon {
    /// Serve `script(path_and_query)` for every request, keeping connections alive.
    pub async fn start(script: impl Fn(&str) -> Answer + Send + Sync + 'static) -> FakeDaemon {
        FakeDaemon::serve(move |request| script(&request.path)).await
    }

    /// Serve `script(request)` for every request, keeping connections
    /// alive until an upgrade.
    pub async fn serve(script: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> FakeDaemon {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = format!("tcp://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let script: Arc<Script> = Arc::new(script);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let seen = seen.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let mut socket = BufReader::new(socket);
                    while let Some(request) = read_request(&mut socket).await {
                        seen.lock().unwrap().push(request.clone());
                        let answer = script(&request);
                        let upgraded = answer.upgraded.is_some();
                        if socket.get_mut().write_all(&head(&answer)).await.is_err() {
                            return;
                        }
                        if let Some(stream) = answer.upgraded {
                            let _ = socket.get_mut().write_all(&stream).await;
                            let _ = socket.get_mut().shutdown().await;
                        }
                        if upgraded {
                            return;
                        }
                    }
                });
            }
        });
        FakeDaemon { host, requests }
    }

    /// The request paths (with query) seen so far, in order.
    pub fn paths(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.path).collect()
    }

    /// The requests seen so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

/// Read one request, its body by `Content-Length`; `None` at the end of
/// the connection.
async fn read_request<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).await.ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let mut request = Request {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    let length = request.header("content-length").map_or(Ok(0), str::parse);
    request.body = vec![0; length.ok()?];
    reader.read_exact(&mut request.body).await.ok()?;
    Some(request)
}

/// The status line and headers of `answer`, with its body unless it is an
/// upgrade.
fn head(answer: &Answer) -> Vec<u8> {
    let mut response = format!("HTTP/1.1 {} X\r\n", answer.status);
    for (name, value) in &answer.headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    if answer.upgraded.is_none() {
        let typed = answer
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
        if !typed {
            response.push_str("Content-Type: application/json\r\n");
        }
        response.push_str(&format!("Content-Length: {}\r\n", answer.body.len()));
    }
    response.push_str("\r\n");
    if answer.upgraded.is_none() {
        response.push_str(&answer.body);
    }
    response.into_bytes()
}
