//! Writing each job's outcome back to Redis.
//!
//! [`AckLayer`] wraps the worker's service (it is the backend's apalis middleware, so it sees the
//! result after every user layer such as timeouts). Successes are batched into one script call by
//! the [`Acker`] task; failures are recorded one by one with their class and message. The job's
//! future completes only once its outcome is stored, so its slot stays taken until then and a
//! graceful shutdown never leaves an outcome unwritten. While Redis is unreachable the write is
//! retried; if it never lands the lease expires and the job runs again (at-least-once).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use apalis::prelude::{BoxDynError, Task};
use tokio::sync::{mpsc, oneshot};
use tower::{Layer, Service};

use super::state::{LeaseId, LeasedJob, Runtime};
use crate::queue::error::{ErrorClass, JobError};

/// Most successes acknowledged in one script call.
const ACK_BATCH: usize = 256;

/// A success to acknowledge: the lease, the job's group, and who waits for it.
type Ack = (LeaseId, Option<String>, oneshot::Sender<()>);

/// Sends successes to the batching task.
#[derive(Clone)]
pub(crate) struct Acker {
    tx: mpsc::Sender<Ack>,
}

impl Acker {
    /// Starts the batching task for one queue runtime.
    pub(crate) fn spawn(rt: Arc<Runtime>) -> Self {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(ack_loop(rt, rx));
        Self { tx }
    }

    async fn done(&self, job: &LeasedJob) {
        let (reply, wait) = oneshot::channel();
        if self
            .tx
            .send((job.lease_id(), job.group.clone(), reply))
            .await
            .is_ok()
        {
            let _ = wait.await;
        }
    }
}

async fn ack_loop(rt: Arc<Runtime>, mut rx: mpsc::Receiver<Ack>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < ACK_BATCH {
            match rx.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        let leases: Vec<(LeaseId, Option<String>)> = batch
            .iter()
            .map(|(lease, group, _)| (lease.clone(), group.clone()))
            .collect();
        if let Some(done) = persist(&rt, "ack", || rt.ack(&leases)).await {
            let stale = leases.len().saturating_sub(done);
            if stale > 0 {
                tracing::warn!(queue = %rt.queue, stale, "refused acknowledgements of leases that were no longer current");
            }
            rt.count_stale("ack", stale);
        }
        for (lease, _, reply) in batch {
            rt.forget(&lease);
            let _ = reply.send(());
        }
    }
}

/// Retries a Redis write until it lands or the give-up time passes.
async fn persist<F, Fut, T>(rt: &Runtime, what: &str, mut op: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, crate::queue::QueueError>>,
{
    let mut pause = Duration::from_millis(50);
    loop {
        match op().await {
            Ok(v) => {
                rt.health.ok();
                return Some(v);
            }
            Err(e) => {
                let down_for = rt.health.failed();
                if down_for >= rt.settings.redis_give_up {
                    tracing::error!(queue = %rt.queue, error = %e, "giving up writing {what}; the lease will expire and the job run again");
                    return None;
                }
                tracing::warn!(queue = %rt.queue, error = %e, "could not write {what}; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// The backend middleware that stores outcomes.
#[derive(Clone)]
pub struct AckLayer {
    rt: Arc<Runtime>,
    acker: Acker,
}

impl AckLayer {
    pub(crate) fn new(rt: Arc<Runtime>, acker: Acker) -> Self {
        Self { rt, acker }
    }
}

impl<S> Layer<S> for AckLayer {
    type Service = AckService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AckService {
            inner,
            rt: self.rt.clone(),
            acker: self.acker.clone(),
        }
    }
}

/// See [`AckLayer`].
#[derive(Clone)]
pub struct AckService<S> {
    inner: S,
    rt: Arc<Runtime>,
    acker: Acker,
}

impl<S, R> Service<Task<LeasedJob>> for AckService<S>
where
    S: Service<Task<LeasedJob>, Response = R>,
    S::Future: Send + 'static,
    S::Error: Into<BoxDynError>,
    R: Send + 'static,
{
    type Response = ();
    type Error = BoxDynError;
    type Future = Pin<Box<dyn Future<Output = Result<(), BoxDynError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, task: Task<LeasedJob>) -> Self::Future {
        let job = task.args.clone();
        let fut = self.inner.call(task);
        let rt = self.rt.clone();
        let acker = self.acker.clone();
        Box::pin(async move {
            let started = Instant::now();
            let outcome = fut.await.map_err(Into::into);
            let queue = rt.queue.clone();
            metrics::histogram!("meetflow_job_duration_seconds", "queue" => queue.clone())
                .record(started.elapsed().as_secs_f64());
            match outcome {
                Ok(_) => {
                    acker.done(&job).await;
                    metrics::counter!("meetflow_jobs_processed_total", "queue" => queue)
                        .increment(1);
                }
                Err(e) => {
                    let err = classify(e);
                    let result = persist(&rt, "failure", || rt.fail(&job, &err)).await;
                    rt.forget(&job.lease_id());
                    if result.as_deref() == Some("deferred") {
                        tracing::debug!(queue = %queue, job.id = %job.id, "job deferred: {}", err.message());
                        metrics::counter!("meetflow_jobs_deferred_total", "queue" => queue, "class" => err.class().as_str()).increment(1);
                        return Ok(());
                    }
                    let mut verdict = result.unwrap_or_else(|| "unwritten".to_owned());
                    if let Some(trim) = verdict.strip_prefix("dead:") {
                        count_trimmed(&queue, trim);
                        verdict.truncate(4);
                    }
                    tracing::info!(queue = %queue, job.id = %job.id, attempt = job.attempt, class = %err.class(), verdict = %verdict, "job failed: {}", err.message());
                    if verdict == "stale" {
                        rt.count_stale("fail", 1);
                    }
                    let name = match verdict.as_str() {
                        "retry" => "meetflow_jobs_retried_total",
                        "dead" => "meetflow_jobs_dead_total",
                        _ => "meetflow_jobs_lost_lease_total",
                    };
                    metrics::counter!(name, "queue" => queue.clone(), "class" => err.class().as_str()).increment(1);
                    metrics::counter!("meetflow_jobs_failed_total", "queue" => queue, "class" => err.class().as_str()).increment(1);
                }
            }
            Ok(())
        })
    }
}

/// Counts dead letters trimmed to keep the store bounded (`<by count>:<by age>`), per queue
/// whose failure trimmed them: by count they are that queue's own oldest.
fn count_trimmed(queue: &str, trim: &str) {
    let mut parts = trim.split(':').map(|n| n.parse::<u64>().unwrap_or(0));
    for reason in ["cap", "age"] {
        let n = parts.next().unwrap_or(0);
        if n > 0 {
            metrics::counter!("meetflow_dead_letters_trimmed_total", "queue" => queue.to_owned(), "reason" => reason)
                .increment(n);
            if reason == "cap" {
                tracing::warn!(
                    queue,
                    trimmed = n,
                    "dead-letter cap reached: the oldest dead letters of this queue were deleted"
                );
            }
        }
    }
}

/// Turns whatever the service stack returned into a classified [`JobError`]: handlers return
/// `JobError` themselves; anything else (a timeout layer's error, an unexpected error) is a
/// retryable internal failure.
fn classify(e: BoxDynError) -> JobError {
    match e.downcast::<JobError>() {
        Ok(job) => *job,
        Err(other) => {
            if other.is::<tower::timeout::error::Elapsed>() {
                JobError::retry(ErrorClass::Timeout, "handler exceeded the job timeout")
            } else {
                JobError::retry(ErrorClass::Internal, other.to_string())
            }
        }
    }
}
