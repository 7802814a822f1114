//! Files in and out of a container: `export` (the whole filesystem),
//! `get_archive` / `put_archive` (a path, as `docker cp` copies it) and
//! `archive_stat` (what is at a path).
//!
//! Every transfer is a tar stream that is never held in memory whole: the
//! daemon's tar comes back as a stream of byte chunks, and an upload can be
//! read from a stream or an [`AsyncRead`] as it is sent.

use std::fmt;

use base64::Engine as _;
use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use http::HeaderMap;
use serde::Deserialize;
use tokio::io::AsyncRead;

use crate::transport::path::ApiPath;
use crate::transport::ResponseBody;
use crate::{BoxError, Container, Error, Result};

/// The response header in which the daemon describes the archived path.
const PATH_STAT_HEADER: &str = "X-Docker-Container-Path-Stat";

/// What is at a path inside a container, as the daemon reports it with an
/// archive ([`Container::get_archive`], [`Container::archive_stat`]).
///
/// ```
/// # fn demo(stat: dockhand::PathStat) {
/// if stat.is_dir() {
///     println!("{} is a directory ({:o})", stat.name, stat.permissions());
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PathStat {
    /// The last element of the path (`passwd` for `/etc/passwd`).
    pub name: String,
    /// The size in bytes (of the entry itself: a directory's is the file
    /// system's block size, a symbolic link's the length of its target).
    pub size: i64,
    /// The mode as the daemon encodes it: Go's `os.FileMode`, whose low 9
    /// bits are the Unix permissions and whose high bits are the file type
    /// (see [`PathStat::is_dir`], [`PathStat::is_symlink`]).
    pub mode: u32,
    /// The modification time, RFC 3339 (`2024-05-01T12:00:00Z`).
    pub mtime: String,
    /// Where the path points if it is a symbolic link (absolute, resolved
    /// inside the container).
    pub link_target: Option<String>,
}

impl PathStat {
    /// Go's `os.ModeDir`.
    const MODE_DIR: u32 = 1 << 31;
    /// Go's `os.ModeSymlink`.
    const MODE_SYMLINK: u32 = 1 << 27;
    /// Every Go `os.FileMode` type bit: directory, append-only, exclusive,
    /// temporary, symlink, device, pipe, socket, setuid, setgid, char
    /// device, sticky, irregular.
    const MODE_TYPE: u32 = 0xFFF0_0000;

    /// True when the path is a directory.
    pub fn is_dir(&self) -> bool {
        self.mode & Self::MODE_DIR != 0
    }

    /// True when the path is a symbolic link.
    pub fn is_symlink(&self) -> bool {
        self.mode & Self::MODE_SYMLINK != 0
    }

    /// True when the path is a plain file (no type bit set).
    pub fn is_file(&self) -> bool {
        self.mode & Self::MODE_TYPE == 0
    }

    /// The Unix permission bits (`0o644`).
    pub fn permissions(&self) -> u32 {
        self.mode & 0o777
    }

    /// Decode the header value: base64 of a JSON object.
    fn from_header(value: &[u8]) -> std::result::Result<PathStat, BoxError> {
        /// The daemon's JSON, field for field.
        #[derive(Deserialize)]
        struct Wire {
            name: String,
            size: i64,
            mode: u32,
            mtime: String,
            #[serde(default, rename = "linkTarget")]
            link_target: String,
        }
        let json = base64::engine::general_purpose::STANDARD.decode(value)?;
        let wire: Wire = serde_json::from_slice(&json)?;
        Ok(PathStat {
            name: wire.name,
            size: wire.size,
            mode: wire.mode,
            mtime: wire.mtime,
            link_target: Some(wire.link_target).filter(|target| !target.is_empty()),
        })
    }

    /// The stat from a response's headers.
    fn from_headers(operation: &'static str, headers: &HeaderMap) -> Result<PathStat> {
        let Some(value) = headers.get(PATH_STAT_HEADER) else {
            return Err(Error::decode(
                operation,
                b"",
                format!("the daemon sent no {PATH_STAT_HEADER} header"),
            ));
        };
        PathStat::from_header(value.as_bytes())
            .map_err(|source| Error::decode(operation, value.as_bytes(), source))
    }
}

/// A tar archive to upload with [`Container::put_archive`]: bytes in
/// memory, or a stream or reader sent as it is read (for archives too large
/// to hold).
///
/// ```
/// use dockhand::ArchiveBody;
///
/// let in_memory = ArchiveBody::from(vec![0_u8; 1024]);
/// # async fn demo() {
/// let file = tokio::fs::File::open("site.tar").await.expect("the archive");
/// let streamed = ArchiveBody::from_reader(file);
/// # }
/// ```
pub struct ArchiveBody(reqwest::Body);

impl ArchiveBody {
    /// The body to send.
    pub(crate) fn into_body(self) -> reqwest::Body {
        self.0
    }

    /// Send the chunks of `stream` as they come; an error item aborts the
    /// upload.
    pub fn from_stream<S, E>(stream: S) -> Self
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        ArchiveBody(reqwest::Body::wrap_stream(stream))
    }

    /// Send what `reader` yields (a file, a pipe, a compressor) as it is
    /// read.
    pub fn from_reader(reader: impl AsyncRead + Send + 'static) -> Self {
        ArchiveBody::from_stream(tokio_util::io::ReaderStream::new(reader))
    }
}

impl fmt::Debug for ArchiveBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_bytes() {
            Some(bytes) => write!(f, "ArchiveBody({} bytes)", bytes.len()),
            None => f.write_str("ArchiveBody(stream)"),
        }
    }
}

impl From<Bytes> for ArchiveBody {
    fn from(bytes: Bytes) -> Self {
        ArchiveBody(reqwest::Body::from(bytes))
    }
}

impl From<Vec<u8>> for ArchiveBody {
    fn from(bytes: Vec<u8>) -> Self {
        ArchiveBody::from(Bytes::from(bytes))
    }
}

impl From<&'static [u8]> for ArchiveBody {
    fn from(bytes: &'static [u8]) -> Self {
        ArchiveBody::from(Bytes::from_static(bytes))
    }
}

impl Container {
    /// The container's whole filesystem as a tar stream (`docker export`).
    /// Volumes are not included.
    ///
    /// Dropping the stream closes the connection.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the container is gone; errors while reading
    /// ([`Error::Transport`]) come as stream items.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use futures_util::TryStreamExt;
    /// use tokio::io::AsyncWriteExt;
    ///
    /// let mut tar = container.export().await?;
    /// let mut file = tokio::fs::File::create("rootfs.tar").await.expect("writable");
    /// while let Some(chunk) = tar.try_next().await? {
    ///     file.write_all(&chunk).await.expect("written");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn export(
        &self,
    ) -> Result<impl Stream<Item = Result<Bytes>> + Send + Unpin + 'static> {
        const OPERATION: &str = "ContainerExport";
        let path = self.endpoint("/export").await?;
        let response = self
            .docker
            .request(OPERATION, http::Method::GET, &path, None)
            .await?;
        Ok(self.byte_stream(OPERATION, response.into_body()))
    }

    /// A file or directory of the container as a tar stream, with what the
    /// daemon says about the path (`docker cp container:path -`). A
    /// directory comes with its contents, under its own name.
    ///
    /// Dropping the stream closes the connection.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the path (or the container) does not exist;
    /// [`Error::Decode`] if the daemon's path description is malformed.
    /// Errors while reading come as stream items.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// use futures_util::TryStreamExt;
    ///
    /// let (stat, tar) = container.get_archive("/etc/hostname").await?;
    /// let tar: Vec<u8> = tar.map_ok(|chunk| chunk.to_vec()).try_concat().await?;
    /// println!("{} ({} bytes) in a {}-byte tar", stat.name, stat.size, tar.len());
    /// # Ok(()) }
    /// ```
    pub async fn get_archive(
        &self,
        path: &str,
    ) -> Result<(
        PathStat,
        impl Stream<Item = Result<Bytes>> + Send + Unpin + 'static,
    )> {
        const OPERATION: &str = "ContainerArchive";
        check_path(path)?;
        let request = self.archive_path(path).await?;
        let response = self
            .docker
            .request(OPERATION, http::Method::GET, &request, None)
            .await?;
        let stat = PathStat::from_headers(OPERATION, response.headers())?;
        Ok((stat, self.byte_stream(OPERATION, response.into_body())))
    }

    /// What is at `path` in the container, without transferring it.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the path (or the container) does not exist.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// let stat = container.archive_stat("/etc").await?;
    /// assert!(stat.is_dir());
    /// # Ok(()) }
    /// ```
    pub async fn archive_stat(&self, path: &str) -> Result<PathStat> {
        const OPERATION: &str = "ContainerArchiveInfo";
        check_path(path)?;
        // Not through the generated client: it reads a JSON error body from
        // the error statuses, and a HEAD response has none, so a 404 would
        // surface as a decode error instead of `NotFound`.
        let request = self.archive_path(path).await?;
        let response = self
            .docker
            .request(OPERATION, http::Method::HEAD, &request, None)
            .await;
        match response {
            Ok(response) => PathStat::from_headers(OPERATION, response.headers()),
            // A HEAD answer has no body to carry the daemon's message.
            Err(Error::NotFound { .. }) => Err(Error::not_found(
                OPERATION,
                format!(
                    "no path {path} in container {} (or no such container)",
                    self.id
                ),
            )),
            Err(err) => Err(err),
        }
    }

    /// Extract a tar archive into the directory `path` of the container
    /// (`docker cp - container:path`). Existing files are overwritten.
    ///
    /// The archive goes as it is: plain tar, or compressed with gzip, bzip2
    /// or xz (the daemon detects which).
    ///
    /// # Errors
    /// [`Error::NotFound`] if `path` (or the container) does not exist;
    /// [`Error::Api`] when `path` is not a directory, the archive is not a
    /// tar (400) or the container's root filesystem is read-only (403);
    /// [`Error::Transport`] when reading a streamed body fails.
    ///
    /// ```no_run
    /// # async fn demo(container: dockhand::Container) -> dockhand::Result<()> {
    /// let tar = std::fs::read("site.tar").expect("the archive");
    /// container.put_archive("/usr/share/nginx/html", tar).await?;
    /// # Ok(()) }
    /// ```
    pub async fn put_archive(&self, path: &str, tar: impl Into<ArchiveBody>) -> Result<()> {
        check_path(path)?;
        let id = self.path_id()?;
        let ArchiveBody(body) = tar.into();
        let raw = self.docker.raw().await?;
        // The generated request labels the body `application/octet-stream`
        // rather than `application/x-tar`; dockerd does not look at the
        // content type of this endpoint (it sniffs the compression itself).
        self.docker
            .call(
                "PutContainerArchive",
                raw.put_container_archive(id, None, None, path, body),
            )
            .await?;
        Ok(())
    }

    /// A response body as a stream of chunks, read errors mapped to
    /// [`Error::Transport`] naming the daemon.
    fn byte_stream(
        &self,
        operation: &'static str,
        body: ResponseBody,
    ) -> impl Stream<Item = Result<Bytes>> + Send + Unpin + 'static {
        let host = self.docker.host().to_string();
        body.map_err(move |source| Error::transport(&host, operation, source))
    }

    /// `/containers/{id}/archive?path=…`, versioned.
    async fn archive_path(&self, path: &str) -> Result<ApiPath> {
        Ok(self.endpoint("/archive").await?.query("path", path))
    }
}

/// Refuse an empty path before any request (the daemon's answer would be
/// a confusing "not found").
fn check_path(path: &str) -> Result<()> {
    if path.is_empty() {
        return Err(Error::invalid(
            "path",
            "the path in the container must not be empty",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(json: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(json)
    }

    #[test]
    fn path_stat_decodes_the_daemon_header() {
        // As dockerd 20.10 describes `/bin/sh` in the busybox image.
        let value = encoded(
            r#"{"name":"sh","size":7,"mode":134218239,"mtime":"1970-01-01T00:00:00Z","linkTarget":"/bin/busybox"}"#,
        );
        let stat = PathStat::from_header(value.as_bytes()).unwrap();
        assert_eq!(stat.name, "sh");
        assert_eq!(stat.size, 7);
        assert!(stat.is_symlink() && !stat.is_dir() && !stat.is_file());
        assert_eq!(stat.permissions(), 0o777);
        assert_eq!(stat.mtime, "1970-01-01T00:00:00Z");
        assert_eq!(stat.link_target.as_deref(), Some("/bin/busybox"));
    }

    #[test]
    fn path_stat_kinds_and_empty_link_target() {
        let dir = PathStat::from_header(
            encoded(r#"{"name":"bin","size":4096,"mode":2147484141,"mtime":"x","linkTarget":""}"#)
                .as_bytes(),
        )
        .unwrap();
        assert!(dir.is_dir() && !dir.is_file());
        assert_eq!(dir.permissions(), 0o755);
        assert_eq!(dir.link_target, None);
        let file = PathStat::from_header(
            encoded(r#"{"name":"f","size":3,"mode":420,"mtime":"x"}"#).as_bytes(),
        )
        .unwrap();
        assert!(file.is_file());
        assert_eq!(file.permissions(), 0o644);
    }

    #[test]
    fn malformed_or_missing_headers_are_decode_errors() {
        for bad in [
            "not base64!",
            &encoded("not json"),
            &encoded(r#"{"name":1}"#),
        ] {
            assert!(PathStat::from_header(bad.as_bytes()).is_err(), "{bad}");
        }
        let err = PathStat::from_headers("ContainerArchive", &HeaderMap::new()).unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert!(err.source_text().contains(PATH_STAT_HEADER), "{err:?}");
    }

    #[test]
    fn archive_bodies_from_bytes_report_their_size() {
        assert_eq!(
            format!("{:?}", ArchiveBody::from(vec![1_u8, 2, 3])),
            "ArchiveBody(3 bytes)"
        );
        let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from("x"))]);
        assert_eq!(
            format!("{:?}", ArchiveBody::from_stream(stream)),
            "ArchiveBody(stream)"
        );
    }

    #[test]
    fn empty_paths_are_refused() {
        assert!(matches!(check_path(""), Err(Error::InvalidArgument { .. })));
        assert!(check_path("/").is_ok());
    }

    trait SourceText {
        fn source_text(&self) -> String;
    }

    impl SourceText for Error {
        fn source_text(&self) -> String {
            std::error::Error::source(self)
                .map(ToString::to_string)
                .unwrap_or_default()
        }
    }
}
