//! Queue depth gauges for `/metrics`: every few seconds each process that serves or inspects
//! queues exports their counts (ready, running, delayed, retrying, dead, oldest ready age), how
//! many worker processes consume each queue, whether it is paused (`meetflow_queue_paused`,
//! 1/0), and Redis's memory use against its `maxmemory`.
//! It also registers `meetflow_jobs_processed_total{queue}` at 0, so a queue that finishes
//! nothing (paused, throttled) divides its backlog by a zero rate rather than by no series
//! (`MeetflowQueueBacklogNotDraining`).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::client::QueueClient;
use super::time::redis_now_ms;

/// Exports the counts of `queues` (all known queues when empty) every `every` until `stop`.
pub fn spawn_stats_exporter(
    client: QueueClient,
    queues: Vec<String>,
    every: Duration,
    stop: CancellationToken,
) {
    tokio::spawn(async move {
        loop {
            let names = if queues.is_empty() {
                client.queue_names().await.unwrap_or_default()
            } else {
                queues.clone()
            };
            export_memory(&client).await;
            for q in names {
                metrics::counter!("meetflow_jobs_processed_total", "queue" => q.clone())
                    .increment(0);
                if let Ok(s) = client.stats(&q).await {
                    let g = |name: &'static str, v: u64| {
                        metrics::gauge!(name, "queue" => q.clone()).set(v as f64)
                    };
                    g("meetflow_queue_ready", s.ready);
                    g("meetflow_queue_running", s.running);
                    g("meetflow_queue_delayed", s.delayed);
                    g("meetflow_queue_retrying", s.retrying);
                    g("meetflow_queue_dead", s.dead);
                    g("meetflow_queue_paused", u64::from(s.paused));
                    metrics::gauge!("meetflow_queue_oldest_ready_age_seconds", "queue" => q.clone())
                        .set(s.oldest_ready_age_ms as f64 / 1000.0);
                }
                let mut conn = client.redis();
                let Ok(now) = redis_now_ms(&mut conn).await else {
                    continue;
                };
                let consumers: Result<u64, _> = redis::cmd("ZCOUNT")
                    .arg(client.keys().consumers(&q))
                    .arg(now - 30_000)
                    .arg("+inf")
                    .query_async(&mut conn)
                    .await;
                if let Ok(c) = consumers {
                    metrics::gauge!("meetflow_queue_consumers", "queue" => q.clone()).set(c as f64);
                }
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {},
                () = stop.cancelled() => return,
            }
        }
    });
}

/// `meetflow_redis_memory_used_bytes` and `meetflow_redis_memory_max_bytes` from `INFO memory`.
async fn export_memory(client: &QueueClient) {
    let mut conn = client.redis();
    let mut cmd = redis::cmd("INFO");
    cmd.arg("memory");
    // On a Cluster: the fullest master (the one that refuses writes first).
    let info = conn
        .on_each_master::<String>(&cmd)
        .await
        .ok()
        .and_then(|nodes| {
            nodes
                .into_iter()
                .filter_map(|(_, info)| info.ok())
                .max_by_key(|info| memory_of(info).0.unwrap_or(0))
        });
    if let Some(info) = info {
        let (used, max) = memory_of(&info);
        if let Some(v) = used {
            metrics::gauge!("meetflow_redis_memory_used_bytes").set(v as f64);
        }
        if let Some(v) = max {
            metrics::gauge!("meetflow_redis_memory_max_bytes").set(v as f64);
        }
    }
}

/// `used_memory` and `maxmemory` of an `INFO memory` reply.
fn memory_of(info: &str) -> (Option<u64>, Option<u64>) {
    let field = |key: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.trim().parse().ok())
    };
    (field("used_memory"), field("maxmemory"))
}

#[cfg(test)]
mod tests {
    use super::memory_of;

    #[test]
    fn info_memory_gives_used_and_max() {
        let info = "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nmaxmemory:0\r\nmaxmemory_human:0B\r\n";
        assert_eq!(memory_of(info), (Some(1_048_576), Some(0)));
        assert_eq!(memory_of(""), (None, None));
    }
}
