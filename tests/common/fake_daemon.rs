//! A scripted daemon on 127.0.0.1 for tests that need exact responses
//! (recorded bodies, chosen versions) or must see exactly which requests the
//! client sends. Real behaviour is tested against the real dockerd.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One scripted answer: status, extra headers, JSON body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// A 200 with a JSON body.
    pub fn json(body: impl Into<String>) -> Answer {
        Answer {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Add a response header.
    pub fn header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// The scripted daemon: `tcp://127.0.0.1:<port>` and the request paths seen.
pub struct FakeDaemon {
    pub host: String,
    paths: Arc<Mutex<Vec<String>>>,
}

type Script = dyn Fn(&str) -> Answer + Send + Sync;

impl FakeDaemon {
    /// Serve `script(path_and_query)` for every request, keeping connections alive.
    pub async fn start(script: impl Fn(&str) -> Answer + Send + Sync + 'static) -> FakeDaemon {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = format!("tcp://{}", listener.local_addr().unwrap());
        let paths = Arc::new(Mutex::new(Vec::new()));
        let seen = paths.clone();
        let script: Arc<Script> = Arc::new(script);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let seen = seen.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    while let Ok(Some(request_line)) = lines.next_line().await {
                        while let Ok(Some(header)) = lines.next_line().await {
                            if header.is_empty() {
                                break;
                            }
                        }
                        let path = request_line.split(' ').nth(1).unwrap_or("").to_owned();
                        seen.lock().unwrap().push(path.clone());
                        let answer = script(&path);
                        let mut response = format!("HTTP/1.1 {} X\r\n", answer.status);
                        for (name, value) in &answer.headers {
                            response.push_str(&format!("{name}: {value}\r\n"));
                        }
                        response.push_str(&format!(
                            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                            answer.body.len(),
                            answer.body
                        ));
                        if write.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        FakeDaemon { host, paths }
    }

    /// The request paths (with query) seen so far, in order.
    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}
