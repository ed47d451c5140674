//! [`SyncJob`]: one time slice of a backfill (`meetflow-admin sync calendly`) on the `sync`
//! queue. The CLI cuts the range into slices and enqueues one job per slice; a worker lists the
//! slice's scheduled events and invitees and enqueues one quiet `events` job per invitee whose
//! state Brevo does not have yet. Job id `sync:<source>:<run>:<slice start ms>`: a run resumed
//! after an interruption enqueues each slice once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::spec::JobSpec;

/// One backfill slice (queue [`super::SYNC`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncJob {
    /// Payload version: [`SyncJob::VERSION`].
    pub v: u32,
    /// Where the history comes from (`calendly`, `zoom`).
    pub source: String,
    /// The run this slice belongs to (`<range>:<n>`), under which its results are kept.
    pub run: String,
    /// Meetings starting at or after this time...
    pub from: DateTime<Utc>,
    /// ...and before this one.
    pub until: DateTime<Utc>,
    /// The Calendly organization URI (`GET /users/me`), listed when the token may.
    pub organization: String,
    /// The token's user URI: listed instead when the token may not list the organization, and
    /// the `created_by` of the rebuilt deliveries.
    pub user: String,
}

impl SyncJob {
    /// The payload version this build writes and reads.
    pub const VERSION: u32 = 1;
    /// Calendly's history (`meetflow-admin sync calendly`).
    pub const CALENDLY: &'static str = "calendly";
    /// Zoom's history (`meetflow-admin sync zoom`, and the periodic catch-up sweep, whose run
    /// is [`crate::sync::zoom::SWEEP_RUN`]); `organization` and `user` are empty.
    pub const ZOOM: &'static str = "zoom";

    /// Whether this is a slice of the periodic Zoom sweep (not a backfill run).
    pub fn is_sweep(&self) -> bool {
        self.source == Self::ZOOM && self.run == crate::sync::zoom::SWEEP_RUN
    }
}

impl JobSpec for SyncJob {
    const QUEUE: &'static str = super::SYNC;
    const VERSION: u32 = SyncJob::VERSION;
    const NAME: &'static str = "sync job";
    type IdFrom = ();

    /// `sync:<source>:<run>:<slice start ms>`.
    fn job_id(&self, (): &()) -> String {
        format!(
            "sync:{}:{}:{}",
            self.source,
            self.run,
            self.from.timestamp_millis()
        )
    }

    fn version(&self) -> u32 {
        self.v
    }
}
