//! The state one queue's runtime shares between its fetcher, its handlers' acknowledgements and
//! its maintenance loops, and the Redis operations they perform.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::queue::backoff;
use crate::queue::client::QueueClient;
use crate::queue::error::{JobError, QueueError};
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
    /// The fencing token of this lease (the job's lease generation): every outcome names it, so
    /// an outcome of an older lease of the same job is refused.
    pub token: u64,
    /// Its group key, if any (its outcome script removes it from the group's set).
    pub group: Option<String>,
    /// The provider slot the queue's lease gate reserved for it, if the queue has one.
    pub slot: Option<tokio::time::Instant>,
}

impl LeasedJob {
    /// What identifies this lease in flight: the job id alone is not enough, since after an
    /// expired lease the same process may hold the job again under a newer token.
    pub(crate) fn lease_id(&self) -> LeaseId {
        (self.id.clone(), self.token)
    }
}

/// A lease in flight: job id and fencing token.
pub(crate) type LeaseId = (String, u64);

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
    pub(crate) inflight: Mutex<HashMap<LeaseId, OwnedSemaphorePermit>>,
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

    /// This process's clock (the host clock, shifted by the test-only offset).
    pub(crate) fn now_ms(&self) -> i64 {
        now_ms() + self.settings.clock_offset_ms
    }

    fn lease_ms(&self) -> u64 {
        u64::try_from(self.settings.lease.as_millis()).unwrap_or(30_000)
    }

    pub(crate) fn inflight_leases(&self) -> Vec<LeaseId> {
        self.inflight
            .lock()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn hold(&self, job: &LeasedJob, permit: OwnedSemaphorePermit) {
        if let Ok(mut m) = self.inflight.lock() {
            m.insert(job.lease_id(), permit);
        }
    }

    /// Frees the slot of a lease this process no longer holds.
    pub(crate) fn forget(&self, lease: &LeaseId) {
        if let Ok(mut m) = self.inflight.lock() {
            m.remove(lease);
        }
    }

    /// Counts outcomes of leases that were no longer current (expired, handed back, leased again).
    pub(crate) fn count_stale(&self, outcome: &'static str, n: usize) {
        if n > 0 {
            metrics::counter!("meetflow_queue_stale_outcomes_total", "queue" => self.queue.clone(), "outcome" => outcome)
                .increment(n as u64);
        }
    }

    pub(crate) async fn lease(&self, n: usize) -> Result<Vec<LeasedJob>, QueueError> {
        let k = self.client.keys();
        let mut inv = scripts::LEASE.prepare_invoke();
        inv.key(k.ready(&self.queue))
            .key(k.leased(&self.queue))
            .key(k.wake(&self.queue))
            .key(k.paused());
        inv.arg(k.prefix())
            .arg(n)
            .arg(self.lease_ms())
            .arg(&self.owner)
            .arg(self.settings.max_attempts)
            .arg(&self.queue);
        let mut conn = self.client.redis();
        let flat: Vec<String> = inv.invoke_async(&mut conn).await?;
        flat.chunks(7)
            .map(|c| match c {
                [id, payload, attempt, max, enq, token, group] => Ok(LeasedJob {
                    id: id.clone(),
                    payload: payload.clone(),
                    attempt: attempt.parse().unwrap_or(1),
                    max_attempts: max.parse().unwrap_or(1),
                    enq_ms: enq.parse().unwrap_or_else(|_| self.now_ms()),
                    token: token.parse().map_err(|_| {
                        QueueError::Protocol(format!("lease token {token:?} is not a number"))
                    })?,
                    group: (!group.is_empty()).then(|| group.clone()),
                    slot: None,
                }),
                _ => Err(QueueError::Protocol(
                    "lease reply not a multiple of 7".into(),
                )),
            })
            .collect()
    }

    /// Finishes the jobs of `leases` (with their groups); returns how many were finished (the
    /// rest were stale).
    pub(crate) async fn ack(
        &self,
        leases: &[(LeaseId, Option<String>)],
    ) -> Result<usize, QueueError> {
        let k = self.client.keys();
        let mut inv = scripts::ACK.prepare_invoke();
        inv.key(k.leased(&self.queue))
            .key(k.minute_stats(&self.queue, self.now_ms() / 60_000));
        for ((id, token), group) in leases {
            let job = k.job(id);
            inv.key(&job).key(k.job_errors(id));
            inv.key(group.as_deref().map_or(job, |g| k.group(g)));
            inv.arg(id).arg(*token).arg(group.as_deref().unwrap_or(""));
        }
        let mut conn = self.client.redis();
        Ok(inv.invoke_async(&mut conn).await?)
    }

    /// Records a failed attempt; returns "retry", "dead" (or "dead:<trimmed by count>:<trimmed
    /// by age>" when burying it trimmed the dead-letter store) or "stale". A deferral
    /// ([`JobError::Defer`]) is no failure: the job is delayed, "deferred".
    pub(crate) async fn fail(&self, job: &LeasedJob, err: &JobError) -> Result<String, QueueError> {
        let k = self.client.keys();
        let s = &self.settings;
        let (mode, delay, consume) = match err {
            JobError::Permanent { .. } => ("dead", Duration::ZERO, true),
            JobError::Defer { after, .. } => ("defer", (*after).min(backoff::MAX_HINT), false),
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
        let mut inv = scripts::FAIL.prepare_invoke();
        inv.key(k.leased(&self.queue))
            .key(k.delayed(&self.queue))
            .key(k.retrying(&self.queue));
        inv.key(k.dead_all())
            .key(k.dead(&self.queue))
            .key(k.minute_stats(&self.queue, self.now_ms() / 60_000));
        inv.arg(k.prefix()).arg(job.token).arg(&job.id);
        inv.arg(job.attempt)
            .arg(err.class().as_str())
            .arg(err.message());
        inv.arg(mode)
            .arg(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX / 2))
            .arg(if consume { "1" } else { "0" });
        inv.arg(s.dead_max_count)
            .arg(u64::try_from(s.dead_max_age.as_millis()).unwrap_or(u64::MAX))
            .arg(s.max_attempts);
        let mut conn = self.client.redis();
        Ok(inv.invoke_async(&mut conn).await?)
    }

    /// Extends the leases of every job in flight here; returns ids this process lost.
    pub(crate) async fn renew(&self) -> Result<Vec<String>, QueueError> {
        self.renew_these(&self.inflight_leases()).await
    }

    /// Extends `leases`; returns the ids whose lease this process lost.
    pub(crate) async fn renew_these(&self, leases: &[LeaseId]) -> Result<Vec<String>, QueueError> {
        if leases.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.client.keys();
        let mut inv = scripts::RENEW.prepare_invoke();
        inv.key(k.leased(&self.queue));
        inv.arg(self.lease_ms());
        for (id, token) in leases {
            inv.key(k.job(id));
            inv.arg(id).arg(*token);
        }
        let mut conn = self.client.redis();
        Ok(inv.invoke_async(&mut conn).await?)
    }

    /// Returns leased-but-unstarted jobs to the front of the ready list.
    pub(crate) async fn release(&self, leases: &[LeaseId]) -> Result<usize, QueueError> {
        if leases.is_empty() {
            return Ok(0);
        }
        let k = self.client.keys();
        let mut inv = scripts::RELEASE.prepare_invoke();
        inv.key(k.leased(&self.queue))
            .key(k.ready(&self.queue))
            .key(k.wake(&self.queue));
        for (id, token) in leases {
            inv.key(k.job(id));
            inv.arg(id).arg(*token);
        }
        let mut conn = self.client.redis();
        Ok(inv.invoke_async(&mut conn).await?)
    }
}

/// Promotes due delayed jobs of `queue` (due by Redis time); returns (moved, ms until the next
/// delayed job is due, or -1 when none is).
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
    inv.arg(k.prefix()).arg(limit);
    let mut conn = client.redis();
    Ok(inv.invoke_async(&mut conn).await?)
}

/// Hands leases of `queue` expired by Redis time back; returns (requeued, buried).
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
    inv.arg(k.prefix()).arg(limit).arg(default_max);
    let mut conn = client.redis();
    Ok(inv.invoke_async(&mut conn).await?)
}
