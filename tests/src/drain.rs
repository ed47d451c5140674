//! What the drain benchmarks (`sms-bench`, `brevo-bench`, driven by
//! `scripts/bench-backpressure.sh` and `scripts/bench-sms.sh`) read while worker processes drain
//! a backlog: process CPU and peak RSS from /proc, the whole machine's busy share, and Redis's own
//! counters (commands processed, a script's inner calls included, and its CPU time).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

/// Linux's USER_HZ (clock ticks per second in /proc/<pid>/stat) on every mainstream kernel.
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds (user + system) process `pid` has used so far.
pub fn proc_cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit_once(')').context("stat format")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the command: state(0) ... utime(11) stime(12).
    let utime: f64 = fields.get(11).context("utime")?.parse()?;
    let stime: f64 = fields.get(12).context("stime")?.parse()?;
    Ok((utime + stime) / TICKS_PER_SECOND)
}

/// Busy and total ticks summed over all cores (first line of /proc/stat).
pub fn machine_ticks() -> anyhow::Result<(u64, u64)> {
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
pub async fn redis_pid(url: &str) -> anyhow::Result<u32> {
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
pub async fn redis_counters(url: &str) -> anyhow::Result<(u64, f64)> {
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
pub struct CpuSnapshot {
    driver_s: f64,
    redis_s: f64,
    machine_busy: u64,
    machine_total: u64,
}

impl CpuSnapshot {
    /// Reads it now; `redis` is the Redis server's pid, when known.
    pub fn take(redis: Option<u32>) -> Self {
        let (machine_busy, machine_total) = machine_ticks().unwrap_or((0, 0));
        Self {
            driver_s: proc_cpu_seconds(std::process::id()).unwrap_or(f64::NAN),
            redis_s: redis.map_or(f64::NAN, |pid| proc_cpu_seconds(pid).unwrap_or(f64::NAN)),
            machine_busy,
            machine_total,
        }
    }

    /// JSON fields for the interval from `self` to `later`.
    pub fn since(&self, later: &Self) -> serde_json::Value {
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

/// A `kB` field of `/proc/<pid>/status` (`VmHWM:` = peak RSS).
pub fn proc_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .context("status field")?;
    Ok(line.split_whitespace().nth(1).context("value")?.parse()?)
}

/// The limit's theoretical minimum drain time (`rate` like `20` or `20/s`; no limit: 0).
pub fn min_drain_s(jobs: usize, rate: &str) -> f64 {
    let per_s: f64 = rate.trim_end_matches("/s").parse().unwrap_or(0.0);
    if per_s > 0.0 {
        jobs.saturating_sub(1) as f64 / per_s
    } else {
        0.0
    }
}

/// Worker processes draining one queue, measured from their start: Redis's counters and the CPU
/// of this driver, Redis and the machine.
pub struct Drain {
    url: String,
    redis: Option<u32>,
    commands_before: u64,
    redis_cpu_before: f64,
    cpu_before: CpuSnapshot,
    started: Instant,
    children: Vec<Child>,
}

impl Drain {
    /// Starts `processes` `meetflow-worker --config <config> --queues <queue>` processes.
    ///
    /// # Errors
    /// When Redis does not answer or a process does not start.
    pub async fn start(
        url: &str,
        bin: &str,
        config: &Path,
        queue: &str,
        processes: usize,
    ) -> anyhow::Result<Self> {
        let redis = redis_pid(url).await.ok();
        let (commands_before, redis_cpu_before) = redis_counters(url).await?;
        let cpu_before = CpuSnapshot::take(redis);
        let started = Instant::now();
        let children = (0..processes)
            .map(|_| {
                Command::new(bin)
                    .args(["--config"])
                    .arg(config)
                    .args(["--queues", queue])
                    .env("RUST_LOG", "warn")
                    .stdout(Stdio::null())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .context("start meetflow-worker")
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            url: url.to_owned(),
            redis,
            commands_before,
            redis_cpu_before,
            cpu_before,
            started,
            children,
        })
    }

    /// Waits until `done()`, asked every `every` (10 minutes at most; `what` names the
    /// shortfall).
    ///
    /// # Errors
    /// After 10 minutes.
    pub async fn wait(
        &self,
        every: Duration,
        done: impl Fn() -> bool,
        what: impl Fn() -> String,
    ) -> anyhow::Result<()> {
        let deadline = self.started + Duration::from_secs(600);
        while !done() {
            if Instant::now() > deadline {
                anyhow::bail!("{} after 10 min", what());
            }
            tokio::time::sleep(every).await;
        }
        Ok(())
    }

    /// Reads the counters, stops the processes (SIGTERM) and returns the figures of the drain of
    /// `jobs` jobs: wall time from start, CPU during the run, each process's CPU and peak RSS,
    /// Redis commands per job and Redis CPU.
    ///
    /// # Errors
    /// When Redis does not answer.
    pub async fn finish(mut self, jobs: usize) -> anyhow::Result<serde_json::Value> {
        let wall = self.started.elapsed().as_secs_f64();
        let cpu = self.cpu_before.since(&CpuSnapshot::take(self.redis));
        let (commands_after, redis_cpu_after) = redis_counters(&self.url).await?;
        let per_process: Vec<serde_json::Value> = self
            .children
            .iter()
            .map(|c| {
                let pid = c.id();
                json!({
                    "cpu_s": proc_cpu_seconds(pid).unwrap_or(f64::NAN),
                    "rss_peak_mib": proc_kib(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0,
                })
            })
            .collect();
        for c in &self.children {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
        }
        for c in &mut self.children {
            let _ = c.wait();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok(json!({
            "wall_s": wall,
            "per_process": per_process,
            "during_run": cpu,
            "redis_commands_per_job": (commands_after - self.commands_before) as f64 / jobs as f64,
            "redis_cpu_info_s": redis_cpu_after - self.redis_cpu_before,
        }))
    }
}

/// A private config for one benchmark run, in a directory of its own (`<tmp>/<ns>`; remove it
/// when done): Redis at `url` under namespace `ns`, the ops listener on a free port, and
/// `providers`, the YAML of the provider sections the workers call. Returns (directory, file).
pub fn bench_config(
    url: &str,
    ns: &str,
    providers: &str,
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let dir = std::env::temp_dir().join(ns);
    std::fs::create_dir_all(&dir)?;
    let config = dir.join("meetflow.yaml");
    std::fs::write(
        &config,
        format!(
            "redis: {{ url: \"{url}\", namespace: {ns} }}\nops: {{ listen: \"127.0.0.1:0\" }}\n{providers}"
        ),
    )?;
    Ok((dir, config))
}

/// Merges the fields of `extra` into `base` (both JSON objects).
pub fn merged(mut base: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    if let (Some(b), serde_json::Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}
