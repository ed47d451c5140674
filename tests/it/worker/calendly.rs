//! Worker: Calendly events end to end (events queue -> bookings store -> Brevo and SMS jobs ->
//! the fake providers over real HTTP).

use chrono::Utc;
use meetflow_shared::bookings::{BookingStatus, ReminderState};
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::{BREVO, EVENTS, SMS};
use meetflow_tests::fixtures;
use serde_json::json;

use crate::support::worker::{
    HOST_PHONE, JORDAN_EMAIL, JORDAN_PHONE, calendly_body, created, env, in_two_days, new_invitee,
    rfc3339,
};

#[tokio::test]
async fn a_booking_syncs_the_contact_texts_a_confirmation_and_plans_its_reminders() {
    let mut env = env().await;
    env.settings.engagelab.host_phone = Some("+44 20 7183 8750".into());
    let worker = env.start();
    let (uri, key) = new_invitee();
    let start = in_two_days();
    env.deliver(Provider::Calendly, &created(&uri, start)).await;
    env.settle().await;

    let c = env.brevo.contact(JORDAN_EMAIL).expect("contact synced");
    let a = &c.attributes;
    assert_eq!(
        a["FIRSTNAME"], "Jordan",
        "the first name, not the full name"
    );
    assert_eq!(a["LASTNAME"], "Rivera");
    assert_eq!(a["SMS"], JORDAN_PHONE);
    assert_eq!(a["COMPANY"], "Northwind Analytics");
    assert_eq!(a["JOB_TITLE"], "Head of Operations");
    assert_eq!(a["CALENDLY_EVENT_TYPE"], "Product Demo (30 min)");
    assert_eq!(a["BOOKING_STATUS"], "active");
    assert!(
        a["MEETING_DATE"]
            .as_str()
            .unwrap()
            .starts_with(&start.format("%Y-%m-%d").to_string())
    );
    assert_eq!(c.list_ids.iter().copied().collect::<Vec<_>>(), vec![10]);
    let events = env.brevo.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event_name, "booking_created");

    let sms = env.engagelab.sent_to(JORDAN_PHONE);
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].template_id, "tpl_confirmation");
    let la = start.with_timezone(&chrono_tz::America::Los_Angeles);
    assert_eq!(
        sms[0].params["time"],
        // English (sms.locale default): CLDR's "Tue, Apr 21, 10:00 AM PDT".
        la.format("%a, %b %-d, %-I:%M %p %Z").to_string()
    );
    assert_eq!(sms[0].params["first_name"], "Jordan");
    assert_eq!(sms[0].custom_args.as_ref().unwrap()["kind"], "confirmation");
    let host = env.engagelab.sent_to(HOST_PHONE);
    assert_eq!(host.len(), 1);
    assert_eq!(host[0].template_id, "tpl_host_notify");
    assert_eq!(host[0].params["name"], "Jordan Rivera");

    let b = env.booking(&key).await.unwrap();
    assert_eq!(b.status, BookingStatus::Active);
    let kinds: Vec<String> = b.reminders.iter().map(|r| r.kind.label()).collect();
    assert_eq!(kinds, ["24h", "1h", "followup"]);
    assert!(env.dead(SMS).await.is_empty() && env.dead(BREVO).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn the_same_booking_delivered_three_times_texts_once() {
    let env = env().await;
    let (uri, _) = new_invitee();
    let body = created(&uri, in_two_days());
    // Different delivery ids: what ingest cannot de-duplicate (a reconciliation's rebuilt
    // delivery next to the real one, a redelivery after the dedupe window).
    for i in 0..3 {
        env.deliver_as(Provider::Calendly, &body, &format!("wh:calendly:dup{i}"))
            .await;
    }
    let worker = env.start();
    env.settle().await;
    env.deliver_as(Provider::Calendly, &body, "wh:calendly:dup-late")
        .await;
    env.settle().await;
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 1);
    assert_eq!(env.brevo.contacts().len(), 1);
    assert_eq!(env.brevo.events().len(), 1);
    worker.stop().await;
}

#[tokio::test]
async fn a_booking_without_phone_and_a_unicode_name_syncs_without_sms() {
    let env = env().await;
    let worker = env.start();
    let (uri, key) = new_invitee();
    let body = calendly_body(
        fixtures::CALENDLY_INVITEE_CREATED_NO_PHONE,
        &uri,
        in_two_days(),
        |v| {
            v["payload"]["name"] = json!("Zoë Saldaña-Ruiz 🙂");
        },
    );
    env.deliver(Provider::Calendly, &body).await;
    env.settle().await;
    let c = env.brevo.contact("priya.natarajan@example.com").unwrap();
    // No first_name/last_name from Calendly: the full name is split after its first word.
    assert_eq!(c.attributes["FIRSTNAME"], "Zoë");
    assert_eq!(c.attributes["LASTNAME"], "Saldaña-Ruiz 🙂");
    assert!(!c.attributes.contains_key("SMS"));
    assert_eq!(env.engagelab.sent_count(), 0);
    let b = env.booking(&key).await.unwrap();
    assert!(
        b.reminders.is_empty(),
        "no phone, no reminders: {:?}",
        b.reminders
    );
    worker.stop().await;
}

#[tokio::test]
async fn an_unparseable_phone_gets_no_sms_but_the_contact_syncs() {
    let env = env().await;
    let worker = env.start();
    let (uri, _) = new_invitee();
    let body = calendly_body(
        fixtures::CALENDLY_INVITEE_CREATED,
        &uri,
        in_two_days(),
        |v| {
            v["payload"]["text_reminder_number"] = json!("call me maybe");
        },
    );
    env.deliver(Provider::Calendly, &body).await;
    env.settle().await;
    let c = env.brevo.contact(JORDAN_EMAIL).unwrap();
    assert!(!c.attributes.contains_key("SMS"));
    assert_eq!(c.attributes["COMPANY"], "Northwind Analytics");
    assert_eq!(env.engagelab.sent_count(), 0);
    worker.stop().await;
}

#[tokio::test]
async fn utm_fields_and_status_values_are_mapped_as_configured() {
    let mut env = env().await;
    let fm = &mut env.settings.connectors.calendly.field_mapping;
    fm.tracking.utm_source = Some("UTM_SOURCE".into());
    fm.tracking.utm_campaign = Some("UTM_CAMPAIGN".into());
    fm.status_values.active = "booked".into();
    let worker = env.start();
    let (uri, _) = new_invitee();
    let body = calendly_body(
        fixtures::CALENDLY_INVITEE_CREATED,
        &uri,
        in_two_days(),
        |v| {
            v["payload"]["tracking"]["utm_source"] = json!("newsletter");
            v["payload"]["tracking"]["utm_campaign"] = json!("spring-demo");
            v["payload"]["tracking"]["utm_medium"] = json!("email");
        },
    );
    env.deliver(Provider::Calendly, &body).await;
    env.settle().await;
    let c = env.brevo.contact(JORDAN_EMAIL).unwrap();
    assert_eq!(c.attributes["UTM_SOURCE"], "newsletter");
    assert_eq!(c.attributes["UTM_CAMPAIGN"], "spring-demo");
    assert!(
        !c.attributes.contains_key("UTM_MEDIUM"),
        "an unmapped field is not written"
    );
    assert_eq!(c.attributes["BOOKING_STATUS"], "booked");
    worker.stop().await;
}

#[tokio::test]
async fn an_unmapped_event_type_still_syncs_without_a_list() {
    let env = env().await;
    let worker = env.start();
    let (uri, _) = new_invitee();
    let body = calendly_body(
        fixtures::CALENDLY_INVITEE_CREATED,
        &uri,
        in_two_days(),
        |v| {
            v["payload"]["scheduled_event"]["event_type"] =
                json!("https://api.calendly.com/event_types/unmapped");
            v["payload"]["scheduled_event"]["name"] = json!("Coffee chat");
        },
    );
    env.deliver(Provider::Calendly, &body).await;
    env.settle().await;
    let c = env.brevo.contact(JORDAN_EMAIL).unwrap();
    assert!(c.list_ids.is_empty());
    assert_eq!(c.attributes["CALENDLY_EVENT_TYPE"], "Coffee chat");
    assert_eq!(env.engagelab.sent_count(), 1);
    worker.stop().await;
}

#[tokio::test]
async fn a_cancellation_marks_the_contact_texts_once_and_cancels_the_reminders() {
    let env = env().await;
    let worker = env.start();
    let (uri, key) = new_invitee();
    let start = in_two_days();
    env.deliver(Provider::Calendly, &created(&uri, start)).await;
    env.settle().await;
    let cancel = crate::support::worker::canceled(&uri, start, |_| {});
    env.deliver(Provider::Calendly, &cancel).await;
    env.deliver_as(Provider::Calendly, &cancel, "wh:calendly:again")
        .await;
    env.settle().await;

    let c = env.brevo.contact(JORDAN_EMAIL).unwrap();
    assert_eq!(c.attributes["BOOKING_STATUS"], "cancelled");
    let templates: Vec<String> = env
        .engagelab
        .sent()
        .iter()
        .map(|s| s.template_id.clone())
        .collect();
    assert_eq!(templates, ["tpl_confirmation", "tpl_cancellation"]);
    let names: Vec<String> = env
        .brevo
        .events()
        .iter()
        .map(|e| e.event_name.clone())
        .collect();
    assert_eq!(names, ["booking_created", "booking_cancelled"]);
    let b = env.booking(&key).await.unwrap();
    assert_eq!(b.status, BookingStatus::Canceled);
    assert!(
        b.reminders
            .iter()
            .all(|r| r.state == ReminderState::Canceled),
        "{:?}",
        b.reminders
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_cancellation_of_a_booking_never_seen_still_reaches_brevo_and_the_invitee() {
    let env = env().await;
    let worker = env.start();
    env.deliver(Provider::Calendly, fixtures::CALENDLY_INVITEE_CANCELED)
        .await;
    env.settle().await;
    let c = env.brevo.contact("sam.okafor@example.com").unwrap();
    assert_eq!(c.attributes["BOOKING_STATUS"], "cancelled");
    let sms = env.engagelab.sent_to("+12125550147");
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].template_id, "tpl_cancellation");
    assert_eq!(sms[0].params["time"], "Thu, Apr 23, 1:00 PM CDT");
    worker.stop().await;
}

#[tokio::test]
async fn no_show_sets_then_clears_the_status_and_the_follow_up() {
    let env = env().await;
    let worker = env.start();
    let (uri, key) = new_invitee();
    let start = Utc::now() - chrono::Duration::minutes(20);
    env.deliver(Provider::Calendly, &created(&uri, start)).await;
    env.settle().await;
    let followup = |b: &meetflow_shared::bookings::Booking| {
        b.reminders
            .iter()
            .find(|r| r.kind.label() == "followup")
            .map(|r| r.state)
    };
    assert_eq!(
        followup(&env.booking(&key).await.unwrap()),
        Some(ReminderState::Planned)
    );

    let no_show = calendly_body(
        fixtures::CALENDLY_INVITEE_NO_SHOW_CREATED,
        &uri,
        start,
        |_| {},
    );
    env.deliver(Provider::Calendly, &no_show).await;
    env.settle().await;
    assert_eq!(
        env.brevo.contact(JORDAN_EMAIL).unwrap().attributes["BOOKING_STATUS"],
        "no_show"
    );
    let b = env.booking(&key).await.unwrap();
    assert_eq!(b.status, BookingStatus::NoShow);
    assert_ne!(followup(&b), Some(ReminderState::Planned));
    assert!(
        env.brevo
            .events()
            .iter()
            .any(|e| e.event_name == "booking_no_show")
    );

    let cleared = calendly_body(
        fixtures::CALENDLY_INVITEE_NO_SHOW_CREATED,
        &uri,
        start,
        |v| {
            v["event"] = json!("invitee_no_show.deleted");
            v["payload"]["no_show"] = json!(null);
            v["created_at"] = json!(rfc3339(Utc::now() + chrono::Duration::seconds(5)));
        },
    );
    env.deliver(Provider::Calendly, &cleared).await;
    env.settle().await;
    assert_eq!(
        env.brevo.contact(JORDAN_EMAIL).unwrap().attributes["BOOKING_STATUS"],
        "active"
    );
    let b = env.booking(&key).await.unwrap();
    assert_eq!(b.status, BookingStatus::Active);
    assert_eq!(followup(&b), Some(ReminderState::Planned));
    assert_eq!(env.engagelab.sent_count(), 1, "only the confirmation");
    worker.stop().await;
}

#[tokio::test]
async fn unhandled_events_finish_and_unreadable_ones_go_to_the_dead_letters() {
    let env = env().await;
    let worker = env.start();
    let routing = json!({
        "created_at": "2026-04-14T16:20:59.000000Z", "event": "routing_form_submission.created",
        "payload": { "uri": "https://api.calendly.com/routing_form_submissions/x", "questions_and_answers": [] }
    });
    env.deliver(Provider::Calendly, &routing.to_string()).await;
    let other = json!({ "event": "event_type.updated", "created_at": "2026-04-14T16:20:59.000000Z", "payload": { "uri": "https://api.calendly.com/event_types/x" } });
    env.deliver(Provider::Calendly, &other.to_string()).await;
    env.deliver(Provider::Zoom, fixtures::ZOOM_PARTICIPANT_JOINED)
        .await;
    let broken = json!({ "event": "invitee.created", "created_at": "2026-04-14T16:20:59.000000Z", "payload": { "email": "x@example.com" } });
    let id = env.deliver(Provider::Calendly, &broken.to_string()).await;
    env.settle().await;
    let dead = env.dead(EVENTS).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].errors.last().unwrap().class, "bad_payload");
    assert_eq!(
        env.brevo.requests().len() + env.engagelab.requests().len(),
        0
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_booking_reconciled_after_its_start_syncs_without_a_confirmation_sms() {
    use meetflow_shared::jobs::WebhookJob;
    use meetflow_shared::jobs::webhook::RECONCILE_REQUEST_ID;
    use meetflow_shared::queue::NewJob;

    let env = env().await;
    let worker = env.start();
    let deliver = |body: String, id: &str, reconciled: bool| {
        let job = WebhookJob::new(
            Provider::Calendly,
            Some("invitee.created".into()),
            Utc::now(),
            id.to_owned(),
            body.as_bytes(),
            true,
        )
        .with_request_id(reconciled.then_some(RECONCILE_REQUEST_ID));
        let new = NewJob::json(&job).unwrap().with_id(id);
        let client = env.client.clone();
        async move { client.enqueue(EVENTS, new).await.unwrap() }
    };
    // Found by the reconciliation 20 minutes into the meeting: Brevo yes, confirmation no.
    let (late_uri, late_key) = new_invitee();
    let started = Utc::now() - chrono::Duration::minutes(20);
    deliver(created(&late_uri, started), "wh:calendly:late", true).await;
    // Reconciled before its start: confirmed as usual.
    let (early_uri, _) = new_invitee();
    deliver(
        created(&early_uri, in_two_days()),
        "wh:calendly:early",
        true,
    )
    .await;
    env.settle().await;

    assert!(env.brevo.contact(JORDAN_EMAIL).is_some());
    assert!(
        env.booking(&late_key).await.is_some(),
        "the booking is recorded"
    );
    let confirmations: Vec<_> = env
        .engagelab
        .sent()
        .into_iter()
        .filter(|s| s.template_id == "tpl_confirmation")
        .collect();
    assert_eq!(confirmations.len(), 1, "{confirmations:?}");
    let late_tag = late_key.to_string();
    assert!(
        confirmations
            .iter()
            .all(|s| s.custom_args.as_ref().unwrap()["booking"] != late_tag.as_str())
    );
    worker.stop().await;
}
