//! Webhook deliveries rebuilt from the Calendly API, for bookings whose webhook never came.
//!
//! The reconciliation does not act on bookings itself: it enqueues a [`WebhookJob`] on the
//! `events` queue holding the envelope Calendly would have sent, so the worker does exactly what
//! the webhook would have caused (Brevo sync, confirmation SMS, reminders). The envelope is built
//! deterministically from the API data (its `created_at` is the invitee's own `created_at` /
//! `updated_at`), so its delivery identity, hence its job id, is the same on every run: two runs
//! before the worker catches up enqueue it once. A real webhook arriving late has another
//! identity (Calendly's own `created_at`), and is absorbed by the worker's idempotency instead
//! (the bookings store records a booking once; SMS job ids are per booking and kind).

use chrono::{DateTime, SecondsFormat, Utc};
use meetflow_shared::events::calendly::head;
use meetflow_shared::events::identity::Identity;
use meetflow_shared::events::{Invitee, Provider, ScheduledEvent};
use meetflow_shared::jobs::WebhookJob;
use serde_json::{Value, json};

pub use meetflow_shared::jobs::webhook::RECONCILE_REQUEST_ID;

/// The `events`-queue job for `event_name` (`invitee.created` | `invitee.canceled`) of `invitee`
/// of `event`, as Calendly would have delivered it. `None` if it cannot be serialized.
pub fn webhook_job(
    event_name: &str,
    invitee: &Invitee,
    event: &ScheduledEvent,
    created_by: &str,
    now: DateTime<Utc>,
) -> Option<WebhookJob> {
    let at = if event_name == meetflow_shared::events::calendly::INVITEE_CANCELED {
        invitee.updated_at.or(invitee.created_at)
    } else {
        invitee.created_at
    };
    webhook_job_at(event_name, invitee, event, created_by, at, now)
}

/// [`webhook_job`] for any Calendly invitee event (also `invitee_no_show.created|deleted`), with
/// the envelope `created_at` given: it must be stable across runs (it makes the job id) and
/// differ between two real occurrences (a no-show marked, unmarked and marked again).
pub fn webhook_job_at(
    event_name: &str,
    invitee: &Invitee,
    event: &ScheduledEvent,
    created_by: &str,
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<WebhookJob> {
    let mut payload = serde_json::to_value(invitee).ok()?;
    let obj = payload.as_object_mut()?;
    obj.insert("scheduled_event".into(), serde_json::to_value(event).ok()?);
    let created_at = at
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .map_or(Value::Null, |s| Value::String(s.replace('Z', ".000000Z")));
    let envelope = json!({
        "created_at": created_at,
        "created_by": created_by,
        "event": event_name,
        "payload": payload,
    });
    let body = serde_json::to_vec(&envelope).ok()?;
    let head = head(&body).ok()?;
    let id = Identity::calendly(&head, &body).job_id();
    let job = WebhookJob::new(
        Provider::Calendly,
        Some(event_name.to_owned()),
        now,
        id,
        &body,
        false,
    )
    .with_request_id(Some(RECONCILE_REQUEST_ID));
    Some(job)
}
