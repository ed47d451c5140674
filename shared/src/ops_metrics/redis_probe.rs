//! `meetflow_redis_up`: 1 while Redis answers a PING, 0 while it does not.
//!
//! Every binary's readiness check ([`crate::ops::ReadyCheck`]) is its Redis PING; [`spawn`]
//! runs it at start and then every [`PROBE_EVERY`], bounded by [`crate::ops::READY_TIMEOUT`],
//! and exports the answer. Without it a Redis outage showed only as queue gauges frozen at their
//! last value.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::ops::{READY_TIMEOUT, ReadyCheck};

/// The gauge's name.
pub const METRIC: &str = "meetflow_redis_up";

/// How often Redis is PINGed.
pub const PROBE_EVERY: Duration = Duration::from_secs(5);

/// Probes now and every [`PROBE_EVERY`] until the task is aborted.
pub fn spawn(ready: ReadyCheck) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PROBE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            probe_once(&ready).await;
        }
    })
}

/// One PING; returns and exports whether Redis answered in time.
pub async fn probe_once(ready: &ReadyCheck) -> bool {
    let up = matches!(tokio::time::timeout(READY_TIMEOUT, ready()).await, Ok(true));
    metrics::gauge!(METRIC).set(if up { 1.0 } else { 0.0 });
    up
}
