//! Start-up checks on Cluster and Sentinel: every Cluster master is read (one evicting master is
//! enough to refuse), and through Sentinel the master is the node checked.

use meetflow_shared::process::redis_checks::{judge, read_facts};
use meetflow_shared::queue::QueueClient;
use meetflow_tests::topology::{TestCluster, TestSentinel};

#[tokio::test]
async fn one_evicting_cluster_master_is_enough_to_refuse() {
    let cluster = TestCluster::start().await.unwrap();
    let client = QueueClient::connect(&cluster.url(), "checks")
        .await
        .unwrap();
    let facts = read_facts(&client).await.unwrap();
    assert_eq!(facts.maxmemory_policy.as_deref(), Some("noeviction"));
    assert!(judge(&facts, false).refusal.is_none(), "{facts:?}");

    // One master of three evicts (whichever slots it serves).
    let mut node = cluster.nodes()[2].conn().await.unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("allkeys-lru")
        .query_async(&mut node)
        .await
        .unwrap();
    let facts = read_facts(&client).await.unwrap();
    let refusal = judge(&facts, false).refusal.expect("refused");
    assert!(refusal.contains("allkeys-lru"), "{refusal}");
}

#[tokio::test]
async fn through_sentinel_the_master_is_checked() {
    let sentinel = TestSentinel::start().await.unwrap();
    let client = QueueClient::connect(&sentinel.url(), "checks")
        .await
        .unwrap();
    let facts = read_facts(&client).await.unwrap();
    assert_eq!(facts.replicas, 1, "the master, with its replica: {facts:?}");
    assert!(judge(&facts, false).refusal.is_none());
}
