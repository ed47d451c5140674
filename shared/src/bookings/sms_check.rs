//! The SMS handler's last check, for every kind of SMS: is what this SMS says still true of the
//! booking right now? It returns the verdict together with a [`SendGuard`], the booking fields
//! the verdict was read from; the handler claims its at-most-once marker only if those fields
//! are unchanged (one Lua step), so a cancel or reschedule landing between the check and the
//! claim makes the handler judge again instead of sending.
//!
//! Reminders are judged at Redis `TIME` (a test's simulated clock when it moves "now"), so the
//! host clock of the worker plays no part.
//!
//! Rules for the event SMS (reminders follow [`super::plan::judge`]):
//! - a confirmation or host notice needs the booking active, at the start it announces;
//! - a cancellation needs the booking cancelled (not rescheduled, not booked again).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::record::{REMINDER_PREFIX, STATUS, parse_booking};
use super::{Booking, BookingError, BookingKey, BookingStatus, Bookings, Currentness, StaleReason};
use crate::jobs::reminder::ReminderJob;
use crate::jobs::sms::SmsKind;

/// Fields of the booking hash whose change invalidates a verdict.
const GUARDED: [&str; 3] = [STATUS, "start_ms", "version"];

/// What an SMS is about.
#[derive(Debug, Clone, Copy)]
pub enum SmsSubject<'a> {
    /// A reminder, follow-up, win-back or no-show apology from the scheduler.
    Reminder(&'a ReminderJob),
    /// A confirmation, cancellation or host notice, for the meeting start it names.
    Event {
        /// The booking.
        booking: &'a BookingKey,
        /// Which SMS.
        kind: SmsKind,
        /// The meeting start written in the SMS, when it has one.
        start: Option<DateTime<Utc>>,
    },
}

/// The booking fields a verdict was made from: the booking hash key and each guarded field's
/// value at that moment (`""` when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendGuard {
    /// The booking hash.
    pub key: String,
    /// (field, value seen).
    pub fields: Vec<(String, String)>,
    /// Redis `TIME` when the fields were read (unix ms; the real Redis clock even when a test
    /// simulates "now" for the verdict): the time of a claim made on this guard, so the send
    /// step needs no clock read of its own.
    pub read_ms: i64,
}

impl Bookings {
    /// Judges `subject` against the booking as stored now. A stale verdict is counted
    /// (`meetflow_sms_stale_total{kind, reason}`; reminders also
    /// `meetflow_reminders_dropped_total{at="send"}`).
    pub async fn sms_verdict(
        &self,
        subject: SmsSubject<'_>,
    ) -> Result<(Currentness, SendGuard), BookingError> {
        let key = match subject {
            SmsSubject::Reminder(r) => &r.booking,
            SmsSubject::Event { booking, .. } => booking,
        };
        let hash = self.keys().booking(key.as_str());
        // "Now" is Redis `TIME` (read with the booking), never this host's clock: a worker
        // whose clock runs ahead would judge reminders "meeting started" or superseded early.
        let mut conn = self.redis.conn();
        let (raw, (secs, micros)): (HashMap<String, String>, (i64, i64)) = redis::pipe()
            .hgetall(&hash)
            .cmd("TIME")
            .query_async(&mut conn)
            .await?;
        let read_ms = secs * 1000 + micros / 1000;
        let now_ms = self.clock.script_now_ms().unwrap_or(read_ms);
        let mut fields: Vec<(String, String)> = GUARDED
            .iter()
            .map(|f| ((*f).to_owned(), raw.get(*f).cloned().unwrap_or_default()))
            .collect();
        if let SmsSubject::Reminder(r) = subject {
            let f = format!("{REMINDER_PREFIX}{}", r.kind.label());
            let v = raw.get(&f).cloned().unwrap_or_default();
            fields.push((f, v));
        }
        let booking = parse_booking(key, raw);
        let rules = self.rules_of(booking.as_ref());
        let (verdict, label) = match subject {
            SmsSubject::Reminder(r) => (
                super::plan::judge(
                    &rules,
                    booking.as_ref(),
                    r.kind,
                    r.due_at.timestamp_millis(),
                    Some(r.start.timestamp_millis()),
                    now_ms,
                ),
                format!("rem-{}", r.kind.label()),
            ),
            SmsSubject::Event { kind, start, .. } => (
                judge_event(booking.as_ref(), kind, start),
                kind.as_str().to_owned(),
            ),
        };
        if let Currentness::Stale(reason) = verdict {
            if matches!(subject, SmsSubject::Reminder(_)) {
                metrics::counter!("meetflow_reminders_dropped_total", "reason" => reason.as_str(), "at" => "send")
                    .increment(1);
            }
            metrics::counter!("meetflow_sms_stale_total", "kind" => label, "reason" => reason.as_str())
                .increment(1);
        }
        Ok((
            verdict,
            SendGuard {
                key: hash,
                fields,
                read_ms,
            },
        ))
    }
}

/// Whether event SMS `kind`, naming meeting start `start`, is still true of `booking`.
pub fn judge_event(
    booking: Option<&Booking>,
    kind: SmsKind,
    start: Option<DateTime<Utc>>,
) -> Currentness {
    use Currentness::Stale;
    let Some(b) = booking else {
        return Stale(StaleReason::BookingUnknown);
    };
    match kind {
        SmsKind::Cancellation | SmsKind::HostCancellation => match b.status {
            BookingStatus::Canceled => Currentness::Current,
            BookingStatus::Rescheduled => Stale(StaleReason::Rescheduled),
            BookingStatus::Active | BookingStatus::NoShow => Stale(StaleReason::ReminderCanceled),
        },
        SmsKind::Confirmation | SmsKind::HostNotify => match b.status {
            BookingStatus::Canceled => Stale(StaleReason::Canceled),
            BookingStatus::Rescheduled => Stale(StaleReason::Rescheduled),
            BookingStatus::NoShow => Stale(StaleReason::NoShow),
            BookingStatus::Active => {
                let now_start = b.start.map(|s| s.timestamp_millis());
                match (start.map(|s| s.timestamp_millis()), now_start) {
                    (_, None) => Stale(StaleReason::BookingUnknown),
                    (Some(said), Some(is)) if said != is => Stale(StaleReason::Moved),
                    _ => Currentness::Current,
                }
            }
        },
    }
}
