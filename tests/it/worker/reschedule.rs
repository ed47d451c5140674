//! Worker: a reschedule is two Calendly events (the old invitee's `invitee.canceled` with
//! `rescheduled: true`, the new invitee's `invitee.created` with `old_invitee`) that arrive in
//! either order. Both orders must end the same: the new booking's reminders only, one
//! confirmation per booking, no cancellation SMS, and the contact showing the new time as active.

use chrono::{DateTime, Utc};
use meetflow_shared::bookings::{BookingStatus, ReminderState};
use meetflow_shared::events::Provider;
use serde_json::json;

use crate::support::worker::{JORDAN_EMAIL, canceled, created, env, in_two_days, new_invitee};

#[derive(Debug, PartialEq)]
struct EndState {
    old_status: BookingStatus,
    old_pending: usize,
    new_status: BookingStatus,
    new_reminders: Vec<String>,
    templates: Vec<String>,
    status: String,
    meeting_date: String,
    events: Vec<String>,
}

async fn reschedule(cancel_first: bool) -> EndState {
    let env = env().await;
    let worker = env.start();
    let (old_uri, old) = new_invitee();
    let (new_uri, new) = new_invitee();
    let old_start = in_two_days();
    let new_start: DateTime<Utc> = old_start + chrono::Duration::hours(24);
    env.deliver(Provider::Calendly, &created(&old_uri, old_start))
        .await;
    env.settle().await;

    let cancel = canceled(&old_uri, old_start, |v| {
        v["payload"]["rescheduled"] = json!(true);
        v["payload"]["new_invitee"] = json!(new_uri);
    });
    let create = crate::support::worker::calendly_body(
        meetflow_tests::fixtures::CALENDLY_INVITEE_CREATED,
        &new_uri,
        new_start,
        |v| v["payload"]["old_invitee"] = json!(old_uri),
    );
    let order = if cancel_first {
        [&cancel, &create]
    } else {
        [&create, &cancel]
    };
    for body in order {
        env.deliver(Provider::Calendly, body).await;
        env.settle().await;
    }

    let old_b = env.booking(&old).await.unwrap();
    let new_b = env.booking(&new).await.unwrap();
    let c = env.brevo.contact(JORDAN_EMAIL).unwrap();
    let state = EndState {
        old_status: old_b.status,
        old_pending: old_b
            .reminders
            .iter()
            .filter(|r| matches!(r.state, ReminderState::Planned | ReminderState::Enqueued))
            .count(),
        new_status: new_b.status,
        new_reminders: new_b
            .reminders
            .iter()
            .filter(|r| r.state == ReminderState::Planned)
            .map(|r| r.kind.label())
            .collect(),
        templates: env
            .engagelab
            .sent()
            .iter()
            .map(|s| s.template_id.clone())
            .collect(),
        status: c.attributes["BOOKING_STATUS"].as_str().unwrap().to_owned(),
        meeting_date: c.attributes["MEETING_DATE"].as_str().unwrap().to_owned(),
        events: env
            .brevo
            .events()
            .iter()
            .map(|e| e.event_name.clone())
            .collect(),
    };
    assert_eq!(
        state.meeting_date,
        new_start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    worker.stop().await;
    state
}

fn expected(state: &EndState) {
    assert_eq!(state.old_status, BookingStatus::Rescheduled);
    assert_eq!(state.old_pending, 0);
    assert_eq!(state.new_status, BookingStatus::Active);
    assert_eq!(state.new_reminders, ["24h", "1h", "followup"]);
    assert_eq!(state.templates, ["tpl_confirmation", "tpl_confirmation"]);
    assert_eq!(state.status, "active");
    assert_eq!(state.events, ["booking_created", "booking_rescheduled"]);
}

#[tokio::test]
async fn reschedule_with_the_cancel_first() {
    let state = reschedule(true).await;
    expected(&state);
}

#[tokio::test]
async fn reschedule_with_the_new_booking_first_ends_the_same() {
    let state = reschedule(false).await;
    expected(&state);
}
