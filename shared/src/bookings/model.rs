//! The values the bookings API takes and returns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{BookingKey, MessageLinks, ReminderKind};

/// Where a booking stands. Stored as the `status` field of the booking hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    /// Booked; its reminders run.
    Active,
    /// Cancelled by the host or the invitee; nothing more is sent.
    Canceled,
    /// The old half of a reschedule; the new invitee carries the booking on.
    Rescheduled,
    /// The invitee did not show up: no follow-up.
    NoShow,
}

impl BookingStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Canceled => "canceled",
            Self::Rescheduled => "rescheduled",
            Self::NoShow => "no_show",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "active" => Self::Active,
            "canceled" => Self::Canceled,
            "rescheduled" => Self::Rescheduled,
            "no_show" => Self::NoShow,
            _ => return None,
        })
    }

    /// Canceled or rescheduled: a tombstone that nothing brings back.
    pub fn is_ended(self) -> bool {
        matches!(self, Self::Canceled | Self::Rescheduled)
    }
}

/// The state of one planned reminder (`r:<kind>` field of the booking hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderState {
    /// Waiting for its due time (or claimed by a scheduler right now).
    Planned,
    /// Handed to the SMS queue.
    Enqueued,
    /// Removed by a cancellation, a reschedule or a no-show.
    Canceled,
    /// Not sent because it was no longer useful when it came due (see [`super::StaleReason`]).
    Dropped,
}

impl ReminderState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Enqueued => "enqueued",
            Self::Canceled => "canceled",
            Self::Dropped => "dropped",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "planned" => Self::Planned,
            "enqueued" => Self::Enqueued,
            "canceled" => Self::Canceled,
            "dropped" => Self::Dropped,
            _ => return None,
        })
    }
}

/// One reminder or follow-up of a booking, as listed by `meetflow-admin reminders list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedReminder {
    /// `rem:<booking>:<kind>`; also the SMS job id, which de-duplicates the send.
    pub id: String,
    /// The booking it belongs to.
    pub booking: BookingKey,
    /// Which reminder.
    pub kind: ReminderKind,
    /// When it is (or was) due.
    pub due_at: DateTime<Utc>,
    /// Where it stands.
    pub state: ReminderState,
}

impl PlannedReminder {
    /// The reminder id of `kind` for `booking`.
    pub fn id_for(booking: &BookingKey, kind: ReminderKind) -> String {
        format!("rem:{booking}:{}", kind.label())
    }

    /// Split a reminder id into its booking and kind.
    pub fn parse_id(id: &str) -> Option<(BookingKey, ReminderKind)> {
        let rest = id.strip_prefix("rem:")?;
        let (booking, kind) = rest.split_once(':')?;
        Some((BookingKey::parse(booking)?, ReminderKind::parse(kind)?))
    }
}

/// What the worker knows about a new booking (from `invitee.created`), handed to
/// [`super::Bookings::booked`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingFacts {
    /// The invitee URI (`payload.uri`); names the booking.
    pub invitee_uri: String,
    /// Meeting start (`scheduled_event.start_time`).
    pub start: DateTime<Utc>,
    /// Meeting end (`scheduled_event.end_time`).
    pub end: DateTime<Utc>,
    /// The invitee's IANA time zone, if Calendly sent one.
    pub timezone: Option<String>,
    /// The invitee's phone number in E.164, if one was given and parsed. Without it no reminder
    /// is planned (there is nowhere to send it).
    pub phone: Option<String>,
    /// The invitee's name.
    pub name: String,
    /// The invitee's email address.
    pub email: String,
    /// The event type URI (`scheduled_event.event_type`).
    pub event_type: String,
    /// The event name (`scheduled_event.name`), for the message text.
    pub event_name: String,
    /// On the new half of a reschedule: the old invitee URI (`old_invitee`).
    pub old_invitee: Option<String>,
    /// Cancel, reschedule and join links and the host's name, for the SMS templates.
    #[serde(default)]
    pub links: MessageLinks,
}

/// The stored state of one booking (see [`super::Bookings::get`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// Its key.
    pub key: BookingKey,
    /// Where it stands.
    pub status: BookingStatus,
    /// The invitee URI, when known (a tombstone written by an early cancel may lack the rest).
    pub invitee_uri: Option<String>,
    /// Meeting start; `None` for a tombstone or placeholder of a booking never seen booked.
    pub start: Option<DateTime<Utc>>,
    /// Meeting end.
    pub end: Option<DateTime<Utc>>,
    /// IANA time zone of the invitee.
    pub timezone: Option<String>,
    /// E.164 phone number.
    pub phone: Option<String>,
    /// Invitee name.
    pub name: Option<String>,
    /// Invitee email.
    pub email: Option<String>,
    /// Event type URI.
    pub event_type: Option<String>,
    /// Event name.
    pub event_name: Option<String>,
    /// The booking this one replaced, when it is the new half of a reschedule.
    pub rescheduled_from: Option<BookingKey>,
    /// The booking that replaced this one, when it was rescheduled (and the cancel said so).
    pub rescheduled_to: Option<BookingKey>,
    /// Last change.
    pub updated_at: Option<DateTime<Utc>>,
    /// Incremented on every change.
    pub version: u64,
    /// Its reminders, earliest first.
    pub reminders: Vec<PlannedReminder>,
    /// Cancel, reschedule and join links and the host's name, for the SMS templates.
    #[serde(default)]
    pub links: MessageLinks,
    /// W3C `traceparent` of the job that recorded the booking (only while traces are exported),
    /// so its reminders link to the delivery's trace. Absent in bookings stored before.
    #[serde(default)]
    pub traceparent: Option<String>,
}

/// What [`super::Bookings::booked`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingChange {
    /// First delivery: the booking is stored and these reminders are planned.
    Recorded {
        /// The booking.
        key: BookingKey,
        /// The reminders now waiting for their time.
        planned: Vec<PlannedReminder>,
        /// Kinds not planned because their time had already passed.
        skipped_past: Vec<ReminderKind>,
        /// No reminder planned at all: the booking has no phone number.
        no_phone: bool,
    },
    /// The booking was already recorded: nothing changed (a redelivery).
    Duplicate {
        /// The booking.
        key: BookingKey,
    },
    /// The booking was already canceled or rescheduled (an out-of-order redelivery): nothing
    /// is planned, the tombstone stays.
    AlreadyEnded {
        /// The booking.
        key: BookingKey,
        /// Its status.
        status: BookingStatus,
    },
}

/// What [`super::Bookings::canceled`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelOutcome {
    /// The booking.
    pub key: BookingKey,
    /// Pending reminders removed.
    pub reminders_canceled: usize,
    /// Reminders already on the SMS queue; their jobs were cancelled if still pending, and the
    /// SMS handler drops them anyway ([`super::Bookings::is_current`]).
    pub already_enqueued: Vec<String>,
    /// The booking was already canceled or rescheduled (nothing changed).
    pub already_ended: bool,
    /// A win-back SMS was planned (a plain cancellation, the flow on, nothing booked since).
    pub win_back_planned: bool,
}

/// What a no-show change did to the apology SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApologyChange {
    /// Nothing (flow off, no phone number, or already planned or sent).
    None,
    /// Planned (a mark).
    Planned,
    /// Called off before it was sent (an unmark).
    CalledOff,
}

/// What [`super::Bookings::no_show`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoShowOutcome {
    /// Status changed; `follow_up_changed` tells whether a pending follow-up was removed
    /// (set) or planned again (cleared).
    Changed {
        /// A follow-up was removed or restored.
        follow_up_changed: bool,
        /// What became of the apology SMS.
        apology: ApologyChange,
    },
    /// The no-show came before the booking itself: remembered, so no follow-up gets planned.
    Remembered,
    /// Nothing to do (booking unknown, canceled, or already in that state).
    Unchanged,
}
