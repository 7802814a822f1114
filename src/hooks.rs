//! Tracing for every generated-client call: one span per operation.
//!
//! The generated client asks for a `ClientHooks` implementation (the build
//! sets progenitor's hooks mode to "expected"); this is it. Each request runs
//! inside a `docker` span naming the operation, method and path, and the
//! outcome is logged at debug level, so `RUST_LOG=dockhand=debug` shows what
//! the client sent.

use progenitor_client::{ClientHooks, OperationInfo};
use tracing::Instrument;

use crate::raw;

impl ClientHooks for raw::Client {
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
