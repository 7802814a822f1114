//! The `filters` query parameter shared by list and prune calls.

use std::collections::BTreeMap;

/// Filters for list and prune calls, as `docker ps --filter` takes them:
/// each key may be given several values (`label=a`, `label=b=c`).
///
/// ```
/// use dockhand::Filters;
///
/// let filters = Filters::new().label("app=web").status("running");
/// assert_eq!(
///     filters.to_query().as_deref(),
///     Some(r#"{"label":["app=web"],"status":["running"]}"#)
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    values: BTreeMap<String, Vec<String>>,
}

impl Filters {
    /// No filters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one `key=value` filter (keys may repeat).
    pub fn add(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.values
            .entry(key.into())
            .or_default()
            .push(value.into());
        self
    }

    /// Only objects with this label: `"key"` or `"key=value"`.
    pub fn label(self, label: impl Into<String>) -> Self {
        self.add("label", label)
    }

    /// Only containers in this state (`created`, `running`, `exited`, …).
    pub fn status(self, status: impl Into<String>) -> Self {
        self.add("status", status)
    }

    /// Only containers that exited with this code.
    pub fn exited(self, code: i64) -> Self {
        self.add("exited", code.to_string())
    }

    /// Only objects whose id starts with this.
    pub fn id(self, id: impl Into<String>) -> Self {
        self.add("id", id)
    }

    /// Only objects whose name matches this.
    pub fn name(self, name: impl Into<String>) -> Self {
        self.add("name", name)
    }

    /// Only containers created from this image (or a descendant).
    pub fn ancestor(self, image: impl Into<String>) -> Self {
        self.add("ancestor", image)
    }

    /// Only objects created before this long ago or this timestamp (prune's
    /// `until`, e.g. `"24h"`).
    pub fn until(self, until: impl Into<String>) -> Self {
        self.add("until", until)
    }

    /// True when no filter is set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The JSON the API takes, or `None` when empty.
    pub fn to_query(&self) -> Option<String> {
        if self.values.is_empty() {
            return None;
        }
        Some(serde_json::to_string(&self.values).expect("a map of strings serializes"))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Filters {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        pairs
            .into_iter()
            .fold(Filters::new(), |filters, (key, value)| {
                filters.add(key, value)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_collect_values_in_order() {
        let filters: Filters = [("label", "a"), ("label", "b=c"), ("name", "web")]
            .into_iter()
            .collect();
        assert_eq!(
            filters.to_query().unwrap(),
            r#"{"label":["a","b=c"],"name":["web"]}"#
        );
    }

    #[test]
    fn empty_filters_send_nothing() {
        assert_eq!(Filters::new().to_query(), None);
        assert!(Filters::new().is_empty());
    }
}
