//! Pull and push against real registries (Debian's docker-registry on
//! 127.0.0.1), with and without basic auth, and credentials from explicit
//! options, a config file's `auths`, and a credential helper.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use base64::Engine as _;
use common::registry::{unique_image, ImageCleanup, Registry, PASSWORD, USER};
use dockhand::{
    Credentials, DockerConfig, Error, ImageRemoveOptions, Images, LayerPhase, PullOptions,
    PullProgress, PushOptions, PushProgress, RemovedImage,
};
use futures_util::TryStreamExt;

#[tokio::test]
async fn push_remove_pull_back_with_progress() {
    let docker = common::docker().await;
    let registry = Registry::open();
    let images = docker.images().with_docker_config(DockerConfig::new());
    let mut cleanup = ImageCleanup::new(&docker);
    let repository = registry.repository("roundtrip");
    let reference = format!("{repository}:v1");
    cleanup.add(reference.clone());
    let id = unique_image(&docker, &reference).await;
    cleanup.add(id.clone());

    // Push, watching the progress.
    let pushed: Vec<PushProgress> = images
        .push_stream(&reference, &PushOptions::new())
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(
        pushed.contains(&PushProgress::PushingTo {
            repository: repository.clone()
        }),
        "{pushed:#?}"
    );
    assert!(
        pushed.iter().any(|event| matches!(
            event,
            PushProgress::Layer(layer) if layer.phase == LayerPhase::Pushed
        )),
        "{pushed:#?}"
    );
    let Some(PushProgress::Pushed(result)) = pushed.last().cloned() else {
        panic!("no result at the end: {pushed:#?}")
    };
    assert_eq!(result.tag, "v1");
    assert!(result.digest.starts_with("sha256:"), "{result:?}");

    // Remove it locally: the layer goes too, so the pull must download it.
    let removed = images
        .remove(&reference, &ImageRemoveOptions::new())
        .await
        .unwrap();
    assert!(
        removed.contains(&RemovedImage::Deleted(id.clone())),
        "{removed:?}"
    );
    assert!(images.get_opt(&reference).await.unwrap().is_none());

    let pulled: Vec<PullProgress> = images
        .pull_stream(&reference, &PullOptions::new())
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(
        matches!(&pulled[0], PullProgress::PullingFrom { tag, .. } if tag == "v1"),
        "{pulled:#?}"
    );
    let layer_events = |phase: LayerPhase| {
        pulled
            .iter()
            .filter(|event| matches!(event, PullProgress::Layer(layer) if layer.phase == phase))
            .count()
    };
    assert!(layer_events(LayerPhase::Downloading) > 0, "{pulled:#?}");
    assert_eq!(layer_events(LayerPhase::PullComplete), 1, "{pulled:#?}");
    assert!(
        pulled
            .iter()
            .any(|event| matches!(event, PullProgress::Layer(layer) if layer.total.is_some())),
        "no byte counts: {pulled:#?}"
    );
    assert!(
        pulled.contains(&PullProgress::Digest(result.digest.clone())),
        "{pulled:#?}"
    );
    assert!(
        matches!(
            pulled.last(),
            Some(PullProgress::Finished {
                downloaded: true,
                ..
            })
        ),
        "{pulled:#?}"
    );
    let image = images.get(&reference).await.unwrap();
    assert_eq!(image.id(), id, "the same image came back");

    // By digest, for the daemon's platform, with the convenience call.
    let version = docker.version().await.unwrap();
    let platform = format!(
        "{}/{}",
        version.os.unwrap_or_else(|| "linux".into()),
        version.arch.unwrap_or_else(|| "amd64".into())
    );
    let by_digest = format!("{repository}@{}", result.digest);
    cleanup.add(by_digest.clone());
    let image = images
        .pull(&by_digest, &PullOptions::new().platform(platform))
        .await
        .unwrap();
    assert_eq!(image.id(), id);
}

#[tokio::test]
async fn pulling_a_missing_repository_tag_or_digest_is_not_found() {
    let docker = common::docker().await;
    let registry = Registry::open();
    let images = docker.images().with_docker_config(DockerConfig::new());
    let mut cleanup = ImageCleanup::new(&docker);

    let missing = format!("{}:v1", registry.repository("missing"));
    let err = images
        .pull(&missing, &PullOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");

    // An existing repository without the tag, or without the digest.
    let repository = registry.repository("present");
    cleanup.add(format!("{repository}:v1"));
    images
        .tag(common::busybox(&docker).await, &format!("{repository}:v1"))
        .await
        .unwrap();
    images
        .push(&format!("{repository}:v1"), &PushOptions::new())
        .await
        .unwrap();
    let err = images
        .pull(&format!("{repository}:v2"), &PullOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = images
        .pull(
            &format!("{repository}@sha256:{}", "0".repeat(64)),
            &PullOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn pushing_an_image_that_is_not_local_is_not_found() {
    let docker = common::docker().await;
    let registry = Registry::open();
    let images = docker.images().with_docker_config(DockerConfig::new());
    // Every daemon reports this inside the push's progress stream.
    let missing = format!("{}:v1", registry.repository("never-tagged"));
    let err = images
        .push(&missing, &PushOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn pulling_for_another_platform_is_not_found_or_a_warning() {
    let docker = common::docker().await;
    let registry = Registry::open();
    let images = docker.images().with_docker_config(DockerConfig::new());
    let mut cleanup = ImageCleanup::new(&docker);
    let reference = format!("{}:v1", registry.repository("platform"));
    cleanup.add(reference.clone());
    let id = unique_image(&docker, &reference).await;
    cleanup.add(id);
    images.push(&reference, &PushOptions::new()).await.unwrap();
    images
        .remove(&reference, &ImageRemoveOptions::new())
        .await
        .unwrap();

    // The registry holds a linux/amd64 image (a single manifest, no list).
    // 26.1 pulls it and then reports the mismatch mid-stream, which create
    // answers with a 404: that is `NotFound` here too. 20.10 and 28.5 pull
    // it (28.5 with a warning). No daemon's answer is an untyped error.
    let version = docker.version().await.unwrap();
    let other = if version.arch.as_deref() == Some("arm64") {
        "linux/amd64"
    } else {
        "linux/arm64"
    };
    match images
        .pull(&reference, &PullOptions::new().platform(other))
        .await
    {
        Ok(_) => {}
        Err(err) => assert!(matches!(err, Error::NotFound { .. }), "{err:?}"),
    }
}

#[tokio::test]
async fn an_image_only_in_the_registry_is_pulled_and_runs() {
    let docker = common::docker().await;
    let registry = Registry::open();
    let images = docker.images().with_docker_config(DockerConfig::new());
    let mut cleanup = ImageCleanup::new(&docker);
    let busybox = common::busybox(&docker).await;
    let reference = format!("{}:v1", registry.repository("run"));
    cleanup.add(reference.clone());
    images.tag(busybox, &reference).await.unwrap();
    images.push(&reference, &PushOptions::new()).await.unwrap();
    // Untag it: the reference now exists only in the registry.
    images
        .remove(&reference, &ImageRemoveOptions::new())
        .await
        .unwrap();
    assert!(images.get_opt(&reference).await.unwrap().is_none());

    // `run` finds the image missing at create, pulls it, and runs it.
    let output = docker
        .containers()
        .run(
            &reference,
            &dockhand::ContainerOptions::new()
                .command("echo pulled-and-ran")
                .remove(true),
        )
        .await
        .unwrap();
    let output = String::from_utf8(output).unwrap();
    let image = images.get(&reference).await.unwrap();
    assert!(
        image.tags().contains(&reference.as_str()),
        "{:?}",
        image.tags()
    );
    assert_eq!(output.trim(), "pulled-and-ran");
}

#[tokio::test]
async fn missing_or_wrong_credentials_are_unauthorized() {
    let docker = common::docker().await;
    let registry = Registry::with_auth();
    let images = docker.images().with_docker_config(DockerConfig::new());
    let mut cleanup = ImageCleanup::new(&docker);
    let reference = format!("{}:v1", registry.repository("auth"));
    cleanup.add(reference.clone());
    images
        .tag(common::busybox(&docker).await, &reference)
        .await
        .unwrap();

    // Push: the registry's refusal arrives inside the progress stream.
    let err = images
        .push(&reference, &PushOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    let wrong = Credentials::new(USER, "wrong-password");
    let err = images
        .push(&reference, &PushOptions::new().credentials(wrong.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(!format!("{err:?} {err}").contains("wrong-password"));

    let right = Credentials::new(USER, PASSWORD);
    images
        .push(&reference, &PushOptions::new().credentials(right.clone()))
        .await
        .unwrap();
    images
        .remove(&reference, &ImageRemoveOptions::new())
        .await
        .unwrap();

    // Pull: the daemon answers the refusal before any progress.
    let err = images
        .pull(&reference, &PullOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    let err = images
        .pull(&reference, &PullOptions::new().credentials(wrong))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(!err.is_not_found(), "{err:?}");
    images
        .pull(&reference, &PullOptions::new().credentials(right))
        .await
        .unwrap();
}

#[tokio::test]
async fn credentials_from_config_auths() {
    let docker = common::docker().await;
    let registry = Registry::with_auth();
    let mut cleanup = ImageCleanup::new(&docker);
    let config_dir = tempfile::tempdir().unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    std::fs::write(
        config_dir.path().join("config.json"),
        format!(
            r#"{{"auths": {{"{}": {{"auth": "{auth}"}}}}}}"#,
            registry.host()
        ),
    )
    .unwrap();
    let images = docker
        .images()
        .with_docker_config(DockerConfig::from_dir(config_dir.path()).unwrap());

    round_trip(&docker, &images, &registry, "config-auths", &mut cleanup).await;

    // Explicit credentials win over the config's.
    let reference = format!("{}:v1", registry.repository("explicit"));
    cleanup.add(reference.clone());
    images
        .tag(common::busybox(&docker).await, &reference)
        .await
        .unwrap();
    let err = images
        .push(
            &reference,
            &PushOptions::new().credentials(Credentials::new(USER, "not-the-password")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
}

#[tokio::test]
async fn credentials_from_a_credential_helper() {
    let docker = common::docker().await;
    let registry = Registry::with_auth();
    let mut cleanup = ImageCleanup::new(&docker);
    let helper_dir = tempfile::tempdir().unwrap();
    let asked = helper_dir.path().join("asked");
    write_helper(helper_dir.path(), "dockhand-test", registry.host(), &asked);

    // Per registry (`credHelpers`) …
    let config = DockerConfig::from_json(&format!(
        r#"{{"credHelpers": {{"{}": "dockhand-test"}}}}"#,
        registry.host()
    ))
    .unwrap()
    .helper_dir(helper_dir.path());
    let images = docker.images().with_docker_config(config);
    round_trip(&docker, &images, &registry, "cred-helper", &mut cleanup).await;
    assert_eq!(std::fs::read_to_string(&asked).unwrap(), registry.host());

    // … and for every registry (`credsStore`).
    let config = DockerConfig::from_json(r#"{"credsStore": "dockhand-test"}"#)
        .unwrap()
        .helper_dir(helper_dir.path());
    let images = docker.images().with_docker_config(config);
    round_trip(&docker, &images, &registry, "creds-store", &mut cleanup).await;

    // A configured helper that is not installed is a clear error, before
    // any request.
    let config = DockerConfig::from_json(r#"{"credsStore": "not-installed"}"#)
        .unwrap()
        .helper_dir(helper_dir.path());
    let err = docker
        .images()
        .with_docker_config(config)
        .pull(
            &format!("{}:v1", registry.repository("x")),
            &PullOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(
        err.to_string().contains("docker-credential-not-installed"),
        "{err}"
    );
}

/// Tag busybox into `registry`, push it, untag it, pull it back, with
/// whatever credentials `images` finds.
async fn round_trip(
    docker: &dockhand::Docker,
    images: &Images,
    registry: &Registry,
    what: &str,
    cleanup: &mut ImageCleanup,
) {
    let reference = format!("{}:v1", registry.repository(what));
    cleanup.add(reference.clone());
    images
        .tag(common::busybox(docker).await, &reference)
        .await
        .unwrap();
    let pushed = images.push(&reference, &PushOptions::new()).await.unwrap();
    assert!(pushed.digest.starts_with("sha256:"), "{pushed:?}");
    images
        .remove(&reference, &ImageRemoveOptions::new())
        .await
        .unwrap();
    let image = images.pull(&reference, &PullOptions::new()).await.unwrap();
    assert!(
        image.tags().contains(&reference.as_str()),
        "{:?}",
        image.tags()
    );
}

/// A `docker-credential-<name>` script in `dir` that knows [`USER`] /
/// [`PASSWORD`] for `host` only, and writes the server it was asked for to
/// `asked`.
fn write_helper(dir: &Path, name: &str, host: &str, asked: &Path) {
    let path = dir.join(format!("docker-credential-{name}"));
    let script = format!(
        r#"#!/bin/sh
[ "$1" = get ] || exit 1
read -r server
printf '%s' "$server" > '{asked}'
if [ "$server" = '{host}' ]; then
  printf '{{"ServerURL":"%s","Username":"{USER}","Secret":"{PASSWORD}"}}\n' "$server"
else
  echo 'credentials not found in native keychain'
  exit 1
fi
"#,
        asked = asked.display(),
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn run_pulls_a_missing_image_with_the_credentials_it_is_given() {
    let docker = common::docker().await;
    let registry = Registry::with_auth();
    let images = docker.images().with_docker_config(DockerConfig::new());
    let mut cleanup = ImageCleanup::new(&docker);
    let reference = format!("{}:v1", registry.repository("run-auth"));
    cleanup.add(reference.clone());
    images
        .tag(common::busybox(&docker).await, &reference)
        .await
        .unwrap();
    let right = Credentials::new(USER, PASSWORD);
    images
        .push(&reference, &PushOptions::new().credentials(right.clone()))
        .await
        .unwrap();
    images
        .remove(&reference, &ImageRemoveOptions::new())
        .await
        .unwrap();
    let options = dockhand::ContainerOptions::new()
        .command("echo pulled-with-credentials")
        .remove(true);

    // No stored credentials: the implicit pull is refused as unauthorized.
    let refused = docker
        .containers()
        .with_docker_config(DockerConfig::new())
        .run(&reference, &options)
        .await;
    // Given credentials: the pull succeeds and the container runs.
    let output = docker
        .containers()
        .with_docker_config(DockerConfig::new())
        .with_pull_credentials(right)
        .run(&reference, &options)
        .await;

    let refused = refused.unwrap_err();
    assert!(matches!(refused, Error::Unauthorized { .. }), "{refused:?}");
    assert_eq!(
        String::from_utf8(output.unwrap()).unwrap().trim(),
        "pulled-with-credentials"
    );
    assert!(images.get_opt(&reference).await.unwrap().is_some());
}
