//! Retry policy: *whether* to retry (`classify`) is decided separately from *how long* to wait
//! ([`RetryPolicy::delay`]).
//!
//! - 429: always safe to retry (Asana rejected the request without acting on it), after exactly the
//!   `Retry-After` seconds; the executor also pauses the whole client for that long because the
//!   budget belongs to the token, not to one request.
//! - 500/502/503/504, connection errors, timeouts, cut-short or unparseable bodies: retried with
//!   exponential backoff and jitter, but only for idempotent requests (GETs). A write that may have
//!   reached Asana is never re-sent blindly; the caller re-reads state instead (see
//!   [`crate::MutationOutcome`]). A connect error on a write is retried: nothing was sent.
//! - Everything else (400/401/402/403/404, other statuses) is final.

use std::time::Duration;

use rand::Rng;

use crate::error::Error;

/// Bounds on retrying one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, including the first (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles each retry.
    pub base_delay: Duration,
    /// Cap on one backoff delay (not on `Retry-After`, which is obeyed as sent).
    pub max_delay: Duration,
    /// Cap on the sum of all waits before retries of one request, `Retry-After` included. A
    /// `Retry-After` that would cross it makes the request fail with `RateLimited` instead.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_total_wait: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.max_attempts == 0 {
            return Err(Error::config("retry.max_attempts must be at least 1"));
        }
        if self.max_delay < self.base_delay {
            return Err(Error::config("retry.max_delay must be >= retry.base_delay"));
        }
        Ok(())
    }

    /// How long to wait before retry number `retry` (1-based) given the server's hint.
    /// `Retry-After` is returned exactly; otherwise exponential backoff with "equal jitter": a
    /// uniform value in `[d/2, d]` with `d = min(max_delay, base_delay * 2^(retry-1))`.
    pub fn delay(&self, retry: u32, hint: WaitHint, rng: &mut impl Rng) -> Duration {
        match hint {
            WaitHint::RetryAfter(d) => d,
            WaitHint::Backoff => {
                let exp = retry.saturating_sub(1).min(30);
                let full = self
                    .base_delay
                    .saturating_mul(1u32 << exp)
                    .min(self.max_delay);
                let half = full / 2;
                let span = full.saturating_sub(half).as_nanos() as u64;
                let jitter = if span == 0 {
                    0
                } else {
                    rng.random_range(0..=span)
                };
                half + Duration::from_nanos(jitter)
            }
        }
    }
}

/// What happened on one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// An HTTP error status; `retry_after` is the parsed `Retry-After` header.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// Could not connect: the request was certainly not sent.
    Connect,
    /// Connection broke after sending began, or the body was cut short.
    Transport,
    /// The attempt timed out.
    Timeout,
    /// 2xx with a body that is not the JSON we expect (typically a truncated body).
    Unparseable,
}

/// Where the wait before a retry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitHint {
    /// The server said how long (`Retry-After`).
    RetryAfter(Duration),
    /// Our own exponential backoff.
    Backoff,
}

/// The verdict on one failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Retry after waiting; `pause_client` asks to hold every other request of this client too.
    Retry { hint: WaitHint, pause_client: bool },
    /// Final.
    Fail,
}

/// Decide whether a failure is worth another attempt. `idempotent` is true for reads.
pub(crate) fn classify(failure: Failure, idempotent: bool) -> Verdict {
    match failure {
        Failure::Status {
            status: 429,
            retry_after,
        } => Verdict::Retry {
            hint: retry_after.map_or(WaitHint::Backoff, WaitHint::RetryAfter),
            pause_client: true,
        },
        Failure::Status {
            status: 500 | 502 | 503 | 504,
            ..
        } if idempotent => Verdict::Retry {
            hint: WaitHint::Backoff,
            pause_client: false,
        },
        Failure::Connect => Verdict::Retry {
            hint: WaitHint::Backoff,
            pause_client: false,
        },
        Failure::Transport | Failure::Timeout | Failure::Unparseable if idempotent => {
            Verdict::Retry {
                hint: WaitHint::Backoff,
                pause_client: false,
            }
        }
        _ => Verdict::Fail,
    }
}

/// Parse `Retry-After`: Asana sends integer seconds; fractional seconds are accepted too.
/// HTTP-dates and garbage yield `None` (the caller then backs off on its own).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    match v.parse::<f64>() {
        Ok(secs) if (0.0..86_400.0).contains(&secs) => Some(Duration::from_secs_f64(secs)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn rate_limits_are_always_retried_and_pause_the_client() {
        for idempotent in [true, false] {
            assert_eq!(
                classify(
                    Failure::Status {
                        status: 429,
                        retry_after: Some(Duration::from_secs(7))
                    },
                    idempotent
                ),
                Verdict::Retry {
                    hint: WaitHint::RetryAfter(Duration::from_secs(7)),
                    pause_client: true
                }
            );
        }
        assert_eq!(
            classify(
                Failure::Status {
                    status: 429,
                    retry_after: None
                },
                true
            ),
            Verdict::Retry {
                hint: WaitHint::Backoff,
                pause_client: true
            }
        );
    }

    #[test]
    fn server_errors_retried_only_for_reads() {
        for status in [500, 502, 503, 504] {
            let f = Failure::Status {
                status,
                retry_after: None,
            };
            assert!(matches!(classify(f, true), Verdict::Retry { .. }));
            assert_eq!(classify(f, false), Verdict::Fail);
        }
        for f in [Failure::Transport, Failure::Timeout, Failure::Unparseable] {
            assert!(matches!(classify(f, true), Verdict::Retry { .. }));
            assert_eq!(classify(f, false), Verdict::Fail);
        }
        // Nothing was sent: safe for writes too.
        assert!(matches!(
            classify(Failure::Connect, false),
            Verdict::Retry { .. }
        ));
    }

    #[test]
    fn client_errors_are_final() {
        for status in [400, 401, 402, 403, 404, 412, 451, 501] {
            let f = Failure::Status {
                status,
                retry_after: Some(Duration::from_secs(1)),
            };
            assert_eq!(classify(f, true), Verdict::Fail, "{status}");
        }
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_total_wait: Duration::from_secs(60),
        };
        let mut rng = StdRng::seed_from_u64(7);
        for retry in 1..=8u32 {
            let full = (Duration::from_millis(100) * 2u32.pow(retry - 1)).min(p.max_delay);
            for _ in 0..50 {
                let d = p.delay(retry, WaitHint::Backoff, &mut rng);
                assert!(
                    d >= full / 2 && d <= full,
                    "retry {retry}: {d:?} vs {full:?}"
                );
            }
        }
        // Retry-After is obeyed exactly, even above max_delay.
        assert_eq!(
            p.delay(1, WaitHint::RetryAfter(Duration::from_secs(30)), &mut rng),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-3"), None);
        assert_eq!(parse_retry_after("NaN"), None);
    }

    #[test]
    fn policy_validation() {
        assert!(RetryPolicy::default().validate().is_ok());
        assert!(RetryPolicy::none().validate().is_ok());
        let bad = RetryPolicy {
            max_attempts: 0,
            ..RetryPolicy::default()
        };
        assert!(bad.validate().is_err());
    }
}
