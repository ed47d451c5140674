//! Backfill benchmark (issue 18): `meetflow-admin sync calendly` over 10,000 bookings on the
//! fake Calendly API, which enforces Calendly's documented limit (500 requests per minute; more
//! get a 429), with the worker running in this process against the fake Brevo and EngageLab.
//!
//! `sync-bench [BOOKINGS] [DAYS]` (default 10000 over 50 days; one invitee per meeting, meetings
//! in the past). Prints the wall time of the CLI (all slices listed and every booking enqueued),
//! the time until Brevo has every contact and event, the Calendly requests made and the
//! theoretical minimum at 500 per minute (one `users/me`, one events page per 100 events of a
//! day-slice, one invitees page per event), and checks: every contact in Brevo, no SMS, no
//! dead letter. Run with `cargo run --release -p meetflow-tests --bin sync-bench`; the
//! `meetflow-admin` debug binary is used (`MEETFLOW_ADMIN_BIN` to choose another).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{SecondsFormat, TimeDelta, Utc};
use meetflow_shared::config::Settings;
use meetflow_shared::jobs::ALL_QUEUES;
use meetflow_shared::queue::QueueClient;
use meetflow_shared::shutdown::Shutdown;
use meetflow_tests::fakes::{EventSeed, FakeBrevo, FakeCalendlyApi, FakeEngageLab, InviteeSeed};
use meetflow_tests::redis::TestRedis;
use meetflow_worker::{QueueSelection, WorkerOptions};
use serde_json::Value;

const NS: &str = "bench";
/// Calendly's documented limit (paid plans).
const PER_MINUTE: f64 = 500.0;

fn iso(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn yaml(redis: &str, cal: &FakeCalendlyApi, brevo: &FakeBrevo, sms: &FakeEngageLab) -> String {
    format!(
        r#"
redis: {{ url: "{redis}", namespace: {NS} }}
ops: {{ listen: "127.0.0.1:0" }}
connectors:
  calendly:
    access_token: "{ctoken}"
    api_base_url: "{curl}"
    event_mapping:
      product_demo: {{ event_type_uri: "https://api.calendly.com/event_types/2b6c1f0a-7d3e-4c8b-9f21-5a4e8d0c6b13", list_id: 10 }}
brevo: {{ api_key: "{bkey}", base_url: "{burl}", rate_limit: 2000/s }}
engagelab:
  dev_key: "{ekey}"
  dev_secret: "{esecret}"
  base_url: "{eurl}"
  rate_limit: 1000/s
  templates: {{ confirmation: tpl_confirmation, cancellation: tpl_cancellation, reminder: tpl_reminder, follow_up: tpl_follow_up }}
engagement: {{ quiet_hours: null }}
queues:
  default: {{ concurrency: 16, lease: 30s, max_attempts: 4 }}
  # Two slices at a time: the slices in flight share the Calendly limit, and 16 slices of 200
  # bookings each (202 requests) at ~30 requests a minute each overran the 5-minute job timeout.
  sync: {{ concurrency: 2 }}
"#,
        ctoken = cal.access_token(),
        curl = cal.base_url(),
        bkey = brevo.api_key(),
        burl = brevo.base_url(),
        ekey = sms.dev_key(),
        esecret = sms.dev_secret(),
        eurl = sms.base_url(),
    )
}

/// Ready, running and delayed jobs over every queue.
async fn pending(client: &QueueClient) -> anyhow::Result<u64> {
    let k = client.keys();
    let mut pipe = redis::pipe();
    for q in ALL_QUEUES {
        pipe.cmd("LLEN").arg(k.ready(q));
        pipe.cmd("ZCARD").arg(k.leased(q));
        pipe.cmd("ZCARD").arg(k.delayed(q));
    }
    let counts: Vec<u64> = pipe.query_async(&mut client.redis()).await?;
    Ok(counts.iter().sum())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    meetflow_tests::install_crypto();
    let mut args = std::env::args().skip(1);
    let bookings: usize = args.next().map_or(Ok(10_000), |a| a.parse())?;
    let days: i64 = args.next().map_or(Ok(50), |a| a.parse())?;
    let redis = TestRedis::start().await?;
    let cal = FakeCalendlyApi::start().await?;
    let brevo = FakeBrevo::start().await?;
    let sms = FakeEngageLab::start().await?;
    let since = Utc::now()
        .date_naive()
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        - TimeDelta::days(days + 10);
    let per_day = bookings.div_ceil(usize::try_from(days)?);
    for i in 0..bookings {
        let day = i64::try_from(i / per_day)?;
        let slot = i64::try_from(i % per_day)?;
        // spread over the day so no meeting spills out of its day-slice (or out of the range)
        let step = (24 * 60 * 60 / i64::try_from(per_day)?).max(1);
        let start = since + TimeDelta::days(day) + TimeDelta::seconds(step * slot);
        let event = cal.add_event(EventSeed::new(
            &iso(start),
            &iso(start + TimeDelta::minutes(30)),
        ));
        cal.add_invitee(
            &event,
            InviteeSeed::new(&format!("guest{i}@example.com"), "Guest Person")
                .phone("+1 415-555-0132")
                .created_at(&iso(start - TimeDelta::days(5))),
        );
    }
    let text = yaml(&redis.url(), &cal, &brevo, &sms);
    let settings = Settings::from_yaml_str(&text, &|_| None)?;
    let config =
        std::env::temp_dir().join(format!("meetflow-sync-bench-{}.yaml", std::process::id()));
    std::fs::write(&config, &text)?;
    let client = QueueClient::connect(&redis.url(), NS).await?;
    let shutdown = Shutdown::new();
    let stop = shutdown.clone();
    let worker = tokio::spawn(async move {
        meetflow_worker::run_with(
            settings,
            QueueSelection::all(),
            WorkerOptions::default(),
            stop,
        )
        .await
    });

    let until = since + TimeDelta::days(days);
    let admin = meetflow_tests::binaries::meetflow_binary("admin");
    let started = Instant::now();
    let mut cmd = Command::new(admin);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("MEETFLOW_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("--config")
        .arg(&config)
        .args(["sync", "calendly", "--json", "--since"])
        .arg(since.format("%Y-%m-%d").to_string())
        .arg("--until")
        .arg(until.format("%Y-%m-%d").to_string())
        .env("RUST_LOG", "warn")
        .stderr(Stdio::inherit());
    let out = tokio::task::spawn_blocking(move || cmd.output()).await??;
    let cli_time = started.elapsed();
    let _ = std::fs::remove_file(&config);
    if !out.status.success() {
        bail!("sync failed: {}", String::from_utf8_lossy(&out.stdout));
    }
    let summary: Value = serde_json::from_slice(&out.stdout).context("summary")?;
    while pending(&client).await? > 0 || brevo.contacts().len() < bookings {
        if started.elapsed() > cli_time + Duration::from_secs(600) {
            bail!(
                "Brevo did not catch up: {} contacts",
                brevo.contacts().len()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let brevo_time = started.elapsed();
    shutdown.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(30), worker).await;

    let requests = cal.requests().len();
    let slices = usize::try_from(days)?;
    let pages = slices * per_day.div_ceil(100).max(1);
    let needed = 1 + pages + bookings;
    let minimum = needed as f64 / PER_MINUTE * 60.0;
    let dead: usize = client.dead_letters().list(None, 0, 1000).await?.len();
    println!(
        "{}",
        serde_json::json!({
            "bookings": bookings,
            "slices": slices,
            "cli_seconds": cli_time.as_secs_f64(),
            "brevo_done_seconds": brevo_time.as_secs_f64(),
            "calendly_requests": requests,
            "calendly_requests_needed": needed,
            "theoretical_minimum_seconds": minimum,
            "synced": summary["synced"],
            "brevo_contacts": brevo.contacts().len(),
            "brevo_events": brevo.events().len(),
            "sms_sent": sms.sent_count(),
            "dead_letters": dead,
        })
    );
    println!(
        "backfill of {bookings} bookings: {:.1} s (theoretical minimum at 500 requests/min: {:.1} s for {needed} requests; {requests} made); Brevo complete after {:.1} s; {} SMS",
        cli_time.as_secs_f64(),
        minimum,
        brevo_time.as_secs_f64(),
        sms.sent_count()
    );
    if brevo.contacts().len() != bookings || sms.sent_count() != 0 || dead != 0 {
        bail!("check failed");
    }
    Ok(())
}
