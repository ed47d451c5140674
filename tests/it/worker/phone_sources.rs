//! The SMS number is chosen by `sms.phone_sources` (and an event type's `phone_sources`): the
//! sources are tried in order and the first usable number wins — Calendly's
//! `text_reminder_number`, a booking answer (`sms.phone_question`), or the `SMS` attribute of
//! the invitee's Brevo contact; an event type may also read national numbers in its own
//! `default_region`.

use meetflow_shared::config::{PhoneSource, Settings};
use meetflow_shared::events::Provider;
use serde_json::json;

use crate::support::worker::{
    EVENT_TYPE, Env, HOST_PHONE, JORDAN_EMAIL, JORDAN_PHONE, calendly_body, env, in_two_days,
    new_invitee,
};
use meetflow_tests::fixtures;

const ANSWERED: &str = "+447911123456";
const IN_BREVO: &str = "+33612345678";

/// Jordan's booking with `text_reminder_number` (fixture: Jordan's US number) and a
/// "WhatsApp number" answer.
fn booking(uri: &str, text_reminder: Option<&str>, answer: &str) -> String {
    let (text_reminder, answer) = (text_reminder.map(str::to_owned), answer.to_owned());
    calendly_body(
        fixtures::CALENDLY_INVITEE_CREATED,
        uri,
        in_two_days(),
        move |v| {
            v["payload"]["text_reminder_number"] = json!(text_reminder);
            v["payload"]["questions_and_answers"]
                .as_array_mut()
                .unwrap()
                .push(json!({ "question": "WhatsApp number", "answer": answer, "position": 3 }));
        },
    )
}

fn sources(env: &mut Env, order: &[PhoneSource]) {
    env.settings.sms.phone_sources = order.to_vec();
    env.settings.sms.phone_question = Some("whatsapp number".into());
}

async fn confirmed_to(env: &Env, body: &str) -> Vec<String> {
    let worker = env.start();
    env.deliver(Provider::Calendly, body).await;
    env.settle().await;
    worker.stop().await;
    env.engagelab
        .sent()
        .into_iter()
        .map(|s| s.to)
        .filter(|to| to != HOST_PHONE)
        .collect()
}

#[tokio::test]
async fn the_first_source_with_a_number_wins() {
    use PhoneSource::{Brevo, Questions, TextReminderNumber};
    // The answer first: it wins over text_reminder_number.
    let mut env = env().await;
    sources(&mut env, &[Questions, TextReminderNumber]);
    let (uri, _) = new_invitee();
    let to = confirmed_to(&env, &booking(&uri, Some(JORDAN_PHONE), ANSWERED)).await;
    assert_eq!(to, [ANSWERED]);
    assert_eq!(
        env.brevo.contact(JORDAN_EMAIL).unwrap().attributes["SMS"],
        ANSWERED
    );

    // Brevo first: the contact's stored number (Brevo keeps it without its +).
    let mut env = crate::support::worker::env().await;
    sources(&mut env, &[Brevo, TextReminderNumber, Questions]);
    env.brevo.seed_contact(
        JORDAN_EMAIL,
        json!({ "SMS": IN_BREVO.trim_start_matches('+') }),
    );
    let (uri, _) = new_invitee();
    let to = confirmed_to(&env, &booking(&uri, Some(JORDAN_PHONE), ANSWERED)).await;
    assert_eq!(to, [IN_BREVO]);
    assert!(
        env.brevo
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path.starts_with("/v3/contacts/")),
        "the number was read from Brevo"
    );

    // Brevo first, but the contact is unknown to Brevo: the next source.
    let mut env = crate::support::worker::env().await;
    sources(&mut env, &[Brevo, TextReminderNumber]);
    let (uri, _) = new_invitee();
    let to = confirmed_to(&env, &booking(&uri, Some(JORDAN_PHONE), ANSWERED)).await;
    assert_eq!(to, [JORDAN_PHONE]);
}

#[tokio::test]
async fn an_unusable_number_falls_through_to_the_next_source() {
    use PhoneSource::{Questions, TextReminderNumber};
    let mut env = env().await;
    sources(&mut env, &[TextReminderNumber, Questions]);
    let (uri, _) = new_invitee();
    let to = confirmed_to(&env, &booking(&uri, Some("12"), ANSWERED)).await;
    assert_eq!(to, [ANSWERED]);
}

#[tokio::test]
async fn an_event_type_has_its_own_order_and_region() {
    let mut env = env().await;
    let yaml = format!(
        r#"
sms:
  phone_sources: [text_reminder_number]
  phone_question: whatsapp number
connectors:
  calendly:
    event_mapping:
      product_demo:
        event_type_uri: "{EVENT_TYPE}"
        phone_sources: [questions, text_reminder_number]
        default_region: TH
"#
    );
    let s = Settings::from_yaml_str(&yaml, &|_| None).unwrap();
    env.settings.sms = s.sms;
    env.settings.connectors.calendly.event_mapping = s.connectors.calendly.event_mapping;
    let (uri, _) = new_invitee();
    let to = confirmed_to(&env, &booking(&uri, Some(JORDAN_PHONE), "081 234 5678")).await;
    assert_eq!(to, ["+66812345678"], "the answer, read in TH");
}

#[test]
fn an_unknown_phone_source_is_refused_by_name() {
    let err = Settings::from_yaml_str("sms:\n  phone_sources: [calendly]\n", &|_| None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("sms.phone_sources"), "{err}");
    let err = Settings::from_yaml_str(
        "connectors:\n  calendly:\n    event_mapping:\n      demo:\n        default_region: XX\n",
        &|_| None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("connectors.calendly.event_mapping.demo.default_region"),
        "{err}"
    );
}
