//! [`QueueClient`]: enqueue, cancel, inspect. The one way any binary puts work into Redis.

use std::time::Duration;

use super::error::{ErrorClass, QueueError};
use super::job::{Enqueued, NewJob};
use super::scripts;
use super::settings::QueueSettings;
use crate::delivery_log::LogEntry;
use crate::redis::{Keys, Redis, RedisConn};

/// A cheap-to-clone handle on the queue: the installation's [`Redis`] handle and the per-job
/// defaults.
#[derive(Clone)]
pub struct QueueClient {
    redis: Redis,
    defaults: QueueSettings,
}

impl std::fmt::Debug for QueueClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueClient")
            .field("prefix", &self.redis.keys().prefix())
            .finish_non_exhaustive()
    }
}

impl QueueClient {
    /// The queue on `redis`.
    pub fn new(redis: Redis) -> Self {
        Self {
            redis,
            defaults: QueueSettings::default(),
        }
    }

    /// Connects lazily ([`Redis::connect`]): a Redis that is down at start is retried on first
    /// use, so processes start (and report not-ready) instead of crashing.
    pub async fn connect(redis_url: &str, namespace: &str) -> Result<Self, QueueError> {
        Ok(Self::new(Redis::connect(redis_url, namespace)?))
    }

    /// Uses `settings` for the per-job defaults (max attempts) of jobs enqueued without their own.
    pub fn with_defaults(mut self, settings: QueueSettings) -> Self {
        self.defaults = settings;
        self
    }

    /// The Redis handle the queue runs on (for the other stores of the process).
    pub fn handle(&self) -> &Redis {
        &self.redis
    }

    /// Every key name.
    pub fn keys(&self) -> &Keys {
        self.redis.keys()
    }

    /// The shared connection (the queue's own commands, and tests looking at its keys).
    pub fn redis(&self) -> RedisConn {
        self.redis.conn()
    }

    /// A new dedicated connection for blocking commands (BLPOP), which must not hold up the shared one.
    pub(crate) async fn blocking_connection(
        &self,
        block: Duration,
    ) -> Result<RedisConn, QueueError> {
        Ok(self.redis.blocking_connection(block).await?)
    }

    /// Fails unless Redis answers PING.
    pub async fn ping(&self) -> Result<(), QueueError> {
        Ok(self.redis.ping().await?)
    }

    /// Enqueues one job; an existing id makes this a no-op that returns [`Enqueued::Duplicate`].
    pub async fn enqueue(&self, queue: &str, job: NewJob) -> Result<Enqueued, QueueError> {
        let mut out = self.enqueue_many(queue, vec![job]).await?;
        out.pop()
            .ok_or_else(|| QueueError::Protocol("enqueue returned nothing".into()))
    }

    /// Enqueues several jobs in one atomic round trip.
    pub async fn enqueue_many(
        &self,
        queue: &str,
        jobs: Vec<NewJob>,
    ) -> Result<Vec<Enqueued>, QueueError> {
        let jobs = jobs.into_iter().map(|j| (j, None)).collect();
        self.store(queue, jobs, None, Duration::ZERO).await
    }

    /// Stores a job straight into the dead-letter store (e.g. a signed webhook body that does not
    /// parse), so nothing a provider sent is lost and an operator can look at it.
    pub async fn bury(
        &self,
        queue: &str,
        job: NewJob,
        class: ErrorClass,
        reason: &str,
    ) -> Result<Enqueued, QueueError> {
        self.bury_logged(queue, job, None, Duration::ZERO, class, reason)
            .await
    }

    /// Stores `jobs` (each with its delivery log entry, if any, kept for `log_retention`) in one
    /// script run; `bury` (the error JSON) puts them straight into the dead-letter store.
    pub(super) async fn store(
        &self,
        queue: &str,
        jobs: Vec<(NewJob, Option<LogEntry>)>,
        bury: Option<String>,
        log_retention: Duration,
    ) -> Result<Vec<Enqueued>, QueueError> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.redis.keys();
        let mut inv = scripts::ENQUEUE.prepare_invoke();
        inv.key(k.ready(queue))
            .key(k.delayed(queue))
            .key(k.wake(queue))
            .key(k.queues())
            .key(k.dead_all())
            .key(k.dead(queue))
            .key(k.deliveries())
            .key(k.deliveries_stats());
        inv.arg(queue);
        inv.arg(if bury.is_some() { "dead" } else { "" });
        inv.arg(bury.as_deref().unwrap_or(""));
        inv.arg(crate::redis::millis(log_retention));
        for (job, log) in &jobs {
            // Every key the script touches is declared: the job's hash, its error list when
            // burying, its group set when it has one.
            inv.key(k.job(&job.id));
            if bury.is_some() {
                inv.key(k.job_errors(&job.id));
            }
            if let Some(group) = &job.group {
                inv.key(k.group(group));
            }
            // 0 = now, by Redis time: no host clock decides whether a job is due.
            let run_at = job.run_at.map_or(0, |t| t.timestamp_millis());
            inv.arg(&job.id).arg(&job.payload).arg(run_at);
            inv.arg(job.group.as_deref().unwrap_or(""));
            inv.arg(job.max_attempts.map_or(String::new(), |n| n.to_string()));
            inv.arg(u64::try_from(job.retain.as_millis()).unwrap_or(u64::MAX));
            match log {
                Some(entry) => {
                    for key in entry.keys(k) {
                        inv.key(key);
                    }
                    inv.arg(entry.spec());
                }
                None => {
                    inv.arg("");
                }
            }
        }
        let mut conn = self.redis.conn();
        // With `redis.wait_replicas`, the jobs count as stored (ingest answers 200) only once
        // that many replicas confirmed them; a shortfall is a retryable error (ingest: 503).
        let created: Vec<i64> = self.redis.invoke_durably(&mut conn, &inv).await?;
        if created.len() != jobs.len() {
            return Err(QueueError::Protocol(format!(
                "enqueue answered {} of {} jobs",
                created.len(),
                jobs.len()
            )));
        }
        Ok(jobs
            .into_iter()
            .zip(created)
            .map(|((job, _), c)| {
                if c == 1 {
                    Enqueued::Created { id: job.id }
                } else {
                    Enqueued::Duplicate { id: job.id }
                }
            })
            .collect())
    }

    /// Cancels a pending (ready, delayed or retrying) job. Returns whether one was cancelled.
    pub async fn cancel(&self, id: &str) -> Result<bool, QueueError> {
        Ok(self.cancel_ids(&[id.to_owned()]).await? == 1)
    }

    /// Cancels every pending job of a group. Running jobs finish; their handlers re-check state.
    pub async fn cancel_group(&self, group: &str) -> Result<usize, QueueError> {
        let mut conn = self.redis.conn();
        let ids: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.redis.keys().group(group))
            .query_async(&mut conn)
            .await?;
        self.cancel_ids(&ids).await
    }

    async fn cancel_ids(&self, ids: &[String]) -> Result<usize, QueueError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let k = self.redis.keys();
        // Read each job's queue and group first, so the script can be given every key it
        // touches; it re-checks them and leaves a job that changed meanwhile.
        let mut read = redis::pipe();
        for id in ids {
            read.cmd("HMGET").arg(k.job(id)).arg("queue").arg("group");
        }
        let mut conn = self.redis.conn();
        let found: Vec<(Option<String>, Option<String>)> = read.query_async(&mut conn).await?;
        let mut inv = scripts::CANCEL.prepare_invoke();
        let mut any = false;
        for (id, (queue, group)) in ids.iter().zip(found) {
            let Some(queue) = queue else { continue };
            any = true;
            inv.key(k.job(id))
                .key(k.job_errors(id))
                .key(k.ready(&queue))
                .key(k.delayed(&queue))
                .key(k.retrying(&queue))
                .key(group.as_deref().map_or_else(|| k.job(id), |g| k.group(g)));
            inv.arg(id).arg(&queue).arg(group.as_deref().unwrap_or(""));
        }
        if !any {
            return Ok(0);
        }
        let n: usize = inv.invoke_async(&mut conn).await?;
        Ok(n)
    }

    /// The names of every queue that has been used.
    pub async fn queue_names(&self) -> Result<Vec<String>, QueueError> {
        let mut conn = self.redis.conn();
        let mut names: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.redis.keys().queues())
            .query_async(&mut conn)
            .await?;
        names.sort();
        Ok(names)
    }
}
