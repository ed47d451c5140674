//! The SMS-queue job of a due reminder or follow-up, enqueued by `meetflow-scheduler`.
//!
//! Job id = [`ReminderJob::reminder_id`] (`rem:<booking>:<kind>`): enqueueing the same reminder
//! twice (a scheduler crash between enqueue and settle) is a no-op. Payload version 1; jobs
//! written before the version was added carry none and are read as version 1, so reminders
//! queued across an upgrade still go out. The handler must call
//! [`crate::bookings::Bookings::is_current`] right before sending and drop a stale reminder
//! (`JobError::permanent(ErrorClass::Stale, ..)` or success, as the handler prefers).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::spec::JobSpec;
use crate::domain::{BookingKey, ReminderKind};
use crate::jobs::MessageLinks;

/// A reminder (before the meeting), follow-up (after it) or engagement SMS (win-back, no-show
/// apology) to send by SMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderJob {
    /// Payload version: [`ReminderJob::VERSION`]; absent (jobs queued by older builds) = 1.
    #[serde(default = "version_one")]
    pub v: u32,
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
    /// Cancel, reschedule and join links and the host's name, stored with the booking. Absent
    /// (all `None`) in jobs written before they were added.
    #[serde(default, flatten)]
    pub links: MessageLinks,
}

fn version_one() -> u32 {
    1
}

impl ReminderJob {
    /// The payload version this build writes and reads.
    pub const VERSION: u32 = 1;

    /// The SMS-queue group of this job (every job of one booking), for `cancel_group`.
    pub fn group(&self) -> String {
        format!("booking:{}", self.booking)
    }
}

impl JobSpec for ReminderJob {
    const QUEUE: &'static str = super::SMS;
    const VERSION: u32 = ReminderJob::VERSION;
    const NAME: &'static str = "reminder job";
    type IdFrom = ();

    /// `rem:<booking>:<kind>`, the reminder id.
    fn job_id(&self, (): &()) -> String {
        self.reminder_id.clone()
    }

    fn version(&self) -> u32 {
        self.v
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::jobs::spec::QueuePayload;

    #[test]
    fn a_reminder_queued_before_versions_is_read_as_version_one() {
        let old = r#"{"reminder_id":"rem:abc-1:24h","booking":"abc-1","kind":"24h",
            "due_at":"2026-04-21T10:00:00Z","start":"2026-04-22T10:00:00Z",
            "end":"2026-04-22T10:30:00Z","invitee_uri":"https://x/invitees/abc-1",
            "phone":"+14155550132","name":"Zoë","timezone":null,"event_name":"Demo"}"#;
        let job: ReminderJob = serde_json::from_str(old).unwrap();
        assert_eq!(job.v, 1);
        assert!(job.check_version().is_ok());
        assert_eq!(job.job_id(&()), "rem:abc-1:24h");
        let text = serde_json::to_string(&job).unwrap();
        assert!(text.contains(r#""v":1"#), "{text}");
        let newer = ReminderJob { v: 2, ..job };
        assert_eq!(
            newer.check_version().unwrap_err().to_string(),
            "reminder job payload version 2 is not supported (this build reads up to version 1)"
        );
    }
}
