//! How a simulator instance is set up: tenant scenario, port, limits, latency, faults.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::generator::GeneratorConfig;

/// Everything [`crate::SimServer::start`] needs.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    pub scenario: Scenario,
    /// 0 = ephemeral. The server always binds 127.0.0.1.
    pub port: u16,
    pub rate_limit: RateLimitConfig,
    pub latency: LatencyConfig,
    pub faults: FaultConfig,
    /// How long an offset token stays valid after it was issued.
    pub offset_ttl: Duration,
    /// Drives token values, fault draws, latency jitter and offset signatures.
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            scenario: Scenario::Quirks,
            port: 0,
            rate_limit: RateLimitConfig::default(),
            latency: LatencyConfig::default(),
            faults: FaultConfig::default(),
            offset_ttl: Duration::from_secs(15 * 60),
            seed: 1,
        }
    }
}

/// Which tenant the simulator serves.
#[derive(Clone, Debug, PartialEq)]
pub enum Scenario {
    /// The hand-built tenant of hard cases, see [`crate::quirks`].
    Quirks,
    /// A seeded, generated tenant.
    Generated(GeneratorConfig),
    /// The quirks tenant plus a generated organization (the demo), see
    /// [`crate::combined::quirks_with_generated`].
    QuirksWithGenerated(GeneratorConfig),
}

/// Asana's per-token limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitConfig {
    /// Requests per sliding minute per token; 1500 on paid plans, 150 on free ones; 0 = unlimited.
    pub requests_per_minute: u32,
    /// Concurrent GET requests per token.
    pub max_in_flight_reads: usize,
    /// Concurrent POST/PUT/PATCH/DELETE requests per token.
    pub max_in_flight_writes: usize,
}

impl RateLimitConfig {
    /// The limits of a paid Asana domain.
    pub const PAID_REQUESTS_PER_MINUTE: u32 = 1500;
    /// The limits of a free Asana domain.
    pub const FREE_REQUESTS_PER_MINUTE: u32 = 150;

    /// The limits of a free Asana domain (150 requests per minute).
    pub fn free() -> Self {
        RateLimitConfig {
            requests_per_minute: Self::FREE_REQUESTS_PER_MINUTE,
            ..RateLimitConfig::default()
        }
    }

    /// No per-minute limit and in-flight caps too high to matter; for throughput benchmarks.
    pub fn unlimited() -> Self {
        RateLimitConfig {
            requests_per_minute: 0,
            max_in_flight_reads: usize::MAX,
            max_in_flight_writes: usize::MAX,
        }
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            requests_per_minute: Self::PAID_REQUESTS_PER_MINUTE,
            max_in_flight_reads: 50,
            max_in_flight_writes: 15,
        }
    }
}

/// Added to every API request: `base` plus a seeded uniform draw in `[0, jitter]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LatencyConfig {
    pub base: Duration,
    pub jitter: Duration,
}

/// Injected failures. Rates are probabilities in `[0, 1]`, drawn per request from the seed and
/// the request's sequence number, so a sequential client sees the same faults on every run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultConfig {
    /// Answer 500 (with a `phrase`) or 503.
    pub server_error_rate: f64,
    /// Abort the TCP connection without sending a response.
    pub connection_reset_rate: f64,
    /// Send a `Content-Length` larger than the body, half the body, then close.
    pub truncated_body_rate: f64,
    /// Answer 429 with `Retry-After: 1` although no limit was hit.
    pub spurious_429_rate: f64,
    /// Omit the `next_page` key on every non-final page (a malformed answer).
    pub drop_next_page_key: bool,
    /// Also inject faults into writes. Server errors, resets and truncation then happen *after*
    /// the write was applied (a client must verify, not retry blindly); spurious 429s still
    /// reject the write before it is applied.
    pub apply_to_writes: bool,
}

impl FaultConfig {
    pub(crate) fn any_rate(&self) -> bool {
        self.server_error_rate > 0.0
            || self.connection_reset_rate > 0.0
            || self.truncated_body_rate > 0.0
            || self.spurious_429_rate > 0.0
    }
}
