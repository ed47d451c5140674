//! A tiny worker process for queue-core tests that need a real process to kill: it runs one queue
//! with a handler that records every start and finish in Redis and sleeps a configurable time.
//!
//! `queue-probe <redis-url> <namespace> <queue> <lease-ms> <sleep-ms> <concurrency>`
//! SIGTERM / SIGINT stop it gracefully.

use std::time::Duration;

use meetflow_shared::queue::{JobContext, JobError, QueueClient, QueueSettings, run_queue};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, ns, queue, lease_ms, sleep_ms, concurrency] = args.as_slice() else {
        anyhow::bail!(
            "usage: queue-probe <redis-url> <namespace> <queue> <lease-ms> <sleep-ms> <concurrency>"
        );
    };
    let client = QueueClient::connect(url, ns).await?;
    let settings = QueueSettings {
        lease: Duration::from_millis(lease_ms.parse()?),
        concurrency: concurrency.parse()?,
        backoff_base: Duration::from_millis(50),
        ..QueueSettings::default()
    };
    let sleep = Duration::from_millis(sleep_ms.parse()?);
    let recorder = client.clone();
    let handler = move |_payload: serde_json::Value, ctx: JobContext| {
        let client = recorder.clone();
        async move {
            let mut conn = client.redis();
            let tag = format!("{}|{}|{}", ctx.id, std::process::id(), ctx.attempt);
            let _: () = redis::cmd("RPUSH")
                .arg(client.keys().probe("starts"))
                .arg(&tag)
                .query_async(&mut conn)
                .await
                .map_err(|e| {
                    JobError::retry(meetflow_shared::queue::ErrorClass::Internal, e.to_string())
                })?;
            tokio::time::sleep(sleep).await;
            let _: () = redis::cmd("RPUSH")
                .arg(client.keys().probe("finishes"))
                .arg(&tag)
                .query_async(&mut conn)
                .await
                .map_err(|e| {
                    JobError::retry(meetflow_shared::queue::ErrorClass::Internal, e.to_string())
                })?;
            Ok(())
        }
    };
    let shutdown = async {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return,
            };
        tokio::select! {
            _ = term.recv() => {},
            _ = tokio::signal::ctrl_c() => {},
        }
    };
    println!("ready");
    run_queue(client, queue, settings, handler, shutdown).await?;
    Ok(())
}
