//! Test seam, not an API: one process's lease operations (lease, renew, ack, fail, reap,
//! promote) called one at a time, so tests can replay an interleaving that a running worker only
//! reaches by bad luck (a lease that expired while its handler still ran).

use super::client::QueueClient;
use super::error::{JobError, QueueError};
use super::runtime::{LeasedJob, Runtime, promote, reap};
use super::settings::QueueSettings;

/// One queue's lease operations as process `owner` performs them.
pub struct LeaseProbe {
    rt: Runtime,
}

impl LeaseProbe {
    /// Acts as process `owner` on `queue` with `settings` (lease length, clock offset).
    pub fn new(client: QueueClient, queue: &str, settings: QueueSettings, owner: &str) -> Self {
        Self {
            rt: Runtime::new(client, queue, settings, owner),
        }
    }

    /// Leases up to `n` ready jobs.
    pub async fn lease(&self, n: usize) -> Result<Vec<LeasedJob>, QueueError> {
        self.rt.lease(n).await
    }

    /// Acknowledges `jobs` as succeeded; returns how many were finished.
    pub async fn ack(&self, jobs: &[LeasedJob]) -> Result<usize, QueueError> {
        let leases: Vec<_> = jobs
            .iter()
            .map(|j| (j.lease_id(), j.group.clone()))
            .collect();
        self.rt.ack(&leases).await
    }

    /// Records a failed attempt of `job`; returns "retry", "dead" or "stale".
    pub async fn fail(&self, job: &LeasedJob, err: &JobError) -> Result<String, QueueError> {
        self.rt.fail(job, err).await
    }

    /// Renews the leases of `jobs`; returns the ids whose lease this process lost.
    pub async fn renew(&self, jobs: &[LeasedJob]) -> Result<Vec<String>, QueueError> {
        let leases: Vec<_> = jobs.iter().map(LeasedJob::lease_id).collect();
        self.rt.renew_these(&leases).await
    }

    /// Hands expired leases back; returns (requeued, buried).
    pub async fn reap(&self) -> Result<(i64, i64), QueueError> {
        let rt = &self.rt;
        reap(&rt.client, &rt.queue, 500, rt.settings.max_attempts).await
    }

    /// Promotes due delayed jobs; returns how many moved.
    pub async fn promote(&self) -> Result<i64, QueueError> {
        let rt = &self.rt;
        Ok(promote(&rt.client, &rt.queue, 500).await?.0)
    }
}
