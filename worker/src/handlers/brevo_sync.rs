//! The `brevo` queue: contact upserts and custom events.
//!
//! Every call first takes a slot of the Brevo rate limit shared by all replicas
//! (`brevo.rate_limit`); a slot further away than a second gives the job back without spending an
//! attempt. Brevo's own 429 waits for `x-sib-ratelimit-reset`, also without spending an attempt;
//! 401 (bad key, unknown IP) is a permanent `config` failure; 5xx retries with back-off.
//!
//! A sync about a booking writes the booking's current status (so syncs that run out of order end
//! right) and is dropped when the booking was rescheduled (the new booking syncs the contact). A
//! phone number Brevo refuses ("Invalid phone number", or owned by another contact) is dropped and
//! the contact synced without it; why is recorded
//! (`meetflow_brevo_sms_attribute_dropped_total{reason}` and a log line).

use meetflow_shared::bookings::BookingStatus;
use meetflow_shared::jobs::brevo::{BrevoJob, BrevoOp, ContactSync, EventTrack};
use meetflow_shared::providers::brevo::{BrevoClient, BrevoError, BrevoEvent, ContactUpsert};
use meetflow_shared::queue::{JobContext, JobError};
use serde_json::Value;

use crate::contact::status_text;
use crate::context::{Limited, Worker};
use crate::error;

/// Handles one `brevo` job.
pub(crate) async fn handle(w: &Worker, job: BrevoJob, ctx: JobContext) -> Result<(), JobError> {
    error::check_version("brevo job", job.v, BrevoJob::VERSION)?;
    let brevo = w.brevo()?;
    match job.op {
        BrevoOp::UpsertContact(sync) => upsert(w, brevo, sync, &ctx).await,
        BrevoOp::TrackEvent(event) => track(w, brevo, event).await,
    }
}

async fn slot(w: &Worker, brevo: &Limited<BrevoClient>) -> Result<(), JobError> {
    brevo
        .limiter
        .until_ready(w.options.rate_limit_wait)
        .await
        .map_err(JobError::from)
}

async fn upsert(
    w: &Worker,
    brevo: &Limited<BrevoClient>,
    sync: ContactSync,
    ctx: &JobContext,
) -> Result<(), JobError> {
    let mut attributes = sync.attributes;
    if let Some(key) = &sync.booking
        && let Some(booking) = w.bookings.get(key).await.map_err(error::bookings)?
    {
        if booking.status == BookingStatus::Rescheduled {
            super::brevo_skipped("booking", "rescheduled");
            tracing::info!(booking = %key, job.id = %ctx.id, "booking was rescheduled: its new booking syncs the contact");
            return Ok(());
        }
        if let Some(attr) = &sync.status_attribute {
            attributes.insert(
                attr.clone(),
                Value::String(status_text(booking.status).into()),
            );
        }
    }
    let contact = ContactUpsert {
        email: sync.email,
        ext_id: None,
        attributes,
        list_ids: sync.list_ids,
    };
    slot(w, brevo).await?;
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
            slot(w, brevo).await?;
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
) -> Result<(), JobError> {
    let event = BrevoEvent {
        event_name: event.event_name,
        email: event.email,
        properties: event.properties,
        contact_properties: serde_json::Map::new(),
    };
    slot(w, brevo).await?;
    brevo
        .client
        .track_event(&event)
        .await
        .map_err(JobError::from)
}
