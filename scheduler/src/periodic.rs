//! Periodic tasks that run once per tick across all replicas.
//!
//! Time is cut into ticks of `every` (tick n covers `[n * every, (n + 1) * every)` since the
//! epoch). At each tick every replica tries `SET {ns:tick}:tick:<task>:<n> <identity> NX PX <2 * every>`;
//! the one that succeeds runs the task, the others skip it. A replica that dies mid-run loses
//! that tick; the next tick runs again (the tasks are idempotent catch-ups).

use std::future::Future;
use std::time::Duration;

use meetflow_shared::bookings::Clock;
use meetflow_shared::queue::{QueueError, process_identity};
use meetflow_shared::redis::Redis;
use tokio_util::sync::CancellationToken;

use crate::promote::sleep_or_cancel;

/// Try to take tick `now / every` of `task`; `Some(tick)` when this replica runs it.
pub async fn acquire_tick(
    redis: &Redis,
    task: &str,
    every: Duration,
    now_ms: i64,
) -> Result<Option<i64>, QueueError> {
    let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX).max(1);
    let tick = now_ms.div_euclid(every_ms);
    let taken: Option<String> = redis::cmd("SET")
        .arg(redis.keys().tick_lock(task, tick))
        .arg(process_identity())
        .arg("NX")
        .arg("PX")
        .arg(every_ms.saturating_mul(2))
        .query_async(&mut redis.conn())
        .await?;
    Ok(taken.map(|_| tick))
}

/// Run `task(tick)` once per tick of `every` across all replicas, until `cancel` fires. Errors
/// of a run are logged and counted; the next tick tries again.
pub async fn run_periodic<F, Fut, E>(
    redis: Redis,
    clock: Clock,
    name: &'static str,
    every: Duration,
    cancel: CancellationToken,
    task: F,
) where
    F: Fn(i64) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX).max(1);
    while !cancel.is_cancelled() {
        let now = clock.now_ms();
        match acquire_tick(&redis, name, every, now).await {
            Ok(Some(tick)) => {
                tracing::info!(task = name, tick, "periodic task starting");
                let outcome = match task(tick).await {
                    Ok(()) => "ok",
                    Err(e) => {
                        tracing::warn!(task = name, error = %e, "periodic task failed");
                        "error"
                    }
                };
                metrics::counter!("meetflow_periodic_runs_total", "task" => name, "outcome" => outcome)
                    .increment(1);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(task = name, error = %e, "periodic task: cannot take the tick lock")
            }
        }
        // Wake just after the next tick starts (a little jitter so replicas do not collide).
        let next = (clock.now_ms().div_euclid(every_ms) + 1) * every_ms;
        let jitter = i64::from(rand::random::<u8>() % 50);
        let wait = (next - clock.now_ms()).max(0) + jitter;
        sleep_or_cancel(
            &cancel,
            Duration::from_millis(u64::try_from(wait).unwrap_or(0)),
        )
        .await;
    }
}
