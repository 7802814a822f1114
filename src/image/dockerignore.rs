//! `.dockerignore` patterns, as the docker CLI reads them: one pattern per
//! line, `#` comments, `!` exceptions, `*`, `?`, `[…]` and `**`, relative
//! to the context root; the last matching pattern decides, and a pattern
//! that matches a directory excludes what is under it.

use crate::{Error, Result};

/// The patterns of one `.dockerignore`.
#[derive(Debug, Default)]
pub(crate) struct DockerIgnore {
    patterns: Vec<(regex_lite::Regex, bool)>,
}

impl DockerIgnore {
    /// Parse the file's text.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming a pattern that does not parse.
    pub(crate) fn parse(text: &str) -> Result<Self> {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exception, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let cleaned = clean(pattern);
            if cleaned.is_empty() {
                continue;
            }
            let regex = regex_lite::Regex::new(&to_regex(&cleaned)).map_err(|err| {
                Error::invalid(".dockerignore", format!("pattern {line:?}: {err}"))
            })?;
            patterns.push((regex, exception));
        }
        Ok(DockerIgnore { patterns })
    }

    /// True when `path` (relative, `/`-separated) is left out of the context.
    pub(crate) fn excludes(&self, path: &str) -> bool {
        let mut excluded = false;
        for (regex, exception) in &self.patterns {
            // The pattern matches the path or one of its parent directories.
            let matched = std::iter::once(path)
                .chain(path.match_indices('/').map(|(at, _)| &path[..at]))
                .any(|candidate| regex.is_match(candidate));
            if matched {
                excluded = !exception;
            }
        }
        excluded
    }
}

/// A pattern without a leading `/` or `./`, doubled or trailing slashes,
/// and with `..` and `.` segments resolved (as Go's `filepath.Clean`).
fn clean(pattern: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// The regular expression a pattern means, anchored at both ends.
fn to_regex(pattern: &str) -> String {
    let mut regex = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                // `**/` also matches no directory at all.
                if chars.peek() == Some(&'/') {
                    chars.next();
                    regex.push_str("(?:.*/)?");
                } else {
                    regex.push_str(".*");
                }
            }
            '*' => regex.push_str("[^/]*"),
            '?' => regex.push_str("[^/]"),
            '[' => {
                regex.push('[');
                if chars.peek() == Some(&'^') || chars.peek() == Some(&'!') {
                    chars.next();
                    regex.push('^');
                }
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    if c == '\\' || c == '[' {
                        regex.push('\\');
                    }
                    regex.push(c);
                }
                regex.push(']');
            }
            '\\' => {
                if let Some(next) = chars.next() {
                    regex.push_str(&regex_lite::escape(&next.to_string()));
                }
            }
            c => regex.push_str(&regex_lite::escape(&c.to_string())),
        }
    }
    regex.push('$');
    regex
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(text: &str) -> DockerIgnore {
        DockerIgnore::parse(text).unwrap()
    }

    #[test]
    fn names_globs_and_directories() {
        let rules = ignore("# comment\n\nsecret.txt\n*.log\n/build/\ndocs/*.md\n");
        assert!(rules.excludes("secret.txt"));
        assert!(!rules.excludes("src/secret.txt"));
        assert!(rules.excludes("debug.log"));
        assert!(!rules.excludes("logs/debug.log"));
        assert!(rules.excludes("build"));
        assert!(rules.excludes("build/out/app"));
        assert!(rules.excludes("docs/readme.md"));
        assert!(!rules.excludes("docs/sub/readme.md"));
        assert!(!rules.excludes("Dockerfile"));
    }

    #[test]
    fn double_stars_and_exceptions_last_match_wins() {
        let rules = ignore("**/*.tmp\nnode_modules\n*.md\n!README.md\n");
        assert!(rules.excludes("a.tmp"));
        assert!(rules.excludes("deep/er/b.tmp"));
        assert!(rules.excludes("node_modules/x/index.js"));
        assert!(rules.excludes("CHANGES.md"));
        assert!(!rules.excludes("README.md"));
        let everything_but = ignore("*\n!keep\n");
        assert!(everything_but.excludes("other"));
        assert!(!everything_but.excludes("keep"));
    }

    #[test]
    fn classes_question_marks_and_cleaning() {
        let rules = ignore("file?.txt\n[ab].bin\n./x/../y\n");
        assert!(rules.excludes("file1.txt"));
        assert!(!rules.excludes("file10.txt"));
        assert!(rules.excludes("a.bin"));
        assert!(!rules.excludes("c.bin"));
        assert!(rules.excludes("y"));
    }
}
