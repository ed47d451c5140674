//! Worker: every SMS ends sent, not sent or possibly sent, and an operator's replay never texts
//! twice. A bulk replay skips "possibly sent" dead letters (also one whose worker died mid-send);
//! only a one-job `resend` sends such an SMS again, and never one marked sent. Confirmations and
//! host notices are checked against the booking like reminders, and a cancel withdraws them.

use std::time::Duration;

use chrono::Utc;
use meetflow_shared::bookings::BookingKey;
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::SMS;
use meetflow_shared::jobs::sms::{SmsJob, SmsKind};
use meetflow_shared::queue::{ErrorClass, JobState, NewJob};

use crate::support::worker::{Env, JORDAN_PHONE, created, env, in_two_days, new_invitee};
use crate::worker::process::KilledMidSend;

/// Books Jordan with EngageLab timing out after taking the confirmation: one "possibly sent"
/// dead letter. Returns its id and the booking.
async fn possibly_sent_confirmation(env: &Env) -> (String, BookingKey) {
    env.engagelab
        .set_timeout_after_send(Some(Duration::from_secs(3)));
    let (uri, key) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    env.settle().await;
    let dead = env.dead(SMS).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 1);
    env.engagelab.set_timeout_after_send(None);
    (dead[0].id.clone(), key)
}

async fn flagged(env: &Env, id: &str) -> bool {
    env.client
        .dead_letters()
        .possibly_sent(&[id.to_owned()])
        .await
        .unwrap()[0]
}

#[tokio::test]
async fn a_bulk_replay_leaves_a_possibly_sent_sms_dead_and_unsent() {
    let env = env().await;
    let worker = env.start();
    let (id, _) = possibly_sent_confirmation(&env).await;
    assert!(flagged(&env, &id).await, "marked possibly sent");
    let dead = env.client.dead_letters();
    // By id and "all": neither replays it (before, both set replayed_ms, read as leave to resend).
    assert_eq!(dead.replay(std::slice::from_ref(&id)).await.unwrap(), 0);
    assert_eq!(dead.replay_all(Some(SMS), |_| {}).await.unwrap(), 0);
    env.settle().await;
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 1, "not resent");
    assert_eq!(env.dead(SMS).await.len(), 1, "still waiting for review");
    worker.stop().await;
}

#[tokio::test]
async fn only_a_one_job_resend_sends_a_possibly_sent_sms_again_and_never_one_marked_sent() {
    let env = env().await;
    let worker = env.start();
    let (id, key) = possibly_sent_confirmation(&env).await;
    let dead = env.client.dead_letters();
    assert!(dead.resend(&id).await.unwrap());
    env.settle().await;
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 2, "sent again");
    assert!(env.dead(SMS).await.is_empty());
    let marker = env.client.keys().sms_marker(key.as_str(), "confirmation");
    assert_eq!(env.get(&marker).await.as_deref(), Some("sent"));
    let record = env.client.job(&id).await.unwrap();
    assert!(record.is_none_or(|r| r.state == JobState::Done));

    // The same SMS dead again after it was sent (re-enqueued, then buried): a resend finds the
    // marker `sent` and sends nothing.
    let job = SmsJob {
        v: SmsJob::VERSION,
        booking: key.clone(),
        kind: SmsKind::Confirmation,
        to: JORDAN_PHONE.into(),
        name: "Jordan Rivera".into(),
        event_name: "Demo".into(),
        start: env.booking(&key).await.unwrap().start,
        end: None,
        timezone: None,
        links: Default::default(),
        event_type: None,
    };
    let again = "sms:confirmation:again";
    env.client
        .bury(
            SMS,
            NewJob::json(&job).unwrap().with_id(again),
            ErrorClass::Timeout,
            "test",
        )
        .await
        .unwrap();
    assert!(dead.resend(again).await.unwrap());
    env.settle().await;
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 2);
    worker.stop().await;
}

#[tokio::test]
async fn a_worker_dying_mid_send_leaves_a_possibly_sent_dead_letter_that_bulk_replay_skips() {
    let env = env().await;
    let one_try = [
        ("MEETFLOW__QUEUES__SMS__LEASE", "2s"),
        ("MEETFLOW__QUEUES__SMS__MAX_ATTEMPTS", "1"),
    ];
    let run = KilledMidSend::run(&env, &one_try).await;
    let letter = env.dead(SMS).await.remove(0);
    assert_eq!(letter.errors.last().unwrap().class, "lease_expired");
    assert!(flagged(&env, &letter.id).await, "marked possibly sent");
    let n = env
        .client
        .dead_letters()
        .replay_all(Some(SMS), |_| {})
        .await
        .unwrap();
    assert_eq!(n, 0, "a bulk replay leaves it");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 1, "not resent");
    run.stop();
}

fn confirmation(key: &BookingKey, start: chrono::DateTime<Utc>) -> SmsJob {
    SmsJob {
        v: SmsJob::VERSION,
        booking: key.clone(),
        kind: SmsKind::Confirmation,
        to: JORDAN_PHONE.into(),
        name: "Jordan Rivera".into(),
        event_name: "Product Demo (30 min)".into(),
        start: Some(start),
        end: Some(start + chrono::Duration::minutes(30)),
        timezone: None,
        links: Default::default(),
        event_type: None,
    }
}

/// Records a booking in the store (as the events handler does), without its SMS.
async fn book_quietly(env: &Env, uri: &str, start: chrono::DateTime<Utc>) {
    let payload =
        serde_json::from_str::<serde_json::Value>(&created(uri, start)).unwrap()["payload"].clone();
    let facts = meetflow_shared::bookings::BookingFacts::from_invitee(
        &serde_json::from_value(payload).unwrap(),
        Some(JORDAN_PHONE.into()),
    )
    .unwrap();
    env.bookings().booked(&facts).await.unwrap();
}

#[tokio::test]
async fn a_confirmation_for_a_moved_or_cancelled_booking_is_not_sent() {
    let env = env().await;
    let worker = env.start();
    let start = in_two_days();

    // A confirmation naming another start than the booking's (the meeting moved) is stale.
    let (uri, key) = new_invitee();
    book_quietly(&env, &uri, start).await;
    let moved = confirmation(&key, start + chrono::Duration::hours(3));
    env.client
        .enqueue(SMS, NewJob::json(&moved).unwrap().with_id("sms:moved"))
        .await
        .unwrap();
    env.settle().await;
    assert_eq!(env.engagelab.sent_count(), 0, "moved: not sent");

    // Cancelled, then its confirmation replayed from the dead letters: not sent.
    let (uri, key) = new_invitee();
    book_quietly(&env, &uri, start).await;
    env.bookings().canceled(&uri, false, None).await.unwrap();
    let late = confirmation(&key, start);
    env.client
        .bury(
            SMS,
            NewJob::json(&late).unwrap().with_id("sms:late"),
            ErrorClass::Timeout,
            "test",
        )
        .await
        .unwrap();
    assert_eq!(
        env.client
            .dead_letters()
            .replay(&["sms:late".to_owned()])
            .await
            .unwrap(),
        1
    );
    env.settle().await;
    assert_eq!(env.engagelab.sent_count(), 0, "cancelled: not sent");
    assert!(env.dead(SMS).await.is_empty(), "stale is done, not dead");

    // The same confirmation for a current booking goes out.
    let (uri, key) = new_invitee();
    book_quietly(&env, &uri, start).await;
    let current = confirmation(&key, start);
    env.client
        .enqueue(SMS, NewJob::json(&current).unwrap().with_id("sms:current"))
        .await
        .unwrap();
    env.settle().await;
    assert_eq!(env.engagelab.sent_count(), 1);
    worker.stop().await;
}

#[tokio::test]
async fn a_cancel_withdraws_the_pending_confirmation_and_host_notice() {
    let env = env().await;
    let (uri, key) = new_invitee();
    let start = in_two_days();
    let bookings = env.bookings();
    let facts = meetflow_shared::bookings::BookingFacts::from_invitee(
        &serde_json::from_value(
            serde_json::from_str::<serde_json::Value>(&created(&uri, start)).unwrap()["payload"]
                .clone(),
        )
        .unwrap(),
        Some(JORDAN_PHONE.into()),
    )
    .unwrap();
    bookings.booked(&facts).await.unwrap();
    // Both waiting behind a provider backlog.
    let later = Utc::now() + chrono::Duration::hours(1);
    for kind in [SmsKind::Confirmation, SmsKind::HostNotify] {
        let job = SmsJob {
            kind,
            ..confirmation(&key, start)
        };
        env.client
            .enqueue(
                SMS,
                NewJob::json(&job)
                    .unwrap()
                    .with_id(job.job_id())
                    .run_at(later),
            )
            .await
            .unwrap();
    }
    bookings.canceled(&uri, false, None).await.unwrap();
    for kind in [SmsKind::Confirmation, SmsKind::HostNotify] {
        let id = format!("sms:{kind}:{key}");
        let state = env.client.job(&id).await.unwrap().map(|r| r.state);
        assert_ne!(state, Some(JobState::Delayed), "{id} withdrawn: {state:?}");
    }
}
