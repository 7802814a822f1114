//! Engine API versions (`1.41`, `1.55`, …) and the range dockhand speaks.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// An Engine API version such as `1.41`.
///
/// Ordered numerically, so `1.9 < 1.41`.
///
/// ```
/// use dockhand::ApiVersion;
///
/// let v: ApiVersion = "1.41".parse()?;
/// assert!(v < ApiVersion::LATEST);
/// assert_eq!(v.to_string(), "1.41");
/// # Ok::<(), dockhand::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    /// The major number (1 for every Engine API so far).
    pub major: u16,
    /// The minor number.
    pub minor: u16,
}

impl ApiVersion {
    /// The oldest API version dockhand supports (Docker Engine 20.10).
    pub const MINIMUM: ApiVersion = ApiVersion::new(1, 41);

    /// The API version of the bundled spec: the newest dockhand speaks
    /// (`info.version` of `spec/engine-api.json`, read by `build.rs`).
    pub const LATEST: ApiVersion = ApiVersion::parse_const(env!("DOCKHAND_SPEC_API_VERSION"));

    /// Build a version from its parts.
    pub const fn new(major: u16, minor: u16) -> Self {
        ApiVersion { major, minor }
    }

    /// `MAJOR.MINOR` at compile time; anything else fails the build.
    const fn parse_const(text: &str) -> ApiVersion {
        let bytes = text.as_bytes();
        let mut parts = [0u16; 2];
        let (mut part, mut i, mut digits) = (0, 0, 0);
        while i < bytes.len() {
            match bytes[i] {
                b'.' if part == 0 && digits > 0 => {
                    part = 1;
                    digits = 0;
                }
                digit @ b'0'..=b'9' => {
                    parts[part] = parts[part] * 10 + (digit - b'0') as u16;
                    digits += 1;
                }
                _ => panic!("the spec's API version is not MAJOR.MINOR"),
            }
            i += 1;
        }
        if part != 1 || digits == 0 {
            panic!("the spec's API version is not MAJOR.MINOR");
        }
        ApiVersion::new(parts[0], parts[1])
    }

    /// `Ok` when this (the daemon's) version is at least `minimum`, else an
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming
    /// `what` needs it: `"what: requires API 1.44; the daemon speaks 1.41"`.
    pub(crate) fn require(self, what: &str, minimum: ApiVersion) -> crate::Result<()> {
        if self < minimum {
            return Err(crate::Error::invalid(
                what,
                format!("requires API {minimum}; the daemon speaks {self}"),
            ));
        }
        Ok(())
    }

    /// The URL path prefix for this version, e.g. `/v1.41`.
    pub(crate) fn path_prefix(self) -> String {
        format!("/v{self}")
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for ApiVersion {
    type Err = Error;

    /// Parse `1.41` (a leading `v` is accepted, as in `v1.41`).
    fn from_str(value: &str) -> Result<Self> {
        let text = value.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let parsed = text.split_once('.').and_then(|(major, minor)| {
            Some(ApiVersion::new(major.parse().ok()?, minor.parse().ok()?))
        });
        parsed.ok_or_else(|| {
            Error::invalid(
                "API version",
                format!("{value:?}: expected MAJOR.MINOR, e.g. 1.41"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use progenitor_client::ClientInfo;

    #[test]
    fn parses_and_orders_numerically() {
        let v19: ApiVersion = "1.9".parse().unwrap();
        let v141: ApiVersion = "v1.41".parse().unwrap();
        assert!(v19 < v141);
        assert_eq!(v141, ApiVersion::MINIMUM);
        assert_eq!(v141.path_prefix(), "/v1.41");
    }

    #[test]
    fn rejects_malformed_versions() {
        for bad in ["", "1", "1.x", "one.two", "1.41.2", "-1.2"] {
            assert!(bad.parse::<ApiVersion>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_compile_time_parser_reads_major_and_minor() {
        assert_eq!(ApiVersion::parse_const("1.41"), ApiVersion::MINIMUM);
        assert_eq!(ApiVersion::parse_const("2.105"), ApiVersion::new(2, 105));
    }

    #[test]
    fn latest_matches_the_bundled_spec() {
        let spec: ApiVersion = crate::raw::Client::api_version().parse().unwrap();
        assert_eq!(spec, ApiVersion::LATEST);
    }
}
