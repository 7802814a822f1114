//! The one mapping from the generated client's errors to [`Error`].

use progenitor_client::Error as RawError;

use super::{snippet, Error};

/// An error body the generated client decoded: yields the daemon's message.
pub(crate) trait DaemonMessage {
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
    let transport = |source: reqwest::Error| Error::Transport {
        host: host.to_owned(),
        operation,
        source: Box::new(source),
    };
    match raw {
        RawError::InvalidRequest(message) => Error::invalid(message),
        RawError::CommunicationError(source)
        | RawError::InvalidUpgrade(source)
        | RawError::ResponseBodyError(source) => transport(source),
        RawError::ErrorResponse(response) => {
            let status = response.status().as_u16();
            let message = response
                .into_inner()
                .into_message()
                .unwrap_or_else(|| status_text(status));
            by_status(operation, status, message)
        }
        RawError::InvalidResponsePayload(body, source) => Error::decode(operation, &body, source),
        RawError::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            match response.bytes().await {
                Ok(body) => by_status(operation, status, message_from_body(status, &body)),
                Err(source) => transport(source),
            }
        }
        RawError::Custom(message) => Error::Transport {
            host: host.to_owned(),
            operation,
            source: message.into(),
        },
    }
}

/// Pick the variant for an error status.
fn by_status(operation: &'static str, status: u16, message: String) -> Error {
    match status {
        304 => Error::NotModified { operation },
        404 => Error::NotFound { operation, message },
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
            "ContainerInspect: not found: No such container: web"
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
