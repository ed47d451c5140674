//! A backlog of bookings drained through the `brevo` queue under Brevo's limits (issue 16, item
//! 3; driven by `BOOKINGS=3000 scripts/bench-backpressure.sh`).
//!
//! `brevo-bench <redis-url> <worker-binary> <bookings>`
//!
//! Stores `bookings` bookings and enqueues what a new booking sends to Brevo: its contact sync
//! and its `booked` event, two jobs each, then starts one `meetflow-worker --queues brevo` against
//! a fake Brevo that enforces Brevo's general limits (10 calls a second on `/contacts` and on
//! `/events`, each its own budget), with the worker at the default `brevo.rate_limits`. Waits
//! until the fake holds every contact and every event and prints one JSON line: Redis commands
//! per completed job (`total_commands_processed`, a script's inner calls included), Redis CPU,
//! the calls the fake received (a 429 is a call too), dead letters, and the drain time against
//! the limit's theoretical minimum (the larger budget's `(calls - 1) / 10` s).

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use meetflow_shared::bookings::{BookingFacts, BookingKey, Bookings};
use meetflow_shared::config::RemindersSettings;
use meetflow_shared::jobs::BREVO;
use meetflow_shared::jobs::JobSpec;
use meetflow_shared::jobs::brevo::{BrevoId, BrevoJob, ContactSync, EventTrack};
use meetflow_shared::queue::{NewJob, QueueClient};
use meetflow_tests::drain::{Drain, bench_config, merged, min_drain_s};
use meetflow_tests::fakes::FakeBrevo;
use serde_json::{Map, json};

/// Brevo's general limit on each of `/contacts` and `/events` (the worker's default budgets).
const PER_SECOND: &str = "10";

fn invitee(i: usize) -> String {
    format!("https://api.calendly.com/invitees/brevo-bench-{i}")
}

fn email(i: usize) -> String {
    format!("brevo-bench-{i}@example.com")
}

/// Stores the bookings, then enqueues each one's contact sync and `booked` event (ids as the
/// `events` handler makes them), in batches of 1,000 jobs.
async fn enqueue_jobs(client: &QueueClient, bookings: usize) -> anyhow::Result<()> {
    let start_at = Utc::now() + chrono::Duration::days(1);
    let store = Bookings::new(client.handle().clone(), RemindersSettings::default());
    let mut jobs = Vec::with_capacity(bookings * 2);
    for i in 0..bookings {
        store
            .booked(&BookingFacts {
                invitee_uri: invitee(i),
                start: start_at,
                end: start_at + chrono::Duration::minutes(30),
                timezone: Some("America/Los_Angeles".into()),
                phone: None,
                name: "Bench Mark".into(),
                email: email(i),
                event_type: "https://api.calendly.com/event_types/bench".into(),
                event_name: "Benchmark".into(),
                old_invitee: None,
                links: Default::default(),
            })
            .await?;
        let key = BookingKey::from_invitee_uri(&invitee(i));
        let mut attributes = Map::new();
        attributes.insert("FIRSTNAME".into(), json!("Bench"));
        let contact = BrevoJob::contact(ContactSync {
            email: email(i),
            attributes,
            list_ids: Vec::new(),
            booking: Some(key.clone()),
            status_attribute: None,
            source: "calendly:invitee.created".into(),
        });
        let id = contact.job_id(&BrevoId::BookingCreated(key.clone()));
        jobs.push(NewJob::json(&contact)?.with_id(id));
        let event = BrevoJob::event(EventTrack {
            event_name: "booked".into(),
            email: email(i),
            properties: Map::new(),
            date: None,
        });
        let id = event.job_id(&BrevoId::Event {
            subject: key.to_string(),
        });
        jobs.push(NewJob::json(&event)?.with_id(id));
    }
    while !jobs.is_empty() {
        let rest = jobs.split_off(jobs.len().min(1000));
        client.enqueue_many(BREVO, jobs).await?;
        jobs = rest;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, bin, bookings] = args.as_slice() else {
        anyhow::bail!("usage: brevo-bench <redis-url> <worker-binary> <bookings>");
    };
    let bookings: usize = bookings.parse()?;
    let fake = FakeBrevo::start().await?;
    fake.realistic_rate_limits();
    let ns = format!("brevobench{}", rand::random::<u32>());
    let client = QueueClient::connect(url, &ns).await?;
    enqueue_jobs(&client, bookings).await?;
    let brevo = format!(
        "brevo: {{ api_key: \"{}\", base_url: \"{}\" }}\n",
        fake.api_key(),
        fake.base_url()
    );
    let (dir, config) = bench_config(url, &ns, &brevo)?;
    // Contacts are upserted by e-mail, events appended: counts (distinct e-mails at the end).
    let synced = || (fake.contacts().len(), fake.events().len());
    let drain = Drain::start(url, bin, &config, BREVO, 1).await?;
    drain
        .wait(
            Duration::from_millis(100),
            || synced() >= (bookings, bookings),
            || {
                let (c, e) = synced();
                format!("only {c} contacts and {e} events of {bookings}")
            },
        )
        .await?;
    let jobs = bookings * 2;
    let figures = drain.finish(jobs).await?;
    let contacts: HashSet<String> = fake
        .contacts()
        .into_iter()
        .filter_map(|c| c.email)
        .collect();
    let events = fake.events().len();
    let dead = client.dead_letters().count(Some(BREVO)).await?;
    let wall = figures["wall_s"].as_f64().unwrap_or(f64::NAN);
    let line = json!({
        "queue": BREVO, "bookings": bookings, "jobs": jobs, "rate_limit": format!("{PER_SECOND}/s contacts + {PER_SECOND}/s events"),
        "contacts": contacts.len(), "events": events, "brevo_calls": fake.requests().len(), "dead": dead,
        "min_drain_s": min_drain_s(bookings, PER_SECOND),
        "drain_vs_min": wall / min_drain_s(bookings, PER_SECOND),
    });
    println!("{}", merged(line, figures));
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
