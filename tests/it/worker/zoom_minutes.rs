//! Worker: the lead signal. `TOTAL_ATTENDANCE_MINUTES` sums each contact's meetings and
//! webinars, each instance once however often it is processed, and is read from Redis when the
//! Brevo write runs, so an instance recorded meanwhile is written too.

use std::time::Duration;

use meetflow_shared::events::Provider;
use meetflow_shared::jobs::zoom::{MeetingEnded, ZoomJob, ZoomOp};
use meetflow_tests::fakes::FakeZoom;

use crate::support::worker::{Env, env, eventually};
use crate::worker::webinar::{
    WEBINAR_ENDED, WEBINAR_ID, WEBINAR_UUID, attr, enqueue_zoom, gets, session,
};
use crate::worker::zoom::meeting_ended;

#[tokio::test]
async fn total_minutes_sum_two_meetings_and_a_webinar_of_one_contact() {
    let env = env().await;
    let jo = "jo@example.com";
    env.zoom.add_past_meeting("m1==", vec![session(jo, 10)]);
    env.zoom
        .add_past_meeting("m2==", vec![session(jo, 5), session("JO@example.com", 15)]);
    env.zoom
        .add_webinar(WEBINAR_ID, vec![FakeZoom::registrant("Jo", "", jo)]);
    env.zoom
        .add_past_webinar(WEBINAR_UUID, vec![session(jo, 30)]);
    let worker = env.start();
    env.deliver(Provider::Zoom, &meeting_ended("m1==", 1)).await;
    env.settle().await;
    assert_eq!(attr(&env, jo, "TOTAL_ATTENDANCE_MINUTES"), 10);

    // The second meeting and the webinar are processed at the same time.
    env.deliver(Provider::Zoom, &meeting_ended("m2==", 2)).await;
    env.deliver(Provider::Zoom, WEBINAR_ENDED).await;
    env.settle().await;

    assert_eq!(attr(&env, jo, "TOTAL_ATTENDANCE_MINUTES"), 60);
    let session_minutes = attr(&env, jo, "ATTENDANCE_MINUTES");
    assert!(
        session_minutes == 20 || session_minutes == 30,
        "{session_minutes}"
    );
    let fields = minutes_fields(&env).await;
    assert_eq!(
        fields,
        [
            ("meeting:m1==".into(), 10),
            ("meeting:m2==".into(), 20),
            (format!("webinar:{WEBINAR_UUID}"), 30)
        ]
    );
    worker.stop().await;
}

#[tokio::test]
async fn the_same_meeting_processed_twice_counts_once() {
    let env = env().await;
    let jo = "jo@example.com";
    env.zoom.add_past_meeting("m1==", vec![session(jo, 10)]);
    env.zoom.add_past_meeting("m2==", vec![session(jo, 5)]);
    let worker = env.start();
    env.deliver(Provider::Zoom, &meeting_ended("m1==", 1)).await;
    env.settle().await;
    // The look-up of m1 runs again (as after its de-duplication window).
    let again = ZoomJob {
        v: ZoomJob::VERSION,
        op: ZoomOp::MeetingEnded(MeetingEnded {
            meeting_uuid: "m1==".into(),
            meeting_id: None,
            topic: None,
            start_time: None,
            end_time: None,
        }),
    };
    enqueue_zoom(&env, &again, "zoom:ended:m1==:again").await;
    env.settle().await;
    assert_eq!(gets(&env, "/past_meetings/m1"), 2, "m1 was read twice");
    env.deliver(Provider::Zoom, &meeting_ended("m2==", 2)).await;
    env.settle().await;

    assert_eq!(attr(&env, jo, "TOTAL_ATTENDANCE_MINUTES"), 15);
    assert_eq!(attr(&env, jo, "ATTENDANCE_MINUTES"), 5);
    assert_eq!(minutes_fields(&env).await.len(), 2);
    worker.stop().await;
}

#[tokio::test]
async fn minutes_added_while_the_total_is_written_are_written_again() {
    let env = env().await;
    let jo = "jo@example.com";
    env.zoom.add_past_meeting("m1==", vec![session(jo, 10)]);
    env.brevo.set_latency(Duration::from_millis(600));
    let worker = env.start();
    env.deliver(Provider::Zoom, &meeting_ended("m1==", 1)).await;
    let writing = eventually(Duration::from_secs(10), || async {
        !total_writes(&env).is_empty()
    })
    .await;
    assert!(writing);
    // Another instance's minutes land while the first write is in flight (its own sync is
    // late): the running sync must not leave 10 in Brevo.
    let key = minutes_key(&env).await;
    let mut conn = env.client.redis();
    redis::cmd("HSET")
        .arg(&key)
        .arg("webinar:late==")
        .arg(7)
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
    env.settle().await;

    assert_eq!(total_writes(&env), [10, 17]);
    assert_eq!(attr(&env, jo, "TOTAL_ATTENDANCE_MINUTES"), 17);
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 399 * 24 * 3600, "{ttl}");
    worker.stop().await;
}

/// `TOTAL_ATTENDANCE_MINUTES` of every contact write Brevo received, in order.
fn total_writes(env: &Env) -> Vec<i64> {
    env.brevo
        .requests()
        .iter()
        .filter_map(|r| r.json.as_ref()?["attributes"]["TOTAL_ATTENDANCE_MINUTES"].as_i64())
        .collect()
}

/// The only minutes HASH in the test's namespace.
async fn minutes_key(env: &Env) -> String {
    let mut conn = env.client.redis();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(env.client.keys().attendance_minutes("*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    keys[0].clone()
}

/// The fields of the only minutes HASH, sorted.
async fn minutes_fields(env: &Env) -> Vec<(String, i64)> {
    let key = minutes_key(env).await;
    let mut conn = env.client.redis();
    let mut fields: Vec<(String, i64)> = redis::cmd("HGETALL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    fields.sort();
    fields
}
