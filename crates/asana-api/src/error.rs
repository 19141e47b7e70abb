//! Typed errors.
//!
//! Every error that came from a request carries the HTTP method, the request path (never the query
//! string, never a header) and, when Asana answered, the status and the `errors[].message` texts of its
//! error body. Nothing in here ever holds the token: errors are built from our own request description
//! and from response bodies, and transport errors are reduced to their message text without URL.

use std::fmt;

/// What went wrong, coarse enough to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400 on a request that did not carry a pagination offset.
    BadRequest,
    /// 401: missing, invalid or revoked token (or the app is disabled for the workspace).
    Unauthorized,
    /// 402: the object or mutation needs a higher Asana plan.
    PaymentRequired,
    /// 403: authenticated but not allowed.
    Forbidden,
    /// 404: the object does not exist or is not visible to the token.
    NotFound,
    /// 400 on a request that carried a pagination offset: the offset expired or is invalid. A list
    /// stream restarts on it (bounded); this kind escapes only when the restarts are used up or when
    /// [`crate::ListRequest::page`] is called directly.
    OffsetExpired,
    /// 429 and the retry budget (attempts or total wait) is used up.
    RateLimited,
    /// 5xx after retries (reads) or on a write whose effect could not be confirmed.
    Server,
    /// Any other unexpected HTTP status (e.g. 412, 451).
    UnexpectedStatus,
    /// Connection refused/reset, TLS failure, body cut short.
    Transport,
    /// Connect or request timeout.
    Timeout,
    /// The answer is not what Asana's protocol promises: not JSON, no `data`, a list without the
    /// `next_page` key, an item without `gid`, a field of the wrong type.
    MalformedResponse,
    /// The client configuration is unusable (e.g. `http://` to a non-loopback host).
    InvalidConfig,
}

impl ErrorKind {
    /// Kind for an HTTP error status (no retry logic here).
    pub(crate) fn from_status(status: u16, had_offset: bool) -> Self {
        match status {
            400 if had_offset => ErrorKind::OffsetExpired,
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Unauthorized,
            402 => ErrorKind::PaymentRequired,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::UnexpectedStatus,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "bad request",
            ErrorKind::Unauthorized => "unauthorized (token missing, invalid or revoked)",
            ErrorKind::PaymentRequired => "payment required (needs a higher Asana plan)",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not found (or not visible to this token)",
            ErrorKind::OffsetExpired => "pagination offset expired or invalid",
            ErrorKind::RateLimited => "rate limited, retry budget exhausted",
            ErrorKind::Server => "Asana server error",
            ErrorKind::UnexpectedStatus => "unexpected HTTP status",
            ErrorKind::Transport => "transport error",
            ErrorKind::Timeout => "timed out",
            ErrorKind::MalformedResponse => "malformed response",
            ErrorKind::InvalidConfig => "invalid client configuration",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// An error from the Asana client. Cheap to clone.
#[derive(Debug, Clone, thiserror::Error)]
pub struct Error {
    kind: ErrorKind,
    status: Option<u16>,
    method: Option<&'static str>,
    path: Option<String>,
    asana_messages: Vec<String>,
    detail: Option<String>,
    attempts: u32,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Error {
            kind,
            status: None,
            method: None,
            path: None,
            asana_messages: Vec::new(),
            detail: None,
            attempts: 0,
        }
    }

    pub(crate) fn config(detail: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidConfig).with_detail(detail)
    }

    pub(crate) fn with_request(mut self, method: &'static str, path: &str) -> Self {
        self.method = Some(method);
        self.path = Some(path.to_owned());
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub(crate) fn with_asana_messages(mut self, messages: Vec<String>) -> Self {
        self.asana_messages = messages;
        self
    }

    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The coarse category.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status of the (last) answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// HTTP method of the failed request (`GET`, `POST`).
    pub fn method(&self) -> Option<&'static str> {
        self.method
    }

    /// Request path below the base URL, without query string (e.g. `/teams/123/addUser`).
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The first `errors[].message` of Asana's error body.
    pub fn asana_message(&self) -> Option<&str> {
        self.asana_messages.first().map(String::as_str)
    }

    /// All `errors[].message` texts of Asana's error body.
    pub fn asana_messages(&self) -> &[String] {
        &self.asana_messages
    }

    /// How many attempts were made before giving up (0 when no request was sent).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Whether a later, independent retry (e.g. the next scheduled sync) might succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::RateLimited
                | ErrorKind::Server
                | ErrorKind::Transport
                | ErrorKind::Timeout
                | ErrorKind::OffsetExpired
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(method), Some(path)) = (self.method, &self.path) {
            write!(f, "{method} {path}: ")?;
        }
        write!(f, "{}", self.kind)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        if !self.asana_messages.is_empty() {
            write!(f, ": {}", self.asana_messages.join("; "))?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_method_path_status_and_message() {
        let e = Error::new(ErrorKind::Forbidden)
            .with_request("POST", "/workspaces/1/removeUser")
            .with_status(403)
            .with_asana_messages(vec!["Only admins can remove users".into()]);
        assert_eq!(
            e.to_string(),
            "POST /workspaces/1/removeUser: forbidden (HTTP 403): Only admins can remove users"
        );
        assert_eq!(e.asana_message(), Some("Only admins can remove users"));
        assert_eq!(e.status(), Some(403));
        assert_eq!(e.kind(), ErrorKind::Forbidden);
        assert!(!e.is_transient());
    }

    #[test]
    fn kinds_from_status() {
        assert_eq!(ErrorKind::from_status(400, true), ErrorKind::OffsetExpired);
        assert_eq!(ErrorKind::from_status(400, false), ErrorKind::BadRequest);
        assert_eq!(ErrorKind::from_status(401, false), ErrorKind::Unauthorized);
        assert_eq!(
            ErrorKind::from_status(402, false),
            ErrorKind::PaymentRequired
        );
        assert_eq!(ErrorKind::from_status(404, true), ErrorKind::NotFound);
        assert_eq!(ErrorKind::from_status(503, false), ErrorKind::Server);
        assert_eq!(
            ErrorKind::from_status(412, false),
            ErrorKind::UnexpectedStatus
        );
    }

    #[test]
    fn attempts_shown_only_when_retried() {
        let e = Error::new(ErrorKind::Server)
            .with_request("GET", "/workspaces")
            .with_status(503)
            .with_attempts(5);
        assert!(e.to_string().ends_with("(after 5 attempts)"));
        assert!(e.is_transient());
    }
}
