//! Isolation, privileges and lifecycle: namespaces, capabilities, security
//! options, sysctls, runtime, init, auto-removal, annotations.

use super::request::Draft;
use super::{invalid, strings, ContainerOptions, KeyValues};
use crate::{ApiVersion, Result};

/// # Security and isolation
///
/// Privileges and capabilities, security options, namespaces, cgroups,
/// the runtime, an init process, a read-only root, kernel parameters.
///
/// ```
/// use dockhand::ContainerOptions;
/// // docker run --cap-drop ALL --cap-add NET_BIND_SERVICE --read-only --init
/// let options = ContainerOptions::new()
///     .cap_drop(["ALL"])
///     .cap_add(["NET_BIND_SERVICE"])
///     .read_only(true)
///     .init(true);
/// ```
impl ContainerOptions {
    /// Give the container extended privileges (`docker run --privileged`).
    pub fn privileged(mut self, privileged: bool) -> Self {
        self.isolation.privileged = Some(privileged);
        self
    }

    /// Mount the container's root filesystem read-only.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.isolation.read_only = Some(read_only);
        self
    }

    /// Run an init process (`docker-init`) as PID 1 that forwards signals
    /// and reaps zombies.
    pub fn init(mut self, init: bool) -> Self {
        self.isolation.init = Some(init);
        self
    }

    /// Have the daemon remove the container when it exits. Not with a
    /// restart policy other than `no`.
    pub fn auto_remove(mut self, auto_remove: bool) -> Self {
        self.isolation.auto_remove = Some(auto_remove);
        self
    }

    /// Kernel capabilities to add (`"NET_ADMIN"`, `"SYS_PTRACE"`, `"ALL"`).
    pub fn cap_add<I>(mut self, capabilities: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.isolation.cap_add = Some(strings(capabilities));
        self
    }

    /// Kernel capabilities to drop.
    pub fn cap_drop<I>(mut self, capabilities: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.isolation.cap_drop = Some(strings(capabilities));
        self
    }

    /// Security options (`"no-new-privileges"`, `"seccomp=unconfined"`,
    /// `"label=…"`).
    pub fn security_opt<I>(mut self, options: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.isolation.security_opt = Some(strings(options));
        self
    }

    /// Further groups for the container's process, by name or gid.
    pub fn group_add<I>(mut self, groups: I) -> Self
    where
        I: IntoIterator,
        I::Item: ToString,
    {
        self.isolation.group_add = Some(groups.into_iter().map(|g| g.to_string()).collect());
        self
    }

    /// The user namespace mode; only `"host"` (leave the daemon's user
    /// namespace remapping).
    pub fn userns_mode(mut self, mode: impl Into<String>) -> Self {
        self.isolation.userns_mode = Some(mode.into());
        self
    }

    /// The UTS namespace mode; only `"host"`.
    pub fn uts_mode(mut self, mode: impl Into<String>) -> Self {
        self.isolation.uts_mode = Some(mode.into());
        self
    }

    /// The PID namespace: `"host"` or `"container:<name|id>"`.
    pub fn pid_mode(mut self, mode: impl Into<String>) -> Self {
        self.isolation.pid_mode = Some(mode.into());
        self
    }

    /// The IPC namespace: `"none"`, `"private"`, `"shareable"`, `"host"`
    /// or `"container:<name|id>"`.
    pub fn ipc_mode(mut self, mode: impl Into<String>) -> Self {
        self.isolation.ipc_mode = Some(mode.into());
        self
    }

    /// The cgroup namespace: `"private"` or `"host"`.
    pub fn cgroupns(mut self, mode: impl Into<String>) -> Self {
        self.isolation.cgroupns = Some(mode.into());
        self
    }

    /// The parent cgroup of the container's cgroup.
    pub fn cgroup_parent(mut self, parent: impl Into<String>) -> Self {
        self.isolation.cgroup_parent = Some(parent.into());
        self
    }

    /// The isolation technology: `"default"`, `"process"` or `"hyperv"`
    /// (Windows).
    pub fn isolation(mut self, isolation: impl Into<String>) -> Self {
        self.isolation.isolation = Some(isolation.into());
        self
    }

    /// The OCI runtime to run the container with (`"runc"`, …).
    pub fn runtime(mut self, runtime: impl Into<String>) -> Self {
        self.isolation.runtime = Some(runtime.into());
        self
    }

    /// Kernel parameters: a map (values may be numbers) or `"key=value"`
    /// list (`{"net.core.somaxconn": 1024}`).
    pub fn sysctls(mut self, sysctls: impl Into<KeyValues>) -> Self {
        self.isolation.sysctls = Some(sysctls.into());
        self
    }

    /// Storage driver options: a map or `"key=value"` list
    /// (`{"size": "10G"}`).
    pub fn storage_opt(mut self, options: impl Into<KeyValues>) -> Self {
        self.isolation.storage_opt = Some(options.into());
        self
    }

    /// Annotations passed to the OCI runtime: a map or `"key=value"` list
    /// (API 1.43).
    pub fn annotations(mut self, annotations: impl Into<KeyValues>) -> Self {
        self.isolation.annotations = Some(annotations.into());
        self
    }

    /// The path of the init binary — which the Engine API has not taken
    /// since 1.29; setting it is reported as an invalid argument.
    #[deprecated(note = "the Engine API dropped InitPath in 1.29; this is rejected")]
    pub fn init_path(mut self, path: impl Into<String>) -> Self {
        self.isolation.init_path = Some(path.into());
        self
    }

    /// LXC configuration — which no supported Engine API takes (the LXC
    /// driver is long gone); setting it is reported as an invalid argument.
    #[deprecated(note = "no supported Engine API has LxcConf; this is rejected")]
    pub fn lxc_conf(mut self, conf: impl Into<KeyValues>) -> Self {
        self.isolation.lxc_conf = Some(conf.into());
        self
    }
}

/// The isolation, privilege and lifecycle settings as typed.
#[derive(Clone, Debug, Default)]
pub(super) struct IsolationOptions {
    privileged: Option<bool>,
    read_only: Option<bool>,
    init: Option<bool>,
    auto_remove: Option<bool>,
    cap_add: Option<Vec<String>>,
    cap_drop: Option<Vec<String>>,
    security_opt: Option<Vec<String>>,
    group_add: Option<Vec<String>>,
    userns_mode: Option<String>,
    uts_mode: Option<String>,
    pid_mode: Option<String>,
    ipc_mode: Option<String>,
    cgroupns: Option<String>,
    cgroup_parent: Option<String>,
    isolation: Option<String>,
    runtime: Option<String>,
    sysctls: Option<KeyValues>,
    storage_opt: Option<KeyValues>,
    annotations: Option<KeyValues>,
    init_path: Option<String>,
    lxc_conf: Option<KeyValues>,
}

impl IsolationOptions {
    /// Check these settings and write them into the request.
    pub(super) fn apply(&self, draft: &mut Draft) -> Result<()> {
        if self.init_path.is_some() {
            return Err(invalid(
                "init_path",
                "the Engine API has not taken InitPath since 1.29",
            ));
        }
        if self.lxc_conf.is_some() {
            return Err(invalid("lxc_conf", "no supported Engine API takes LxcConf"));
        }
        if self.annotations.is_some() {
            draft.require("annotations", ApiVersion::new(1, 43))?;
        }
        let host = &mut draft.host;
        host.privileged = self.privileged;
        host.readonly_rootfs = self.read_only;
        host.init = self.init;
        host.auto_remove = self.auto_remove;
        host.cap_add = self.cap_add.clone();
        host.cap_drop = self.cap_drop.clone();
        host.security_opt = self.security_opt.clone();
        host.group_add = self.group_add.clone();
        host.cgroup_parent = self.cgroup_parent.clone();
        host.runtime = self.runtime.clone();
        host.userns_mode = only_host("userns_mode", &self.userns_mode)?;
        host.uts_mode = only_host("uts_mode", &self.uts_mode)?;
        host.pid_mode = namespace("pid_mode", &self.pid_mode, &["host"])?;
        host.ipc_mode = namespace(
            "ipc_mode",
            &self.ipc_mode,
            &["none", "private", "shareable", "host"],
        )?;
        host.cgroupns_mode = one_of("cgroupns", &self.cgroupns, &["private", "host"])?;
        host.isolation = one_of(
            "isolation",
            &self.isolation,
            &["default", "process", "hyperv"],
        )?;
        for (keyword, values, field) in [
            ("sysctls", &self.sysctls, &mut host.sysctls),
            ("storage_opt", &self.storage_opt, &mut host.storage_opt),
            ("annotations", &self.annotations, &mut host.annotations),
        ] {
            if let Some(values) = values {
                *field = Some(values.to_map(keyword, '=', None)?.into_iter().collect());
            }
        }
        Ok(())
    }
}

/// `host`, the only value docker-py allows for `userns_mode` and `uts_mode`.
fn only_host(keyword: &str, mode: &Option<String>) -> Result<Option<String>> {
    match mode.as_deref() {
        None | Some("host") => Ok(mode.clone()),
        Some(other) => Err(invalid(
            keyword,
            format!("{other:?}: the only mode is host"),
        )),
    }
}

/// One of `names`.
fn one_of(keyword: &str, value: &Option<String>, names: &[&str]) -> Result<Option<String>> {
    match value {
        Some(value) if !names.contains(&value.as_str()) => Err(invalid(
            keyword,
            format!("{value:?}: expected {}", names.join(" or ")),
        )),
        _ => Ok(value.clone()),
    }
}

/// A namespace mode: one of `names`, or `container:<name|id>`.
fn namespace(keyword: &str, mode: &Option<String>, names: &[&str]) -> Result<Option<String>> {
    let Some(mode) = mode else {
        return Ok(None);
    };
    let container = mode
        .strip_prefix("container:")
        .is_some_and(|id| !id.trim().is_empty());
    if container || names.contains(&mode.as_str()) {
        return Ok(Some(mode.clone()));
    }
    Err(invalid(
        keyword,
        format!(
            "{mode:?}: expected {} or container:<name|id>",
            names.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::request::tests::{error, host, LATEST};
    use super::*;

    #[test]
    fn flags_lists_and_modes() {
        let host = host(
            ContainerOptions::new()
                .privileged(true)
                .read_only(true)
                .init(true)
                .auto_remove(true)
                .cap_add(["NET_ADMIN"])
                .cap_drop(["MKNOD"])
                .security_opt(["no-new-privileges"])
                .group_add([1000])
                .userns_mode("host")
                .uts_mode("host")
                .pid_mode("container:db")
                .ipc_mode("shareable")
                .cgroupns("private")
                .cgroup_parent("/custom")
                .isolation("default")
                .runtime("runc"),
        );
        assert_eq!(host.privileged, Some(true));
        assert_eq!(host.readonly_rootfs, Some(true));
        assert_eq!(host.init, Some(true));
        assert_eq!(host.auto_remove, Some(true));
        assert_eq!(host.cap_add.unwrap(), ["NET_ADMIN"]);
        assert_eq!(host.cap_drop.unwrap(), ["MKNOD"]);
        assert_eq!(host.security_opt.unwrap(), ["no-new-privileges"]);
        assert_eq!(host.group_add.unwrap(), ["1000"]);
        assert_eq!(host.userns_mode.as_deref(), Some("host"));
        assert_eq!(host.uts_mode.as_deref(), Some("host"));
        assert_eq!(host.pid_mode.as_deref(), Some("container:db"));
        assert_eq!(host.ipc_mode.as_deref(), Some("shareable"));
        assert_eq!(host.cgroupns_mode.as_deref(), Some("private"));
        assert_eq!(host.cgroup_parent.as_deref(), Some("/custom"));
        assert_eq!(host.isolation.as_deref(), Some("default"));
        assert_eq!(host.runtime.as_deref(), Some("runc"));
    }

    #[test]
    fn invalid_modes_name_the_keyword() {
        error(
            ContainerOptions::new().userns_mode("private"),
            "userns_mode",
        );
        error(ContainerOptions::new().uts_mode("private"), "uts_mode");
        error(ContainerOptions::new().pid_mode("private"), "pid_mode");
        error(ContainerOptions::new().pid_mode("container:"), "pid_mode");
        error(ContainerOptions::new().ipc_mode("shared"), "ipc_mode");
        error(ContainerOptions::new().cgroupns("shared"), "cgroupns");
        error(ContainerOptions::new().isolation("vm"), "isolation");
    }

    #[test]
    fn maps_of_strings() {
        let host = host(
            ContainerOptions::new()
                .sysctls(HashMap::from([("net.core.somaxconn", 1024)]))
                .storage_opt(["size=10G"]),
        );
        assert_eq!(host.sysctls.unwrap()["net.core.somaxconn"], "1024");
        assert_eq!(host.storage_opt.unwrap()["size"], "10G");
        error(
            ContainerOptions::new().sysctls(["net.core.somaxconn"]),
            "sysctls",
        );
    }

    #[test]
    fn annotations_need_api_1_43() {
        let options = ContainerOptions::new().annotations([("com.example/a", "1")]);
        let message = error(options.clone(), "annotations");
        assert!(
            message.contains("requires API 1.43; the daemon speaks 1.41"),
            "{message}"
        );
        let host = options
            .to_request("busybox", LATEST)
            .unwrap()
            .body
            .host_config
            .unwrap();
        assert_eq!(host.annotations.unwrap()["com.example/a"], "1");
    }

    #[test]
    #[allow(deprecated)]
    fn removed_options_are_rejected() {
        error(
            ContainerOptions::new().init_path("/usr/bin/tini"),
            "init_path",
        );
        error(
            ContainerOptions::new().lxc_conf([("lxc.utsname", "x")]),
            "lxc_conf",
        );
    }
}
