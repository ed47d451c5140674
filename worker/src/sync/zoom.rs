//! One slice of the Zoom catch-up ([`SyncJob`] of source `zoom`): the periodic sweep's
//! (`connectors.zoom.sweep_every`, enqueued by the scheduler) or a backfill's
//! (`meetflow-admin sync zoom`). It lists the slice through the Zoom API
//! ([`meetflow_shared::sync::zoom::ZoomSlice`]) and handles each meeting, webinar or recording
//! whose webhook meetflow never handled exactly as the webhook path does
//! ([`crate::events::zoom_webhooks`]): same `zoom:ended:<uuid>`, `zoom:webinar_ended:<uuid>`,
//! `zoom:recording:<uuid>` and Brevo job ids, so an instance is counted once however often it
//! is swept, and one whose webhook arrives late is not handled twice.
//!
//! Metrics: `meetflow_zoom_sweep_healed_total{kind}` (instances the sweep handled because their
//! webhook never came; alerted on by nothing yet, graphed beside the reconciliation's).

use meetflow_shared::jobs::sync::SyncJob;
use meetflow_shared::queue::{JobContext, JobError};
use meetflow_shared::sync::Runs;
use meetflow_shared::sync::zoom::{Missed, SyncError, ZoomSlice};

use crate::context::Worker;
use crate::error;
use crate::events::zoom_webhooks;

/// Handles one Zoom `sync` job.
pub(crate) async fn handle(w: &Worker, job: SyncJob, ctx: JobContext) -> Result<(), JobError> {
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
            metrics::counter!("meetflow_zoom_sweep_healed_total", "kind" => kind).increment(1);
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
