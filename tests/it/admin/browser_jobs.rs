//! The jobs page of `meetflow-admin serve` in real headless Chromium (tests/browser/jobs.mjs
//! through tests/browser/run.sh): the in-flight job with the worker holding it and no action,
//! scheduled jobs paged by cursor, Run now and Cancel after confirming, the worker in the process
//! list. Screenshots land in target/screenshots/admin-jobs-*.png.

use std::time::Duration;

use meetflow_shared::queue::{JobState, process_identity};

use super::jobs_view::{finishes, scene};
use crate::support::admin::{Admin, run_browser};
use crate::support::queue::eventually;

const TOKEN: &str = "browser-jobs-token-7";

#[tokio::test]
async fn an_operator_runs_and_cancels_scheduled_jobs_from_the_jobs_page() {
    let a = Admin::start().await;
    let (release, w) = scene(&a).await;
    assert!(
        eventually(Duration::from_secs(5), || async {
            !a.client.processes().await.unwrap().is_empty()
        })
        .await
    );
    let served = a.serve(Some(TOKEN)).await;
    let screenshots = run_browser(
        "jobs.mjs",
        &[
            ("ADMIN_URL", &served.base),
            ("ADMIN_TOKEN", TOKEN),
            ("WORKER_ID", process_identity()),
        ],
    )
    .await;

    assert!(finishes(&a, "s0").await, "Run now made the worker run s0");
    assert!(
        a.client.job("s1").await.unwrap().is_none(),
        "Cancel removed s1"
    );
    assert_eq!(
        a.client.job("s2").await.unwrap().unwrap().state,
        JobState::Delayed,
        "the others wait"
    );
    for name in ["inflight", "after-cancel"] {
        let png = std::fs::read(screenshots.join(format!("admin-jobs-{name}.png"))).unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{name} screenshot"
        );
    }
    // Every waiting run of `hold` (a lease that lapsed on a loaded machine runs it again).
    release.notify_waiters();
    release.notify_one();
    w.shutdown().await.unwrap();
}
