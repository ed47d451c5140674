//! `invitee_no_show.created` / `.deleted`: mark or unmark the invitee as a no-show.
//!
//! The bookings store removes (or restores) the follow-up: a no-show gets none. When the apology
//! flow is on, a mark also plans the "sorry we missed you" SMS (`engagement.no_show_after`
//! later, with a single-use booking link) and an unmark calls it off if it was not sent yet.
//! Brevo gets the status (`no_show`, or back to the booking's status), written from the booking's
//! current state when the sync runs; a mark also sends the Brevo `no_show` event. Job ids carry
//! the delivery, so mark, unmark and mark again are three syncs while a redelivery is one.

use meetflow_shared::bookings::{BookingKey, BookingStatus};
use meetflow_shared::events::Invitee;
use meetflow_shared::jobs::brevo::{BrevoId, ContactSync, EventTrack, delivery_tag};
use meetflow_shared::queue::JobError;
use serde_json::{Map, Value};

use super::contact::status_text;
use super::{booking_properties, email, workflow_of};
use crate::brevo::brevo_skipped;
use crate::context::Worker;
use crate::error;
use crate::fanout::FanOut;

/// Handles one no-show event (`set` = created, else deleted) of delivery `delivery_id`;
/// `adopted` (a no-show from before meetflow's go-live baseline, found by the reconciliation)
/// records the status and syncs Brevo but plans no apology and sends no Brevo event.
pub(crate) async fn handle(
    w: &Worker,
    invitee: &Invitee,
    set: bool,
    delivery_id: &str,
    adopted: bool,
) -> Result<(), JobError> {
    let key = BookingKey::from_invitee_uri(&invitee.uri);
    let quiet;
    let bookings = if adopted {
        quiet = w.bookings.clone().without_engagement();
        &quiet
    } else {
        &w.bookings
    };
    let outcome = bookings
        .no_show_in(&invitee.uri, set, invitee.timezone.as_deref())
        .await
        .map_err(error::bookings)?;
    tracing::info!(booking = %key, set, ?outcome, "no-show changed");
    let source = if set {
        "calendly:invitee_no_show.created"
    } else {
        "calendly:invitee_no_show.deleted"
    };
    let Some(email) = email(invitee) else {
        brevo_skipped(source, "no_email");
        return Ok(());
    };
    let status_attr = w.settings.connectors.calendly.field_mapping.status.clone();
    let mut attributes = Map::new();
    if let Some(attr) = &status_attr {
        let status = if set {
            BookingStatus::NoShow
        } else {
            BookingStatus::Active
        };
        attributes.insert(
            attr.clone(),
            Value::String(status_text(
                &w.settings.connectors.calendly.field_mapping.status_values,
                status,
            )),
        );
    }
    let mut out = FanOut::default();
    out.contact(
        BrevoId::NoShow {
            set,
            booking: key.clone(),
            delivery: delivery_id.to_owned(),
        },
        ContactSync {
            email: email.clone(),
            attributes,
            list_ids: Vec::new(),
            booking: Some(key.clone()),
            status_attribute: status_attr,
            source: source.into(),
        },
    )?;
    if set && !adopted {
        out.event(
            &format!("{key}:{}", delivery_tag(delivery_id)),
            EventTrack {
                event_name: workflow_of(w, invitee).brevo_events.no_show,
                date: None,
                email,
                properties: booking_properties(&key, invitee),
            },
        )?;
    }
    out.enqueue(&w.client).await
}
