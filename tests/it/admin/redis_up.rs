//! `meetflow_redis_up` follows Redis: the ops server's probe (every binary's readiness check, its
//! Redis PING) exports 1 while Redis answers and 0 once it is gone, so an outage is an explicit
//! signal rather than queue gauges frozen at their last value. The probe is driven by hand
//! (`probe_once`) instead of waiting for its 5 s period.

use std::sync::Arc;

use futures::future::BoxFuture;
use meetflow_shared::ops::{self, ReadyCheck};
use meetflow_shared::ops_metrics::redis_probe;
use meetflow_shared::queue::QueueClient;
use meetflow_tests::redis::TestRedis;

fn redis_up() -> Option<f64> {
    ops::metrics_handle()
        .render()
        .lines()
        .find_map(|l| l.strip_prefix("meetflow_redis_up ")?.parse().ok())
}

#[tokio::test]
async fn redis_up_is_1_while_redis_answers_and_0_once_it_is_gone() {
    let _ = ops::metrics_handle();
    let mut redis = TestRedis::start().await.unwrap();
    let client = QueueClient::connect(&redis.url(), "it-redis-up")
        .await
        .unwrap();
    let ready: ReadyCheck = Arc::new(move || -> BoxFuture<'static, bool> {
        let client = client.clone();
        Box::pin(async move { client.ping().await.is_ok() })
    });
    assert!(redis_probe::probe_once(&ready).await);
    assert_eq!(redis_up(), Some(1.0));

    redis.kill9().unwrap();
    assert!(!redis_probe::probe_once(&ready).await);
    assert_eq!(redis_up(), Some(0.0));

    redis.restart().await.unwrap();
    let mut up = false;
    for _ in 0..50 {
        if redis_probe::probe_once(&ready).await {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the probe sees Redis back");
    assert_eq!(redis_up(), Some(1.0));
}
