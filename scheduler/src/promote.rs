//! The due loop: turn due reminders into SMS jobs, within milliseconds of their due time.
//!
//! Every replica runs it. One tick claims up to `batch` due reminders atomically
//! ([`Bookings::claim_due`]), judges each against its booking's current state (stale ones are
//! dropped and counted), enqueues the rest onto the `sms` queue in one round trip with the
//! reminder id as job id (a re-enqueue after a crash is a duplicate no-op), and settles them.
//! Between ticks the loop sleeps until the next due time or claim expiry, at most `max_sleep`
//! (100 ms), so a reminder planned meanwhile for a sooner time is picked up quickly and an idle
//! replica costs one `ZRANGE` pair per `max_sleep`.
//!
//! Catch-up after downtime: everything due is claimed oldest first, `batch` at a time, and goes
//! to the `sms` queue at once; the SMS workers' rate limiter (shared in Redis) paces the sends to
//! the provider's limit, and the SMS handler re-checks each reminder before sending, so those
//! whose meeting starts meanwhile are dropped rather than sent late.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use meetflow_shared::bookings::{Bookings, ClaimedReminder, Settled, Settlement};
use meetflow_shared::jobs::{JobSpec, SMS, reminder::ReminderJob};
use meetflow_shared::queue::{NewJob, QueueClient};
use metrics::{counter, gauge, histogram};
use tokio_util::sync::CancellationToken;

use crate::SchedulerError;

/// How often the backlog gauges are refreshed.
const GAUGE_EVERY: Duration = Duration::from_secs(5);

/// How the due loop runs.
#[derive(Debug, Clone)]
pub struct DueLoopSettings {
    /// Reminders claimed per tick.
    pub batch: usize,
    /// How long a claim is held before another replica may take it over. Only a dead or stalled
    /// replica's claims wait for it; a takeover while the first replica is still at work is
    /// harmless (the SMS job id de-duplicates the enqueue).
    pub lease: Duration,
    /// Longest sleep between two looks at the due set.
    pub max_sleep: Duration,
    /// Redis unreachable for this long: give up (the process exits non-zero).
    pub give_up: Duration,
}

impl Default for DueLoopSettings {
    fn default() -> Self {
        Self {
            batch: 500,
            lease: Duration::from_secs(10),
            max_sleep: Duration::from_millis(100),
            give_up: Duration::from_secs(120),
        }
    }
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Reminders claimed.
    pub claimed: usize,
    /// SMS jobs created.
    pub enqueued: usize,
    /// SMS jobs that already existed (a re-claim after a crash).
    pub duplicates: usize,
    /// Reminders dropped as stale.
    pub dropped: usize,
    /// SMS that can wait, held for quiet hours (planned again for the window's end).
    pub held: usize,
}

/// The due loop of one replica.
#[derive(Debug)]
pub struct DueLoop {
    bookings: Bookings,
    /// The queue the SMS jobs go to (on the bookings store's Redis).
    queue: QueueClient,
    settings: DueLoopSettings,
    /// Ids claimed by a tick that failed after the claim, retried first.
    held: Mutex<Vec<String>>,
}

impl DueLoop {
    /// A loop over `bookings`' due reminders, enqueueing onto the queue on the same Redis.
    pub fn new(bookings: Bookings, settings: DueLoopSettings) -> Self {
        Self {
            queue: QueueClient::new(bookings.redis().clone()),
            bookings,
            settings,
            held: Mutex::new(Vec::new()),
        }
    }

    /// Claim, judge, enqueue and settle one batch. When a step after the claim fails (Redis
    /// went away), the claimed ids are kept and taken up again first by the next tick, so a
    /// Redis restart does not leave them waiting for their lease to expire.
    pub async fn tick(&self) -> Result<TickReport, SchedulerError> {
        let held = std::mem::take(&mut *self.held());
        let claimed = match self
            .bookings
            .claim_due(self.settings.batch, self.settings.lease, &held)
            .await
        {
            Ok(claimed) => claimed,
            Err(e) => {
                *self.held() = held;
                return Err(e.into());
            }
        };
        let mut report = TickReport {
            claimed: claimed.len(),
            ..TickReport::default()
        };
        if let Err(e) = self.process(&claimed, &mut report).await {
            *self.held() = claimed.into_iter().map(|c| c.id).collect();
            return Err(e);
        }
        Ok(report)
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn process(
        &self,
        claimed: &[ClaimedReminder],
        report: &mut TickReport,
    ) -> Result<(), SchedulerError> {
        if claimed.is_empty() {
            return Ok(());
        }
        let mut outcomes = Vec::with_capacity(claimed.len());
        let mut jobs: Vec<(&ClaimedReminder, ReminderJob)> = Vec::new();
        for c in claimed {
            match self.bookings.prepare(c) {
                Ok(job) => match self.bookings.quiet_until(&job) {
                    Some(until) => {
                        tracing::info!(reminder.id = %c.id, until_ms = until, "held for quiet hours");
                        counter!("meetflow_reminders_held_total", "kind" => job.kind.label())
                            .increment(1);
                        outcomes.push((c.id.clone(), Settlement::Deferred(until)));
                        report.held += 1;
                    }
                    None => jobs.push((c, job)),
                },
                Err(reason) => {
                    tracing::info!(reminder.id = %c.id, reason = %reason, "reminder dropped");
                    counter!("meetflow_reminders_dropped_total", "reason" => reason.as_str(), "at" => "claim")
                        .increment(1);
                    outcomes.push((c.id.clone(), Settlement::Dropped));
                    report.dropped += 1;
                }
            }
        }
        if !jobs.is_empty() {
            let new_jobs = jobs
                .iter()
                .map(|(c, job)| {
                    let new = NewJob::json(job)?
                        .with_id(job.job_id(&()))
                        .group(job.group());
                    // Days may pass between booking and reminder: a link to the booking's
                    // trace, not a child span in it.
                    Ok(
                        match c.booking.as_ref().and_then(|b| b.traceparent.as_deref()) {
                            Some(traceparent) => new.linked_to(traceparent),
                            None => new,
                        },
                    )
                })
                .collect::<Result<Vec<_>, meetflow_shared::queue::QueueError>>()?;
            let results = self.queue.enqueue_many(SMS, new_jobs).await?;
            let now = self.bookings.clock().now_ms();
            for ((c, job), res) in jobs.iter().zip(&results) {
                outcomes.push((c.id.clone(), Settlement::Enqueued));
                if !res.is_created() {
                    report.duplicates += 1;
                    continue;
                }
                report.enqueued += 1;
                // Due time to enqueue; the lateness the alert watches (due time to EngageLab's
                // acceptance) is recorded by the SMS handler.
                let late_ms = (now - job.due_at.timestamp_millis()).max(0);
                histogram!("meetflow_reminder_enqueue_delay_seconds")
                    .record(late_ms as f64 / 1000.0);
                counter!("meetflow_reminders_enqueued_total", "kind" => job.kind.label())
                    .increment(1);
                tracing::debug!(reminder.id = %c.id, late_ms, "reminder enqueued");
            }
        }
        let settled = self.bookings.settle(&outcomes).await?;
        for ((id, outcome), settled) in outcomes.iter().zip(settled) {
            if settled == Settled::Canceled && *outcome == Settlement::Enqueued {
                // Cancelled while we were enqueueing it: take the job back if still pending.
                // (The SMS handler's is_current check drops it otherwise.)
                let _ = self.queue.cancel(id).await;
            }
        }
        Ok(())
    }

    /// Run until `cancel` fires. Fails only when Redis stays unreachable for `give_up`.
    pub async fn run(&self, cancel: CancellationToken) -> Result<(), SchedulerError> {
        let mut failing_since: Option<Instant> = None;
        let mut backoff = Duration::from_millis(50);
        // The gauges are exported on the first pass too, so /metrics shows them from the start.
        let mut gauges_at: Option<Instant> = None;
        while !cancel.is_cancelled() {
            if gauges_at.is_none_or(|at| at.elapsed() >= GAUGE_EVERY) {
                gauges_at = Some(Instant::now());
                self.export_gauges().await;
            }
            match self.tick().await {
                Ok(report) => {
                    mark_tick();
                    failing_since = None;
                    backoff = Duration::from_millis(50);
                    if report.claimed >= self.settings.batch {
                        continue;
                    }
                }
                Err(e) => {
                    let since = *failing_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= self.settings.give_up {
                        return Err(SchedulerError::GaveUp(self.settings.give_up));
                    }
                    tracing::warn!(error = %e, "due loop: redis call failed; retrying");
                    sleep_or_cancel(&cancel, backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    continue;
                }
            }
            let wait = self.wait_time().await;
            sleep_or_cancel(&cancel, wait).await;
        }
        Ok(())
    }

    /// `meetflow_reminders_pending{set="due"|"claimed"}`: the backlog, for dashboards and alerts.
    async fn export_gauges(&self) {
        if let Ok((due, claimed)) = self.bookings.pending_counts().await {
            gauge!("meetflow_reminders_pending", "set" => "due").set(due as f64);
            gauge!("meetflow_reminders_pending", "set" => "claimed").set(claimed as f64);
        }
    }

    /// Until the next due time or claim expiry, between 1 ms and `max_sleep`.
    async fn wait_time(&self) -> Duration {
        let max = self.settings.max_sleep;
        match self.bookings.next_wake_ms().await {
            Ok(Some(at)) => {
                let ms = at.saturating_sub(self.bookings.clock().now_ms()).max(1);
                Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX)).min(max)
            }
            Ok(None) | Err(_) => max,
        }
    }
}

/// `meetflow_scheduler_last_tick_timestamp_seconds`: the due loop completed a tick now
/// (the `MeetflowSchedulerStalled` alert fires when no replica's stamp is fresh).
fn mark_tick() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    gauge!("meetflow_scheduler_last_tick_timestamp_seconds").set(now.as_secs_f64());
}

/// Sleep `d`, or less if `cancel` fires.
pub(crate) async fn sleep_or_cancel(cancel: &CancellationToken, d: Duration) {
    tokio::select! {
        () = cancel.cancelled() => {}
        () = tokio::time::sleep(d) => {}
    }
}
