//! Test helper: a connection to the test Redis (`MEETFLOW_TEST_REDIS_URL`, which `scripts/test.sh`
//! points at a private redis-server; 127.0.0.1:6379 otherwise) under a fresh random namespace,
//! so provider tests never see (or touch) anyone else's keys. Call `cleanup` at the end; keys
//! left by a failed test carry TTLs and expire on their own.
#![allow(clippy::unwrap_used)]

use crate::redis::{Keys, Redis, RedisConn};

fn url() -> String {
    std::env::var("MEETFLOW_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A private namespace on the shared test Redis.
pub(crate) struct TestNamespace {
    pub(crate) keys: Keys,
    namespace: String,
}

impl TestNamespace {
    /// A fresh namespace `meetflow-test-<random>`.
    pub(crate) fn new() -> Self {
        let namespace = format!("meetflow-test-{:016x}", rand::random::<u64>());
        Self {
            keys: Keys::new(&namespace),
            namespace,
        }
    }

    /// A new connection (each call is a separate "replica").
    pub(crate) async fn connect(&self) -> RedisConn {
        Redis::connect(&url(), &self.namespace).unwrap().conn()
    }

    /// A new [`Redis`] handle on the namespace (each call is a separate "replica").
    pub(crate) fn handle(&self) -> Redis {
        Redis::connect(&url(), &self.namespace).unwrap()
    }

    /// Deletes every key of the namespace (every pattern of [`Keys::all_patterns`]).
    pub(crate) async fn cleanup(self) {
        let mut conn = self.connect().await;
        for pattern in self.keys.all_patterns() {
            let mut cursor: u64 = 0;
            loop {
                let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                if !keys.is_empty() {
                    redis::cmd("DEL")
                        .arg(&keys)
                        .query_async::<()>(&mut conn)
                        .await
                        .unwrap();
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
    }
}
