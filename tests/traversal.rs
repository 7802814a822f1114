//! Ids, names and references shaped like paths (`/`, `..`, `?`, `#`, `%`,
//! spaces, backslashes, NUL, newlines) address only the resource they name.
//!
//! Every call goes through a recording proxy in front of the real daemon.
//! A hostile call must be an error; what the facade refuses (`.`, `..`,
//! control characters, `\`) is `InvalidArgument` with no request sent; any
//! other value reaches the daemon only as one encoded path segment of its
//! own resource (dockerd answers 404 or 400, or 301 when the decoded path
//! cleans to another one, which is an error and not followed). The victims
//! the values aim at must survive. Ids in daemon answers are checked too:
//! the proxy doctors inspect and exec-create answers to carry them.

mod common;

use std::time::Duration;

use common::recording_proxy::{upstream_socket, RecordingProxy, Scripted};
use dockhand::{
    Container, ContainerOptions, Docker, Error, ExecOptions, ImageRemoveOptions, KillOptions,
    LogsOptions, RemoveOptions, StopOptions, TopOptions, UpdateOptions, WaitOptions,
};
use percent_encoding::percent_decode_str;

/// Values aimed at `victim` in `collection`, and at other endpoints.
fn hostile(collection: &str, victim: &str) -> Vec<String> {
    let fixed = [
        "x/../../images/json?",
        ".",
        "..",
        "..\\..\\images",
        "a?b",
        "a#b",
        "a%2Fb",
        "%2e%2e",
        "a b",
        "a\0b",
        "a\nb",
    ];
    let aimed = [
        format!("../{collection}/{victim}"),
        format!("{victim}/../{victim}"),
        format!("..\\{collection}\\{victim}"),
    ];
    fixed.map(String::from).into_iter().chain(aimed).collect()
}

/// What the facade must refuse before any request (as `check_name` does).
fn refused(value: &str) -> bool {
    value == "." || value == ".." || value.contains('\\') || value.chars().any(char::is_control)
}

/// What a hostile call came to.
#[derive(Debug)]
enum Outcome {
    Refused,
    Status(u16),
    /// Anything else, described (read through `Debug`).
    #[allow(dead_code)]
    Other(String),
}

fn outcome<T>(result: dockhand::Result<T>) -> Outcome {
    match result {
        Err(Error::InvalidArgument { .. }) => Outcome::Refused,
        Err(err) => err
            .status()
            .map_or_else(|| Outcome::Other(err.to_string()), Outcome::Status),
        Ok(_) => Outcome::Other(format!("succeeded: {}", std::any::type_name::<T>())),
    }
}

/// As [`outcome`], with a `get_opt`'s `Ok(None)` as the 404 it was.
fn found<T>(result: dockhand::Result<Option<T>>) -> Outcome {
    match result {
        Ok(None) => Outcome::Status(404),
        other => outcome(other),
    }
}

/// A raw (generated-client) call's outcome.
fn raw_outcome<T, E: std::fmt::Debug>(result: Result<T, progenitor_client::Error<E>>) -> Outcome {
    match result {
        Err(err) => err.status().map_or_else(
            || Outcome::Other(format!("{err:?}")),
            |status| Outcome::Status(status.as_u16()),
        ),
        Ok(_) => Outcome::Other("succeeded".into()),
    }
}

/// Whether `request` (`METHOD target`) holds `value` as exactly one path
/// segment: `<prefix>/<collection>/<segment><suffix>[?query]`, the segment
/// decoding to `value`.
fn confined(request: &str, prefix: &str, collection: &str, value: &str, suffix: &str) -> bool {
    let target = request.split_once(' ').map_or("", |(_, target)| target);
    let path = target.split('?').next().unwrap_or_default();
    let segment = path
        .strip_prefix(&format!("{prefix}/{collection}/"))
        .and_then(|rest| rest.strip_suffix(suffix));
    segment.is_some_and(|segment| {
        let decoded = percent_decode_str(segment).decode_utf8();
        !segment.contains(['/', '\\', '#']) && decoded.is_ok_and(|text| text == value)
    })
}

/// A client through a fresh recording proxy, a direct one for setup and
/// cleanup, and what went wrong (reported once the test has cleaned up).
struct Setup {
    direct: Docker,
    docker: Docker,
    proxy: RecordingProxy,
    /// `/v1.41`: the API version the proxied client settled on.
    prefix: String,
    findings: Vec<String>,
}

/// `None`, with a message, when the daemon is not on a unix socket.
async fn setup() -> Option<Setup> {
    let Some(upstream) = upstream_socket() else {
        eprintln!("skipped: the recording proxy needs the daemon on a unix:// DOCKER_HOST");
        return None;
    };
    let direct = common::docker().await;
    let proxy = RecordingProxy::start(&upstream);
    let docker = Docker::connect(proxy.host()).unwrap();
    let prefix = format!("/v{}", docker.api_version().await.unwrap());
    proxy.take();
    let findings = Vec::new();
    Some(Setup {
        direct,
        docker,
        proxy,
        prefix,
        findings,
    })
}

impl Setup {
    /// Start judging the calls made with `value` in `collection`'s paths.
    fn judge<'a>(&'a mut self, collection: &'a str, value: &'a str) -> Judge<'a> {
        Judge {
            setup: self,
            collection,
            value,
        }
    }

    /// A container handle whose id is `id`, as a daemon could report it: the
    /// proxy answers the inspect.
    async fn doctored_container(&self, id: &str) -> Container {
        let body = serde_json::json!({"Id": id, "Name": "/doctored", "Config": {"Tty": false}});
        let path = format!("{}/containers/doctored/json", self.prefix);
        let answer = Scripted::json(200, body.to_string());
        self.proxy.script("GET", &path, answer);
        let handle = self.docker.containers().get("doctored").await.unwrap();
        self.proxy.take();
        handle
    }

    /// A container named `label` and labelled with it (`sleep 300`, not
    /// started), for hostile values to aim at.
    async fn victim_container(&self, label: &str) -> Container {
        let image = common::busybox(&self.direct).await;
        let options = ContainerOptions::new()
            .name(label)
            .labels([format!("{}={label}", common::TEST_LABEL)])
            .command("sleep 300");
        self.direct
            .containers()
            .create(image, &options)
            .await
            .unwrap()
    }

    /// Note `finding` unless `fine`.
    fn expect(&mut self, fine: bool, finding: String) {
        if !fine {
            self.findings.push(finding);
        }
    }

    /// Check that the victim container survived, and remove it.
    async fn remove_victim(&mut self, victim: Container) {
        let alive = self.direct.containers().get(victim.id()).await.is_ok();
        self.expect(
            alive,
            format!("the victim container {} is gone", victim.id()),
        );
        victim.remove(&RemoveOptions::new().force(true)).await.ok();
    }

    /// Fail with every finding (call after cleaning up).
    fn finish(self) {
        assert!(self.findings.is_empty(), "{}", self.findings.join("\n"));
    }
}

/// The calls made with one value, judged as they come.
struct Judge<'a> {
    setup: &'a mut Setup,
    collection: &'a str,
    value: &'a str,
}

impl Judge<'_> {
    /// Judge one call by its outcome and the requests the daemon (not a
    /// script) was sent since the last: each must be the value's own path
    /// ending in `suffix`. A `raw …` call checks nothing, so it must send
    /// even the values the facade refuses.
    fn call(&mut self, call: &str, suffix: &str, got: Outcome) {
        let (s, value) = (&mut *self.setup, self.value);
        let requests = s.proxy.take();
        let sent: Vec<_> = requests
            .iter()
            .filter(|r| !r.ends_with("(scripted)"))
            .collect();
        let fine = if refused(value) && !call.starts_with("raw ") {
            matches!(got, Outcome::Refused) && sent.is_empty()
        } else {
            let confined = |r: &&String| confined(r, &s.prefix, self.collection, value, suffix);
            matches!(got, Outcome::Status(301 | 400 | 404))
                && !sent.is_empty()
                && sent.iter().all(confined)
        };
        let line = format!("{call}({value:?}): {got:?}, sent {sent:?}");
        eprintln!("{} {line}", if fine { "ok " } else { "BAD" });
        s.expect(fine, line);
    }
}

#[tokio::test]
async fn container_ids_and_names_address_only_their_container() {
    let Some(mut s) = setup().await else { return };
    let victim = s.victim_container(&common::unique_name("traversal")).await;
    let containers = s.docker.containers();
    for value in hostile("containers", victim.id()) {
        // The same value as the id the daemon reported for a container.
        let mut c = s.doctored_container(&value).await;
        let mut j = s.judge("containers", &value);
        j.call("get", "/json", outcome(containers.get(&value).await));
        j.call("get_opt", "/json", found(containers.get_opt(&value).await));
        j.call("reload", "/json", outcome(c.reload().await));
        j.call("start", "/start", outcome(c.start().await));
        let stop = StopOptions::new().timeout(Duration::from_secs(1));
        j.call("stop", "/stop", outcome(c.stop(&stop).await));
        j.call("restart", "/restart", outcome(c.restart(&stop).await));
        j.call("kill", "/kill", outcome(c.kill(&KillOptions::new()).await));
        j.call("pause", "/pause", outcome(c.pause().await));
        let wait = WaitOptions::new().timeout(Duration::from_secs(5));
        j.call("wait", "/wait", outcome(c.wait(&wait).await));
        j.call("rename", "/rename", outcome(c.rename("x").await));
        j.call("logs", "/logs", outcome(c.logs(&LogsOptions::new()).await));
        j.call("top", "/top", outcome(c.top(&TopOptions::new()).await));
        j.call("diff", "/changes", outcome(c.diff().await));
        j.call("stats_once", "/stats", outcome(c.stats_once().await));
        j.call("export", "/export", outcome(c.export().await));
        j.call(
            "archive_stat",
            "/archive",
            outcome(c.archive_stat("/").await),
        );
        let put = c.put_archive("/", &b""[..]).await;
        j.call("put_archive", "/archive", outcome(put));
        let update = c.update(&UpdateOptions::new()).await;
        j.call("update", "/update", outcome(update));
        let exec = c.exec_run("true", &ExecOptions::new()).await;
        j.call("exec_run", "/exec", outcome(exec));
        let remove = c.remove(&RemoveOptions::new().force(true)).await;
        j.call("remove", "", outcome(remove));
    }
    s.remove_victim(victim).await;
    s.finish();
}

#[tokio::test]
async fn image_references_address_only_their_image() {
    let Some(mut s) = setup().await else { return };
    let busybox = common::busybox(&s.direct).await;
    let victim = format!("{}:v1", common::unique_name("victim"));
    let target = format!("{}:v1", common::unique_name("tagged"));
    s.direct.images().tag(busybox, &victim).await.unwrap();
    let images = s.docker.images();
    let mut values = hostile("images", &victim);
    values.push("../../containers/json".into());
    for value in &values {
        let mut j = s.judge("images", value);
        j.call("get", "/json", outcome(images.get(value).await));
        j.call("get_opt", "/json", found(images.get_opt(value).await));
        j.call("history", "/history", outcome(images.history(value).await));
        j.call("tag", "/tag", outcome(images.tag(value, &target).await));
        let force = ImageRemoveOptions::new().force(true);
        j.call("remove", "", outcome(images.remove(value, &force).await));
    }
    let direct = s.direct.images();
    let alive = direct.get_opt(&victim).await.unwrap().is_some();
    s.expect(alive, format!("the victim tag {victim} is gone"));
    let made = direct.get_opt(&target).await.unwrap().is_some();
    s.expect(!made, format!("a hostile tag call made {target}"));
    for tag in [&target, &victim] {
        direct.remove(tag, &ImageRemoveOptions::new()).await.ok();
    }
    s.finish();
}

#[tokio::test]
async fn exec_ids_from_the_daemon_address_only_their_exec() {
    // No facade call takes an exec id from the caller: ids come from the
    // daemon's exec-create answer, which the proxy doctors here.
    let Some(mut s) = setup().await else { return };
    let victim = s.victim_container(&common::unique_name("traversal")).await;
    let handle = s.docker.containers().get(victim.id()).await.unwrap();
    let create = format!("{}/containers/{}/exec", s.prefix, victim.id());
    let options = ExecOptions::new();
    for value in hostile("exec", victim.id()) {
        let answer = serde_json::json!({ "Id": value }).to_string();
        s.proxy.take();
        s.proxy.script("POST", &create, Scripted::json(201, answer));
        let mut j = s.judge("exec", &value);
        let run = handle.exec_run("true", &options).await;
        j.call("exec_run", "/start", outcome(run));
        let detach = handle.exec_detach("true", &options).await;
        j.call("exec_detach", "/start", outcome(detach));
        let socket = handle.exec_socket("true", &options).await;
        j.call("exec_socket", "/start", outcome(socket));
    }
    s.remove_victim(victim).await;
    s.finish();
}

#[tokio::test]
async fn network_and_volume_names_stay_one_encoded_segment() {
    // The facade has no network or volume calls yet, and raw calls check
    // nothing: values the generated client encodes, which is all but `.`,
    // `..` and `\`. (No `force` on the volume delete: dockerd answers a
    // forced delete of a missing volume with success.)
    let Some(mut s) = setup().await else { return };
    let raw = s.docker.raw().await.unwrap().clone();
    let direct = s.direct.raw().await.unwrap().clone();
    let victim = common::unique_name("victim-volume");
    let create = dockhand::models::VolumeCreateRequest {
        name: Some(victim.clone()),
        labels: Some([(common::TEST_LABEL.to_owned(), victim.clone())].into()),
        ..Default::default()
    };
    direct.volume_create(&create).await.unwrap();
    let values = hostile("volumes", &victim)
        .into_iter()
        .chain(["x/../../containers/json".to_owned()])
        .filter(|v| v != "." && v != ".." && !v.contains('\\'));
    for value in values {
        let v = value.as_str();
        let mut j = s.judge("networks", v);
        j.call(
            "raw network_inspect",
            "",
            raw_outcome(raw.network_inspect(v, None, None).await),
        );
        j.call(
            "raw network_delete",
            "",
            raw_outcome(raw.network_delete(v).await),
        );
        let mut j = s.judge("volumes", v);
        j.call(
            "raw volume_inspect",
            "",
            raw_outcome(raw.volume_inspect(v).await),
        );
        j.call(
            "raw volume_delete",
            "",
            raw_outcome(raw.volume_delete(v, None).await),
        );
    }
    let alive = direct.volume_inspect(&victim).await.is_ok();
    s.expect(alive, format!("the victim volume {victim} is gone"));
    direct.volume_delete(&victim, Some(true)).await.ok();
    s.finish();
}

#[tokio::test]
async fn redirects_are_errors_and_never_followed() {
    let Some(mut s) = setup().await else { return };
    let victim = s.victim_container(&common::unique_name("traversal")).await;
    let victim_path = format!("{}/containers/{}", s.prefix, victim.id());

    // A scripted 301 on an inspect, pointing at the victim.
    let redirected = format!("{}/containers/redirected/json", s.prefix);
    let moved = Scripted::redirect(301, &format!("{victim_path}/json"));
    s.proxy.script("GET", &redirected, moved);
    let got = s.docker.containers().get("redirected").await;
    let requests = s.proxy.take();
    let fine = matches!(got, Err(Error::Api { status: 301, .. }))
        && requests == [format!("GET {redirected} (scripted)")];
    s.expect(fine, format!("scripted 301: {got:?}, {requests:?}"));

    // A scripted 308 on a forced remove, pointing at removing the victim.
    let handle = s.doctored_container("redirected").await;
    let delete = format!("{}/containers/redirected", s.prefix);
    let moved = Scripted::redirect(308, &format!("{victim_path}?force=1"));
    s.proxy.script("DELETE", &delete, moved);
    let got = handle.remove(&RemoveOptions::new().force(true)).await;
    let requests = s.proxy.take();
    let fine = matches!(got, Err(Error::Api { status: 308, .. }))
        && requests.len() == 1
        && requests[0].starts_with(&format!("DELETE {delete}?"));
    s.expect(fine, format!("scripted 308: {got:?}, {requests:?}"));

    // dockerd's own 301, for a path that cleans to the victim's.
    let hostile = format!("../containers/{}", victim.id());
    let got = s.docker.containers().get(&hostile).await;
    let requests = s.proxy.take();
    let fine = matches!(got, Err(Error::Api { status: 301, .. }))
        && requests.len() == 1
        && confined(&requests[0], &s.prefix, "containers", &hostile, "/json");
    s.expect(fine, format!("dockerd's 301: {got:?}, {requests:?}"));

    s.remove_victim(victim).await;
    s.finish();
}

#[tokio::test]
async fn valid_names_and_references_still_address_their_object() {
    let Some(mut s) = setup().await else { return };
    let name = common::unique_name("traversal");
    let victim = s.victim_container(&name).await;
    let slashed = format!("/{name}");
    for given in [victim.id(), victim.short_id(), &name, &slashed] {
        let got = s.docker.containers().get(given).await;
        let fine = got.as_ref().is_ok_and(|found| found == &victim);
        s.expect(fine, format!("containers().get({given:?}): {got:?}"));
    }
    let image = common::busybox(&s.direct).await;
    let busybox = s.direct.images().get(image).await.unwrap();
    let tagged = format!("127.0.0.1:5000/{}/busybox:v1", common::unique_name("valid"));
    s.direct.images().tag(image, &tagged).await.unwrap();
    s.proxy.take();
    for given in [image, busybox.id(), busybox.short_id(), &tagged] {
        let got = s.docker.images().get(given).await;
        let fine = got.as_ref().is_ok_and(|found| found == &busybox);
        s.expect(fine, format!("images().get({given:?}): {got:?}"));
    }
    let requests = s.proxy.take();
    let encoded = format!("GET {}/images/127.0.0.1:5000%2F", s.prefix);
    let fine = requests.iter().any(|r| r.starts_with(&encoded));
    s.expect(
        fine,
        format!("{tagged} not sent as one segment: {requests:?}"),
    );
    s.direct
        .images()
        .remove(&tagged, &ImageRemoveOptions::new())
        .await
        .ok();
    s.remove_victim(victim).await;
    s.finish();
}
