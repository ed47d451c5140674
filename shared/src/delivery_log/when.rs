//! The times an operator types for a delivery window: RFC 3339 (`2026-12-06T10:00:00Z`),
//! `YYYY-MM-DD HH:MM[:SS]` (UTC), `HH:MM` (today, UTC), a Unix time in milliseconds, or an age
//! (`30m`, `2h`: that long before `now`).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// The Unix milliseconds `s` names, read relative to `now` for `HH:MM` and ages.
pub fn parse_time(s: &str, now: DateTime<Utc>) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_time(NaiveTime::MIN).and_utc().timestamp_millis());
    }
    for f in ["%H:%M:%S", "%H:%M"] {
        if let Ok(t) = NaiveTime::parse_from_str(s, f) {
            return Ok(now.date_naive().and_time(t).and_utc().timestamp_millis());
        }
    }
    if s.len() >= 12 && s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().map_err(|_| format!("{s:?} is not a time"));
    }
    if let Ok(age) = humantime::parse_duration(s) {
        let age = chrono::Duration::from_std(age).map_err(|_| format!("{s:?} is too long ago"))?;
        return Ok((now - age).timestamp_millis());
    }
    Err(format!(
        "{s:?} is not a time: use 2026-12-06T10:00:00Z, \"2026-12-06 10:00\", 10:00 (today, UTC) or an age like 30m"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_forms_parse() {
        let now = DateTime::parse_from_rfc3339("2026-12-06T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let ten = 1_796_551_200_000; // 2026-12-06T10:00:00Z
        assert_eq!(parse_time("2026-12-06T10:00:00Z", now), Ok(ten));
        assert_eq!(parse_time("2026-12-06 10:00", now), Ok(ten));
        assert_eq!(parse_time("10:00", now), Ok(ten));
        assert_eq!(parse_time("2h", now), Ok(ten));
        assert_eq!(parse_time("1796551200000", now), Ok(ten));
        assert!(parse_time("soon", now).is_err());
    }
}
