//! Workflows per event type end to end: two event types with their own templates, reminder
//! offsets and locales send different SMS to the same person (EngageLab a fake over HTTP that
//! records each call; the due loop in this process with "now" moved by an offset clock), and a
//! reschedule into the other event type follows the new type's workflow.

use chrono::{DateTime, Utc};
use meetflow_shared::config::Settings;
use meetflow_shared::events::Provider;
use meetflow_tests::fixtures;
use serde_json::json;

use super::sms_params::{due_until_sent, sent};
use crate::support::worker::{
    EVENT_TYPE, Env, JORDAN_PHONE, calendly_body, canceled, env, in_two_days, new_invitee,
};

const SUPPORT_TYPE: &str = "https://api.calendly.com/event_types/5d1e0c2a-support-call";

/// The fixture's event type (Product Demo) in Thai with a 24 h reminder; Support Call in
/// Romanian with a 2 h reminder; each with its own templates.
fn two_workflows(env: &mut Env) {
    let yaml = format!(
        r#"
connectors:
  calendly:
    event_mapping:
      product_demo:
        event_type_uri: "{EVENT_TYPE}"
        list_id: 10
        templates: {{ confirmation: tpl_conf_demo, reminder: tpl_rem_demo }}
        offsets: [24h]
        follow_up_after_end: null
        locale: th
      support_call:
        event_type_uri: "{SUPPORT_TYPE}"
        list_id: 11
        templates: {{ confirmation: tpl_conf_support, reminder: tpl_rem_support }}
        offsets: [2h]
        follow_up_after_end: null
        locale: ro
"#
    );
    let s = Settings::from_yaml_str(&yaml, &|_| None).unwrap();
    env.settings.connectors.calendly.event_mapping = s.connectors.calendly.event_mapping;
}

/// Jordan's booking of `event_type` named `name`, written in zone `tz`.
fn booking(uri: &str, start: DateTime<Utc>, event_type: &str, name: &str, tz: &str) -> String {
    let (et, name, tz) = (event_type.to_owned(), name.to_owned(), tz.to_owned());
    calendly_body(fixtures::CALENDLY_INVITEE_CREATED, uri, start, move |v| {
        v["payload"]["scheduled_event"]["event_type"] = json!(et);
        v["payload"]["scheduled_event"]["name"] = json!(name);
        v["payload"]["timezone"] = json!(tz);
    })
}

fn planned(env_booking: &meetflow_shared::bookings::Booking) -> Vec<String> {
    let mut kinds: Vec<String> = env_booking
        .reminders
        .iter()
        .map(|r| r.kind.label())
        .collect();
    kinds.sort_unstable();
    kinds
}

#[tokio::test]
async fn two_event_types_send_the_same_person_different_templates_offsets_and_languages() {
    let mut env = env().await;
    two_workflows(&mut env);
    let worker = env.start();
    let start = in_two_days();
    let (demo_uri, demo) = new_invitee();
    let (support_uri, support) = new_invitee();
    env.deliver(
        Provider::Calendly,
        &booking(
            &demo_uri,
            start,
            EVENT_TYPE,
            "Product Demo (30 min)",
            "Asia/Bangkok",
        ),
    )
    .await;
    env.deliver(
        Provider::Calendly,
        &booking(
            &support_uri,
            start,
            SUPPORT_TYPE,
            "Support Call",
            "Europe/Bucharest",
        ),
    )
    .await;
    env.settle().await;

    // Each type's own confirmation template, times in its locale.
    let conf_demo = sent(&env, "tpl_conf_demo");
    let conf_support = sent(&env, "tpl_conf_support");
    assert_eq!(
        (conf_demo.len(), conf_support.len()),
        (1, 1),
        "{:?}",
        env.engagelab.sent()
    );
    assert!(
        sent(&env, "tpl_confirmation").is_empty(),
        "the global template is overridden"
    );
    // Each type's own offsets.
    assert_eq!(planned(&env.booking(&demo).await.unwrap()), ["24h"]);
    assert_eq!(planned(&env.booking(&support).await.unwrap()), ["2h"]);
    // Both bookings are the same person's (number and e-mail).
    assert_eq!(conf_demo[0].to, conf_support[0].to);
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 2);

    let from_now = start - Utc::now();
    let margin = chrono::Duration::seconds(30);
    due_until_sent(
        &env,
        from_now - chrono::Duration::hours(24) + margin,
        "tpl_rem_demo",
        1,
    )
    .await;
    assert!(
        sent(&env, "tpl_rem_support").is_empty(),
        "2 h reminder not due yet"
    );
    due_until_sent(
        &env,
        from_now - chrono::Duration::hours(2) + margin,
        "tpl_rem_support",
        1,
    )
    .await;

    let thai = &sent(&env, "tpl_rem_demo")[0].params;
    let romanian = &sent(&env, "tpl_rem_support")[0].params;
    println!(
        "Thai reminder (th, Asia/Bangkok): time = {}, advance = {}",
        thai["time"], thai["advance"]
    );
    println!(
        "Romanian reminder (ro, Europe/Bucharest): time = {}, advance = {}",
        romanian["time"], romanian["advance"]
    );
    assert_eq!(thai["advance"], "ในอีก 24 ชั่วโมง");
    assert_eq!(romanian["advance"], "peste 2 ore");
    let thai_time = thai["time"].as_str().unwrap();
    let ro_time = romanian["time"].as_str().unwrap();
    assert!(thai_time.ends_with("+07"), "{thai_time}");
    assert!(
        ro_time.ends_with("EET") || ro_time.ends_with("EEST"),
        "{ro_time}"
    );
    assert_ne!(conf_demo[0].params["time"], conf_support[0].params["time"]);
    // The links and names every template may use come along in both.
    for p in [thai, romanian] {
        assert_eq!(p["first_name"], "Jordan", "{p}");
        assert!(p["join_url"].is_string(), "{p}");
    }
    assert_eq!(sent(&env, "tpl_rem_demo").len(), 1);
    assert!(sent(&env, "tpl_reminder").is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn a_reschedule_into_another_event_type_follows_the_new_types_workflow() {
    let mut env = env().await;
    two_workflows(&mut env);
    let worker = env.start();
    let (old_uri, old) = new_invitee();
    let (new_uri, new) = new_invitee();
    let old_start = in_two_days();
    let new_start = old_start + chrono::Duration::hours(3);
    env.deliver(
        Provider::Calendly,
        &booking(
            &old_uri,
            old_start,
            EVENT_TYPE,
            "Product Demo (30 min)",
            "Europe/Bucharest",
        ),
    )
    .await;
    env.settle().await;
    assert_eq!(planned(&env.booking(&old).await.unwrap()), ["24h"]);

    // Moved into a Support Call: the old half, then the new half naming the old invitee.
    let new_b = new_uri.clone();
    env.deliver(
        Provider::Calendly,
        &canceled(&old_uri, old_start, move |v| {
            v["payload"]["rescheduled"] = json!(true);
            v["payload"]["new_invitee"] = json!(new_b);
        }),
    )
    .await;
    let old_b = old_uri.clone();
    let moved = {
        let body = booking(
            &new_uri,
            new_start,
            SUPPORT_TYPE,
            "Support Call",
            "Europe/Bucharest",
        );
        let mut v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["payload"]["old_invitee"] = json!(old_b);
        v.to_string()
    };
    env.deliver(Provider::Calendly, &moved).await;
    env.settle().await;
    assert_eq!(planned(&env.booking(&new).await.unwrap()), ["2h"]);
    assert_eq!(sent(&env, "tpl_conf_demo").len(), 1);
    assert_eq!(
        sent(&env, "tpl_conf_support").len(),
        1,
        "confirmed by the new type"
    );

    let from_now = new_start - Utc::now();
    let margin = chrono::Duration::seconds(30);
    due_until_sent(
        &env,
        from_now - chrono::Duration::hours(2) + margin,
        "tpl_rem_support",
        1,
    )
    .await;
    let p = &sent(&env, "tpl_rem_support")[0].params;
    assert_eq!(p["advance"], "peste 2 ore", "{p}");
    assert!(
        sent(&env, "tpl_rem_demo").is_empty(),
        "the old type's reminder never goes out"
    );
    worker.stop().await;
}
