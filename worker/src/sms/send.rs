//! The `sms` queue: confirmations, cancellations, host notices ([`SmsJob`]) and the scheduler's
//! reminders and follow-ups ([`ReminderJob`]), each sent at most once per (booking, kind).
//!
//! Order of a send: template (an empty id turns that kind off) -> for a reminder, a first look at
//! the booking (a stale one makes no booking link) -> for a win-back or no-show apology, its
//! single-use booking link ([`super::booking_link`]) -> phone number (E.164, else not sent and
//! counted) -> a slot of the EngageLab rate limit shared by every replica -> the last check of
//! every kind against the booking's current state
//! ([`meetflow_shared::bookings::Bookings::sms_verdict`]; stale = finished unsent, counted by
//! reason), the suppression list (for an SMS to the invitee, first brought up to date from the
//! Brevo contact when `sms.opt_out` reads Brevo: [`super::opt_out`]) ([`meetflow_shared::sms_suppression`]: the number or the
//! booking's e-mail listed for this kind = finished unsent, never retried, counted in
//! `meetflow_sms_suppressed_total{kind, reason}`) and the at-most-once marker
//! ([`super::marker`]) in one Lua step -> the call.
//!
//! An accepted send records its delivery state `accepted` with EngageLab's message id
//! ([`meetflow_shared::sms_delivery`]), which the delivery callbacks then move forward
//! ([`crate::events::sms_receipts`]).
//!
//! Every SMS job ends sent, not sent, or possibly sent. Outcomes: accepted -> done; EngageLab
//! 3004 (same template to the same number recently) -> done, counted as suppressed; a definite
//! failure -> marker released (retried while Redis does not answer), retried (1000, 5xx,
//! connect errors) or dead-lettered with EngageLab's answer (4001, 3003, 2001, ...); 5001 -> one
//! retry after 5 min; an ambiguous failure (timeout after sending, 502/504), a lost lease or a
//! crash mid-call -> dead letter marked `possibly_sent` ([`super::send_state`]), never a second
//! send unless an operator replays that one job with `--resend`.

use chrono::Utc;
use meetflow_shared::bookings::{BookingKey, Currentness, ReminderKind, SmsSubject};
use meetflow_shared::config::Workflow;
use meetflow_shared::domain::{PhoneNumber, redact};
use meetflow_shared::jobs::reminder::ReminderJob;
use meetflow_shared::jobs::sms::{SmsJob, SmsKind, SmsQueueJob};
use meetflow_shared::providers::engagelab::{SendOutcome, SmsRequest};
use meetflow_shared::queue::{ErrorClass, JobContext, JobError};
use meetflow_shared::sms_delivery::Deliveries;
use meetflow_shared::sms_suppression::Suppressions;
use serde_json::{Map, Value};

use super::booking_link::{self, BookingLink};
use super::format::{self, MessageFacts};
use super::marker::{Claim, Recipient, SmsMarker};
use super::opt_out;
use super::sms_skipped;
use super::{send_state, template_params};
use crate::context::Worker;
use crate::error;

/// Checks and claims in a row when the booking keeps changing under the check.
const CHECK_ROUNDS: usize = 5;

/// What the last check judges an SMS by.
enum Subject {
    Reminder(Box<ReminderJob>),
    Event {
        booking: BookingKey,
        kind: SmsKind,
        start: Option<chrono::DateTime<Utc>>,
    },
}

impl Subject {
    /// Win-back, no-show apology and follow-up: stopped by a `marketing` suppression too.
    fn is_marketing(&self) -> bool {
        matches!(self, Self::Reminder(r) if matches!(r.kind, ReminderKind::WinBack | ReminderKind::NoShow | ReminderKind::FollowUp))
    }

    /// An SMS to the invitee (every kind but the notice to the host): the booking's e-mail and
    /// its opt-outs govern it.
    fn to_invitee(&self) -> bool {
        !matches!(
            self,
            Self::Event {
                kind: SmsKind::HostNotify,
                ..
            }
        )
    }

    fn as_ref(&self) -> SmsSubject<'_> {
        match self {
            Self::Reminder(r) => SmsSubject::Reminder(r),
            Self::Event {
                booking,
                kind,
                start,
            } => SmsSubject::Event {
                booking,
                kind: *kind,
                start: *start,
            },
        }
    }
}

/// One SMS ready to go.
struct Outgoing {
    subject: Subject,
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
        SmsQueueJob::Send(s) => event_sms(w, s).await?,
    };
    match outgoing {
        Some(o) => {
            template_params::check(&w.settings.engagelab, &o.kind, &o.template_id, &o.params);
            send_once(w, o, &ctx).await
        }
        None => Ok(()),
    }
}

fn template(wf: &Workflow, kind: SmsKind) -> &str {
    let t = &wf.templates;
    match kind {
        SmsKind::Confirmation => &t.confirmation,
        SmsKind::Cancellation => &t.cancellation,
        SmsKind::HostNotify => &t.host_notify,
        SmsKind::HostCancellation => &t.host_cancellation,
    }
}

async fn event_sms(w: &Worker, s: SmsJob) -> Result<Option<Outgoing>, JobError> {
    // The booking's event type workflow picks the template and the locale.
    let wf = w
        .settings
        .workflow(s.event_type.as_deref(), Some(&s.event_name));
    let template_id = template(&wf, s.kind).to_owned();
    if template_id.is_empty() {
        sms_skipped(s.kind.as_str(), "template_off");
        return Ok(None);
    }
    let link = if s.kind == SmsKind::HostCancellation {
        match booking_link::for_sms(w, &s.job_id(), s.event_type.as_deref()).await? {
            BookingLink::Ready(url) => Some(url),
            BookingLink::Unavailable(reason) => {
                sms_skipped(s.kind.as_str(), reason);
                tracing::warn!(booking = %s.booking, reason, "host cancellation SMS not sent: no booking link can be made");
                return Ok(None);
            }
        }
    } else {
        None
    };
    let tz = format::zone(s.timezone.as_deref(), w.settings.reminders.default_timezone);
    let facts = MessageFacts {
        name: &s.name,
        event_name: &s.event_name,
        start: s.start,
        end: s.end,
        booking_url: link.as_deref(),
        ..MessageFacts::default()
    }
    .with_links(&s.links);
    Ok(Some(Outgoing {
        subject: Subject::Event {
            booking: s.booking.clone(),
            kind: s.kind,
            start: s.start,
        },
        booking: s.booking.to_string(),
        kind: s.kind.as_str().to_owned(),
        to: s.to,
        template_id,
        params: format::params(&facts, tz, &wf.locale),
        due_at: None,
    }))
}

async fn reminder(w: &Worker, r: ReminderJob) -> Result<Option<Outgoing>, JobError> {
    // The booking's event type workflow (a rescheduled booking's new type) picks the template
    // and the locale.
    let wf = w
        .settings
        .workflow(r.event_type.as_deref(), Some(&r.event_name));
    let t = &wf.templates;
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
    // A first look, so a stale reminder makes no booking link; the last check comes after the
    // link and the rate-limit wait (send_once).
    let (verdict, _) = w
        .bookings
        .sms_verdict(SmsSubject::Reminder(&r))
        .await
        .map_err(error::bookings)?;
    if let Currentness::Stale(reason) = verdict {
        tracing::info!(reminder = %r.reminder_id, reason = reason.as_str(), "reminder no longer applies: not sent");
        return Ok(None);
    }
    let link = if r.kind.is_engagement() {
        if let Some(reason) = suppressed_early(w, &r).await? {
            suppressed(&kind, reason);
            tracing::info!(reminder = %r.reminder_id, reason, "recipient on the SMS suppression list: not sent (no booking link made)");
            return Ok(None);
        }
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
    let advance = match r.kind {
        ReminderKind::Before(before) => Some(before),
        _ => None,
    };
    let facts = MessageFacts {
        name: &r.name,
        event_name: &r.event_name,
        start: Some(r.start),
        end: Some(r.end),
        booking_url: link.as_deref(),
        advance,
        ..MessageFacts::default()
    }
    .with_links(&r.links);
    let params = format::params(&facts, tz, &wf.locale);
    Ok(Some(Outgoing {
        booking: r.booking.to_string(),
        kind,
        to: r.phone.clone(),
        template_id,
        params,
        due_at: Some(r.due_at),
        subject: Subject::Reminder(Box::new(r)),
    }))
}

/// Whether a win-back or apology is stopped by the suppression list, read before its booking
/// link is made (the send step checks again, atomically with the claim).
async fn suppressed_early(w: &Worker, r: &ReminderJob) -> Result<Option<&'static str>, JobError> {
    let Ok(phone) = PhoneNumber::parse(&r.phone, None) else {
        return Ok(None);
    };
    Suppressions::new(w.redis.clone())
        .covers(phone.as_str(), r.booking.as_str(), true)
        .await
        .map_err(error::redis)
}

/// Counts an SMS dropped because its recipient is on the suppression list.
fn suppressed(kind: &str, reason: &'static str) {
    metrics::counter!("meetflow_sms_suppressed_total", "kind" => kind.to_owned(), "reason" => reason)
        .increment(1);
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
    if o.subject.to_invitee() {
        opt_out::read_brevo(w, &o.booking, o.subject.is_marketing(), &ctx.id).await?;
    }
    // The slot the lease gate reserved when it leased this job, else one of our own.
    engagelab
        .limiter
        .until_reserved_or_ready_for(ctx.slot, &ctx.id, w.options.rate_limit_wait)
        .await?;
    let recipient = Recipient {
        phone: to.as_str(),
        marketing: o.subject.is_marketing(),
        booking_email: o.subject.to_invitee(),
    };
    let Some((marker, now)) = claim(w, &o, recipient, ctx).await? else {
        return Ok(());
    };
    if let Err(e) = send_state::mark_possibly_sent(&w.client, &ctx.id, now).await {
        marker.release().await.map_err(error::redis)?;
        return Err(error::redis(e));
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
                SendOutcome::Accepted(accepted) => {
                    if let Some(due) = o.due_at {
                        meetflow_shared::ops_metrics::lateness::reminder_accepted(due, Utc::now());
                    }
                    record_accepted(w, &o.booking, &o.kind, &to, accepted.message_id.as_deref())
                        .await;
                    ("sent", "sent")
                }
                SendOutcome::Suppressed { .. } => ("suppressed", "suppressed"),
            };
            counted(&o.kind, label);
            if let Err(e) = marker.finish(state).await {
                // Sent: never fail the job now (a retry would dead-letter as "possibly sent").
                tracing::warn!(job.id = %ctx.id, error = %e, "SMS sent but its marker could not be updated");
            }
            // `possibly_sent` is cleared by the job's acknowledgement (ack.lua), which writes
            // the job hash anyway: no command of its own here.
            // `claimed_ms`: when the last check found the SMS still true of the booking (Redis
            // `TIME`, the clock a cancel or reschedule is recorded by).
            tracing::info!(job.id = %ctx.id, booking = %o.booking, kind = %o.kind, to = %redact::phone(to.as_str()), outcome = label, claimed_ms = now, "SMS handled");
            Ok(())
        }
        Err(e) if e.ambiguous => {
            counted(&o.kind, "possibly_sent");
            Err(possibly_sent(&e.to_string()))
        }
        Err(e) => {
            // Certainly not sent: say so even when Redis does not answer now.
            not_sent(w, marker, ctx.id.clone()).await;
            counted(&o.kind, "failed");
            if e.max_retries.is_some_and(|m| ctx.attempt > m) {
                return Err(JobError::permanent(e.class, e.to_string()));
            }
            Err(e.into())
        }
    }
}

/// Records the accepted send for its delivery callbacks (message id, kind, country). Never fails
/// the job: the SMS went out; a callback still finds it by its `custom_args`.
async fn record_accepted(
    w: &Worker,
    booking: &str,
    kind: &str,
    to: &PhoneNumber,
    message_id: Option<&str>,
) {
    let deliveries = Deliveries::new(w.redis.clone());
    let now = Utc::now().timestamp_millis();
    if let Err(e) = deliveries
        .accepted(booking, kind, message_id, &to.country(), now)
        .await
    {
        tracing::warn!(%booking, %kind, error = %e, "SMS accepted but its delivery record could not be written");
    }
}

/// Checks the booking and claims the marker in one step (again while the booking changes under
/// the check). `Ok(Some((marker, at)))`: the send is ours, claimed at `at` (Redis `TIME` read
/// with the booking, unix ms); `Ok(None)`: finished without sending (stale, or already sent);
/// an error: retry, or dead-letter as possibly sent.
async fn claim(
    w: &Worker,
    o: &Outgoing,
    to: Recipient<'_>,
    ctx: &JobContext,
) -> Result<Option<(SmsMarker, i64)>, JobError> {
    for _ in 0..CHECK_ROUNDS {
        let (verdict, guard) = w
            .bookings
            .sms_verdict(o.subject.as_ref())
            .await
            .map_err(error::bookings)?;
        if let Currentness::Stale(reason) = verdict {
            counted(&o.kind, "stale");
            tracing::info!(job.id = %ctx.id, booking = %o.booking, kind = %o.kind, reason = reason.as_str(), "SMS no longer true of the booking: not sent");
            return Ok(None);
        }
        let now = guard.read_ms;
        let marker = SmsMarker::new(&w.redis, &o.booking, &o.kind, ctx.attempt, now);
        match marker.claim(&guard, to).await.map_err(error::redis)? {
            Claim::Acquired => return Ok(Some((marker, now))),
            Claim::Changed => continue,
            Claim::Suppressed(reason) => {
                suppressed(&o.kind, reason);
                tracing::info!(job.id = %ctx.id, booking = %o.booking, kind = %o.kind, reason, "recipient on the SMS suppression list: not sent");
                return Ok(None);
            }
            Claim::Done(outcome) => {
                counted(&o.kind, "duplicate");
                tracing::info!(job.id = %ctx.id, booking = %o.booking, kind = %o.kind, %outcome, "SMS already handled: not sent again");
                return Ok(None);
            }
            Claim::InFlight { since_ms } => {
                let grant = send_state::resend_ms(&w.client, &ctx.id)
                    .await
                    .map_err(error::redis)?;
                if grant.is_some_and(|r| r > since_ms) {
                    tracing::warn!(job.id = %ctx.id, booking = %o.booking, kind = %o.kind, "replayed with --resend by an operator after a possible send: sending");
                    marker.take_over().await.map_err(error::redis)?;
                    return Ok(Some((marker, now)));
                }
                send_state::mark_possibly_sent(&w.client, &ctx.id, since_ms)
                    .await
                    .map_err(error::redis)?;
                counted(&o.kind, "possibly_sent");
                return Err(possibly_sent(
                    "an earlier attempt started this send and did not finish",
                ));
            }
        }
    }
    Err(JobError::retry(
        ErrorClass::Internal,
        "the booking kept changing during the last check before sending",
    ))
}

/// Records a definite refusal as not sent: the marker released (asked again while Redis does not
/// answer, [`SmsMarker::release`]) and `possibly_sent` cleared. Never turns the provider's answer
/// into a Redis error: the job keeps the provider's error either way.
async fn not_sent(w: &Worker, marker: SmsMarker, id: String) {
    if let Err(e) = marker.release().await {
        tracing::warn!(job.id = %id, error = %e, "SMS refused but its marker could not be released");
        return;
    }
    if let Err(e) = send_state::clear(&w.client, &id).await {
        tracing::warn!(job.id = %id, error = %e, "SMS refused but possibly_sent could not be cleared");
    }
}
