//! `/_sim`: inspect and steer a running simulator from outside the process (the Python fidelity
//! test, the demo, shell scripts). Loopback only, no token, not counted, never rate limited.
//!
//! | method | path | effect |
//! |---|---|---|
//! | GET | `/_sim/state` | the full tenant (ground truth) as JSON |
//! | GET | `/_sim/visible/{role}` | what that token sees, as a tenant |
//! | GET | `/_sim/tokens` | `{role: token}` |
//! | GET | `/_sim/counters` | the counter snapshot |
//! | POST | `/_sim/counters/reset` | zero the counters |
//! | POST | `/_sim/faults` | replace the fault settings (FaultConfig JSON, missing keys = off) |
//! | POST | `/_sim/latency` | `{"base_ms": n, "jitter_ms": n}` |
//! | POST | `/_sim/rate_limit` | replace the limits (RateLimitConfig JSON, missing keys = defaults) |
//! | POST | `/_sim/offsets/expire` | expire every offset issued so far |

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::App;
use crate::api_error::ApiError;
use crate::config::{FaultConfig, LatencyConfig, RateLimitConfig};
use crate::model::TokenRole;
use crate::visibility::Viewer;

pub(crate) fn router(app: Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route("/state", get(state))
        .route("/visible/{role}", get(visible))
        .route("/tokens", get(tokens))
        .route("/counters", get(counters))
        .route("/counters/reset", post(reset_counters))
        .route("/faults", post(set_faults))
        .route("/latency", post(set_latency))
        .route("/rate_limit", post(set_rate_limit))
        .route("/offsets/expire", post(expire_offsets))
        .with_state(app)
}

async fn state(State(app): State<Arc<App>>) -> Response {
    Json(app.read_store().to_tenant()).into_response()
}

async fn visible(State(app): State<Arc<App>>, Path(role): Path<String>) -> Response {
    let Ok(role) = role.parse::<TokenRole>() else {
        return ApiError::bad_request(format!("role: unknown token role {role}")).into_response();
    };
    let store = app.read_store();
    match Viewer::for_role(&store, role) {
        Some(viewer) => Json(store.visible_tenant(viewer)).into_response(),
        None => {
            ApiError::not_found(format!("role: the tenant has no owner for {role}")).into_response()
        }
    }
}

async fn tokens(State(app): State<Arc<App>>) -> Response {
    let map: serde_json::Map<String, serde_json::Value> = TokenRole::ALL
        .into_iter()
        .map(|role| (role.to_string(), app.tokens.value(role).into()))
        .collect();
    Json(map).into_response()
}

async fn counters(State(app): State<Arc<App>>) -> Response {
    Json(app.counters.snapshot()).into_response()
}

async fn reset_counters(State(app): State<Arc<App>>) -> StatusCode {
    app.counters.reset();
    StatusCode::NO_CONTENT
}

async fn set_faults(State(app): State<Arc<App>>, Json(faults): Json<FaultConfig>) -> StatusCode {
    app.update_settings(|s| s.faults = faults);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct LatencyBody {
    #[serde(default)]
    base_ms: u64,
    #[serde(default)]
    jitter_ms: u64,
}

async fn set_latency(State(app): State<Arc<App>>, Json(body): Json<LatencyBody>) -> StatusCode {
    app.update_settings(|s| {
        s.latency = LatencyConfig {
            base: Duration::from_millis(body.base_ms),
            jitter: Duration::from_millis(body.jitter_ms),
        }
    });
    StatusCode::NO_CONTENT
}

async fn set_rate_limit(
    State(app): State<Arc<App>>,
    Json(limits): Json<RateLimitConfig>,
) -> StatusCode {
    app.update_settings(|s| s.rate_limit = limits);
    StatusCode::NO_CONTENT
}

async fn expire_offsets(State(app): State<Arc<App>>) -> StatusCode {
    app.offsets.expire_all();
    StatusCode::NO_CONTENT
}
