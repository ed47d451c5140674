//! Text for people: meeting times in the recipient's time zone and locale ("Tue, Apr 21, 10:00 AM
//! PDT", "พุธ 22 เม.ย. 00:00 +07"; [`meetflow_shared::locale`]) and the parameters every SMS
//! template can use.
//!
//! Template parameters (EngageLab `{var}` placeholders), the same set for every kind: `name`,
//! `first_name`, `event`, `time` (start, formatted as above), `end_time`, `advance` (reminders
//! only: how long before the start it is planned, in the locale: "in 24 hours", "in 1 hour",
//! "ในอีก 24 ชั่วโมง", "peste 1 oră"), `cancel_url`, `reschedule_url`, `join_url` (the location's join link),
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

/// The first word of a name ("Zoë Saldaña-Ruiz" -> "Zoë"), or the whole trimmed name.
pub(crate) fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or("").to_owned()
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

/// The template parameters of a message, times written in `tz` for locale `locale` (a BCP 47
/// tag, validated at config load).
pub(crate) fn params(facts: &MessageFacts<'_>, tz: Tz, locale: &str) -> Map<String, Value> {
    let locale = meetflow_shared::locale::locale_or_default(locale);
    let human_time = |at| meetflow_shared::locale::meeting_time(at, tz, &locale);
    let advance = |before| meetflow_shared::locale::advance(before, &locale);
    let mut p = Map::new();
    let mut put = |k: &str, v: String| {
        p.insert(k.to_owned(), Value::String(v));
    };
    put("name", facts.name.trim().to_owned());
    put("first_name", first_name(facts.name));
    put("event", facts.event_name.to_owned());
    if let Some(start) = facts.start {
        put("time", human_time(start));
    }
    if let Some(end) = facts.end {
        put("end_time", human_time(end));
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
    fn times_are_written_in_the_recipients_zone_and_locale() {
        let at = DateTime::parse_from_rfc3339("2026-04-21T17:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let facts = MessageFacts {
            name: "Zoë",
            start: Some(at),
            advance: Some(Duration::from_secs(3600)),
            ..MessageFacts::default()
        };
        let la = zone(Some("America/Los_Angeles"), Tz::UTC);
        let p = params(&facts, la, "en");
        assert_eq!(p["time"], "Tue, Apr 21, 10:00 AM PDT");
        assert_eq!(p["advance"], "in 1 hour");
        let paris = zone(Some("Not/AZone"), Tz::Europe__Paris);
        let p = params(&facts, paris, "fr");
        assert_eq!(p["time"], "mar. 21 avr., 19:00 CEST");
        assert_eq!(p["advance"], "dans 1 heure");
    }

    #[test]
    fn params_carry_unicode_names_untouched() {
        let facts = MessageFacts {
            name: "  Zoë Saldaña-Ruiz ",
            event_name: "Démo produit",
            start: None,
            ..MessageFacts::default()
        };
        let p = params(&facts, Tz::UTC, "en");
        assert_eq!(p["name"], "Zoë Saldaña-Ruiz");
        assert_eq!(p["first_name"], "Zoë");
        assert_eq!(p["event"], "Démo produit");
        assert!(!p.contains_key("time"));
    }
}
