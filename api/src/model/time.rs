//! How the API writes instants: RFC 3339, whole seconds, `Z`.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A Unix timestamp (seconds) as [`rfc3339`].
pub fn rfc3339_ts(ts: i64) -> String {
    rfc3339(Utc.timestamp_opt(ts, 0).single().unwrap_or_default())
}
