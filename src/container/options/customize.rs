//! The escape hatch: a caller's own change to the create body, for the
//! fields the builder does not have.

use std::fmt;
use std::sync::Arc;

use super::ContainerOptions;
use crate::models::ContainerCreateBody;

/// A caller's function that edits the create body before it is sent.
#[derive(Clone)]
pub(super) struct Customize(Arc<dyn Fn(&mut ContainerCreateBody) + Send + Sync>);

impl Customize {
    /// Let the caller's function edit `body`.
    pub(super) fn apply(&self, body: &mut ContainerCreateBody) {
        (self.0)(body)
    }
}

impl fmt::Debug for Customize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Customize(..)")
    }
}

/// # Fields the builder lacks
///
/// Every field of the Engine API's create body is reachable, typed, even
/// where no setter names it.
///
/// ```
/// use dockhand::ContainerOptions;
/// // Fields without a setter of their own: Config.Shell and
/// // HostConfig.MaskedPaths.
/// let options = ContainerOptions::new()
///     .command("top -b")
///     .customize(|body| {
///         body.shell = Some(vec!["/bin/sh".into(), "-ec".into()]);
///         let host = body.host_config.get_or_insert_with(Default::default);
///         host.masked_paths = Some(vec!["/proc/kcore".into()]);
///     });
/// ```
impl ContainerOptions {
    /// Edit the create body ([`models::ContainerCreateBody`](crate::models::ContainerCreateBody),
    /// with its `HostConfig` and `NetworkingConfig`) after the setters
    /// have filled it and before it is sent: for fields the builder has no
    /// setter for, or values it would not write.
    ///
    /// The function runs on every create made with these options, after
    /// the options are checked and before the last check that no text
    /// holds a NUL or control character; `run` and `run_detached` then set
    /// the attach flags (and `AutoRemove` for [`remove`](Self::remove))
    /// they need. The daemon checks what the function sets. Calling
    /// `customize` again replaces the function.
    pub fn customize<F>(mut self, customize: F) -> Self
    where
        F: Fn(&mut ContainerCreateBody) + Send + Sync + 'static,
    {
        self.customize = Some(Customize(Arc::new(customize)));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::super::request::tests::{request, V141};
    use super::super::Purpose;
    use super::*;

    #[test]
    fn the_function_edits_the_checked_body_and_runs_on_every_create() {
        let options = ContainerOptions::new().command("true").customize(|body| {
            body.cmd.get_or_insert_with(Vec::new).push("ignored".into());
            body.host_config
                .get_or_insert_with(Default::default)
                .console_size = Some([24, 80]);
        });
        for _ in 0..2 {
            let body = request(options.clone()).body;
            assert_eq!(body.cmd.unwrap(), ["true", "ignored"]);
            assert_eq!(body.host_config.unwrap().console_size, Some([24, 80]));
        }
        // Calling it again replaces the function.
        let body = request(options.customize(|body| body.user = Some("nobody".into()))).body;
        assert_eq!(body.cmd.unwrap(), ["true"]);
        assert_eq!(body.user.as_deref(), Some("nobody"));
    }

    #[test]
    fn what_it_sets_is_still_checked_and_run_still_attaches() {
        let nul = ContainerOptions::new().customize(|body| body.user = Some("a\0b".into()));
        let err = nul.to_request("busybox", V141).unwrap_err();
        assert!(err.to_string().contains("User"), "{err}");
        let unattached = ContainerOptions::new().remove(true).customize(|body| {
            body.attach_stdout = Some(false);
            body.attach_stderr = Some(false);
        });
        let request = unattached
            .to_request_for("busybox", V141, Purpose::RunAttached)
            .unwrap();
        assert_eq!(request.body.attach_stdout, Some(true));
        assert_eq!(request.body.attach_stderr, Some(true));
        assert!(request.auto_remove());
        assert_eq!(
            format!("{unattached:?}").matches("Customize(..)").count(),
            1
        );
    }
}
