//! What the raw escape hatch ([`Docker::raw`]) needs to feel like the
//! facade: its errors as [`Error`], and its streamed bodies decoded by the
//! same decoders the facade uses.

use futures_util::Stream;
use progenitor_client::{ByteStream, Error as RawError, ResponseValue};

use crate::error::{from_raw, DaemonMessage};
use crate::stream::{demux_body, framing_from_headers, json_lines, json_messages};
use crate::{Docker, Error, OutputChunk, Result};

impl Docker {
    /// An error of a raw call as the facade's [`Error`]: a 404 is
    /// [`Error::NotFound`], a refused connection [`Error::Transport`] naming
    /// this client's daemon, and so on. `operation` names the call in the
    /// error, e.g. `"VolumeList"`.
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// let volumes = match docker.raw().await?.volume_list(None).await {
    ///     Ok(answer) => answer.into_inner(),
    ///     Err(raw) => return Err(docker.raw_error(raw, "VolumeList").await),
    /// };
    /// println!("{} volumes", volumes.volumes.map_or(0, |v| v.len()));
    /// # Ok(()) }
    /// ```
    pub async fn raw_error<E: DaemonMessage>(
        &self,
        error: RawError<E>,
        operation: &'static str,
    ) -> Error {
        from_raw(error, operation, self.transport().host()).await
    }

    /// Decode a raw streamed answer of JSON documents, one per line (stats,
    /// events), into `T`s. A line that is not a `T` ends the stream with
    /// [`Error::Decode`]; a broken body with [`Error::Transport`].
    ///
    /// ```no_run
    /// # async fn demo(docker: dockhand::Docker) -> dockhand::Result<()> {
    /// use futures_util::StreamExt;
    ///
    /// let raw = docker.raw().await?;
    /// let answer = match raw.system_events(None, None, None).await {
    ///     Ok(answer) => answer,
    ///     Err(raw) => return Err(docker.raw_error(raw, "SystemEvents").await),
    /// };
    /// let mut events = docker.raw_json_lines::<serde_json::Value>(answer, "SystemEvents");
    /// while let Some(event) = events.next().await {
    ///     println!("{}", event?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn raw_json_lines<T>(
        &self,
        answer: ResponseValue<ByteStream>,
        operation: &'static str,
    ) -> impl Stream<Item = Result<T>> + Send
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        json_lines(
            answer.into_inner_stream(),
            operation,
            self.transport().host().to_owned(),
        )
    }

    /// [`Docker::raw_json_lines`] for progress messages (pull, push, build,
    /// load): an `{"error": …}` line ends the stream with [`Error::Stream`]
    /// carrying the daemon's message.
    pub fn raw_progress<T>(
        &self,
        answer: ResponseValue<ByteStream>,
        operation: &'static str,
    ) -> impl Stream<Item = Result<T>> + Send
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        json_messages(
            answer.into_inner_stream(),
            operation,
            self.transport().host().to_owned(),
        )
    }

    /// Demultiplex a raw answer carrying a container's output (logs) into
    /// stdout/stderr chunks. `tty` is the container's TTY flag: its output
    /// has no frames unless the answer's content type says otherwise.
    pub fn raw_output(
        &self,
        answer: ResponseValue<ByteStream>,
        tty: bool,
        operation: &'static str,
    ) -> impl Stream<Item = Result<OutputChunk>> + Send {
        let framing = framing_from_headers(answer.headers(), tty);
        demux_body(
            answer.into_inner_stream(),
            framing,
            operation,
            self.transport().host().to_owned(),
        )
    }
}
