//! The jobs page of `meetflow-admin serve` in real headless Chromium (tests/browser/jobs.mjs
//! through tests/browser/run.sh): the in-flight job with the worker holding it and no action,
//! scheduled jobs paged by cursor, Run now and Cancel after confirming, the worker in the process
//! list. Screenshots land in target/screenshots/admin-jobs-*.png.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Utc};
use meetflow_shared::queue::{JobState, ListState, process_identity};
use tokio::sync::Notify;

use crate::queue::browse::{job, worker};
use crate::support::admin::{Admin, repo_root, run};
use crate::support::queue::eventually;

const TOKEN: &str = "browser-jobs-token-7";

#[tokio::test]
async fn an_operator_runs_and_cancels_scheduled_jobs_from_the_jobs_page() {
    let a = Admin::start().await;
    let release = Arc::new(Notify::new());
    let w = worker(
        &a.client,
        "sms",
        release.clone(),
        Arc::new(AtomicUsize::new(0)),
    );
    a.client.enqueue("sms", job("hold")).await.unwrap();
    let at = Utc::now() + ChronoDuration::hours(3);
    for i in 0..5 {
        let id = format!("s{i}");
        a.client
            .enqueue("sms", job(&id).run_at(at + ChronoDuration::seconds(i)))
            .await
            .unwrap();
    }
    assert!(
        eventually(Duration::from_secs(5), || async {
            let inflight = a.client.list_jobs(ListState::Inflight, None, None, 5).await;
            inflight.is_ok_and(|p| p.items.len() == 1)
                && !a.client.processes().await.unwrap().is_empty()
        })
        .await
    );
    let served = a.serve(Some(TOKEN)).await;

    let screenshots = repo_root().join("target/screenshots");
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(repo_root().join("tests/browser/run.sh"))
        .env("BROWSER_SCRIPT", "jobs.mjs")
        .env("ADMIN_URL", &served.base)
        .env("ADMIN_TOKEN", TOKEN)
        .env("WORKER_ID", process_identity())
        .env("SCREENSHOT_DIR", &screenshots)
        .stdin(Stdio::null());
    let out = run(cmd).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser run failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("browser: all steps passed"), "{stdout}");

    assert!(
        eventually(Duration::from_secs(3), || async {
            a.client
                .job("s0")
                .await
                .unwrap()
                .is_some_and(|j| j.state == JobState::Done)
        })
        .await,
        "Run now made the worker run s0"
    );
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
