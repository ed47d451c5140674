//! Wiring of one scheduler process on the shared start-up ([`meetflow_shared::process`]): the
//! due loop and the periodic tasks run as supervised loops, so one that fails or panics stops
//! the process with exit 1.

use std::sync::Arc;
use std::time::Duration;

use meetflow_shared::bookings::{Bookings, Engagement};
use meetflow_shared::config::Settings;
use meetflow_shared::jobs::SMS;
use meetflow_shared::process::{Process, ProcessError};
use meetflow_shared::shutdown::Shutdown;

use crate::periodic::run_periodic;
use crate::promote::{DueLoop, DueLoopSettings};
use crate::reconcile::Reconciler;
use crate::zoom_sweep::ZoomSweep;

/// The binary's name, in logs and on stderr.
pub const NAME: &str = "meetflow-scheduler";

/// How long in-flight work may take after the stop signal.
const GRACE: Duration = Duration::from_secs(10);

/// Why the scheduler process stops with an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Start-up failed (settings, Redis URL, ops endpoints) or a loop failed or panicked.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// `connectors.calendly` cannot be used for the reconciliation.
    #[error(transparent)]
    Reconcile(#[from] crate::reconcile::ReconcileError),
}

/// Run the scheduler with `settings` until `shutdown` fires (Ok) or a loop fails (Err).
pub async fn run(settings: Settings, shutdown: Shutdown) -> Result<(), AppError> {
    serve(Process::with_settings(NAME, settings, shutdown).await?).await
}

/// Adds the scheduler's loops to a started `process` and runs it until it stops.
pub async fn serve(mut process: Process) -> Result<(), AppError> {
    let settings = process.settings().clone();
    let client = process.redis().clone();
    let bookings = Bookings::new(client.handle().clone(), settings.reminders.clone())
        .with_engagement(Engagement::from_settings(&settings))
        .with_workflows(&settings);
    let stop = process.stop_token();
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
    process.spawn("due loop", async move { due.run(due_stop).await });

    let periodic = Periodic {
        redis: client.handle().clone(),
        clock: bookings.clock().clone(),
        stop,
    };
    let calendly = &settings.connectors.calendly;
    if let Some(reconciler) = Reconciler::from_settings(calendly, bookings.clone())? {
        let reconciler = Arc::new(reconciler);
        periodic.spawn(
            &mut process,
            "calendly reconciliation",
            "calendly_reconcile",
            calendly.reconcile_every,
            move |_| {
                let r = Arc::clone(&reconciler);
                async move { r.run_once().await.map(|_| ()) }
            },
        );
    } else {
        tracing::info!("calendly reconciliation off (no connectors.calendly.access_token)");
    }
    if let Some(sweep) = ZoomSweep::from_settings(&settings.connectors.zoom, client.clone()) {
        let sweep = Arc::new(sweep);
        let every = sweep.every();
        periodic.spawn(
            &mut process,
            "zoom sweep",
            "zoom_sweep",
            every,
            move |tick| {
                let s = Arc::clone(&sweep);
                async move { s.run_tick(tick).await.map(|_| ()) }
            },
        );
    } else {
        tracing::info!(
            "zoom catch-up sweep off (connectors.zoom.sweep_every null or no API credentials)"
        );
    }
    Ok(process.run(GRACE).await?)
}

/// What every periodic task of this process shares: the Redis of its tick locks, the clock and
/// the stop signal.
struct Periodic {
    redis: meetflow_shared::redis::Redis,
    clock: meetflow_shared::bookings::Clock,
    stop: tokio_util::sync::CancellationToken,
}

impl Periodic {
    /// Runs `task(tick)` once per tick of `every` across all replicas ([`run_periodic`], tick
    /// lock `lock`) as the supervised loop `name` of `process`.
    fn spawn<F, Fut, E>(
        &self,
        process: &mut Process,
        name: &'static str,
        lock: &'static str,
        every: Duration,
        task: F,
    ) where
        F: Fn(i64) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        let (redis, clock, stop) = (self.redis.clone(), self.clock.clone(), self.stop.clone());
        process.spawn(name, async move {
            run_periodic(redis, clock, lock, every, stop, task).await;
            Ok::<(), std::convert::Infallible>(())
        });
    }
}
