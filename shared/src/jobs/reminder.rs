//! The SMS-queue job of a due reminder or follow-up, enqueued by `meetflow-scheduler`.
//!
//! Job id = [`ReminderJob::reminder_id`] (`rem:<booking>:<kind>`): enqueueing the same reminder
//! twice (a scheduler crash between enqueue and settle) is a no-op. The handler must call
//! [`crate::bookings::Bookings::is_current`] right before sending and drop a stale reminder
//! (`JobError::permanent(ErrorClass::Stale, ..)` or success, as the handler prefers).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{BookingKey, ReminderKind};

/// A reminder (before the meeting), follow-up (after it) or engagement SMS (win-back, no-show
/// apology) to send by SMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderJob {
    /// `rem:<booking>:<kind>`; also the job id and the SMS idempotency key.
    pub reminder_id: String,
    /// The booking (invitee UUID).
    pub booking: BookingKey,
    /// `24h`, `1h`, ... (before the start) or `followup`.
    pub kind: ReminderKind,
    /// When it was due (the lateness of the send is measured from here).
    pub due_at: DateTime<Utc>,
    /// Meeting start this reminder was planned for (compared with the booking's current start).
    pub start: DateTime<Utc>,
    /// Meeting end.
    pub end: DateTime<Utc>,
    /// The Calendly invitee URI.
    pub invitee_uri: String,
    /// Recipient, E.164.
    pub phone: String,
    /// Invitee name, for the message.
    pub name: String,
    /// Invitee IANA time zone; `reminders.default_timezone` when `None`.
    pub timezone: Option<String>,
    /// Event name, for the message.
    pub event_name: String,
    /// The Calendly event type URI: engagement SMS (win-back, apology) carry a single-use
    /// booking link for it. Absent in jobs written before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
}

impl ReminderJob {
    /// The SMS-queue group of this job (every job of one booking), for `cancel_group`.
    pub fn group(&self) -> String {
        format!("booking:{}", self.booking)
    }
}
