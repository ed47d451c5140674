//! The kill switch: pause and resume one queue or every queue.
//!
//! The state lives in one Redis HASH ([`crate::redis::Keys::paused`]): a field per paused queue,
//! or `*` for all, holding the Redis time it was paused. The lease script reads it in the same
//! atomic step that pops ready jobs, so a paused queue's workers lease nothing from their next
//! look at the queue on (at most the one-second BLPOP wait), across restarts. Nothing is lost:
//! jobs keep being enqueued and wait in `ready`; due scheduled jobs are promoted there and wait
//! too; jobs already leased finish. Resuming wakes the idle workers at once.

use std::collections::BTreeMap;

use super::client::QueueClient;
use super::error::QueueError;
use super::time::redis_now_ms;

/// The field of the paused HASH that pauses every queue.
const ALL: &str = "*";

/// What to pause or resume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PauseScope {
    /// One queue.
    Queue(String),
    /// Every queue, including queues first used while paused.
    All,
}

impl PauseScope {
    /// `all` or a queue name.
    pub fn parse(s: &str) -> Self {
        if s == "all" {
            Self::All
        } else {
            Self::Queue(s.to_owned())
        }
    }

    fn field(&self) -> &str {
        match self {
            Self::Queue(q) => q,
            Self::All => ALL,
        }
    }
}

/// Why a pause or resume was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum PauseError {
    /// The queue has never been used (a typo would otherwise pause nothing). Permanent.
    #[error("unknown queue {queue:?} (known: {known})")]
    UnknownQueue {
        /// The name given.
        queue: String,
        /// The known queue names, comma-separated.
        known: String,
    },
    /// One queue cannot be resumed while every queue is paused. Permanent.
    #[error("every queue is paused (`all`); resume all first")]
    AllPaused,
    /// Redis failed (retryable when [`QueueError::is_retryable`]).
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<redis::RedisError> for PauseError {
    fn from(e: redis::RedisError) -> Self {
        Self::Queue(QueueError::Redis(e))
    }
}

impl QueueClient {
    /// Pauses `scope`. Returns `false` when it was already paused (the first pause time stays).
    pub async fn pause(&self, scope: &PauseScope) -> Result<bool, PauseError> {
        self.check_known(scope).await?;
        let mut conn = self.redis();
        let now = redis_now_ms(&mut conn).await?;
        let added: bool = redis::cmd("HSETNX")
            .arg(self.keys().paused())
            .arg(scope.field())
            .arg(now)
            .query_async(&mut conn)
            .await?;
        Ok(added)
    }

    /// Resumes `scope` (`All` resumes every queue, also those paused one by one) and wakes the
    /// idle workers of the resumed queues. Returns `false` when nothing was paused.
    pub async fn resume(&self, scope: &PauseScope) -> Result<bool, PauseError> {
        self.check_known(scope).await?;
        let mut conn = self.redis();
        let key = self.keys().paused();
        let (removed, woken): (bool, Vec<String>) = match scope {
            PauseScope::All => {
                let n: u64 = redis::cmd("DEL").arg(&key).query_async(&mut conn).await?;
                (n > 0, self.known_queues().await?)
            }
            PauseScope::Queue(q) => {
                let all: bool = redis::cmd("HEXISTS")
                    .arg(&key)
                    .arg(ALL)
                    .query_async(&mut conn)
                    .await?;
                if all {
                    return Err(PauseError::AllPaused);
                }
                let n: u64 = redis::cmd("HDEL")
                    .arg(&key)
                    .arg(q)
                    .query_async(&mut conn)
                    .await?;
                (n > 0, vec![q.clone()])
            }
        };
        for q in woken {
            // Same as the scripts' wake_up: at most one token.
            let mut pipe = redis::pipe();
            pipe.cmd("RPUSH")
                .arg(self.keys().wake(&q))
                .arg("1")
                .ignore();
            pipe.cmd("LTRIM")
                .arg(self.keys().wake(&q))
                .arg(0)
                .arg(0)
                .ignore();
            pipe.query_async::<()>(&mut conn).await?;
        }
        Ok(removed)
    }

    /// Every pause in force: queue name (or `all`) -> ms (Redis time) it was paused.
    pub async fn pauses(&self) -> Result<BTreeMap<String, i64>, QueueError> {
        let mut conn = self.redis();
        let raw: BTreeMap<String, i64> = redis::cmd("HGETALL")
            .arg(self.keys().paused())
            .query_async(&mut conn)
            .await?;
        Ok(raw
            .into_iter()
            .map(|(k, v)| (if k == ALL { "all".to_owned() } else { k }, v))
            .collect())
    }

    /// Whether `queue` is paused, by itself or by `all`.
    pub async fn is_paused(&self, queue: &str) -> Result<bool, QueueError> {
        let mut conn = self.redis();
        let (one, all): (bool, bool) = redis::pipe()
            .cmd("HEXISTS")
            .arg(self.keys().paused())
            .arg(queue)
            .cmd("HEXISTS")
            .arg(self.keys().paused())
            .arg(ALL)
            .query_async(&mut conn)
            .await?;
        Ok(one || all)
    }

    /// The standard queues plus every queue that has been used.
    async fn known_queues(&self) -> Result<Vec<String>, QueueError> {
        let mut names = self.queue_names().await?;
        for q in crate::jobs::ALL_QUEUES {
            if !names.iter().any(|n| n == q) {
                names.push((*q).to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    async fn check_known(&self, scope: &PauseScope) -> Result<(), PauseError> {
        let PauseScope::Queue(q) = scope else {
            return Ok(());
        };
        let known = self.known_queues().await?;
        if known.iter().any(|k| k == q) {
            return Ok(());
        }
        Err(PauseError::UnknownQueue {
            queue: q.clone(),
            known: if known.is_empty() {
                "none yet".to_owned()
            } else {
                known.join(", ")
            },
        })
    }
}
