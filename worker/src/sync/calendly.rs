//! One slice of a Calendly backfill ([`SyncJob`]): list the slice's scheduled events and
//! invitees through the Calendly API, paced by the limit all replicas share, and enqueue one
//! quiet backfill job per invitee meetflow does not hold in its listed state
//! ([`meetflow_shared::sync::calendly::SliceSync`]). A slice run again (a worker killed midway,
//! a Calendly 429) lists again and enqueues only what its first attempt had not.

use meetflow_shared::jobs::sync::SyncJob;
use meetflow_shared::queue::{ErrorClass, JobContext, JobError};
use meetflow_shared::sync::calendly::{SliceSync, SyncError, pacer};

use crate::context::Worker;
use crate::error;

/// Handles one `sync` job.
pub(crate) async fn handle(w: &Worker, job: SyncJob, ctx: JobContext) -> Result<(), JobError> {
    let Some(api) = &w.calendly else {
        return Err(JobError::permanent(
            ErrorClass::Config,
            "connectors.calendly.access_token is not set in this worker",
        ));
    };
    let slice = SliceSync::new(
        api.clone()
            .with_limit(pacer(&w.redis, w.settings.connectors.calendly.rate_limit)),
        w.client.clone(),
        w.bookings.clone(),
    );
    let (counts, _) = slice.run(&job, false).await.map_err(|e| match e {
        SyncError::Calendly(e) => JobError::from(e),
        SyncError::Bookings(e) => error::bookings(e),
        SyncError::Queue(e) => error::queue(e),
    })?;
    tracing::info!(
        job.id = %ctx.id,
        from = %job.from,
        events = counts.events,
        invitees = counts.invitees,
        synced = counts.synced,
        unchanged = counts.unchanged,
        "backfill slice done"
    );
    Ok(())
}
