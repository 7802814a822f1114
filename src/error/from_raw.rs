//! The one mapping from the generated client's errors to [`Error`].

use std::sync::{Arc, Mutex};

use progenitor_client::Error as RawError;

use super::{snippet, Error};

/// The most of an error body read: enough for any message a daemon sends,
/// little enough that an endless error answer costs nothing.
pub(crate) const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// The status of the stand-in answer that carries a failed exchange
/// through the generated client (see [`FailedExchange`]); no operation in
/// the spec documents it, so the generated code hands it back unexamined.
const FAILED_EXCHANGE_STATUS: u16 = 599;

/// A request of the generated client that failed in the transport.
///
/// progenitor's `exec` hook must return a reqwest result, and a reqwest
/// error cannot be built outside reqwest; so the hook answers with a
/// stand-in response carrying the real [`Error`] in its extensions, and
/// [`from_raw`] takes it back out.
#[derive(Clone)]
pub(crate) struct FailedExchange(Arc<Mutex<Option<Error>>>);

impl FailedExchange {
    /// The stand-in response for `error`.
    pub(crate) fn into_response(error: Error) -> reqwest::Response {
        let mut response = http::Response::new(reqwest::Body::from(Vec::new()));
        *response.status_mut() =
            http::StatusCode::from_u16(FAILED_EXCHANGE_STATUS).expect("a valid status code");
        response
            .extensions_mut()
            .insert(FailedExchange(Arc::new(Mutex::new(Some(error)))));
        reqwest::Response::from(response)
    }

    /// The error a stand-in response carries, if `response` is one.
    fn take(response: &reqwest::Response) -> Option<Error> {
        let failed = response.extensions().get::<FailedExchange>()?;
        failed.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// An error body the generated client decodes ([`ErrorResponse`](crate::models::ErrorResponse)
/// or none): yields the daemon's message. Used by
/// [`Docker::raw_error`](crate::Docker::raw_error).
pub trait DaemonMessage {
    /// The human-readable message the daemon sent, if any.
    fn into_message(self) -> Option<String>;
}

impl DaemonMessage for crate::raw::types::ErrorResponse {
    fn into_message(self) -> Option<String> {
        Some(self.message)
    }
}

impl DaemonMessage for () {
    fn into_message(self) -> Option<String> {
        None
    }
}

/// Map an error of the generated client to dockhand's [`Error`].
///
/// `operation` names what was attempted and `host` the daemon address, so
/// the resulting error says both. Responses the spec did not list are read
/// here to recover the daemon's message.
pub(crate) async fn from_raw<E: DaemonMessage>(
    raw: RawError<E>,
    operation: &'static str,
    host: &str,
) -> Error {
    let transport = |source: reqwest::Error| Error::transport(host, operation, source);
    match raw {
        RawError::InvalidRequest(message) => Error::invalid(operation, message),
        RawError::ResponseBodyError(source) => match too_large(&source) {
            Some(limit) => Error::ResponseTooLarge { operation, limit },
            None => transport(source),
        },
        RawError::CommunicationError(source) | RawError::InvalidUpgrade(source) => {
            transport(source)
        }
        RawError::ErrorResponse(response) => {
            let status = response.status().as_u16();
            let message = response
                .into_inner()
                .into_message()
                .unwrap_or_else(|| status_text(status));
            by_status(operation, status, message)
        }
        RawError::InvalidResponsePayload(body, source) => Error::decode(operation, &body, source),
        RawError::UnexpectedResponse(mut response) => {
            if let Some(error) = FailedExchange::take(&response) {
                return error.with_operation(operation);
            }
            let status = response.status().as_u16();
            let mut body = Vec::new();
            while body.len() < ERROR_BODY_LIMIT {
                match response.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    Ok(None) => break,
                    Err(source) => return transport(source),
                }
            }
            // The hook made the body a JSON message (redirects included).
            by_status(operation, status, message_from_body(status, &body))
        }
        RawError::Custom(message) => Error::transport(host, operation, message),
    }
}

/// The error for a non-success answer: its status, the `Location` of a
/// redirect (never followed), and (the start of) its body.
pub(crate) fn from_status(
    operation: &'static str,
    status: u16,
    location: Option<&str>,
    body: &[u8],
) -> Error {
    by_status(operation, status, error_message(status, location, body))
}

/// The message of a non-success answer: the daemon's (JSON `message`, or
/// the body text, or the reason phrase), and for a redirect where it
/// pointed.
pub(crate) fn error_message(status: u16, location: Option<&str>, body: &[u8]) -> String {
    let message = message_from_body(status, body);
    if (300..400).contains(&status) && status != 304 {
        return format!(
            "the daemon redirected to {} ({message}); dockhand does not follow redirects",
            location.unwrap_or("an unnamed location")
        );
    }
    message
}

/// A response's `Location` header, if it has a readable one.
pub(crate) fn location(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get(http::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// The limit a body read ran over, if that is why it failed.
fn too_large(error: &(dyn std::error::Error + 'static)) -> Option<usize> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(too_large) = error.downcast_ref::<crate::transport::BodyTooLarge>() {
            return Some(too_large.limit);
        }
        next = error.source();
    }
    None
}

/// Pick the variant for an error status.
fn by_status(operation: &'static str, status: u16, message: String) -> Error {
    match status {
        304 => Error::NotModified { operation },
        404 => Error::not_found(operation, message),
        409 => Error::Conflict { operation, message },
        _ => Error::Api {
            operation,
            status,
            message,
        },
    }
}

/// The daemon's message from an error body: its JSON `message` field, else
/// the body text, else the status's reason phrase.
fn message_from_body(status: u16, body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Message {
        message: String,
    }
    if let Ok(parsed) = serde_json::from_slice::<Message>(body) {
        return parsed.message;
    }
    let text = snippet(body);
    let text = text.trim();
    if text.is_empty() {
        status_text(status)
    } else {
        text.to_owned()
    }
}

/// A fallback message for a status that came without one.
fn status_text(status: u16) -> String {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason())
        .unwrap_or("unexpected status")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::types::ErrorResponse;
    use progenitor_client::ResponseValue;
    use reqwest::header::HeaderMap;
    use reqwest::StatusCode;

    fn documented(status: u16, message: &str) -> RawError<ErrorResponse> {
        RawError::ErrorResponse(ResponseValue::new(
            ErrorResponse {
                message: message.to_owned(),
            },
            StatusCode::from_u16(status).unwrap(),
            HeaderMap::new(),
        ))
    }

    fn undocumented(status: u16, body: &'static str) -> RawError<ErrorResponse> {
        let response = http::Response::builder().status(status).body(body).unwrap();
        RawError::UnexpectedResponse(reqwest::Response::from(response))
    }

    async fn map(raw: RawError<ErrorResponse>) -> Error {
        from_raw(raw, "ContainerInspect", "unix:///run/test.sock").await
    }

    #[tokio::test]
    async fn status_404_is_not_found_with_the_daemon_message() {
        let err = map(documented(404, "No such container: web")).await;
        assert!(err.is_not_found(), "{err:?}");
        assert_eq!(
            err.to_string(),
            "ContainerInspect: container not found: No such container: web"
        );
    }

    #[tokio::test]
    async fn status_409_is_conflict() {
        let err = map(documented(409, "name in use")).await;
        assert!(err.is_conflict(), "{err:?}");
        assert_eq!(err.status(), Some(409));
    }

    #[tokio::test]
    async fn status_304_is_not_modified() {
        let err = map(undocumented(304, "")).await;
        assert!(matches!(err, Error::NotModified { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn status_500_and_400_are_api_errors_with_status_and_message() {
        for status in [400, 500, 503] {
            let err = map(documented(status, "boom")).await;
            match err {
                Error::Api {
                    status: got,
                    message,
                    operation,
                } => {
                    assert_eq!(got, status);
                    assert_eq!(message, "boom");
                    assert_eq!(operation, "ContainerInspect");
                }
                other => panic!("status {status}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn undocumented_status_reads_the_json_message() {
        let err = map(undocumented(409, r#"{"message":"already paused"}"#)).await;
        match err {
            Error::Conflict { message, .. } => assert_eq!(message, "already paused"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn undocumented_status_with_text_body_keeps_the_text() {
        let err = map(undocumented(400, "client version 1.99 is too new\n")).await;
        match err {
            Error::Api {
                status, message, ..
            } => {
                assert_eq!(status, 400);
                assert_eq!(message, "client version 1.99 is too new");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn undocumented_status_with_empty_body_uses_the_reason_phrase() {
        let err = map(undocumented(502, "")).await;
        assert_eq!(
            err.to_string(),
            "ContainerInspect: daemon answered 502: Bad Gateway"
        );
    }

    #[tokio::test]
    async fn invalid_payload_is_decode_with_a_short_snippet() {
        let body = bytes::Bytes::from(vec![b'x'; 5000]);
        let source = serde_json::from_slice::<ErrorResponse>(&body).unwrap_err();
        let err = map(RawError::InvalidResponsePayload(body, source)).await;
        match &err {
            Error::Decode { snippet, .. } => assert!(snippet.len() < 300, "{}", snippet.len()),
            other => panic!("{other:?}"),
        }
        assert!(std::error::Error::source(&err).is_some());
    }

    #[tokio::test]
    async fn invalid_request_is_invalid_argument() {
        let err = map(RawError::InvalidRequest("bad header".into())).await;
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn connection_failure_is_transport_naming_the_host() {
        let http = reqwest::Client::builder()
            .unix_socket("/nonexistent/dockhand-test.sock")
            .build()
            .unwrap();
        let source = http.get("http://docker/_ping").send().await.unwrap_err();
        let err = map(RawError::CommunicationError(source)).await;
        assert!(err.is_transport(), "{err:?}");
        assert!(err.to_string().contains("unix:///run/test.sock"), "{err}");
    }
}
