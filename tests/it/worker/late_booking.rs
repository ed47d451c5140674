//! Worker: a booking processed late (its webhook delayed past a reminder's time) still gets the
//! reminders the catch-up rules say are useful, not only the future ones.

use chrono::Utc;
use meetflow_shared::bookings::{ReminderKind, ReminderState};
use meetflow_shared::events::Provider;
use meetflow_tests::fixtures;
use serde_json::json;

use crate::support::worker::{calendly_body, env, new_invitee, rfc3339};

#[tokio::test]
async fn a_booking_processed_late_plans_its_overdue_1h_reminder_while_the_meeting_is_ahead() {
    let env = env().await;
    let worker = env.start();
    // Booked three days ago for 40 minutes from now; the webhook arrives only now.
    let (uri, key) = new_invitee();
    let start = Utc::now() + chrono::Duration::minutes(40);
    let body = calendly_body(fixtures::CALENDLY_INVITEE_CREATED, &uri, start, |v| {
        v["payload"]["created_at"] = json!(rfc3339(Utc::now() - chrono::Duration::days(3)));
    });
    env.deliver(Provider::Calendly, &body).await;
    env.settle().await;
    let booking = env.booking(&key).await.unwrap();
    let kinds: Vec<(ReminderKind, ReminderState)> = booking
        .reminders
        .iter()
        .map(|r| (r.kind, r.state))
        .collect();
    let one_hour = ReminderKind::Before(std::time::Duration::from_secs(3600));
    assert!(
        kinds.iter().any(|(k, _)| *k == one_hour),
        "the 1 h reminder is planned late: {kinds:?}"
    );
    assert!(
        !kinds
            .iter()
            .any(|(k, _)| *k == ReminderKind::Before(std::time::Duration::from_secs(86_400))),
        "the 24 h one is superseded: {kinds:?}"
    );
    worker.stop().await;
}
