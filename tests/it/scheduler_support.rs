//! Shared helpers of the bookings and scheduler tests: a private Redis with a bookings store,
//! booking facts starting at a chosen time, the `sms` queue's contents, a due loop running in
//! this process, and the `meetflow-scheduler` binary.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use meetflow_scheduler::{DueLoop, DueLoopSettings, SchedulerError};
use meetflow_shared::bookings::{BookingFacts, BookingKey, Bookings, Clock};
use meetflow_shared::config::RemindersSettings;
use meetflow_shared::jobs::SMS;
use meetflow_shared::queue::QueueClient;
use meetflow_tests::redis::TestRedis;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub(crate) const NS: &str = "st";
pub(crate) const HOUR: i64 = 3_600_000;
pub(crate) const MIN: i64 = 60_000;

pub(crate) struct Fixture {
    pub(crate) redis: TestRedis,
    pub(crate) client: QueueClient,
    pub(crate) bookings: Bookings,
}

pub(crate) async fn fixture() -> Fixture {
    fixture_with(TestRedis::start().await.unwrap()).await
}

pub(crate) async fn fixture_with(redis: TestRedis) -> Fixture {
    let client = QueueClient::connect(&redis.url(), NS).await.unwrap();
    let bookings = Bookings::new(client.clone(), RemindersSettings::default());
    Fixture {
        redis,
        client,
        bookings,
    }
}

impl Fixture {
    /// The same store seeing a clock shifted by `offset_ms`.
    pub(crate) fn at_offset(&self, offset_ms: i64) -> Bookings {
        self.bookings.clone().with_clock(Clock::offset(offset_ms))
    }
}

pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub(crate) fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

/// A new invitee URI (a fresh booking).
pub(crate) fn invitee_uri() -> String {
    format!(
        "https://api.calendly.com/scheduled_events/{}/invitees/{}",
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4()
    )
}

/// A 30-minute booking starting at `start_ms`, with a phone number.
pub(crate) fn facts(start_ms: i64) -> BookingFacts {
    BookingFacts {
        invitee_uri: invitee_uri(),
        start: at(start_ms),
        end: at(start_ms + 30 * MIN),
        timezone: Some("America/Los_Angeles".into()),
        phone: Some("+14155550132".into()),
        name: "Léa Müller-Øster 🙂".into(),
        email: "lea@example.com".into(),
        event_type: "https://api.calendly.com/event_types/2b6c1f0a".into(),
        event_name: "Product Demo (30 min)".into(),
        old_invitee: None,
    }
}

pub(crate) fn key(f: &BookingFacts) -> BookingKey {
    BookingKey::from_invitee_uri(&f.invitee_uri)
}

pub(crate) fn rem(f: &BookingFacts, kind: &str) -> String {
    format!("rem:{}:{kind}", key(f))
}

/// Job ids on the `sms` ready list.
pub(crate) async fn sms_ids(client: &QueueClient) -> Vec<String> {
    try_sms_ids(client).await.unwrap()
}

/// Job ids on the `sms` ready list, or the error (Redis restarting).
pub(crate) async fn try_sms_ids(client: &QueueClient) -> redis::RedisResult<Vec<String>> {
    let mut conn = client.redis();
    redis::cmd("LRANGE")
        .arg(client.keys().ready(SMS))
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
}

/// Members of the `due` ZSET.
pub(crate) async fn due_ids(client: &QueueClient) -> Vec<String> {
    let mut conn = client.redis();
    redis::cmd("ZRANGE")
        .arg(client.keys().reminders_due())
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap()
}

pub(crate) struct RunningLoop {
    stop: CancellationToken,
    handle: JoinHandle<Result<(), SchedulerError>>,
}

impl RunningLoop {
    pub(crate) async fn stop(self) {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.handle)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

/// Run a due loop over `bookings` in this process.
pub(crate) fn spawn_loop(bookings: &Bookings, settings: DueLoopSettings) -> RunningLoop {
    let stop = CancellationToken::new();
    let due = DueLoop::new(bookings.clone(), settings);
    let token = stop.clone();
    let handle = tokio::spawn(async move { due.run(token).await });
    RunningLoop { stop, handle }
}

/// The `meetflow-scheduler` binary: `$MEETFLOW_SCHEDULER_BIN`, else `target/debug/meetflow-scheduler`
/// (`scripts/test.sh` builds the binaries before the tests), built here first when it is missing
/// or older than the scheduler's or the shared library's sources.
pub(crate) fn scheduler_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("MEETFLOW_SCHEDULER_BIN") {
            return PathBuf::from(p);
        }
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        let bin = target.join("debug").join("meetflow-scheduler");
        let built = std::fs::metadata(&bin).and_then(|m| m.modified()).ok();
        let sources = [
            root.join("scheduler"),
            root.join("shared/src"),
            root.join("Cargo.lock"),
        ];
        if built.is_none_or(|b| sources.iter().any(|s| newer_than(s, b))) {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .current_dir(&root)
                .args([
                    "build",
                    "--quiet",
                    "-p",
                    "meetflow-scheduler",
                    "--bin",
                    "meetflow-scheduler",
                ])
                .status()
                .expect("run cargo build for meetflow-scheduler");
            assert!(status.success(), "cargo build -p meetflow-scheduler failed");
        }
        bin
    })
    .clone()
}

/// Whether `path` (a file, or any file below a directory) was modified after `than`.
fn newer_than(path: &std::path::Path, than: std::time::SystemTime) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if meta.is_dir() {
        return std::fs::read_dir(path)
            .map(|rd| rd.flatten().any(|e| newer_than(&e.path(), than)))
            .unwrap_or(false);
    }
    meta.modified().is_ok_and(|m| m > than)
}

/// Start `meetflow-scheduler` against `redis_url` with a config file in `dir`.
pub(crate) fn start_scheduler(redis_url: &str, dir: &std::path::Path) -> Child {
    let config = dir.join(format!("scheduler-{}.yaml", uuid::Uuid::new_v4()));
    let yaml =
        format!("redis:\n  url: {redis_url}\n  namespace: {NS}\nops:\n  listen: 127.0.0.1:0\n");
    std::fs::write(&config, yaml).unwrap();
    Command::new(scheduler_binary())
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}
