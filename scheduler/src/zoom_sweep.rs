//! The periodic Zoom catch-up sweep (`connectors.zoom.sweep_every`, `connectors.zoom.sweep_window`).
//!
//! Zoom retries a failed webhook delivery three times (after 5, 20 and 60 minutes) and then drops
//! it. Once per tick across all replicas ([`crate::periodic`], as the Calendly reconciliation),
//! the sweep enqueues one [`SyncJob`] (source `zoom`, run [`SWEEP_RUN`]) on the `sync` queue
//! covering the instances that ended in `[tick start - sweep_window, tick end)`; a worker lists
//! them through the Zoom API and handles those whose `meeting.ended`, `webinar.ended` or
//! `recording.completed` meetflow never handled ([`meetflow_shared::sync::zoom`]), with the job
//! ids of the webhook path. The job id is made of the tick, so replicas racing on one tick (and
//! a tick run twice) enqueue it once; the listing is done by the workers, which hold the Zoom
//! credentials and the shared per-category limits.

use std::time::Duration;

use chrono::{DateTime, Utc};
use meetflow_shared::config::ZoomSettings;
use meetflow_shared::jobs::sync::SyncJob;
use meetflow_shared::jobs::{JobSpec, SYNC};
use meetflow_shared::queue::{Enqueued, NewJob, QueueClient, QueueError};
use meetflow_shared::sync::zoom::SWEEP_RUN;

/// The sweep of one installation.
#[derive(Debug, Clone)]
pub struct ZoomSweep {
    queue: QueueClient,
    every: Duration,
    window: Duration,
}

impl ZoomSweep {
    /// The sweep configured in `zoom`, or `None` when `sweep_every` is `null` or the API
    /// credentials are not all set.
    pub fn from_settings(zoom: &ZoomSettings, queue: QueueClient) -> Option<Self> {
        let every = zoom.sweep_every?;
        let credentials =
            zoom.account_id.is_some() && zoom.client_id.is_some() && zoom.client_secret.is_some();
        credentials.then_some(Self {
            queue,
            every,
            window: zoom.sweep_window,
        })
    }

    /// The period of the sweep.
    pub fn every(&self) -> Duration {
        self.every
    }

    /// The job of tick `tick`.
    pub fn job(&self, tick: i64) -> SyncJob {
        sweep_job(self.every, self.window, tick)
    }

    /// Enqueues the sweep of tick `tick` (a duplicate when another replica did).
    pub async fn run_tick(&self, tick: i64) -> Result<Enqueued, QueueError> {
        let job = self.job(tick);
        let id = job.job_id(&());
        self.queue
            .enqueue(SYNC, NewJob::json(&job)?.with_id(id))
            .await
    }
}

/// The sweep job of tick `tick` of `every`, looking `window` back from the tick's start.
pub fn sweep_job(every: Duration, window: Duration, tick: i64) -> SyncJob {
    let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let start = tick.saturating_mul(ms(every));
    let at = |t: i64| DateTime::<Utc>::from_timestamp_millis(t).unwrap_or_default();
    SyncJob {
        v: SyncJob::VERSION,
        source: SyncJob::ZOOM.into(),
        run: SWEEP_RUN.into(),
        from: at(start.saturating_sub(ms(window))),
        until: at(start.saturating_add(ms(every))),
        organization: String::new(),
        user: String::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_tick_covers_the_window_before_it_and_the_tick_itself() {
        let zoom = ZoomSettings::default();
        let job = |tick| sweep_job(zoom.sweep_every.unwrap(), zoom.sweep_window, tick);
        let ten = job(10);
        assert_eq!(ten.until - ten.from, chrono::TimeDelta::hours(25));
        assert_eq!(ten.until.timestamp(), 11 * 3600);
        assert!(ten.is_sweep());
        assert_eq!(ten.job_id(&()), job(10).job_id(&()));
        assert_ne!(ten.job_id(&()), job(11).job_id(&()));
    }
}
