//! Sentinel failover with `redis.wait_replicas: 1`: webhooks POSTed to a real ingest server while
//! the master is SIGKILLed and a replica promoted. Every delivery answered 200 is on the new
//! master afterwards; the ones in between are answered 503 (which the provider re-sends), never
//! a 200 that the failover lost.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use meetflow_ingest::{Application, IngestConfig};
use meetflow_shared::events::{calendly, identity::Identity};
use meetflow_shared::queue::QueueClient;
use meetflow_tests::topology::TestSentinel;
use tokio_util::sync::CancellationToken;

use crate::support::ingest::{CALENDLY_KEY, settings_for_url};
use crate::support::worker::{created, eventually, in_two_days, new_invitee};

const NS: &str = "failover";

#[derive(Default)]
struct Tally {
    acked: Vec<String>,
    refused: usize,
}

#[tokio::test]
async fn a_failover_loses_no_acknowledged_webhook_with_wait_replicas_1() {
    meetflow_shared::telemetry::init_for_tests();
    let mut sentinel = TestSentinel::start().await.unwrap();
    let settings = settings_for_url(&sentinel.url(), NS, "");
    let mut config = IngestConfig::from_settings(&settings);
    config.wait_replicas = 1;
    let app = Application::build_with(config).await.unwrap();
    let hook = format!("http://{}/webhooks/calendly", app.local_addr());
    let stop = CancellationToken::new();
    let signal = stop.clone();
    let ingest = tokio::spawn(async move { app.run_until_stopped(signal.cancelled_owned()).await });

    let tally = Arc::new(Mutex::new(Tally::default()));
    let sending = CancellationToken::new();
    let sender = {
        let (tally, sending, hook) = (tally.clone(), sending.clone(), hook.clone());
        tokio::spawn(async move {
            while !sending.is_cancelled() {
                let (uri, _) = new_invitee();
                let body = created(&uri, in_two_days());
                let id = {
                    let head = calendly::head(body.as_bytes()).unwrap();
                    Identity::calendly(&head, body.as_bytes()).job_id()
                };
                let reply =
                    meetflow_tests::webhook::send_calendly(&hook, CALENDLY_KEY, body.as_bytes())
                        .await;
                {
                    let mut t = tally.lock().unwrap();
                    match reply {
                        Ok(r) if r.status == 200 => t.acked.push(id),
                        Ok(r) => {
                            assert_eq!(r.status, 503, "{}", r.body);
                            t.refused += 1;
                        }
                        Err(_) => t.refused += 1,
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let acked = || tally.lock().unwrap().acked.len();
    assert!(eventually(Duration::from_secs(10), || async { acked() >= 30 }).await);
    let before = acked();
    sentinel.fail_over().await.unwrap();
    let at_failover = acked();
    assert!(
        eventually(Duration::from_secs(20), || async {
            acked() >= at_failover + 30
        })
        .await,
        "acknowledgements resume once the new master has a replica"
    );
    sending.cancel();
    sender.await.unwrap();
    stop.cancel();
    ingest.await.unwrap();

    let t = std::mem::take(&mut *tally.lock().unwrap());
    let client = QueueClient::connect(&sentinel.url(), NS).await.unwrap();
    let mut missing = Vec::new();
    for id in &t.acked {
        if client.job(id).await.unwrap().is_none() {
            missing.push(id.clone());
        }
    }
    println!(
        "failover: {} acknowledged ({before} before the kill, {} after), {} refused (503); missing after failover: {}",
        t.acked.len(),
        t.acked.len() - at_failover,
        t.refused,
        missing.len()
    );
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
}
