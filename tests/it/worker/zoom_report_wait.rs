//! Zoom's report not ready (issue 15, item 5): right after `meeting.ended` Zoom answers the
//! participants call with `404 {"code":3001}` until its report is ready. Within
//! `connectors.zoom.report_wait` after the end the `zoom` job waits and asks again, spending no
//! attempt and recording no error; once the window has passed a 404 dead-letters it with the
//! reason. (Before, the first 404 dead-lettered the job at once.)

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use meetflow_shared::config::Settings;
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::ZOOM;
use meetflow_tests::fixtures;
use serde_json::{Value, json};

use crate::support::worker::{Env, JORDAN_EMAIL, env, eventually};

const UUID: &str = "rW4n8hQZT3yb6BZ1e3oK1w==";
const JOB_ID: &str = "zoom:ended:rW4n8hQZT3yb6BZ1e3oK1w==";

/// The test settings with `connectors.zoom.report_wait` set to `wait`.
fn with_report_wait(env: &mut Env, wait: &str) {
    let lists =
        "    lists: { meeting_participants: 15, webinar_attendees: 16, webinar_registrants: 17 }\n";
    let yaml = env
        .yaml
        .replacen(lists, &format!("{lists}    report_wait: {wait}\n"), 1);
    assert_ne!(yaml, env.yaml, "report_wait is set in the test settings");
    env.settings = Settings::from_yaml_str(&yaml, &|_| None).unwrap();
    env.yaml = yaml;
}

/// The sample `meeting.ended` of instance [`UUID`], ended `ago` before now.
fn ended(ago: chrono::Duration) -> String {
    let mut v: Value = serde_json::from_str(fixtures::ZOOM_MEETING_ENDED).unwrap();
    let end = Utc::now() - ago;
    v["payload"]["object"]["uuid"] = json!(UUID);
    v["payload"]["object"]["end_time"] = json!(end.to_rfc3339_opts(SecondsFormat::Secs, true));
    v["event_ts"] = json!(end.timestamp_millis());
    v.to_string()
}

fn participant_calls(env: &Env) -> usize {
    env.zoom
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/participants"))
        .count()
}

/// `(attempts, entries in its error history)` of the zoom job.
async fn attempts_and_errors(env: &Env) -> (u32, usize) {
    let keys = env.client.keys();
    let mut conn = env.client.redis();
    let attempts: Option<u32> = redis::cmd("HGET")
        .arg(keys.job(JOB_ID))
        .arg("attempts")
        .query_async(&mut conn)
        .await
        .unwrap();
    let errors: usize = redis::cmd("LLEN")
        .arg(keys.job_errors(JOB_ID))
        .query_async(&mut conn)
        .await
        .unwrap();
    (attempts.unwrap_or(0), errors)
}

#[tokio::test]
async fn a_report_not_ready_is_waited_for_without_spending_attempts() {
    let mut env = env().await;
    with_report_wait(&mut env, "30s");
    env.zoom.add_past_meeting_fixture(UUID);
    env.zoom.report_not_ready_for(3);
    let worker = env.start();
    env.deliver(Provider::Zoom, &ended(chrono::Duration::zero()))
        .await;

    let synced = eventually(Duration::from_secs(15), || async {
        env.brevo.list_members(15).len() == 2
    })
    .await;
    env.settle().await;
    let dead = env.dead(ZOOM).await;
    assert!(
        synced,
        "attendance not recorded; dead letters: {:?}",
        dead.iter()
            .flat_map(|d| d.errors.iter().map(|e| &e.message))
            .collect::<Vec<_>>()
    );
    assert!(dead.is_empty());
    assert_eq!(participant_calls(&env), 4, "three 404s, then the report");
    assert_eq!(
        attempts_and_errors(&env).await,
        (1, 0),
        "the waits spent no attempt and left no error"
    );
    let attended = env
        .brevo
        .events()
        .iter()
        .filter(|e| e.event_name == "meeting_attended" && e.identifiers["email_id"] == JORDAN_EMAIL)
        .count();
    assert_eq!(attended, 1, "attendance recorded once");
    worker.stop().await;
}

#[tokio::test]
async fn a_report_still_missing_after_the_window_is_dead_lettered_with_the_reason() {
    let mut env = env().await;
    with_report_wait(&mut env, "2s");
    // No such instance at the fake: every call is 404 code 3001.
    let worker = env.start();
    env.deliver(Provider::Zoom, &ended(chrono::Duration::zero()))
        .await;

    let dead = eventually(Duration::from_secs(15), || async {
        !env.dead(ZOOM).await.is_empty()
    })
    .await;
    assert!(dead, "the job is not dead-lettered after the window");
    let calls = participant_calls(&env);
    assert!(
        (3..=40).contains(&calls),
        "{calls} participant calls within a 2s window (growing delays expected)"
    );
    let record = env.dead(ZOOM).await.remove(0);
    assert_eq!(record.id, JOB_ID);
    let reason = &record.errors.last().unwrap().message;
    assert!(
        reason.contains("still missing 2s after the end") && reason.contains("3001"),
        "{reason}"
    );
    assert_eq!(
        record.attempts, 1,
        "only the final 404 spent an attempt: {record:?}"
    );
    assert!(env.brevo.list_members(15).is_empty());
    worker.stop().await;
}
