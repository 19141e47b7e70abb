//! Asana API errors as connector errors, with a hint saying what to do.

use asana_api::{Error as ApiError, ErrorKind};
use baton_connector::{ConnectorError, ErrorCode};

/// Classifies an API error and appends the operator's next step.
pub fn from_api(error: ApiError) -> ConnectorError {
    let (code, hint) = match error.kind() {
        ErrorKind::Unauthorized => (
            ErrorCode::Unauthenticated,
            "Asana rejected the token: check --token / BATON_TOKEN (it may be expired, revoked, or personal access tokens may be disabled for the domain)",
        ),
        ErrorKind::PaymentRequired => (
            ErrorCode::PermissionDenied,
            "this needs a paid Asana plan for the domain",
        ),
        ErrorKind::Forbidden => (
            ErrorCode::PermissionDenied,
            "the token's user is not allowed to do this; use a token of a workspace admin (or a service account)",
        ),
        ErrorKind::NotFound => (
            ErrorCode::NotFound,
            "the object does not exist or is not visible to this token",
        ),
        ErrorKind::BadRequest => (ErrorCode::InvalidArgument, ""),
        ErrorKind::OffsetExpired => (
            ErrorCode::Unavailable,
            "the listing's page offset expired; it will be restarted",
        ),
        ErrorKind::RateLimited => (
            ErrorCode::Unavailable,
            "Asana kept answering 429 Too Many Requests; lower --asana-rate-limit or run when the token is less busy",
        ),
        ErrorKind::Server | ErrorKind::Timeout => (
            ErrorCode::Unavailable,
            "Asana did not answer successfully after retries; try again later",
        ),
        ErrorKind::Transport => (
            ErrorCode::Unavailable,
            "cannot reach Asana: check --asana-api-url, DNS, proxies and network access",
        ),
        ErrorKind::MalformedResponse => (
            ErrorCode::Internal,
            "Asana's answer was incomplete or malformed; nothing was written as complete",
        ),
        ErrorKind::InvalidConfig => (ErrorCode::InvalidArgument, ""),
        _ => (ErrorCode::Internal, ""),
    };
    let message = if hint.is_empty() {
        error.to_string()
    } else {
        format!("{error} — {hint}")
    };
    ConnectorError::new(code, message)
}
