//! The container's process: command, entrypoint, environment, user,
//! working directory, names, labels, terminal and stop behaviour.

use std::time::Duration;

use super::request::Draft;
use super::{invalid, parsed, proxy, Command, ContainerOptions, KeyValues, User};
use crate::{ApiVersion, Result, Signal};

/// # What runs
///
/// The command and entrypoint, its environment, user and working
/// directory, the container's host name and labels, a terminal, and how it
/// is stopped.
///
/// ```
/// use dockhand::ContainerOptions;
/// // docker run -e MODE=production -u 1000:1000 -w /srv --label team=web app ./serve --port 80
/// let options = ContainerOptions::new()
///     .command("./serve --port 80")
///     .environment(["MODE=production"])
///     .user((1000, 1000))
///     .working_dir("/srv")
///     .labels([("team", "web")]);
/// ```
impl ContainerOptions {
    /// The command to run (`CMD`): a string, split into arguments like a
    /// shell would (`"sh -c 'echo hi'"`), or a list of arguments used as
    /// they are.
    pub fn command(mut self, command: impl Into<Command>) -> Self {
        self.process.command = Some(command.into());
        self
    }

    /// The entrypoint (`ENTRYPOINT`), in the same forms as
    /// [`command`](Self::command). An empty string or list clears the
    /// image's entrypoint.
    pub fn entrypoint(mut self, entrypoint: impl Into<Command>) -> Self {
        self.process.entrypoint = Some(entrypoint.into());
        self
    }

    /// Environment variables: a map (`{"MODE": "test"}`; a `None` value
    /// passes the variable by name alone) or a list of `"K=V"` strings and
    /// bare `"K"` names.
    pub fn environment(mut self, environment: impl Into<KeyValues>) -> Self {
        self.process.environment = Some(environment.into());
        self
    }

    /// The user to run as: a name or uid, optionally with a group
    /// (`"nobody"`, `1000`, `"1000:1000"`, `(1000, 1000)`).
    pub fn user(mut self, user: impl Into<User>) -> Self {
        self.process.user = Some(user.into().into_string());
        self
    }

    /// The working directory of the command (an absolute path).
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        self.process.working_dir = Some(dir.into());
        self
    }

    /// The container's hostname.
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.process.hostname = Some(hostname.into());
        self
    }

    /// The container's domain name.
    pub fn domainname(mut self, domainname: impl Into<String>) -> Self {
        self.process.domainname = Some(domainname.into());
        self
    }

    /// Labels: a map, or a list of `"key=value"` strings and bare names
    /// (which get an empty value).
    pub fn labels(mut self, labels: impl Into<KeyValues>) -> Self {
        self.process.labels = Some(labels.into());
        self
    }

    /// Allocate a pseudo-terminal (`docker run -t`).
    pub fn tty(mut self, tty: bool) -> Self {
        self.process.tty = Some(tty);
        self
    }

    /// The size of the container's terminal, in rows and columns, for a
    /// [`tty`](Self::tty) (the docker CLI's `run -t` sends the size of the
    /// terminal it runs in). API 1.42 and later.
    pub fn console_size(mut self, rows: u16, columns: u16) -> Self {
        self.process.console_size = Some([rows, columns]);
        self
    }

    /// Keep standard input open even when nothing is attached
    /// (`docker run -i`).
    pub fn stdin_open(mut self, open: bool) -> Self {
        self.process.stdin_open = Some(open);
        self
    }

    /// The signal that stops the container, by name (`"SIGINT"`) or number.
    pub fn stop_signal(mut self, signal: impl Into<Signal>) -> Self {
        self.process.stop_signal = Some(signal.into());
        self
    }

    /// How long a stop waits for the container to exit before killing it,
    /// in whole seconds.
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.process.stop_timeout = Some(timeout);
        self
    }

    /// Pass the proxy settings of the docker CLI's configuration
    /// (`proxies.default` in `$DOCKER_CONFIG/config.json`, else
    /// `~/.docker/config.json`) as `HTTP_PROXY`, `https_proxy`, … variables,
    /// before the [`environment`](Self::environment) so that it wins.
    ///
    /// Off by default: unlike docker-py, dockhand reads no CLI
    /// configuration unless asked.
    pub fn use_config_proxy(mut self, enable: bool) -> Self {
        self.process.use_config_proxy = enable;
        self
    }
}

/// The process settings as typed (`Config`: command, environment, user, …).
#[derive(Clone, Debug, Default)]
pub(super) struct ProcessOptions {
    command: Option<Command>,
    entrypoint: Option<Command>,
    environment: Option<KeyValues>,
    user: Option<String>,
    working_dir: Option<String>,
    hostname: Option<String>,
    domainname: Option<String>,
    labels: Option<KeyValues>,
    tty: Option<bool>,
    console_size: Option<[u16; 2]>,
    stdin_open: Option<bool>,
    stop_signal: Option<Signal>,
    stop_timeout: Option<Duration>,
    use_config_proxy: bool,
}

impl ProcessOptions {
    /// Check these settings and write them into the request.
    pub(super) fn apply(&self, draft: &mut Draft) -> Result<()> {
        let body = &mut draft.body;
        if let Some(command) = &self.command {
            body.cmd = Some(parsed("command", command.parsed())?);
        }
        if let Some(entrypoint) = &self.entrypoint {
            body.entrypoint = Some(parsed("entrypoint", entrypoint.parsed())?);
        }
        let mut env = match self.use_config_proxy {
            true => proxy::environment(),
            false => Vec::new(),
        };
        if let Some(environment) = &self.environment {
            env.extend(environment.to_list("environment", '=')?);
        }
        if !env.is_empty() || self.environment.is_some() {
            body.env = Some(env);
        }
        if let Some(labels) = &self.labels {
            body.labels = Some(
                labels
                    .to_map("labels", '=', Some(""))?
                    .into_iter()
                    .collect(),
            );
        }
        if let Some(dir) = &self.working_dir {
            if !dir.starts_with('/') && !is_windows_absolute(dir) {
                return Err(invalid(
                    "working_dir",
                    format!("{dir:?} is not an absolute path"),
                ));
            }
            body.working_dir = Some(dir.clone());
        }
        if let Some(timeout) = self.stop_timeout {
            if timeout.subsec_nanos() != 0 {
                return Err(invalid(
                    "stop_timeout",
                    format!("{timeout:?} is not a whole number of seconds"),
                ));
            }
            let seconds = i64::try_from(timeout.as_secs())
                .map_err(|_| invalid("stop_timeout", format!("{timeout:?} is too long")))?;
            body.stop_timeout = Some(seconds);
        }
        body.user = self.user.clone();
        body.hostname = self.hostname.clone();
        body.domainname = self.domainname.clone();
        body.tty = self.tty;
        body.stop_signal = self.stop_signal.as_ref().map(|s| s.as_str().to_owned());
        body.open_stdin = self.stdin_open;
        if let Some([rows, columns]) = self.console_size {
            draft.require("console_size", ApiVersion::new(1, 42))?;
            draft.host.console_size = Some([rows.into(), columns.into()]);
        }
        Ok(())
    }
}

/// `C:\dir` or `C:/dir`, for Windows daemons.
fn is_windows_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && (bytes[2] == b'\\' || bytes[2] == b'/')
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::super::request::tests::{error, error_at, host, request, LATEST, V141};
    use super::*;

    #[test]
    fn console_size_is_the_terminals_from_api_1_42() {
        let options = || ContainerOptions::new().tty(true).console_size(40, 120);
        let request = options().to_request("busybox", LATEST).unwrap();
        assert_eq!(
            request.body.host_config.unwrap().console_size,
            Some([40, 120])
        );
        assert_eq!(host(ContainerOptions::new()).console_size, None);
        let message = error_at(options(), V141, "console_size");
        assert!(message.contains("1.42"), "{message}");
    }

    #[test]
    fn commands_are_split_and_lists_kept() {
        let body = request(
            ContainerOptions::new()
                .command("sh -c 'echo hi; exit 3'")
                .entrypoint(["/bin/tini", "--"]),
        )
        .body;
        assert_eq!(body.cmd.unwrap(), ["sh", "-c", "echo hi; exit 3"]);
        assert_eq!(body.entrypoint.unwrap(), ["/bin/tini", "--"]);
        let body = request(ContainerOptions::new().entrypoint("")).body;
        assert_eq!(body.entrypoint.unwrap(), Vec::<String>::new());
    }

    #[test]
    fn malformed_commands_name_the_keyword() {
        error(ContainerOptions::new().command("echo 'oops"), "command");
        error(ContainerOptions::new().entrypoint("sh \\"), "entrypoint");
    }

    #[test]
    fn environment_from_maps_and_lists() {
        let body =
            request(ContainerOptions::new().environment(HashMap::from([("B", "2"), ("A", "1")])))
                .body;
        assert_eq!(body.env.unwrap(), ["A=1", "B=2"]);
        let body = request(ContainerOptions::new().environment(["X=1", "PATH_ONLY"])).body;
        assert_eq!(body.env.unwrap(), ["X=1", "PATH_ONLY"]);
        let body =
            request(ContainerOptions::new().environment([("A", Some("1")), ("B", None)])).body;
        assert_eq!(body.env.unwrap(), ["A=1", "B"]);
        let body = request(ContainerOptions::new().environment(Vec::<String>::new())).body;
        assert_eq!(body.env.unwrap(), Vec::<String>::new());
        error(ContainerOptions::new().environment(["=x"]), "environment");
    }

    #[test]
    fn labels_from_maps_and_lists() {
        let body = request(ContainerOptions::new().labels(BTreeMap::from([("a", "1")]))).body;
        assert_eq!(
            body.labels.unwrap(),
            HashMap::from([("a".into(), "1".into())])
        );
        let body = request(ContainerOptions::new().labels(["x=1", "flag"])).body;
        assert_eq!(
            body.labels.unwrap(),
            HashMap::from([("x".into(), "1".into()), ("flag".into(), String::new())])
        );
        error(ContainerOptions::new().labels([("", "v")]), "labels");
    }

    #[test]
    fn plain_config_fields() {
        let body = request(
            ContainerOptions::new()
                .user(1000)
                .working_dir("/srv")
                .hostname("box")
                .domainname("example.test")
                .tty(true)
                .stop_signal("SIGINT")
                .stop_timeout(Duration::from_secs(30)),
        )
        .body;
        assert_eq!(body.user.as_deref(), Some("1000"));
        assert_eq!(body.working_dir.as_deref(), Some("/srv"));
        assert_eq!(body.hostname.as_deref(), Some("box"));
        assert_eq!(body.domainname.as_deref(), Some("example.test"));
        assert_eq!(body.tty, Some(true));
        assert_eq!(body.stop_signal.as_deref(), Some("SIGINT"));
        assert_eq!(body.stop_timeout, Some(30));
        let body = request(
            ContainerOptions::new()
                .user("nobody:nogroup")
                .stop_signal(15),
        )
        .body;
        assert_eq!(body.user.as_deref(), Some("nobody:nogroup"));
        assert_eq!(body.stop_signal.as_deref(), Some("15"));
    }

    #[test]
    fn bad_working_dirs_and_timeouts() {
        error(ContainerOptions::new().working_dir("srv"), "working_dir");
        request(ContainerOptions::new().working_dir("C:\\app"));
        error(
            ContainerOptions::new().stop_timeout(Duration::from_millis(1500)),
            "stop_timeout",
        );
    }

    #[test]
    fn attach_flags_follow_detach_and_stdin_open() {
        let body = request(ContainerOptions::new().stdin_open(true)).body;
        assert_eq!(body.open_stdin, Some(true));
        assert_eq!(body.attach_stdin, Some(true));
        assert_eq!(body.stdin_once, Some(true));
        assert_eq!(body.attach_stdout, Some(true));
        let body = request(ContainerOptions::new().stdin_open(true).detach(true)).body;
        assert_eq!(body.open_stdin, Some(true));
        assert_eq!(body.attach_stdin, None);
        assert_eq!(body.attach_stdout, None);
    }
}
