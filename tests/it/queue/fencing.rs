//! Fenced leases: every lease of a job carries its own token, and an outcome (ack, fail, renew)
//! of an older lease is refused, even from the same process. The interleaving is the one a Redis
//! outage produces: the lease expires, the reaper hands the job back, the same process leases it
//! again while the first attempt still runs, and the first attempt's outcome then arrives late.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use meetflow_shared::queue::testing::LeaseProbe;
use meetflow_shared::queue::{
    ErrorClass, JobContext, JobError, JobState, NewJob, QueueSettings, process_identity,
};
use serde_json::json;
use tokio::sync::Notify;

use crate::support::queue::{eventually, fast, fixture, spawn};

fn short_lease() -> QueueSettings {
    QueueSettings {
        lease: Duration::from_millis(150),
        ..fast()
    }
}

#[tokio::test]
async fn a_late_outcome_of_an_expired_lease_is_refused_and_the_new_lease_acks() {
    let f = fixture().await;
    f.client
        .enqueue("q", NewJob::json(&json!({})).unwrap().with_id("j"))
        .await
        .unwrap();
    let me = LeaseProbe::new(f.client.clone(), "q", short_lease(), process_identity());

    let first = me.lease(1).await.unwrap().pop().unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        me.reap().await.unwrap(),
        (1, 0),
        "the expired lease is handed back"
    );
    // Late, before the job is leased again: refused.
    assert_eq!(me.ack(std::slice::from_ref(&first)).await.unwrap(), 0);

    let second = me.lease(1).await.unwrap().pop().unwrap();
    assert_eq!((second.id.as_str(), second.attempt), ("j", 2));
    let late = JobError::retry(ErrorClass::Internal, "first attempt's late failure");
    assert_eq!(me.fail(&first, &late).await.unwrap(), "stale");
    assert_eq!(me.ack(std::slice::from_ref(&first)).await.unwrap(), 0);
    assert_eq!(
        me.renew(std::slice::from_ref(&first)).await.unwrap(),
        vec!["j".to_owned()],
        "renewing the old lease reports it lost"
    );
    assert!(
        me.renew(std::slice::from_ref(&second))
            .await
            .unwrap()
            .is_empty()
    );

    let job = f.client.job("j").await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Running);
    assert!(
        job.errors.iter().all(|e| e.message != late.message()),
        "{:?}",
        job.errors
    );
    assert_eq!(me.ack(std::slice::from_ref(&second)).await.unwrap(), 1);
    let job = f.client.job("j").await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Done);
}

/// A real worker, a frozen Redis (SIGSTOP) longer than the lease: when Redis comes back the
/// lease has expired, the worker's own reaper hands the job back and the same worker leases it
/// again while the first attempt still runs. The first attempt then fails late; that outcome is
/// refused, the second attempt's lease stays renewed past its length, and its ack finishes the
/// job: two runs, no third.
#[tokio::test]
async fn a_paused_redis_makes_the_same_worker_lease_again_and_only_the_new_lease_counts() {
    let f = fixture().await;
    let settings = QueueSettings {
        lease: Duration::from_millis(1000),
        concurrency: 4,
        ..fast()
    };
    let runs = Arc::new(AtomicUsize::new(0));
    let first_done = Arc::new(AtomicBool::new(false));
    let release_first = Arc::new(Notify::new());
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let handler = {
        let (runs, first_done, release_first, attempts) = (
            runs.clone(),
            first_done.clone(),
            release_first.clone(),
            attempts.clone(),
        );
        move |_: serde_json::Value, ctx: JobContext| {
            let (runs, first_done, release_first, attempts) = (
                runs.clone(),
                first_done.clone(),
                release_first.clone(),
                attempts.clone(),
            );
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                attempts.lock().unwrap().push(ctx.attempt);
                if ctx.attempt == 1 {
                    release_first.notified().await;
                    first_done.store(true, Ordering::SeqCst);
                    return Err(JobError::retry(ErrorClass::Internal, "late failure"));
                }
                while !first_done.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                // Outlive the lease: only renewals keep it.
                tokio::time::sleep(Duration::from_millis(1600)).await;
                Ok(())
            }
        }
    };
    let worker = spawn(&f.client, "q", settings, handler);
    f.client
        .enqueue("q", NewJob::json(&json!({})).unwrap().with_id("j"))
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            runs.load(Ordering::SeqCst) == 1
        })
        .await
    );
    f.redis.pause().unwrap();
    tokio::time::sleep(Duration::from_millis(1600)).await;
    f.redis.resume().unwrap();
    assert!(
        eventually(Duration::from_secs(8), || async {
            runs.load(Ordering::SeqCst) == 2
        })
        .await,
        "the same worker leases the job again"
    );
    release_first.notify_one();
    assert!(
        eventually(Duration::from_secs(10), || async {
            f.client.job("j").await.unwrap().unwrap().state == JobState::Done
        })
        .await,
        "the second attempt's ack finishes the job: {:?}",
        f.client.job("j").await.unwrap()
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    worker.shutdown().await.unwrap();
    assert_eq!(*attempts.lock().unwrap(), vec![1, 2]);
    let job = f.client.job("j").await.unwrap().unwrap();
    assert!(
        job.errors.iter().all(|e| e.message != "late failure"),
        "{:?}",
        job.errors
    );
}
