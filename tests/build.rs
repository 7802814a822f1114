//! `images().build` against the real daemon: a directory context with a
//! `.dockerignore`, build args, labels and several tags, and a failing RUN.

mod common;

use common::registry::ImageCleanup;
use dockhand::{BuildContext, BuildOptions, BuildProgress, ContainerOptions, Error};
use futures_util::TryStreamExt;

#[tokio::test]
async fn a_directory_builds_with_its_dockerignore_args_labels_and_tags() {
    let docker = common::docker().await;
    let base = common::busybox(&docker).await;
    let mut cleanup = ImageCleanup::new(&docker);
    let name = common::unique_name("build");
    let (first, second) = (
        format!("dockhand-test/{name}:one"),
        format!("dockhand-test/{name}:two"),
    );
    cleanup.add(first.clone());
    cleanup.add(second.clone());

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {base}\nARG GREETING\nCOPY . /ctx\nRUN echo \"$GREETING\" > /greeting\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".dockerignore"),
        "secret.txt\nlogs\n!logs/keep.log\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("secret.txt"), "do not send").unwrap();
    std::fs::write(dir.path().join("kept.txt"), "sent").unwrap();
    std::fs::create_dir(dir.path().join("logs")).unwrap();
    std::fs::write(dir.path().join("logs/drop.log"), "x").unwrap();
    std::fs::write(dir.path().join("logs/keep.log"), "x").unwrap();

    let options = BuildOptions::new()
        .tag(&first)
        .tag(&second)
        .build_arg("GREETING", "hello from a build arg")
        .label("dockhand.test.build", &name);
    let progress: Vec<BuildProgress> = docker
        .images()
        .build_stream(BuildContext::directory(dir.path()), &options)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let image = docker.images().get(&second).await.unwrap();
    let listing = docker
        .containers()
        .run(
            &first,
            &ContainerOptions::new()
                .command("sh -c 'find /ctx -type f | sort; cat /greeting'")
                .remove(true),
        )
        .await
        .unwrap();

    let steps: Vec<&BuildProgress> = progress
        .iter()
        .filter(|p| matches!(p, BuildProgress::Step { .. }))
        .collect();
    assert_eq!(steps.len(), 5, "{progress:?}"); // FROM, ARG, COPY, RUN, LABEL
    let Some(BuildProgress::Built { id }) = progress
        .iter()
        .find(|p| matches!(p, BuildProgress::Built { .. }))
    else {
        panic!("no Built item: {progress:?}");
    };
    assert_eq!(image.id(), id);
    assert!(image.tags().contains(&first.as_str()), "{:?}", image.tags());
    assert_eq!(
        image
            .labels()
            .get("dockhand.test.build")
            .map(String::as_str),
        Some(name.as_str())
    );
    assert_eq!(
        String::from_utf8(listing).unwrap(),
        "/ctx/.dockerignore\n/ctx/Dockerfile\n/ctx/kept.txt\n/ctx/logs/keep.log\nhello from a build arg\n"
    );
}

#[tokio::test]
async fn a_failing_run_is_a_build_error_naming_the_step() {
    let docker = common::docker().await;
    let base = common::busybox(&docker).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {base}\nRUN echo about to fail && exit 3\n"),
    )
    .unwrap();
    let err = docker
        .images()
        .build(
            BuildContext::directory(dir.path()),
            &BuildOptions::new().force_rm(true),
        )
        .await
        .unwrap_err();
    match &err {
        Error::BuildFailed { step, message } => {
            assert_eq!(step.as_deref(), Some("RUN echo about to fail && exit 3"));
            assert!(message.contains('3'), "{message}");
        }
        other => panic!("expected BuildFailed, got {other:?}"),
    }

    let missing = docker
        .images()
        .build(
            BuildContext::directory(dir.path().join("no-such-dir")),
            &BuildOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(missing, Error::InvalidArgument { .. }),
        "{missing:?}"
    );
}
