//! Pull an image with a progress display like `docker pull`'s: one line per
//! layer, each with its phase and, while bytes move, a bar.
//!
//! ```text
//! cargo run --example pull -- busybox:latest [--platform linux/arm64]
//! ```
//!
//! Credentials come from the docker config (`~/.docker/config.json`), as
//! for the docker CLI.

use std::collections::HashMap;
use std::time::Duration;

use dockhand::{Docker, LayerProgress, PullOptions, PullProgress};
use futures_util::TryStreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

#[tokio::main]
async fn main() {
    if let Err(err) = pull().await {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

async fn pull() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut reference = None;
    let mut options = PullOptions::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--platform" => {
                options = options.platform(args.next().ok_or("--platform needs a value")?)
            }
            _ => reference = Some(arg),
        }
    }
    let reference = reference.ok_or("usage: pull IMAGE[:TAG|@DIGEST] [--platform OS/ARCH]")?;

    let docker = Docker::from_env()?;
    let mut progress = docker.images().pull_stream(&reference, &options).await?;
    let mut display = Display::new();
    while let Some(event) = progress.try_next().await? {
        display.show(event);
    }
    display.finish();

    let image = docker.images().get(&reference).await?;
    println!("{reference} is {}", image.short_id());
    Ok(())
}

/// The per-layer lines, in the order the layers first appeared.
struct Display {
    lines: MultiProgress,
    layers: HashMap<String, Layer>,
}

/// One layer's line.
struct Layer {
    bar: ProgressBar,
    /// Whether the line currently shows a bar (only while counting bytes).
    counting: bool,
    /// The phase last shown, so that output without a terminal gets one
    /// line per change of phase, as `docker pull` prints it there.
    phase: String,
}

impl Display {
    fn new() -> Self {
        Display {
            lines: MultiProgress::new(),
            layers: HashMap::new(),
        }
    }

    fn show(&mut self, event: PullProgress) {
        match event {
            PullProgress::PullingFrom { repository, tag } => {
                self.print(format!("{tag}: Pulling from {repository}"))
            }
            PullProgress::Layer(layer) => self.layer(layer),
            PullProgress::Digest(digest) => self.print(format!("Digest: {digest}")),
            PullProgress::Finished { image, downloaded } => {
                let what = if downloaded {
                    "Downloaded newer image for"
                } else {
                    "Image is up to date for"
                };
                self.print(format!("Status: {what} {image}"))
            }
            PullProgress::Other {
                id: Some(id),
                status,
            } => self.print(format!("{id}: {status}")),
            PullProgress::Other { id: None, status } => self.print(status),
            // Events added in later versions of dockhand.
            _ => {}
        }
    }

    /// Update a layer's line: the phase as text, and a byte bar while the
    /// daemon reports counts (downloading, extracting).
    fn layer(&mut self, progress: LayerProgress) {
        let lines = &self.lines;
        let layer = self.layers.entry(progress.id.clone()).or_insert_with(|| {
            let bar = lines.add(ProgressBar::new(0));
            bar.set_style(text_style());
            bar.set_prefix(progress.id.clone());
            Layer {
                bar,
                counting: false,
                phase: String::new(),
            }
        });
        match (progress.current, progress.total) {
            (Some(current), Some(total)) => {
                if !layer.counting {
                    layer.bar.set_style(bar_style());
                    layer.counting = true;
                    layer.bar.enable_steady_tick(Duration::from_millis(120));
                }
                layer.bar.set_length(total);
                layer.bar.set_position(current.min(total));
            }
            _ if layer.counting => {
                layer.bar.set_style(text_style());
                layer.bar.disable_steady_tick();
                layer.counting = false;
            }
            _ => {}
        }
        let phase = progress.phase.to_string();
        if lines.is_hidden() && phase != layer.phase {
            println!("{}: {phase}", progress.id);
        }
        layer.bar.set_message(phase.clone());
        layer.phase = phase;
        if progress.phase.is_done() {
            layer.bar.finish();
        }
    }

    fn print(&self, line: String) {
        // Above the bars when they are drawn; plain output otherwise.
        if self.lines.println(&line).is_err() || self.lines.is_hidden() {
            println!("{line}");
        }
    }

    fn finish(self) {
        for layer in self.layers.values() {
            if !layer.bar.is_finished() {
                layer.bar.finish();
            }
        }
    }
}

fn text_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix}: {msg}").expect("a valid template")
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix}: {msg:<12} [{bar:40}] {bytes}/{total_bytes}")
        .expect("a valid template")
        .progress_chars("=> ")
}
