//! Docker credential helpers: `docker-credential-<name> get`, with the
//! server on stdin and `{"ServerURL", "Username", "Secret"}` on stdout.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use super::Credentials;

/// What helpers print (and exit non-zero with) when they hold nothing for
/// the server; the protocol's one well-known message.
const NOT_FOUND: &str = "credentials not found in native keychain";

/// The user name with which a helper says its secret is an identity token.
const TOKEN_USERNAME: &str = "<token>";

/// The longest piece of a failing helper's output an error quotes.
const OUTPUT_LIMIT: usize = 200;

/// A helper's answer to `get`.
#[derive(Deserialize)]
struct HelperCredentials {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Ask helper `name` for the credentials of `server`; `Ok(None)` when it
/// has none. The error is a reason, for the caller to wrap with the helper
/// and registry.
pub(super) async fn get(
    name: &str,
    server: &str,
    dir: Option<&Path>,
) -> Result<Option<Credentials>, String> {
    let program = program(name, dir)?;
    let mut child = spawn(&program).await.map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => format!("{} is not installed", program.display()),
        _ => format!("cannot run {}: {err}", program.display()),
    })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading its input is not an error
        // here; its exit status says what happened.
        let _ = stdin.write_all(server.as_bytes()).await;
        drop(stdin);
    }
    let output = child
        .wait_with_output()
        .await
        .map_err(|err| format!("running {} failed: {err}", program.display()))?;
    if !output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stdout.trim() == NOT_FOUND || stderr.trim() == NOT_FOUND {
            return Ok(None);
        }
        // A failed `get` printed no secret, so its output may be quoted.
        let said = [stdout.trim(), stderr.trim()]
            .into_iter()
            .find(|text| !text.is_empty())
            .unwrap_or("no output");
        return Err(format!("it failed ({}): {}", output.status, cut(said)));
    }
    // A successful answer holds the secret: never quote it.
    let answer: HelperCredentials = serde_json::from_slice(&output.stdout)
        .map_err(|_| "its answer is not the expected JSON".to_owned())?;
    if answer.username.is_empty() && answer.secret.is_empty() {
        return Ok(None);
    }
    let credentials = if answer.username == TOKEN_USERNAME {
        Credentials::identity_token(answer.secret)
    } else {
        Credentials::new(answer.username, answer.secret)
    };
    Ok(Some(credentials.server_address(server)))
}

/// The helper's program: `docker-credential-<name>` in `dir`, or on `PATH`.
fn program(name: &str, dir: Option<&Path>) -> Result<PathBuf, String> {
    // The name comes from a config file; it names a program, not a path.
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(format!("{name:?} is not a helper name"));
    }
    let file = format!("docker-credential-{name}");
    Ok(match dir {
        Some(dir) => dir.join(file),
        None => PathBuf::from(file),
    })
}

/// `ETXTBSY`: the executable is open for writing somewhere.
const TEXT_FILE_BUSY: i32 = 26;

/// Start `program get`. A helper written just before (a freshly installed
/// script) can be briefly "busy" while another thread of this process forks
/// with the writer's descriptor still inherited; a few short retries ride
/// that out.
async fn spawn(program: &Path) -> std::io::Result<tokio::process::Child> {
    let mut attempts = 0;
    loop {
        let spawned = tokio::process::Command::new(program)
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // A cancelled pull must not leave a helper waiting (say, for a
            // desktop keychain prompt).
            .kill_on_drop(true)
            .spawn();
        match spawned {
            Err(err) if err.raw_os_error() == Some(TEXT_FILE_BUSY) && attempts < 20 => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            other => return other,
        }
    }
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(OUTPUT_LIMIT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Write an executable `docker-credential-<name>` script into `dir`.
    fn script(dir: &Path, name: &str, body: &str) {
        let path = dir.join(format!("docker-credential-{name}"));
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[tokio::test]
    async fn the_server_goes_on_stdin_and_credentials_come_back() {
        let dir = tempfile::tempdir().unwrap();
        // Echo the server read from stdin back as the user name.
        script(
            dir.path(),
            "echo",
            r#"[ "$1" = get ] || exit 3
read -r server || true
printf '{"ServerURL":"%s","Username":"for-%s","Secret":"s3cret"}' "$server" "$server""#,
        );
        let found = get("echo", "localhost:5000", Some(dir.path()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.username(), Some("for-localhost:5000"));
        assert_eq!(found.password.as_deref(), Some("s3cret"));
        assert_eq!(found.registry(), Some("localhost:5000"));
    }

    #[tokio::test]
    async fn token_user_means_identity_token() {
        let dir = tempfile::tempdir().unwrap();
        script(
            dir.path(),
            "token",
            r#"cat >/dev/null; echo '{"ServerURL":"x","Username":"<token>","Secret":"refresh"}'"#,
        );
        let found = get("token", "x", Some(dir.path())).await.unwrap().unwrap();
        assert_eq!(found.identity_token.as_deref(), Some("refresh"));
        assert_eq!(found.username(), None);
    }

    #[tokio::test]
    async fn not_found_is_no_credentials() {
        let dir = tempfile::tempdir().unwrap();
        script(
            dir.path(),
            "empty",
            "cat >/dev/null; echo 'credentials not found in native keychain'; exit 1",
        );
        assert_eq!(get("empty", "x", Some(dir.path())).await.unwrap(), None);
    }

    #[tokio::test]
    async fn failures_say_why_and_never_quote_a_secret() {
        let dir = tempfile::tempdir().unwrap();
        script(dir.path(), "broken", "echo 'keychain locked' >&2; exit 2");
        let err = get("broken", "x", Some(dir.path())).await.unwrap_err();
        assert!(err.contains("keychain locked"), "{err}");
        script(dir.path(), "garbled", "echo 'Secret: hunter2'");
        let err = get("garbled", "x", Some(dir.path())).await.unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        let err = get("missing", "x", Some(dir.path())).await.unwrap_err();
        assert!(err.contains("not installed"), "{err}");
    }

    #[tokio::test]
    async fn helper_names_cannot_be_paths() {
        for name in ["../evil", "a/b", "", ".hidden"] {
            assert!(get(name, "x", None).await.is_err(), "{name:?}");
        }
    }
}
