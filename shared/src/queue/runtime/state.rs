//! The state one queue's runtime shares between its fetcher, its handlers' acknowledgements and
//! its maintenance loops, and the Redis operations they perform.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::queue::backoff;
use crate::queue::client::QueueClient;
use crate::queue::error::{JobError, QueueError};
use crate::queue::job::AttemptError;
use crate::queue::scripts;
use crate::queue::settings::QueueSettings;
use crate::queue::time::now_ms;

/// One leased job as handed to apalis: the raw payload is decoded by the handler, so a payload
/// that does not decode becomes a permanent failure stored with the job, not a worker error.
#[derive(Debug, Clone)]
pub struct LeasedJob {
    /// Job id.
    pub id: String,
    /// Raw JSON payload.
    pub payload: String,
    /// This attempt (1-based).
    pub attempt: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// When the job became ready (unix ms), for the pick-up latency metric.
    pub enq_ms: i64,
}

/// Tracks whether Redis has been failing for longer than we are willing to wait.
#[derive(Debug, Default)]
pub(crate) struct Health {
    failing_since: Mutex<Option<Instant>>,
}

impl Health {
    pub(crate) fn ok(&self) {
        if let Ok(mut f) = self.failing_since.lock() {
            *f = None;
        }
    }

    /// Records a failure; returns how long Redis has been failing.
    pub(crate) fn failed(&self) -> Duration {
        match self.failing_since.lock() {
            Ok(mut f) => f.get_or_insert_with(Instant::now).elapsed(),
            Err(_) => Duration::ZERO,
        }
    }
}

/// Shared by every part of one queue's runtime in this process.
pub(crate) struct Runtime {
    pub(crate) client: QueueClient,
    pub(crate) queue: String,
    pub(crate) settings: QueueSettings,
    pub(crate) owner: String,
    pub(crate) slots: Arc<Semaphore>,
    pub(crate) inflight: Mutex<HashMap<String, OwnedSemaphorePermit>>,
    pub(crate) health: Health,
}

impl Runtime {
    pub(crate) fn new(
        client: QueueClient,
        queue: &str,
        settings: QueueSettings,
        owner: &str,
    ) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            client,
            queue: queue.to_owned(),
            settings,
            owner: owner.to_owned(),
            inflight: Mutex::new(HashMap::new()),
            health: Health::default(),
        }
    }

    fn lease_ms(&self) -> u64 {
        u64::try_from(self.settings.lease.as_millis()).unwrap_or(30_000)
    }

    pub(crate) fn inflight_ids(&self) -> Vec<String> {
        self.inflight
            .lock()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn hold(&self, id: &str, permit: OwnedSemaphorePermit) {
        if let Ok(mut m) = self.inflight.lock() {
            m.insert(id.to_owned(), permit);
        }
    }

    /// Frees the slot of a job this process no longer holds.
    pub(crate) fn forget(&self, id: &str) {
        if let Ok(mut m) = self.inflight.lock() {
            m.remove(id);
        }
    }

    pub(crate) async fn lease(&self, n: usize) -> Result<Vec<LeasedJob>, QueueError> {
        let k = self.client.keys();
        let mut inv = scripts::LEASE.prepare_invoke();
        inv.key(k.ready(&self.queue))
            .key(k.leased(&self.queue))
            .key(k.wake(&self.queue));
        inv.arg(k.prefix())
            .arg(n)
            .arg(now_ms())
            .arg(self.lease_ms())
            .arg(&self.owner)
            .arg(self.settings.max_attempts);
        let mut conn = self.client.redis();
        let flat: Vec<String> = inv.invoke_async(&mut conn).await?;
        flat.chunks(5)
            .map(|c| match c {
                [id, payload, attempt, max, enq] => Ok(LeasedJob {
                    id: id.clone(),
                    payload: payload.clone(),
                    attempt: attempt.parse().unwrap_or(1),
                    max_attempts: max.parse().unwrap_or(1),
                    enq_ms: enq.parse().unwrap_or_else(|_| now_ms()),
                }),
                _ => Err(QueueError::Protocol(
                    "lease reply not a multiple of 5".into(),
                )),
            })
            .collect()
    }

    pub(crate) async fn ack(&self, ids: &[String]) -> Result<usize, QueueError> {
        let k = self.client.keys();
        let now = now_ms();
        let mut inv = scripts::ACK.prepare_invoke();
        inv.key(k.leased(&self.queue))
            .key(k.minute_stats(&self.queue, now / 60_000));
        inv.arg(k.prefix()).arg(&self.owner).arg(now);
        for id in ids {
            inv.arg(id);
        }
        let mut conn = self.client.redis();
        Ok(inv.invoke_async(&mut conn).await?)
    }

    /// Records a failed attempt; returns "retry", "dead" (or "dead:<trimmed by count>:<trimmed
    /// by age>" when burying it trimmed the dead-letter store) or "stale".
    pub(crate) async fn fail(&self, job: &LeasedJob, err: &JobError) -> Result<String, QueueError> {
        let k = self.client.keys();
        let now = now_ms();
        let s = &self.settings;
        let (mode, delay, consume) = match err {
            JobError::Permanent { .. } => ("dead", Duration::ZERO, true),
            JobError::Retry {
                after,
                consume_attempt,
                ..
            } => {
                let delay = match after {
                    Some(hint) => backoff::hinted(*hint, backoff::MAX_HINT),
                    None => backoff::full_jitter(job.attempt, s.backoff_base, s.backoff_cap),
                };
                ("retry", delay, *consume_attempt)
            }
        };
        let record = AttemptError::new(now, job.attempt, err.class(), err.message());
        let run_at = now + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
        let mut inv = scripts::FAIL.prepare_invoke();
        inv.key(k.leased(&self.queue))
            .key(k.delayed(&self.queue))
            .key(k.retrying(&self.queue));
        inv.key(k.dead_all())
            .key(k.dead(&self.queue))
            .key(k.minute_stats(&self.queue, now / 60_000));
        inv.arg(k.prefix()).arg(&self.owner).arg(now).arg(&job.id);
        inv.arg(serde_json::to_string(&record)?)
            .arg(mode)
            .arg(run_at)
            .arg(if consume { "1" } else { "0" });
        inv.arg(s.dead_max_count)
            .arg(u64::try_from(s.dead_max_age.as_millis()).unwrap_or(u64::MAX))
            .arg(s.max_attempts);
        let mut conn = self.client.redis();
        Ok(inv.invoke_async(&mut conn).await?)
    }

    /// Extends the leases of every job in flight here; returns ids this process lost.
    pub(crate) async fn renew(&self) -> Result<Vec<String>, QueueError> {
        let ids = self.inflight_ids();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.client.keys();
        let mut inv = scripts::RENEW.prepare_invoke();
        inv.key(k.leased(&self.queue));
        inv.arg(k.prefix())
            .arg(&self.owner)
            .arg(now_ms() + i64::try_from(self.lease_ms()).unwrap_or(30_000));
        for id in &ids {
            inv.arg(id);
        }
        let mut conn = self.client.redis();
        Ok(inv.invoke_async(&mut conn).await?)
    }

    /// Returns leased-but-unstarted jobs to the front of the ready list.
    pub(crate) async fn release(&self, ids: &[String]) -> Result<usize, QueueError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let k = self.client.keys();
        let mut inv = scripts::RELEASE.prepare_invoke();
        inv.key(k.leased(&self.queue))
            .key(k.ready(&self.queue))
            .key(k.wake(&self.queue));
        inv.arg(k.prefix()).arg(&self.owner).arg(now_ms());
        for id in ids {
            inv.arg(id);
        }
        let mut conn = self.client.redis();
        Ok(inv.invoke_async(&mut conn).await?)
    }
}

/// Promotes due delayed jobs of `queue`; returns (moved, next due ms or -1).
pub(crate) async fn promote(
    client: &QueueClient,
    queue: &str,
    limit: usize,
) -> Result<(i64, i64), QueueError> {
    let k = client.keys();
    let mut inv = scripts::PROMOTE.prepare_invoke();
    inv.key(k.delayed(queue))
        .key(k.ready(queue))
        .key(k.wake(queue))
        .key(k.retrying(queue));
    inv.arg(k.prefix()).arg(now_ms()).arg(limit);
    let mut conn = client.redis();
    Ok(inv.invoke_async(&mut conn).await?)
}

/// Hands expired leases of `queue` back; returns (requeued, buried).
pub(crate) async fn reap(
    client: &QueueClient,
    queue: &str,
    limit: usize,
    default_max: u32,
) -> Result<(i64, i64), QueueError> {
    let k = client.keys();
    let mut inv = scripts::REAP.prepare_invoke();
    inv.key(k.leased(queue))
        .key(k.ready(queue))
        .key(k.wake(queue))
        .key(k.dead_all())
        .key(k.dead(queue));
    inv.arg(k.prefix())
        .arg(now_ms())
        .arg(limit)
        .arg(default_max);
    let mut conn = client.redis();
    Ok(inv.invoke_async(&mut conn).await?)
}
