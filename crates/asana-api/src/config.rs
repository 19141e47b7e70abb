//! Client configuration and its validation.

use std::net::IpAddr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::{Host, Url};

use crate::error::Error;
use crate::retry::RetryPolicy;

/// The public Asana REST API.
pub const DEFAULT_BASE_URL: &str = "https://app.asana.com/api/1.0";
/// Requests per minute on paid Asana plans (free plans: 150).
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 1500;
/// Asana's cap on concurrent GETs per token.
pub const DEFAULT_MAX_CONCURRENT_READS: usize = 50;
/// Asana's cap on concurrent POST/PUT/PATCH/DELETE per token.
pub const DEFAULT_MAX_CONCURRENT_WRITES: usize = 15;

/// Everything [`crate::AsanaClient::new`] needs. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL including `/api/1.0`. `https://` anywhere; `http://` only for loopback hosts
    /// (127.0.0.0/8, ::1, `localhost`).
    pub base_url: String,
    /// Personal access token, OAuth bearer or service-account token.
    pub token: SecretString,
    /// Client-side budget in requests per minute; 0 means unlimited.
    pub requests_per_minute: u32,
    /// Maximum GETs in flight (Asana allows 50).
    pub max_concurrent_reads: usize,
    /// Maximum writes in flight (Asana allows 15).
    pub max_concurrent_writes: usize,
    /// TCP+TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout (one attempt, headers and body).
    pub request_timeout: Duration,
    /// Retry policy for reads, 429s and write verification.
    pub retry: RetryPolicy,
    /// How many times one list stream restarts from its first page after an expired offset.
    pub max_list_restarts: u32,
    /// `User-Agent`; defaults to `baton-asana/<version>`.
    pub user_agent: Option<String>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            token: SecretString::from(String::new()),
            requests_per_minute: DEFAULT_REQUESTS_PER_MINUTE,
            max_concurrent_reads: DEFAULT_MAX_CONCURRENT_READS,
            max_concurrent_writes: DEFAULT_MAX_CONCURRENT_WRITES,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            max_list_restarts: 3,
            user_agent: None,
        }
    }
}

/// The default `User-Agent`.
pub fn default_user_agent() -> String {
    format!("baton-asana/{}", env!("CARGO_PKG_VERSION"))
}

impl ClientConfig {
    /// A default configuration with the given token.
    pub fn with_token(token: impl Into<String>) -> Self {
        ClientConfig {
            token: SecretString::from(token.into()),
            ..ClientConfig::default()
        }
    }

    /// Check every field; returns the parsed base URL.
    pub(crate) fn validate(&self) -> Result<Url, Error> {
        let base = validate_base_url(&self.base_url)?;
        let token = self.token.expose_secret();
        if token.trim().is_empty() {
            return Err(Error::config("the API token is empty"));
        }
        if token.chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::config(
                "the API token contains whitespace or control characters",
            ));
        }
        if self.max_concurrent_reads == 0 || self.max_concurrent_writes == 0 {
            return Err(Error::config(
                "max_concurrent_reads and max_concurrent_writes must be at least 1",
            ));
        }
        if self.connect_timeout.is_zero() || self.request_timeout.is_zero() {
            return Err(Error::config("timeouts must be greater than zero"));
        }
        self.retry.validate()?;
        if let Some(ua) = &self.user_agent {
            if ua.is_empty() || ua.chars().any(|c| c.is_control()) {
                return Err(Error::config(
                    "user_agent is empty or has control characters",
                ));
            }
        }
        Ok(base)
    }
}

/// Parse the base URL: `https` anywhere, `http` only to loopback, no query/fragment/credentials.
pub(crate) fn validate_base_url(raw: &str) -> Result<Url, Error> {
    let mut url = Url::parse(raw.trim())
        .map_err(|e| Error::config(format!("base_url {raw:?} is not a URL: {e}")))?;
    if url.cannot_be_a_base() {
        return Err(Error::config(format!(
            "base_url {raw:?} cannot be a base URL"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config("base_url must not contain credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config("base_url must not have a query or fragment"));
    }
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match url.host() {
                Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if !loopback {
                return Err(Error::config(format!(
                    "base_url {raw:?} uses plain http to a non-loopback host; use https"
                )));
            }
        }
        other => {
            return Err(Error::config(format!(
                "base_url scheme {other:?} is not supported (https, or http for loopback)"
            )))
        }
    }
    // Normalise: no trailing slash, so that segments are appended below the base path.
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for ok in [
            "https://app.asana.com/api/1.0",
            "https://app.asana.com/api/1.0/",
            "http://127.0.0.1:8080/api/1.0",
            "http://127.1.2.3/api/1.0",
            "http://[::1]:9000/api/1.0",
            "http://localhost:3000/api/1.0",
            "http://LOCALHOST/api/1.0",
        ] {
            let u = validate_base_url(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert!(!u.path().ends_with('/'), "{u}");
        }
        for bad in [
            "http://app.asana.com/api/1.0",
            "http://10.0.0.1/api/1.0",
            "http://[::2]/api/1.0",
            "http://localhost.evil.com/api/1.0",
            "ftp://127.0.0.1/api",
            "not a url",
            "https://user:pw@app.asana.com/api/1.0",
            "https://app.asana.com/api/1.0?x=1",
        ] {
            let e = validate_base_url(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{bad}");
        }
    }

    #[test]
    fn default_config_needs_a_token() {
        let e = ClientConfig::default().validate().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(ClientConfig::with_token("0/abc").validate().is_ok());
        assert!(ClientConfig::with_token("a b").validate().is_err());
    }

    #[test]
    fn debug_redacts_token() {
        let cfg = ClientConfig::with_token("SUPERSECRET-TOKEN-123");
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("SUPERSECRET"), "{dbg}");
        assert!(dbg.contains("REDACTED"), "{dbg}");
    }

    #[test]
    fn default_user_agent_names_the_connector() {
        assert!(default_user_agent().starts_with("baton-asana/"));
    }
}
