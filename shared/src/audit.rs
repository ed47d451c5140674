//! The audit trail of admin actions: who (a token name, or `cli:<user>`), what (an action and
//! its target), when (Redis `TIME`, so every writer shares one clock), how many, and how it
//! ended — kept in one capped Redis LIST ([`crate::redis::Keys::admin_audit`], newest first,
//! at most `admin.audit_cap` entries).
//!
//! Writers call [`Audit::record`] once per action attempt, after the attempt, whatever its
//! outcome ([`Outcome::Failed`] with the error when it failed, [`Outcome::Denied`] when the
//! caller's role did not allow it), so a failing action still leaves its entry. Each entry is
//! also logged to the `meetflow::audit` tracing target, so an entry that cannot be stored (Redis
//! down) is still in the logs. Targets hold no personal data in clear: callers mask phone
//! numbers and e-mails before recording.

use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

use crate::redis::Redis;

/// How an attempted action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It ran (possibly acting on fewer items than asked; see `count`).
    Ok,
    /// It failed; `error` says why.
    Failed,
    /// The caller's role does not allow it; nothing was done.
    Denied,
}

impl Outcome {
    /// `ok`, `failed` or `denied`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Denied => "denied",
        }
    }
}

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// When it was recorded, Unix ms by Redis `TIME`.
    pub at_ms: i64,
    /// Who: the token's name (`admin` for `admin.token`, `local` without a token) or
    /// `cli:<user>`.
    pub who: String,
    /// Through what: `cli`, `api` (bearer token) or `page` (browser session).
    pub via: String,
    /// What: `replay`, `resend`, `delete`, `pause`, `resume`, `reveal`, `suppress`,
    /// `unsuppress`, `sync`, ... (or `METHOD /path` for a denied request).
    pub action: String,
    /// On what: ids, a filter, a queue, a masked phone number.
    pub target: String,
    /// How many items it acted on, when that is a count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// How it ended.
    pub outcome: Outcome,
    /// Why it failed or was denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What a writer hands to [`Audit::record`] (the time is added from Redis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Who.
    pub who: String,
    /// Through what (`cli`, `api`, `page`).
    pub via: String,
    /// What.
    pub action: String,
    /// On what (masked).
    pub target: String,
    /// How many.
    pub count: Option<u64>,
    /// How it ended.
    pub outcome: Outcome,
    /// Why it failed or was denied.
    pub error: Option<String>,
}

impl Record {
    /// A successful `action` by `who` through `via` on `target`.
    pub fn new(who: &str, via: &str, action: &str, target: impl Into<String>) -> Self {
        Self {
            who: who.to_owned(),
            via: via.to_owned(),
            action: action.to_owned(),
            target: target.into(),
            count: None,
            outcome: Outcome::Ok,
            error: None,
        }
    }

    /// With how many items it acted on.
    #[must_use]
    pub fn count(mut self, n: u64) -> Self {
        self.count = Some(n);
        self
    }

    /// Marked failed with `error` (kept to its first 500 characters).
    #[must_use]
    pub fn failed(mut self, error: &str) -> Self {
        self.outcome = Outcome::Failed;
        self.error = Some(error.chars().take(500).collect());
        self
    }

    /// Marked denied with `reason`.
    #[must_use]
    pub fn denied(mut self, reason: &str) -> Self {
        self.outcome = Outcome::Denied;
        self.error = Some(reason.to_owned());
        self
    }

    /// Failed with the error of `result` when it is an error; `count` of its value otherwise.
    #[must_use]
    pub fn outcome_of<T, E: std::fmt::Display>(
        self,
        result: &Result<T, E>,
        count: impl FnOnce(&T) -> Option<u64>,
    ) -> Self {
        match result {
            Ok(v) => match count(v) {
                Some(n) => self.count(n),
                None => self,
            },
            Err(e) => self.failed(&e.to_string()),
        }
    }
}

/// The audit trail in Redis.
#[derive(Debug, Clone)]
pub struct Audit {
    redis: Redis,
    cap: usize,
}

impl Audit {
    /// The trail on `redis`, keeping at most `cap` entries (`admin.audit_cap`).
    pub fn new(redis: Redis, cap: usize) -> Self {
        Self {
            redis,
            cap: cap.max(1),
        }
    }

    /// Stores `record` with the time of Redis (newest first, trimming beyond the cap) and logs
    /// it to the `meetflow::audit` target; returns the stored entry.
    pub async fn record(&self, record: Record) -> redis::RedisResult<Entry> {
        let mut conn = self.redis.conn();
        let stored = async {
            let (secs, micros): (i64, i64) = redis::cmd("TIME").query_async(&mut conn).await?;
            let entry = Entry {
                at_ms: secs * 1000 + micros / 1000,
                who: record.who.clone(),
                via: record.via.clone(),
                action: record.action.clone(),
                target: record.target.clone(),
                count: record.count,
                outcome: record.outcome,
                error: record.error.clone(),
            };
            let json = serde_json::to_string(&entry).map_err(|e| {
                redis::RedisError::from((redis::ErrorKind::Client, "audit entry", e.to_string()))
            })?;
            let key = self.redis.keys().admin_audit();
            let last = isize::try_from(self.cap).unwrap_or(isize::MAX) - 1;
            let _: () = redis::pipe()
                .atomic()
                .lpush(&key, json)
                .ignore()
                .ltrim(&key, 0, last)
                .ignore()
                .query_async(&mut conn)
                .await?;
            Ok::<_, redis::RedisError>(entry)
        }
        .await;
        match &stored {
            Ok(_) => tracing::info!(
                target: "meetflow::audit",
                who = %record.who, via = %record.via, action = %record.action,
                target_ = %record.target, count = ?record.count,
                outcome = record.outcome.as_str(), error = ?record.error,
                "admin action"
            ),
            Err(e) => tracing::error!(
                target: "meetflow::audit",
                who = %record.who, via = %record.via, action = %record.action,
                target_ = %record.target, count = ?record.count,
                outcome = record.outcome.as_str(), error = ?record.error,
                storage_error = %e,
                "admin action NOT stored in the audit trail"
            ),
        }
        stored
    }

    /// The newest `limit` entries, newest first (entries that do not parse are skipped).
    pub async fn list(&self, limit: usize) -> redis::RedisResult<Vec<Entry>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut conn = self.redis.conn();
        let last = isize::try_from(limit.min(self.cap)).unwrap_or(isize::MAX) - 1;
        let raw: Vec<String> = conn
            .lrange(self.redis.keys().admin_audit(), 0, last)
            .await?;
        Ok(raw
            .iter()
            .filter_map(|s| serde_json::from_str(s).ok())
            .collect())
    }

    /// How many entries the trail holds.
    pub async fn count(&self) -> redis::RedisResult<u64> {
        let mut conn = self.redis.conn();
        conn.llen(self.redis.keys().admin_audit()).await
    }
}
