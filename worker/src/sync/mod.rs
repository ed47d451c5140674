//! The `sync` queue: the backfills' slices (`meetflow-admin sync calendly|zoom`) and the
//! periodic Zoom catch-up sweep, one job per time slice of the history ([`calendly`],
//! [`zoom`]).

pub(crate) mod calendly;
pub(crate) mod zoom;

use meetflow_shared::jobs::sync::SyncJob;
use meetflow_shared::queue::{JobContext, JobError};

use crate::context::Worker;
use crate::error;

/// Handles one `sync` job by its source.
pub(crate) async fn handle(w: &Worker, job: SyncJob, ctx: JobContext) -> Result<(), JobError> {
    match job.source.as_str() {
        SyncJob::CALENDLY => calendly::handle(w, job, ctx).await,
        SyncJob::ZOOM => zoom::handle(w, job, ctx).await,
        other => Err(error::bad_payload(format!(
            "sync job {}: unknown source `{other}`",
            ctx.id
        ))),
    }
}
