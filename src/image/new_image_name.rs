//! The repository and tag a new image gets from `commit` and `import`:
//! the repository may carry the tag or take it separately, never both, and
//! never a digest; without a tag it is `latest`.

use super::reference::{check_tag, Reference, DEFAULT_TAG};
use crate::{Error, Result};

/// The `repo` and `tag` query values for `what` (`"commit"`, `"import"`),
/// validated, the repository in its familiar form (`docker.io/library/a`
/// is `a`). Neither given: `(None, None)`, an untagged image.
pub(crate) fn repository_and_tag(
    what: &str,
    repository: Option<&str>,
    tag: Option<&str>,
) -> Result<(Option<String>, Option<String>)> {
    if let Some(tag) = tag {
        check_tag(tag)
            .map_err(|reason| Error::invalid(what, format!("invalid tag {tag:?}: {reason}")))?;
    }
    let Some(repository) = repository else {
        if tag.is_some() {
            return Err(Error::invalid(what, "a tag needs a repository"));
        }
        return Ok((None, None));
    };
    let reference = Reference::parse(repository)?;
    if reference.digest().is_some() {
        return Err(Error::invalid(
            what,
            format!("cannot name an image {repository:?}: a repository has no digest"),
        ));
    }
    let tag = match (reference.tag(), tag) {
        (Some(_), Some(tag)) => {
            return Err(Error::invalid(
                what,
                format!("repository {repository:?} has a tag and the tag {tag:?} was given too"),
            ))
        }
        (Some(tag), None) | (None, Some(tag)) => tag.to_owned(),
        (None, None) => DEFAULT_TAG.to_owned(),
    };
    Ok((Some(reference.familiar_name()), Some(tag)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(repository: Option<&str>, tag: Option<&str>) -> (Option<String>, Option<String>) {
        repository_and_tag("commit", repository, tag).unwrap()
    }

    #[test]
    fn repositories_and_tags_split_and_validate() {
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(named(None, None), (None, None));
        assert_eq!(
            named(Some("team/app"), None),
            (some("team/app"), some("latest"))
        );
        assert_eq!(
            named(Some("localhost:5000/app:v1"), None),
            (some("localhost:5000/app"), some("v1"))
        );
        assert_eq!(
            named(Some("docker.io/library/app"), Some("v2")),
            (some("app"), some("v2"))
        );
        let digest = format!("app@sha256:{}", "0".repeat(64));
        for (repository, tag) in [
            (None, Some("v1")),
            (Some("app:v1"), Some("v2")),
            (Some("Upper"), None),
            (Some("app"), Some("-bad")),
            (Some(digest.as_str()), None),
        ] {
            let err = repository_and_tag("import", repository, tag).unwrap_err();
            let message = err.to_string();
            assert!(
                matches!(err, Error::InvalidArgument { .. }),
                "{repository:?} {tag:?}: {err:?}"
            );
            assert!(
                message.contains("import") || repository == Some("Upper"),
                "{message}"
            );
        }
    }
}
