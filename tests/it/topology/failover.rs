//! Failover with `redis.wait_replicas: 1`: webhooks POSTed to a real ingest server while the
//! master (Sentinel) or the master serving the namespace's slot (Cluster, a replica per master)
//! is SIGKILLed and a replica promoted. Every delivery answered 200 is on the new master
//! afterwards; the ones in between are answered 503 (which the provider re-sends), never a 200
//! that the failover lost.

use std::time::{Duration, Instant};

use meetflow_shared::queue::QueueClient;

use meetflow_tests::topology::{TestCluster, TestSentinel};

use crate::topology::webhooks::{Traffic, missing};

const NS: &str = "failover";

#[tokio::test]
async fn a_failover_loses_no_acknowledged_webhook_with_wait_replicas_1() {
    meetflow_shared::telemetry::init_for_tests();
    let mut sentinel = TestSentinel::start().await.unwrap();
    let url = sentinel.url();
    webhooks_survive(&url, "sentinel", async {
        sentinel.fail_over().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_cluster_failover_loses_no_acknowledged_webhook_with_wait_replicas_1() {
    meetflow_shared::telemetry::init_for_tests();
    let mut cluster = TestCluster::start_with_replicas().await.unwrap();
    let url = cluster.url();
    webhooks_survive(&url, "cluster", async {
        cluster
            .fail_over_slot_of(&format!("{{{NS}}}"))
            .await
            .unwrap();
    })
    .await;
}

/// A slot whose master died without a replica: the other nodes answer CLUSTERDOWN. A command
/// fails within the response timeout and the caller's own retry takes over; before, the cluster
/// client retried CLUSTERDOWN in a backoff growing to minutes (ingest's batches waited on it and
/// the Cluster chaos run stored no webhook after its failover).
#[tokio::test]
async fn a_command_to_a_cluster_slot_without_master_fails_within_the_response_timeout() {
    meetflow_shared::telemetry::init_for_tests();
    let mut cluster = TestCluster::start().await.unwrap();
    let client = QueueClient::connect(&cluster.url(), NS).await.unwrap();
    assert!(client.job("none").await.unwrap().is_none());
    cluster.kill_master_of(&format!("{{{NS}}}")).await.unwrap();
    let began = Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(20), client.job("none")).await;
    println!(
        "a command to a slot without master answered in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    assert!(
        out.is_ok_and(|r| r.is_err()),
        "still waiting after 20 s, or answered without a master"
    );
}

/// POSTs webhooks to an ingest on `url` with `wait_replicas: 1`, runs `fail_over` after 30 were
/// acknowledged, waits for 30 more, then checks every acknowledged one is in Redis.
async fn webhooks_survive(url: &str, name: &str, fail_over: impl Future<Output = ()>) {
    let traffic = Traffic::start(url, NS, 1, 1).await;
    assert!(traffic.wait_acked(30, Duration::from_secs(10)).await);
    let before = traffic.acked();
    fail_over.await;
    let at_failover = traffic.acked();
    assert!(
        traffic
            .wait_acked(at_failover + 30, Duration::from_secs(20))
            .await,
        "acknowledgements resume once the new master has a replica"
    );
    let t = traffic.finish().await;
    let lost = missing(url, NS, &t.acked).await;
    println!(
        "{name} failover: {} acknowledged ({before} before the kill, {} after), {} refused (503); missing after failover: {}",
        t.acked.len(),
        t.acked.len() - at_failover,
        t.refused,
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}
