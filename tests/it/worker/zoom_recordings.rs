//! Worker: `recording.completed` reaches everyone who should have the recording: the bookers of
//! that meeting, its Zoom-only participants with an e-mail, and for a webinar its attendees and
//! the registrants who missed it, each as the `RECORDING_URL` attribute and the Brevo
//! `recording_ready` event carrying the share URL and the passcode. No SMS carries it. A recording
//! whose webhook never came is caught up by the sweep.

use chrono::{SecondsFormat, TimeDelta, Utc};
use meetflow_scheduler::zoom_sweep::ZoomSweep;
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::{SYNC, ZOOM};
use meetflow_tests::fakes::FakeZoom;
use serde_json::{Value, json};

use super::webinar::session;
use crate::support::worker::{Env, JORDAN_EMAIL, created, env, in_two_days, new_invitee};

const SHARE_URL: &str = "https://us06web.zoom.us/rec/share/Xy7-abc";
const PASSCODE: &str = "7f$Kq2!p";

fn recording_completed(id: u64, uuid: &str, kind: i64, passcode: Option<&str>) -> String {
    let mut object = json!({
        "id": id, "uuid": uuid, "host_id": "z8yBXHd5TQ2bX9ZmN4kR7w", "topic": "Recorded",
        "type": kind, "start_time": "2026-05-06T16:00:00Z", "duration": 30,
        "share_url": SHARE_URL, "recording_files": []
    });
    if let Some(p) = passcode {
        object["recording_play_passcode"] = json!(p);
    }
    json!({
        "event": "recording.completed", "event_ts": 1_778_083_200_000_i64,
        "download_token": "dl-token",
        "payload": { "account_id": "Xq7bL2mRTy6nW0pK4sUe9A", "object": object }
    })
    .to_string()
}

/// `email` -> the properties of its `recording_ready` event(s).
fn recording_events(env: &Env) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = env
        .brevo
        .events()
        .into_iter()
        .filter(|e| e.event_name == "recording_ready")
        .map(|e| {
            let email = e.identifiers["email_id"].as_str().unwrap_or("").to_owned();
            (email, e.event_properties.unwrap_or(Value::Null))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test]
async fn a_meeting_recording_reaches_bookers_and_zoom_only_participants() {
    let env = env().await;
    let worker = env.start();
    let (uri, _) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    env.settle().await;
    // Maya (the host) joined through Zoom only; Jordan booked and joined.
    env.zoom.add_past_meeting_fixture("recM==");
    env.deliver(
        Provider::Zoom,
        &recording_completed(85_746_065_432, "recM==", 2, Some(PASSCODE)),
    )
    .await;
    env.settle().await;

    let got = recording_events(&env);
    let emails: Vec<&str> = got.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(emails, [JORDAN_EMAIL, "maya.chen@example.com"]);
    for (_, p) in &got {
        assert_eq!(p["share_url"], SHARE_URL);
        assert_eq!(p["passcode"], PASSCODE);
        assert_eq!(p["meeting_id"], "85746065432");
    }
    let maya = env.brevo.contact("maya.chen@example.com").unwrap();
    assert_eq!(maya.attributes["RECORDING_URL"], SHARE_URL);
    assert_eq!(maya.attributes["RECORDING_PASSCODE"], PASSCODE);
    let sms_with_link = env
        .engagelab
        .requests()
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("rec/share"))
        .count();
    assert_eq!(sms_with_link, 0, "no SMS carries the recording link");
    assert!(env.dead(ZOOM).await.is_empty());

    // Zoom redelivers the event: nothing is sent twice.
    env.deliver_as(
        Provider::Zoom,
        &recording_completed(85_746_065_432, "recM==", 2, Some(PASSCODE)),
        "another-delivery-id",
    )
    .await;
    env.settle().await;
    assert_eq!(recording_events(&env).len(), 2);
    worker.stop().await;
}

#[tokio::test]
async fn a_webinar_recording_reaches_attendees_and_absentees() {
    let env = env().await;
    env.zoom.add_webinar(
        "91234567890",
        vec![
            FakeZoom::registrant("Léa", "Müller", "lea@example.com"),
            FakeZoom::registrant("Tom", "Berg", "tom@example.com"),
        ],
    );
    env.zoom.add_past_webinar(
        "recW==",
        vec![
            session("LEA@example.com", 17),
            session("walk.in@example.com", 9),
        ],
    );
    let worker = env.start();
    env.deliver(
        Provider::Zoom,
        &recording_completed(91_234_567_890, "recW==", 5, None),
    )
    .await;
    env.settle().await;

    let got = recording_events(&env);
    let emails: Vec<&str> = got.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        emails,
        ["lea@example.com", "tom@example.com", "walk.in@example.com"],
        "the absentee Tom too"
    );
    let tom = &got[1].1;
    assert_eq!(tom["share_url"], SHARE_URL);
    assert_eq!(tom["webinar_id"], "91234567890");
    assert!(tom.get("passcode").is_none(), "Zoom gave none");
    assert_eq!(
        env.brevo.contact("tom@example.com").unwrap().attributes["RECORDING_URL"],
        SHARE_URL
    );
    assert!(env.dead(ZOOM).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn a_recording_whose_webhook_never_came_is_caught_up_by_the_sweep() {
    let env = env().await;
    env.zoom.add_webinar(
        "91234567890",
        vec![FakeZoom::registrant("Tom", "Berg", "tom@example.com")],
    );
    env.zoom
        .add_past_webinar("recS==", vec![session("lea@example.com", 17)]);
    let start = Utc::now() - TimeDelta::hours(2);
    env.zoom.add_recording(FakeZoom::recording(
        "recS==",
        91_234_567_890,
        5,
        "Recorded webinar",
        &start.to_rfc3339_opts(SecondsFormat::Secs, true),
        SHARE_URL,
        Some(PASSCODE),
    ));
    let worker = env.start();
    let sweep =
        ZoomSweep::from_settings(&env.settings.connectors.zoom, env.client.clone()).unwrap();
    let every = i64::try_from(sweep.every().as_millis()).unwrap();
    let tick = Utc::now().timestamp_millis() / every;
    sweep.run_tick(tick).await.unwrap();
    env.settle().await;
    sweep.run_tick(tick + 1).await.unwrap();
    env.settle().await;

    let got = recording_events(&env);
    let emails: Vec<&str> = got.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(emails, ["lea@example.com", "tom@example.com"]);
    assert_eq!(got[1].1["passcode"], PASSCODE);
    assert!(env.dead(SYNC).await.is_empty());
    assert!(env.dead(ZOOM).await.is_empty());
    worker.stop().await;
}
