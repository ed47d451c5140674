//! One clock: every lease expiry, reap and promotion is judged by Redis `TIME`, so a worker whose
//! host clock runs ahead (an injected offset) neither steals healthy leases nor runs delayed jobs
//! early.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meetflow_shared::queue::testing::LeaseProbe;
use meetflow_shared::queue::{JobContext, JobError, JobState, NewJob, QueueSettings, now_ms};
use serde_json::json;

use crate::support::queue::{counting, eventually, fast, fixture, spawn};

const AHEAD_MS: i64 = 20_000;

fn ahead() -> QueueSettings {
    QueueSettings {
        clock_offset_ms: AHEAD_MS,
        lease: Duration::from_millis(1000),
        ..fast()
    }
}

#[tokio::test]
async fn a_worker_with_a_clock_ahead_does_not_reap_a_healthy_lease() {
    let f = fixture().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let slow = move |_: serde_json::Value, _: JobContext| {
        let r = r.clone();
        async move {
            r.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(1500)).await;
            Ok::<(), JobError>(())
        }
    };
    let settings = QueueSettings {
        lease: Duration::from_millis(1000),
        ..fast()
    };
    let healthy = spawn(&f.client, "q", settings, slow);
    f.client
        .enqueue("q", NewJob::json(&json!({})).unwrap().with_id("long"))
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            runs.load(Ordering::SeqCst) == 1
        })
        .await
    );
    // A second process, its clock 20 s ahead, only reaps: it must find nothing expired.
    let skewed = LeaseProbe::new(f.client.clone(), "q", ahead(), "skewed");
    assert_eq!(skewed.reap().await.unwrap(), (0, 0));
    assert!(
        eventually(Duration::from_secs(5), || async {
            f.client.job("long").await.unwrap().unwrap().state == JobState::Done
        })
        .await
    );
    healthy.shutdown().await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_worker_with_a_clock_ahead_runs_a_delayed_job_at_its_time_not_before() {
    let f = fixture().await;
    let ran_at = Arc::new(Mutex::new(None));
    let (count, _) = counting();
    let (r, c) = (ran_at.clone(), count.clone());
    let record = move |_: serde_json::Value, _: JobContext| {
        *r.lock().unwrap() = Some(Instant::now());
        c.fetch_add(1, Ordering::SeqCst);
        futures::future::ready(Ok::<(), JobError>(()))
    };
    let enqueued = Instant::now();
    let due = chrono::DateTime::from_timestamp_millis(now_ms() + 1000).unwrap();
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
    let skewed = LeaseProbe::new(f.client.clone(), "q", ahead(), "skewed");
    assert_eq!(skewed.promote().await.unwrap(), 0, "not due by Redis time");
    let worker = spawn(&f.client, "q", ahead(), record);
    assert!(
        eventually(Duration::from_secs(5), || async {
            count.load(Ordering::SeqCst) == 1
        })
        .await
    );
    worker.shutdown().await.unwrap();
    let ran = ran_at.lock().unwrap().unwrap();
    assert!(
        ran.duration_since(enqueued) >= Duration::from_millis(950),
        "ran {:?} after enqueue",
        ran.duration_since(enqueued)
    );
}
