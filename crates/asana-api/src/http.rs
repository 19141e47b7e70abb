//! The request layer every call goes through: URL building, the budget ([`crate::limiter`]), one
//! HTTP attempt, Asana's envelopes and error bodies, and the retry loop driven by
//! [`crate::retry`]. API-area modules only describe requests and decode answers.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::time::Instant;
use url::Url;

use crate::config::{default_user_agent, ClientConfig};
use crate::error::{Error, ErrorKind};
use crate::limiter::{Class, Limiter, LimiterConfig, Priority};
use crate::metrics::{Metrics, Outcome};
use crate::retry::{classify, parse_retry_after, Failure, RetryPolicy, Verdict, WaitHint};

/// One request, described without reference to any HTTP library state.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub method: Method,
    /// Route template for metrics, e.g. `/teams/{team_gid}/addUser`.
    pub route: &'static str,
    /// Path segments below the base URL, unencoded (`["teams", "123", "addUser"]`).
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    /// JSON body (writes).
    pub body: Option<serde_json::Value>,
    pub priority: Priority,
}

impl ApiRequest {
    pub(crate) fn get(route: &'static str, segments: Vec<String>) -> Self {
        ApiRequest {
            method: Method::GET,
            route,
            segments,
            query: Vec::new(),
            body: None,
            priority: Priority::Normal,
        }
    }

    pub(crate) fn post(
        route: &'static str,
        segments: Vec<String>,
        body: serde_json::Value,
    ) -> Self {
        ApiRequest {
            method: Method::POST,
            route,
            segments,
            query: Vec::new(),
            body: Some(body),
            priority: Priority::Normal,
        }
    }

    pub(crate) fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), value.into()));
        self
    }

    pub(crate) fn opt_fields(self, fields: &[&str]) -> Self {
        if fields.is_empty() {
            self
        } else {
            self.query("opt_fields", fields.join(","))
        }
    }

    pub(crate) fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    /// Path for messages: `/a/b/c`, no query string.
    pub(crate) fn display_path(&self) -> String {
        let mut s = String::new();
        for seg in &self.segments {
            s.push('/');
            s.push_str(seg);
        }
        s
    }

    fn method_str(&self) -> &'static str {
        method_str(&self.method)
    }

    fn carries_offset(&self) -> bool {
        self.query.iter().any(|(k, _)| k == "offset")
    }
}

pub(crate) fn method_str(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}

/// Why a 2xx body could not be used.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// Not (complete) JSON: typically a body cut short. Worth retrying a read.
    Syntax(String),
    /// Valid JSON that breaks the protocol (no `data`, no `next_page` key, wrong types). Final.
    Protocol(String),
}

impl DecodeError {
    pub(crate) fn from_json(e: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        match e.classify() {
            Category::Syntax | Category::Eof | Category::Io => DecodeError::Syntax(e.to_string()),
            Category::Data => DecodeError::Protocol(e.to_string()),
        }
    }
}

/// `{"data": T}`.
#[derive(Deserialize)]
struct DataEnvelope<T> {
    data: T,
}

/// Decode `{"data": T}`.
pub(crate) fn decode_data<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    serde_json::from_slice::<DataEnvelope<T>>(body)
        .map(|e| e.data)
        .map_err(|e| DecodeError::from_json(&e))
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    phrase: Option<String>,
}

/// `errors[].message` (with the 500 `phrase` appended, which Asana support asks for).
fn asana_messages(body: &[u8]) -> Vec<String> {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(b) => b
            .errors
            .into_iter()
            .filter_map(|e| match (e.message, e.phrase) {
                (Some(m), Some(p)) => Some(format!("{m} (phrase: {p})")),
                (Some(m), None) => Some(m),
                (None, Some(p)) => Some(format!("phrase: {p}")),
                (None, None) => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// One failed attempt: what retrying needs to know, and the error to report if we stop here.
struct AttemptError {
    failure: Option<Failure>,
    error: Error,
}

/// Shared state behind every clone of a client.
pub(crate) struct Transport {
    http: reqwest::Client,
    base: Url,
    token: SecretString,
    pub(crate) limiter: Arc<Limiter>,
    pub(crate) metrics: Metrics,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_list_restarts: u32,
}

impl Transport {
    pub(crate) fn base_url(&self) -> &Url {
        &self.base
    }

    pub(crate) fn new(config: ClientConfig) -> Result<Self, Error> {
        let base = config.validate()?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let ua = config.user_agent.clone().unwrap_or_else(default_user_agent);
        let http = reqwest::Client::builder()
            .user_agent(ua)
            .default_headers(headers)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .gzip(true)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(config.max_concurrent_reads + config.max_concurrent_writes)
            // Asana does not redirect API calls; never carry the token anywhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::config(format!("cannot build HTTP client: {}", error_chain(&e))))?;
        let limiter = Limiter::new(LimiterConfig {
            requests_per_minute: config.requests_per_minute,
            max_reads: config.max_concurrent_reads,
            max_writes: config.max_concurrent_writes,
        });
        Ok(Transport {
            http,
            base,
            token: config.token,
            limiter,
            metrics: Metrics::default(),
            retry: config.retry,
            max_list_restarts: config.max_list_restarts,
        })
    }

    pub(crate) fn url(&self, req: &ApiRequest) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty().extend(req.segments.iter());
        }
        if !req.query.is_empty() {
            url.query_pairs_mut().extend_pairs(req.query.iter());
        }
        url
    }

    fn auth_header(&self) -> Result<HeaderValue, Error> {
        let mut v = HeaderValue::try_from(format!("Bearer {}", self.token.expose_secret()))
            .map_err(|_| Error::config("the API token is not a valid header value"))?;
        v.set_sensitive(true);
        Ok(v)
    }

    /// Send `req` under the budget, retrying as [`crate::retry`] decides, and decode the 2xx body.
    pub(crate) async fn execute<R>(
        &self,
        req: &ApiRequest,
        decode: impl Fn(&[u8]) -> Result<R, DecodeError>,
    ) -> Result<R, Error> {
        let idempotent = req.method == Method::GET;
        let class = if idempotent {
            Class::Read
        } else {
            Class::Write
        };
        let mut attempt: u32 = 0;
        let mut waited = Duration::ZERO;
        loop {
            attempt += 1;
            let (permit, limiter_wait) = self.limiter.acquire(req.priority, class).await;
            self.metrics.limiter_wait(limiter_wait);
            let result = self.attempt(req, &decode).await;
            drop(permit);
            let failed = match result {
                Ok(r) => return Ok(r),
                Err(f) => f,
            };
            let verdict = failed
                .failure
                .map_or(Verdict::Fail, |f| classify(f, idempotent));
            let (hint, pause_client) = match verdict {
                Verdict::Fail => return Err(failed.error.with_attempts(attempt)),
                Verdict::Retry { hint, pause_client } => (hint, pause_client),
            };
            let give_up_kind = if pause_client {
                ErrorKind::RateLimited
            } else {
                failed.error.kind()
            };
            if attempt >= self.retry.max_attempts {
                return Err(failed.error.with_kind(give_up_kind).with_attempts(attempt));
            }
            let delay = {
                let mut rng = rand::rng();
                self.retry.delay(attempt, hint, &mut rng)
            };
            if waited + delay > self.retry.max_total_wait {
                return Err(failed
                    .error
                    .with_kind(give_up_kind)
                    .with_attempts(attempt)
                    .with_detail(format!(
                        "next wait of {delay:?} would exceed the retry budget of {:?}",
                        self.retry.max_total_wait
                    )));
            }
            waited += delay;
            self.metrics.retry(delay);
            if pause_client {
                tracing::info!(
                    method = req.method_str(),
                    route = req.route,
                    attempt,
                    retry_after_ms = delay.as_millis() as u64,
                    from_header = matches!(hint, WaitHint::RetryAfter(_)),
                    "rate limited by Asana; pausing all requests of this client"
                );
                // The next acquire (ours and everybody's) waits out the pause.
                self.limiter.pause_for(delay);
            } else {
                tracing::debug!(
                    method = req.method_str(),
                    route = req.route,
                    attempt,
                    delay_ms = delay.as_millis() as u64,
                    error = %failed.error,
                    "retrying after a transient failure"
                );
                tokio::time::sleep(delay).await;
            }
        }
    }

    async fn attempt<R>(
        &self,
        req: &ApiRequest,
        decode: &impl Fn(&[u8]) -> Result<R, DecodeError>,
    ) -> Result<R, AttemptError> {
        let method = req.method_str();
        let path = req.display_path();
        let base_err = |kind: ErrorKind| Error::new(kind).with_request(method, &path);
        let url = self.url(req);
        let auth = self.auth_header().map_err(|error| AttemptError {
            failure: None,
            error,
        })?;
        // Logged without headers: the Authorization header never reaches a log line.
        tracing::trace!(method, url = %url, "asana request");
        let started = Instant::now();
        let mut builder = self
            .http
            .request(req.method.clone(), url)
            .header(AUTHORIZATION, auth);
        if let Some(body) = &req.body {
            let bytes = serde_json::to_vec(body).map_err(|e| AttemptError {
                failure: None,
                error: base_err(ErrorKind::InvalidConfig).with_detail(e.to_string()),
            })?;
            builder = builder
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(bytes);
        }
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => return Err(self.transport_failure(req, &path, &e)),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body: Bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return Err(self.transport_failure(req, &path, &e)),
        };
        self.metrics
            .record(method, req.route, Outcome::Status(status));
        tracing::trace!(
            method,
            path = %path,
            status,
            bytes = body.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "asana response"
        );
        if (200..300).contains(&status) {
            return decode(&body).map_err(|e| match e {
                DecodeError::Syntax(msg) => AttemptError {
                    failure: Some(Failure::Unparseable),
                    error: base_err(ErrorKind::MalformedResponse)
                        .with_status(status)
                        .with_detail(format!("body is not complete JSON: {msg}")),
                },
                DecodeError::Protocol(msg) => AttemptError {
                    failure: None,
                    error: base_err(ErrorKind::MalformedResponse)
                        .with_status(status)
                        .with_detail(msg),
                },
            });
        }
        let kind = ErrorKind::from_status(status, req.carries_offset());
        Err(AttemptError {
            failure: Some(Failure::Status {
                status,
                retry_after,
            }),
            error: base_err(kind)
                .with_status(status)
                .with_asana_messages(asana_messages(&body)),
        })
    }

    fn transport_failure(&self, req: &ApiRequest, path: &str, e: &reqwest::Error) -> AttemptError {
        let method = req.method_str();
        let (failure, kind, outcome) = if e.is_timeout() {
            (Failure::Timeout, ErrorKind::Timeout, Outcome::Timeout)
        } else if e.is_connect() {
            (Failure::Connect, ErrorKind::Transport, Outcome::Transport)
        } else {
            (Failure::Transport, ErrorKind::Transport, Outcome::Transport)
        };
        self.metrics.record(method, req.route, outcome);
        let detail = error_chain(e);
        tracing::trace!(method, path, error = %detail, "asana request failed");
        AttemptError {
            failure: Some(failure),
            error: Error::new(kind)
                .with_request(method, path)
                .with_detail(detail),
        }
    }
}

/// An error and its sources, without the URL (the URL holds no secret, but the path is already in
/// our error and queries may carry e-mail addresses).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let s = match err.downcast_ref::<reqwest::Error>() {
            Some(re) => strip_url(re),
            None => err.to_string(),
        };
        if !s.is_empty() && parts.last() != Some(&s) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

fn strip_url(e: &reqwest::Error) -> String {
    let s = e.to_string();
    match e.url() {
        Some(u) => s
            .replace(&format!(" for url ({u})"), "")
            .replace(u.as_str(), "<url>"),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(base: &str) -> Transport {
        let mut cfg = ClientConfig::with_token("tok");
        cfg.base_url = base.to_owned();
        Transport::new(cfg).unwrap()
    }

    #[test]
    fn urls_are_built_from_segments_and_encoded() {
        let t = transport("http://127.0.0.1:9/api/1.0/");
        let req = ApiRequest::get(
            "/users/{user_gid}/workspace_memberships",
            vec![
                "users".into(),
                "a b+c@example.com".into(),
                "workspace_memberships".into(),
            ],
        )
        .query("limit", "100")
        .opt_fields(&["user.name", "is_admin"]);
        let url = t.url(&req);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/api/1.0/users/a%20b+c@example.com/workspace_memberships?limit=100&opt_fields=user.name%2Cis_admin"
        );
        assert_eq!(
            req.display_path(),
            "/users/a b+c@example.com/workspace_memberships"
        );
        // A segment cannot escape its place.
        let req = ApiRequest::get("/teams/{team_gid}", vec!["teams".into(), "../x?y#z".into()]);
        assert_eq!(
            t.url(&req).as_str(),
            "http://127.0.0.1:9/api/1.0/teams/..%2Fx%3Fy%23z"
        );
        let t = transport("http://localhost:9");
        let req = ApiRequest::get("/workspaces", vec!["workspaces".into()]);
        assert_eq!(t.url(&req).as_str(), "http://localhost:9/workspaces");
    }

    #[test]
    fn error_bodies_yield_messages_and_phrases() {
        let m = asana_messages(
            br#"{"errors":[{"message":"user: Not a member","help":"x"},{"message":"Server Error","phrase":"6 sad squid snuggle softly"}]}"#,
        );
        assert_eq!(
            m,
            vec![
                "user: Not a member".to_owned(),
                "Server Error (phrase: 6 sad squid snuggle softly)".to_owned()
            ]
        );
        assert!(asana_messages(b"<html>bad gateway</html>").is_empty());
    }

    #[test]
    fn truncated_json_is_syntax_wrong_shape_is_protocol() {
        assert!(matches!(
            decode_data::<Vec<crate::User>>(br#"{"data":[{"gid":"1"},{"gi"#),
            Err(DecodeError::Syntax(_))
        ));
        assert!(matches!(
            decode_data::<Vec<crate::User>>(br#"{"data":{"gid":"1"}}"#),
            Err(DecodeError::Protocol(_))
        ));
        assert!(matches!(
            decode_data::<crate::User>(br#"{"errors":[]}"#),
            Err(DecodeError::Protocol(_))
        ));
    }
}
