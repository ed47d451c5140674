//! Queue-core benchmark driver, shaped like the BullMQ scripts in `../shared/bench/bullmq` so the
//! two run side by side with the same counts. Each mode prints one JSON line.
//!
//! ```text
//! queue-bench <redis-url> enqueue single|bulk N
//! queue-bench <redis-url> fill N
//! queue-bench <redis-url> worker throughput|limited|latency|delayed CONCURRENCY COUNT
//! queue-bench <redis-url> steady RATE SECONDS        (latency producer: stamps wall-clock ms)
//! queue-bench <redis-url> delayed-producer N SPAN_MS (delays uniform in [0, SPAN_MS))
//! queue-bench <redis-url> memory N BODY_BYTES         (Redis bytes per waiting job)
//! queue-bench <redis-url> backlog N                  (N delayed jobs all due at once, drained)
//! ```
//!
//! `worker limited` is `throughput` with one slot of a shared rate limit taken per job (the
//! limiter's script, as a provider call takes one; the limit, 1,000,000/s, never makes a job
//! wait): on a Redis Cluster the limiter's keys have a hash tag of their own, so that script runs
//! on whichever master holds `{bench:rl}`, the queue's on the one holding `{bench}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use meetflow_shared::providers::rate_limit::RateLimiter;
use meetflow_shared::queue::{
    JobContext, JobError, NewJob, QueueClient, QueueSettings, now_ms, run_queue,
};
use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

const QUEUE: &str = "bench";

#[derive(Serialize, Deserialize)]
struct Payload {
    t: i64,
    #[serde(default)]
    due: i64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = args.first().cloned().unwrap_or_default();
    let client = QueueClient::connect(&url, "bench").await?;
    let arg = |i: usize| -> anyhow::Result<u64> {
        Ok(args
            .get(i)
            .ok_or_else(|| anyhow::anyhow!("missing argument {i}"))?
            .parse()?)
    };
    match args.get(1).map(String::as_str) {
        Some("enqueue") => {
            enqueue(
                &client,
                args.get(2).map(String::as_str) == Some("bulk"),
                arg(3)?,
            )
            .await
        }
        Some("fill") => fill(&client, arg(2)?).await,
        Some("worker") => {
            worker(
                client,
                args.get(2).cloned().unwrap_or_default(),
                arg(3)?,
                arg(4)?,
            )
            .await
        }
        Some("steady") => steady(&client, arg(2)?, arg(3)?).await,
        Some("delayed-producer") => delayed_producer(&client, arg(2)?, arg(3)?).await,
        Some("memory") => memory(&client, arg(2)?, arg(3)?).await,
        Some("backlog") => backlog(client, arg(2)?).await,
        _ => anyhow::bail!("usage: see the module docs of queue_bench.rs"),
    }
}

fn job(t: i64) -> anyhow::Result<NewJob> {
    Ok(NewJob::json(&Payload { t, due: t })?)
}

async fn enqueue(client: &QueueClient, bulk: bool, n: u64) -> anyhow::Result<()> {
    let start = Instant::now();
    if bulk {
        for _ in 0..n / 1000 {
            let jobs = (0..1000)
                .map(|_| job(0))
                .collect::<anyhow::Result<Vec<_>>>()?;
            client.enqueue_many(QUEUE, jobs).await?;
        }
    } else {
        for _ in 0..n {
            client.enqueue(QUEUE, job(0)?).await?;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let mode = if bulk { "bulk" } else { "single" };
    println!(
        r#"{{"case":"meetflow enqueue {mode} N={n}","jobs_per_s":{:.1},"secs":{secs:.3}}}"#,
        n as f64 / secs
    );
    Ok(())
}

async fn fill(client: &QueueClient, n: u64) -> anyhow::Result<()> {
    for _ in 0..n.div_ceil(1000) {
        let jobs = (0..1000)
            .map(|_| job(0))
            .collect::<anyhow::Result<Vec<_>>>()?;
        client.enqueue_many(QUEUE, jobs).await?;
    }
    Ok(())
}

async fn worker(
    client: QueueClient,
    mode: String,
    concurrency: u64,
    count: u64,
) -> anyhow::Result<()> {
    let settings = QueueSettings {
        concurrency: usize::try_from(concurrency)?,
        ..QueueSettings::default()
    };
    let started = Arc::new(AtomicUsize::new(0));
    let samples = Arc::new(Mutex::new(Vec::with_capacity(usize::try_from(count)?)));
    let done = Arc::new(tokio::sync::Notify::new());
    let target = usize::try_from(count)?;
    let limiter = (mode == "limited")
        .then(|| RateLimiter::new(client.handle(), "bench", 1_000_000, Duration::from_secs(1)));
    let (s, d, m, st) = (samples.clone(), done.clone(), mode.clone(), started.clone());
    let handler = move |p: Payload, _: JobContext| {
        let (s, d, m, st, l) = (s.clone(), d.clone(), m.clone(), st.clone(), limiter.clone());
        async move {
            if let Some(l) = l {
                l.until_ready(Duration::from_secs(1)).await.map_err(|e| {
                    JobError::retry(meetflow_shared::queue::ErrorClass::Transport, e.to_string())
                })?;
            }
            let now = now_ms();
            match m.as_str() {
                "latency" => s.lock().await.push(((now - p.t) as f64, true)),
                // Jobs due within 1 s of being enqueued are also measured apart (`sched_*`), as
                // BullMQ's script does: lateness then includes the producer's own batching.
                "delayed" => s
                    .lock()
                    .await
                    .push(((now - p.due) as f64, p.due - p.t >= 1000)),
                _ => {}
            }
            if st.fetch_add(1, Ordering::SeqCst) + 1 == target {
                d.notify_one();
            }
            Ok(())
        }
    };
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopper = stop.clone();
    let t0 = Instant::now();
    let run = tokio::spawn(run_queue(client, QUEUE, settings, handler, async move {
        stopper.notified().await
    }));
    done.notified().await;
    let secs = t0.elapsed().as_secs_f64();
    stop.notify_one();
    let _ = tokio::time::timeout(Duration::from_secs(10), run).await;
    let mut rec = serde_json::json!({ "case": format!("meetflow {mode} concurrency={concurrency} N={count}") });
    if mode == "throughput" || mode == "limited" {
        rec["jobs_per_s"] = serde_json::json!(count as f64 / secs);
        rec["secs"] = serde_json::json!(secs);
    } else {
        let all = samples.lock().await.clone();
        let warmup = if mode == "latency" {
            1000.min(all.len())
        } else {
            0
        };
        let mut v: Vec<f64> = all[warmup..].iter().map(|s| s.0).collect();
        let mut sched: Vec<f64> = all[warmup..].iter().filter(|s| s.1).map(|s| s.0).collect();
        for (prefix, v) in [("", &mut v), ("sched_", &mut sched)] {
            v.sort_by(f64::total_cmp);
            let q = |p: f64| {
                v.get(((v.len() as f64 - 1.0) * p).round() as usize)
                    .copied()
                    .unwrap_or(0.0)
            };
            rec[format!("{prefix}p50_ms")] = serde_json::json!(q(0.5));
            rec[format!("{prefix}p99_ms")] = serde_json::json!(q(0.99));
            rec[format!("{prefix}max_ms")] = serde_json::json!(q(1.0));
        }
    }
    println!("{rec}");
    Ok(())
}

async fn steady(client: &QueueClient, rate: u64, seconds: u64) -> anyhow::Result<()> {
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let start = Instant::now();
    for i in 0..rate * seconds {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        client.enqueue(QUEUE, job(now_ms())?).await?;
    }
    Ok(())
}

async fn delayed_producer(client: &QueueClient, n: u64, span_ms: u64) -> anyhow::Result<()> {
    let mut rng = rand::rng();
    let mut batch = Vec::with_capacity(1000);
    for _ in 0..n {
        let now = now_ms();
        let due = now + i64::try_from(rng.random_range(0..span_ms))?;
        let at =
            chrono::DateTime::from_timestamp_millis(due).ok_or_else(|| anyhow::anyhow!("time"))?;
        batch.push(NewJob::json(&Payload { t: now, due })?.run_at(at));
        if batch.len() == 1000 {
            client
                .enqueue_many(QUEUE, std::mem::take(&mut batch))
                .await?;
        }
    }
    client.enqueue_many(QUEUE, batch).await?;
    Ok(())
}

async fn memory(client: &QueueClient, n: u64, body: u64) -> anyhow::Result<()> {
    let mut conn = client.redis();
    let used = |info: String| -> u64 {
        info.lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let before = used(
        redis::cmd("INFO")
            .arg("memory")
            .query_async(&mut conn)
            .await?,
    );
    let text = "x".repeat(usize::try_from(body)?);
    for _ in 0..n.div_ceil(1000) {
        let jobs = (0..1000)
            .map(|_| Ok(NewJob::json(&serde_json::json!({ "t": 0, "body": text }))?))
            .collect::<anyhow::Result<Vec<_>>>()?;
        client.enqueue_many(QUEUE, jobs).await?;
    }
    let after = used(
        redis::cmd("INFO")
            .arg("memory")
            .query_async(&mut conn)
            .await?,
    );
    println!(
        r#"{{"case":"meetflow memory body={body}B N={n}","bytes_per_job":{:.0}}}"#,
        (after.saturating_sub(before)) as f64 / n as f64
    );
    Ok(())
}

/// Puts `n` jobs in the delayed set, all due at the same instant, then drains them with one
/// worker (concurrency 100) and reports the time and any job that did not finish.
async fn backlog(client: QueueClient, n: u64) -> anyhow::Result<()> {
    let due_ms = now_ms() + i64::try_from(n / 40 + 5_000)?;
    let due =
        chrono::DateTime::from_timestamp_millis(due_ms).ok_or_else(|| anyhow::anyhow!("time"))?;
    for _ in 0..n.div_ceil(1000) {
        let jobs = (0..1000)
            .map(|_| Ok(job(0)?.run_at(due)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        client.enqueue_many(QUEUE, jobs).await?;
    }
    let before = client.stats(QUEUE).await?;
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let handler = move |_: Payload, _: JobContext| {
        r.fetch_add(1, Ordering::Relaxed);
        futures::future::ready(Ok(()))
    };
    let settings = QueueSettings {
        concurrency: 100,
        ..QueueSettings::default()
    };
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopper = stop.clone();
    let run = tokio::spawn(run_queue(
        client.clone(),
        QUEUE,
        settings,
        handler,
        async move { stopper.notified().await },
    ));
    tokio::time::sleep(Duration::from_millis(u64::try_from(
        (due_ms - now_ms()).max(0),
    )?))
    .await;
    let t0 = Instant::now();
    let target = usize::try_from(before.delayed + before.ready)?;
    while ran.load(Ordering::Relaxed) < target
        && !run.is_finished()
        && t0.elapsed() < Duration::from_secs(600)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = t0.elapsed().as_secs_f64();
    let worker_alive = !run.is_finished();
    stop.notify_one();
    let _ = tokio::time::timeout(Duration::from_secs(10), run).await;
    let after = client.stats(QUEUE).await?;
    println!(
        r#"{{"case":"meetflow backlog N={n}","delayed_at_due":{},"ran":{},"secs":{secs:.2},"jobs_per_s":{:.0},"dead":{},"left":{},"worker_alive":{worker_alive}}}"#,
        before.delayed,
        ran.load(Ordering::Relaxed),
        ran.load(Ordering::Relaxed) as f64 / secs,
        after.dead,
        after.ready + after.delayed + after.running + after.retrying,
    );
    Ok(())
}
