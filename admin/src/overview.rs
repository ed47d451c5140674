//! Queue overview for people: the counts of every queue (`meetflow-admin queues`, `GET
//! /api/queues`) and the per-minute throughput history behind the web page's chart.
//!
//! The history comes from the queue core's per-minute counter hashes (`Keys::minute_stats`,
//! kept two hours), so it needs no metrics server and shows the same numbers to every replica.

use meetflow_shared::jobs::ALL_QUEUES;
use meetflow_shared::queue::{QueueClient, QueueError, QueueStats, now_ms};
use serde::Serialize;

/// Longest history the chart can ask for (the counters expire after two hours).
pub const MAX_MINUTES: usize = 120;

/// Every known queue (the standard four plus any other that has been used), sorted.
pub async fn queue_names(client: &QueueClient) -> Result<Vec<String>, QueueError> {
    let mut names = client.queue_names().await?;
    for q in ALL_QUEUES {
        if !names.iter().any(|n| n == q) {
            names.push(q.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// The counts of every queue.
pub async fn stats(client: &QueueClient) -> Result<Vec<QueueStats>, QueueError> {
    let mut out = Vec::new();
    for q in queue_names(client).await? {
        out.push(client.stats(&q).await?);
    }
    Ok(out)
}

/// Jobs finished in one minute, summed over the queues asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Minute {
    /// Start of the minute (unix ms).
    pub at_ms: i64,
    /// Jobs that succeeded.
    pub processed: u64,
    /// Attempts that failed and will be retried.
    pub retried: u64,
    /// Jobs that went to the dead letters.
    pub dead: u64,
}

/// The last `minutes` minutes (the current one last) of `queues` (all when empty).
pub async fn throughput(
    client: &QueueClient,
    queues: &[String],
    minutes: usize,
) -> Result<Vec<Minute>, QueueError> {
    let minutes = minutes.clamp(1, MAX_MINUTES);
    let names = if queues.is_empty() {
        queue_names(client).await?
    } else {
        queues.to_vec()
    };
    let now_minute = now_ms() / 60_000;
    let first = now_minute - i64::try_from(minutes).unwrap_or(1) + 1;
    let mut pipe = redis::pipe();
    for m in first..=now_minute {
        for q in &names {
            pipe.cmd("HMGET")
                .arg(client.keys().minute_stats(q, m))
                .arg(&["processed", "retried", "dead"][..]);
        }
    }
    let mut conn = client.redis();
    let replies: Vec<Vec<Option<u64>>> = pipe.query_async(&mut conn).await?;
    let mut out = Vec::with_capacity(minutes);
    let mut replies = replies.into_iter();
    for m in first..=now_minute {
        let mut point = Minute {
            at_ms: m * 60_000,
            ..Minute::default()
        };
        for _ in &names {
            let r = replies.next().unwrap_or_default();
            let at = |i: usize| r.get(i).copied().flatten().unwrap_or(0);
            point.processed += at(0);
            point.retried += at(1);
            point.dead += at(2);
        }
        out.push(point);
    }
    Ok(out)
}

/// `1234` ms as `1.2s`, `75_000` as `1m15s`, `0` as `-`.
pub fn age(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        _ if ms == 0 => "-".to_owned(),
        0..60 => format!("{:.1}s", ms as f64 / 1000.0),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}
