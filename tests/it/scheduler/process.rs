//! The `meetflow-scheduler` process under failure: SIGKILL just before a due time and restart,
//! and an AOF Redis killed with SIGKILL and restarted under a running scheduler. Nothing is lost,
//! nothing is enqueued twice.

use std::time::{Duration, Instant};

use meetflow_shared::bookings::ReminderState;
use meetflow_tests::redis::{TestRedis, TestRedisOptions};

use crate::support::scheduler::{
    HOUR, facts, fixture, fixture_with, now_ms, rem, sms_ids, start_scheduler, try_sms_ids,
};

async fn wait_for_sms(
    f: &crate::support::scheduler::Fixture,
    n: usize,
    limit: Duration,
) -> Vec<String> {
    let deadline = Instant::now() + limit;
    loop {
        let ids = try_sms_ids(&f.client).await.unwrap_or_default();
        if ids.len() >= n || Instant::now() > deadline {
            return ids;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_scheduler_killed_just_before_a_due_time_sends_the_reminder_once_after_restart() {
    let f = fixture().await;
    let dir = f.redis.data_dir().to_owned();
    let mut first = start_scheduler(&f.redis.url(), &dir);
    let b = facts(now_ms() + 24 * HOUR + 1_500);
    f.bookings.booked(&b).await.unwrap();
    // an earlier reminder proves the process is up and working before we kill it
    let warmup = facts(now_ms() + 24 * HOUR + 100);
    f.bookings.booked(&warmup).await.unwrap();
    assert_eq!(
        wait_for_sms(&f, 1, Duration::from_secs(20)).await,
        vec![rem(&warmup, "24h")]
    );

    tokio::time::sleep(Duration::from_millis(900)).await;
    first.kill().unwrap(); // SIGKILL, ~0.5 s before the due time
    first.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(
        sms_ids(&f.client).await.len(),
        1,
        "nothing enqueued while no scheduler runs"
    );

    let mut second = start_scheduler(&f.redis.url(), &dir);
    let ids = wait_for_sms(&f, 2, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    second.kill().unwrap();
    second.wait().unwrap();

    assert_eq!(ids, vec![rem(&warmup, "24h"), rem(&b, "24h")]);
    assert_eq!(sms_ids(&f.client).await.len(), 2, "enqueued once");
    assert_eq!(
        f.bookings.reminder_state(&rem(&b, "24h")).await.unwrap(),
        Some(ReminderState::Enqueued)
    );
}

#[tokio::test]
async fn an_aof_redis_killed_and_restarted_under_a_running_scheduler_loses_no_reminder() {
    let redis = TestRedis::start_with(TestRedisOptions::new().persistent())
        .await
        .unwrap();
    let mut f = fixture_with(redis).await;
    let dir = f.redis.data_dir().to_owned();
    let n = 40;
    // due over 0.3..1.3 s: Redis dies in the middle of the stream
    let base = now_ms() + 24 * HOUR + 300;
    let mut want = Vec::new();
    for i in 0..n {
        let b = facts(base + i * 25);
        f.bookings.booked(&b).await.unwrap();
        want.push(rem(&b, "24h"));
    }
    let mut scheduler = start_scheduler(&f.redis.url(), &dir);
    let before = wait_for_sms(&f, 1, Duration::from_secs(20)).await.len();
    assert!(before >= 1, "the scheduler works before the crash");

    f.redis.kill9().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    f.redis.restart().await.unwrap();

    let ids = wait_for_sms(&f, want.len(), Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let still_running = scheduler.try_wait().unwrap().is_none();
    scheduler.kill().unwrap();
    scheduler.wait().unwrap();

    assert!(still_running, "the scheduler rides out a Redis restart");
    let mut got = ids.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "every reminder enqueued exactly once");
    assert_eq!(sms_ids(&f.client).await.len(), n as usize);
}

#[tokio::test]
async fn sigterm_stops_the_scheduler_with_exit_code_0() {
    let f = fixture().await;
    let dir = f.redis.data_dir().to_owned();
    let mut scheduler = start_scheduler(&f.redis.url(), &dir);
    let b = facts(now_ms() + 24 * HOUR + 100);
    f.bookings.booked(&b).await.unwrap();
    assert_eq!(
        wait_for_sms(&f, 1, Duration::from_secs(20)).await.len(),
        1,
        "it runs"
    );

    let status = std::process::Command::new("kill")
        .args(["-TERM", &scheduler.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(code) = scheduler.try_wait().unwrap() {
            break code;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(code.success(), "{code:?}");
}

#[tokio::test]
async fn a_bad_config_stops_the_scheduler_with_a_one_line_reason() {
    let f = fixture().await;
    let config = f.redis.data_dir().join("bad.yaml");
    std::fs::write(&config, "reminders:\n  offsets: [soon]\n").unwrap();
    let out = std::process::Command::new(crate::support::scheduler::scheduler_binary())
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("reminders.offsets"), "{stderr}");
}

/// Issue 14 item 4: a loop that panics stops the process with exit 1 (it used to log the panic
/// and exit 0, so the orchestrator did not restart it). The failing loop is injected through
/// the debug-build-only `MEETFLOW_TEST_LOOP_FAILURE` hook of the shared start-up.
#[tokio::test]
async fn a_panicking_loop_stops_the_scheduler_with_a_non_zero_exit_code() {
    let f = fixture().await;
    let dir = f.redis.data_dir().to_owned();
    let (status, stderr) = crate::support::process::run_until_exit(
        &crate::support::scheduler::scheduler_binary(),
        &crate::support::scheduler::config_for(&f.redis.url(), &dir),
        &[("MEETFLOW_TEST_LOOP_FAILURE", "panic")],
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("meetflow-scheduler: test loop panicked"),
        "{stderr}"
    );

    // The same rule for a loop that returns an error.
    let (status, stderr) = crate::support::process::run_until_exit(
        &crate::support::scheduler::scheduler_binary(),
        &crate::support::scheduler::config_for(&f.redis.url(), &dir),
        &[("MEETFLOW_TEST_LOOP_FAILURE", "error")],
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("test loop failed"), "{stderr}");
}
