//! Worker: every job's payload version is checked once, for all queues, before its handler runs.
//! A version this build does not read goes to the dead letters as `bad_payload`, unsent; a
//! reminder queued by a build that wrote no version is read as version 1 and still goes out.

use meetflow_shared::events::Provider;
use meetflow_shared::jobs::{BREVO, SMS};
use meetflow_shared::queue::NewJob;
use serde_json::{Value, json};

use crate::support::worker::{
    JORDAN_PHONE, created, env, in_two_days, jordans_24h_reminder, new_invitee,
};

#[tokio::test]
async fn unknown_payload_versions_dead_letter_and_unversioned_reminders_still_send() {
    let env = env().await;
    let worker = env.start();
    let (uri, key) = new_invitee();
    let start = in_two_days();
    env.deliver(Provider::Calendly, &created(&uri, start)).await;
    env.settle().await;
    let reminder = jordans_24h_reminder(&key, &uri, start, chrono::Utc::now());

    // A reminder written before payloads had a version: no `v`.
    let mut unversioned = serde_json::to_value(&reminder).unwrap();
    unversioned.as_object_mut().unwrap().remove("v");
    env.client
        .enqueue(
            SMS,
            NewJob::json(&unversioned)
                .unwrap()
                .with_id(&reminder.reminder_id),
        )
        .await
        .unwrap();
    // A reminder and a Brevo call from a newer build.
    let mut newer = serde_json::to_value(&reminder).unwrap();
    newer["v"] = json!(2);
    newer["reminder_id"] = json!(format!("rem:{key}:1h"));
    newer["kind"] = json!("1h");
    env.client
        .enqueue(
            SMS,
            NewJob::json(&newer)
                .unwrap()
                .with_id(format!("rem:{key}:1h")),
        )
        .await
        .unwrap();
    let brevo =
        json!({"v": 2, "op": {"kind": "track_event", "event_name": "x", "email": "a@example.com"}});
    env.client
        .enqueue(
            BREVO,
            NewJob::json(&brevo).unwrap().with_id("brevo:event:x:v2"),
        )
        .await
        .unwrap();
    env.settle().await;

    let kinds: Vec<Value> = env
        .engagelab
        .sent_to(JORDAN_PHONE)
        .iter()
        .map(|s| s.custom_args.as_ref().unwrap()["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("confirmation"), json!("rem-24h")]);
    for (queue, name) in [(SMS, "reminder job"), (BREVO, "brevo job")] {
        let dead = env.dead(queue).await;
        assert_eq!(dead.len(), 1, "{queue}: {dead:?}");
        let e = dead[0].errors.last().unwrap();
        assert_eq!(e.class, "bad_payload");
        assert_eq!(
            e.message,
            format!("{name} payload version 2 is not supported (this build reads up to version 1)")
        );
    }
    worker.stop().await;
}
