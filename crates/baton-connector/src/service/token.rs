//! ConductorOne access tokens: exchanged for a signed client assertion at
//! `POST https://<host>/auth/v1/token` (OAuth2 client credentials with a
//! jwt-bearer assertion), reused until shortly before they expire, fetched
//! again after ConductorOne rejects one.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use tokio::sync::Mutex;
use tonic::metadata::{Ascii, MetadataValue};

use super::credentials::Credentials;
use super::jws::sign_assertion;
use super::rpc::error_chain;
use super::tls::TrustRoots;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// A token is replaced this long before it expires (oauth2's expiry delta)...
const REFRESH_MARGIN: Duration = Duration::from_secs(10);

/// Why no access token could be had. Never contains a token or the secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    #[error("cannot reach the ConductorOne token endpoint {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("ConductorOne refused the token request (HTTP {status}){detail}")]
    Rejected { status: u16, detail: String },
    #[error("the ConductorOne token response is not usable: {0}")]
    BadResponse(String),
    #[error("cannot build the token request: {0}")]
    Request(String),
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: String,
    #[serde(default)]
    expires_in: Option<f64>,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

#[derive(Clone)]
struct Cached {
    /// `<token_type> <access_token>`, marked sensitive.
    header: MetadataValue<Ascii>,
    /// `None`: no expiry was given; kept until ConductorOne rejects it.
    refresh_at: Option<Instant>,
}

/// Hands out the `authorization` value for ConductorOne calls.
pub struct TokenSource {
    http: reqwest::Client,
    token_url: String,
    credentials: Credentials,
    cache: Mutex<Option<Cached>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// A source posting to `token_url` over HTTP/1.1 with TLS ≥ 1.2 and `roots`.
    pub fn new(
        credentials: Credentials,
        token_url: String,
        roots: &TrustRoots,
        user_agent: &str,
    ) -> Result<Self, TokenError> {
        let mut certs = Vec::new();
        for der in roots.certificates() {
            // A system root reqwest cannot use is skipped, as rustls would.
            if let Ok(cert) = reqwest::Certificate::from_der(der.as_ref()) {
                certs.push(cert);
            }
        }
        let http = reqwest::Client::builder()
            .http1_only()
            .tls_version_min(reqwest::tls::Version::TLS_1_2)
            .tls_certs_only(certs)
            // The assertion must not follow a redirect to another host.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(user_agent)
            .build()
            .map_err(|e| TokenError::Request(error_chain(&e)))?;
        Ok(Self {
            http,
            token_url,
            credentials,
            cache: Mutex::new(None),
        })
    }

    /// The cached token's `authorization` value, or a fresh one.
    pub async fn authorization(&self) -> Result<MetadataValue<Ascii>, TokenError> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref() {
            if cached.refresh_at.is_none_or(|at| Instant::now() < at) {
                return Ok(cached.header.clone());
            }
            tracing::debug!("the ConductorOne access token is about to expire; fetching a new one");
        }
        let fresh = self.fetch().await?;
        let header = fresh.header.clone();
        *cache = Some(fresh);
        Ok(header)
    }

    /// Forgets `used` if it is still the cached token (ConductorOne rejected it).
    pub async fn invalidate(&self, used: &MetadataValue<Ascii>) {
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|c| c.header == *used) {
            *cache = None;
        }
    }

    async fn fetch(&self) -> Result<Cached, TokenError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let nonce: [u8; 16] = rand::random();
        let client_id = &self.credentials.client_id;
        let assertion = sign_assertion(client_id, &self.credentials.client_secret, now, nonce)
            .map_err(|e| TokenError::Request(e.to_string()))?;
        let form = [
            ("client_id", client_id.as_str()),
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion.as_str()),
        ];
        let started = Instant::now();
        let response = self
            .http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|e| TokenError::Unreachable {
                url: self.token_url.clone(),
                message: error_chain(&e),
            })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| TokenError::Unreachable {
                url: self.token_url.clone(),
                message: error_chain(&e),
            })?;
        if !status.is_success() {
            return Err(TokenError::Rejected {
                status: status.as_u16(),
                detail: rejection_detail(&body),
            });
        }
        let parsed: TokenResponse = serde_json::from_slice(&body)
            .map_err(|_| TokenError::BadResponse("the body is not a JSON token response".into()))?;
        if parsed.access_token.is_empty() {
            return Err(TokenError::BadResponse("the access token is empty".into()));
        }
        let value = zeroize::Zeroizing::new(format!(
            "{} {}",
            token_type(&parsed.token_type),
            parsed.access_token
        ));
        let mut header = MetadataValue::try_from(value.as_str()).map_err(|_| {
            TokenError::BadResponse("the access token has characters a header cannot carry".into())
        })?;
        header.set_sensitive(true);
        let lifetime = parsed
            .expires_in
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| Duration::from_secs_f64(s.min(86_400.0 * 365.0)));
        let refresh_at = lifetime.map(|l| started + l - refresh_margin(l));
        tracing::info!(
            expires_in_s = lifetime.map(|l| l.as_secs_f64()),
            "obtained a ConductorOne access token"
        );
        Ok(Cached { header, refresh_at })
    }
}

/// How long before expiry a token of `lifetime` is replaced: oauth2's 10 s,
/// or half the lifetime for tokens shorter than 20 s.
pub fn refresh_margin(lifetime: Duration) -> Duration {
    REFRESH_MARGIN.min(lifetime / 2)
}

/// oauth2's `Token.Type()`: empty means Bearer; known types get their canonical case.
fn token_type(raw: &str) -> &str {
    match raw.to_ascii_lowercase().as_str() {
        "" | "bearer" => "Bearer",
        "mac" => "MAC",
        "basic" => "Basic",
        _ => raw,
    }
}

/// The OAuth2 `error` / `error_description` of a refusal, printable and short.
fn rejection_detail(body: &[u8]) -> String {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let text = [parsed.error, parsed.error_description]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    let clean: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.is_empty() {
        String::new()
    } else {
        format!(": {clean}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_types_are_canonicalised_like_oauth2() {
        assert_eq!(token_type(""), "Bearer");
        assert_eq!(token_type("bearer"), "Bearer");
        assert_eq!(token_type("BEARER"), "Bearer");
        assert_eq!(token_type("mac"), "MAC");
        assert_eq!(token_type("DPoP"), "DPoP");
    }

    #[test]
    fn refresh_margin_is_ten_seconds_or_half_a_short_lifetime() {
        assert_eq!(
            refresh_margin(Duration::from_secs(3600)),
            Duration::from_secs(10)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(20)),
            Duration::from_secs(10)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(4)),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn rejection_details_are_short_and_clean() {
        let body = br#"{"error":"invalid_client","error_description":"bad\nassertion"}"#;
        assert_eq!(rejection_detail(body), ": invalid_client: badassertion");
        assert_eq!(rejection_detail(b"<html>oops</html>"), "");
        let long = format!(r#"{{"error":"{}"}}"#, "x".repeat(500));
        assert_eq!(rejection_detail(long.as_bytes()).len(), 202);
    }
}
