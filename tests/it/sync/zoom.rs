//! `meetflow-admin sync zoom`: the Zoom catch-up over a chosen range, as durable slices on the
//! `sync` queue run by the worker against the fake Zoom API. Meetings, webinars and recordings
//! whose webhook never came are handled as the webhook would have; one whose webhook was handled
//! is left; a dry run changes nothing; a second run changes nothing.

use std::process::{Command, Stdio};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::{SYNC, ZOOM};
use meetflow_tests::fakes::FakeZoom;
use serde_json::Value;

use super::setup::days_ago;
use crate::support::worker::{Env, env};
use crate::worker::webinar::session;
use crate::worker::zoom::meeting_ended;

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `meetflow-admin --config <env's yaml> sync zoom <args> --json`: its JSON summary.
async fn sync(env: &Env, args: &[&str]) -> Value {
    let config = std::env::temp_dir().join(format!("meetflow-zoom-{}.yaml", uuid::Uuid::new_v4()));
    std::fs::write(&config, &env.yaml).unwrap();
    let mut cmd = Command::new(meetflow_tests::binaries::meetflow_binary("admin"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("MEETFLOW_") && k != "MEETFLOW_REQUEST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.arg("--config")
        .arg(&config)
        .args(["sync", "zoom"])
        .args(args)
        .arg("--json")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let _ = std::fs::remove_file(&config);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "sync zoom failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// Three days ago: meeting A (webhook never came), meeting B (webhook handled), a webinar
/// (Léa attended, Tom missed) and its recording.
fn seed(env: &Env) {
    let at = |h: i64| days_ago(3) + TimeDelta::hours(h);
    for (uuid, h) in [("histA==", 10), ("histB==", 12)] {
        env.zoom.add_past_meeting_fixture(uuid);
        env.zoom.add_ended(FakeZoom::report_row(
            uuid,
            85_746_065_432,
            2,
            "Product Demo",
            &iso(at(h)),
            &iso(at(h) + TimeDelta::minutes(32)),
        ));
    }
    env.zoom.add_webinar(
        "91234567890",
        vec![
            FakeZoom::registrant("Léa", "Müller", "lea@example.com"),
            FakeZoom::registrant("Tom", "Berg", "tom@example.com"),
        ],
    );
    env.zoom
        .add_past_webinar("histW==", vec![session("lea@example.com", 17)]);
    env.zoom.add_ended(FakeZoom::report_row(
        "histW==",
        91_234_567_890,
        5,
        "Webinar",
        &iso(at(15)),
        &iso(at(16)),
    ));
    env.zoom.add_recording(FakeZoom::recording(
        "histW==",
        91_234_567_890,
        5,
        "Webinar",
        &iso(at(15)),
        "https://us06web.zoom.us/rec/share/hist",
        None,
    ));
}

fn count(env: &Env, name: &str) -> usize {
    env.brevo
        .events()
        .iter()
        .filter(|e| e.event_name == name)
        .count()
}

#[tokio::test]
async fn sync_zoom_handles_what_no_webhook_brought_and_a_second_run_changes_nothing() {
    let mut env = env().await;
    env.settings.engagement.webinar_missed_list = Some(18);
    env.yaml = env
        .yaml
        .replace("engagement: {", "engagement: { webinar_missed_list: 18,");
    seed(&env);
    let worker = env.start();
    env.deliver(Provider::Zoom, &meeting_ended("histB==", 1_776_792_829_114))
        .await;
    env.settle().await;
    let since = days_ago(5).format("%Y-%m-%d").to_string();
    let until = days_ago(0).format("%Y-%m-%d").to_string();
    let range = ["--since", since.as_str(), "--until", until.as_str()];

    let mut dry = range.to_vec();
    dry.push("--dry-run");
    let plan = sync(&env, &dry).await;
    assert_eq!(plan["synced"], 3, "{plan}");
    assert_eq!(plan["unchanged"], 1, "{plan}");
    let kinds: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["meeting", "webinar", "recording"], "{plan}");
    assert_eq!(
        count(&env, "meeting_attended"),
        2,
        "the dry run changed nothing"
    );

    let first = sync(&env, &range).await;
    assert_eq!(first["slices"], 5, "{first}");
    assert_eq!(
        (&first["meetings"], &first["webinars"], &first["recordings"]),
        (&Value::from(2), &Value::from(1), &Value::from(1)),
        "{first}"
    );
    assert_eq!(first["synced"], 3, "{first}");
    assert_eq!(first["unchanged"], 1, "{first}");
    env.settle().await;
    assert_eq!(
        count(&env, "meeting_attended"),
        5,
        "A's two people, and Léa"
    );
    assert_eq!(env.brevo.list_members(18), ["tom@example.com"]);
    assert_eq!(count(&env, "recording_ready"), 2, "Léa and Tom");

    let brevo_calls = env.brevo.requests().len();
    let participant_reads = env
        .zoom
        .requests()
        .iter()
        .filter(|r| r.path.contains("/participants"))
        .count();
    let second = sync(&env, &range).await;
    assert_eq!(second["synced"], 0, "{second}");
    assert_eq!(second["unchanged"], 4, "{second}");
    assert_ne!(second["run"], first["run"], "a finished run is not resumed");
    env.settle().await;
    assert_eq!(env.brevo.requests().len(), brevo_calls, "nothing sent");
    let reads = env
        .zoom
        .requests()
        .iter()
        .filter(|r| r.path.contains("/participants"))
        .count();
    assert_eq!(reads, participant_reads);
    assert!(env.dead(SYNC).await.is_empty());
    assert!(env.dead(ZOOM).await.is_empty());
    worker.stop().await;
}
