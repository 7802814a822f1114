//! The last check of a create request before it is sent: values the daemon
//! cannot take whole. A NUL cannot pass into a command line, an environment
//! or a label, so the daemon would create a container that cannot run (or
//! cut the value); control characters have no place in an image name, a
//! user, a host name, a working directory or a label or variable name. Each
//! is [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming the
//! field, before any request.

use serde_json::Value;

use super::invalid;
use crate::models::ContainerCreateBody;
use crate::{Reference, Result};

/// The fields (as the API names them) whose text must hold no control
/// character at all.
const PLAIN_TEXT_FIELDS: [&str; 6] = [
    "Image",
    "User",
    "Hostname",
    "Domainname",
    "WorkingDir",
    "StopSignal",
];

/// Refuse `body` if a value in it cannot reach the daemon intact.
pub(crate) fn check_values(body: &ContainerCreateBody) -> Result<()> {
    if let Some(image) = &body.image {
        check_image(image)?;
    }
    // Through bytes rather than `to_value`: the body's serializer for byte
    // buffers is in the binary anyway (it is how the body is sent).
    let value = serde_json::to_vec(body)
        .and_then(|json| serde_json::from_slice::<Value>(&json))
        .map_err(|e| invalid("create body", e))?;
    check(&value, &mut Vec::new())
}

/// Walk `value`, `path` naming where it is (`Cmd[1]`, `Labels.a`).
fn check(value: &Value, path: &mut Vec<String>) -> Result<()> {
    match value {
        Value::String(text) => check_text(&path.join("."), text, plain(path)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
                // `Env` entries are `NAME=value`: the name is plain text.
                if let (Some("Env"), Value::String(entry)) =
                    (path.first().map(String::as_str), item)
                {
                    let name = entry.split('=').next().unwrap_or_default();
                    check_text(&path.join(""), name, true)?;
                }
                check(item, path)?;
                path.pop();
            }
            Ok(())
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let labels = path.last().is_some_and(|field| field == "Labels");
                path.push(key.clone());
                if labels {
                    check_text(&path.join("."), key, true)?;
                }
                check(item, path)?;
                path.pop();
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Whether the field at `path` is one of [`PLAIN_TEXT_FIELDS`].
fn plain(path: &[String]) -> bool {
    path.len() == 1 && PLAIN_TEXT_FIELDS.contains(&path[0].as_str())
}

fn check_text(field: &str, text: &str, plain: bool) -> Result<()> {
    if text.contains('\0') {
        return Err(invalid(field, format!("{text:?} contains a NUL character")));
    }
    if plain && text.chars().any(char::is_control) {
        return Err(invalid(
            field,
            format!("{text:?} contains a control character"),
        ));
    }
    Ok(())
}

/// An image is a reference (`busybox`, `reg:5000/a/b:tag@sha256:…`) or an
/// image id (`sha256:…`, or its hex, whole or shortened).
fn check_image(image: &str) -> Result<()> {
    let hex = image.strip_prefix("sha256:").unwrap_or(image);
    let is_id = !hex.is_empty()
        && hex.len() <= 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    if is_id {
        return Ok(());
    }
    image.parse::<Reference>().map(|_| ()).map_err(|err| {
        invalid(
            "image",
            err.to_string().trim_start_matches("invalid argument: "),
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::container::ContainerOptions;
    use crate::{ApiVersion, Error};

    fn refused(options: ContainerOptions, image: &str, field: &str) {
        match options.to_request(image, ApiVersion::LATEST) {
            Err(Error::InvalidArgument { argument, reason }) => {
                assert!(argument.starts_with(field), "{field}: {argument}: {reason}")
            }
            other => panic!("{field}: expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn nul_in_command_env_labels_or_user_is_refused() {
        refused(
            ContainerOptions::new().command(["echo", "a\0b"]),
            "busybox",
            "Cmd.[1]",
        );
        refused(
            ContainerOptions::new().environment(["A=b\0c"]),
            "busybox",
            "Env.[0]",
        );
        refused(
            ContainerOptions::new().labels(["k=v\0"]),
            "busybox",
            "Labels.k",
        );
        refused(ContainerOptions::new().user("ro\0ot"), "busybox", "User");
    }

    #[test]
    fn control_characters_are_refused_in_names_but_not_in_values() {
        refused(ContainerOptions::new().user("root\n"), "busybox", "User");
        refused(
            ContainerOptions::new().labels(["a\tb=v"]),
            "busybox",
            "Labels.a\tb",
        );
        refused(
            ContainerOptions::new().environment(["A\nB=v"]),
            "busybox",
            "Env[0]",
        );
        let fine = ContainerOptions::new()
            .command(["sh", "-c", "echo a\necho b"])
            .environment(["MOTD=line one\nline two"])
            .labels(["note=tab\there"]);
        fine.to_request("busybox", ApiVersion::LATEST).unwrap();
    }

    #[test]
    fn malformed_images_are_refused_and_ids_accepted() {
        for bad in [
            "bus box",
            "Busybox",
            "busybox:",
            "a\0b",
            "reg:5000/x:bad tag",
            "x@sha256:zz",
        ] {
            refused(ContainerOptions::new(), bad, "image");
        }
        for good in [
            "busybox",
            "dockhand-test/busybox:latest",
            "127.0.0.1:5000/a/b:tag",
            "3fe8a2",
            "sha256:3fe8a2b1",
        ] {
            ContainerOptions::new()
                .to_request(good, ApiVersion::LATEST)
                .unwrap_or_else(|e| panic!("{good}: {e}"));
        }
    }
}
