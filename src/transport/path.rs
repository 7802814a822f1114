//! Request paths built from ids, names and references, which must only ever
//! name the resource they are.
//!
//! A value goes into its path segment percent-encoded except for RFC 3986's
//! unreserved characters, so it cannot end its segment (`/`, `\`), start a
//! query or fragment (`?`, `#`), or decode into something else (`%`).
//! Whole values `.` and `..` would still be read as "this" and "the parent"
//! segment (by URL parsers, and by dockerd's path cleaning, also when
//! encoded), so [`check_name`] refuses them before any request — as it
//! refuses control characters, and backslashes, which URL parsers read as
//! `/`. The generated client encodes path parameters itself; the facade
//! runs [`check_name`] on what it hands over.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::{ApiVersion, Error, Result};

/// Everything but RFC 3986's unreserved characters is encoded.
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Refuse a value that could address anything but the resource it names:
/// empty, `.`, `..`, or holding control characters or `\`.
///
/// `what` names the value in the error (`container`, `image`, …).
pub(crate) fn check_name<'a>(what: &str, value: &'a str) -> Result<&'a str> {
    let problem = if value.is_empty() {
        "must not be empty"
    } else if value == "." || value == ".." {
        "is not a name: `.` and `..` would address another endpoint"
    } else if value.chars().any(char::is_control) {
        "must not contain control characters (NUL, newline, …)"
    } else if value.contains('\\') {
        "must not contain `\\`"
    } else {
        return Ok(value);
    };
    Err(Error::invalid(what, format!("{value:?} {problem}")))
}

/// A versioned API path, built from literal parts and encoded values:
/// `ApiPath::new(version).literal("/containers/").name("container", id)?.literal("/wait")`.
#[derive(Clone, Debug)]
pub(crate) struct ApiPath {
    text: String,
    has_query: bool,
}

impl ApiPath {
    /// `/vX.Y`.
    pub(crate) fn new(version: ApiVersion) -> ApiPath {
        ApiPath {
            text: version.path_prefix(),
            has_query: false,
        }
    }

    /// A fixed part of the path, as written.
    pub(crate) fn literal(mut self, part: &'static str) -> ApiPath {
        debug_assert!(!self.has_query, "path parts come before the query");
        self.text.push_str(part);
        self
    }

    /// One segment holding `value`, checked with [`check_name`] and encoded.
    pub(crate) fn name(mut self, what: &str, value: &str) -> Result<ApiPath> {
        debug_assert!(!self.has_query, "path parts come before the query");
        let value = check_name(what, value)?;
        self.text.extend(utf8_percent_encode(value, ENCODED));
        Ok(self)
    }

    /// A query parameter, both sides encoded.
    pub(crate) fn query(mut self, key: &str, value: &str) -> ApiPath {
        self.text.push(if self.has_query { '&' } else { '?' });
        self.has_query = true;
        self.text.extend(utf8_percent_encode(key, ENCODED));
        self.text.push('=');
        self.text.extend(utf8_percent_encode(value, ENCODED));
        self
    }

    /// Every pair as a query parameter.
    pub(crate) fn queries<K: AsRef<str>, V: AsRef<str>>(
        self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> ApiPath {
        pairs.into_iter().fold(self, |path, (key, value)| {
            path.query(key.as_ref(), value.as_ref())
        })
    }

    /// The path and query.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v() -> ApiVersion {
        ApiVersion::new(1, 41)
    }

    #[test]
    fn values_stay_inside_their_segment() {
        let hostile = "x/../../images/json?a=b#c%2F d\u{e9}";
        let path = ApiPath::new(v())
            .literal("/containers/")
            .name("container", hostile)
            .unwrap()
            .literal("/json");
        assert_eq!(
            path.as_str(),
            "/v1.41/containers/x%2F..%2F..%2Fimages%2Fjson%3Fa%3Db%23c%252F%20d%C3%A9/json"
        );
    }

    #[test]
    fn dot_segments_controls_and_backslashes_are_refused() {
        for bad in ["", ".", "..", "a\0b", "a\nb", "..\\..\\images", "\t"] {
            let err = check_name("container", bad).unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument { .. }),
                "{bad:?}: {err:?}"
            );
            assert!(err.to_string().contains("container"), "{err}");
        }
        for good in [
            "web",
            "a.b",
            "...",
            "busybox:1.36",
            "reg:5000/x/y@sha256:ab",
            "/name",
        ] {
            assert_eq!(check_name("x", good).unwrap(), good);
        }
    }

    #[test]
    fn queries_are_encoded_and_joined() {
        let path = ApiPath::new(v())
            .literal("/containers/")
            .name("container", "c")
            .unwrap()
            .literal("/archive")
            .query("path", "/etc/a b&c=d")
            .queries([("stream", "1"), ("logs", "0")]);
        assert_eq!(
            path.as_str(),
            "/v1.41/containers/c/archive?path=%2Fetc%2Fa%20b%26c%3Dd&stream=1&logs=0"
        );
    }
}
