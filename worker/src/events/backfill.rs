//! A booking from Calendly's history, brought over by the backfill (`meetflow-admin sync
//! calendly`): one job per invitee, holding it as the API lists it, in its final state.
//!
//! It reuses the quiet go-live path ([`invitee_created::adopt`], [`invitee_no_show::handle`]
//! adopted): the booking is recorded, its Brevo contact synced (mapped fields, list, status) and
//! what is still ahead planned, and nothing is sent: no confirmation, host notice, cancellation
//! SMS, win-back or apology. A cancelled booking is tombstoned first (without a win-back), so its
//! adoption plans no reminder; a cancelled or no-show booking plans no catch-up follow-up. Then
//! the Brevo lifecycle events go out with their original times (`event_date`): booked (or
//! rescheduled) when the invitee booked, cancelled when they cancelled, no-show when the host
//! marked them. Their ids are the webhook path's, so an event the webhook already sent the same
//! day is not sent twice.

use meetflow_shared::bookings::{BookingKey, BookingStatus, Engagement};
use meetflow_shared::events::Invitee;
use meetflow_shared::jobs::brevo::{EventTrack, delivery_tag};
use meetflow_shared::queue::JobError;
use meetflow_shared::sync::State;

use super::{booking_properties, email, invitee_canceled, invitee_created, invitee_no_show};
use crate::context::Worker;
use crate::fanout::FanOut;

/// Handles one backfill job (`delivery_id` is its id).
pub(crate) async fn handle(
    w: &Worker,
    invitee: &Invitee,
    delivery_id: &str,
) -> Result<(), JobError> {
    let Some(state) = State::of(invitee) else {
        tracing::info!(status = ?invitee.status, "backfill: invitee status not known; skipped");
        return Ok(());
    };
    let key = BookingKey::from_invitee_uri(&invitee.uri);
    let rescheduled = invitee.rescheduled.unwrap_or(false);
    if state == State::Canceled {
        // Quietly: no win-back for a cancellation from the history.
        let quiet = w.bookings.clone().with_engagement(Engagement::off());
        invitee_canceled::record(&quiet, invitee, rescheduled).await?;
    }
    let status = match state {
        State::Active => BookingStatus::Active,
        State::Canceled if rescheduled => BookingStatus::Rescheduled,
        State::Canceled => BookingStatus::Canceled,
        State::NoShow => BookingStatus::NoShow,
    };
    invitee_created::adopt_history(w, invitee, status).await?;
    if state == State::NoShow {
        invitee_no_show::handle(w, invitee, true, delivery_id, true).await?;
    }
    let Some(email) = email(invitee) else {
        return Ok(());
    };
    let names = &w.settings.engagement.brevo_events;
    let event = |name: &String, date| EventTrack {
        event_name: name.clone(),
        date,
        email: email.clone(),
        properties: booking_properties(&key, invitee),
    };
    let mut out = FanOut::default();
    let booked = if invitee.old_invitee.is_some() {
        &names.rescheduled
    } else {
        &names.booked
    };
    out.event(key.as_str(), event(booked, invitee.created_at))?;
    match state {
        State::Canceled if !rescheduled => {
            let at = invitee
                .cancellation
                .as_ref()
                .and_then(|c| c.created_at)
                .or(invitee.updated_at);
            out.event(key.as_str(), event(&names.cancelled, at))?;
        }
        State::NoShow => {
            let mark = invitee.no_show.as_ref();
            let tag = mark
                .and_then(|m| m.uri.as_deref())
                .map_or_else(|| delivery_tag(delivery_id), delivery_tag);
            out.event(
                &format!("{key}:{tag}"),
                event(&names.no_show, mark.and_then(|m| m.created_at)),
            )?;
        }
        State::Active | State::Canceled => {}
    }
    out.enqueue(&w.client).await
}
