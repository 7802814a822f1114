//! The transport against a scripted HTTP server on a Unix socket: what goes
//! on the wire, connection reuse, and what is never done (redirects).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;

use super::*;

/// What the server saw: each request's head, and how many connections.
#[derive(Default)]
struct Seen {
    heads: Mutex<Vec<String>>,
    connections: AtomicUsize,
}

/// Serve `answer(n)` to the n-th request (0-based) on a fresh socket;
/// `close_after` closes each connection after that many answers.
fn serve(
    answer: impl Fn(usize) -> String + Send + Sync + 'static,
    close_after: usize,
) -> (tempfile::TempDir, DockerHost, Arc<Seen>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let seen = Arc::new(Seen::default());
    let served = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(answer);
    let seen_by_server = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            seen_by_server.connections.fetch_add(1, Ordering::SeqCst);
            let (seen, served, answer) = (
                Arc::clone(&seen_by_server),
                Arc::clone(&served),
                Arc::clone(&answer),
            );
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut read = BufReader::new(read);
                for _ in 0..close_after {
                    let mut head = String::new();
                    loop {
                        let mut line = String::new();
                        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        head.push_str(&line);
                    }
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length: ")
                                .map(|n| n.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    let mut body = vec![0; length];
                    read.read_exact(&mut body).await.unwrap();
                    seen.heads.lock().unwrap().push(head);
                    let n = served.fetch_add(1, Ordering::SeqCst);
                    if write.write_all(answer(n).as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let host = DockerHost::Unix { path };
    (dir, host, seen)
}

fn ok(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn get(path: &str) -> Request<RequestBody> {
    Request::get(path)
        .body(RequestBody::from(Vec::new()))
        .unwrap()
}

async fn body_text(response: Response<ResponseBody>) -> String {
    let (bytes, complete) = response.into_body().read_up_to(1 << 20).await.unwrap();
    assert!(complete);
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn requests_reuse_one_kept_alive_connection() {
    let (_dir, host, seen) = serve(|n| ok(&format!("{{\"n\":{n}}}")), usize::MAX);
    let transport = Transport::new(&host, &settings()).unwrap();
    for n in 0..5 {
        let response = transport.send("Test", get("/v1.41/info")).await.unwrap();
        assert_eq!(body_text(response).await, format!("{{\"n\":{n}}}"));
    }
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
    assert_eq!(transport.shared.pool.idle_count(), 1);
}

#[tokio::test]
async fn the_wire_carries_origin_form_host_and_no_generated_version_header() {
    let (_dir, host, seen) = serve(|_| ok("{}"), usize::MAX);
    let transport = Transport::new(&host, &settings()).unwrap();
    let mut request = get("http://docker/v1.41/containers/json?all=true");
    request.headers_mut().insert(
        GENERATED_VERSION_HEADER,
        HeaderValue::from_str(&crate::ApiVersion::LATEST.to_string()).unwrap(),
    );
    body_text(transport.send("Test", request).await.unwrap()).await;
    let heads = seen.heads.lock().unwrap();
    let head = heads[0].to_ascii_lowercase();
    assert!(
        head.starts_with("get /v1.41/containers/json?all=true http/1.1\r\n"),
        "{head}"
    );
    assert!(head.contains("host: docker\r\n"), "{head}");
    assert!(!head.contains("api-version"), "{head}");
}

#[tokio::test]
async fn a_connection_the_daemon_closed_is_not_reused() {
    // Each connection answers once and closes; every request still succeeds.
    let (_dir, host, seen) = serve(|_| ok("{}"), 1);
    let transport = Transport::new(&host, &settings()).unwrap();
    for _ in 0..3 {
        let response = transport.send("Test", get("/v1.41/info")).await.unwrap();
        body_text(response).await;
        // Let the server's close arrive while the connection is idle.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(seen.connections.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_redirect_is_returned_not_followed() {
    let (_dir, host, seen) = serve(
        |_| {
            "HTTP/1.1 301 Moved Permanently\r\nLocation: /v1.41/images/json\r\nContent-Length: 0\r\n\r\n".to_owned()
        },
        usize::MAX,
    );
    let transport = Transport::new(&host, &settings()).unwrap();
    let response = transport
        .send(
            "Test",
            get("/v1.41/containers/x%2F..%2F..%2Fimages%2Fjson/json"),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(seen.heads.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_body_dropped_early_closes_its_connection() {
    let (_dir, host, seen) = serve(
        |_| "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n".to_owned(),
        usize::MAX,
    );
    let transport = Transport::new(&host, &settings()).unwrap();
    let response = transport.send("Test", get("/v1.41/logs")).await.unwrap();
    let mut body = response.into_body();
    assert_eq!(&body.next().await.unwrap().unwrap()[..], b"abc");
    drop(body);
    assert_eq!(transport.shared.pool.idle_count(), 0);
    let _ = transport.send("Test", get("/v1.41/logs")).await.unwrap();
    assert_eq!(seen.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn idle_connections_are_capped() {
    let (_dir, host, _seen) = serve(|_| ok("{}"), usize::MAX);
    let transport = Transport::new(&host, &settings()).unwrap();
    let calls = (0..40).map(|_| async {
        let response = transport.send("Test", get("/v1.41/info")).await.unwrap();
        // Hold every connection at once before any goes back.
        tokio::task::yield_now().await;
        response
    });
    let responses = futures_util::future::join_all(calls).await;
    for response in responses {
        body_text(response).await;
    }
    assert_eq!(transport.shared.pool.idle_count(), pool::MAX_IDLE);
}

#[tokio::test]
async fn a_missing_socket_says_so() {
    let host = DockerHost::Unix {
        path: "/nonexistent/dockhand.sock".into(),
    };
    let transport = Transport::new(&host, &settings()).unwrap();
    let err = transport
        .send("SystemPing", get("/_ping"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("unix:///nonexistent/dockhand.sock"), "{text}");
    assert!(text.contains("SystemPing"), "{text}");
    assert!(text.contains("No such file or directory"), "{text}");
}

#[tokio::test]
async fn a_refused_tcp_port_says_so() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let host: DockerHost = format!("tcp://127.0.0.1:{port}").parse().unwrap();
    let transport = Transport::new(&host, &settings()).unwrap();
    let err = transport
        .send("SystemPing", get("/_ping"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Connection refused"), "{err}");
}

fn settings() -> TransportSettings {
    TransportSettings {
        tls: None,
        ssh_options: Vec::new(),
        connect_timeout: std::time::Duration::from_secs(10),
        unreachable_hint: None,
        max_response_size: 1 << 20,
    }
}
