//! [`SmsJob`]: one event-driven SMS on the `sms` queue (confirmation, cancellation, host notice),
//! and [`SmsQueueJob`], everything the `sms` queue carries (these and the scheduler's
//! [`ReminderJob`]s).
//!
//! Job id = [`SmsJob::job_id`] (`sms:<kind>:<booking>`): one SMS of each kind per booking, however
//! often the webhook behind it is delivered. The worker also keeps an at-most-once marker per
//! (booking, kind) in Redis around the actual send (see the worker's SMS handler).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::reminder::ReminderJob;
use super::spec::{JobSpec, QueuePayload, UnsupportedVersion};
use crate::domain::BookingKey;
use crate::jobs::MessageLinks;

/// Which event-driven SMS (each has its template in `engagelab.templates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsKind {
    /// A booking was made (`invitee.created`).
    Confirmation,
    /// A booking was cancelled (not a reschedule).
    Cancellation,
    /// The host is told about a new booking (`engagelab.host_phone`).
    HostNotify,
    /// The host cancelled: "we had to cancel, book a new time", with a booking link (instead of
    /// the cancellation SMS, when its template is set).
    HostCancellation,
}

impl SmsKind {
    /// The stable label used in job ids, marker keys and metrics.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmation => "confirmation",
            Self::Cancellation => "cancellation",
            Self::HostNotify => "host_notify",
            Self::HostCancellation => "host_cancellation",
        }
    }
}

impl std::fmt::Display for SmsKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An SMS to send now about one booking (queue [`super::SMS`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsJob {
    /// Payload version: [`SmsJob::VERSION`].
    pub v: u32,
    /// The booking (invitee UUID).
    pub booking: BookingKey,
    /// Which SMS.
    pub kind: SmsKind,
    /// Recipient, E.164 (the invitee, or the host for [`SmsKind::HostNotify`]).
    pub to: String,
    /// Invitee name.
    pub name: String,
    /// Event name.
    pub event_name: String,
    /// Meeting start.
    pub start: Option<DateTime<Utc>>,
    /// Meeting end.
    pub end: Option<DateTime<Utc>>,
    /// IANA time zone the times are written in (`reminders.default_timezone` when `None`).
    pub timezone: Option<String>,
    /// Calendly's cancel and reschedule links, the join link and the host's name (flat on the
    /// wire: `cancel_url`, `reschedule_url`, `join_url`, `host`; each absent when unknown).
    #[serde(default, flatten)]
    pub links: MessageLinks,
    /// The Calendly event type URI: picks the event type's workflow (template, locale) when the
    /// SMS is rendered, and owns the booking link of a host cancellation. Absent in jobs written
    /// before it was added (they follow the workflow found by `event_name`, else the global one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
}

impl SmsJob {
    /// The payload version this build writes and reads.
    pub const VERSION: u32 = 1;

    /// `sms:<kind>:<booking>`: the job id, one per booking and kind ([`JobSpec::job_id`]).
    #[must_use]
    pub fn job_id(&self) -> String {
        JobSpec::job_id(self, &())
    }

    /// The queue group of every SMS of the booking (for `cancel_group`).
    #[must_use]
    pub fn group(&self) -> String {
        format!("booking:{}", self.booking)
    }
}

impl JobSpec for SmsJob {
    const QUEUE: &'static str = super::SMS;
    const VERSION: u32 = SmsJob::VERSION;
    const NAME: &'static str = "sms job";
    type IdFrom = ();

    /// `sms:<kind>:<booking>`: one SMS of each kind per booking.
    fn job_id(&self, (): &()) -> String {
        format!("sms:{}:{}", self.kind, self.booking)
    }

    fn version(&self) -> u32 {
        self.v
    }
}

/// Whatever the `sms` queue carries: a scheduler reminder or an event-driven SMS. Reminders are
/// tried first (they have `reminder_id`, which an [`SmsJob`] never has).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SmsQueueJob {
    /// A reminder or follow-up that came due.
    Reminder(ReminderJob),
    /// A confirmation, cancellation or host notice.
    Send(SmsJob),
}

impl QueuePayload for SmsQueueJob {
    const QUEUE: &'static str = super::SMS;

    fn check_version(&self) -> Result<(), UnsupportedVersion> {
        match self {
            Self::Reminder(r) => r.check_version(),
            Self::Send(s) => s.check_version(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::ReminderKind;

    fn sms() -> SmsJob {
        SmsJob {
            v: SmsJob::VERSION,
            booking: BookingKey::parse("abc-1").unwrap(),
            kind: SmsKind::HostNotify,
            to: "+14155550132".into(),
            name: "Zoë".into(),
            event_name: "Demo".into(),
            start: None,
            end: None,
            timezone: None,
            links: MessageLinks::default(),
            event_type: None,
        }
    }

    #[test]
    fn an_sms_job_queued_before_join_url_and_host_still_reads() {
        let old = r#"{"v":1,"booking":"abc-1","kind":"confirmation","to":"+14155550132",
            "name":"Zoë","event_name":"Demo","start":null,"end":null,"timezone":null,
            "cancel_url":"https://calendly.com/cancellations/abc-1"}"#;
        let job: SmsJob = serde_json::from_str(old).unwrap();
        assert_eq!(
            job.links.cancel_url.as_deref(),
            Some("https://calendly.com/cancellations/abc-1")
        );
        assert_eq!(job.links.join_url, None);
        let text = serde_json::to_string(&job).unwrap();
        assert!(
            text.contains(r#""cancel_url":"#) && !text.contains("join_url"),
            "{text}"
        );
    }

    #[test]
    fn both_shapes_are_told_apart() {
        let s = sms();
        assert_eq!(s.job_id(), "sms:host_notify:abc-1");
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(
            serde_json::from_str::<SmsQueueJob>(&text).unwrap(),
            SmsQueueJob::Send(s)
        );
        let at = DateTime::from_timestamp(1_776_790_800, 0).unwrap();
        let r = ReminderJob {
            v: ReminderJob::VERSION,
            reminder_id: "rem:abc-1:24h".into(),
            booking: BookingKey::parse("abc-1").unwrap(),
            kind: ReminderKind::FollowUp,
            due_at: at,
            start: at,
            end: at,
            invitee_uri: "https://x/invitees/abc-1".into(),
            phone: "+14155550132".into(),
            name: "Zoë".into(),
            timezone: None,
            event_name: "Demo".into(),
            event_type: None,
            links: MessageLinks {
                cancel_url: Some("https://calendly.com/cancellations/abc-1".into()),
                join_url: Some("https://zoom.us/j/1".into()),
                ..MessageLinks::default()
            },
        };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            serde_json::from_str::<SmsQueueJob>(&text).unwrap(),
            SmsQueueJob::Reminder(r)
        );
    }
}
