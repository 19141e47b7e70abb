//! Counters the caller can read: requests by endpoint (route template) and outcome, retries, 429s,
//! time spent waiting for the budget, list restarts.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Outcome of one HTTP attempt, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// An HTTP status was received.
    Status(u16),
    /// No status: connection failed, reset or body cut short.
    Transport,
    /// No status: timed out.
    Timeout,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Status(s) => write!(f, "{s}"),
            Outcome::Transport => f.write_str("transport"),
            Outcome::Timeout => f.write_str("timeout"),
        }
    }
}

#[derive(Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, &'static str, Outcome), u64>>,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    limiter_wait_nanos: AtomicU64,
    retry_wait_nanos: AtomicU64,
    list_restarts: AtomicU64,
    write_verifications: AtomicU64,
}

impl Metrics {
    pub(crate) fn record(&self, method: &'static str, route: &'static str, outcome: Outcome) {
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((method, route, outcome)).or_insert(0) += 1;
        if outcome == Outcome::Status(429) {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn retry(&self, waited: Duration) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        self.retry_wait_nanos
            .fetch_add(nanos(waited), Ordering::Relaxed);
    }

    pub(crate) fn limiter_wait(&self, waited: Duration) {
        self.limiter_wait_nanos
            .fetch_add(nanos(waited), Ordering::Relaxed);
    }

    pub(crate) fn list_restart(&self) {
        self.list_restarts.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn write_verification(&self) {
        self.write_verifications.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> MetricsSnapshot {
        let map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let requests: Vec<RequestCount> = map
            .iter()
            .map(|(&(method, route, outcome), &count)| RequestCount {
                method,
                route,
                outcome,
                count,
            })
            .collect();
        MetricsSnapshot {
            total_requests: requests.iter().map(|r| r.count).sum(),
            requests,
            retries: self.retries.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            limiter_wait: Duration::from_nanos(self.limiter_wait_nanos.load(Ordering::Relaxed)),
            retry_wait: Duration::from_nanos(self.retry_wait_nanos.load(Ordering::Relaxed)),
            list_restarts: self.list_restarts.load(Ordering::Relaxed),
            write_verifications: self.write_verifications.load(Ordering::Relaxed),
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Requests sent to one endpoint with one outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestCount {
    /// `GET`, `POST`.
    pub method: &'static str,
    /// Route template, e.g. `/workspaces/{workspace_gid}/workspace_memberships`.
    pub route: &'static str,
    /// Status or transport outcome.
    pub outcome: Outcome,
    /// Attempts (each retry counts).
    pub count: u64,
}

/// A point-in-time copy of the client's counters (shared by all clones of a client).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetricsSnapshot {
    /// Every HTTP attempt, by method, route template and outcome; sorted.
    pub requests: Vec<RequestCount>,
    /// Sum of `requests[].count`.
    pub total_requests: u64,
    /// Attempts that were retries of an earlier attempt.
    pub retries: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// Summed over requests: time spent waiting for a permit (rate, in-flight caps, 429 pauses).
    pub limiter_wait: Duration,
    /// Summed over requests: backoff sleeps before retries (not counting the limiter).
    pub retry_wait: Duration,
    /// List streams restarted from the first page after an expired offset.
    pub list_restarts: u64,
    /// Writes whose effect had to be confirmed by reading state back.
    pub write_verifications: u64,
}

impl MetricsSnapshot {
    /// Attempts for one route template (any method, any outcome).
    pub fn requests_for(&self, route: &str) -> u64 {
        self.requests
            .iter()
            .filter(|r| r.route == route)
            .map(|r| r.count)
            .sum()
    }

    /// Attempts with a given outcome (any route).
    pub fn requests_with(&self, outcome: Outcome) -> u64 {
        self.requests
            .iter()
            .filter(|r| r.outcome == outcome)
            .map(|r| r.count)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_route_and_outcome() {
        let m = Metrics::default();
        m.record("GET", "/workspaces", Outcome::Status(200));
        m.record("GET", "/workspaces", Outcome::Status(200));
        m.record("GET", "/workspaces", Outcome::Status(429));
        m.record("POST", "/teams/{team_gid}/addUser", Outcome::Transport);
        m.retry(Duration::from_millis(5));
        m.limiter_wait(Duration::from_millis(7));
        let s = m.snapshot();
        assert_eq!(s.total_requests, 4);
        assert_eq!(s.requests_for("/workspaces"), 3);
        assert_eq!(s.requests_with(Outcome::Status(200)), 2);
        assert_eq!(s.requests_with(Outcome::Transport), 1);
        assert_eq!(s.rate_limited, 1);
        assert_eq!(s.retries, 1);
        assert_eq!(s.retry_wait, Duration::from_millis(5));
        assert_eq!(s.limiter_wait, Duration::from_millis(7));
        assert_eq!(Outcome::Timeout.to_string(), "timeout");
    }
}
