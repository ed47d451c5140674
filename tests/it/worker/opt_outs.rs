//! Opt-outs from each source hold from the next send: Brevo's SMS blacklist, a Brevo attribute
//! and a Brevo list (read at send time from the fake Brevo over HTTP), an EngageLab delivery
//! callback reporting the number unsubscribed, and a Calendly consent question left unanswered.
//! Each dropped SMS is counted in `meetflow_sms_suppressed_total{kind, reason=<source>}`, never
//! retried; what the source lifts goes again; an SMS the source does not govern (the host's
//! notice, or a transactional SMS under a `marketing` scope) still goes.

use chrono::{DateTime, Utc};
use meetflow_shared::bookings::BookingKey;
use meetflow_shared::config::ConsentQuestion;
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::SMS;
use meetflow_shared::jobs::reminder::ReminderJob;
use meetflow_shared::queue::NewJob;
use meetflow_shared::sms_suppression::{Scope, Source, Suppressions};
use serde_json::{Value, json};

use crate::support::worker::{
    Env, HOST_PHONE, JORDAN_EMAIL, JORDAN_PHONE, calendly_body, env, in_two_days,
    jordans_24h_reminder, metric, new_invitee,
};

fn suppressed(kind: &str, reason: &str) -> f64 {
    metric(&format!(
        "meetflow_sms_suppressed_total{{kind=\"{kind}\",reason=\"{reason}\"}}"
    ))
}

fn opt_outs(source: &str) -> f64 {
    metric(&format!(
        "meetflow_sms_opt_outs_total{{source=\"{source}\"}}"
    ))
}

/// A booking: its invitee URI, key and start.
type Booked = (String, BookingKey, DateTime<Utc>);

/// Books Jordan (the fixture invitee) with `edit` applied, and waits for everything to settle.
async fn book_with(env: &Env, edit: impl FnOnce(&mut Value)) -> Booked {
    let (uri, key) = new_invitee();
    let start = in_two_days();
    let body = calendly_body(
        meetflow_tests::fixtures::CALENDLY_INVITEE_CREATED,
        &uri,
        start,
        edit,
    );
    env.deliver(Provider::Calendly, &body).await;
    env.settle().await;
    (uri, key, start)
}

async fn book(env: &Env) -> Booked {
    book_with(env, |_| {}).await
}

/// The 24 h reminder of a booking, as the scheduler enqueues it; waits for it to settle.
async fn remind(env: &Env, (uri, key, start): &Booked) {
    let (key, uri, start) = (key, uri.as_str(), *start);
    let job: ReminderJob =
        jordans_24h_reminder(key, uri, start, start - chrono::Duration::hours(24));
    env.client
        .enqueue(SMS, NewJob::json(&job).unwrap().with_id(&job.reminder_id))
        .await
        .unwrap();
    env.settle().await;
}

fn templates_to(env: &Env, phone: &str) -> Vec<String> {
    env.engagelab
        .sent_to(phone)
        .into_iter()
        .map(|s| s.template_id)
        .collect()
}

async fn sources_listed(env: &Env) -> Vec<(String, Source)> {
    Suppressions::new(env.client.handle().clone())
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.value, e.source))
        .collect()
}

#[tokio::test]
async fn brevos_sms_blacklist_stops_the_next_reminder_and_lifting_it_lets_the_next_sms_go() {
    let _ = meetflow_shared::ops::metrics_handle();
    let mut env = env().await;
    env.settings.sms.opt_out.brevo_blacklist = true;
    let worker = env.start();
    let first = book(&env).await;
    assert_eq!(templates_to(&env, JORDAN_PHONE), ["tpl_confirmation"]);
    let reads = env
        .brevo
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/v3/contacts/"))
        .count();
    assert!(reads >= 1, "the contact is read before the SMS");

    // Jordan is blacklisted for SMS in Brevo's app: the very next SMS is dropped.
    assert!(
        env.brevo
            .edit_contact(JORDAN_EMAIL, |c| c.sms_blacklisted = true)
    );
    remind(&env, &first).await;
    assert_eq!(templates_to(&env, JORDAN_PHONE), ["tpl_confirmation"]);
    assert_eq!(suppressed("rem-24h", "brevo_blacklist"), 1.0);
    assert_eq!(opt_outs("brevo_blacklist"), 1.0);
    assert_eq!(
        sources_listed(&env).await,
        [(JORDAN_EMAIL.to_owned(), Source::BrevoBlacklist)]
    );
    assert!(
        env.dead(SMS).await.is_empty(),
        "dropped, never dead-lettered"
    );

    // Taken off the blacklist in Brevo: the entry is lifted and the next booking is confirmed.
    assert!(
        env.brevo
            .edit_contact(JORDAN_EMAIL, |c| c.sms_blacklisted = false)
    );
    book(&env).await;
    assert_eq!(
        templates_to(&env, JORDAN_PHONE),
        ["tpl_confirmation", "tpl_confirmation"]
    );
    assert!(sources_listed(&env).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn a_brevo_attribute_and_a_brevo_list_each_stop_the_next_sms_but_not_the_hosts_notice() {
    let _ = meetflow_shared::ops::metrics_handle();
    let mut env = env().await;
    env.settings.sms.opt_out.brevo_attribute = Some("SMS_OPT_OUT".into());
    env.settings.sms.opt_out.brevo_list_id = Some(99);
    env.settings.engagelab.host_phone = Some(HOST_PHONE.into());
    let worker = env.start();
    book(&env).await;
    assert_eq!(templates_to(&env, JORDAN_PHONE), ["tpl_confirmation"]);

    env.brevo.edit_contact(JORDAN_EMAIL, |c| {
        c.attributes.insert("SMS_OPT_OUT".into(), json!(true));
    });
    book(&env).await;
    assert_eq!(suppressed("confirmation", "brevo_attribute"), 1.0);

    env.brevo.edit_contact(JORDAN_EMAIL, |c| {
        c.attributes.insert("SMS_OPT_OUT".into(), json!(false));
        c.list_ids.insert(99);
    });
    book(&env).await;
    assert_eq!(suppressed("confirmation", "brevo_list"), 1.0);
    assert_eq!(
        sources_listed(&env).await,
        [(JORDAN_EMAIL.to_owned(), Source::BrevoList)],
        "the attribute's entry was lifted when Brevo said false"
    );
    assert_eq!(
        templates_to(&env, JORDAN_PHONE),
        ["tpl_confirmation"],
        "no confirmation while opted out"
    );
    assert_eq!(
        templates_to(&env, HOST_PHONE).len(),
        3,
        "the host's notices are not the invitee's SMS"
    );
    assert!(env.dead(SMS).await.is_empty());
    worker.stop().await;
}

/// A callback row saying `to` is unsubscribed (EngageLab's code 5019).
fn unsubscribed_row(to: &str) -> String {
    json!({"total": 1, "rows": [{"message_id": "1972488990804201999", "to": to,
        "server": "sms", "channel": "sms", "itime": Utc::now().timestamp(),
        "status": {"message_status": "delivered_failed", "error_code": 5019,
            "error_detail": {"message": "unsubscribed"}}}]})
    .to_string()
}

#[tokio::test]
async fn an_engagelab_unsubscribe_report_stops_the_next_sms_to_that_number_once() {
    let _ = meetflow_shared::ops::metrics_handle();
    let env = env().await;
    let worker = env.start();
    let first = book(&env).await;
    assert_eq!(templates_to(&env, JORDAN_PHONE), ["tpl_confirmation"]);

    let body = unsubscribed_row(JORDAN_PHONE);
    env.deliver(Provider::EngageLab, &body).await;
    env.settle().await;
    // A redelivery under another id adds nothing and counts nothing.
    env.deliver_as(Provider::EngageLab, &body, "engagelab-redelivery")
        .await;
    env.settle().await;
    assert_eq!(opt_outs("engagelab_opt_out"), 1.0);
    let listed = Suppressions::new(env.client.handle().clone())
        .list()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (listed[0].value.as_str(), listed[0].source, listed[0].scope),
        (JORDAN_PHONE, Source::EngagelabOptOut, Scope::All)
    );

    remind(&env, &first).await;
    assert_eq!(templates_to(&env, JORDAN_PHONE), ["tpl_confirmation"]);
    assert_eq!(suppressed("rem-24h", "engagelab_opt_out"), 1.0);
    assert!(env.dead(SMS).await.is_empty());
    worker.stop().await;
}

fn answer(v: &mut Value, text: &str) {
    v["payload"]["questions_and_answers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"question": "I agree to receive SMS about my booking", "answer": text, "position": 3}));
}

#[tokio::test]
async fn without_the_calendly_consent_answer_no_sms_goes_and_consenting_later_lets_it_go() {
    let _ = meetflow_shared::ops::metrics_handle();
    let mut env = env().await;
    // The fixtures' event type is mapped as `product_demo`: its own question.
    let mapping = env
        .settings
        .connectors
        .calendly
        .event_mapping
        .get_mut("product_demo")
        .unwrap();
    mapping.sms_consent = Some(ConsentQuestion {
        question: "I agree to receive SMS".into(),
        accepted: vec!["Yes".into()],
        scope: Scope::All,
    });
    env.settings.engagelab.host_phone = Some(HOST_PHONE.into());
    let worker = env.start();

    // Left unanswered: nothing to the invitee, the host still told.
    let first = book(&env).await;
    assert!(templates_to(&env, JORDAN_PHONE).is_empty());
    assert_eq!(suppressed("confirmation", "calendly_consent"), 1.0);
    assert_eq!(templates_to(&env, HOST_PHONE), ["tpl_host_notify"]);
    remind(&env, &first).await;
    assert_eq!(suppressed("rem-24h", "calendly_consent"), 1.0);

    // Answered "no": still nothing.
    book_with(&env, |v| answer(v, "No")).await;
    assert!(templates_to(&env, JORDAN_PHONE).is_empty());
    assert_eq!(suppressed("confirmation", "calendly_consent"), 2.0);

    // Answered "yes" on a later booking: the consent entry is lifted before its confirmation.
    book_with(&env, |v| answer(v, " yes ")).await;
    assert_eq!(templates_to(&env, JORDAN_PHONE), ["tpl_confirmation"]);
    assert!(sources_listed(&env).await.is_empty());
    assert!(env.dead(SMS).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn a_marketing_scoped_consent_leaves_transactional_sms_alone() {
    let _ = meetflow_shared::ops::metrics_handle();
    let mut env = env().await;
    env.settings.sms.consent = Some(ConsentQuestion {
        question: "I agree to receive SMS".into(),
        accepted: vec!["Yes".into()],
        scope: Scope::Marketing,
    });
    let worker = env.start();
    let first = book(&env).await;
    remind(&env, &first).await;
    assert_eq!(
        templates_to(&env, JORDAN_PHONE),
        ["tpl_confirmation", "tpl_reminder"]
    );
    let listed = Suppressions::new(env.client.handle().clone())
        .list()
        .await
        .unwrap();
    assert!(
        listed
            .iter()
            .all(|e| e.source == Source::CalendlyConsent && e.scope == Scope::Marketing),
        "{listed:?}"
    );
    assert_eq!(listed.len(), 2, "the e-mail and the number: {listed:?}");
    worker.stop().await;
}
