//! Live counters of a running sync, read by the binary's progress display.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

/// The phase the sync is in, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Starting,
    Syncing,
    Finishing,
    Done,
}

/// Counters updated by the engine; cheap to read from another task.
#[derive(Debug, Default)]
pub struct SyncProgress {
    phase: AtomicU8,
    resources: AtomicU64,
    entitlements: AtomicU64,
    grants: AtomicU64,
    pages: AtomicU64,
    pending_resources: AtomicU64,
}

/// A point-in-time copy of [`SyncProgress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressSnapshot {
    pub phase: Phase,
    pub resources: u64,
    pub entitlements: u64,
    pub grants: u64,
    pub pages: u64,
    /// Resources whose entitlements and grants are still to be listed.
    pub pending_resources: u64,
}

impl SyncProgress {
    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            phase: match self.phase.load(Ordering::Relaxed) {
                0 => Phase::Starting,
                1 => Phase::Syncing,
                2 => Phase::Finishing,
                _ => Phase::Done,
            },
            resources: self.resources.load(Ordering::Relaxed),
            entitlements: self.entitlements.load(Ordering::Relaxed),
            grants: self.grants.load(Ordering::Relaxed),
            pages: self.pages.load(Ordering::Relaxed),
            pending_resources: self.pending_resources.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        let value = match phase {
            Phase::Starting => 0,
            Phase::Syncing => 1,
            Phase::Finishing => 2,
            Phase::Done => 3,
        };
        self.phase.store(value, Ordering::Relaxed);
    }

    pub(crate) fn add_resources(&self, n: u64) {
        self.resources.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_entitlements(&self, n: u64) {
        self.entitlements.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_grants(&self, n: u64) {
        self.grants.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_page(&self) {
        self.pages.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_pending_resources(&self, n: u64) {
        self.pending_resources.store(n, Ordering::Relaxed);
    }
}
