//! Wiring of one worker process on the shared start-up ([`meetflow_shared::process`]: settings,
//! Redis, ops endpoints with `/readyz` = Redis PING): queue depth gauges and one supervised queue
//! runtime per selected queue.
//!
//! Stop: on the signal every runtime stops leasing, hands back leased-but-unstarted jobs and
//! finishes what is in flight within the grace period; the process then exits 0. A job cut off
//! after the grace period is not lost: its lease expires and it runs elsewhere. A runtime that
//! gives up on Redis (`QueueError::GaveUp`), panics or stops on its own stops the others and the
//! process exits 1, so its orchestrator restarts it.

use std::future::Future;
use std::sync::Arc;

use meetflow_shared::config::Settings;
use meetflow_shared::domain::PhoneNumber;
use meetflow_shared::jobs::{BREVO, EVENTS, QueuePayload, SMS, SYNC, ZOOM};
use meetflow_shared::process::{Process, ProcessError};
use meetflow_shared::queue::{JobContext, JobError, run_queue, spawn_stats_exporter};
use meetflow_shared::shutdown::Shutdown;
use tokio_util::sync::CancellationToken;

use crate::context::{Worker, WorkerOptions};
use crate::error;
use crate::queues::{QueueSelection, refusal};
use crate::{brevo, events, queues, sms, sync as backfill, zoom};

/// The binary's name, in logs and on stderr.
pub const NAME: &str = "meetflow-worker";

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
    /// `--queues` names something that is not a queue.
    #[error(transparent)]
    UnknownQueue(#[from] crate::queues::UnknownQueue),
    /// None of the queues can run.
    #[error("no queue can run with this configuration")]
    NothingToRun,
    /// A provider client could not be built (bad URL or credential format).
    #[error(transparent)]
    Provider(#[from] meetflow_shared::providers::ProviderError),
    /// Start-up failed (settings, Redis URL, ops endpoints), or a queue runtime failed (Redis
    /// unreachable past `redis_give_up`), panicked or stopped on its own.
    #[error(transparent)]
    Process(#[from] ProcessError),
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

/// Which queues run: the refused ones are an error when named explicitly, else skipped. `sync`
/// (the backfills and the Zoom sweep) is skipped with a warning even when named: a deployment
/// lists it beside `events` so backfills run once an access token is set, and without a
/// Calendly token or Zoom credentials there is nothing it could run.
fn runnable(
    settings: &Settings,
    queues: &QueueSelection,
) -> Result<Vec<&'static str>, WorkerError> {
    let mut out = Vec::new();
    for q in queues.names() {
        match refusal(q, settings) {
            None => out.push(*q),
            Some(reason) if queues.is_explicit() && *q != SYNC => {
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
    let process = Process::with_settings(NAME, settings, shutdown).await?;
    serve_queues(process, &names, options).await
}

/// Runs the selected queues in a started `process` (the binary's path: [`Process::start`]).
pub async fn serve(process: Process, queues: QueueSelection) -> Result<(), WorkerError> {
    let names = runnable(process.settings(), &queues)?;
    serve_queues(process, &names, WorkerOptions::default()).await
}

async fn serve_queues(
    mut process: Process,
    names: &[&'static str],
    options: WorkerOptions,
) -> Result<(), WorkerError> {
    let settings = process.settings().clone();
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
    let needs_link = std::iter::once(settings.global_workflow())
        .chain(settings.workflows())
        .any(|wf| {
            let t = &wf.templates;
            !t.win_back.is_empty() || !t.no_show.is_empty() || !t.host_cancellation.is_empty()
        });
    if needs_link && settings.connectors.calendly.access_token.is_none() {
        tracing::warn!(
            "templates win_back / no_show / host_cancellation are set but connectors.calendly.access_token is not: those SMS need a single-use booking link and will not be sent"
        );
    }
    let client = process.redis().clone();
    let stop = process.stop_token();
    spawn_stats_exporter(
        client.clone(),
        names.iter().map(|s| (*s).to_owned()).collect(),
        options.stats_every,
        stop.clone(),
    );
    if names.contains(&SYNC) {
        backfill::zoom::preregister(&settings);
    }
    let grace = options.grace;
    let worker = Arc::new(Worker::new(settings, client, options)?);
    tracing::info!(queues = ?names, "serving queues");
    for name in names {
        spawn_queue(&mut process, &worker, name, &stop);
    }
    // Jobs still running after the grace period are not lost: their leases expire and they run
    // elsewhere.
    Ok(process.run(grace).await?)
}

/// Runs `queue` with `handler`. Every job's payload version is checked here, once for all
/// queues, before its handler runs: a version this build does not read is a permanent
/// `bad_payload` failure.
fn spawn_one<T, H, Fut>(
    process: &mut Process,
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
    let mut settings = worker.settings.queue(queue);
    settings.gate = worker.lease_gate(queue);
    let signal = stop.clone().cancelled_owned();
    let handler = move |job: T, ctx: JobContext| {
        let handler = handler.clone();
        async move {
            job.check_version()
                .map_err(|e| error::bad_payload(e.to_string()))?;
            handler(job, ctx).await
        }
    };
    process.spawn(format!("queue {queue}"), async move {
        if queue == SMS {
            // The SMS queue's lease gate reserves EngageLab slots as it leases: the numbering
            // metadata is loaded first, so the first jobs do not miss their slots loading it.
            // Only this queue waits for it.
            let _ = tokio::task::spawn_blocking(PhoneNumber::warm_up).await;
        }
        run_queue(client, queue, settings, handler, signal).await
    });
}

fn spawn_queue(
    process: &mut Process,
    worker: &Arc<Worker>,
    queue: &'static str,
    stop: &CancellationToken,
) {
    let w = worker.clone();
    match queue {
        EVENTS => spawn_one(process, worker, queue, stop, move |job, ctx| {
            let w = w.clone();
            async move { events::dispatch::handle(&w, job, ctx).await }
        }),
        BREVO => spawn_one(process, worker, queue, stop, move |job, ctx| {
            let w = w.clone();
            async move { brevo::sync::handle(&w, job, ctx).await }
        }),
        SMS => spawn_one(process, worker, queue, stop, move |job, ctx| {
            let w = w.clone();
            async move { sms::send::handle(&w, job, ctx).await }
        }),
        ZOOM => spawn_one(process, worker, queue, stop, move |job, ctx| {
            let w = w.clone();
            async move { zoom::attendance::handle(&w, job, ctx).await }
        }),
        SYNC => spawn_one(process, worker, queue, stop, move |job, ctx| {
            let w = w.clone();
            async move { backfill::handle(&w, job, ctx).await }
        }),
        other => tracing::error!(queue = other, "no handler for this queue"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_named_sync_queue_without_a_calendly_token_is_skipped_not_refused() {
        let settings = Settings::default();
        let both = QueueSelection::parse(&["events", "sync"]).unwrap();
        assert_eq!(runnable(&settings, &both).unwrap(), vec![EVENTS]);
        let only = QueueSelection::parse(&["sync"]).unwrap();
        assert!(matches!(
            runnable(&settings, &only),
            Err(WorkerError::NothingToRun)
        ));
        let zoom = QueueSelection::parse(&["events", "zoom"]).unwrap();
        assert!(matches!(
            runnable(&settings, &zoom),
            Err(WorkerError::QueueRefused { .. })
        ));
    }
}
