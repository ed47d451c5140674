//! End to end on Cluster and Sentinel: a signed Calendly booking POSTed to a real ingest server
//! (200), the worker (in this process) turns it into a confirmation SMS at the fake EngageLab.
//! Through Sentinel with `redis.wait_replicas: 1`, so every acknowledged write `WAIT`s.

use std::time::Duration;

use meetflow_ingest::{Application, IngestConfig};
use meetflow_shared::queue::QueueClient;
use meetflow_tests::topology::{TestCluster, TestSentinel};
use tokio_util::sync::CancellationToken;

use crate::support::worker::{
    JORDAN_PHONE, NS, created, env, eventually, in_two_days, new_invitee,
};

const KEY: &str = "topology-calendly-key";

/// Ingest and a worker on `url` with `redis.wait_replicas`; one booking in, one confirmation SMS
/// out.
async fn webhook_to_sms(url: &str, wait_replicas: u32) {
    let mut env = env().await;
    env.settings.redis.url = url.to_owned();
    env.settings.redis.wait_replicas = wait_replicas;
    env.client = QueueClient::connect(url, NS).await.unwrap();
    let mut config = IngestConfig::from_settings(&env.settings);
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.calendly = meetflow_ingest::signature::CalendlyVerifier::new(
        Some(KEY),
        Duration::from_secs(180),
        false,
    );
    let app = Application::build_with(config).await.unwrap();
    let hook = format!("http://{}/webhooks/calendly", app.local_addr());
    let stop = CancellationToken::new();
    let signal = stop.clone();
    let ingest = tokio::spawn(async move { app.run_until_stopped(signal.cancelled_owned()).await });
    let worker = env.start();

    let (uri, _) = new_invitee();
    let body = created(&uri, in_two_days());
    let reply = meetflow_tests::webhook::send_calendly(&hook, KEY, body.as_bytes())
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        eventually(Duration::from_secs(10), || async {
            env.engagelab
                .sent_to(JORDAN_PHONE)
                .iter()
                .any(|s| s.template_id == "tpl_confirmation")
        })
        .await,
        "on {url}: the confirmation SMS went out"
    );
    env.settle().await;
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 1, "exactly once");
    worker.stop().await;
    stop.cancel();
    ingest.await.unwrap();
}

#[tokio::test]
async fn a_webhook_becomes_an_sms_on_a_cluster() {
    let cluster = TestCluster::start().await.unwrap();
    webhook_to_sms(&cluster.url(), 0).await;
}

#[tokio::test]
async fn a_webhook_becomes_an_sms_through_sentinel_with_wait_replicas_1() {
    let sentinel = TestSentinel::start().await.unwrap();
    // The webhook's 200, the SMS marker's claim and its `sent` each wait for the replica.
    webhook_to_sms(&sentinel.url(), 1).await;
}
