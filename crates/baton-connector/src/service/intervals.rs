//! How long to wait between calls to ConductorOne: the server's hints,
//! clamped as baton-sdk clamps them, and the back-off after failures.

use std::time::Duration;

use baton_proto::Duration as ProtoDuration;

/// Longest wait between polls, whatever the server says.
pub const MAX_POLL: Duration = Duration::from_secs(5 * 60);
/// Heartbeat interval bounds and the default when the server gives none.
pub const MIN_HEARTBEAT: Duration = Duration::from_secs(1);
pub const MAX_HEARTBEAT: Duration = Duration::from_secs(5 * 60);
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(30);
/// Longest wait after failed GetTask calls.
pub const MAX_GET_TASK_BACKOFF: Duration = Duration::from_secs(60);
/// Longest wait between start-up Hello attempts.
pub const MAX_HELLO_BACKOFF: Duration = Duration::from_secs(5 * 60);

/// A protobuf duration as a std one; negative or absent → `None`.
pub fn from_proto(d: Option<&ProtoDuration>) -> Option<Duration> {
    let d = d?;
    if d.seconds < 0 || d.nanos < 0 {
        return None;
    }
    let nanos = u32::try_from(d.nanos).ok()?;
    Some(
        Duration::from_secs(d.seconds.unsigned_abs())
            .saturating_add(Duration::from_nanos(u64::from(nanos))),
    )
}

/// The wait before the next GetTask: `next_poll` clamped to [0, 5 min]
/// (0 means poll again at once; absent or negative means 0, as in Go).
pub fn next_poll(hint: Option<&ProtoDuration>) -> Duration {
    from_proto(hint).unwrap_or(Duration::ZERO).min(MAX_POLL)
}

/// The wait before the next heartbeat: `next_heartbeat` clamped to
/// [1 s, 5 min]; 30 s when the server gives none (or zero).
pub fn heartbeat_interval(hint: Option<&ProtoDuration>) -> Duration {
    match from_proto(hint) {
        None => DEFAULT_HEARTBEAT,
        Some(d) if d.is_zero() => DEFAULT_HEARTBEAT,
        Some(d) => d.clamp(MIN_HEARTBEAT, MAX_HEARTBEAT),
    }
}

/// The wait after `failures` failed GetTask calls in a row: min(n², 60) s.
pub fn get_task_backoff(failures: u32) -> Duration {
    let secs = u64::from(failures).saturating_mul(u64::from(failures));
    Duration::from_secs(secs).min(MAX_GET_TASK_BACKOFF)
}

/// The wait after `failures` failed start-up Hello calls: 1 s, 2 s, 4 s, … 5 min.
pub fn hello_backoff(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(16);
    Duration::from_secs(1u64 << exponent).min(MAX_HELLO_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pd(seconds: i64, nanos: i32) -> ProtoDuration {
        ProtoDuration { seconds, nanos }
    }

    #[test]
    fn poll_hints_are_clamped_to_zero_and_five_minutes() {
        assert_eq!(next_poll(None), Duration::ZERO);
        assert_eq!(next_poll(Some(&pd(0, 0))), Duration::ZERO);
        assert_eq!(next_poll(Some(&pd(-5, 0))), Duration::ZERO);
        assert_eq!(
            next_poll(Some(&pd(0, 250_000_000))),
            Duration::from_millis(250)
        );
        assert_eq!(next_poll(Some(&pd(30, 0))), Duration::from_secs(30));
        assert_eq!(next_poll(Some(&pd(3600, 0))), MAX_POLL);
        assert_eq!(next_poll(Some(&pd(i64::MAX, 999_999_999))), MAX_POLL);
    }

    #[test]
    fn heartbeat_hints_are_clamped_with_a_thirty_second_default() {
        assert_eq!(heartbeat_interval(None), Duration::from_secs(30));
        assert_eq!(heartbeat_interval(Some(&pd(0, 0))), Duration::from_secs(30));
        assert_eq!(
            heartbeat_interval(Some(&pd(-1, 0))),
            Duration::from_secs(30)
        );
        assert_eq!(
            heartbeat_interval(Some(&pd(0, 10_000_000))),
            Duration::from_secs(1)
        );
        assert_eq!(heartbeat_interval(Some(&pd(7, 0))), Duration::from_secs(7));
        assert_eq!(
            heartbeat_interval(Some(&pd(600, 0))),
            Duration::from_secs(300)
        );
    }

    #[test]
    fn get_task_backoff_is_n_squared_capped_at_a_minute() {
        let waits: Vec<u64> = (1..=9).map(|n| get_task_backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 4, 9, 16, 25, 36, 49, 60, 60]);
        assert_eq!(get_task_backoff(u32::MAX), MAX_GET_TASK_BACKOFF);
    }

    #[test]
    fn hello_backoff_doubles_up_to_five_minutes() {
        let waits: Vec<u64> = (1..=11).map(|n| hello_backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(hello_backoff(u32::MAX), MAX_HELLO_BACKOFF);
    }
}
