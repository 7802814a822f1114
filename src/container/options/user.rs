//! The user a process runs as, in the forms `docker run --user` takes.

use std::fmt::{self, Display};

/// A user, optionally with a group, as `docker run --user` and
/// `docker exec --user` take it: a name or uid, `name:group` or
/// `uid:gid`. Made from a string, a uid, or a `(uid, gid)` pair; taken by
/// both [`ContainerOptions::user`](crate::ContainerOptions::user) and
/// [`ExecOptions::user`](crate::ExecOptions::user).
///
/// ```
/// use dockhand::options::User;
/// assert_eq!(User::from("nobody").to_string(), "nobody");
/// assert_eq!(User::from(1000).to_string(), "1000");
/// assert_eq!(User::from((1000, 100)).to_string(), "1000:100");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct User(String);

impl User {
    /// The value as the daemon takes it (`"1000:100"`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for User {
    fn from(user: &str) -> Self {
        User(user.to_owned())
    }
}

impl From<String> for User {
    fn from(user: String) -> Self {
        User(user)
    }
}

impl From<&String> for User {
    fn from(user: &String) -> Self {
        User(user.clone())
    }
}

impl From<u32> for User {
    fn from(uid: u32) -> Self {
        User(uid.to_string())
    }
}

impl From<(u32, u32)> for User {
    fn from((uid, gid): (u32, u32)) -> Self {
        User(format!("{uid}:{gid}"))
    }
}
