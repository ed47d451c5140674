//! Queue core: retries with backoff, provider hints, rate limits that do not spend attempts,
//! permanent failures, stored attempt errors, and the dead-letter store.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use meetflow_shared::queue::{ErrorClass, JobContext, JobError, JobState, NewJob, QueueSettings};
use serde_json::json;

use crate::support::queue::{enqueue_numbered, eventually, fast, fixture, spawn};

#[expect(clippy::type_complexity, reason = "a test handler and its run counter")]
fn failing(
    class: ErrorClass,
) -> (
    Arc<AtomicUsize>,
    impl Fn(serde_json::Value, JobContext) -> futures::future::Ready<Result<(), JobError>> + Clone,
) {
    let n = Arc::new(AtomicUsize::new(0));
    let c = n.clone();
    (n, move |_: serde_json::Value, _: JobContext| {
        c.fetch_add(1, Ordering::SeqCst);
        futures::future::ready(Err(JobError::retry(class, "provider answered 503")))
    })
}

#[tokio::test]
async fn a_failing_job_is_retried_max_attempts_times_then_dead_with_every_error() {
    let f = fixture().await;
    let (runs, handler) = failing(ErrorClass::ProviderServer);
    let w = spawn(&f.client, "q", fast(), handler);
    f.client
        .enqueue("q", NewJob::json(&json!({})).unwrap().with_id("j"))
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(10), || async {
            f.client.job("j").await.unwrap().map(|j| j.state) == Some(JobState::Dead)
        })
        .await
    );
    let job = f.client.job("j").await.unwrap().unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 4, "max_attempts = 4");
    assert_eq!(job.attempts, 4);
    assert_eq!(job.errors.len(), 4);
    assert!(
        job.errors
            .iter()
            .all(|e| e.class == "provider_server" && e.message.contains("503"))
    );
    assert_eq!(
        job.errors.iter().map(|e| e.attempt).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(f.client.dead_letters().count(Some("q")).await.unwrap(), 1);
    w.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_permanent_error_goes_to_the_dead_letters_at_once() {
    let f = fixture().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let c = runs.clone();
    let handler = move |_: serde_json::Value, _: JobContext| {
        c.fetch_add(1, Ordering::SeqCst);
        futures::future::ready(Err(JobError::permanent(
            ErrorClass::Config,
            "4001 template not found",
        )))
    };
    let w = spawn(&f.client, "q", fast(), handler);
    f.client
        .enqueue("q", NewJob::json(&json!({})).unwrap().with_id("p"))
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            f.client.job("p").await.unwrap().map(|j| j.state) == Some(JobState::Dead)
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    w.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_payload_that_does_not_decode_is_dead_lettered_as_bad_payload() {
    #[derive(serde::Deserialize)]
    struct Expected {
        #[allow(dead_code)]
        phone: String,
    }
    let f = fixture().await;
    let w = spawn(&f.client, "q", fast(), |_: Expected, _: JobContext| async {
        Ok(())
    });
    f.client
        .enqueue(
            "q",
            NewJob::json(&json!({"nope": 1})).unwrap().with_id("bad"),
        )
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            f.client.job("bad").await.unwrap().map(|j| j.state) == Some(JobState::Dead)
        })
        .await
    );
    assert_eq!(
        f.client.job("bad").await.unwrap().unwrap().errors[0].class,
        "bad_payload"
    );
    w.shutdown().await.unwrap();
}

#[tokio::test]
async fn rate_limits_wait_for_the_hint_without_spending_attempts() {
    let f = fixture().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let c = runs.clone();
    let handler = move |_: serde_json::Value, _: JobContext| {
        let n = c.fetch_add(1, Ordering::SeqCst);
        futures::future::ready(if n < 5 {
            Err(JobError::rate_limited("429", Duration::from_millis(100)))
        } else {
            Ok(())
        })
    };
    let settings = QueueSettings {
        max_attempts: 2,
        ..fast()
    };
    let w = spawn(&f.client, "q", settings, handler);
    f.client
        .enqueue("q", NewJob::json(&json!({})).unwrap().with_id("rl"))
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(10), || async {
            f.client.job("rl").await.unwrap().map(|j| j.state) == Some(JobState::Done)
        })
        .await,
        "five rate limits must not exhaust two attempts"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 6);
    w.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_retry_after_hint_sets_the_delay_durably() {
    let f = fixture().await;
    let starts = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = starts.clone();
    let handler = move |_: serde_json::Value, ctx: JobContext| {
        s.lock().unwrap().push(Instant::now());
        futures::future::ready(if ctx.attempt == 1 {
            Err(JobError::retry_after(
                ErrorClass::ProviderServer,
                "503",
                Duration::from_millis(800),
            ))
        } else {
            Ok(())
        })
    };
    let w = spawn(&f.client, "q", fast(), handler);
    f.client
        .enqueue("q", NewJob::json(&json!({})).unwrap().with_id("ra"))
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_millis(300), || async {
            f.client.stats("q").await.unwrap().retrying == 1
        })
        .await,
        "the wait is held in Redis, not in a sleeping worker"
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            starts.lock().unwrap().len() == 2
        })
        .await
    );
    let gap = {
        let s = starts.lock().unwrap();
        s[1] - s[0]
    };
    assert!(
        gap >= Duration::from_millis(790),
        "retried after {gap:?}, before the hint"
    );
    w.shutdown().await.unwrap();
}

#[tokio::test]
async fn dead_letters_can_be_listed_shown_replayed_once_and_deleted() {
    let f = fixture().await;
    for i in 0..5 {
        f.client
            .bury(
                "q",
                NewJob::json(&json!({"i": i}))
                    .unwrap()
                    .with_id(format!("d{i}")),
                ErrorClass::BadPayload,
                "unparseable",
            )
            .await
            .unwrap();
    }
    f.client
        .bury(
            "other",
            NewJob::json(&json!({})).unwrap().with_id("o1"),
            ErrorClass::Config,
            "x",
        )
        .await
        .unwrap();
    let dlq = f.client.dead_letters();
    assert_eq!(dlq.count(None).await.unwrap(), 6);
    assert_eq!(dlq.count(Some("q")).await.unwrap(), 5);
    let page = dlq.list(Some("q"), 0, 2).await.unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].errors[0].message, "unparseable");

    assert_eq!(
        dlq.replay(&["d1".into(), "d1".into(), "nope".into()])
            .await
            .unwrap(),
        1,
        "replaying twice replays once"
    );
    assert_eq!(f.client.stats("q").await.unwrap().ready, 1);
    assert_eq!(dlq.replay(&["d1".into()]).await.unwrap(), 0);
    assert_eq!(dlq.delete(&["d2".into()]).await.unwrap(), 1);
    assert!(f.client.job("d2").await.unwrap().is_none());
    let mut seen = 0;
    assert_eq!(dlq.replay_all(Some("q"), |n| seen = n).await.unwrap(), 3);
    assert_eq!(seen, 3);
    assert_eq!(dlq.delete_all(None, |_| {}).await.unwrap(), 1);
    assert_eq!(dlq.count(None).await.unwrap(), 0);
    assert_eq!(f.client.stats("q").await.unwrap().ready, 4);
}

#[tokio::test]
async fn the_dead_letter_store_is_bounded_by_count() {
    let f = fixture().await;
    let (_runs, handler) = failing(ErrorClass::ProviderRejected);
    let settings = QueueSettings {
        max_attempts: 1,
        dead_max_count: 3,
        ..fast()
    };
    let w = spawn(&f.client, "q", settings, handler);
    enqueue_numbered(&f.client, "q", "x", 6).await;
    assert!(
        eventually(Duration::from_secs(5), || async {
            let s = f.client.stats("q").await.unwrap();
            s.ready + s.running + s.retrying == 0
        })
        .await
    );
    assert_eq!(f.client.dead_letters().count(None).await.unwrap(), 3);
    assert_eq!(f.client.dead_letters().count(Some("q")).await.unwrap(), 3);
    w.shutdown().await.unwrap();
}
