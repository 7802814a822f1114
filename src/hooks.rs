//! The generated client's requests go through dockhand's transport.
//!
//! The generated client asks for a `ClientHooks` implementation (the build
//! sets progenitor's hooks mode to "expected" and the client's inner value
//! to the [`Transport`]); this is it. `exec` hands each request to
//! [`Transport::send`] — or [`Transport::upgrade`] for the attach and exec
//! start endpoints, which answer `101` and hand the connection over — so
//! generated operations share the connections, span naming and error
//! mapping of every other request.

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{HeaderValue, CONNECTION, UPGRADE};

use crate::error::FailedExchange;
use crate::raw;
use crate::transport::Transport;

/// The operations whose generated request must ask for the upgrade the
/// daemon answers `101` to (the spec does not say so).
const UPGRADING_OPERATIONS: [&str; 2] = ["container_attach", "exec_start"];

impl ClientHooks<Transport> for raw::Client {
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
        let transport = self.inner();
        let upgrading = UPGRADING_OPERATIONS.contains(&info.operation_id)
            && request.headers().contains_key(UPGRADE);
        let request = http::Request::try_from(request)?;
        let result = if upgrading {
            transport
                .upgrade(info.operation_id, request)
                .await
                .map(|response| response.map(reqwest::Body::from))
        } else {
            transport
                .send(info.operation_id, request)
                .await
                .map(|response| response.map(|body| body.into_reqwest()))
        };
        Ok(match result {
            Ok(response) => reqwest::Response::from(response),
            Err(error) => FailedExchange::into_response(error),
        })
    }
}
