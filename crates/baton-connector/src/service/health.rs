//! The health-check server for Kubernetes probes, as baton-sdk's:
//! `/live` is always 200; `/ready` is 200 while the service takes tasks
//! (503 once it shuts down); `/health` validates the connector's
//! configuration and credentials (200 or 503). Bodies are
//! `{"status": …, "timestamp": RFC 3339, "details": {…}}`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::error::ServiceError;
use crate::connector::Connector;

/// A validation result is reused this long, so frequent probes do not
/// spend the target system's API budget.
const VALIDATION_CACHE: Duration = Duration::from_secs(10);
/// The longest a `/health` probe waits for the connector.
const VALIDATION_TIMEOUT: Duration = Duration::from_secs(30);

/// What the probes report on.
pub struct HealthState {
    connector: Arc<dyn Connector>,
    ready: AtomicBool,
    last_validation: Mutex<Option<(Instant, Result<(), String>)>>,
}

impl HealthState {
    pub fn new(connector: Arc<dyn Connector>) -> Arc<Self> {
        Arc::new(Self {
            connector,
            ready: AtomicBool::new(false),
            last_validation: Mutex::new(None),
        })
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    async fn validate(&self) -> Result<(), String> {
        let mut last = self.last_validation.lock().await;
        if let Some((at, result)) = last.as_ref() {
            if at.elapsed() < VALIDATION_CACHE {
                return result.clone();
            }
        }
        let result = match tokio::time::timeout(VALIDATION_TIMEOUT, self.connector.validate()).await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "validation did not finish within {} s",
                VALIDATION_TIMEOUT.as_secs()
            )),
        };
        *last = Some((Instant::now(), result.clone()));
        result
    }
}

#[derive(Serialize)]
struct Body {
    status: &'static str,
    timestamp: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    details: BTreeMap<&'static str, String>,
}

fn reply(
    code: StatusCode,
    status: &'static str,
    details: BTreeMap<&'static str, String>,
) -> Response {
    let body = Body {
        status,
        timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        details,
    };
    (code, Json(body)).into_response()
}

async fn live() -> Response {
    reply(StatusCode::OK, "alive", BTreeMap::new())
}

async fn ready(State(state): State<Arc<HealthState>>) -> Response {
    if state.ready.load(Ordering::SeqCst) {
        reply(StatusCode::OK, "ready", BTreeMap::new())
    } else {
        let details = BTreeMap::from([("error", "the connector is not taking tasks".to_owned())]);
        reply(StatusCode::SERVICE_UNAVAILABLE, "not_ready", details)
    }
}

async fn health(State(state): State<Arc<HealthState>>) -> Response {
    match state.validate().await {
        Ok(()) => reply(StatusCode::OK, "healthy", BTreeMap::new()),
        Err(message) => {
            tracing::warn!(error = %message, "health check failed: connector validation failed");
            let details = BTreeMap::from([
                ("error", "connector validation failed".to_owned()),
                ("validation_error", message),
            ]);
            reply(StatusCode::SERVICE_UNAVAILABLE, "unhealthy", details)
        }
    }
}

/// Binds `addr` now (so a taken port fails start-up) and serves until `stop`.
pub async fn start(
    addr: SocketAddr,
    state: Arc<HealthState>,
    stop: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, ServiceError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServiceError::HealthCheck { addr, source })?;
    let local = listener.local_addr().unwrap_or(addr);
    let app = Router::new()
        .route("/live", get(live))
        .route("/ready", get(ready))
        .route("/health", get(health))
        .with_state(state);
    tracing::info!(address = %local, "health check server listening");
    Ok(tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "health check server failed");
        }
    }))
}
