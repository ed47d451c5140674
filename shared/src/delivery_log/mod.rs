//! The delivery log: every webhook delivery ingest accepted (Calendly, Zoom, EngageLab
//! callbacks), kept for `ingest.delivery_log.retention` (14 days by default) within
//! `max_entries` and `max_bytes`, searchable by provider, event, time window and person, shown
//! as its raw body (masked by the admin), and re-processable one by one or by filter.
//!
//! Writing: ingest gives each delivery's job a [`LogEntry`]; the queue's `enqueue` script
//! writes the entry (a HASH with the job payload, which holds the raw body) and its index
//! entries in the same run as the job, so a delivery is never acknowledged without being
//! logged (a duplicate redelivery is logged too, with outcome `duplicate`). After each batch
//! ingest trims the log oldest first ([`crate::queue::QueueClient::trim_delivery_log`]).
//!
//! Indexes (ZSETs scored by the stored time, see [`crate::redis::Keys`]): the whole log, one per
//! provider, one per provider and event, and one per person: the people a body names (e-mail
//! addresses, phone numbers under phone-like keys or Calendly's phone question), read at write
//! time ([`persons`]), at most [`MAX_PERSONS`] per delivery and [`PERSON_CAP`] deliveries per
//! person, keyed by [`crate::domain::email_tag`] of the lower-case e-mail or the E.164 number,
//! so no address is in a key name.
//!
//! Reading ([`DeliveryLog`]): pages newest first with a cursor (`<ms>:<entry id>`) that stays
//! stable while new deliveries arrive (they land before page one's first row), and replay:
//! each chosen delivery's stored job payload is enqueued again on the `events` queue as a new
//! job, so the worker re-processes it under the same send-once rules as any delivery (an SMS
//! whose marker says sent is not sent again).

mod persons;
mod search;
mod when;

pub use persons::{MAX_PERSONS, person_tag, persons};
pub use search::{
    Delivery, DeliveryLog, DeliveryPage, DeliveryRow, Filter, LogError, REPLAY_REQUEST_ID,
    ReplayReport, SCAN_BUDGET,
};
pub use when::parse_time;

use crate::events::Provider;
use crate::redis::Keys;

/// Most deliveries the index of one person keeps (the newest).
pub const PERSON_CAP: usize = 500;
/// Longest event name kept as is in an index key; a longer or odd one is logged as `other`.
const EVENT_CHARS: usize = 64;

/// What ingest logs about one delivery besides its job payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    id: String,
    provider: Provider,
    event: String,
    persons: Vec<String>,
}

impl LogEntry {
    /// The entry of a delivery from `provider` with envelope event `event` (`None` for a body
    /// that is not an event) naming `persons` (tags from [`persons`]); a fresh ULID id.
    pub fn new(provider: Provider, event: Option<&str>, persons: Vec<String>) -> Self {
        Self {
            id: crate::ids::next_ulid(),
            provider,
            event: event_label(event),
            persons,
        }
    }

    /// The entry id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `id|provider|event|tag,tag` for the enqueue script (no part can hold `|`).
    pub(crate) fn spec(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.id,
            self.provider,
            self.event,
            self.persons.join(",")
        )
    }

    /// The keys the enqueue script writes for this entry, in its order.
    pub(crate) fn keys(&self, k: &Keys) -> Vec<String> {
        let mut keys = vec![
            k.delivery(&self.id),
            k.deliveries_by(self.provider.as_str()),
            k.deliveries_by(&format!("{}:{}", self.provider, self.event)),
        ];
        keys.extend(self.persons.iter().map(|p| k.deliveries_person(p)));
        keys
    }
}

/// The event name as the log keeps it: letters, digits, `.`, `_`, `-` up to 64 characters
/// (every real event name); `-` when there is none; `other` for anything else, so an index key
/// name stays bounded.
pub fn event_label(event: Option<&str>) -> String {
    match event.map(str::trim) {
        None | Some("") => "-".to_owned(),
        Some(e)
            if e.len() <= EVENT_CHARS
                && e.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) =>
        {
            e.to_owned()
        }
        Some(_) => "other".to_owned(),
    }
}

/// `calendly`, `zoom` or `engagelab`.
pub fn parse_provider(s: &str) -> Option<Provider> {
    match s.trim().to_ascii_lowercase().as_str() {
        "calendly" => Some(Provider::Calendly),
        "zoom" => Some(Provider::Zoom),
        "engagelab" => Some(Provider::EngageLab),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_labels_are_bounded_and_spec_safe() {
        assert_eq!(event_label(Some("invitee.created")), "invitee.created");
        assert_eq!(event_label(None), "-");
        assert_eq!(event_label(Some("a|b")), "other");
        assert_eq!(event_label(Some(&"x".repeat(65))), "other");
        let e = LogEntry::new(Provider::Zoom, Some("meeting.ended"), vec!["ab".into()]);
        assert!(e.spec().ends_with("|zoom|meeting.ended|ab"), "{}", e.spec());
        assert_eq!(e.keys(&Keys::new("n")).len(), 4);
    }
}
