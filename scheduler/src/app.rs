//! Wiring of one scheduler process: Redis client, ops endpoints, the due loop and the periodic
//! tasks, and a graceful stop.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use meetflow_shared::bookings::{Bookings, Engagement};
use meetflow_shared::config::Settings;
use meetflow_shared::jobs::SMS;
use meetflow_shared::ops;
use meetflow_shared::queue::QueueClient;
use meetflow_shared::shutdown::{Shutdown, finish_within};
use tokio_util::sync::CancellationToken;

use crate::periodic::run_periodic;
use crate::promote::{DueLoop, DueLoopSettings};
use crate::reconcile::Reconciler;

/// How long in-flight work may take after the stop signal.
const GRACE: Duration = Duration::from_secs(10);

/// Why the scheduler process stops with an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The ops endpoints could not start.
    #[error(transparent)]
    Ops(#[from] ops::OpsError),
    /// The Redis URL is invalid.
    #[error("redis.url: {0}")]
    Redis(#[from] meetflow_shared::queue::QueueError),
    /// `connectors.calendly` cannot be used for the reconciliation.
    #[error(transparent)]
    Reconcile(#[from] crate::reconcile::ReconcileError),
    /// A loop gave up (Redis unreachable too long).
    #[error(transparent)]
    Scheduler(#[from] crate::SchedulerError),
}

/// Run the scheduler until `shutdown` fires (exit 0) or Redis stays unreachable (error).
pub async fn run(settings: Settings, shutdown: Shutdown) -> Result<(), AppError> {
    let client = QueueClient::connect(&settings.redis.url, &settings.redis.namespace).await?;
    let bookings = Bookings::new(client.handle().clone(), settings.reminders.clone())
        .with_engagement(Engagement::from_settings(&settings));
    let probe = client.clone();
    let ready = move || -> BoxFuture<'static, bool> {
        let probe = probe.clone();
        Box::pin(async move { probe.ping().await.is_ok() })
    };
    let (addr, ops_task) = ops::serve(settings.ops.listen, ready, shutdown.wait()).await?;
    tracing::info!(ops = %addr, "meetflow-scheduler started");

    // Loops stop on this token: the signal, or a fatal error of another loop.
    let stop = shutdown.token().child_token();
    let mut tasks = tokio::task::JoinSet::new();
    // A claim held by a replica that died (kill -9 between claim and settle) is taken over after
    // the due loop's lease, or sooner when the `sms` queue's lease is shorter: a reminder due
    // less than a lease before its meeting would otherwise miss it.
    let defaults = DueLoopSettings::default();
    let sms_lease = settings.queues.effective(SMS).lease;
    let due_settings = DueLoopSettings {
        lease: sms_lease.map_or(defaults.lease, |l| l.min(defaults.lease)),
        ..defaults
    };
    let due = DueLoop::new(bookings.clone(), due_settings);
    let due_stop = stop.clone();
    tasks.spawn(async move { due.run(due_stop).await });

    let calendly = &settings.connectors.calendly;
    if let Some(reconciler) = Reconciler::from_settings(calendly, bookings.clone())? {
        let reconciler = Arc::new(reconciler);
        let (redis, clock, every, cancel) = (
            client.handle().clone(),
            bookings.clock().clone(),
            calendly.reconcile_every,
            stop.clone(),
        );
        tasks.spawn(async move {
            run_periodic(redis, clock, "calendly_reconcile", every, cancel, |_| {
                let r = Arc::clone(&reconciler);
                async move { r.run_once().await.map(|_| ()) }
            })
            .await;
            Ok(())
        });
    } else {
        tracing::info!("calendly reconciliation off (no connectors.calendly.access_token)");
    }

    let outcome = wait_all(&mut tasks, &stop).await;
    stop.cancel();
    let drained = finish_within(
        async { while tasks.join_next().await.is_some() {} },
        async {},
        GRACE,
    )
    .await;
    if drained.is_none() {
        tracing::warn!("some scheduler tasks did not stop within the grace period");
    }
    let _ = finish_within(ops_task, async {}, Duration::from_secs(1)).await;
    tracing::info!("meetflow-scheduler stopped");
    outcome
}

/// Wait until every task ends or one fails (the others are then stopped).
async fn wait_all(
    tasks: &mut tokio::task::JoinSet<Result<(), crate::SchedulerError>>,
    stop: &CancellationToken,
) -> Result<(), AppError> {
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %e, "scheduler loop failed");
                stop.cancel();
                return Err(e.into());
            }
            Err(join) => {
                tracing::error!(error = %join, "scheduler task panicked");
                stop.cancel();
            }
        }
    }
    Ok(())
}
