//! Group commit: requests that arrive together share one Redis round trip.
//!
//! Each request hands its job to one background task and waits for that job's own answer. The task
//! takes whatever has queued up (at least one job, at most `MAX_BATCH`) and writes it with one
//! `enqueue_many` call, i.e. one atomic script run. Alone, a request is written at once, so there is
//! no added latency; under load the batches grow by themselves, which saves a script invocation,
//! a round trip and two syscalls per job on both sides. Up to `MAX_IN_FLIGHT` batches are written at
//! a time (pipelined on the one connection); while they all wait, the next batch keeps filling.
//!
//! The same task keeps the delivery log within `ingest.delivery_log`: after each written batch,
//! and every [`TRIM_EVERY`] (at once on start) so that entries past the retention go, and the
//! log's metrics are there, while no delivery arrives.
//!
//! The guarantee does not change: a request is answered 200 only after Redis confirmed its job. If
//! the request gives up first (its budget ran out), the job may still land a moment later; that is
//! a stored delivery answered 503, which the provider re-sends and de-duplication absorbs.
//!
//! A job whose request has already given up by the time its batch is written is left out: it was
//! answered 503 and will be delivered again. Without that, after a Redis stall every new request
//! queued behind the abandoned ones: while providers kept re-sending, ingest wrote only deliveries
//! nobody waited for and answered every new one 503 (two minutes after a Redis restart in the
//! long chaos run, until the senders gave up).

use std::sync::Arc;
use std::time::Duration;

use meetflow_shared::config::DeliveryLogSettings;
use meetflow_shared::delivery_log::LogEntry;
use meetflow_shared::jobs::EVENTS;
use meetflow_shared::queue::{Enqueued, NewJob, QueueClient, QueueError};
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Most jobs written by one script call.
const MAX_BATCH: usize = 64;
/// Most batches waiting for Redis at once.
const MAX_IN_FLIGHT: usize = 4;
/// Jobs waiting for a batch; senders wait (within their budget) when it is full.
const BACKLOG: usize = 4096;
/// How often the delivery log is trimmed (and its metrics refreshed) without traffic.
pub(crate) const TRIM_EVERY: Duration = Duration::from_secs(15);

/// The answer for one job.
pub(crate) type Reply = Result<Enqueued, Arc<QueueError>>;

struct Pending {
    job: NewJob,
    log: Option<LogEntry>,
    reply: oneshot::Sender<Reply>,
}

/// Handle on the batching task; cheap to clone. The task ends when every handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct Batcher {
    tx: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("id", &self.job.id())
            .finish()
    }
}

impl Batcher {
    /// Starts the task writing to the `events` queue through `queue` (needs a Tokio runtime),
    /// logging deliveries as `log` says (`None`: no delivery log).
    pub(crate) fn spawn(queue: QueueClient, log: Option<DeliveryLogSettings>) -> Self {
        let (tx, rx) = mpsc::channel(BACKLOG);
        tokio::spawn(run(queue, log.map(Arc::new), rx));
        Self { tx }
    }

    /// Enqueues `job` (with its delivery log entry) with the next batch and waits for Redis'
    /// answer about it.
    pub(crate) async fn enqueue(&self, job: NewJob, log: Option<LogEntry>) -> Reply {
        let (reply, answer) = oneshot::channel();
        let stopped = || Arc::new(QueueError::Protocol("the enqueue task has stopped".into()));
        self.tx
            .send(Pending { job, log, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(
    queue: QueueClient,
    log: Option<Arc<DeliveryLogSettings>>,
    mut rx: mpsc::Receiver<Pending>,
) {
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // The first tick is at once: the log's metrics are there from the start.
    let mut tick = tokio::time::interval(TRIM_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    if log.is_some() {
        crate::metrics::expect_log_trims();
    }
    loop {
        let received = tokio::select! {
            n = rx.recv_many(&mut batch, MAX_BATCH) => n,
            _ = tick.tick(), if log.is_some() => {
                if let Some(settings) = log.clone() {
                    let queue = queue.clone();
                    tokio::spawn(async move { trim(&queue, &settings).await });
                }
                continue;
            }
        };
        if received == 0 {
            return; // every handle dropped
        }
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return; // never closed
        };
        let pending = std::mem::replace(&mut batch, Vec::with_capacity(MAX_BATCH));
        let queue = queue.clone();
        let log = log.clone();
        tokio::spawn(async move {
            write(&queue, log.as_deref(), pending).await;
            drop(permit);
        });
    }
}

/// Writes one batch, answers each request, then (off the requests' path) trims the delivery
/// log back within its limits.
async fn write(queue: &QueueClient, log: Option<&DeliveryLogSettings>, pending: Vec<Pending>) {
    type Job = (NewJob, Option<LogEntry>);
    let (jobs, replies): (Vec<Job>, Vec<oneshot::Sender<Reply>>) = pending
        .into_iter()
        .filter(|p| !p.reply.is_closed())
        .map(|p| ((p.job, p.log.filter(|_| log.is_some())), p.reply))
        .unzip();
    if jobs.is_empty() {
        return; // every request of the batch gave up
    }
    let retention = log.map(|l| l.retention).unwrap_or_default();
    match queue.enqueue_logged(EVENTS, jobs, retention).await {
        Ok(results) if results.len() == replies.len() => {
            for (result, reply) in results.into_iter().zip(replies) {
                let _ = reply.send(Ok(result));
            }
            if let Some(settings) = log {
                trim(queue, settings).await;
            }
        }
        Ok(_) => {
            let error = Arc::new(QueueError::Protocol(
                "enqueue answered a different count".into(),
            ));
            replies
                .into_iter()
                .for_each(|r| drop(r.send(Err(error.clone()))));
        }
        Err(e) => {
            let error = Arc::new(e);
            replies
                .into_iter()
                .for_each(|r| drop(r.send(Err(error.clone()))));
        }
    }
}

/// Trims the delivery log and records what it did in the metrics; a failure is logged, and the
/// batcher's next tick ([`TRIM_EVERY`]) tries again.
pub(crate) async fn trim(queue: &QueueClient, settings: &DeliveryLogSettings) {
    match queue.trim_delivery_log(settings).await {
        Ok(report) => crate::metrics::delivery_log_trimmed(&report),
        Err(error) => {
            tracing::warn!(%error, every_s = TRIM_EVERY.as_secs(), "could not trim the delivery log (tried again at the next trim)");
        }
    }
}
