//! SMS throughput of real `meetflow-worker` processes against a fake EngageLab that answers in a
//! fixed time (issue 5's benchmark; driven by `scripts/bench-sms.sh`).
//!
//! `sms-bench <redis-url> <worker-binary> <processes> <jobs> <latency-ms> <rate-per-s>`
//!
//! Enqueues `jobs` confirmation SMS (one booking each), starts `processes` workers serving only the
//! `sms` queue, waits until the fake accepted every SMS, then reads each process's CPU time and
//! peak RSS from /proc before stopping it with SIGTERM. Prints one JSON line: jobs/s over the
//! steady part (first to last accepted SMS), wall time from start, and per process CPU and RSS.
//! Also checks the at-most-once rule: exactly `jobs` SMS accepted, none twice, no dead letters.
//!
//! For the scale-out question (does a second or fourth process add throughput on this machine?)
//! the line also carries where the rest of the CPU went while the workers ran: this driver (the
//! fake EngageLab's HTTP server lives in it), the Redis server (its pid from `INFO server`), and
//! the whole machine's busy share of all cores from /proc/stat, which includes other tenants.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::Utc;
use meetflow_shared::bookings::{BookingFacts, BookingKey, Bookings};
use meetflow_shared::config::RemindersSettings;
use meetflow_shared::jobs::SMS;
use meetflow_shared::jobs::sms::{SmsJob, SmsKind};
use meetflow_shared::queue::{NewJob, QueueClient};
use meetflow_tests::drain::{Drain, bench_config, merged, min_drain_s};
use meetflow_tests::fakes::FakeEngageLab;
use serde_json::json;

/// Stores `jobs` bookings (the send checks the booking right before sending) and enqueues their
/// confirmation SMS, in batches of 1,000.
async fn enqueue_jobs(client: &QueueClient, jobs: usize) -> anyhow::Result<()> {
    let start_at = Utc::now() + chrono::Duration::days(1);
    let bookings = Bookings::new(client.handle().clone(), RemindersSettings::default());
    for i in 0..jobs {
        bookings
            .booked(&BookingFacts {
                invitee_uri: format!("https://api.calendly.com/invitees/bench-{i}"),
                start: start_at,
                end: start_at + chrono::Duration::minutes(30),
                timezone: Some("America/Los_Angeles".into()),
                phone: None,
                name: "Bench Mark".into(),
                email: format!("bench-{i}@example.com"),
                event_type: "https://api.calendly.com/event_types/bench".into(),
                event_name: "Benchmark".into(),
                old_invitee: None,
                links: Default::default(),
            })
            .await?;
    }
    for chunk in (0..jobs).collect::<Vec<_>>().chunks(1000) {
        let batch = chunk
            .iter()
            .map(|i| {
                let job = SmsJob {
                    v: SmsJob::VERSION,
                    booking: BookingKey::from_invitee_uri(&format!(
                        "https://api.calendly.com/invitees/bench-{i}"
                    )),
                    kind: SmsKind::Confirmation,
                    to: "+14155550132".into(),
                    name: "Bench Mark".into(),
                    event_name: "Benchmark".into(),
                    start: Some(start_at),
                    end: Some(start_at + chrono::Duration::minutes(30)),
                    timezone: Some("America/Los_Angeles".into()),
                    links: Default::default(),
                    event_type: None,
                };
                Ok(NewJob::json(&job)?.with_id(job.job_id()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        client.enqueue_many(SMS, batch).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, bin, processes, jobs, latency_ms, rate] = args.as_slice() else {
        bail!(
            "usage: sms-bench <redis-url> <worker-binary> <processes> <jobs> <latency-ms> <rate-per-s>"
        );
    };
    let (processes, jobs): (usize, usize) = (processes.parse()?, jobs.parse()?);
    let fake = FakeEngageLab::start().await?;
    fake.set_latency(Duration::from_millis(latency_ms.parse()?));
    let ns = format!("smsbench{}", rand::random::<u32>());
    let client = QueueClient::connect(url, &ns).await?;
    enqueue_jobs(&client, jobs).await?;
    let engagelab = format!(
        "engagelab: {{ dev_key: \"{}\", dev_secret: \"{}\", base_url: \"{}\", rate_limit: {rate}/s, \
         templates: {{ confirmation: tpl_confirmation }} }}\n",
        fake.dev_key(),
        fake.dev_secret(),
        fake.base_url()
    );
    let (dir, config) = bench_config(url, &ns, &engagelab)?;
    let drain = Drain::start(url, bin, &config, "sms", processes).await?;
    drain
        .wait(
            Duration::from_millis(20),
            || fake.sent_count() >= jobs,
            || format!("only {} of {jobs} SMS", fake.sent_count()),
        )
        .await?;
    let figures = drain.finish(jobs).await?;
    let sent = fake.sent();
    let first = sent.iter().map(|s| s.at).min().context("no SMS")?;
    let last = sent.iter().map(|s| s.at).max().context("no SMS")?;
    let steady = last.duration_since(first).as_secs_f64();
    let distinct: HashSet<String> = sent
        .iter()
        .filter_map(|s| {
            s.custom_args
                .as_ref()?
                .get("booking")?
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let dead = client.dead_letters().count(Some(SMS)).await?;
    let wall = figures["wall_s"].as_f64().unwrap_or(f64::NAN);
    let line = json!({
        "processes": processes, "jobs": jobs, "latency_ms": latency_ms.parse::<u64>()?,
        "rate_limit": rate, "accepted": sent.len(), "distinct_bookings": distinct.len(), "dead": dead,
        "steady_s": steady,
        "jobs_per_s": if steady > 0.0 { (sent.len().saturating_sub(1)) as f64 / steady } else { 0.0 },
        "min_drain_s": min_drain_s(jobs, rate),
        "drain_vs_min": wall / min_drain_s(jobs, rate),
    });
    println!("{}", merged(line, figures));
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
