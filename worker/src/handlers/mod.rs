//! One file per job: the Calendly and Zoom events (run from the `events` queue by
//! [`crate::dispatch`]) and the `brevo`, `sms` and `zoom` queue jobs.

pub(crate) mod attendance_minutes;
pub(crate) mod brevo_sync;
pub(crate) mod invitee_canceled;
pub(crate) mod invitee_created;
pub(crate) mod invitee_no_show;
pub(crate) mod meeting_index;
pub(crate) mod sms_send;
pub(crate) mod zoom_attendance;
pub(crate) mod zoom_webhooks;
pub(crate) mod zoom_webinar;

use meetflow_shared::bookings::BookingKey;
use meetflow_shared::events::Invitee;
use serde_json::{Map, Value};

/// Counts an SMS that is not sent, by kind and reason.
pub(crate) fn sms_skipped(kind: &str, reason: &'static str) {
    metrics::counter!("meetflow_sms_skipped_total", "kind" => kind.to_owned(), "reason" => reason)
        .increment(1);
}

/// Counts a Brevo sync that is not made, by reason.
pub(crate) fn brevo_skipped(source: &'static str, reason: &'static str) {
    metrics::counter!("meetflow_brevo_skipped_total", "source" => source, "reason" => reason)
        .increment(1);
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
