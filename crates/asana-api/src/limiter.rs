//! The client-side budget: requests per minute, reads and writes in flight, and a client-wide pause
//! after a 429 — one priority-aware scheduler so that the token's budget is respected before Asana
//! has to say no.
//!
//! # Design
//! Every request asks for a [`Permit`] with a [`Priority`] and a [`Class`] (read or write). Waiters
//! are kept in one ordered map keyed by `(priority, arrival number)`: higher priority first, FIFO
//! within a priority. The *candidate* is the first waiter whose class has a free in-flight slot (so
//! a write blocked by the write cap never holds up reads, and vice versa). Only the candidate looks
//! at the clock; everybody else sleeps on its own [`Notify`] until it becomes candidate. The
//! candidate is granted when the rate allows it and no pause is in force.
//!
//! The rate is GCRA (a virtual scheduling "theoretical arrival time"): emission interval `T`,
//! tolerance `(burst-1)·T`. In any window of length `W` GCRA admits at most `burst + ⌊W/T⌋`
//! requests, so `T` is derived from `60 s / (rpm − burst − 1)`: no 60-second window — Asana counts
//! in a sliding window — ever sees more than `rpm − 1` requests from this client, retries included
//! (every attempt takes a permit; Asana counts rejected requests too).
//!
//! Continuations of a list (requests that carry an `offset`) and write verifications ask with
//! [`Priority::High`]: a long list is a chain of dependent pages and must not queue behind hundreds
//! of independent first pages.
//!
//! A 429 pauses the whole client ([`Limiter::pause_for`]) for `Retry-After`, because the budget is
//! the token's, and restarts pacing from the end of the pause without a burst.
//!
//! The permit is held until the response body has been read; dropping it frees the in-flight slot.
//! Dropping a waiting `acquire` future removes it from the queue (cancel-safe).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Scheduling priority of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Pages that continue a list, and reads that verify a write.
    High = 0,
    /// First pages, single-object reads, writes.
    Normal = 1,
}

/// In-flight class: Asana caps reads and writes separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// GET.
    Read = 0,
    /// POST/PUT/PATCH/DELETE.
    Write = 1,
}

/// Limits the scheduler enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimiterConfig {
    /// Requests per minute; 0 = unlimited.
    pub requests_per_minute: u32,
    /// Reads in flight.
    pub max_reads: usize,
    /// Writes in flight.
    pub max_writes: usize,
}

impl LimiterConfig {
    /// Burst allowed by the GCRA: about 1% of the per-minute budget, between 1 and 10.
    pub fn burst(&self) -> u32 {
        (self.requests_per_minute / 100).clamp(1, 10)
    }

    /// Spacing between requests at steady state, `None` when unlimited.
    pub fn emission_interval(&self) -> Option<Duration> {
        let rpm = self.requests_per_minute;
        if rpm == 0 {
            return None;
        }
        let burst = self.burst();
        // One request of margin for send-time jitter between us and the server's window.
        let margin = u32::from(rpm > burst + 1);
        let effective = rpm.saturating_sub(burst + margin).max(1);
        Some(Duration::from_secs(60) / effective)
    }
}

struct Waiter {
    class: Class,
    notify: Arc<Notify>,
}

struct State {
    /// GCRA theoretical arrival time.
    tat: Instant,
    paused_until: Option<Instant>,
    in_flight: [usize; 2],
    waiters: BTreeMap<(Priority, u64), Waiter>,
    next_seq: u64,
}

/// The scheduler. Shared by every clone of a client.
pub struct Limiter {
    config: LimiterConfig,
    interval: Option<Duration>,
    tolerance: Duration,
    state: Mutex<State>,
}

/// Permission to have one request in flight. Dropping it frees the slot.
pub struct Permit {
    limiter: Arc<Limiter>,
    class: Class,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut st = self.limiter.lock();
        let slot = &mut st.in_flight[self.class as usize];
        *slot = slot.saturating_sub(1);
        self.limiter.wake_candidate(&st);
    }
}

/// Removes a waiter that gave up (its future was dropped) from the queue.
struct QueueGuard<'a> {
    limiter: &'a Limiter,
    key: (Priority, u64),
    armed: bool,
}

impl Drop for QueueGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut st = self.limiter.lock();
            if st.waiters.remove(&self.key).is_some() {
                self.limiter.wake_candidate(&st);
            }
        }
    }
}

impl Limiter {
    /// A scheduler enforcing `config`.
    pub fn new(config: LimiterConfig) -> Arc<Self> {
        let interval = config.emission_interval();
        let tolerance = interval
            .map(|t| t * config.burst().saturating_sub(1))
            .unwrap_or_default();
        Arc::new(Limiter {
            config,
            interval,
            tolerance,
            state: Mutex::new(State {
                tat: Instant::now(),
                paused_until: None,
                in_flight: [0, 0],
                waiters: BTreeMap::new(),
                next_seq: 0,
            }),
        })
    }

    /// The limits in force.
    pub fn config(&self) -> LimiterConfig {
        self.config
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-update of plain counters.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cap(&self, class: Class) -> usize {
        match class {
            Class::Read => self.config.max_reads,
            Class::Write => self.config.max_writes,
        }
    }

    fn candidate<'s>(&self, st: &'s State) -> Option<(&'s (Priority, u64), &'s Waiter)> {
        st.waiters
            .iter()
            .find(|(_, w)| st.in_flight[w.class as usize] < self.cap(w.class))
    }

    fn wake_candidate(&self, st: &State) {
        if let Some((_, w)) = self.candidate(st) {
            w.notify.notify_one();
        }
    }

    /// Earliest instant at which the rate and any pause allow the next grant.
    fn ready_at(&self, st: &State, now: Instant) -> Instant {
        let mut ready = match self.interval {
            Some(_) => st.tat.checked_sub(self.tolerance).unwrap_or(now),
            None => now,
        };
        if let Some(p) = st.paused_until {
            ready = ready.max(p);
        }
        ready
    }

    /// Wait for a permit. Returns it with the time spent waiting.
    pub async fn acquire(self: &Arc<Self>, priority: Priority, class: Class) -> (Permit, Duration) {
        let started = Instant::now();
        let notify = Arc::new(Notify::new());
        let key = {
            let mut st = self.lock();
            let key = (priority, st.next_seq);
            st.next_seq += 1;
            st.waiters.insert(
                key,
                Waiter {
                    class,
                    notify: Arc::clone(&notify),
                },
            );
            key
        };
        let mut guard = QueueGuard {
            limiter: self,
            key,
            armed: true,
        };
        loop {
            let wake_at = {
                let mut st = self.lock();
                let now = Instant::now();
                let is_candidate = self.candidate(&st).map(|(k, _)| *k) == Some(key);
                if is_candidate {
                    let ready = self.ready_at(&st, now);
                    if ready <= now {
                        st.waiters.remove(&key);
                        st.in_flight[class as usize] += 1;
                        if let Some(t) = self.interval {
                            st.tat = st.tat.max(now) + t;
                        }
                        if st.paused_until.is_some_and(|p| p <= now) {
                            st.paused_until = None;
                        }
                        self.wake_candidate(&st);
                        guard.armed = false;
                        drop(st);
                        let permit = Permit {
                            limiter: Arc::clone(self),
                            class,
                        };
                        return (permit, started.elapsed());
                    }
                    Some(ready)
                } else {
                    None
                }
            };
            match wake_at {
                Some(at) => {
                    tokio::select! {
                        _ = notify.notified() => {}
                        _ = tokio::time::sleep_until(at) => {}
                    }
                }
                None => notify.notified().await,
            }
        }
    }

    /// Hold every request of this client for `d` (a 429's `Retry-After`), then resume pacing from
    /// the end of the pause without a burst. Pauses never shorten one already in force.
    pub fn pause_for(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut st = self.lock();
        let until = st.paused_until.map_or(until, |p| p.max(until));
        st.paused_until = Some(until);
        if self.interval.is_some() {
            st.tat = st.tat.max(until + self.tolerance);
        }
    }

    /// Requests currently in flight (reads, writes).
    pub fn in_flight(&self) -> (usize, usize) {
        let st = self.lock();
        (st.in_flight[0], st.in_flight[1])
    }

    /// Requests waiting for a permit.
    pub fn queued(&self) -> usize {
        self.lock().waiters.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn cfg(rpm: u32, reads: usize, writes: usize) -> LimiterConfig {
        LimiterConfig {
            requests_per_minute: rpm,
            max_reads: reads,
            max_writes: writes,
        }
    }

    #[test]
    fn interval_leaves_room_for_burst_and_margin() {
        let c = cfg(1500, 50, 15);
        assert_eq!(c.burst(), 10);
        assert_eq!(c.emission_interval(), Some(Duration::from_secs(60) / 1489));
        let c = cfg(150, 50, 15);
        assert_eq!(c.burst(), 1);
        assert_eq!(c.emission_interval(), Some(Duration::from_secs(60) / 148));
        assert_eq!(cfg(0, 1, 1).emission_interval(), None);
        assert_eq!(
            cfg(1, 1, 1).emission_interval(),
            Some(Duration::from_secs(60))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_sixty_second_window_exceeds_the_budget() {
        let lim = Limiter::new(cfg(300, 1000, 1000));
        let t0 = Instant::now();
        let mut grants = Vec::new();
        for _ in 0..900 {
            let (p, _) = lim.acquire(Priority::Normal, Class::Read).await;
            grants.push(Instant::now() - t0);
            drop(p);
        }
        // Sliding window check over every grant.
        let mut j = 0;
        for i in 0..grants.len() {
            while grants[i] - grants[j] >= Duration::from_secs(60) {
                j += 1;
            }
            assert!(
                i - j < 300,
                "window ending at {:?} holds {}",
                grants[i],
                i - j + 1
            );
        }
        // And it is not much slower than the budget: 900 requests at 300/min ≈ 180 s.
        let total = *grants.last().unwrap_or(&Duration::ZERO);
        assert!(total <= Duration::from_secs(184), "{total:?}");
        assert!(total >= Duration::from_secs(175), "{total:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn continuation_pages_overtake_first_pages_fifo_within_priority() {
        let lim = Limiter::new(cfg(60, 100, 100)); // one per ~1.03 s, burst 1
                                                   // Use up the burst so everybody queues.
        let (p, _) = lim.acquire(Priority::Normal, Class::Read).await;
        drop(p);
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        for (name, prio) in [
            ("n1", Priority::Normal),
            ("n2", Priority::Normal),
            ("n3", Priority::Normal),
            ("h1", Priority::High),
            ("h2", Priority::High),
        ] {
            let lim = Arc::clone(&lim);
            let order = Arc::clone(&order);
            handles.push(tokio::spawn(async move {
                let (p, _) = lim.acquire(prio, Class::Read).await;
                order.lock().unwrap().push(name);
                drop(p);
            }));
            // Make arrival order deterministic.
            tokio::task::yield_now().await;
        }
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec!["h1", "h2", "n1", "n2", "n3"]);
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_caps_are_separate_for_reads_and_writes() {
        let lim = Limiter::new(cfg(0, 2, 1));
        let (r1, _) = lim.acquire(Priority::Normal, Class::Read).await;
        let (r2, _) = lim.acquire(Priority::Normal, Class::Read).await;
        let (w1, _) = lim.acquire(Priority::Normal, Class::Write).await;
        assert_eq!(lim.in_flight(), (2, 1));
        // A third read waits; a second write waits; neither blocks the other.
        let granted = Arc::new(AtomicUsize::new(0));
        let g = Arc::clone(&granted);
        let l2 = Arc::clone(&lim);
        let read3 = tokio::spawn(async move {
            let (p, _) = l2.acquire(Priority::Normal, Class::Read).await;
            g.fetch_add(1, Ordering::SeqCst);
            p
        });
        let g = Arc::clone(&granted);
        let l2 = Arc::clone(&lim);
        let write2 = tokio::spawn(async move {
            let (p, _) = l2.acquire(Priority::High, Class::Write).await;
            g.fetch_add(10, Ordering::SeqCst);
            p
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(granted.load(Ordering::SeqCst), 0);
        drop(r1);
        let r3 = read3.await.unwrap();
        assert_eq!(
            granted.load(Ordering::SeqCst),
            1,
            "read granted, write still capped"
        );
        drop(w1);
        let w2 = write2.await.unwrap();
        assert_eq!(granted.load(Ordering::SeqCst), 11);
        drop((r2, r3, w2));
        assert_eq!(lim.in_flight(), (0, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn pause_holds_everybody_then_paces_without_burst() {
        let lim = Limiter::new(cfg(600, 50, 15)); // burst 6, ~0.1 s spacing
        let t0 = Instant::now();
        lim.pause_for(Duration::from_secs(7));
        let (p, waited) = lim.acquire(Priority::High, Class::Read).await;
        drop(p);
        assert!(waited >= Duration::from_secs(7), "{waited:?}");
        let (p, _) = lim.acquire(Priority::Normal, Class::Write).await;
        drop(p);
        let after = Instant::now() - t0;
        let interval = cfg(600, 50, 15).emission_interval().unwrap_or_default();
        assert!(after >= Duration::from_secs(7) + interval, "{after:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_waiters_do_not_block_the_queue() {
        let lim = Limiter::new(cfg(0, 1, 1));
        let (p, _) = lim.acquire(Priority::Normal, Class::Read).await;
        let l2 = Arc::clone(&lim);
        let blocked = tokio::spawn(async move { l2.acquire(Priority::High, Class::Read).await });
        tokio::task::yield_now().await;
        assert_eq!(lim.queued(), 1);
        blocked.abort();
        let _ = blocked.await;
        assert_eq!(lim.queued(), 0);
        let l3 = Arc::clone(&lim);
        let next = tokio::spawn(async move { l3.acquire(Priority::Normal, Class::Read).await });
        tokio::task::yield_now().await;
        drop(p);
        let (p2, _) = next.await.unwrap();
        drop(p2);
    }
}
