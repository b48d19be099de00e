//! How the API writes instants: RFC 3339, whole seconds, `Z`, for programs;
//! and in a person's own time zone, with the day, for people.

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A Unix timestamp (seconds) as [`rfc3339`].
pub fn rfc3339_ts(ts: i64) -> String {
    rfc3339(Utc.timestamp_opt(ts, 0).single().unwrap_or_default())
}

/// "Wednesday, December 9 from 3:30 PM to 4:20 PM (IST)": a span as the
/// person reading an error message lives it, in their zone (UTC when the
/// zone is unknown). English, like the API's other messages.
pub fn local_span(from: DateTime<Utc>, to: DateTime<Utc>, zone: &str) -> String {
    let tz = Tz::from_str(zone).unwrap_or(Tz::UTC);
    let (from, to) = (from.with_timezone(&tz), to.with_timezone(&tz));
    let label = from.format("%Z").to_string();
    // chrono-tz names zones without an abbreviation by offset ("+0530").
    let label = if label.starts_with(['+', '-']) {
        format!("UTC{label}")
    } else {
        label
    };
    let day = |t: &DateTime<Tz>| t.format("%A, %B %-d").to_string();
    let clock = |t: &DateTime<Tz>| t.format("%-I:%M %p").to_string();
    if day(&from) == day(&to) {
        format!(
            "{} from {} to {} ({label})",
            day(&from),
            clock(&from),
            clock(&to)
        )
    } else {
        format!(
            "from {} at {} to {} at {} ({label})",
            day(&from),
            clock(&from),
            day(&to),
            clock(&to)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_the_readers_zone() {
        let from = Utc.with_ymd_and_hms(2026, 12, 9, 10, 0, 0).unwrap();
        let to = from + chrono::Duration::minutes(50);
        assert_eq!(
            local_span(from, to, "Asia/Kolkata"),
            "Wednesday, December 9 from 3:30 PM to 4:20 PM (IST)"
        );
        assert_eq!(
            local_span(from, to, "Pacific/Kiritimati"),
            "Thursday, December 10 from 12:00 AM to 12:50 AM (UTC+14)"
        );
        assert_eq!(
            local_span(from, to, "Nowhere/Else"),
            "Wednesday, December 9 from 10:00 AM to 10:50 AM (UTC)"
        );
        let late = Utc.with_ymd_and_hms(2026, 12, 9, 23, 30, 0).unwrap();
        assert_eq!(
            local_span(late, late + chrono::Duration::hours(1), "UTC"),
            "from Wednesday, December 9 at 11:30 PM to Thursday, December 10 at 12:30 AM (UTC)"
        );
    }
}
