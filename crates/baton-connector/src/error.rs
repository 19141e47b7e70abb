//! Errors a connector reports, classified like the gRPC codes baton uses so the
//! engine (and, later, service mode) can decide what is retryable.

use std::fmt;

/// What kind of failure a connector call had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The credentials were rejected.
    Unauthenticated,
    /// Authenticated, but not allowed to do this.
    PermissionDenied,
    /// The object does not exist or is not visible.
    NotFound,
    /// The request itself is wrong (unknown id, unsupported entitlement, ...).
    InvalidArgument,
    /// The system is not in a state where this can be done (e.g. provisioning disabled).
    FailedPrecondition,
    /// A temporary failure; trying again later may work.
    Unavailable,
    /// A plan or licence limit.
    ResourceExhausted,
    /// Anything else.
    Internal,
}

impl ErrorCode {
    /// The gRPC status code number (for service mode's FinishTask status).
    pub fn grpc_code(self) -> i32 {
        match self {
            ErrorCode::InvalidArgument => 3,
            ErrorCode::NotFound => 5,
            ErrorCode::PermissionDenied => 7,
            ErrorCode::ResourceExhausted => 8,
            ErrorCode::FailedPrecondition => 9,
            ErrorCode::Internal => 13,
            ErrorCode::Unavailable => 14,
            ErrorCode::Unauthenticated => 16,
        }
    }

    /// Whether trying the same call again later could succeed.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorCode::Unavailable)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::PermissionDenied => "permission denied",
            ErrorCode::NotFound => "not found",
            ErrorCode::InvalidArgument => "invalid argument",
            ErrorCode::FailedPrecondition => "failed precondition",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::ResourceExhausted => "resource exhausted",
            ErrorCode::Internal => "internal error",
        };
        f.write_str(name)
    }
}

/// An error from a connector, with a one-line message meant for the operator.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ConnectorError {
    pub code: ErrorCode,
    pub message: String,
}

impl ConnectorError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn failed_precondition(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::FailedPrecondition, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}
