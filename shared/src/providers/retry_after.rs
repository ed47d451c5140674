//! Reading a provider's wait hint (`Retry-After`, `X-RateLimit-Reset`, `x-sib-ratelimit-reset`).
//!
//! A hint is either a number of seconds (`3`, `1.5`; above 10^9 a Unix timestamp) or a date:
//! RFC 3339 as Zoom's daily-limit 429 sends it (`2020-05-31T00:00:00Z`), or the HTTP-date forms
//! of RFC 7231 (`Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 `Sunday, 06-Nov-94
//! 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994`). A date turns into the time left until
//! it (zero when past). `now` is passed in so the reading is testable without a clock.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};

/// The wait a hint asks for, measured from `now`; `None` when it is neither seconds nor a date.
/// Not clamped: the caller applies its own ceiling.
#[must_use]
pub fn parse(raw: &str, now: DateTime<Utc>) -> Option<Duration> {
    let raw = raw.trim();
    if let Ok(secs) = raw.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        if secs > 1e9 {
            #[allow(
                clippy::cast_precision_loss,
                reason = "milliseconds since 1970 fit in f64"
            )]
            let now_secs = now.timestamp_millis() as f64 / 1000.0;
            return Some(Duration::from_secs_f64((secs - now_secs).max(0.0)));
        }
        return Some(Duration::from_secs_f64(secs));
    }
    let at = date(raw)?;
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// A date in any of the accepted forms, as UTC.
fn date(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(raw) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(t.and_utc());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn seconds_decimals_and_unix_timestamps() {
        let now = at("2020-05-30T23:00:00Z");
        assert_eq!(parse("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse(" 1.5 ", now), Some(Duration::from_millis(1500)));
        let ts = (now.timestamp() + 10).to_string();
        assert_eq!(parse(&ts, now), Some(Duration::from_secs(10)));
    }

    #[test]
    fn zooms_rfc3339_daily_limit_date_is_the_time_left() {
        let now = at("2020-05-30T23:00:00Z");
        assert_eq!(
            parse("2020-05-31T00:00:00Z", now),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            parse("2020-05-31T01:00:00+01:00", now),
            Some(Duration::from_secs(3600))
        );
    }

    #[test]
    fn the_three_http_date_forms_of_rfc_7231() {
        let now = at("1994-11-06T08:49:07Z");
        let want = Some(Duration::from_secs(30));
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT", now), want);
        assert_eq!(parse("Sunday, 06-Nov-94 08:49:37 GMT", now), want);
        assert_eq!(parse("Sun Nov  6 08:49:37 1994", now), want);
    }

    #[test]
    fn a_past_date_waits_nothing_and_garbage_is_no_hint() {
        let now = at("2021-01-01T00:00:00Z");
        assert_eq!(parse("2020-05-31T00:00:00Z", now), Some(Duration::ZERO));
        for bad in ["soon", "-4", "", "NaN", "31/05/2020"] {
            assert_eq!(parse(bad, now), None, "{bad}");
        }
    }
}
