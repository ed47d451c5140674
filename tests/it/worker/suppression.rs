//! The SMS suppression list at send time: a suppressed number or e-mail gets no SMS (dropped,
//! counted in `meetflow_sms_suppressed_total{kind, reason}`, never retried nor dead-lettered); a
//! `marketing` entry stops a win-back but not a reminder; removing an entry lets the next SMS go.
//! Real Redis, the worker in this process, EngageLab (and the Calendly API) as fakes over HTTP.

use std::time::Duration;

use chrono::{DateTime, Utc};
use meetflow_scheduler::DueLoopSettings;
use meetflow_shared::bookings::{BookingKey, Engagement};
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::SMS;
use meetflow_shared::jobs::reminder::ReminderJob;
use meetflow_shared::queue::NewJob;
use meetflow_shared::sms_suppression::{Scope, Suppressions, Target};
use meetflow_tests::fakes::FakeCalendlyApi;
use meetflow_tests::fixtures;
use serde_json::json;

use crate::support::scheduler::spawn_loop;
use crate::support::worker::{
    Env, JORDAN_EMAIL, JORDAN_PHONE, calendly_body, canceled, created, env, eventually,
    in_two_days, jordans_24h_reminder, metric, new_invitee,
};

/// `meetflow_sms_suppressed_total{kind, reason}` as this process counts it.
fn suppressed(kind: &str, reason: &str) -> f64 {
    metric(&format!(
        "meetflow_sms_suppressed_total{{kind=\"{kind}\",reason=\"{reason}\"}}"
    ))
}

async fn suppress(env: &Env, who: &str, scope: Scope) {
    let list = Suppressions::new(env.client.handle().clone());
    let target = Target::parse(who).unwrap();
    list.add(&target, scope, Utc::now().timestamp_millis())
        .await
        .unwrap();
}

/// Books Jordan for `start` (confirmation SMS queued) and waits for everything to settle.
async fn book_at(env: &Env, start: DateTime<Utc>) -> (String, BookingKey) {
    let (uri, key) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, start)).await;
    env.settle().await;
    (uri, key)
}

async fn book(env: &Env) -> (String, BookingKey) {
    book_at(env, in_two_days()).await
}

/// The 24 h reminder of the booking `key` starting at `start`.
fn reminder_24h(key: &BookingKey, uri: &str, start: DateTime<Utc>) -> ReminderJob {
    jordans_24h_reminder(key, uri, start, start - chrono::Duration::hours(24))
}

async fn enqueue_reminder(env: &Env, job: &ReminderJob) {
    env.client
        .enqueue(SMS, NewJob::json(job).unwrap().with_id(&job.reminder_id))
        .await
        .unwrap();
    env.settle().await;
}

#[tokio::test]
async fn a_suppressed_number_gets_no_confirmation_nor_reminder_and_each_is_counted() {
    let _ = meetflow_shared::ops::metrics_handle();
    let env = env().await;
    // Typed the way a person writes it: normalised to E.164.
    suppress(&env, "+1 (415) 555-0132", Scope::All).await;
    let worker = env.start();
    let start = in_two_days();
    let (uri, key) = book_at(&env, start).await;
    assert!(env.engagelab.sent_to(JORDAN_PHONE).is_empty());
    assert_eq!(suppressed("confirmation", "phone"), 1.0);

    enqueue_reminder(&env, &reminder_24h(&key, &uri, start)).await;
    assert!(
        env.engagelab.sent().is_empty(),
        "{:?}",
        env.engagelab.sent()
    );
    assert_eq!(suppressed("rem-24h", "phone"), 1.0);
    assert!(env.dead(SMS).await.is_empty(), "never dead-lettered");
    let marker = env.client.keys().sms_marker(key.as_str(), "confirmation");
    assert_eq!(env.get(&marker).await, None, "nothing claimed");
    worker.stop().await;
}

#[tokio::test]
async fn a_suppressed_e_mail_stops_the_sms_of_that_persons_booking() {
    let _ = meetflow_shared::ops::metrics_handle();
    let env = env().await;
    suppress(&env, &JORDAN_EMAIL.to_uppercase(), Scope::All).await;
    let worker = env.start();
    book(&env).await;
    assert!(
        env.engagelab.sent().is_empty(),
        "{:?}",
        env.engagelab.sent()
    );
    assert_eq!(suppressed("confirmation", "email"), 1.0);
    assert!(env.dead(SMS).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn unsuppressing_lets_the_next_sms_go() {
    let _ = meetflow_shared::ops::metrics_handle();
    let env = env().await;
    suppress(&env, JORDAN_PHONE, Scope::All).await;
    let worker = env.start();
    book(&env).await;
    assert!(env.engagelab.sent().is_empty());

    let list = Suppressions::new(env.client.handle().clone());
    assert!(
        list.remove(&Target::parse(JORDAN_PHONE).unwrap())
            .await
            .unwrap()
    );
    book(&env).await;
    let sent = env.engagelab.sent_to(JORDAN_PHONE);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].template_id, "tpl_confirmation");
    assert_eq!(suppressed("confirmation", "phone"), 1.0);
    worker.stop().await;
}

#[tokio::test]
async fn a_marketing_only_entry_stops_the_win_back_but_not_the_transactional_sms() {
    let _ = meetflow_shared::ops::metrics_handle();
    let mut env = env().await;
    let calendly = FakeCalendlyApi::start().await.unwrap();
    let event_type = calendly.add_event_type("Product Demo", "product-demo");
    let delay = Duration::from_millis(1500);
    let s = &mut env.settings;
    s.connectors.calendly.access_token = Some(calendly.access_token().into());
    s.connectors.calendly.api_base_url = calendly.base_url();
    s.engagelab.templates.win_back = "tpl_win_back".into();
    s.engagement.win_back_after = delay;
    suppress(&env, JORDAN_PHONE, Scope::Marketing).await;
    let worker = env.start();
    let due = spawn_loop(
        &env.bookings()
            .with_engagement(Engagement::from_settings(&env.settings)),
        DueLoopSettings::default(),
    );

    let (uri, key) = new_invitee();
    let et = event_type.clone();
    let start = in_two_days();
    let body = calendly_body(fixtures::CALENDLY_INVITEE_CREATED, &uri, start, move |v| {
        v["payload"]["scheduled_event"]["event_type"] = json!(et)
    });
    env.deliver(Provider::Calendly, &body).await;
    env.settle().await;
    enqueue_reminder(&env, &reminder_24h(&key, &uri, start)).await;
    env.deliver(Provider::Calendly, &canceled(&uri, start, |_| {}))
        .await;
    assert!(
        eventually(Duration::from_secs(15), || async {
            suppressed("rem-winback", "phone") >= 1.0
        })
        .await,
        "the win-back was not dropped as suppressed"
    );
    env.settle().await;

    let templates: Vec<String> = env
        .engagelab
        .sent_to(JORDAN_PHONE)
        .into_iter()
        .map(|s| s.template_id)
        .collect();
    assert_eq!(
        templates,
        ["tpl_confirmation", "tpl_reminder", "tpl_cancellation"],
        "transactional SMS still go, the win-back does not"
    );
    assert_eq!(suppressed("rem-winback", "phone"), 1.0);
    assert_eq!(suppressed("confirmation", "phone"), 0.0);
    let links = calendly
        .requests()
        .into_iter()
        .filter(|r| r.path == "/scheduling_links")
        .count();
    assert_eq!(links, 0, "no booking link made for a suppressed win-back");
    assert!(env.dead(SMS).await.is_empty());
    due.stop().await;
    worker.stop().await;
}
