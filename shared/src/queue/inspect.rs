//! Reading the queue: one job, and the counts per queue.

use std::collections::HashMap;

use serde::Serialize;

use super::client::QueueClient;
use super::error::QueueError;
use super::job::{AttemptError, JobRecord, JobState};
use super::time::now_ms;

/// Raw replies of the stats pipeline: list/set sizes, the head of the ready list, and the
/// current and previous minute's counters.
type StatsReply = (
    u64,
    u64,
    u64,
    u64,
    u64,
    Option<String>,
    HashMap<String, u64>,
    HashMap<String, u64>,
);

/// Counts of one queue, as shown by `meetflow-admin queues` and exported as metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QueueStats {
    /// The queue.
    pub queue: String,
    /// Jobs waiting in the ready list.
    pub ready: u64,
    /// Jobs leased by a worker process.
    pub running: u64,
    /// Jobs waiting for their first run time.
    pub delayed: u64,
    /// Jobs waiting for a retry.
    pub retrying: u64,
    /// Dead letters of this queue.
    pub dead: u64,
    /// Age of the oldest ready job, in milliseconds (0 when none).
    pub oldest_ready_age_ms: u64,
    /// Jobs finished in the last full minute and the current one.
    pub processed_last_minute: u64,
    /// Jobs that went to the dead letters in the last full minute and the current one.
    pub failed_last_minute: u64,
    /// Whether the queue is paused (by itself or by `all`): its workers lease nothing.
    pub paused: bool,
}

impl QueueClient {
    /// One job with its attempt errors, or `None` if no such id is stored.
    pub async fn job(&self, id: &str) -> Result<Option<JobRecord>, QueueError> {
        let mut conn = self.redis();
        let (fields, errors): (HashMap<String, String>, Vec<String>) = redis::pipe()
            .cmd("HGETALL")
            .arg(self.keys().job(id))
            .cmd("LRANGE")
            .arg(self.keys().job_errors(id))
            .arg(0)
            .arg(-1)
            .query_async(&mut conn)
            .await?;
        if fields.is_empty() {
            return Ok(None);
        }
        Ok(Some(record(id, &fields, &errors)?))
    }

    /// Several jobs at once (missing ids are skipped), in the order given.
    pub async fn jobs(&self, ids: &[String]) -> Result<Vec<JobRecord>, QueueError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("HGETALL").arg(self.keys().job(id));
            pipe.cmd("LRANGE")
                .arg(self.keys().job_errors(id))
                .arg(0)
                .arg(-1);
        }
        let mut conn = self.redis();
        let replies: Vec<redis::Value> = pipe.query_async(&mut conn).await?;
        let mut out = Vec::with_capacity(ids.len());
        for (id, pair) in ids.iter().zip(replies.chunks(2)) {
            let fields: HashMap<String, String> = redis::from_redis_value(pair[0].clone())
                .map_err(|e| QueueError::Protocol(e.to_string()))?;
            let errors: Vec<String> = redis::from_redis_value(pair[1].clone())
                .map_err(|e| QueueError::Protocol(e.to_string()))?;
            if !fields.is_empty() {
                out.push(record(id, &fields, &errors)?);
            }
        }
        Ok(out)
    }

    /// Counts of one queue.
    pub async fn stats(&self, queue: &str) -> Result<QueueStats, QueueError> {
        let k = self.keys();
        let minute = now_ms() / 60_000;
        let mut conn = self.redis();
        let (ready, running, delayed, retrying, dead, head, cur, prev): StatsReply = redis::pipe()
            .cmd("LLEN")
            .arg(k.ready(queue))
            .cmd("ZCARD")
            .arg(k.leased(queue))
            .cmd("ZCARD")
            .arg(k.delayed(queue))
            .cmd("SCARD")
            .arg(k.retrying(queue))
            .cmd("ZCARD")
            .arg(k.dead(queue))
            .cmd("LINDEX")
            .arg(k.ready(queue))
            .arg(0)
            .cmd("HGETALL")
            .arg(k.minute_stats(queue, minute))
            .cmd("HGETALL")
            .arg(k.minute_stats(queue, minute - 1))
            .query_async(&mut conn)
            .await?;
        let oldest_ready_age_ms = match head {
            Some(id) => {
                let (enq, (secs, micros)): (Option<i64>, (i64, i64)) = redis::pipe()
                    .cmd("HGET")
                    .arg(k.job(&id))
                    .arg("enq_ms")
                    .cmd("TIME")
                    .query_async(&mut conn)
                    .await?;
                let now = secs * 1000 + micros / 1000;
                enq.map_or(0, |t| u64::try_from(now - t).unwrap_or(0))
            }
            None => 0,
        };
        let sum = |field: &str| {
            cur.get(field).copied().unwrap_or(0) + prev.get(field).copied().unwrap_or(0)
        };
        Ok(QueueStats {
            queue: queue.to_owned(),
            ready,
            running,
            delayed: delayed.saturating_sub(retrying),
            retrying,
            dead,
            oldest_ready_age_ms,
            processed_last_minute: sum("processed"),
            failed_last_minute: sum("failed"),
            paused: self.is_paused(queue).await?,
        })
    }
}

fn record(
    id: &str,
    f: &HashMap<String, String>,
    errors: &[String],
) -> Result<JobRecord, QueueError> {
    let num = |name: &str| f.get(name).and_then(|v| v.parse::<i64>().ok());
    let state = f
        .get("state")
        .and_then(|s| JobState::parse(s))
        .ok_or_else(|| QueueError::Protocol(format!("job {id} has no valid state")))?;
    let errors = errors
        .iter()
        .filter_map(|e| serde_json::from_str::<AttemptError>(e).ok())
        .collect();
    Ok(JobRecord {
        id: id.to_owned(),
        queue: f.get("queue").cloned().unwrap_or_default(),
        state,
        payload: f.get("payload").cloned(),
        attempts: num("attempts")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        max_attempts: num("max_attempts")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        created_ms: num("created_ms").unwrap_or(0),
        run_at_ms: num("run_at_ms").unwrap_or(0),
        dead_ms: num("dead_ms"),
        group: f.get("group").cloned(),
        errors,
    })
}
