//! Queue depth gauges for `/metrics`: every few seconds each process that serves or inspects
//! queues exports their counts (ready, running, delayed, retrying, dead, oldest ready age) and
//! how many worker processes consume each queue.

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
            for q in names {
                if let Ok(s) = client.stats(&q).await {
                    let g = |name: &'static str, v: u64| {
                        metrics::gauge!(name, "queue" => q.clone()).set(v as f64)
                    };
                    g("meetflow_queue_ready", s.ready);
                    g("meetflow_queue_running", s.running);
                    g("meetflow_queue_delayed", s.delayed);
                    g("meetflow_queue_retrying", s.retrying);
                    g("meetflow_queue_dead", s.dead);
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
