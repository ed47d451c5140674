//! The `sms` queue: confirmations, cancellations, host notices ([`SmsJob`]) and the scheduler's
//! reminders and follow-ups ([`ReminderJob`]), each sent at most once per (booking, kind).
//!
//! Order of a send: template (an empty id turns that kind off) -> for a reminder, the booking's
//! current state ([`meetflow_shared::bookings::Bookings::is_current`]; stale = finished unsent and
//! counted) -> for a win-back or no-show apology, its single-use booking link
//! ([`super::booking_link`]) -> phone number (E.164, else not sent and counted) -> a slot of the
//! EngageLab rate limit shared by every replica -> the at-most-once marker ([`super::marker`]) ->
//! the call.
//!
//! Outcomes: accepted -> done; EngageLab 3004 (same template to the same number recently) ->
//! done, counted as suppressed; a definite failure -> marker released, retried (1000, 5xx,
//! connect errors) or dead-lettered with EngageLab's answer (4001, 3003, 2001, ...); 5001 ->
//! one retry after 5 min; an ambiguous failure (timeout after sending, 502/504) -> dead letter
//! "possibly sent; check EngageLab before replaying", never a second send.

use chrono::Utc;
use meetflow_shared::bookings::{Currentness, ReminderKind};
use meetflow_shared::domain::{PhoneNumber, redact};
use meetflow_shared::jobs::reminder::ReminderJob;
use meetflow_shared::jobs::sms::{SmsJob, SmsKind, SmsQueueJob};
use meetflow_shared::providers::engagelab::{SendOutcome, SmsRequest};
use meetflow_shared::queue::{ErrorClass, JobContext, JobError};
use serde_json::{Map, Value};

use super::booking_link::{self, BookingLink};
use super::format::{self, MessageFacts};
use super::marker::{Claim, SmsMarker, replayed_ms};
use super::sms_skipped;
use crate::context::Worker;
use crate::error;

/// One SMS ready to go.
struct Outgoing {
    booking: String,
    /// Marker kind and metric label: `confirmation`, `rem-24h`, `rem-followup`, ...
    kind: String,
    to: String,
    template_id: String,
    params: Map<String, Value>,
    /// A reminder's due time: its lateness is recorded when EngageLab accepts it.
    due_at: Option<chrono::DateTime<Utc>>,
}

/// Handles one `sms` job.
pub(crate) async fn handle(w: &Worker, job: SmsQueueJob, ctx: JobContext) -> Result<(), JobError> {
    let outgoing = match job {
        SmsQueueJob::Reminder(r) => reminder(w, r).await?,
        SmsQueueJob::Send(s) => event_sms(w, s)?,
    };
    match outgoing {
        Some(o) => send_once(w, o, &ctx).await,
        None => Ok(()),
    }
}

fn template(w: &Worker, kind: SmsKind) -> &str {
    let t = &w.settings.engagelab.templates;
    match kind {
        SmsKind::Confirmation => &t.confirmation,
        SmsKind::Cancellation => &t.cancellation,
        SmsKind::HostNotify => &t.host_notify,
    }
}

fn event_sms(w: &Worker, s: SmsJob) -> Result<Option<Outgoing>, JobError> {
    let template_id = template(w, s.kind).to_owned();
    if template_id.is_empty() {
        sms_skipped(s.kind.as_str(), "template_off");
        return Ok(None);
    }
    let tz = format::zone(s.timezone.as_deref(), w.settings.reminders.default_timezone);
    let facts = MessageFacts {
        name: &s.name,
        event_name: &s.event_name,
        start: s.start,
        end: s.end,
        cancel_url: s.cancel_url.as_deref(),
        reschedule_url: s.reschedule_url.as_deref(),
        booking_url: None,
    };
    Ok(Some(Outgoing {
        booking: s.booking.to_string(),
        kind: s.kind.as_str().to_owned(),
        to: s.to,
        template_id,
        params: format::params(&facts, tz),
        due_at: None,
    }))
}

async fn reminder(w: &Worker, r: ReminderJob) -> Result<Option<Outgoing>, JobError> {
    let t = &w.settings.engagelab.templates;
    let template_id = match r.kind {
        ReminderKind::FollowUp => t.follow_up.clone(),
        ReminderKind::Before(_) => t.reminder.clone(),
        ReminderKind::WinBack => t.win_back.clone(),
        ReminderKind::NoShow => t.no_show.clone(),
    };
    let kind = format!("rem-{}", r.kind.label());
    if template_id.is_empty() {
        sms_skipped(&kind, "template_off");
        return Ok(None);
    }
    match w.bookings.is_current(&r).await.map_err(error::bookings)? {
        Currentness::Current => {}
        Currentness::Stale(reason) => {
            // Counted by is_current: meetflow_reminders_dropped_total{at="send"}.
            tracing::info!(reminder = %r.reminder_id, reason = reason.as_str(), "reminder no longer applies: not sent");
            return Ok(None);
        }
    }
    let link = if r.kind.is_engagement() {
        match booking_link::single_use(w, &r).await? {
            BookingLink::Ready(url) => Some(url),
            BookingLink::Unavailable(reason) => {
                sms_skipped(&kind, reason);
                tracing::warn!(reminder = %r.reminder_id, reason, "engagement SMS not sent: no booking link can be made");
                return Ok(None);
            }
        }
    } else {
        None
    };
    let tz = format::zone(r.timezone.as_deref(), w.settings.reminders.default_timezone);
    let facts = MessageFacts {
        name: &r.name,
        event_name: &r.event_name,
        start: Some(r.start),
        end: Some(r.end),
        booking_url: link.as_deref(),
        ..MessageFacts::default()
    };
    Ok(Some(Outgoing {
        booking: r.booking.to_string(),
        kind,
        to: r.phone,
        template_id,
        params: format::params(&facts, tz),
        due_at: Some(r.due_at),
    }))
}

fn counted(kind: &str, outcome: &'static str) {
    metrics::counter!("meetflow_sms_total", "kind" => kind.to_owned(), "outcome" => outcome)
        .increment(1);
}

fn possibly_sent(detail: &str) -> JobError {
    JobError::permanent(
        ErrorClass::Timeout,
        format!("possibly sent; check EngageLab before replaying ({detail})"),
    )
}

async fn send_once(w: &Worker, o: Outgoing, ctx: &JobContext) -> Result<(), JobError> {
    let engagelab = w.engagelab()?;
    let to = match PhoneNumber::parse(&o.to, None) {
        Ok(p) => p,
        Err(e) => {
            sms_skipped(&o.kind, "invalid_phone");
            tracing::warn!(job.id = %ctx.id, phone = %redact::phone(&o.to), error = %e, "SMS not sent: unusable number");
            return Ok(());
        }
    };
    engagelab
        .limiter
        .until_ready(w.options.rate_limit_wait)
        .await?;
    let now = Utc::now().timestamp_millis();
    let marker = SmsMarker::new(&w.redis, &o.booking, &o.kind, ctx.attempt, now);
    match marker.claim().await.map_err(error::redis)? {
        Claim::Acquired => {}
        Claim::Done(outcome) => {
            counted(&o.kind, "duplicate");
            tracing::info!(job.id = %ctx.id, booking = %o.booking, kind = %o.kind, %outcome, "SMS already handled: not sent again");
            return Ok(());
        }
        Claim::InFlight { since_ms } => {
            let replayed = replayed_ms(&w.redis, &ctx.id).await.map_err(error::redis)?;
            if replayed.is_some_and(|r| r > since_ms) {
                tracing::warn!(job.id = %ctx.id, booking = %o.booking, kind = %o.kind, "replayed by an operator after a possible send: sending");
                marker.take_over().await.map_err(error::redis)?;
            } else {
                counted(&o.kind, "possibly_sent");
                return Err(possibly_sent(
                    "an earlier attempt started this send and did not finish",
                ));
            }
        }
    }
    let mut custom_args = Map::new();
    custom_args.insert("booking".into(), Value::String(o.booking.clone()));
    custom_args.insert("kind".into(), Value::String(o.kind.clone()));
    let request = SmsRequest {
        to: to.as_str().to_owned(),
        template_id: o.template_id,
        params: o.params,
        custom_args,
        plan_name: Some(format!("meetflow-{}", o.kind)),
    };
    match engagelab.client.send(&request).await {
        Ok(outcome) => {
            let (state, label) = match outcome {
                SendOutcome::Accepted(_) => {
                    if let Some(due) = o.due_at {
                        meetflow_shared::ops_metrics::lateness::reminder_accepted(due, Utc::now());
                    }
                    ("sent", "sent")
                }
                SendOutcome::Suppressed { .. } => ("suppressed", "suppressed"),
            };
            counted(&o.kind, label);
            if let Err(e) = marker.finish(state).await {
                // Sent: never fail the job now (a retry would dead-letter as "possibly sent").
                tracing::warn!(job.id = %ctx.id, error = %e, "SMS sent but its marker could not be updated");
            }
            tracing::info!(job.id = %ctx.id, booking = %o.booking, kind = %o.kind, to = %redact::phone(to.as_str()), outcome = label, "SMS handled");
            Ok(())
        }
        Err(e) if e.ambiguous => {
            counted(&o.kind, "possibly_sent");
            Err(possibly_sent(&e.to_string()))
        }
        Err(e) => {
            marker.release().await.map_err(error::redis)?;
            counted(&o.kind, "failed");
            if e.max_retries.is_some_and(|m| ctx.attempt > m) {
                return Err(JobError::permanent(e.class, e.to_string()));
            }
            Err(e.into())
        }
    }
}
