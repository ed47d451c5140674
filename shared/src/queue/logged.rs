//! Enqueueing with a delivery log entry ([`crate::delivery_log`]): ingest's write, where the
//! job and the log entry of one webhook delivery go to Redis in the same script run, and the
//! trim that keeps the log within `ingest.delivery_log`.

use std::time::Duration;

use super::client::QueueClient;
use super::error::{ErrorClass, QueueError};
use super::job::{AttemptError, Enqueued, NewJob};
use super::scripts;
use super::time::now_ms;
use crate::config::DeliveryLogSettings;
use crate::delivery_log::LogEntry;

/// Most log entries one trim call removes (a trim runs after every written batch, so a log
/// that grew past a lowered cap shrinks over a few batches without one long script run).
pub const TRIM_BUDGET: usize = 256;

impl QueueClient {
    /// Enqueues `jobs` in one atomic script run, writing each one's log entry (when it has one)
    /// in the same run, whether the job is new or a duplicate; entries are kept for
    /// `log_retention`.
    pub async fn enqueue_logged(
        &self,
        queue: &str,
        jobs: Vec<(NewJob, Option<LogEntry>)>,
        log_retention: Duration,
    ) -> Result<Vec<Enqueued>, QueueError> {
        self.store(queue, jobs, None, log_retention).await
    }

    /// [`QueueClient::bury`] with the delivery's log entry written in the same script run.
    pub async fn bury_logged(
        &self,
        queue: &str,
        job: NewJob,
        log: Option<LogEntry>,
        log_retention: Duration,
        class: ErrorClass,
        reason: &str,
    ) -> Result<Enqueued, QueueError> {
        let err = AttemptError::new(now_ms(), 0, class, reason);
        let mut out = self
            .store(
                queue,
                vec![(job, log)],
                Some(serde_json::to_string(&err)?),
                log_retention,
            )
            .await?;
        out.pop()
            .ok_or_else(|| QueueError::Protocol("bury returned nothing".into()))
    }

    /// Removes the oldest delivery log entries beyond `settings` (age, count, bytes), at most
    /// [`TRIM_BUDGET`] of them; how many it removed.
    pub async fn trim_delivery_log(
        &self,
        settings: &DeliveryLogSettings,
    ) -> Result<usize, QueueError> {
        let k = self.keys();
        let mut conn = self.redis();
        let removed: usize = scripts::DELIVERY_TRIM
            .key(k.deliveries())
            .key(k.deliveries_stats())
            .arg(k.prefix())
            .arg(crate::redis::millis(settings.retention))
            .arg(settings.max_entries)
            .arg(settings.max_bytes)
            .arg(TRIM_BUDGET)
            .invoke_async(&mut conn)
            .await?;
        Ok(removed)
    }
}
