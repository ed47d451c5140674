//! Benchmark of the reminder store and scheduler (issue 6), run by `scripts/bench-reminders.sh`.
//!
//! 1. Plan: record `--bookings` bookings (3 reminders each with the default settings: 24 h, 1 h,
//!    follow-up) through `Bookings::booked`, 64 in flight; report the time, Redis memory per
//!    reminder and per booking.
//! 2. Lateness: plan `--lateness` bookings whose 24 h reminder comes due uniformly over the next
//!    `--window-ms`, run the real `meetflow-scheduler` binary (`--scheduler-bin`) and an SMS
//!    consumer (concurrency 10, as the BullMQ worker of the peer bench) in this process;
//!    lateness = SMS job start - due time (as BullMQ's bench measures processor start -
//!    (timestamp + delay)), plus due -> enqueued from the job records.
//!
//! Prints a Markdown table. Needs a Redis it may FLUSHDB (`--redis`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use meetflow_shared::bookings::{BookingFacts, Bookings};
use meetflow_shared::config::RemindersSettings;
use meetflow_shared::jobs::{SMS, reminder::ReminderJob};
use meetflow_shared::queue::{JobContext, JobError, QueueClient, QueueSettings, run_queue};
use tokio_util::sync::CancellationToken;

const NS: &str = "bench";

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

fn uuid() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A realistic booking: Calendly URIs, a name, an email, a phone, a 30-minute meeting.
fn facts(start_ms: i64, i: usize) -> BookingFacts {
    let start = chrono::DateTime::from_timestamp_millis(start_ms).unwrap();
    BookingFacts {
        invitee_uri: format!(
            "https://api.calendly.com/scheduled_events/{}/invitees/{}",
            uuid(),
            uuid()
        ),
        start,
        end: start + chrono::Duration::minutes(30),
        timezone: Some("America/Los_Angeles".into()),
        phone: Some(format!("+1415555{:04}", i % 10_000)),
        name: format!("Jordan Rivera {i}"),
        email: format!("jordan.rivera.{i}@example.com"),
        event_type: "https://api.calendly.com/event_types/2b6c1f0a-7d3e-4c8b-9f21-5a4e8d0c6b13"
            .into(),
        event_name: "Product Demo (30 min)".into(),
        old_invitee: None,
        links: Default::default(),
    }
}

async fn used_memory(client: &QueueClient) -> i64 {
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut client.redis())
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

async fn flush(client: &QueueClient) {
    let _: () = redis::cmd("FLUSHDB")
        .query_async(&mut client.redis())
        .await
        .unwrap();
}

async fn plan_many(bookings: &Bookings, starts: Vec<i64>) -> usize {
    futures::stream::iter(starts.into_iter().enumerate())
        .map(|(i, start)| {
            let b = bookings.clone();
            async move { b.booked(&facts(start, i)).await.unwrap() }
        })
        .buffer_unordered(64)
        .count()
        .await
}

/// With `BENCH_FOREIGN_CPU` = path of the peer bench's `foreign_cpu.py`, wait until other
/// processes on this shared box are quiet before a timed run.
fn wait_quiet() {
    if let Some(script) = std::env::var_os("BENCH_FOREIGN_CPU") {
        let _ = std::process::Command::new("python3")
            .arg(script)
            .arg("wait")
            .stdout(std::process::Stdio::null())
            .status();
    }
}

fn pct(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return -1;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() {
    let url = arg("--redis", "redis://127.0.0.1:6393");
    let n_bookings: usize = arg("--bookings", "333334").parse().unwrap();
    let n_late: usize = arg("--lateness", "20000").parse().unwrap();
    let window_ms: i64 = arg("--window-ms", "10000").parse().unwrap();
    let bin = arg("--scheduler-bin", "target/release/meetflow-scheduler");
    let client = QueueClient::connect(&url, NS).await.unwrap();
    let bookings = Bookings::new(client.handle().clone(), RemindersSettings::default());

    // 1. plan
    wait_quiet();
    flush(&client).await;
    let before = used_memory(&client).await;
    let now = chrono::Utc::now().timestamp_millis();
    let day = 86_400_000;
    let starts: Vec<i64> = (0..n_bookings)
        .map(|_| now + 2 * day + rand::random_range(0..28 * day))
        .collect();
    let t = Instant::now();
    plan_many(&bookings, starts).await;
    let plan_s = t.elapsed().as_secs_f64();
    let (reminders, _) = bookings.pending_counts().await.unwrap();
    let mem = used_memory(&client).await - before;
    let sample: Vec<String> = redis::cmd("SCAN")
        .arg(0)
        .arg("MATCH")
        .arg(client.keys().booking("*"))
        .arg("COUNT")
        .arg(100)
        .query_async::<(String, Vec<String>)>(&mut client.redis())
        .await
        .unwrap()
        .1;
    let (enc, per_key): (String, i64) = match sample.first() {
        Some(k) => (
            redis::cmd("OBJECT")
                .arg("ENCODING")
                .arg(k)
                .query_async(&mut client.redis())
                .await
                .unwrap(),
            redis::cmd("MEMORY")
                .arg("USAGE")
                .arg(k)
                .query_async(&mut client.redis())
                .await
                .unwrap(),
        ),
        None => ("-".into(), 0),
    };

    // 2. lateness, `runs` times
    let runs: usize = arg("--runs", "3").parse().unwrap();
    let mut results = Vec::new();
    for _ in 0..runs {
        wait_quiet();
        results.push(lateness_run(&client, &bookings, &url, &bin, n_late, window_ms).await);
    }
    let reminders_f = reminders as f64;
    println!("## meetflow reminders (Redis at {url})\n");
    println!("| measure | figure |\n|---|---|");
    println!(
        "| planned reminders | {reminders} ({n_bookings} bookings x 3: 24 h, 1 h, follow-up) |"
    );
    println!(
        "| time to plan them | {plan_s:.1} s ({:.0} bookings/s, {:.0} reminders/s; 64 in flight) |",
        n_bookings as f64 / plan_s,
        reminders_f / plan_s
    );
    println!(
        "| Redis memory for them | {:.1} MB: {:.0} bytes per reminder, {:.0} per booking |",
        mem as f64 / 1e6,
        mem as f64 / reminders_f,
        mem as f64 / n_bookings as f64
    );
    println!("| one booking hash | {per_key} bytes, encoding {enc} |");
    let col = |f: fn(&Run) -> i64| summary(results.iter().map(f).collect());
    println!(
        "| lateness, due -> SMS job start ({n_late} reminders due over {window_ms} ms; median of {runs} runs, min..max) | p50 {}, p99 {}, max {} |",
        col(|r| r.start.0),
        col(|r| r.start.1),
        col(|r| r.start.2)
    );
    println!(
        "| lateness, due -> enqueued by the scheduler | p50 {}, p99 {}, max {} |",
        col(|r| r.enqueue.0),
        col(|r| r.enqueue.1),
        col(|r| r.enqueue.2)
    );
    for (i, r) in results.iter().enumerate() {
        println!(
            "| run {} | {} of {n_late} started; planned in {:.1} s, before the first due time: {} |",
            i + 1,
            r.count,
            r.plan_s,
            r.in_time
        );
    }
}

/// One lateness run's figures: (p50, p99, max) in ms.
struct Run {
    start: (i64, i64, i64),
    enqueue: (i64, i64, i64),
    count: usize,
    plan_s: f64,
    in_time: bool,
}

fn stats(mut v: Vec<i64>) -> (i64, i64, i64) {
    v.sort_unstable();
    (pct(&v, 0.5), pct(&v, 0.99), v.last().copied().unwrap_or(-1))
}

/// "median ms (min..max)".
fn summary(mut v: Vec<i64>) -> String {
    v.sort_unstable();
    match (v.first(), v.get(v.len() / 2), v.last()) {
        (Some(lo), Some(mid), Some(hi)) if v.len() > 1 => format!("{mid} ms ({lo}..{hi})"),
        (_, Some(mid), _) => format!("{mid} ms"),
        _ => "-".into(),
    }
}

async fn lateness_run(
    client: &QueueClient,
    bookings: &Bookings,
    url: &str,
    bin: &str,
    n_late: usize,
    window_ms: i64,
) -> Run {
    flush(client).await;
    let samples: Arc<Mutex<Vec<i64>>> = Arc::default();
    let seen: Arc<Mutex<Vec<(String, i64)>>> = Arc::default();
    let stop = CancellationToken::new();
    let (s2, seen2) = (samples.clone(), seen.clone());
    let handler = move |job: ReminderJob, ctx: JobContext| {
        let due = job.due_at.timestamp_millis();
        let late = chrono::Utc::now().timestamp_millis() - due;
        s2.lock().unwrap().push(late);
        seen2.lock().unwrap().push((ctx.id, due));
        futures::future::ready(Ok::<(), JobError>(()))
    };
    let consumer_settings = QueueSettings {
        concurrency: 10,
        ..QueueSettings::default()
    };
    let token = stop.clone();
    let consumer = tokio::spawn(run_queue(
        client.clone(),
        SMS,
        consumer_settings,
        handler,
        async move { token.cancelled().await },
    ));
    let dir = std::env::temp_dir().join(format!("bench-reminders-{}", uuid()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("scheduler.yaml");
    std::fs::write(
        &config,
        format!("redis:\n  url: {url}\n  namespace: {NS}\nops:\n  listen: 127.0.0.1:0\n"),
    )
    .unwrap();
    let mut scheduler = std::process::Command::new(bin)
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "warn")
        .spawn()
        .expect(
            "start meetflow-scheduler (build it with cargo build --release -p meetflow-scheduler)",
        );
    let first_due = chrono::Utc::now().timestamp_millis() + 4_000;
    let late_starts: Vec<i64> = (0..n_late)
        .map(|_| first_due + 24 * 3_600_000 + rand::random_range(0..window_ms))
        .collect();
    let t = Instant::now();
    plan_many(bookings, late_starts).await;
    let plan_s = t.elapsed().as_secs_f64();
    let in_time = chrono::Utc::now().timestamp_millis() < first_due;
    let deadline =
        Instant::now() + Duration::from_millis(u64::try_from(window_ms).unwrap() + 64_000);
    while samples.lock().unwrap().len() < n_late && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = scheduler.kill();
    let _ = scheduler.wait();
    stop.cancel();
    let _ = consumer.await;
    let late = samples.lock().unwrap().clone();
    let mut enq_late = Vec::new();
    let seen = seen.lock().unwrap().clone();
    for (id, due) in seen {
        if let Ok(Some(job)) = client.job(&id).await {
            enq_late.push(job.created_ms - due);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Run {
        count: late.len(),
        start: stats(late),
        enqueue: stats(enq_late),
        plan_s,
        in_time,
    }
}
