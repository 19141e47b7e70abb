//! Asana's error answers: a status and `{"errors":[{"message","help"}]}` (`phrase` on 500s).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::render::JsonWriter;

const HELP: &str =
    "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors";

pub(crate) const RATE_LIMIT_MESSAGE: &str =
    "You've made too many requests and hit a rate limit. Please retry after the given amount of time.";

/// An error answer the simulator sends, as Asana would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub phrase: Option<String>,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            phrase: None,
            retry_after_secs: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Not Authorized")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// An object that does not exist or that the caller may not see.
    pub fn unknown_object(param: &str, value: &str) -> Self {
        Self::not_found(format!("{param}: Unknown object: {value}"))
    }

    /// A value that cannot be an id at all.
    pub fn unrecognized_id(param: &str, value: &str) -> Self {
        Self::bad_request(format!("{param}: Not a recognized ID: {value}"))
    }

    pub fn missing_input(param: &str) -> Self {
        Self::bad_request(format!("{param}: Missing input"))
    }

    pub fn no_route() -> Self {
        Self::not_found("No matching route for request")
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        ApiError {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, RATE_LIMIT_MESSAGE)
        }
    }

    pub fn server_error(phrase: String) -> Self {
        ApiError {
            phrase: Some(phrase),
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Server Error")
        }
    }

    pub fn service_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The service is temporarily unavailable. Please try again later.",
        )
    }

    pub fn body_bytes(&self) -> Vec<u8> {
        let mut out = JsonWriter::with_capacity(256);
        out.begin_object();
        out.key("errors");
        out.begin_array();
        out.begin_object();
        out.key("message");
        out.string(&self.message);
        out.key("help");
        out.string(HELP);
        if let Some(phrase) = &self.phrase {
            out.key("phrase");
            out.string(phrase);
        }
        out.end_object();
        out.end_array();
        out.end_object();
        out.into_bytes()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body_bytes()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=UTF-8"),
        );
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_asana_shape() {
        let body: serde_json::Value =
            serde_json::from_slice(&ApiError::server_error("3 calm cats nap".into()).body_bytes())
                .unwrap();
        assert_eq!(body["errors"][0]["message"], "Server Error");
        assert_eq!(body["errors"][0]["phrase"], "3 calm cats nap");
        assert!(body["errors"][0]["help"].is_string());
        let plain: serde_json::Value =
            serde_json::from_slice(&ApiError::missing_input("workspace").body_bytes()).unwrap();
        assert_eq!(plain["errors"][0]["message"], "workspace: Missing input");
        assert!(plain["errors"][0].get("phrase").is_none());
    }
}
