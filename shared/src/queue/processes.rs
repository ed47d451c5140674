//! The process list: every worker process that sent a heartbeat within
//! [`PROCESS_TTL`](crate::redis::PROCESS_TTL), from the `processes` index and each process's
//! record (both written by the heartbeat of every queue runtime, `lua/heartbeat.lua`).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::client::QueueClient;
use super::error::QueueError;

/// One worker process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessInfo {
    /// Its identity (host, pid, start, random suffix): the `owner` of its leases.
    pub identity: String,
    /// Its host name.
    pub host: String,
    /// Its pid on that host.
    pub pid: Option<u32>,
    /// The binary (`meetflow-worker`, ...).
    pub service: String,
    /// The meetflow version it runs.
    pub version: String,
    /// When it started (unix ms).
    pub started_ms: Option<i64>,
    /// Its last heartbeat (unix ms, Redis time).
    pub last_heartbeat_ms: i64,
    /// The queues it serves, with its jobs in flight on each.
    pub queues: BTreeMap<String, u64>,
    /// Its jobs in flight, all queues.
    pub in_flight: u64,
}

impl QueueClient {
    /// Every live worker process serving at least one queue, most recent heartbeat first.
    pub async fn processes(&self) -> Result<Vec<ProcessInfo>, QueueError> {
        let k = self.keys();
        let mut conn = self.redis();
        let index: Vec<(String, f64)> = redis::cmd("ZREVRANGE")
            .arg(k.processes())
            .arg(0)
            .arg(999)
            .arg("WITHSCORES")
            .query_async(&mut conn)
            .await?;
        if index.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for (identity, _) in &index {
            pipe.cmd("HGETALL").arg(k.process(identity));
        }
        let records: Vec<HashMap<String, String>> = pipe.query_async(&mut conn).await?;
        Ok(index
            .into_iter()
            .zip(records)
            .filter(|(_, r)| !r.is_empty())
            .map(|((identity, _), r)| info(identity, &r))
            // A process whose queue runtimes have all stopped is on its way out.
            .filter(|p| !p.queues.is_empty())
            .collect())
    }
}

fn info(identity: String, r: &HashMap<String, String>) -> ProcessInfo {
    let text = |f: &str| r.get(f).cloned().unwrap_or_default();
    let queues: BTreeMap<String, u64> = r
        .iter()
        .filter_map(|(f, v)| Some((f.strip_prefix("queue:")?.to_owned(), v.parse().ok()?)))
        .collect();
    ProcessInfo {
        host: text("host"),
        pid: r.get("pid").and_then(|v| v.parse().ok()),
        service: text("service"),
        version: text("version"),
        started_ms: r.get("started_ms").and_then(|v| v.parse().ok()),
        last_heartbeat_ms: r.get("beat_ms").and_then(|v| v.parse().ok()).unwrap_or(0),
        in_flight: queues.values().sum(),
        queues,
        identity,
    }
}
