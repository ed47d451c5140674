//! Queue core on Cluster and Sentinel: enqueue (with de-duplication), lease, ack, a retry, a
//! dead letter and its replay, a delayed job and a cancel — the scripts' keys all in one slot
//! (`{topo}`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use meetflow_shared::queue::{JobContext, JobError, JobState, NewJob, QueueClient};
use meetflow_tests::topology::{TestCluster, TestSentinel};
use serde_json::json;

use crate::support::queue::{eventually, fast, spawn};

/// Runs every queue path on the Redis `url` names.
async fn queue_paths(url: &str) {
    let client = QueueClient::connect(url, "topo").await.unwrap();
    let flaky_runs = Arc::new(AtomicUsize::new(0));
    let bad_runs = Arc::new(AtomicUsize::new(0));
    let (runs, bads) = (flaky_runs.clone(), bad_runs.clone());
    let handler = move |v: serde_json::Value, _: JobContext| {
        let (runs, bads) = (runs.clone(), bads.clone());
        async move {
            if v["mode"] == "bad" {
                bads.fetch_add(1, Ordering::SeqCst);
            }
            match v["mode"].as_str() {
                Some("flaky") if runs.fetch_add(1, Ordering::SeqCst) == 0 => Err(JobError::retry(
                    meetflow_shared::queue::ErrorClass::Transport,
                    "first try fails",
                )),
                Some("bad") => Err(JobError::permanent(
                    meetflow_shared::queue::ErrorClass::BadPayload,
                    "never works",
                )),
                _ => Ok(()),
            }
        }
    };
    let w = spawn(&client, "q", fast(), handler);
    for i in 0..5 {
        let job = NewJob::json(&json!({"mode": "ok"}))
            .unwrap()
            .with_id(format!("ok{i}"));
        assert!(client.enqueue("q", job).await.unwrap().is_created());
    }
    let dup = NewJob::json(&json!({"mode": "ok"})).unwrap().with_id("ok0");
    assert!(!client.enqueue("q", dup).await.unwrap().is_created());
    let flaky = NewJob::json(&json!({"mode": "flaky"}))
        .unwrap()
        .with_id("flaky");
    client.enqueue("q", flaky).await.unwrap();
    let bad = NewJob::json(&json!({"mode": "bad"}))
        .unwrap()
        .with_id("bad");
    client.enqueue("q", bad).await.unwrap();
    let later = chrono::Utc::now() + chrono::Duration::milliseconds(400);
    let delayed = NewJob::json(&json!({"mode": "ok"}))
        .unwrap()
        .with_id("delayed")
        .run_at(later);
    client.enqueue("q", delayed).await.unwrap();
    let far = chrono::Utc::now() + chrono::Duration::hours(1);
    let cancelled = NewJob::json(&json!({"mode": "ok"}))
        .unwrap()
        .with_id("cancelled")
        .run_at(far);
    client.enqueue("q", cancelled).await.unwrap();
    assert!(client.cancel("cancelled").await.unwrap());

    let done = |id: &'static str| {
        let client = client.clone();
        async move { client.job(id).await.unwrap().map(|j| j.state) == Some(JobState::Done) }
    };
    assert!(
        eventually(Duration::from_secs(10), || async {
            done("ok0").await && done("ok4").await && done("flaky").await && done("delayed").await
        })
        .await,
        "on {url}: {:?}",
        client.stats("q").await
    );
    assert_eq!(flaky_runs.load(Ordering::SeqCst), 2, "one retry, then done");
    let dead = client.dead_letters();
    assert!(
        eventually(Duration::from_secs(5), || async {
            dead.count(Some("q")).await.unwrap() == 1
        })
        .await
    );
    assert_eq!(
        dead.ids(Some("q"), 0, 10).await.unwrap(),
        vec!["bad".to_owned()]
    );
    assert_eq!(dead.replay(&["bad".to_owned()]).await.unwrap(), 1);
    assert!(
        eventually(Duration::from_secs(5), || async {
            bad_runs.load(Ordering::SeqCst) == 2 && dead.count(Some("q")).await.unwrap() == 1
        })
        .await,
        "the replayed job ran again and died again"
    );
    assert!(
        client
            .job("cancelled")
            .await
            .unwrap()
            .is_none_or(|j| j.state != JobState::Done)
    );
    let stats = client.stats("q").await.unwrap();
    assert_eq!((stats.ready, stats.running, stats.retrying), (0, 0, 0));
    w.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_queue_paths_run_on_a_three_master_cluster() {
    let cluster = TestCluster::start().await.unwrap();
    queue_paths(&cluster.url()).await;
    // The queue's keys share the namespace's tag, so one slot on one master (the worker's
    // process registry has a tag of its own: `topology::families`).
    let own_tag = meetflow_shared::redis::Keys::new("topo").all_patterns()[0].clone();
    let mut holding = 0;
    for n in cluster.nodes() {
        let mut c = n.conn().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(&own_tag)
            .query_async(&mut c)
            .await
            .unwrap();
        holding += usize::from(!keys.is_empty());
    }
    assert_eq!(holding, 1, "the `{{topo}}` keys live on one master");
}

#[tokio::test]
async fn the_queue_paths_run_through_sentinel() {
    let sentinel = TestSentinel::start().await.unwrap();
    queue_paths(&sentinel.url()).await;
}
