//! A worker stopped in the middle of a backfill, its slices cut off after the grace period, and
//! another worker started in the same process: the cut-off slices' leases expire and the new
//! worker runs them, so the backfill completes.
//!
//! The queue runtime of the stopped worker is dropped when its grace period ends; its lease
//! renewal (and the other maintenance loops) must stop with it. They used to keep running as
//! detached tasks, renewing the leases of the slices it had been cut off from for as long as the
//! process lived, so no other worker in that process ever got them back (across processes the
//! exit ended the renewal, which is why only in-process restarts stalled).

use std::time::Duration;

use chrono::TimeDelta;
use meetflow_shared::jobs::SYNC;
use meetflow_shared::sync::Runs;

use super::setup::{backfill, days_ago};
use crate::support::worker::{eventually, options};

/// The `sync` queue's lease here: short, so a cut-off slice comes back quickly.
const LEASE: &str = "2s";

#[tokio::test]
async fn slices_cut_off_by_a_stopped_worker_are_finished_by_the_next_worker_in_the_same_process() {
    let mut b = backfill().await;
    b.env.yaml = b.env.yaml.replace(
        "sync: { concurrency: 2 }",
        &format!("sync: {{ concurrency: 2, lease: {LEASE} }}"),
    );
    b.env.settings =
        meetflow_shared::config::Settings::from_yaml_str(&b.env.yaml, &|_| None).unwrap();
    assert_eq!(b.env.settings.queue(SYNC).lease, Duration::from_secs(2));
    b.seed(days_ago(60), 12, 36);
    // Slow Calendly down so slices are in flight when the first worker stops.
    b.fake.set_latency(Duration::from_millis(300));
    let since = days_ago(60);
    let until = since + TimeDelta::days(12);
    let r = [
        "--since".to_owned(),
        since.format("%Y-%m-%d").to_string(),
        "--until".to_owned(),
        until.format("%Y-%m-%d").to_string(),
    ];
    let args: Vec<&str> = r.iter().map(String::as_str).collect();

    // A grace period far shorter than a slice: the first worker's slices are cut off.
    let mut short = options();
    short.grace = Duration::from_millis(50);
    let first = b.env.start_with(short);
    let mut cli = b.spawn(&args);
    let started = eventually(Duration::from_secs(45), || async {
        b.ledger_len().await >= 3
    })
    .await;
    assert!(started, "the backfill did not start");
    first.stop().await;
    let leased: u64 = redis::cmd("ZCARD")
        .arg(b.env.client.keys().leased(SYNC))
        .query_async(&mut b.env.client.redis())
        .await
        .unwrap();
    assert!(leased > 0, "no slice was cut off: nothing to test");
    assert!(b.ledger_len().await < 36, "finished before the stop");

    // The next worker, in this same process, finishes the run.
    let second = b.env.start();
    let results = b
        .env
        .client
        .keys()
        .sync_results("calendly", &format!("{}:1", Runs::range(since, until)));
    let done = eventually(Duration::from_secs(25), || async {
        let slices: u64 = redis::cmd("HLEN")
            .arg(&results)
            .query_async(&mut b.env.client.redis())
            .await
            .unwrap();
        slices == 12
    })
    .await;
    if !done {
        let _ = cli.kill();
        let _ = cli.wait();
        panic!(
            "the slices the first worker was cut off from never finished ({} of 36 bookings)",
            b.ledger_len().await
        );
    }
    let status = tokio::task::spawn_blocking(move || cli.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "the CLI failed: {status}");
    b.env.settle().await;
    assert_eq!(b.ledger_len().await, 36);
    assert_eq!(b.env.brevo.contacts().len(), 36);
    assert!(b.env.dead(SYNC).await.is_empty());
    assert_eq!(b.env.engagelab.sent_count(), 0);
    second.stop().await;
}
