//! Wiring of one worker process: the Redis client, the ops endpoints (`/readyz` = Redis PING),
//! queue depth gauges, one queue runtime per selected queue, and a graceful stop.
//!
//! Stop: on the signal every runtime stops leasing, hands back leased-but-unstarted jobs and
//! finishes what is in flight within the grace period; the process then exits 0. A job cut off
//! after the grace period is not lost: its lease expires and it runs elsewhere. A runtime that
//! gives up on Redis (`QueueError::GaveUp`) stops the others and the process exits non-zero, so
//! its orchestrator restarts it.

use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use meetflow_shared::config::Settings;
use meetflow_shared::jobs::{BREVO, EVENTS, QueuePayload, SMS, ZOOM};
use meetflow_shared::ops;
use meetflow_shared::queue::{
    JobContext, JobError, QueueClient, QueueError, run_queue, spawn_stats_exporter,
};
use meetflow_shared::shutdown::{Shutdown, finish_within};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::context::{Worker, WorkerOptions};
use crate::error;
use crate::queues::{QueueSelection, refusal};
use crate::{brevo, events, queues, sms, zoom};

/// Why a worker process stops with an error.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// A selected queue cannot run with this configuration (one line: queue and reason).
    #[error("queue {queue}: {reason}")]
    QueueRefused {
        /// The queue.
        queue: String,
        /// Why, naming the configuration keys.
        reason: String,
    },
    /// None of the queues can run.
    #[error("no queue can run with this configuration")]
    NothingToRun,
    /// A provider client could not be built (bad URL or credential format).
    #[error(transparent)]
    Provider(#[from] meetflow_shared::providers::ProviderError),
    /// The ops endpoints could not start.
    #[error(transparent)]
    Ops(#[from] ops::OpsError),
    /// Redis failed (bad URL at start, or unreachable past `redis_give_up`).
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// A queue runtime stopped unexpectedly.
    #[error("queue {0} stopped unexpectedly")]
    Crashed(String),
}

/// Runs the worker with default [`WorkerOptions`] until `shutdown` fires (Ok) or a queue runtime
/// fails (Err).
pub async fn run(
    settings: Settings,
    queues: QueueSelection,
    shutdown: Shutdown,
) -> Result<(), WorkerError> {
    run_with(settings, queues, WorkerOptions::default(), shutdown).await
}

/// Which queues run: the refused ones are an error when named explicitly, else skipped.
fn runnable(
    settings: &Settings,
    queues: &QueueSelection,
) -> Result<Vec<&'static str>, WorkerError> {
    let mut out = Vec::new();
    for q in queues.names() {
        match refusal(q, settings) {
            None => out.push(*q),
            Some(reason) if queues.is_explicit() => {
                return Err(WorkerError::QueueRefused {
                    queue: (*q).to_owned(),
                    reason,
                });
            }
            Some(reason) => tracing::warn!(queue = q, %reason, "queue not started"),
        }
    }
    if out.is_empty() {
        return Err(WorkerError::NothingToRun);
    }
    Ok(out)
}

/// [`run`] with explicit options (tests shorten timeouts and the grace period).
pub async fn run_with(
    settings: Settings,
    queues: QueueSelection,
    options: WorkerOptions,
    shutdown: Shutdown,
) -> Result<(), WorkerError> {
    let names = runnable(&settings, &queues)?;
    for (name, access) in [
        ("brevo", queues::brevo_access(&settings)),
        ("engagelab", queues::engagelab_access(&settings)),
    ] {
        if access == queues::Access::Sandbox {
            tracing::warn!(
                provider = name,
                "no credentials: talking to a local sandbox"
            );
        }
    }
    let t = &settings.engagelab.templates;
    if (!t.win_back.is_empty() || !t.no_show.is_empty())
        && settings.connectors.calendly.access_token.is_none()
    {
        tracing::warn!(
            "engagelab.templates.win_back / no_show are set but connectors.calendly.access_token is not: those SMS need a single-use booking link and will not be sent"
        );
    }
    let client = QueueClient::connect(&settings.redis.url, &settings.redis.namespace).await?;
    let probe = client.clone();
    let ready = move || -> BoxFuture<'static, bool> {
        let probe = probe.clone();
        Box::pin(async move { probe.ping().await.is_ok() })
    };
    let (addr, ops_task) = ops::serve(settings.ops.listen, ready, shutdown.wait()).await?;
    let stop = shutdown.token().child_token();
    spawn_stats_exporter(
        client.clone(),
        names.iter().map(|s| (*s).to_owned()).collect(),
        options.stats_every,
        stop.clone(),
    );
    let grace = options.grace;
    let worker = Arc::new(Worker::new(settings, client.clone(), options)?);
    tracing::info!(ops = %addr, queues = ?names, "meetflow-worker started");

    let mut tasks: JoinSet<(&'static str, Result<(), QueueError>)> = JoinSet::new();
    for name in &names {
        spawn_queue(&mut tasks, &worker, name, &stop);
    }
    let outcome = wait_all(&mut tasks, &stop).await;
    stop.cancel();
    let drained = finish_within(
        async { while tasks.join_next().await.is_some() {} },
        async {},
        grace,
    )
    .await;
    if drained.is_none() {
        tracing::warn!(
            ?grace,
            "jobs still running after the grace period: their leases will expire and they will run elsewhere"
        );
    }
    let _ = finish_within(ops_task, async {}, std::time::Duration::from_secs(1)).await;
    tracing::info!("meetflow-worker stopped");
    outcome
}

/// Runs `queue` with `handler`. Every job's payload version is checked here, once for all
/// queues, before its handler runs: a version this build does not read is a permanent
/// `bad_payload` failure.
fn spawn_one<T, H, Fut>(
    tasks: &mut JoinSet<(&'static str, Result<(), QueueError>)>,
    worker: &Arc<Worker>,
    queue: &'static str,
    stop: &CancellationToken,
    handler: H,
) where
    T: QueuePayload,
    H: Fn(T, JobContext) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    debug_assert_eq!(
        T::QUEUE,
        queue,
        "a queue runs the payload its contract names"
    );
    let client = worker.client.clone();
    let settings = worker.settings.queue(queue);
    let signal = stop.clone().cancelled_owned();
    let handler = move |job: T, ctx: JobContext| {
        let handler = handler.clone();
        async move {
            job.check_version()
                .map_err(|e| error::bad_payload(e.to_string()))?;
            handler(job, ctx).await
        }
    };
    tasks.spawn(async move {
        (
            queue,
            run_queue(client, queue, settings, handler, signal).await,
        )
    });
}

fn spawn_queue(
    tasks: &mut JoinSet<(&'static str, Result<(), QueueError>)>,
    worker: &Arc<Worker>,
    queue: &'static str,
    stop: &CancellationToken,
) {
    let w = worker.clone();
    match queue {
        EVENTS => spawn_one(tasks, worker, queue, stop, move |job, ctx| {
            let w = w.clone();
            async move { events::dispatch::handle(&w, job, ctx).await }
        }),
        BREVO => spawn_one(tasks, worker, queue, stop, move |job, ctx| {
            let w = w.clone();
            async move { brevo::sync::handle(&w, job, ctx).await }
        }),
        SMS => spawn_one(tasks, worker, queue, stop, move |job, ctx| {
            let w = w.clone();
            async move { sms::send::handle(&w, job, ctx).await }
        }),
        ZOOM => spawn_one(tasks, worker, queue, stop, move |job, ctx| {
            let w = w.clone();
            async move { zoom::attendance::handle(&w, job, ctx).await }
        }),
        other => tracing::error!(queue = other, "no handler for this queue"),
    }
}

/// Waits until every runtime ends (after the stop signal) or one fails (the others are stopped).
async fn wait_all(
    tasks: &mut JoinSet<(&'static str, Result<(), QueueError>)>,
    stop: &CancellationToken,
) -> Result<(), WorkerError> {
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok((_, Ok(()))) if stop.is_cancelled() => {}
            Ok((queue, Ok(()))) => {
                stop.cancel();
                return Err(WorkerError::Crashed(queue.to_owned()));
            }
            Ok((queue, Err(e))) => {
                tracing::error!(queue, error = %e, "queue runtime failed");
                stop.cancel();
                return Err(e.into());
            }
            Err(join) => {
                tracing::error!(error = %join, "queue runtime panicked");
                stop.cancel();
                return Err(WorkerError::Crashed("(panic)".into()));
            }
        }
    }
    Ok(())
}
