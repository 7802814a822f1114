//! Typed progress of pulls and pushes, from the daemon's JSON messages
//! (`{"status": "Downloading", "id": "a3ed95caeb02", "progressDetail":
//! {"current": 1, "total": 2}}`).
//!
//! The daemon describes each layer's state in English words; these are
//! matched here to [`LayerPhase`] values, and anything unrecognised is kept
//! as text ([`LayerPhase::Other`], [`PullProgress::Other`]) rather than
//! dropped, so a newer daemon's wording degrades to text, not to an error.

use std::fmt;

use serde::Deserialize;

/// One progress message as the daemon sends it. Error items never reach
/// this type: the stream decoder turns them into errors first.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Message {
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default, rename = "progressDetail")]
    pub(crate) progress_detail: Option<Detail>,
    #[serde(default)]
    pub(crate) aux: Option<serde_json::Value>,
}

/// A message's byte counts (`{}` when the step has none).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Detail {
    #[serde(default)]
    current: Option<i64>,
    #[serde(default)]
    total: Option<i64>,
}

/// What a layer is doing, as the daemon words it for `docker pull` and
/// `docker push`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LayerPhase {
    /// Pull: queued for download (`Pulling fs layer`).
    Queued,
    /// Pull or push: waiting for another layer (`Waiting`).
    Waiting,
    /// Pull: bytes arriving (`Downloading`), with counts.
    Downloading,
    /// Pull: checking the download (`Verifying Checksum`).
    Verifying,
    /// Pull: downloaded (`Download complete`).
    Downloaded,
    /// Pull: unpacking (`Extracting`), with counts.
    Extracting,
    /// Pull: done (`Pull complete`).
    PullComplete,
    /// Pull: the layer is already present locally (`Already exists`).
    AlreadyExists,
    /// Push: getting ready (`Preparing`).
    Preparing,
    /// Push: bytes leaving (`Pushing`), with counts.
    Pushing,
    /// Push: done (`Pushed`).
    Pushed,
    /// Push: the registry already had it (`Layer already exists`).
    LayerAlreadyExists,
    /// Push: the registry mounted it from another repository
    /// (`Mounted from team/base`).
    Mounted {
        /// The repository it was mounted from.
        from: String,
    },
    /// A failed step will be retried (`Retrying in 5 seconds`).
    Retrying,
    /// Wording this version does not know.
    Other(String),
}

impl LayerPhase {
    /// The phase for the daemon's status text.
    fn from_status(status: &str) -> LayerPhase {
        match status {
            "Pulling fs layer" => LayerPhase::Queued,
            "Waiting" => LayerPhase::Waiting,
            "Downloading" => LayerPhase::Downloading,
            "Verifying Checksum" => LayerPhase::Verifying,
            "Download complete" => LayerPhase::Downloaded,
            "Extracting" => LayerPhase::Extracting,
            "Pull complete" => LayerPhase::PullComplete,
            "Already exists" => LayerPhase::AlreadyExists,
            "Preparing" => LayerPhase::Preparing,
            "Pushing" => LayerPhase::Pushing,
            "Pushed" => LayerPhase::Pushed,
            "Layer already exists" => LayerPhase::LayerAlreadyExists,
            _ => {
                if let Some(from) = status.strip_prefix("Mounted from ") {
                    LayerPhase::Mounted {
                        from: from.to_owned(),
                    }
                } else if status.starts_with("Retrying in ") {
                    LayerPhase::Retrying
                } else {
                    LayerPhase::Other(status.to_owned())
                }
            }
        }
    }

    /// True when the layer needs nothing more: pulled, pushed, or already
    /// there.
    pub fn is_done(&self) -> bool {
        matches!(
            self,
            LayerPhase::PullComplete
                | LayerPhase::AlreadyExists
                | LayerPhase::Pushed
                | LayerPhase::LayerAlreadyExists
                | LayerPhase::Mounted { .. }
        )
    }

    /// True for the phases that move bytes over the network (and so come
    /// with counts): downloading and pushing.
    pub fn is_transfer(&self) -> bool {
        matches!(self, LayerPhase::Downloading | LayerPhase::Pushing)
    }
}

impl fmt::Display for LayerPhase {
    /// The daemon's wording, as `docker pull` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            LayerPhase::Queued => "Pulling fs layer",
            LayerPhase::Waiting => "Waiting",
            LayerPhase::Downloading => "Downloading",
            LayerPhase::Verifying => "Verifying Checksum",
            LayerPhase::Downloaded => "Download complete",
            LayerPhase::Extracting => "Extracting",
            LayerPhase::PullComplete => "Pull complete",
            LayerPhase::AlreadyExists => "Already exists",
            LayerPhase::Preparing => "Preparing",
            LayerPhase::Pushing => "Pushing",
            LayerPhase::Pushed => "Pushed",
            LayerPhase::LayerAlreadyExists => "Layer already exists",
            LayerPhase::Mounted { from } => return write!(f, "Mounted from {from}"),
            LayerPhase::Retrying => "Retrying",
            LayerPhase::Other(text) => text,
        };
        f.write_str(text)
    }
}

/// One layer's progress.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LayerProgress {
    /// The short layer id the daemon shows (`a3ed95caeb02`).
    pub id: String,
    /// What the layer is doing.
    pub phase: LayerPhase,
    /// Bytes done so far in this phase, when the daemon counts them.
    pub current: Option<u64>,
    /// Bytes in all for this phase, when the daemon knows.
    pub total: Option<u64>,
}

/// An event of a pull, from
/// [`Images::pull_stream`](crate::Images::pull_stream).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PullProgress {
    /// The pull began: `Pulling from library/busybox` for tag `latest`.
    PullingFrom {
        /// The repository, as the daemon names it.
        repository: String,
        /// The tag (or digest) being pulled.
        tag: String,
    },
    /// A layer changed phase or moved bytes.
    Layer(LayerProgress),
    /// The image manifest's digest (`sha256:…`).
    Digest(String),
    /// The pull finished: `Status: Downloaded newer image for busybox:latest`
    /// (`downloaded`), or `Status: Image is up to date for …`.
    Finished {
        /// The image as the daemon names it.
        image: String,
        /// True when something was downloaded, false when the image was
        /// already up to date.
        downloaded: bool,
    },
    /// A message this version does not recognise, kept as it came.
    Other {
        /// The object the message is about, if any.
        id: Option<String>,
        /// The text.
        status: String,
    },
}

/// An event of a push, from
/// [`Images::push_stream`](crate::Images::push_stream).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushProgress {
    /// The push began: `The push refers to repository [localhost:5000/app]`.
    PushingTo {
        /// The repository, as the daemon names it.
        repository: String,
    },
    /// A layer changed phase or moved bytes.
    Layer(LayerProgress),
    /// The registry accepted the manifest.
    Pushed(PushResult),
    /// A message this version does not recognise (including the text form
    /// of [`PushProgress::Pushed`]), kept as it came.
    Other {
        /// The object the message is about, if any.
        id: Option<String>,
        /// The text.
        status: String,
    },
}

/// What the registry stored for one pushed tag.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PushResult {
    /// The tag pushed.
    #[serde(rename = "Tag", default)]
    pub tag: String,
    /// The manifest digest, `sha256:…`: pull `repository@digest` to get
    /// exactly this image.
    #[serde(rename = "Digest", default)]
    pub digest: String,
    /// The manifest's size in bytes.
    #[serde(rename = "Size", default)]
    pub size: u64,
}

impl Message {
    /// The layer progress if this message is about a layer.
    fn layer(&self, status: &str) -> Option<LayerProgress> {
        let id = self.id.as_ref()?;
        let count = |value: Option<i64>| value.and_then(|value| u64::try_from(value).ok());
        let detail = self.progress_detail.as_ref();
        Some(LayerProgress {
            id: id.clone(),
            phase: LayerPhase::from_status(status),
            current: count(detail.and_then(|detail| detail.current)),
            total: count(detail.and_then(|detail| detail.total)).filter(|&total| total > 0),
        })
    }

    fn other(self) -> Option<(Option<String>, String)> {
        Some((self.id, self.status?))
    }
}

impl PullProgress {
    /// The event for a message; `None` for a message without text.
    pub(crate) fn from_message(message: Message) -> Option<PullProgress> {
        let status = message.status.as_deref()?;
        if let Some(repository) = status.strip_prefix("Pulling from ") {
            return Some(PullProgress::PullingFrom {
                repository: repository.to_owned(),
                tag: message.id.clone().unwrap_or_default(),
            });
        }
        if let Some(digest) = status.strip_prefix("Digest: ") {
            return Some(PullProgress::Digest(digest.to_owned()));
        }
        if let Some(image) = status.strip_prefix("Status: Downloaded newer image for ") {
            return Some(PullProgress::Finished {
                image: image.to_owned(),
                downloaded: true,
            });
        }
        if let Some(image) = status.strip_prefix("Status: Image is up to date for ") {
            return Some(PullProgress::Finished {
                image: image.to_owned(),
                downloaded: false,
            });
        }
        if let Some(layer) = message.layer(status) {
            return Some(PullProgress::Layer(layer));
        }
        let (id, status) = message.other()?;
        Some(PullProgress::Other { id, status })
    }
}

impl PushProgress {
    /// The event for a message; `None` for a message with neither text nor
    /// a result.
    pub(crate) fn from_message(message: Message) -> Option<PushProgress> {
        if let Some(aux) = &message.aux {
            if let Ok(result) = serde_json::from_value::<PushResult>(aux.clone()) {
                if !result.digest.is_empty() {
                    return Some(PushProgress::Pushed(result));
                }
            }
        }
        let status = message.status.as_deref()?;
        if let Some(repository) = status
            .strip_prefix("The push refers to repository [")
            .and_then(|rest| rest.strip_suffix(']'))
        {
            return Some(PushProgress::PushingTo {
                repository: repository.to_owned(),
            });
        }
        if let Some(layer) = message.layer(status) {
            return Some(PushProgress::Layer(layer));
        }
        let (id, status) = message.other()?;
        Some(PushProgress::Other { id, status })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(json: &str) -> Message {
        serde_json::from_str(json).unwrap()
    }

    fn pull(json: &str) -> PullProgress {
        PullProgress::from_message(message(json)).unwrap()
    }

    fn push(json: &str) -> PushProgress {
        PushProgress::from_message(message(json)).unwrap()
    }

    fn layer(
        id: &str,
        phase: LayerPhase,
        current: Option<u64>,
        total: Option<u64>,
    ) -> LayerProgress {
        LayerProgress {
            id: id.into(),
            phase,
            current,
            total,
        }
    }

    #[test]
    fn a_real_pull_in_order() {
        // As dockerd 20.10 sent it for a one-layer image.
        let events: Vec<_> = [
            r#"{"status":"Pulling from exp/u","id":"v1"}"#,
            r#"{"status":"Pulling fs layer","progressDetail":{},"id":"a56bf007935f"}"#,
            r#"{"status":"Downloading","progressDetail":{"current":3678,"total":300464},"progress":"[>  ]  3.678kB/300.5kB","id":"a56bf007935f"}"#,
            r#"{"status":"Download complete","progressDetail":{},"id":"a56bf007935f"}"#,
            r#"{"status":"Extracting","progressDetail":{"current":32768,"total":300464},"id":"a56bf007935f"}"#,
            r#"{"status":"Pull complete","progressDetail":{},"id":"a56bf007935f"}"#,
            r#"{"status":"Digest: sha256:e9b7"}"#,
            r#"{"status":"Status: Downloaded newer image for 127.0.0.1:35001/exp/u:v1"}"#,
        ]
        .into_iter()
        .map(pull)
        .collect();
        let id = "a56bf007935f";
        assert_eq!(
            events,
            [
                PullProgress::PullingFrom {
                    repository: "exp/u".into(),
                    tag: "v1".into()
                },
                PullProgress::Layer(layer(id, LayerPhase::Queued, None, None)),
                PullProgress::Layer(layer(id, LayerPhase::Downloading, Some(3678), Some(300464))),
                PullProgress::Layer(layer(id, LayerPhase::Downloaded, None, None)),
                PullProgress::Layer(layer(id, LayerPhase::Extracting, Some(32768), Some(300464))),
                PullProgress::Layer(layer(id, LayerPhase::PullComplete, None, None)),
                PullProgress::Digest("sha256:e9b7".into()),
                PullProgress::Finished {
                    image: "127.0.0.1:35001/exp/u:v1".into(),
                    downloaded: true
                },
            ]
        );
    }

    #[test]
    fn up_to_date_and_already_existing_layers() {
        assert_eq!(
            pull(r#"{"status":"Status: Image is up to date for busybox:latest"}"#),
            PullProgress::Finished {
                image: "busybox:latest".into(),
                downloaded: false
            }
        );
        let PullProgress::Layer(existing) =
            pull(r#"{"status":"Already exists","progressDetail":{},"id":"abc"}"#)
        else {
            panic!()
        };
        assert!(existing.phase.is_done());
    }

    #[test]
    fn a_real_push_in_order() {
        let events: Vec<_> = [
            r#"{"status":"The push refers to repository [127.0.0.1:35002/exp/bb]"}"#,
            r#"{"status":"Preparing","progressDetail":{},"id":"b984587e6296"}"#,
            r#"{"status":"Pushing","progressDetail":{"current":35328,"total":1984132},"id":"b984587e6296"}"#,
            r#"{"status":"Pushed","progressDetail":{},"id":"b984587e6296"}"#,
            r#"{"status":"v1: digest: sha256:84d9 size: 527"}"#,
            r#"{"progressDetail":{},"aux":{"Tag":"v1","Digest":"sha256:84d9","Size":527}}"#,
        ]
        .into_iter()
        .map(push)
        .collect();
        let id = "b984587e6296";
        assert_eq!(
            events,
            [
                PushProgress::PushingTo {
                    repository: "127.0.0.1:35002/exp/bb".into()
                },
                PushProgress::Layer(layer(id, LayerPhase::Preparing, None, None)),
                PushProgress::Layer(layer(id, LayerPhase::Pushing, Some(35328), Some(1984132))),
                PushProgress::Layer(layer(id, LayerPhase::Pushed, None, None)),
                PushProgress::Other {
                    id: None,
                    status: "v1: digest: sha256:84d9 size: 527".into()
                },
                PushProgress::Pushed(PushResult {
                    tag: "v1".into(),
                    digest: "sha256:84d9".into(),
                    size: 527
                }),
            ]
        );
    }

    #[test]
    fn push_layer_wordings() {
        for (status, phase) in [
            ("Layer already exists", LayerPhase::LayerAlreadyExists),
            (
                "Mounted from team/base",
                LayerPhase::Mounted {
                    from: "team/base".into(),
                },
            ),
            ("Retrying in 5 seconds", LayerPhase::Retrying),
            ("Waiting", LayerPhase::Waiting),
        ] {
            let json = format!(r#"{{"status":"{status}","id":"l1"}}"#);
            assert_eq!(
                push(&json),
                PushProgress::Layer(layer("l1", phase.clone(), None, None))
            );
            assert_eq!(
                phase.to_string().split(' ').next(),
                status.split(' ').next()
            );
        }
    }

    #[test]
    fn unknown_wording_is_kept_as_text() {
        assert_eq!(
            pull(r#"{"status":"Frobnicating","id":"l1"}"#),
            PullProgress::Layer(layer(
                "l1",
                LayerPhase::Other("Frobnicating".into()),
                None,
                None
            ))
        );
        assert_eq!(
            pull(r#"{"status":"Something new"}"#),
            PullProgress::Other {
                id: None,
                status: "Something new".into()
            }
        );
        assert_eq!(
            PullProgress::from_message(message(r#"{"progressDetail":{}}"#)),
            None
        );
    }

    #[test]
    fn negative_or_zero_counts_are_unknown() {
        let PullProgress::Layer(progress) =
            pull(r#"{"status":"Downloading","progressDetail":{"current":-1,"total":0},"id":"l"}"#)
        else {
            panic!()
        };
        assert_eq!((progress.current, progress.total), (None, None));
    }

    #[test]
    fn phases_display_as_the_daemon_words_them() {
        assert_eq!(LayerPhase::Queued.to_string(), "Pulling fs layer");
        assert_eq!(LayerPhase::PullComplete.to_string(), "Pull complete");
        assert!(LayerPhase::Downloading.is_transfer());
        assert!(!LayerPhase::Extracting.is_done());
    }
}
