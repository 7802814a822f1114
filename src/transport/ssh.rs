//! `ssh://` daemons, reached the way the docker CLI reaches them: the system
//! `ssh` runs `docker system dial-stdio` on the remote host, and the
//! process's stdin and stdout are the connection to the remote daemon.
//!
//! Each connection is one ssh process; pooled connections keep theirs. The
//! process is killed when its connection is dropped. When ssh fails (host
//! unknown, key refused, no docker on the remote), its stderr becomes the
//! error of the read that found the connection closed.

use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

use crate::BoxError;

/// The most of ssh's stderr kept for an error message.
const STDERR_LIMIT: usize = 4096;

/// The ssh invocation for one `ssh://[user@]host[:port]` address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SshCommand {
    /// The ssh program (`ssh`, found on PATH).
    pub(crate) program: String,
    /// ssh's `ConnectTimeout`.
    pub(crate) connect_timeout: std::time::Duration,
    /// Options the caller added (e.g. `-i key`), before the destination.
    pub(crate) options: Vec<String>,
    pub(crate) user: Option<String>,
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
}

impl SshCommand {
    /// The arguments after the program, as the docker CLI builds them: no
    /// TTY, a bounded connect time, and (unlike the CLI) batch mode, since
    /// there is no terminal to answer a password prompt.
    pub(crate) fn args(&self) -> Vec<String> {
        let connect_timeout = format!("ConnectTimeout={}", self.connect_timeout.as_secs().max(1));
        let mut args: Vec<String> = ["-T", "-o", &connect_timeout, "-o", "BatchMode=yes"]
            .map(String::from)
            .into();
        args.extend(self.options.iter().cloned());
        if let Some(user) = &self.user {
            args.extend(["-l".to_owned(), user.clone()]);
        }
        if let Some(port) = self.port {
            args.extend(["-p".to_owned(), port.to_string()]);
        }
        args.extend(["--", &self.host, "docker", "system", "dial-stdio"].map(String::from));
        args
    }
}

/// A running `ssh … docker system dial-stdio`, as a byte stream.
pub(crate) struct SshStream {
    stdout: ChildStdout,
    stdin: ChildStdin,
    stderr: Option<ChildStderr>,
    stderr_text: Vec<u8>,
    /// Whether any byte came from the remote: an end before that is ssh
    /// failing, and its stderr says why.
    received: bool,
    _child: Child,
}

impl SshStream {
    /// Start the ssh process.
    pub(crate) fn spawn(command: &SshCommand) -> Result<SshStream, BoxError> {
        let mut child = Command::new(&command.program)
            .args(command.args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("running {}: {e}", command.program)))?;
        let piped = "stdio is piped";
        Ok(SshStream {
            stdout: child.stdout.take().expect(piped),
            stdin: child.stdin.take().expect(piped),
            stderr: child.stderr.take(),
            stderr_text: Vec::new(),
            received: false,
            _child: child,
        })
    }

    /// Read ssh's stderr to its end (the process has closed stdout, so it
    /// is exiting) and turn it into the error for the connection.
    fn poll_failure(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        if let Some(stderr) = self.stderr.as_mut() {
            let mut chunk = [0u8; 1024];
            loop {
                let mut buf = ReadBuf::new(&mut chunk);
                match ready!(Pin::new(&mut *stderr).poll_read(cx, &mut buf)) {
                    Ok(()) if buf.filled().is_empty() => break,
                    Ok(()) => {
                        let room = STDERR_LIMIT.saturating_sub(self.stderr_text.len());
                        let take = buf.filled().len().min(room);
                        self.stderr_text.extend_from_slice(&buf.filled()[..take]);
                    }
                    Err(_) => break,
                }
            }
            self.stderr = None;
        }
        let text = String::from_utf8_lossy(&self.stderr_text);
        let text = text.trim();
        Poll::Ready(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            if text.is_empty() {
                "ssh ended without output and without a message".to_owned()
            } else {
                format!("ssh: {text}")
            },
        ))
    }
}

impl AsyncRead for SshStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.stdout).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            this.received = true;
            return Poll::Ready(Ok(()));
        }
        if this.received {
            return Poll::Ready(Ok(()));
        }
        Poll::Ready(Err(ready!(this.poll_failure(cx))))
    }
}

impl AsyncWrite for SshStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stdin).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_follow_the_docker_cli() {
        let command = SshCommand {
            program: "ssh".into(),
            connect_timeout: std::time::Duration::from_secs(30),
            options: vec!["-i".into(), "/k".into()],
            user: Some("me".into()),
            host: "build.example".into(),
            port: Some(2222),
        };
        assert_eq!(
            command.args().join(" "),
            "-T -o ConnectTimeout=30 -o BatchMode=yes -i /k -l me -p 2222 -- build.example docker system dial-stdio"
        );
        let bare = SshCommand {
            user: None,
            port: None,
            options: Vec::new(),
            ..command
        };
        assert_eq!(
            bare.args().join(" "),
            "-T -o ConnectTimeout=30 -o BatchMode=yes -- build.example docker system dial-stdio"
        );
    }

    #[tokio::test]
    async fn a_failing_ssh_reports_its_stderr() {
        use tokio::io::AsyncReadExt;
        let command = SshCommand {
            program: "sh".into(),
            // `sh -T …` fails at once with a message on stderr, as a
            // refused ssh would.
            connect_timeout: std::time::Duration::from_secs(30),
            options: Vec::new(),
            user: None,
            host: "h".into(),
            port: None,
        };
        let mut stream = SshStream::spawn(&command).unwrap();
        let err = stream.read(&mut [0u8; 16]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionAborted);
        assert!(err.to_string().starts_with("ssh: "), "{err}");
        assert!(err.to_string().contains("-T"), "{err}");
    }
}
