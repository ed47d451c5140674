//! The booking hash on the wire: field names, a compact encoding of Calendly URIs, and parsing
//! into [`Booking`].
//!
//! Redis keeps a small hash as one compact listpack only while every value is at most
//! `hash-max-listpack-value` (64) bytes; one longer value turns it into a real hash table, about
//! 2.5 times the memory. Calendly URIs are longer, so the hash stores them shortened:
//! - `invitee_uri` `https://api.calendly.com/scheduled_events/<event>/invitees/<booking key>`
//!   is stored as `~<event>` (the rest is the key itself);
//! - `event_type` `https://api.calendly.com/event_types/<uuid>` as `~<uuid>`;
//! - the reschedule links as booking keys (`old_key`, `new_key`);
//! - `cancel_url` `https://calendly.com/cancellations/<booking key>` as `~` (likewise
//!   `reschedule_url` with `reschedulings`); other links (a join link) as they are.
//!
//! Any other value is stored as is.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::telemetry::trace_context;

use super::{
    Booking, BookingFacts, BookingKey, BookingStatus, MessageLinks, PlannedReminder, ReminderKind,
    ReminderState,
};

/// Field holding the status.
pub(super) const STATUS: &str = "status";
/// Prefix of the reminder record fields (`r:<kind>`).
pub(super) const REMINDER_PREFIX: &str = "r:";

const SCHEDULED_EVENTS: &str = "https://api.calendly.com/scheduled_events/";
const EVENT_TYPES: &str = "https://api.calendly.com/event_types/";
const PACKED: char = '~';
const CANCELLATIONS: &str = "https://calendly.com/cancellations/";
const RESCHEDULINGS: &str = "https://calendly.com/reschedulings/";

/// A Calendly invitee link (`<prefix><booking key>`) as stored: `~` when it ends in the key.
fn pack_invitee_link(url: &str, prefix: &str, key: &BookingKey) -> String {
    if url.strip_prefix(prefix) == Some(key.as_str()) {
        PACKED.to_string()
    } else {
        url.to_owned()
    }
}

fn unpack_invitee_link(stored: String, prefix: &str, key: &BookingKey) -> String {
    if stored == PACKED.to_string() {
        format!("{prefix}{key}")
    } else {
        stored
    }
}

/// `invitee_uri` as stored for booking `key`.
pub(super) fn pack_invitee_uri(uri: &str, key: &BookingKey) -> String {
    let event = uri
        .strip_prefix(SCHEDULED_EVENTS)
        .and_then(|rest| rest.strip_suffix(key.as_str()))
        .and_then(|rest| rest.strip_suffix("/invitees/"))
        .filter(|event| !event.is_empty() && !event.contains('/'));
    match event {
        Some(event) => format!("{PACKED}{event}"),
        None => uri.to_owned(),
    }
}

fn unpack_invitee_uri(stored: String, key: &BookingKey) -> String {
    match stored.strip_prefix(PACKED) {
        Some(event) => format!("{SCHEDULED_EVENTS}{event}/invitees/{key}"),
        None => stored,
    }
}

fn pack_prefixed(value: &str, prefix: &str) -> String {
    match value.strip_prefix(prefix) {
        Some(rest) if !rest.is_empty() => format!("{PACKED}{rest}"),
        _ => value.to_owned(),
    }
}

fn unpack_prefixed(stored: String, prefix: &str) -> String {
    match stored.strip_prefix(PACKED) {
        Some(rest) => format!("{prefix}{rest}"),
        None => stored,
    }
}

/// Longest value a listpack hash keeps (`hash-max-listpack-value`).
const LISTPACK_VALUE: usize = 64;
/// Fields of a join link: any length up to 4 x 64 bytes stays in a listpack.
const JOIN_URL: [&str; 4] = ["join_url", "join_url~2", "join_url~3", "join_url~4"];
/// Fields of the host's name.
const HOST: [&str; 2] = ["host", "host~2"];

/// `value` over `fields`, at most [`LISTPACK_VALUE`] bytes each (split at character
/// boundaries); whatever does not fit goes whole into the last field.
fn chunked(fields: &[&'static str], value: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut rest = value;
    for (i, field) in fields.iter().enumerate() {
        if rest.is_empty() {
            break;
        }
        let mut cut = rest.len().min(LISTPACK_VALUE);
        if i + 1 == fields.len() {
            cut = rest.len();
        }
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push((*field, rest[..cut].to_owned()));
        rest = &rest[cut..];
    }
    out
}

/// A value written by [`chunked`], joined again; `None` when its first field is absent.
fn unchunked(fields: &[&'static str], f: &mut HashMap<String, String>) -> Option<String> {
    let mut value = f.remove(*fields.first()?)?;
    for field in &fields[1..] {
        match f.remove(*field) {
            Some(part) => value.push_str(&part),
            None => break,
        }
    }
    Some(value)
}

/// The booking fields written by `booked`, as (field, value) pairs; absent values are omitted.
pub(super) fn booking_fields(
    facts: &BookingFacts,
    key: &BookingKey,
) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("start_ms", facts.start.timestamp_millis().to_string()),
        ("end_ms", facts.end.timestamp_millis().to_string()),
        ("invitee_uri", pack_invitee_uri(&facts.invitee_uri, key)),
        ("name", facts.name.clone()),
        ("email", facts.email.clone()),
        ("event_type", pack_prefixed(&facts.event_type, EVENT_TYPES)),
        ("event_name", facts.event_name.clone()),
    ];
    let old_key = facts
        .old_invitee
        .as_deref()
        .map(|uri| BookingKey::from_invitee_uri(uri).as_str().to_owned());
    let optional = [
        ("timezone", facts.timezone.clone()),
        ("phone", facts.phone.clone()),
        ("old_key", old_key),
        // The trace of the delivery that recorded it, for its reminders to link to.
        ("traceparent", trace_context::current_traceparent()),
        (
            "cancel_url",
            facts
                .links
                .cancel_url
                .as_deref()
                .map(|u| pack_invitee_link(u, CANCELLATIONS, key)),
        ),
        (
            "reschedule_url",
            facts
                .links
                .reschedule_url
                .as_deref()
                .map(|u| pack_invitee_link(u, RESCHEDULINGS, key)),
        ),
    ];
    out.extend(optional.into_iter().filter_map(|(f, v)| v.map(|v| (f, v))));
    if let Some(url) = &facts.links.join_url {
        out.extend(chunked(&JOIN_URL, url));
    }
    if let Some(host) = &facts.links.host {
        out.extend(chunked(&HOST, host));
    }
    out
}

/// Parse `<state>:<due_ms>`.
pub(super) fn parse_record(value: &str) -> Option<(ReminderState, i64)> {
    let (state, due) = value.split_once(':')?;
    Some((ReminderState::parse(state)?, due.parse().ok()?))
}

fn ms_time(v: Option<&String>) -> Option<DateTime<Utc>> {
    v.and_then(|s| s.parse::<i64>().ok())
        .and_then(DateTime::<Utc>::from_timestamp_millis)
}

/// Parse a booking hash (`HGETALL`); `None` when empty (no such booking) or without a status.
/// Unknown fields and malformed reminder records are skipped, never an error.
pub(super) fn parse_booking(key: &BookingKey, mut f: HashMap<String, String>) -> Option<Booking> {
    let status = BookingStatus::parse(f.get(STATUS)?)?;
    let mut reminders: Vec<PlannedReminder> = f
        .iter()
        .filter_map(|(field, value)| {
            let kind = ReminderKind::parse(field.strip_prefix(REMINDER_PREFIX)?)?;
            let (state, due) = parse_record(value)?;
            Some(PlannedReminder {
                id: PlannedReminder::id_for(key, kind),
                booking: key.clone(),
                kind,
                due_at: DateTime::<Utc>::from_timestamp_millis(due)?,
                state,
            })
        })
        .collect();
    reminders.sort_by_key(|r| (r.due_at, r.kind));
    Some(Booking {
        key: key.clone(),
        status,
        start: ms_time(f.get("start_ms")),
        end: ms_time(f.get("end_ms")),
        updated_at: ms_time(f.get("updated_at")),
        version: f.get("version").and_then(|v| v.parse().ok()).unwrap_or(0),
        invitee_uri: f.remove("invitee_uri").map(|v| unpack_invitee_uri(v, key)),
        timezone: f.remove("timezone"),
        phone: f.remove("phone"),
        name: f.remove("name"),
        email: f.remove("email"),
        event_type: f
            .remove("event_type")
            .map(|v| unpack_prefixed(v, EVENT_TYPES)),
        event_name: f.remove("event_name"),
        rescheduled_from: f.remove("old_key").and_then(|k| BookingKey::parse(&k)),
        rescheduled_to: f.remove("new_key").and_then(|k| BookingKey::parse(&k)),
        traceparent: f.remove("traceparent"),
        reminders,
        links: MessageLinks {
            cancel_url: f
                .remove("cancel_url")
                .map(|v| unpack_invitee_link(v, CANCELLATIONS, key)),
            reschedule_url: f
                .remove("reschedule_url")
                .map(|v| unpack_invitee_link(v, RESCHEDULINGS, key)),
            join_url: unchunked(&JOIN_URL, &mut f),
            host: unchunked(&HOST, &mut f),
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn calendly_uris_are_stored_short_and_read_back_whole() {
        let uri = "https://api.calendly.com/scheduled_events/5f443a67-564e-4e90-a900-b0e92c02ec25/invitees/9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e";
        let key = BookingKey::from_invitee_uri(uri);
        let packed = pack_invitee_uri(uri, &key);
        assert_eq!(packed, "~5f443a67-564e-4e90-a900-b0e92c02ec25");
        assert_eq!(unpack_invitee_uri(packed, &key), uri);
        let other = "https://example.com/x/invitees/abc";
        let k2 = BookingKey::from_invitee_uri(other);
        assert_eq!(unpack_invitee_uri(pack_invitee_uri(other, &k2), &k2), other);
        let et = "https://api.calendly.com/event_types/2b6c1f0a-7d3e-4c8b-9f21-5a4e8d0c6b13";
        assert!(pack_prefixed(et, EVENT_TYPES).len() <= 64);
        assert_eq!(
            unpack_prefixed(pack_prefixed(et, EVENT_TYPES), EVENT_TYPES),
            et
        );
        assert_eq!(pack_prefixed("Discovery", EVENT_TYPES), "Discovery");
        let cancel = format!("{CANCELLATIONS}{key}");
        assert_eq!(pack_invitee_link(&cancel, CANCELLATIONS, &key), "~");
        assert_eq!(unpack_invitee_link("~".into(), CANCELLATIONS, &key), cancel);
        let foreign = format!("{CANCELLATIONS}other");
        assert_eq!(pack_invitee_link(&foreign, CANCELLATIONS, &key), foreign);
    }

    #[test]
    fn long_values_are_split_into_listpack_sized_fields_and_joined_again() {
        for len in [0, 1, 63, 64, 65, 128, 200, 256, 300] {
            let value: String = "é".repeat(len / 2) + &"x".repeat(len % 2);
            let parts = chunked(&JOIN_URL, &value);
            let last = parts.len().saturating_sub(1);
            for (i, (_, part)) in parts.iter().enumerate() {
                assert!(
                    i == last || part.len() <= LISTPACK_VALUE,
                    "{len}: {parts:?}"
                );
            }
            if value.len() <= 4 * LISTPACK_VALUE - 4 {
                assert!(parts.iter().all(|(_, p)| p.len() <= LISTPACK_VALUE));
            }
            let mut map: HashMap<String, String> =
                parts.into_iter().map(|(f, v)| (f.to_owned(), v)).collect();
            let back = unchunked(&JOIN_URL, &mut map);
            assert_eq!(back.unwrap_or_default(), value, "{len}");
            assert!(map.is_empty());
        }
    }
}
