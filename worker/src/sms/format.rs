//! Text for people: meeting times in the recipient's time zone ("Tue 21 Apr, 10:00 PDT") and the
//! parameters every SMS template can use.
//!
//! Template parameters (EngageLab `{var}` placeholders), the same set for every kind: `name`,
//! `first_name`, `event`, `time` (start, formatted as above), `end_time`, `advance` (reminders
//! only: how long before the start it is planned, "in 24 hours", "in 1 hour", "in 30 minutes",
//! "in 2 days"), `cancel_url`, `reschedule_url`, `join_url` (the location's join link),
//! `host` (the host's name) and `booking_url` (the single-use link of a win-back or no-show
//! apology). A parameter the template does not use is ignored; a placeholder without a parameter
//! is sent literally, so each is sent whenever meetflow knows it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

/// `name` as an IANA zone, else `default` (an unknown name is not an error: people still get the
/// message, in the default zone).
pub(crate) fn zone(name: Option<&str>, default: Tz) -> Tz {
    meetflow_shared::bookings::zone_or(name.map(str::trim), default)
}

/// `Tue 21 Apr, 10:00 PDT`.
pub(crate) fn human_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%a %-d %b, %H:%M %Z")
        .to_string()
}

/// The first word of a name ("Zoë Saldaña-Ruiz" -> "Zoë"), or the whole trimmed name.
pub(crate) fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or("").to_owned()
}

/// How long before the start a reminder is planned, in English words: "in 24 hours", "in 1 hour",
/// "in 30 minutes", "in 2 days" (whole days from 48 hours on, else the largest whole unit).
pub(crate) fn advance(before: Duration) -> String {
    let s = before.as_secs();
    let (n, unit) = if s >= 2 * 86_400 && s.is_multiple_of(86_400) {
        (s / 86_400, "day")
    } else if s >= 3600 && s.is_multiple_of(3600) {
        (s / 3600, "hour")
    } else if s >= 60 && s.is_multiple_of(60) {
        (s / 60, "minute")
    } else {
        (s, "second")
    };
    let plural = if n == 1 { "" } else { "s" };
    format!("in {n} {unit}{plural}")
}

/// What an SMS is about.
#[derive(Debug, Clone, Default)]
pub(crate) struct MessageFacts<'a> {
    pub(crate) name: &'a str,
    pub(crate) event_name: &'a str,
    pub(crate) start: Option<DateTime<Utc>>,
    pub(crate) end: Option<DateTime<Utc>>,
    pub(crate) cancel_url: Option<&'a str>,
    pub(crate) reschedule_url: Option<&'a str>,
    pub(crate) booking_url: Option<&'a str>,
    /// A reminder's offset before the start (`advance`).
    pub(crate) advance: Option<Duration>,
    pub(crate) join_url: Option<&'a str>,
    pub(crate) host: Option<&'a str>,
}

impl<'a> MessageFacts<'a> {
    /// The same facts with the links and host name of `links`.
    pub(crate) fn with_links(self, links: &'a meetflow_shared::bookings::MessageLinks) -> Self {
        Self {
            cancel_url: links.cancel_url.as_deref(),
            reschedule_url: links.reschedule_url.as_deref(),
            join_url: links.join_url.as_deref(),
            host: links.host.as_deref(),
            ..self
        }
    }
}

/// The template parameters of a message, times written in `tz`.
pub(crate) fn params(facts: &MessageFacts<'_>, tz: Tz) -> Map<String, Value> {
    let mut p = Map::new();
    let mut put = |k: &str, v: String| {
        p.insert(k.to_owned(), Value::String(v));
    };
    put("name", facts.name.trim().to_owned());
    put("first_name", first_name(facts.name));
    put("event", facts.event_name.to_owned());
    if let Some(start) = facts.start {
        put("time", human_time(start, tz));
    }
    if let Some(end) = facts.end {
        put("end_time", human_time(end, tz));
    }
    if let Some(before) = facts.advance {
        put("advance", advance(before));
    }
    if let Some(u) = facts.cancel_url {
        put("cancel_url", u.to_owned());
    }
    if let Some(u) = facts.reschedule_url {
        put("reschedule_url", u.to_owned());
    }
    if let Some(u) = facts.booking_url {
        put("booking_url", u.to_owned());
    }
    if let Some(u) = facts.join_url {
        put("join_url", u.to_owned());
    }
    if let Some(h) = facts.host {
        put("host", h.to_owned());
    }
    p
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn times_are_written_for_people_in_the_recipients_zone() {
        let at = DateTime::parse_from_rfc3339("2026-04-21T17:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let la = zone(Some("America/Los_Angeles"), Tz::UTC);
        assert_eq!(human_time(at, la), "Tue 21 Apr, 10:00 PDT");
        assert_eq!(human_time(at, zone(None, Tz::UTC)), "Tue 21 Apr, 17:00 UTC");
        let paris = zone(Some("Not/AZone"), Tz::Europe__Paris);
        assert_eq!(human_time(at, paris), "Tue 21 Apr, 19:00 CEST");
        let winter = DateTime::parse_from_rfc3339("2026-01-05T09:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(human_time(winter, la), "Mon 5 Jan, 01:05 PST");
    }

    #[test]
    fn advance_is_said_in_the_largest_whole_unit() {
        let cases = [
            (24 * 3600, "in 24 hours"),
            (3600, "in 1 hour"),
            (1800, "in 30 minutes"),
            (48 * 3600, "in 2 days"),
            (36 * 3600, "in 36 hours"),
            (90 * 60, "in 90 minutes"),
            (60, "in 1 minute"),
            (45, "in 45 seconds"),
        ];
        for (secs, want) in cases {
            assert_eq!(advance(Duration::from_secs(secs)), want, "{secs}s");
        }
    }

    #[test]
    fn params_carry_unicode_names_untouched() {
        let facts = MessageFacts {
            name: "  Zoë Saldaña-Ruiz ",
            event_name: "Démo produit",
            start: None,
            ..MessageFacts::default()
        };
        let p = params(&facts, Tz::UTC);
        assert_eq!(p["name"], "Zoë Saldaña-Ruiz");
        assert_eq!(p["first_name"], "Zoë");
        assert_eq!(p["event"], "Démo produit");
        assert!(!p.contains_key("time"));
    }
}
