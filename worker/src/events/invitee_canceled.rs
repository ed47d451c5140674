//! `invitee.canceled`: a cancellation, or the old half of a reschedule (`rescheduled: true`).
//!
//! Both cancel every pending reminder and follow-up of the booking (bookings store). A plain
//! cancellation by the invitee also plans the win-back SMS when that flow is on (the store calls it
//! off if the person books again before it is due; a host's cancellation plans none), sets the Brevo status to cancelled
//! (`brevo:canceled:<booking>`), sends the Brevo `cancelled` event and the cancellation SMS
//! (`sms:cancellation:<booking>`). The old half of a reschedule sends nothing: the new
//! `invitee.created` brings the new booking, its Brevo sync and its SMS. Whichever half arrives
//! first, the end state is the same (see the bookings store).

use meetflow_shared::bookings::{
    BookingKey, BookingStatus, Bookings, CancelOutcome, MessageLinks, Person,
};
use meetflow_shared::events::Invitee;
use meetflow_shared::jobs::brevo::{BrevoId, ContactSync, EventTrack};
use meetflow_shared::jobs::sms::{SmsJob, SmsKind};
use meetflow_shared::queue::JobError;

use super::phone::{self, Phone};
use super::{booking_properties, contact, email, meeting_index, workflow_of};
use crate::brevo::brevo_skipped;
use crate::context::Worker;
use crate::error;
use crate::fanout::FanOut;
use crate::sms::sms_skipped;

const SOURCE: &str = "calendly:invitee.canceled";

/// Records the cancellation of `invitee` in `bookings` (with its win-back, when their
/// engagement plans one).
pub(crate) async fn record(
    bookings: &Bookings,
    invitee: &Invitee,
    rescheduled: bool,
) -> Result<CancelOutcome, JobError> {
    let event = invitee.scheduled_event.as_ref();
    let who = Person {
        event_type: event.and_then(|e| e.event_type.as_deref()),
        event_name: event.and_then(|e| e.name.as_deref()),
        email: invitee.email.as_deref(),
        timezone: invitee.timezone.as_deref(),
        canceled_by_host: canceled_by_host(invitee),
    };
    bookings
        .canceled_by(
            &invitee.uri,
            rescheduled,
            invitee.new_invitee.as_deref(),
            &who,
        )
        .await
        .map_err(error::bookings)
}

/// Whether the host (not the invitee) cancelled.
fn canceled_by_host(invitee: &Invitee) -> bool {
    invitee
        .cancellation
        .as_ref()
        .and_then(|c| c.canceler_type.as_deref())
        .is_some_and(|t| t.eq_ignore_ascii_case("host"))
}

/// Handles one `invitee.canceled`.
pub(crate) async fn handle(w: &Worker, invitee: &Invitee) -> Result<(), JobError> {
    let cal = &w.settings.connectors.calendly;
    let key = BookingKey::from_invitee_uri(&invitee.uri);
    let rescheduled = invitee.rescheduled.unwrap_or(false);
    let wf = workflow_of(w, invitee);
    let event = invitee.scheduled_event.as_ref();
    let outcome = record(&w.bookings, invitee, rescheduled).await?;
    tracing::info!(
        booking = %key,
        rescheduled,
        reminders_canceled = outcome.reminders_canceled,
        already_ended = outcome.already_ended,
        win_back_planned = outcome.win_back_planned,
        "booking cancelled"
    );
    let email = email(invitee);
    if let (Some(email), Some(id)) = (
        &email,
        event
            .and_then(|e| e.location.as_ref())
            .and_then(|l| l.zoom_meeting_id()),
    ) {
        meeting_index::remove(w, id.as_str(), email).await?;
    }
    if rescheduled {
        return Ok(());
    }
    let mut out = FanOut::default();
    let phone = phone::resolve(w, &wf, invitee).await?;
    if let Some(email) = email {
        let sync = ContactSync {
            email: email.clone(),
            attributes: contact::attributes(
                &cal.field_mapping,
                invitee,
                phone.number(),
                BookingStatus::Canceled,
            ),
            list_ids: Vec::new(),
            booking: Some(key.clone()),
            status_attribute: cal.field_mapping.status.clone(),
            source: SOURCE.into(),
        };
        out.contact(BrevoId::BookingCanceled(key.clone()), sync)?;
        out.event(
            key.as_str(),
            EventTrack {
                event_name: wf.brevo_events.cancelled.clone(),
                date: None,
                email,
                properties: booking_properties(&key, invitee),
            },
        )?;
    } else {
        brevo_skipped(SOURCE, "no_email");
    }
    // A host's cancellation gets its own SMS ("we had to cancel, book a new time") when its
    // template is set, else the plain cancellation.
    let canceled_by_host = canceled_by_host(invitee);
    let (kind, template) = if canceled_by_host && !wf.templates.host_cancellation.is_empty() {
        (SmsKind::HostCancellation, &wf.templates.host_cancellation)
    } else {
        (SmsKind::Cancellation, &wf.templates.cancellation)
    };
    match &phone {
        _ if template.is_empty() => {
            sms_skipped(kind.as_str(), "template_off");
        }
        Phone::Missing => sms_skipped(kind.as_str(), "no_phone"),
        Phone::Invalid => sms_skipped(kind.as_str(), "invalid_phone"),
        Phone::Valid(p) => out.sms(&SmsJob {
            v: SmsJob::VERSION,
            booking: key.clone(),
            kind,
            to: p.as_str().to_owned(),
            name: contact::display_name(invitee),
            event_name: event.and_then(|e| e.name.clone()).unwrap_or_default(),
            start: event.and_then(|e| e.start_time),
            end: event.and_then(|e| e.end_time),
            timezone: invitee.timezone.clone(),
            // The booking is gone: its cancel and reschedule links lead nowhere.
            links: MessageLinks {
                cancel_url: None,
                reschedule_url: None,
                ..MessageLinks::from_invitee(invitee)
            },
            event_type: event.and_then(|e| e.event_type.clone()),
        })?,
    }
    out.enqueue(&w.client).await
}
