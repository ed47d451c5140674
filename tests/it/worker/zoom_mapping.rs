//! Worker: `connectors.zoom.field_mapping` names the Brevo attributes of Zoom's attendance
//! fields (seed 003's shape: join time, duration, webinar title, attendance status, registration
//! source), for attendees and absentees of a webinar alike; fields mapped to nothing are not
//! written.

use meetflow_shared::config::Settings;
use meetflow_shared::events::Provider;
use meetflow_tests::fakes::FakeZoom;
use serde_json::{Value, json};

use super::webinar::{WEBINAR_ENDED, WEBINAR_ID, WEBINAR_UUID, attr, session};
use crate::support::worker::{Env, env};

const MISSED_LIST: u64 = 18;

/// Seed 003's Zoom mapping.
fn seed_003_mapping(env: &mut Env) {
    let yaml = r#"
connectors:
  zoom:
    field_mapping:
      join_time: MEETING_JOIN_DATE
      duration: MEETING_DURATION
      webinar_title: WEBINAR_NAME
      attendance_status: ATTENDANCE_STATUS
      registration_source: UTM_SOURCE
"#;
    let s = Settings::from_yaml_str(yaml, &|_| None).unwrap();
    env.settings.connectors.zoom.field_mapping = s.connectors.zoom.field_mapping;
    env.settings.engagement.webinar_missed_list = Some(MISSED_LIST);
}

fn registrant(first: &str, email: &str, source: Option<&str>) -> Value {
    let mut r = FakeZoom::registrant(first, "Lee", email);
    if let Some(source) = source {
        r["tracking_source"] = json!({
            "id": "ts1", "source_name": source,
            "tracking_url": "https://us06web.zoom.us/webinar/register/ts1"
        });
    }
    r
}

fn attributes(env: &Env, email: &str) -> serde_json::Map<String, Value> {
    env.brevo.contact(email).unwrap().attributes
}

#[tokio::test]
async fn seed_003_names_the_zoom_attributes_of_attendees_and_absentees() {
    let mut env = env().await;
    seed_003_mapping(&mut env);
    env.zoom.add_webinar(
        WEBINAR_ID,
        vec![
            registrant("Mina", "mina@example.com", Some("Newsletter")),
            registrant("Tom", "tom@example.com", Some("LinkedIn")),
        ],
    );
    env.zoom.add_past_webinar(
        WEBINAR_UUID,
        vec![
            session("mina@example.com", 17),
            session("mina@example.com", 5),
        ],
    );
    let worker = env.start();
    env.deliver(Provider::Zoom, WEBINAR_ENDED).await;
    env.settle().await;

    let topic = "Scheduling at scale — live Q&A";
    assert_eq!(
        attr(&env, "mina@example.com", "MEETING_JOIN_DATE"),
        "2026-05-06T16:00:00Z"
    );
    assert_eq!(attr(&env, "mina@example.com", "MEETING_DURATION"), 22);
    assert_eq!(attr(&env, "mina@example.com", "WEBINAR_NAME"), topic);
    assert_eq!(
        attr(&env, "mina@example.com", "ATTENDANCE_STATUS"),
        "attended"
    );
    assert_eq!(attr(&env, "mina@example.com", "UTM_SOURCE"), "Newsletter");
    let mina = attributes(&env, "mina@example.com");
    for default_name in ["JOIN_TIME", "ATTENDANCE_MINUTES"] {
        assert!(!mina.contains_key(default_name), "{default_name}: {mina:?}");
    }

    assert_eq!(attr(&env, "tom@example.com", "ATTENDANCE_STATUS"), "missed");
    assert_eq!(attr(&env, "tom@example.com", "MEETING_DURATION"), 0);
    assert_eq!(attr(&env, "tom@example.com", "WEBINAR_NAME"), topic);
    assert_eq!(attr(&env, "tom@example.com", "UTM_SOURCE"), "LinkedIn");
    assert!(!attributes(&env, "tom@example.com").contains_key("MEETING_JOIN_DATE"));
    worker.stop().await;
}

#[tokio::test]
async fn a_field_mapped_to_nothing_is_not_written() {
    let mut env = env().await;
    seed_003_mapping(&mut env);
    let zm = &mut env.settings.connectors.zoom.field_mapping;
    zm.webinar_title = None;
    zm.registration_source = Some(String::new());
    env.zoom.add_webinar(
        WEBINAR_ID,
        vec![registrant("Mina", "mina@example.com", Some("Newsletter"))],
    );
    env.zoom
        .add_past_webinar(WEBINAR_UUID, vec![session("mina@example.com", 3)]);
    let worker = env.start();
    env.deliver(Provider::Zoom, WEBINAR_ENDED).await;
    env.settle().await;

    let mina = attributes(&env, "mina@example.com");
    assert_eq!(mina["MEETING_DURATION"], 3);
    assert!(!mina.contains_key("WEBINAR_NAME"), "{mina:?}");
    assert!(!mina.contains_key("UTM_SOURCE"), "{mina:?}");
    worker.stop().await;
}

#[test]
fn an_unknown_zoom_mapping_key_is_refused_by_name() {
    let yaml = "connectors:\n  zoom:\n    field_mapping:\n      webinar_name: WEBINAR_NAME\n";
    let err = Settings::from_yaml_str(yaml, &|_| None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("connectors.zoom.field_mapping.webinar_name"),
        "{err}"
    );
}
