//! Worker: Zoom events. `meeting.ended` reads every participant page (Server-to-Server token
//! cached in Redis, refreshed on a 401), sums the sessions of each person and syncs them onto the
//! participants list; guests without an e-mail are skipped. Webinar joins and registrations go to
//! their lists; a recording's share URL reaches the contacts who booked that meeting.

use chrono::Utc;
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::ZOOM;
use meetflow_tests::fakes::FakeZoom;
use meetflow_tests::fixtures;
use serde_json::{Value, json};

use crate::support::worker::{JORDAN_EMAIL, created, env, in_two_days, new_invitee};

const FIXTURE_UUID: &str = "qS3M9hQZT3yb6BZ1e3oK1w==";

/// `meeting.ended` (the fixture) of instance `uuid`, delivered at `ts`.
pub(crate) fn meeting_ended(uuid: &str, ts: i64) -> String {
    instance_ended(fixtures::ZOOM_MEETING_ENDED, uuid, ts)
}

/// A `*.ended` body with its instance `uuid` and `event_ts` replaced.
pub(crate) fn instance_ended(body: &str, uuid: &str, ts: i64) -> String {
    let mut v: Value = serde_json::from_str(body).unwrap();
    v["payload"]["object"]["uuid"] = json!(uuid);
    v["event_ts"] = json!(ts);
    v.to_string()
}

fn participant_gets(env: &crate::support::worker::Env) -> usize {
    env.zoom
        .requests()
        .iter()
        .filter(|r| r.path.contains("/participants"))
        .count()
}

#[tokio::test]
async fn meeting_ended_syncs_each_participant_once_with_summed_attendance() {
    let env = env().await;
    env.zoom.add_past_meeting_fixture(FIXTURE_UUID);
    let worker = env.start();
    // Jordan booked this meeting through Calendly (the fixture's Zoom location).
    let (uri, _) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    env.settle().await;
    env.deliver(Provider::Zoom, fixtures::ZOOM_MEETING_ENDED)
        .await;
    env.settle().await;

    let members = env.brevo.list_members(15);
    assert_eq!(members.len(), 2, "{members:?}");
    let j = env.brevo.contact(JORDAN_EMAIL).unwrap();
    assert_eq!(j.attributes["ATTENDANCE_STATUS"], "attended");
    assert_eq!(j.attributes["ATTENDANCE_MINUTES"], 27, "675 s + 945 s");
    assert_eq!(j.attributes["JOIN_TIME"], "2026-04-21T17:02:47Z");
    let m = env.brevo.contact("maya.chen@example.com").unwrap();
    assert_eq!(m.attributes["ATTENDANCE_MINUTES"], 33);
    let events: Vec<(String, String)> = env
        .brevo
        .events()
        .iter()
        .map(|e| {
            (
                e.event_name.clone(),
                e.identifiers["email_id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        events.contains(&("meeting_ended".into(), JORDAN_EMAIL.into())),
        "{events:?}"
    );
    assert!(events.contains(&("meeting_attended".into(), JORDAN_EMAIL.into())));
    assert!(events.contains(&("meeting_attended".into(), "maya.chen@example.com".into())));
    assert!(env.dead(ZOOM).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn every_page_is_read_and_guests_without_email_are_skipped() {
    let env = env().await;
    let uuid = "/gyQ0iJUT//qdr7Ft1cSm0w==";
    let mut rows: Vec<Value> = (0..305)
        .map(|i| {
            FakeZoom::participant(
                &format!("P{i}"),
                &format!("p{i}@example.com"),
                "2026-04-21T17:00:00Z",
                "2026-04-21T17:10:00Z",
            )
        })
        .collect();
    for i in 0..5 {
        rows.push(FakeZoom::participant(
            &format!("Guest {i}"),
            "",
            "2026-04-21T17:00:00Z",
            "2026-04-21T17:01:00Z",
        ));
    }
    env.zoom.add_past_meeting(uuid, rows);
    let worker = env.start();
    env.deliver(Provider::Zoom, &meeting_ended(uuid, 1_776_792_828_907))
        .await;
    env.settle().await;
    assert_eq!(participant_gets(&env), 2, "310 rows at 300 per page");
    assert_eq!(env.brevo.list_members(15).len(), 305);
    assert_eq!(
        env.brevo.contact("p304@example.com").unwrap().attributes["ATTENDANCE_MINUTES"],
        10
    );
    worker.stop().await;
}

#[tokio::test]
async fn the_token_is_cached_in_redis_and_refreshed_after_a_401() {
    let env = env().await;
    for u in ["m1==", "m2==", "m3=="] {
        env.zoom.add_past_meeting(
            u,
            vec![FakeZoom::participant(
                "A",
                "a@example.com",
                "2026-04-21T17:00:00Z",
                "2026-04-21T17:05:00Z",
            )],
        );
    }
    let worker = env.start();
    env.deliver(Provider::Zoom, &meeting_ended("m1==", 1)).await;
    env.settle().await;
    env.deliver(Provider::Zoom, &meeting_ended("m2==", 2)).await;
    env.settle().await;
    assert_eq!(env.zoom.token_requests(), 1, "one token for both meetings");
    let cached = env.get(&env.client.keys().zoom_token()).await;
    assert!(
        cached.is_some(),
        "the token lives in Redis, shared by every worker"
    );

    env.zoom.revoke_all_tokens();
    env.deliver(Provider::Zoom, &meeting_ended("m3==", 3)).await;
    env.settle().await;
    assert_eq!(env.zoom.token_requests(), 2, "refreshed after the 401");
    assert_ne!(env.get(&env.client.keys().zoom_token()).await, cached);
    assert!(env.dead(ZOOM).await.is_empty());
    assert_eq!(participant_gets(&env), 4, "m1, m2, m3 (401), m3 again");
    worker.stop().await;
}

#[tokio::test]
async fn webinar_attendees_and_registrants_go_to_their_lists() {
    let env = env().await;
    let worker = env.start();
    let mut joined: Value = serde_json::from_str(fixtures::ZOOM_PARTICIPANT_JOINED).unwrap();
    joined["event"] = json!("webinar.participant_joined");
    joined["payload"]["object"]["type"] = json!(5);
    env.deliver(Provider::Zoom, &joined.to_string()).await;
    let registered = json!({
        "event": "webinar.registration_created", "event_ts": Utc::now().timestamp_millis(),
        "payload": { "account_id": "Xq7bL2mRTy6nW0pK4sUe9A", "object": {
            "uuid": "w1==", "id": 91234567890_i64, "host_id": "h", "topic": "Webinar", "type": 5,
            "start_time": "2026-05-01T16:00:00Z", "duration": 60, "timezone": "UTC",
            "registrant": { "id": "r1", "first_name": "Łukasz", "last_name": "Żółć", "email": "lukasz@example.com", "status": "approved", "join_url": "https://zoom.us/w/1" }
        } }
    });
    env.deliver(Provider::Zoom, &registered.to_string()).await;
    env.settle().await;
    assert_eq!(env.brevo.list_members(16), [JORDAN_EMAIL]);
    assert_eq!(env.brevo.list_members(17), ["lukasz@example.com"]);
    assert_eq!(
        env.brevo.contact("lukasz@example.com").unwrap().attributes["FIRSTNAME"],
        "Łukasz"
    );
    assert_eq!(
        env.brevo.contact("lukasz@example.com").unwrap().attributes["LASTNAME"],
        "Żółć"
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_recording_reaches_the_contacts_who_booked_the_meeting() {
    let env = env().await;
    let worker = env.start();
    let (uri, _) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    env.settle().await;
    let recording = json!({
        "event": "recording.completed", "event_ts": 1_776_795_000_000_i64, "download_token": "secret",
        "payload": { "account_id": "Xq7bL2mRTy6nW0pK4sUe9A", "object": {
            "id": 85746065432_i64, "uuid": FIXTURE_UUID, "host_id": "h", "topic": "Product Demo",
            "share_url": "https://us06web.zoom.us/rec/share/abc", "recording_files": []
        } }
    });
    env.deliver(Provider::Zoom, &recording.to_string()).await;
    let unknown = json!({
        "event": "recording.completed", "event_ts": 1_776_795_000_001_i64,
        "payload": { "object": { "id": 11111111111_i64, "uuid": "zz==", "share_url": "https://x/rec" } }
    });
    env.deliver(Provider::Zoom, &unknown.to_string()).await;
    env.settle().await;
    let c = env.brevo.contact(JORDAN_EMAIL).unwrap();
    assert_eq!(
        c.attributes["RECORDING_URL"],
        "https://us06web.zoom.us/rec/share/abc"
    );
    assert_eq!(env.brevo.contacts().len(), 1);
    worker.stop().await;
}
