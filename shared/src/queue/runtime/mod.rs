//! Running a queue: an apalis worker over [`QueueBackend`], plus the fetch, acknowledgement and
//! maintenance tasks around it. [`run_queue`] is the one entry point the binaries use.

mod ack;
mod backend;
mod fetch;
mod handler;
mod maintain;
mod state;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apalis::prelude::{WorkerBuilder, WorkerError};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use backend::QueueBackend;
pub use handler::JobContext;
pub use state::LeasedJob;
pub(crate) use state::{Runtime, promote, reap};

use crate::queue::client::QueueClient;
use crate::queue::error::{JobError, QueueError};
use crate::queue::identity::process_identity;
use crate::queue::settings::QueueSettings;

/// Runs `handler` on the jobs of `queue` until `shutdown` resolves, then stops leasing, returns
/// leased-but-unstarted jobs at once and waits for jobs in flight (the caller bounds that wait
/// with its grace period). Returns an error if Redis stayed unreachable past
/// `settings.redis_give_up`, so the process can exit non-zero and be restarted.
pub async fn run_queue<T, H, Fut>(
    client: QueueClient,
    queue: &str,
    settings: QueueSettings,
    handler: H,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), QueueError>
where
    T: DeserializeOwned + Send + 'static,
    H: Fn(T, JobContext) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    let job_timeout = settings.job_timeout;
    let rt = Arc::new(state::Runtime::new(
        client,
        queue,
        settings,
        process_identity(),
    ));
    let (tx, rx) = mpsc::channel(rt.settings.concurrency.max(1));
    let rx = Arc::new(Mutex::new(rx));
    let stop = CancellationToken::new();
    let maintenance = CancellationToken::new();
    // The maintenance loops are detached tasks: they stop with this future even when it is
    // dropped (a supervisor aborts it once the grace period is over). Otherwise they would go on
    // renewing the leases of the jobs cut off here for as long as the process lives, and no other
    // runtime in this process (a worker started again, as in tests) would ever get them back.
    let _maintenance = maintenance.clone().drop_guard();
    let _fetching = stop.clone().drop_guard();
    maintain::spawn_all(&rt, &maintenance);
    let fetcher = tokio::spawn(fetch::fetch_loop(rt.clone(), tx, rx.clone(), stop.clone()));
    let backend = QueueBackend {
        rx,
        rt: rt.clone(),
        acker: ack::Acker::spawn(rt.clone()),
    };
    let worker = WorkerBuilder::new(format!("{queue}@{}", rt.owner))
        .backend(backend)
        .layer(tower::timeout::TimeoutLayer::new(job_timeout))
        .build(handler::HandlerService::<T, H>::new(handler, queue));
    let trigger = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        trigger.cancel();
    });
    let stopped = stop.clone();
    tracing::info!(queue, owner = %rt.owner, concurrency = rt.settings.concurrency, "worker started");
    let result = worker
        .run_until(async move {
            stopped.cancelled().await;
            Ok::<(), std::io::Error>(())
        })
        .await;
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), fetcher).await;
    maintenance.cancel();
    tracing::info!(queue, "worker stopped");
    result.map_err(|e| match e {
        WorkerError::BackendError(inner) => match inner.downcast::<QueueError>() {
            Ok(q) => *q,
            Err(other) => QueueError::Protocol(other.to_string()),
        },
        other => QueueError::Protocol(other.to_string()),
    })
}
