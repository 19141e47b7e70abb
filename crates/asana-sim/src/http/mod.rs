//! The HTTP face of the simulator: Asana's routes under `/api/1.0` and a control surface under
//! `/_sim` for tools that drive the simulator from outside the process.

mod control;
mod gate;
mod listing;
mod memberships;
mod params;
mod teams;
mod users;
mod workspaces;
mod writes;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::api_error::ApiError;
use crate::config::{FaultConfig, LatencyConfig, RateLimitConfig};
use crate::counters::{Counters, UNMATCHED_ROUTE};
use crate::limits::RateLimiter;
use crate::model::TokenRole;
use crate::pagination::OffsetCodec;
use crate::store::Store;
use crate::tokens::TokenTable;
use crate::visibility::Viewer;

pub(crate) use gate::ConnectionKill;

pub(crate) const API_PREFIX: &str = "/api/1.0";

/// Settings a test may change while the server runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Settings {
    pub faults: FaultConfig,
    pub latency: LatencyConfig,
    pub rate_limit: RateLimitConfig,
}

/// Shared state of one simulator.
pub(crate) struct App {
    pub store: RwLock<Store>,
    pub tokens: TokenTable,
    pub limiter: Arc<RateLimiter>,
    pub counters: Arc<Counters>,
    pub offsets: OffsetCodec,
    pub settings: RwLock<Settings>,
    pub seed: u64,
    /// `http://127.0.0.1:PORT/api/1.0`, for `next_page.uri`.
    pub base_url: String,
    sequence: AtomicU64,
}

impl App {
    pub fn new(
        store: Store,
        tokens: TokenTable,
        offsets: OffsetCodec,
        settings: Settings,
        seed: u64,
        base_url: String,
    ) -> App {
        App {
            store: RwLock::new(store),
            tokens,
            limiter: Arc::new(RateLimiter::default()),
            counters: Arc::new(Counters::default()),
            offsets,
            settings: RwLock::new(settings),
            seed,
            base_url,
            sequence: AtomicU64::new(0),
        }
    }

    pub fn read_store(&self) -> RwLockReadGuard<'_, Store> {
        self.store
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn write_store(&self) -> RwLockWriteGuard<'_, Store> {
        self.store
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn settings(&self) -> Settings {
        *self
            .settings
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) {
        change(
            &mut self
                .settings
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
    }

    /// Numbers API requests in arrival order; fault and latency draws key on it.
    fn next_sequence(&self) -> u64 {
        self.sequence.fetch_add(1, Ordering::SeqCst)
    }
}

/// The authenticated token of a request, put in place by the gate.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caller {
    pub role: TokenRole,
}

impl Caller {
    /// 401 if the tenant no longer holds the token's owner.
    pub fn viewer(self, store: &Store) -> Result<Viewer, ApiError> {
        Viewer::for_role(store, self.role).ok_or_else(ApiError::unauthorized)
    }
}

pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response
}

async fn unknown_route(State(app): State<Arc<App>>, method: axum::http::Method) -> Response {
    app.counters.record(
        method.as_str(),
        UNMATCHED_ROUTE,
        StatusCode::NOT_FOUND.as_u16(),
    );
    ApiError::no_route().into_response()
}

/// Asana's routes, each behind the gate (auth, limits, latency, faults, counters).
fn api_router(app: Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route("/users", get(users::list_users))
        .route("/users/{user_gid}", get(users::get_user))
        .route(
            "/users/{user_gid}/workspace_memberships",
            get(memberships::workspace_memberships_for_user),
        )
        .route(
            "/users/{user_gid}/team_memberships",
            get(memberships::team_memberships_for_user),
        )
        .route("/users/{user_gid}/teams", get(teams::teams_for_user))
        .route("/workspaces", get(workspaces::list_workspaces))
        .route(
            "/workspaces/{workspace_gid}",
            get(workspaces::get_workspace),
        )
        .route(
            "/workspaces/{workspace_gid}/users",
            get(users::users_for_workspace),
        )
        .route(
            "/workspaces/{workspace_gid}/workspace_memberships",
            get(memberships::workspace_memberships_for_workspace),
        )
        .route(
            "/workspaces/{workspace_gid}/teams",
            get(teams::teams_for_workspace),
        )
        .route(
            "/workspaces/{workspace_gid}/addUser",
            post(writes::add_user_to_workspace),
        )
        .route(
            "/workspaces/{workspace_gid}/removeUser",
            post(writes::remove_user_from_workspace),
        )
        .route(
            "/workspace_memberships/{workspace_membership_gid}",
            get(memberships::get_workspace_membership),
        )
        .route("/teams/{team_gid}", get(teams::get_team))
        .route(
            "/teams/{team_gid}/team_memberships",
            get(memberships::team_memberships_for_team),
        )
        .route("/teams/{team_gid}/users", get(users::users_for_team))
        .route("/teams/{team_gid}/addUser", post(writes::add_user_to_team))
        .route(
            "/teams/{team_gid}/removeUser",
            post(writes::remove_user_from_team),
        )
        .route("/team_memberships", get(memberships::list_team_memberships))
        .route(
            "/team_memberships/{team_membership_gid}",
            get(memberships::get_team_membership),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            gate::gate,
        ))
        .fallback(unknown_route)
        .method_not_allowed_fallback(unknown_route)
        .with_state(app)
}

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .nest(API_PREFIX, api_router(app.clone()))
        .nest("/_sim", control::router(app.clone()))
        .fallback(unknown_route)
        .with_state(app)
}
