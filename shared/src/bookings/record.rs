//! The booking hash on the wire: field names and parsing into [`Booking`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{
    Booking, BookingFacts, BookingKey, BookingStatus, PlannedReminder, ReminderKind, ReminderState,
};

/// Field holding the status.
pub(super) const STATUS: &str = "status";
/// Prefix of the reminder record fields (`r:<kind>`).
pub(super) const REMINDER_PREFIX: &str = "r:";

/// The booking fields written by `booked`, as (field, value) pairs; absent values are omitted.
pub(super) fn booking_fields(facts: &BookingFacts) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("start_ms", facts.start.timestamp_millis().to_string()),
        ("end_ms", facts.end.timestamp_millis().to_string()),
        ("invitee_uri", facts.invitee_uri.clone()),
        ("name", facts.name.clone()),
        ("email", facts.email.clone()),
        ("event_type", facts.event_type.clone()),
        ("event_name", facts.event_name.clone()),
    ];
    let optional = [
        ("timezone", &facts.timezone),
        ("phone", &facts.phone),
        ("old_invitee", &facts.old_invitee),
    ];
    out.extend(
        optional
            .into_iter()
            .filter_map(|(f, v)| v.clone().map(|v| (f, v))),
    );
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
        invitee_uri: f.remove("invitee_uri"),
        timezone: f.remove("timezone"),
        phone: f.remove("phone"),
        name: f.remove("name"),
        email: f.remove("email"),
        event_type: f.remove("event_type"),
        event_name: f.remove("event_name"),
        old_invitee: f.remove("old_invitee"),
        new_invitee: f.remove("new_invitee"),
        reminders,
    })
}
