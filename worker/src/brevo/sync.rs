//! The `brevo` queue: contact upserts and custom events.
//!
//! Every call first takes a slot of a Brevo rate limit shared by all replicas: contact calls of
//! `brevo.rate_limits.contacts`, events of `brevo.rate_limits.events` (each `brevo.rate_limit`
//! unless set), so a contact backlog never holds events back. The queue's lease gate reserves
//! each job's first slot on the budget its kind spends ([`budget`]) as it leases the job
//! ([`JobContext::slot`]); further calls (a write again, a contact without its refused phone)
//! ask the limiter, and a slot further away than a second delays the job to a slot reserved for
//! it without spending an attempt. Brevo's own 429 waits for `x-sib-ratelimit-reset`, also without spending an attempt;
//! 401 (bad key, unknown IP) is a permanent `config` failure; 5xx retries with back-off.
//!
//! A sync about a booking writes the booking's current status, and writes again when the status
//! changed while it was writing (so syncs that run out of order or at once end right); it is
//! dropped when the booking was rescheduled (the new booking syncs the contact). An attendance
//! sync writes the contact's total attendance minutes the same way: read when it runs, written
//! again when another meeting or webinar added minutes meanwhile. A
//! phone number Brevo refuses ("Invalid phone number", or owned by another contact) is dropped and
//! the contact synced without it; why is recorded
//! (`meetflow_brevo_sms_attribute_dropped_total{reason}` and a log line).

use meetflow_shared::bookings::BookingStatus;
use meetflow_shared::jobs::brevo::{BrevoJob, BrevoOp, ContactSync, EventTrack};
use meetflow_shared::providers::brevo::{BrevoClient, BrevoError, BrevoEvent, ContactUpsert};
use meetflow_shared::providers::rate_limit::RateLimiter;
use meetflow_shared::queue::{JobContext, JobError};
use serde_json::Value;
use tokio::time::Instant;

use super::attendance_minutes;
use crate::context::{Limited, Worker};
use crate::error;
use crate::events::contact::status_text;

/// Index of Brevo's `/contacts` budget among the `brevo` queue's lease gate budgets.
pub(crate) const CONTACTS_BUDGET: usize = 0;
/// Index of Brevo's `POST /events` budget among them.
pub(crate) const EVENTS_BUDGET: usize = 1;

/// The budget a `brevo` job's first Brevo call spends, for the queue's lease gate: contact and
/// attendance syncs [`CONTACTS_BUDGET`], events [`EVENTS_BUDGET`]; none for a payload that does
/// not decode (its handler fails it before any call).
pub(crate) fn budget(payload: &str) -> Option<usize> {
    let job: BrevoJob = serde_json::from_str(payload).ok()?;
    Some(match job.op {
        BrevoOp::UpsertContact(_) | BrevoOp::SyncAttendance(_) => CONTACTS_BUDGET,
        BrevoOp::TrackEvent(_) => EVENTS_BUDGET,
    })
}

/// Handles one `brevo` job.
pub(crate) async fn handle(w: &Worker, job: BrevoJob, ctx: JobContext) -> Result<(), JobError> {
    let brevo = w.brevo()?;
    match job.op {
        BrevoOp::UpsertContact(sync) => upsert(w, brevo, &sync, None, &ctx).await,
        BrevoOp::SyncAttendance(a) => {
            upsert(w, brevo, &a.contact, Some(&a.total_minutes_attribute), &ctx).await
        }
        BrevoOp::TrackEvent(event) => track(w, brevo, event, &ctx).await,
    }
}

/// A slot of Brevo's shared `/contacts` limit for the job `ctx`: `reserved` (the lease gate's,
/// for the job's first call) when on time, else a new one; a slot further than
/// `rate_limit_wait` away is reserved for the job, which is delayed to it ([`JobError::Defer`]).
async fn slot(
    w: &Worker,
    brevo: &Limited<BrevoClient>,
    ctx: &JobContext,
    reserved: Option<Instant>,
) -> Result<(), JobError> {
    slot_of(w, &brevo.limiter, ctx, reserved).await
}

/// A slot of `limiter` for the job `ctx` (see [`slot`]).
async fn slot_of(
    w: &Worker,
    limiter: &RateLimiter,
    ctx: &JobContext,
    reserved: Option<Instant>,
) -> Result<(), JobError> {
    limiter
        .until_reserved_or_ready_for(reserved, &ctx.id, w.options.rate_limit_wait)
        .await
        .map_err(JobError::from)
}

/// How many times one sync writes again because what it wrote changed while it was writing.
const MAX_REWRITES: usize = 5;

/// What a sync writes as it stands when the job runs, not as it stood when it was enqueued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Current {
    /// The booking's status (`None` without a booking, or when it is not stored).
    status: Option<BookingStatus>,
    /// The contact's total attendance minutes (`None` unless the sync writes them).
    total_minutes: Option<u64>,
}

/// The sync's state now; `total_attr` set: the sync writes the contact's total minutes.
async fn current(
    w: &Worker,
    sync: &ContactSync,
    total_attr: Option<&str>,
) -> Result<Current, JobError> {
    let status = match &sync.booking {
        Some(key) => w
            .bookings
            .get(key)
            .await
            .map_err(error::bookings)?
            .map(|b| b.status),
        None => None,
    };
    let total_minutes = match total_attr {
        Some(_) => Some(attendance_minutes::total(w, &sync.email).await?),
        None => None,
    };
    Ok(Current {
        status,
        total_minutes,
    })
}

/// Writes the contact with the booking's current status and the current total minutes. Two
/// syncs of one contact (a booking's creation and its cancellation, or two meetings' attendance)
/// can run at once: each reads, then waits for a rate-limit slot and the call, so the one that
/// read the older state may land last. So after each write the state is read again, and a sync
/// whose state changed meanwhile writes again: the last write to land is always followed by a
/// read that confirms it.
async fn upsert(
    w: &Worker,
    brevo: &Limited<BrevoClient>,
    sync: &ContactSync,
    total_attr: Option<&str>,
    ctx: &JobContext,
) -> Result<(), JobError> {
    let mut state = current(w, sync, total_attr).await?;
    // The gate's slot serves the first write only.
    let mut reserved = ctx.slot;
    for _ in 0..MAX_REWRITES {
        if state.status == Some(BookingStatus::Rescheduled) {
            super::brevo_skipped("booking", "rescheduled");
            tracing::info!(job.id = %ctx.id, "booking was rescheduled: its new booking syncs the contact");
            return Ok(());
        }
        write(w, brevo, sync, state, total_attr, ctx, reserved.take()).await?;
        let now = current(w, sync, total_attr).await?;
        if now == state {
            return Ok(());
        }
        metrics::counter!("meetflow_brevo_status_rewrites_total").increment(1);
        state = now;
    }
    Ok(())
}

async fn write(
    w: &Worker,
    brevo: &Limited<BrevoClient>,
    sync: &ContactSync,
    state: Current,
    total_attr: Option<&str>,
    ctx: &JobContext,
    reserved: Option<Instant>,
) -> Result<(), JobError> {
    let mut attributes = sync.attributes.clone();
    if let (Some(status), Some(attr)) = (state.status, &sync.status_attribute) {
        attributes.insert(
            attr.clone(),
            Value::String(status_text(
                &w.settings.connectors.calendly.field_mapping.status_values,
                status,
            )),
        );
    }
    if let (Some(total), Some(attr)) = (state.total_minutes, total_attr) {
        attributes.insert(attr.to_owned(), Value::from(total));
    }
    let contact = ContactUpsert {
        email: sync.email.clone(),
        ext_id: None,
        attributes,
        list_ids: sync.list_ids.clone(),
    };
    slot(w, brevo, ctx, reserved).await?;
    match brevo.client.upsert_contact(&contact).await {
        Ok(_) => Ok(()),
        Err(BrevoError::PhoneRejected { reason, error }) if contact.has_sms() => {
            metrics::counter!("meetflow_brevo_sms_attribute_dropped_total", "reason" => reason.as_str())
                .increment(1);
            tracing::warn!(
                job.id = %ctx.id,
                source = %sync.source,
                reason = reason.as_str(),
                brevo = %error,
                "Brevo refused the phone number: contact synced without SMS"
            );
            slot(w, brevo, ctx, None).await?;
            brevo
                .client
                .upsert_contact(&contact.without_sms())
                .await
                .map(|_| ())
                .map_err(JobError::from)
        }
        Err(e) => Err(e.into()),
    }
}

async fn track(
    w: &Worker,
    brevo: &Limited<BrevoClient>,
    event: EventTrack,
    ctx: &JobContext,
) -> Result<(), JobError> {
    let event = BrevoEvent {
        event_name: event.event_name,
        email: event.email,
        properties: event.properties,
        contact_properties: serde_json::Map::new(),
        date: event.date,
    };
    let events = w.brevo_events.as_ref().unwrap_or(&brevo.limiter);
    slot_of(w, events, ctx, ctx.slot).await?;
    brevo
        .client
        .track_event(&event)
        .await
        .map_err(JobError::from)
}
