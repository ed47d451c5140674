//! Background loops of one queue runtime: lease renewal for jobs in flight here, promotion of due
//! delayed jobs, recovery of expired leases, and a heartbeat in the queue's consumer set. Any
//! number of processes run them at once; the scripts are atomic and bounded.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::state::{Runtime, promote, reap};
use crate::ops_metrics::build_info;
use crate::queue::identity::{host_name, started_ms};
use crate::queue::scripts;
use crate::redis::{PROCESS_TTL, millis};

/// Jobs moved per promotion or reap call.
const BATCH: usize = 500;
/// Longest sleep of the promotion loop, so jobs scheduled earlier than the known head are seen
/// within this bound. A job due before it is promoted on time (the loop sleeps until the head);
/// the bound costs about four Redis commands per wake per process and queue, which under a
/// rate limit of 20/s was a sixth of every job's share, so it is 100 ms rather than 25.
const PROMOTE_MAX_SLEEP: Duration = Duration::from_millis(100);

pub(crate) fn spawn_all(rt: &Arc<Runtime>, stop: &CancellationToken) {
    tokio::spawn(renew_loop(rt.clone(), stop.clone()));
    tokio::spawn(promote_loop(rt.clone(), stop.clone()));
    tokio::spawn(reap_loop(rt.clone(), stop.clone()));
    tokio::spawn(heartbeat_loop(rt.clone(), stop.clone()));
}

async fn sleep_or_stop(d: Duration, stop: &CancellationToken) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => true,
        () = stop.cancelled() => false,
    }
}

async fn renew_loop(rt: Arc<Runtime>, stop: CancellationToken) {
    let every = (rt.settings.lease / 3).max(Duration::from_millis(100));
    while sleep_or_stop(every, &stop).await {
        match rt.renew().await {
            Ok(lost) => {
                for id in lost {
                    tracing::warn!(queue = %rt.queue, job.id = %id, "lease lost: another process may run this job");
                    metrics::counter!("meetflow_leases_lost_total", "queue" => rt.queue.clone())
                        .increment(1);
                }
            }
            Err(e) => tracing::warn!(queue = %rt.queue, error = %e, "lease renewal failed"),
        }
    }
}

async fn promote_loop(rt: Arc<Runtime>, stop: CancellationToken) {
    loop {
        let pause = match promote(&rt.client, &rt.queue, BATCH).await {
            Ok((moved, _)) if moved >= i64::try_from(BATCH).unwrap_or(i64::MAX) => Duration::ZERO,
            Ok((_, wait)) if wait >= 0 => {
                Duration::from_millis(u64::try_from(wait).unwrap_or(0)).min(PROMOTE_MAX_SLEEP)
            }
            Ok(_) => PROMOTE_MAX_SLEEP,
            Err(e) => {
                tracing::warn!(queue = %rt.queue, error = %e, "promotion failed");
                Duration::from_millis(500)
            }
        };
        if pause.is_zero() {
            if stop.is_cancelled() {
                return;
            }
            tokio::task::yield_now().await;
        } else if !sleep_or_stop(pause, &stop).await {
            return;
        }
    }
}

async fn reap_loop(rt: Arc<Runtime>, stop: CancellationToken) {
    let every = (rt.settings.lease / 4).clamp(Duration::from_millis(100), Duration::from_secs(1));
    while sleep_or_stop(every, &stop).await {
        match reap(&rt.client, &rt.queue, BATCH, rt.settings.max_attempts).await {
            Ok((requeued, buried)) if requeued + buried > 0 => {
                tracing::warn!(queue = %rt.queue, requeued, buried, "recovered jobs whose lease expired");
                metrics::counter!("meetflow_leases_expired_total", "queue" => rt.queue.clone())
                    .increment(u64::try_from(requeued + buried).unwrap_or(0));
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(queue = %rt.queue, error = %e, "lease recovery failed"),
        }
    }
}

/// Every 5 s: this process in the queue's consumer set, and its record for the process list
/// (host, pid, service, version, start, and its jobs in flight on this queue).
async fn heartbeat_loop(rt: Arc<Runtime>, stop: CancellationToken) {
    let keys = rt.client.keys();
    let (consumers, record) = (keys.consumers(&rt.queue), keys.process(&rt.owner));
    loop {
        let mut conn = rt.client.redis();
        let mut beat = scripts::HEARTBEAT.prepare_invoke();
        beat.key(&consumers).key(keys.processes()).key(&record);
        beat.arg(&rt.owner)
            .arg(&rt.queue)
            .arg(rt.inflight_leases().len())
            .arg(host_name())
            .arg(std::process::id())
            .arg(build_info::service())
            .arg(build_info::VERSION)
            .arg(started_ms())
            .arg(millis(PROCESS_TTL));
        let _: Result<i64, _> = beat.invoke_async(&mut conn).await;
        if !sleep_or_stop(Duration::from_secs(5), &stop).await {
            let _: Result<(), _> = redis::pipe()
                .cmd("ZREM")
                .arg(&consumers)
                .arg(&rt.owner)
                .cmd("HDEL")
                .arg(&record)
                .arg(format!("queue:{}", rt.queue))
                .query_async(&mut conn)
                .await;
            return;
        }
    }
}
