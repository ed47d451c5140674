//! The `events` queue: one stored webhook delivery in, bookings updated and follow-up jobs out.
//!
//! The raw body is parsed here (ingest only verified and stored it). A job the reconciliation
//! marked `adopted` (a booking or no-show from before meetflow's go-live baseline) is handled
//! quietly: recorded and synced, never announced; one the backfill built (`backfill`) brings a
//! booking from the history over in its final state ([`super::backfill`]). A body that does not parse
//! as the event it names is a permanent `bad_payload` failure: it stays in the dead letters for
//! operators. Events meetflow does not act on (`meeting.participant_joined`, `event_type.*`, ...) are counted (`meetflow_events_total{outcome="unhandled"}`)
//! and finished, never an error.

use meetflow_shared::events::Provider;
use meetflow_shared::events::calendly::{self, CalendlyEvent};
use meetflow_shared::events::zoom::{self, ZoomEvent};
use meetflow_shared::jobs::WebhookJob;
use meetflow_shared::queue::{JobContext, JobError};

use super::{
    backfill, invitee_canceled, invitee_created, invitee_no_show, person_trail, routing_form,
    sms_receipts, zoom_webhooks,
};
use crate::context::Worker;
use crate::error::bad_payload;

fn count(provider: Provider, event: &str, outcome: &'static str) {
    metrics::counter!(
        "meetflow_events_total",
        "provider" => provider.as_str(),
        "event" => event.to_owned(),
        "outcome" => outcome
    )
    .increment(1);
}

/// Handles one `events` job.
pub(crate) async fn handle(w: &Worker, job: WebhookJob, ctx: JobContext) -> Result<(), JobError> {
    let body = job
        .raw_body()
        .map_err(|e| bad_payload(format!("webhook job {}: {e}", ctx.id)))?;
    let provider = job.provider;
    let handled = match provider {
        Provider::Calendly => on_calendly(w, &body, &job).await?,
        Provider::Zoom => on_zoom(w, &body).await?,
        Provider::EngageLab => {
            sms_receipts::handle(w, &body, job.received_at).await?;
            job.event.clone()
        }
    };
    let (event, outcome) = match &handled {
        Some(name) => (name.as_str(), "handled"),
        None => (job.event.as_deref().unwrap_or("(none)"), "unhandled"),
    };
    count(provider, event, outcome);
    if handled.is_none() {
        tracing::info!(provider = %provider, event, job.id = %ctx.id, "event not acted on");
    }
    Ok(())
}

/// `Some(event name)` when acted on, `None` for events meetflow ignores.
async fn on_calendly(
    w: &Worker,
    body: &[u8],
    job: &WebhookJob,
) -> Result<Option<String>, JobError> {
    let delivery_id = job.delivery_id.as_str();
    let delivery = calendly::parse(body).map_err(|e| bad_payload(format!("calendly: {e}")))?;
    match &delivery.event {
        CalendlyEvent::InviteeCreated(i) if job.is_backfill() => {
            backfill::handle(w, i, delivery_id).await?;
        }
        CalendlyEvent::InviteeCreated(i) if job.is_adopted() => {
            invitee_created::adopt(w, i).await?;
        }
        CalendlyEvent::InviteeCreated(i) => {
            invitee_created::handle(w, i, job.is_reconciled()).await?;
        }
        CalendlyEvent::InviteeCanceled(i) => invitee_canceled::handle(w, i).await?,
        CalendlyEvent::InviteeNoShowCreated(i) => {
            invitee_no_show::handle(w, i, true, delivery_id, job.is_adopted()).await?
        }
        CalendlyEvent::InviteeNoShowDeleted(i) => {
            invitee_no_show::handle(w, i, false, delivery_id, job.is_adopted()).await?
        }
        CalendlyEvent::RoutingFormSubmissionCreated(s) => routing_form::handle(w, s).await?,
        CalendlyEvent::Other => return Ok(None),
    }
    if let Some(invitee) = delivery.event.invitee() {
        person_trail::note(w, invitee, &delivery.name, job).await;
    }
    Ok(Some(delivery.name))
}

async fn on_zoom(w: &Worker, body: &[u8]) -> Result<Option<String>, JobError> {
    let delivery = zoom::parse(body).map_err(|e| bad_payload(format!("zoom: {e}")))?;
    match &delivery.event {
        ZoomEvent::MeetingEnded(m) => zoom_webhooks::meeting_ended(w, m).await?,
        ZoomEvent::WebinarEnded(m) => zoom_webhooks::webinar_ended(w, m).await?,
        ZoomEvent::WebinarParticipantJoined(p) => zoom_webhooks::webinar_joined(w, p).await?,
        ZoomEvent::WebinarRegistrationCreated(r) => {
            zoom_webhooks::webinar_registered(w, r).await?;
        }
        ZoomEvent::RecordingCompleted(r) => zoom_webhooks::recording_completed(w, r).await?,
        ZoomEvent::UrlValidation { .. }
        | ZoomEvent::MeetingParticipantJoined(_)
        | ZoomEvent::Other => return Ok(None),
    }
    Ok(Some(delivery.name))
}
