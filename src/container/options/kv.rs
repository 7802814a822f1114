//! Key–value options given as a map or as a list: `environment`, `labels`,
//! `sysctls`, `extra_hosts`, `tmpfs`, `links`, log driver options, ….
//!
//! A map becomes entries sorted by key, so the request is the same on every
//! run whatever the map's iteration order; a list keeps its order. Strings
//! in a list are read by the option that uses them (`K=V` for the
//! environment, `host:ip` for extra hosts, …), so [`KeyValues`] only
//! collects and the option parses.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;

use super::invalid;
use crate::Result;

/// Key–value pairs, from a map (`HashMap`, `BTreeMap`) or a list of
/// strings and `(key, value)` pairs.
///
/// Values are strings, numbers, booleans, or `Option`s of strings where a
/// key may stand alone (`None`: an environment variable passed by name).
///
/// ```
/// use std::collections::HashMap;
/// use dockhand::ContainerOptions;
///
/// let options = ContainerOptions::new()
///     .environment(HashMap::from([("MODE", "test")]))
///     .environment(["MODE=test", "HOME"])
///     .sysctls([("net.core.somaxconn", 1024)])
///     .labels(["team=web", "canary"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyValues {
    entries: Vec<Entry>,
}

/// One entry as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Entry {
    /// A `(key, value)` pair, or a map entry; `None` is a key alone.
    Pair(String, Option<String>),
    /// A string from a list, read by the option (`K=V`, `host:ip`, …).
    Text(String),
}

/// A value in a [`KeyValues`] map or pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapValue(Option<String>);

/// One item of a [`KeyValues`] list: a string or a `(key, value)` pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue(Entry);

impl KeyValues {
    fn from_map<K: Into<String>, V: Into<MapValue>>(pairs: impl Iterator<Item = (K, V)>) -> Self {
        let mut entries: Vec<Entry> = pairs
            .map(|(key, value)| Entry::Pair(key.into(), value.into().0))
            .collect();
        entries.sort_by(|a, b| match (a, b) {
            (Entry::Pair(a, _), Entry::Pair(b, _)) => a.cmp(b),
            _ => std::cmp::Ordering::Equal,
        });
        KeyValues { entries }
    }

    fn from_list<T: Into<KeyValue>>(items: impl Iterator<Item = T>) -> Self {
        KeyValues {
            entries: items.map(|item| item.into().0).collect(),
        }
    }

    /// Read as a map: `Text` items split at the first `separator`; a text
    /// without it, or a pair without a value, is `missing` (or an error
    /// when `missing` is `None`). Later keys replace earlier ones.
    pub(super) fn to_map(
        &self,
        keyword: &str,
        separator: char,
        missing: Option<&str>,
    ) -> Result<BTreeMap<String, String>> {
        let mut map = BTreeMap::new();
        for entry in &self.entries {
            let (key, value) = match entry {
                Entry::Pair(key, value) => (key.as_str(), value.as_deref()),
                Entry::Text(text) => match text.split_once(separator) {
                    Some((key, value)) => (key, Some(value)),
                    None => (text.as_str(), None),
                },
            };
            let key = non_empty_key(keyword, key, entry)?;
            let value = match (value, missing) {
                (Some(value), _) => value,
                (None, Some(default)) => default,
                (None, None) => {
                    return Err(invalid(
                        keyword,
                        format!("{} has no value (expected key{separator}value)", entry),
                    ))
                }
            };
            map.insert(key.to_owned(), value.to_owned());
        }
        Ok(map)
    }

    /// Read as `(key, value)` pairs in order; a text without `separator`
    /// is a key alone.
    pub(super) fn to_pairs(
        &self,
        keyword: &str,
        separator: char,
    ) -> Result<Vec<(String, Option<String>)>> {
        self.entries
            .iter()
            .map(|entry| {
                let (key, value) = match entry {
                    Entry::Pair(key, value) => (key.as_str(), value.clone()),
                    Entry::Text(text) => match text.split_once(separator) {
                        Some((key, value)) => (key, Some(value.to_owned())),
                        None => (text.as_str(), None),
                    },
                };
                Ok((non_empty_key(keyword, key, entry)?.to_owned(), value))
            })
            .collect()
    }

    /// Read as a list of `key<separator>value` strings (a key alone when
    /// the value is `None`); texts must have a non-empty key.
    pub(crate) fn to_list(&self, keyword: &str, separator: char) -> Result<Vec<String>> {
        self.entries
            .iter()
            .map(|entry| match entry {
                Entry::Pair(key, value) => {
                    non_empty_key(keyword, key, entry)?;
                    if key.contains(separator) {
                        return Err(invalid(
                            keyword,
                            format!("key {key:?} must not contain {separator:?}"),
                        ));
                    }
                    Ok(match value {
                        Some(value) => format!("{key}{separator}{value}"),
                        None => key.clone(),
                    })
                }
                Entry::Text(text) => {
                    let key = text.split(separator).next().unwrap_or_default();
                    non_empty_key(keyword, key, entry)?;
                    Ok(text.clone())
                }
            })
            .collect()
    }
}

fn non_empty_key<'a>(keyword: &str, key: &'a str, entry: &Entry) -> Result<&'a str> {
    if key.trim().is_empty() {
        return Err(invalid(keyword, format!("{entry} has an empty key")));
    }
    Ok(key)
}

impl Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Entry::Pair(key, Some(value)) => write!(f, "({key:?}, {value:?})"),
            Entry::Pair(key, None) => write!(f, "({key:?}, None)"),
            Entry::Text(text) => write!(f, "{text:?}"),
        }
    }
}

impl<K: Into<String>, V: Into<MapValue>, S> From<HashMap<K, V, S>> for KeyValues {
    fn from(map: HashMap<K, V, S>) -> Self {
        KeyValues::from_map(map.into_iter())
    }
}

impl<'a, K, V, S> From<&'a HashMap<K, V, S>> for KeyValues
where
    &'a K: Into<String>,
    &'a V: Into<MapValue>,
{
    fn from(map: &'a HashMap<K, V, S>) -> Self {
        KeyValues::from_map(map.iter())
    }
}

impl<K: Into<String>, V: Into<MapValue>> From<BTreeMap<K, V>> for KeyValues {
    fn from(map: BTreeMap<K, V>) -> Self {
        KeyValues::from_map(map.into_iter())
    }
}

impl<'a, K, V> From<&'a BTreeMap<K, V>> for KeyValues
where
    &'a K: Into<String>,
    &'a V: Into<MapValue>,
{
    fn from(map: &'a BTreeMap<K, V>) -> Self {
        KeyValues::from_map(map.iter())
    }
}

impl<T: Into<KeyValue>> From<Vec<T>> for KeyValues {
    fn from(items: Vec<T>) -> Self {
        KeyValues::from_list(items.into_iter())
    }
}

impl<T: Into<KeyValue>, const N: usize> From<[T; N]> for KeyValues {
    fn from(items: [T; N]) -> Self {
        KeyValues::from_list(items.into_iter())
    }
}

impl<T: Into<KeyValue> + Clone> From<&[T]> for KeyValues {
    fn from(items: &[T]) -> Self {
        KeyValues::from_list(items.iter().cloned())
    }
}

impl From<&str> for KeyValue {
    fn from(text: &str) -> Self {
        KeyValue(Entry::Text(text.to_owned()))
    }
}

impl From<String> for KeyValue {
    fn from(text: String) -> Self {
        KeyValue(Entry::Text(text))
    }
}

impl From<&String> for KeyValue {
    fn from(text: &String) -> Self {
        KeyValue(Entry::Text(text.clone()))
    }
}

impl<K: Into<String>, V: Into<MapValue>> From<(K, V)> for KeyValue {
    fn from((key, value): (K, V)) -> Self {
        KeyValue(Entry::Pair(key.into(), value.into().0))
    }
}

impl From<&str> for MapValue {
    fn from(value: &str) -> Self {
        MapValue(Some(value.to_owned()))
    }
}

impl From<String> for MapValue {
    fn from(value: String) -> Self {
        MapValue(Some(value))
    }
}

impl From<&String> for MapValue {
    fn from(value: &String) -> Self {
        MapValue(Some(value.clone()))
    }
}

/// `None` is a key without a value.
impl From<Option<&str>> for MapValue {
    fn from(value: Option<&str>) -> Self {
        MapValue(value.map(str::to_owned))
    }
}

/// `None` is a key without a value.
impl From<Option<String>> for MapValue {
    fn from(value: Option<String>) -> Self {
        MapValue(value)
    }
}

macro_rules! map_value_from_display {
    ($($ty:ty),*) => {$(
        impl From<$ty> for MapValue {
            fn from(value: $ty) -> Self {
                MapValue(Some(value.to_string()))
            }
        }
    )*};
}

map_value_from_display!(i32, i64, u16, u32, u64, bool, char, std::net::IpAddr);

#[cfg(test)]
mod tests {
    use super::*;

    fn map(kv: impl Into<KeyValues>) -> Vec<(String, String)> {
        kv.into()
            .to_map("labels", '=', Some(""))
            .unwrap()
            .into_iter()
            .collect()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn maps_sort_by_key() {
        let kv: KeyValues = HashMap::from([("b", "2"), ("a", "1"), ("c", "3")]).into();
        assert_eq!(
            kv.to_list("environment", '=').unwrap(),
            ["a=1", "b=2", "c=3"]
        );
        let kv: KeyValues = BTreeMap::from([("z", 1), ("y", 2)]).into();
        assert_eq!(kv.to_list("sysctls", '=').unwrap(), ["y=2", "z=1"]);
    }

    #[test]
    fn lists_keep_their_order() {
        let kv: KeyValues = ["B=2", "A=1", "HOME"].into();
        assert_eq!(
            kv.to_list("environment", '=').unwrap(),
            ["B=2", "A=1", "HOME"]
        );
        let kv: KeyValues = vec![("B", Some("2")), ("A", None)].into();
        assert_eq!(kv.to_list("environment", '=').unwrap(), ["B=2", "A"]);
    }

    #[test]
    fn reads_maps_from_every_form() {
        assert_eq!(map(["a=1", "b"]), [pair("a", "1"), pair("b", "")]);
        assert_eq!(map([("a", 1)]), [pair("a", "1")]);
        assert_eq!(map([("ok", true)]), [pair("ok", "true")]);
        let owned = HashMap::from([("k".to_owned(), "v".to_owned())]);
        assert_eq!(map(&owned), [pair("k", "v")]);
        assert_eq!(map(owned), [pair("k", "v")]);
        assert_eq!(map(["x=1=2"]), [pair("x", "1=2")]);
    }

    #[test]
    fn missing_values_are_errors_where_the_option_needs_one() {
        let kv: KeyValues = ["net.core.somaxconn"].into();
        let err = kv.to_map("sysctls", '=', None).unwrap_err().to_string();
        assert!(
            err.contains("sysctls") && err.contains("somaxconn"),
            "{err}"
        );
    }

    #[test]
    fn empty_keys_are_errors() {
        for kv in [
            KeyValues::from(["=value"]),
            KeyValues::from([("", "value")]),
            KeyValues::from([" "]),
        ] {
            let err = kv.to_list("environment", '=').unwrap_err().to_string();
            assert!(
                err.contains("environment") && err.contains("empty key"),
                "{err}"
            );
            assert!(kv.to_map("labels", '=', Some("")).is_err());
        }
        let kv = KeyValues::from([("A=B", "c")]);
        assert!(kv.to_list("environment", '=').is_err());
    }
}
