//! [`AsanaClient`]: the handle every caller holds. Cheap to clone; all clones share one HTTP
//! connection pool, one budget (the budget belongs to the token) and one set of metrics.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::config::ClientConfig;
use crate::error::Error;
use crate::http::{decode_data, ApiRequest, Transport};
use crate::limiter::{LimiterConfig, Priority};
use crate::metrics::MetricsSnapshot;
use crate::pagination::ListRequest;

/// A typed, rate-limited, retrying Asana client.
#[derive(Clone)]
pub struct AsanaClient {
    pub(crate) inner: Arc<Transport>,
}

impl fmt::Debug for AsanaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsanaClient")
            .field("limits", &self.inner.limiter.config())
            .finish_non_exhaustive()
    }
}

impl AsanaClient {
    /// Validate `config` and build the client (no request is sent).
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        Ok(AsanaClient {
            inner: Arc::new(Transport::new(config)?),
        })
    }

    /// Counters since the client was built (shared by all clones).
    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.metrics.snapshot()
    }

    /// The API base URL requests go to (for messages; it holds no secret).
    pub fn base_url(&self) -> &str {
        self.inner.base_url().as_str()
    }

    /// The budget this client enforces.
    pub fn limits(&self) -> LimiterConfig {
        self.inner.limiter.config()
    }

    /// Any paginated list endpoint, for areas without a dedicated helper (projects, portfolios,
    /// ...). `route` is the template used in metrics (e.g. `/teams/{team_gid}/projects`),
    /// `segments` the actual path below the base URL (each segment is percent-encoded).
    /// No `opt_fields` are set.
    pub fn list<T>(&self, route: &'static str, segments: &[&str]) -> ListRequest<T> {
        ListRequest::new(
            Arc::clone(&self.inner),
            route,
            segments.iter().map(|s| (*s).to_owned()).collect(),
            &[],
        )
    }

    /// Any single-object GET returning `{"data": T}`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        route: &'static str,
        segments: &[&str],
        opt_fields: &[&str],
    ) -> Result<T, Error> {
        let req = ApiRequest::get(route, segments.iter().map(|s| (*s).to_owned()).collect())
            .opt_fields(opt_fields);
        self.inner.execute(&req, decode_data::<T>).await
    }

    pub(crate) fn list_with<T>(
        &self,
        route: &'static str,
        segments: Vec<String>,
        default_fields: &[&str],
    ) -> ListRequest<T> {
        ListRequest::new(Arc::clone(&self.inner), route, segments, default_fields)
    }

    pub(crate) async fn get_with<T: DeserializeOwned>(
        &self,
        route: &'static str,
        segments: Vec<String>,
        fields: &[&str],
        priority: Priority,
    ) -> Result<T, Error> {
        let req = ApiRequest::get(route, segments)
            .opt_fields(fields)
            .priority(priority);
        self.inner.execute(&req, decode_data::<T>).await
    }
}
