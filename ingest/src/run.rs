//! The process around the server: configuration, logging, the ops endpoints, signals.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use futures::future::BoxFuture;
use meetflow_shared::config::{Role, Settings};
use meetflow_shared::shutdown::Shutdown;
use meetflow_shared::{ops, telemetry};

use crate::config::IngestConfig;
use crate::startup::Application;

/// Runs `meetflow-ingest` until SIGTERM/SIGINT; `dedupe: false` only for load tests.
///
/// # Errors
/// A one-line reason for a bad configuration, an address in use, or a bad log format.
pub async fn run(config_path: Option<&Path>, dedupe: bool) -> anyhow::Result<()> {
    telemetry::init("meetflow-ingest")?;
    let settings = Settings::load(config_path)?;
    settings.validate_for(Role::Ingest)?;
    let mut config = IngestConfig::from_settings(&settings);
    config.dedupe = dedupe;
    let app = Application::build_with(config).await?;
    let shutdown = Shutdown::on_signal();
    let queue = app.queue().clone();
    let ready = move || -> BoxFuture<'static, bool> {
        let queue = queue.clone();
        Box::pin(async move { queue.ping().await.is_ok() })
    };
    let (_, ops_task) = ops::serve(settings.ops.listen, ready, shutdown.wait()).await?;
    spawn_metrics_upkeep(shutdown.clone());
    app.run_until_stopped(shutdown.wait()).await;
    shutdown.trigger();
    ops_task
        .await
        .context("ops server task")?
        .context("ops server")?;
    tracing::info!("meetflow-ingest stopped");
    Ok(())
}

/// The Prometheus recorder keeps histogram samples until its upkeep folds them into buckets, which
/// otherwise only happens on a `/metrics` scrape: without a scraper, memory would grow with every
/// request. Fold them every few seconds regardless.
fn spawn_metrics_upkeep(shutdown: Shutdown) {
    tokio::spawn(async move {
        let handle = ops::metrics_handle();
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tokio::select! {
                _ = tick.tick() => handle.run_upkeep(),
                () = shutdown.wait() => return,
            }
        }
    });
}
