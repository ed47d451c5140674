//! One slice of the Zoom catch-up ([`SyncJob`] of source `zoom`): the periodic sweep's
//! (`connectors.zoom.sweep_every`, enqueued by the scheduler) or a backfill's
//! (`meetflow-admin sync zoom`). It lists the slice through the Zoom API
//! ([`meetflow_shared::sync::zoom::ZoomSlice`]) and handles each meeting, webinar or recording
//! whose webhook meetflow never handled exactly as the webhook path does
//! ([`crate::events::zoom_webhooks`]): same `zoom:ended:<uuid>`, `zoom:webinar_ended:<uuid>`,
//! `zoom:recording:<uuid>` and Brevo job ids, so an instance is counted once however often it
//! is swept, and one whose webhook arrives late is not handled twice.
//!
//! Metrics, of sweep slices only: `meetflow_zoom_sweep_healed_total{kind}` (instances handled
//! because their webhook never came) and `meetflow_zoom_sweep_runs_total{outcome="ok"|"error"}`
//! (one per attempt; a slice deferred by the shared rate limits was not tried and is not
//! counted). Alerts `MeetflowZoomSweepKeepsHealing` and `MeetflowZoomSweepFailing` read them
//! with `increase()`, which cannot see a series' first sample: a worker that can run the sweep
//! registers them at 0 when it starts ([`preregister`]).

use meetflow_shared::config::Settings;
use meetflow_shared::jobs::sync::SyncJob;
use meetflow_shared::queue::{JobContext, JobError};
use meetflow_shared::sync::Runs;
use meetflow_shared::sync::zoom::{Kind, Missed, SyncError, ZoomSlice};

use crate::context::Worker;
use crate::error;
use crate::events::zoom_webhooks;
use crate::queues::{self, Access};

const HEALED: &str = "meetflow_zoom_sweep_healed_total";
const RUNS: &str = "meetflow_zoom_sweep_runs_total";

/// Registers the sweep's counters at 0 when `settings` turn the sweep on (the scheduler enqueues
/// it only then), so that the first heal and the first failed run count in the alerts.
pub(crate) fn preregister(settings: &Settings) {
    if settings.connectors.zoom.sweep_every.is_none()
        || queues::zoom_access(settings) != Access::Credentials
    {
        return;
    }
    for kind in [Kind::Meeting, Kind::Webinar, Kind::Recording] {
        metrics::counter!(HEALED, "kind" => kind.as_str()).increment(0);
    }
    for outcome in ["ok", "error"] {
        metrics::counter!(RUNS, "outcome" => outcome).increment(0);
    }
}

/// Handles one Zoom `sync` job; a sweep's attempt is counted by outcome.
pub(crate) async fn handle(w: &Worker, job: SyncJob, ctx: JobContext) -> Result<(), JobError> {
    let sweep = job.is_sweep();
    let result = catch_up(w, job, ctx).await;
    let outcome = match &result {
        Ok(()) => Some("ok"),
        Err(JobError::Defer { .. }) => None,
        Err(_) => Some("error"),
    };
    if let Some(outcome) = outcome.filter(|_| sweep) {
        metrics::counter!(RUNS, "outcome" => outcome).increment(1);
    }
    result
}

/// Lists the slice and handles what it missed.
async fn catch_up(w: &Worker, job: SyncJob, ctx: JobContext) -> Result<(), JobError> {
    let slice = ZoomSlice::new(w.zoom()?.clone(), w.client.clone());
    let (counts, missed) = slice
        .missed(job.from, job.until)
        .await
        .map_err(|e| match e {
            SyncError::Zoom(e) => JobError::from(e),
            SyncError::Queue(e) => error::queue(e),
        })?;
    for m in &missed {
        match m {
            Missed::Meeting(m) => zoom_webhooks::meeting_ended(w, m).await?,
            Missed::Webinar(m) => zoom_webhooks::webinar_ended(w, m).await?,
            Missed::Recording(r) => zoom_webhooks::recording_completed(w, r).await?,
        }
        if job.is_sweep() {
            let kind = m.kind().as_str();
            tracing::warn!(kind, "zoom webhook never handled; caught up from the API");
            metrics::counter!(HEALED, "kind" => kind).increment(1);
        }
    }
    if !job.is_sweep() {
        Runs::new(w.client.clone(), SyncJob::ZOOM)
            .record(&job.run, job.from, &counts)
            .await
            .map_err(error::queue)?;
    }
    tracing::info!(
        job.id = %ctx.id,
        from = %job.from,
        until = %job.until,
        meetings = counts.meetings,
        webinars = counts.webinars,
        recordings = counts.recordings,
        handled = counts.synced,
        unchanged = counts.unchanged,
        "zoom catch-up slice done"
    );
    Ok(())
}
