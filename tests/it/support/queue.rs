//! Shared helpers of the queue-core tests: a private Redis with a client, fast settings, a worker
//! running in this process that can be stopped, and polling with a deadline.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use meetflow_shared::queue::{
    JobContext, JobError, QueueClient, QueueError, QueueSettings, run_queue,
};
use meetflow_tests::redis::TestRedis;
use serde::de::DeserializeOwned;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub(crate) struct Fixture {
    pub(crate) redis: TestRedis,
    pub(crate) client: QueueClient,
}

pub(crate) async fn fixture() -> Fixture {
    fixture_with(TestRedis::start().await.unwrap()).await
}

pub(crate) async fn fixture_with(redis: TestRedis) -> Fixture {
    let client = QueueClient::connect(&redis.url(), "qt").await.unwrap();
    Fixture { redis, client }
}

/// Short leases and backoffs so recovery and retries happen within a test's time.
pub(crate) fn fast() -> QueueSettings {
    QueueSettings {
        concurrency: 8,
        lease: Duration::from_millis(1500),
        max_attempts: 4,
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(200),
        redis_give_up: Duration::from_secs(30),
        ..QueueSettings::default()
    }
}

pub(crate) struct Running {
    pub(crate) stop: CancellationToken,
    pub(crate) handle: JoinHandle<Result<(), QueueError>>,
}

impl Running {
    pub(crate) async fn shutdown(self) -> Result<(), QueueError> {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(20), self.handle)
            .await
            .unwrap()
            .unwrap()
    }
}

pub(crate) fn spawn<T, H, Fut>(
    client: &QueueClient,
    queue: &str,
    settings: QueueSettings,
    handler: H,
) -> Running
where
    T: DeserializeOwned + Send + 'static,
    H: Fn(T, JobContext) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    let stop = CancellationToken::new();
    let signal = stop.clone();
    let client = client.clone();
    let queue = queue.to_owned();
    let handle = tokio::spawn(async move {
        run_queue(client, &queue, settings, handler, async move {
            signal.cancelled().await
        })
        .await
    });
    Running { stop, handle }
}

/// A handler that counts its runs and succeeds.
#[expect(clippy::type_complexity, reason = "a test handler and its run counter")]
pub(crate) fn counting() -> (
    Arc<AtomicUsize>,
    impl Fn(serde_json::Value, JobContext) -> futures::future::Ready<Result<(), JobError>> + Clone,
) {
    let n = Arc::new(AtomicUsize::new(0));
    let c = n.clone();
    (n, move |_: serde_json::Value, _: JobContext| {
        c.fetch_add(1, Ordering::SeqCst);
        futures::future::ready(Ok(()))
    })
}

pub(crate) use meetflow_tests::wait::eventually;

pub(crate) async fn list(client: &QueueClient, key: &str) -> Vec<String> {
    let mut conn = client.redis();
    redis::cmd("LRANGE")
        .arg(key)
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap()
}

/// Enqueues `n` empty jobs with ids `<prefix>0`, `<prefix>1`, ...
pub(crate) async fn enqueue_numbered(client: &QueueClient, queue: &str, prefix: &str, n: usize) {
    for i in 0..n {
        let job = meetflow_shared::queue::NewJob::json(&serde_json::json!({}))
            .unwrap()
            .with_id(format!("{prefix}{i}"));
        client.enqueue(queue, job).await.unwrap();
    }
}
