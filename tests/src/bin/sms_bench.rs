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
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use meetflow_shared::bookings::{BookingFacts, BookingKey, Bookings};
use meetflow_shared::config::RemindersSettings;
use meetflow_shared::jobs::SMS;
use meetflow_shared::jobs::sms::{SmsJob, SmsKind};
use meetflow_shared::queue::{NewJob, QueueClient};
use meetflow_tests::fakes::FakeEngageLab;
use serde_json::json;

/// Linux's USER_HZ (clock ticks per second in /proc/<pid>/stat) on every mainstream kernel.
const TICKS_PER_SECOND: f64 = 100.0;

fn proc_cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit_once(')').context("stat format")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the command: state(0) ... utime(11) stime(12).
    let utime: f64 = fields.get(11).context("utime")?.parse()?;
    let stime: f64 = fields.get(12).context("stime")?.parse()?;
    Ok((utime + stime) / TICKS_PER_SECOND)
}

/// Busy and total ticks summed over all cores (first line of /proc/stat).
fn machine_ticks() -> anyhow::Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let cpu = stat.lines().next().context("/proc/stat is empty")?;
    let ticks: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    let total: u64 = ticks.iter().take(8).sum();
    Ok((total - idle, total))
}

/// The pid of the Redis server behind `url`, read from `INFO server` (same machine only).
async fn redis_pid(url: &str) -> anyhow::Result<u32> {
    let mut conn = redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await?;
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut conn)
        .await?;
    let pid = info
        .lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .context("no process_id in INFO server")?;
    Ok(pid.trim().parse()?)
}

/// Redis's own counters: commands processed (a script's inner calls included) and its CPU time
/// (`used_cpu_sys + used_cpu_user`), from `INFO`.
async fn redis_counters(url: &str) -> anyhow::Result<(u64, f64)> {
    let mut conn = redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await?;
    let info: String = redis::cmd("INFO").arg("all").query_async(&mut conn).await?;
    let field = |name: &str| -> anyhow::Result<f64> {
        let v = info
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .with_context(|| format!("no {name} in INFO"))?;
        Ok(v.trim().parse()?)
    };
    Ok((
        field("total_commands_processed")? as u64,
        field("used_cpu_sys")? + field("used_cpu_user")?,
    ))
}

/// One reading of the CPU used so far by this driver, the Redis server and the whole machine;
/// two readings give the share of each over an interval.
struct CpuSnapshot {
    driver_s: f64,
    redis_s: f64,
    machine_busy: u64,
    machine_total: u64,
}

impl CpuSnapshot {
    fn take(redis: Option<u32>) -> Self {
        let (machine_busy, machine_total) = machine_ticks().unwrap_or((0, 0));
        Self {
            driver_s: proc_cpu_seconds(std::process::id()).unwrap_or(f64::NAN),
            redis_s: redis.map_or(f64::NAN, |pid| proc_cpu_seconds(pid).unwrap_or(f64::NAN)),
            machine_busy,
            machine_total,
        }
    }

    /// JSON fields for the interval from `self` to `later`.
    fn since(&self, later: &Self) -> serde_json::Value {
        let total = later.machine_total.saturating_sub(self.machine_total);
        let busy = later.machine_busy.saturating_sub(self.machine_busy);
        json!({
            "driver_cpu_s": later.driver_s - self.driver_s,
            "redis_cpu_s": later.redis_s - self.redis_s,
            "machine_busy_pct": if total > 0 { 100.0 * busy as f64 / total as f64 } else { f64::NAN },
            "cores": std::thread::available_parallelism().map_or(0, usize::from),
        })
    }
}

fn proc_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .context("status field")?;
    Ok(line.split_whitespace().nth(1).context("value")?.parse()?)
}

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

/// The limit's theoretical minimum drain time (`rate` like `20` or `20/s`; no limit: 0).
fn min_drain_s(jobs: usize, rate: &str) -> f64 {
    let per_s: f64 = rate.trim_end_matches("/s").parse().unwrap_or(0.0);
    if per_s > 0.0 {
        jobs.saturating_sub(1) as f64 / per_s
    } else {
        0.0
    }
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
    let dir = std::env::temp_dir().join(&ns);
    std::fs::create_dir_all(&dir)?;
    let config = dir.join("meetflow.yaml");
    std::fs::write(
        &config,
        format!(
            "redis: {{ url: \"{url}\", namespace: {ns} }}\nops: {{ listen: \"127.0.0.1:0\" }}\n\
             engagelab: {{ dev_key: \"{}\", dev_secret: \"{}\", base_url: \"{}\", rate_limit: {rate}/s, \
             templates: {{ confirmation: tpl_confirmation }} }}\n",
            fake.dev_key(),
            fake.dev_secret(),
            fake.base_url()
        ),
    )?;
    let redis = redis_pid(url).await.ok();
    let (commands_before, redis_cpu_before) = redis_counters(url).await?;
    let cpu_before = CpuSnapshot::take(redis);
    let started = Instant::now();
    let mut children: Vec<Child> = (0..processes)
        .map(|_| {
            Command::new(bin)
                .args(["--config"])
                .arg(&config)
                .args(["--queues", "sms"])
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .context("start meetflow-worker")
        })
        .collect::<anyhow::Result<_>>()?;
    let deadline = started + Duration::from_secs(600);
    while fake.sent_count() < jobs {
        if Instant::now() > deadline {
            bail!("only {} of {jobs} SMS after 10 min", fake.sent_count());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_before.since(&CpuSnapshot::take(redis));
    let (commands_after, redis_cpu_after) = redis_counters(url).await?;
    let per_process: Vec<serde_json::Value> = children
        .iter()
        .map(|c| {
            let pid = c.id();
            json!({
                "cpu_s": proc_cpu_seconds(pid).unwrap_or(f64::NAN),
                "rss_peak_mib": proc_kib(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0,
            })
        })
        .collect();
    for c in &children {
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
    }
    for c in &mut children {
        let _ = c.wait();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
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
    println!(
        "{}",
        json!({
            "processes": processes, "jobs": jobs, "latency_ms": latency_ms.parse::<u64>()?,
            "rate_limit": rate, "accepted": sent.len(), "distinct_bookings": distinct.len(), "dead": dead,
            "wall_s": wall, "steady_s": steady,
            "jobs_per_s": if steady > 0.0 { (sent.len().saturating_sub(1)) as f64 / steady } else { 0.0 },
            "per_process": per_process, "during_run": cpu,
            "redis_commands_per_job": (commands_after - commands_before) as f64 / jobs as f64,
            "redis_cpu_info_s": redis_cpu_after - redis_cpu_before,
            "min_drain_s": min_drain_s(jobs, rate),
            "drain_vs_min": wall / min_drain_s(jobs, rate),
        })
    );
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
