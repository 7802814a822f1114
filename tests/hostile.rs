//! Reliability under hostile answers: a scripted server on 127.0.0.1 sends
//! endless, huge, truncated and malformed answers, and every call ends in a
//! typed error while the process's peak memory stays small. One test in its
//! own binary, since it reads the process's peak RSS.

use std::time::Duration;

use dockhand::{Docker, Error, LogsOptions};
use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;

/// The limit the client is given for non-streamed answers.
const RESPONSE_LIMIT: usize = 8 * 1024 * 1024;
/// The peak RSS every case must stay under.
const PEAK_LIMIT_KIB: u64 = 64 * 1024;

/// The process's peak resident set (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Write `head` and then chunked `piece`s until the client goes away.
async fn endless(write: &mut OwnedWriteHalf, head: &str, piece: &[u8]) {
    if write.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let chunk = [format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat();
    while write.write_all(&chunk).await.is_ok() {}
}

/// Write a `length`-byte body of `fill` after `head` in 64 KiB pieces, so
/// the server itself holds no large buffer.
async fn sized(
    write: &mut OwnedWriteHalf,
    status: &str,
    content_type: &str,
    body: (&[u8], usize, &[u8]),
) {
    let (prefix, length, suffix) = body;
    let total = prefix.len() + length + suffix.len();
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {total}\r\n\r\n"
    );
    let piece = vec![b'm'; 64 * 1024];
    let _ = write.write_all(head.as_bytes()).await;
    let _ = write.write_all(prefix).await;
    let mut left = length;
    while left > 0 {
        let n = left.min(piece.len());
        if write.write_all(&piece[..n]).await.is_err() {
            return;
        }
        left -= n;
    }
    let _ = write.write_all(suffix).await;
}

fn fixed(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    [head.as_bytes(), body].concat()
}

/// Answer each request by its path: `/containers/c1/json` is a real
/// inspect; `/containers/<case>/…` is the hostile case named. Returns
/// whether to close the connection (a body that ends with it).
async fn answer(path: &str, write: &mut OwnedWriteHalf) -> bool {
    const CHUNKED_JSON: &str =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    let big = vec![b'x'; 64 * 1024];
    let reply = match path.split('?').next().unwrap_or("") {
        "/v1.41/containers/c1/json" => fixed(
            "200 OK",
            "application/json",
            br#"{"Id":"c1","Config":{"Tty":false},"State":{"Status":"running"}}"#,
        ),
        "/v1.41/containers/endless-json/json" => {
            endless(
                write,
                &format!("{CHUNKED_JSON}{:x}\r\n{{\"Id\":\"\r\n", 7),
                &big,
            )
            .await;
            return true;
        }
        "/v1.41/containers/endless-500/json" => {
            let head = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
            endless(write, head, &big).await;
            return true;
        }
        "/v1.41/containers/c1/logs" if path.contains("tail=404") => {
            let head = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
            endless(write, head, &big).await;
            return true;
        }
        "/v1.41/containers/huge-text/json" => {
            sized(
                write,
                "500 Internal Server Error",
                "text/plain",
                (b"", 10 << 20, b""),
            )
            .await;
            return false;
        }
        "/v1.41/containers/huge-json/json" => {
            let body = (&b"{\"message\":\""[..], 10 << 20, &b"\"}"[..]);
            sized(write, "500 Internal Server Error", "application/json", body).await;
            return false;
        }
        "/v1.41/containers/invalid-json/json" => fixed(
            "200 OK",
            "application/json",
            b"{\"Id\": \"c1\", \"State\": [1, 2",
        ),
        "/v1.41/containers/garbage/json" => {
            let _ = write.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\r\n").await;
            return true;
        }
        "/v1.41/containers/c1/logs" if path.contains("tail=1") => {
            // A frame header promising 100 bytes, 10 sent, then the end.
            let mut body = vec![1, 0, 0, 0, 0, 0, 0, 100];
            body.extend_from_slice(b"0123456789");
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: close\r\n\r\n";
            let _ = write.write_all(&[head.as_bytes(), &body].concat()).await;
            return true;
        }
        "/v1.41/containers/c1/logs" if path.contains("tail=4") => {
            // A frame header claiming 4 GiB, then endless bytes.
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
            let first = [1u8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
            let start = [format!("{:x}\r\n", first.len()).as_bytes(), &first, b"\r\n"].concat();
            let _ = write.write_all(head.as_bytes()).await;
            let _ = write.write_all(&start).await;
            endless(write, "", &big).await;
            return true;
        }
        other => panic!("unscripted request {other}"),
    };
    let _ = write.write_all(&reply).await;
    false
}

async fn hostile_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("tcp://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                while let Ok(Some(request)) = lines.next_line().await {
                    while let Ok(Some(header)) = lines.next_line().await {
                        if header.is_empty() {
                            break;
                        }
                    }
                    let path = request.split(' ').nth(1).unwrap_or("").to_owned();
                    if answer(&path, &mut write).await {
                        return;
                    }
                }
            });
        }
    });
    host
}

#[tokio::test]
async fn hostile_answers_end_in_typed_errors_with_bounded_memory() {
    let host = hostile_server().await;
    let docker = Docker::builder()
        .host(&host)
        .api_version("1.41")
        .max_response_size(RESPONSE_LIMIT)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let containers = docker.containers();
    let check = |case: &str, outcome: &str| {
        let peak = peak_rss_kib();
        eprintln!("{case}: {outcome}; peak RSS {} MiB", peak / 1024);
        assert!(peak < PEAK_LIMIT_KIB, "{case}: peak RSS {peak} KiB");
    };

    let err = containers.get("endless-json").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseTooLarge {
                limit: RESPONSE_LIMIT,
                ..
            }
        ),
        "{err:?}"
    );
    check("endless 200 JSON", "ResponseTooLarge");

    let err = containers.get("endless-500").await.unwrap_err();
    let Error::Api {
        status: 500,
        message,
        ..
    } = &err
    else {
        panic!("endless 500: {err:?}");
    };
    assert!(message.len() < 4096, "{}", message.len());
    check("endless 500", "Api 500");

    for case in ["huge-text", "huge-json"] {
        let err = containers.get(case).await.unwrap_err();
        let Error::Api {
            status: 500,
            message,
            ..
        } = &err
        else {
            panic!("{case}: {err:?}");
        };
        assert!(message.len() < 4096, "{case}: {}", message.len());
        check(
            &format!("10 MB error body ({case})"),
            "Api 500, message cut",
        );
    }

    let err = containers.get("invalid-json").await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    check("invalid JSON", "Decode");

    let err = containers.get("garbage").await.unwrap_err();
    assert!(err.is_transport(), "{err:?}");
    check("garbage status line", "Transport");

    let container = containers.get("c1").await.unwrap();
    let err = container
        .logs_stream(&LogsOptions::new().tail(404))
        .await
        .err()
        .expect("an endless 404 is an error");
    assert!(err.is_not_found(), "{err:?}");
    check("endless 404 on logs", "NotFound");

    let mut truncated = container
        .logs_stream(&LogsOptions::new().tail(1))
        .await
        .unwrap();
    let mut ended_in_error = false;
    while let Some(item) = truncated.next().await {
        if let Err(err) = item {
            assert!(
                matches!(err, Error::Transport { .. } | Error::Decode { .. }),
                "{err:?}"
            );
            ended_in_error = true;
        }
    }
    assert!(ended_in_error, "a truncated frame is an error");
    check("truncated frame", "error item");

    let mut claimed = container
        .logs_stream(&LogsOptions::new().tail(4))
        .await
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match claimed.next().await {
                Some(Err(err)) => return err,
                Some(Ok(_)) => continue,
                None => panic!("the stream ended without an error"),
            }
        }
    })
    .await
    .expect("the 4 GiB frame is refused, not read");
    assert!(matches!(first, Error::Decode { .. }), "{first:?}");
    check("frame header claiming 4 GiB", "Decode");
}
