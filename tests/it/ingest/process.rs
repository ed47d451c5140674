//! The `meetflow-ingest` binary: no flag turns redelivery de-duplication off (issue 14 item 6),
//! and a loop that dies stops it with exit 1 (the shared start-up's rule, issue 14 item 4).

use std::time::Duration;

use meetflow_tests::redis::TestRedis;

use crate::support::process::{run_until_exit, run_with_args};

fn config(redis_url: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join(format!("ingest-{}.yaml", uuid::Uuid::new_v4()));
    let yaml = format!(
        "redis:\n  url: {redis_url}\n  namespace: ip\ningest:\n  listen: 127.0.0.1:0\nops:\n  listen: 127.0.0.1:0\nconnectors:\n  calendly:\n    signing_key: ingest-process-test-key\n"
    );
    std::fs::write(&path, yaml).unwrap();
    path
}

fn ingest_binary() -> std::path::PathBuf {
    meetflow_tests::binaries::meetflow_binary("ingest")
}

#[tokio::test]
async fn the_ingest_binary_has_no_switch_that_turns_de_duplication_off() {
    let redis = TestRedis::start().await.unwrap();
    let config = config(&redis.url(), redis.data_dir());
    let (status, stderr) = run_with_args(
        &ingest_binary(),
        &config,
        &["--no-dedupe"],
        &[],
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(status.code(), Some(2), "clap refuses it: {stderr}");
    assert!(stderr.contains("--no-dedupe"), "{stderr}");
}

#[tokio::test]
async fn a_panicking_loop_stops_the_ingest_with_a_non_zero_exit_code() {
    let redis = TestRedis::start().await.unwrap();
    let config = config(&redis.url(), redis.data_dir());
    let (status, stderr) = run_until_exit(
        &ingest_binary(),
        &config,
        &[("MEETFLOW_TEST_LOOP_FAILURE", "panic")],
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("meetflow-ingest: test loop panicked"),
        "{stderr}"
    );
}
