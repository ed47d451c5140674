//! Shared helpers of the bookings and scheduler tests: a private Redis with a bookings store,
//! booking facts starting at a chosen time, the `sms` queue's contents, a due loop running in
//! this process, and the `meetflow-scheduler` binary.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
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
    let bookings = Bookings::new(client.handle().clone(), RemindersSettings::default());
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
        links: Default::default(),
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

/// The `meetflow-scheduler` binary (see [`meetflow_tests::binaries`]).
pub(crate) fn scheduler_binary() -> PathBuf {
    meetflow_tests::binaries::meetflow_binary("scheduler")
}

/// A scheduler config file in `dir` for `redis_url` (ops on a free port).
pub(crate) fn config_for(redis_url: &str, dir: &std::path::Path) -> PathBuf {
    let config = dir.join(format!("scheduler-{}.yaml", uuid::Uuid::new_v4()));
    let yaml =
        format!("redis:\n  url: {redis_url}\n  namespace: {NS}\nops:\n  listen: 127.0.0.1:0\n");
    std::fs::write(&config, yaml).unwrap();
    config
}

/// Start `meetflow-scheduler` against `redis_url` with a config file in `dir`.
pub(crate) fn start_scheduler(redis_url: &str, dir: &std::path::Path) -> Child {
    let config = config_for(redis_url, dir);
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
