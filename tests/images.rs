//! The image collection against the real daemon, without a registry:
//! import, get, list, tag, history, reload, remove, prune.

mod common;

use common::registry::{unique_layer_tar, ImageCleanup};
use dockhand::{Error, Filters, ImageListOptions, ImageRemoveOptions, ImportOptions, RemovedImage};

#[tokio::test]
async fn import_get_list_tag_history_remove() {
    let docker = common::docker().await;
    let images = docker.images();
    let mut cleanup = ImageCleanup::new(&docker);
    let name = common::unique_name("import");
    let repository = format!("dockhand-test/{name}");
    cleanup.add(format!("{repository}:v1"));

    let image = images
        .import(
            unique_layer_tar(4096),
            &ImportOptions::new()
                .repository(&repository)
                .tag("v1")
                .message("imported by the test")
                .changes([
                    format!("LABEL {}={name}", common::TEST_LABEL),
                    "CMD [\"/x\"]".into(),
                ]),
        )
        .await
        .unwrap();
    cleanup.add(image.id().to_owned());
    assert!(image.id().starts_with("sha256:"), "{}", image.id());
    assert_eq!(image.short_id().len(), 12);
    assert_eq!(image.tags(), [format!("{repository}:v1")]);
    assert_eq!(image.labels().get(common::TEST_LABEL), Some(&name));
    assert_eq!(
        image.attrs().config.as_ref().and_then(|c| c.cmd.clone()),
        Some(vec!["/x".to_owned()])
    );

    // get by reference, by id, by short id; get_opt of a missing one.
    assert_eq!(
        images.get(&format!("{repository}:v1")).await.unwrap(),
        image
    );
    assert_eq!(images.get(image.id()).await.unwrap(), image);
    assert_eq!(images.get(image.short_id()).await.unwrap(), image);
    assert!(images
        .get_opt(&format!("{repository}:nope"))
        .await
        .unwrap()
        .is_none());
    let missing = images.get(&format!("{repository}:nope")).await.unwrap_err();
    assert!(matches!(missing, Error::NotFound { .. }), "{missing:?}");

    // list with the reference filter and with a label filter.
    let by_name = images
        .list(&ImageListOptions::new().name(&repository))
        .await
        .unwrap();
    assert_eq!(by_name, std::slice::from_ref(&image));
    let by_label = images
        .list(
            &ImageListOptions::new()
                .filters(Filters::new().label(format!("{}={name}", common::TEST_LABEL))),
        )
        .await
        .unwrap();
    assert_eq!(by_label, std::slice::from_ref(&image));

    // tag, then reload shows both tags.
    let second = format!("{repository}-copy:v2");
    cleanup.add(second.clone());
    image.tag(&second).await.unwrap();
    let mut reloaded = image.clone();
    reloaded.reload().await.unwrap();
    let mut tags = reloaded.tags();
    tags.sort_unstable();
    assert_eq!(
        tags,
        [format!("{repository}-copy:v2"), format!("{repository}:v1")]
    );

    let history = image.history().await.unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].comment, "imported by the test");

    // Removing one of two tags only untags; removing the last deletes.
    let report = images
        .remove(&second, &ImageRemoveOptions::new())
        .await
        .unwrap();
    assert_eq!(report, [RemovedImage::Untagged(second.clone())]);
    let report = images
        .remove(&format!("{repository}:v1"), &ImageRemoveOptions::new())
        .await
        .unwrap();
    assert!(
        report.contains(&RemovedImage::Deleted(image.id().to_owned())),
        "{report:?}"
    );
    assert!(images.get_opt(image.id()).await.unwrap().is_none());
}

#[tokio::test]
async fn import_reader_streams_the_archive() {
    let docker = common::docker().await;
    let mut cleanup = ImageCleanup::new(&docker);
    let reference = format!("dockhand-test/{}:streamed", common::unique_name("reader"));
    cleanup.add(reference.clone());
    let reader = std::io::Cursor::new(unique_layer_tar(64 * 1024));
    let image = docker
        .images()
        .import_reader(reader, &ImportOptions::new().repository(&reference))
        .await
        .unwrap();
    cleanup.add(image.id().to_owned());
    assert_eq!(image.tags(), [reference]);
}

#[tokio::test]
async fn an_untagged_import_is_dangling_and_pruned() {
    let docker = common::docker().await;
    let images = docker.images();
    let mut cleanup = ImageCleanup::new(&docker);
    let name = common::unique_name("prune");
    let label = format!("{}={name}", common::TEST_LABEL);
    let image = images
        .import(
            unique_layer_tar(1024),
            &ImportOptions::new().changes([format!("LABEL {label}")]),
        )
        .await
        .unwrap();
    cleanup.add(image.id().to_owned());
    assert!(image.tags().is_empty(), "{:?}", image.tags());

    let report = images.prune(&Filters::new().label(&label)).await.unwrap();
    // The daemon lists the image and its layers.
    assert!(
        report.deleted.contains(&image.id().to_owned()),
        "{report:?}"
    );
    assert!(images.get_opt(image.id()).await.unwrap().is_none());
}

#[tokio::test]
async fn removing_a_missing_image_is_not_found() {
    let docker = common::docker().await;
    let err = docker
        .images()
        .remove(
            &format!("dockhand-test/{}:gone", common::unique_name("missing")),
            &ImageRemoveOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn tagging_rejects_malformed_targets_before_any_request() {
    let docker = common::docker().await;
    let image = common::busybox(&docker).await;
    for target in ["Upper/Case", "a:b:c", "repo@sha256:abc", ""] {
        let err = docker.images().tag(image, target).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "{target}: {err:?}"
        );
    }
}

#[tokio::test]
async fn save_then_load_round_trips_a_tagged_image() {
    use futures_util::TryStreamExt;

    let docker = common::docker().await;
    let images = docker.images();
    let mut cleanup = ImageCleanup::new(&docker);
    let reference = format!("dockhand-test/{}:saved", common::unique_name("save"));
    cleanup.add(reference.clone());
    images
        .import(
            unique_layer_tar(2048),
            &ImportOptions::new().repository(&reference),
        )
        .await
        .unwrap();
    let id = images.get(&reference).await.unwrap().id().to_owned();

    let archive: Vec<u8> = images
        .save(&[&reference])
        .await
        .unwrap()
        .map_ok(|chunk| chunk.to_vec())
        .try_concat()
        .await
        .unwrap();
    let entries: Vec<String> = tar::Archive::new(&archive[..])
        .entries()
        .unwrap()
        .map(|entry| entry.unwrap().path().unwrap().display().to_string())
        .collect();
    assert!(
        entries.iter().any(|entry| entry == "manifest.json"),
        "{entries:?}"
    );

    images
        .remove(&reference, &ImageRemoveOptions::new().force(true))
        .await
        .unwrap();
    assert!(images.get_opt(&reference).await.unwrap().is_none());
    let loaded = images.load(archive).await.unwrap();
    assert_eq!(loaded, std::slice::from_ref(&reference));
    assert_eq!(images.get(&reference).await.unwrap().id(), id);

    let refused = images.save(&[]).await.err().unwrap();
    assert!(
        matches!(refused, Error::InvalidArgument { .. }),
        "{refused:?}"
    );
    let missing = images
        .save(&["dockhand-test/never-made:none"])
        .await
        .err()
        .unwrap();
    assert!(missing.is_not_found(), "{missing:?}");
    let garbage = images
        .load(b"not a tar archive".to_vec())
        .await
        .unwrap_err();
    assert!(
        matches!(garbage, Error::Stream { .. } | Error::Api { .. }),
        "{garbage:?}"
    );
}
