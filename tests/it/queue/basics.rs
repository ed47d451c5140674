//! Queue core: enqueue and dedupe by id, delayed jobs, cancel by id and group, retention of
//! finished jobs, and the key namespace.

use std::time::Duration;

use meetflow_shared::queue::{Enqueued, JobState, NewJob};
use serde_json::json;

use crate::support::queue::{counting, eventually, fast, fixture, spawn};

#[tokio::test]
async fn enqueueing_an_existing_id_is_a_noop_that_says_so() {
    let f = fixture().await;
    let first = f
        .client
        .enqueue("q", NewJob::json(&json!({"n": 1})).unwrap().with_id("a"))
        .await
        .unwrap();
    let again = f
        .client
        .enqueue("q", NewJob::json(&json!({"n": 2})).unwrap().with_id("a"))
        .await
        .unwrap();
    assert_eq!(first, Enqueued::Created { id: "a".into() });
    assert_eq!(again, Enqueued::Duplicate { id: "a".into() });
    let job = f.client.job("a").await.unwrap().unwrap();
    assert_eq!(job.payload.as_deref(), Some(r#"{"n":1}"#));
    assert_eq!(f.client.stats("q").await.unwrap().ready, 1);
}

#[tokio::test]
async fn a_finished_id_keeps_deduplicating_for_its_retention_then_is_gone() {
    let f = fixture().await;
    let (runs, handler) = counting();
    let w = spawn(&f.client, "q", fast(), handler);
    let job = NewJob::json(&json!({}))
        .unwrap()
        .with_id("done-1")
        .retain(Duration::from_millis(800));
    f.client.enqueue("q", job.clone()).await.unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            f.client.job("done-1").await.unwrap().map(|j| j.state) == Some(JobState::Done)
        })
        .await
    );
    let record = f.client.job("done-1").await.unwrap().unwrap();
    assert_eq!(record.payload, None, "a finished job keeps no payload");
    assert!(
        !f.client
            .enqueue("q", job.clone())
            .await
            .unwrap()
            .is_created()
    );
    assert!(
        eventually(Duration::from_secs(3), || async {
            f.client.job("done-1").await.unwrap().is_none()
        })
        .await
    );
    assert!(f.client.enqueue("q", job).await.unwrap().is_created());
    assert!(
        eventually(Duration::from_secs(5), || async {
            runs.load(std::sync::atomic::Ordering::SeqCst) == 2
        })
        .await
    );
    w.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_delayed_job_runs_at_its_time_not_before() {
    let f = fixture().await;
    let (runs, handler) = counting();
    let w = spawn(&f.client, "q", fast(), handler);
    let due = chrono::Utc::now() + chrono::Duration::milliseconds(700);
    f.client
        .enqueue(
            "q",
            NewJob::json(&json!({}))
                .unwrap()
                .with_id("later")
                .run_at(due),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        runs.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "ran before its time"
    );
    assert_eq!(f.client.stats("q").await.unwrap().delayed, 1);
    assert!(
        eventually(Duration::from_secs(3), || async {
            runs.load(std::sync::atomic::Ordering::SeqCst) == 1
        })
        .await
    );
    w.shutdown().await.unwrap();
}

#[tokio::test]
async fn pending_jobs_can_be_cancelled_by_id_and_by_group() {
    let f = fixture().await;
    let later = chrono::Utc::now() + chrono::Duration::hours(24);
    for kind in ["24h", "1h", "follow-up"] {
        let job = NewJob::json(&json!({}))
            .unwrap()
            .with_id(format!("rem:b1:{kind}"))
            .run_at(later)
            .group("booking:b1");
        f.client.enqueue("sms", job).await.unwrap();
    }
    f.client
        .enqueue(
            "sms",
            NewJob::json(&json!({}))
                .unwrap()
                .with_id("rem:b2:24h")
                .run_at(later)
                .group("booking:b2"),
        )
        .await
        .unwrap();
    f.client
        .enqueue("sms", NewJob::json(&json!({})).unwrap().with_id("now-1"))
        .await
        .unwrap();

    assert!(f.client.cancel("now-1").await.unwrap());
    assert!(
        !f.client.cancel("now-1").await.unwrap(),
        "second cancel finds nothing"
    );
    assert_eq!(f.client.cancel_group("booking:b1").await.unwrap(), 3);
    assert_eq!(f.client.cancel_group("booking:b1").await.unwrap(), 0);

    let stats = f.client.stats("sms").await.unwrap();
    assert_eq!((stats.ready, stats.delayed), (0, 1));
    assert!(f.client.job("rem:b1:1h").await.unwrap().is_none());
    assert!(f.client.job("rem:b2:24h").await.unwrap().is_some());
}

#[tokio::test]
async fn every_key_lives_under_the_namespace_hash_tags() {
    let f = fixture().await;
    let (_runs, handler) = counting();
    let w = spawn(&f.client, "q", fast(), handler);
    f.client
        .enqueue("q", NewJob::json(&json!({})).unwrap())
        .await
        .unwrap();
    f.client
        .enqueue(
            "q",
            NewJob::json(&json!({}))
                .unwrap()
                .run_at(chrono::Utc::now() + chrono::Duration::hours(1)),
        )
        .await
        .unwrap();
    f.client
        .bury(
            "q",
            NewJob::raw("not json".into()),
            meetflow_shared::queue::ErrorClass::BadPayload,
            "bad",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut conn = f.redis.conn().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    let ns = meetflow_shared::redis::Keys::new("qt");
    for k in &keys {
        assert!(ns.owns(k), "key outside the namespace: {k}");
        // The queue's keys share `{qt}`; the worker's heartbeat writes the process registry,
        // the one family with its own tag that this test touches.
        let tag = meetflow_shared::redis::hash_tag(k);
        assert!(tag == "qt" || tag == "qt:proc", "{k}");
    }
    assert!(keys.iter().any(|k| k.starts_with(&ns.job(""))));
    w.shutdown().await.unwrap();
}
