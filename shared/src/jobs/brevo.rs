//! [`BrevoJob`]: one Brevo call on the `brevo` queue (a contact sync or a custom event).
//!
//! The `events` handler turns each webhook into these jobs with deterministic ids
//! (`brevo:<what>:<booking or meeting>[:<email hash>]`, every form in [`BrevoId`]), so a re-run of
//! the event job after a crash enqueues nothing twice. A contact sync may name its booking: the handler then writes the
//! booking's *current* status (read from the bookings store when the job runs) instead of the one
//! known when it was enqueued, so syncs that run out of order still end with the right status.
//! An attendance sync likewise writes the contact's total attendance minutes as they stand when
//! it runs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::spec::JobSpec;
use crate::domain::{BookingKey, email_tag};

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

impl JobSpec for BrevoJob {
    const QUEUE: &'static str = super::BREVO;
    const VERSION: u32 = BrevoJob::VERSION;
    const NAME: &'static str = "brevo job";
    type IdFrom = BrevoId;

    /// The id of this call made for `from` (see [`BrevoId`] for every form).
    fn job_id(&self, from: &BrevoId) -> String {
        match from {
            BrevoId::BookingCreated(booking) => format!("brevo:created:{booking}"),
            BrevoId::BookingCanceled(booking) => format!("brevo:canceled:{booking}"),
            BrevoId::NoShow {
                set,
                booking,
                delivery,
            } => {
                let what = if *set { "set" } else { "cleared" };
                format!("brevo:no_show:{what}:{booking}:{}", delivery_tag(delivery))
            }
            BrevoId::WebinarJoined { webinar, email } => {
                format!("brevo:webinar:joined:{webinar}:{}", email_tag(email))
            }
            BrevoId::WebinarRegistered { webinar, email } => {
                format!("brevo:webinar:registered:{webinar}:{}", email_tag(email))
            }
            BrevoId::Recording { instance, email } => {
                format!("brevo:recording:{instance}:{}", email_tag(email))
            }
            BrevoId::Attendance {
                session: "meeting",
                what,
                uuid,
                email,
            } => format!("brevo:zoom:{what}:{uuid}:{}", email_tag(email)),
            BrevoId::Attendance {
                session,
                what,
                uuid,
                email,
            } => format!("brevo:zoom:{session}_{what}:{uuid}:{}", email_tag(email)),
            BrevoId::RoutingForm { submission } => format!("brevo:routing_form:{submission}"),
            BrevoId::Event { subject } => {
                let name = match &self.op {
                    BrevoOp::TrackEvent(e) => e.event_name.as_str(),
                    BrevoOp::UpsertContact(_) | BrevoOp::SyncAttendance(_) => "",
                };
                format!("brevo:event:{name}:{subject}")
            }
        }
    }

    fn version(&self) -> u32 {
        self.v
    }
}

/// The tag of a webhook delivery in ids and event subjects: the last 16 characters of its id
/// (all of it when shorter).
#[must_use]
pub fn delivery_tag(delivery_id: &str) -> &str {
    let start = delivery_id
        .char_indices()
        .rev()
        .nth(15)
        .map_or(0, |(i, _)| i);
    &delivery_id[start..]
}

/// What a Brevo call is made for, which is what its job id says: the same event run twice makes
/// the same ids, so each call is stored once. E-mail addresses appear in ids only as their
/// [`email_tag`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrevoId {
    /// `brevo:created:<booking>`: the contact sync of a booking made.
    BookingCreated(BookingKey),
    /// `brevo:canceled:<booking>`: the contact sync of a booking cancelled.
    BookingCanceled(BookingKey),
    /// `brevo:no_show:<set|cleared>:<booking>:<last 16 characters of the delivery id>`: the
    /// contact sync of a no-show marked or cleared, once per delivery.
    NoShow {
        /// Marked (`set`) or cleared.
        set: bool,
        /// The booking.
        booking: BookingKey,
        /// The webhook delivery id.
        delivery: String,
    },
    /// `brevo:webinar:joined:<webinar>:<email tag>`: a webinar attendee onto the attendee list.
    WebinarJoined {
        /// The webinar instance UUID, else its id.
        webinar: String,
        /// The attendee's e-mail.
        email: String,
    },
    /// `brevo:webinar:registered:<webinar>:<email tag>`: a registrant onto the registrant list.
    WebinarRegistered {
        /// The webinar id, else its UUID.
        webinar: String,
        /// The registrant's e-mail.
        email: String,
    },
    /// `brevo:recording:<instance>:<email tag>`: a recording link for a booked contact.
    Recording {
        /// The meeting instance UUID, else the meeting id.
        instance: String,
        /// The contact's e-mail.
        email: String,
    },
    /// `brevo:zoom:<what>:<uuid>:<email tag>` for a meeting, `brevo:zoom:<session>_<what>:...`
    /// for another session (`webinar`): an attendance sync (`attended`, `missed`).
    Attendance {
        /// `meeting` or `webinar`.
        session: &'static str,
        /// `attended` or `missed`.
        what: &'static str,
        /// The instance UUID.
        uuid: String,
        /// The contact's e-mail.
        email: String,
    },
    /// `brevo:routing_form:<submission>`: the contact sync of a routing form submission.
    RoutingForm {
        /// The submission's id (the last segment of its URI).
        submission: String,
    },
    /// `brevo:event:<event name>:<subject>`: a custom event (its name is the payload's).
    Event {
        /// What the event is about (a booking key, `<uuid>:<email tag>`, ...).
        subject: String,
    },
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
    /// When it happened (`event_date`), for an event brought over from the history by the
    /// backfill; absent = when Brevo receives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<chrono::DateTime<chrono::Utc>>,
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
            date: None,
            email: "a@example.com".into(),
            properties: Map::new(),
        });
        let text = serde_json::to_string(&ev).unwrap();
        assert_eq!(serde_json::from_str::<BrevoJob>(&text).unwrap(), ev);
    }

    #[test]
    fn every_brevo_id_is_formed_from_its_reason() {
        let key = BookingKey::parse("abc").unwrap();
        let contact = BrevoJob::contact(ContactSync::default());
        let tag = email_tag("jo@example.com");
        let cases = [
            (
                BrevoId::BookingCreated(key.clone()),
                "brevo:created:abc".to_owned(),
            ),
            (
                BrevoId::BookingCanceled(key.clone()),
                "brevo:canceled:abc".to_owned(),
            ),
            (
                BrevoId::NoShow {
                    set: false,
                    booking: key.clone(),
                    delivery: "wh:calendly:0123456789abcdef0123".into(),
                },
                "brevo:no_show:cleared:abc:456789abcdef0123".to_owned(),
            ),
            (
                BrevoId::WebinarJoined {
                    webinar: "w1".into(),
                    email: "jo@example.com".into(),
                },
                format!("brevo:webinar:joined:w1:{tag}"),
            ),
            (
                BrevoId::Attendance {
                    session: "meeting",
                    what: "attended",
                    uuid: "u1".into(),
                    email: "jo@example.com".into(),
                },
                format!("brevo:zoom:attended:u1:{tag}"),
            ),
            (
                BrevoId::Attendance {
                    session: "webinar",
                    what: "missed",
                    uuid: "u1".into(),
                    email: "jo@example.com".into(),
                },
                format!("brevo:zoom:webinar_missed:u1:{tag}"),
            ),
        ];
        for (id, want) in cases {
            assert_eq!(contact.job_id(&id), want);
        }
        let event = BrevoJob::event(EventTrack {
            event_name: "booking_created".into(),
            date: None,
            ..EventTrack::default()
        });
        let subject = BrevoId::Event {
            subject: "abc".into(),
        };
        assert_eq!(event.job_id(&subject), "brevo:event:booking_created:abc");
        assert_eq!(delivery_tag("short"), "short");
    }
}
