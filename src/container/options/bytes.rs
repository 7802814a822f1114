//! Byte sizes as users type them: `128m`, `1.5g`, `512`, or a number.

use std::fmt;
use std::str::FromStr;

use super::Parsed;
use crate::{Error, Result};

/// A size in bytes, for `mem_limit`, `shm_size`, `device_read_bps`, ….
///
/// Built from a number of bytes or from text the way docker-py reads it: a
/// number with an optional unit `b`, `k`, `m`, `g` (and `t`, `p`), in any
/// case, optionally followed by `b`/`ib` (`128m`, `128MB`, `128MiB`, `1.5g`).
/// Units are binary (`1k` = 1024). A number without a unit is bytes.
///
/// Text that does not parse is kept and reported by the option that uses it,
/// as [`Error::InvalidArgument`] naming the option, before any request is
/// sent; conversions never panic.
///
/// ```
/// use dockhand::options::ByteSize;
///
/// assert_eq!(ByteSize::from("128m").bytes()?, 134_217_728);
/// assert_eq!(ByteSize::from("1.5g").bytes()?, 1_610_612_736);
/// assert_eq!(ByteSize::from(4096).bytes()?, 4096);
/// assert!(ByteSize::from("12x").bytes().is_err());
/// # Ok::<(), dockhand::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteSize(Parsed<i64>);

impl ByteSize {
    /// A size of `n` bytes (negative only where an option allows it, such
    /// as `-1` for an unlimited `memswap_limit`).
    pub const fn new(n: i64) -> Self {
        ByteSize(Ok(n))
    }

    /// A size of `n` kibibytes (`n * 1024` bytes).
    pub fn kib(n: u32) -> Self {
        ByteSize(Ok(i64::from(n) << 10))
    }

    /// A size of `n` mebibytes.
    pub fn mib(n: u32) -> Self {
        ByteSize(Ok(i64::from(n) << 20))
    }

    /// A size of `n` gibibytes.
    pub fn gib(n: u32) -> Self {
        ByteSize(Ok(i64::from(n) << 30))
    }

    /// The number of bytes.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the size was built from text that is
    /// not a byte size.
    pub fn bytes(&self) -> Result<i64> {
        self.0
            .clone()
            .map_err(|reason| Error::invalid("byte size", reason))
    }

    pub(super) fn parsed(&self) -> &Parsed<i64> {
        &self.0
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Ok(n) => write!(f, "{n} bytes"),
            Err(reason) => write!(f, "<{reason}>"),
        }
    }
}

impl FromStr for ByteSize {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        parse(text)
            .map(ByteSize::new)
            .map_err(|reason| Error::invalid("byte size", reason))
    }
}

impl From<&str> for ByteSize {
    fn from(text: &str) -> Self {
        ByteSize(parse(text))
    }
}

impl From<String> for ByteSize {
    fn from(text: String) -> Self {
        ByteSize::from(text.as_str())
    }
}

impl From<&String> for ByteSize {
    fn from(text: &String) -> Self {
        ByteSize::from(text.as_str())
    }
}

impl From<i64> for ByteSize {
    fn from(n: i64) -> Self {
        ByteSize(Ok(n))
    }
}

impl From<i32> for ByteSize {
    fn from(n: i32) -> Self {
        ByteSize(Ok(i64::from(n)))
    }
}

impl From<u32> for ByteSize {
    fn from(n: u32) -> Self {
        ByteSize(Ok(i64::from(n)))
    }
}

impl From<u64> for ByteSize {
    fn from(n: u64) -> Self {
        ByteSize(i64::try_from(n).map_err(|_| format!("{n} bytes is too large")))
    }
}

impl From<usize> for ByteSize {
    fn from(n: usize) -> Self {
        ByteSize::from(n as u64)
    }
}

/// Fractional byte counts are truncated, as docker-py does.
impl From<f64> for ByteSize {
    fn from(n: f64) -> Self {
        ByteSize(from_float(n, 1).map_err(|reason| format!("{n}: {reason}")))
    }
}

/// The multiplier of a unit letter.
fn unit(letter: char) -> Option<i64> {
    let shift = match letter.to_ascii_lowercase() {
        'b' => 0,
        'k' => 10,
        'm' => 20,
        'g' => 30,
        't' => 40,
        'p' => 50,
        _ => return None,
    };
    Some(1 << shift)
}

/// Parse `128m`, `1.5g`, `512`, `64 MiB`, …
fn parse(text: &str) -> Parsed<i64> {
    let fail = |reason: &str| Err(format!("{text:?} is not a byte size: {reason}"));
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return fail("it is empty");
    }
    // Split the trailing letters (the unit) from the number.
    let number_end = trimmed
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let (number, suffix) = trimmed.split_at(number_end);
    let number = number.trim_end();
    let multiplier = match suffix.to_ascii_lowercase().as_str() {
        "" => 1,
        // `mb` and `mib` mean the same as `m`, as for the docker CLI.
        s => {
            let letter = s.chars().next().unwrap_or('b');
            let rest = &s[1..];
            match (unit(letter), rest) {
                (Some(multiplier), "" | "b" | "ib") if letter != 'b' || rest.is_empty() => {
                    multiplier
                }
                _ => return fail("the unit must be one of b, k, m, g, t, p"),
            }
        }
    };
    if number.is_empty() {
        return fail("there is no number before the unit");
    }
    // Integers are computed exactly; only fractions go through a float.
    if let Ok(n) = number.parse::<i64>() {
        return n
            .checked_mul(multiplier)
            .map_or_else(|| fail("it is too large"), Ok);
    }
    match number.parse::<f64>() {
        Ok(value) => from_float(value, multiplier).or_else(|reason| fail(&reason)),
        Err(_) => fail("the number is malformed"),
    }
}

/// `value * multiplier`, truncated toward zero, if finite and in range.
fn from_float(value: f64, multiplier: i64) -> Parsed<i64> {
    let bytes = (value * multiplier as f64).trunc();
    if !bytes.is_finite() {
        return Err("it is not a finite number".to_owned());
    }
    // `as` saturates, so compare against the bounds first.
    if bytes >= i64::MAX as f64 || bytes < i64::MIN as f64 {
        return Err("it is too large".to_owned());
    }
    Ok(bytes as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(text: &str) -> i64 {
        ByteSize::from(text).bytes().unwrap()
    }

    #[test]
    fn parses_the_forms_docker_py_accepts() {
        assert_eq!(bytes("100000b"), 100_000);
        assert_eq!(bytes("1000k"), 1_024_000);
        assert_eq!(bytes("128m"), 134_217_728);
        assert_eq!(bytes("1g"), 1_073_741_824);
        assert_eq!(bytes("1G"), 1_073_741_824);
        assert_eq!(bytes("128mb"), 134_217_728);
        assert_eq!(bytes("128MB"), 134_217_728);
        assert_eq!(bytes("1.5g"), 1_610_612_736);
        assert_eq!(bytes("512"), 512);
        assert_eq!(bytes("-1"), -1);
        assert_eq!(bytes("0.5k"), 512);
    }

    #[test]
    fn parses_the_docker_cli_extras() {
        assert_eq!(bytes("128MiB"), 134_217_728);
        assert_eq!(bytes("64 m"), 67_108_864);
        assert_eq!(bytes(" 2t "), 2 << 40);
        assert_eq!(bytes("1p"), 1 << 50);
    }

    #[test]
    fn numbers_are_bytes() {
        assert_eq!(ByteSize::from(4096).bytes().unwrap(), 4096);
        assert_eq!(ByteSize::from(4096_u64).bytes().unwrap(), 4096);
        assert_eq!(ByteSize::from(1536.9).bytes().unwrap(), 1536);
        assert_eq!(ByteSize::mib(128), ByteSize::from("128m"));
        assert_eq!(ByteSize::gib(1), ByteSize::from("1g"));
        assert_eq!(ByteSize::kib(4), ByteSize::new(4096));
        assert!(ByteSize::from(u64::MAX).bytes().is_err());
        assert!(ByteSize::from(f64::NAN).bytes().is_err());
    }

    #[test]
    fn rejects_malformed_sizes() {
        for bad in [
            "",
            " ",
            "12x",
            "m",
            "1.2.3m",
            "abc",
            "1mm",
            "1bb",
            "1kk",
            "9999999999p",
            "1e400",
            "1,5g",
            "--1",
        ] {
            let err = ByteSize::from(bad).bytes().unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument { .. }),
                "{bad:?}: {err}"
            );
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn from_str_reports_invalid_argument() {
        assert_eq!("2k".parse::<ByteSize>().unwrap(), ByteSize::new(2048));
        assert!("2q".parse::<ByteSize>().is_err());
    }

    proptest::proptest! {
        #[test]
        fn units_multiply(
            n in 0_u32..1_000_000,
            unit in proptest::sample::select(
                vec![("", 0), ("b", 0), ("k", 10), ("m", 20), ("g", 30)],
            ),
            upper in proptest::bool::ANY,
            tail in proptest::sample::select(vec!["", "b", "ib"]),
        ) {
            let (letter, shift) = unit;
            let tail = if letter.is_empty() || letter == "b" { "" } else { tail };
            let mut text = format!("{n}{letter}{tail}");
            if upper {
                text = text.to_uppercase();
            }
            let bytes = ByteSize::from(text.as_str()).bytes().unwrap();
            proptest::prop_assert_eq!(bytes, i64::from(n) << shift);
        }

        #[test]
        fn never_panics(text in ".*") {
            let _ = ByteSize::from(text.as_str());
        }
    }
}
