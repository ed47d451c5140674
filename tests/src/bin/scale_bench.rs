//! Scale benchmark of the operator's lists and searches (issue 21 item 6): loads 100,000 dead
//! letters, 1,000,000 planned reminders and 1,000,000 logged deliveries into a private Redis
//! (a `redis-server` of its own, no persistence), then times every list and search the CLI,
//! API and page run (median and max of 7 runs each, client to Redis and back) and prints the
//! memory each store added (`INFO memory` `used_memory` before and after loading it).
//!
//! ```text
//! cargo run --release -p meetflow-tests --bin scale-bench
//! DEAD=100000 BOOKINGS=333334 DELIVERIES=1000000 cargo run --release -p meetflow-tests --bin scale-bench
//! ```
//!
//! Reminders come from real bookings ([`Bookings::booked`], three reminders each: 24 h, 1 h,
//! follow-up); deliveries go through the same enqueue script as ingest's, with a real Calendly
//! body each (a distinct invitee, e-mail and phone; 100,000 distinct people), all attached to
//! one job so that only the log's own memory is measured.

use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt as _;
use meetflow_shared::bookings::{BookingFacts, BookingKey, Bookings, MessageLinks};
use meetflow_shared::config::RemindersSettings;
use meetflow_shared::delivery_log::{DeliveryLog, Filter, LogEntry, person_tag, persons};
use meetflow_shared::domain::email_tag;
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::{EVENTS, WebhookJob};
use meetflow_shared::queue::{ErrorClass, ListState, NewJob, QueueClient};
use meetflow_tests::redis::TestRedis;
use serde_json::{Value, json};

const NS: &str = "scale";
const PEOPLE: usize = 100_000;
const RUNS: usize = 7;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

async fn used_memory(client: &QueueClient) -> anyhow::Result<u64> {
    let mut conn = client.redis();
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut conn)
        .await?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("INFO memory has no used_memory"))
}

/// Median and max of `RUNS` timed runs of `f`; `f` answers how many rows it got.
async fn time<F, Fut>(label: &str, mut f: F) -> anyhow::Result<(String, Duration, Duration, usize)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<usize>>,
{
    let mut times = Vec::with_capacity(RUNS);
    let mut rows = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        rows = f().await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok((label.to_owned(), times[RUNS / 2], times[RUNS - 1], rows))
}

fn person(i: usize) -> (String, String) {
    let n = i % PEOPLE;
    (
        format!("person{n}@example.com"),
        format!("+1415{:07}", 2_000_000 + n),
    )
}

fn calendly_body(template: &Value, i: usize, event: &str) -> String {
    let (email, phone) = person(i);
    let mut v = template.clone();
    v["event"] = json!(event);
    v["payload"]["email"] = json!(email);
    v["payload"]["text_reminder_number"] = json!(phone);
    v["payload"]["uri"] = json!(format!(
        "https://api.calendly.com/scheduled_events/e{}/invitees/i{i}",
        i / 3
    ));
    v.to_string()
}

async fn load_dead(client: &QueueClient, n: usize) -> anyhow::Result<()> {
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(0..n)
        .map(|i| {
            let client = client.clone();
            async move {
                let (email, phone) = person(i);
                let job = NewJob::json(&json!({"v": 1, "kind": "confirmation", "to": phone,
                    "email": email, "booking": format!("b{i}")}))?;
                let (class, msg) = if i % 10 == 0 {
                    (ErrorClass::Config, "engagelab: template not found")
                } else {
                    (ErrorClass::ProviderServer, "engagelab: HTTP 502")
                };
                let queue = if i % 4 == 0 { "brevo" } else { "sms" };
                client.bury(queue, job, class, msg).await?;
                Ok(())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    results.into_iter().collect()
}

async fn load_bookings(bookings: &Bookings, n: usize) -> anyhow::Result<()> {
    let start = Utc::now() + chrono::Duration::days(3);
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(0..n)
        .map(|i| {
            let bookings = bookings.clone();
            async move {
                let (email, phone) = person(i);
                let facts = BookingFacts {
                    invitee_uri: format!(
                        "https://api.calendly.com/scheduled_events/e{i}/invitees/i{i}"
                    ),
                    start: start + chrono::Duration::minutes((i % 10_000) as i64),
                    end: start + chrono::Duration::minutes((i % 10_000) as i64 + 30),
                    timezone: Some("America/Los_Angeles".into()),
                    phone: Some(phone),
                    name: format!("Person {i}"),
                    email,
                    event_type: "https://api.calendly.com/event_types/demo".into(),
                    event_name: "Product Demo".into(),
                    old_invitee: None,
                    links: MessageLinks::default(),
                };
                bookings.booked(&facts).await?;
                Ok(())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    results.into_iter().collect()
}

async fn load_deliveries(client: &QueueClient, n: usize) -> anyhow::Result<(i64, i64)> {
    let template: Value = serde_json::from_str(meetflow_tests::fixtures::CALENDLY_INVITEE_CREATED)?;
    let retention = Duration::from_secs(14 * 24 * 3600);
    let (mut mid_from, mut mid_to) = (0, 0);
    let batches: Vec<Vec<usize>> = (0..n)
        .collect::<Vec<_>>()
        .chunks(64)
        .map(<[usize]>::to_vec)
        .collect();
    let total = batches.len();
    let mut stream = futures::stream::iter(batches.into_iter().enumerate())
        .map(|(b, batch)| {
            let client = client.clone();
            let template = template.clone();
            async move {
                let jobs = batch
                    .iter()
                    .map(|&i| {
                        let event = if i % 10 == 9 {
                            "invitee.canceled"
                        } else {
                            "invitee.created"
                        };
                        let body = calendly_body(&template, i, event);
                        let job = WebhookJob::new(
                            Provider::Calendly,
                            Some(event.into()),
                            Utc::now(),
                            "wh:calendly:scale-bench".into(),
                            body.as_bytes(),
                            true,
                        );
                        let entry = LogEntry::new(
                            Provider::Calendly,
                            Some(event),
                            persons(body.as_bytes(), None),
                        );
                        // One job for all: every entry is logged as a duplicate delivery of it.
                        let job = NewJob::json(&job)?.with_id("wh:calendly:scale-bench");
                        Ok((job, Some(entry)))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                client.enqueue_logged(EVENTS, jobs, retention).await?;
                anyhow::Ok(b)
            }
        })
        .buffer_unordered(8);
    while let Some(done) = stream.next().await {
        let b = done?;
        if b == total / 2 {
            mid_from = Utc::now().timestamp_millis();
        }
        if b == total / 2 + total / 100 {
            mid_to = Utc::now().timestamp_millis();
        }
    }
    Ok((mid_from, mid_to))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dead = env_count("DEAD", 100_000);
    let booking_count = env_count("BOOKINGS", 333_334);
    let deliveries = env_count("DELIVERIES", 1_000_000);
    let redis = TestRedis::start().await?;
    let client = QueueClient::connect(&redis.url(), NS).await?;
    let bookings = Bookings::new(client.handle().clone(), RemindersSettings::default());
    let log = DeliveryLog::new(client.clone());
    let mut memory = Vec::new();

    let m0 = used_memory(&client).await?;
    let t = Instant::now();
    load_dead(&client, dead).await?;
    let m1 = used_memory(&client).await?;
    memory.push((format!("{dead} dead letters"), m1 - m0, t.elapsed()));

    let t = Instant::now();
    load_bookings(&bookings, booking_count).await?;
    let m2 = used_memory(&client).await?;
    let (planned, _) = bookings.pending_counts().await?;
    memory.push((
        format!("{booking_count} bookings, {planned} planned reminders"),
        m2 - m1,
        t.elapsed(),
    ));

    let t = Instant::now();
    let (mid_from, mid_to) = load_deliveries(&client, deliveries).await?;
    let m3 = used_memory(&client).await?;
    let (logged, bytes) = log.totals().await?;
    memory.push((
        format!("{logged} logged deliveries ({} of bodies)", mib(bytes)),
        m3 - m2,
        t.elapsed(),
    ));

    let mut rows = Vec::new();
    let dl = client.dead_letters();
    rows.push(
        time("dlq list (newest 50)", || async {
            Ok(dl.list(None, 0, 50).await?.len())
        })
        .await?,
    );
    rows.push(
        time("dlq list --queue sms --offset 70000", || async {
            Ok(dl.list(Some("sms"), 70_000, 50).await?.len())
        })
        .await?,
    );
    let first = client.list_jobs(ListState::Dead, None, None, 50).await?;
    let cursor = first.next_cursor.clone().unwrap_or_default();
    rows.push(
        time("jobs list --state dead (page 1)", || async {
            Ok(client
                .list_jobs(ListState::Dead, None, None, 50)
                .await?
                .items
                .len())
        })
        .await?,
    );
    rows.push(
        time("jobs list --state dead --cursor (page 2)", || async {
            Ok(client
                .list_jobs(ListState::Dead, None, Some(&cursor), 50)
                .await?
                .items
                .len())
        })
        .await?,
    );
    rows.push(
        time("jobs list --state dead --queue brevo", || async {
            Ok(client
                .list_jobs(ListState::Dead, Some("brevo"), None, 50)
                .await?
                .items
                .len())
        })
        .await?,
    );
    rows.push(
        time("reminders list (next 50)", || async {
            Ok(bookings.reminders(None, 50).await?.len())
        })
        .await?,
    );
    let key = BookingKey::from_invitee_uri(
        "https://api.calendly.com/scheduled_events/e4242/invitees/i4242",
    );
    rows.push(
        time("reminders list --booking", || async {
            Ok(bookings.reminders(Some(&key), 50).await?.len())
        })
        .await?,
    );
    let (email, phone) = person(4242);
    let tag = email_tag(&email);
    rows.push(
        time("reminders by person (person index -> bookings)", || async {
            let mut conn = client.redis();
            let keys: Vec<String> = redis::cmd("SMEMBERS")
                .arg(client.keys().person_bookings(&tag))
                .query_async(&mut conn)
                .await?;
            let mut n = 0;
            for k in keys {
                if let Some(key) = BookingKey::parse(&k) {
                    n += bookings.reminders(Some(&key), 50).await?.len();
                }
            }
            Ok(n)
        })
        .await?,
    );
    let all = Filter::default();
    rows.push(
        time("deliveries list (newest 50)", || async {
            Ok(log.page(&all, None, 50).await?.items.len())
        })
        .await?,
    );
    let by_event = Filter {
        provider: Some(Provider::Calendly),
        event: Some("invitee.canceled".into()),
        ..Filter::default()
    };
    rows.push(
        time(
            "deliveries list --provider calendly --event invitee.canceled",
            || async { Ok(log.page(&by_event, None, 50).await?.items.len()) },
        )
        .await?,
    );
    let by_person = Filter {
        person: person_tag(&phone, None),
        ..Filter::default()
    };
    rows.push(
        time("deliveries list --person PHONE", || async {
            Ok(log.page(&by_person, None, 50).await?.items.len())
        })
        .await?,
    );
    let window = Filter {
        since_ms: Some(mid_from),
        until_ms: Some(mid_to),
        ..Filter::default()
    };
    rows.push(
        time(
            "deliveries list --since --until (mid-log window)",
            || async { Ok(log.page(&window, None, 50).await?.items.len()) },
        )
        .await?,
    );
    let scan = Filter {
        event: Some("invitee.canceled".into()),
        since_ms: Some(mid_from),
        ..Filter::default()
    };
    rows.push(
        time(
            "deliveries list --event (no provider: filtered scan)",
            || async { Ok(log.page(&scan, None, 50).await?.items.len()) },
        )
        .await?,
    );
    let replay_window = Filter {
        provider: Some(Provider::Calendly),
        since_ms: Some(mid_from),
        until_ms: Some(mid_to),
        ..Filter::default()
    };
    rows.push(
        time("deliveries replay --all: ids of the window", || async {
            Ok(log.matching(&replay_window, 10_001).await?.len())
        })
        .await?,
    );

    println!("\n| store | memory added | load time |\n|---|---:|---:|");
    for (what, bytes, took) in &memory {
        println!("| {what} | {} | {:.1} s |", mib(*bytes), took.as_secs_f64());
    }
    println!("\n| list / search | rows | median | max | under 300 ms |\n|---|---:|---:|---:|---|");
    for (label, median, max, n) in &rows {
        println!(
            "| {label} | {n} | {:.1} ms | {:.1} ms | {} |",
            median.as_secs_f64() * 1000.0,
            max.as_secs_f64() * 1000.0,
            if *max < Duration::from_millis(300) {
                "yes"
            } else {
                "NO"
            }
        );
    }
    Ok(())
}
