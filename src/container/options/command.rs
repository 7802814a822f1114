//! Commands and entrypoints: a list of arguments, or one string split the
//! way a POSIX shell (and Python's `shlex.split`, which docker-py uses)
//! splits words.

use super::Parsed;
use crate::{Error, Result};

/// A command line (`command`, `entrypoint`).
///
/// A string is split into arguments like a shell would, without running a
/// shell: whitespace separates arguments, single quotes keep everything
/// literally, double quotes keep everything but `\"` and `\\`, and a
/// backslash outside quotes escapes the next character. A list is used as
/// it is. An unbalanced quote is reported as [`Error::InvalidArgument`] by
/// the option that uses it.
///
/// ```
/// use dockhand::options::Command;
///
/// assert_eq!(
///     Command::from(r#"sh -c 'echo "hi there"'"#).args()?,
///     ["sh", "-c", r#"echo "hi there""#]
/// );
/// assert_eq!(Command::from(["echo", "a b"]).args()?, ["echo", "a b"]);
/// # Ok::<(), dockhand::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command(Parsed<Vec<String>>);

impl Command {
    /// The arguments.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the command was a string with an
    /// unbalanced quote or a trailing backslash.
    pub fn args(&self) -> Result<Vec<String>> {
        self.0
            .clone()
            .map_err(|reason| Error::invalid("command", reason))
    }

    pub(super) fn parsed(&self) -> &Parsed<Vec<String>> {
        &self.0
    }
}

impl From<&str> for Command {
    fn from(line: &str) -> Self {
        Command(split(line))
    }
}

impl From<String> for Command {
    fn from(line: String) -> Self {
        Command::from(line.as_str())
    }
}

impl From<&String> for Command {
    fn from(line: &String) -> Self {
        Command::from(line.as_str())
    }
}

impl<T: Into<String>> From<Vec<T>> for Command {
    fn from(args: Vec<T>) -> Self {
        Command(Ok(args.into_iter().map(Into::into).collect()))
    }
}

impl<T: Into<String>, const N: usize> From<[T; N]> for Command {
    fn from(args: [T; N]) -> Self {
        Command(Ok(args.into_iter().map(Into::into).collect()))
    }
}

impl<T: Into<String> + Clone> From<&[T]> for Command {
    fn from(args: &[T]) -> Self {
        Command(Ok(args.iter().cloned().map(Into::into).collect()))
    }
}

/// Where the splitter is within the input.
#[derive(Clone, Copy, PartialEq)]
enum State {
    /// Between words.
    Between,
    /// Inside an unquoted part of a word.
    Word,
    /// Inside single quotes.
    Single,
    /// Inside double quotes.
    Double,
}

/// Split a command line into words like `shlex.split` (POSIX mode, no
/// comments).
fn split(line: &str) -> Parsed<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    // A quoted empty string (`''`) is still a word.
    let mut in_word = false;
    let mut state = State::Between;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match state {
            State::Between | State::Word => match c {
                ' ' | '\t' | '\r' | '\n' => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                    state = State::Between;
                }
                '\\' => {
                    let Some(escaped) = chars.next() else {
                        return Err(format!("{line:?} ends with a lone backslash"));
                    };
                    word.push(escaped);
                    in_word = true;
                    state = State::Word;
                }
                '\'' => {
                    in_word = true;
                    state = State::Single;
                }
                '"' => {
                    in_word = true;
                    state = State::Double;
                }
                other => {
                    word.push(other);
                    in_word = true;
                    state = State::Word;
                }
            },
            State::Single => match c {
                '\'' => state = State::Word,
                other => word.push(other),
            },
            State::Double => match c {
                '"' => state = State::Word,
                '\\' => {
                    let Some(escaped) = chars.next() else {
                        break;
                    };
                    // Inside double quotes a backslash only escapes `"` and
                    // itself; before anything else it is kept.
                    if escaped != '"' && escaped != '\\' {
                        word.push('\\');
                    }
                    word.push(escaped);
                }
                other => word.push(other),
            },
        }
    }
    if matches!(state, State::Single | State::Double) {
        return Err(format!("{line:?} has an unclosed quote"));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        Command::from(line).args().unwrap()
    }

    #[test]
    fn splits_like_shlex() {
        assert_eq!(args("echo hello world"), ["echo", "hello", "world"]);
        assert_eq!(args("  echo \t hi\n"), ["echo", "hi"]);
        assert_eq!(
            args("sh -c 'echo $HOME; exit 3'"),
            ["sh", "-c", "echo $HOME; exit 3"]
        );
        assert_eq!(args(r#"echo "a \"b\" c""#), ["echo", r#"a "b" c"#]);
        assert_eq!(
            args(r#"echo "back\\slash" "keep\n""#),
            ["echo", r"back\slash", r"keep\n"]
        );
        assert_eq!(args(r"echo a\ b \'q\'"), ["echo", "a b", "'q'"]);
        assert_eq!(args("a'b c'd"), ["ab cd"]);
        assert_eq!(args("echo '' \"\" x"), ["echo", "", "", "x"]);
        assert_eq!(args("echo '\\'"), ["echo", "\\"]);
        assert_eq!(
            args("echo # not a comment"),
            ["echo", "#", "not", "a", "comment"]
        );
        assert_eq!(args(""), Vec::<String>::new());
        assert_eq!(args("héllo wörld"), ["héllo", "wörld"]);
    }

    #[test]
    fn lists_are_kept_as_they_are() {
        let expected = vec!["sh".to_owned(), "-c".to_owned(), "a  b".to_owned()];
        assert_eq!(
            Command::from(["sh", "-c", "a  b"]).args().unwrap(),
            expected
        );
        assert_eq!(
            Command::from(vec!["sh", "-c", "a  b"]).args().unwrap(),
            expected
        );
        assert_eq!(Command::from(expected.clone()).args().unwrap(), expected);
        assert_eq!(
            Command::from(&["sh", "-c", "a  b"][..]).args().unwrap(),
            expected
        );
    }

    #[test]
    fn rejects_unbalanced_quotes_and_trailing_backslashes() {
        for bad in ["echo 'hi", "echo \"hi", "echo hi\\", "echo \"a\\\""] {
            let err = Command::from(bad).args().unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { .. }), "{bad:?}");
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    /// Quote a word for a POSIX shell: single quotes, with `'` spelled `'\''`.
    fn quote(word: &str) -> String {
        format!("'{}'", word.replace('\'', r"'\''"))
    }

    proptest::proptest! {
        #[test]
        fn quoted_words_split_back(words in proptest::collection::vec(".*", 0..6)) {
            let line = words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
            proptest::prop_assert_eq!(Command::from(line.as_str()).args().unwrap(), words);
        }

        #[test]
        fn plain_words_split_on_whitespace(
            words in proptest::collection::vec("[a-zA-Z0-9_./=-]{1,8}", 0..6),
        ) {
            let line = words.join(" \t ");
            proptest::prop_assert_eq!(Command::from(line.as_str()).args().unwrap(), words);
        }

        #[test]
        fn never_panics(line in ".*") {
            let _ = Command::from(line.as_str());
        }
    }
}
