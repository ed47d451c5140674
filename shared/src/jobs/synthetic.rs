//! Webhook deliveries rebuilt from the Calendly API: the reconciliation's (a webhook that never
//! came) and the backfill's (an invitee from the history, `meetflow-admin sync calendly`).
//!
//! Neither acts on bookings itself: each enqueues a [`WebhookJob`] on the `events` queue holding
//! the envelope Calendly would have sent, so the worker does exactly what the webhook would have
//! caused. The envelope is built deterministically from the API data (its `created_at` is the
//! invitee's own `created_at` / `updated_at`), so its delivery identity, hence its job id, is the
//! same on every run: two runs before the worker catches up enqueue it once. A real webhook
//! arriving late has another identity (Calendly's own `created_at`), and is absorbed by the
//! worker's idempotency instead (the bookings store records a booking once; SMS job ids are per
//! booking and kind). A backfill job's id is made of the invitee and the state it brings over
//! (see [`backfill_job`]), so it never collides with the reconciliation's job for the same
//! invitee, and a booking whose state changed between two runs is brought over again.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::WebhookJob;
use super::webhook::{BACKFILL_REQUEST_ID, RECONCILE_REQUEST_ID};
use crate::events::calendly::{INVITEE_CANCELED, INVITEE_CREATED, head};
use crate::events::identity::Identity;
use crate::events::{Invitee, Provider, ScheduledEvent};

/// The `events`-queue job for `event_name` (`invitee.created` | `invitee.canceled`) of `invitee`
/// of `event`, as Calendly would have delivered it. `None` if it cannot be serialized.
pub fn webhook_job(
    event_name: &str,
    invitee: &Invitee,
    event: &ScheduledEvent,
    created_by: &str,
    now: DateTime<Utc>,
) -> Option<WebhookJob> {
    let at = if event_name == INVITEE_CANCELED {
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

/// The backfill's `events`-queue job for `invitee` of `event` in the state `state` (the
/// backfill's tag of it, e.g. `canceled@2026-01-02T03:04:05Z`): an `invitee.created` envelope
/// holding the invitee as the API lists it (status, cancellation and no-show included), marked
/// [`WebhookJob::backfilled`]. Its id is `wh:calendly:<sha256 of invitee and state>`. `None` if it
/// cannot be serialized.
pub fn backfill_job(
    invitee: &Invitee,
    event: &ScheduledEvent,
    created_by: &str,
    state: &str,
    now: DateTime<Utc>,
) -> Option<WebhookJob> {
    let mut job = webhook_job_at(
        INVITEE_CREATED,
        invitee,
        event,
        created_by,
        invitee.created_at,
        now,
    )?;
    let mut hasher = Sha256::new();
    hasher.update(b"backfill\0");
    hasher.update(invitee.uri.as_bytes());
    hasher.update(b"\0");
    hasher.update(state.as_bytes());
    job.delivery_id = format!("wh:calendly:{}", hex::encode(hasher.finalize()));
    Some(job.with_request_id(Some(BACKFILL_REQUEST_ID)).backfilled())
}
