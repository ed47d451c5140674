//! `invitee.created`: a booking (or the new half of a reschedule).
//!
//! The bookings store records it and plans its reminders (and, on a reschedule, tombstones the
//! old booking in the same step). Then, with deterministic ids: the Brevo contact sync
//! (`brevo:created:<booking>`), the Brevo `booked`/`rescheduled` event, the confirmation SMS
//! (`sms:confirmation:<booking>`) and, with `engagelab.host_phone`, the host notice. A booking the
//! store already knows as cancelled (its cancellation arrived first) gets its Brevo sync (which
//! writes the cancelled status) but no SMS. With a consent question (`sms_consent` of the
//! workflow, else `sms.consent`), the answer sets or lifts the invitee's `calendly_consent`
//! suppression before anything is queued ([`crate::sms::opt_out::consent`]).
//!
//! A booking the reconciliation adopted at go-live (made before meetflow was there) is recorded
//! quietly, and stays quiet when Calendly's own `invitee.created` for it arrives later. A booking
//! healed as new whose webhook arrives later is not confirmed twice: the SMS and Brevo job ids
//! are per booking.

use chrono::Utc;
use meetflow_shared::bookings::{BookingChange, BookingFacts, BookingKey, BookingStatus};
use meetflow_shared::config::Workflow;
use meetflow_shared::domain::PhoneNumber;
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
use crate::sms::{opt_out, sms_skipped};

const SOURCE: &str = "calendly:invitee.created";

/// Handles one `invitee.created`; `reconciled` when the scheduler rebuilt it from the Calendly API
/// (the webhook never came), which may be after the meeting started.
pub(crate) async fn handle(
    w: &Worker,
    invitee: &Invitee,
    reconciled: bool,
) -> Result<(), JobError> {
    run(w, invitee, reconciled, false, None).await
}

/// A booking made before meetflow's go-live baseline, found by the reconciliation: recorded, its
/// reminders planned and its Brevo contact synced, but no confirmation, host notice or Brevo
/// `booked` event (the invitee booked long before meetflow was there to confirm it).
pub(crate) async fn adopt(w: &Worker, invitee: &Invitee) -> Result<(), JobError> {
    run(w, invitee, true, true, None).await
}

/// [`adopt`] for a booking the backfill brings over from the history in its final `status`:
/// the contact is synced with it (a booking long past is no longer in the store to say so), and
/// a cancelled or no-show booking plans only what is still ahead, never a late follow-up.
pub(crate) async fn adopt_history(
    w: &Worker,
    invitee: &Invitee,
    status: BookingStatus,
) -> Result<(), JobError> {
    run(w, invitee, true, true, Some(status)).await
}

async fn run(
    w: &Worker,
    invitee: &Invitee,
    reconciled: bool,
    adopted: bool,
    history: Option<BookingStatus>,
) -> Result<(), JobError> {
    let catch_up = history.is_none_or(|s| s == BookingStatus::Active);
    let cal = &w.settings.connectors.calendly;
    let key = BookingKey::from_invitee_uri(&invitee.uri);
    let wf = workflow_of(w, invitee);
    let phone = phone::resolve(w, &wf, invitee).await?;
    let facts = BookingFacts::from_invitee(invitee, phone.number().map(|p| p.as_str().to_owned()));
    // The reconciliation's go-live adoption is remembered on the booking; a backfill's is not (it
    // may bring over a booking made a minute ago whose own webhook is still on its way).
    let at_go_live = adopted && history.is_none();
    let change = match &facts {
        Some(f) => {
            let booked_at = invitee.created_at.filter(|_| catch_up);
            let change = if at_go_live {
                w.bookings.adopted_since(f, booked_at).await
            } else {
                w.bookings.booked_since(f, booked_at).await
            };
            Some(change.map_err(error::bookings)?)
        }
        None => None,
    };
    // Calendly's own delivery of a booking adopted at go-live, arriving late: still quiet.
    let late_for_adopted = !adopted
        && matches!(change, Some(BookingChange::Duplicate { .. }))
        && w.bookings.is_adopted(&key).await.map_err(error::bookings)?;
    if late_for_adopted {
        tracing::info!(booking = %key, "late webhook of a booking adopted at go-live: nothing to confirm");
    }
    let adopted = adopted || late_for_adopted;
    let ended = match &change {
        Some(BookingChange::AlreadyEnded { status, .. }) => Some(*status),
        _ => None,
    };
    let mut out = FanOut::default();
    let event = invitee.scheduled_event.as_ref();
    if let Some(email) = email(invitee) {
        if wf.name.is_none() {
            metrics::counter!("meetflow_calendly_unmapped_event_type_total").increment(1);
        }
        let status = ended.or(history).unwrap_or(BookingStatus::Active);
        let sync = ContactSync {
            email: email.clone(),
            attributes: contact::attributes(&cal.field_mapping, invitee, phone.number(), status),
            list_ids: wf.lists.clone(),
            booking: Some(key.clone()),
            status_attribute: cal.field_mapping.status.clone(),
            source: SOURCE.into(),
        };
        out.contact(BrevoId::BookingCreated(key.clone()), sync)?;
        if ended.is_none() && !adopted {
            let names = &wf.brevo_events;
            let name = if invitee.old_invitee.is_some() {
                &names.rescheduled
            } else {
                &names.booked
            };
            out.event(
                key.as_str(),
                EventTrack {
                    event_name: name.clone(),
                    date: None,
                    email: email.clone(),
                    properties: booking_properties(&key, invitee),
                },
            )?;
        }
        if let Some(id) = event
            .and_then(|e| e.location.as_ref())
            .and_then(|l| l.zoom_meeting_id())
        {
            meeting_index::add(w, id.as_str(), &email).await?;
        }
    } else {
        brevo_skipped(SOURCE, "no_email");
    }
    let started = facts.as_ref().is_some_and(|f| f.start <= Utc::now());
    if adopted {
        sms_skipped(SmsKind::Confirmation.as_str(), "adopted_at_go_live");
        tracing::info!(booking = %key, "booking from before go-live adopted quietly");
    } else if let Some(status) = ended {
        tracing::info!(booking = %key, status = status.as_str(), "booking already ended: no confirmation SMS");
    } else if reconciled && started {
        // A booking found late by the reconciliation: "you are booked for <a time already past>"
        // would only confuse; its Brevo sync and remaining reminders still happen.
        sms_skipped(SmsKind::Confirmation.as_str(), "reconciled_after_start");
        tracing::info!(booking = %key, "reconciled after the meeting started: no confirmation SMS");
    } else {
        sms(w, &wf, (&key, invitee), &phone, facts.as_ref(), &mut out)?;
    }
    if let Some(question) = wf.sms_consent.as_ref().filter(|_| !adopted) {
        // Before the confirmation is queued, so it is already judged by this answer.
        let answer = contact::find_answer(&invitee.questions_and_answers, &question.question);
        opt_out::consent(
            w,
            question,
            answer,
            email(invitee).as_deref(),
            phone.number(),
        )
        .await?;
    }
    out.enqueue(&w.client).await
}

/// The confirmation and the host notice.
fn sms(
    w: &Worker,
    wf: &Workflow,
    (key, invitee): (&BookingKey, &Invitee),
    phone: &Phone,
    facts: Option<&BookingFacts>,
    out: &mut FanOut,
) -> Result<(), JobError> {
    let templates = &wf.templates;
    let Some(facts) = facts else {
        sms_skipped(SmsKind::Confirmation.as_str(), "no_meeting_time");
        return Ok(());
    };
    let job = |kind: SmsKind, to: &PhoneNumber, timezone: Option<String>| SmsJob {
        v: SmsJob::VERSION,
        booking: key.clone(),
        kind,
        to: to.as_str().to_owned(),
        name: facts.name.clone(),
        event_name: facts.event_name.clone(),
        start: Some(facts.start),
        end: Some(facts.end),
        timezone,
        links: facts.links.clone(),
        event_type: Some(facts.event_type.clone()).filter(|t| !t.is_empty()),
    };
    let kind = SmsKind::Confirmation;
    match phone {
        _ if templates.confirmation.is_empty() => sms_skipped(kind.as_str(), "template_off"),
        Phone::Missing => sms_skipped(kind.as_str(), "no_phone"),
        Phone::Invalid => sms_skipped(kind.as_str(), "invalid_phone"),
        Phone::Valid(p) => out.sms(&job(kind, p, invitee.timezone.clone()))?,
    }
    if let Some(host) = &w.settings.engagelab.host_phone {
        let kind = SmsKind::HostNotify;
        if templates.host_notify.is_empty() {
            sms_skipped(kind.as_str(), "template_off");
        } else if let Ok(host) = PhoneNumber::parse(host, None) {
            // The host's zone is unknown: `reminders.default_timezone`.
            out.sms(&job(kind, &host, None))?;
        } else {
            sms_skipped(kind.as_str(), "invalid_phone");
        }
    }
    Ok(())
}
