//! Asana's per-token limits: a sliding one-minute request window and in-flight caps.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::config::RateLimitConfig;
use crate::model::TokenRole;

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
struct TokenState {
    /// Arrival times of every request in the last minute, admitted or rejected.
    arrivals: VecDeque<Instant>,
    reads_in_flight: usize,
    writes_in_flight: usize,
}

#[derive(Default)]
pub(crate) struct RateLimiter {
    tokens: [Mutex<TokenState>; 4],
}

/// Why a request was turned away, with the `Retry-After` to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    Window { retry_after_secs: u64 },
    InFlight { retry_after_secs: u64 },
}

impl Rejection {
    pub fn retry_after_secs(self) -> u64 {
        match self {
            Rejection::Window { retry_after_secs } | Rejection::InFlight { retry_after_secs } => {
                retry_after_secs
            }
        }
    }
}

/// Holds an in-flight slot until dropped (also when the connection is aborted).
pub(crate) struct InFlightSlot {
    limiter: Arc<RateLimiter>,
    role: TokenRole,
    is_write: bool,
}

impl Drop for InFlightSlot {
    fn drop(&mut self) {
        let mut state = self.limiter.state(self.role);
        if self.is_write {
            state.writes_in_flight = state.writes_in_flight.saturating_sub(1);
        } else {
            state.reads_in_flight = state.reads_in_flight.saturating_sub(1);
        }
    }
}

fn ceil_secs(duration: Duration) -> u64 {
    let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    secs.max(1)
}

impl RateLimiter {
    fn state(&self, role: TokenRole) -> MutexGuard<'_, TokenState> {
        self.tokens[role.index()]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Admits a request or says how long to wait. Every arrival counts against the window,
    /// rejected ones included, as on Asana.
    pub fn admit(
        self: &Arc<Self>,
        role: TokenRole,
        is_write: bool,
        config: RateLimitConfig,
        now: Instant,
    ) -> Result<InFlightSlot, Rejection> {
        let mut state = self.state(role);
        if config.requests_per_minute > 0 {
            while state
                .arrivals
                .front()
                .is_some_and(|&t| now.duration_since(t) >= WINDOW)
            {
                state.arrivals.pop_front();
            }
            state.arrivals.push_back(now);
            let limit = config.requests_per_minute as usize;
            let count = state.arrivals.len();
            if count > limit {
                // The window admits again once enough arrivals have aged out to leave room for
                // one more: the (count - limit + 1)-th oldest must expire.
                let oldest_to_expire = state.arrivals[count - limit];
                let wait = (oldest_to_expire + WINDOW).saturating_duration_since(now);
                return Err(Rejection::Window {
                    retry_after_secs: ceil_secs(wait),
                });
            }
        } else {
            state.arrivals.clear();
        }
        let (in_flight, cap) = if is_write {
            (&mut state.writes_in_flight, config.max_in_flight_writes)
        } else {
            (&mut state.reads_in_flight, config.max_in_flight_reads)
        };
        if *in_flight >= cap {
            // Long enough for the requests in flight to finish.
            return Err(Rejection::InFlight {
                retry_after_secs: 1,
            });
        }
        *in_flight += 1;
        drop(state);
        Ok(InFlightSlot {
            limiter: Arc::clone(self),
            role,
            is_write,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rpm: u32, reads: usize, writes: usize) -> RateLimitConfig {
        RateLimitConfig {
            requests_per_minute: rpm,
            max_in_flight_reads: reads,
            max_in_flight_writes: writes,
        }
    }

    #[test]
    fn sliding_window_rejects_and_counts_rejections() {
        let limiter = Arc::new(RateLimiter::default());
        let start = Instant::now();
        let cfg = config(3, 10, 10);
        for i in 0..3 {
            assert!(limiter
                .admit(TokenRole::Admin, false, cfg, start + Duration::from_secs(i))
                .is_ok());
        }
        // 4th arrival at t=10s is rejected and recorded. The window holds t=0,1,2,10; a request
        // fits again once only two remain, i.e. when t=1 ages out at t=61 → wait 51 s.
        let rejected = limiter.admit(
            TokenRole::Admin,
            false,
            cfg,
            start + Duration::from_secs(10),
        );
        assert_eq!(
            rejected.err(),
            Some(Rejection::Window {
                retry_after_secs: 51
            })
        );
        // The rejected arrival counts: at t=60.5 only t=0 has aged out, leaving t=1, t=2, t=10.
        let still = limiter.admit(
            TokenRole::Admin,
            false,
            cfg,
            start + Duration::from_millis(60_500),
        );
        assert!(matches!(still, Err(Rejection::Window { .. })));
        // Other tokens have their own window.
        assert!(limiter
            .admit(
                TokenRole::Member,
                false,
                cfg,
                start + Duration::from_secs(10)
            )
            .is_ok());
        // After the window slid past everything, requests pass again.
        assert!(limiter
            .admit(
                TokenRole::Admin,
                false,
                cfg,
                start + Duration::from_secs(200)
            )
            .is_ok());
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let limiter = Arc::new(RateLimiter::default());
        let start = Instant::now();
        let cfg = config(1, 10, 10);
        assert!(limiter.admit(TokenRole::Admin, false, cfg, start).is_ok());
        let rejection = limiter
            .admit(
                TokenRole::Admin,
                false,
                cfg,
                start + Duration::from_millis(59_999),
            )
            .err()
            .map(Rejection::retry_after_secs);
        assert_eq!(rejection, Some(60));
    }

    #[test]
    fn in_flight_caps_are_separate_for_reads_and_writes_and_released_on_drop() {
        let limiter = Arc::new(RateLimiter::default());
        let now = Instant::now();
        let cfg = config(0, 2, 1);
        let r1 = limiter.admit(TokenRole::Admin, false, cfg, now);
        let r2 = limiter.admit(TokenRole::Admin, false, cfg, now);
        assert!(r1.is_ok() && r2.is_ok());
        assert_eq!(
            limiter.admit(TokenRole::Admin, false, cfg, now).err(),
            Some(Rejection::InFlight {
                retry_after_secs: 1
            })
        );
        let w1 = limiter.admit(TokenRole::Admin, true, cfg, now);
        assert!(w1.is_ok());
        assert!(limiter.admit(TokenRole::Admin, true, cfg, now).is_err());
        drop(r1);
        assert!(limiter.admit(TokenRole::Admin, false, cfg, now).is_ok());
    }
}
