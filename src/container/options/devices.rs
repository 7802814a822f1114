//! Host devices: `devices`, `device_requests` (GPUs and the like) and
//! `device_cgroup_rules`.

use super::request::Draft;
use super::{invalid, parsed, strings, ContainerOptions, KeyValues, Parsed};
use crate::models::{DeviceMapping, DeviceRequest as RawDeviceRequest};
use crate::Result;

/// A host device exposed to the container (`docker run --device`).
///
/// From `"host_path[:container_path][:permissions]"` (permissions are a
/// combination of `r`, `w` and `m`; default `rwm`), or from a
/// [`DeviceMapping`].
///
/// ```
/// use dockhand::ContainerOptions;
///
/// let options = ContainerOptions::new().devices(["/dev/fuse", "/dev/sda:/dev/xvda:r"]);
/// ```
#[derive(Clone, Debug)]
pub struct Device(Parsed<DeviceMapping>);

impl From<&str> for Device {
    fn from(spec: &str) -> Self {
        Device(parse_device(spec))
    }
}

impl From<String> for Device {
    fn from(spec: String) -> Self {
        Device::from(spec.as_str())
    }
}

impl From<DeviceMapping> for Device {
    fn from(mapping: DeviceMapping) -> Self {
        Device(Ok(mapping))
    }
}

/// `r`, `w` and `m`, each at most once.
fn valid_permissions(mode: &str) -> bool {
    !mode.is_empty()
        && mode.chars().all(|c| "rwm".contains(c))
        && mode
            .chars()
            .enumerate()
            .all(|(i, c)| !mode[..i].contains(c))
}

fn parse_device(spec: &str) -> Parsed<DeviceMapping> {
    let fail = |reason: &str| Err(format!("{spec:?}: {reason}"));
    let parts: Vec<&str> = spec.split(':').collect();
    let (host, container, permissions) = match parts[..] {
        [host] => (host, host, "rwm"),
        // The CLI's reading: `host:rw` is permissions, `host:path` a path.
        [host, mode] if valid_permissions(mode) => (host, host, mode),
        [host, container] => (host, container, "rwm"),
        [host, container, mode] => (host, container, mode),
        _ => return fail("expected host_path[:container_path][:permissions]"),
    };
    if host.trim().is_empty() || container.trim().is_empty() {
        return fail("the device path is empty");
    }
    if !valid_permissions(permissions) {
        return fail("permissions must combine r, w and m");
    }
    Ok(DeviceMapping {
        path_on_host: Some(host.to_owned()),
        path_in_container: Some(container.to_owned()),
        cgroup_permissions: Some(permissions.to_owned()),
    })
}

/// A request for devices through a device driver, such as GPUs (docker-py's
/// `docker.types.DeviceRequest`; `docker run --gpus`).
///
/// ```
/// use dockhand::options::{ContainerOptions, DeviceRequest};
///
/// // `--gpus all`
/// let options = ContainerOptions::new()
///     .device_requests([DeviceRequest::new().count(-1).capabilities([["gpu"]])]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceRequest {
    driver: Option<String>,
    count: Option<i64>,
    device_ids: Option<Vec<String>>,
    capabilities: Option<Vec<Vec<String>>>,
    options: Option<KeyValues>,
}

impl DeviceRequest {
    /// An empty request; set a count or device ids, and capabilities.
    pub fn new() -> Self {
        Self::default()
    }

    /// The device driver (`"nvidia"`); empty lets the daemon choose by
    /// capabilities.
    pub fn driver(mut self, driver: impl Into<String>) -> Self {
        self.driver = Some(driver.into());
        self
    }

    /// How many devices; `-1` for all. Not with
    /// [`device_ids`](Self::device_ids).
    pub fn count(mut self, count: i64) -> Self {
        self.count = Some(count);
        self
    }

    /// Which devices, by id. Not with [`count`](Self::count).
    pub fn device_ids<I>(mut self, ids: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.device_ids = Some(strings(ids));
        self
    }

    /// The capabilities a device must have: any one of the inner lists, all
    /// of whose entries (`[["gpu", "compute"]]`).
    pub fn capabilities<I, C>(mut self, capabilities: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: IntoIterator,
        C::Item: Into<String>,
    {
        self.capabilities = Some(capabilities.into_iter().map(strings).collect());
        self
    }

    /// Options for the driver: a map or `"key=value"` list.
    pub fn options(mut self, options: impl Into<KeyValues>) -> Self {
        self.options = Some(options.into());
        self
    }

    fn to_model(&self, keyword: &str) -> Result<RawDeviceRequest> {
        if self.count.is_some() && self.device_ids.is_some() {
            return Err(invalid(keyword, "set either count or device_ids, not both"));
        }
        if self.count.is_some_and(|count| count < -1) {
            return Err(invalid(keyword, "count must be -1 (all) or more"));
        }
        Ok(RawDeviceRequest {
            driver: self.driver.clone(),
            count: self.count,
            device_i_ds: self.device_ids.clone(),
            capabilities: self.capabilities.clone(),
            options: match &self.options {
                Some(options) => Some(options.to_map(keyword, '=', None)?.into_iter().collect()),
                None => None,
            },
        })
    }
}

/// Check a device cgroup rule: `type major:minor access`, e.g.
/// `c 1:3 rwm`, `b *:* r`.
fn check_cgroup_rule(rule: &str) -> Result<()> {
    let number = |n: &str| n == "*" || (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let valid = match rule.split(' ').collect::<Vec<_>>()[..] {
        [kind, numbers, access] => {
            ["a", "b", "c"].contains(&kind)
                && numbers
                    .split_once(':')
                    .is_some_and(|(major, minor)| number(major) && number(minor))
                && access.len() <= 3
                && valid_permissions(access)
        }
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(invalid(
            "device_cgroup_rules",
            format!("{rule:?} is not 'TYPE MAJOR:MINOR ACCESS' (e.g. 'c 1:3 rwm')"),
        ))
    }
}

/// # Devices
///
/// Host devices in the container, device requests (GPUs) and device cgroup
/// rules.
///
/// ```
/// use dockhand::ContainerOptions;
/// // docker run --device /dev/fuse
/// let options = ContainerOptions::new().devices(["/dev/fuse"]);
/// ```
impl ContainerOptions {
    /// Host devices to expose: `"host_path[:container_path][:permissions]"`
    /// strings or [`DeviceMapping`]s.
    pub fn devices<I>(mut self, devices: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Device>,
    {
        self.devices.devices = Some(devices.into_iter().map(Into::into).collect());
        self
    }

    /// Device requests (GPUs and the like), as [`DeviceRequest`]s.
    pub fn device_requests(mut self, requests: impl IntoIterator<Item = DeviceRequest>) -> Self {
        self.devices.device_requests = Some(requests.into_iter().collect());
        self
    }

    /// Rules for the devices cgroup: `"c 1:3 rwm"`, `"b 8:* r"`, ….
    pub fn device_cgroup_rules<I>(mut self, rules: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.devices.device_cgroup_rules = Some(strings(rules));
        self
    }
}

/// The devices as typed.
#[derive(Clone, Debug, Default)]
pub(super) struct DeviceOptions {
    devices: Option<Vec<Device>>,
    device_requests: Option<Vec<DeviceRequest>>,
    device_cgroup_rules: Option<Vec<String>>,
}

impl DeviceOptions {
    /// Check these settings and write them into the request.
    pub(super) fn apply(&self, draft: &mut Draft) -> Result<()> {
        if let Some(devices) = &self.devices {
            draft.host.devices = Some(
                devices
                    .iter()
                    .map(|device| parsed("devices", &device.0))
                    .collect::<Result<_>>()?,
            );
        }
        if let Some(requests) = &self.device_requests {
            draft.host.device_requests = Some(
                requests
                    .iter()
                    .enumerate()
                    .map(|(i, request)| request.to_model(&format!("device_requests[{i}]")))
                    .collect::<Result<_>>()?,
            );
        }
        if let Some(rules) = &self.device_cgroup_rules {
            rules.iter().try_for_each(|rule| check_cgroup_rule(rule))?;
            draft.host.device_cgroup_rules = Some(rules.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::request::tests::{error, host};
    use super::*;

    fn mapping(host: &str, container: &str, permissions: &str) -> (String, String, String) {
        (host.into(), container.into(), permissions.into())
    }

    #[test]
    fn device_strings() {
        let devices: Vec<_> = host(ContainerOptions::new().devices([
            "/dev/fuse",
            "/dev/sda:/dev/xvda:r",
            "/dev/null:rw",
            "/dev/zero:/dev/z",
        ]))
        .devices
        .unwrap()
        .into_iter()
        .map(|d| {
            (
                d.path_on_host.unwrap(),
                d.path_in_container.unwrap(),
                d.cgroup_permissions.unwrap(),
            )
        })
        .collect();
        assert_eq!(
            devices,
            [
                mapping("/dev/fuse", "/dev/fuse", "rwm"),
                mapping("/dev/sda", "/dev/xvda", "r"),
                mapping("/dev/null", "/dev/null", "rw"),
                mapping("/dev/zero", "/dev/z", "rwm"),
            ]
        );
        for bad in ["", "/a:/b:rx", "/a:/b:rr", "/a:/b:r:x", ":/b"] {
            let message = error(ContainerOptions::new().devices([bad]), "devices");
            assert!(message.contains(&format!("{bad:?}")), "{message}");
        }
    }

    #[test]
    fn device_requests_fill_the_model() {
        let requests = host(
            ContainerOptions::new().device_requests([
                DeviceRequest::new()
                    .driver("nvidia")
                    .count(-1)
                    .capabilities([["gpu", "compute"]])
                    .options([("a", "1")]),
                DeviceRequest::new().device_ids(["0", "1"]),
            ]),
        )
        .device_requests
        .unwrap();
        assert_eq!(requests[0].driver.as_deref(), Some("nvidia"));
        assert_eq!(requests[0].count, Some(-1));
        assert_eq!(
            requests[0].capabilities.as_ref().unwrap(),
            &[vec!["gpu", "compute"]]
        );
        assert_eq!(requests[0].options.as_ref().unwrap()["a"], "1");
        assert_eq!(requests[1].device_i_ds.as_ref().unwrap(), &["0", "1"]);
        error(
            ContainerOptions::new()
                .device_requests([DeviceRequest::new().count(1).device_ids(["0"])]),
            "device_requests[0]",
        );
        error(
            ContainerOptions::new().device_requests([DeviceRequest::new().count(-2)]),
            "device_requests[0]",
        );
    }

    #[test]
    fn cgroup_rules() {
        let rules =
            host(ContainerOptions::new().device_cgroup_rules(["c 1:3 rwm", "b *:* r", "a 8:* m"]))
                .device_cgroup_rules
                .unwrap();
        assert_eq!(rules.len(), 3);
        for bad in [
            "c 1:3",
            "x 1:3 r",
            "c 1 r",
            "c a:3 r",
            "c 1:3 rwx",
            "c 1:3 rwmr",
            "c  1:3 r",
        ] {
            error(
                ContainerOptions::new().device_cgroup_rules([bad]),
                "device_cgroup_rules",
            );
        }
    }
}
