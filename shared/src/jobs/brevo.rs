//! [`BrevoJob`]: one Brevo call on the `brevo` queue (a contact sync or a custom event).
//!
//! The `events` handler turns each webhook into these jobs with deterministic ids
//! (`brevo:<what>:<booking or meeting>[:<email hash>]`), so a re-run of the event job after a
//! crash enqueues nothing twice. A contact sync may name its booking: the handler then writes the
//! booking's *current* status (read from the bookings store when the job runs) instead of the one
//! known when it was enqueued, so syncs that run out of order still end with the right status.
//! An attendance sync likewise writes the contact's total attendance minutes as they stand when
//! it runs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::bookings::BookingKey;

/// One Brevo call (queue [`super::BREVO`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrevoJob {
    /// Payload version: [`BrevoJob::VERSION`].
    pub v: u32,
    /// What to do.
    pub op: BrevoOp,
}

impl BrevoJob {
    /// The payload version this build writes and reads.
    pub const VERSION: u32 = 1;

    /// A contact sync job.
    #[must_use]
    pub fn contact(sync: ContactSync) -> Self {
        Self {
            v: Self::VERSION,
            op: BrevoOp::UpsertContact(sync),
        }
    }

    /// An attendance sync job.
    #[must_use]
    pub fn attendance(sync: AttendanceSync) -> Self {
        Self {
            v: Self::VERSION,
            op: BrevoOp::SyncAttendance(sync),
        }
    }

    /// A custom event job.
    #[must_use]
    pub fn event(event: EventTrack) -> Self {
        Self {
            v: Self::VERSION,
            op: BrevoOp::TrackEvent(event),
        }
    }
}

/// The Brevo calls the worker makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BrevoOp {
    /// `POST /contacts` with `updateEnabled: true`.
    UpsertContact(ContactSync),
    /// `POST /events`, for Brevo automations.
    TrackEvent(EventTrack),
    /// `POST /contacts` of a meeting's or webinar's attendee, with their total minutes.
    SyncAttendance(AttendanceSync),
}

/// A contact to create or update.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactSync {
    /// The contact's e-mail (the identifier).
    pub email: String,
    /// UPPER-CASE Brevo attribute -> value (`SMS` in E.164 when present).
    #[serde(default)]
    pub attributes: Map<String, Value>,
    /// Lists to add the contact to.
    #[serde(default)]
    pub list_ids: Vec<u64>,
    /// The booking this sync is about: its current status is written to `status_attribute`, and
    /// the sync is dropped when the booking was rescheduled (the new booking syncs instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking: Option<BookingKey>,
    /// The attribute holding the booking status (`field_mapping.status`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_attribute: Option<String>,
    /// Where this sync comes from (`calendly:invitee.created`, `zoom:meeting.ended`, ...), for
    /// logs and metrics.
    pub source: String,
}

/// A contact sync that also writes the contact's total attendance minutes over every meeting and
/// webinar. The total is read from Redis ([`crate::redis::Keys::attendance_minutes`]) when the
/// job runs, never carried in the payload, so a sync that runs late cannot write an older total.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AttendanceSync {
    /// The sync itself (attendance attributes of this meeting or webinar, list).
    pub contact: ContactSync,
    /// The attribute receiving the total (`TOTAL_ATTENDANCE_MINUTES`).
    pub total_minutes_attribute: String,
}

/// A Brevo custom event about one contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventTrack {
    /// The event name (from `engagement.brevo_events`).
    pub event_name: String,
    /// The contact's e-mail.
    pub email: String,
    /// `event_properties`.
    #[serde(default)]
    pub properties: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn jobs_round_trip_with_a_tagged_op() {
        let job = BrevoJob::contact(ContactSync {
            email: "a@example.com".into(),
            list_ids: vec![10],
            booking: BookingKey::parse("abc"),
            status_attribute: Some("BOOKING_STATUS".into()),
            source: "calendly:invitee.created".into(),
            ..ContactSync::default()
        });
        let text = serde_json::to_string(&job).unwrap();
        assert!(text.contains(r#""kind":"upsert_contact""#), "{text}");
        assert_eq!(serde_json::from_str::<BrevoJob>(&text).unwrap(), job);
        let ev = BrevoJob::event(EventTrack {
            event_name: "booking_created".into(),
            email: "a@example.com".into(),
            properties: Map::new(),
        });
        let text = serde_json::to_string(&ev).unwrap();
        assert_eq!(serde_json::from_str::<BrevoJob>(&text).unwrap(), ev);
    }
}
