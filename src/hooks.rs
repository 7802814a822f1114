//! Tracing for every generated-client call: one span per operation.
//!
//! The generated client asks for a `ClientHooks` implementation (the build
//! sets progenitor's hooks mode to "expected"); this is it. Each request runs
//! inside a `docker` span naming the operation, method and path, and the
//! outcome is logged at debug level, so `RUST_LOG=dockhand=debug` shows what
//! the client sent.

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{HeaderValue, CONNECTION, UPGRADE};
use tracing::Instrument;

use crate::raw;

impl ClientHooks for raw::Client {
    /// The attach endpoint answers `101` (a hijacked connection) only when
    /// the request asks to upgrade; the generated request does not, so ask
    /// here, which makes the raw `container_attach` usable.
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if info.operation_id == "container_attach" {
            let headers = request.headers_mut();
            headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
            headers.insert(UPGRADE, HeaderValue::from_static("tcp"));
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let span = tracing::debug_span!(
            "docker",
            operation = info.operation_id,
            method = %request.method(),
            path = request.url().path(),
        );
        let client = progenitor_client::ClientInfo::client(self);
        async move {
            let result = client.execute(request).await;
            match &result {
                Ok(response) => tracing::debug!(status = response.status().as_u16(), "response"),
                Err(error) => tracing::debug!(%error, "request failed"),
            }
            result
        }
        .instrument(span)
        .await
    }
}
