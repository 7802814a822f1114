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

use crate::error::{error_message, location, FailedExchange, ERROR_BODY_LIMIT};
use crate::raw;
use crate::transport::{ResponseBody, Transport};
use crate::{Error, Result};

include!(concat!(env!("OUT_DIR"), "/streamed_operations.rs"));

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
            Box::pin(transport.upgrade(info.operation_id, request))
                .await
                .map(|response| response.map(reqwest::Body::from))
        } else {
            match Box::pin(transport.send(info.operation_id, request)).await {
                Ok(response) if !response.status().is_success() => {
                    error_answer(response, transport, info.operation_id).await
                }
                Ok(response) if STREAMED_OPERATIONS.contains(&info.operation_id) => {
                    Ok(response.map(ResponseBody::into_reqwest))
                }
                Ok(response) => {
                    let limit = transport.max_response_size();
                    Ok(response.map(|body| body.into_reqwest_limited(limit)))
                }
                Err(error) => Err(error),
            }
        };
        Ok(match result {
            Ok(response) => reqwest::Response::from(response),
            Err(error) => FailedExchange::into_response(error),
        })
    }
}

/// An error answer as the generated client expects it: a JSON
/// `{"message": …}` whatever the daemon sent (Podman and proxies answer
/// some errors in plain text; a redirect's body says nothing useful), read
/// from at most [`ERROR_BODY_LIMIT`] bytes, so an endless error body costs
/// nothing and the status is never lost to a decode error.
async fn error_answer(
    response: http::Response<ResponseBody>,
    transport: &Transport,
    operation: &'static str,
) -> Result<http::Response<reqwest::Body>> {
    let (mut parts, body) = response.into_parts();
    let (text, _) = body
        .read_up_to(ERROR_BODY_LIMIT)
        .await
        .map_err(|source| Error::transport(transport.host(), operation, source))?;
    let message = error_message(
        parts.status.as_u16(),
        location(&parts.headers).as_deref(),
        &text,
    );
    let json = serde_json::json!({ "message": message }).to_string();
    parts.headers.remove(http::header::CONTENT_LENGTH);
    parts.headers.remove(http::header::TRANSFER_ENCODING);
    parts.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(http::Response::from_parts(parts, reqwest::Body::from(json)))
}
