//! The `events` queue: one stored webhook delivery in ([`dispatch`]), bookings updated and
//! follow-up jobs out. One file per Calendly or Zoom event, plus the Calendly invitee as a Brevo
//! contact ([`contact`]) and as an SMS number ([`phone`]).

pub(crate) mod backfill;
pub(crate) mod contact;
pub(crate) mod dispatch;
pub(crate) mod invitee_canceled;
pub(crate) mod invitee_created;
pub(crate) mod invitee_no_show;
pub(crate) mod meeting_index;
pub(crate) mod person_trail;
pub(crate) mod phone;
pub(crate) mod routing_form;
pub(crate) mod sms_receipts;
pub(crate) mod zoom_webhooks;

use meetflow_shared::bookings::BookingKey;
use meetflow_shared::config::Workflow;
use meetflow_shared::events::Invitee;
use serde_json::{Map, Value};

/// The effective workflow of `invitee`'s event type (by URI, else by name; else the global one).
pub(crate) fn workflow_of(w: &crate::context::Worker, invitee: &Invitee) -> Workflow {
    let event = invitee.scheduled_event.as_ref();
    w.settings.workflow(
        event.and_then(|e| e.event_type.as_deref()),
        event.and_then(|e| e.name.as_deref()),
    )
}

/// The invitee's e-mail, trimmed, when present.
pub(crate) fn email(invitee: &Invitee) -> Option<String> {
    invitee
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
}

/// `event_properties` of a booking's Brevo events.
pub(crate) fn booking_properties(key: &BookingKey, invitee: &Invitee) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("booking".into(), Value::String(key.to_string()));
    let event = invitee.scheduled_event.as_ref();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            p.insert(k.into(), Value::String(v));
        }
    };
    put("event", event.and_then(|e| e.name.clone()));
    put(
        "start",
        event
            .and_then(|e| e.start_time)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    );
    put("timezone", invitee.timezone.clone());
    put("cancel_url", invitee.cancel_url.clone());
    put("reschedule_url", invitee.reschedule_url.clone());
    p
}
