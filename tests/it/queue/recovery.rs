//! Queue core under failure: a worker process killed with SIGKILL, a long healthy job, a Redis
//! stall, a Redis kill -9 + AOF restart, Redis gone for good, and graceful shutdown.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meetflow_shared::queue::{JobContext, JobError, JobState, NewJob, QueueError, QueueSettings};
use meetflow_tests::redis::{TestRedis, TestRedisOptions};
use serde_json::json;

use crate::support::queue::{
    enqueue_numbered, eventually, fast, fixture, fixture_with, list, spawn,
};

fn probe(url: &str, lease_ms: u64, sleep_ms: u64) -> Child {
    Command::new(env!("CARGO_BIN_EXE_queue-probe"))
        .args([
            url,
            "qt",
            "q",
            &lease_ms.to_string(),
            &sleep_ms.to_string(),
            "4",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Counts runs per job id in this process.
#[expect(clippy::type_complexity, reason = "a test handler and its run counter")]
fn recorder() -> (
    Arc<Mutex<HashMap<String, u32>>>,
    impl Fn(serde_json::Value, JobContext) -> futures::future::Ready<Result<(), JobError>> + Clone,
) {
    let runs = Arc::new(Mutex::new(HashMap::new()));
    let r = runs.clone();
    (runs, move |_: serde_json::Value, ctx: JobContext| {
        *r.lock().unwrap().entry(ctx.id).or_insert(0) += 1;
        futures::future::ready(Ok(()))
    })
}

#[tokio::test]
async fn a_job_held_by_a_killed_process_runs_elsewhere_within_the_lease() {
    let f = fixture().await;
    let starts = f.client.keys().probe("starts");
    let finishes = f.client.keys().probe("finishes");
    let mut victim = probe(&f.redis.url(), 1500, 60_000);
    f.client
        .enqueue("q", NewJob::json(&json!({})).unwrap().with_id("long"))
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(10), || async {
            list(&f.client, &starts).await.len() == 1
        })
        .await
    );
    victim.kill().unwrap();
    let killed_at = Instant::now();
    victim.wait().unwrap();

    let mut rescuer = probe(&f.redis.url(), 1500, 10);
    assert!(
        eventually(Duration::from_secs(10), || async {
            list(&f.client, &finishes).await.len() == 1
        })
        .await
    );
    let took = killed_at.elapsed();
    // The handler notes its finish before its acknowledgement reaches Redis: wait for that too
    // before killing the rescuer.
    assert!(
        eventually(Duration::from_secs(10), || async {
            f.client.job("long").await.unwrap().map(|j| j.state) == Some(JobState::Done)
        })
        .await,
        "the rescuer acknowledged the job"
    );
    rescuer.kill().unwrap();
    rescuer.wait().unwrap();
    let runs = list(&f.client, &starts).await;
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(
        runs[1].ends_with("|2"),
        "the second run is attempt 2: {runs:?}"
    );
    assert!(
        took < Duration::from_millis(1500 + 2500),
        "recovered after {took:?}"
    );
    let job = f.client.job("long").await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Done);
    assert_eq!(job.errors.len(), 0, "errors are cleared once done");
}

#[tokio::test]
async fn a_healthy_long_job_keeps_its_lease_and_runs_once() {
    let f = fixture().await;
    let starts = f.client.keys().probe("starts");
    let mut a = probe(&f.redis.url(), 600, 2500);
    let mut b = probe(&f.redis.url(), 600, 2500);
    f.client
        .enqueue("q", NewJob::json(&json!({})).unwrap().with_id("slow"))
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(10), || async {
            f.client.job("slow").await.unwrap().map(|j| j.state) == Some(JobState::Done)
        })
        .await
    );
    a.kill().unwrap();
    b.kill().unwrap();
    let _ = (a.wait(), b.wait());
    assert_eq!(
        list(&f.client, &starts).await.len(),
        1,
        "a job four times longer than its lease ran twice"
    );
}

#[tokio::test]
async fn a_redis_stall_makes_workers_wait_not_die_and_nothing_runs_twice() {
    let f = fixture().await;
    let (runs, handler) = recorder();
    let w = spawn(&f.client, "q", fast(), handler);
    enqueue_numbered(&f.client, "q", "a", 50).await;
    let mut conn = f.redis.conn().await.unwrap();
    let stall = tokio::spawn(async move {
        let _: redis::RedisResult<()> = redis::cmd("DEBUG")
            .arg("SLEEP")
            .arg(3)
            .query_async(&mut conn)
            .await;
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    enqueue_numbered(&f.client, "q", "b", 50).await;
    stall.await.unwrap();
    assert!(
        eventually(Duration::from_secs(15), || async {
            runs.lock().unwrap().len() == 100
        })
        .await
    );
    assert!(!w.handle.is_finished(), "the worker died");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        runs.lock().unwrap().values().all(|&n| n == 1),
        "a job ran twice"
    );
    w.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_redis_kill_and_aof_restart_loses_no_job_and_runs_none_twice() {
    let redis = TestRedis::start_with(TestRedisOptions::new().persistent())
        .await
        .unwrap();
    let mut f = fixture_with(redis).await;
    let runs = Arc::new(Mutex::new(HashMap::<String, u32>::new()));
    let r = runs.clone();
    let handler = move |_: serde_json::Value, ctx: JobContext| {
        let r = r.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            *r.lock().unwrap().entry(ctx.id).or_insert(0) += 1;
            Ok(())
        }
    };
    let w = spawn(&f.client, "q", fast(), handler);
    let later = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    for i in 0..200 {
        let mut job = NewJob::json(&json!({})).unwrap().with_id(format!("j{i}"));
        if i % 4 == 0 {
            job = job.run_at(later);
        }
        f.client.enqueue("q", job).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    f.redis.kill9().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    f.redis.restart().await.unwrap();
    for i in 200..250 {
        f.client
            .enqueue(
                "q",
                NewJob::json(&json!({})).unwrap().with_id(format!("j{i}")),
            )
            .await
            .unwrap();
    }
    assert!(
        eventually(Duration::from_secs(20), || async {
            runs.lock().unwrap().len() == 250
        })
        .await,
        "lost jobs: ran {} of 250",
        runs.lock().unwrap().len()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let twice: Vec<_> = runs
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id.clone())
        .collect();
    assert!(twice.is_empty(), "ran twice: {twice:?}");
    assert!(!w.handle.is_finished());
    w.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_worker_that_cannot_reach_redis_gives_up_with_an_error() {
    let mut f = fixture().await;
    let (_runs, handler) = recorder();
    let settings = QueueSettings {
        redis_give_up: Duration::from_secs(2),
        ..fast()
    };
    let w = spawn(&f.client, "q", settings, handler);
    tokio::time::sleep(Duration::from_millis(200)).await;
    f.redis.stop().await.unwrap();
    let result = tokio::time::timeout(Duration::from_secs(15), w.handle)
        .await
        .expect("worker kept running with a dead queue")
        .unwrap();
    assert!(matches!(result, Err(QueueError::GaveUp(_))), "{result:?}");
}

#[tokio::test]
async fn graceful_shutdown_finishes_jobs_in_flight_and_leaves_the_rest_ready() {
    let f = fixture().await;
    let handler = |_: serde_json::Value, _: JobContext| async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        Ok(())
    };
    let settings = QueueSettings {
        concurrency: 2,
        ..fast()
    };
    let w = spawn(&f.client, "q", settings, handler);
    enqueue_numbered(&f.client, "q", "g", 6).await;
    assert!(
        eventually(Duration::from_secs(3), || async {
            f.client.stats("q").await.unwrap().running == 2
        })
        .await
    );
    w.shutdown().await.unwrap();
    let stats = f.client.stats("q").await.unwrap();
    assert_eq!(stats.running, 0, "a lease was left behind");
    assert_eq!(stats.ready, 4);
    let ids: Vec<String> = (0..6).map(|i| format!("g{i}")).collect();
    let done = f
        .client
        .jobs(&ids)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.state == JobState::Done)
        .count();
    assert_eq!(done, 2, "the jobs in flight finished and were acknowledged");
}
