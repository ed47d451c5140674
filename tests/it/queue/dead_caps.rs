//! Queue core: the dead-letter cap is per queue (`queues.<name>.dead_letter_cap`): a flood of one
//! queue's failures trims only that queue's oldest dead letters, never another queue's.

use std::time::Duration;

use meetflow_shared::config::Settings;
use meetflow_shared::queue::{ErrorClass, JobContext, JobError, QueueSettings};

use crate::support::queue::{enqueue_numbered, eventually, fast, fixture, spawn};

fn rejecting(_: serde_json::Value, _: JobContext) -> futures::future::Ready<Result<(), JobError>> {
    futures::future::ready(Err(JobError::permanent(
        ErrorClass::ProviderRejected,
        "rejected",
    )))
}

#[tokio::test]
async fn a_flood_on_one_queue_never_evicts_another_queues_dead_letters() {
    let f = fixture().await;
    let one_try = |cap| QueueSettings {
        max_attempts: 1,
        dead_max_count: cap,
        ..fast()
    };
    let sms = spawn(&f.client, "sms", one_try(100), rejecting);
    enqueue_numbered(&f.client, "sms", "s", 3).await;
    let dead = f.client.dead_letters();
    assert!(
        eventually(Duration::from_secs(5), || async {
            dead.count(Some("sms")).await.unwrap() == 3
        })
        .await
    );
    let brevo = spawn(&f.client, "brevo", one_try(4), rejecting);
    enqueue_numbered(&f.client, "brevo", "b", 12).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            let s = f.client.stats("brevo").await.unwrap();
            s.ready + s.running + s.retrying == 0
        })
        .await
    );
    assert_eq!(dead.count(Some("brevo")).await.unwrap(), 4, "capped");
    assert_eq!(dead.count(Some("sms")).await.unwrap(), 3, "untouched");
    assert_eq!(dead.count(None).await.unwrap(), 7);
    sms.shutdown().await.unwrap();
    brevo.shutdown().await.unwrap();
}

#[test]
fn the_cap_is_configured_per_queue_with_a_default_of_100000() {
    let yaml = "redis: { url: \"redis://127.0.0.1:6379\" }\n\
                queues: { brevo: { dead_letter_cap: 500 } }\n";
    let s = Settings::from_yaml_str(yaml, &|_| None).unwrap();
    assert_eq!(s.queue("brevo").dead_max_count, 500);
    assert_eq!(s.queue("sms").dead_max_count, 100_000);
}
