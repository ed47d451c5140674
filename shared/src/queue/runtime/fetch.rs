//! The fetch loop: leases ready jobs while this process has free slots, and sleeps on the queue's
//! wake list (BLPOP) when there is nothing to do, so an idle worker starts a new job within
//! milliseconds without polling.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use apalis::prelude::{Task, TaskBuilder};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::state::{LeasedJob, Runtime};
use crate::queue::LeaseGate;
use crate::queue::error::QueueError;

/// Most jobs leased in one script call.
const MAX_BATCH: usize = 100;
/// How long one BLPOP waits before the loop looks again (a safety net, not the wake-up path).
const BLOCK: Duration = Duration::from_secs(1);

pub(crate) type TaskReceiver = Arc<Mutex<mpsc::Receiver<Result<Task<LeasedJob>, QueueError>>>>;

/// Runs until `stop` is cancelled or Redis stays unreachable past the give-up time (then the
/// error is sent to the worker, which stops; the process exits non-zero). On stop, jobs leased
/// but not yet started are handed back at once.
pub(crate) async fn fetch_loop(
    rt: Arc<Runtime>,
    tx: mpsc::Sender<Result<Task<LeasedJob>, QueueError>>,
    rx: TaskReceiver,
    stop: CancellationToken,
) {
    let mut blocking = None;
    let mut pause = Duration::from_millis(50);
    // With a lease gate: the runs of provider slots reserved so far.
    let mut runs = rt
        .settings
        .gate
        .as_ref()
        .map(LeaseGate::runs)
        .unwrap_or_default();
    loop {
        let first = tokio::select! {
            p = rt.slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            () = stop.cancelled() => break,
        };
        let mut permits = vec![first];
        while permits.len() < MAX_BATCH {
            match rt.slots.clone().try_acquire_owned() {
                Ok(p) => permits.push(p),
                Err(_) => break,
            }
        }
        if let Some(gate) = &rt.settings.gate {
            match gate.admits(&runs, Instant::now()) {
                Ok(n) => permits.truncate(n),
                Err(opens) => {
                    drop(permits);
                    tokio::select! {
                        () = tokio::time::sleep_until(opens) => {},
                        () = stop.cancelled() => break,
                    }
                    continue;
                }
            }
        }
        match rt.lease(permits.len()).await {
            Ok(jobs) if jobs.is_empty() => {
                rt.health.ok();
                drop(permits);
                if blocking.is_none() {
                    blocking = rt.client.blocking_connection(BLOCK).await.ok();
                }
                let Some(conn) = blocking.as_mut() else {
                    continue;
                };
                let wake = rt.client.keys().wake(&rt.queue);
                let mut blpop = redis::cmd("BLPOP");
                blpop.arg(&wake).arg(BLOCK.as_secs_f64());
                let wait = blpop.query_async::<Option<(String, String)>>(conn);
                tokio::select! {
                    r = wait => if r.is_err() { tokio::time::sleep(pause).await },
                    () = stop.cancelled() => break,
                }
            }
            Ok(mut jobs) => {
                rt.health.ok();
                pause = Duration::from_millis(50);
                if let Some(gate) = &rt.settings.gate {
                    gate.reserve(&rt.queue, &mut runs, &mut jobs).await;
                }
                for (job, permit) in jobs.into_iter().zip(permits) {
                    rt.hold(&job, permit);
                    metrics::histogram!("meetflow_job_pickup_seconds", "queue" => rt.queue.clone())
                        .record(pickup_seconds(rt.now_ms(), job.enq_ms));
                    if tx.send(Ok(TaskBuilder::new(job).build())).await.is_err() {
                        break;
                    }
                }
            }
            Err(e) => {
                drop(permits);
                let down_for = rt.health.failed();
                tracing::warn!(queue = %rt.queue, error = %e, down_for_s = down_for.as_secs(), "lease failed; retrying");
                if down_for >= rt.settings.redis_give_up {
                    let _ = tx.send(Err(QueueError::GaveUp(down_for))).await;
                    return;
                }
                tokio::select! {
                    () = tokio::time::sleep(pause) => {},
                    () = stop.cancelled() => break,
                }
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    }
    release_unstarted(&rt, &rx).await;
}

fn pickup_seconds(now_ms: i64, enq_ms: i64) -> f64 {
    let ms = now_ms.saturating_sub(enq_ms).max(0);
    ms as f64 / 1000.0
}

/// Hands back every job that was leased but is still waiting in the channel.
async fn release_unstarted(rt: &Runtime, rx: &TaskReceiver) {
    let mut ids = Vec::new();
    if let Ok(mut rx) = rx.lock() {
        while let Ok(item) = rx.try_recv() {
            if let Ok(task) = item {
                ids.push(task.args.lease_id());
            }
        }
    }
    if ids.is_empty() {
        return;
    }
    for attempt in 0..5u32 {
        match rt.release(&ids).await {
            Ok(n) => {
                tracing::info!(queue = %rt.queue, released = n, "returned unstarted jobs on shutdown");
                break;
            }
            Err(e) => {
                tracing::warn!(queue = %rt.queue, error = %e, "could not return unstarted jobs; their leases will expire");
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt + 1))).await;
            }
        }
    }
    for lease in &ids {
        rt.forget(lease);
    }
}
