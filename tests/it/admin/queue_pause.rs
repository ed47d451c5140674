//! The kill switch (`queues pause|resume (QUEUE | all)`, `POST /api/queues/{queue}/pause|resume`)
//! against a private Redis and the real queue runtime: a paused queue's worker leases nothing
//! (its jobs wait, none is lost) while other queues run, the pause survives a worker restart,
//! resume runs what waited within a second, `all` stops every queue; exit codes and API auth.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{Duration as ChronoDuration, Utc};
use meetflow_shared::queue::NewJob;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::admin::{Admin, api_post as post, ok};
use crate::support::queue::{counting, enqueue_numbered, eventually, fast, spawn};

/// How long a paused queue is watched for a job that should not run.
const HOLD: Duration = Duration::from_secs(2);

async fn ready_len(a: &Admin, queue: &str) -> u64 {
    let mut conn = a.client.redis();
    redis::cmd("LLEN")
        .arg(a.client.keys().ready(queue))
        .query_async(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_paused_queue_holds_its_jobs_across_a_worker_restart_and_resume_runs_them() {
    let a = Admin::start().await;
    let out = a.cli(&["queues", "pause", "sms"]).await;
    assert!(ok(&out).contains("paused queue \"sms\""), "{out:?}");
    assert!(
        ok(&a.cli(&["queues", "pause", "sms"]).await).contains("already paused"),
        "pausing twice is fine"
    );

    let (sms_runs, sms_handler) = counting();
    let (brevo_runs, brevo_handler) = counting();
    let sms = spawn(&a.client, "sms", fast(), sms_handler.clone());
    let brevo = spawn(&a.client, "brevo", fast(), brevo_handler);
    enqueue_numbered(&a.client, "sms", "s", 3).await;
    enqueue_numbered(&a.client, "brevo", "b", 3).await;

    // A scheduled job (a reminder) that comes due while paused is promoted and waits too.
    let due = NewJob::json(&json!({}))
        .unwrap()
        .with_id("due-while-paused")
        .run_at(Utc::now() + ChronoDuration::milliseconds(300));
    a.client.enqueue("sms", due).await.unwrap();
    assert!(
        eventually(HOLD, || async { brevo_runs.load(Ordering::SeqCst) == 3 }).await,
        "the queue not paused runs its jobs"
    );
    tokio::time::sleep(HOLD).await;
    assert_eq!(sms_runs.load(Ordering::SeqCst), 0, "paused: nothing runs");
    assert_eq!(
        ready_len(&a, "sms").await,
        4,
        "paused: the jobs, and the one that came due, wait in ready"
    );

    // A restarted worker reads the pause from Redis.
    sms.shutdown().await.unwrap();
    let sms = spawn(&a.client, "sms", fast(), sms_handler);
    tokio::time::sleep(HOLD).await;
    assert_eq!(
        sms_runs.load(Ordering::SeqCst),
        0,
        "the pause survives a restart"
    );

    let table = ok(&a.cli(&["queues"]).await);
    let line = table.lines().find(|l| l.starts_with("sms ")).unwrap();
    assert!(line.ends_with("PAUSED"), "{table}");

    let resumed = Instant::now();
    assert!(ok(&a.cli(&["queues", "resume", "sms"]).await).contains("resumed queue \"sms\""));
    assert!(
        eventually(Duration::from_secs(1), || async {
            sms_runs.load(Ordering::SeqCst) == 4
        })
        .await,
        "resume runs what waited within a second"
    );
    eprintln!("resume to all 4 run: {:?}", resumed.elapsed());
    assert!(ok(&a.cli(&["queues", "resume", "sms"]).await).contains("was not paused"));

    // A worker already running and idle honours a new pause at once.
    ok(&a.cli(&["queues", "pause", "sms"]).await);
    enqueue_numbered(&a.client, "sms", "late", 2).await;
    tokio::time::sleep(HOLD).await;
    assert_eq!(
        sms_runs.load(Ordering::SeqCst),
        4,
        "paused again: nothing more runs"
    );
    assert_eq!(ready_len(&a, "sms").await, 2);
    sms.shutdown().await.unwrap();
    brevo.shutdown().await.unwrap();
}

#[tokio::test]
async fn pause_all_stops_every_queue_and_bad_requests_fail_with_a_reason() {
    let a = Admin::start().await;
    ok(&a.cli(&["queues", "pause", "all"]).await);
    let (runs, handler) = counting();
    let sms = spawn(&a.client, "sms", fast(), handler.clone());
    let brevo = spawn(&a.client, "brevo", fast(), handler);
    enqueue_numbered(&a.client, "sms", "s", 2).await;
    enqueue_numbered(&a.client, "brevo", "b", 2).await;
    tokio::time::sleep(HOLD).await;
    assert_eq!(runs.load(Ordering::SeqCst), 0, "all paused: nothing runs");

    let stats: Vec<Value> =
        serde_json::from_str(ok(&a.cli(&["queues", "--json"]).await).trim()).unwrap();
    assert!(stats.iter().all(|s| s["paused"] == true), "{stats:?}");

    let one = a.cli(&["queues", "resume", "sms"]).await;
    assert_eq!(one.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&one.stderr).contains("resume all first"),
        "{one:?}"
    );
    let typo = a.cli(&["queues", "pause", "smss"]).await;
    assert_eq!(typo.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&typo.stderr).contains("unknown queue \"smss\""),
        "{typo:?}"
    );
    assert_eq!(a.cli(&["queues", "pause"]).await.status.code(), Some(2));

    ok(&a.cli(&["queues", "resume", "all"]).await);
    assert!(
        eventually(Duration::from_secs(1), || async {
            runs.load(Ordering::SeqCst) == 4
        })
        .await,
        "resume all runs every queue's waiting jobs within a second"
    );
    sms.shutdown().await.unwrap();
    brevo.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_api_pauses_and_resumes_with_the_admin_token_only() {
    let a = Admin::start().await;
    let s = a.serve(Some("s3cret-token-for-tests")).await;
    let token = Some("s3cret-token-for-tests");
    for t in [None, Some("wrong")] {
        let r = post(&s, "/api/queues/sms/pause", json!({}), t).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{t:?}");
    }
    assert!(!a.client.is_paused("sms").await.unwrap());

    let r = post(&s, "/api/queues/sms/pause", json!({}), token).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"queue": "sms", "paused": true, "changed": true})
    );
    assert!(a.client.is_paused("sms").await.unwrap());
    assert!(!a.client.is_paused("brevo").await.unwrap());

    let r = post(&s, "/api/queues/nosuch/pause", json!({}), token).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = post(&s, "/api/queues/sms/resume", json!({}), token).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!a.client.is_paused("sms").await.unwrap());

    let r = post(&s, "/api/queues/all/pause", json!({}), token).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(a.client.is_paused("brevo").await.unwrap());
    let r = post(&s, "/api/queues/sms/resume", json!({}), token).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = post(&s, "/api/queues/all/resume", json!({}), token).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!a.client.is_paused("brevo").await.unwrap());
}
