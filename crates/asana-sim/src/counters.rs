//! Request counters for tests and benchmarks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

/// The route template of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "<unmatched>";
/// The status recorded for a request whose connection was reset without an answer.
pub const STATUS_CONNECTION_RESET: u16 = 0;

/// Requests answered for one (method, route template, status).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCount {
    pub method: String,
    /// Route template without the `/api/1.0` prefix, e.g. `/teams/{team_gid}/team_memberships`.
    pub route: String,
    /// HTTP status, or [`STATUS_CONNECTION_RESET`].
    pub status: u16,
    pub count: u64,
}

/// Faults the simulator injected.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCounts {
    pub server_errors: u64,
    pub connection_resets: u64,
    pub truncated_bodies: u64,
    pub spurious_429s: u64,
    pub dropped_next_page_keys: u64,
}

/// A copy of the counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterSnapshot {
    /// Every request under `/api/1.0`.
    pub total: u64,
    /// Answers with status 429, whatever the cause (window, in-flight cap, injected).
    pub rate_limited: u64,
    /// Most GET requests being handled at once, across tokens, counted on arrival (so requests
    /// the in-flight cap then rejects are included: this measures the client's concurrency).
    pub peak_in_flight_reads: usize,
    /// Same for writes.
    pub peak_in_flight_writes: usize,
    /// Sorted by route, method, status.
    pub requests: Vec<RequestCount>,
    pub faults: FaultCounts,
}

impl CounterSnapshot {
    /// Requests to `route` with `method`, any status.
    pub fn count(&self, method: &str, route: &str) -> u64 {
        self.requests
            .iter()
            .filter(|r| r.method == method && r.route == route)
            .map(|r| r.count)
            .sum()
    }

    /// Requests to `route` with `method` answered with `status`.
    pub fn count_with_status(&self, method: &str, route: &str, status: u16) -> u64 {
        self.requests
            .iter()
            .filter(|r| r.method == method && r.route == route && r.status == status)
            .map(|r| r.count)
            .sum()
    }

    /// Requests answered with `status`, any route.
    pub fn count_status(&self, status: u16) -> u64 {
        self.requests
            .iter()
            .filter(|r| r.status == status)
            .map(|r| r.count)
            .sum()
    }
}

#[derive(Default)]
struct Tallies {
    requests: HashMap<(String, String, u16), u64>,
    total: u64,
    rate_limited: u64,
    faults: FaultCounts,
}

#[derive(Default)]
pub(crate) struct Counters {
    tallies: Mutex<Tallies>,
    reads_now: AtomicUsize,
    writes_now: AtomicUsize,
    peak_reads: AtomicUsize,
    peak_writes: AtomicUsize,
}

/// Marks one request as being handled until dropped.
pub(crate) struct Concurrency {
    counters: Arc<Counters>,
    is_write: bool,
}

impl Drop for Concurrency {
    fn drop(&mut self) {
        let gauge = if self.is_write {
            &self.counters.writes_now
        } else {
            &self.counters.reads_now
        };
        gauge.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum FaultKind {
    ServerError,
    ConnectionReset,
    TruncatedBody,
    Spurious429,
    DroppedNextPage,
}

impl Counters {
    fn tallies(&self) -> MutexGuard<'_, Tallies> {
        self.tallies
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn enter(self: &Arc<Self>, is_write: bool) -> Concurrency {
        let (gauge, peak) = if is_write {
            (&self.writes_now, &self.peak_writes)
        } else {
            (&self.reads_now, &self.peak_reads)
        };
        let now = gauge.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(now, Ordering::SeqCst);
        Concurrency {
            counters: Arc::clone(self),
            is_write,
        }
    }

    pub fn record(&self, method: &str, route: &str, status: u16) {
        let mut tallies = self.tallies();
        tallies.total += 1;
        if status == 429 {
            tallies.rate_limited += 1;
        }
        *tallies
            .requests
            .entry((method.to_string(), route.to_string(), status))
            .or_insert(0) += 1;
    }

    pub fn fault(&self, kind: FaultKind) {
        let mut tallies = self.tallies();
        let faults = &mut tallies.faults;
        let counter = match kind {
            FaultKind::ServerError => &mut faults.server_errors,
            FaultKind::ConnectionReset => &mut faults.connection_resets,
            FaultKind::TruncatedBody => &mut faults.truncated_bodies,
            FaultKind::Spurious429 => &mut faults.spurious_429s,
            FaultKind::DroppedNextPage => &mut faults.dropped_next_page_keys,
        };
        *counter += 1;
    }

    pub fn snapshot(&self) -> CounterSnapshot {
        let tallies = self.tallies();
        let mut requests: Vec<RequestCount> = tallies
            .requests
            .iter()
            .map(|((method, route, status), count)| RequestCount {
                method: method.clone(),
                route: route.clone(),
                status: *status,
                count: *count,
            })
            .collect();
        requests
            .sort_by(|a, b| (&a.route, &a.method, a.status).cmp(&(&b.route, &b.method, b.status)));
        CounterSnapshot {
            total: tallies.total,
            rate_limited: tallies.rate_limited,
            peak_in_flight_reads: self.peak_reads.load(Ordering::SeqCst),
            peak_in_flight_writes: self.peak_writes.load(Ordering::SeqCst),
            requests,
            faults: tallies.faults.clone(),
        }
    }

    /// Zeroes every tally; peaks restart from the requests in flight right now.
    pub fn reset(&self) {
        *self.tallies() = Tallies::default();
        self.peak_reads
            .store(self.reads_now.load(Ordering::SeqCst), Ordering::SeqCst);
        self.peak_writes
            .store(self.writes_now.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_by_endpoint_and_tracks_peaks() {
        let counters = Arc::new(Counters::default());
        counters.record("GET", "/users/{user_gid}", 200);
        counters.record("GET", "/users/{user_gid}", 200);
        counters.record("GET", "/users/{user_gid}", 429);
        counters.record("POST", "/teams/{team_gid}/addUser", 403);
        {
            let _a = counters.enter(false);
            let _b = counters.enter(false);
            let _w = counters.enter(true);
        }
        let _c = counters.enter(false);
        let snap = counters.snapshot();
        assert_eq!(snap.total, 4);
        assert_eq!(snap.rate_limited, 1);
        assert_eq!(snap.count("GET", "/users/{user_gid}"), 3);
        assert_eq!(snap.count_with_status("GET", "/users/{user_gid}", 200), 2);
        assert_eq!(snap.count_status(403), 1);
        assert_eq!(
            (snap.peak_in_flight_reads, snap.peak_in_flight_writes),
            (2, 1)
        );
        counters.reset();
        let snap = counters.snapshot();
        assert_eq!(snap.total, 0);
        assert_eq!(snap.peak_in_flight_reads, 1);
    }
}
