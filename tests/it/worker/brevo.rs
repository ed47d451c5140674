//! Worker: Brevo's answers. A refused phone number (invalid, or owned by another contact) is
//! dropped and the contact synced without it; 401 is a permanent `config` dead letter; 429 waits
//! for `x-sib-ratelimit-reset` without spending an attempt; 5xx retries; another 400 dead-letters
//! with Brevo's answer.

use meetflow_shared::config::QueueSpec;
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::BREVO;
use serde_json::json;

use crate::support::worker::{JORDAN_EMAIL, JORDAN_PHONE, created, env, in_two_days, new_invitee};

/// Contact upserts Brevo received (refused ones included).
pub(crate) fn contact_posts(env: &crate::support::worker::Env) -> usize {
    env.brevo
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v3/contacts")
        .count()
}

#[tokio::test]
async fn a_phone_brevo_refuses_is_dropped_and_the_contact_synced_without_it() {
    for owned_by_another in [false, true] {
        let env = env().await;
        if owned_by_another {
            env.brevo.sms_owned_by_another(JORDAN_PHONE);
        } else {
            env.brevo.reject_phone(JORDAN_PHONE);
        }
        let worker = env.start();
        let (uri, _) = new_invitee();
        env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
            .await;
        env.settle().await;
        let c = env.brevo.contact(JORDAN_EMAIL).expect("synced without SMS");
        assert!(!c.attributes.contains_key("SMS"));
        assert_eq!(c.attributes["COMPANY"], "Northwind Analytics");
        assert_eq!(contact_posts(&env), 2, "one refused, one without SMS");
        assert_eq!(
            env.engagelab.sent_to(JORDAN_PHONE).len(),
            1,
            "the SMS does not depend on Brevo"
        );
        assert!(env.dead(BREVO).await.is_empty());
        worker.stop().await;
    }
}

#[tokio::test]
async fn a_bad_api_key_dead_letters_as_config_at_once() {
    let mut env = env().await;
    env.settings.brevo.api_key = Some("xkeysib-wrong".to_owned().into());
    let worker = env.start();
    let (uri, _) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    env.settle().await;
    let dead = env.dead(BREVO).await;
    assert_eq!(dead.len(), 2, "contact sync and event: {dead:?}");
    for d in &dead {
        assert_eq!(d.attempts, 1, "401 is not retried");
        let e = d.errors.last().unwrap();
        assert_eq!(e.class, "config");
        assert!(
            e.message.contains("401") && e.message.contains("Key not found"),
            "{}",
            e.message
        );
    }
    worker.stop().await;
}

#[tokio::test]
async fn rate_limits_wait_for_the_reset_without_spending_attempts() {
    let mut env = env().await;
    env.settings.queues.0.insert(
        BREVO.into(),
        QueueSpec {
            max_attempts: Some(1),
            ..QueueSpec::default()
        },
    );
    env.brevo
        .fail_next(3, 429, json!({ "message": "Too many requests" }));
    let worker = env.start();
    let (uri, _) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    env.settle().await;
    assert!(
        env.dead(BREVO).await.is_empty(),
        "rate limits spent no attempt"
    );
    assert!(env.brevo.contact(JORDAN_EMAIL).is_some());
    assert_eq!(env.brevo.events().len(), 1);
    assert_eq!(
        env.brevo.requests().len(),
        5,
        "3 answered 429, then both calls went through"
    );
    worker.stop().await;
}

#[tokio::test]
async fn server_errors_retry_and_other_rejections_dead_letter_with_brevos_answer() {
    let env = env().await;
    env.brevo.fail_next(
        2,
        503,
        json!({ "code": "internal_error", "message": "try later" }),
    );
    let worker = env.start();
    let (uri, _) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    env.settle().await;
    assert!(env.brevo.contact(JORDAN_EMAIL).is_some());
    assert!(env.dead(BREVO).await.is_empty());

    let (uri, _) = new_invitee();
    let body = crate::support::worker::calendly_body(
        meetflow_tests::fixtures::CALENDLY_INVITEE_CREATED,
        &uri,
        in_two_days(),
        |v| v["payload"]["email"] = json!("not-an-email"),
    );
    env.deliver(Provider::Calendly, &body).await;
    env.settle().await;
    let dead = env.dead(BREVO).await;
    assert!(!dead.is_empty());
    let e = dead
        .iter()
        .find(|d| d.id.starts_with("brevo:created:"))
        .unwrap();
    let last = e.errors.last().unwrap();
    assert_eq!(last.class, "provider_rejected");
    assert!(
        last.message.contains("Invalid email address"),
        "{}",
        last.message
    );
    worker.stop().await;
}
