//! Start-up checks of the Redis a binary is given (issue 16 item 6), shown on the scheduler
//! against real redis-server processes: an evicting `maxmemory-policy` is refused with one line
//! unless `redis.allow_eviction: true`, in which case the process starts, becomes ready and
//! reports the failed check in its metrics. (The version refusal is tested on an INFO text in
//! `shared::process::redis_checks`: this machine's redis-server is 7.x.)

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use meetflow_tests::redis::{TestRedis, TestRedisOptions};

use crate::support::process::run_until_exit;
use crate::support::scheduler::scheduler_binary;

fn config(redis: &TestRedis, extra: &str, ops_port: u16) -> std::path::PathBuf {
    let path = redis
        .data_dir()
        .join(format!("checks-{}.yaml", uuid::Uuid::new_v4()));
    let yaml = format!(
        "redis:\n  url: {}\n  namespace: rc\n{extra}ops:\n  listen: 127.0.0.1:{ops_port}\n",
        redis.url()
    );
    std::fs::write(&path, yaml).unwrap();
    path
}

async fn evicting_redis() -> TestRedis {
    TestRedis::start_with(TestRedisOptions::new().arg("maxmemory-policy", "allkeys-lru"))
        .await
        .unwrap()
}

#[tokio::test]
async fn an_evicting_redis_is_refused_with_one_line() {
    let redis = evicting_redis().await;
    let (status, stderr) = run_until_exit(
        &scheduler_binary(),
        &config(&redis, "", 0),
        &[],
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("meetflow-scheduler: Redis maxmemory-policy is allkeys-lru"),
        "{stderr}"
    );
    assert!(last.contains("redis.allow_eviction"), "{last}");
}

#[tokio::test]
async fn allow_eviction_starts_and_reports_the_failed_check() {
    let redis = evicting_redis().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = config(&redis, "  allow_eviction: true\n", port);
    let mut child = Command::new(scheduler_binary())
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let http = meetflow_tests::http::http_client();
    let deadline = Instant::now() + Duration::from_secs(15);
    let ready = loop {
        let answer = http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await;
        if answer.as_ref().is_ok_and(|r| r.status() == 200) {
            break true;
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let metrics = http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .ok();
    let metrics = match metrics {
        Some(m) => m.text().await.unwrap_or_default(),
        None => String::new(),
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        ready,
        "the scheduler becomes ready with allow_eviction: true"
    );
    assert!(
        metrics.contains("meetflow_redis_check{check=\"maxmemory_policy\"} 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("meetflow_redis_check{check=\"version\"} 1"),
        "{metrics}"
    );
}
