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
use crate::events::Provider;

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
    /// [`TRIM_BUDGET`] of them; what it removed, by reason, and what the log holds after it.
    pub async fn trim_delivery_log(
        &self,
        settings: &DeliveryLogSettings,
    ) -> Result<TrimReport, QueueError> {
        let k = self.keys();
        let mut conn = self.redis();
        let mut inv = scripts::DELIVERY_TRIM.prepare_invoke();
        inv.key(k.deliveries())
            .key(k.deliveries_stats())
            .arg(k.prefix())
            .arg(crate::redis::millis(settings.retention))
            .arg(settings.max_entries)
            .arg(settings.max_bytes)
            .arg(TRIM_BUDGET);
        for p in PROVIDERS {
            inv.arg(p.as_str());
        }
        let out: Vec<i64> = inv.invoke_async(&mut conn).await?;
        TrimReport::from_reply(&out)
            .ok_or_else(|| QueueError::Protocol(format!("delivery trim answered {out:?}")))
    }
}

/// Every provider whose deliveries the log keeps, in the order the trim reports them.
const PROVIDERS: [Provider; 3] = [Provider::Calendly, Provider::Zoom, Provider::EngageLab];

/// What one trim of the delivery log did, and what the log holds after it (for the metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrimReport {
    /// Entries removed for being older than the retention.
    pub aged: u64,
    /// Entries removed because the log held more than `max_entries`.
    pub over_count: u64,
    /// Entries removed because the kept bodies were more than `max_bytes`.
    pub over_bytes: u64,
    /// Entries kept.
    pub entries: u64,
    /// Body bytes kept (the sum of the kept payloads' sizes).
    pub bytes: u64,
    /// Entries kept per provider (the size of its index).
    pub by_provider: Vec<(Provider, u64)>,
}

impl TrimReport {
    /// Entries removed, all reasons together.
    #[must_use]
    pub fn removed(&self) -> u64 {
        self.aged + self.over_count + self.over_bytes
    }

    /// The script's reply: three removed counts, entries, bytes, then one count per provider.
    fn from_reply(out: &[i64]) -> Option<Self> {
        let n = |i: usize| out.get(i).map(|v| u64::try_from(*v).unwrap_or(0));
        if out.len() != 5 + PROVIDERS.len() {
            return None;
        }
        Some(Self {
            aged: n(0)?,
            over_count: n(1)?,
            over_bytes: n(2)?,
            entries: n(3)?,
            bytes: n(4)?,
            by_provider: PROVIDERS
                .iter()
                .enumerate()
                .map(|(i, p)| Some((*p, n(5 + i)?)))
                .collect::<Option<_>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trim_reply_reads_by_position_and_a_short_one_is_refused() {
        let r = TrimReport::from_reply(&[1, 2, 3, 40, 5000, 30, 10, 0]).expect("a full reply");
        assert_eq!((r.aged, r.over_count, r.over_bytes), (1, 2, 3));
        assert_eq!((r.removed(), r.entries, r.bytes), (6, 40, 5000));
        assert_eq!(
            r.by_provider,
            [
                (Provider::Calendly, 30),
                (Provider::Zoom, 10),
                (Provider::EngageLab, 0)
            ]
        );
        // Bytes below zero (stats drift) read as 0, not as a huge number.
        let drifted = TrimReport::from_reply(&[0, 0, 0, 0, -5, 0, 0, 0]).expect("a full reply");
        assert_eq!(drifted.bytes, 0);
        assert!(TrimReport::from_reply(&[0, 0, 0, 0, 0]).is_none());
    }
}
