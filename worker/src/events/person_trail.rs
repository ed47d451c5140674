//! The person page's trail of a booking ([`meetflow_shared::person_index`]): after a Calendly
//! delivery about an invitee is handled, the delivery (its job id, the event, how it came) and
//! the booking's status after it are added to the booking's trail, and the booking to the
//! indexes of its phone number and its scheduled event. Best effort: a failed write is logged
//! (no personal data) and the job still succeeds, since the page is a view and the booking
//! itself is already stored.

use chrono::Utc;
use meetflow_shared::bookings::BookingKey;
use meetflow_shared::events::Invitee;
use meetflow_shared::jobs::WebhookJob;
use meetflow_shared::person_index::{Owners, PersonIndex, TrailEntry};

use crate::context::Worker;

/// Adds `event` (delivered as `job`) to the trail of `invitee`'s booking.
pub(crate) async fn note(w: &Worker, invitee: &Invitee, event: &str, job: &WebhookJob) {
    let key = BookingKey::from_invitee_uri(&invitee.uri);
    let via = if job.is_backfill() {
        "backfill"
    } else if job.is_adopted() {
        "adopted"
    } else if job.is_reconciled() {
        "reconciled"
    } else {
        "webhook"
    };
    let mut conn = w.redis.conn();
    let stored: redis::RedisResult<(Option<String>, Option<String>)> = redis::cmd("HMGET")
        .arg(w.redis.keys().booking(key.as_str()))
        .arg("status")
        .arg("phone")
        .query_async(&mut conn)
        .await;
    let (status, phone) = stored.unwrap_or_default();
    let entry = TrailEntry {
        at_ms: Utc::now().timestamp_millis(),
        event: event.to_owned(),
        delivery: job.delivery_id.clone(),
        via: via.to_owned(),
        status,
    };
    let index = PersonIndex::new(w.redis.clone());
    let owners = Owners {
        phone: phone.as_deref(),
        event: invitee
            .scheduled_event
            .as_ref()
            .and_then(|e| e.uri.as_deref()),
    };
    if let Err(e) = index.record(key.as_str(), owners, &entry).await {
        tracing::warn!(booking = %key, error = %e, "could not add the delivery to the booking's trail");
    }
}
