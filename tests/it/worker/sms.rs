//! Worker: EngageLab's answers and the at-most-once rule. A permanent error (4001, also when sent
//! with HTTP 200) dead-letters at once with EngageLab's answer; 1000 retries; 3004 counts as done;
//! a timeout after the request was sent is never followed by a second send (dead letter
//! "possibly sent", which an operator may send again with a one-job resend); reminders from the scheduler are re-checked
//! against the booking right before sending.

use std::time::Duration;

use meetflow_shared::bookings::{BookingKey, ReminderKind};
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::SMS;
use meetflow_shared::jobs::reminder::ReminderJob;
use meetflow_shared::queue::NewJob;
use serde_json::json;

use crate::support::worker::{
    Env, JORDAN_PHONE, canceled, created, env, eventually, in_two_days, new_invitee, options,
};

/// Books Jordan (confirmation SMS queued) and waits for everything to settle.
async fn book(env: &Env) -> (String, BookingKey) {
    let (uri, key) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    env.settle().await;
    (uri, key)
}

#[tokio::test]
async fn an_unknown_template_dead_letters_at_once_with_engagelabs_answer_even_on_http_200() {
    for as_200 in [false, true] {
        let env = env().await;
        env.engagelab.require_known_templates();
        env.engagelab.errors_as_http_200(as_200);
        let worker = env.start();
        let (_, key) = book(&env).await;
        let dead = env.dead(SMS).await;
        assert_eq!(dead.len(), 1, "{dead:?}");
        assert_eq!(dead[0].attempts, 1);
        let e = dead[0].errors.last().unwrap();
        assert_eq!(e.class, "config");
        assert!(
            e.message.contains("4001") && e.message.contains("template not found"),
            "{}",
            e.message
        );
        assert_eq!(env.engagelab.sent_count(), 0);
        let marker = env.client.keys().sms_marker(key.as_str(), "confirmation");
        assert_eq!(
            env.get(&marker).await,
            None,
            "nothing was sent: the marker is released"
        );
        worker.stop().await;
    }
}

#[tokio::test]
async fn an_internal_error_is_retried_and_sends_once() {
    let env = env().await;
    env.engagelab.fail_next_internal(2);
    let worker = env.start();
    let (_, key) = book(&env).await;
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 1);
    assert_eq!(env.engagelab.requests().len(), 3);
    assert!(env.dead(SMS).await.is_empty());
    let marker = env.client.keys().sms_marker(key.as_str(), "confirmation");
    assert_eq!(env.get(&marker).await.as_deref(), Some("sent"));
    worker.stop().await;
}

#[tokio::test]
async fn the_frequency_limit_answer_counts_as_done() {
    let env = env().await;
    env.engagelab.fail_next(
        1,
        400,
        json!({ "code": 3004, "message": "frequency limit", "plan_id": "1" }),
    );
    let worker = env.start();
    let (_, key) = book(&env).await;
    assert!(env.dead(SMS).await.is_empty());
    assert_eq!(env.engagelab.requests().len(), 1, "not retried");
    let marker = env.client.keys().sms_marker(key.as_str(), "confirmation");
    assert_eq!(env.get(&marker).await.as_deref(), Some("suppressed"));
    worker.stop().await;
}

#[tokio::test]
async fn a_timeout_after_sending_is_never_resent() {
    let env = env().await;
    env.engagelab
        .set_timeout_after_send(Some(Duration::from_secs(4)));
    let worker = env.start();
    let (uri, key) = new_invitee();
    let body = created(&uri, in_two_days());
    env.deliver(Provider::Calendly, &body).await;
    env.settle().await;
    let dead = env.dead(SMS).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    let e = dead[0].errors.last().unwrap();
    assert_eq!(e.class, "timeout");
    assert!(
        e.message
            .starts_with("possibly sent; check EngageLab before replaying"),
        "{}",
        e.message
    );
    // The message did go out once; give any stray retry time to (wrongly) send again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 1);
    let marker = env.client.keys().sms_marker(key.as_str(), "confirmation");
    assert!(env.get(&marker).await.unwrap().starts_with("sending:"));

    // The same SMS enqueued again later (the dead letter deleted, the event delivered again):
    // the marker still stops it.
    env.client
        .dead_letters()
        .delete(&[dead[0].id.clone()])
        .await
        .unwrap();
    env.engagelab.set_timeout_after_send(None);
    env.deliver_as(Provider::Calendly, &body, "wh:calendly:redelivered")
        .await;
    env.settle().await;
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 1);
    let dead = env.dead(SMS).await;
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0]
            .errors
            .last()
            .unwrap()
            .message
            .contains("an earlier attempt")
    );
    worker.stop().await;
}

#[tokio::test]
async fn an_operator_resend_of_a_possibly_sent_sms_sends_it() {
    let env = env().await;
    env.engagelab
        .set_timeout_after_send(Some(Duration::from_secs(3)));
    let worker = env.start();
    let (_, key) = book(&env).await;
    let dead = env.dead(SMS).await;
    assert_eq!(dead.len(), 1);
    env.engagelab.set_timeout_after_send(None);
    // The operator checked EngageLab and decided to send again.
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(env.client.dead_letters().resend(&dead[0].id).await.unwrap());
    env.settle().await;
    assert!(env.dead(SMS).await.is_empty());
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 2);
    let marker = env.client.keys().sms_marker(key.as_str(), "confirmation");
    assert_eq!(env.get(&marker).await.as_deref(), Some("sent"));
    worker.stop().await;
}

fn reminder(key: &BookingKey, uri: &str, env_start: chrono::DateTime<chrono::Utc>) -> ReminderJob {
    let kind = ReminderKind::Before(Duration::from_secs(24 * 3600));
    ReminderJob {
        v: ReminderJob::VERSION,
        reminder_id: format!("rem:{key}:{}", kind.label()),
        booking: key.clone(),
        kind,
        due_at: env_start - chrono::Duration::hours(24),
        start: env_start,
        end: env_start + chrono::Duration::minutes(30),
        invitee_uri: uri.to_owned(),
        phone: JORDAN_PHONE.into(),
        name: "Jordan Rivera".into(),
        timezone: Some("America/Los_Angeles".into()),
        event_name: "Product Demo (30 min)".into(),
        event_type: None,
        links: Default::default(),
    }
}

#[tokio::test]
async fn reminders_are_checked_against_the_booking_right_before_sending() {
    let env = env().await;
    let worker = env.start();
    let (uri, key) = new_invitee();
    let start = in_two_days();
    env.deliver(Provider::Calendly, &created(&uri, start)).await;
    env.settle().await;

    let current = reminder(&key, &uri, start);
    env.client
        .enqueue(
            SMS,
            NewJob::json(&current)
                .unwrap()
                .with_id(&current.reminder_id),
        )
        .await
        .unwrap();
    env.settle().await;
    let sent = env.engagelab.sent_to(JORDAN_PHONE);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].template_id, "tpl_reminder");
    assert_eq!(sent[1].custom_args.as_ref().unwrap()["kind"], "rem-24h");

    // Moved meeting: the reminder planned for the old start is stale.
    let moved = ReminderJob {
        reminder_id: format!("rem:{key}:1h"),
        kind: ReminderKind::Before(Duration::from_secs(3600)),
        start: start + chrono::Duration::hours(2),
        ..reminder(&key, &uri, start)
    };
    env.client
        .enqueue(
            SMS,
            NewJob::json(&moved).unwrap().with_id(&moved.reminder_id),
        )
        .await
        .unwrap();
    // Cancelled booking: nothing more goes out.
    env.deliver(Provider::Calendly, &canceled(&uri, start, |_| {}))
        .await;
    env.settle().await;
    let late = ReminderJob {
        reminder_id: format!("rem:{key}:followup"),
        kind: ReminderKind::FollowUp,
        ..reminder(&key, &uri, start)
    };
    env.client
        .enqueue(SMS, NewJob::json(&late).unwrap().with_id(&late.reminder_id))
        .await
        .unwrap();
    env.settle().await;
    let templates: Vec<String> = env
        .engagelab
        .sent()
        .iter()
        .map(|s| s.template_id.clone())
        .collect();
    assert_eq!(
        templates,
        ["tpl_confirmation", "tpl_reminder", "tpl_cancellation"]
    );
    assert!(env.dead(SMS).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn an_empty_template_turns_that_sms_off() {
    let mut env = env().await;
    env.settings.engagelab.templates.confirmation = String::new();
    let worker = env.start_with(options());
    book(&env).await;
    let ok = eventually(Duration::from_millis(300), || async {
        env.engagelab.sent_count() > 0
    })
    .await;
    assert!(!ok, "no SMS with the template off");
    assert!(
        env.brevo
            .contact(crate::support::worker::JORDAN_EMAIL)
            .is_some()
    );
    worker.stop().await;
}
