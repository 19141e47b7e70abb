//! Timestamps as baton stores them: text in Go's layout
//! `2006-01-02 15:04:05.999999999`, local time, no zone, trailing fractional
//! zeros (and a bare dot) trimmed. Readers compare these as TEXT (the 7-day
//! resume cutoff), which works because the layout sorts like the time it names.

use chrono::{DateTime, Duration, Local, NaiveDateTime, Timelike};

/// Formats `t` exactly as Go's `t.Format("2006-01-02 15:04:05.999999999")`.
pub fn go_timestamp(t: DateTime<Local>) -> String {
    format_naive(t.naive_local())
}

/// The current local time in Go's layout.
pub fn now_go_timestamp() -> String {
    go_timestamp(Local::now())
}

/// The Go-layout text of "now minus `days` days", for TEXT comparisons.
pub(crate) fn days_ago_go_timestamp(days: i64) -> String {
    go_timestamp(Local::now() - Duration::days(days))
}

/// Parses a stored timestamp (Go layout, any number of fractional digits).
pub fn parse_go_timestamp(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").ok()
}

fn format_naive(t: NaiveDateTime) -> String {
    let base = t.format("%Y-%m-%d %H:%M:%S").to_string();
    // chrono encodes a leap second as nanos >= 1e9; Go never prints that.
    let nanos = t.nanosecond() % 1_000_000_000;
    if nanos == 0 {
        return base;
    }
    let fraction = format!("{nanos:09}");
    format!("{base}.{}", fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, nanos: u32) -> DateTime<Local> {
        let naive = NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_nano_opt(h, mi, s, nanos)
            .unwrap();
        Local.from_local_datetime(&naive).earliest().unwrap()
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(
            go_timestamp(local(2025, 1, 15, 17, 23, 10, 123_456_789)),
            "2025-01-15 17:23:10.123456789"
        );
        assert_eq!(
            go_timestamp(local(2025, 1, 15, 17, 23, 10, 0)),
            "2025-01-15 17:23:10"
        );
        assert_eq!(
            go_timestamp(local(2026, 12, 3, 16, 11, 52, 217_005_660)),
            "2026-12-03 16:11:52.21700566"
        );
        assert_eq!(
            go_timestamp(local(2025, 1, 15, 7, 3, 1, 500_000_000)),
            "2025-01-15 07:03:01.5"
        );
    }

    #[test]
    fn parses_what_it_formats_and_go_fixtures() {
        let t = local(2025, 1, 15, 17, 23, 10, 120_000_000);
        assert_eq!(
            parse_go_timestamp(&go_timestamp(t)).unwrap(),
            t.naive_local()
        );
        assert!(parse_go_timestamp("2026-12-03 16:11:52.153649061").is_some());
        assert!(parse_go_timestamp("2026-12-03 16:11:52").is_some());
        assert!(parse_go_timestamp("yesterday").is_none());
    }

    #[test]
    fn text_order_matches_time_order() {
        let times = [
            local(2025, 1, 15, 17, 23, 10, 0),
            local(2025, 1, 15, 17, 23, 10, 45_000_000),
            local(2025, 1, 15, 17, 23, 10, 5),
            local(2025, 1, 15, 17, 23, 10, 500_000_000),
            local(2025, 1, 15, 17, 23, 11, 0),
        ];
        let mut sorted_by_time = times.to_vec();
        sorted_by_time.sort();
        let mut texts: Vec<String> = times.iter().map(|t| go_timestamp(*t)).collect();
        texts.sort();
        let expected: Vec<String> = sorted_by_time.iter().map(|t| go_timestamp(*t)).collect();
        assert_eq!(texts, expected);
    }
}
