//! What container calls report back: how a container ended, what a
//! prune removed.

use crate::models::ContainerWaitResponse;

/// How a container ended, from [`Container::wait`](crate::Container::wait).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContainerExit {
    /// The exit status.
    pub status_code: i64,
    /// The daemon's error while waiting, if any.
    pub error: Option<String>,
}

impl From<ContainerWaitResponse> for ContainerExit {
    /// The wait answer's status, and its error message unless empty.
    fn from(answer: ContainerWaitResponse) -> Self {
        ContainerExit {
            status_code: answer.status_code,
            error: answer
                .error
                .and_then(|error| error.message)
                .filter(|message| !message.is_empty()),
        }
    }
}

impl ContainerExit {
    /// True when the status is 0 and the daemon reported no error.
    pub fn success(&self) -> bool {
        self.status_code == 0 && self.error.is_none()
    }
}

/// What a prune removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PruneReport {
    /// The ids of the removed objects.
    pub deleted: Vec<String>,
    /// Bytes of disk space freed.
    pub space_reclaimed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_answer_is_an_exit_with_its_message_unless_empty() {
        let exit = |json: &str| {
            ContainerExit::from(serde_json::from_str::<ContainerWaitResponse>(json).unwrap())
        };
        let plain = exit(r#"{"StatusCode": 3}"#);
        assert_eq!((plain.status_code, plain.error), (3, None));
        assert!(!exit(r#"{"StatusCode": 0, "Error": {"Message": "boom"}}"#).success());
        assert!(exit(r#"{"StatusCode": 0, "Error": {"Message": ""}}"#).success());
    }
}
