//! EngageLab delivery callbacks in the worker: a row finds its SMS by the `message_id` the send
//! returned (or the `custom_args` sent with it), moves its delivery state forward once, counts it
//! (`meetflow_sms_delivery_total{status, kind, country}`), and sends one Brevo event
//! (`sms_delivered` / `sms_failed`) to the invitee's e-mail; a redelivered or out-of-order row
//! changes nothing. A failed reminder shows in `meetflow-admin reminders list --json`, and an
//! `insufficient_balance` notification is counted for its alert.
//! Real Redis, the worker in this process, EngageLab and Brevo as fakes over HTTP.

use std::process::{Command, Stdio};

use meetflow_shared::events::Provider;
use meetflow_shared::jobs::SMS;
use meetflow_shared::queue::NewJob;
use meetflow_shared::sms_delivery::Deliveries;
use meetflow_tests::fakes::{
    BrevoEvent, notification_callback, status_callback, status_callback_by_id,
};
use serde_json::Value;

use crate::support::worker::{
    Env, JORDAN_EMAIL, JORDAN_PHONE, created, env, in_two_days, jordans_24h_reminder, metric,
    new_invitee,
};

fn events_named(env: &Env, name: &str) -> Vec<BrevoEvent> {
    env.brevo
        .events()
        .into_iter()
        .filter(|e| e.event_name == name)
        .collect()
}

async fn callback(env: &Env, body: &str) {
    env.deliver(Provider::EngageLab, body).await;
    env.settle().await;
}

async fn delivery(env: &Env, booking: &str, kind: &str) -> Option<String> {
    Deliveries::new(env.client.handle().clone())
        .get(booking, kind)
        .await
        .unwrap()
        .map(|d| d.status)
}

#[tokio::test]
async fn a_delivered_callback_marks_the_sms_delivered_and_sends_one_brevo_event() {
    let _ = meetflow_shared::ops::metrics_handle();
    let env = env().await;
    let worker = env.start();
    let (uri, key) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    env.settle().await;
    let sms = env.engagelab.sent_to(JORDAN_PHONE).remove(0);
    assert!(sms.message_id.is_some(), "EngageLab returns a message id");
    assert_eq!(
        delivery(&env, key.as_str(), "confirmation")
            .await
            .as_deref(),
        Some("accepted")
    );

    callback(&env, &status_callback(&sms, "sent", 0)).await;
    assert_eq!(
        delivery(&env, key.as_str(), "confirmation")
            .await
            .as_deref(),
        Some("sent")
    );
    assert!(events_named(&env, "sms_delivered").is_empty());

    let delivered = status_callback(&sms, "delivered", 0);
    callback(&env, &delivered).await;
    assert_eq!(
        delivery(&env, key.as_str(), "confirmation")
            .await
            .as_deref(),
        Some("delivered")
    );
    let events = events_named(&env, "sms_delivered");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].identifiers["email_id"], JORDAN_EMAIL);
    let props = events[0].event_properties.clone().unwrap_or(Value::Null);
    assert_eq!(props["sms_kind"], "confirmation");
    let counted =
        "meetflow_sms_delivery_total{status=\"delivered\",kind=\"confirmation\",country=\"US\"}";
    assert_eq!(metric(counted), 1.0);
    assert_eq!(
        metric("meetflow_sms_delivery_seconds_count{kind=\"confirmation\",country=\"US\"}"),
        1.0
    );

    // The same callback again under another job id (ingest could not tell), and a late `sent`.
    env.deliver_as(Provider::EngageLab, &delivered, "wh:engagelab:again")
        .await;
    env.settle().await;
    // (its own job id: a body identical to the first `sent` would be that job's duplicate)
    env.deliver_as(
        Provider::EngageLab,
        &status_callback(&sms, "sent", 0),
        "wh:engagelab:late-sent",
    )
    .await;
    env.settle().await;
    assert_eq!(
        delivery(&env, key.as_str(), "confirmation")
            .await
            .as_deref(),
        Some("delivered"),
        "never downgraded"
    );
    assert_eq!(
        events_named(&env, "sms_delivered").len(),
        1,
        "one Brevo event"
    );
    assert_eq!(metric(counted), 1.0, "counted once");
    assert_eq!(
        metric("meetflow_sms_delivery_rows_total{outcome=\"unchanged\"}"),
        2.0
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_delivered_failed_reminder_shows_in_reminders_list_and_in_metrics() {
    let _ = meetflow_shared::ops::metrics_handle();
    let env = env().await;
    let worker = env.start();
    let start = in_two_days();
    let (uri, key) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, start)).await;
    env.settle().await;
    let reminder = jordans_24h_reminder(&key, &uri, start, start - chrono::Duration::hours(24));
    env.client
        .enqueue(
            SMS,
            NewJob::json(&reminder)
                .unwrap()
                .with_id(&reminder.reminder_id),
        )
        .await
        .unwrap();
    env.settle().await;
    let sms = env
        .engagelab
        .sent_to(JORDAN_PHONE)
        .into_iter()
        .find(|s| s.template_id == "tpl_reminder")
        .expect("the reminder was sent");

    // Matched by message id alone (no custom_args in the row).
    callback(&env, &status_callback_by_id(&sms, "delivered_failed", 5012)).await;
    let failed =
        "meetflow_sms_delivery_total{status=\"delivered_failed\",kind=\"rem-24h\",country=\"US\"}";
    assert_eq!(metric(failed), 1.0);
    let events = events_named(&env, "sms_failed");
    assert_eq!(events.len(), 1, "{events:?}");
    let props = events[0].event_properties.clone().unwrap_or(Value::Null);
    assert_eq!(
        (props["sms_kind"].clone(), props["error_code"].clone()),
        ("rem-24h".into(), 5012.into())
    );
    worker.stop().await;

    let out = Command::new(meetflow_tests::binaries::meetflow_binary("admin"))
        .args(["reminders", "list", "--booking", &uri, "--json"])
        .env_clear()
        .env("MEETFLOW__REDIS__URL", env.redis.url())
        .env("MEETFLOW__REDIS__NAMESPACE", env.client.keys().namespace())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = v["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "24h")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(row["delivery"]["status"], "delivered_failed", "{v}");
    assert_eq!(row["delivery"]["error_code"], "5012", "{v}");
}

#[tokio::test]
async fn insufficient_balance_is_counted_and_unknown_rows_change_nothing() {
    let _ = meetflow_shared::ops::metrics_handle();
    let env = env().await;
    let worker = env.start();
    callback(&env, &notification_callback("insufficient_balance")).await;
    assert_eq!(
        metric("meetflow_engagelab_notifications_total{event=\"insufficient_balance\"}"),
        1.0
    );
    // A status row for a message this installation never sent.
    let stranger = r#"{"total":1,"rows":[{"message_id":"1","status":{"message_status":"delivered","error_code":0}}]}"#;
    callback(&env, stranger).await;
    assert_eq!(
        metric("meetflow_sms_delivery_rows_total{outcome=\"unmatched\"}"),
        1.0
    );
    assert!(env.brevo.events().is_empty());
    assert!(env.dead(meetflow_shared::jobs::EVENTS).await.is_empty());
    worker.stop().await;
}
