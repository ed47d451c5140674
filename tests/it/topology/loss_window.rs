//! The loss window without `WAIT`, measured on a master + replica + 3 Sentinels. Replication on
//! loopback lags by well under a millisecond, so a plain kill -9 of the master loses nothing
//! measurable; the tests make the replica lag on purpose: [`TestSentinel::cut_replication`]
//! freezes the replica and closes its link, the master goes on acknowledging for `lag`, then it is
//! killed -9 and the replica promoted.
//!
//! - `redis.wait_replicas: 0`: exactly the deliveries answered 200 during the lag are lost (every
//!   one sent after the cut and answered before the kill is missing; none answered before the cut
//!   is); printed: how many, and how long before the kill they were acknowledged.
//! - `redis.wait_replicas: 1`: during the lag ingest answers 503 (the provider re-sends), and
//!   nothing acknowledged is missing.

use std::time::{Duration, Instant};

use meetflow_tests::topology::TestSentinel;

use crate::topology::webhooks::{Ack, Traffic, missing};

const NS: &str = "losswin";
/// Concurrent providers: enough deliveries in a short lag to count.
const SENDERS: usize = 2;

/// One run: what was acknowledged around the cut and the kill, and what went missing.
struct Run {
    lag: Duration,
    acked: usize,
    refused: usize,
    /// Sent after the cut and answered before the kill.
    in_lag: Vec<Ack>,
    lost: Vec<Ack>,
    cut_began: Instant,
    killed: Instant,
}

impl Run {
    fn print(&self, wait_replicas: u32) {
        let before_kill = |a: &Ack| {
            self.killed
                .saturating_duration_since(a.answered)
                .as_millis()
        };
        let span = match (
            self.lost.iter().map(before_kill).max(),
            self.lost.iter().map(before_kill).min(),
        ) {
            (Some(first), Some(last)) => {
                format!(", acknowledged {first}..{last} ms before the kill")
            }
            _ => String::new(),
        };
        println!(
            "loss window: wait_replicas {wait_replicas}, replica lag {} ms: {} acknowledged, {} refused (503/none), {} answered 200 during the lag; lost after failover: {}{span}",
            self.lag.as_millis(),
            self.acked,
            self.refused,
            self.in_lag.len(),
            self.lost.len(),
        );
    }
}

/// Starts a Sentinel set-up and ingest with `wait_replicas`, cuts replication once deliveries
/// flow, keeps the master acknowledging for `lag`, kills it and promotes the replica, waits for
/// acknowledgements to resume, and reads which acknowledged deliveries the new master lacks.
async fn lose_during_lag(wait_replicas: u32, lag: Duration) -> Run {
    let mut sentinel = TestSentinel::start().await.unwrap();
    let url = sentinel.url();
    let traffic = Traffic::start(&url, NS, wait_replicas, SENDERS).await;
    assert!(traffic.wait_acked(30, Duration::from_secs(10)).await);
    let cut_began = Instant::now();
    sentinel.cut_replication().await.unwrap();
    let cut = Instant::now();
    tokio::time::sleep(lag).await;
    let killed = Instant::now();
    sentinel.fail_over().await.unwrap();
    let at_failover = traffic.acked();
    assert!(
        traffic
            .wait_acked(at_failover + 30, Duration::from_secs(20))
            .await,
        "acknowledgements resume after the failover"
    );
    let t = traffic.finish().await;
    let lost = missing(&url, NS, &t.acked).await;
    let in_lag = t
        .acked
        .iter()
        .filter(|a| a.sent >= cut && a.answered <= killed)
        .cloned()
        .collect();
    Run {
        lag,
        acked: t.acked.len(),
        refused: t.refused,
        in_lag,
        lost,
        cut_began,
        killed,
    }
}

#[tokio::test]
async fn without_wait_the_writes_acknowledged_during_replica_lag_are_lost() {
    meetflow_shared::telemetry::init_for_tests();
    for lag in [Duration::from_millis(150), Duration::from_millis(500)] {
        let run = lose_during_lag(0, lag).await;
        run.print(0);
        assert!(
            !run.in_lag.is_empty(),
            "ingest answered nothing during the lag: no window to measure"
        );
        let lost: Vec<&str> = run.lost.iter().map(|a| a.id.as_str()).collect();
        for a in &run.in_lag {
            assert!(
                lost.contains(&a.id.as_str()),
                "{} was written after the cut and survived the failover",
                a.id
            );
        }
        for a in &run.lost {
            assert!(
                a.answered >= run.cut_began,
                "{} was acknowledged before the cut and still lost",
                a.id
            );
        }
    }
}

#[tokio::test]
async fn with_wait_replicas_1_nothing_acknowledged_during_replica_lag_is_lost() {
    meetflow_shared::telemetry::init_for_tests();
    let run = lose_during_lag(1, Duration::from_millis(500)).await;
    run.print(1);
    assert!(run.in_lag.is_empty(), "a 200 while no replica confirmed");
    assert!(run.lost.is_empty(), "acknowledged but lost: {:?}", run.lost);
}
