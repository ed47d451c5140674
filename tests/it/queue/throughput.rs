//! Queue core at speed: an idle worker picks a job up within milliseconds (no polling lag), and a
//! backlog of 100,000 due delayed jobs drains without an error or a dead worker.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use meetflow_shared::queue::{NewJob, QueueSettings};
use serde_json::json;

use crate::support::queue::{counting, eventually, fast, fixture, spawn};

#[tokio::test]
async fn an_idle_worker_starts_a_new_job_within_50ms_p99() {
    let f = fixture().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let handler = move |_: serde_json::Value, _: meetflow_shared::queue::JobContext| {
        let _ = tx.send(Instant::now());
        futures::future::ready(Ok(()))
    };
    let w = spawn(&f.client, "q", fast(), handler);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut lags = Vec::new();
    for i in 0..100 {
        // Let the worker go idle (blocked on its wake list) before each job.
        tokio::time::sleep(Duration::from_millis(if i % 10 == 0 { 1100 } else { 15 })).await;
        let sent = Instant::now();
        f.client
            .enqueue("q", NewJob::json(&json!({})).unwrap())
            .await
            .unwrap();
        let started = tokio::time::timeout(Duration::from_secs(2), rx.recv())
            .await
            .unwrap()
            .unwrap();
        lags.push(started - sent);
    }
    lags.sort();
    let p99 = lags[98];
    println!(
        "enqueue-to-start: p50 {:?}, p99 {:?}, max {:?}",
        lags[50], p99, lags[99]
    );
    assert!(p99 < Duration::from_millis(50), "p99 {p99:?}");
    w.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_backlog_of_100k_due_jobs_drains_without_errors() {
    let f = fixture().await;
    // Far enough ahead that enqueueing 100,000 jobs on a busy machine finishes first.
    let due = chrono::Utc::now() + chrono::Duration::milliseconds(8000);
    for batch in 0..100 {
        let jobs = (0..1000)
            .map(|i| {
                NewJob::raw("{}".into())
                    .with_id(format!("b{batch}-{i}"))
                    .run_at(due)
            })
            .collect();
        f.client.enqueue_many("q", jobs).await.unwrap();
    }
    let s = f.client.stats("q").await.unwrap();
    assert_eq!(s.delayed + s.ready, 100_000);
    assert!(
        s.delayed > 50_000,
        "most jobs wait in the delayed set: {s:?}"
    );
    let (runs, handler) = counting();
    let w = spawn(
        &f.client,
        "q",
        QueueSettings {
            concurrency: 100,
            ..fast()
        },
        handler,
    );
    let started = Instant::now();
    let drained = eventually(Duration::from_secs(120), || async {
        runs.load(Ordering::SeqCst) >= 100_000
    })
    .await;
    assert!(
        drained,
        "only {} of 100000 ran",
        runs.load(Ordering::SeqCst)
    );
    println!("drained 100k due jobs in {:?}", started.elapsed());
    assert!(!w.handle.is_finished());
    w.shutdown().await.unwrap();
    let s = f.client.stats("q").await.unwrap();
    assert_eq!((s.ready, s.delayed, s.running, s.dead), (0, 0, 0, 0));
}
