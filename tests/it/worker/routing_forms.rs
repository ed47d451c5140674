//! Worker: a `routing_form_submission.created` makes the lead a Brevo contact (e-mail from the
//! answers, answers mapped, the phone answer in E.164, UTM tracking) and sends the Brevo event,
//! so a lead who did not book is not lost; when the same person books it stays one contact.

use meetflow_shared::events::Provider;
use meetflow_shared::jobs::{BREVO, EVENTS};
use serde_json::{Value, json};

use crate::support::worker::{Env, JORDAN_EMAIL, created, env, in_two_days, new_invitee};

const LEAD_LIST: u64 = 30;

/// A submission by Jordan (e-mail in another case), who has not booked.
fn submission(id: &str, email: &str) -> String {
    json!({
        "event": "routing_form_submission.created",
        "created_at": "2026-05-04T09:30:00.000000Z",
        "created_by": "https://api.calendly.com/users/ORGADMIN0001",
        "payload": {
            "uri": format!("https://api.calendly.com/routing_form_submissions/{id}"),
            "routing_form": "https://api.calendly.com/routing_forms/RF0001",
            "questions_and_answers": [
                { "question_uuid": "q1", "question": "Your work e-mail", "answer": email },
                { "question_uuid": "q2", "question": "What is your industry?", "answer": "IT & Software" },
                { "question_uuid": "q3", "question": "Company name", "answer": "Northwind" },
                { "question_uuid": "q4", "question": "Mobile phone", "answer": "081 234 5678" }
            ],
            "tracking": { "utm_source": "linkedin", "utm_medium": null, "utm_campaign": "spring",
                          "utm_content": null, "utm_term": null, "salesforce_uuid": null },
            "result": { "type": "custom_message", "value": { "headline": "Thanks", "body": "We will call you" } },
            "submitter": null,
            "submitter_type": null,
            "created_at": "2026-05-04T09:29:58.123Z",
            "updated_at": "2026-05-04T09:29:58.123Z"
        }
    })
    .to_string()
}

fn configure(env: &mut Env) {
    let cal = &mut env.settings.connectors.calendly;
    cal.routing_forms.list_id = Some(LEAD_LIST);
    cal.routing_forms
        .questions_and_answers
        .insert("industry".into(), "INDUSTRY".into());
    cal.routing_forms
        .questions_and_answers
        .insert("mobile phone".into(), "SMS".into());
    cal.field_mapping
        .questions_and_answers
        .insert("company".into(), "COMPANY".into());
    cal.field_mapping.tracking.utm_source = Some("UTM_SOURCE".into());
    cal.field_mapping.tracking.utm_campaign = Some("UTM_CAMPAIGN".into());
    env.settings.sms.default_region = Some("TH".into());
}

#[tokio::test]
async fn a_lead_who_did_not_book_is_synced_with_the_answers_and_the_event() {
    let mut env = env().await;
    configure(&mut env);
    let worker = env.start();
    env.deliver(
        Provider::Calendly,
        &submission("RFS0001", "Jordan.Rivera@Example.com"),
    )
    .await;
    env.settle().await;

    let contact = env.brevo.contact(JORDAN_EMAIL).expect("lead synced");
    let a = &contact.attributes;
    assert_eq!(a["INDUSTRY"], "IT & Software");
    assert_eq!(a["COMPANY"], "Northwind");
    assert_eq!(a["SMS"], "+66812345678", "national format read in TH");
    assert_eq!(a["UTM_SOURCE"], "linkedin");
    assert_eq!(a["UTM_CAMPAIGN"], "spring");
    assert!(a.get("BOOKING_STATUS").is_none(), "a lead has no booking");
    assert_eq!(env.brevo.list_members(LEAD_LIST as i64), [JORDAN_EMAIL]);
    let events = env.brevo.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_name, "routing_form_submitted");
    let props = events[0].event_properties.clone().unwrap_or(Value::Null);
    assert_eq!(
        props["routing_form"],
        "https://api.calendly.com/routing_forms/RF0001"
    );
    assert_eq!(props["result"], "custom_message");
    assert_eq!(props["booked"], "false");

    // Redelivered: nothing twice.
    env.deliver_as(
        Provider::Calendly,
        &submission("RFS0001", "Jordan.Rivera@Example.com"),
        "wh:calendly:rfs-again",
    )
    .await;
    env.settle().await;
    assert_eq!(env.brevo.events().len(), 1);
    assert!(env.dead(EVENTS).await.is_empty());
    assert!(env.dead(BREVO).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn when_the_lead_books_it_is_one_contact() {
    let mut env = env().await;
    configure(&mut env);
    let worker = env.start();
    env.deliver(Provider::Calendly, &submission("RFS0002", JORDAN_EMAIL))
        .await;
    env.settle().await;
    let (uri, _) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    env.settle().await;

    let jordans: Vec<_> = env
        .brevo
        .contacts()
        .into_iter()
        .filter(|c| c.email.as_deref() == Some(JORDAN_EMAIL))
        .collect();
    assert_eq!(jordans.len(), 1, "{jordans:?}");
    let a = &jordans[0].attributes;
    assert_eq!(a["INDUSTRY"], "IT & Software", "the lead's answers stay");
    assert_eq!(a["BOOKING_STATUS"], "active", "the booking adds to it");
    let mut names: Vec<String> = env
        .brevo
        .events()
        .into_iter()
        .map(|e| e.event_name)
        .collect();
    names.sort();
    assert_eq!(names, ["booking_created", "routing_form_submitted"]);
    worker.stop().await;
}

#[tokio::test]
async fn a_submission_without_an_email_answer_or_with_sync_off_touches_nothing() {
    let mut env = env().await;
    configure(&mut env);
    let no_email = submission("RFS0003", "not an address");
    env.settings.connectors.calendly.routing_forms.brevo_event = String::new();
    let worker = env.start();
    env.deliver(Provider::Calendly, &no_email).await;
    env.settle().await;
    assert!(env.brevo.requests().is_empty());
    worker.stop().await;

    env.settings.connectors.calendly.routing_forms.enabled = false;
    let worker = env.start();
    env.deliver(Provider::Calendly, &submission("RFS0004", JORDAN_EMAIL))
        .await;
    env.settle().await;
    assert!(env.brevo.requests().is_empty());
    assert!(env.dead(EVENTS).await.is_empty());
    worker.stop().await;
}
