//! What every Asana request passes through before and after its handler: authentication,
//! rate limits, latency, fault injection and counting.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::Notify;
use tracing::debug;

use super::{App, Caller, API_PREFIX};
use crate::api_error::ApiError;
use crate::counters::{FaultKind, STATUS_CONNECTION_RESET, UNMATCHED_ROUTE};
use crate::faults::{error_phrase, latency, pick_fault, InjectedFault};

/// Lets a handler abort its TCP connection without answering. The server's accept loop puts
/// one into every request.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnectionKill {
    notify: Arc<Notify>,
    killed: Arc<AtomicBool>,
}

impl ConnectionKill {
    pub fn fire(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }

    pub fn is_fired(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    pub async fn fired(&self) {
        self.notify.notified().await;
    }
}

/// How long a truncated body waits before the connection is cut, so the partial body is
/// flushed to the client first.
const TRUNCATION_FLUSH_DELAY: Duration = Duration::from_millis(20);

enum Outcome {
    Respond(Response),
    Reset,
}

pub(crate) async fn gate(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| {
            path.as_str()
                .strip_prefix(API_PREFIX)
                .unwrap_or(path.as_str())
                .to_string()
        })
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_string());
    let kill = request.extensions().get::<ConnectionKill>().cloned();
    let sequence = app.next_sequence();

    let outcome = guarded(&app, request, next, &method, sequence).await;
    match outcome {
        Outcome::Respond(response) => {
            app.counters
                .record(method.as_str(), &route, response.status().as_u16());
            response
        }
        Outcome::Reset => {
            app.counters
                .record(method.as_str(), &route, STATUS_CONNECTION_RESET);
            app.counters.fault(FaultKind::ConnectionReset);
            match kill {
                Some(kill) => {
                    kill.fire();
                    // The connection task drops the connection (and this future) now.
                    std::future::pending::<Response>().await
                }
                None => ApiError::server_error(error_phrase(app.seed, sequence)).into_response(),
            }
        }
    }
}

async fn guarded(
    app: &Arc<App>,
    mut request: Request,
    next: Next,
    method: &Method,
    sequence: u64,
) -> Outcome {
    let is_write = !matches!(*method, Method::GET | Method::HEAD);
    let role = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| app.tokens.role_for_header(value));
    let Some(role) = role else {
        return Outcome::Respond(ApiError::unauthorized().into_response());
    };

    let _concurrency = app.counters.enter(is_write);
    let settings = app.settings();
    let _slot = match app
        .limiter
        .admit(role, is_write, settings.rate_limit, Instant::now())
    {
        Ok(slot) => slot,
        Err(rejection) => {
            debug!(%role, ?rejection, "rate limited");
            return Outcome::Respond(
                ApiError::too_many_requests(rejection.retry_after_secs()).into_response(),
            );
        }
    };

    let delay = latency(settings.latency, app.seed, sequence);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }

    let fault = if !is_write || settings.faults.apply_to_writes {
        pick_fault(&settings.faults, app.seed, sequence)
    } else {
        None
    };
    if fault == Some(InjectedFault::Spurious429) {
        app.counters.fault(FaultKind::Spurious429);
        return Outcome::Respond(ApiError::too_many_requests(1).into_response());
    }
    // Reads fail before touching state; writes fail after being applied.
    if !is_write {
        match fault {
            Some(InjectedFault::ConnectionReset) => return Outcome::Reset,
            Some(InjectedFault::ServerError { status }) => {
                return Outcome::Respond(server_error(app, status, sequence));
            }
            _ => {}
        }
    }

    request.extensions_mut().insert(Caller { role });
    let response = next.run(request).await;

    match fault {
        Some(InjectedFault::ConnectionReset) => Outcome::Reset,
        Some(InjectedFault::ServerError { status }) => {
            Outcome::Respond(server_error(app, status, sequence))
        }
        Some(InjectedFault::TruncatedBody) => {
            app.counters.fault(FaultKind::TruncatedBody);
            Outcome::Respond(truncate(response).await)
        }
        _ => Outcome::Respond(response),
    }
}

fn server_error(app: &App, status: u16, sequence: u64) -> Response {
    app.counters.fault(FaultKind::ServerError);
    if status == StatusCode::SERVICE_UNAVAILABLE.as_u16() {
        ApiError::service_unavailable().into_response()
    } else {
        ApiError::server_error(error_phrase(app.seed, sequence)).into_response()
    }
}

/// Announces the full length, sends the first half, then breaks the connection.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let full_length = bytes.len();
    let head: Bytes = bytes.slice(..full_length / 2);
    let chunks = futures::stream::iter([Ok::<Bytes, std::io::Error>(head)]).chain(
        futures::stream::once(async {
            tokio::time::sleep(TRUNCATION_FLUSH_DELAY).await;
            Err(std::io::Error::other("body truncated by fault injection"))
        }),
    );
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full_length));
    Response::from_parts(parts, Body::from_stream(chunks))
}
